// eqrnn group: a group's order, element labels, conjugacy classes, irreps (verified on the spot) and
// character tables.
#include "app/command.hpp"
#include "app/commands.hpp"
#include <sstream>

namespace eqrnn {

void declareParameters(ParameterSet &p, GroupConfig &c) {
  p.section("group");
  p.text("group", &c.group, "Group: factors Z<n>, D<n>, S<n>, A<n>, Q8, P joined by x");
  p.text("group_generators", &c.permutations, "Generators of the factor P, cycle notation");
  p.flag("elements", &c.elements,
         "Also list the elements (inverses, classes; the Cayley table up to order 32)");
}

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

namespace {
class GroupCommand final : public Command {
public:
  void declare(ParameterSet &p) override { declareParameters(p, config_); }
  PetscErrorCode run(MPI_Comm comm, const ParameterSet &, int *) override { return runGroup(comm, config_); }

private:
  GroupConfig config_;
};
} // namespace

EQRNN_REGISTER_COMMAND(GroupCommand, "group",
                       "a group's order, conjugacy classes, irreps and character table (e.g. -group S4)", 40,
                       false, "", "", {});

} // namespace eqrnn
