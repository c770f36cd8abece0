#include "model/rate_network.hpp"

#include <cmath>

namespace eqrnn {

PetscErrorCode RateNetwork::create(MPI_Comm comm, const NetworkSpec &spec,
                                   std::unique_ptr<RateNetwork> *out) {
  Group group;
  PetscFunctionBeginUser;
  PetscCheck(spec.tau > 0 && std::isfinite(spec.tau), comm, PETSC_ERR_USER_INPUT, "-tau must be > 0 (got %g)",
             spec.tau);
  PetscCheck(spec.phi.gain > 0, comm, PETSC_ERR_USER_INPUT, "-gain must be > 0 (got %g)", spec.phi.gain);
  PetscCheck(spec.channels >= 1, comm, PETSC_ERR_USER_INPUT, "-channels must be >= 1 (got %" PetscInt_FMT ")",
             spec.channels);
  PetscCall(parseGroup(comm, spec.group, &group, spec.permutations));
  std::unique_ptr<RateNetwork> net(new RateNetwork());
  net->spec_ = spec;
  PetscCall(Kernel::create(comm, spec.kernel, group, spec.channels, &net->kernelModel_));
  PetscCall(GroupConvolution::create(comm, group, spec.channels, spec.fftPlanner, &net->conv_));
  PetscCall(net->conv_->createKernelVec(net->kernel_.address()));
  PetscCall(net->kernelModel_->fill(net->kernel_));
  PetscCall(net->conv_->setKernel(net->kernel_));
  PetscCall(net->createVec(net->rate_.address()));
  PetscCall(net->input_.setup(spec.input, group, net->rate_));
  *out = std::move(net);
  PetscFunctionReturn(0);
}

PetscErrorCode relax(Vec f, Vec x, Vec input, double s) {
  const PetscScalar *xa = nullptr, *ia = nullptr;
  PetscScalar *fa = nullptr;
  PetscInt n      = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(f, &n));
  PetscCall(VecGetArray(f, &fa));
  PetscCall(VecGetArrayRead(x, &xa));
  if (input) {
    PetscCall(VecGetArrayRead(input, &ia));
    for (PetscInt i = 0; i < n; ++i)
      fa[i] = s * (fa[i] - xa[i] + ia[i]);
    PetscCall(VecRestoreArrayRead(input, &ia));
  } else {
    for (PetscInt i = 0; i < n; ++i)
      fa[i] = s * (fa[i] - xa[i]);
  }
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscCall(VecRestoreArray(f, &fa));
  PetscCall(PetscLogFlops(static_cast<PetscLogDouble>((input ? 3 : 2) * n)));
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::rhs(double t, Vec x, Vec f) {
  PetscFunctionBeginUser;
  PetscCall(spec_.phi.apply(x, rate_));
  PetscCall(conv_->apply(rate_, f));
  PetscCall(relax(f, x, input_.active(t), 1.0 / spec_.tau));
  PetscFunctionReturn(0);
}

namespace {
// Where a parameter lives in the spec (nullptr: the network has no such parameter).
double *parameterSlot(NetworkSpec &s, const NetworkParameter &p) {
  auto entry = [&p](std::vector<double> &v) {
    return p.index >= 0 && static_cast<std::size_t>(p.index) < v.size()
               ? &v[static_cast<std::size_t>(p.index)]
               : nullptr;
  };
  switch (p.kind) {
  case ParameterKind::J0:
    return &s.kernel.J0;
  case ParameterKind::J1:
    return &s.kernel.J1;
  case ParameterKind::J2:
    return &s.kernel.J2;
  case ParameterKind::Kappa:
    return &s.kernel.kappa;
  case ParameterKind::Kappa2:
    return &s.kernel.kappa2;
  case ParameterKind::IrrepGain:
    return entry(s.kernel.irrepGains);
  case ParameterKind::FourierCos:
    return entry(s.kernel.cosCoeffs);
  case ParameterKind::FourierSin:
    return entry(s.kernel.sinCoeffs);
  case ParameterKind::Gain:
    return &s.phi.gain;
  case ParameterKind::Threshold:
    return &s.phi.threshold;
  case ParameterKind::InputAmplitude:
    return &s.input.amplitude;
  }
  return nullptr;
}
} // namespace

PetscErrorCode RateNetwork::checkParameter(const NetworkParameter &p) const {
  NetworkSpec copy = spec_;
  double dw        = 0;
  PetscFunctionBeginUser;
  PetscCheck(parameterSlot(copy, p), comm(), PETSC_ERR_USER_INPUT, "this network has no parameter %s",
             networkParameterName(p).c_str());
  // A kernel parameter must be one the kernel depends on (J2 of a cosine kernel is not).
  PetscCheck(!isKernelParameter(p) || kernelModel_->derivative(p, 0, &dw), comm(), PETSC_ERR_USER_INPUT,
             "the %s kernel does not depend on %s", kernelFamilyName(spec_.kernel.family),
             networkParameterName(p).c_str());
  PetscCheck(p.kind != ParameterKind::InputAmplitude || spec_.input.kind != InputKind::None, comm(),
             PETSC_ERR_USER_INPUT, "input_amplitude: the network has no input (-input none)");
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::parameter(const NetworkParameter &p, double *value) const {
  NetworkSpec copy = spec_;
  PetscFunctionBeginUser;
  PetscCall(checkParameter(p));
  *value = *parameterSlot(copy, p);
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::setParameter(const NetworkParameter &p, double value) {
  PetscFunctionBeginUser;
  PetscCall(checkParameter(p));
  PetscCheck(std::isfinite(value), comm(), PETSC_ERR_USER_INPUT, "%s = %g is not finite",
             networkParameterName(p).c_str(), value);
  PetscCheck(p.kind != ParameterKind::Gain || value > 0, comm(), PETSC_ERR_USER_INPUT,
             "gain must be > 0 (got %g)", value);
  *parameterSlot(spec_, p) = value;
  derivativeSpectrum_      = KernelSpectrum(); // every derivative may depend on the value changed
  if (isKernelParameter(p)) {
    // A new kernel in the same layout: its spectrum is recomputed with the plans already made.
    PetscCall(Kernel::create(comm(), spec_.kernel, group(), spec_.channels, &kernelModel_));
    PetscCall(kernelModel_->fill(kernel_));
    PetscCall(conv_->setKernel(kernel_));
  } else if (p.kind == ParameterKind::InputAmplitude) {
    PetscCall(input_.setAmplitude(value));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::parameterDerivative(const NetworkParameter &p, double t, Vec x, Vec dF) {
  PetscFunctionBeginUser;
  PetscCall(checkParameter(p));
  switch (p.kind) {
  case ParameterKind::Gain:
  case ParameterKind::Threshold:
    // d phi/d gain = f'(g u) u, d phi/d threshold = -phi'(x).
    if (p.kind == ParameterKind::Gain)
      PetscCall(spec_.phi.applyGainDerivative(x, rate_));
    else {
      PetscCall(spec_.phi.applyDerivative(x, rate_));
      PetscCall(VecScale(rate_, -1.0));
    }
    PetscCall(conv_->apply(rate_, dF));
    break;
  case ParameterKind::InputAmplitude:
    PetscCall(VecSet(dF, 0.0));
    PetscCall(input_.addAmplitudeDerivative(t, 1.0, dF));
    break;
  default: { // a kernel parameter: dJ/dp phi(x)
    if (derivativeSpectrum_.empty() || !(derivativeOf_ == p)) {
      VecHandle dw;
      PetscCall(conv_->createKernelVec(dw.address()));
      PetscCall(kernelModel_->fillDerivative(p, dw));
      PetscCall(conv_->computeSpectrum(dw, &derivativeSpectrum_));
      derivativeOf_ = p;
    }
    PetscCall(spec_.phi.apply(x, rate_));
    PetscCall(conv_->apply(derivativeSpectrum_, rate_, dF));
  }
  }
  PetscCall(VecScale(dF, 1.0 / spec_.tau));
  PetscFunctionReturn(0);
}

} // namespace eqrnn
