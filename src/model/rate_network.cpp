#include "model/rate_network.hpp"

#include <cmath>

namespace eqrnn {

namespace {
PetscErrorCode jacobianMult(Mat A, Vec v, Vec out) {
  RateNetwork *net = nullptr;
  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(A, &net));
  PetscCall(net->applyJacobian(v, out));
  PetscFunctionReturn(0);
}

PetscErrorCode jacobianDiag(Mat A, Vec d) {
  RateNetwork *net = nullptr;
  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(A, &net));
  PetscCall(net->jacobianDiagonal(d));
  PetscFunctionReturn(0);
}
} // namespace

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
  PetscCall(validateKernel(comm, spec.kernel, group, spec.channels));
  std::unique_ptr<RateNetwork> net(new RateNetwork());
  net->spec_ = spec;
  PetscCall(GroupConvolution::create(comm, group, spec.channels, spec.fftPlanner, &net->conv_));
  PetscCall(net->conv_->createKernelVec(net->kernel_.address()));
  PetscCall(fillKernel(spec.kernel, group, spec.channels, net->kernel_));
  PetscCall(net->conv_->setKernel(net->kernel_));
  PetscCall(net->createVec(net->rate_.address()));
  PetscCall(VecDuplicate(net->rate_, net->work_.address()));
  PetscCall(VecDuplicate(net->rate_, net->slope_.address()));
  PetscCall(VecSet(net->slope_, 0.0));
  PetscCall(net->input_.setup(spec.input, group, net->rate_));
  *out = std::move(net);
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::rhs(double t, Vec x, Vec f) {
  PetscFunctionBeginUser;
  PetscCall(spec_.phi.apply(x, rate_));
  PetscCall(conv_->apply(rate_, f));
  PetscCall(VecAXPY(f, -1.0, x));
  PetscCall(input_.add(holdInput_ ? heldInputTime_ : t, f));
  PetscCall(VecScale(f, 1.0 / spec_.tau));
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::setLinearisationPoint(Vec x) {
  PetscFunctionBeginUser;
  PetscCall(spec_.phi.applyDerivative(x, slope_));
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::applyJacobian(Vec v, Vec out) {
  PetscFunctionBeginUser;
  PetscCall(VecPointwiseMult(work_, slope_, v));
  PetscCall(conv_->apply(work_, out));
  PetscCall(VecAXPY(out, -1.0, v));
  PetscCall(VecScale(out, 1.0 / spec_.tau));
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::jacobianDiagonal(Vec d) {
  PetscFunctionBeginUser;
  // (-1 + J_gg phi'(x_g)) / tau, with the convolution's diagonal J_(g,c),(g,c) = w_cc(e)/|G|.
  PetscCall(conv_->fillDiagonal(d));
  PetscCall(VecPointwiseMult(d, d, slope_));
  PetscCall(VecShift(d, -1.0));
  PetscCall(VecScale(d, 1.0 / spec_.tau));
  PetscFunctionReturn(0);
}

PetscErrorCode RateNetwork::createJacobian(Mat *A) {
  const PetscInt n = conv_->localSize(), N = conv_->size();
  PetscFunctionBeginUser;
  PetscCall(MatCreateShell(comm(), n, n, N, N, this, A));
  PetscCall(MatShellSetOperation(*A, MATOP_MULT, reinterpret_cast<void (*)(void)>(jacobianMult)));
  PetscCall(MatShellSetOperation(*A, MATOP_GET_DIAGONAL, reinterpret_cast<void (*)(void)>(jacobianDiag)));
  PetscFunctionReturn(0);
}

} // namespace eqrnn
