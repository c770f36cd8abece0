#include "groups/group_action.hpp"

#include "core/handles.hpp"
#include <vector>

namespace eqrnn {

PetscErrorCode translate(const Group &group, PetscInt a, Vec x, Vec y) {
  PetscInt lo = 0, hi = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(y, &lo, &hi));
  const PetscInt ainv = group.inverse(a);
  std::vector<PetscInt> from(static_cast<std::size_t>(hi - lo)), to(from.size());
  for (PetscInt g = lo; g < hi; ++g) {
    from[g - lo] = group.multiply(ainv, g);
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

} // namespace eqrnn
