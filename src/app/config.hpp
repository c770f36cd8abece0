#pragma once
// Reading a command's configuration from the PETSc options database (command line and YAML decks). The option
// names here are eqrnn's stable interface.
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
  std::string output = "eqrnn_simulate.h5";
};

struct FixedPointConfig {
  NetworkSpec network;
  CensusSpec census;
  std::string output = "eqrnn_fixedpoints.h5";
};

struct StabilityConfig {
  NetworkSpec network;
  StabilitySpec stability;
  double inputTime = 0.0;
  std::string stateFile, stateDataset = "/final/x";
  std::string output = "eqrnn_stability.h5";
};

// Network options (-group -kernel -J0 -J1 -kappa ... -phi -gain -threshold -tau -input ...).
PetscErrorCode readNetworkOptions(MPI_Comm comm, NetworkSpec *spec);
// Everything `eqrnn simulate` reads.
PetscErrorCode readSimulateOptions(MPI_Comm comm, SimulateConfig *config);
PetscErrorCode readFixedPointOptions(MPI_Comm comm, FixedPointConfig *config);
PetscErrorCode readStabilityOptions(MPI_Comm comm, StabilityConfig *config);
// The parameters as HDF5 attributes (recorded in /parameters).
std::vector<Attribute> parameterAttributes(const SimulateConfig &config);
std::vector<Attribute> networkAttributes(const NetworkSpec &network);
std::vector<Attribute> parameterAttributes(const FixedPointConfig &config);
std::vector<Attribute> parameterAttributes(const StabilityConfig &config);

} // namespace eqrnn
