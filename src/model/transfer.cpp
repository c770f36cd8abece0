#include "model/transfer.hpp"

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

double TransferFunction::value(double x) const {
  const double u = x - threshold;
  switch (kind) {
  case TransferKind::Tanh:
    return std::tanh(gain * u);
  case TransferKind::Relu:
    return u > 0 ? gain * u : 0.0;
  case TransferKind::Sigmoid:
    return 1.0 / (1.0 + std::exp(-gain * u));
  default:
    return gain * u;
  }
}

double TransferFunction::derivative(double x) const {
  const double u = x - threshold;
  switch (kind) {
  case TransferKind::Tanh: {
    const double t = std::tanh(gain * u);
    return gain * (1.0 - t * t);
  }
  case TransferKind::Relu:
    return u >= 0 ? gain : 0.0;
  case TransferKind::Sigmoid: {
    const double s = 1.0 / (1.0 + std::exp(-gain * u));
    return gain * s * (1.0 - s);
  }
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
  return mapLocal(x, r, [this](double v) { return value(v); });
}

PetscErrorCode TransferFunction::applyDerivative(Vec x, Vec d) const {
  return mapLocal(x, d, [this](double v) { return derivative(v); });
}

PetscErrorCode TransferFunction::applyGainDerivative(Vec x, Vec d) const {
  return mapLocal(x, d, [this](double v) { return gainDerivative(v); });
}

} // namespace eqrnn
