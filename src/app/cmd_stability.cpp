// eqrnn stability: the residual, stabiliser and Jacobian spectrum (SLEPc) at a state read from HDF5.
#include "app/command.hpp"
#include "app/commands.hpp"
#include "io/simulation_output.hpp"
#include <algorithm>

namespace eqrnn {

void declareParameters(ParameterSet &p, StabilityConfig &c) {
  declareNetwork(p, c.network);
  p.section("state and analysis");
  p.text("state_file", &c.stateFile, "HDF5 file with the state to analyse (required)");
  p.text("state_dataset", &c.stateDataset, "Dataset of the state");
  p.real("stability_input_time", &c.inputTime, "Time at which the input is taken");
  p.real("stability_marginal_tol", &c.stability.marginalTol, "|lambda| below this is a marginal mode")
      .atLeast(0);
  p.flag("stability_vectors", &c.stability.saveVectors,
         "Write the eigenvectors (/fixed_points/fp_0/eigenvectors)");
  p.section("output");
  p.flag("quiet", &c.quiet, "No result line (the output file is written all the same)");
  p.text("output", &c.output, "Output HDF5 file (its folder is created)");
}

PetscErrorCode runStability(MPI_Comm comm, const StabilityConfig &config, Manifold *result) {
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<OrbitTools> orbits;
  Hdf5File file;
  VecHandle f;
  PetscReal fnorm = 0, xnorm = 0;
  PetscFunctionBeginUser;
  PetscCheck(!config.stateFile.empty(), comm, PETSC_ERR_USER_INPUT,
             "eqrnn stability needs -state_file FILE.h5 (e.g. a fixed point or a simulation's /final/x)");
  PetscCall(RateNetwork::create(comm, config.network, &net));
  PetscCall(readStabilitySolverOptions(comm));
  PetscCall(checkNoUnusedOptions(comm));
  PetscCall(net->createVec(result->x.address()));
  PetscCall(readVector(comm, config.stateFile, config.stateDataset, result->x));
  PetscCall(net->createVec(f.address()));
  PetscCall(net->rhs(config.inputTime, result->x, f));
  PetscCall(VecScale(f, net->spec().tau));
  PetscCall(VecNorm(f, NORM_2, &fnorm));
  PetscCall(VecNorm(result->x, NORM_2, &xnorm));
  result->residual = fnorm / std::max<PetscReal>(1.0, xnorm);
  PetscCall(OrbitTools::create(net->connectivity().sharedEngine(), &orbits)); // the network's FFT plans
  PetscCall(orbits->stabiliser(result->x, 1e-6 * std::max<PetscReal>(1.0, xnorm), &result->stabiliser));
  result->orbitSize = net->group().order() / result->stabiliser.order;
  PetscCall(analyseStability(*net, result->x, config.stability, &result->stability));
  result->hasStability = true;
  if (!config.quiet) PetscCall(printManifold(comm, 0, *result));
  if (result->residual > 1e-6)
    PetscCall(
        PetscPrintf(comm,
                    "eqrnn: note: the state is not a fixed point (residual %.2e); the spectrum is that of "
                    "the linearisation there\n",
                    result->residual));
  PetscCall(createResultFile(comm, config.output, net->group(), parameterAttributes(config), &file,
                             net->channels()));
  PetscCall(file.ensureGroup("/fixed_points"));
  PetscCall(writeManifold(file, 0, *result));
  PetscCall(file.writeAttributes("/fixed_points", {{"count", 1LL}}));
  PetscCall(file.writeAttributes("/", {{"finished", isoTimeNow()}}));
  PetscCall(file.close());
  PetscFunctionReturn(0);
}

namespace {
class StabilityCommand final : public Command {
public:
  void declare(ParameterSet &p) override { declareParameters(p, config_); }
  PetscErrorCode listSolverOptions(MPI_Comm comm) override { return readStabilitySolverOptions(comm); }
  PetscErrorCode run(MPI_Comm comm, const ParameterSet &, int *) override {
    Manifold result;
    PetscFunctionBeginUser;
    PetscCall(runStability(comm, config_, &result));
    PetscCall(PetscPrintf(comm, "eqrnn: written to %s\n", config_.output.c_str()));
    PetscFunctionReturn(0);
  }

private:
  StabilityConfig config_;
};
} // namespace

EQRNN_REGISTER_COMMAND(StabilityCommand, "stability", "spectrum of the Jacobian at a state read from HDF5",
                       30, false, "", "plot_spectrum.py", {"-eps_", "-st_", "-bv_", "-ds_", "-rg_"});

} // namespace eqrnn
