// eqrnn fixedpoints and eqrnn stability: the census of fixed-point manifolds and the spectrum of a given
// state.
#include "app/commands.hpp"

#include "core/options.hpp"
#include "core/signals.hpp"
#include "io/checkpoint.hpp"
#include "io/simulation_output.hpp"
#include <cmath>
#include <fstream>

namespace eqrnn {

namespace {
std::vector<double> toDoubles(const std::vector<PetscInt> &v) {
  return {v.begin(), v.end()};
}

// /fixed_points/fp_<i>/x and its attributes (a stable interface, see README).
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
  PetscCall(file.writeAttributes(
      path,
      {{"residual", m.residual},
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
       {"classification", m.hasStability ? s.classification : std::string("not computed")}}));
  PetscFunctionReturn(0);
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

PetscErrorCode printManifold(MPI_Comm comm, std::size_t i, const Manifold &m) {
  PetscReal amp = 0;
  PetscFunctionBeginUser;
  PetscCall(VecNorm(m.x, NORM_INFINITY, &amp));
  std::string stab;
  if (m.hasStability) {
    stab = ", " + m.stability.classification;
    if (m.stability.nUnstable) stab += " (" + std::to_string(m.stability.nUnstable) + " unstable)";
    stab += ", " + std::to_string(m.stability.nMarginal) + " marginal";
    if (!m.stability.re.empty()) {
      char lead[64];
      std::snprintf(lead, sizeof(lead), ", leading Re = %.4g", m.stability.re.front());
      stab += lead;
    }
  }
  PetscCall(PetscPrintf(comm,
                        "eqrnn: manifold %zu (family %" PetscInt_FMT
                        "): max|x| = %.4g, residual %.2e, stabiliser %s (order %" PetscInt_FMT
                        "), orbit of %" PetscInt_FMT " points%s\n",
                        i, m.family, static_cast<double>(amp), m.residual, m.stabiliser.description.c_str(),
                        m.stabiliser.order, m.orbitSize, stab.c_str()));
  PetscFunctionReturn(0);
}
// Census checkpoint: each manifold's state (/m_i, with its residual and start), the next start, the counters.
struct CensusProgress {
  PetscInt next = 0, failed = 0, repeats = 0;
};

PetscErrorCode writeCensusCheckpoint(MPI_Comm comm, const std::string &output, const CheckpointIdentity &id,
                                     const std::vector<Manifold> &ms, const CensusProgress &p) {
  Hdf5File f;
  unsigned long long total = 0;
  PetscFunctionBeginUser;
  PetscCall(Hdf5File::create(comm, temporaryCheckpointPath(output), &f));
  for (std::size_t i = 0; i < ms.size(); ++i) {
    unsigned long long sum = 0;
    const std::string path = "/m_" + std::to_string(i);
    PetscCall(f.writeVector(path, ms[i].x));
    PetscCall(vecChecksum(ms[i].x, &sum));
    total += sum;
    PetscCall(f.writeAttributes(
        path, {{"residual", ms[i].residual}, {"start", static_cast<long long>(ms[i].start)}}));
  }
  std::vector<Attribute> attrs;
  PetscCall(checkpointAttributes(comm, id, &attrs));
  attrs.insert(attrs.end(), {{"kind", std::string("census")},
                             {"next_start", static_cast<long long>(p.next)},
                             {"failed", static_cast<long long>(p.failed)},
                             {"repeats", static_cast<long long>(p.repeats)},
                             {"count", static_cast<long long>(ms.size())},
                             {"x_checksum", std::to_string(total)},
                             {"complete", 1LL}});
  PetscCall(f.writeAttributes("/", attrs));
  PetscCall(f.close());
  PetscCall(commitCheckpoint(comm, output));
  PetscFunctionReturn(0);
}

// Reads a census checkpoint (states into fresh Vecs of net's layout); *ok = false with a reason otherwise.
PetscErrorCode readCensusCheckpoint(MPI_Comm comm, const std::string &file, const CheckpointIdentity &id,
                                    RateNetwork &net, CensusProgress *p, std::vector<VecHandle> *states,
                                    std::vector<double> *residuals, std::vector<PetscInt> *starts, bool *ok,
                                    std::string *reason) {
  PetscFunctionBeginUser;
  *ok = false;
  states->clear();
  residuals->clear();
  starts->clear();
  if (!std::ifstream(file).good()) {
    *reason = file + ": missing";
    PetscFunctionReturn(0);
  }
  // Damage must not abort: every error below is a result.
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  Hdf5File f;
  PetscErrorCode code = Hdf5File::open(comm, file, &f, true);
  bool identity = false, found = true, present = false;
  std::string why, kind, xsum;
  double next = 0, failed = 0, repeats = 0, count = 0, complete = 0;
  if (!code) code = checkIdentity(f, file, id, &identity, &why);
  for (auto [name, v] : {std::pair<const char *, double *>{"next_start", &next},
                         {"failed", &failed},
                         {"repeats", &repeats},
                         {"count", &count},
                         {"complete", &complete}})
    if (!code) code = f.readNumber("/", name, v, &present), found = found && present;
  if (!code) code = f.readString("/", "kind", &kind, &present), found = found && present;
  if (!code) code = f.readString("/", "x_checksum", &xsum, &present), found = found && present;
  for (long long i = 0; !code && found && i < static_cast<long long>(count); ++i) {
    double r = 0, st = 0;
    const std::string path = "/m_" + std::to_string(i);
    code                   = f.readNumber(path, "residual", &r, &present);
    found                  = found && present;
    if (!code) code = f.readNumber(path, "start", &st, &present), found = found && present;
    residuals->push_back(r);
    starts->push_back(static_cast<PetscInt>(st));
  }
  if (!code) code = f.close();
  if (!code && found && !identity) { // another run's checkpoint: say so before reading states that do not fit
    PetscPopErrorHandler();
    *reason = why;
    PetscFunctionReturn(0);
  }
  unsigned long long total = 0;
  for (long long i = 0; !code && found && complete == 1 && i < static_cast<long long>(count); ++i) {
    VecHandle x;
    unsigned long long sum = 0;
    code                   = net.createVec(x.address());
    if (!code) code = readVector(comm, file, "/m_" + std::to_string(i), x);
    if (!code) code = vecChecksum(x, &sum);
    total += sum;
    states->push_back(std::move(x));
  }
  PetscPopErrorHandler();
  if (code || !found || complete != 1 || kind != "census" || xsum != std::to_string(total)) {
    *reason = file + ": unreadable, incomplete or corrupt";
    PetscFunctionReturn(0);
  }
  if (!identity) {
    *reason = why;
    PetscFunctionReturn(0);
  }
  p->next    = static_cast<PetscInt>(next);
  p->failed  = static_cast<PetscInt>(failed);
  p->repeats = static_cast<PetscInt>(repeats);
  *ok        = true;
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode runFixedPoints(MPI_Comm comm, const FixedPointConfig &config, FixedPointResult *result,
                              bool quiet) {
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
    if (o.kind == "failed") ++result->failed;
    if (o.kind == "repeat") ++result->repeats;
    if (!quiet)
      PetscCall(PetscPrintf(comm,
                              "eqrnn: start %" PetscInt_FMT "/%" PetscInt_FMT ": %s %s (%" PetscInt_FMT
                              " Newton iterations)\n",
                              o.start + 1, starts, o.kind.c_str(), o.detail.c_str(), o.iterations));
    PetscFunctionReturn(0);
  };
  // Resume: re-admit the checkpoint's manifolds in their order (stabilisers, families and spectra are
  // recomputed, deterministically), then continue with the remaining starts.
  CheckpointIdentity id;
  id.group    = net->group().spec();
  id.neurons  = net->connectivity().size();
  id.channels = net->channels();
  PetscCall(vecChecksum(net->kernel(), &id.kernelChecksum));
  CensusProgress at;
  if (!config.restart.empty()) {
    const std::vector<std::string> candidates = config.restart == "auto"
                                                    ? checkpointCandidates(config.output)
                                                    : std::vector<std::string>{config.restart};
    bool resumed                              = false;
    std::vector<VecHandle> states;
    std::vector<double> residuals;
    std::vector<PetscInt> startsOf;
    std::string chosen;
    for (const auto &candidate : candidates) {
      CensusProgress p;
      std::vector<VecHandle> s2;
      std::vector<double> r2;
      std::vector<PetscInt> st2;
      bool ok = false;
      std::string reason;
      if (config.restart == "auto" && !std::ifstream(candidate).good()) continue;
      PetscCall(readCensusCheckpoint(comm, candidate, id, *net, &p, &s2, &r2, &st2, &ok, &reason));
      if (!ok) {
        PetscCheck(config.restart == "auto", comm, PETSC_ERR_FILE_READ, "-restart: %s", reason.c_str());
        PetscCall(PetscPrintf(comm, "eqrnn: checkpoint skipped: %s\n", reason.c_str()));
        continue;
      }
      if (!resumed || p.next > at.next) {
        at = p, states = std::move(s2), residuals = std::move(r2), startsOf = std::move(st2),
        chosen  = candidate;
        resumed = true;
      }
    }
    if (resumed) {
      for (std::size_t i = 0; i < states.size(); ++i) {
        StartOutcome o;
        PetscCall(finder->consider(states[i], residuals[i], startsOf[i], &o));
        PetscCheck(o.kind == "new", comm, PETSC_ERR_PLIB,
                   "checkpoint %s: manifold %zu was not new on re-admission", chosen.c_str(), i);
      }
      result->failed  = at.failed;
      result->repeats = at.repeats;
      PetscCall(PetscPrintf(
          comm, "eqrnn: resuming the census from %s: %zu manifold(s), next start %" PetscInt_FMT "\n",
          chosen.c_str(), states.size(), at.next + 1));
    } else {
      PetscCall(PetscPrintf(comm, "eqrnn: no valid checkpoint next to %s: starting the census\n",
                            config.output.c_str()));
    }
  }
  PreemptionSignals signals;
  PetscInt written     = 0;
  auto withCheckpoints = [&](const StartOutcome &o) -> PetscErrorCode {
    PetscFunctionBeginUser;
    PetscCall(progress(o));
    int raised = PreemptionSignals::raised();
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &raised, 1, MPI_INT, MPI_MAX, comm));
    const bool due =
        raised || (config.checkpointStarts > 0 && (o.start + 1 - at.next) % config.checkpointStarts == 0);
    if (!due || o.start + 1 >= starts) PetscFunctionReturn(0);
    CensusProgress p{o.start + 1, result->failed, result->repeats};
    PetscCall(writeCensusCheckpoint(comm, config.output, id, finder->manifolds(), p));
    ++written;
    if (raised || (config.stopAfterCheckpoints > 0 && written >= config.stopAfterCheckpoints)) {
      finder->requestStop();
      result->stoppedEarly = true;
    }
    PetscFunctionReturn(0);
  };
  PetscCall(finder->census(at.next, withCheckpoints));
  if (result->stoppedEarly) {
    PetscCall(file.close());
    PetscFunctionReturn(0);
  }
  result->starts      = starts;
  result->wallSeconds = MPI_Wtime() - t0;
  auto &ms            = finder->manifolds();
  for (std::size_t i = 0; i < ms.size(); ++i)
    PetscCall(printManifold(comm, i, ms[i]));
  PetscCall(writeCensus(file, ms,
                        {{"starts", static_cast<long long>(starts)},
                         {"failed_starts", static_cast<long long>(result->failed)},
                         {"repeat_starts", static_cast<long long>(result->repeats)},
                         {"wall_seconds", result->wallSeconds}}));
  PetscCall(file.writeAttributes(
      "/", {{"finished", isoTimeNow()}, {"convolution", net->connectivity().strategyName()}}));
  PetscCall(file.close());
  result->manifolds = std::move(ms);
  PetscFunctionReturn(0);
}

PetscErrorCode runStability(MPI_Comm comm, const StabilityConfig &config, Manifold *result) {
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<OrbitTools> orbits;
  Hdf5File file;
  VecHandle f;
  PetscReal fnorm = 0, xnorm = 0;
  PetscFunctionBeginUser;
  PetscCall(RateNetwork::create(comm, config.network, &net));
  PetscCall(checkNoUnusedOptions(comm));
  PetscCall(net->createVec(result->x.address()));
  PetscCall(readVector(comm, config.stateFile, config.stateDataset, result->x));
  PetscCall(net->createVec(f.address()));
  PetscCall(net->holdInputAt(config.inputTime));
  PetscCall(net->rhs(config.inputTime, result->x, f));
  PetscCall(VecScale(f, net->spec().tau));
  PetscCall(VecNorm(f, NORM_2, &fnorm));
  PetscCall(VecNorm(result->x, NORM_2, &xnorm));
  result->residual = fnorm / std::max<PetscReal>(1.0, xnorm);
  PetscCall(OrbitTools::create(comm, net->group(), net->spec().fftPlanner, &orbits, net->channels()));
  PetscCall(orbits->stabiliser(result->x, 1e-6 * std::max<PetscReal>(1.0, xnorm), &result->stabiliser));
  result->orbitSize = net->group().order() / result->stabiliser.order;
  PetscCall(analyseStability(*net, result->x, config.stability, &result->stability));
  result->hasStability = true;
  PetscCall(printManifold(comm, 0, *result));
  if (result->residual > 1e-6)
    PetscCall(
        PetscPrintf(comm,
                    "eqrnn: note: the state is not a fixed point (residual %.2e); the spectrum is that of "
                    "the linearisation there\n",
                    result->residual));
  PetscCall(createResultFile(comm, config.output, net->group(), parameterAttributes(config), &file,
                             net->channels()));
  PetscCall(file.ensureGroup("/fixed_points"));
  PetscCall(writeManifold(file, 0, *result));
  PetscCall(file.writeAttributes("/fixed_points", {{"count", 1LL}}));
  PetscCall(file.writeAttributes("/", {{"finished", isoTimeNow()}}));
  PetscCall(file.close());
  PetscFunctionReturn(0);
}

} // namespace eqrnn
