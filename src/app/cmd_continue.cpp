// eqrnn continue: bifurcation diagrams. Pseudo-arclength continuation of fixed-point branches in one network
// parameter, with stability, bifurcation points and equivariant branch switching (solvers/continuation.hpp).
#include "app/command.hpp"
#include "app/commands.hpp"
#include "io/simulation_output.hpp"
#include "solvers/continuation.hpp"
#include <algorithm>
#include <cmath>

namespace eqrnn {

void declareParameters(ParameterSet &p, ContinueConfig &c) {
  ContinuationSpec &s = c.cont;
  declareNetwork(p, c.network);
  p.section("continuation: parameter, range and steps");
  p.text("cont_parameter", &c.parameter,
         "Parameter to continue in: J0, J1, J2, kappa, kappa2, gain, threshold, input_amplitude, "
         "irrep_gain:<i|label>, fourier_cos:<i>, fourier_sin:<i>; it starts at the value the network option gives")
      .identity();
  p.real("cont_min", &s.minimum, "Lower end of the parameter range (required)").identity();
  p.real("cont_max", &s.maximum, "Upper end of the parameter range (required)").identity();
  p.real("cont_ds", &s.ds, "Initial arclength step (state measured as RMS, |x|/sqrt(N))").above(0).identity();
  p.real("cont_ds_min", &s.dsMin, "Smallest step before a branch is given up").above(0).identity();
  p.real("cont_ds_max", &s.dsMax, "Largest step").above(0).identity();
  p.integer("cont_max_steps", &s.maxSteps, "Steps per direction of a branch").atLeast(1).identity();
  p.real("cont_tol", &s.tol, "Corrector tolerance: |residual| <= tol max(1, |u|)").above(0).identity();
  p.integer("cont_max_iterations", &s.maxIterations, "Newton iterations per corrector (also -cont_snes_max_it)")
      .atLeast(1)
      .identity();
  p.flag("cont_phase_conditions", &s.phaseConditions,
         "Phase conditions (one speed unknown per axis the state moves along) against the drift along the orbit")
      .identity();
  p.section("continuation: stability and bifurcations");
  p.integer("cont_nev", &s.nev, "Leading eigenvalues computed at every point (SLEPc, -cont_eps_* options)")
      .atLeast(1)
      .identity();
  p.real("cont_marginal_tol", &s.marginalTol, "|lambda| below this is marginal (not a crossing)")
      .atLeast(0)
      .identity();
  p.real("cont_cluster_tol", &s.clusterTol, "Eigenvalues this close (relative) form one multiplet")
      .above(0)
      .identity();
  p.real("cont_locate_tol", &s.locateTol, "Bifurcation points located to this relative parameter tolerance")
      .above(0)
      .identity();
  p.real("cont_symmetry_tol", &s.symmetryTol, "h x = x when |h x - x| <= tol max(1, |x|) (isotropy)")
      .above(0)
      .identity();
  p.section("continuation: the diagram");
  p.integer("cont_depth", &s.depth, "Branch switching recursion depth (0: the start branches only)")
      .atLeast(0)
      .identity();
  p.integer("cont_max_branches", &s.maxBranches, "At most this many branches").atLeast(1).identity();
  p.flag("cont_start_zero", &s.startAtZero, "Start a branch at x = 0 (Newton-corrected: the uniform state)")
      .identity();
  p.words("cont_start_file", &s.startFiles,
          "Further start states, FILE[:DATASET] (default dataset /final/x; a census' /fixed_points/fp_<i>/x)")
      .identity();
  p.integer("cont_save_every", &s.saveEvery, "Write the state every this many points (0: none)").atLeast(0);
  p.real("cont_input_time", &s.inputTime, "Time at which the input is taken").identity();
  p.section("output");
  p.flag("quiet", &c.quiet, "No branch lines (the output file is written all the same)");
  p.text("output", &c.output, "Output HDF5 file (its folder is created)");
}

PetscErrorCode validate(MPI_Comm comm, ContinueConfig &c) {
  std::string error;
  PetscFunctionBeginUser;
  PetscCheck(parseNetworkParameter(c.parameter, c.network.kernel.irreps, &c.cont.parameter, &error), comm,
             PETSC_ERR_USER_INPUT, "-cont_parameter %s: %s", c.parameter.c_str(), error.c_str());
  PetscCheck(c.cont.minimum < c.cont.maximum, comm, PETSC_ERR_USER_INPUT,
             "-cont_min %g and -cont_max %g: the range is empty (give -cont_min < -cont_max)", c.cont.minimum,
             c.cont.maximum);
  PetscCheck(c.cont.dsMin <= c.cont.ds && c.cont.ds <= c.cont.dsMax, comm, PETSC_ERR_USER_INPUT,
             "-cont_ds %g must lie in [-cont_ds_min %g, -cont_ds_max %g]", c.cont.ds, c.cont.dsMin, c.cont.dsMax);
  PetscCheck(c.cont.startAtZero || !c.cont.startFiles.empty(), comm, PETSC_ERR_USER_INPUT,
             "nothing to continue: -cont_start_zero is false and no -cont_start_file is given");
  PetscFunctionReturn(0);
}

namespace {
// Rows of equal length from the points' vectors (NaN where a point has fewer entries).
std::vector<double> columns(const std::vector<BranchPoint> &pts, std::vector<double> BranchPoint::*field,
                            std::size_t *width) {
  *width = 0;
  for (const auto &pt : pts)
    *width = std::max(*width, (pt.*field).size());
  std::vector<double> out(pts.size() * *width, NAN);
  for (std::size_t i = 0; i < pts.size(); ++i)
    for (std::size_t j = 0; j < (pts[i].*field).size(); ++j)
      out[i * *width + j] = (pts[i].*field)[j];
  return out;
}

PetscErrorCode writeBranch(Hdf5File &file, std::size_t i, const Branch &b) {
  const std::string g = "/continuation/branch_" + std::to_string(i);
  const hsize_t P     = b.points.size();
  PetscFunctionBeginUser;
  PetscCall(file.ensureGroup(g));
  std::vector<double> parameter, norm, mean;
  std::vector<long long> unstable, marginal, iterations;
  for (const auto &pt : b.points) {
    parameter.push_back(pt.parameter);
    norm.push_back(pt.norm);
    mean.push_back(pt.mean);
    unstable.push_back(pt.nUnstable);
    marginal.push_back(pt.nMarginal);
    iterations.push_back(pt.iterations);
  }
  PetscCall(writeArray(file, g + "/parameter", {P}, parameter.data()));
  PetscCall(writeArray(file, g + "/amplitude", {P}, norm.data()));
  PetscCall(writeArray(file, g + "/mean", {P}, mean.data()));
  PetscCall(writeArray(file, g + "/n_unstable", {P}, unstable.data()));
  PetscCall(writeArray(file, g + "/n_marginal", {P}, marginal.data()));
  PetscCall(writeArray(file, g + "/iterations", {P}, iterations.data()));
  std::size_t w = 0;
  auto fourier  = columns(b.points, &BranchPoint::fourier, &w);
  if (w > 0) PetscCall(writeArray(file, g + "/fourier_amplitude", {P, w}, fourier.data()));
  auto re = columns(b.points, &BranchPoint::re, &w);
  auto im = columns(b.points, &BranchPoint::im, &w);
  PetscCall(writeArray(file, g + "/eigenvalues_re", {P, w}, re.data()));
  PetscCall(writeArray(file, g + "/eigenvalues_im", {P, w}, im.data()));
  auto speed = columns(b.points, &BranchPoint::speed, &w);
  if (w > 0) PetscCall(writeArray(file, g + "/speed", {P, w}, speed.data()));
  if (!b.states.empty()) {
    hsize_t rows = 0;
    for (const auto &s : b.states)
      PetscCall(file.appendRow(g + "/states", s, &rows));
    std::vector<long long> at(b.statePoints.begin(), b.statePoints.end());
    PetscCall(writeArray(file, g + "/state_points", {at.size()}, at.data()));
  }
  std::string axes;
  for (PetscInt a : b.phaseAxes)
    axes += (axes.empty() ? "" : ",") + std::to_string(a);
  PetscCall(file.writeAttributes(g, {{"stabiliser", b.stabiliser.description},
                                     {"stabiliser_order", static_cast<long long>(b.stabiliser.order)},
                                     {"orbit_size", static_cast<long long>(b.orbitSize)},
                                     {"isotropy", b.isotropy.description},
                                     {"isotropy_order", static_cast<long long>(b.isotropy.order)},
                                     {"parent", static_cast<long long>(b.parent)},
                                     {"born_at", static_cast<long long>(b.bornAt)},
                                     {"depth", static_cast<long long>(b.depth)},
                                     {"start", std::string(branchOriginName(b.origin))},
                                     {"end_reason", b.endReason},
                                     {"phase_axes", axes},
                                     {"points", static_cast<long long>(P)}}));
  PetscFunctionReturn(0);
}

PetscErrorCode writeBifurcations(Hdf5File &file, const std::vector<Bifurcation> &rows) {
  const std::string g = "/continuation/bifurcations";
  const hsize_t B     = rows.size();
  std::vector<double> parameter, amplitude;
  std::vector<long long> branch, multiplicity, sameAs;
  std::vector<std::string> type, irrep, started;
  PetscFunctionBeginUser;
  for (const auto &r : rows) {
    parameter.push_back(r.parameter);
    amplitude.push_back(r.amplitude);
    branch.push_back(r.branch);
    multiplicity.push_back(r.multiplicity);
    sameAs.push_back(r.sameAs);
    type.push_back(bifurcationTypeName(r.type));
    irrep.push_back(r.irrep);
    std::string s;
    for (PetscInt b : r.started)
      s += (s.empty() ? "" : ",") + std::to_string(b);
    started.push_back(s);
  }
  PetscCall(file.ensureGroup(g));
  PetscCall(writeArray(file, g + "/parameter", {B}, parameter.data()));
  PetscCall(writeArray(file, g + "/amplitude", {B}, amplitude.data()));
  PetscCall(writeArray(file, g + "/branch", {B}, branch.data()));
  PetscCall(writeArray(file, g + "/multiplicity", {B}, multiplicity.data()));
  PetscCall(writeArray(file, g + "/same_as", {B}, sameAs.data()));
  PetscCall(writeStrings(file, g + "/type", type));
  PetscCall(writeStrings(file, g + "/irrep", irrep));
  PetscCall(writeStrings(file, g + "/started", started));
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode writeContinuation(Hdf5File &file, const ContinueConfig &config, const ContinuationResult &r) {
  PetscFunctionBeginUser;
  PetscCall(file.ensureGroup("/continuation"));
  for (std::size_t i = 0; i < r.branches.size(); ++i)
    PetscCall(writeBranch(file, i, r.branches[i]));
  PetscCall(writeBifurcations(file, r.bifurcations));
  std::string notFollowed;
  for (const auto &line : r.notFollowed)
    notFollowed += (notFollowed.empty() ? "" : "\n") + line;
  PetscCall(file.writeAttributes("/continuation", {{"parameter", networkParameterName(config.cont.parameter)},
                                                   {"model", std::string("full")},
                                                   {"branch_count", static_cast<long long>(r.branches.size())},
                                                   {"bifurcation_count", static_cast<long long>(r.bifurcations.size())},
                                                   {"not_followed", notFollowed},
                                                   {"depth", static_cast<long long>(config.cont.depth)},
                                                   {"symmetry", r.symmetry},
                                                   {"steps", static_cast<long long>(r.steps)},
                                                   {"wall_seconds", r.wallSeconds}}));
  PetscFunctionReturn(0);
}

PetscErrorCode runContinue(MPI_Comm comm, const ContinueConfig &config, ContinuationResult *result) {
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<Continuation> cont;
  Hdf5File file;
  PetscFunctionBeginUser;
  PetscCall(RateNetwork::create(comm, config.network, &net));
  double start = 0;
  PetscCall(net->parameter(config.cont.parameter, &start));
  PetscCheck(config.cont.minimum <= start && start <= config.cont.maximum, comm, PETSC_ERR_USER_INPUT,
             "%s starts at %g (its network option), outside -cont_min %g .. -cont_max %g",
             networkParameterName(config.cont.parameter).c_str(), start, config.cont.minimum, config.cont.maximum);
  PetscCall(Continuation::create(*net, config.cont, &cont));
  PetscCall(Continuation::readSolverOptions(comm));
  PetscCall(checkNoUnusedOptions(comm));
  PetscCall(createResultFile(comm, config.output, net->group(), parameterAttributes(config), &file,
                             net->channels()));
  if (!config.quiet)
    PetscCall(PetscPrintf(comm, "eqrnn: continuing in %s from %g over [%g, %g]; symmetry %s\n",
                          networkParameterName(config.cont.parameter).c_str(), start, config.cont.minimum,
                          config.cont.maximum, cont->symmetry().describe().c_str()));
  PetscCall(cont->run(result));
  PetscCall(writeContinuation(file, config, *result));
  PetscCall(file.writeAttributes("/", {{"finished", isoTimeNow()}}));
  PetscCall(file.close());
  PetscFunctionReturn(0);
}

namespace {
class ContinueCommand final : public Command {
public:
  void declare(ParameterSet &p) override { declareParameters(p, config_); }
  PetscErrorCode validate(MPI_Comm comm) override { return eqrnn::validate(comm, config_); }
  PetscErrorCode listSolverOptions(MPI_Comm comm) override { return Continuation::readSolverOptions(comm); }
  PetscErrorCode run(MPI_Comm comm, const ParameterSet &, int *) override {
    ContinuationResult result;
    PetscFunctionBeginUser;
    PetscCall(runContinue(comm, config_, &result));
    PetscCall(PetscPrintf(comm,
                          "eqrnn: %zu branch(es), %zu bifurcation point(s), %" PetscInt_FMT
                          " points in %.2f s; written to %s\n",
                          result.branches.size(), result.bifurcations.size(), result.steps, result.wallSeconds,
                          config_.output.c_str()));
    PetscFunctionReturn(0);
  }

private:
  ContinueConfig config_;
};
} // namespace

EQRNN_REGISTER_COMMAND(ContinueCommand, "continue",
                       "bifurcation diagram: pseudo-arclength continuation, stability, equivariant branch switching",
                       25, false, "", "plot_bifurcation.py", {"-cont_snes_", "-cont_ksp_", "-cont_pc_", "-cont_eps_",
                                                              "-cont_st_", "-cont_bv_", "-cont_rg_"});

} // namespace eqrnn
