#include "groups/group_action.hpp"

#include "core/handles.hpp"
#include <vector>

namespace eqrnn {

PetscErrorCode createPermutation(const Group &group, Vec x, const std::function<PetscInt(PetscInt)> &source,
                                 ScatterHandle *out) {
  PetscInt lo = 0, hi = 0, size = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetSize(x, &size));
  const PetscInt C = size / group.order();
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  std::vector<PetscInt> from(static_cast<std::size_t>(hi - lo)), to(from.size());
  for (PetscInt i = lo; i < hi; ++i) {
    from[i - lo] = source(i / C) * C + i % C;
    to[i - lo]   = i;
  }
  MPI_Comm comm;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(x), &comm));
  ISHandle isFrom, isTo;
  PetscCall(ISCreateGeneral(comm, hi - lo, from.data(), PETSC_USE_POINTER, isFrom.address()));
  PetscCall(ISCreateGeneral(comm, hi - lo, to.data(), PETSC_USE_POINTER, isTo.address()));
  PetscCall(VecScatterCreate(x, isFrom, x, isTo, out->address()));
  PetscFunctionReturn(0);
}

PetscErrorCode permute(const Group &group, Vec x, Vec y, const std::function<PetscInt(PetscInt)> &source) {
  ScatterHandle scatter;
  PetscFunctionBeginUser;
  PetscCall(createPermutation(group, x, source, &scatter));
  PetscCall(VecScatterBegin(scatter, x, y, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(scatter, x, y, INSERT_VALUES, SCATTER_FORWARD));
  PetscFunctionReturn(0);
}

PetscErrorCode translate(const Group &group, PetscInt a, Vec x, Vec y) {
  const PetscInt ainv = group.inverse(a);
  return permute(group, x, y, [&](PetscInt g) { return group.multiply(ainv, g); });
}

PetscErrorCode rightTranslate(const Group &group, PetscInt b, Vec x, Vec y) {
  return permute(group, x, y, [&](PetscInt g) { return group.multiply(g, b); });
}

PetscErrorCode invert(const Group &group, Vec x, Vec y) {
  return permute(group, x, y, [&](PetscInt g) { return group.inverse(g); });
}

} // namespace eqrnn
