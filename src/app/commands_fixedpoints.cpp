// eqrnn fixedpoints and eqrnn stability: the census of fixed-point manifolds and the spectrum of a given
// state.
#include "app/commands.hpp"

#include "core/options.hpp"
#include "io/simulation_output.hpp"
#include <cmath>

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
  PetscCall(finder->census(0, progress));
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
      "/", {{"finished", isoTimeNow()}, {"convolution", net->connectivity().strategy()}}));
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
