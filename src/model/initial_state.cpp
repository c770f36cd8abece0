#include "model/initial_state.hpp"

#include "core/random.hpp"
#include "io/hdf5_file.hpp"
#include "model/profiles.hpp"

namespace eqrnn {

const std::vector<std::pair<const char *, InitKind>> &initKindNames() {
  static const std::vector<std::pair<const char *, InitKind>> names{{"random", InitKind::Random},
                                                                    {"zero", InitKind::Zero},
                                                                    {"bump", InitKind::Bump},
                                                                    {"file", InitKind::File}};
  return names;
}

PetscErrorCode makeInitialState(const InitialStateSpec &spec, const Group &group, Vec x) {
  MPI_Comm comm;
  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(x), &comm));
  switch (spec.kind) {
  case InitKind::Zero:
    PetscCall(VecSet(x, 0.0));
    break;
  case InitKind::Random: {
    PetscInt lo = 0, hi = 0;
    PetscScalar *a = nullptr;
    PetscCall(VecGetOwnershipRange(x, &lo, &hi));
    PetscCall(VecGetArray(x, &a));
    counterNormals(spec.seed, 0, static_cast<std::uint64_t>(lo), static_cast<std::size_t>(hi - lo),
                   spec.amplitude, a);
    PetscCall(VecRestoreArray(x, &a));
    break;
  }
  case InitKind::Bump:
    PetscCall(checkLocation(comm, "-init_location", group, spec.location));
    PetscCheck(spec.kappa >= 0, comm, PETSC_ERR_USER_INPUT, "-init_kappa must be >= 0");
    PetscCall(fillBump(group, spec.location, spec.kappa, spec.amplitude, x));
    break;
  case InitKind::File:
    PetscCheck(!spec.file.empty(), comm, PETSC_ERR_USER_INPUT, "-init file needs -init_file FILE.h5");
    PetscCall(readVector(comm, spec.file, spec.dataset, x));
    break;
  }
  PetscFunctionReturn(0);
}

} // namespace eqrnn
