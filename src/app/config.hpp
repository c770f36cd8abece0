#pragma once
// Reading a command's configuration from the PETSc options database (command line and YAML decks). The option
// names here are eqrnn's stable interface.
#include "io/hdf5_file.hpp"
#include "model/initial_state.hpp"
#include "model/rate_network.hpp"
#include "solvers/simulator.hpp"

namespace eqrnn {

struct SimulateConfig {
  NetworkSpec network;
  InitialStateSpec init;
  SimulationSpec run;
  std::string output = "eqrnn_simulate.h5";
};

// Network options (-group -kernel -J0 -J1 -kappa ... -phi -gain -threshold -tau -input ...).
PetscErrorCode readNetworkOptions(MPI_Comm comm, NetworkSpec *spec);
// Everything `eqrnn simulate` reads.
PetscErrorCode readSimulateOptions(MPI_Comm comm, SimulateConfig *config);
// The parameters as HDF5 attributes (recorded in /parameters).
std::vector<Attribute> parameterAttributes(const SimulateConfig &config);

} // namespace eqrnn
