#pragma once
// eqrnn's commands as library functions (main only dispatches). Each reads its options, checks that none was
// left unused, does its work and writes its HDF5 file.
#include "app/commands_train.hpp"
#include "app/config.hpp"

namespace eqrnn {

struct SimulateResult {
  SimulationStats stats; // stats.stoppedEarly: checkpointed and stopped (signal, -stop_after_checkpoints)
  hsize_t samples      = 0;
  PetscInt checkpoints = 0;
  std::string strategy; // how the convolution is distributed
};

// Integrates the network of `config` and writes config.output. If finalState is non-null it receives a copy
// of the final state (in the network's layout).
PetscErrorCode runSimulate(MPI_Comm comm, const SimulateConfig &config, SimulateResult *result,
                           Vec *finalState = nullptr);

struct FixedPointResult {
  std::vector<Manifold> manifolds;
  PetscInt starts = 0, failed = 0, repeats = 0;
  double wallSeconds = 0;
  bool stoppedEarly  = false; // checkpointed and stopped (signal, -stop_after_checkpoints)
};

// The census of `config` (all starts), written to config.output.
PetscErrorCode runFixedPoints(MPI_Comm comm, const FixedPointConfig &config, FixedPointResult *result,
                              bool quiet = false);
// Residual, stabiliser and spectrum of the state in config.stateFile, written to config.output.
PetscErrorCode runStability(MPI_Comm comm, const StabilityConfig &config, Manifold *result);

struct ReduceResult {
  std::vector<ReducedFixedPoint> fixedPoints;
  PetscInt dimension = 0, failedStarts = 0;
  double wallSeconds = 0;
};

// Prints the group's structure: factors, classes, irreps (verified) and character tables.
PetscErrorCode runGroup(MPI_Comm comm, const GroupConfig &config);
// The reduced model of config (irreps support K): fixed points, stabilisers, spectra, lifted and verified on
// the full network; written under /reduced in config.output.
PetscErrorCode runReduce(MPI_Comm comm, const ReduceConfig &config, ReduceResult *result);

// Trains the network of config.spec (data-parallel over comm), analyses it and writes config.output.
PetscErrorCode runTrain(MPI_Comm comm, const TrainConfig &config, TrainResult *result);

// The whole command line: command word, -help, options, errors. Returns the process exit status.
int runCommandLine(int argc, char **argv, bool help, bool version);

extern const char *const kUsage;

} // namespace eqrnn
