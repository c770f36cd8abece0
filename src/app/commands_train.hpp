#pragma once
// `eqrnn train`: its configuration (read from the options database: a stable interface, see
// src/training/README-train.md) and its result.
#include "io/hdf5_file.hpp"
#include "training/analysis.hpp"
#include "training/trained_fixed_points.hpp"
#include "training/trainer.hpp"
#include <string>

namespace eqrnn {

struct TrainConfig {
  training::TrainSpec spec;
  training::AnalysisSpec analysis;
  training::FixedPointSpec fixedPoints; // of the trained network, after the analysis (starts 0: none)
  bool analyse                = true;   // the /analysis datasets after training
  std::string output          = "eqrnn_train.h5";
  PetscInt checkpointInterval = 0;    // steps between checkpoints (0: none)
  double checkpointWalltime   = 0;    // wall seconds between checkpoints (0: none)
  std::string restart;                // "", "auto" or a checkpoint file
  PetscInt stopAfterCheckpoints = 0;  // stop (status 85) after this many checkpoints (0: never)
  double progressInterval       = 10; // wall seconds between progress lines (0: none)
  PetscInt blasThreads          = 1;  // OpenBLAS threads per rank
};

struct TrainResult {
  long long steps = 0, bestStep = -1; // steps: the total reached
  long long stepsThisRun = 0;         // taken by this run (after a restart: since the checkpoint)
  double firstLoss = 0, finalLoss = 0, bestLoss = 0;
  double wallSeconds = 0, secondsPerStep = 0; // training steps only (this process's share of the run)
  bool stoppedEarly    = false;               // checkpointed and stopped (signal, -stop_after_checkpoints)
  PetscInt checkpoints = 0;
  training::AnalysisResult analysis;
  training::TrainedFixedPoints fixedPoints;
  std::string fixedPointsError;    // the census failed (a solver error): why; nothing written
  training::SlowPoints slowPoints; // the census' starts (or -slow_points test states) before Newton
  std::string slowPointsError;     // as fixedPointsError
  bool slowPointsComputed = false; // /analysis/slow_points is written
};

// Everything `eqrnn train` reads, validated (one-line errors naming the option).
PetscErrorCode readTrainOptions(MPI_Comm comm, TrainConfig *config);
// The parameters as HDF5 attributes (recorded in /parameters).
std::vector<Attribute> parameterAttributes(const TrainConfig &config);

} // namespace eqrnn
