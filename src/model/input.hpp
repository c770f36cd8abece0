#pragma once
// External input I(g, t): none, a constant drive, or a tuned bump (von Mises profile at a location) switched
// on at t_on and off at t_off, used to push activity along the manifold.
#include "groups/group.hpp"
#include "core/handles.hpp"
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace eqrnn {

enum class InputKind { None, Constant, Bump };
const std::vector<std::pair<const char *, InputKind>> &inputKindNames();

struct InputSpec {
  InputKind kind   = InputKind::None;
  double amplitude = 0.0;
  std::vector<double> location; // element coordinates per factor
  double kappa = 4.0;
  double tOn = 0.0, tOff = std::numeric_limits<double>::infinity();
};

class ExternalInput {
public:
  PetscErrorCode setup(const InputSpec &spec, const Group &group, Vec layout);
  bool activeAt(double t) const;
  // I(t) into v (zeroed when inactive).
  PetscErrorCode evaluate(double t, Vec v) const;
  // Adds I(t) to f.
  PetscErrorCode add(double t, Vec f) const;
  // I(t) as a Vec to combine with others in one pass, or nullptr while inactive (I = 0).
  Vec active(double t) const { return activeAt(t) ? static_cast<Vec>(profile_) : nullptr; }
  // Adds scale dI/dA (t) to f: the input's derivative with respect to its amplitude.
  PetscErrorCode addAmplitudeDerivative(double t, double scale, Vec f) const;
  // Changes the amplitude of the profile (no re-evaluation of its shape).
  PetscErrorCode setAmplitude(double amplitude);
  // Times where the input jumps: the integrator stops there instead of stepping over the discontinuity.
  std::vector<double> switchTimes() const;
  const InputSpec &spec() const { return spec_; }

private:
  InputSpec spec_;
  VecHandle shape_, profile_; // the profile at amplitude 1, and times the amplitude (what is added)
};

} // namespace eqrnn
