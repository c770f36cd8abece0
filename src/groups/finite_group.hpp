#pragma once
// Small finite groups given by their Cayley tables (pure math: no PETSc, no MPI). Permutation groups, the
// symmetric/alternating/dihedral/quaternion families, conjugacy classes, and an axiom check.
#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace eqrnn {

// A finite group by its Cayley table: elements 0..order-1, element 0 is the identity.
struct CayleyTable {
  int order = 1;
  std::vector<int> product;        // product[a * order + b] = a*b
  std::vector<int> inverse;        // inverse[a]
  std::vector<std::string> labels; // element names; permutation groups: 1-based cycle notation, identity "e"
};

// Parses generators in 1-based cycle notation, separated by commas or semicolons: "(1 2)(3 4), (1 2 3)".
// Inside a cycle, points are separated by blanks (or commas: "(1,2)(3,4)" is one generator). Cycles of one
// generator are composed right to left, so they need not be disjoint. *points is the largest point mentioned;
// each generator comes back as its 0-based image list (images[i] = image of point i, size *points).
// Returns false with a one-line reason in *error on bad text.
bool parseCycleNotation(const std::string &text, int *points, std::vector<std::vector<int>> *generators,
                        std::string *error);

// Closure of permutation generators (image lists of equal size) by breadth-first search from the identity,
// multiplying by the generators on the right; product (a*b)(x) = a(b(x)). Labels in cycle notation. Fails if
// the group would exceed maxOrder elements or a generator is not a permutation.
bool permutationGroup(const std::vector<std::vector<int>> &generators, int maxOrder, CayleyTable *table,
                      std::string *error);

CayleyTable symmetricGroup(int n);   // S_n from (1 2) and (1 2 ... n); n <= 1 gives the trivial group
CayleyTable alternatingGroup(int n); // A_n from (1 2 k), k = 3..n; n <= 2 gives the trivial group
CayleyTable quaternionGroup(); // Q8 from its left-regular action; labels "1","-1","i","-i","j","-j","k","-k"
// D_n (order 2n, n >= 1): index 2*j + e is r^j s^e; (r^j s^e)(r^k s^f) = r^{j + (-1)^e k} s^{e+f}.
// Labels "e", "s", "r^j", "r^j s".
CayleyTable dihedralTable(int n);

// Class 0 is {e}; the others in increasing order of their smallest element; each class sorted ascending.
std::vector<std::vector<int>> conjugacyClasses(const CayleyTable &table);
int elementOrder(const CayleyTable &table, int g);
// Identity, closure, associativity (all triples for order <= 200, else a fixed random sample), inverses.
bool checkGroupAxioms(const CayleyTable &table, std::string *error);

} // namespace eqrnn
