#pragma once
// The commands' configurations, their parameter tables and their run functions, as a library: main only
// dispatches (src/app/command.hpp), and the tests call these directly. Each run function checks that no
// option was left unused once its solvers have read theirs, does its work and writes its HDF5 file.
#include "analysis/reduced_model.hpp"
#include "core/parameters.hpp"
#include "io/checkpoint.hpp"
#include "io/hdf5_file.hpp"
#include "io/simulation_output.hpp"
#include "model/initial_state.hpp"
#include "model/rate_network.hpp"
#include "solvers/continuation.hpp"
#include "solvers/fixed_points.hpp"
#include "solvers/simulator.hpp"
#include "training/analysis.hpp"
#include "training/trained_fixed_points.hpp"
#include "training/trainer.hpp"

namespace eqrnn {

// ---- shared declarations --------------------------------------------------------------------------------

// The network: group, channels, kernel, transfer function, time constant, noise, input, FFT planner.
void declareNetwork(ParameterSet &p, NetworkSpec &spec);
// -restart, -stop_after_checkpoints and -checkpoint_walltime (not -checkpoint_walltime where
// `walltime` is false).
void declareResume(ParameterSet &p, ResumeSettings &s, bool walltime = true);
// The identity a checkpoint of a network run must match: kind, group, N, channels, the kernel's checksum
// and the identity parameters of the command's table.
PetscErrorCode networkCheckpointIdentity(RateNetwork &net, CheckpointKind kind, std::string parameters,
                                         CheckpointIdentity *id);
// The attributes and identity of a configuration, from the same table that reads it.
template <typename Config> std::vector<Attribute> parameterAttributes(const Config &c);
template <typename Config> std::string parameterIdentity(const Config &c);

// ---- simulate ---------------------------------------------------------------------------------------------

struct SimulateConfig {
  NetworkSpec network;
  InitialStateSpec init;
  SimulationSpec run;
  TrajectoryContent trajectory;
  bool quiet         = false;
  std::string output = "eqrnn_simulate.h5";
  ResumeSettings resume;
};
void declareParameters(ParameterSet &p, SimulateConfig &c);
PetscErrorCode validate(MPI_Comm comm, SimulateConfig &c);

struct SimulateResult {
  SimulationStats stats; // stats.stoppedEarly: checkpointed and stopped (signal, -stop_after_checkpoints)
  hsize_t samples      = 0;
  PetscInt checkpoints = 0;
  std::string strategy; // how the convolution is distributed
  double startupSeconds =
      0; // network, plans, kernel spectrum, initial state and output file (rank 0's clock)
};
// Integrates the network of `config` and writes config.output. If finalState is non-null it receives a copy
// of the final state (in the network's layout).
PetscErrorCode runSimulate(MPI_Comm comm, const SimulateConfig &config, SimulateResult *result,
                           Vec *finalState = nullptr);

// ---- fixedpoints and stability ----------------------------------------------------------------------------

struct FixedPointConfig {
  NetworkSpec network;
  CensusSpec census;
  bool quiet                = false;
  std::string output        = "eqrnn_fixedpoints.h5";
  PetscInt checkpointStarts = 0; // checkpoint the census every this many starts (0: never)
  ResumeSettings resume;
};
void declareParameters(ParameterSet &p, FixedPointConfig &c);

struct FixedPointResult {
  std::vector<Manifold> manifolds;
  PetscInt starts = 0, failed = 0, repeats = 0;
  double wallSeconds = 0;
  bool stoppedEarly  = false; // checkpointed and stopped (signal, -stop_after_checkpoints)
};
// The census of `config` (all starts), written to config.output.
PetscErrorCode runFixedPoints(MPI_Comm comm, const FixedPointConfig &config, FixedPointResult *result);

struct StabilityConfig {
  NetworkSpec network;
  StabilitySpec stability;
  double inputTime = 0.0;
  std::string stateFile, stateDataset = "/final/x";
  bool quiet         = false;
  std::string output = "eqrnn_stability.h5";
};
void declareParameters(ParameterSet &p, StabilityConfig &c);
// Residual, stabiliser and spectrum of the state in config.stateFile, written to config.output.
PetscErrorCode runStability(MPI_Comm comm, const StabilityConfig &config, Manifold *result);

// /fixed_points/fp_<i> (stability writes the same layout with one entry).
PetscErrorCode writeManifold(Hdf5File &file, std::size_t i, const Manifold &m);
PetscErrorCode printManifold(MPI_Comm comm, std::size_t i, const Manifold &m);

// ---- continue ---------------------------------------------------------------------------------------------

struct ContinueConfig {
  NetworkSpec network;
  ContinuationSpec cont;
  std::string parameter       = "J1"; // parsed into cont.parameter by validate()
  bool quiet                  = false;
  std::string output          = "eqrnn_continue.h5";
  PetscInt checkpointBranches = 0; // checkpoint after every this many finished branches (0: never)
  ResumeSettings resume;
};
void declareParameters(ParameterSet &p, ContinueConfig &c);
PetscErrorCode validate(MPI_Comm comm, ContinueConfig &c);
// The diagram of `config`, written under /continuation in config.output.
PetscErrorCode runContinue(MPI_Comm comm, const ContinueConfig &config, ContinuationResult *result);
PetscErrorCode writeContinuation(Hdf5File &file, const ContinueConfig &config, const ContinuationResult &r);

// ---- group and reduce -------------------------------------------------------------------------------------

struct GroupConfig {
  std::string group = "S4", permutations;
  bool elements     = false; // print the element table too
};
void declareParameters(ParameterSet &p, GroupConfig &c);
// Prints the group's structure: factors, classes, irreps (verified) and character tables.
PetscErrorCode runGroup(MPI_Comm comm, const GroupConfig &config);

struct ReduceConfig {
  NetworkSpec network;
  ReduceSpec reduce;
  bool quiet         = false;
  std::string output = "eqrnn_reduce.h5";
};
void declareParameters(ParameterSet &p, ReduceConfig &c);
struct ReduceResult {
  std::vector<ReducedFixedPoint> fixedPoints;
  PetscInt dimension = 0, failedStarts = 0;
  double wallSeconds = 0;
};
// The reduced model of config (irreps support K): fixed points, stabilisers, spectra, lifted and verified on
// the full network; written under /reduced in config.output.
PetscErrorCode runReduce(MPI_Comm comm, const ReduceConfig &config, ReduceResult *result);

// ---- train ------------------------------------------------------------------------------------------------

struct TrainConfig {
  training::TrainSpec spec;
  training::AnalysisSpec analysis;
  training::FixedPointSpec fixedPoints; // of the trained network, after the analysis (starts 0: none)
  bool analyse                = true;   // the /analysis datasets after training
  bool quiet                  = false;
  std::string output          = "eqrnn_train.h5";
  PetscInt checkpointInterval = 0; // steps between checkpoints (0: none)
  ResumeSettings resume;
  double progressInterval = 10; // wall seconds between progress lines (0: none)
  PetscInt blasThreads    = 1;  // OpenBLAS threads per rank
};
void declareParameters(ParameterSet &p, TrainConfig &c);
PetscErrorCode validate(MPI_Comm comm, TrainConfig &c);

struct TrainResult {
  long long steps = 0, bestStep = -1; // steps: the total reached
  long long stepsThisRun = 0;         // taken by this run (after a restart: since the checkpoint)
  double firstLoss = 0, finalLoss = 0, bestLoss = 0;
  double wallSeconds = 0, secondsPerStep = 0; // training steps only (rank 0's clock)
  bool stoppedEarly    = false;               // checkpointed and stopped (signal, -stop_after_checkpoints)
  PetscInt checkpoints = 0;
  training::AnalysisResult analysis;
  training::TrainedFixedPoints fixedPoints;
  std::string fixedPointsError;    // the census failed (a solver error): why; nothing written
  training::SlowPoints slowPoints; // the census' starts (or -slow_points test states) before Newton
  std::string slowPointsError;     // as fixedPointsError
  bool slowPointsComputed = false; // /analysis/slow_points is written
};
// Trains the network of config.spec (data-parallel over comm), analyses it and writes config.output.
PetscErrorCode runTrain(MPI_Comm comm, const TrainConfig &config, TrainResult *result);

// ---- templates
// ----------------------------------------------------------------------------------------------

template <typename Config> std::vector<Attribute> parameterAttributes(const Config &c) {
  Config copy = c; // the table binds to a configuration; this one is only read
  ParameterSet p;
  declareParameters(p, copy);
  return p.attributes();
}

template <typename Config> std::string parameterIdentity(const Config &c) {
  Config copy = c;
  ParameterSet p;
  declareParameters(p, copy);
  return p.identity();
}

} // namespace eqrnn
