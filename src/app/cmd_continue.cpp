// eqrnn continue: bifurcation diagrams. Pseudo-arclength continuation of fixed-point branches in one network
// parameter, with stability, bifurcation points and equivariant branch switching (solvers/continuation.hpp).
#include "app/command.hpp"
#include "app/commands.hpp"
#include "io/simulation_output.hpp"
#include "solvers/continuation.hpp"
#include "training/linalg.hpp"
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

namespace eqrnn {

void declareParameters(ParameterSet &p, ContinueConfig &c) {
  ContinuationSpec &s = c.cont;
  declareNetwork(p, c.network);
  p.section("continuation: parameter, range and steps");
  p.text("cont_parameter", &c.parameter,
         "Parameter to continue in: J0, J1, J2, kappa, kappa2, gain, threshold, input_amplitude, "
         "irrep_gain:<i|label>, fourier_cos:<i>, fourier_sin:<i>; it starts at the value the network option "
         "gives")
      .identity();
  p.choice("cont_model", &s.model,
           {{"full", ContinuationModel::Full}, {"reduced", ContinuationModel::Reduced}},
           "full: the whole network (matrix-free); reduced: the exact reduced model on the kernel's Fourier "
           "support "
           "(dense, R-dimensional; no input)")
      .identity();
  p.words("cont_irreps", &s.reduce.irreps,
          "reduced: the kernel's Fourier support K when the kernel is not an irreps kernel (labels of eqrnn "
          "group)")
      .identity();
  p.real("cont_min", &s.minimum, "Lower end of the parameter range (required)").identity();
  p.real("cont_max", &s.maximum, "Upper end of the parameter range (required)").identity();
  p.real("cont_ds", &s.ds, "Initial arclength step (state measured as RMS, |x|/sqrt(N))").above(0).identity();
  p.real("cont_ds_min", &s.dsMin, "Smallest step before a branch is given up").above(0).identity();
  p.real("cont_ds_max", &s.dsMax, "Largest step").above(0).identity();
  p.integer("cont_max_steps", &s.maxSteps, "Steps per direction of a branch").atLeast(1).identity();
  p.real("cont_tol", &s.tol, "Corrector tolerance: |residual| <= tol max(1, |u|)").above(0).identity();
  p.integer("cont_max_iterations", &s.maxIterations,
            "Newton iterations per corrector (also -cont_snes_max_it)")
      .atLeast(1)
      .identity();
  p.flag("cont_phase_conditions", &s.phaseConditions,
         "Phase conditions (one speed unknown per axis the state moves along) against the drift along the "
         "orbit")
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
  p.section("output and checkpoints");
  p.flag("quiet", &c.quiet, "No branch lines (the output file is written all the same)");
  p.text("output", &c.output, "Output HDF5 file (its folder is created)");
  p.integer(
       "checkpoint_branches", &c.checkpointBranches,
       "Checkpoint after every this many finished branches (0: only on a signal or -checkpoint_walltime)")
      .atLeast(0);
  declareResume(p, c.resume);
}

PetscErrorCode validate(MPI_Comm comm, ContinueConfig &c) {
  std::string error;
  PetscFunctionBeginUser;
  c.cont.quiet = c.quiet;
  PetscCheck(parseNetworkParameter(c.parameter, c.network.kernel.irreps, &c.cont.parameter, &error), comm,
             PETSC_ERR_USER_INPUT, "-cont_parameter %s: %s", c.parameter.c_str(), error.c_str());
  PetscCheck(c.cont.minimum < c.cont.maximum, comm, PETSC_ERR_USER_INPUT,
             "-cont_min %g and -cont_max %g: the range is empty (give -cont_min < -cont_max)", c.cont.minimum,
             c.cont.maximum);
  PetscCheck(c.cont.dsMin <= c.cont.ds && c.cont.ds <= c.cont.dsMax, comm, PETSC_ERR_USER_INPUT,
             "-cont_ds %g must lie in [-cont_ds_min %g, -cont_ds_max %g]", c.cont.ds, c.cont.dsMin,
             c.cont.dsMax);
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
  std::vector<std::string> components;
  for (const auto &pt : b.points)
    components.push_back(pt.unstableComponents);
  PetscCall(writeStrings(file, g + "/unstable_components", components));
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
                                     {"component_elements", b.componentElements},
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
  PetscCall(file.writeAttributes("/continuation",
                                 {{"parameter", networkParameterName(config.cont.parameter)},
                                  {"model", std::string(continuationModelName(config.cont.model))},
                                  {"branch_count", static_cast<long long>(r.branches.size())},
                                  {"bifurcation_count", static_cast<long long>(r.bifurcations.size())},
                                  {"not_followed", notFollowed},
                                  {"depth", static_cast<long long>(config.cont.depth)},
                                  {"symmetry", r.symmetry},
                                  {"steps", static_cast<long long>(r.steps)},
                                  {"wall_seconds", r.wallSeconds}}));
  PetscFunctionReturn(0);
}

namespace {
// The checkpoint: the diagram so far in the output's own layout (/continuation), and under /ckpt what a
// resumed run needs besides: the states of the located points (orbit-aware comparison of later ones), the
// branches still to do, and the branches' saved states.
PetscErrorCode writeContinuationCheckpoint(ResumableRun &run, const ContinueConfig &config,
                                           const ContinuationResult &r,
                                           const std::deque<PendingBranch> &queue) {
  PetscFunctionBeginUser;
  PetscCall(run.write([&](Hdf5File &f) -> PetscErrorCode {
    unsigned long long total = 0, sum = 0;
    PetscFunctionBeginUser;
    PetscCall(writeContinuation(f, config, r));
    for (std::size_t j = 0; j < r.bifurcations.size(); ++j) {
      const Bifurcation &b   = r.bifurcations[j];
      const std::string path = "/ckpt/row_" + std::to_string(j);
      std::string started;
      for (PetscInt i : b.started)
        started += (started.empty() ? "" : ",") + std::to_string(i);
      PetscCall(f.writeVector(path, b.x));
      PetscCall(vecChecksum(b.x, &sum));
      total += sum;
      PetscCall(f.writeAttributes(
          path,
          {{"type", std::string(bifurcationTypeName(b.type))}, {"irrep", b.irrep}, {"started", started}}));
    }
    for (std::size_t i = 0; i < r.branches.size(); ++i)
      for (std::size_t k = 0; k < r.branches[i].states.size(); ++k) {
        const std::string path = "/ckpt/branch_" + std::to_string(i) + "_state_" + std::to_string(k);
        PetscCall(f.writeVector(path, r.branches[i].states[k]));
        PetscCall(vecChecksum(r.branches[i].states[k], &sum));
        total += sum;
      }
    for (std::size_t k = 0; k < queue.size(); ++k) {
      const PendingBranch &q = queue[k];
      const std::string path = "/ckpt/pending_" + std::to_string(k);
      PetscCall(f.writeVector(path, q.x));
      PetscCall(vecChecksum(q.x, &sum));
      total += sum;
      if (q.direction) {
        PetscCall(f.writeVector(path + "_direction", q.direction));
        PetscCall(vecChecksum(q.direction, &sum));
        total += sum;
      }
      PetscCall(f.writeAttributes(path, {{"parent", static_cast<long long>(q.parent)},
                                         {"row", static_cast<long long>(q.row)},
                                         {"depth", static_cast<long long>(q.depth)},
                                         {"origin", static_cast<long long>(q.origin)},
                                         {"lambda", q.lambda},
                                         {"has_direction", static_cast<long long>(q.direction ? 1 : 0)}}));
    }
    PetscCall(f.writeAttributes("/", {{"branches_done", static_cast<long long>(r.branches.size())},
                                      {"pending", static_cast<long long>(queue.size())},
                                      {"x_checksum", std::to_string(total)}}));
    PetscFunctionReturn(0);
  }));
  PetscFunctionReturn(0);
}

struct ContinuationCheckpoint {
  ContinuationResult result;
  std::deque<PendingBranch> queue;
};

// Reads one branch of the /continuation layout back.
PetscErrorCode readBranch(Hdf5File &f, const std::string &g, Branch *b, std::string *damage) {
  std::map<std::string, std::vector<double>> data;
  std::map<std::string, std::vector<hsize_t>> dims;
  PetscFunctionBeginUser;
  for (const char *name :
       {"parameter", "amplitude", "mean", "n_unstable", "n_marginal", "iterations", "eigenvalues_re",
        "eigenvalues_im", "fourier_amplitude", "speed", "state_points"}) {
    bool found = false;
    PetscCall(readArray(f, g + "/" + name, &data[name], &found, &dims[name]));
    if (!found) data.erase(name);
  }
  double v[6]            = {0};
  bool ok[6]             = {false};
  const char *numbers[6] = {"stabiliser_order", "orbit_size", "isotropy_order", "parent", "born_at", "depth"};
  for (int k = 0; k < 6; ++k)
    PetscCall(f.readNumber(g, numbers[k], &v[k], &ok[k]));
  std::string stabiliser, isotropy, start, end, axes, elements;
  bool s1 = false, s2 = false, s3 = false, s4 = false, s5 = false, s6 = false, s7 = false;
  std::vector<std::string> components;
  PetscCall(f.readString(g, "component_elements", &elements, &s6));
  PetscCall(readStrings(f, g + "/unstable_components", &components, &s7));
  PetscCall(f.readString(g, "stabiliser", &stabiliser, &s1));
  PetscCall(f.readString(g, "isotropy", &isotropy, &s2));
  PetscCall(f.readString(g, "start", &start, &s3));
  PetscCall(f.readString(g, "end_reason", &end, &s4));
  PetscCall(f.readString(g, "phase_axes", &axes, &s5));
  if (!(ok[0] && ok[1] && ok[2] && ok[3] && ok[4] && ok[5] && s1 && s2 && s3 && s4 && s5 && s6 && s7) ||
      !data.count("parameter") || !data.count("eigenvalues_re") ||
      components.size() != data["parameter"].size()) {
    *damage = g + " incomplete";
    PetscFunctionReturn(0);
  }
  b->stabiliser.order       = static_cast<PetscInt>(v[0]);
  b->stabiliser.description = stabiliser;
  b->orbitSize              = static_cast<PetscInt>(v[1]);
  b->isotropy.order         = static_cast<PetscInt>(v[2]);
  b->isotropy.description   = isotropy;
  b->parent                 = static_cast<PetscInt>(v[3]);
  b->bornAt                 = static_cast<PetscInt>(v[4]);
  b->depth                  = static_cast<PetscInt>(v[5]);
  b->endReason              = end;
  b->componentElements      = elements;
  for (BranchOrigin o :
       {BranchOrigin::Start, BranchOrigin::StartFile, BranchOrigin::Pitchfork, BranchOrigin::Transcritical})
    if (start == branchOriginName(o)) b->origin = o;
  for (const auto &a : splitList(axes, ','))
    if (!a.empty()) b->phaseAxes.push_back(std::stoi(a));
  const std::size_t P = data["parameter"].size();
  // Rows of a 2-D dataset, trailing NaN padding dropped.
  auto row = [&](const char *name, std::size_t i) {
    std::vector<double> out;
    if (!data.count(name)) return out;
    const std::size_t w = dims[name].size() == 2 ? dims[name][1] : 0;
    out.assign(data[name].begin() + static_cast<std::ptrdiff_t>(i * w),
               data[name].begin() + static_cast<std::ptrdiff_t>((i + 1) * w));
    while (!out.empty() && std::isnan(out.back()))
      out.pop_back();
    return out;
  };
  for (std::size_t i = 0; i < P; ++i) {
    BranchPoint pt;
    pt.parameter  = data["parameter"][i];
    pt.norm       = data["amplitude"][i];
    pt.mean       = data["mean"][i];
    pt.nUnstable  = static_cast<PetscInt>(data["n_unstable"][i]);
    pt.nMarginal  = static_cast<PetscInt>(data["n_marginal"][i]);
    pt.iterations = static_cast<PetscInt>(data["iterations"][i]);
    pt.fourier    = row("fourier_amplitude", i);
    pt.re         = row("eigenvalues_re", i);
    pt.im         = row("eigenvalues_im", i);
    pt.speed      = row("speed", i);
    pt.im.resize(pt.re.size(), 0.0); // an imaginary part 0 is not padding
    pt.unstableComponents = components[i];
    b->points.push_back(std::move(pt));
  }
  if (data.count("state_points"))
    for (double at : data["state_points"])
      b->statePoints.push_back(static_cast<PetscInt>(at));
  PetscFunctionReturn(0);
}

PetscErrorCode resumeContinuation(ResumableRun &run, RateNetwork &net, ContinuationCheckpoint *chosen,
                                  bool *resumed) {
  auto staged = std::make_shared<ContinuationCheckpoint>();
  PetscFunctionBeginUser;
  auto read = [&](Hdf5File &f, const std::string &path, double *position,
                  std::string *damage) -> PetscErrorCode {
    double done = 0, pending = 0, branches = 0, rows = 0, steps = 0, wall = 0;
    bool a = false, b = false, c = false, d = false, e = false, w = false, nf = false, xs = false;
    std::string notFollowed, xsum;
    unsigned long long total = 0, sum = 0;
    PetscFunctionBeginUser;
    staged                = std::make_shared<ContinuationCheckpoint>();
    ContinuationResult &r = staged->result;
    PetscCall(f.readNumber("/", "branches_done", &done, &a));
    PetscCall(f.readNumber("/", "pending", &pending, &b));
    PetscCall(f.readString("/", "x_checksum", &xsum, &xs));
    PetscCall(f.readNumber("/continuation", "branch_count", &branches, &c));
    PetscCall(f.readNumber("/continuation", "bifurcation_count", &rows, &d));
    PetscCall(f.readNumber("/continuation", "steps", &steps, &e));
    PetscCall(f.readNumber("/continuation", "wall_seconds", &wall, &w));
    PetscCall(f.readString("/continuation", "not_followed", &notFollowed, &nf));
    if (!(a && b && c && d && e && w && nf && xs) || done != branches) {
      *damage = "fields missing";
      PetscFunctionReturn(0);
    }
    r.steps       = static_cast<PetscInt>(steps);
    r.wallSeconds = wall;
    std::istringstream lines(notFollowed);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) r.notFollowed.push_back(line);
    for (long long i = 0; i < static_cast<long long>(branches) && damage->empty(); ++i) {
      Branch br;
      PetscCall(readBranch(f, "/continuation/branch_" + std::to_string(i), &br, damage));
      for (std::size_t k = 0; k < br.statePoints.size() && damage->empty(); ++k) {
        VecHandle x;
        PetscCall(net.createVec(x.address()));
        PetscCall(readVector(run.comm(), path,
                             "/ckpt/branch_" + std::to_string(i) + "_state_" + std::to_string(k), x));
        PetscCall(vecChecksum(x, &sum));
        total += sum;
        br.states.push_back(std::move(x));
      }
      r.branches.push_back(std::move(br));
    }
    std::vector<double> parameter, amplitude, branch, multiplicity, sameAs;
    bool found[5]       = {false};
    const std::string g = "/continuation/bifurcations";
    PetscCall(readArray(f, g + "/parameter", &parameter, &found[0]));
    PetscCall(readArray(f, g + "/amplitude", &amplitude, &found[1]));
    PetscCall(readArray(f, g + "/branch", &branch, &found[2]));
    PetscCall(readArray(f, g + "/multiplicity", &multiplicity, &found[3]));
    PetscCall(readArray(f, g + "/same_as", &sameAs, &found[4]));
    for (long long j = 0; j < static_cast<long long>(rows) && damage->empty(); ++j) {
      Bifurcation row;
      const std::string rp = "/ckpt/row_" + std::to_string(j);
      std::string type, irrep, started;
      bool t1 = false, t2 = false, t3 = false;
      PetscCall(f.readString(rp, "type", &type, &t1));
      PetscCall(f.readString(rp, "irrep", &irrep, &t2));
      PetscCall(f.readString(rp, "started", &started, &t3));
      if (!(t1 && t2 && t3) || static_cast<long long>(parameter.size()) <= j) {
        *damage = rp + " incomplete";
        break;
      }
      for (BifurcationType t : {BifurcationType::Fold, BifurcationType::Branch, BifurcationType::Hopf})
        if (type == bifurcationTypeName(t)) row.type = t;
      row.parameter    = parameter[j];
      row.amplitude    = amplitude[j];
      row.branch       = static_cast<PetscInt>(branch[j]);
      row.multiplicity = static_cast<PetscInt>(multiplicity[j]);
      row.sameAs       = static_cast<PetscInt>(sameAs[j]);
      row.irrep        = irrep;
      for (const auto &sidx : splitList(started, ','))
        if (!sidx.empty()) row.started.push_back(std::stoi(sidx));
      PetscCall(net.createVec(row.x.address()));
      PetscCall(readVector(run.comm(), path, rp, row.x));
      PetscCall(vecChecksum(row.x, &sum));
      total += sum;
      r.bifurcations.push_back(std::move(row));
    }
    for (long long k = 0; k < static_cast<long long>(pending) && damage->empty(); ++k) {
      PendingBranch q;
      const std::string qp = "/ckpt/pending_" + std::to_string(k);
      double v[6]          = {0};
      bool ok[6]           = {false};
      const char *names[6] = {"parent", "row", "depth", "origin", "lambda", "has_direction"};
      for (int i = 0; i < 6; ++i)
        PetscCall(f.readNumber(qp, names[i], &v[i], &ok[i]));
      if (!(ok[0] && ok[1] && ok[2] && ok[3] && ok[4] && ok[5])) {
        *damage = qp + " incomplete";
        break;
      }
      q.parent = static_cast<PetscInt>(v[0]);
      q.row    = static_cast<PetscInt>(v[1]);
      q.depth  = static_cast<PetscInt>(v[2]);
      q.origin = static_cast<BranchOrigin>(static_cast<int>(v[3]));
      q.lambda = v[4];
      PetscCall(net.createVec(q.x.address()));
      PetscCall(readVector(run.comm(), path, qp, q.x));
      PetscCall(vecChecksum(q.x, &sum));
      total += sum;
      if (v[5] != 0) {
        PetscCall(net.createVec(q.direction.address()));
        PetscCall(readVector(run.comm(), path, qp + "_direction", q.direction));
        PetscCall(vecChecksum(q.direction, &sum));
        total += sum;
      }
      staged->queue.push_back(std::move(q));
    }
    if (damage->empty() && xsum != std::to_string(total)) *damage = "the states do not match their checksum";
    *position = done;
    PetscFunctionReturn(0);
  };
  auto keep = [&] { std::swap(*chosen, *staged); };
  PetscCall(run.resume(read, keep, resumed));
  PetscFunctionReturn(0);
}
} // namespace

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
             networkParameterName(config.cont.parameter).c_str(), start, config.cont.minimum,
             config.cont.maximum);
  PetscCall(Continuation::create(*net, config.cont, &cont));
  PetscCall(Continuation::readSolverOptions(comm));
  PetscCall(checkNoUnusedOptions(comm));
  PetscCall(createResultFile(comm, config.output, net->group(), parameterAttributes(config), &file,
                             net->channels()));
  if (!config.quiet)
    PetscCall(PetscPrintf(comm, "eqrnn: continuing in %s from %g over [%g, %g]; symmetry %s\n",
                          networkParameterName(config.cont.parameter).c_str(), start, config.cont.minimum,
                          config.cont.maximum, cont->symmetry().describe().c_str()));
  CheckpointIdentity id;
  PetscCall(networkCheckpointIdentity(*net, CheckpointKind::Continuation, parameterIdentity(config), &id));
  ResumableRun run(comm, config.output, config.resume, id);
  ContinuationCheckpoint at;
  bool resumed = false;
  PetscCall(resumeContinuation(run, *net, &at, &resumed));
  if (resumed) {
    *result = std::move(at.result);
    PetscCall(PetscPrintf(comm, "eqrnn: resuming the continuation from %s: %zu branch(es) done, %zu to do\n",
                          run.chosen().c_str(), result->branches.size(), at.queue.size()));
  }
  PetscInt finished = 0;
  auto progress     = [&](const ContinuationResult &r, const std::deque<PendingBranch> &queue,
                      bool *stop) -> PetscErrorCode {
    bool write = false;
    PetscFunctionBeginUser;
    ++finished;
    const bool scheduled = config.checkpointBranches > 0 && finished % config.checkpointBranches == 0;
    PetscCall(run.due(scheduled, &write));
    if (!write || queue.empty()) PetscFunctionReturn(0);
    PetscCall(writeContinuationCheckpoint(run, config, r, queue));
    *stop = run.stopRequested();
    PetscFunctionReturn(0);
  };
  PetscCall(cont->run(result, progress, resumed ? &at.queue : nullptr));
  if (result->stopped) {
    PetscCall(file.close());
    PetscFunctionReturn(0);
  }
  PetscCall(writeContinuation(file, config, *result));
  PetscCall(file.writeAttributes("/", {{"command", std::string("continue")}, {"finished", isoTimeNow()}}));
  PetscCall(file.close());
  PetscFunctionReturn(0);
}

namespace {
class ContinueCommand final : public Command {
public:
  void declare(ParameterSet &p) override { declareParameters(p, config_); }
  PetscErrorCode validate(MPI_Comm comm) override { return eqrnn::validate(comm, config_); }
  PetscErrorCode listSolverOptions(MPI_Comm comm) override { return Continuation::readSolverOptions(comm); }
  PetscErrorCode run(MPI_Comm comm, const ParameterSet &, int *status) override {
    ContinuationResult result;
    PetscFunctionBeginUser;
    PetscCall(runContinue(comm, config_, &result));
    if (result.stopped) {
      *status = kExitRequeue;
      PetscFunctionReturn(0);
    }
    PetscCall(PetscPrintf(comm,
                          "eqrnn: %zu branch(es), %zu bifurcation point(s), %" PetscInt_FMT
                          " steps in %.2f s; written to %s\n",
                          result.branches.size(), result.bifurcations.size(), result.steps,
                          result.wallSeconds, config_.output.c_str()));
    PetscFunctionReturn(0);
  }

private:
  ContinueConfig config_;
};
} // namespace

EQRNN_REGISTER_COMMAND(
    ContinueCommand, "continue",
    "bifurcation diagram: pseudo-arclength continuation, stability, equivariant branch switching", 25, true,
    "-checkpoint_branches 1", "plot_bifurcation.py",
    {"-cont_snes_", "-cont_ksp_", "-cont_pc_", "-cont_eps_", "-cont_st_", "-cont_bv_", "-cont_rg_"});

} // namespace eqrnn
