#pragma once
// Declarative parameters. A command declares each of its parameters once, bound to the field of its
// configuration that holds it (the field's value at declaration is the default):
//
//     p.section("network");
//     p.real("tau", &spec.tau, "Time constant").above(0).identity();
//
// and from that one table come: reading from the PETSc options database (command line or YAML deck; every
// error names the option and the value), `eqrnn COMMAND -help`, the /parameters attributes of the output, and
// the identity string a checkpoint must match. Values are parsed here rather than by PETSc so that NaN/Inf,
// trailing junk, integer overflow and out-of-range values are refused with one clear line.
#include "core/attribute.hpp"
#include <petscsys.h>
#include <charconv>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace eqrnn {

// What -help shows as a parameter's type.
enum class ParameterType { Real, Integer, Flag, Text, Choice, Reals, Integers, Words };
const char *parameterTypeName(ParameterType type);

class Parameter {
public:
  // Range of the value (of every entry, for lists): inclusive or strict bounds.
  Parameter &atLeast(double lo) { return bound(lo, false, true); }
  Parameter &above(double lo) { return bound(lo, true, true); }
  Parameter &atMost(double hi) { return bound(hi, false, false); }
  Parameter &below(double hi) { return bound(hi, true, false); }
  // Part of the run's identity: a checkpoint written with another value belongs to another run.
  Parameter &identity() {
    identity_ = true;
    return *this;
  }
  // A word that stands for a value, e.g. "never" for +infinity (accepted on input, shown in -help).
  Parameter &special(const char *word, double value) {
    specials_.emplace_back(word, value);
    if (show_) default_ = show_(); // the default may be the special value
    return *this;
  }

  const std::string &name() const { return name_; }
  const std::string &help() const { return help_; }
  const std::string &section() const { return section_; }
  ParameterType type() const { return type_; }
  const std::string &choices() const { return choices_; } // "a|b|c" for a choice
  const std::string &defaultText() const { return default_; }
  std::string text() const { return show_(); } // the current value, as it would be given on the command line
  bool inIdentity() const { return identity_; }
  bool given() const { return given_; }
  std::string rangeText() const; // "> 0", "in [0, 1]", or empty

private:
  friend class ParameterSet;
  Parameter &bound(double v, bool strict, bool lower);
  // "" if v is in range, else what is wrong ("must be > 0").
  std::string checkRange(double v) const;
  std::string formatReal(double v) const; // shortest round trip, or a special word

  std::string name_, help_, section_, choices_, default_;
  ParameterType type_ = ParameterType::Real;
  bool identity_ = false, given_ = false;
  bool hasLo_ = false, hasHi_ = false, loStrict_ = false, hiStrict_ = false;
  double lo_ = 0, hi_ = 0;
  std::vector<std::pair<std::string, double>> specials_;
  std::function<std::string()> show_, identityText_;
  std::function<AttributeValue()> attribute_;
  std::function<std::string(const std::string &)> parse_; // sets the field; returns "" or the reason
};

class ParameterSet {
public:
  // Parameters declared after this belong to the section (a heading of -help).
  void section(std::string title) { section_ = std::move(title); }

  Parameter &real(const char *name, double *value, const char *help);
  // Any integer type; the value must fit it (unsigned types: >= 0).
  template <typename Int> Parameter &integer(const char *name, Int *value, const char *help);
  Parameter &flag(const char *name, bool *value, const char *help);
  Parameter &text(const char *name, std::string *value, const char *help);
  // One of a fixed list of words, each naming a value of the enumeration.
  template <typename Enum>
  Parameter &choice(const char *name, Enum *value, const std::vector<std::pair<const char *, Enum>> &names,
                    const char *help);
  // Comma-separated lists.
  Parameter &reals(const char *name, std::vector<double> *value, const char *help);
  Parameter &integers(const char *name, std::vector<PetscInt> *value, const char *help);
  Parameter &words(const char *name, std::vector<std::string> *value, const char *help);

  // Reads every declared parameter from the options database (marking it used) and validates its type and
  // range. Collective only in that every rank sees the same database; errors are user-input errors.
  PetscErrorCode read(MPI_Comm comm);
  // One attribute per parameter, in declaration order: reals as doubles, integers and flags as integers,
  // words and choices as strings, numeric lists as arrays of doubles, word lists as "a,b".
  std::vector<Attribute> attributes() const;
  // "name=value;..." over the identity parameters (reals with 17 significant digits).
  std::string identity() const;
  // eqrnn's own options, grouped by section: "-name value  [type]  help" (the default added when the
  // current value differs).
  std::string helpText() const;
  // The same as Markdown tables (docs/reference.md).
  std::string markdown() const;

  const std::vector<std::unique_ptr<Parameter>> &parameters() const { return params_; }
  const Parameter *find(const std::string &name) const;

private:
  Parameter &add(const char *name, ParameterType type, const char *help);
  std::string section_ = "options";
  std::vector<std::unique_ptr<Parameter>> params_;
};

// Strict parsers (exposed for tests): the whole string must be one number; false otherwise.
bool parseReal(const std::string &s, double *v);
bool parseInteger(const std::string &s, long long *v);
std::vector<std::string> splitList(const std::string &s, char sep);
// Shortest text that reads back as exactly v ("0.1", "1e-08", "inf").
std::string shortestReal(double v);
// 17 significant digits (the format of identity strings).
std::string identityReal(double v);

// "key=value;..." strings: the keys whose values differ, as "key old -> new, ..." (empty: none differ).
std::string identityDifferences(const std::string &recorded, const std::string &current);

// ---- templates -----------------------------------------------------------------------------------------

template <typename Int> Parameter &ParameterSet::integer(const char *name, Int *value, const char *help) {
  static_assert(std::is_integral_v<Int>, "integer parameters bind integer fields");
  Parameter &p = add(name, ParameterType::Integer, help);
  if (std::is_unsigned_v<Int>) p.atLeast(0);
  p.show_         = [value] { return std::to_string(*value); };
  p.identityText_ = p.show_;
  p.attribute_    = [value] { return AttributeValue(static_cast<long long>(*value)); };
  p.parse_        = [value, &p](const std::string &s) -> std::string {
    long long v = 0;
    if (!parseInteger(s, &v)) return ": '" + s + "' is not an integer";
    const bool fits         = std::is_unsigned_v<Int>
                                         ? v >= 0 && static_cast<unsigned long long>(v) <= std::numeric_limits<Int>::max()
                                         : v >= static_cast<long long>(std::numeric_limits<Int>::min()) &&
                                v <= static_cast<long long>(std::numeric_limits<Int>::max());
    const std::string range = p.checkRange(static_cast<double>(v));
    if (!range.empty()) return " " + range + " (got " + s + ")";
    if (!fits) return ": " + s + " is out of range for an integer here";
    *value = static_cast<Int>(v);
    return "";
  };
  p.default_ = p.show_();
  return p;
}

template <typename Enum>
Parameter &ParameterSet::choice(const char *name, Enum *value,
                                const std::vector<std::pair<const char *, Enum>> &names, const char *help) {
  Parameter &p = add(name, ParameterType::Choice, help);
  for (const auto &n : names)
    p.choices_ += (p.choices_.empty() ? "" : "|") + std::string(n.first);
  auto nameOf = [value, names] {
    for (const auto &n : names)
      if (n.second == *value) return std::string(n.first);
    return std::string("?");
  };
  p.show_         = nameOf;
  p.identityText_ = nameOf;
  p.attribute_    = [nameOf] { return AttributeValue(nameOf()); };
  p.parse_        = [value, names, &p](const std::string &s) -> std::string {
    for (const auto &n : names)
      if (s == n.first) {
        *value = n.second;
        return "";
      }
    return ": unknown value '" + s + "' (choose from " + p.choices_ + ")";
  };
  p.default_ = p.show_();
  return p;
}

} // namespace eqrnn
