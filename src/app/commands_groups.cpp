// eqrnn group (a group's structure: classes, irreps, character table) and eqrnn reduce (the exact reduced
// model of THEORY.md section 3, lifted and verified on the full network).
#include "app/commands.hpp"

#include "core/options.hpp"
#include "io/simulation_output.hpp"
#include <sstream>

namespace eqrnn {

namespace {
PetscErrorCode printFactor(MPI_Comm comm, const GroupFactor &f, bool elements) {
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(
      comm, "\nfactor %s: order %" PetscInt_FMT ", %" PetscInt_FMT " conjugacy classes, %d irreps",
      f.name().c_str(), f.order(), f.classCount(), f.irrepCount()));
  std::ostringstream dims;
  for (int k = 0; k < f.irrepCount() && k < 40; ++k)
    dims << (k ? ", " : "") << f.irrepLabel(k) << "(" << f.irrepDim(k) << ")";
  if (f.irrepCount() > 40) dims << ", ...";
  PetscCall(PetscPrintf(comm, " of dimensions %s\n", dims.str().c_str()));
  if (f.axisOrder() > 1 && f.quotientOrder() > 1)
    PetscCall(PetscPrintf(
        comm, "  structure: Z%" PetscInt_FMT " x| Z2 (rotations r^j, reflection s: element 2j + e)\n",
        f.axisOrder()));
  if (!f.tableAvailable()) {
    PetscCall(PetscPrintf(comm, "  (too large to tabulate; chi_k(j) = exp(2 pi i k j / %" PetscInt_FMT "))\n",
                          f.order()));
    PetscFunctionReturn(0);
  }
  // Verified on the spot: the table printed is one that passed Schur orthogonality.
  const IrrepErrors e = verifyIrreps(f.table(), f.irreps());
  PetscCall(
      PetscPrintf(comm,
                  "  verified: Schur orthogonality %.1e, character orthogonality %.1e, homomorphism %.1e, "
                  "sum d^2 - |G| = %lld\n",
                  e.schur, e.characterOrthogonality, e.homomorphism, e.dimensionSumDefect));
  if (elements) {
    // Labels, inverses, classes and (small groups) the Cayley table: row a, column b holds the index of ab.
    std::ostringstream o;
    for (PetscInt a = 0; a < f.order(); ++a)
      o << "  " << a << " = " << f.label(a) << "   inverse " << f.inverse(a) << "   class " << f.classOf(a)
        << "\n";
    if (f.order() <= 32) {
      o << "  Cayley table (index of a b; row a, column b):\n";
      for (PetscInt a = 0; a < f.order(); ++a) {
        o << "  ";
        for (PetscInt b = 0; b < f.order(); ++b)
          o << (b ? " " : "") << (f.multiply(a, b) < 10 && f.order() > 10 ? " " : "") << f.multiply(a, b);
        o << "\n";
      }
    }
    PetscCall(PetscPrintf(comm, "%s", o.str().c_str()));
  }
  std::vector<std::string> labels; // the names -kernel_irreps takes
  for (int k = 0; k < f.irrepCount(); ++k)
    labels.push_back(f.irrepLabel(k));
  PetscCall(PetscPrintf(comm, "%s", formatCharacterTable(f.table(), f.irreps(), labels).c_str()));
  PetscFunctionReturn(0);
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
    PetscCall(
        file.writeAttributes(path, {{"coordinates", p.a},
                                    {"residual_reduced", p.residualReduced},
                                    {"residual_full", p.residualFull},
                                    {"stabiliser", p.stabiliser.description},
                                    {"stabiliser_order", static_cast<long long>(p.stabiliser.order)},
                                    {"orbit_size", static_cast<long long>(p.orbitSize)},
                                    {"dimension", static_cast<long long>(p.dimension)},
                                    {"start", static_cast<long long>(p.start)},
                                    {"family", static_cast<long long>(p.family)},
                                    {"eigenvalues_real", p.re},
                                    {"eigenvalues_imag", p.im},
                                    {"n_unstable", static_cast<long long>(p.nUnstable)},
                                    {"n_marginal", static_cast<long long>(p.nMarginal)},
                                    {"classification", p.classification},
                                    {"full_eigenvalues_real", p.fullRe},
                                    {"full_eigenvalues_imag", p.fullIm},
                                    {"spectrum_mismatch", p.spectrumMismatch},
                                    {"compared_eigenvalues", static_cast<long long>(p.comparedEigenvalues)},
                                    {"verified", static_cast<long long>(p.verified ? 1 : 0)}}));
  }
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode runGroup(MPI_Comm comm, const GroupConfig &config) {
  Group G;
  PetscFunctionBeginUser;
  PetscCall(parseGroup(comm, config.group, &G, config.permutations));
  PetscCall(checkNoUnusedOptions(comm));
  PetscCall(PetscPrintf(comm, "group %s: order %" PetscInt_FMT ", %s, %" PetscInt_FMT " conjugacy classes\n",
                        G.spec().c_str(), G.order(), G.isAbelian() ? "abelian" : "non-abelian",
                        G.classCount()));
  PetscCall(PetscPrintf(comm,
                        "element index g = a |Q| + q: axes A (cyclic coordinates) of order %" PetscInt_FMT
                        ", finite parts Q of order %" PetscInt_FMT "\n",
                        G.axisCount(), G.quotientOrder()));
  PetscCall(PetscPrintf(
      comm, "irreps of the product: one irrep per factor, labels joined by ':' (dimension = product); "
            "classes likewise\n"));
  for (std::size_t i = 0; i < G.numFactors(); ++i)
    PetscCall(printFactor(comm, G.factor(i), config.elements));
  PetscFunctionReturn(0);
}

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
  // One row per family (its first orbit) with the number of G-orbits it holds; the file has every orbit.
  PetscCall(PetscPrintf(comm, "%-4s %-7s %-10s %-28s %6s %4s %-8s %9s %9s %9s %s\n", "fp", "orbits", "|x|",
                        "stabiliser", "orbit", "dim", "class", "res_full", "eig_diff", "max_re", "verified"));
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
    if (printed[static_cast<std::size_t>(p.family)]) continue;
    printed[static_cast<std::size_t>(p.family)] = 1;
    PetscReal xn                                = 0;
    PetscCall(VecNorm(p.x, NORM_2, &xn));
    PetscCall(PetscPrintf(
        comm,
        "%-4zu %-7" PetscInt_FMT " %-10.4g %-28s %6" PetscInt_FMT " %4" PetscInt_FMT
        " %-8s %9.1e %9.1e %9.4f %s\n",
        i, members[static_cast<std::size_t>(p.family)], xn, p.stabiliser.description.substr(0, 28).c_str(),
        p.orbitSize, p.dimension, p.classification.c_str(), p.residualFull, p.spectrumMismatch,
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
      "/", {{"finished", isoTimeNow()}, {"convolution", net->connectivity().strategyName()}}));
  PetscCall(file.close());
  PetscFunctionReturn(0);
}

} // namespace eqrnn
