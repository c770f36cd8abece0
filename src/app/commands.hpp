#pragma once
// eqrnn's commands as library functions (main only dispatches). Each reads its options, checks that none was
// left unused, does its work and writes its HDF5 file.
#include "app/config.hpp"

namespace eqrnn {

struct SimulateResult {
  SimulationStats stats;
  hsize_t samples = 0;
  std::string strategy; // how the convolution is distributed
};

// Integrates the network of `config` and writes config.output. If finalState is non-null it receives a copy
// of the final state (in the network's layout).
PetscErrorCode runSimulate(MPI_Comm comm, const SimulateConfig &config, SimulateResult *result,
                           Vec *finalState = nullptr);

// The whole command line: command word, -help, options, errors. Returns the process exit status.
int runCommandLine(int argc, char **argv, bool help, bool version);

extern const char *const kUsage;

} // namespace eqrnn
