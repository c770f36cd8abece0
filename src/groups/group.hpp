#pragma once
// Finite groups indexing the neurons. A Group is a direct product of factors; its elements are indexed
// lexicographically with the last factor fastest, and that index is the position in every state vector
// (memory and HDF5). Cyclic factors Z_n are the abelian building block; other factor kinds (dihedral,
// permutation groups) implement the same GroupFactor interface.
#include <petscsys.h>
#include <memory>
#include <string>
#include <vector>

namespace eqrnn {

class GroupFactor {
public:
  virtual ~GroupFactor()                                  = default;
  virtual std::string name() const                        = 0; // spec token, e.g. "Z12"
  virtual PetscInt order() const                          = 0;
  virtual PetscInt multiply(PetscInt a, PetscInt b) const = 0;
  virtual PetscInt inverse(PetscInt a) const              = 0;
  virtual std::vector<PetscInt> generators() const        = 0;
  // Cyclic factors carry an angle 2*pi*k/n: the discretised circle of a ring or torus axis.
  virtual bool isCyclic() const = 0;
};

class CyclicFactor final : public GroupFactor {
public:
  explicit CyclicFactor(PetscInt n) : n_(n) {}
  std::string name() const override { return "Z" + std::to_string(n_); }
  PetscInt order() const override { return n_; }
  PetscInt multiply(PetscInt a, PetscInt b) const override { return (a + b) % n_; }
  PetscInt inverse(PetscInt a) const override { return (n_ - a) % n_; }
  std::vector<PetscInt> generators() const override { return {n_ > 1 ? 1 : 0}; }
  bool isCyclic() const override { return true; }

private:
  PetscInt n_;
};

class Group {
public:
  Group() = default;
  explicit Group(std::vector<std::shared_ptr<const GroupFactor>> factors);

  // Parses "Z256", "Z64xZ48", "Z16xZ16xZ16". Returns false and fills *error on a bad spec.
  static bool parse(const std::string &spec, Group *group, std::string *error);

  const std::string &spec() const { return spec_; }
  PetscInt order() const { return order_; }
  std::size_t numFactors() const { return factors_.size(); }
  const GroupFactor &factor(std::size_t i) const { return *factors_[i]; }
  bool isAbelian() const; // true when every factor is cyclic
  std::vector<PetscInt> factorOrders() const;

  // Element index <-> per-factor coordinates (last factor fastest).
  std::vector<PetscInt> coordinates(PetscInt g) const;
  PetscInt index(const std::vector<PetscInt> &coords) const;

  PetscInt identity() const { return 0; }
  PetscInt multiply(PetscInt a, PetscInt b) const;
  PetscInt inverse(PetscInt a) const;
  // Generators of the product: each factor's generators with identity elsewhere.
  std::vector<PetscInt> generators() const;

private:
  std::vector<std::shared_ptr<const GroupFactor>> factors_;
  std::vector<PetscInt> strides_;
  PetscInt order_ = 1;
  std::string spec_;
};

// PETSc-style wrapper: a bad spec is a user-input error naming the problem.
PetscErrorCode parseGroup(MPI_Comm comm, const std::string &spec, Group *group);

} // namespace eqrnn
