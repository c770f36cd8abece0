// eqrnn reduce: the exact reduced model on the kernel's irreps (docs/mathematics.md): its fixed points,
// stabilisers, families and spectra, each lifted and verified on the full network.
#include "app/command.hpp"
#include "app/commands.hpp"
#include "core/collective.hpp"
#include "io/simulation_output.hpp"
#include <algorithm>

namespace eqrnn {

void declareParameters(ParameterSet &p, ReduceConfig &c) {
  ReduceSpec &r = c.reduce;
  declareNetwork(p, c.network);
  p.section("reduced model");
  p.words("reduce_irreps", &r.irreps, "The kernel's Fourier support K (default: the irreps kernel's own)");
  p.integer("reduce_starts", &r.starts, "Random starts for Newton on the reduced model").atLeast(0);
  p.reals("reduce_amplitudes", &r.amplitudes, "Start amplitudes (per-neuron RMS)");
  p.integer("reduce_seed", &r.seed, "Seed of the random starts");
  p.real("reduce_tol", &r.tol, "Accept a when |F(a)| <= tol max(1, |a|)").above(0);
  p.integer("reduce_max_it", &r.maxIterations, "Newton iterations per start").atLeast(1);
  p.real("reduce_same_tol", &r.sameTol, "Same orbit when this close (relative)").atLeast(0);
  p.real("reduce_symmetry_tol", &r.symmetryTol, "L_a x = x within this (relative) distance").atLeast(0);
  p.real("stability_marginal_tol", &r.marginalTol, "|lambda| below this is a marginal mode").atLeast(0);
  p.flag("reduce_verify", &r.verify,
         "Lift each fixed point and check it on the full network (SLEPc: -eps_*)");
  p.section("output");
  p.flag("quiet", &c.quiet, "No table of orbits (the summary lines and the file stay)");
  p.text("output", &c.output, "Output HDF5 file (its folder is created)");
}

namespace {
std::vector<double> toDoubles(const std::vector<PetscInt> &v) {
  return {v.begin(), v.end()};
}

PetscErrorCode writeReduced(Hdf5File &file, const ReducedModel &model,
                            const std::vector<ReducedFixedPoint> &fps, const Group &G,
                            const std::vector<Attribute> &summary) {
  PetscFunctionBeginUser;
  PetscCall(file.ensureGroup("/reduced"));
  std::string labels;
  for (const auto &k : model.support())
    labels += (labels.empty() ? "" : ",") + productIrrepLabel(G, k);
  std::vector<Attribute> attrs{{"irreps", labels},
                               {"dimension", static_cast<long long>(model.dimension())},
                               {"count", static_cast<long long>(fps.size())},
                               {"support_defect", model.supportDefect()},
                               {"reduced_connectivity", model.reducedConnectivity()}};
  attrs.insert(attrs.end(), summary.begin(), summary.end());
  PetscCall(file.writeAttributes("/reduced", attrs));
  for (std::size_t i = 0; i < fps.size(); ++i) {
    const ReducedFixedPoint &p = fps[i];
    const std::string path     = "/reduced/fp_" + std::to_string(i);
    PetscCall(file.ensureGroup(path));
    PetscCall(file.writeVector(path + "/x", p.x));
    PetscCall(file.writeAttributes(
        path,
        {{"coordinates", p.a},
         {"residual_reduced", p.residualReduced},
         {"residual_full", p.residualFull},
         {"stabiliser", p.stabiliser.description},
         {"stabiliser_order", static_cast<long long>(p.stabiliser.order)},
         {"stabiliser_elements",
          toDoubles(p.stabiliser.elements.size() <= 4096 ? p.stabiliser.elements : std::vector<PetscInt>{})},
         {"orbit_size", static_cast<long long>(p.orbitSize)},
         {"dimension", static_cast<long long>(p.dimension)},
         {"start", static_cast<long long>(p.start)},
         {"family", static_cast<long long>(p.family)},
         {"eigenvalues_real", p.re},
         {"eigenvalues_imag", p.im},
         {"n_unstable", static_cast<long long>(p.nUnstable)},
         {"n_marginal", static_cast<long long>(p.nMarginal)},
         {"classification", std::string(classificationName(p.classification))},
         {"full_eigenvalues_real", p.fullRe},
         {"full_eigenvalues_imag", p.fullIm},
         {"spectrum_mismatch", p.spectrumMismatch},
         {"compared_eigenvalues", static_cast<long long>(p.comparedEigenvalues)},
         {"verified", static_cast<long long>(p.verified ? 1 : 0)}}));
  }
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode runReduce(MPI_Comm comm, const ReduceConfig &config, ReduceResult *result) {
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<ReducedModel> model;
  Hdf5File file;
  PetscFunctionBeginUser;
  const double t0 = MPI_Wtime();
  PetscCall(RateNetwork::create(comm, config.network, &net));
  PetscCall(ReducedModel::create(*net, config.reduce, &model));
  PetscCall(checkNoUnusedOptions(comm));
  const Group &G = net->group();
  PetscCall(PetscPrintf(comm,
                        "eqrnn reduce: %s, %" PetscInt_FMT " channel(s), N = %" PetscInt_FMT
                        ", reduced dimension R = %" PetscInt_FMT " (support defect %.1e)\n",
                        G.spec().c_str(), net->channels(), net->connectivity().size(), model->dimension(),
                        model->supportDefect()));
  PetscCall(model->census(&result->fixedPoints, &result->failedStarts));
  result->dimension   = model->dimension();
  result->wallSeconds = MPI_Wtime() - t0;
  PetscCall(rootValue(comm, &result->wallSeconds)); // one clock for the file and the line printed
  // One row per family (its first orbit) with the number of G-orbits it holds; the file has every orbit.
  if (!config.quiet)
    PetscCall(PetscPrintf(comm, "%-4s %-7s %-10s %-28s %6s %4s %-8s %9s %9s %9s %s\n", "fp", "orbits", "|x|",
                          "stabiliser", "orbit", "dim", "class", "res_full", "eig_diff", "max_re",
                          "verified"));
  std::vector<PetscInt> members;
  for (const auto &p : result->fixedPoints) {
    if (p.family >= static_cast<PetscInt>(members.size()))
      members.resize(static_cast<std::size_t>(p.family + 1), 0);
    ++members[static_cast<std::size_t>(p.family)];
  }
  std::vector<char> printed(members.size(), 0);
  bool allVerified = true;
  for (std::size_t i = 0; i < result->fixedPoints.size(); ++i) {
    const auto &p = result->fixedPoints[i];
    allVerified   = allVerified && p.verified;
    if (config.quiet || printed[static_cast<std::size_t>(p.family)]) continue;
    printed[static_cast<std::size_t>(p.family)] = 1;
    PetscReal xn                                = 0;
    PetscCall(VecNorm(p.x, NORM_2, &xn));
    PetscCall(PetscPrintf(
        comm,
        "%-4zu %-7" PetscInt_FMT " %-10.4g %-28s %6" PetscInt_FMT " %4" PetscInt_FMT
        " %-8s %9.1e %9.1e %9.4f %s\n",
        i, members[static_cast<std::size_t>(p.family)], xn, p.stabiliser.description.substr(0, 28).c_str(),
        p.orbitSize, p.dimension, classificationName(p.classification), p.residualFull, p.spectrumMismatch,
        p.re.empty() ? 0.0 : p.re[0], config.reduce.verify ? (p.verified ? "yes" : "NO") : "not checked"));
  }
  if (config.reduce.verify)
    PetscCall(PetscPrintf(comm, "eqrnn reduce: %s\n",
                          allVerified
                              ? "every orbit verified on the full network (residual, SLEPc spectrum)"
                              : "SOME ORBITS FAILED the full-network check (verified = 0 in the file)"));
  PetscInt families = 0;
  for (const auto &p : result->fixedPoints)
    families = std::max(families, p.family + 1);
  PetscCall(PetscPrintf(comm,
                        "eqrnn reduce: %" PetscInt_FMT
                        " families (orbits under every symmetry of the network: "
                        "G x G for class-function kernels)\n",
                        families));
  PetscCall(PetscPrintf(comm,
                        "eqrnn reduce: %zu orbits of fixed points from %" PetscInt_FMT
                        " starts (%" PetscInt_FMT " failed) in %.2f s; written to %s\n",
                        result->fixedPoints.size(), config.reduce.starts + 1, result->failedStarts,
                        result->wallSeconds, config.output.c_str()));
  PetscCall(createResultFile(comm, config.output, G, parameterAttributes(config), &file, net->channels()));
  PetscCall(writeReduced(file, *model, result->fixedPoints, G,
                         {{"starts", static_cast<long long>(config.reduce.starts + 1)},
                          {"families", static_cast<long long>(families)},
                          {"failed_starts", static_cast<long long>(result->failedStarts)},
                          {"wall_seconds", result->wallSeconds}}));
  PetscCall(file.writeAttributes(
      "/", {{"finished", isoTimeNow()}, {"convolution", std::string(net->connectivity().strategyName())}}));
  PetscCall(file.close());
  PetscFunctionReturn(0);
}

namespace {
class ReduceCommand final : public Command {
public:
  void declare(ParameterSet &p) override { declareParameters(p, config_); }
  PetscErrorCode run(MPI_Comm comm, const ParameterSet &, int *) override {
    ReduceResult result;
    return runReduce(comm, config_, &result);
  }

private:
  ReduceConfig config_;
};
} // namespace

EQRNN_REGISTER_COMMAND(
    ReduceCommand, "reduce",
    "exact reduced model on the kernel's irreps: fixed points, stabilisers, spectra, verified on "
    "the full network",
    50, false, "", "plot_reduced.py", {"-eps_", "-st_", "-bv_", "-ds_", "-rg_"});

} // namespace eqrnn
