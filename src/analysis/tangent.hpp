#pragma once
// Tangent directions of an orbit and continuous translations along the cyclic axes, as Fourier multipliers
// on the engine's transform (O(N log N)): the derivative d x / d theta_axis is the periodic spectral
// derivative (Trefethen, Spectral Methods in MATLAB, ch. 3: multiplier i k for |k| < n/2, 0 at the Nyquist
// mode of even n; in real space the kernel D_j = (-1)^j cot(pi j / n) / 2 for even n, (-1)^j / (2 sin(pi j /
// n)) for odd n), the fractional translation the band-limited shift e^{-2 pi i k delta / n} (the Nyquist mode
// of even n taken as its real part, cos(pi delta)).
#include "core/handles.hpp"
#include "analysis/orbit.hpp"
#include "operators/group_convolution.hpp"
#include <vector>

namespace eqrnn {

// One vector per factor of order > 2 (smaller factors have no continuous direction); axes[k] names the
// factor. x in the engine's state layout.
PetscErrorCode orbitTangents(ConvolutionEngine &engine, Vec x, std::vector<VecHandle> *tangents,
                             std::vector<PetscInt> *axes);
// out = T_delta x: x translated by delta[i] lattice steps along factor i (fractional allowed), by
// band-limited (trigonometric) interpolation, i.e. the continuous translation that L_a samples at integer a.
// Factors of order <= 2 and missing entries are not moved. x and out must not alias.
PetscErrorCode fractionalTranslate(ConvolutionEngine &engine, Vec x, const std::vector<double> &delta,
                                   Vec out);
// min over continuous translations delta of |x - T_delta y| for y the reference's state: the best lattice
// translate, refined by Gauss-Newton in the fractional shifts along the axes (on the reference's engine).
// Small when x and y lie on one continuous manifold that the lattice splits into several orbits.
PetscErrorCode continuousOrbitDistance(OrbitReference &ref, Vec x, double *distance);
// Value of the differentiation kernel on Z_n at offset j.
double spectralDerivativeWeight(PetscInt n, PetscInt j);
// Value of the band-limited interpolation kernel on Z_n shifted by delta at offset j: (1/n) sum_k e^{2 pi i
// k (j - delta) / n}, k symmetric around 0, the Nyquist term (even n) taken as its real part; in closed form
// the periodic sinc sin(pi t) / (n tan(pi t / n)) (even n) or sin(pi t) / (n sin(pi t / n)) (odd n), t = j -
// delta.
double interpolationWeight(PetscInt n, PetscInt j, double delta);

} // namespace eqrnn
