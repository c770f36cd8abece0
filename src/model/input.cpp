#include "model/input.hpp"

#include "model/profiles.hpp"
#include <cmath>

namespace eqrnn {

const std::vector<std::pair<const char *, InputKind>> &inputKindNames() {
  static const std::vector<std::pair<const char *, InputKind>> names{
      {"none", InputKind::None}, {"constant", InputKind::Constant}, {"bump", InputKind::Bump}};
  return names;
}

PetscErrorCode ExternalInput::setup(const InputSpec &spec, const Group &group, Vec layout) {
  MPI_Comm comm;
  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(layout), &comm));
  PetscCheck(spec.tOff >= spec.tOn, comm, PETSC_ERR_USER_INPUT, "-input_off (%g) is before -input_on (%g)",
             spec.tOff, spec.tOn);
  PetscCheck(spec.kappa >= 0, comm, PETSC_ERR_USER_INPUT, "-input_kappa must be >= 0");
  PetscCall(checkLocation(comm, "-input_location", group, spec.location));
  spec_ = spec;
  if (spec.kind != InputKind::Bump) PetscFunctionReturn(0);
  PetscCall(VecDuplicate(layout, shape_.address()));
  PetscCall(fillBump(group, spec.location, spec.kappa, 1.0, shape_));
  PetscFunctionReturn(0);
}

bool ExternalInput::activeAt(double t) const {
  return spec_.kind != InputKind::None && t >= spec_.tOn && t < spec_.tOff;
}

PetscErrorCode ExternalInput::addAmplitudeDerivative(double t, double scale, Vec f) const {
  PetscFunctionBeginUser;
  if (!activeAt(t)) PetscFunctionReturn(0);
  if (shape_)
    PetscCall(VecAXPY(f, scale, shape_));
  else
    PetscCall(VecShift(f, scale));
  PetscFunctionReturn(0);
}

std::vector<double> ExternalInput::switchTimes() const {
  std::vector<double> times;
  if (spec_.kind == InputKind::None) return times;
  if (spec_.tOn > 0) times.push_back(spec_.tOn);
  if (std::isfinite(spec_.tOff)) times.push_back(spec_.tOff);
  return times;
}

} // namespace eqrnn
