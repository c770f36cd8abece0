#include "analysis/observables.hpp"

#include <cmath>

namespace eqrnn {

PetscErrorCode ObservableEngine::setup(const Group &group, PetscInt channels, Vec layout) {
  PetscInt lo = 0, hi = 0;
  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(layout), &comm_));
  PetscCall(VecGetOwnershipRange(layout, &lo, &hi));
  group_    = &group;
  channels_ = channels;
  start_    = lo;
  total_    = group.order() * channels;
  axes_.clear();
  order_.clear();
  std::size_t length = 0;
  const auto &orders = group.axisOrders();
  for (std::size_t i = 0; i < orders.size(); ++i)
    if (orders[i] > 2) {
      axes_.push_back(i);
      order_.push_back(orders[i]);
      length += static_cast<std::size_t>(orders[i]);
    }
  marginal_.assign(length, 0.0);
  PetscFunctionReturn(0);
}

PetscErrorCode ObservableEngine::compute(Vec x, StateObservables *out) {
  const PetscScalar *xa = nullptr;
  PetscInt n            = 0;
  PetscReal norm        = 0;
  PetscScalar sum       = 0;
  PetscFunctionBeginUser;
  PetscCall(VecSum(x, &sum));
  PetscCall(VecNorm(x, NORM_2, &norm));
  out->mean = sum / static_cast<double>(total_);
  out->norm = norm;
  std::fill(marginal_.begin(), marginal_.end(), 0.0);
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetArrayRead(x, &xa));
  if (n > 0) {
    AxisCursor cursor(*group_, start_ / channels_);
    for (PetscInt i = 0; i < n; ++i) {
      if (i > 0 && (start_ + i) % channels_ == 0) cursor.next();
      std::size_t offset = 0;
      for (std::size_t k = 0; k < axes_.size(); ++k) {
        marginal_[offset + static_cast<std::size_t>(cursor.coordinates()[axes_[k]])] += xa[i];
        offset += static_cast<std::size_t>(order_[k]);
      }
    }
  }
  PetscCall(VecRestoreArrayRead(x, &xa));
  if (!marginal_.empty())
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, marginal_.data(), static_cast<int>(marginal_.size()), MPI_DOUBLE,
                               MPI_SUM, comm_));
  out->amplitude.assign(axes_.size(), 0.0);
  out->phase.assign(axes_.size(), 0.0);
  std::size_t offset = 0;
  for (std::size_t k = 0; k < axes_.size(); ++k) {
    double re = 0, im = 0; // X_1 = sum_j m(j) e^{-2 pi i j / n}
    for (PetscInt j = 0; j < order_[k]; ++j) {
      const double angle = 2 * M_PI * static_cast<double>(j) / static_cast<double>(order_[k]);
      re += marginal_[offset + static_cast<std::size_t>(j)] * std::cos(angle);
      im -= marginal_[offset + static_cast<std::size_t>(j)] * std::sin(angle);
    }
    out->amplitude[k] = 2 * std::hypot(re, im) / static_cast<double>(total_);
    out->phase[k]     = std::atan2(im, re);
    offset += static_cast<std::size_t>(order_[k]);
  }
  PetscFunctionReturn(0);
}

} // namespace eqrnn
