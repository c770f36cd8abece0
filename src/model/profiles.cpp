#include "model/profiles.hpp"

#include <cmath>

namespace eqrnn {

double bumpValue(const Group &group, const std::vector<double> &location, double kappa, PetscInt g) {
  // Along the axes (rings, tori, dihedral rotations); the finite parts and the channels are not moved.
  const auto c  = group.axisCoordinates(g);
  const auto &n = group.axisOrders();
  double s      = 0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (n[i] <= 1) continue;
    const double x0 = i < location.size() ? location[i] : 0.0;
    s += kappa * (std::cos(2.0 * M_PI * (static_cast<double>(c[i]) - x0) / static_cast<double>(n[i])) - 1.0);
  }
  return std::exp(s);
}

PetscErrorCode fillBump(const Group &group, const std::vector<double> &location, double kappa,
                        double amplitude, Vec v) {
  PetscInt lo = 0, hi = 0, size = 0;
  PetscScalar *a = nullptr;
  PetscFunctionBeginUser;
  PetscCall(VecGetSize(v, &size));
  const PetscInt channels = size / group.order();
  PetscCall(VecGetOwnershipRange(v, &lo, &hi));
  PetscCall(VecGetArray(v, &a));
  for (PetscInt i = lo; i < hi; ++i)
    a[i - lo] = amplitude * bumpValue(group, location, kappa, i / channels);
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode checkLocation(MPI_Comm comm, const char *option, const Group &group,
                             const std::vector<double> &location) {
  PetscFunctionBeginUser;
  PetscCheck(location.size() <= group.numFactors(), comm, PETSC_ERR_USER_INPUT,
             "%s: %zu coordinates given, group %s has %zu factors", option, location.size(),
             group.spec().c_str(), group.numFactors());
  PetscFunctionReturn(0);
}

} // namespace eqrnn
