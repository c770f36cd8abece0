#pragma once
// Tangent directions of an orbit: the derivative of a state along each cyclic factor, d x / d theta_axis,
// computed spectrally as a convolution with the periodic spectral-differentiation kernel (Trefethen, Spectral
// Methods in MATLAB, ch. 3): D_j = (-1)^j cot(pi j / n) / 2 for even n, (-1)^j / (2 sin(pi j / n)) for odd n.
#include "core/handles.hpp"
#include "analysis/orbit.hpp"
#include "operators/group_convolution.hpp"
#include <vector>

namespace eqrnn {

// One vector per factor of order > 2 (smaller factors have no continuous direction); axes[k] names the
// factor.
// x in the engine's state layout.
PetscErrorCode orbitTangents(ConvolutionEngine &engine, Vec x, std::vector<VecHandle> *tangents,
                             std::vector<PetscInt> *axes);
// out = T_delta x: x translated by delta[i] lattice steps along factor i (fractional allowed), by
// band-limited (trigonometric) interpolation, i.e. the continuous translation that L_a samples at integer a.
// Factors of order
// <= 2 and missing entries are not moved.
PetscErrorCode fractionalTranslate(ConvolutionEngine &engine, Vec x, const std::vector<double> &delta,
                                   Vec out);
// min over continuous translations delta of |x - T_delta y| for y the reference's state: the best lattice
// translate, refined by Gauss-Newton in the fractional shifts along the axes. Small when x and y lie on one
// continuous manifold that the lattice splits into several orbits. On the reference's engine.
PetscErrorCode continuousOrbitDistance(OrbitReference &ref, Vec x, double *distance);
// Value of the differentiation kernel on Z_n at offset j.
double spectralDerivativeWeight(PetscInt n, PetscInt j);
// Periodic interpolation kernel on Z_n shifted by delta, at offset j.
double interpolationWeight(PetscInt n, PetscInt j, double delta);

} // namespace eqrnn
