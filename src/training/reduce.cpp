#include "training/reduce.hpp"

#include <algorithm>
#include <cmath>

namespace eqrnn::training {

void ExactSum::begin(std::size_t size, double bound, long long contributions) {
  q_.assign(size, 0);
  scale_ = inverse_ = 1;
  if (!(bound > 0) || !std::isfinite(bound)) return;
  // |entry| < 2 bound (a margin for the rounding of the products) and at most `contributions` of them:
  // |sum| < 2 contributions bound <= 2^62 when 2^S = 2^62 / 2^ceil(log2(2 contributions bound)).
  int e = 0;
  std::frexp(bound, &e); // bound < 2^e
  int k = 0;
  while ((1LL << k) < 2 * std::max(contributions, 1LL))
    ++k;
  const int S = std::clamp(62 - e - k, -1000, 1000); // 2^S stays a finite double (tiny or huge bounds)
  scale_      = std::ldexp(1.0, S);
  inverse_    = std::ldexp(1.0, -S);
}

template <typename Real> void ExactSum::add(const Real *g) {
  const double s      = scale_;
  const std::size_t n = q_.size();
  std::int64_t *q     = q_.data();
  // Round to nearest (even) in the default rounding mode: the same integers on every machine.
  for (std::size_t i = 0; i < n; ++i)
    q[i] += static_cast<std::int64_t>(std::llrint(static_cast<double>(g[i]) * s));
}
template void ExactSum::add<float>(const float *);
template void ExactSum::add<double>(const double *);

PetscErrorCode ExactSum::finish(MPI_Comm comm, double *out) {
  PetscMPIInt size = 1;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  // Allreduce in pieces below 2^31 entries.
  const std::size_t piece = std::size_t(1) << 30;
  for (std::size_t at = 0; size > 1 && at < q_.size(); at += piece) {
    const int count = static_cast<int>(std::min(piece, q_.size() - at));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, q_.data() + at, count, MPI_INT64_T, MPI_SUM, comm));
  }
  for (std::size_t i = 0; i < q_.size(); ++i)
    out[i] = static_cast<double>(q_[i]) * inverse_;
  PetscFunctionReturn(0);
}

PetscErrorCode orderedChunkSum(MPI_Comm comm, long long first, long long local, long long total,
                               std::size_t length, const std::vector<double> &records,
                               std::vector<double> *sum) {
  PetscMPIInt size = 1;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  std::vector<double> all(static_cast<std::size_t>(total) * length);
  if (size == 1) {
    std::copy(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(local * length), all.begin());
  } else {
    std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
    int mine[2] = {static_cast<int>(local * static_cast<long long>(length)),
                   static_cast<int>(first * static_cast<long long>(length))};
    std::vector<int> both(2 * static_cast<std::size_t>(size));
    PetscCallMPI(MPI_Allgather(mine, 2, MPI_INT, both.data(), 2, MPI_INT, comm));
    for (int r = 0; r < size; ++r) {
      counts[r] = both[2 * r];
      displs[r] = both[2 * r + 1];
    }
    PetscCallMPI(MPI_Allgatherv(records.data(), mine[0], MPI_DOUBLE, all.data(), counts.data(), displs.data(),
                                MPI_DOUBLE, comm));
  }
  sum->assign(length, 0.0);
  for (long long k = 0; k < total; ++k)
    for (std::size_t i = 0; i < length; ++i)
      (*sum)[i] += all[static_cast<std::size_t>(k) * length + i];
  PetscFunctionReturn(0);
}

void chunkRange(long long total, int rank, int size, long long *first, long long *count) {
  const long long lo = total * rank / size, hi = total * (rank + 1) / size;
  *first = lo;
  *count = hi - lo;
}

} // namespace eqrnn::training
