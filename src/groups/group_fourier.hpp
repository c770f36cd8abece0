#pragma once
// The group Fourier transform (docs/mathematics.md section 3) for any supported group. Irreps of a product
// are tensor products of the factors' irreps, labelled by one irrep per factor ("E1:chi3"):
//     f^(k) = (1/|G|) sum_g f(g) rho_k(g)^dagger,        f(g) = sum_k d_k tr(f^(k) rho_k(g)),
// and (w * r)^(k) = w^(k) r^(k) for (w * r)(g) = (1/|G|) sum_h w(h^-1 g) r(h) (this order).
// The transforms here are serial (every rank computes them on the whole vector) and separable: factor by
// factor, an FFT along each cyclic factor and a dense transform along the others, O(|G| (sum_i |F_i| + log
// |G|)). They serve analysis and tests; the hot path (the connectivity) never forms them.
#include "groups/group.hpp"
#include <string>
#include <vector>

namespace eqrnn {

using ProductIrrep = std::vector<int>; // one irrep index per factor

// Parses "E1:chi3" (labels from `eqrnn group`, or indices "5:3"); false with a reason on error.
bool parseProductIrrep(const Group &group, const std::string &label, ProductIrrep *k, std::string *error);
std::string productIrrepLabel(const Group &group, const ProductIrrep &k);
int productIrrepDim(const Group &group, const ProductIrrep &k);
ProductIrrep productIrrepConjugate(const Group &group, const ProductIrrep &k);
Complex productCharacter(const Group &group, const ProductIrrep &k, PetscInt g);
// rho_k(g), d x d row-major: the Kronecker product of the factors' matrices (first factor outermost).
void productIrrepMatrix(const Group &group, const ProductIrrep &k, PetscInt g, std::vector<Complex> *rho);
// Every irrep of the group (product of the factors' irrep counts: only for small groups).
std::vector<ProductIrrep> allProductIrreps(const Group &group);

struct FourierBlock {
  ProductIrrep irrep;
  int dim = 1;
  std::vector<Complex> block; // d x d row-major
};
// f given on every element (length |G|); blocks for the listed irreps (all of them when `irreps` is empty).
std::vector<FourierBlock> groupFourierTransform(const Group &group, const std::vector<Complex> &f,
                                                const std::vector<ProductIrrep> &irreps = {});
std::vector<Complex> inverseGroupFourierTransform(const Group &group,
                                                  const std::vector<FourierBlock> &blocks);

} // namespace eqrnn
