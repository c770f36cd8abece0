#pragma once
// Transfer functions phi with gain g and threshold th: tanh(g(x-th)), g max(0, x-th), 1/(1+exp(-g(x-th))),
// g (x-th). ReLU's derivative at the threshold is taken as g (a subgradient choice: it lets networks that
// start at zero activity learn, and keeps phi' defined everywhere for the Jacobian).
#include <petscvec.h>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace eqrnn {

enum class TransferKind { Tanh, Relu, Sigmoid, Linear };
// The names -phi takes (designed networks and training share them).
const std::vector<std::pair<const char *, TransferKind>> &transferNames();

struct TransferFunction {
  TransferKind kind = TransferKind::Tanh;
  double gain = 1.0, threshold = 0.0;

  std::string name() const;
  double value(double x) const;
  double derivative(double x) const;
  // d phi / d gain at x: f'(g (x - th)) (x - th).
  double gainDerivative(double x) const;
  // phi(-x) = -phi(x): x -> -x is then a symmetry of the network without input.
  bool isOdd() const {
    return threshold == 0.0 && (kind == TransferKind::Tanh || kind == TransferKind::Linear);
  }
  // r = phi(x), d = phi'(x) elementwise (local, no communication; x must not be r or d). tanh and sigmoid run
  // vectorised (core/vector_math.hpp), with the same bits as value() and derivative().
  PetscErrorCode apply(Vec x, Vec r) const;
  PetscErrorCode applyDerivative(Vec x, Vec d) const;
  PetscErrorCode applyBoth(Vec x, Vec r, Vec d) const; // one pass over x for both
  // The same on arrays of n values; r or d may be null.
  void map(const double *x, std::size_t n, double *r, double *d) const;
  PetscErrorCode applyGainDerivative(Vec x, Vec d) const;

private:
  PetscErrorCode map(Vec x, Vec r, Vec d) const;
};

} // namespace eqrnn
