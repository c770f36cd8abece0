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

// I(g, t) = A(t) s(g): a shape s (a Vec for the bump; none for a constant drive, s = 1) and the amplitude A
// while switched on (0 otherwise). The right-hand side combines A s(g) pointwise in its last pass, so no
// vector holds I itself.
class ExternalInput {
public:
  PetscErrorCode setup(const InputSpec &spec, const Group &group, Vec layout);
  bool activeAt(double t) const;
  // A(t): the amplitude while on, 0 while off.
  double amplitudeAt(double t) const { return activeAt(t) ? spec_.amplitude : 0.0; }
  // The shape s (nullptr: uniform, s = 1).
  Vec shape() const { return shape_; }
  // Adds scale dI/dA (t) = scale s(g) while on to f: the input's derivative with respect to its amplitude.
  PetscErrorCode addAmplitudeDerivative(double t, double scale, Vec f) const;
  void setAmplitude(double amplitude) { spec_.amplitude = amplitude; }
  // Times where the input jumps: the integrator stops there instead of stepping over the discontinuity.
  std::vector<double> switchTimes() const;
  const InputSpec &spec() const { return spec_; }

private:
  InputSpec spec_;
  VecHandle shape_; // bump: the profile at amplitude 1
};

} // namespace eqrnn
