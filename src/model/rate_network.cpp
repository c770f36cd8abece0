#include "model/rate_network.hpp"

#include "core/collective.hpp"

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
  // The kernel layout holds |G| C^2 values.
  PetscCheck(static_cast<long double>(group.order()) * spec.channels * spec.channels <= kMaxGroupOrder, comm,
             PETSC_ERR_USER_INPUT,
             "%s with %" PetscInt_FMT " channels is too large for this PETSc build's integer size",
             spec.group.c_str(), spec.channels);
  std::unique_ptr<RateNetwork> net(new RateNetwork());
  net->spec_ = spec;
  PetscCall(Kernel::create(comm, spec.kernel, group, spec.channels, &net->kernelModel_));
  PetscCall(GroupConvolution::create(comm, group, spec.channels, spec.fftPlanner, &net->conv_));
  PetscCall(net->setKernel());
  VecHandle layout;
  PetscCall(net->createVec(layout.address()));
  PetscCall(net->input_.setup(spec.input, group, layout));
  *out = std::move(net);
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::kernelValues(Vec *w) const {
  PetscFunctionBeginUser;
  PetscCall(conv_->createKernelVec(w));
  PetscCall(kernelModel_->fill(*w));
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::setKernel() {
  VecHandle w;
  PetscFunctionBeginUser;
  PetscCall(kernelValues(w.address()));
  PetscCall(conv_->setKernel(w));
  PetscCall(vecChecksum(w, &kernelChecksum_));
  PetscFunctionReturn(0);
}

void relax(const double *conv, const double *x, const InputTerm &input, double s, double *out,
           std::size_t n) {
  if (!input.on) {
    for (std::size_t i = 0; i < n; ++i)
      out[i] = s * (conv[i] - x[i]);
  } else if (input.shape) {
    const double a = input.amplitude;
    for (std::size_t i = 0; i < n; ++i)
      out[i] = s * (conv[i] - x[i] + input.shape[i] * a);
  } else {
    for (std::size_t i = 0; i < n; ++i)
      out[i] = s * (conv[i] - x[i] + input.amplitude);
  }
}

PetscErrorCode RateNetwork::rhs(double t, Vec x, Vec f) {
  const PetscScalar *xa = nullptr, *shape = nullptr;
  PetscInt n = 0;
  InputTerm input{nullptr, input_.amplitudeAt(t), input_.activeAt(t)};
  const double s = 1.0 / spec_.tau;
  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetArrayRead(x, &xa));
  if (input.on && input_.shape()) PetscCall(VecGetArrayRead(input_.shape(), &shape));
  input.shape = shape;
  // phi(x) straight into the transform buffer; (J phi - x + I) / tau on the way out.
  const PointwiseMap phi = [this](const double *in, double *out, std::size_t m, std::size_t) {
    spec_.phi.map(in, m, out, nullptr);
  };
  const PointwiseMap combine = [&](const double *conv, double *out, std::size_t m, std::size_t at) {
    InputTerm here = input;
    if (here.shape) here.shape += at;
    relax(conv, xa + at, here, s, out, m);
  };
  PetscCall(conv_->apply(x, f, {&phi, &combine}));
  if (shape) PetscCall(VecRestoreArrayRead(input_.shape(), &shape));
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscCall(PetscLogFlops(static_cast<PetscLogDouble>((input.on ? 4 : 2) * n)));
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
    PetscCall(setKernel());
  } else if (p.kind == ParameterKind::InputAmplitude) {
    input_.setAmplitude(value);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::parameterDerivative(const NetworkParameter &p, double t, Vec x, Vec dF) {
  PetscFunctionBeginUser;
  PetscCall(checkParameter(p));
  switch (p.kind) {
  case ParameterKind::Gain:
  case ParameterKind::Threshold: {
    // d phi/d gain = f'(g u) u, d phi/d threshold = -phi'(x), on the way into the transform.
    const PointwiseMap dphi = [this, &p](const double *in, double *out, std::size_t m, std::size_t) {
      if (p.kind == ParameterKind::Gain) {
        for (std::size_t i = 0; i < m; ++i)
          out[i] = spec_.phi.gainDerivative(in[i]);
      } else {
        spec_.phi.map(in, m, nullptr, out);
        for (std::size_t i = 0; i < m; ++i)
          out[i] = -out[i];
      }
    };
    PetscCall(conv_->apply(x, dF, {&dphi, nullptr}));
    break;
  }
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
    const PointwiseMap phi = [this](const double *in, double *out, std::size_t m, std::size_t) {
      spec_.phi.map(in, m, out, nullptr);
    };
    PetscCall(conv_->apply(derivativeSpectrum_, x, dF, {&phi, nullptr}));
  }
  }
  PetscCall(VecScale(dF, 1.0 / spec_.tau));
  PetscFunctionReturn(0);
}

} // namespace eqrnn
