// eqrnn fixedpoints: the census of fixed-point manifolds (deflated Newton-Krylov from many starts), their
// stabilisers, orbits and SLEPc spectra, with checkpoints.
#include "app/command.hpp"
#include "app/commands.hpp"
#include "core/collective.hpp"
#include "io/simulation_output.hpp"
#include <cmath>

namespace eqrnn {

void declareParameters(ParameterSet &p, FixedPointConfig &c) {
  CensusSpec &s = c.census;
  declareNetwork(p, c.network);
  p.section("census");
  p.words(
       "fp_start_file", &s.startFiles,
       "States to polish into fixed points first, FILE[:DATASET] (default dataset /final/x), comma-separated")
      .identity();
  p.integer("fp_starts", &s.randomStarts, "Seeded random starts (after x = 0 and the symmetry seeds)")
      .atLeast(0);
  p.reals("fp_amplitudes", &s.amplitudes, "Amplitudes of the starts").identity();
  p.flag("fp_symmetry_seeds", &s.symmetrySeeds, "Starts built from the kernel's leading Fourier modes")
      .identity();
  p.integer("fp_seed", &s.seed, "Seed of the random starts").identity();
  p.real("fp_tol", &s.tol, "Accept x when |F(x)| <= tol max(1, |x|)").above(0).identity();
  p.integer("fp_max_it", &s.maxIterations, "Newton iterations per start").atLeast(1).identity();
  p.real("fp_deflation_power", &s.deflationPower, "Deflation exponent p").above(0).identity();
  p.real("fp_deflation_shift", &s.deflationShift, "Deflation shift alpha").atLeast(0).identity();
  p.real("fp_same_tol", &s.sameTol, "One manifold when the orbits are this close (relative)")
      .atLeast(0)
      .identity();
  p.real("fp_symmetry_tol", &s.symmetryTol, "L_a x = x within this (relative) distance")
      .atLeast(0)
      .identity();
  p.real("fp_family_tol", &s.familyTol,
         "One continuous family when a fractional translate is this close (relative)")
      .atLeast(0)
      .identity();
  p.real("fp_input_time", &s.inputTime, "Time at which the input is taken").identity();
  p.section("stability");
  p.flag("fp_stability", &s.stability, "Also compute each manifold's spectrum (SLEPc: -eps_* options)");
  p.real("stability_marginal_tol", &s.stabilitySpec.marginalTol, "|lambda| below this is a marginal mode")
      .atLeast(0);
  p.flag("stability_vectors", &s.stabilitySpec.saveVectors,
         "Write the eigenvectors (/fixed_points/fp_i/eigenvectors)");
  p.section("output and checkpoints");
  p.flag("quiet", &c.quiet, "No line per start");
  p.text("output", &c.output, "Output HDF5 file (its folder is created)");
  p.integer("checkpoint_starts", &c.checkpointStarts,
            "Checkpoint the census every this many starts (0: never)")
      .atLeast(0);
  declareResume(p, c.resume, false);
}

namespace {
std::vector<double> toDoubles(const std::vector<PetscInt> &v) {
  return {v.begin(), v.end()};
}

PetscErrorCode writeCensus(Hdf5File &file, const std::vector<Manifold> &ms,
                           const std::vector<Attribute> &summary) {
  PetscFunctionBeginUser;
  PetscCall(file.ensureGroup("/fixed_points"));
  for (std::size_t i = 0; i < ms.size(); ++i)
    PetscCall(writeManifold(file, i, ms[i]));
  std::vector<Attribute> attrs = summary;
  attrs.push_back({"count", static_cast<long long>(ms.size())});
  PetscCall(file.writeAttributes("/fixed_points", attrs));
  PetscFunctionReturn(0);
}

// A census checkpoint: each manifold's state (/m_i, with its residual and start), the next start, the
// counters.
struct CensusProgress {
  PetscInt next = 0, failed = 0, repeats = 0;
};

PetscErrorCode writeCensusCheckpoint(ResumableRun &run, const std::vector<Manifold> &ms,
                                     const CensusProgress &p) {
  PetscFunctionBeginUser;
  PetscCall(run.write([&](Hdf5File &f) -> PetscErrorCode {
    unsigned long long total = 0;
    PetscFunctionBeginUser;
    for (std::size_t i = 0; i < ms.size(); ++i) {
      unsigned long long sum = 0;
      const std::string path = "/m_" + std::to_string(i);
      PetscCall(f.writeVector(path, ms[i].x));
      PetscCall(vecChecksum(ms[i].x, &sum));
      total += sum;
      PetscCall(f.writeAttributes(
          path, {{"residual", ms[i].residual}, {"start", static_cast<long long>(ms[i].start)}}));
    }
    PetscCall(f.writeAttributes("/", {{"next_start", static_cast<long long>(p.next)},
                                      {"failed", static_cast<long long>(p.failed)},
                                      {"repeats", static_cast<long long>(p.repeats)},
                                      {"count", static_cast<long long>(ms.size())},
                                      {"x_checksum", std::to_string(total)}}));
    PetscFunctionReturn(0);
  }));
  PetscFunctionReturn(0);
}

// The census so far, from a checkpoint: the manifolds' states (in net's layout), residuals and starts.
struct CensusCheckpoint {
  CensusProgress progress;
  std::vector<VecHandle> states;
  std::vector<double> residuals;
  std::vector<PetscInt> starts;
};

PetscErrorCode resumeCensus(ResumableRun &run, RateNetwork &net, CensusCheckpoint *chosen, bool *resumed) {
  CensusCheckpoint staged;
  PetscFunctionBeginUser;
  auto read = [&](Hdf5File &f, const std::string &path, double *position,
                  std::string *damage) -> PetscErrorCode {
    double next = 0, failed = 0, repeats = 0, count = 0;
    bool a = false, b = false, c = false, d = false, e = false;
    std::string xsum;
    unsigned long long total = 0;
    PetscFunctionBeginUser;
    staged = CensusCheckpoint();
    PetscCall(f.readNumber("/", "next_start", &next, &a));
    PetscCall(f.readNumber("/", "failed", &failed, &b));
    PetscCall(f.readNumber("/", "repeats", &repeats, &c));
    PetscCall(f.readNumber("/", "count", &count, &d));
    PetscCall(f.readString("/", "x_checksum", &xsum, &e));
    if (!(a && b && c && d && e)) {
      *damage = "fields missing";
      PetscFunctionReturn(0);
    }
    for (long long i = 0; i < static_cast<long long>(count); ++i) {
      double r = 0, st = 0;
      bool g = false, h = false;
      const std::string m = "/m_" + std::to_string(i);
      PetscCall(f.readNumber(m, "residual", &r, &g));
      PetscCall(f.readNumber(m, "start", &st, &h));
      if (!(g && h)) {
        *damage = m + " incomplete";
        PetscFunctionReturn(0);
      }
      VecHandle x;
      unsigned long long sum = 0;
      PetscCall(net.createVec(x.address()));
      PetscCall(readVector(run.comm(), path, m, x));
      PetscCall(vecChecksum(x, &sum));
      total += sum;
      staged.states.push_back(std::move(x));
      staged.residuals.push_back(r);
      staged.starts.push_back(static_cast<PetscInt>(st));
    }
    if (xsum != std::to_string(total)) *damage = "the states do not match their checksum";
    staged.progress = {static_cast<PetscInt>(next), static_cast<PetscInt>(failed),
                       static_cast<PetscInt>(repeats)};
    *position       = next;
    PetscFunctionReturn(0);
  };
  std::function<void()> keep = [&] { *chosen = std::move(staged); };
  PetscCall(run.resume(read, keep, resumed));
  PetscFunctionReturn(0);
}
} // namespace

// /fixed_points/fp_<i>/x and its attributes (a stable interface, docs/formats.md).
PetscErrorCode writeManifold(Hdf5File &file, std::size_t i, const Manifold &m) {
  const std::string path   = "/fixed_points/fp_" + std::to_string(i);
  const StabilityResult &s = m.stability;
  PetscFunctionBeginUser;
  PetscCall(file.writeVector(path + "/x", m.x));
  for (std::size_t k = 0; k < s.vectorsRe.size(); ++k) {
    PetscCall(file.writeVector(path + "/eigenvectors/re_" + std::to_string(k), s.vectorsRe[k]));
    if (s.im[k] != 0.0)
      PetscCall(file.writeVector(path + "/eigenvectors/im_" + std::to_string(k), s.vectorsIm[k]));
  }
  std::vector<Attribute> attrs{
      {"residual", m.residual},
      {"stabiliser", m.stabiliser.description},
      {"stabiliser_order", static_cast<long long>(m.stabiliser.order)},
      {"stabiliser_elements",
       toDoubles(m.stabiliser.elements.size() <= 4096 ? m.stabiliser.elements : std::vector<PetscInt>{})},
      {"orbit_size", static_cast<long long>(m.orbitSize)},
      {"start", static_cast<long long>(m.start)},
      {"family", static_cast<long long>(m.family)},
      {"eigenvalues_real", s.re},
      {"eigenvalues_imag", s.im},
      {"n_unstable", static_cast<long long>(s.nUnstable)},
      {"n_marginal", static_cast<long long>(s.nMarginal)},
      {"tangent_overlap", s.tangentOverlap},
      {"tangent_axes", toDoubles(s.tangentAxes)},
      {"classification",
       std::string(classificationName(m.hasStability ? s.classification : Classification::NotComputed))}};
  if (m.symmetryClass >= 0) { // the census's grouping under Gamma (FixedPointFinder::classify)
    attrs.push_back({"symmetry_class", static_cast<long long>(m.symmetryClass)});
    attrs.push_back({"lattice_orbit", static_cast<long long>(m.latticeOrbit)});
    attrs.push_back({"isotropy", m.isotropy.description});
    attrs.push_back({"isotropy_order", static_cast<long long>(m.isotropy.order)});
  }
  PetscCall(file.writeAttributes(path, attrs));
  PetscFunctionReturn(0);
}

PetscErrorCode printManifold(MPI_Comm comm, std::size_t i, const Manifold &m) {
  PetscReal amp = 0;
  PetscFunctionBeginUser;
  PetscCall(VecNorm(m.x, NORM_INFINITY, &amp));
  std::string stab;
  if (m.hasStability) {
    stab = std::string(", ") + classificationName(m.stability.classification);
    if (m.stability.nUnstable) stab += " (" + std::to_string(m.stability.nUnstable) + " unstable)";
    stab += ", " + std::to_string(m.stability.nMarginal) + " marginal";
    if (!m.stability.re.empty()) {
      char lead[64];
      std::snprintf(lead, sizeof(lead), ", leading Re = %.4g", m.stability.re.front());
      stab += lead;
    }
  }
  std::string cls, iso;
  if (m.symmetryClass >= 0) {
    cls = ", class " + std::to_string(m.symmetryClass) + ", lattice orbit " + std::to_string(m.latticeOrbit);
    iso = ", isotropy order " + std::to_string(m.isotropy.order); // its description is in the file
  }
  PetscCall(PetscPrintf(comm,
                        "eqrnn: manifold %zu (family %" PetscInt_FMT
                        "%s): max|x| = %.4g, residual %.2e, stabiliser %s (order %" PetscInt_FMT
                        ")%s, orbit of %" PetscInt_FMT " points%s\n",
                        i, m.family, cls.c_str(), static_cast<double>(amp), m.residual,
                        m.stabiliser.description.c_str(), m.stabiliser.order, iso.c_str(), m.orbitSize,
                        stab.c_str()));
  PetscFunctionReturn(0);
}

PetscErrorCode runFixedPoints(MPI_Comm comm, const FixedPointConfig &config, FixedPointResult *result) {
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<FixedPointFinder> finder;
  Hdf5File file;
  PetscFunctionBeginUser;
  PetscCall(RateNetwork::create(comm, config.network, &net));
  PetscCall(FixedPointFinder::create(*net, config.census, &finder));
  PetscCall(checkNoUnusedOptions(comm));
  PetscCall(createResultFile(comm, config.output, net->group(), parameterAttributes(config), &file,
                             net->channels()));
  PetscInt starts = 0;
  PetscCall(finder->startCount(&starts));
  const double t0 = MPI_Wtime();
  *result         = FixedPointResult();
  auto progress   = [&](const StartOutcome &o) -> PetscErrorCode {
    PetscFunctionBeginUser;
    if (o.result == StartResult::Failed) ++result->failed;
    if (o.result == StartResult::Repeat) ++result->repeats;
    if (!config.quiet)
      PetscCall(PetscPrintf(comm,
                              "eqrnn: start %" PetscInt_FMT "/%" PetscInt_FMT ": %s %s (%" PetscInt_FMT
                              " Newton iterations)\n",
                              o.start + 1, starts, startResultName(o.result), o.detail.c_str(), o.iterations));
    PetscFunctionReturn(0);
  };
  // Resume: re-admit the checkpoint's manifolds in their order (stabilisers, families and spectra are
  // recomputed, deterministically), then continue with the remaining starts.
  CheckpointIdentity id;
  PetscCall(networkCheckpointIdentity(*net, CheckpointKind::Census, parameterIdentity(config), &id));
  ResumableRun run(comm, config.output, config.resume, id);
  CensusCheckpoint at;
  bool resumed = false;
  PetscCall(resumeCensus(run, *net, &at, &resumed));
  if (resumed) {
    for (std::size_t i = 0; i < at.states.size(); ++i) {
      StartOutcome o;
      PetscCall(finder->consider(at.states[i], at.residuals[i], at.starts[i], &o));
      PetscCheck(o.result == StartResult::New, comm, PETSC_ERR_PLIB,
                 "checkpoint %s: manifold %zu was not new on re-admission", run.chosen().c_str(), i);
    }
    result->failed  = at.progress.failed;
    result->repeats = at.progress.repeats;
    PetscCall(PetscPrintf(
        comm, "eqrnn: resuming the census from %s: %zu manifold(s), next start %" PetscInt_FMT "\n",
        run.chosen().c_str(), at.states.size(), at.progress.next + 1));
  } else if (!config.resume.restart.empty()) {
    PetscCall(PetscPrintf(comm, "eqrnn: no valid checkpoint next to %s: starting the census\n",
                          config.output.c_str()));
  }
  auto withCheckpoints = [&](const StartOutcome &o) -> PetscErrorCode {
    bool write = false;
    PetscFunctionBeginUser;
    PetscCall(progress(o));
    const bool scheduled =
        config.checkpointStarts > 0 && (o.start + 1 - at.progress.next) % config.checkpointStarts == 0;
    PetscCall(run.due(scheduled, &write));
    if (!write || o.start + 1 >= starts) PetscFunctionReturn(0);
    PetscCall(
        writeCensusCheckpoint(run, finder->manifolds(), {o.start + 1, result->failed, result->repeats}));
    if (run.stopRequested()) {
      finder->requestStop();
      result->stoppedEarly = true;
    }
    PetscFunctionReturn(0);
  };
  PetscCall(finder->census(at.progress.next, withCheckpoints));
  if (result->stoppedEarly) {
    PetscCall(file.close());
    PetscFunctionReturn(0);
  }
  result->starts      = starts;
  result->wallSeconds = MPI_Wtime() - t0;
  PetscCall(rootValue(comm, &result->wallSeconds)); // one clock for the file and the line printed
  // One class per state up to the whole symmetry group Gamma and the continuous families (not timed: the
  // census's wall_seconds stays the starts' time).
  FixedPointFinder::Classes classes;
  PetscCall(finder->classify(&classes));
  auto &ms = finder->manifolds();
  for (std::size_t i = 0; i < ms.size(); ++i)
    PetscCall(printManifold(comm, i, ms[i]));
  PetscCall(PetscPrintf(comm,
                        "eqrnn: %" PetscInt_FMT " symmetry class(es), %" PetscInt_FMT
                        " lattice orbit(s), %zu G-orbit(s) under %s\n",
                        classes.classes, classes.latticeOrbits, ms.size(), classes.symmetry.c_str()));
  PetscCall(writeCensus(file, ms,
                        {{"starts", static_cast<long long>(starts)},
                         {"failed_starts", static_cast<long long>(result->failed)},
                         {"repeat_starts", static_cast<long long>(result->repeats)},
                         {"wall_seconds", result->wallSeconds},
                         {"symmetry_classes", static_cast<long long>(classes.classes)},
                         {"lattice_orbits", static_cast<long long>(classes.latticeOrbits)},
                         {"symmetry", classes.symmetry}}));
  PetscCall(file.writeAttributes(
      "/", {{"finished", isoTimeNow()}, {"convolution", std::string(net->connectivity().strategyName())}}));
  PetscCall(file.close());
  result->manifolds = std::move(ms);
  PetscFunctionReturn(0);
}

namespace {
class FixedPointsCommand final : public Command {
public:
  void declare(ParameterSet &p) override { declareParameters(p, config_); }
  PetscErrorCode listSolverOptions(MPI_Comm comm) override {
    std::unique_ptr<RateNetwork> net;
    std::unique_ptr<FixedPointFinder> finder;
    PetscFunctionBeginUser;
    PetscCall(RateNetwork::create(comm, config_.network, &net));
    PetscCall(FixedPointFinder::create(*net, config_.census, &finder));
    PetscFunctionReturn(0);
  }
  PetscErrorCode run(MPI_Comm comm, const ParameterSet &, int *status) override {
    FixedPointResult result;
    PetscFunctionBeginUser;
    PetscCall(runFixedPoints(comm, config_, &result));
    if (result.stoppedEarly) {
      *status = kExitRequeue;
      PetscFunctionReturn(0);
    }
    PetscCall(PetscPrintf(comm,
                          "eqrnn: %zu manifold(s) from %" PetscInt_FMT " starts (%" PetscInt_FMT
                          " repeats, %" PetscInt_FMT " failed) in %.2f s; written to %s\n",
                          result.manifolds.size(), result.starts, result.repeats, result.failed,
                          result.wallSeconds, config_.output.c_str()));
    PetscFunctionReturn(0);
  }

private:
  FixedPointConfig config_;
};
} // namespace

EQRNN_REGISTER_COMMAND(FixedPointsCommand, "fixedpoints",
                       "census of fixed-point manifolds (deflated Newton-Krylov), stabilisers, SLEPc spectra",
                       20, true, "-checkpoint_starts 10", "plot_fixed_points.py",
                       {"-snes_", "-ksp_", "-pc_", "-eps_", "-st_", "-bv_", "-ds_", "-rg_", "-mat_"});

} // namespace eqrnn
