#include "operators/group_convolution.hpp"

#include <petscao.h>
#include <algorithm>
#include <cmath>
#include <cstring>

namespace eqrnn {

namespace detail {
// The per-frequency M x M block product, kBlockChunk frequencies at a time with real and imaginary parts
// split so the innermost loop (over the chunk's frequencies) is a plain vector loop. z: [nFreq][M] complex,
// interleaved, overwritten; kre/kim: the kernel spectra chunk-major, [chunk][component][kBlockChunk];
// scratch: 4 M kBlockChunk doubles. Compiled for AVX-512, AVX2 and the baseline; the loader picks one (GCC
// target_clones), so the default build stays portable.
__attribute__((target_clones("avx512f", "avx2", "default"))) void
blockProductChunks(double *z, ptrdiff_t nFreq, ptrdiff_t fs, ptrdiff_t cs, int M, const int *table,
                   std::size_t K, const double *kre, const double *kim, double *scratch) {
  constexpr int F = kBlockChunk;
  static_assert(F == 8, "the vector type below holds 8 doubles");
  double *zr = scratch, *zi = zr + M * F, *outRe = zi + M * F, *outIm = outRe + M * F;
  for (ptrdiff_t f0 = 0; f0 < nFreq; f0 += F) {
    const int n = static_cast<int>(std::min<ptrdiff_t>(F, nFreq - f0));
    for (int j = 0; j < M; ++j)
      for (int f = 0; f < F; ++f) {
        zr[j * F + f] = f < n ? z[2 * ((f0 + f) * fs + j * cs)] : 0.0;
        zi[j * F + f] = f < n ? z[2 * ((f0 + f) * fs + j * cs) + 1] : 0.0;
      }
    const double *cr = kre + static_cast<std::size_t>(f0 / F) * K * F;
    const double *ci = kim + static_cast<std::size_t>(f0 / F) * K * F;
    for (int i = 0; i < M; ++i) {
      // GCC vector extensions: one 8-wide register with AVX-512, split into halves or quarters otherwise.
      using Vec8 = double __attribute__((vector_size(8 * sizeof(double))));
      Vec8 ar = {0, 0, 0, 0, 0, 0, 0, 0}, ai = ar, kr, ki, xr, xi;
      for (int j = 0; j < M; ++j) {
        const std::size_t at = static_cast<std::size_t>(table[i * M + j]) * F;
        std::memcpy(&kr, cr + at, sizeof kr);
        std::memcpy(&ki, ci + at, sizeof ki);
        std::memcpy(&xr, zr + j * F, sizeof xr);
        std::memcpy(&xi, zi + j * F, sizeof xi);
        ar += kr * xr - ki * xi;
        ai += kr * xi + ki * xr;
      }
      std::memcpy(outRe + i * F, &ar, sizeof ar);
      std::memcpy(outIm + i * F, &ai, sizeof ai);
    }
    for (int f = 0; f < n; ++f)
      for (int i = 0; i < M; ++i) {
        z[2 * ((f0 + f) * fs + i * cs)]     = outRe[i * F + f];
        z[2 * ((f0 + f) * fs + i * cs) + 1] = outIm[i * F + f];
      }
  }
}
} // namespace detail

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
  PetscCall(conv->fillDiagonal(d));
  PetscFunctionReturn(0);
}
} // namespace

const char *strategyName(ConvolutionStrategy strategy) {
  switch (strategy) {
  case ConvolutionStrategy::Dense:
    return "dense";
  case ConvolutionStrategy::Serial:
    return "serial";
  case ConvolutionStrategy::Slab:
    return "slab";
  case ConvolutionStrategy::Line:
    return "line";
  case ConvolutionStrategy::LinePadded:
    return "line-padded";
  case ConvolutionStrategy::LineReal:
    return "line-real";
  }
  return "unknown";
}

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

ConvolutionEngine::~ConvolutionEngine() = default;

PetscErrorCode ConvolutionEngine::create(MPI_Comm comm, const Group &group, PetscInt channels,
                                         FftPlanner planner, std::shared_ptr<ConvolutionEngine> *out) {
  PetscMPIInt size = 1;
  PetscFunctionBeginUser;
  PetscCheck(channels >= 1, comm, PETSC_ERR_USER_INPUT, "channels must be >= 1, got %" PetscInt_FMT,
             channels);
  std::shared_ptr<ConvolutionEngine> conv(new ConvolutionEngine());
  conv->comm_      = comm;
  conv->group_     = group;
  conv->channels_  = channels;
  conv->blockM_    = group.quotientOrder() * channels;
  conv->kernelM_   = conv->blockM_ * channels;
  const auto &axes = group.axisOrders();
  for (std::size_t i = 0; i < axes.size(); ++i)
    if (axes[i] > 1) {
      conv->dims_.push_back(axes[i]);
      conv->dimAxis_.push_back(i);
    }
  conv->transformLength_ = group.axisCount();
  conv->setupBlockTable();
  conv->freqStride_ = conv->blockM_; // interleaved spectra unless a strategy says otherwise
  conv->compStride_ = 1;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  const unsigned flags = plannerFlags(planner);
  if (conv->dims_.empty())
    PetscCall(conv->setupDense());
  else if (size == 1)
    PetscCall(conv->setupSerial(flags));
  else if (conv->dims_.size() >= 2)
    PetscCall(conv->setupSlab(flags));
  else
    PetscCall(conv->setupLine(flags));
  conv->blockScratch_.resize(static_cast<std::size_t>(4 * conv->blockM_ * kBlockChunk));
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

void ConvolutionEngine::setupBlockTable() {
  const PetscInt Q = group_.quotientOrder(), C = channels_, M = blockM_;
  // Reflection pattern of each finite part p: which transformed axes sigma_p flips.
  patternOf_.assign(static_cast<std::size_t>(Q), 0);
  for (PetscInt p = 0; p < Q; ++p) {
    unsigned bits = 0;
    for (std::size_t i = 0; i < dims_.size(); ++i)
      if (group_.flipsAxis(p, dimAxis_[i])) bits |= 1u << i;
    auto it = std::find(patterns_.begin(), patterns_.end(), bits);
    if (it == patterns_.end()) it = patterns_.insert(patterns_.end(), bits);
    patternOf_[p] = static_cast<int>(it - patterns_.begin());
  }
  kernelComponents_ = patterns_.size() * static_cast<std::size_t>(kernelM_);
  // Output (q, c) from input (p, c'): kernel component (pattern of p, s = p^-1 q, c, c').
  blockTable_.assign(static_cast<std::size_t>(M * M), 0);
  for (PetscInt q = 0; q < Q; ++q)
    for (PetscInt p = 0; p < Q; ++p) {
      const PetscInt s = group_.quotientMultiply(group_.quotientInverse(p), q);
      for (PetscInt c = 0; c < C; ++c)
        for (PetscInt cp = 0; cp < C; ++cp)
          blockTable_[(q * C + c) * M + p * C + cp] =
              static_cast<int>(patternOf_[p] * kernelM_ + (s * C + c) * C + cp);
    }
}

PetscErrorCode ConvolutionEngine::setupDense() {
  PetscMPIInt rank = 0;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  strategy_ = ConvolutionStrategy::Dense;
  localN_   = rank == 0 ? blockM_ : 0;
  start_    = 0;
  nFreq_    = rank == 0 ? 1 : 0;
  complex_.reset(fftw_alloc_complex(static_cast<size_t>(blockM_)));
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::setupSerial(unsigned flags) {
  PetscFunctionBeginUser;
  strategy_   = ConvolutionStrategy::Serial;
  const int d = static_cast<int>(dims_.size()), M = static_cast<int>(blockM_);
  std::vector<int> n(dims_.begin(), dims_.end());
  localN_ = group_.order() * channels_;
  start_  = 0;
  nFreq_  = group_.axisCount() / dims_.back() * (dims_.back() / 2 + 1);
  if (M == 1) {
    // Rings and tori: in place in one padded buffer (rows of 2 (n/2 + 1) doubles), as the slab strategy: the
    // products copy into it anyway (through phi), and one buffer is half the memory of two.
    inPlace_   = true;
    rowLength_ = dims_.back();
    paddedRow_ = 2 * (dims_.back() / 2 + 1);
    real_.reset(fftw_alloc_real(static_cast<size_t>(localN_ / rowLength_ * paddedRow_)));
    auto *c     = reinterpret_cast<fftw_complex *>(real_.get());
    freqStride_ = 1;
    compStride_ = 1;
    forward_    = FftwPlan(fftw_plan_dft_r2c(d, n.data(), real_.get(), c, flags));
    backward_   = FftwPlan(fftw_plan_dft_c2r(d, n.data(), c, real_.get(), flags));
  } else {
    real_.reset(fftw_alloc_real(static_cast<size_t>(localN_)));
    complex_.reset(fftw_alloc_complex(static_cast<size_t>(nFreq_ * M)));
    // M interleaved components in the state (stride M, distance 1); the spectrum component-major (stride 1,
    // distance nFreq) so the block product reads each component's frequencies contiguously.
    freqStride_ = 1;
    compStride_ = nFreq_;
    forward_    = FftwPlan(fftw_plan_many_dft_r2c(d, n.data(), M, real_.get(), nullptr, M, 1, complex_.get(),
                                                  nullptr, 1, static_cast<int>(nFreq_), flags));
    backward_   = FftwPlan(fftw_plan_many_dft_c2r(d, n.data(), M, complex_.get(), nullptr, 1,
                                                  static_cast<int>(nFreq_), real_.get(), nullptr, M, 1, flags));
  }
  PetscCheck(forward_ && backward_, comm_, PETSC_ERR_LIB, "FFTW could not plan a transform for group %s",
             group_.spec().c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::setupSlab(unsigned flags) {
  PetscFunctionBeginUser;
  strategy_         = ConvolutionStrategy::Slab;
  const int d       = static_cast<int>(dims_.size());
  const ptrdiff_t M = blockM_;
  std::vector<ptrdiff_t> nc(dims_);
  nc.back()     = dims_.back() / 2 + 1;
  ptrdiff_t ln0 = 0, l0s = 0, ln1 = 0, l1s = 0;
  allocComplex_ = fftw_mpi_local_size_many_transposed(d, nc.data(), M, FFTW_MPI_DEFAULT_BLOCK,
                                                      FFTW_MPI_DEFAULT_BLOCK, comm_, &ln0, &l0s, &ln1, &l1s);
  real_.reset(fftw_alloc_real(static_cast<size_t>(2 * std::max<ptrdiff_t>(allocComplex_, 1))));
  auto *c = reinterpret_cast<fftw_complex *>(real_.get());
  forward_ =
      FftwPlan(fftw_mpi_plan_many_dft_r2c(d, dims_.data(), M, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK,
                                          real_.get(), c, comm_, flags | FFTW_MPI_TRANSPOSED_OUT));
  backward_ =
      FftwPlan(fftw_mpi_plan_many_dft_c2r(d, dims_.data(), M, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK,
                                          c, real_.get(), comm_, flags | FFTW_MPI_TRANSPOSED_IN));
  PetscCheck(forward_ && backward_, comm_, PETSC_ERR_LIB, "FFTW-MPI could not plan a transform for group %s",
             group_.spec().c_str());
  ptrdiff_t rest = 1, restComplex = 1;
  for (int k = 1; k < d; ++k)
    rest *= dims_[k];
  for (int k = 2; k < d; ++k)
    restComplex *= nc[k];
  localN_    = static_cast<PetscInt>(ln0 * rest * M);
  start_     = static_cast<PetscInt>(l0s * rest * M);
  nFreq_     = ln1 * dims_[0] * restComplex; // transposed: n1 x n0 x n2 ... distributed along n1
  rowLength_ = dims_.back() * M;
  paddedRow_ = 2 * (dims_.back() / 2 + 1) * M;
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::setupLineReal(unsigned flags, bool *ok) {
  const ptrdiff_t n = dims_[0], h = n / 2;
  ptrdiff_t li = 0, lis = 0, lo = 0, los = 0, bi = 0, bis = 0, bo = 0, bos = 0;
  PetscFunctionBeginUser;
  *ok = false;
  const ptrdiff_t alloc =
      fftw_mpi_local_size_1d(h, comm_, FFTW_FORWARD, FFTW_MPI_SCRAMBLED_OUT, &li, &lis, &lo, &los);
  fftw_mpi_local_size_1d(h, comm_, FFTW_BACKWARD, FFTW_MPI_SCRAMBLED_IN, &bi, &bis, &bo, &bos);
  const ptrdiff_t room = (flags & FFTW_ESTIMATE) ? alloc : std::max<ptrdiff_t>(alloc, h); // see setupLine
  complex_.reset(fftw_alloc_complex(static_cast<size_t>(std::max<ptrdiff_t>(room, 1))));
  forward_  = FftwPlan(fftw_mpi_plan_dft_1d(h, complex_.get(), complex_.get(), comm_, FFTW_FORWARD,
                                            flags | FFTW_MPI_SCRAMBLED_OUT));
  backward_ = FftwPlan(fftw_mpi_plan_dft_1d(h, complex_.get(), complex_.get(), comm_, FFTW_BACKWARD,
                                            flags | FFTW_MPI_SCRAMBLED_IN));
  int good  = forward_ && backward_ && bi == lo && bis == los && bo == li && bos == lis;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &good, 1, MPI_INT, MPI_MIN, comm_));
  if (!good) {
    forward_  = FftwPlan();
    backward_ = FftwPlan();
    PetscFunctionReturn(0);
  }
  strategy_        = ConvolutionStrategy::LineReal;
  allocComplex_    = room;
  transformLength_ = static_cast<PetscInt>(n);
  lineLocal_       = li;
  lineStart_       = lis;
  nFreq_           = lo;
  localN_          = static_cast<PetscInt>(2 * li);
  start_           = static_cast<PetscInt>(2 * lis);
  // Each local position's frequency, read off the transform of z = e_1 (neuron 2): Z_k = e^{-2 pi i k / h}.
  for (ptrdiff_t i = 0; i < room; ++i)
    complex_[i][0] = complex_[i][1] = 0.0;
  if (lis <= 1 && 1 < lis + li) complex_[1 - lis][0] = 1.0;
  fftw_execute(forward_);
  packedFreq_.resize(static_cast<std::size_t>(lo));
  int consistent = 1;
  for (ptrdiff_t p = 0; p < lo; ++p) {
    const double turns = -std::atan2(complex_[p][1], complex_[p][0]) / (2 * M_PI) * static_cast<double>(h);
    const long k       = std::lround(turns);
    if (std::abs(std::hypot(complex_[p][0], complex_[p][1]) - 1.0) > 1e-6 ||
        std::abs(turns - static_cast<double>(k)) > 1e-3)
      consistent = 0;
    packedFreq_[static_cast<std::size_t>(p)] = static_cast<PetscInt>(((k % h) + h) % h);
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &consistent, 1, MPI_INT, MPI_MIN, comm_));
  PetscCheck(consistent, comm_, PETSC_ERR_PLIB, "line-real: the transform of an impulse is not a pure phase");
  // The partner of frequency k is h - k (mod h): where it lives, from an application ordering (frequency ->
  // global position of the scrambled output).
  PetscInt offset = 0, count = static_cast<PetscInt>(lo);
  PetscCallMPI(MPI_Exscan(&count, &offset, 1, MPIU_INT, MPI_SUM, comm_));
  PetscMPIInt rank = 0;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  if (rank == 0) offset = 0;
  // At least one element each: a rank with no frequencies must still pass non-null arrays (PETSc reads a null
  // one as the natural ordering and takes another, collective, path).
  const std::size_t slots = std::max<std::size_t>(static_cast<std::size_t>(lo), 1);
  std::vector<PetscInt> app(slots, 0), position(slots, 0), partner(slots, 0), mine(slots, 0);
  std::copy(packedFreq_.begin(), packedFreq_.end(), app.begin());
  for (ptrdiff_t p = 0; p < lo; ++p) {
    position[static_cast<std::size_t>(p)] = offset + static_cast<PetscInt>(p);
    mine[static_cast<std::size_t>(p)]     = offset + static_cast<PetscInt>(p);
    partner[static_cast<std::size_t>(p)] =
        static_cast<PetscInt>((h - packedFreq_[static_cast<std::size_t>(p)]) % h);
  }
  AO ao = nullptr;
  PetscCall(AOCreateMemoryScalable(comm_, count, app.data(), position.data(), &ao));
  PetscCall(AOApplicationToPetsc(ao, count, partner.data()));
  PetscCall(AODestroy(&ao));
  partner_.reset(fftw_alloc_complex(static_cast<size_t>(std::max<ptrdiff_t>(lo, 1))));
  PetscCall(
      VecCreateMPIWithArray(comm_, 2, 2 * count, PETSC_DECIDE, &complex_[0][0], spectrumVec_.address()));
  PetscCall(VecCreateMPIWithArray(comm_, 2, 2 * count, PETSC_DECIDE, &partner_[0][0], partnerVec_.address()));
  ISHandle from, to;
  PetscCall(ISCreateBlock(comm_, 2, count, partner.data(), PETSC_COPY_VALUES, from.address()));
  PetscCall(ISCreateBlock(comm_, 2, count, mine.data(), PETSC_COPY_VALUES, to.address()));
  PetscCall(VecScatterCreate(spectrumVec_, from, partnerVec_, to, partnerScatter_.address()));
  *ok = true;
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::exchangePartners() {
  PetscFunctionBeginUser;
  PetscCall(VecScatterBegin(partnerScatter_, spectrumVec_, partnerVec_, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(partnerScatter_, spectrumVec_, partnerVec_, INSERT_VALUES, SCATTER_FORWARD));
  PetscFunctionReturn(0);
}

Complex ConvolutionEngine::packedTwiddle(ptrdiff_t p) const {
  const double angle = -2.0 * M_PI * static_cast<double>(packedFreq_[static_cast<std::size_t>(p)]) /
                       static_cast<double>(transformLength_);
  return std::polar(1.0, angle);
}

void ConvolutionEngine::packedFactors(Complex w1, Complex w2, ptrdiff_t p, fftw_complex alpha,
                                      fftw_complex beta) const {
  // With t = e^{-2 pi i k / N}: X_k = A + B, X_{k+h} = A - B for A = (Z + Zc)/2, B = -i t (Z - Zc)/2
  // (Zc = conj Z_{h-k}); Y = W X; V = (Y_k + Y_{k+h}) + i conj(t) (Y_k - Y_{k+h}), whose inverse transform
  // of length h is y_2j + i y_2j+1. Collected: V = alpha Z + beta Zc.
  const Complex I(0.0, 1.0), t = packedTwiddle(p), tc = std::conj(t);
  const Complex a = (1.0 + I * tc) * w1 * (0.5 * (1.0 - I * t)) + (1.0 - I * tc) * w2 * (0.5 * (1.0 + I * t));
  const Complex b = (1.0 + I * tc) * w1 * (0.5 * (1.0 + I * t)) + (1.0 - I * tc) * w2 * (0.5 * (1.0 - I * t));
  alpha[0]        = a.real();
  alpha[1]        = a.imag();
  beta[0]         = b.real();
  beta[1]         = b.imag();
}

void ConvolutionEngine::packedProduct(const fftw_complex *alpha, const fftw_complex *beta,
                                      fftw_complex *c) const {
  for (ptrdiff_t p = 0; p < nFreq_; ++p) {
    const double zr = c[p][0], zi = c[p][1], pr = partner_[p][0], pi = -partner_[p][1]; // conj(partner)
    c[p][0] = alpha[p][0] * zr - alpha[p][1] * zi + beta[p][0] * pr - beta[p][1] * pi;
    c[p][1] = alpha[p][0] * zi + alpha[p][1] * zr + beta[p][0] * pi + beta[p][1] * pr;
  }
}

PetscErrorCode ConvolutionEngine::setupLine(unsigned flags) {
  const ptrdiff_t n = dims_[0], M = blockM_;
  PetscFunctionBeginUser;
  if (M == 1 && n % 2 == 0 && n >= 4) {
    bool packed = false;
    PetscCall(setupLineReal(flags, &packed));
    if (packed) PetscFunctionReturn(0);
  }
  strategy_ = ConvolutionStrategy::Line;
  // The direct length first; if FFTW-MPI cannot split it, the smallest smooth L >= 2N-1 that it can.
  std::vector<ptrdiff_t> candidates{n};
  for (ptrdiff_t m : smoothLengthsFrom(2 * n - 1, 64))
    candidates.push_back(m);
  for (ptrdiff_t m : candidates) {
    ptrdiff_t li = 0, lis = 0, lo = 0, los = 0, bi = 0, bis = 0, bo = 0, bos = 0;
    const ptrdiff_t alloc =
        fftw_mpi_local_size_many_1d(m, M, comm_, FFTW_FORWARD, FFTW_MPI_SCRAMBLED_OUT, &li, &lis, &lo, &los);
    fftw_mpi_local_size_many_1d(m, M, comm_, FFTW_BACKWARD, FFTW_MPI_SCRAMBLED_IN, &bi, &bis, &bo, &bos);
    // FFTW-MPI's measure and patient planners time candidate 1-D plans that write past the allocation
    // fftw_mpi_local_size_many_1d returns (FFTW 3.3.10: lengths 2q, q prime, on 3 or more ranks, where a rank
    // that owns nothing is given room for up to m M / 2 values; found under valgrind by the planner tests of
    // tests/unit/test_convolution.cpp). The plans they choose stay within it, the planning does not; estimate
    // never touches the array. So the timed planners get the whole transform's length as room (for a ring,
    // m M values per rank).
    const ptrdiff_t room = (flags & FFTW_ESTIMATE) ? alloc : std::max<ptrdiff_t>(alloc, m * M);
    complex_.reset(fftw_alloc_complex(static_cast<size_t>(std::max<ptrdiff_t>(room, 1))));
    forward_  = FftwPlan(fftw_mpi_plan_many_dft(1, &m, M, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK,
                                                complex_.get(), complex_.get(), comm_, FFTW_FORWARD,
                                                flags | FFTW_MPI_SCRAMBLED_OUT));
    backward_ = FftwPlan(fftw_mpi_plan_many_dft(1, &m, M, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK,
                                                complex_.get(), complex_.get(), comm_, FFTW_BACKWARD,
                                                flags | FFTW_MPI_SCRAMBLED_IN));
    // The product needs the backward input layout to be the forward output layout and vice versa.
    int ok = forward_ && backward_ && bi == lo && bis == los && bo == li && bos == lis;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm_));
    if (!ok) continue;
    allocComplex_    = room;
    transformLength_ = static_cast<PetscInt>(m);
    lineLocal_       = li;
    lineStart_       = lis;
    nFreq_           = lo;
    break;
  }
  PetscCheck(forward_ && backward_, comm_, PETSC_ERR_LIB, "FFTW-MPI could not plan a 1-D transform for %s",
             group_.spec().c_str());
  if (transformLength_ == n) {
    localN_ = static_cast<PetscInt>(lineLocal_ * M);
    start_  = static_cast<PetscInt>(lineStart_ * M);
    PetscFunctionReturn(0);
  }
  // Padded: the state keeps a balanced layout (whole axis points) and is scattered into the first N points of
  // length L.
  strategy_      = ConvolutionStrategy::LinePadded;
  PetscInt local = PETSC_DECIDE, global = static_cast<PetscInt>(n);
  PetscCall(PetscSplitOwnership(comm_, &local, &global));
  PetscCallMPI(MPI_Scan(&local, &start_, 1, MPIU_INT, MPI_SUM, comm_));
  start_  = (start_ - local) * static_cast<PetscInt>(M);
  localN_ = local * static_cast<PetscInt>(M);
  PetscCall(VecCreateMPI(comm_, static_cast<PetscInt>(lineLocal_ * M),
                         transformLength_ * static_cast<PetscInt>(M), padded_.address()));
  VecHandle state;
  PetscCall(createVec(state.address()));
  // embed: point a -> a (zero padding, for states); wrap: also a -> L - N + a for a >= 1 (the kernel's
  // periodic extension u(L-k) = w(N-k): no wrap-around error since L >= 2N-1).
  std::vector<PetscInt> from, to, wfrom, wto;
  for (PetscInt i = start_; i < start_ + localN_; ++i) {
    from.push_back(i);
    to.push_back(i);
    wfrom.push_back(i);
    wto.push_back(i);
    if (i >= M) {
      wfrom.push_back(i);
      wto.push_back(i + (transformLength_ - static_cast<PetscInt>(n)) * static_cast<PetscInt>(M));
    }
  }
  ISHandle isFrom, isTo, iwFrom, iwTo;
  PetscCall(ISCreateGeneral(comm_, static_cast<PetscInt>(from.size()), from.data(), PETSC_COPY_VALUES,
                            isFrom.address()));
  PetscCall(
      ISCreateGeneral(comm_, static_cast<PetscInt>(to.size()), to.data(), PETSC_COPY_VALUES, isTo.address()));
  PetscCall(ISCreateGeneral(comm_, static_cast<PetscInt>(wfrom.size()), wfrom.data(), PETSC_COPY_VALUES,
                            iwFrom.address()));
  PetscCall(ISCreateGeneral(comm_, static_cast<PetscInt>(wto.size()), wto.data(), PETSC_COPY_VALUES,
                            iwTo.address()));
  PetscCall(VecScatterCreate(state, isFrom, padded_, isTo, embed_.address()));
  PetscCall(VecScatterCreate(state, iwFrom, padded_, iwTo, wrap_.address()));
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::createVec(Vec *v) const {
  PetscFunctionBeginUser;
  PetscCall(VecCreate(comm_, v));
  PetscCall(VecSetSizes(*v, localN_, size()));
  PetscCall(VecSetType(*v, VECSTANDARD));
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::createKernelVec(Vec *v) const {
  PetscFunctionBeginUser;
  PetscCall(VecCreate(comm_, v));
  PetscCall(VecSetSizes(*v, localN_ * channels_, size() * channels_));
  PetscCall(VecSetType(*v, VECSTANDARD));
  PetscFunctionReturn(0);
}

namespace {
// Copies n values (through the map, if any) from in to out, where `out` is a strided real view: element i at
// out[i * stride]. Mapped values go through a small buffer so that the map runs on contiguous arrays.
void copyStrided(const double *in, double *out, std::size_t n, std::size_t stride, std::size_t offset,
                 const PointwiseMap *map) {
  if (!map) {
    for (std::size_t i = 0; i < n; ++i)
      out[i * stride] = in[i];
    return;
  }
  constexpr std::size_t kChunk = 512;
  double buffer[kChunk];
  for (std::size_t lo = 0; lo < n; lo += kChunk) {
    const std::size_t m = std::min(kChunk, n - lo);
    (*map)(in + lo, buffer, m, offset + lo);
    for (std::size_t i = 0; i < m; ++i)
      out[(lo + i) * stride] = buffer[i];
  }
}

// Contiguous copy through the map (or memcpy without one).
void copyMapped(const double *in, double *out, std::size_t n, std::size_t offset, const PointwiseMap *map) {
  if (map)
    (*map)(in, out, n, offset);
  else
    std::memcpy(out, in, sizeof(double) * n);
}
} // namespace

PetscErrorCode ConvolutionEngine::copyRowsIn(Vec x, const PointwiseMap *map) {
  const PetscScalar *xa = nullptr;
  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(x, &xa));
  for (ptrdiff_t r = 0; r < localN_ / rowLength_; ++r)
    copyMapped(xa + r * rowLength_, real_.get() + r * paddedRow_, static_cast<std::size_t>(rowLength_),
               static_cast<std::size_t>(r * rowLength_), map);
  PetscCall(VecRestoreArrayRead(x, &xa));
  fftw_execute(forward_);
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::copyRowsOut(Vec y, const PointwiseMap *map) {
  PetscScalar *ya = nullptr;
  PetscFunctionBeginUser;
  fftw_execute(backward_);
  PetscCall(VecGetArray(y, &ya));
  for (ptrdiff_t r = 0; r < localN_ / rowLength_; ++r)
    copyMapped(real_.get() + r * paddedRow_, ya + r * rowLength_, static_cast<std::size_t>(rowLength_),
               static_cast<std::size_t>(r * rowLength_), map);
  PetscCall(VecRestoreArray(y, &ya));
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::forward(Vec x, bool periodicEmbedding, fftw_complex **spectrum,
                                          const PointwiseMap *map) {
  const PetscScalar *xa = nullptr;
  PetscFunctionBeginUser;
  switch (strategy_) {
  case ConvolutionStrategy::Dense:
    PetscCall(VecGetArrayRead(x, &xa));
    copyStrided(xa, &complex_[0][0], static_cast<std::size_t>(localN_), 2, 0, map);
    for (PetscInt i = 0; i < localN_; ++i)
      complex_[i][1] = 0.0;
    PetscCall(VecRestoreArrayRead(x, &xa));
    *spectrum = complex_.get();
    break;
  case ConvolutionStrategy::Serial:
    if (inPlace_) {
      PetscCall(copyRowsIn(x, map));
      *spectrum = reinterpret_cast<fftw_complex *>(real_.get());
      break;
    }
    PetscCall(VecGetArrayRead(x, &xa));
    // Unmapped: out of place straight from the Vec when its alignment matches the planned arrays (FFTW's
    // new-array rule).
    if (!map && fftw_alignment_of(const_cast<double *>(xa)) == fftw_alignment_of(real_.get())) {
      fftw_execute_dft_r2c(forward_, const_cast<double *>(xa), complex_.get());
    } else {
      copyMapped(xa, real_.get(), static_cast<std::size_t>(localN_), 0, map);
      fftw_execute(forward_);
    }
    PetscCall(VecRestoreArrayRead(x, &xa));
    *spectrum = complex_.get();
    break;
  case ConvolutionStrategy::Slab:
    PetscCall(copyRowsIn(x, map));
    *spectrum = reinterpret_cast<fftw_complex *>(real_.get());
    break;
  case ConvolutionStrategy::LineReal: // the state's neuron pairs are the complex input
    PetscCall(VecGetArrayRead(x, &xa));
    copyMapped(xa, &complex_[0][0], static_cast<std::size_t>(localN_), 0, map);
    PetscCall(VecRestoreArrayRead(x, &xa));
    fftw_execute(forward_);
    *spectrum = complex_.get();
    break;
  case ConvolutionStrategy::Line:
  case ConvolutionStrategy::LinePadded: { // complex transform of a real signal
    const bool padded = strategy_ == ConvolutionStrategy::LinePadded;
    if (padded) {
      // The map reads the state layout: apply it before the scatter (the padding stays 0, not map(0)).
      Vec from = x;
      if (map) {
        if (!mapped_) PetscCall(createVec(mapped_.address()));
        PetscScalar *ma = nullptr;
        PetscCall(VecGetArrayRead(x, &xa));
        PetscCall(VecGetArray(mapped_, &ma));
        (*map)(xa, ma, static_cast<std::size_t>(localN_), 0);
        PetscCall(VecRestoreArray(mapped_, &ma));
        PetscCall(VecRestoreArrayRead(x, &xa));
        from = mapped_;
      }
      VecScatter sc = periodicEmbedding ? wrap_.get() : embed_.get();
      PetscCall(VecSet(padded_, 0.0));
      PetscCall(VecScatterBegin(sc, from, padded_, INSERT_VALUES, SCATTER_FORWARD));
      PetscCall(VecScatterEnd(sc, from, padded_, INSERT_VALUES, SCATTER_FORWARD));
    }
    PetscCall(VecGetArrayRead(padded ? padded_.get() : x, &xa));
    copyStrided(xa, &complex_[0][0], static_cast<std::size_t>(lineLocal_ * blockM_), 2, 0,
                padded ? nullptr : map);
    for (ptrdiff_t i = 0; i < lineLocal_ * blockM_; ++i)
      complex_[i][1] = 0.0;
    PetscCall(VecRestoreArrayRead(padded ? padded_.get() : x, &xa));
    fftw_execute(forward_);
    *spectrum = complex_.get();
    break;
  }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::reflectAxes(Vec w, unsigned pattern, Vec out) const {
  // out(a, rest) = w(sigma a, rest): a permutation of axis points (kernel layout, kernelM_ values per point).
  PetscInt lo = 0, hi = 0;
  PetscFunctionBeginUser;
  if (pattern == 0) {
    PetscCall(VecCopy(w, out));
    PetscFunctionReturn(0);
  }
  PetscCall(VecGetOwnershipRange(out, &lo, &hi));
  std::vector<PetscInt> from(static_cast<std::size_t>(hi - lo)), to(from.size());
  std::vector<PetscInt> stride(dims_.size(), 1);
  for (std::size_t i = dims_.size() - 1; i-- > 0;)
    stride[i] = stride[i + 1] * static_cast<PetscInt>(dims_[i + 1]);
  for (PetscInt k = lo; k < hi; ++k) {
    const PetscInt point = k / kernelM_, rest = k % kernelM_;
    PetscInt source = 0;
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      const PetscInt n = static_cast<PetscInt>(dims_[i]), c = (point / stride[i]) % n;
      source += ((pattern >> i) & 1u ? (n - c) % n : c) * stride[i];
    }
    from[k - lo] = source * kernelM_ + rest;
    to[k - lo]   = k;
  }
  ISHandle isFrom, isTo;
  ScatterHandle sc;
  PetscCall(ISCreateGeneral(comm_, hi - lo, from.data(), PETSC_USE_POINTER, isFrom.address()));
  PetscCall(ISCreateGeneral(comm_, hi - lo, to.data(), PETSC_USE_POINTER, isTo.address()));
  PetscCall(VecScatterCreate(w, isFrom, out, isTo, sc.address()));
  PetscCall(VecScatterBegin(sc, w, out, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, w, out, INSERT_VALUES, SCATTER_FORWARD));
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::keepSpectrum(const fftw_complex *c, double scale,
                                               KernelSpectrum *out) const {
  PetscFunctionBeginUser;
  // An even kernel (w(g^-1) = w(g): cosine, von Mises, Mexican hat) has a real spectrum: two real
  // multiplications per mode instead of a complex one, and half the memory. Decided collectively.
  double extremes[2] = {0, 0};
  for (ptrdiff_t f = 0; f < nFreq_; ++f) {
    extremes[0] = std::max(extremes[0], std::abs(c[f * freqStride_][0] * scale));
    extremes[1] = std::max(extremes[1], std::abs(c[f * freqStride_][1] * scale));
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, extremes, 2, MPI_DOUBLE, MPI_MAX, comm_));
  out->real_ = extremes[1] <= 1e-14 * extremes[0];
  if (out->real_) {
    out->realValues_.reset(fftw_alloc_real(static_cast<size_t>(std::max<ptrdiff_t>(nFreq_, 1))));
    for (ptrdiff_t f = 0; f < nFreq_; ++f)
      out->realValues_[f] = c[f * freqStride_][0] * scale; // only the real part is used from now on
  } else {
    out->complex_.reset(fftw_alloc_complex(static_cast<size_t>(std::max<ptrdiff_t>(nFreq_, 1))));
    for (ptrdiff_t f = 0; f < nFreq_; ++f) {
      out->complex_[f][0] = c[f * freqStride_][0] * scale;
      out->complex_[f][1] = c[f * freqStride_][1] * scale;
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::computeSpectrum(Vec w, KernelSpectrum *s) {
  const PetscScalar *wa = nullptr;
  const PetscInt C = channels_, M = blockM_;
  PetscFunctionBeginUser;
  // w_cc(e) sits on whichever rank owns axis point 0.
  std::vector<double> we(static_cast<std::size_t>(C), 0.0);
  PetscCall(VecGetArrayRead(w, &wa));
  if (start_ == 0 && localN_ > 0)
    for (PetscInt c = 0; c < C; ++c)
      we[c] = wa[c * C + c];
  PetscCall(VecRestoreArrayRead(w, &wa));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, we.data(), static_cast<int>(C), MPI_DOUBLE, MPI_SUM, comm_));
  KernelSpectrum out;
  out.diagonal_.resize(static_cast<std::size_t>(C));
  for (PetscInt c = 0; c < C; ++c)
    out.diagonal_[c] = we[c] / static_cast<double>(group_.order());
  out.modes_      = nFreq_;
  out.components_ = kernelComponents_;

  // Spectra of every kernel component under every reflection pattern, C batches of M components each (the
  // state plan transforms M components at once).
  const double scale  = 1.0 / (static_cast<double>(transformLength_) * static_cast<double>(group_.order()));
  const std::size_t K = kernelComponents_;
  // One component (M = 1, K = 1: rings and tori) is transformed straight from w and its spectrum read off the
  // transform buffer: no copies of w and no interleaved spectrum, so that setting a kernel up needs no more
  // memory than a product.
  if (K == 1) {
    fftw_complex *c = nullptr;
    PetscCall(forward(w, true, &c));
    if (strategy_ == ConvolutionStrategy::LineReal) {
      // Unpack W_k and W_{k+h} from the packed transform of w, and keep them as the product's factors.
      PetscCall(exchangePartners());
      out.complex_.reset(fftw_alloc_complex(static_cast<size_t>(std::max<ptrdiff_t>(nFreq_, 1))));
      out.partnerFactor_.reset(fftw_alloc_complex(static_cast<size_t>(std::max<ptrdiff_t>(nFreq_, 1))));
      const Complex I(0.0, 1.0);
      for (ptrdiff_t p = 0; p < nFreq_; ++p) {
        const Complex z(c[p][0], c[p][1]), zc(partner_[p][0], -partner_[p][1]), t = packedTwiddle(p);
        const Complex a = 0.5 * (z + zc), b = -0.5 * I * t * (z - zc);
        packedFactors(scale * (a + b), scale * (a - b), p, out.complex_[p], out.partnerFactor_[p]);
      }
      *s = std::move(out);
      PetscFunctionReturn(0);
    }
    PetscCall(keepSpectrum(c, scale, &out));
    *s = std::move(out);
    PetscFunctionReturn(0);
  }
  FftwArray<fftw_complex> spectrum(
      fftw_alloc_complex(std::max<std::size_t>(static_cast<std::size_t>(nFreq_) * K, 1)));
  VecHandle reflected, batch;
  PetscCall(VecDuplicate(w, reflected.address()));
  PetscCall(createVec(batch.address()));
  for (std::size_t pi = 0; pi < patterns_.size(); ++pi) {
    PetscCall(reflectAxes(w, patterns_[pi], reflected));
    for (PetscInt b = 0; b < C; ++b) {
      const PetscScalar *ra = nullptr;
      PetscScalar *ba       = nullptr;
      PetscCall(VecGetArrayRead(reflected, &ra));
      PetscCall(VecGetArray(batch, &ba));
      for (PetscInt point = 0; point < localN_ / M; ++point)
        std::copy_n(ra + point * kernelM_ + b * M, M, ba + point * M);
      PetscCall(VecRestoreArray(batch, &ba));
      PetscCall(VecRestoreArrayRead(reflected, &ra));
      fftw_complex *c = nullptr;
      PetscCall(forward(batch, true, &c));
      for (ptrdiff_t f = 0; f < nFreq_; ++f)
        for (PetscInt m = 0; m < M; ++m) {
          fftw_complex &dst = spectrum[f * K + pi * kernelM_ + b * M + m];
          dst[0]            = c[f * freqStride_ + m * compStride_][0] * scale;
          dst[1]            = c[f * freqStride_ + m * compStride_][1] * scale;
        }
    }
  }
  // Chunk-major split copy for the vectorised block product; the interleaved spectrum is not needed after.
  const ptrdiff_t chunks = (nFreq_ + kBlockChunk - 1) / kBlockChunk;
  out.blockRe_.reset(
      fftw_alloc_real(std::max<std::size_t>(static_cast<std::size_t>(chunks) * K * kBlockChunk, 1)));
  out.blockIm_.reset(
      fftw_alloc_real(std::max<std::size_t>(static_cast<std::size_t>(chunks) * K * kBlockChunk, 1)));
  for (ptrdiff_t f = 0; f < chunks * kBlockChunk; ++f)
    for (std::size_t k = 0; k < K; ++k) {
      const std::size_t at = (static_cast<std::size_t>(f / kBlockChunk) * K + k) * kBlockChunk +
                             static_cast<std::size_t>(f % kBlockChunk);
      out.blockRe_[at] =
          f < nFreq_ ? spectrum[f * static_cast<ptrdiff_t>(K) + static_cast<ptrdiff_t>(k)][0] : 0.0;
      out.blockIm_[at] =
          f < nFreq_ ? spectrum[f * static_cast<ptrdiff_t>(K) + static_cast<ptrdiff_t>(k)][1] : 0.0;
    }
  *s = std::move(out);
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::computeSpectrumFromState(Vec y, StateKernel mode, KernelSpectrum *s) {
  VecHandle w;
  const PetscScalar *ya = nullptr;
  PetscScalar *wa       = nullptr;
  const PetscInt C      = channels_;
  PetscFunctionBeginUser;
  PetscCall(createKernelVec(w.address()));
  PetscCall(VecGetArrayRead(y, &ya));
  PetscCall(VecGetArray(w, &wa));
  // The kernel layout holds C values per state value, on the same rank.
  for (PetscInt i = 0; i < localN_; ++i) {
    const PetscInt site = i / C, c = i % C;
    for (PetscInt cp = 0; cp < C; ++cp)
      wa[i * C + cp] = mode == StateKernel::Diagonal ? (cp == c ? ya[i] : 0.0) : ya[site * C + cp];
  }
  PetscCall(VecRestoreArray(w, &wa));
  PetscCall(VecRestoreArrayRead(y, &ya));
  PetscCall(computeSpectrum(w, s));
  PetscFunctionReturn(0);
}

void ConvolutionEngine::multiplyBySpectrum(const KernelSpectrum &s, fftw_complex *c) {
  if (strategy_ == ConvolutionStrategy::LineReal) { // partners exchanged by the caller
    packedProduct(s.complex_.get(), s.partnerFactor_.get(), c);
    return;
  }
  if (s.real_) {
    const double *r = s.realValues_.get();
    double *z       = &c[0][0];
    for (ptrdiff_t i = 0; i < nFreq_; ++i) {
      z[2 * i] *= r[i];
      z[2 * i + 1] *= r[i];
    }
    return;
  }
  const std::size_t K = kernelComponents_;
  const PetscInt M    = blockM_;
  if (K == 1) {
    const fftw_complex *w = s.complex_.get();
    for (ptrdiff_t i = 0; i < nFreq_; ++i) {
      const double re = c[i][0] * w[i][0] - c[i][1] * w[i][1];
      const double im = c[i][0] * w[i][1] + c[i][1] * w[i][0];
      c[i][0]         = re;
      c[i][1]         = im;
    }
    return;
  }
  // Per frequency: out_i = sum_j spectrum[blockTable(i, j)] in_j (an M x M block gathered from the |Q| C^2
  // reflected kernel components).
  detail::blockProductChunks(&c[0][0], nFreq_, freqStride_, compStride_, static_cast<int>(M),
                             blockTable_.data(), K, s.blockRe_.get(), s.blockIm_.get(), blockScratch_.data());
}

PetscErrorCode ConvolutionEngine::apply(const KernelSpectrum &s, Vec x, Vec y, const ProductMaps &maps) {
  fftw_complex *c = nullptr;
  PetscFunctionBeginUser;
  PetscCheck(!s.empty(), comm_, PETSC_ERR_ORDER, "ConvolutionEngine::apply: the kernel spectrum is empty");
  PetscCheck(s.modes_ == nFreq_ && s.components_ == kernelComponents_, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG,
             "ConvolutionEngine::apply: the kernel spectrum was computed for another layout");
  PetscCall(forward(x, false, &c, maps.input));
  if (strategy_ == ConvolutionStrategy::LineReal) PetscCall(exchangePartners());
  multiplyBySpectrum(s, c);
  PetscCall(backward(y, maps.output));
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::backward(Vec y, const PointwiseMap *map) {
  PetscScalar *ya = nullptr;
  PetscFunctionBeginUser;
  switch (strategy_) {
  case ConvolutionStrategy::Dense:
  case ConvolutionStrategy::Line:
  case ConvolutionStrategy::LinePadded: {
    const bool padded = strategy_ == ConvolutionStrategy::LinePadded;
    const std::size_t n =
        static_cast<std::size_t>(strategy_ == ConvolutionStrategy::Dense ? localN_ : lineLocal_ * blockM_);
    if (strategy_ != ConvolutionStrategy::Dense) fftw_execute(backward_);
    PetscCall(VecGetArray(padded ? padded_.get() : y, &ya));
    for (std::size_t i = 0; i < n; ++i)
      ya[i] = complex_[i][0];
    if (!padded && map) (*map)(ya, ya, n, 0);
    PetscCall(VecRestoreArray(padded ? padded_.get() : y, &ya));
    if (padded) {
      PetscCall(VecScatterBegin(embed_, padded_, y, INSERT_VALUES, SCATTER_REVERSE));
      PetscCall(VecScatterEnd(embed_, padded_, y, INSERT_VALUES, SCATTER_REVERSE));
      if (map) {
        PetscCall(VecGetArray(y, &ya));
        (*map)(ya, ya, static_cast<std::size_t>(localN_), 0);
        PetscCall(VecRestoreArray(y, &ya));
      }
    }
    break;
  }
  case ConvolutionStrategy::LineReal:
    fftw_execute(backward_);
    PetscCall(VecGetArray(y, &ya));
    copyMapped(&complex_[0][0], ya, static_cast<std::size_t>(localN_), 0, map);
    PetscCall(VecRestoreArray(y, &ya));
    break;
  case ConvolutionStrategy::Serial:
    if (inPlace_) {
      PetscCall(copyRowsOut(y, map));
      break;
    }
    PetscCall(VecGetArray(y, &ya));
    if (fftw_alignment_of(ya) == fftw_alignment_of(real_.get())) {
      fftw_execute_dft_c2r(backward_, complex_.get(), ya);
      if (map) (*map)(ya, ya, static_cast<std::size_t>(localN_), 0);
    } else {
      fftw_execute(backward_);
      copyMapped(real_.get(), ya, static_cast<std::size_t>(localN_), 0, map);
    }
    PetscCall(VecRestoreArray(y, &ya));
    break;
  case ConvolutionStrategy::Slab:
    PetscCall(copyRowsOut(y, map));
    break;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::fillDiagonal(const KernelSpectrum &s, Vec d) const {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(d, &lo, &hi));
  PetscCall(VecGetArray(d, &a));
  for (PetscInt i = lo; i < hi; ++i)
    a[i - lo] = s.diagonal(i % channels_);
  PetscCall(VecRestoreArray(d, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::findFrequencies() {
  const std::size_t d = dims_.size();
  const PetscInt M    = blockM_;
  PetscFunctionBeginUser;
  if (haveFrequencies_) PetscFunctionReturn(0);
  if (strategy_ == ConvolutionStrategy::LineReal) { // known since the set-up (packed: half the ring)
    freqIndex_.assign(packedFreq_.begin(), packedFreq_.end());
    haveFrequencies_ = true;
    PetscFunctionReturn(0);
  }
  // The layouts differ by strategy (r2c halves the last axis, the slab output is transposed, the line output
  // scrambled in an order FFTW does not document): read each frequency off the transform of an impulse at
  // coordinate 1 along each axis, whose spectrum is e^{-2 pi i k / n} at frequency k along that axis.
  freqIndex_.assign(static_cast<std::size_t>(nFreq_) * d, 0);
  VecHandle impulse;
  PetscCall(createVec(impulse.address()));
  PetscInt stride = 1;
  for (std::size_t i = d; i-- > 0;) {
    const ptrdiff_t n = dims_[i];
    PetscScalar *a    = nullptr;
    PetscCall(VecSet(impulse, 0.0));
    PetscCall(VecGetArray(impulse, &a));
    for (PetscInt m = 0; m < M; ++m) {
      const PetscInt at = stride * M + m; // axis point "1 along dims_[i]", every component
      if (at >= start_ && at < start_ + localN_) a[at - start_] = 1.0;
    }
    PetscCall(VecRestoreArray(impulse, &a));
    fftw_complex *c = nullptr;
    PetscCall(forward(impulse, false, &c));
    int consistent = 1;
    for (ptrdiff_t f = 0; f < nFreq_; ++f) {
      const double *z    = c[f * freqStride_];
      const double turns = -std::atan2(z[1], z[0]) / (2 * M_PI) * static_cast<double>(n);
      const long k       = std::lround(turns);
      if (std::abs(std::hypot(z[0], z[1]) - 1.0) > 1e-6 || std::abs(turns - static_cast<double>(k)) > 1e-3)
        consistent = 0;
      freqIndex_[static_cast<std::size_t>(f) * d + i] = static_cast<int>(((k % n) + n) % n);
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &consistent, 1, MPI_INT, MPI_MIN, comm_));
    PetscCheck(consistent, comm_, PETSC_ERR_PLIB, "%s: the transform of an impulse is not a pure phase",
               strategyName());
    stride *= static_cast<PetscInt>(n);
  }
  haveFrequencies_ = true;
  PetscFunctionReturn(0);
}

PetscErrorCode ConvolutionEngine::applyAxisFilter(const AxisFilter &filter, Vec x, Vec y) {
  const std::size_t d = dims_.size();
  const PetscInt M    = blockM_;
  fftw_complex *c     = nullptr;
  PetscFunctionBeginUser;
  const std::size_t axes = group_.axisOrders().size();
  PetscCheck(filter.multiplier.size() == axes && filter.kernel.size() == axes, comm_, PETSC_ERR_ARG_SIZ,
             "AxisFilter: one multiplier and one kernel per axis (%d axes)", static_cast<int>(axes));
  for (std::size_t i = 0; i < d; ++i)
    PetscCheck(filter.multiplier[dimAxis_[i]].size() == static_cast<std::size_t>(dims_[i]) &&
                   filter.kernel[dimAxis_[i]].size() == static_cast<std::size_t>(dims_[i]),
               comm_, PETSC_ERR_ARG_SIZ, "AxisFilter: axis %d needs %d values", static_cast<int>(dimAxis_[i]),
               static_cast<int>(dims_[i]));
  // One factor per frequency, the same for all M components (the axes' translations act alike on every
  // finite part and channel); 1/L normalises the inverse transform.
  std::vector<Complex> factor(static_cast<std::size_t>(nFreq_));
  const double scale = 1.0 / static_cast<double>(transformLength_);
  if (strategy_ == ConvolutionStrategy::LinePadded) {
    // The transform runs over Z_L: the kernel on Z_N, extended periodically (as for J), times x zero-padded.
    const std::vector<double> &kernel = filter.kernel[dimAxis_[0]];
    VecHandle kv;
    PetscScalar *a = nullptr;
    PetscCall(createVec(kv.address()));
    PetscCall(VecGetArray(kv, &a));
    for (PetscInt i = 0; i < localN_; ++i)
      a[i] = kernel[static_cast<std::size_t>((start_ + i) / M)];
    PetscCall(VecRestoreArray(kv, &a));
    PetscCall(forward(kv, true, &c));
    for (ptrdiff_t f = 0; f < nFreq_; ++f)
      factor[f] = scale * Complex(c[f * freqStride_][0], c[f * freqStride_][1]);
  } else if (strategy_ == ConvolutionStrategy::LineReal) {
    // m(k) and m(k + N/2) for each local position, combined as a kernel's spectra are.
    const auto &m     = filter.multiplier[dimAxis_[0]];
    const ptrdiff_t h = dims_[0] / 2;
    FftwArray<fftw_complex> alpha(fftw_alloc_complex(static_cast<size_t>(std::max<ptrdiff_t>(nFreq_, 1))));
    FftwArray<fftw_complex> beta(fftw_alloc_complex(static_cast<size_t>(std::max<ptrdiff_t>(nFreq_, 1))));
    for (ptrdiff_t p = 0; p < nFreq_; ++p) {
      const std::size_t k = static_cast<std::size_t>(packedFreq_[static_cast<std::size_t>(p)]);
      packedFactors(scale * m[k], scale * m[k + static_cast<std::size_t>(h)], p, alpha[p], beta[p]);
    }
    PetscCall(forward(x, false, &c));
    PetscCall(exchangePartners());
    packedProduct(alpha.get(), beta.get(), c);
    PetscCall(backward(y));
    PetscFunctionReturn(0);
  } else {
    PetscCall(findFrequencies());
    for (ptrdiff_t f = 0; f < nFreq_; ++f) {
      Complex m = scale;
      for (std::size_t i = 0; i < d; ++i)
        m *= filter.multiplier[dimAxis_[i]][freqIndex_[static_cast<std::size_t>(f) * d + i]];
      factor[f] = m;
    }
  }
  PetscCall(forward(x, false, &c));
  for (ptrdiff_t f = 0; f < nFreq_; ++f)
    for (PetscInt m = 0; m < M; ++m) {
      double *z       = c[f * freqStride_ + m * compStride_];
      const double re = z[0] * factor[f].real() - z[1] * factor[f].imag();
      const double im = z[0] * factor[f].imag() + z[1] * factor[f].real();
      z[0]            = re;
      z[1]            = im;
    }
  PetscCall(backward(y));
  PetscFunctionReturn(0);
}

std::size_t ConvolutionEngine::memoryBytes() const {
  const std::size_t modes = static_cast<std::size_t>(std::max<ptrdiff_t>(nFreq_, 0));
  const std::size_t M     = static_cast<std::size_t>(blockM_);
  std::size_t bytes       = 0;
  switch (strategy_) {
  case ConvolutionStrategy::Dense:
    break;
  case ConvolutionStrategy::Serial:
    bytes += inPlace_ ? sizeof(double) * static_cast<std::size_t>(localN_ / rowLength_ * paddedRow_)
                      : sizeof(double) * localN_ + sizeof(fftw_complex) * modes * M;
    break;
  case ConvolutionStrategy::Slab:
    bytes += sizeof(double) * 2 * allocComplex_;
    break;
  case ConvolutionStrategy::Line:
    bytes += sizeof(fftw_complex) * allocComplex_;
    break;
  case ConvolutionStrategy::LinePadded:
    bytes += sizeof(fftw_complex) * allocComplex_ + sizeof(double) * lineLocal_ * M;
    break;
  case ConvolutionStrategy::LineReal:
    bytes += sizeof(fftw_complex) * (allocComplex_ + modes) + sizeof(PetscInt) * modes;
    break;
  }
  return bytes;
}

std::size_t KernelSpectrum::memoryBytes() const {
  const std::size_t modes = static_cast<std::size_t>(std::max<ptrdiff_t>(modes_, 0));
  return real_ ? sizeof(double) * modes
               : sizeof(fftw_complex) * modes *
                     (std::max<std::size_t>(components_, 1) + (partnerFactor_ ? 1 : 0));
}

GroupConvolution::~GroupConvolution() = default;

PetscErrorCode GroupConvolution::create(MPI_Comm comm, const Group &group, PetscInt channels,
                                        FftPlanner planner, std::unique_ptr<GroupConvolution> *out) {
  std::shared_ptr<ConvolutionEngine> engine;
  PetscFunctionBeginUser;
  PetscCall(ConvolutionEngine::create(comm, group, channels, planner, &engine));
  PetscCall(create(std::move(engine), out));
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::create(std::shared_ptr<ConvolutionEngine> engine,
                                        std::unique_ptr<GroupConvolution> *out) {
  PetscFunctionBeginUser;
  std::unique_ptr<GroupConvolution> conv(new GroupConvolution());
  conv->engine_ = std::move(engine);
  *out          = std::move(conv);
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::setKernel(Vec w) {
  PetscFunctionBeginUser;
  PetscCall(engine_->computeSpectrum(w, &spectrum_));
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::setKernelFromState(Vec y, StateKernel mode) {
  PetscFunctionBeginUser;
  PetscCall(engine_->computeSpectrumFromState(y, mode, &spectrum_));
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::apply(Vec x, Vec y, const ProductMaps &maps) {
  PetscFunctionBeginUser;
  PetscCheck(!spectrum_.empty(), comm(), PETSC_ERR_ORDER, "GroupConvolution: setKernel() not called");
  PetscCall(engine_->apply(spectrum_, x, y, maps));
  PetscFunctionReturn(0);
}

PetscErrorCode GroupConvolution::createMat(Mat *J) {
  PetscFunctionBeginUser;
  PetscCall(MatCreateShell(comm(), localSize(), localSize(), size(), size(), this, J));
  PetscCall(MatShellSetOperation(*J, MATOP_MULT, reinterpret_cast<void (*)(void)>(convolutionMult)));
  PetscCall(
      MatShellSetOperation(*J, MATOP_GET_DIAGONAL, reinterpret_cast<void (*)(void)>(convolutionDiagonal)));
  PetscFunctionReturn(0);
}

std::size_t GroupConvolution::memoryBytes() const {
  return engine_->memoryBytes() + spectrum_.memoryBytes();
}

} // namespace eqrnn
