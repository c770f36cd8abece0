#include "groups/finite_group.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <map>
#include <random>
#include <stdexcept>

namespace eqrnn {

namespace {

constexpr int kMaxPoint = 1 << 20; // bounds the image lists a parsed string can allocate

using Cycle = std::vector<int>; // 1-based points

bool isBlank(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}
bool isDigit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

std::string unexpected(const std::string &text, std::size_t i) {
  return std::string("expected a point number, found '") + text[i] + "' at position " + std::to_string(i + 1);
}

// Reads the decimal point number at text[*pos] (a digit) and checks it against the cycle so far.
bool readPoint(const std::string &text, std::size_t *pos, const Cycle &cycle, int *point,
               std::string *error) {
  std::size_t i   = *pos;
  long long value = 0;
  for (; i < text.size() && isDigit(text[i]); ++i) {
    value = value * 10 + (text[i] - '0');
    if (value > kMaxPoint) {
      *error = "point number too large (max " + std::to_string(kMaxPoint) + ")";
      return false;
    }
  }
  if (i < text.size() && !isBlank(text[i]) && text[i] != ',' && text[i] != ')') {
    *error = unexpected(text, i);
    return false;
  }
  *point = static_cast<int>(value);
  *pos   = i;
  if (*point < 1)
    *error = "point " + std::to_string(*point) + " < 1 (points are 1-based)";
  else if (std::find(cycle.begin(), cycle.end(), *point) != cycle.end())
    *error = "point " + std::to_string(*point) + " repeated within one cycle";
  return error->empty();
}

// Reads one cycle starting just after '(' at text[*pos - 1]; leaves *pos after ')'.
bool parseCycle(const std::string &text, std::size_t *pos, Cycle *cycle, std::string *error) {
  const std::size_t open = *pos - 1;
  for (std::size_t i = *pos; i < text.size();) {
    const char c = text[i];
    if (c == ')') {
      *pos = i + 1;
      return true;
    }
    if (isBlank(c) || c == ',') {
      ++i;
      continue;
    }
    if (c == '(')
      *error = "nested '(' at position " + std::to_string(i + 1);
    else if (!isDigit(c))
      *error = unexpected(text, i);
    int point = 0;
    if (!error->empty() || !readPoint(text, &i, *cycle, &point, error)) return false;
    cycle->push_back(point);
  }
  *error = "unbalanced '(' at position " + std::to_string(open + 1) + " (missing ')')";
  return false;
}

// Splits the text into generators, each a list of cycles.
bool splitGenerators(const std::string &text, std::vector<std::vector<Cycle>> *out, std::string *error) {
  std::vector<Cycle> current;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (isBlank(c)) {
      ++i;
    } else if (c == '(') {
      Cycle cycle;
      ++i;
      if (!parseCycle(text, &i, &cycle, error)) return false;
      current.push_back(std::move(cycle));
    } else if (c == ',' || c == ';') {
      if (current.empty()) {
        *error = "empty generator before separator at position " + std::to_string(i + 1);
        return false;
      }
      out->push_back(std::move(current));
      current.clear();
      ++i;
    } else if (c == ')') {
      *error = "unbalanced ')' at position " + std::to_string(i + 1);
      return false;
    } else {
      *error = std::string("unexpected character '") + c + "' at position " + std::to_string(i + 1);
      return false;
    }
  }
  if (current.empty()) {
    *error = out->empty() ? "empty generator list" : "separator not followed by a generator";
    return false;
  }
  out->push_back(std::move(current));
  return true;
}

// Product of cycles c_1 c_2 ... c_m acting right to left (c_m first), as 0-based images on `points` points.
std::vector<int> cyclesToImages(const std::vector<Cycle> &cycles, int points) {
  std::vector<int> images(points);
  for (int x = 0; x < points; ++x)
    images[x] = x;
  for (auto it = cycles.rbegin(); it != cycles.rend(); ++it) {
    std::vector<int> step(points);
    for (int x = 0; x < points; ++x)
      step[x] = x;
    const Cycle &c = *it;
    for (std::size_t k = 0; k < c.size(); ++k)
      step[c[k] - 1] = c[(k + 1) % c.size()] - 1;
    for (int x = 0; x < points; ++x)
      images[x] = step[images[x]];
  }
  return images;
}

std::string cycleLabel(const std::vector<int> &images) {
  std::string label;
  std::vector<bool> seen(images.size(), false);
  for (std::size_t start = 0; start < images.size(); ++start) {
    if (seen[start] || images[start] == static_cast<int>(start)) continue;
    label += "(" + std::to_string(start + 1);
    seen[start] = true;
    for (int x = images[start]; x != static_cast<int>(start); x = images[x]) {
      label += " " + std::to_string(x + 1);
      seen[x] = true;
    }
    label += ")";
  }
  return label.empty() ? "e" : label;
}

bool isPermutation(const std::vector<int> &images) {
  std::vector<bool> hit(images.size(), false);
  for (int y : images) {
    if (y < 0 || y >= static_cast<int>(images.size()) || hit[y]) return false;
    hit[y] = true;
  }
  return true;
}

// Breadth-first closure: element k = perms[k]; element parent[k] * generator via[k] = k (k > 0); right[k * s
// + i] is element k times generator i.
struct Closure {
  std::vector<std::vector<int>> perms;
  std::vector<int> parent, via, right;
};

bool validateGenerators(const std::vector<std::vector<int>> &generators, int maxOrder, std::string *error) {
  if (maxOrder < 1) {
    *error = "maxOrder must be >= 1";
    return false;
  }
  for (const auto &g : generators) {
    if (g.size() != generators[0].size()) {
      *error = "generators act on different numbers of points";
      return false;
    }
    if (!isPermutation(g)) {
      *error = "a generator is not a permutation of 0.." + std::to_string(g.size()) + "-1";
      return false;
    }
  }
  return true;
}

bool closePermutations(const std::vector<std::vector<int>> &generators, int maxOrder, Closure *out,
                       std::string *error) {
  if (!validateGenerators(generators, maxOrder, error)) return false;
  const std::size_t points = generators.empty() ? 0 : generators[0].size();
  const int s              = static_cast<int>(generators.size());
  std::vector<int> identity(points);
  for (std::size_t x = 0; x < points; ++x)
    identity[x] = static_cast<int>(x);
  std::map<std::vector<int>, int> index{{identity, 0}};
  out->perms  = {identity};
  out->parent = {0};
  out->via    = {-1};
  out->right.clear();
  for (std::size_t k = 0; k < out->perms.size(); ++k) {
    for (int i = 0; i < s; ++i) {
      std::vector<int> next(points);
      for (std::size_t x = 0; x < points; ++x)
        next[x] = out->perms[k][generators[i][x]];
      auto found = index.find(next);
      if (found == index.end()) {
        if (static_cast<int>(out->perms.size()) >= maxOrder) {
          *error = "group order exceeds maxOrder = " + std::to_string(maxOrder);
          return false;
        }
        found = index.emplace(next, static_cast<int>(out->perms.size())).first;
        out->perms.push_back(std::move(next));
        out->parent.push_back(static_cast<int>(k));
        out->via.push_back(i);
      }
      out->right.push_back(found->second);
    }
  }
  return true;
}

// a*b = a * (parent(b) * via(b)) = (a * parent(b)) * via(b): rows filled column by column in BFS order.
CayleyTable tableFromClosure(const Closure &c, int numGenerators) {
  CayleyTable t;
  t.order     = static_cast<int>(c.perms.size());
  const int n = t.order;
  t.product.assign(static_cast<std::size_t>(n) * n, 0);
  t.inverse.assign(n, 0);
  for (int a = 0; a < n; ++a) {
    int *row = &t.product[static_cast<std::size_t>(a) * n];
    row[0]   = a;
    for (int b = 1; b < n; ++b)
      row[b] = c.right[static_cast<std::size_t>(row[c.parent[b]]) * numGenerators + c.via[b]];
    for (int b = 0; b < n; ++b)
      if (row[b] == 0) t.inverse[a] = b;
  }
  return t;
}

CayleyTable closeOrThrow(const std::vector<std::vector<int>> &generators) {
  CayleyTable t;
  std::string error;
  if (!permutationGroup(generators, INT_MAX, &t, &error))
    throw std::logic_error("permutationGroup: " + error);
  return t;
}

std::vector<int> cycleImages(std::vector<int> cycle1Based, int points) {
  return cyclesToImages({std::move(cycle1Based)}, points);
}

// Quaternion units 1,-1,i,-i,j,-j,k,-k as 2*axis + negative.
int quaternionProduct(int a, int b) {
  // kUnit[p][q] = product of basis units (1,i,j,k) as {axis, negative}.
  static const int kUnit[4][4][2] = {{{0, 0}, {1, 0}, {2, 0}, {3, 0}},
                                     {{1, 0}, {0, 1}, {3, 0}, {2, 1}},
                                     {{2, 0}, {3, 1}, {0, 1}, {1, 0}},
                                     {{3, 0}, {2, 0}, {1, 1}, {0, 1}}};
  const int *u                    = kUnit[a / 2][b / 2];
  return 2 * u[0] + ((a % 2) ^ (b % 2) ^ u[1]);
}

} // namespace

bool parseCycleNotation(const std::string &text, int *points, std::vector<std::vector<int>> *generators,
                        std::string *error) {
  error->clear(); // the parsers below treat a non-empty *error as failure
  std::vector<std::vector<Cycle>> parsed;
  if (!splitGenerators(text, &parsed, error)) return false;
  int maxPoint = 0;
  for (const auto &gen : parsed)
    for (const auto &cycle : gen)
      for (int p : cycle)
        maxPoint = std::max(maxPoint, p);
  generators->clear();
  for (const auto &gen : parsed)
    generators->push_back(cyclesToImages(gen, maxPoint));
  *points = maxPoint;
  return true;
}

bool permutationGroup(const std::vector<std::vector<int>> &generators, int maxOrder, CayleyTable *table,
                      std::string *error) {
  Closure closure;
  if (!closePermutations(generators, maxOrder, &closure, error)) return false;
  *table = tableFromClosure(closure, static_cast<int>(generators.size()));
  table->labels.clear();
  for (const auto &p : closure.perms)
    table->labels.push_back(cycleLabel(p));
  return true;
}

CayleyTable symmetricGroup(int n) {
  if (n <= 1) return closeOrThrow({});
  std::vector<int> longCycle(n);
  for (int i = 0; i < n; ++i)
    longCycle[i] = i + 1;
  return closeOrThrow({cycleImages({1, 2}, n), cycleImages(longCycle, n)});
}

CayleyTable alternatingGroup(int n) {
  std::vector<std::vector<int>> generators;
  for (int k = 3; k <= n; ++k)
    generators.push_back(cycleImages({1, 2, k}, n));
  return closeOrThrow(generators);
}

CayleyTable quaternionGroup() {
  std::vector<std::vector<int>> generators(2, std::vector<int>(8));
  for (int x = 0; x < 8; ++x) {
    generators[0][x] = quaternionProduct(2, x); // left multiplication by i
    generators[1][x] = quaternionProduct(4, x); // left multiplication by j
  }
  Closure closure;
  std::string error;
  if (!closePermutations(generators, 8, &closure, &error))
    throw std::logic_error("quaternionGroup: " + error);
  CayleyTable t                = tableFromClosure(closure, 2);
  static const char *kNames[8] = {"1", "-1", "i", "-i", "j", "-j", "k", "-k"};
  for (const auto &p : closure.perms)
    t.labels.emplace_back(kNames[p[0]]); // L_q maps "1" to q
  return t;
}

CayleyTable dihedralTable(int n) {
  n = std::max(n, 1);
  CayleyTable t;
  t.order = 2 * n;
  t.product.resize(static_cast<std::size_t>(t.order) * t.order);
  t.inverse.resize(t.order);
  for (int a = 0; a < t.order; ++a) {
    const int j = a / 2, e = a % 2;
    for (int b = 0; b < t.order; ++b) {
      const int k = b / 2, f = b % 2;
      const int r                                          = ((j + (e ? -k : k)) % n + n) % n;
      t.product[static_cast<std::size_t>(a) * t.order + b] = 2 * r + (e ^ f);
    }
    t.inverse[a]      = e ? a : 2 * ((n - j) % n);
    std::string label = j == 0 ? "" : "r^" + std::to_string(j);
    if (e) label += label.empty() ? "s" : " s";
    t.labels.push_back(label.empty() ? "e" : label);
  }
  return t;
}

std::vector<std::vector<int>> conjugacyClasses(const CayleyTable &table) {
  const int n = table.order;
  auto mul    = [&](int a, int b) { return table.product[static_cast<std::size_t>(a) * n + b]; };
  std::vector<bool> assigned(n, false);
  std::vector<std::vector<int>> classes;
  for (int g = 0; g < n; ++g) {
    if (assigned[g]) continue;
    std::vector<int> cls;
    for (int h = 0; h < n; ++h) {
      const int c = mul(mul(h, g), table.inverse[h]);
      if (!assigned[c]) cls.push_back(c);
      assigned[c] = true;
    }
    std::sort(cls.begin(), cls.end());
    classes.push_back(std::move(cls));
  }
  return classes;
}

int elementOrder(const CayleyTable &table, int g) {
  int k = 1;
  for (int x = g; x != 0 && k <= table.order; ++k)
    x = table.product[static_cast<std::size_t>(x) * table.order + g];
  return k;
}

namespace {

bool checkShape(const CayleyTable &t, std::string *error) {
  const std::size_t n = t.order < 1 ? 0 : static_cast<std::size_t>(t.order);
  if (n == 0 || t.product.size() != n * n || t.inverse.size() != n ||
      (!t.labels.empty() && t.labels.size() != n)) {
    *error = "table sizes do not match order " + std::to_string(t.order);
    return false;
  }
  for (int v : t.product)
    if (v < 0 || v >= t.order) {
      *error = "product entry " + std::to_string(v) + " out of range";
      return false;
    }
  return true;
}

bool associative(const CayleyTable &t, int a, int b, int c) {
  const std::size_t n = t.order;
  const int ab = t.product[a * n + b], bc = t.product[b * n + c];
  return t.product[ab * n + c] == t.product[a * n + bc];
}

} // namespace

bool checkGroupAxioms(const CayleyTable &t, std::string *error) {
  if (!checkShape(t, error)) return false;
  const int n = t.order;
  auto mul    = [&](int a, int b) { return t.product[static_cast<std::size_t>(a) * n + b]; };
  for (int a = 0; a < n; ++a) {
    if (mul(0, a) != a || mul(a, 0) != a) {
      *error = "element 0 is not an identity (fails at " + std::to_string(a) + ")";
      return false;
    }
    const int inv = t.inverse[a];
    if (inv < 0 || inv >= n || mul(a, inv) != 0 || mul(inv, a) != 0) {
      *error = "inverse[" + std::to_string(a) + "] is not an inverse";
      return false;
    }
  }
  if (n <= 200) {
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b)
        for (int c = 0; c < n; ++c)
          if (!associative(t, a, b, c)) {
            *error = "not associative at (" + std::to_string(a) + "," + std::to_string(b) + "," +
                     std::to_string(c) + ")";
            return false;
          }
    return true;
  }
  std::mt19937_64 rng(20240601); // fixed: the check must not depend on the run
  for (int trial = 0; trial < 1000000; ++trial) {
    const int a = static_cast<int>(rng() % n), b = static_cast<int>(rng() % n),
              c = static_cast<int>(rng() % n);
    if (!associative(t, a, b, c)) {
      *error = "not associative at (" + std::to_string(a) + "," + std::to_string(b) + "," +
               std::to_string(c) + ")";
      return false;
    }
  }
  return true;
}

} // namespace eqrnn
