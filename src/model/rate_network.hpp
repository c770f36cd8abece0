#pragma once
// The equivariant rate network tau dx/dt = -x + J phi(x) + I(t) on a group. One object owns the connectivity
// operator, the transfer function, the input and their work vectors, and hands out the right-hand side and
// the exact Jacobian action (a MATSHELL: A v = (-v + J (phi'(x) o v)) / tau) used by TS, and next by SNES and
// SLEPc.
#include "model/input.hpp"
#include "model/transfer.hpp"
#include "operators/group_convolution.hpp"
#include "operators/kernel.hpp"
#include <memory>

namespace eqrnn {

struct NetworkSpec {
  std::string group = "Z256";
  std::string permutations; // generators of a factor P, cycle notation
  PetscInt channels = 1;    // C populations per group element (state index g C + c)
  KernelSpec kernel;
  TransferFunction phi;
  InputSpec input;
  double tau            = 1.0;
  FftPlanner fftPlanner = FftPlanner::Estimate;
  // Additive noise: tau dx = (-x + J phi(x) + I) dt + noiseSigma dW, integrated by Euler-Maruyama with step
  // noiseDt; the increments come from Philox keyed by (noiseSeed, step, neuron index).
  double noiseSigma = 0.0, noiseDt = 0.01;
  unsigned long long noiseSeed = 1;
};

class RateNetwork {
public:
  static PetscErrorCode create(MPI_Comm comm, const NetworkSpec &spec, std::unique_ptr<RateNetwork> *out);
  RateNetwork(const RateNetwork &)            = delete;
  RateNetwork &operator=(const RateNetwork &) = delete;

  const NetworkSpec &spec() const { return spec_; }
  const Group &group() const { return conv_->group(); }
  GroupConvolution &connectivity() { return *conv_; }
  MPI_Comm comm() const { return conv_->comm(); }
  PetscErrorCode createVec(Vec *v) const { return conv_->createVec(v); }
  Vec kernel() const { return kernel_; } // kernel layout: |G| C^2 values
  PetscInt channels() const { return spec_.channels; }
  // Times where the input switches on or off (the integrator stops there).
  std::vector<double> inputSwitchTimes() const { return input_.switchTimes(); }

  // f = (-x + J phi(x) + I(t)) / tau.
  PetscErrorCode rhs(double t, Vec x, Vec f);
  // Evaluate the input at time t regardless of the stage time passed to rhs() (the integrator holds it fixed
  // over a segment between switch times); releaseInput() returns to the stage time.
  PetscErrorCode holdInputAt(double t) {
    heldInputTime_ = t;
    holdInput_     = true;
    return 0;
  }
  PetscErrorCode releaseInput() {
    holdInput_ = false;
    return 0;
  }
  // Linearises at x: the Jacobian matrix from createJacobian() then acts at this state.
  PetscErrorCode setLinearisationPoint(Vec x);
  PetscErrorCode createJacobian(Mat *A);
  // A v for the current linearisation point.
  PetscErrorCode applyJacobian(Vec v, Vec out);
  PetscErrorCode jacobianDiagonal(Vec d);

private:
  RateNetwork() = default;
  NetworkSpec spec_;
  std::unique_ptr<GroupConvolution> conv_;
  ExternalInput input_;
  VecHandle kernel_, rate_, work_, slope_;
  bool holdInput_       = false;
  double heldInputTime_ = 0;
};

} // namespace eqrnn
