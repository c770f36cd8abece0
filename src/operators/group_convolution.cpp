#include "operators/group_convolution.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace eqrnn {

namespace {
unsigned plannerFlags(FftPlanner p) {
  switch (p) {
  case FftPlanner::Measure:
    return FFTW_MEASURE;
  case FftPlanner::Patient:
    return FFTW_PATIENT;
  default:
    return FFTW_ESTIMATE;
  }
}

// 7-smooth lengths >= n, ascending: the lengths FFTW-MPI splits well.
std::vector<ptrdiff_t> smoothLengthsFrom(ptrdiff_t n, std::size_t count) {
  std::vector<ptrdiff_t> out;
  for (ptrdiff_t m = std::max<ptrdiff_t>(n, 2); out.size() < count; ++m) {
    ptrdiff_t r = m;
    for (ptrdiff_t p : {2, 3, 5, 7})
      while (r % p == 0)
        r /= p;
    if (r == 1) out.push_back(m);
  }
  return out;
}

PetscErrorCode convolutionMult(Mat J, Vec x, Vec y) {
  GroupConvolution *conv = nullptr;
  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(J, &conv));
  PetscCall(conv->apply(x, y));
  PetscFunctionReturn(0);
}

PetscErrorCode convolutionDiagonal(Mat J, Vec d) {
  GroupConvolution *conv = nullptr;
  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(J, &conv));
  PetscCall(VecSet(d, conv->diagonal()));
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode parseFftPlanner(MPI_Comm comm, const std::string &name, FftPlanner *planner) {
  PetscFunctionBeginUser;
  if (name == "estimate")
    *planner = FftPlanner::Estimate;
  else if (name == "measure")
    *planner = FftPlanner::Measure;
  else if (name == "patient")
    *planner = FftPlanner::Patient;
  else
    SETERRQ(comm, PETSC_ERR_USER_INPUT, "-fft_planner: unknown value '%s' (estimate|measure|patient)",
            name.c_str());
  PetscFunctionReturn(0);
}

GroupConvolution::~GroupConvolution() = default;

PetscErrorCode GroupConvolution::create(MPI_Comm comm, const Group &group, FftPlanner planner,
                                        std::unique_ptr<GroupConvolution> *out) {
  PetscMPIInt size = 1;
  PetscFunctionBeginUser;
  PetscCheck(group.isAbelian(), comm, PETSC_ERR_SUP, "group %s: the FFT convolution needs an abelian group",
             group.spec().c_str());
  std::unique_ptr<GroupConvolution> conv(new GroupConvolution());
  conv->comm_  = comm;
  conv->group_ = group;
  for (PetscInt n : group.factorOrders())
    if (n > 1) conv->dims_.push_back(n);
  conv->transformLength_ = group.order();
  PetscCallMPI(MPI_Comm_size(comm, &size));
  const unsigned flags = plannerFlags(planner);
  if (conv->dims_.empty())
    PetscCall(conv->setupScalar());
  else if (size == 1)
    PetscCall(conv->setupSerial(flags));
  else if (conv->dims_.size() >= 2)
    PetscCall(conv->setupSlab(flags));
  else
    PetscCall(conv->setupLine(flags));
  // PETSc layouts are contiguous in rank order; FFTW's must be too for the Vec to alias its slabs.
  PetscInt expectedStart = 0;
  PetscCallMPI(MPI_Scan(&conv->localN_, &expectedStart, 1, MPIU_INT, MPI_SUM, comm));
  expectedStart -= conv->localN_;
  if (conv->localN_ == 0) conv->start_ = expectedStart; // FFTW reports an arbitrary start for empty slabs
  int consistent = expectedStart == conv->start_;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &consistent, 1, MPI_INT, MPI_MIN, comm));
  PetscCheck(consistent, comm, PETSC_ERR_PLIB, "FFTW data distribution is not in rank order for %s",
             group.spec().c_str());
  *out = std::move(conv);
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::setupScalar() {
  PetscMPIInt rank = 0;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  strategy_ = "scalar";
  localN_   = rank == 0 ? 1 : 0;
  start_    = 0;
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::setupSerial(unsigned flags) {
  PetscFunctionBeginUser;
  strategy_   = "serial";
  const int d = static_cast<int>(dims_.size());
  std::vector<int> n(dims_.begin(), dims_.end());
  localN_       = group_.order();
  start_        = 0;
  realCount_    = localN_;
  complexCount_ = localN_ / dims_.back() * (dims_.back() / 2 + 1);
  real_.reset(fftw_alloc_real(static_cast<size_t>(realCount_)));
  complex_.reset(fftw_alloc_complex(static_cast<size_t>(complexCount_)));
  forward_  = FftwPlan(fftw_plan_dft_r2c(d, n.data(), real_.get(), complex_.get(), flags));
  backward_ = FftwPlan(fftw_plan_dft_c2r(d, n.data(), complex_.get(), real_.get(), flags));
  PetscCheck(forward_ && backward_, comm_, PETSC_ERR_LIB, "FFTW could not plan a transform for group %s",
             group_.spec().c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::setupSlab(unsigned flags) {
  PetscFunctionBeginUser;
  strategy_   = "slab";
  const int d = static_cast<int>(dims_.size());
  std::vector<ptrdiff_t> nc(dims_);
  nc.back()     = dims_.back() / 2 + 1;
  ptrdiff_t ln0 = 0, l0s = 0, ln1 = 0, l1s = 0;
  allocComplex_ = fftw_mpi_local_size_transposed(d, nc.data(), comm_, &ln0, &l0s, &ln1, &l1s);
  real_.reset(fftw_alloc_real(static_cast<size_t>(2 * std::max<ptrdiff_t>(allocComplex_, 1))));
  auto *c  = reinterpret_cast<fftw_complex *>(real_.get());
  forward_ = FftwPlan(
      fftw_mpi_plan_dft_r2c(d, dims_.data(), real_.get(), c, comm_, flags | FFTW_MPI_TRANSPOSED_OUT));
  backward_ =
      FftwPlan(fftw_mpi_plan_dft_c2r(d, dims_.data(), c, real_.get(), comm_, flags | FFTW_MPI_TRANSPOSED_IN));
  PetscCheck(forward_ && backward_, comm_, PETSC_ERR_LIB, "FFTW-MPI could not plan a transform for group %s",
             group_.spec().c_str());
  ptrdiff_t rest = 1, restComplex = 1;
  for (int k = 1; k < d; ++k)
    rest *= dims_[k];
  for (int k = 2; k < d; ++k)
    restComplex *= nc[k];
  localN_       = static_cast<PetscInt>(ln0 * rest);
  start_        = static_cast<PetscInt>(l0s * rest);
  complexCount_ = ln1 * dims_[0] * restComplex; // transposed: n1 x n0 x n2 ... distributed along n1
  rowLength_    = dims_.back();
  paddedRow_    = 2 * (dims_.back() / 2 + 1);
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::setupLine(unsigned flags) {
  const ptrdiff_t n = dims_[0];
  PetscFunctionBeginUser;
  strategy_ = "line";
  // The direct length first; if FFTW-MPI cannot split it, the smallest smooth M >= 2N-1 that it can.
  std::vector<ptrdiff_t> candidates{n};
  for (ptrdiff_t m : smoothLengthsFrom(2 * n - 1, 64))
    candidates.push_back(m);
  for (ptrdiff_t m : candidates) {
    ptrdiff_t li = 0, lis = 0, lo = 0, los = 0, bi = 0, bis = 0, bo = 0, bos = 0;
    const ptrdiff_t alloc =
        fftw_mpi_local_size_1d(m, comm_, FFTW_FORWARD, FFTW_MPI_SCRAMBLED_OUT, &li, &lis, &lo, &los);
    fftw_mpi_local_size_1d(m, comm_, FFTW_BACKWARD, FFTW_MPI_SCRAMBLED_IN, &bi, &bis, &bo, &bos);
    complex_.reset(fftw_alloc_complex(static_cast<size_t>(std::max<ptrdiff_t>(alloc, 1))));
    forward_  = FftwPlan(fftw_mpi_plan_dft_1d(m, complex_.get(), complex_.get(), comm_, FFTW_FORWARD,
                                              flags | FFTW_MPI_SCRAMBLED_OUT));
    backward_ = FftwPlan(fftw_mpi_plan_dft_1d(m, complex_.get(), complex_.get(), comm_, FFTW_BACKWARD,
                                              flags | FFTW_MPI_SCRAMBLED_IN));
    // The pointwise product needs the backward input layout to be the forward output layout and vice versa.
    int ok = forward_ && backward_ && bi == lo && bis == los && bo == li && bos == lis;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm_));
    if (!ok) continue;
    allocComplex_    = alloc;
    transformLength_ = static_cast<PetscInt>(m);
    lineLocal_       = li;
    lineStart_       = lis;
    complexCount_    = lo;
    break;
  }
  PetscCheck(forward_ && backward_, comm_, PETSC_ERR_LIB, "FFTW-MPI could not plan a 1-D transform for %s",
             group_.spec().c_str());
  if (transformLength_ == n) {
    localN_ = static_cast<PetscInt>(lineLocal_);
    start_  = static_cast<PetscInt>(lineStart_);
    PetscFunctionReturn(0);
  }
  // Padded: the state keeps PETSc's balanced layout and is scattered into the first N entries of length M.
  strategy_      = "line-padded";
  PetscInt local = PETSC_DECIDE, global = group_.order();
  PetscCall(PetscSplitOwnership(comm_, &local, &global));
  localN_ = local;
  PetscCallMPI(MPI_Scan(&local, &start_, 1, MPIU_INT, MPI_SUM, comm_));
  start_ -= local;
  PetscCall(VecCreateMPI(comm_, static_cast<PetscInt>(lineLocal_), transformLength_, padded_.address()));
  VecHandle state;
  PetscCall(createVec(state.address()));
  ISHandle is;
  PetscCall(ISCreateStride(comm_, localN_, start_, 1, is.address()));
  PetscCall(VecScatterCreate(state, is, padded_, is, embed_.address()));
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::createVec(Vec *v) const {
  PetscFunctionBeginUser;
  PetscCall(VecCreate(comm_, v));
  PetscCall(VecSetSizes(*v, localN_, group_.order()));
  PetscCall(VecSetType(*v, VECSTANDARD));
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::setKernel(Vec w) {
  const PetscScalar *wa = nullptr;
  PetscFunctionBeginUser;
  // w(e) sits on whichever rank owns index 0.
  double we = 0;
  PetscCall(VecGetArrayRead(w, &wa));
  if (start_ == 0 && localN_ > 0) we = wa[0];
  PetscCall(VecRestoreArrayRead(w, &wa));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &we, 1, MPI_DOUBLE, MPI_SUM, comm_));
  diagonal_     = we / static_cast<double>(group_.order());
  scalarKernel_ = we;
  if (strategy_ == "scalar") PetscFunctionReturn(0);

  const double scale = 1.0 / (static_cast<double>(transformLength_) * static_cast<double>(group_.order()));
  spectrum_.reset(fftw_alloc_complex(static_cast<size_t>(std::max<ptrdiff_t>(complexCount_, 1))));
  fftw_complex *c = nullptr;
  if (strategy_ == "serial") {
    PetscCall(VecGetArrayRead(w, &wa));
    std::copy(wa, wa + localN_, real_.get());
    PetscCall(VecRestoreArrayRead(w, &wa));
    fftw_execute(forward_);
    c = complex_.get();
  } else if (strategy_ == "slab") {
    PetscCall(VecGetArrayRead(w, &wa));
    for (ptrdiff_t r = 0; r < localN_ / rowLength_; ++r)
      std::copy(wa + r * rowLength_, wa + (r + 1) * rowLength_, real_.get() + r * paddedRow_);
    PetscCall(VecRestoreArrayRead(w, &wa));
    fftw_execute(forward_);
    c = reinterpret_cast<fftw_complex *>(real_.get());
  } else { // line, line-padded
    VecHandle u;
    const PetscScalar *ua = nullptr;
    if (strategy_ == "line-padded") {
      // u(m) = w(m) for 0 <= m < N and u(M-k) = w(N-k) for 1 <= k < N: the circular convolution on Z_M of u
      // with the zero-padded state equals the one on Z_N in its first N entries (no wrap-around since M >=
      // 2N-1).
      const PetscInt n = group_.order(), m = transformLength_;
      std::vector<PetscInt> from, to;
      for (PetscInt g = start_; g < start_ + localN_; ++g) {
        from.push_back(g);
        to.push_back(g);
        if (g >= 1) {
          from.push_back(g);
          to.push_back(m - n + g);
        }
      }
      ISHandle isFrom, isTo;
      PetscCall(ISCreateGeneral(comm_, static_cast<PetscInt>(from.size()), from.data(), PETSC_COPY_VALUES,
                                isFrom.address()));
      PetscCall(ISCreateGeneral(comm_, static_cast<PetscInt>(to.size()), to.data(), PETSC_COPY_VALUES,
                                isTo.address()));
      PetscCall(VecDuplicate(padded_, u.address()));
      PetscCall(VecSet(u, 0.0));
      ScatterHandle sc;
      PetscCall(VecScatterCreate(w, isFrom, u, isTo, sc.address()));
      PetscCall(VecScatterBegin(sc, w, u, INSERT_VALUES, SCATTER_FORWARD));
      PetscCall(VecScatterEnd(sc, w, u, INSERT_VALUES, SCATTER_FORWARD));
      PetscCall(VecGetArrayRead(u, &ua));
    } else {
      PetscCall(VecGetArrayRead(w, &ua));
    }
    for (ptrdiff_t i = 0; i < lineLocal_; ++i) {
      complex_[i][0] = ua[i];
      complex_[i][1] = 0.0;
    }
    PetscCall(VecRestoreArrayRead(u ? u.get() : w, &ua));
    fftw_execute(forward_);
    c = complex_.get();
  }
  double maxRe = 0, maxIm = 0;
  for (ptrdiff_t i = 0; i < complexCount_; ++i) {
    spectrum_[i][0] = c[i][0] * scale;
    spectrum_[i][1] = c[i][1] * scale;
    maxRe           = std::max(maxRe, std::abs(spectrum_[i][0]));
    maxIm           = std::max(maxIm, std::abs(spectrum_[i][1]));
  }
  // An even kernel (w(g^-1) = w(g): cosine, von Mises, Mexican hat) has a real spectrum: the product then
  // needs two real multiplications per mode instead of a complex one. Decided collectively.
  double extremes[2] = {maxRe, maxIm};
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, extremes, 2, MPI_DOUBLE, MPI_MAX, comm_));
  realSpectrum_ = extremes[1] <= 1e-14 * extremes[0];
  if (realSpectrum_) {
    realSpectrumValues_.reset(fftw_alloc_real(static_cast<size_t>(std::max<ptrdiff_t>(complexCount_, 1))));
    for (ptrdiff_t i = 0; i < complexCount_; ++i)
      realSpectrumValues_[i] = spectrum_[i][0];
    spectrum_.reset(); // only the real part is used from now on
  } else {
    realSpectrumValues_.reset();
  }
  PetscFunctionReturn(0);
}

void GroupConvolution::multiplyBySpectrum(fftw_complex *c) const {
  if (realSpectrum_) {
    const double *r = realSpectrumValues_.get();
    double *z       = &c[0][0];
    for (ptrdiff_t i = 0; i < complexCount_; ++i) {
      z[2 * i] *= r[i];
      z[2 * i + 1] *= r[i];
    }
    return;
  }
  const fftw_complex *s = spectrum_.get();
  for (ptrdiff_t i = 0; i < complexCount_; ++i) {
    const double re = c[i][0] * s[i][0] - c[i][1] * s[i][1];
    const double im = c[i][0] * s[i][1] + c[i][1] * s[i][0];
    c[i][0]         = re;
    c[i][1]         = im;
  }
}

PetscErrorCode GroupConvolution::apply(Vec x, Vec y) {
  const PetscScalar *xa = nullptr;
  PetscScalar *ya       = nullptr;
  PetscFunctionBeginUser;
  PetscCheck(spectrum_ || realSpectrumValues_ || strategy_ == "scalar", comm_, PETSC_ERR_ORDER,
             "GroupConvolution: setKernel() not called");
  if (strategy_ == "scalar") {
    PetscCall(VecCopy(x, y));
    PetscCall(VecScale(y, scalarKernel_));
    PetscFunctionReturn(0);
  }
  if (strategy_ == "serial") {
    PetscCall(VecGetArrayRead(x, &xa));
    PetscCall(VecGetArray(y, &ya));
    // Out of place straight from the Vec when its alignment matches the planned arrays (FFTW's new-array
    // rule).
    if (fftw_alignment_of(const_cast<double *>(xa)) == fftw_alignment_of(real_.get())) {
      fftw_execute_dft_r2c(forward_, const_cast<double *>(xa), complex_.get());
    } else {
      std::copy(xa, xa + localN_, real_.get());
      fftw_execute(forward_);
    }
    multiplyBySpectrum(complex_.get());
    if (fftw_alignment_of(ya) == fftw_alignment_of(real_.get())) {
      fftw_execute_dft_c2r(backward_, complex_.get(), ya);
    } else {
      fftw_execute(backward_);
      std::copy(real_.get(), real_.get() + localN_, ya);
    }
    PetscCall(VecRestoreArrayRead(x, &xa));
    PetscCall(VecRestoreArray(y, &ya));
    PetscFunctionReturn(0);
  }
  if (strategy_ == "slab") {
    const ptrdiff_t rows = localN_ / rowLength_;
    PetscCall(VecGetArrayRead(x, &xa));
    for (ptrdiff_t r = 0; r < rows; ++r)
      std::memcpy(real_.get() + r * paddedRow_, xa + r * rowLength_, sizeof(double) * rowLength_);
    PetscCall(VecRestoreArrayRead(x, &xa));
    fftw_execute(forward_);
    multiplyBySpectrum(reinterpret_cast<fftw_complex *>(real_.get()));
    fftw_execute(backward_);
    PetscCall(VecGetArray(y, &ya));
    for (ptrdiff_t r = 0; r < rows; ++r)
      std::memcpy(ya + r * rowLength_, real_.get() + r * paddedRow_, sizeof(double) * rowLength_);
    PetscCall(VecRestoreArray(y, &ya));
    PetscFunctionReturn(0);
  }
  // line strategies: complex transform of a real signal.
  const bool padded = strategy_ == "line-padded";
  if (padded) {
    PetscCall(VecSet(padded_, 0.0));
    PetscCall(VecScatterBegin(embed_, x, padded_, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(embed_, x, padded_, INSERT_VALUES, SCATTER_FORWARD));
  }
  PetscCall(VecGetArrayRead(padded ? padded_.get() : x, &xa));
  for (ptrdiff_t i = 0; i < lineLocal_; ++i) {
    complex_[i][0] = xa[i];
    complex_[i][1] = 0.0;
  }
  PetscCall(VecRestoreArrayRead(padded ? padded_.get() : x, &xa));
  fftw_execute(forward_);
  multiplyBySpectrum(complex_.get());
  fftw_execute(backward_);
  PetscCall(VecGetArray(padded ? padded_.get() : y, &ya));
  for (ptrdiff_t i = 0; i < lineLocal_; ++i)
    ya[i] = complex_[i][0];
  PetscCall(VecRestoreArray(padded ? padded_.get() : y, &ya));
  if (padded) {
    PetscCall(VecScatterBegin(embed_, padded_, y, INSERT_VALUES, SCATTER_REVERSE));
    PetscCall(VecScatterEnd(embed_, padded_, y, INSERT_VALUES, SCATTER_REVERSE));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::createMat(Mat *J) {
  PetscFunctionBeginUser;
  PetscCall(MatCreateShell(comm_, localN_, localN_, group_.order(), group_.order(), this, J));
  PetscCall(MatShellSetOperation(*J, MATOP_MULT, reinterpret_cast<void (*)(void)>(convolutionMult)));
  PetscCall(
      MatShellSetOperation(*J, MATOP_GET_DIAGONAL, reinterpret_cast<void (*)(void)>(convolutionDiagonal)));
  PetscFunctionReturn(0);
}

std::size_t GroupConvolution::memoryBytes() const {
  const std::size_t modes = static_cast<std::size_t>(std::max<ptrdiff_t>(complexCount_, 0));
  std::size_t bytes       = realSpectrum_ ? sizeof(double) * modes : sizeof(fftw_complex) * modes;
  if (strategy_ == "serial") bytes += sizeof(double) * realCount_ + sizeof(fftw_complex) * complexCount_;
  if (strategy_ == "slab") bytes += sizeof(double) * 2 * allocComplex_;
  if (strategy_.rfind("line", 0) == 0) bytes += sizeof(fftw_complex) * allocComplex_;
  if (strategy_ == "line-padded") bytes += sizeof(double) * lineLocal_;
  return bytes;
}

} // namespace eqrnn
