#include "groups/group_action.hpp"

#include "core/handles.hpp"
#include <vector>

namespace eqrnn {

namespace {
// y(g) = x(source(g)) for the locally owned g.
template <typename Source> PetscErrorCode permute(Vec x, Vec y, Source source) {
  PetscInt lo = 0, hi = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(y, &lo, &hi));
  std::vector<PetscInt> from(static_cast<std::size_t>(hi - lo)), to(from.size());
  for (PetscInt g = lo; g < hi; ++g) {
    from[g - lo] = source(g);
    to[g - lo]   = g;
  }
  MPI_Comm comm;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(x), &comm));
  ISHandle isFrom, isTo;
  PetscCall(ISCreateGeneral(comm, hi - lo, from.data(), PETSC_USE_POINTER, isFrom.address()));
  PetscCall(ISCreateGeneral(comm, hi - lo, to.data(), PETSC_USE_POINTER, isTo.address()));
  ScatterHandle scatter;
  PetscCall(VecScatterCreate(x, isFrom, y, isTo, scatter.address()));
  PetscCall(VecScatterBegin(scatter, x, y, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(scatter, x, y, INSERT_VALUES, SCATTER_FORWARD));
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode translate(const Group &group, PetscInt a, Vec x, Vec y) {
  const PetscInt ainv = group.inverse(a);
  return permute(x, y, [&](PetscInt g) { return group.multiply(ainv, g); });
}

PetscErrorCode invert(const Group &group, Vec x, Vec y) {
  return permute(x, y, [&](PetscInt g) { return group.inverse(g); });
}

} // namespace eqrnn
