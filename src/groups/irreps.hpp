#pragma once
// Unitary irreducible representations of a finite group, computed numerically from its Cayley table (no
// hand-typed tables), with characters, classes, conjugate pairs and Frobenius-Schur indicators.
#include "groups/finite_group.hpp"

#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace eqrnn {

using Complex = std::complex<double>;

struct Irrep {
  int dim = 1;
  std::vector<Complex>
      matrices; // order * dim * dim: rho(g) row-major at offset g*dim*dim; unitary homomorphism
  int conjugate =
      0; // index of the irrep with complex-conjugate characters (itself if real; -1 if not in the set)
  int indicator = 1; // Frobenius-Schur indicator (1/|G|) sum_g chi(g^2): +1 real, 0 complex, -1 quaternionic
};

struct IrrepSet {
  std::vector<Irrep> irreps;             // irreps[0] trivial; then by dimension, then characters descending
  std::vector<std::vector<int>> classes; // conjugacyClasses(table)
  std::vector<std::vector<Complex>> characters; // characters[k][c] = chi_k(any element of class c)
};

// Diagonalises a random Hermitian element of the right-regular group algebra: it commutes with the
// left-regular representation, so for a generic draw each eigenspace carries one copy of an irrep. Draws come
// from std::mt19937_64(seed + attempt), so the same table and seed give bitwise the same result (with the
// same LAPACK). Irreps of real type (indicator +1) are returned in real orthogonal form. Fails only if no
// draw separates the eigenvalues cleanly.
bool computeIrreps(const CayleyTable &table, std::uint64_t seed, IrrepSet *out, std::string *error);

// Fills classes, characters, conjugate and indicator from the irreps' matrices (keeps their order).
void completeIrrepSet(const CayleyTable &table, IrrepSet *set);

struct IrrepErrors {
  double homomorphism           = 0; // max |rho(a)rho(b) - rho(ab)|
  double unitarity              = 0; // max |rho(g) rho(g)^dagger - I|
  double schur                  = 0; // max |(d_k/|G|) sum_g rho_k(g)_ij conj(rho_l(g)_mn) - d_kl d_im d_jn|
  double characterOrthogonality = 0; // max |(1/|G|) sum_g chi_k(g) conj(chi_l(g)) - d_kl|
  long long dimensionSumDefect  = 0; // sum d_k^2 - |G|
  long long classCountDefect    = 0; // number of irreps - number of classes
};
IrrepErrors verifyIrreps(const CayleyTable &table, const IrrepSet &set);

// Rows "rho_k (d=..)", columns the classes (representative, size, element order); integers printed as
// integers, other values as a+bi with 4 decimals.
// Row names from `labels` when given (e.g. "A1", "E1", "chi3").
std::string formatCharacterTable(const CayleyTable &table, const IrrepSet &set,
                                 const std::vector<std::string> &labels = {});

} // namespace eqrnn
