#pragma once
// Spatial profiles over a group shared by inputs and initial states.
#include "groups/group.hpp"
#include <petscvec.h>
#include <vector>

namespace eqrnn {

// Von Mises bump prod_axes exp(kappa (cos(theta - theta0) - 1)) centred at `location` (element coordinates
// per factor, fractional allowed; missing entries are 0). Axes of order 1 are ignored.
double bumpValue(const Group &group, const std::vector<double> &location, double kappa, PetscInt g);
PetscErrorCode fillBump(const Group &group, const std::vector<double> &location, double kappa,
                        double amplitude, Vec v);
PetscErrorCode checkLocation(MPI_Comm comm, const char *option, const Group &group,
                             const std::vector<double> &location);

} // namespace eqrnn
