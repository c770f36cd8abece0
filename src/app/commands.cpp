#include "app/commands.hpp"

#include "core/options.hpp"
#include "core/session.hpp"
#include "eqrnn/version.hpp"
#include "core/signals.hpp"
#include "io/checkpoint.hpp"
#include "io/simulation_output.hpp"
#include <cstring>
#include <string>

namespace eqrnn {

const char *const kUsage =
    "eqrnn: equivariant recurrent networks on groups (simulate, analyse, train)\n"
    "\n"
    "usage: eqrnn COMMAND [options]       (options also from a YAML deck: -options_file_yaml "
    "input/ring.yaml)\n"
    "\n"
    "commands:\n"
    "  simulate     integrate tau dx/dt = -x + J phi(x) + I(t) with PETSc TS; writes /trajectory and /final "
    "to HDF5\n"
    "  fixedpoints  census of fixed-point manifolds (deflated Newton-Krylov), stabilisers, SLEPc spectra\n"
    "  stability    spectrum of the Jacobian at a state read from HDF5\n"
    "  group        a group's order, conjugacy classes, irreps and character table (e.g. -group S4)\n"
    "  reduce       exact reduced model on the kernel's irreps: fixed points, stabilisers, spectra, verified "
    "on the full network\n"
    "  train        train a recurrent network to integrate D signals at once (BPTT, MPI data-parallel); "
    "analyse it\n"
    "\n"
    "eqrnn COMMAND -help lists that command's options with their defaults; every PETSc option (-ts_type,\n"
    "-ts_monitor, -log_view, ...) works as well. -version prints the version.\n";

namespace {
PetscErrorCode simulateCommand(MPI_Comm comm, bool helpOnly, int *status) {
  SimulateConfig config;
  SimulateResult result;
  PetscFunctionBeginUser;
  PetscCall(readSimulateOptions(comm, &config));
  if (helpOnly) {
    // Build the integrator too, so its -ts_* options are listed, then stop.
    std::unique_ptr<RateNetwork> net;
    std::unique_ptr<Simulator> sim;
    PetscCall(RateNetwork::create(comm, config.network, &net));
    PetscCall(Simulator::create(*net, &sim));
    PetscFunctionReturn(0);
  }
  PetscCall(runSimulate(comm, config, &result));
  if (result.stats.stoppedEarly) {
    PetscCall(PetscPrintf(comm,
                          "eqrnn: stopped early after %" PetscInt_FMT
                          " checkpoint(s); resume with -restart auto (exit status %d)\n",
                          result.checkpoints, kExitRequeue));
    *status = kExitRequeue;
    PetscFunctionReturn(0);
  }
  PetscCall(PetscPrintf(comm,
                        "eqrnn: simulated %s to t = %g with %s: %" PetscInt_FMT " steps (%" PetscInt_FMT
                        " rejected), %.2f s; %llu samples in %s\n",
                        config.network.group.c_str(), config.run.tFinal, result.stats.method.c_str(),
                        result.stats.steps, result.stats.rejected, result.stats.wallSeconds,
                        static_cast<unsigned long long>(result.samples), config.output.c_str()));
  PetscFunctionReturn(0);
}
PetscErrorCode groupCommand(MPI_Comm comm, bool helpOnly) {
  GroupConfig config;
  PetscFunctionBeginUser;
  if (helpOnly) PetscCall(PetscPrintf(comm, "eqrnn group: options (current value and default in <>)\n"));
  PetscCall(readGroupOptions(comm, &config));
  if (!helpOnly) PetscCall(runGroup(comm, config));
  PetscFunctionReturn(0);
}
PetscErrorCode reduceCommand(MPI_Comm comm, bool helpOnly) {
  ReduceConfig config;
  ReduceResult result;
  PetscFunctionBeginUser;
  if (helpOnly) PetscCall(PetscPrintf(comm, "eqrnn reduce: options (current value and default in <>)\n"));
  PetscCall(readReduceOptions(comm, &config));
  if (!helpOnly) PetscCall(runReduce(comm, config, &result));
  PetscFunctionReturn(0);
}
PetscErrorCode fixedPointsCommand(MPI_Comm comm, bool helpOnly, int *status) {
  FixedPointConfig config;
  FixedPointResult result;
  bool quiet = false;
  PetscFunctionBeginUser;
  if (helpOnly)
    PetscCall(PetscPrintf(comm, "eqrnn fixedpoints: options (current value and default in <>)\n"));
  PetscCall(readFixedPointOptions(comm, &config));
  PetscOptionsBegin(comm, nullptr, "eqrnn fixedpoints: output", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  PetscCall(opt.flag("-quiet", "No line per start", false, &quiet));
  PetscOptionsEnd();
  if (helpOnly) {
    std::unique_ptr<RateNetwork> net;
    std::unique_ptr<FixedPointFinder> finder;
    PetscCall(RateNetwork::create(comm, config.network, &net));
    PetscCall(FixedPointFinder::create(*net, config.census, &finder));
    PetscFunctionReturn(0);
  }
  PetscCall(runFixedPoints(comm, config, &result, quiet));
  if (result.stoppedEarly) {
    PetscCall(PetscPrintf(
        comm, "eqrnn: census checkpointed and stopped; resume with -restart auto (exit status %d)\n",
        kExitRequeue));
    *status = kExitRequeue;
    PetscFunctionReturn(0);
  }
  PetscCall(PetscPrintf(comm,
                        "eqrnn: %zu manifold(s) from %" PetscInt_FMT " starts (%" PetscInt_FMT
                        " repeats, %" PetscInt_FMT " failed) in %.2f s; written to %s\n",
                        result.manifolds.size(), result.starts, result.repeats, result.failed,
                        result.wallSeconds, config.output.c_str()));
  PetscFunctionReturn(0);
}

PetscErrorCode trainCommand(MPI_Comm comm, bool helpOnly, int *status) {
  TrainConfig config;
  TrainResult result;
  PetscFunctionBeginUser;
  if (helpOnly) PetscCall(PetscPrintf(comm, "eqrnn train: options (current value and default in <>)\n"));
  PetscCall(readTrainOptions(comm, &config));
  if (helpOnly) PetscFunctionReturn(0);
  PetscCall(runTrain(comm, config, &result));
  if (result.stoppedEarly) {
    PetscCall(PetscPrintf(comm,
                          "eqrnn: stopped early at step %lld after %" PetscInt_FMT
                          " checkpoint(s); resume with -restart auto (exit status %d)\n",
                          result.steps, result.checkpoints, kExitRequeue));
    *status = kExitRequeue;
    PetscFunctionReturn(0);
  }
  PetscCall(PetscPrintf(
      comm,
      "eqrnn: trained to step %lld (%lld steps in %.2f s, %.4g s/step): loss %.4e -> %.4e, best "
      "%.4e at step %lld; written to %s\n",
      result.steps, result.stepsThisRun, result.wallSeconds, result.secondsPerStep, result.firstLoss,
      result.finalLoss, result.bestLoss, result.bestStep, config.output.c_str()));
  if (config.analyse && !result.analysis.testMse.empty()) {
    std::string mse, rel;
    for (std::size_t c = 0; c < result.analysis.testMse.size(); ++c) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%s%.3g", c ? ", " : "", result.analysis.testMse[c]);
      mse += buf;
      std::snprintf(buf, sizeof(buf), "%s%.3g", c ? ", " : "", result.analysis.testRelativeError[c]);
      rel += buf;
    }
    PetscCall(PetscPrintf(comm,
                          "eqrnn: test (%" PetscInt_FMT " sequences of %" PetscInt_FMT
                          " steps): MSE/s^2 %s, relative error %s; manifold residual r = %.3g\n",
                          config.spec.task.testSamples, config.spec.task.testLength, mse.c_str(), rel.c_str(),
                          result.analysis.manifoldResidual));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode stabilityCommand(MPI_Comm comm, bool helpOnly) {
  StabilityConfig config;
  Manifold result;
  PetscFunctionBeginUser;
  if (helpOnly) {
    PetscCall(PetscPrintf(comm, "eqrnn stability: options (current value and default in <>)\n"));
    PetscCall(readNetworkOptions(comm, &config.network));
    PetscFunctionReturn(0);
  }
  PetscCall(readStabilityOptions(comm, &config));
  PetscCall(runStability(comm, config, &result));
  PetscCall(PetscPrintf(comm, "eqrnn: written to %s\n", config.output.c_str()));
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode runSimulate(MPI_Comm comm, const SimulateConfig &config, SimulateResult *result,
                           Vec *finalState) {
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<Simulator> sim;
  VecHandle x;
  SimulationOutput out;
  PreemptionSignals signals;
  PetscFunctionBeginUser;
  PetscCall(RateNetwork::create(comm, config.network, &net));
  PetscCall(Simulator::create(*net, &sim));
  // Every option has now been read by someone: anything left is misspelled or meaningless here.
  PetscCall(checkNoUnusedOptions(comm));
  PetscCall(net->createVec(x.address()));
  // The run's identity, checked against any checkpoint it resumes from.
  CheckpointIdentity id;
  id.group    = net->group().spec();
  id.neurons  = net->connectivity().size();
  id.channels = net->channels();
  PetscCall(vecChecksum(net->kernel(), &id.kernelChecksum));
  bool resumed = false;
  CheckpointState from;
  if (!config.restart.empty()) {
    std::string chosen, reason;
    std::vector<std::string> notes;
    if (config.restart == "auto") {
      PetscCall(findCheckpoint(comm, config.output, id, &from, x, &resumed, &chosen, &notes));
    } else {
      PetscCall(readCheckpoint(comm, config.restart, id, &from, x, &resumed, &reason));
      PetscCheck(resumed, comm, PETSC_ERR_FILE_READ, "-restart: %s", reason.c_str());
      chosen = config.restart;
    }
    for (const auto &n : notes)
      PetscCall(PetscPrintf(comm, "eqrnn: checkpoint skipped: %s\n", n.c_str()));
    if (resumed)
      PetscCall(PetscPrintf(comm, "eqrnn: resuming from %s at t = %.17g (step %lld, %lld samples kept)\n",
                            chosen.c_str(), from.t, from.step, from.samples));
    else
      PetscCall(PetscPrintf(comm, "eqrnn: no valid checkpoint next to %s: starting from t = 0\n",
                            config.output.c_str()));
  }
  if (resumed)
    PetscCall(out.resume(comm, config.output, static_cast<hsize_t>(from.samples), from.t));
  else {
    PetscCall(makeInitialState(config.init, net->group(), x));
    PetscCall(out.create(comm, config.output, net->group(), parameterAttributes(config), net->channels()));
  }
  auto observer = [&out](double t, Vec state) { return out.sample(t, state); };
  // Checkpoints at segment ends: at -checkpoint_interval times, after -checkpoint_walltime seconds, and on
  // SIGUSR1/SIGTERM (then the run stops). Decided collectively: every rank takes part in the write.
  PetscInt written = 0;
  double lastWall  = MPI_Wtime();
  auto hook        = [&](const SegmentEnd &end, Vec state, bool *stop) -> PetscErrorCode {
    int flags[2] = {PreemptionSignals::raised(),
                    config.checkpointWalltime > 0 && MPI_Wtime() - lastWall >= config.checkpointWalltime};
    PetscFunctionBeginUser;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, comm));
    if (!end.checkpointTime && !flags[0] && !flags[1]) PetscFunctionReturn(0);
    // The output first: the checkpoint then refers only to samples already on disk.
    PetscCall(out.flush());
    CheckpointState s{end.t, end.dt, end.step, end.rejected, static_cast<long long>(out.samples())};
    PetscCall(writeCheckpoint(comm, config.output, id, s, state));
    lastWall = MPI_Wtime();
    ++written;
    *stop = flags[0] || (config.stopAfterCheckpoints > 0 && written >= config.stopAfterCheckpoints);
    if (flags[0])
      PetscCall(
                 PetscPrintf(comm, "eqrnn: signal %d: checkpoint at t = %g written, stopping\n", flags[0], end.t));
    PetscFunctionReturn(0);
  };
  ResumePoint point{from.dt, from.step, from.rejected};
  PetscCall(sim->run(config.run, resumed ? from.t : 0.0, x, observer, &result->stats,
                     resumed ? &point : nullptr, hook));
  result->samples     = out.samples();
  result->strategy    = net->connectivity().strategyName();
  result->checkpoints = written;
  if (result->stats.stoppedEarly) {
    PetscCall(out.closeUnfinished());
    PetscFunctionReturn(0);
  }
  PetscCall(out.finish(x, {{"ts_type", result->stats.method},
                           {"steps", static_cast<long long>(result->stats.steps)},
                           {"rejected_steps", static_cast<long long>(result->stats.rejected)},
                           {"convolution", net->connectivity().strategyName()},
                           {"wall_seconds", result->stats.wallSeconds}}));
  if (finalState) {
    PetscCall(VecDuplicate(x, finalState));
    PetscCall(VecCopy(x, *finalState));
  }
  PetscFunctionReturn(0);
}

int runCommandLine(int argc, char **argv, bool help, bool version) {
  MPI_Comm comm             = PETSC_COMM_WORLD;
  const std::string command = (argc > 1 && argv[1][0] != '-') ? argv[1] : "";
  if (version) {
    PetscCallAbort(comm, PetscPrintf(comm, "eqrnn %s (git %s), PETSc %d.%d.%d\n", kVersion, kGitCommit,
                                     PETSC_VERSION_MAJOR, PETSC_VERSION_MINOR, PETSC_VERSION_SUBMINOR));
    return 0;
  }
  if (command.empty()) {
    PetscCallAbort(comm, PetscPrintf(comm, "%s", kUsage));
    if (help) return 0;
    return reportError(comm, PetscError(comm, __LINE__, "runCommandLine", __FILE__, PETSC_ERR_USER_INPUT,
                                        PETSC_ERROR_INITIAL, "no command given (try: eqrnn simulate -help)"));
  }
  PetscErrorCode code = 0;
  if (command == "simulate") {
    if (help) code = PetscPrintf(comm, "eqrnn simulate: options (current value and default in <>)\n");
    int status = 0;
    if (!code) code = simulateCommand(comm, help, &status);
    if (!code && status) return status;
  } else if (command == "fixedpoints") {
    int status = 0;
    code       = fixedPointsCommand(comm, help, &status);
    if (!code && status) return status;
  } else if (command == "stability") {
    code = stabilityCommand(comm, help);
  } else if (command == "group") {
    code = groupCommand(comm, help);
  } else if (command == "reduce") {
    code = reduceCommand(comm, help);
  } else if (command == "train") {
    int status = 0;
    code       = trainCommand(comm, help, &status);
    if (!code && status) return status;
  } else {
    code = PetscError(comm, __LINE__, "runCommandLine", __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL,
                      "unknown command '%s' (commands: simulate, fixedpoints, stability, group, reduce, "
                      "train; eqrnn -help)",
                      command.c_str());
  }
  return reportError(comm, code);
}

} // namespace eqrnn
