#include "analysis/tangent.hpp"

#include <algorithm>
#include <cmath>

namespace eqrnn {

namespace {

// The signed frequency of index k on Z_n, and whether it is the Nyquist mode of an even n.
PetscInt signedFrequency(PetscInt n, PetscInt k) {
  return 2 * k > n ? k - n : k;
}
bool isNyquist(PetscInt n, PetscInt k) {
  return 2 * k == n;
}

// The filter that leaves every axis alone (multiplier 1, kernel delta_0).
AxisFilter identityFilter(const Group &group) {
  AxisFilter f;
  for (PetscInt n : group.axisOrders()) {
    f.multiplier.emplace_back(static_cast<std::size_t>(n), Complex(1.0, 0.0));
    f.kernel.emplace_back(static_cast<std::size_t>(n), 0.0);
    f.kernel.back()[0] = 1.0;
  }
  return f;
}
} // namespace

double spectralDerivativeWeight(PetscInt n, PetscInt j) {
  j %= n;
  if (j == 0) return 0.0;
  const double sign = (j % 2) ? -1.0 : 1.0;
  const double a    = M_PI * static_cast<double>(j) / static_cast<double>(n);
  return n % 2 == 0 ? 0.5 * sign / std::tan(a) : 0.5 * sign / std::sin(a);
}

double interpolationWeight(PetscInt n, PetscInt j, double delta) {
  // t reduced to (-n/2, n/2] (the kernel is n-periodic in t); sin(pi t) from t's distance to the nearest
  // integer m, sin(pi t) = (-1)^m sin(pi (t - m)), so that whole shifts give exact zeros.
  const double nn = static_cast<double>(n);
  double t        = static_cast<double>(j) - delta;
  t -= nn * std::round(t / nn);
  if (t <= -0.5 * nn) t += nn;
  const double m = std::round(t), r = t - m;
  if (r == 0.0) return m == 0.0 ? 1.0 : 0.0;
  const double sinPiT = (std::fmod(std::abs(m), 2.0) == 1.0 ? -1.0 : 1.0) * std::sin(M_PI * r);
  const double a      = M_PI * t / nn;
  return sinPiT / (nn * (n % 2 == 0 ? std::tan(a) : std::sin(a)));
}

PetscErrorCode orbitTangents(ConvolutionEngine &engine, Vec x, std::vector<VecHandle> *tangents,
                             std::vector<PetscInt> *axes) {
  PetscFunctionBeginUser;
  const Group &group = engine.group();
  const auto &n      = group.axisOrders();
  tangents->clear();
  axes->clear();
  for (std::size_t axis = 0; axis < n.size(); ++axis) {
    if (n[axis] <= 2) continue;
    AxisFilter f = identityFilter(group);
    for (PetscInt k = 0; k < n[axis]; ++k) {
      f.multiplier[axis][k] =
          isNyquist(n[axis], k) ? 0.0 : Complex(0.0, static_cast<double>(signedFrequency(n[axis], k)));
      f.kernel[axis][k] = spectralDerivativeWeight(n[axis], k);
    }
    VecHandle t;
    PetscCall(VecDuplicate(x, t.address()));
    PetscCall(engine.applyAxisFilter(f, x, t));
    tangents->push_back(std::move(t));
    axes->push_back(static_cast<PetscInt>(axis));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode fractionalTranslate(ConvolutionEngine &engine, Vec x, const std::vector<double> &delta,
                                   Vec out) {
  PetscFunctionBeginUser;
  const Group &group = engine.group();
  const auto &n      = group.axisOrders();
  // The translations along different axes commute: one filter, the product of per-axis phases.
  AxisFilter f = identityFilter(group);
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (i >= delta.size() || n[i] <= 2 || delta[i] == 0.0) continue;
    for (PetscInt k = 0; k < n[i]; ++k) {
      const double phase =
          -2 * M_PI * static_cast<double>(signedFrequency(n[i], k)) * delta[i] / static_cast<double>(n[i]);
      f.multiplier[i][k] =
          isNyquist(n[i], k) ? Complex(std::cos(M_PI * delta[i]), 0.0) : std::polar(1.0, phase);
      f.kernel[i][k] = interpolationWeight(n[i], k, delta[i]);
    }
  }
  PetscCall(engine.applyAxisFilter(f, x, out));
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
