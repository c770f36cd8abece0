#pragma once
// Scalar observables of a state, cheap enough to record at every trajectory sample of a run too large to
// store its states: the mean, the norm, and per cyclic axis the first Fourier harmonic of the state's
// marginal along that axis (summed over every other coordinate and the channels). For a bump, or a stripe,
// the harmonic's phase is its position: x = A cos(2 pi j / n + phi) along axis i gives amplitude A and phase
// phi, the bump's centre at coordinate j = -phi n / (2 pi) (mod n). One pass over the local state and one
// Allreduce of the marginals (sum of the axis orders values); no gather.
#include "groups/group.hpp"
#include <petscvec.h>
#include <vector>

namespace eqrnn {

struct StateObservables {
  double mean = 0, norm = 0;
  std::vector<double> amplitude, phase; // per measured axis
};

class ObservableEngine {
public:
  // For states of `group` (which must outlive this) with `channels` per element, distributed like `layout`.
  PetscErrorCode setup(const Group &group, PetscInt channels, Vec layout);
  // The axes measured: indices into group.axisOrders() (one per factor: a cyclic factor, the rotations of a
  // D_n; 1 for the others) of the axes of order > 2. The output names them by this index.
  const std::vector<std::size_t> &axes() const { return axes_; }
  PetscErrorCode compute(Vec x, StateObservables *out);

private:
  MPI_Comm comm_      = MPI_COMM_NULL;
  const Group *group_ = nullptr;
  PetscInt channels_ = 1, start_ = 0, total_ = 0;
  std::vector<std::size_t> axes_;
  std::vector<PetscInt> order_;  // per measured axis: n_i
  std::vector<double> marginal_; // all axes' marginals, concatenated
};

} // namespace eqrnn
