#include "core/signals.hpp"

namespace eqrnn {

namespace {
volatile std::sig_atomic_t received = 0;
extern "C" void onSignal(int sig) {
  received = sig;
} // async-signal-safe: one store
} // namespace

PreemptionSignals::PreemptionSignals() {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  // The flag is not cleared: a signal caught by the handlers that runCommandLine installs before a resumable
  // command's set-up must still stop the run at its first checkpoint.
  sigaction(SIGUSR1, &sa, &oldUsr1_);
  sigaction(SIGTERM, &sa, &oldTerm_);
}

PreemptionSignals::~PreemptionSignals() {
  sigaction(SIGUSR1, &oldUsr1_, nullptr);
  sigaction(SIGTERM, &oldTerm_, nullptr);
}

int PreemptionSignals::raised() {
  return static_cast<int>(received);
}

} // namespace eqrnn
