#pragma once
// Named PETSc log events for eqrnn's own phases, so `-log_view` shows where a run spends its time next to
// PETSc's and SLEPc's events. Registered on first use (after PetscInitialize); a scope brackets one phase.
#include <petscsys.h>
#include <petsclog.h>

namespace eqrnn {

class LogEvent {
public:
  explicit LogEvent(const char *name) : name_(name) {}
  PetscLogEvent id() {
    if (!registered_) {
      static PetscClassId classId = 0;
      if (!classId) PetscCallAbort(PETSC_COMM_SELF, PetscClassIdRegister("eqrnn", &classId));
      PetscCallAbort(PETSC_COMM_SELF, PetscLogEventRegister(name_, classId, &id_));
      registered_ = true;
    }
    return id_;
  }

private:
  const char *name_;
  PetscLogEvent id_ = 0;
  bool registered_  = false;
};

// RAII bracket: the phase ends with the scope, whichever way the function returns.
class LogScope {
public:
  explicit LogScope(LogEvent &event) : id_(event.id()) {
    PetscCallAbort(PETSC_COMM_SELF, PetscLogEventBegin(id_, 0, 0, 0, 0));
  }
  LogScope(const LogScope &)            = delete;
  LogScope &operator=(const LogScope &) = delete;
  ~LogScope() { PetscCallAbort(PETSC_COMM_SELF, PetscLogEventEnd(id_, 0, 0, 0, 0)); }

private:
  PetscLogEvent id_;
};

} // namespace eqrnn
