#include "analysis/tangent.hpp"

#include <cmath>

namespace eqrnn {

namespace {
// Makes conv the convolution along one axis: kernel |G| * weights[j] at the element j e_axis, 0 off the axis,
// so that (J x)(g) = sum_j weights[j] x(g - j e_axis).
PetscErrorCode setAxisKernel(GroupConvolution &conv, const Group &group, std::size_t axis,
                             const std::vector<double> &weights, Vec w) {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a      = nullptr;
  const double volume = static_cast<double>(group.order());
  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(w, &lo, &hi));
  PetscCall(VecGetArray(w, &a));
  for (PetscInt g = lo; g < hi; ++g) {
    const auto c = group.coordinates(g);
    bool onAxis  = true;
    for (std::size_t i = 0; i < c.size(); ++i)
      onAxis = onAxis && (i == axis || c[i] == 0);
    a[g - lo] = onAxis ? volume * weights[c[axis]] : 0.0;
  }
  PetscCall(VecRestoreArray(w, &a));
  PetscCall(conv.setKernel(w));
  PetscFunctionReturn(0);
}
} // namespace

double spectralDerivativeWeight(PetscInt n, PetscInt j) {
  j %= n;
  if (j == 0) return 0.0;
  const double sign = (j % 2) ? -1.0 : 1.0;
  const double a    = M_PI * static_cast<double>(j) / static_cast<double>(n);
  return n % 2 == 0 ? 0.5 * sign / std::tan(a) : 0.5 * sign / std::sin(a);
}

PetscErrorCode orbitTangents(MPI_Comm comm, const Group &group, FftPlanner planner, Vec x,
                             std::vector<VecHandle> *tangents, std::vector<PetscInt> *axes) {
  std::unique_ptr<GroupConvolution> conv;
  PetscFunctionBeginUser;
  PetscCall(GroupConvolution::create(comm, group, planner, &conv));
  const auto n = group.factorOrders();
  tangents->clear();
  axes->clear();
  for (std::size_t axis = 0; axis < n.size(); ++axis) {
    if (n[axis] <= 2) continue;
    VecHandle w, t;
    std::vector<double> weights(static_cast<std::size_t>(n[axis]));
    for (PetscInt j = 0; j < n[axis]; ++j)
      weights[j] = spectralDerivativeWeight(n[axis], j);
    PetscCall(conv->createVec(w.address()));
    PetscCall(setAxisKernel(*conv, group, axis, weights, w));
    PetscCall(conv->createVec(t.address()));
    PetscCall(conv->apply(x, t));
    tangents->push_back(std::move(t));
    axes->push_back(static_cast<PetscInt>(axis));
  }
  PetscFunctionReturn(0);
}

namespace {
// Periodic interpolation kernel on Z_n shifted by delta: (1/n) sum_k e^{2 pi i k (j - delta)/n}, k symmetric
// around 0 with the Nyquist mode (even n) taken as its real part.
double interpolationWeight(PetscInt n, PetscInt j, double delta) {
  const double u = 2 * M_PI * (static_cast<double>(j) - delta) / static_cast<double>(n);
  double s       = 1.0;
  for (PetscInt k = 1; 2 * k < n; ++k)
    s += 2 * std::cos(static_cast<double>(k) * u);
  if (n % 2 == 0) s += std::cos(static_cast<double>(n / 2) * u);
  return s / static_cast<double>(n);
}
} // namespace

PetscErrorCode fractionalTranslate(MPI_Comm comm, const Group &group, FftPlanner planner, Vec x,
                                   const std::vector<double> &delta, Vec out) {
  std::unique_ptr<GroupConvolution> conv;
  VecHandle w, tmp;
  PetscFunctionBeginUser;
  PetscCall(GroupConvolution::create(comm, group, planner, &conv));
  PetscCall(conv->createVec(w.address()));
  PetscCall(conv->createVec(tmp.address()));
  PetscCall(VecCopy(x, out));
  const auto n = group.factorOrders();
  for (std::size_t axis = 0; axis < n.size() && axis < delta.size(); ++axis) {
    if (n[axis] <= 2 || delta[axis] == 0.0) continue;
    std::vector<double> weights(static_cast<std::size_t>(n[axis]));
    for (PetscInt j = 0; j < n[axis]; ++j)
      weights[j] = interpolationWeight(n[axis], j, delta[axis]);
    PetscCall(setAxisKernel(*conv, group, axis, weights, w));
    PetscCall(conv->apply(out, tmp));
    PetscCall(VecCopy(tmp, out));
  }
  PetscFunctionReturn(0);
}

} // namespace eqrnn
