#pragma once
// SIGUSR1 and SIGTERM (what SLURM sends before preemption or the time limit) only raise a flag here; the run
// checks it collectively at the end of each segment, checkpoints, and exits with the "requeue me" status.
// PETSc's own handler would abort on TERM, and USR1's default action kills the process.
#include <csignal>

namespace eqrnn {

class PreemptionSignals {
public:
  PreemptionSignals();  // installs the handlers
  ~PreemptionSignals(); // restores the previous ones
  PreemptionSignals(const PreemptionSignals &)            = delete;
  PreemptionSignals &operator=(const PreemptionSignals &) = delete;
  static int raised(); // the signal received (0: none)

private:
  struct sigaction oldUsr1_ {
  }, oldTerm_{};
};

} // namespace eqrnn
