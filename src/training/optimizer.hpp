#pragma once
// Gradient steps on the trained parameters (W always; E, Dec, b when asked), replicated on every rank: the
// same gradient gives the same bits everywhere.
//   sgd:   theta -= lr g
//   adam:  m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
//          theta -= (lr / (1 - b1^t)) m / (sqrt(v / (1 - b2^t)) + eps),  t = 1, 2, ...
#include "training/model.hpp"

namespace eqrnn::training {

enum class OptimizerKind { Sgd, Adam };

struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::Adam;
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
};

std::string optimizerName(OptimizerKind k);

struct OptimizerState {
  Parameters m, v; // Adam's moments (zero-sized for SGD)
};

// Which blocks are trained.
struct TrainedBlocks {
  bool W = true, E = false, Dec = false, b = false;
};

// One step number `step` (0-based) of the optimiser on p with gradient g.
void optimizerStep(const OptimizerSpec &spec, const TrainedBlocks &blocks, long long step,
                   const Parameters &g, Parameters *p, OptimizerState *state);
void initOptimizerState(const OptimizerSpec &spec, PetscInt n, PetscInt D, OptimizerState *state);

} // namespace eqrnn::training
