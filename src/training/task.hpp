#pragma once
// The multiplexed-integration task (docs/mathematics.md section 9).
// Training: inputs x_{c,t} ~ N(0, 1), a fresh batch at every step; targets are leaky integrals of the scaled
// input, y*_{c,t} = gamma_c (s_c x_{c,t} + y*_{c,t-1}), y*_{c,0} = 0; the loss is
//   L = sum_c MSE_c / (s_c^2 T^2),   MSE_c = (1 / (B T)) sum_{samples, t} (y_{c,t} - y*_{c,t})^2.
// Test: sparse ternary inputs in {-1, 0, +1}: in each channel a burst starts with probability p at a step
// outside a burst, lasts 1..Lmax steps (uniform) with one random sign; length 200 by default.
// Every number comes from Philox keyed by (seed, stream) with counter (step, global sample index, t,
// channel): a batch is the same whichever rank draws which samples.
#include "training/model.hpp"

namespace eqrnn::training {

struct TaskSpec {
  PetscInt T = 3;
  std::vector<double> decay; // gamma_c, D values
  std::vector<double> scale; // s_c, D values
  PetscInt testSamples    = 128;
  PetscInt testLength     = 200;
  double burstProbability = 0.05;
  PetscInt burstLength    = 10; // longest burst
};

// Loss weight of channel c for a batch of B sequences of length T: MSE_c / (s_c^2 T^2) = sum_c w_c sum e^2.
std::vector<double> lossWeights(const TaskSpec &task, PetscInt batch);

// Inputs and targets of `count` training sequences starting at global sample `first` of the batch of
// `step`, laid out D x (count T) column-major with column t count + b: X[c + D (t count + b)].
void trainingSequences(const TaskSpec &task, PetscInt D, std::uint64_t seed, std::uint64_t step,
                       PetscInt first, PetscInt count, std::vector<double> *X, std::vector<double> *Y);
// The same for test sequences first..first+count-1 (length task.testLength).
void testSequences(const TaskSpec &task, PetscInt D, std::uint64_t seed, PetscInt first, PetscInt count,
                   std::vector<double> *X, std::vector<double> *Y);
// y* from x in the layout above (length T, count sequences).
void leakyIntegrals(const TaskSpec &task, PetscInt D, PetscInt T, PetscInt count,
                    const std::vector<double> &X, std::vector<double> *Y);

} // namespace eqrnn::training
