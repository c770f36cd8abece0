#include "training/task.hpp"

namespace eqrnn::training {

std::vector<double> lossWeights(const TaskSpec &task, PetscInt batch) {
  std::vector<double> w(task.scale.size());
  const double T = static_cast<double>(task.T);
  for (std::size_t c = 0; c < w.size(); ++c)
    w[c] = 1.0 / (task.scale[c] * task.scale[c] * T * T * static_cast<double>(batch) * T);
  return w;
}

void leakyIntegrals(const TaskSpec &task, PetscInt D, PetscInt T, PetscInt count,
                    const std::vector<double> &X, std::vector<double> *Y) {
  Y->assign(X.size(), 0.0);
  for (PetscInt b = 0; b < count; ++b)
    for (PetscInt c = 0; c < D; ++c) {
      double y = 0;
      for (PetscInt t = 0; t < T; ++t) {
        const std::size_t k = static_cast<std::size_t>(c + D * (t * count + b));
        y                   = task.decay[c] * (task.scale[c] * X[k] + y);
        (*Y)[k]             = y;
      }
    }
}

void trainingSequences(const TaskSpec &task, PetscInt D, std::uint64_t seed, std::uint64_t step,
                       PetscInt first, PetscInt count, std::vector<double> *X, std::vector<double> *Y) {
  const PetscInt T = task.T;
  X->assign(static_cast<std::size_t>(D * count * T), 0.0);
  for (PetscInt t = 0; t < T; ++t)
    for (PetscInt b = 0; b < count; ++b)
      for (PetscInt c = 0; c < D; ++c)
        (*X)[c + D * (t * count + b)] =
            philoxNormal4(seed, Stream::Train, step, static_cast<std::uint64_t>(first + b), t, c);
  leakyIntegrals(task, D, T, count, *X, Y);
}

void testSequences(const TaskSpec &task, PetscInt D, std::uint64_t seed, PetscInt first, PetscInt count,
                   std::vector<double> *X, std::vector<double> *Y) {
  const PetscInt T = task.testLength;
  X->assign(static_cast<std::size_t>(D * count * T), 0.0);
  for (PetscInt b = 0; b < count; ++b)
    for (PetscInt c = 0; c < D; ++c) {
      const std::uint64_t s = static_cast<std::uint64_t>(first + b);
      PetscInt remaining    = 0;
      double sign           = 0;
      for (PetscInt t = 0; t < T; ++t) {
        if (remaining == 0 && philoxUniform4(seed, Stream::Test, s, c, t, 0) < task.burstProbability) {
          remaining = 1 + static_cast<PetscInt>(philoxUniform4(seed, Stream::Test, s, c, t, 1) *
                                                static_cast<double>(task.burstLength));
          sign      = philoxUniform4(seed, Stream::Test, s, c, t, 2) < 0.5 ? -1.0 : 1.0;
        }
        if (remaining > 0) {
          (*X)[c + D * (t * count + b)] = sign;
          --remaining;
        }
      }
    }
  leakyIntegrals(task, D, T, count, *X, Y);
}

} // namespace eqrnn::training
