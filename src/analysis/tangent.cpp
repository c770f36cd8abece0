#include "analysis/tangent.hpp"

#include <cmath>

namespace eqrnn {

namespace {
// out = sum_a D(a) L_a x for a distribution D on the axes (finite part e): x * D with x as the kernel (left
// translations commute with nothing in a non-abelian group, but L_a x = x * delta_a always holds).
// weight(a) gives D at axis coordinates a.
template <typename Weight>
PetscErrorCode translateByDistribution(MPI_Comm comm, const Group &group, FftPlanner planner, Vec x,
                                       Weight weight, Vec out) {
  std::unique_ptr<GroupConvolution> conv;
  VecHandle d;
  PetscInt size = 0, lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  PetscFunctionBeginUser;
  PetscCall(VecGetSize(x, &size));
  const PetscInt C = size / group.order(), Q = group.quotientOrder();
  PetscCall(GroupConvolution::create(comm, group, C, planner, &conv));
  PetscCall(conv->setKernelFromState(x, GroupConvolution::StateKernel::Diagonal));
  PetscCall(conv->createVec(d.address()));
  PetscCall(VecGetOwnershipRange(d, &lo, &hi));
  PetscCall(VecGetArray(d, &a));
  const double volume = static_cast<double>(group.order());
  for (PetscInt i = lo; i < hi; ++i) {
    const PetscInt g = i / C;
    a[i - lo]        = g % Q == 0 ? volume * weight(group.axisCoordinates(g)) : 0.0;
  }
  PetscCall(VecRestoreArray(d, &a));
  PetscCall(conv->apply(d, out));
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
  PetscFunctionBeginUser;
  const auto &n = group.axisOrders();
  tangents->clear();
  axes->clear();
  for (std::size_t axis = 0; axis < n.size(); ++axis) {
    if (n[axis] <= 2) continue;
    VecHandle t;
    PetscCall(VecDuplicate(x, t.address()));
    auto weight = [&](const std::vector<PetscInt> &c) {
      for (std::size_t i = 0; i < c.size(); ++i)
        if (i != axis && c[i] != 0) return 0.0;
      return spectralDerivativeWeight(n[axis], c[axis]);
    };
    PetscCall(translateByDistribution(comm, group, planner, x, weight, t));
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
  PetscFunctionBeginUser;
  const auto &n = group.axisOrders();
  // The translations along different axes commute: one distribution, the product of per-axis weights.
  auto weight = [&](const std::vector<PetscInt> &c) {
    double w = 1.0;
    for (std::size_t i = 0; i < c.size(); ++i) {
      const bool moved = i < delta.size() && n[i] > 2 && delta[i] != 0.0;
      w *= moved ? interpolationWeight(n[i], c[i], delta[i]) : (c[i] == 0 ? 1.0 : 0.0);
    }
    return w;
  };
  PetscCall(translateByDistribution(comm, group, planner, x, weight, out));
  PetscFunctionReturn(0);
}

} // namespace eqrnn
