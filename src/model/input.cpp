#include "model/input.hpp"

#include "model/profiles.hpp"
#include <cmath>

namespace eqrnn {

PetscErrorCode ExternalInput::setup(const InputSpec &spec, const Group &group, Vec layout) {
  MPI_Comm comm;
  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(layout), &comm));
  PetscCheck(spec.kind == "none" || spec.kind == "constant" || spec.kind == "bump", comm,
             PETSC_ERR_USER_INPUT, "-input: unknown value '%s' (none|constant|bump)", spec.kind.c_str());
  PetscCheck(spec.tOff >= spec.tOn, comm, PETSC_ERR_USER_INPUT, "-input_off (%g) is before -input_on (%g)",
             spec.tOff, spec.tOn);
  PetscCheck(spec.kappa >= 0, comm, PETSC_ERR_USER_INPUT, "-input_kappa must be >= 0");
  PetscCall(checkLocation(comm, "-input_location", group, spec.location));
  spec_ = spec;
  if (spec.kind == "none") PetscFunctionReturn(0);
  PetscCall(VecDuplicate(layout, profile_.address()));
  if (spec.kind == "constant")
    PetscCall(VecSet(profile_, spec.amplitude));
  else
    PetscCall(fillBump(group, spec.location, spec.kappa, spec.amplitude, profile_));
  PetscFunctionReturn(0);
}

bool ExternalInput::activeAt(double t) const {
  return spec_.kind != "none" && t >= spec_.tOn && t < spec_.tOff;
}

PetscErrorCode ExternalInput::evaluate(double t, Vec v) const {
  PetscFunctionBeginUser;
  if (activeAt(t))
    PetscCall(VecCopy(profile_, v));
  else
    PetscCall(VecSet(v, 0.0));
  PetscFunctionReturn(0);
}

PetscErrorCode ExternalInput::add(double t, Vec f) const {
  PetscFunctionBeginUser;
  if (activeAt(t)) PetscCall(VecAXPY(f, 1.0, profile_));
  PetscFunctionReturn(0);
}

std::vector<double> ExternalInput::switchTimes() const {
  std::vector<double> times;
  if (spec_.kind == "none") return times;
  if (spec_.tOn > 0) times.push_back(spec_.tOn);
  if (std::isfinite(spec_.tOff)) times.push_back(spec_.tOff);
  return times;
}

} // namespace eqrnn
