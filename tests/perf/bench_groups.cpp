// Benchmark (a program, not a timed test): the group-convolution product y = J x on non-abelian groups
// against an abelian group of the same order, in one run (the goal: within 2x of the abelian
// product).
//   D_n           vs Z_2n and Z_n x Z_2                n = 2^kmin ... 2^kmax
//   S4 x Z_n x Z_n vs Z24 x Z_n x Z_n                  n in -sides
//   Z_2n/c with c channels vs Z_2n (same state length; c = -channel_compare, 0 to skip), in the D_n set
// Each set's operators are built together and their timed batches interleaved, so every ratio compares
// products measured under the same conditions. Seconds per product: the median of -batches batches, each
// lasting at least -min_seconds (calibrated per operator), timed with MPI_Wtime between barriers, max over
// ranks. The kernel is random (normal, not even: w(g^-1) != w(g)), so no group takes the real-spectrum
// shortcut. Before timing, every operator is checked: equivariance J L_a x = L_a J x on a random x for every
// generator a of the group, and the impulse response J delta_e = w / |G|; together they fix J (one channel).
// The errors are printed in the table, and a failed check makes the run fail after the table.
//   mpirun -n P build/tests/bench_groups [-kmin 10] [-kmax 17] [-sides 16,32,64,128] [-channels 1]
//                                        [-channel_compare 2] [-torus2 1] [-min_seconds 0.3] [-batches 5]
//                                        [-fft_planner measure] [-csv FILE]   (-kmin > -kmax: no D_n sets)
#include "core/handles.hpp"
#include "app/command.hpp"
#include "bench_common.hpp"
#include "core/parameters.hpp"
#include "core/random.hpp"
#include "core/session.hpp"
#include "groups/group_action.hpp"
#include "operators/group_convolution.hpp"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace eqrnn;
using eqrnn::bench::readBenchmarkOptions;

namespace {

constexpr double kTolerance = 1e-9; // relative; the checks are exact up to rounding (~1e-15)

struct Options {
  PetscInt kmin = 10, kmax = 17, channels = 1, channelCompare = 2, batches = 5;
  std::vector<PetscInt> sides{16, 32, 64, 128};
  bool torus2         = true;
  double minSeconds   = 0.3;
  std::string planner = "measure", csv;
};

// One operator under test.
struct Case {
  std::string spec;
  PetscInt channels = 1;
  Group group;
  std::unique_ptr<GroupConvolution> conv;
  VecHandle w, x, y;
  double planSeconds = 0, equivError = 0, impulseError = 0, bytesPerNeuron = 0;
  long reps = 1;
  std::vector<double> samples;
};

// Fills v with standard normal numbers, a function of the global index only (the same on any number of
// ranks).
PetscErrorCode fillRandom(Vec v, std::uint64_t seed) {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(v, &lo, &hi));
  PetscCall(VecGetArray(v, &a));
  for (PetscInt i = lo; i < hi; ++i)
    a[i - lo] = counterNormal(seed, 0, static_cast<std::uint64_t>(i));
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode setUp(MPI_Comm comm, const std::string &spec, PetscInt channels, FftPlanner planner, Case *k) {
  PetscFunctionBeginUser;
  k->spec     = spec;
  k->channels = channels;
  PetscCall(parseGroup(comm, spec, &k->group));
  PetscCallMPI(MPI_Barrier(comm));
  const double t0 = MPI_Wtime();
  PetscCall(GroupConvolution::create(comm, k->group, channels, planner, &k->conv));
  k->planSeconds = MPI_Wtime() - t0;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &k->planSeconds, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscCall(k->conv->createKernelVec(k->w.address()));
  PetscCall(fillRandom(k->w, 11));
  PetscCall(k->conv->setKernel(k->w));
  PetscCall(k->conv->createVec(k->x.address()));
  PetscCall(k->conv->createVec(k->y.address()));
  PetscCall(fillRandom(k->x, 12));
  // Bytes per neuron (state entry): this rank's buffers and spectra over its share of the state, worst rank.
  const PetscInt local = k->conv->localSize();
  k->bytesPerNeuron =
      local > 0 ? static_cast<double>(k->conv->memoryBytes()) / static_cast<double>(local) : 0.0;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &k->bytesPerNeuron, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscFunctionReturn(0);
}

// max |a - b| / scale over all ranks.
PetscErrorCode relativeDifference(Vec a, Vec b, PetscReal scale, Vec work, double *err) {
  PetscReal d = 0;
  PetscFunctionBeginUser;
  PetscCall(VecWAXPY(work, -1.0, b, a));
  PetscCall(VecNorm(work, NORM_INFINITY, &d));
  *err = static_cast<double>(d / std::max(scale, PETSC_SMALL));
  PetscFunctionReturn(0);
}

// Equivariance under every generator, and the impulse response.
PetscErrorCode check(Case *k) {
  VecHandle tx, jtx, ty, work;
  PetscReal scale = 0;
  PetscFunctionBeginUser;
  GroupConvolution &conv = *k->conv;
  PetscCall(VecDuplicate(k->x, tx.address()));
  PetscCall(VecDuplicate(k->x, jtx.address()));
  PetscCall(VecDuplicate(k->x, ty.address()));
  PetscCall(VecDuplicate(k->x, work.address()));
  PetscCall(conv.apply(k->x, k->y));
  PetscCall(VecNorm(k->y, NORM_INFINITY, &scale));
  k->equivError = 0;
  for (PetscInt a : k->group.generators()) {
    double err = 0;
    PetscCall(translate(k->group, a, k->x, tx));
    PetscCall(conv.apply(tx, jtx));
    PetscCall(translate(k->group, a, k->y, ty));
    PetscCall(relativeDifference(jtx, ty, scale, work, &err));
    k->equivError = std::max(k->equivError, err);
  }
  // (J delta_(e, c'=0))_c(g) = w_c0(g) / |G|: state entry i = g C + c against kernel entry i C.
  PetscCall(VecSet(tx, 0.0));
  if (conv.ownershipStart() == 0 && conv.localSize() > 0) PetscCall(VecSetValue(tx, 0, 1.0, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(tx));
  PetscCall(VecAssemblyEnd(tx));
  PetscCall(conv.apply(tx, jtx));
  const PetscScalar *wa = nullptr, *ja = nullptr;
  PetscScalar *ea    = nullptr;
  const double order = static_cast<double>(k->group.order());
  const PetscInt C   = k->channels;
  PetscCall(VecGetArrayRead(k->w, &wa));
  PetscCall(VecGetArrayRead(jtx, &ja));
  PetscCall(VecGetArray(ty, &ea));
  for (PetscInt i = 0; i < conv.localSize(); ++i)
    ea[i] = wa[i * C] / order;
  PetscCall(VecRestoreArray(ty, &ea));
  PetscCall(VecRestoreArrayRead(jtx, &ja));
  PetscCall(VecRestoreArrayRead(k->w, &wa));
  PetscCall(VecNorm(ty, NORM_INFINITY, &scale));
  PetscCall(relativeDifference(jtx, ty, scale, work, &k->impulseError));
  PetscFunctionReturn(0);
}

// One timed batch of reps products: barrier, MPI_Wtime, max over ranks.
PetscErrorCode timeBatch(MPI_Comm comm, Case *k, long reps, double *seconds) {
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Barrier(comm));
  const double t0 = MPI_Wtime();
  for (long r = 0; r < reps; ++r)
    PetscCall(k->conv->apply(k->x, k->y));
  *seconds = MPI_Wtime() - t0;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, seconds, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscFunctionReturn(0);
}

// Warm-up, then doubles the repetitions until a batch lasts minSeconds / 8 and scales them up to minSeconds
// (checked: doubled again while a batch is still shorter).
PetscErrorCode calibrate(MPI_Comm comm, Case *k, double minSeconds) {
  double dt = 0;
  PetscFunctionBeginUser;
  PetscCall(timeBatch(comm, k, 1, &dt));
  for (k->reps = 1;; k->reps *= 2) {
    PetscCall(timeBatch(comm, k, k->reps, &dt));
    if (dt >= minSeconds / 8 || k->reps >= (1L << 30)) break;
  }
  if (dt < minSeconds)
    k->reps =
        static_cast<long>(std::ceil(1.1 * minSeconds / std::max(dt, 1e-9) * static_cast<double>(k->reps)));
  for (;; k->reps *= 2) {
    PetscCall(timeBatch(comm, k, k->reps, &dt));
    if (dt >= minSeconds || k->reps >= (1L << 30)) break;
  }
  PetscFunctionReturn(0);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Table {
  FILE *csv   = nullptr;
  int ranks   = 1;
  bool failed = false;
};

// A set: the abelian reference first, then the groups compared with it. Builds all, checks all, times them in
// interleaved batches, prints one row each.
PetscErrorCode benchSet(MPI_Comm comm, const std::string &title,
                        const std::vector<std::pair<std::string, PetscInt>> &specs, const Options &o,
                        Table *table) {
  FftPlanner planner;
  std::vector<Case> cases(specs.size());
  PetscFunctionBeginUser;
  PetscCall(parseFftPlanner(comm, o.planner, &planner));
  for (std::size_t i = 0; i < specs.size(); ++i) {
    PetscCall(setUp(comm, specs[i].first, specs[i].second, planner, &cases[i]));
    PetscCall(check(&cases[i]));
  }
  for (Case &k : cases)
    PetscCall(calibrate(comm, &k, o.minSeconds));
  for (PetscInt b = 0; b < o.batches; ++b)
    for (Case &k : cases) {
      double dt = 0;
      PetscCall(timeBatch(comm, &k, k.reps, &dt));
      k.samples.push_back(dt / static_cast<double>(k.reps));
    }
  PetscCall(PetscPrintf(comm, "# %s\n", title.c_str()));
  const double ref = median(cases[0].samples);
  PetscMPIInt rank = 0;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case &k  = cases[i];
    const double t = median(k.samples);
    const bool bad = !(k.equivError <= kTolerance && k.impulseError <= kTolerance);
    table->failed  = table->failed || bad;
    char ratio[32] = "    ref";
    if (i > 0) std::snprintf(ratio, sizeof(ratio), "%7.2f", t / ref);
    PetscCall(PetscPrintf(
        comm, "%-16s %8" PetscInt_FMT " %2" PetscInt_FMT " %5d %-12s %11.3e %s %9.1f %9.1e %9.1e%s %8.2f\n",
        k.spec.c_str(), k.group.order(), k.channels, table->ranks, k.conv->strategyName(), t, ratio,
        k.bytesPerNeuron, k.equivError, k.impulseError, bad ? "!" : " ", k.planSeconds));
    if (table->csv && rank == 0)
      std::fprintf(table->csv, "%s,%s,%lld,%lld,%d,%s,%.6e,%.4f,%.2f,%.3e,%.3e,%.3f\n", cases[0].spec.c_str(),
                   k.spec.c_str(), static_cast<long long>(k.group.order()),
                   static_cast<long long>(k.channels), table->ranks, k.conv->strategyName(), t, t / ref,
                   k.bytesPerNeuron, k.equivError, k.impulseError, k.planSeconds);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode run(MPI_Comm comm, bool help) {
  Options o;
  Table table;
  PetscFunctionBeginUser;
  ParameterSet p;
  p.section("bench_groups: non-abelian vs abelian group convolution");
  p.integer("kmin", &o.kmin, "Smallest log2 n for D_n vs Z_2n");
  p.integer("kmax", &o.kmax, "Largest log2 n for D_n vs Z_2n");
  p.integers("sides", &o.sides, "Sides n for S4 x Z_n x Z_n vs Z24 x Z_n x Z_n (empty: none)");
  p.integer("channels", &o.channels, "Channels C in the D_n and S4 sets");
  p.integer("channel_compare", &o.channelCompare, "c for Z_2n/c with c channels vs Z_2n (0: skip)");
  p.flag("torus2", &o.torus2, "Also compare D_n with Z_n x Z_2");
  p.real("min_seconds", &o.minSeconds, "Minimum duration of a timed batch").above(0);
  p.integer("batches", &o.batches, "Timed batches per operator (median reported)");
  p.text("fft_planner", &o.planner, "FFTW planning effort: estimate, measure or patient");
  p.text("csv", &o.csv, "Also write the table as CSV");
  bool stop = false;
  PetscCall(readBenchmarkOptions(comm, p, help, &stop));
  if (stop) PetscFunctionReturn(0);
  PetscCheck(o.kmin >= 1 && o.kmax <= 28, comm, PETSC_ERR_USER_INPUT,
             "-kmin/-kmax: need 1 <= kmin, kmax <= 28");
  PetscCheck(o.channels >= 1, comm, PETSC_ERR_USER_INPUT, "-channels: need >= 1");
  PetscCheck(o.channelCompare >= 0, comm, PETSC_ERR_USER_INPUT, "-channel_compare: need >= 0");
  PetscCheck(o.batches >= 1, comm, PETSC_ERR_USER_INPUT, "-batches: need >= 1");
  for (PetscInt n : o.sides)
    PetscCheck(n >= 2, comm, PETSC_ERR_USER_INPUT, "-sides: need n >= 2, got %" PetscInt_FMT, n);
  PetscMPIInt size = 1, rank = 0;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  table.ranks = size;
  if (!o.csv.empty() && rank == 0) {
    table.csv = std::fopen(o.csv.c_str(), "w");
    if (table.csv)
      std::fprintf(table.csv,
                   "reference,group,order,channels,ranks,strategy,t_product,ratio,bytes_per_neuron,"
                   "equiv_err,impulse_err,t_plan\n");
  }
  PetscCall(PetscPrintf(
      comm,
      "# bench_groups: %d rank(s), planner %s, %" PetscInt_FMT " batches of >= %g s per operator\n"
      "# kernel: random normal (not even, w(g^-1) != w(g)): no real-spectrum shortcut for any "
      "group\n"
      "# s/product: median over batches of (batch time, max over ranks) / reps; ratio: to the "
      "first (abelian) row of its set\n"
      "# B/neuron: memoryBytes / local state size, worst rank; equiv: max_a |J L_a x - L_a J x| / "
      "|J x| over the generators a;\n"
      "# impulse: |J delta_e - w/|G|| / |w/|G||; '!' marks a failed check\n",
      size, o.planner.c_str(), o.batches, o.minSeconds));
  PetscCall(PetscPrintf(comm, "%-16s %8s %2s %5s %-12s %11s %7s %9s %9s %9s  %8s\n", "group", "|G|", "C",
                        "ranks", "strategy", "s/product", "ratio", "B/neuron", "equiv", "impulse", "plan s"));
  const PetscInt C = o.channels;
  for (PetscInt k = o.kmin; k <= o.kmax; ++k) {
    // Every row of a set has the same state length |G| C.
    const long n = 1L << k, cc = o.channelCompare;
    const std::string sn = std::to_string(n), s2n = std::to_string(2 * n);
    std::vector<std::pair<std::string, PetscInt>> specs{{"Z" + s2n, C}, {"D" + sn, C}};
    std::string title = "D" + sn;
    if (o.torus2) {
      specs.push_back({"Z" + sn + "xZ2", C});
      title += ", Z" + sn + "xZ2";
    }
    if (cc >= 2 && (2 * n) % cc == 0 && 2 * n / cc >= 2) {
      const std::string narrow = "Z" + std::to_string(2 * n / cc);
      specs.push_back({narrow, C * cc});
      title += ", " + narrow + " with C=" + std::to_string(C * cc);
    }
    title += " vs Z" + s2n + (C > 1 ? " with C=" + std::to_string(C) : "");
    PetscCall(benchSet(comm, title, specs, o, &table));
  }
  for (PetscInt n : o.sides) {
    const std::string s = std::to_string(n), torus = "xZ" + s + "xZ" + s;
    PetscCall(
        benchSet(comm, "S4" + torus + " vs Z24" + torus, {{"Z24" + torus, C}, {"S4" + torus, C}}, o, &table));
  }
  if (table.csv) std::fclose(table.csv);
  PetscCheck(!table.failed, comm, PETSC_ERR_PLIB,
             "bench_groups: a product failed its correctness check (rows marked '!')");
  PetscFunctionReturn(0);
}

} // namespace

int main(int argc, char **argv) {
  return eqrnn::bench::benchmarkMain(
      argc, argv, "bench_groups: non-abelian vs abelian group-convolution products\n", run);
}
