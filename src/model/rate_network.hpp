#pragma once
// The equivariant rate network tau dx/dt = -x + J phi(x) + I(t) on a group. One object owns the connectivity
// operator, the kernel, the transfer function and the input, and evaluates the right-hand side. Its scalar
// parameters (network_parameter.hpp) can change after creation without re-planning any FFT, and the
// derivative of the right-hand side with respect to each is available: what parameter continuation needs.
// The linearisation at a state is a separate object (model/linearisation.hpp), so that several users (the
// integrator, the census, the stability analysis) each hold their own.
#include "model/input.hpp"
#include "model/network_parameter.hpp"
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

// The input term of relax(): I = a shape (shape null: I = a everywhere); none when `on` is false.
struct InputTerm {
  const double *shape = nullptr;
  double amplitude    = 0;
  bool on             = false;
};
// out = s (conv - x + I) over n values: the last step of every right-hand side and Jacobian product,
// (J phi(x) - x + I) / tau, fused into the copy out of the transform buffer (out may be conv).
void relax(const double *conv, const double *x, const InputTerm &input, double s, double *out, std::size_t n);

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
  // The kernel w in the kernel layout (|G| C^2 values), filled anew into a new Vec: the network keeps only
  // its spectrum, so that a large network does not hold |G| C^2 more values than it needs.
  PetscErrorCode kernelValues(Vec *w) const;
  // A checksum of the kernel's values (vecChecksum), for checkpoint identities.
  unsigned long long kernelChecksum() const { return kernelChecksum_; }
  const Kernel &kernelFamily() const { return *kernelModel_; }
  PetscInt channels() const { return spec_.channels; }
  // Times where the input switches on or off (the integrator stops there).
  std::vector<double> inputSwitchTimes() const { return input_.switchTimes(); }

  // f = (-x + J phi(x) + I(t)) / tau, the input taken at time t.
  PetscErrorCode rhs(double t, Vec x, Vec f);

  // The current value of a parameter, and a new one (the kernel's spectrum is recomputed with the existing
  // FFT plans; phi and the input change in place). Errors for a parameter the network does not have.
  PetscErrorCode parameter(const NetworkParameter &p, double *value) const;
  PetscErrorCode setParameter(const NetworkParameter &p, double value);
  // dF/dp at (t, x), F the right-hand side (tau fixed): dJ/dp phi(x) / tau for a kernel parameter (the
  // kernel's derivative, transformed once with the network's plans and kept until the network changes),
  // J (dphi/dp)(x) / tau for gain and threshold, dI/dp / tau for the input amplitude.
  PetscErrorCode parameterDerivative(const NetworkParameter &p, double t, Vec x, Vec dF);

private:
  RateNetwork() = default;
  PetscErrorCode checkParameter(const NetworkParameter &p) const;
  PetscErrorCode setKernel(); // fills the kernel, computes its spectrum and checksum, frees the values
  NetworkSpec spec_;
  std::unique_ptr<GroupConvolution> conv_;
  std::unique_ptr<Kernel> kernelModel_;
  ExternalInput input_;
  unsigned long long kernelChecksum_ = 0;
  // The kernel's derivative with respect to one parameter (empty: none computed for the current network).
  KernelSpectrum derivativeSpectrum_;
  NetworkParameter derivativeOf_;
};

} // namespace eqrnn
