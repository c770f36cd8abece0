#pragma once
// The whole symmetry group of a network, Gamma = G x| O: the left translations L_a by the group G, composed
// with a small set O of further operations that commute with the right-hand side F(x) = -x + J phi(x) + I:
//   - automorphisms of G that preserve the kernel: a -> -a on a cyclic factor (an even kernel), a swap of
//     two equal factors (a kernel symmetric under it);
//   - right translations R_b (x -> x(. b)) for a non-abelian G and a class-function kernel;
//   - the sign x -> -x for an odd transfer function without input.
// Every candidate is enumerated and kept only if F(o x) = o F(x) holds on a random state (to rounding), so
// O is exactly what this network has (docs/mathematics.md, "The symmetry of a network"). An element of Gamma
// is a pair (a, o): x -> L_a (o x). Isotropy subgroups, orbit distances and conjugacy in Gamma cost one FFT
// correlation per element of O (O has at most a few dozen elements), never |Gamma| operations.
#include "analysis/orbit.hpp"
#include "model/rate_network.hpp"
#include <memory>
#include <string>
#include <vector>

namespace eqrnn {

struct SymmetryOperation {
  std::string name;             // "e", "a0->-a0", "swap(0,1)", "R(r s)", "-x", and products "a0->-a0 -x"
  std::vector<PetscInt> source; // (o x)(g, c) = sign x(source[g], c); empty: the identity map
  double sign = 1.0;
};

struct SymmetryElement {
  PetscInt shift = 0; // a
  std::size_t op = 0; // index into NetworkSymmetry::operations()
};

// A subgroup of Gamma given by its elements: for each operation o, the shifts a with (a, o) in it.
struct Isotropy {
  std::vector<std::vector<PetscInt>> shifts; // per operation, sorted
  PetscInt order = 0;
  std::string description;
  bool contains(const SymmetryElement &e) const;
  std::vector<SymmetryElement> elements() const;
};

class NetworkSymmetry {
public:
  // The symmetries of `net` with its input taken at `inputTime`.
  static PetscErrorCode create(RateNetwork &net, double inputTime, std::unique_ptr<NetworkSymmetry> *out);
  // Drops the operations that do not commute with the network as it is now (a parameter changed since
  // create(): an input or a threshold breaks x -> -x). The identity always stays.
  PetscErrorCode keepCommuting(double inputTime);
  NetworkSymmetry(const NetworkSymmetry &)            = delete;
  NetworkSymmetry &operator=(const NetworkSymmetry &) = delete;

  const Group &group() const { return net_->group(); }
  const std::vector<SymmetryOperation> &operations() const { return ops_; }
  PetscInt order() const { return group().order() * static_cast<PetscInt>(ops_.size()); }
  std::string describe() const; // "Z32 x| {e, a0->-a0, -x, a0->-a0 -x} (order 128)"
  std::string elementName(const SymmetryElement &e) const;

  // y = L_a (o x); y must not alias x.
  PetscErrorCode apply(const SymmetryElement &e, Vec x, Vec y);
  // The elements h of Gamma with |h x - x| <= tol.
  PetscErrorCode isotropy(Vec x, double tol, Isotropy *iso);
  // min over h in `within` (all of Gamma when null) of |x - s h y|, s = +1 (and -1 with bothSigns), and the
  // element and sign attaining it.
  PetscErrorCode match(Vec x, Vec y, const Isotropy *within, bool bothSigns, double *distance,
                       SymmetryElement *best = nullptr, double *bestSign = nullptr);
  // The matrices <b_i, h b_j> of the given elements on an orthonormal basis (m x m row-major each): one FFT
  // correlation per pair (i, j) and operation used, whatever the number of elements.
  PetscErrorCode representation(const std::vector<Vec> &basis, const std::vector<SymmetryElement> &elements,
                                std::vector<std::vector<double>> *rho);
  // x <- (1/|K|) sum_{k in K} k x: the projection onto Fix(K).
  PetscErrorCode average(const Isotropy &K, Vec x);
  // Small generating-like set of K for character signatures: every element when |K| <= limit, else the
  // translation part's smallest generators along each axis and one element per operation.
  std::vector<SymmetryElement> testElements(const Isotropy &K, std::size_t limit = 16) const;
  // Drops the cached permutations (apply() keeps the first few dozen elements it meets).
  void forgetCachedElements() { cache_.clear(); }

private:
  NetworkSymmetry() = default;
  PetscErrorCode operate(std::size_t op, Vec x, Vec y);                 // y = o x
  PetscErrorCode commutes(std::size_t op, double inputTime, bool *yes); // F(o x) = o F(x) on the probe
  // c(a) = <x, L_a y> for every a, gathered on every rank (length |G|).
  PetscErrorCode correlationAll(Vec x, Vec y, std::vector<double> *c);
  RateNetwork *net_ = nullptr;
  std::vector<SymmetryOperation> ops_;
  std::unique_ptr<OrbitTools> orbits_;
  VecHandle work_, work2_, corr_;
  // Scatters of the elements applied most (test elements, candidates): built once each, at most kCached.
  static constexpr std::size_t kCached = 64;
  std::vector<std::pair<std::pair<PetscInt, std::size_t>, ScatterHandle>> cache_;
  std::vector<ScatterHandle> opScatters_; // one per operation, built when first used
  ScatterHandle toAll_;                   // the correlation gathered on every rank
  VecHandle gathered_;
};

// Axial subgroups of the equivariant branching lemma for the action of an isotropy subgroup H on a critical
// eigenspace W. `rho` holds, for each candidate element of H, its m x m matrix on an orthonormal basis of W
// (row-major). Returns the lines (unit vectors in W's coordinates) that are the fixed-point subspace of the
// subgroup generated by some candidates: Fix_W of that subgroup is one-dimensional, so each is an axial
// direction. Conjugacy is not resolved here (the caller compares the lines' states under H).
std::vector<std::vector<double>> axialLines(const std::vector<std::vector<double>> &rho, int m);

// The classes of `lines` (unit vectors in W's coordinates) under the group the candidates generate, up to
// sign: lines i and j share a class when some chain of rho matrices maps one onto +-the other within the
// list. class[i] numbers the classes in the order of their first line. Equivalence by elements outside the
// candidates is not seen here (the caller still compares the classes' states under all of H).
std::vector<int> lineClasses(const std::vector<std::vector<double>> &rho,
                             const std::vector<std::vector<double>> &lines, int m);

} // namespace eqrnn
