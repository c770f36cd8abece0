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

bool TransferFunction::parse(const std::string &name, TransferKind *kind) {
  for (const auto &[n, k] : transferNames())
    if (name == n) {
      *kind = k;
      return true;
    }
  return false;
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

PetscErrorCode TransferFunction::apply(Vec x, Vec r) const {
  const PetscScalar *xa = nullptr;
  PetscScalar *ra       = nullptr;
  PetscInt n            = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetArrayRead(x, &xa));
  PetscCall(VecGetArray(r, &ra));
  for (PetscInt i = 0; i < n; ++i)
    ra[i] = value(xa[i]);
  PetscCall(VecRestoreArray(r, &ra));
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscFunctionReturn(0);
}

PetscErrorCode TransferFunction::applyGainDerivative(Vec x, Vec d) const {
  const PetscScalar *xa = nullptr;
  PetscScalar *da       = nullptr;
  PetscInt n            = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetArrayRead(x, &xa));
  PetscCall(VecGetArray(d, &da));
  for (PetscInt i = 0; i < n; ++i)
    da[i] = gainDerivative(xa[i]);
  PetscCall(VecRestoreArray(d, &da));
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscFunctionReturn(0);
}

PetscErrorCode TransferFunction::applyDerivative(Vec x, Vec d) const {
  const PetscScalar *xa = nullptr;
  PetscScalar *da       = nullptr;
  PetscInt n            = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetArrayRead(x, &xa));
  PetscCall(VecGetArray(d, &da));
  for (PetscInt i = 0; i < n; ++i)
    da[i] = derivative(xa[i]);
  PetscCall(VecRestoreArray(d, &da));
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscFunctionReturn(0);
}

} // namespace eqrnn
