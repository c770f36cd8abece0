#pragma once
// The linearisation of a rate network at a state x*: A v = (-v + J (phi'(x*) o v)) / tau, one group
// convolution per product, as a PETSc MATSHELL with its exact diagonal (for Jacobi). Each user (implicit
// integrator, Newton, eigensolver) holds its own, so that no one's linearisation point is moved by another.
#include "model/rate_network.hpp"

namespace eqrnn {

class Linearisation {
public:
  static PetscErrorCode create(RateNetwork &net, std::unique_ptr<Linearisation> *out);
  Linearisation(const Linearisation &)            = delete;
  Linearisation &operator=(const Linearisation &) = delete;

  // Linearises at x (phi'(x) is evaluated once here).
  PetscErrorCode setPoint(Vec x);
  // out = A v at the current point.
  PetscErrorCode apply(Vec v, Vec out);
  // The diagonal of A: (-1 + J_gg phi'(x_g)) / tau.
  PetscErrorCode diagonal(Vec d);
  // A as a MATSHELL (MatMult = apply, MatGetDiagonal = diagonal); valid while this object lives.
  Mat matrix() const { return mat_; }
  RateNetwork &network() const { return *net_; }

private:
  Linearisation()   = default;
  RateNetwork *net_ = nullptr;
  VecHandle slope_; // phi'(x*)
  MatHandle mat_;
};

} // namespace eqrnn
