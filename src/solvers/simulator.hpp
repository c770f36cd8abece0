#pragma once
// Time integration of a RateNetwork with PETSc TS. Defaults: adaptive Dormand-Prince RK (5dp), rtol = atol =
// 1e-8; every -ts_* option overrides them, implicit methods included (they get the fully implicit form and
// the network's exact Jacobian as a MATSHELL, with Jacobi preconditioning from its known diagonal). The run
// stops exactly at every sample time and input switch time (TS_EXACTFINALTIME_MATCHSTEP) rather than
// interpolating, so samples are as accurate as steps.
#include "core/handles.hpp"
#include "model/linearisation.hpp"
#include <functional>

namespace eqrnn {

struct SimulationSpec {
  double tFinal       = 50.0;
  double saveInterval = 0.5; // simulated time between samples; <= 0 saves only the initial and final states
  double progressInterval   = 10.0; // wall seconds between progress lines; <= 0 silences them
  double checkpointInterval = 0.0;  // simulated time between checkpoint stops; <= 0: none
};

struct SimulationStats {
  PetscInt steps = 0, rejected = 0;
  double wallSeconds = 0;
  std::string method;
  bool stoppedEarly = false; // a segment hook asked to stop (checkpointed, to be resumed)
};

// Where a resumed run continues: the integrator's next step size and counters at the checkpoint (the state
// and time are passed to run() as x and t0). Every segment starts a new TSSolve, which restarts the method
// (no first-same-as-last stage is carried over), so a run resumed at a segment end is bitwise the same.
struct ResumePoint {
  double dt          = 0;
  long long step     = 0;
  long long rejected = 0;
};

// After each segment: where the run stands; set *stop to end the run there.
struct SegmentEnd {
  double t = 0, dt = 0;
  long long step = 0, rejected = 0;
  bool checkpointTime = false; // t is a multiple of checkpointInterval
};

class Simulator {
public:
  using Observer    = std::function<PetscErrorCode(double t, Vec x)>;
  using SegmentHook = std::function<PetscErrorCode(const SegmentEnd &end, Vec x, bool *stop)>;
  // Builds the TS and reads -ts_* options (prefix: none, so -ts_type works as users expect).
  static PetscErrorCode create(RateNetwork &net, std::unique_ptr<Simulator> *out);
  Simulator(const Simulator &)            = delete;
  Simulator &operator=(const Simulator &) = delete;

  TS ts() const { return ts_; }
  // Integrates x from t0 to spec.tFinal, calling observer at t0 (not when resuming), at every multiple of
  // saveInterval and at tFinal, and hook after every segment (samples, input switches, checkpoint times).
  PetscErrorCode run(const SimulationSpec &spec, double t0, Vec x, const Observer &observer,
                     SimulationStats *stats, const ResumePoint *resume = nullptr,
                     const SegmentHook &hook = {});

private:
  Simulator() = default;
  static PetscErrorCode rhsFunction(TS, PetscReal t, Vec x, Vec f, void *ctx);
  static PetscErrorCode ifunction(TS, PetscReal t, Vec x, Vec xdot, Vec f, void *ctx);
  static PetscErrorCode ijacobian(TS, PetscReal t, Vec x, Vec xdot, PetscReal shift, Mat, Mat, void *ctx);
  static PetscErrorCode shiftedJacobianMult(Mat M, Vec v, Vec out);
  static PetscErrorCode shiftedJacobianDiagonal(Mat M, Vec d);
  static PetscErrorCode progressMonitor(TS, PetscInt step, PetscReal t, Vec x, void *ctx);
  static PetscErrorCode noiseStep(TS ts); // Euler-Maruyama: the noise increment after each drift step

  // The input is piecewise constant between stops: it is evaluated at the segment's midpoint, so that a stage
  // landing on the switch time at a segment's end does not see the next segment's input.
  double inputTime(double t) const { return holdInput_ ? heldInputTime_ : t; }

  RateNetwork *net_ = nullptr;
  std::unique_ptr<Linearisation> lin_; // implicit methods' Jacobian
  bool holdInput_       = false;
  double heldInputTime_ = 0;
  TSHandle ts_;
  MatHandle shiftedJacobian_; // shift I - A for implicit methods
  double shift_     = 0;
  double fixedStep_ = 0; // the step of a non-adaptive run (restored at every segment start)
  // progress reporting
  double wallStart_ = 0, lastReport_ = 0, t0_ = 0, tFinal_ = 0, interval_ = 0;
};

} // namespace eqrnn
