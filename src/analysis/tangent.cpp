#include "analysis/tangent.hpp"

#include <algorithm>
#include <cmath>

namespace eqrnn {

namespace {
// out = sum_a D(a) L_a x for a distribution D on the axes (finite part e): x * D with x as the kernel (left
// translations commute with nothing in a non-abelian group, but L_a x = x * delta_a always holds).
// weight(a) gives D at axis coordinates a.
template <typename Weight>
PetscErrorCode translateByDistribution(ConvolutionEngine &engine, Vec x, Weight weight, Vec out) {
  const Group &group = engine.group();
  KernelSpectrum spectrum;
  VecHandle d;
  PetscInt size = 0, lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  PetscFunctionBeginUser;
  PetscCall(VecGetSize(x, &size));
  const PetscInt C = size / group.order(), Q = group.quotientOrder();
  PetscCall(engine.computeSpectrumFromState(x, StateKernel::Diagonal, &spectrum));
  PetscCall(engine.createVec(d.address()));
  PetscCall(VecGetOwnershipRange(d, &lo, &hi));
  PetscCall(VecGetArray(d, &a));
  const double volume = static_cast<double>(group.order());
  for (PetscInt i = lo; i < hi; ++i) {
    const PetscInt g = i / C;
    a[i - lo]        = g % Q == 0 ? volume * weight(group.axisCoordinates(g)) : 0.0;
  }
  PetscCall(VecRestoreArray(d, &a));
  PetscCall(engine.apply(spectrum, d, out));
  PetscFunctionReturn(0);
}
} // namespace

double spectralDerivativeWeight(PetscInt n, PetscInt j) {
  j %= n;
  if (j == 0) return 0.0;
  const double sign = (j % 2) ? -1.0 : 1.0;
  const double a    = M_PI * static_cast<double>(j) / static_cast<double>(n);
  return n % 2 == 0 ? 0.5 * sign / std::tan(a) : 0.5 * sign / std::sin(a);
}

PetscErrorCode orbitTangents(ConvolutionEngine &engine, Vec x, std::vector<VecHandle> *tangents,
                             std::vector<PetscInt> *axes) {
  PetscFunctionBeginUser;
  const auto &n = engine.group().axisOrders();
  tangents->clear();
  axes->clear();
  for (std::size_t axis = 0; axis < n.size(); ++axis) {
    if (n[axis] <= 2) continue;
    VecHandle t;
    PetscCall(VecDuplicate(x, t.address()));
    auto weight = [&](const std::vector<PetscInt> &c) {
      for (std::size_t i = 0; i < c.size(); ++i)
        if (i != axis && c[i] != 0) return 0.0;
      return spectralDerivativeWeight(n[axis], c[axis]);
    };
    PetscCall(translateByDistribution(engine, x, weight, t));
    tangents->push_back(std::move(t));
    axes->push_back(static_cast<PetscInt>(axis));
  }
  PetscFunctionReturn(0);
}

// Periodic interpolation kernel on Z_n shifted by delta: (1/n) sum_k e^{2 pi i k (j - delta)/n}, k symmetric
// around 0 with the Nyquist mode (even n) taken as its real part.
double interpolationWeight(PetscInt n, PetscInt j, double delta) {
  const double u = 2 * M_PI * (static_cast<double>(j) - delta) / static_cast<double>(n);
  double s       = 1.0;
  for (PetscInt k = 1; 2 * k < n; ++k)
    s += 2 * std::cos(static_cast<double>(k) * u);
  if (n % 2 == 0) s += std::cos(static_cast<double>(n / 2) * u);
  return s / static_cast<double>(n);
}

PetscErrorCode fractionalTranslate(ConvolutionEngine &engine, Vec x, const std::vector<double> &delta,
                                   Vec out) {
  PetscFunctionBeginUser;
  const auto &n = engine.group().axisOrders();
  // The translations along different axes commute: one distribution, the product of per-axis weights.
  auto weight = [&](const std::vector<PetscInt> &c) {
    double w = 1.0;
    for (std::size_t i = 0; i < c.size(); ++i) {
      const bool moved = i < delta.size() && n[i] > 2 && delta[i] != 0.0;
      w *= moved ? interpolationWeight(n[i], c[i], delta[i]) : (c[i] == 0 ? 1.0 : 0.0);
    }
    return w;
  };
  PetscCall(translateByDistribution(engine, x, weight, out));
  PetscFunctionReturn(0);
}

PetscErrorCode continuousOrbitDistance(OrbitReference &ref, Vec x, double *distance) {
  ConvolutionEngine &engine = ref.engine();
  const auto &n             = engine.group().axisOrders();
  VecHandle y, z, r;
  OrbitMatch om;
  PetscFunctionBeginUser;
  PetscCall(VecDuplicate(x, y.address()));
  PetscCall(VecDuplicate(x, z.address()));
  PetscCall(VecDuplicate(x, r.address()));
  PetscCall(ref.match(x, &om));
  PetscCall(ref.translated(om.shift, y));
  std::vector<double> delta(n.size(), 0.0);
  for (int it = 0; it < 6; ++it) {
    PetscCall(fractionalTranslate(engine, y, delta, z));
    PetscCall(VecWAXPY(r, -1.0, z, x));
    PetscReal rn = 0;
    PetscCall(VecNorm(r, NORM_2, &rn));
    *distance = rn;
    if (it == 5) break;
    // z(delta + eps) ~ z - sum_i eps_i s_i, s_i = (2 pi / n_i) dz/dtheta_i: eps = -(S^T S)^-1 S^T r.
    std::vector<VecHandle> t;
    std::vector<PetscInt> axes;
    PetscCall(orbitTangents(engine, z, &t, &axes));
    const std::size_t k = t.size();
    if (k == 0) break;
    for (std::size_t i = 0; i < k; ++i)
      PetscCall(VecScale(t[i], 2 * M_PI / static_cast<double>(n[axes[i]])));
    std::vector<double> A(k * k), b(k);
    for (std::size_t i = 0; i < k; ++i) {
      PetscCall(VecDot(t[i], r, &b[i]));
      for (std::size_t j = 0; j < k; ++j)
        PetscCall(VecDot(t[i], t[j], &A[i * k + j]));
    }
    double trace = 0;
    for (std::size_t i = 0; i < k; ++i)
      trace += A[i * k + i];
    for (std::size_t i = 0; i < k; ++i)
      A[i * k + i] += 1e-12 * trace + 1e-300; // axes along which z is flat
    // Gaussian elimination (k is the number of cyclic axes: tiny).
    for (std::size_t c = 0; c < k; ++c)
      for (std::size_t rr = c + 1; rr < k; ++rr) {
        const double f = A[rr * k + c] / A[c * k + c];
        for (std::size_t j = c; j < k; ++j)
          A[rr * k + j] -= f * A[c * k + j];
        b[rr] -= f * b[c];
      }
    for (std::size_t c = k; c-- > 0;) {
      for (std::size_t j = c + 1; j < k; ++j)
        b[c] -= A[c * k + j] * b[j];
      b[c] /= A[c * k + c];
    }
    for (std::size_t i = 0; i < k; ++i)
      delta[axes[i]] = std::clamp(delta[axes[i]] - b[i], -1.0, 1.0);
  }
  PetscFunctionReturn(0);
}

} // namespace eqrnn
