#include "core/options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace eqrnn {

bool parseReal(const std::string &s, double *v) {
  if (s.empty()) return false;
  char *end = nullptr;
  errno     = 0;
  double x  = std::strtod(s.c_str(), &end);
  if (errno == ERANGE || end == s.c_str() || *end != '\0') return false;
  *v = x;
  return true;
}

bool parseInteger(const std::string &s, long long *v) {
  if (s.empty()) return false;
  char *end   = nullptr;
  errno       = 0;
  long long x = std::strtoll(s.c_str(), &end, 10);
  if (errno == ERANGE || end == s.c_str() || *end != '\0') return false;
  *v = x;
  return true;
}

std::vector<std::string> splitList(const std::string &s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep)) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    out.push_back(b == std::string::npos ? std::string() : item.substr(b, e - b + 1));
  }
  if (!s.empty() && s.back() == sep) out.emplace_back(); // getline drops a trailing empty item
  return out;
}

PetscErrorCode OptionReader::string(const char *name, const char *help, const std::string &def,
                                    std::string *value, bool *set) {
  PetscOptionItems *PetscOptionsObject = items_; // the PetscOptions* macros expect this name
  char buf[PETSC_MAX_PATH_LEN];
  PetscBool given = PETSC_FALSE;
  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(buf, def.c_str(), sizeof(buf)));
  PetscCall(PetscOptionsString(name, help, "README", def.c_str(), buf, sizeof(buf), &given));
  if (given)
    *value = buf;
  else
    *value = def;
  if (set) *set = given;
  PetscFunctionReturn(0);
}

PetscErrorCode OptionReader::real(const char *name, const char *help, double def, double *value, bool *set) {
  std::string s;
  bool given = false;
  PetscFunctionBeginUser;
  std::ostringstream d;
  d << def;
  PetscCall(string(name, help, d.str(), &s, &given));
  if (set) *set = given;
  if (!given) {
    *value = def;
    PetscFunctionReturn(0);
  }
  double v = 0;
  PetscCheck(parseReal(s, &v), comm_, PETSC_ERR_USER_INPUT, "%s: '%s' is not a number", name, s.c_str());
  PetscCheck(std::isfinite(v), comm_, PETSC_ERR_USER_INPUT, "%s: %s is not a finite number", name, s.c_str());
  *value = v;
  PetscFunctionReturn(0);
}

PetscErrorCode OptionReader::integer(const char *name, const char *help, PetscInt def, PetscInt *value,
                                     bool *set) {
  std::string s;
  bool given = false;
  PetscFunctionBeginUser;
  PetscCall(string(name, help, std::to_string(def), &s, &given));
  if (set) *set = given;
  if (!given) {
    *value = def;
    PetscFunctionReturn(0);
  }
  long long v = 0;
  PetscCheck(parseInteger(s, &v), comm_, PETSC_ERR_USER_INPUT, "%s: '%s' is not an integer", name, s.c_str());
  *value = static_cast<PetscInt>(v);
  PetscFunctionReturn(0);
}

PetscErrorCode OptionReader::flag(const char *name, const char *help, bool def, bool *value) {
  std::string s;
  bool given = false;
  PetscFunctionBeginUser;
  PetscCall(string(name, help, def ? "true" : "false", &s, &given));
  if (!given) {
    *value = def;
    PetscFunctionReturn(0);
  }
  // A bare "-quiet" arrives as an empty string.
  if (s.empty() || s == "1" || s == "true" || s == "yes" || s == "on")
    *value = true;
  else if (s == "0" || s == "false" || s == "no" || s == "off")
    *value = false;
  else
    SETERRQ(comm_, PETSC_ERR_USER_INPUT, "%s: '%s' is not true or false", name, s.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode OptionReader::choice(const char *name, const char *help,
                                    const std::vector<std::string> &choices, const std::string &def,
                                    std::string *value) {
  std::string s;
  PetscFunctionBeginUser;
  std::string all;
  for (const auto &c : choices)
    all += (all.empty() ? "" : "|") + c;
  const std::string fullHelp = std::string(help) + " (" + all + ")";
  PetscCall(string(name, fullHelp.c_str(), def, &s));
  bool known = false;
  for (const auto &c : choices)
    known = known || (c == s);
  PetscCheck(known, comm_, PETSC_ERR_USER_INPUT, "%s: unknown value '%s' (choose from %s)", name, s.c_str(),
             all.c_str());
  *value = s;
  PetscFunctionReturn(0);
}

PetscErrorCode OptionReader::realList(const char *name, const char *help, std::vector<double> *values,
                                      bool *set) {
  std::string s;
  bool given = false;
  PetscFunctionBeginUser;
  std::string def;
  for (double v : *values) {
    std::ostringstream o;
    o << v;
    def += (def.empty() ? "" : ",") + o.str();
  }
  PetscCall(string(name, help, def, &s, &given));
  if (set) *set = given;
  if (!given) PetscFunctionReturn(0);
  values->clear();
  for (const auto &item : splitList(s, ',')) {
    double v = 0;
    PetscCheck(parseReal(item, &v), comm_, PETSC_ERR_USER_INPUT, "%s: '%s' is not a number", name,
               item.c_str());
    PetscCheck(std::isfinite(v), comm_, PETSC_ERR_USER_INPUT, "%s: %s is not a finite number", name,
               item.c_str());
    values->push_back(v);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode OptionReader::intList(const char *name, const char *help, std::vector<PetscInt> *values,
                                     bool *set) {
  std::string s;
  bool given = false;
  PetscFunctionBeginUser;
  std::string def;
  for (PetscInt v : *values)
    def += (def.empty() ? "" : ",") + std::to_string(v);
  PetscCall(string(name, help, def, &s, &given));
  if (set) *set = given;
  if (!given) PetscFunctionReturn(0);
  values->clear();
  for (const auto &item : splitList(s, ',')) {
    long long v = 0;
    PetscCheck(parseInteger(item, &v), comm_, PETSC_ERR_USER_INPUT, "%s: '%s' is not an integer", name,
               item.c_str());
    values->push_back(static_cast<PetscInt>(v));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode checkNoUnusedOptions(MPI_Comm comm) {
  PetscInt n    = 0;
  char **names  = nullptr;
  char **values = nullptr;
  std::string bad;
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsLeftGet(nullptr, &n, &names, &values));
  const PetscInt unused = n; // LeftRestore zeroes n
  for (PetscInt i = 0; i < n; ++i)
    bad += std::string(bad.empty() ? "-" : ", -") + names[i];
  PetscCall(PetscOptionsLeftRestore(nullptr, &n, &names, &values));
  PetscCheck(unused == 0, comm, PETSC_ERR_USER_INPUT,
             "unknown option%s %s (misspelled, or not used by this command)", unused > 1 ? "s" : "",
             bad.c_str());
  PetscFunctionReturn(0);
}

} // namespace eqrnn
