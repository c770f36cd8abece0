#pragma once
// The left-translation action (L_a x)(g) = x(a^-1 g) on distributed state vectors. Built as a VecScatter: a
// permutation, not the hot path (use it for equivariance checks, orbit generation, tests).
#include "core/handles.hpp"
#include "groups/group.hpp"
#include <petscvec.h>
#include <functional>

namespace eqrnn {

// The scatter that performs y_c(g) = x_c(source(g)) on vectors of x's layout (reusable).
PetscErrorCode createPermutation(const Group &group, Vec x, const std::function<PetscInt(PetscInt)> &source,
                                 ScatterHandle *out);
// y_c(g) = x_c(source(g)) for every element g and channel c (a permutation of the group index).
PetscErrorCode permute(const Group &group, Vec x, Vec y, const std::function<PetscInt(PetscInt)> &source);
// y = L_a x. x and y share a layout; y must not alias x.
PetscErrorCode translate(const Group &group, PetscInt a, Vec x, Vec y);
// y = R_b x, (R_b x)(g) = x(g b): the right translation (a symmetry of the network only for class-function
// kernels).
PetscErrorCode rightTranslate(const Group &group, PetscInt b, Vec x, Vec y);
// y(g) = x(g^-1): the reflection that turns a cross-correlation into a convolution.
PetscErrorCode invert(const Group &group, Vec x, Vec y);

} // namespace eqrnn
