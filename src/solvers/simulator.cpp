#include "solvers/simulator.hpp"

#include "core/random.hpp"

#include <algorithm>
#include <cmath>
#include <petscsnes.h>
#include <petscksp.h>

namespace eqrnn {

PetscErrorCode Simulator::rhsFunction(TS, PetscReal t, Vec x, Vec f, void *ctx) {
  PetscFunctionBeginUser;
  auto *self = static_cast<Simulator *>(ctx);
  PetscCall(self->net_->rhs(self->inputTime(t), x, f));
  PetscFunctionReturn(0);
}

PetscErrorCode Simulator::progressMonitor(TS ts, PetscInt step, PetscReal t, Vec, void *ctx) {
  auto *self = static_cast<Simulator *>(ctx);
  PetscFunctionBeginUser;
  if (self->interval_ <= 0) PetscFunctionReturn(0);
  const double now = MPI_Wtime();
  // Rank 0's clock decides; the line is informational only, so no collective decision is needed.
  if (now - self->lastReport_ < self->interval_) PetscFunctionReturn(0);
  self->lastReport_ = now;
  const double done = (t - self->t0_) / std::max(self->tFinal_ - self->t0_, 1e-300);
  const double wall = now - self->wallStart_;
  const double eta  = done > 0 ? wall * (1.0 - done) / done : 0.0;
  PetscReal dt      = 0;
  PetscCall(TSGetTimeStep(ts, &dt));
  PetscCall(PetscPrintf(PetscObjectComm(reinterpret_cast<PetscObject>(ts)),
                        "eqrnn: t = %.6g / %.6g (%.1f%%), step %" PetscInt_FMT ", dt = %.3g, wall %.1f s, "
                        "about %.1f s left\n",
                        static_cast<double>(t), self->tFinal_, 100.0 * done, step, static_cast<double>(dt),
                        wall, eta));
  PetscFunctionReturn(0);
}

PetscErrorCode Simulator::ifunction(TS, PetscReal t, Vec x, Vec xdot, Vec f, void *ctx) {
  PetscFunctionBeginUser;
  // F(t, x, xdot) = xdot - rhs(t, x): the whole right-hand side is treated implicitly.
  auto *self = static_cast<Simulator *>(ctx);
  PetscCall(self->net_->rhs(self->inputTime(t), x, f));
  PetscCall(VecAYPX(f, -1.0, xdot));
  PetscFunctionReturn(0);
}

PetscErrorCode Simulator::ijacobian(TS, PetscReal, Vec x, Vec, PetscReal shift, Mat, Mat, void *ctx) {
  auto *self = static_cast<Simulator *>(ctx);
  PetscFunctionBeginUser;
  self->shift_ = shift;
  PetscCall(self->lin_->setPoint(x));
  PetscFunctionReturn(0);
}

PetscErrorCode Simulator::shiftedJacobianMult(Mat M, Vec v, Vec out) {
  Simulator *self = nullptr;
  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(M, &self));
  PetscCall(self->lin_->apply(v, out));            // out = A v
  PetscCall(VecAXPBY(out, self->shift_, -1.0, v)); // shift v - A v
  PetscFunctionReturn(0);
}

PetscErrorCode Simulator::shiftedJacobianDiagonal(Mat M, Vec d) {
  Simulator *self = nullptr;
  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(M, &self));
  PetscCall(self->lin_->diagonal(d));
  PetscCall(VecScale(d, -1.0));
  PetscCall(VecShift(d, self->shift_));
  PetscFunctionReturn(0);
}

PetscErrorCode Simulator::noiseStep(TS ts) {
  Simulator *self = nullptr;
  PetscReal t = 0, tPrev = 0;
  PetscInt step = 0, lo = 0, hi = 0;
  Vec x;
  PetscScalar *a = nullptr;
  PetscFunctionBeginUser;
  PetscCall(TSGetApplicationContext(ts, &self));
  PetscCall(TSGetTime(ts, &t));
  PetscCall(TSGetPrevTime(ts, &tPrev));
  PetscCall(TSGetStepNumber(ts, &step));
  PetscCall(TSGetSolution(ts, &x));
  const NetworkSpec &spec = self->net_->spec();
  // tau dx = ... dt + sigma dW: the increment (sigma / tau) sqrt(h) xi, h the step just taken (shorter at
  // stops).
  const double scale = spec.noiseSigma / spec.tau * std::sqrt(std::max(0.0, static_cast<double>(t - tPrev)));
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(VecGetArray(x, &a));
  for (PetscInt i = lo; i < hi; ++i)
    a[i - lo] +=
        scale * philoxNormal(spec.noiseSeed, static_cast<std::uint64_t>(step), static_cast<std::uint64_t>(i));
  PetscCall(VecRestoreArray(x, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode Simulator::create(RateNetwork &net, std::unique_ptr<Simulator> *out) {
  std::unique_ptr<Simulator> sim(new Simulator());
  SNES snes;
  KSP ksp;
  PC pc;
  TSType type;
  PetscFunctionBeginUser;
  sim->net_ = &net;
  PetscCall(TSCreate(net.comm(), sim->ts_.address()));
  PetscCall(TSSetProblemType(sim->ts_, TS_NONLINEAR));
  PetscCall(TSSetType(sim->ts_, TSRK));
  PetscCall(TSRKSetType(sim->ts_, TSRK5DP));
  PetscCall(TSSetTolerances(sim->ts_, 1e-8, nullptr, 1e-8, nullptr));
  PetscCall(TSSetTimeStep(sim->ts_, 1e-2 * net.spec().tau));
  PetscCall(TSSetMaxSteps(sim->ts_, PETSC_MAX_INT));
  PetscCall(TSSetExactFinalTime(sim->ts_, TS_EXACTFINALTIME_MATCHSTEP));
  // Implicit methods: Krylov on the exact Jacobian shell, Jacobi from its known diagonal.
  PetscCall(TSGetSNES(sim->ts_, &snes));
  PetscCall(SNESGetKSP(snes, &ksp));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCJACOBI));
  PetscCall(TSMonitorSet(sim->ts_, progressMonitor, sim.get(), nullptr));
  const bool noise = net.spec().noiseSigma > 0;
  if (noise) { // Euler-Maruyama: the drift step by forward Euler, the noise added after each step
    TSAdapt adapt;
    PetscCall(TSSetType(sim->ts_, TSEULER));
    PetscCall(TSGetAdapt(sim->ts_, &adapt));
    PetscCall(TSAdaptSetType(adapt, TSADAPTNONE));
    PetscCall(TSSetTimeStep(sim->ts_, net.spec().noiseDt));
    PetscCall(TSSetApplicationContext(sim->ts_, sim.get()));
    PetscCall(TSSetPostStep(sim->ts_, noiseStep));
  }
  PetscCall(TSSetFromOptions(sim->ts_));
  PetscCall(TSGetType(sim->ts_, &type));
  {
    // A fixed step (no adaptor) must not stay shortened after a stop: remembered, and restored per segment.
    TSAdapt adapt;
    TSAdaptType adaptType;
    PetscReal dt = 0;
    PetscCall(TSGetAdapt(sim->ts_, &adapt));
    PetscCall(TSAdaptGetType(adapt, &adaptType));
    PetscCall(TSGetTimeStep(sim->ts_, &dt));
    if (std::string(adaptType) == TSADAPTNONE) sim->fixedStep_ = dt;
  }
  if (noise) {
    TSAdapt adapt;
    TSAdaptType adaptType;
    PetscCall(TSGetAdapt(sim->ts_, &adapt));
    PetscCall(TSAdaptGetType(adapt, &adaptType));
    PetscCheck(
        std::string(type) == TSEULER && std::string(adaptType) == TSADAPTNONE, net.comm(),
        PETSC_ERR_USER_INPUT,
        "-noise_sigma needs the Euler-Maruyama step: leave -ts_type (euler) and -ts_adapt_type (none) alone");
  }
  // Explicit methods take the right-hand side; every other method gets the fully implicit form
  // F = xdot - rhs(x) with the exact Jacobian shift I - A (a shell: one convolution per product).
  const std::string method = type;
  if (method == TSEULER || method == TSRK || method == TSSSP || method == TSMPRK) {
    PetscCall(TSSetRHSFunction(sim->ts_, nullptr, rhsFunction, sim.get()));
  } else {
    const PetscInt n = net.connectivity().localSize(), N = net.connectivity().size();
    PetscCall(Linearisation::create(net, &sim->lin_));
    PetscCall(MatCreateShell(net.comm(), n, n, N, N, sim.get(), sim->shiftedJacobian_.address()));
    PetscCall(MatShellSetOperation(sim->shiftedJacobian_, MATOP_MULT,
                                   reinterpret_cast<void (*)(void)>(shiftedJacobianMult)));
    PetscCall(MatShellSetOperation(sim->shiftedJacobian_, MATOP_GET_DIAGONAL,
                                   reinterpret_cast<void (*)(void)>(shiftedJacobianDiagonal)));
    PetscCall(TSSetIFunction(sim->ts_, nullptr, ifunction, sim.get()));
    PetscCall(TSSetIJacobian(sim->ts_, sim->shiftedJacobian_, sim->shiftedJacobian_, ijacobian, sim.get()));
  }
  *out = std::move(sim);
  PetscFunctionReturn(0);
}

PetscErrorCode Simulator::run(const SimulationSpec &spec, double t0, Vec x, const Observer &observer,
                              SimulationStats *stats, const ResumePoint *resume, const SegmentHook &hook) {
  PetscFunctionBeginUser;
  MPI_Comm comm = net_->comm();
  PetscCheck(spec.tFinal >= t0, comm, PETSC_ERR_USER_INPUT, "-t_final (%g) is before the start time (%g)",
             spec.tFinal, t0);
  // Stop times: samples, input switches, the end.
  std::vector<double> stops;
  if (spec.saveInterval > 0) {
    const double k0 = std::floor(t0 / spec.saveInterval + 1e-9) + 1;
    for (double k = k0; k * spec.saveInterval < spec.tFinal - 1e-12 * std::max(1.0, spec.tFinal); k += 1)
      stops.push_back(k * spec.saveInterval);
  }
  std::vector<double> samples = stops;
  samples.push_back(spec.tFinal);
  stops.push_back(spec.tFinal);
  // Checkpoint times end segments too (the same in the uninterrupted and the resumed run).
  std::vector<double> checkpoints;
  if (spec.checkpointInterval > 0) {
    const double k0 = std::floor(t0 / spec.checkpointInterval + 1e-9) + 1;
    for (double k = k0; k * spec.checkpointInterval < spec.tFinal - 1e-12 * std::max(1.0, spec.tFinal);
         k += 1)
      checkpoints.push_back(k * spec.checkpointInterval);
    stops.insert(stops.end(), checkpoints.begin(), checkpoints.end());
  }
  for (double sw : net_->inputSwitchTimes())
    if (sw > t0 && sw < spec.tFinal) stops.push_back(sw);
  std::sort(stops.begin(), stops.end());
  stops.erase(std::unique(stops.begin(), stops.end()), stops.end());

  wallStart_ = lastReport_ = MPI_Wtime();
  t0_                      = t0;
  tFinal_                  = spec.tFinal;
  interval_                = spec.progressInterval;
  PetscCall(TSSetTime(ts_, t0));
  PetscCall(TSSetStepNumber(ts_, resume ? static_cast<PetscInt>(resume->step) : 0));
  if (resume) PetscCall(TSSetTimeStep(ts_, resume->dt));
  if (observer && !resume) PetscCall(observer(t0, x));
  const long long rejectedBefore = resume ? resume->rejected : 0;
  PetscInt rejectedStart         = 0; // TSGetStepRejections counts over this TS's whole life
  PetscCall(TSGetStepRejections(ts_, &rejectedStart));
  double t          = t0;
  PetscInt rejected = rejectedStart;
  if (stats) stats->stoppedEarly = false;
  for (double stop : stops) {
    if (stop <= t) continue;
    PetscCall(TSSetMaxTime(ts_, stop));
    holdInput_     = true;
    heldInputTime_ = 0.5 * (t + stop);
    // Every segment starts afresh (no first-same-as-last stage carried over from the last one), so a run
    // resumed from a checkpoint at a segment end takes bitwise the same steps as the uninterrupted one.
    PetscCall(TSRestartStep(ts_));
    if (fixedStep_ > 0) PetscCall(TSSetTimeStep(ts_, fixedStep_));
    PetscCall(TSSolve(ts_, x));
    TSConvergedReason reason;
    PetscCall(TSGetConvergedReason(ts_, &reason));
    PetscReal tNow = 0;
    PetscInt step  = 0;
    PetscCall(TSGetTime(ts_, &tNow));
    PetscCall(TSGetStepNumber(ts_, &step));
    PetscReal norm = 0;
    PetscCall(VecNorm(x, NORM_INFINITY, &norm));
    PetscCheck(std::isfinite(norm), comm, PETSC_ERR_FP,
               "state became NaN/Inf by t = %g (step %" PetscInt_FMT ")", static_cast<double>(tNow), step);
    PetscCheck(reason >= 0, comm, PETSC_ERR_NOT_CONVERGED,
               "time integration failed at t = %g (step %" PetscInt_FMT "): %s", static_cast<double>(tNow),
               step, TSConvergedReasons[reason]);
    // A step limit (-ts_max_steps) ends TSSolve "successfully" short of the stop: the samples that follow
    // would not be at their times. TS_EXACTFINALTIME_MATCHSTEP lands on the stop exactly otherwise.
    PetscCheck(std::abs(tNow - stop) <= 1e-12 * std::max(1.0, std::abs(stop)), comm, PETSC_ERR_NOT_CONVERGED,
               "time integration stopped at t = %g (step %" PetscInt_FMT
               ") before t = %g: %s (-ts_max_steps?); "
               "the output ends at the last sample, the checkpoints are kept",
               static_cast<double>(tNow), step, stop, TSConvergedReasons[reason]);
    PetscCall(TSGetStepRejections(ts_, &rejected)); // cumulative over TSSolve calls
    t = tNow;
    if (observer && std::binary_search(samples.begin(), samples.end(), stop)) PetscCall(observer(t, x));
    if (hook) {
      SegmentEnd end;
      PetscReal dt = 0;
      PetscCall(TSGetTimeStep(ts_, &dt));
      end.t              = t;
      end.dt             = dt;
      end.step           = step;
      end.rejected       = rejectedBefore + (rejected - rejectedStart);
      end.checkpointTime = std::binary_search(checkpoints.begin(), checkpoints.end(), stop);
      bool stopHere      = false;
      PetscCall(hook(end, x, &stopHere));
      if (stopHere && stop < spec.tFinal) {
        if (stats) stats->stoppedEarly = true;
        break;
      }
    }
  }
  holdInput_ = false;
  if (stats) {
    TSType type;
    PetscCall(TSGetStepNumber(ts_, &stats->steps));
    stats->rejected = static_cast<PetscInt>(rejectedBefore + (rejected - rejectedStart));
    PetscCall(TSGetType(ts_, &type));
    stats->method      = type;
    stats->wallSeconds = MPI_Wtime() - wallStart_;
  }
  PetscFunctionReturn(0);
}

} // namespace eqrnn
