// eqrnn simulate: integrate tau dx/dt = -x + J phi(x) + I(t) with PETSc TS, sampled to HDF5, with
// checkpoints.
#include "app/command.hpp"
#include "app/commands.hpp"
#include "io/simulation_output.hpp"

namespace eqrnn {

void declareParameters(ParameterSet &p, SimulateConfig &c) {
  InitialStateSpec &init = c.init;
  SimulationSpec &run    = c.run;
  declareNetwork(p, c.network);
  p.section("initial state");
  p.choice("init", &init.kind, initKindNames(), "Initial state: seeded normal, zero, a bump, or from a file")
      .identity();
  p.real("init_amplitude", &init.amplitude, "random: standard deviation; bump: peak").identity();
  p.integer("seed", &init.seed, "Seed of the random initial state (the same on any number of ranks)")
      .identity();
  p.reals("init_location", &init.location, "bump: centre, element coordinates per factor").identity();
  p.real("init_kappa", &init.kappa, "bump: concentration").atLeast(0).identity();
  p.text("init_file", &init.file, "file: HDF5 file with the initial state").identity();
  p.text("init_dataset", &init.dataset, "file: its dataset").identity();
  p.section("run");
  p.real("t_final", &run.tFinal, "Final time (may grow when a run is resumed)").atLeast(0);
  p.real("save_interval", &run.saveInterval,
         "A sample at every multiple of this (and at t_final); <= 0: first and last")
      .identity();
  p.real("progress_interval", &run.progressInterval, "Wall seconds between progress lines (0: none)")
      .atLeast(0);
  p.flag("quiet", &c.quiet, "No progress lines");
  p.section("output and checkpoints");
  p.text("output", &c.output, "Output HDF5 file (its folder is created)");
  p.flag("trajectory_states", &c.trajectory.states,
         "Write the states at every sample (/trajectory/x); false: only the observables and /final/x")
      .identity();
  p.integers("trajectory_stride", &c.trajectory.stride,
             "Keep every k-th point along each factor's axis in /trajectory/x, one k per factor (1: all)")
      .identity();
  p.text("trajectory_slab", &c.trajectory.slab,
         "Keep the axis points lo <= c < hi of each factor in /trajectory/x: lo:hi per factor, e.g. 0:64,: "
         "(an empty bound is the axis' end; with -trajectory_stride, every k-th from lo)")
      .identity();
  p.integers("trajectory_channels", &c.trajectory.channels,
             "Keep only these channels (0-based) in /trajectory/x (default: all)")
      .identity();
  p.text("trajectory_indices", &c.trajectory.indexFile,
         "Keep only the neurons listed in FILE[:DATASET] (HDF5, default dataset /indices) in /trajectory/x")
      .identity();
  p.integer("trajectory_compression", &c.trajectory.compression,
            "gzip level of /trajectory/x, 0 - 9 (0: none; with byte shuffle; parallel HDF5 writes it "
            "collectively)")
      .atLeast(0)
      .atMost(9)
      .identity();
  p.choice("trajectory_precision", &c.trajectory.precision, storagePrecisionNames(),
           "Precision of the states in /trajectory/x (single: half the bytes; /final/x and checkpoints stay "
           "double)")
      .identity();
  p.flag("trajectory_observables", &c.trajectory.observables,
         "Write mean, norm and each axis' first Fourier harmonic (amplitude, phase) at every sample")
      .identity();
  p.real("checkpoint_interval", &run.checkpointInterval, "Simulated time between checkpoints (0: none)")
      .atLeast(0);
  declareResume(p, c.resume);
}

PetscErrorCode validate(MPI_Comm comm, SimulateConfig &c) {
  PetscFunctionBeginUser;
  PetscCheck(!c.output.empty(), comm, PETSC_ERR_USER_INPUT, "-output is empty");
  if (c.quiet) c.run.progressInterval = 0;
  PetscFunctionReturn(0);
}

PetscErrorCode runSimulate(MPI_Comm comm, const SimulateConfig &config, SimulateResult *result,
                           Vec *finalState) {
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<Simulator> sim;
  VecHandle x;
  SimulationOutput out;
  const double started = MPI_Wtime();
  PetscFunctionBeginUser;
  PetscCall(RateNetwork::create(comm, config.network, &net));
  PetscCall(Simulator::create(*net, &sim));
  // Every option has now been read by someone: anything left is misspelled or meaningless here.
  PetscCall(checkNoUnusedOptions(comm));
  PetscCall(net->createVec(x.address()));
  // The run's identity, checked against any checkpoint it resumes from.
  CheckpointIdentity id;
  PetscCall(networkCheckpointIdentity(*net, CheckpointKind::Simulation, parameterIdentity(config), &id));
  ResumableRun run(comm, config.output, config.resume, id);
  CheckpointState from;
  bool resumed = false;
  PetscCall(resumeSimulation(run, &from, x, &resumed));
  if (resumed)
    PetscCall(PetscPrintf(comm, "eqrnn: resuming from %s at t = %.17g (step %lld, %lld samples kept)\n",
                          run.chosen().c_str(), from.t, from.step, from.samples));
  else if (!config.resume.restart.empty())
    PetscCall(PetscPrintf(comm, "eqrnn: no valid checkpoint next to %s: starting from t = 0\n",
                          config.output.c_str()));
  if (resumed) {
    PetscCall(out.resume(comm, config.output, static_cast<hsize_t>(from.samples), from.t));
  } else {
    PetscCall(makeInitialState(config.init, net->group(), x));
    PetscCall(out.create(comm, config.output, net->group(), parameterAttributes(config), net->channels()));
  }
  PetscCall(out.setContent(config.trajectory, net->group(), net->channels(), x));
  auto observer = [&out](double t, Vec state) { return out.sample(t, state); };
  // Checkpoints at segment ends: at -checkpoint_interval times, after -checkpoint_walltime seconds, and on
  // SIGUSR1/SIGTERM (then the run stops). Decided collectively: every rank takes part in the write.
  auto hook = [&](const SegmentEnd &end, Vec state, bool *stop) -> PetscErrorCode {
    bool write = false;
    PetscFunctionBeginUser;
    PetscCall(run.due(end.checkpointTime, &write));
    if (!write) PetscFunctionReturn(0);
    // The output first: the checkpoint then refers only to samples already on disk.
    PetscCall(out.flush());
    PetscCall(writeSimulationCheckpoint(
        run, {end.t, end.dt, end.step, end.rejected, static_cast<long long>(out.samples())}, state));
    *stop = run.stopRequested();
    if (run.signal())
      PetscCall(PetscPrintf(comm, "eqrnn: signal %d: checkpoint at t = %g written, stopping\n", run.signal(),
                            end.t));
    PetscFunctionReturn(0);
  };
  ResumePoint point{from.dt, from.step, from.rejected};
  result->startupSeconds = MPI_Wtime() - started;
  PetscCall(rootValue(comm, &result->startupSeconds));
  PetscCall(sim->run(config.run, resumed ? from.t : 0.0, x, observer, &result->stats,
                     resumed ? &point : nullptr, hook));
  result->samples     = out.samples();
  result->strategy    = net->connectivity().strategyName();
  result->checkpoints = run.written();
  if (result->stats.stoppedEarly) {
    PetscCall(out.closeUnfinished());
    PetscFunctionReturn(0);
  }
  PetscCall(out.finish(x, {{"ts_type", result->stats.method},
                           {"steps", static_cast<long long>(result->stats.steps)},
                           {"rejected_steps", static_cast<long long>(result->stats.rejected)},
                           {"convolution", result->strategy},
                           {"wall_seconds", result->stats.wallSeconds},
                           {"startup_seconds", result->startupSeconds}}));
  if (finalState) {
    PetscCall(VecDuplicate(x, finalState));
    PetscCall(VecCopy(x, *finalState));
  }
  PetscFunctionReturn(0);
}

namespace {
class SimulateCommand final : public Command {
public:
  void declare(ParameterSet &p) override { declareParameters(p, config_); }
  PetscErrorCode validate(MPI_Comm comm) override { return eqrnn::validate(comm, config_); }
  PetscErrorCode listSolverOptions(MPI_Comm comm) override {
    std::unique_ptr<RateNetwork> net;
    std::unique_ptr<Simulator> sim;
    PetscFunctionBeginUser;
    PetscCall(RateNetwork::create(comm, config_.network, &net));
    PetscCall(Simulator::create(*net, &sim));
    PetscFunctionReturn(0);
  }
  PetscErrorCode run(MPI_Comm comm, const ParameterSet &, int *status) override {
    SimulateResult result;
    PetscFunctionBeginUser;
    PetscCall(runSimulate(comm, config_, &result));
    if (result.stats.stoppedEarly) {
      *status = kExitRequeue;
      PetscFunctionReturn(0);
    }
    PetscCall(PetscPrintf(comm,
                          "eqrnn: simulated %s to t = %g with %s: %" PetscInt_FMT " steps (%" PetscInt_FMT
                          " rejected), %.2f s after %.2f s of set-up; %llu samples in %s\n",
                          config_.network.group.c_str(), config_.run.tFinal, result.stats.method.c_str(),
                          result.stats.steps, result.stats.rejected, result.stats.wallSeconds,
                          result.startupSeconds, static_cast<unsigned long long>(result.samples),
                          config_.output.c_str()));
    PetscFunctionReturn(0);
  }

private:
  SimulateConfig config_;
};
} // namespace

EQRNN_REGISTER_COMMAND(
    SimulateCommand, "simulate",
    "integrate tau dx/dt = -x + J phi(x) + I(t) with PETSc TS; writes /trajectory and /final to HDF5", 10,
    true, "-checkpoint_walltime 300", "plot_activity.py", {"-ts_", "-snes_", "-ksp_", "-pc_"});

} // namespace eqrnn
