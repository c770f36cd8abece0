// Benchmark (a program, not a timed test): the group-convolution MatMult against
//   (a) a bare FFTW r2c + c2r round trip of the same size and layout, planned with the same flags, and
//   (b) PETSc's dense MatMult of the same operator, where the dense matrix fits (-dense_max),
// for rings Z_N and square tori Z_n x Z_n, N = 2^kmin ... 2^kmax, in one run. Reports times, ratios and the
// operator's memory per neuron.
//   mpirun -n P build/tests/bench_matvec [-kmin 12] [-kmax 22] [-dense_max 8192] [-fft_planner measure]
//                                         [-min_seconds 0.2] [-csv FILE]
#include "app/command.hpp"
#include "core/handles.hpp"
#include "core/parameters.hpp"
#include "core/random.hpp"
#include "core/session.hpp"
#include "operators/group_convolution.hpp"
#include "operators/kernel.hpp"
#include "bench_common.hpp"
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

using namespace eqrnn;
using namespace eqrnn::bench;

namespace {

struct Options {
  PetscInt kmin = 12, kmax = 22, denseMax = 8192;
  double minSeconds   = 0.2;
  std::string planner = "measure", csv;
};

PetscErrorCode denseMatMult(MPI_Comm comm, const Group &group, GroupConvolution &conv, Vec w,
                            double minSeconds, double *seconds) {
  MatHandle A;
  VecHandle x, y, wall;
  VecScatter toAll;
  PetscInt lo = 0, hi = 0;
  const PetscInt n = group.order();
  PetscFunctionBeginUser;
  PetscCall(MatCreateDense(comm, conv.localSize(), conv.localSize(), n, n, nullptr, A.address()));
  PetscCall(VecScatterCreateToAll(w, &toAll, wall.address()));
  PetscCall(VecScatterBegin(toAll, w, wall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(toAll, w, wall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterDestroy(&toAll));
  const PetscScalar *wa = nullptr;
  PetscScalar *a        = nullptr;
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
  PetscCall(VecGetArrayRead(wall, &wa));
  PetscCall(MatDenseGetArray(A, &a)); // column-major local block, leading dimension = local rows
  for (PetscInt h = 0; h < n; ++h) {
    const PetscInt hinv = group.inverse(h);
    for (PetscInt g = lo; g < hi; ++g)
      a[h * (hi - lo) + (g - lo)] = wa[group.multiply(hinv, g)] / n;
  }
  PetscCall(MatDenseRestoreArray(A, &a));
  PetscCall(VecRestoreArrayRead(wall, &wa));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatCreateVecs(A, x.address(), y.address()));
  PetscCall(VecSet(x, 1.0));
  // Cross-check while here: dense and FFT products agree.
  VecHandle z;
  PetscCall(VecDuplicate(y, z.address()));
  PetscCall(MatMult(A, x, y));
  PetscCall(conv.apply(x, z));
  PetscCall(VecAXPY(z, -1.0, y));
  PetscReal err = 0, ref = 0;
  PetscCall(VecNorm(z, NORM_INFINITY, &err));
  PetscCall(VecNorm(y, NORM_INFINITY, &ref));
  PetscCheck(err <= 1e-10 * std::max(ref, PetscReal(1)), comm, PETSC_ERR_PLIB,
             "dense and FFT products differ");
  *seconds = timePerCall(
      comm, [&] { PetscCallAbort(comm, MatMult(A, x, y)); }, minSeconds);
  PetscFunctionReturn(0);
}

PetscErrorCode benchOne(MPI_Comm comm, const std::string &spec, const Options &o, FILE *csv) {
  Group group;
  std::unique_ptr<GroupConvolution> conv;
  FftPlanner planner;
  MatHandle J;
  VecHandle w, x, y;
  PetscFunctionBeginUser;
  PetscCall(parseGroup(comm, spec, &group));
  PetscCall(parseFftPlanner(comm, o.planner, &planner));
  const double tPlan0 = MPI_Wtime();
  PetscCall(GroupConvolution::create(comm, group, planner, &conv));
  const double tPlan = MPI_Wtime() - tPlan0;
  PetscCall(conv->createVec(w.address()));
  PetscCall(conv->createVec(x.address()));
  PetscCall(conv->createVec(y.address()));
  KernelSpec k;
  k.family = KernelFamily::VonMises;
  k.J0     = -0.5;
  k.J1     = 3.0;
  k.kappa  = 4.0;
  PetscCall(fillKernel(k, group, 1, w));
  PetscCall(conv->setKernel(w));
  PetscCall(conv->createMat(J.address()));
  PetscCall(VecSet(x, 0.1));
  const double tMat = timePerCall(
      comm, [&] { PetscCallAbort(comm, MatMult(J, x, y)); }, o.minSeconds);
  std::vector<ptrdiff_t> dims;
  for (PetscInt n : group.factorOrders())
    if (n > 1) dims.push_back(n);
  double tBare = 0;
  PetscCall(bareRoundTrip(comm, dims, plannerFlag(o.planner), o.minSeconds, &tBare));
  double tDense = -1;
  if (group.order() <= o.denseMax) PetscCall(denseMatMult(comm, group, *conv, w, o.minSeconds, &tDense));
  unsigned long long bytes = conv->memoryBytes();
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bytes, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm));
  const double perNeuron = static_cast<double>(bytes) / static_cast<double>(group.order());
  char dense[64]         = "        -        -";
  if (tDense > 0) std::snprintf(dense, sizeof(dense), "%9.3e %8.1f", tDense, tDense / tMat);
  PetscCall(PetscPrintf(comm, "%-14s %9" PetscInt_FMT " %-12s %10.3e %10.3e %7.3f %s %9.1f %8.2f\n",
                        spec.c_str(), group.order(), conv->strategyName(), tMat, tBare, tMat / tBare, dense,
                        perNeuron, tPlan));
  PetscMPIInt rank = 0;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (csv && rank == 0)
    std::fprintf(csv, "%s,%lld,%s,%.6e,%.6e,%.4f,%.6e,%.2f,%.3f\n", spec.c_str(),
                 static_cast<long long>(group.order()), conv->strategyName(), tMat, tBare, tMat / tBare,
                 tDense, perNeuron, tPlan);
  PetscFunctionReturn(0);
}

PetscErrorCode run(MPI_Comm comm, bool help) {
  Options o;
  PetscMPIInt size = 1;
  PetscFunctionBeginUser;
  ParameterSet p;
  p.section("bench_matvec: group convolution vs bare FFTW vs dense");
  p.integer("kmin", &o.kmin, "Smallest log2 N").atLeast(1);
  p.integer("kmax", &o.kmax, "Largest log2 N").atMost(30);
  p.integer("dense_max", &o.denseMax, "Largest N for the dense comparison").atLeast(0);
  p.real("min_seconds", &o.minSeconds, "Minimum duration of a timed batch").above(0);
  p.text("fft_planner", &o.planner, "FFTW planning effort: estimate, measure or patient");
  p.text("csv", &o.csv, "Also write the table as CSV");
  bool stop = false;
  PetscCall(readBenchmarkOptions(comm, p, help, &stop));
  if (stop) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_size(comm, &size));
  FILE *csv        = nullptr;
  PetscMPIInt rank = 0;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!o.csv.empty() && rank == 0) {
    csv = std::fopen(o.csv.c_str(), "w");
    if (csv)
      std::fprintf(csv, "group,N,strategy,t_matmult,t_bare_fft,ratio,t_dense,bytes_per_neuron,t_plan\n");
  }
  PetscCall(PetscPrintf(comm, "# bench_matvec: %d rank(s), planner %s; times in seconds per product\n", size,
                        o.planner.c_str()));
  PetscCall(PetscPrintf(comm, "%-14s %9s %-12s %10s %10s %7s %9s %8s %9s %8s\n", "group", "N", "strategy",
                        "MatMult", "bare FFT", "ratio", "dense", "dense/us", "B/neuron", "plan s"));
  for (PetscInt k = o.kmin; k <= o.kmax; ++k)
    for (const auto &g : ringAndTorus(k))
      PetscCall(benchOne(comm, g, o, csv));
  if (csv) std::fclose(csv);
  PetscFunctionReturn(0);
}

} // namespace

int main(int argc, char **argv) {
  return eqrnn::bench::benchmarkMain(
      argc, argv, "bench_matvec: group-convolution MatMult vs bare FFTW round trip vs dense\n", run);
}
