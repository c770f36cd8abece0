#pragma once
// The scalar parameters of a network that may change after it is built (parameter continuation, sweeps inside
// one run): the kernel's amplitudes and concentrations, an irrep gain or a Fourier coefficient of the kernel,
// the transfer function's gain and threshold, and the input amplitude. Named as on the command line:
// "J1", "kappa", "gain", "input_amplitude", "irrep_gain:<i>" (the i-th irrep of -kernel_irreps, by position
// or label), "fourier_cos:<i>" / "fourier_sin:<i>" (the i-th wavevector of -fourier_modes).
#include <string>
#include <vector>

namespace eqrnn {

enum class ParameterKind {
  J0,
  J1,
  J2,
  Kappa,
  Kappa2,
  IrrepGain,
  FourierCos,
  FourierSin,
  Gain,
  Threshold,
  InputAmplitude
};

struct NetworkParameter {
  ParameterKind kind = ParameterKind::J1;
  int index          = 0; // irrep or wavevector, for the indexed kinds
  bool operator==(const NetworkParameter &o) const { return kind == o.kind && index == o.index; }
};

// `irrepLabels`: the kernel's -kernel_irreps (for "irrep_gain:E1"). False with a one-line *error otherwise.
bool parseNetworkParameter(const std::string &text, const std::vector<std::string> &irrepLabels,
                           NetworkParameter *p, std::string *error);
std::string networkParameterName(const NetworkParameter &p);
// Whether the kernel (rather than phi or the input) carries the parameter.
bool isKernelParameter(const NetworkParameter &p);

} // namespace eqrnn
