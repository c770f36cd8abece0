#pragma once
// Data-parallel training by back-propagation through time.
//
// The batch of B sequences is cut into chunks of `chunk` consecutive sequences (the last one may be shorter);
// rank r of P takes the contiguous chunks [K r / P, K (r + 1) / P) of the K = ceil(B / chunk). Each chunk's
// loss and gradient depend only on the parameters and its own sequences (drawn from Philox by global sample
// index), and the chunks are summed in a way that does not depend on who computed them (reduce.hpp), so the
// loss, the gradient and every weight after any number of steps are the same bits on any number of ranks
// (up to K ranks do useful work). The parameters and the optimiser's state are replicated on every rank.
#include "training/engine.hpp"
#include "training/optimizer.hpp"
#include "training/task.hpp"
#include <limits>
#include <memory>

namespace eqrnn::training {

struct TrainSpec {
  ModelSpec model;
  TaskSpec task;
  OptimizerSpec optimizer;
  PetscInt batch = 1024, chunk = 128, steps = 1000;
  std::uint64_t seed      = 1;
  bool singlePrecision    = false; // float products (sgemm); parameters, moments and sums stay double
  bool keepBest           = true;  // the result is the network with the lowest training loss seen
  double divergenceFactor = 1e3; // stop when loss > factor x the first loss (or not finite); 0: NaN/Inf only
};

// Everything that evolves during training (and goes into a checkpoint).
struct TrainState {
  long long step = 0; // optimisation steps done
  Parameters params;  // current parameters (W raw: under Dale's law the network uses |W| diag(s))
  OptimizerState optimizer;
  Parameters best; // the parameters with the lowest loss so far (keepBest)
  long long bestStep = -1;
  double bestLoss    = std::numeric_limits<double>::infinity();
  std::vector<double> loss; // loss[s]: the batch loss of step s, at the parameters before its update
  std::vector<long long> restartSteps; // the steps this run was resumed at, in order (not in the identity)
};

class Trainer {
public:
  static PetscErrorCode create(MPI_Comm comm, const TrainSpec &spec, std::unique_ptr<Trainer> *out);
  // Fresh state: the seeded initial parameters, zero moments, step 0. Collective.
  PetscErrorCode initialise();
  // Loss at p on the training batch of step `step`, its per-channel terms, and the gradient with respect to
  // every parameter block (raw W, E, Dec, b; also for the blocks that are not trained). Collective.
  PetscErrorCode lossAndGradient(const Parameters &p, long long step, double *loss, Parameters *grad,
                                 std::vector<double> *perChannel = nullptr);
  // One optimisation step at the current state. *diverged: the loss was NaN/Inf or above the divergence
  // limit; then nothing was updated (the loss is recorded). Collective.
  PetscErrorCode step(bool *diverged);
  // The network to report: the best one (keepBest) or the current one.
  const Parameters &result() const;

  TrainState &state() { return state_; }
  const TrainState &state() const { return state_; }
  const TrainSpec &spec() const { return spec_; }
  MPI_Comm comm() const { return comm_; }
  const std::vector<double> &signs() const { return signs_; }
  long long chunks() const { return chunks_; }
  // W used by the network (|W| diag(s) under Dale's law).
  void effective(const std::vector<double> &W, std::vector<double> *Weff) const;

private:
  Trainer(MPI_Comm comm, const TrainSpec &spec);
  template <typename Real>
  PetscErrorCode gradientWith(Engine<Real> &engine, std::vector<typename Engine<Real>::Chunk> &chunks,
                              std::vector<Real> &temp, const Parameters &p, long long step, double *loss,
                              Parameters *grad, std::vector<double> *perChannel);

  MPI_Comm comm_;
  TrainSpec spec_;
  TrainState state_;
  std::vector<double> signs_, weff_;
  long long chunks_ = 0, firstChunk_ = 0, localChunks_ = 0;
  std::unique_ptr<Engine<double>> engineD_;
  std::unique_ptr<Engine<float>> engineF_;
  std::vector<Engine<double>::Chunk> chunksD_;
  std::vector<Engine<float>::Chunk> chunksF_;
  std::vector<double> tempD_;
  std::vector<float> tempF_;
  Parameters grad_;
};

} // namespace eqrnn::training
