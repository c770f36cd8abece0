#include "groups/group.hpp"

#include "core/options.hpp"
#include <limits>

namespace eqrnn {

Group::Group(std::vector<std::shared_ptr<const GroupFactor>> factors) : factors_(std::move(factors)) {
  strides_.assign(factors_.size(), 1);
  order_ = 1;
  for (std::size_t i = factors_.size(); i-- > 0;) {
    strides_[i] = order_;
    order_ *= factors_[i]->order();
  }
  for (const auto &f : factors_)
    spec_ += (spec_.empty() ? "" : "x") + f->name();
}

bool Group::parse(const std::string &spec, Group *group, std::string *error) {
  if (spec.empty()) {
    *error = "group spec is empty (e.g. Z256 or Z64xZ48)";
    return false;
  }
  std::vector<std::shared_ptr<const GroupFactor>> factors;
  long long order = 1;
  for (const auto &token : splitList(spec, 'x')) {
    if (token.empty()) {
      *error = "group '" + spec + "': empty factor (factors are joined by 'x', e.g. Z64xZ48)";
      return false;
    }
    if (token[0] != 'Z') {
      *error = "group '" + spec + "': unknown factor '" + token + "' (supported: Z<n>)";
      return false;
    }
    long long n              = 0;
    const std::string digits = token.substr(1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
        !parseInteger(digits, &n)) {
      *error = "group '" + spec + "': factor '" + token + "' needs a positive integer order, e.g. Z16";
      return false;
    }
    if (n < 1) {
      *error =
          "group '" + spec + "': factor '" + token + "' has order " + std::to_string(n) + " (must be >= 1)";
      return false;
    }
    order *= n;
    if (order > std::numeric_limits<PetscInt>::max() / 4) {
      *error = "group '" + spec + "' is too large for this PETSc build's integer size";
      return false;
    }
    factors.push_back(std::make_shared<CyclicFactor>(static_cast<PetscInt>(n)));
  }
  *group = Group(std::move(factors));
  return true;
}

bool Group::isAbelian() const {
  for (const auto &f : factors_)
    if (!f->isCyclic()) return false;
  return true;
}

std::vector<PetscInt> Group::factorOrders() const {
  std::vector<PetscInt> n;
  for (const auto &f : factors_)
    n.push_back(f->order());
  return n;
}

std::vector<PetscInt> Group::coordinates(PetscInt g) const {
  std::vector<PetscInt> c(factors_.size());
  for (std::size_t i = 0; i < factors_.size(); ++i) {
    c[i] = g / strides_[i];
    g -= c[i] * strides_[i];
  }
  return c;
}

PetscInt Group::index(const std::vector<PetscInt> &coords) const {
  PetscInt g = 0;
  for (std::size_t i = 0; i < factors_.size(); ++i)
    g += coords[i] * strides_[i];
  return g;
}

PetscInt Group::multiply(PetscInt a, PetscInt b) const {
  PetscInt g = 0;
  for (std::size_t i = 0; i < factors_.size(); ++i) {
    const PetscInt ai = (a / strides_[i]) % factors_[i]->order();
    const PetscInt bi = (b / strides_[i]) % factors_[i]->order();
    g += factors_[i]->multiply(ai, bi) * strides_[i];
  }
  return g;
}

PetscInt Group::inverse(PetscInt a) const {
  PetscInt g = 0;
  for (std::size_t i = 0; i < factors_.size(); ++i)
    g += factors_[i]->inverse((a / strides_[i]) % factors_[i]->order()) * strides_[i];
  return g;
}

std::vector<PetscInt> Group::generators() const {
  std::vector<PetscInt> gens;
  for (std::size_t i = 0; i < factors_.size(); ++i)
    for (PetscInt s : factors_[i]->generators())
      if (s != 0) gens.push_back(s * strides_[i]);
  return gens;
}

PetscErrorCode parseGroup(MPI_Comm comm, const std::string &spec, Group *group) {
  std::string error;
  PetscFunctionBeginUser;
  PetscCheck(Group::parse(spec, group, &error), comm, PETSC_ERR_USER_INPUT, "%s", error.c_str());
  PetscFunctionReturn(0);
}

} // namespace eqrnn
