#pragma once
// Reading a command's configuration from the PETSc options database (command line and YAML decks). The option
// names here are eqrnn's stable interface.
#include "analysis/reduced_model.hpp"
#include "core/options.hpp"
#include "io/hdf5_file.hpp"
#include "model/initial_state.hpp"
#include "model/rate_network.hpp"
#include "solvers/fixed_points.hpp"
#include "solvers/simulator.hpp"

namespace eqrnn {

struct SimulateConfig {
  NetworkSpec network;
  InitialStateSpec init;
  SimulationSpec run;
  std::string output        = "eqrnn_simulate.h5";
  double checkpointWalltime = 0;     // wall seconds between checkpoints (at the next segment end); <= 0: none
  std::string restart;               // "", "auto" (newest valid checkpoint next to the output) or a file
  PetscInt stopAfterCheckpoints = 0; // job chains and tests: stop (status 85) after this many; 0: never
};

// Exit status of a run that checkpointed and stopped early (signal, -stop_after_checkpoints): "requeue me".
constexpr int kExitRequeue = 85;

struct FixedPointConfig {
  NetworkSpec network;
  CensusSpec census;
  std::string output        = "eqrnn_fixedpoints.h5";
  PetscInt checkpointStarts = 0;     // checkpoint the census every this many starts (0: never)
  std::string restart;               // "", "auto" or a checkpoint file
  PetscInt stopAfterCheckpoints = 0; // stop (status 85) after this many checkpoints (0: never)
};

struct StabilityConfig {
  NetworkSpec network;
  StabilitySpec stability;
  double inputTime = 0.0;
  std::string stateFile, stateDataset = "/final/x";
  std::string output = "eqrnn_stability.h5";
};

struct ReduceConfig {
  NetworkSpec network;
  ReduceSpec reduce;
  std::string output = "eqrnn_reduce.h5";
};

struct GroupConfig {
  std::string group = "S4", permutations;
  bool elements     = false; // print the element table too
};

// Network options (-group -kernel -J0 -J1 -kappa ... -phi -gain -threshold -tau -input ...).
PetscErrorCode readNetworkOptions(MPI_Comm comm, NetworkSpec *spec);
// Everything `eqrnn simulate` reads.
// -restart and -stop_after_checkpoints, read the same way by every command that checkpoints.
PetscErrorCode readResumeOptions(OptionReader &opt, std::string *restart, PetscInt *stopAfterCheckpoints);
PetscErrorCode readSimulateOptions(MPI_Comm comm, SimulateConfig *config);
PetscErrorCode readFixedPointOptions(MPI_Comm comm, FixedPointConfig *config);
PetscErrorCode readStabilityOptions(MPI_Comm comm, StabilityConfig *config);
PetscErrorCode readReduceOptions(MPI_Comm comm, ReduceConfig *config);
PetscErrorCode readGroupOptions(MPI_Comm comm, GroupConfig *config);
// The parameters as HDF5 attributes (recorded in /parameters).
std::vector<Attribute> parameterAttributes(const SimulateConfig &config);
std::vector<Attribute> networkAttributes(const NetworkSpec &network);
std::vector<Attribute> parameterAttributes(const FixedPointConfig &config);
std::vector<Attribute> parameterAttributes(const StabilityConfig &config);
std::vector<Attribute> parameterAttributes(const ReduceConfig &config);

} // namespace eqrnn
