#include "model/linearisation.hpp"

namespace eqrnn {

namespace {
PetscErrorCode linearisationMult(Mat A, Vec v, Vec out) {
  Linearisation *lin = nullptr;
  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(A, &lin));
  PetscCall(lin->apply(v, out));
  PetscFunctionReturn(0);
}

PetscErrorCode linearisationDiagonal(Mat A, Vec d) {
  Linearisation *lin = nullptr;
  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(A, &lin));
  PetscCall(lin->diagonal(d));
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode Linearisation::create(RateNetwork &net, std::unique_ptr<Linearisation> *out) {
  std::unique_ptr<Linearisation> lin(new Linearisation());
  const PetscInt n = net.connectivity().localSize(), N = net.connectivity().size();
  PetscFunctionBeginUser;
  lin->net_ = &net;
  PetscCall(net.createVec(lin->slope_.address()));
  PetscCall(VecSet(lin->slope_, 0.0));
  PetscCall(MatCreateShell(net.comm(), n, n, N, N, lin.get(), lin->mat_.address()));
  PetscCall(MatShellSetOperation(lin->mat_, MATOP_MULT, reinterpret_cast<void (*)(void)>(linearisationMult)));
  PetscCall(MatShellSetOperation(lin->mat_, MATOP_GET_DIAGONAL,
                                 reinterpret_cast<void (*)(void)>(linearisationDiagonal)));
  *out = std::move(lin);
  PetscFunctionReturn(0);
}

PetscErrorCode Linearisation::setPoint(Vec x) {
  PetscFunctionBeginUser;
  PetscCall(net_->spec().phi.applyDerivative(x, slope_));
  PetscFunctionReturn(0);
}

PetscErrorCode Linearisation::apply(Vec v, Vec out) {
  const PetscScalar *va = nullptr, *slope = nullptr;
  const double s = 1.0 / net_->spec().tau;
  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(v, &va));
  PetscCall(VecGetArrayRead(slope_, &slope));
  // phi'(x*) o v into the transform buffer, (J (phi' o v) - v) / tau out of it: no work vector.
  const PointwiseMap scale = [slope](const double *in, double *o, std::size_t m, std::size_t at) {
    for (std::size_t i = 0; i < m; ++i)
      o[i] = slope[at + i] * in[i];
  };
  const PointwiseMap combine = [va, s](const double *conv, double *o, std::size_t m, std::size_t at) {
    relax(conv, va + at, InputTerm{}, s, o, m);
  };
  PetscCall(net_->connectivity().apply(v, out, {&scale, &combine}));
  PetscCall(VecRestoreArrayRead(slope_, &slope));
  PetscCall(VecRestoreArrayRead(v, &va));
  PetscCall(PetscLogFlops(3.0 * net_->connectivity().localSize())); // the maps; FFTW's flops are not logged
  PetscFunctionReturn(0);
}

PetscErrorCode Linearisation::diagonal(Vec d) {
  PetscFunctionBeginUser;
  // The convolution's diagonal J_(g,c),(g,c) = w_cc(e)/|G| times phi'.
  PetscCall(net_->connectivity().fillDiagonal(d));
  PetscCall(VecPointwiseMult(d, d, slope_));
  PetscCall(VecShift(d, -1.0));
  PetscCall(VecScale(d, 1.0 / net_->spec().tau));
  PetscFunctionReturn(0);
}

} // namespace eqrnn
