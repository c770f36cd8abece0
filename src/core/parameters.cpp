#include "core/parameters.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

namespace eqrnn {

const char *parameterTypeName(ParameterType type) {
  switch (type) {
  case ParameterType::Real:
    return "real";
  case ParameterType::Integer:
    return "int";
  case ParameterType::Flag:
    return "flag";
  case ParameterType::Text:
    return "text";
  case ParameterType::Choice:
    return "choice";
  case ParameterType::Reals:
    return "reals";
  case ParameterType::Integers:
    return "ints";
  case ParameterType::Words:
    return "words";
  }
  return "?";
}

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

std::string shortestReal(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

std::string identityReal(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string identityDifferences(const std::string &recorded, const std::string &current) {
  auto parse = [](const std::string &s) {
    std::vector<std::pair<std::string, std::string>> kv;
    for (const auto &item : splitList(s, ';')) {
      if (item.empty()) continue;
      const auto eq = item.find('=');
      kv.emplace_back(item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1));
    }
    return kv;
  };
  const auto before = parse(recorded), now = parse(current);
  std::string out;
  auto lookup = [](const auto &kv, const std::string &key) -> std::string {
    for (const auto &[k, v] : kv)
      if (k == key) return v;
    return "(missing)";
  };
  for (const auto &[k, v] : now) {
    const std::string theirs = lookup(before, k);
    if (theirs != v) out += (out.empty() ? "" : ", ") + k + " " + theirs + " -> " + v;
  }
  for (const auto &[k, v] : before)
    if (lookup(now, k) == "(missing)") out += (out.empty() ? "" : ", ") + k + " " + v + " -> (missing)";
  return out;
}

// ---- Parameter ------------------------------------------------------------------------------------------

Parameter &Parameter::bound(double v, bool strict, bool lower) {
  if (lower) {
    hasLo_ = true, lo_ = v, loStrict_ = strict;
  } else {
    hasHi_ = true, hi_ = v, hiStrict_ = strict;
  }
  return *this;
}

std::string Parameter::rangeText() const {
  if (hasLo_ && hasHi_)
    return "in " + std::string(loStrict_ ? "(" : "[") + shortestReal(lo_) + ", " + shortestReal(hi_) +
           (hiStrict_ ? ")" : "]");
  if (hasLo_) return std::string(loStrict_ ? "> " : ">= ") + shortestReal(lo_);
  if (hasHi_) return std::string(hiStrict_ ? "< " : "<= ") + shortestReal(hi_);
  return "";
}

std::string Parameter::checkRange(double v) const {
  for (const auto &s : specials_)
    if (v == s.second) return "";
  const bool ok =
      (!hasLo_ || (loStrict_ ? v > lo_ : v >= lo_)) && (!hasHi_ || (hiStrict_ ? v < hi_ : v <= hi_));
  return ok ? "" : "must be " + rangeText();
}

std::string Parameter::formatReal(double v) const {
  for (const auto &s : specials_)
    if (v == s.second) return s.first;
  return shortestReal(v);
}

// ---- ParameterSet ---------------------------------------------------------------------------------------

Parameter &ParameterSet::add(const char *name, ParameterType type, const char *help) {
  auto p      = std::make_unique<Parameter>();
  p->name_    = name;
  p->help_    = help;
  p->section_ = section_;
  p->type_    = type;
  params_.push_back(std::move(p));
  return *params_.back();
}

const Parameter *ParameterSet::find(const std::string &name) const {
  for (const auto &p : params_)
    if (p->name_ == name) return p.get();
  return nullptr;
}

Parameter &ParameterSet::real(const char *name, double *value, const char *help) {
  Parameter &p    = add(name, ParameterType::Real, help);
  p.show_         = [value, &p] { return p.formatReal(*value); };
  p.identityText_ = [value] { return identityReal(*value); };
  p.attribute_    = [value] { return AttributeValue(*value); };
  p.parse_        = [value, &p](const std::string &s) -> std::string {
    for (const auto &sp : p.specials_)
      if (s == sp.first) {
        *value = sp.second;
        return "";
      }
    double v = 0;
    if (!parseReal(s, &v)) return ": '" + s + "' is not a number";
    if (!std::isfinite(v)) return ": " + s + " is not a finite number";
    const std::string range = p.checkRange(v);
    if (!range.empty()) return " " + range + " (got " + s + ")";
    *value = v;
    return "";
  };
  p.default_ = p.show_();
  return p;
}

Parameter &ParameterSet::flag(const char *name, bool *value, const char *help) {
  Parameter &p    = add(name, ParameterType::Flag, help);
  p.show_         = [value] { return std::string(*value ? "true" : "false"); };
  p.identityText_ = [value] { return std::string(*value ? "1" : "0"); };
  p.attribute_    = [value] { return AttributeValue(static_cast<long long>(*value)); };
  p.parse_        = [value](const std::string &s) -> std::string {
    // A bare "-quiet" arrives as an empty string.
    if (s.empty() || s == "1" || s == "true" || s == "yes" || s == "on")
      *value = true;
    else if (s == "0" || s == "false" || s == "no" || s == "off")
      *value = false;
    else
      return ": '" + s + "' is not true or false";
    return "";
  };
  p.default_ = p.show_();
  return p;
}

Parameter &ParameterSet::text(const char *name, std::string *value, const char *help) {
  Parameter &p    = add(name, ParameterType::Text, help);
  p.show_         = [value] { return *value; };
  p.identityText_ = p.show_;
  p.attribute_    = [value] { return AttributeValue(*value); };
  p.parse_        = [value](const std::string &s) -> std::string {
    *value = s;
    return "";
  };
  p.default_ = p.show_();
  return p;
}

namespace {
template <typename T, typename Format> std::string joinWith(const std::vector<T> &v, Format format) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i)
    out += (i ? "," : "") + format(v[i]);
  return out;
}
} // namespace

Parameter &ParameterSet::reals(const char *name, std::vector<double> *value, const char *help) {
  Parameter &p    = add(name, ParameterType::Reals, help);
  p.show_         = [value] { return joinWith(*value, shortestReal); };
  p.identityText_ = [value] { return joinWith(*value, identityReal); };
  p.attribute_    = [value] { return AttributeValue(*value); };
  p.parse_        = [value, &p](const std::string &s) -> std::string {
    std::vector<double> out;
    if (!s.empty())
      for (const auto &item : splitList(s, ',')) {
        double v = 0;
        if (!parseReal(item, &v)) return ": '" + item + "' is not a number";
        if (!std::isfinite(v)) return ": " + item + " is not a finite number";
        const std::string range = p.checkRange(v);
        if (!range.empty()) return ": " + item + " is not " + p.rangeText();
        out.push_back(v);
      }
    *value = std::move(out);
    return "";
  };
  p.default_ = p.show_();
  return p;
}

Parameter &ParameterSet::integers(const char *name, std::vector<PetscInt> *value, const char *help) {
  Parameter &p    = add(name, ParameterType::Integers, help);
  auto intText    = [](PetscInt v) { return std::to_string(v); };
  p.show_         = [value, intText] { return joinWith(*value, intText); };
  p.identityText_ = p.show_;
  p.attribute_    = [value] { return AttributeValue(std::vector<double>(value->begin(), value->end())); };
  p.parse_        = [value, &p](const std::string &s) -> std::string {
    std::vector<PetscInt> out;
    if (!s.empty())
      for (const auto &item : splitList(s, ',')) {
        long long v = 0;
        if (!parseInteger(item, &v)) return ": '" + item + "' is not an integer";
        if (v < std::numeric_limits<PetscInt>::min() || v > std::numeric_limits<PetscInt>::max())
          return ": " + item + " is out of range for an integer here";
        const std::string range = p.checkRange(static_cast<double>(v));
        if (!range.empty()) return ": " + item + " is not " + p.rangeText();
        out.push_back(static_cast<PetscInt>(v));
      }
    *value = std::move(out);
    return "";
  };
  p.default_ = p.show_();
  return p;
}

Parameter &ParameterSet::words(const char *name, std::vector<std::string> *value, const char *help) {
  Parameter &p    = add(name, ParameterType::Words, help);
  p.show_         = [value] { return joinWith(*value, [](const std::string &w) { return w; }); };
  p.identityText_ = p.show_;
  p.attribute_    = [&p] { return AttributeValue(p.show_()); };
  p.parse_        = [value](const std::string &s) -> std::string {
    std::vector<std::string> out;
    if (!s.empty())
      for (const auto &item : splitList(s, ',')) {
        if (item.empty()) return ": empty item in '" + s + "'";
        out.push_back(item);
      }
    *value = std::move(out);
    return "";
  };
  p.default_ = p.show_();
  return p;
}

PetscErrorCode ParameterSet::read(MPI_Comm comm) {
  std::map<std::string, int> seen;
  // Longer than any path: a truncated value would be read silently otherwise.
  std::vector<char> buf(16 * PETSC_MAX_PATH_LEN, '\0');
  PetscFunctionBeginUser;
  for (auto &p : params_) {
    PetscCheck(++seen[p->name_] == 1, comm, PETSC_ERR_PLIB, "parameter -%s declared twice", p->name_.c_str());
    PetscBool set            = PETSC_FALSE;
    const std::string option = "-" + p->name_;
    PetscCall(PetscOptionsGetString(nullptr, nullptr, option.c_str(), buf.data(), buf.size(), &set));
    p->given_ = set;
    if (!set) continue;
    PetscCheck(std::strlen(buf.data()) + 1 < buf.size(), comm, PETSC_ERR_USER_INPUT, "%s: value too long",
               option.c_str());
    const std::string error = p->parse_(buf.data());
    PetscCheck(error.empty(), comm, PETSC_ERR_USER_INPUT, "%s%s", option.c_str(), error.c_str());
  }
  PetscFunctionReturn(0);
}

std::vector<Attribute> ParameterSet::attributes() const {
  std::vector<Attribute> out;
  out.reserve(params_.size());
  for (const auto &p : params_)
    out.push_back({p->name_, p->attribute_()});
  return out;
}

std::string ParameterSet::identity() const {
  std::string out;
  for (const auto &p : params_)
    if (p->identity_) out += (out.empty() ? "" : ";") + p->name_ + "=" + p->identityText_();
  return out;
}

namespace {
std::string typeText(const Parameter &p) {
  std::string t           = p.type() == ParameterType::Choice ? p.choices() : parameterTypeName(p.type());
  const std::string range = p.rangeText();
  if (!range.empty()) t += " " + range;
  return t;
}
} // namespace

std::string ParameterSet::helpText() const {
  std::ostringstream o;
  std::string section;
  for (const auto &p : params_) {
    if (p->section_ != section) {
      section = p->section_;
      o << "\n" << section << "\n";
    }
    std::string value = p->text();
    if (value.empty()) value = "\"\"";
    std::string head       = "  -" + p->name_ + " " + value;
    const std::string type = "[" + typeText(*p) + "]";
    o << head << std::string(head.size() < 34 ? 34 - head.size() : 1, ' ') << type
      << std::string(type.size() < 20 ? 20 - type.size() : 1, ' ') << p->help_;
    if (p->text() != p->default_) o << " (default " << (p->default_.empty() ? "\"\"" : p->default_) << ")";
    o << "\n";
  }
  return o.str();
}

std::string ParameterSet::markdown() const {
  std::ostringstream o;
  std::string section;
  auto cell = [](std::string s) {
    std::string out;
    for (char c : s)
      out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  for (const auto &p : params_) {
    if (p->section_ != section || &p == &params_.front()) {
      section = p->section_;
      o << "\n**" << section << "**\n\n| option | default | type | meaning |\n|---|---|---|---|\n";
    }
    o << "| `-" << p->name_ << "` | " << (p->default_.empty() ? "" : "`" + cell(p->default_) + "`") << " | "
      << cell(typeText(*p)) << (p->identity_ ? ", identity" : "") << " | " << cell(p->help_) << " |\n";
  }
  return o.str();
}

} // namespace eqrnn
