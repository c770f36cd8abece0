#pragma once
// Finite groups indexing the neurons. A Group is a direct product of factors: cyclic Z_n, dihedral D_n, and
// small finite groups (S_n, A_n, Q8, or any group given by permutation generators).
//
// Every factor is written as a semidirect product Z_n x| Q (the convolution needs this structure):
//   Z_n   axis Z_n, Q trivial;
//   D_n   axis Z_n (rotations r^j), Q = Z_2 = {e, s}; the reflection acts on the axis by j -> -j;
//   S4... no axis (n = 1), Q = the whole factor.
// A factor element is a * |Q| + q (for D_n: r^j s^e is 2 j + e). The product G = A x| Q with A = the product
// of the axes (discretised circles) and Q = the product of the finite parts, and the element index used in
// every state vector (memory and HDF5) is
//     g = (axis coordinates, lexicographic, last factor fastest) * |Q| + (finite parts, lexicographic).
// For products of cyclic groups this is plain lexicographic order. The FFT convolution transforms along A and
// treats Q with small dense blocks per frequency; MPI distributes along the first axis.
#include "groups/finite_group.hpp"
#include "groups/irreps.hpp"
#include <petscsys.h>
#include <memory>
#include <string>
#include <limits>
#include <vector>

namespace eqrnn {

// The largest group order (neurons per channel) the index type allows: a ring's padded transform spans up to
// 2N - 1 points, so 2 |G| must fit PetscInt (32-bit builds: about 1.07e9 neurons).
constexpr PetscInt kMaxGroupOrder = std::numeric_limits<PetscInt>::max() / 2;

class GroupFactor {
public:
  virtual ~GroupFactor()                                  = default;
  virtual std::string name() const                        = 0; // spec token, e.g. "Z12", "D6", "S4"
  virtual PetscInt order() const                          = 0;
  virtual PetscInt multiply(PetscInt a, PetscInt b) const = 0;
  virtual PetscInt inverse(PetscInt a) const              = 0;
  virtual std::vector<PetscInt> generators() const        = 0;
  virtual std::string label(PetscInt a) const             = 0; // "3", "r^2 s", "(1 2 3)"
  // Cyclic factors are abelian and carry an angle 2*pi*k/n: the discretised circle of a ring or torus axis.
  virtual bool isCyclic() const { return false; }
  // Semidirect structure (see the file comment).
  virtual PetscInt axisOrder() const = 0;
  PetscInt quotientOrder() const { return order() / axisOrder(); }
  // Whether the finite part q acts on the axis by j -> -j.
  virtual bool reflects(PetscInt q) const = 0;
  // Irreducible unitary representations: analytic for Z_n and D_n (any n), computed numerically from the
  // Cayley table otherwise. irreps() materialises all of them with characters and classes (small factors).
  virtual int irrepCount() const                                  = 0;
  virtual int irrepDim(int k) const                               = 0;
  virtual void irrepMatrix(int k, PetscInt a, Complex *rho) const = 0; // d x d, row-major
  virtual std::string irrepLabel(int k) const                     = 0;
  virtual int irrepConjugate(int k) const                         = 0; // complex-conjugate irrep
  // Whether rho_k's matrices are real (real-type irreps are given in real orthogonal form).
  virtual bool irrepIsReal(int k) const  = 0;
  virtual const IrrepSet &irreps() const = 0;
  // Conjugacy classes (indexed as in irreps().classes).
  virtual PetscInt classCount() const        = 0;
  virtual PetscInt classOf(PetscInt a) const = 0;
  virtual bool tableAvailable() const        = 0; // small enough for a Cayley table and irreps()
  virtual const CayleyTable &table() const   = 0;
  Complex character(int k, PetscInt a) const;
};

class CyclicFactor final : public GroupFactor {
public:
  explicit CyclicFactor(PetscInt n) : n_(n) {}
  std::string name() const override { return "Z" + std::to_string(n_); }
  PetscInt order() const override { return n_; }
  PetscInt multiply(PetscInt a, PetscInt b) const override { return (a + b) % n_; }
  PetscInt inverse(PetscInt a) const override { return (n_ - a) % n_; }
  std::vector<PetscInt> generators() const override { return {n_ > 1 ? 1 : 0}; }
  std::string label(PetscInt a) const override { return std::to_string(a); }
  bool isCyclic() const override { return true; }
  PetscInt axisOrder() const override { return n_; }
  bool reflects(PetscInt) const override { return false; }
  int irrepCount() const override { return static_cast<int>(n_); }
  int irrepDim(int) const override { return 1; }
  void irrepMatrix(int k, PetscInt a, Complex *rho) const override;
  std::string irrepLabel(int k) const override { return "chi" + std::to_string(k); }
  int irrepConjugate(int k) const override { return static_cast<int>((n_ - k) % n_); }
  bool irrepIsReal(int k) const override { return k == 0 || 2 * k == n_; }
  const IrrepSet &irreps() const override;
  PetscInt classCount() const override { return n_; }
  PetscInt classOf(PetscInt a) const override { return a; }
  bool tableAvailable() const override { return n_ <= 256; }
  const CayleyTable &table() const override;

private:
  PetscInt n_;
  mutable std::shared_ptr<IrrepSet> irreps_;
  mutable std::shared_ptr<CayleyTable> table_;
};

class DihedralFactor final : public GroupFactor {
public:
  explicit DihedralFactor(PetscInt n);
  std::string name() const override { return "D" + std::to_string(n_); }
  PetscInt order() const override { return 2 * n_; }
  PetscInt multiply(PetscInt a, PetscInt b) const override;
  PetscInt inverse(PetscInt a) const override;
  std::vector<PetscInt> generators() const override;
  std::string label(PetscInt a) const override;
  PetscInt axisOrder() const override { return n_; }
  bool reflects(PetscInt q) const override { return q == 1; }
  // Irreps: the 1-dimensional ones (2 for odd n, 4 for even n), then E_m, m = 1 .. (n-1)/2, in real
  // orthogonal form: rho(r^j) = rotation by 2 pi m j / n, rho(s) = diag(1, -1).
  int irrepCount() const override;
  int irrepDim(int k) const override { return k < oneDimensional() ? 1 : 2; }
  void irrepMatrix(int k, PetscInt a, Complex *rho) const override;
  std::string irrepLabel(int k) const override;
  int irrepConjugate(int k) const override { return k; } // all real
  bool irrepIsReal(int) const override { return true; }
  const IrrepSet &irreps() const override;
  PetscInt classCount() const override { return classes_; }
  PetscInt classOf(PetscInt a) const override { return classOf_[a]; }
  bool tableAvailable() const override { return n_ <= 256; }
  const CayleyTable &table() const override;

private:
  int oneDimensional() const { return n_ % 2 == 0 ? 4 : 2; }
  PetscInt n_;
  PetscInt classes_ = 0;
  std::vector<PetscInt> classOf_;
  mutable std::shared_ptr<IrrepSet> irreps_;
  mutable std::shared_ptr<CayleyTable> table_;
};

// A small group given by its Cayley table (S_n, A_n, Q8, permutation generators).
class FiniteFactor final : public GroupFactor {
public:
  FiniteFactor(std::string name, CayleyTable table);
  std::string name() const override { return name_; }
  PetscInt order() const override { return table_.order; }
  PetscInt multiply(PetscInt a, PetscInt b) const override { return table_.product[a * table_.order + b]; }
  PetscInt inverse(PetscInt a) const override { return table_.inverse[a]; }
  std::vector<PetscInt> generators() const override { return generators_; }
  std::string label(PetscInt a) const override { return table_.labels[a]; }
  PetscInt axisOrder() const override { return 1; }
  bool reflects(PetscInt) const override { return false; }
  int irrepCount() const override { return static_cast<int>(irreps().irreps.size()); }
  int irrepDim(int k) const override { return irreps().irreps[k].dim; }
  void irrepMatrix(int k, PetscInt a, Complex *rho) const override;
  std::string irrepLabel(int k) const override { return "rho" + std::to_string(k); }
  int irrepConjugate(int k) const override { return irreps().irreps[k].conjugate; }
  bool irrepIsReal(int k) const override { return irreps().irreps[k].indicator == 1; }
  const IrrepSet &irreps() const override;
  PetscInt classCount() const override { return static_cast<PetscInt>(classes_.size()); }
  PetscInt classOf(PetscInt a) const override { return classOf_[a]; }
  bool tableAvailable() const override { return true; }
  const CayleyTable &table() const override { return table_; }
  // Computes and verifies the irreps (numerically); false with the reason if that fails. Group::parse calls
  // it, so that irreps() never fails later (it returns an empty set rather than throwing).
  bool prepareIrreps(std::string *error) const;

private:
  std::string name_;
  CayleyTable table_;
  std::vector<PetscInt> generators_;
  std::vector<std::vector<int>> classes_;
  std::vector<PetscInt> classOf_;
  mutable std::shared_ptr<IrrepSet> irreps_;
};

class Group {
public:
  Group() = default;
  explicit Group(std::vector<std::shared_ptr<const GroupFactor>> factors);

  // Parses "Z256", "Z64xZ48", "D12", "S3xZ64xZ64", "Q8xD6", "PxZ8". A factor "P" is the group generated by
  // `permutations` (cycle notation, e.g. "(1 2)(3 4), (1 3)"). Returns false and fills *error on a bad spec.
  static bool parse(const std::string &spec, Group *group, std::string *error,
                    const std::string &permutations = "");

  const std::string &spec() const { return spec_; }
  PetscInt order() const { return order_; }
  std::size_t numFactors() const { return factors_.size(); }
  const GroupFactor &factor(std::size_t i) const { return *factors_[i]; }
  bool isAbelian() const; // true when every factor is cyclic
  std::vector<PetscInt> factorOrders() const;

  // Element index <-> per-factor elements.
  std::vector<PetscInt> coordinates(PetscInt g) const;
  PetscInt index(const std::vector<PetscInt> &coords) const;

  // The A x| Q structure: axis orders per factor (1 for factors without an axis), the axis coordinates of an
  // element (its position on the discretised torus), |A|, |Q| and the finite-part index q of g = a |Q| + q.
  const std::vector<PetscInt> &axisOrders() const { return axisOrders_; }
  std::vector<PetscInt> axisCoordinates(PetscInt g) const;
  // The coordinate of g along the axis of factor i (axisCoordinates(g)[i], without allocating).
  PetscInt axisCoordinate(PetscInt g, std::size_t i) const {
    return (g / quotientOrder_ / axisStrides_[i]) % axisOrders_[i];
  }
  PetscInt axisCount() const { return order_ / quotientOrder_; }
  // Element index stride of one step along the axis of factor i, in units of |Q| (a = sum_i c_i stride_i).
  const std::vector<PetscInt> &axisStrides() const { return axisStrides_; }
  PetscInt quotientOrder() const { return quotientOrder_; }
  // Whether the finite part q flips axis i (only dihedral factors do).
  bool flipsAxis(PetscInt q, std::size_t axis) const;
  // Finite parts as a group of its own: product and inverse of q indices.
  PetscInt quotientMultiply(PetscInt p, PetscInt q) const;
  PetscInt quotientInverse(PetscInt q) const;

  PetscInt identity() const { return 0; }
  PetscInt multiply(PetscInt a, PetscInt b) const;
  PetscInt inverse(PetscInt a) const;
  // Generators of the product: each factor's generators with identity elsewhere.
  std::vector<PetscInt> generators() const;
  std::string label(PetscInt g) const; // "(r^2 s, 5)"

  // Conjugacy classes of the product: tuples of factor classes, indexed lexicographically.
  PetscInt classCount() const;
  PetscInt classOf(PetscInt g) const;

private:
  std::vector<std::shared_ptr<const GroupFactor>> factors_;
  std::vector<PetscInt> axisOrders_, quotientOrders_, axisStrides_, quotientStrides_;
  PetscInt order_ = 1, quotientOrder_ = 1;
  std::string spec_;
};

// PETSc-style wrapper: a bad spec is a user-input error naming the problem.
PetscErrorCode parseGroup(MPI_Comm comm, const std::string &spec, Group *group,
                          const std::string &permutations = "");

// The axis coordinates of g, g + 1, g + 2, ... in turn, counted like an odometer: a fill or a reduction over
// every element then costs no division per element.
class AxisCursor {
public:
  AxisCursor(const Group &group, PetscInt g);
  const PetscInt *coordinates() const { return coordinates_.data(); } // like Group::axisCoordinates
  void next();

private:
  const Group *group_;
  std::vector<PetscInt> coordinates_;
  std::vector<std::size_t> fastest_; // factors by increasing stride
  PetscInt q_ = 0;                   // finite part
};

} // namespace eqrnn
