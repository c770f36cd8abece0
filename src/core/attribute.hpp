#pragma once
// A named value for an HDF5 attribute: what output files record (parameters, provenance, results).
#include <string>
#include <variant>
#include <vector>

namespace eqrnn {

using AttributeValue = std::variant<long long, double, std::string, std::vector<double>>;
struct Attribute {
  std::string name;
  AttributeValue value;
};

} // namespace eqrnn
