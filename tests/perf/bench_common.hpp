#pragma once
// What the benchmarks in tests/perf share: timing a call, and the bare FFTW round trip of the layout the
// group convolution itself uses (the floor an evaluation is measured against).
#include "core/handles.hpp"
#include "app/command.hpp"
#include "core/parameters.hpp"
#include "core/random.hpp"
#include "core/session.hpp"
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace eqrnn::bench {

// Seconds per call: batches of calls until a batch lasts minSeconds, best of three batches (ranks
// synchronised).
inline double timePerCall(MPI_Comm comm, const std::function<void()> &op, double minSeconds) {
  op(); // warm-up (first-touch pages, plan caches)
  long reps   = 1;
  double best = 1e300;
  for (int trial = 0; trial < 3;) {
    MPI_Barrier(comm);
    const double t0 = MPI_Wtime();
    for (long r = 0; r < reps; ++r)
      op();
    double dt = MPI_Wtime() - t0;
    MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, comm);
    if (dt < minSeconds && trial == 0 && reps < (1L << 30)) {
      reps *= 2;
      continue;
    }
    best = std::min(best, dt / static_cast<double>(reps));
    ++trial;
  }
  return best;
}

// Seconds per call of each op, measured in interleaved rounds (op 0, op 1, ..., op 0, ...): a drift of the
// machine's load falls on all of them alike. Each op's batch size is set once to last minSeconds; the result
// is each op's best batch over `rounds`.
inline std::vector<double> timeInterleaved(MPI_Comm comm, const std::vector<std::function<void()>> &ops,
                                           double minSeconds, int rounds) {
  std::vector<long> reps(ops.size(), 1);
  std::vector<double> best(ops.size(), 1e300);
  const auto batch = [&](std::size_t i) {
    MPI_Barrier(comm);
    const double t0 = MPI_Wtime();
    for (long r = 0; r < reps[i]; ++r)
      ops[i]();
    double dt = MPI_Wtime() - t0;
    MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, comm);
    return dt;
  };
  for (std::size_t i = 0; i < ops.size(); ++i) {
    ops[i](); // warm-up (first-touch pages, plan caches)
    while (batch(i) < minSeconds && reps[i] < (1L << 30))
      reps[i] *= 2;
  }
  for (int round = 0; round < rounds; ++round)
    for (std::size_t i = 0; i < ops.size(); ++i)
      best[i] = std::min(best[i], batch(i) / static_cast<double>(reps[i]));
  return best;
}

inline unsigned plannerFlag(const std::string &p) {
  return p == "patient" ? FFTW_PATIENT : p == "measure" ? FFTW_MEASURE : FFTW_ESTIMATE;
}

// The bare round trip that the convolution's own strategy performs (r2c + c2r over the axes, or the 1-D
// complex transform of the line strategy), without PETSc, kernel product or copies: planned once, run by ().
class BareRoundTrip {
public:
  PetscErrorCode setup(MPI_Comm comm, const std::vector<ptrdiff_t> &dims, unsigned flags) {
    PetscMPIInt size = 1;
    PetscFunctionBeginUser;
    PetscCallMPI(MPI_Comm_size(comm, &size));
    const int d     = static_cast<int>(dims.size());
    ptrdiff_t nreal = 0, ncomplex = 0;
    if (size == 1) {
      nreal = 1;
      for (ptrdiff_t n : dims)
        nreal *= n;
      ncomplex = nreal / dims.back() * (dims.back() / 2 + 1);
      real_.reset(fftw_alloc_real(static_cast<size_t>(nreal)));
      cplx_.reset(fftw_alloc_complex(static_cast<size_t>(ncomplex)));
      std::vector<int> n(dims.begin(), dims.end());
      fwd_ = FftwPlan(fftw_plan_dft_r2c(d, n.data(), real_.get(), cplx_.get(), flags));
      bwd_ = FftwPlan(fftw_plan_dft_c2r(d, n.data(), cplx_.get(), real_.get(), flags));
    } else if (d >= 2) {
      std::vector<ptrdiff_t> nc(dims);
      nc.back() = dims.back() / 2 + 1;
      ptrdiff_t ln0, l0s, ln1, l1s;
      const ptrdiff_t alloc = fftw_mpi_local_size_transposed(d, nc.data(), comm, &ln0, &l0s, &ln1, &l1s);
      real_.reset(fftw_alloc_real(static_cast<size_t>(2 * std::max<ptrdiff_t>(alloc, 1))));
      nreal   = 2 * alloc;
      auto *c = reinterpret_cast<fftw_complex *>(real_.get());
      fwd_    = FftwPlan(
             fftw_mpi_plan_dft_r2c(d, dims.data(), real_.get(), c, comm, flags | FFTW_MPI_TRANSPOSED_OUT));
      bwd_ = FftwPlan(
          fftw_mpi_plan_dft_c2r(d, dims.data(), c, real_.get(), comm, flags | FFTW_MPI_TRANSPOSED_IN));
    } else {
      ptrdiff_t li, lis, lo, los;
      const ptrdiff_t alloc =
          fftw_mpi_local_size_1d(dims[0], comm, FFTW_FORWARD, FFTW_MPI_SCRAMBLED_OUT, &li, &lis, &lo, &los);
      cplx_.reset(fftw_alloc_complex(static_cast<size_t>(std::max<ptrdiff_t>(alloc, 1))));
      ncomplex = alloc;
      fwd_     = FftwPlan(fftw_mpi_plan_dft_1d(dims[0], cplx_.get(), cplx_.get(), comm, FFTW_FORWARD,
                                               flags | FFTW_MPI_SCRAMBLED_OUT));
      bwd_     = FftwPlan(fftw_mpi_plan_dft_1d(dims[0], cplx_.get(), cplx_.get(), comm, FFTW_BACKWARD,
                                               flags | FFTW_MPI_SCRAMBLED_IN));
    }
    PetscCheck(fwd_ && bwd_, comm, PETSC_ERR_LIB, "FFTW could not plan the bare round trip");
    for (ptrdiff_t i = 0; i < nreal; ++i)
      real_[i] = counterNormal(3, 0, static_cast<std::uint64_t>(i));
    for (ptrdiff_t i = 0; i < ncomplex; ++i)
      cplx_[i][0] = cplx_[i][1] = 0.5;
    PetscFunctionReturn(0);
  }
  // FFTW is unnormalised: the values grow by N per round trip and reach inf after some dozens. x86 SIMD runs
  // inf and NaN at full speed (only subnormals are slow), so the timing is that of finite data.
  void operator()() {
    fftw_execute(fwd_);
    fftw_execute(bwd_);
  }

private:
  FftwPlan fwd_, bwd_;
  FftwArray<double> real_;
  FftwArray<fftw_complex> cplx_;
};

inline PetscErrorCode bareRoundTrip(MPI_Comm comm, const std::vector<ptrdiff_t> &dims, unsigned flags,
                                    double minSeconds, double *seconds) {
  BareRoundTrip trip;
  PetscFunctionBeginUser;
  PetscCall(trip.setup(comm, dims, flags));
  *seconds = timePerCall(
      comm, [&] { trip(); }, minSeconds);
  PetscFunctionReturn(0);
}

// Reads a benchmark's options, or prints them for -help (*stop: nothing more to do); an option nothing reads
// is an error, as for eqrnn's commands.
inline PetscErrorCode readBenchmarkOptions(MPI_Comm comm, ParameterSet &p, bool help, bool *stop) {
  PetscFunctionBeginUser;
  PetscCall(p.read(comm));
  *stop = help;
  if (help)
    PetscCall(PetscPrintf(comm, "%s", p.helpText().c_str()));
  else
    PetscCall(checkNoUnusedOptions(comm));
  PetscFunctionReturn(0);
}

// The sizes the benchmarks sweep, at N = 2^k: the ring Z_N and, for even k, the square torus Z_n x Z_n.
inline std::vector<std::string> ringAndTorus(PetscInt k) {
  std::vector<std::string> groups{"Z" + std::to_string(1L << k)};
  if (k % 2 == 0) {
    const std::string side = std::to_string(1L << (k / 2));
    groups.push_back("Z" + side + "xZ" + side);
  }
  return groups;
}

// A benchmark's main: the session (MPI, PETSc, SLEPc, the -help text), then run(comm, helpRequested), its
// error reported as one line.
inline int benchmarkMain(int argc, char **argv, const char *help, PetscErrorCode (*run)(MPI_Comm, bool)) {
  Session session(&argc, &argv, help);
  if (!session.ok()) return 1;
  return reportError(PETSC_COMM_WORLD, run(PETSC_COMM_WORLD, session.helpRequested()));
}

} // namespace eqrnn::bench
