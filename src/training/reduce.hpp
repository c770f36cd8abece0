#pragma once
// Sums over the chunks of a batch that come out bit for bit the same on any number of ranks.
//
// A floating-point sum depends on its order, and a plain MPI_Allreduce of per-rank partial sums changes the
// order with the rank count. Two remedies, by size:
//  - ExactSum (large arrays, the n x n recurrent gradient): every chunk's contribution is rounded once to a
//    64-bit fixed-point number with a scale 2^S common to the whole batch, chosen from a bound on every
//    contribution so that the sum of all chunks cannot overflow; integer addition is associative, so the
//    per-rank partial sums and the MPI_SUM Allreduce give the same integers whatever the split. The rounding
//    is at most 2^-S, i.e. about 2^-52 of the largest possible entry (the bound is taken as a max over
//    chunks, exact and order-free, and the scale is a power of two, so the conversion back is exact).
//  - orderedChunkSum (small arrays: losses, P, decoder and bias gradients): every chunk's record is gathered
//    on every rank (MPI_Allgatherv) and added in chunk order.
#include <petscsys.h>
#include <cstdint>
#include <vector>

namespace eqrnn::training {

class ExactSum {
public:
  // Starts a sum of `size` entries over `contributions` chunks (all ranks) whose entries are bounded by
  // `bound` (the same value on every rank). bound = 0: every contribution is zero.
  void begin(std::size_t size, double bound, long long contributions);
  // Adds one chunk's contribution (rounded to the fixed-point grid).
  template <typename Real> void add(const Real *g);
  // The total on every rank, in *out (size entries). Collective.
  PetscErrorCode finish(MPI_Comm comm, double *out);
  double scale() const { return scale_; }

private:
  std::vector<std::int64_t> q_;
  double scale_ = 1, inverse_ = 1;
};

// Chunks [first, first + local) of `total` are on this rank, each with a record of `length` doubles in
// `records` (local x length). Returns in *sum the sum of all chunks' records in chunk order, on every rank.
PetscErrorCode orderedChunkSum(MPI_Comm comm, long long first, long long local, long long total,
                               std::size_t length, const std::vector<double> &records,
                               std::vector<double> *sum);

// The chunks [*first, *first + *count) of `total` that rank `rank` of `size` takes (contiguous, balanced).
void chunkRange(long long total, int rank, int size, long long *first, long long *count);

} // namespace eqrnn::training
