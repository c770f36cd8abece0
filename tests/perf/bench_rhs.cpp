// Benchmark (a program, not a timed test): what a run pays per evaluation, against the FFT floor. For rings
// Z_N and square tori Z_n x Z_n, N = 2^kmin ... 2^kmax, and each transfer function, in one run:
//   rhs    one right-hand side F(x) = (-x + J phi(x)) / tau, as TS and SNES call it (RateNetwork::rhs);
//   Jv     one Jacobian-vector product (J phi'(x) v - v) / tau at a fixed point x, as GMRES and SLEPc call
//   it; phi    the transfer function alone over the local state (and phi' alone); bare   a bare FFTW r2c +
//   c2r round trip of the same size and layout, planned with the same flags;
// and the ratios rhs / bare and Jv / bare (the goal: at most 1.3).
// Timed in interleaved rounds (bare, rhs, Jv, phi, phi', bare, ...), each the best batch of -rounds.
//   mpirun -n P build/tests/bench_rhs [-kmin 12] [-kmax 22] [-phi tanh,sigmoid] [-fft_planner estimate]
//                                     [-min_seconds 0.2] [-rounds 5] [-csv FILE]
#include "app/command.hpp"
#include "bench_common.hpp"
#include "core/parameters.hpp"
#include "core/session.hpp"
#include "model/linearisation.hpp"
#include "model/rate_network.hpp"
#include <cstdio>
#include <sstream>

using namespace eqrnn;
using namespace eqrnn::bench;

namespace {

struct Options {
  PetscInt kmin = 12, kmax = 22, rounds = 5;
  double minSeconds   = 0.2;
  std::string planner = "estimate", csv, phis = "tanh,sigmoid"; // estimate: eqrnn's default
};

PetscErrorCode benchOne(MPI_Comm comm, const std::string &group, const std::string &phiName, const Options &o,
                        FILE *csv) {
  NetworkSpec spec;
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<Linearisation> lin;
  VecHandle x, f, v, out;
  PetscFunctionBeginUser;
  spec.group     = group;
  spec.kernel.J1 = 3.0;
  spec.tau       = 1.0;
  bool known     = false;
  for (const auto &[name, kind] : transferNames())
    if (phiName == name) spec.phi.kind = kind, known = true;
  PetscCheck(known, comm, PETSC_ERR_USER_INPUT, "-phi: unknown transfer function %s", phiName.c_str());
  PetscCall(parseFftPlanner(comm, o.planner, &spec.fftPlanner));
  PetscCall(RateNetwork::create(comm, spec, &net));
  PetscCall(net->createVec(x.address()));
  PetscCall(net->createVec(f.address()));
  PetscCall(net->createVec(v.address()));
  PetscCall(net->createVec(out.address()));
  // A state in the functions' working range (|x| of order 1, where tanh and sigmoid are not saturated).
  PetscInt lo = 0, hi = 0;
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscScalar *xa = nullptr, *va = nullptr;
  PetscCall(VecGetArray(x, &xa));
  PetscCall(VecGetArray(v, &va));
  for (PetscInt i = lo; i < hi; ++i) {
    xa[i - lo] = counterNormal(5, 0, static_cast<std::uint64_t>(i));
    va[i - lo] = counterNormal(5, 1, static_cast<std::uint64_t>(i));
  }
  PetscCall(VecRestoreArray(v, &va));
  PetscCall(VecRestoreArray(x, &xa));
  PetscCall(Linearisation::create(*net, &lin));
  PetscCall(lin->setPoint(x));
  std::vector<ptrdiff_t> dims;
  for (PetscInt n : net->group().factorOrders())
    if (n > 1) dims.push_back(n);
  BareRoundTrip bare;
  PetscCall(bare.setup(comm, dims, plannerFlag(o.planner)));
  const TransferFunction &phi = net->spec().phi;
  const auto t                = timeInterleaved(comm,
                                                {[&] { bare(); }, [&] { PetscCallAbort(comm, net->rhs(0.0, x, f)); },
                                                 [&] { PetscCallAbort(comm, lin->apply(v, out)); },
                                                 [&] { PetscCallAbort(comm, phi.apply(x, f)); },
                                                 [&] { PetscCallAbort(comm, phi.applyDerivative(x, f)); }},
                                                o.minSeconds, o.rounds);
  const double tBare = t[0], tRhs = t[1], tJv = t[2], tPhi = t[3], tSlope = t[4];
  const double perElement = 1e9 / static_cast<double>(hi - lo); // ns per local element
  PetscCall(PetscPrintf(
      comm, "%-14s %9" PetscInt_FMT " %-8s %-12s %10.3e %10.3e %10.3e %6.2f %6.2f %8.2f %8.2f\n",
      group.c_str(), net->group().order(), phiName.c_str(), net->connectivity().engine().strategyName(),
      tBare, tRhs, tJv, tRhs / tBare, tJv / tBare, tPhi * perElement, tSlope * perElement));
  PetscMPIInt rank = 0;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (csv && rank == 0)
    std::fprintf(csv, "%s,%lld,%s,%s,%.6e,%.6e,%.6e,%.4f,%.4f,%.4f,%.4f\n", group.c_str(),
                 static_cast<long long>(net->group().order()), phiName.c_str(),
                 net->connectivity().engine().strategyName(), tBare, tRhs, tJv, tRhs / tBare, tJv / tBare,
                 tPhi * perElement, tSlope * perElement);
  PetscFunctionReturn(0);
}

PetscErrorCode run(MPI_Comm comm, bool help) {
  Options o;
  PetscMPIInt size = 1, rank = 0;
  PetscFunctionBeginUser;
  ParameterSet p;
  p.section("bench_rhs: right-hand side and Jacobian-vector product against the bare FFTW round trip");
  p.integer("kmin", &o.kmin, "Smallest log2 N").atLeast(1);
  p.integer("kmax", &o.kmax, "Largest log2 N").atMost(30);
  p.text("phi", &o.phis, "Transfer functions, comma-separated (tanh, sigmoid, relu, linear)");
  p.real("min_seconds", &o.minSeconds, "Minimum duration of a timed batch").above(0);
  p.integer("rounds", &o.rounds, "Interleaved rounds of batches; each time is the best batch").atLeast(1);
  p.text("fft_planner", &o.planner, "FFTW planning effort: estimate, measure or patient");
  p.text("csv", &o.csv, "Also write the table as CSV");
  bool stop = false;
  PetscCall(readBenchmarkOptions(comm, p, help, &stop));
  if (stop) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  std::vector<std::string> phis;
  std::stringstream list(o.phis);
  for (std::string item; std::getline(list, item, ',');)
    if (!item.empty()) phis.push_back(item);
  FILE *csv = nullptr;
  if (!o.csv.empty() && rank == 0) {
    csv = std::fopen(o.csv.c_str(), "w");
    if (csv)
      std::fprintf(csv, "group,N,phi,strategy,t_bare_fft,t_rhs,t_jv,rhs_ratio,jv_ratio,phi_ns,slope_ns\n");
  }
  PetscCall(PetscPrintf(
      comm, "# bench_rhs: %d rank(s), planner %s; seconds per call, phi and phi' in ns per local element\n",
      size, o.planner.c_str()));
  PetscCall(PetscPrintf(comm, "%-14s %9s %-8s %-12s %10s %10s %10s %6s %6s %8s %8s\n", "group", "N", "phi",
                        "strategy", "bare FFT", "rhs", "Jv", "rhs/b", "Jv/b", "phi ns", "phi' ns"));
  for (PetscInt k = o.kmin; k <= o.kmax; ++k)
    for (const auto &g : ringAndTorus(k))
      for (const auto &phi : phis)
        PetscCall(benchOne(comm, g, phi, o, csv));
  if (csv) std::fclose(csv);
  PetscFunctionReturn(0);
}

} // namespace

int main(int argc, char **argv) {
  return eqrnn::bench::benchmarkMain(
      argc, argv, "bench_rhs: right-hand side and Jv against the bare FFTW round trip\n", run);
}
