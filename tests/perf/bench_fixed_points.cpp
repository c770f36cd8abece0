// Benchmark (a program, not a timed test): time to a fixed point with residual |F(x)| <= 1e-10 max(1, |x|) by
//   (a) eqrnn's matrix-free Newton-Krylov (SNES, exact Jacobian shell), and
//   (b) gradient descent on q(x) = |F(x)|^2 / 2 (the method common in RNN fixed-point finders, Sussillo &
//   Barak
//       2013) with an Armijo line search, gradient J_F^T F from the same convolution operator,
// from the same start on square tori with the cosine kernel; then the SLEPc time for the leading eigenpairs
// at the fixed point found.
//   mpirun -n 2 build/tests/bench_fixed_points [-sides 64,1024] [-J 3] [-gd_max_seconds 300] [-eps_nev 10]
#include "analysis/stability.hpp"
#include "app/command.hpp"
#include "bench_common.hpp"
#include "core/parameters.hpp"
#include "core/random.hpp"
#include "core/session.hpp"
#include "groups/group_action.hpp"
#include "solvers/fixed_points.hpp"
#include <cmath>

using namespace eqrnn;

namespace {

struct GradientDescent {
  RateNetwork *net = nullptr;
  std::unique_ptr<GroupConvolution> transpose; // J^T: convolution with w(g^-1)
  VecHandle f, g, trial, ftrial, slope, tmp;
  double tau = 1;

  PetscErrorCode setup(RateNetwork &n) {
    VecHandle reflected;
    PetscFunctionBeginUser;
    net = &n;
    tau = n.spec().tau;
    PetscCall(GroupConvolution::create(n.comm(), n.group(), n.spec().fftPlanner, &transpose));
    PetscCall(n.createVec(reflected.address()));
    VecHandle kernel;
    PetscCall(n.kernelValues(kernel.address()));
    PetscCall(invert(n.group(), kernel, reflected));
    PetscCall(transpose->setKernel(reflected));
    for (VecHandle *v : {&f, &g, &trial, &ftrial, &slope, &tmp})
      PetscCall(n.createVec(v->address()));
    PetscFunctionReturn(0);
  }
  PetscErrorCode residual(Vec x, Vec out) {
    PetscFunctionBeginUser;
    PetscCall(net->rhs(0.0, x, out));
    PetscCall(VecScale(out, tau));
    PetscFunctionReturn(0);
  }
  // grad q = J_F^T F = -F + phi'(x) o (J^T F)
  PetscErrorCode gradient(Vec x, Vec F, Vec out) {
    PetscFunctionBeginUser;
    PetscCall(net->spec().phi.applyDerivative(x, slope));
    PetscCall(transpose->apply(F, tmp));
    PetscCall(VecPointwiseMult(out, slope, tmp));
    PetscCall(VecAXPY(out, -1.0, F));
    PetscFunctionReturn(0);
  }
  PetscErrorCode run(Vec x, double tol, double maxSeconds, PetscInt *iterations, double *res,
                     double *seconds) {
    PetscReal fn = 0, xn = 0, gn = 0;
    double eta = 1.0;
    PetscFunctionBeginUser;
    const double t0 = MPI_Wtime();
    PetscCall(residual(x, f));
    *iterations = 0;
    for (;;) {
      PetscCall(VecNorm(f, NORM_2, &fn));
      PetscCall(VecNorm(x, NORM_2, &xn));
      *res           = fn / std::max<PetscReal>(1, xn);
      double elapsed = MPI_Wtime() - t0;
      PetscCallMPI(MPI_Bcast(&elapsed, 1, MPI_DOUBLE, 0, net->comm())); // the same decision on every rank
      if (*res <= tol || elapsed > maxSeconds) break;
      PetscCall(gradient(x, f, g));
      PetscCall(VecNorm(g, NORM_2, &gn));
      const double q = 0.5 * fn * fn;
      eta *= 2; // Armijo backtracking from a growing step
      for (int k = 0; k < 60; ++k, eta *= 0.5) {
        PetscCall(VecWAXPY(trial, -eta, g, x));
        PetscCall(residual(trial, ftrial));
        PetscReal ft = 0;
        PetscCall(VecNorm(ftrial, NORM_2, &ft));
        if (0.5 * ft * ft <= q - 1e-4 * eta * gn * gn) break;
      }
      PetscCall(VecCopy(trial, x));
      PetscCall(VecCopy(ftrial, f));
      ++*iterations;
    }
    *seconds = MPI_Wtime() - t0;
    PetscFunctionReturn(0);
  }
};

PetscErrorCode stripeStart(const Group &G, Vec x) {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  PetscFunctionBeginUser;
  const auto n = G.factorOrders();
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(VecGetArray(x, &a));
  for (PetscInt g = lo; g < hi; ++g) {
    const auto c = G.coordinates(g);
    a[g - lo]    = 1.5 * std::cos(2 * M_PI * c[0] / double(n[0])) +
                0.01 * counterNormal(7, 0, static_cast<std::uint64_t>(g));
  }
  PetscCall(VecRestoreArray(x, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode benchOne(MPI_Comm comm, PetscInt side, double J, double gdMaxSeconds) {
  NetworkSpec spec;
  spec.group     = "Z" + std::to_string(side) + "xZ" + std::to_string(side);
  spec.kernel.J1 = J;
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<FixedPointFinder> finder;
  VecHandle x, y;
  CensusSpec cs;
  PetscFunctionBeginUser;
  PetscCall(RateNetwork::create(comm, spec, &net));
  PetscCall(FixedPointFinder::create(*net, cs, &finder));
  PetscCall(net->createVec(x.address()));
  PetscCall(net->createVec(y.address()));
  // Newton-Krylov
  PetscCall(stripeStart(net->group(), x));
  bool ok         = false;
  double res      = 0;
  PetscInt newton = 0, gmres = 0;
  std::string why;
  double t0 = MPI_Wtime();
  PetscCall(finder->solve(x, &ok, &res, &newton, &why));
  const double tNewton = MPI_Wtime() - t0;
  PetscCall(SNESGetLinearSolveIterations(finder->snes(), &gmres));
  // Gradient descent from the same start
  GradientDescent gd;
  PetscCall(gd.setup(*net));
  PetscCall(stripeStart(net->group(), y));
  PetscInt gdIts = 0;
  double gdRes = 0, tGd = 0;
  PetscCall(gd.run(y, cs.tol, gdMaxSeconds, &gdIts, &gdRes, &tGd));
  // SLEPc at the fixed point
  StabilitySpec ss;
  StabilityResult sr;
  t0 = MPI_Wtime();
  PetscCall(analyseStability(*net, x, ss, &sr));
  const double tEps = MPI_Wtime() - t0;
  PetscCall(PetscPrintf(
      comm,
      "%-14s %9" PetscInt_FMT " | Newton %s res %.1e: %3" PetscInt_FMT " its, %4" PetscInt_FMT
      " GMRES, %8.3f s | GD %s res %.1e: %7" PetscInt_FMT " its, %8.2f s | GD/Newton %s%.1f | "
      "SLEPc %zu eigenpairs %.3f s (%s, leading Re %.3g)\n",
      spec.group.c_str(), net->group().order(), ok ? "ok" : "FAILED", res, newton, gmres, tNewton,
      gdRes <= cs.tol ? "ok" : "stopped", gdRes, gdIts, tGd, gdRes <= cs.tol ? "" : ">", tGd / tNewton,
      sr.re.size(), tEps, classificationName(sr.classification), sr.re.empty() ? 0.0 : sr.re.front()));
  // A benchmark of a solver that did not solve measures nothing: the smoke run must fail then.
  PetscCheck(ok, comm, PETSC_ERR_NOT_CONVERGED, "bench_fixed_points: Newton failed on %s (%s, residual %.1e)",
             spec.group.c_str(), why.c_str(), res);
  PetscCheck(sr.classification != Classification::Unknown, comm, PETSC_ERR_NOT_CONVERGED,
             "bench_fixed_points: the eigensolver failed on %s", spec.group.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode run(MPI_Comm comm, bool help) {
  std::vector<PetscInt> sides{64, 1024};
  double J = 3.0, gdMaxSeconds = 300;
  PetscFunctionBeginUser;
  ParameterSet p;
  p.section("bench_fixed_points: Newton-Krylov vs gradient descent on a torus, and SLEPc");
  p.integers("sides", &sides, "Torus sides n (N = n^2)");
  p.real("J", &J, "Cosine kernel amplitude");
  p.real("gd_max_seconds", &gdMaxSeconds, "Wall-time cap for gradient descent").above(0);
  PetscCall(p.read(comm));
  if (help) {
    PetscCall(PetscPrintf(comm, "%s", p.helpText().c_str()));
    PetscFunctionReturn(0);
  }
  PetscMPIInt size = 1;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscPrintf(
      comm, "# bench_fixed_points: %d rank(s), cosine kernel J = %g, tanh, tolerance 1e-10\n", size, J));
  for (PetscInt side : sides)
    PetscCall(benchOne(comm, side, J, gdMaxSeconds));
  PetscCall(checkNoUnusedOptions(comm));
  PetscFunctionReturn(0);
}

} // namespace

int main(int argc, char **argv) {
  return eqrnn::bench::benchmarkMain(argc, argv, nullptr, run);
}
