#include "model/network_parameter.hpp"

#include "core/parameters.hpp"
#include <utility>

namespace eqrnn {

namespace {
const std::vector<std::pair<const char *, ParameterKind>> &plainNames() {
  static const std::vector<std::pair<const char *, ParameterKind>> names{
      {"J0", ParameterKind::J0},
      {"J1", ParameterKind::J1},
      {"J2", ParameterKind::J2},
      {"kappa", ParameterKind::Kappa},
      {"kappa2", ParameterKind::Kappa2},
      {"gain", ParameterKind::Gain},
      {"threshold", ParameterKind::Threshold},
      {"input_amplitude", ParameterKind::InputAmplitude}};
  return names;
}
const std::vector<std::pair<const char *, ParameterKind>> &indexedNames() {
  static const std::vector<std::pair<const char *, ParameterKind>> names{
      {"irrep_gain", ParameterKind::IrrepGain},
      {"fourier_cos", ParameterKind::FourierCos},
      {"fourier_sin", ParameterKind::FourierSin}};
  return names;
}
} // namespace

bool parseNetworkParameter(const std::string &text, const std::vector<std::string> &irrepLabels,
                           NetworkParameter *p, std::string *error) {
  for (const auto &[name, kind] : plainNames())
    if (text == name) {
      *p = {kind, 0};
      return true;
    }
  const auto colon       = text.find(':');
  const std::string head = text.substr(0, colon),
                    tail = colon == std::string::npos ? "" : text.substr(colon + 1);
  for (const auto &[name, kind] : indexedNames()) {
    if (head != name) continue;
    long long i = -1;
    if (!parseInteger(tail, &i) && kind == ParameterKind::IrrepGain)
      for (std::size_t k = 0; k < irrepLabels.size(); ++k)
        if (irrepLabels[k] == tail) i = static_cast<long long>(k);
    if (i < 0) {
      *error =
          "'" + text + "': give " + name + ":<index>" +
          (kind == ParameterKind::IrrepGain ? " or " + std::string(name) + ":<label of -kernel_irreps>" : "");
      return false;
    }
    *p = {kind, static_cast<int>(i)};
    return true;
  }
  *error = "unknown network parameter '" + text +
           "' (J0, J1, J2, kappa, kappa2, gain, threshold, input_amplitude, irrep_gain:<i>, fourier_cos:<i>, "
           "fourier_sin:<i>)";
  return false;
}

std::string networkParameterName(const NetworkParameter &p) {
  for (const auto &[name, kind] : plainNames())
    if (p.kind == kind) return name;
  for (const auto &[name, kind] : indexedNames())
    if (p.kind == kind) return std::string(name) + ":" + std::to_string(p.index);
  return "?";
}

bool isKernelParameter(const NetworkParameter &p) {
  return p.kind != ParameterKind::Gain && p.kind != ParameterKind::Threshold &&
         p.kind != ParameterKind::InputAmplitude;
}

} // namespace eqrnn
