#include "model/transfer.hpp"

#include "core/vector_math.hpp"
#include <cmath>

namespace eqrnn {

const std::vector<std::pair<const char *, TransferKind>> &transferNames() {
  static const std::vector<std::pair<const char *, TransferKind>> names{{"tanh", TransferKind::Tanh},
                                                                        {"relu", TransferKind::Relu},
                                                                        {"sigmoid", TransferKind::Sigmoid},
                                                                        {"linear", TransferKind::Linear}};
  return names;
}

std::string TransferFunction::name() const {
  for (const auto &[n, k] : transferNames())
    if (kind == k) return n;
  return "?";
}

// The scalar forms use the same kernels as the array forms (core/vector_math.hpp): the same bits either way.
double TransferFunction::value(double x) const {
  const double u = x - threshold;
  switch (kind) {
  case TransferKind::Tanh:
    return vmath::tanh1(gain * u);
  case TransferKind::Relu:
    return u > 0 ? gain * u : 0.0;
  case TransferKind::Sigmoid:
    return vmath::sigmoid1(gain * u);
  default:
    return gain * u;
  }
}

double TransferFunction::derivative(double x) const {
  const double u = x - threshold;
  switch (kind) {
  case TransferKind::Tanh:
    return gain * vmath::sech2(gain * u);
  case TransferKind::Relu:
    return u >= 0 ? gain : 0.0;
  case TransferKind::Sigmoid:
    return gain * vmath::sigmoidSlope(gain * u);
  default:
    return gain;
  }
}

double TransferFunction::gainDerivative(double x) const {
  const double u = x - threshold;
  return gain > 0 ? derivative(x) / gain * u : 0.0; // f'(g u) u, with phi'(x) = g f'(g u)
}

namespace {
// out_i = f(x_i) on the local entries (no communication).
template <typename F> PetscErrorCode mapLocal(Vec x, Vec out, F f) {
  const PetscScalar *xa = nullptr;
  PetscScalar *oa       = nullptr;
  PetscInt n            = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetArrayRead(x, &xa));
  PetscCall(VecGetArray(out, &oa));
  for (PetscInt i = 0; i < n; ++i)
    oa[i] = f(xa[i]);
  PetscCall(VecRestoreArray(out, &oa));
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode TransferFunction::apply(Vec x, Vec r) const {
  return map(x, r, nullptr);
}

PetscErrorCode TransferFunction::applyDerivative(Vec x, Vec d) const {
  return map(x, nullptr, d);
}

PetscErrorCode TransferFunction::applyBoth(Vec x, Vec r, Vec d) const {
  return map(x, r, d);
}

void TransferFunction::map(const double *x, std::size_t n, double *r, double *d) const {
  switch (kind) {
  case TransferKind::Tanh:
    vmath::tanh(x, n, gain, threshold, r, d);
    return;
  case TransferKind::Sigmoid:
    vmath::sigmoid(x, n, gain, threshold, r, d);
    return;
  case TransferKind::Relu:
    for (std::size_t i = 0; i < n; ++i) {
      const double u = x[i] - threshold;
      if (d) d[i] = u >= 0 ? gain : 0.0;
      if (r) r[i] = u > 0 ? gain * u : 0.0;
    }
    return;
  case TransferKind::Linear:
    for (std::size_t i = 0; i < n; ++i) {
      if (r) r[i] = gain * (x[i] - threshold);
      if (d) d[i] = gain;
    }
    return;
  }
}

PetscErrorCode TransferFunction::map(Vec x, Vec r, Vec d) const {
  const PetscScalar *xa = nullptr;
  PetscScalar *ra = nullptr, *da = nullptr;
  PetscInt n = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetArrayRead(x, &xa));
  if (r) PetscCall(VecGetArrayWrite(r, &ra));
  if (d) PetscCall(VecGetArrayWrite(d, &da));
  map(xa, static_cast<std::size_t>(n), ra, da);
  if (d) PetscCall(VecRestoreArrayWrite(d, &da));
  if (r) PetscCall(VecRestoreArrayWrite(r, &ra));
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscFunctionReturn(0);
}

PetscErrorCode TransferFunction::applyGainDerivative(Vec x, Vec d) const {
  return mapLocal(x, d, [this](double v) { return gainDerivative(v); });
}

} // namespace eqrnn
