#include "groups/group.hpp"

#include "core/parameters.hpp"
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace eqrnn {

namespace {
constexpr int kIrrepSeed = 20261123; // fixed: every rank computes bitwise the same irreps

Complex unitRoot(PetscInt k, PetscInt n) {
  const double t = 2.0 * M_PI * static_cast<double>(k % n) / static_cast<double>(n);
  return {std::cos(t), std::sin(t)};
}

// Materialises a factor's analytic irreps on its Cayley table, then fills characters and classes.
std::shared_ptr<IrrepSet> materialise(const GroupFactor &f) {
  auto set = std::make_shared<IrrepSet>();
  for (int k = 0; k < f.irrepCount(); ++k) {
    Irrep r;
    r.dim = f.irrepDim(k);
    r.matrices.resize(static_cast<std::size_t>(f.order() * r.dim * r.dim));
    for (PetscInt a = 0; a < f.order(); ++a)
      f.irrepMatrix(k, a, r.matrices.data() + a * r.dim * r.dim);
    set->irreps.push_back(std::move(r));
  }
  completeIrrepSet(f.table(), set.get());
  return set;
}

std::shared_ptr<CayleyTable> tableOf(const GroupFactor &f) {
  auto t   = std::make_shared<CayleyTable>();
  t->order = static_cast<int>(f.order());
  t->product.resize(static_cast<std::size_t>(t->order) * t->order);
  t->inverse.resize(static_cast<std::size_t>(t->order));
  for (PetscInt a = 0; a < f.order(); ++a) {
    t->inverse[a] = static_cast<int>(f.inverse(a));
    t->labels.push_back(f.label(a));
    for (PetscInt b = 0; b < f.order(); ++b)
      t->product[a * f.order() + b] = static_cast<int>(f.multiply(a, b));
  }
  return t;
}

bool parseOrder(const std::string &spec, const std::string &token, long long *n, std::string *error) {
  const std::string digits = token.substr(1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
      !parseInteger(digits, n)) {
    *error = "group '" + spec + "': factor '" + token + "' needs a positive integer, e.g. " + token[0] + "6";
    return false;
  }
  if (*n < 1) {
    *error =
        "group '" + spec + "': factor '" + token + "' has order " + std::to_string(*n) + " (must be >= 1)";
    return false;
  }
  return true;
}

bool makeFactor(const std::string &spec, const std::string &token, const std::string &permutations,
                std::shared_ptr<const GroupFactor> *factor, std::string *error) {
  long long n = 0;
  if (token == "Q8") {
    *factor = std::make_shared<FiniteFactor>("Q8", quaternionGroup());
    return true;
  }
  if (token == "P") {
    int points = 0;
    std::vector<std::vector<int>> gens;
    CayleyTable t;
    if (permutations.empty()) {
      *error = "group '" + spec + "': factor P needs -group_generators, e.g. \"(1 2)(3 4), (1 3)\"";
      return false;
    }
    if (!parseCycleNotation(permutations, &points, &gens, error)) return false;
    if (!permutationGroup(gens, 1000, &t, error)) return false;
    *factor = std::make_shared<FiniteFactor>("P", std::move(t));
    return true;
  }
  if (token.empty() || std::string("ZDSA").find(token[0]) == std::string::npos) {
    *error =
        "group '" + spec + "': unknown factor '" + token + "' (supported: Z<n>, D<n>, S<n>, A<n>, Q8, P)";
    return false;
  }
  if (!parseOrder(spec, token, &n, error)) return false;
  if ((token[0] == 'S' || token[0] == 'A') && n > 6) {
    *error = "group '" + spec + "': " + token + " is too large (S<n> and A<n> are supported up to n = 6)";
    return false;
  }
  if (n > kMaxGroupOrder) {
    *error = "group '" + spec + "' is too large for this PETSc build's integer size";
    return false;
  }
  const auto m = static_cast<PetscInt>(n);
  switch (token[0]) {
  case 'Z':
    *factor = std::make_shared<CyclicFactor>(m);
    break;
  case 'D':
    *factor = std::make_shared<DihedralFactor>(m);
    break;
  case 'S':
    *factor = std::make_shared<FiniteFactor>(token, symmetricGroup(static_cast<int>(n)));
    break;
  default:
    *factor = std::make_shared<FiniteFactor>(token, alternatingGroup(static_cast<int>(n)));
  }
  return true;
}
} // namespace

Complex GroupFactor::character(int k, PetscInt a) const {
  const int d = irrepDim(k);
  std::vector<Complex> rho(static_cast<std::size_t>(d * d));
  irrepMatrix(k, a, rho.data());
  Complex t = 0;
  for (int i = 0; i < d; ++i)
    t += rho[i * d + i];
  return t;
}

// ---- Z_n -------------------------------------------------------------------------------------------------
void CyclicFactor::irrepMatrix(int k, PetscInt a, Complex *rho) const {
  rho[0] = unitRoot(k * a, n_);
}

const IrrepSet &CyclicFactor::irreps() const {
  if (!irreps_) irreps_ = materialise(*this);
  return *irreps_;
}

const CayleyTable &CyclicFactor::table() const {
  if (!table_) table_ = tableOf(*this);
  return *table_;
}

// ---- D_n: r^j s^e is 2j + e, (r^j s^e)(r^k s^f) = r^(j + (-1)^e k) s^(e+f)
// ------------------------------------
DihedralFactor::DihedralFactor(PetscInt n) : n_(n) {
  // Classes: {r^j, r^-j}; the reflections form one class (odd n) or two (even n: r^even s and r^odd s).
  // Numbered by their smallest element index, as conjugacyClasses() numbers them.
  std::vector<PetscInt> smallest(static_cast<std::size_t>(2 * n));
  for (PetscInt j = 0; j < n; ++j) {
    smallest[2 * j]     = 2 * std::min(j, (n - j) % n);
    smallest[2 * j + 1] = (n % 2 == 1 || j % 2 == 0) ? 1 : 3;
  }
  std::vector<PetscInt> reps(smallest);
  std::sort(reps.begin(), reps.end());
  reps.erase(std::unique(reps.begin(), reps.end()), reps.end());
  classes_ = static_cast<PetscInt>(reps.size());
  classOf_.resize(smallest.size());
  for (std::size_t a = 0; a < smallest.size(); ++a)
    classOf_[a] =
        static_cast<PetscInt>(std::lower_bound(reps.begin(), reps.end(), smallest[a]) - reps.begin());
}

PetscInt DihedralFactor::multiply(PetscInt a, PetscInt b) const {
  const PetscInt j = a / 2, e = a % 2, k = b / 2, f = b % 2;
  const PetscInt r = ((e ? j - k : j + k) % n_ + n_) % n_;
  return 2 * r + (e ^ f);
}

PetscInt DihedralFactor::inverse(PetscInt a) const {
  if (a % 2 == 1) return a; // reflections are involutions
  return 2 * ((n_ - a / 2) % n_);
}

std::vector<PetscInt> DihedralFactor::generators() const {
  std::vector<PetscInt> g{1}; // s
  if (n_ > 1) g.push_back(2); // r
  return g;
}

std::string DihedralFactor::label(PetscInt a) const {
  const PetscInt j = a / 2;
  std::string r    = j == 0 ? "" : (j == 1 ? "r" : "r^" + std::to_string(j));
  if (a % 2 == 1) return r.empty() ? "s" : r + " s";
  return r.empty() ? "e" : r;
}

int DihedralFactor::irrepCount() const {
  return oneDimensional() + static_cast<int>((n_ - 1) / 2);
}

void DihedralFactor::irrepMatrix(int k, PetscInt a, Complex *rho) const {
  const PetscInt j = a / 2, e = a % 2;
  if (k < oneDimensional()) {
    const double chiR = k >= 2 ? -1.0 : 1.0, chiS = k % 2 == 1 ? -1.0 : 1.0;
    rho[0] = std::pow(chiR, static_cast<double>(j % 2)) * (e ? chiS : 1.0);
    return;
  }
  const PetscInt m = k - oneDimensional() + 1;
  const Complex w  = unitRoot(m * j, n_);
  const double c = w.real(), sn = w.imag();
  // Real orthogonal form: rho(r^j) the rotation by 2 pi m j / n, rho(s) = diag(1, -1), rho(r^j s) = their
  // product.
  rho[0] = c;
  rho[1] = e ? sn : -sn;
  rho[2] = sn;
  rho[3] = e ? -c : c;
}

std::string DihedralFactor::irrepLabel(int k) const {
  static const char *one[] = {"A1", "A2", "B1", "B2"};
  if (k < oneDimensional()) return one[k];
  return "E" + std::to_string(k - oneDimensional() + 1);
}

const IrrepSet &DihedralFactor::irreps() const {
  if (!irreps_) irreps_ = materialise(*this);
  return *irreps_;
}

const CayleyTable &DihedralFactor::table() const {
  if (!table_) table_ = tableOf(*this);
  return *table_;
}

// ---- small groups from a Cayley table ---------------------------------------------------------------------
FiniteFactor::FiniteFactor(std::string name, CayleyTable table)
    : name_(std::move(name)), table_(std::move(table)) {
  classes_ = conjugacyClasses(table_);
  classOf_.assign(static_cast<std::size_t>(table_.order), 0);
  for (std::size_t c = 0; c < classes_.size(); ++c)
    for (int a : classes_[c])
      classOf_[a] = static_cast<PetscInt>(c);
  // A generating set: greedily add elements until the generated subgroup is everything.
  std::vector<char> in(static_cast<std::size_t>(table_.order), 0);
  in[0]          = 1;
  PetscInt count = 1;
  for (PetscInt g = 1; g < table_.order && count < table_.order; ++g) {
    if (in[g]) continue;
    generators_.push_back(g);
    std::vector<int> frontier;
    for (int a = 0; a < table_.order; ++a)
      if (in[a]) frontier.push_back(a);
    while (!frontier.empty()) {
      std::vector<int> next;
      for (int a : frontier)
        for (PetscInt s : generators_) {
          const int b = table_.product[a * table_.order + s];
          if (!in[b]) in[b] = 1, ++count, next.push_back(b);
        }
      frontier = std::move(next);
    }
  }
}

void FiniteFactor::irrepMatrix(int k, PetscInt a, Complex *rho) const {
  const Irrep &r = irreps().irreps[k];
  std::copy_n(r.matrices.begin() + a * r.dim * r.dim, r.dim * r.dim, rho);
}

bool FiniteFactor::prepareIrreps(std::string *error) const {
  if (irreps_) return true;
  auto set = std::make_shared<IrrepSet>();
  if (!computeIrreps(table_, kIrrepSeed, set.get(), error)) {
    *error = "irreps of " + name_ + ": " + *error;
    return false;
  }
  irreps_ = set;
  return true;
}

const IrrepSet &FiniteFactor::irreps() const {
  static const IrrepSet none;
  std::string error;
  return prepareIrreps(&error) ? *irreps_ : none; // parse() has reported a failure already
}

// ---- products
// -----------------------------------------------------------------------------------------------
Group::Group(std::vector<std::shared_ptr<const GroupFactor>> factors) : factors_(std::move(factors)) {
  const std::size_t k = factors_.size();
  axisOrders_.assign(k, 1);
  quotientOrders_.assign(k, 1);
  axisStrides_.assign(k, 1);
  quotientStrides_.assign(k, 1);
  PetscInt axes  = 1;
  quotientOrder_ = 1;
  for (std::size_t i = k; i-- > 0;) {
    axisOrders_[i]      = factors_[i]->axisOrder();
    quotientOrders_[i]  = factors_[i]->quotientOrder();
    axisStrides_[i]     = axes;
    quotientStrides_[i] = quotientOrder_;
    axes *= axisOrders_[i];
    quotientOrder_ *= quotientOrders_[i];
  }
  order_ = axes * quotientOrder_;
  for (const auto &f : factors_)
    spec_ += (spec_.empty() ? "" : "x") + f->name();
}

bool Group::parse(const std::string &spec, Group *group, std::string *error,
                  const std::string &permutations) {
  if (spec.empty()) {
    *error = "group spec is empty (e.g. Z256, Z64xZ48, D12, S3xZ64)";
    return false;
  }
  std::vector<std::shared_ptr<const GroupFactor>> factors;
  long double order = 1;
  for (const auto &token : splitList(spec, 'x')) {
    if (token.empty()) {
      *error = "group '" + spec + "': empty factor (factors are joined by 'x', e.g. Z64xZ48)";
      return false;
    }
    std::shared_ptr<const GroupFactor> f;
    if (!makeFactor(spec, token, permutations, &f, error)) return false;
    // The numerical irreps now (deterministic, the same on every rank): a failure is a one-line error here,
    // not later in the middle of a collective computation.
    if (const auto *finite = dynamic_cast<const FiniteFactor *>(f.get());
        finite && !finite->prepareIrreps(error))
      return false;
    order *= static_cast<long double>(f->order());
    if (order > static_cast<long double>(kMaxGroupOrder)) {
      *error = "group '" + spec + "' is too large for this PETSc build's integer size";
      return false;
    }
    factors.push_back(std::move(f));
  }
  *group = Group(std::move(factors));
  return true;
}

bool Group::isAbelian() const {
  for (const auto &f : factors_)
    if (!f->isCyclic()) return false;
  return true;
}

std::vector<PetscInt> Group::factorOrders() const {
  std::vector<PetscInt> n;
  for (const auto &f : factors_)
    n.push_back(f->order());
  return n;
}

std::vector<PetscInt> Group::axisCoordinates(PetscInt g) const {
  std::vector<PetscInt> c(factors_.size());
  const PetscInt a = g / quotientOrder_;
  for (std::size_t i = 0; i < factors_.size(); ++i)
    c[i] = (a / axisStrides_[i]) % axisOrders_[i];
  return c;
}

std::vector<PetscInt> Group::coordinates(PetscInt g) const {
  std::vector<PetscInt> c(factors_.size());
  const PetscInt a = g / quotientOrder_, q = g % quotientOrder_;
  for (std::size_t i = 0; i < factors_.size(); ++i)
    c[i] = ((a / axisStrides_[i]) % axisOrders_[i]) * quotientOrders_[i] +
           (q / quotientStrides_[i]) % quotientOrders_[i];
  return c;
}

PetscInt Group::index(const std::vector<PetscInt> &coords) const {
  PetscInt a = 0, q = 0;
  for (std::size_t i = 0; i < factors_.size(); ++i) {
    a += (coords[i] / quotientOrders_[i]) * axisStrides_[i];
    q += (coords[i] % quotientOrders_[i]) * quotientStrides_[i];
  }
  return a * quotientOrder_ + q;
}

bool Group::flipsAxis(PetscInt q, std::size_t axis) const {
  return factors_[axis]->reflects((q / quotientStrides_[axis]) % quotientOrders_[axis]);
}

PetscInt Group::quotientMultiply(PetscInt p, PetscInt q) const {
  // Finite parts multiply factor by factor; a factor's finite part is its element with axis coordinate 0
  // (for D_n, {e, s} is a subgroup), so the product of two such elements is again one.
  PetscInt r = 0;
  for (std::size_t i = 0; i < factors_.size(); ++i) {
    const PetscInt pi = (p / quotientStrides_[i]) % quotientOrders_[i];
    const PetscInt qi = (q / quotientStrides_[i]) % quotientOrders_[i];
    r += factors_[i]->multiply(pi, qi) * quotientStrides_[i];
  }
  return r;
}

PetscInt Group::quotientInverse(PetscInt q) const {
  PetscInt r = 0;
  for (std::size_t i = 0; i < factors_.size(); ++i)
    r += factors_[i]->inverse((q / quotientStrides_[i]) % quotientOrders_[i]) * quotientStrides_[i];
  return r;
}

PetscInt Group::multiply(PetscInt a, PetscInt b) const {
  const auto ca = coordinates(a), cb = coordinates(b);
  std::vector<PetscInt> c(ca.size());
  for (std::size_t i = 0; i < c.size(); ++i)
    c[i] = factors_[i]->multiply(ca[i], cb[i]);
  return index(c);
}

PetscInt Group::inverse(PetscInt a) const {
  auto c = coordinates(a);
  for (std::size_t i = 0; i < c.size(); ++i)
    c[i] = factors_[i]->inverse(c[i]);
  return index(c);
}

std::vector<PetscInt> Group::generators() const {
  std::vector<PetscInt> gens;
  for (std::size_t i = 0; i < factors_.size(); ++i)
    for (PetscInt s : factors_[i]->generators()) {
      if (s == 0) continue;
      std::vector<PetscInt> c(factors_.size(), 0);
      c[i] = s;
      gens.push_back(index(c));
    }
  return gens;
}

std::string Group::label(PetscInt g) const {
  const auto c = coordinates(g);
  if (c.size() == 1) return factors_[0]->label(c[0]);
  std::string s = "(";
  for (std::size_t i = 0; i < c.size(); ++i)
    s += (i ? ", " : "") + factors_[i]->label(c[i]);
  return s + ")";
}

PetscInt Group::classCount() const {
  PetscInt n = 1;
  for (const auto &f : factors_)
    n *= f->classCount();
  return n;
}

PetscInt Group::classOf(PetscInt g) const {
  const auto c = coordinates(g);
  PetscInt k   = 0;
  for (std::size_t i = 0; i < c.size(); ++i)
    k = k * factors_[i]->classCount() + factors_[i]->classOf(c[i]);
  return k;
}

PetscErrorCode parseGroup(MPI_Comm comm, const std::string &spec, Group *group,
                          const std::string &permutations) {
  std::string error;
  PetscFunctionBeginUser;
  PetscCheck(Group::parse(spec, group, &error, permutations), comm, PETSC_ERR_USER_INPUT, "%s",
             error.c_str());
  PetscFunctionReturn(0);
}

AxisCursor::AxisCursor(const Group &group, PetscInt g)
    : group_(&group), coordinates_(group.axisCoordinates(g)), q_(g % group.quotientOrder()) {
  const auto &stride = group.axisStrides();
  for (std::size_t i = 0; i < stride.size(); ++i)
    if (group.axisOrders()[i] > 1) fastest_.push_back(i);
  std::sort(fastest_.begin(), fastest_.end(),
            [&](std::size_t a, std::size_t b) { return stride[a] < stride[b]; });
}

void AxisCursor::next() {
  if (++q_ < group_->quotientOrder()) return;
  q_ = 0;
  for (std::size_t i : fastest_) {
    if (++coordinates_[i] < group_->axisOrders()[i]) return;
    coordinates_[i] = 0;
  }
}

} // namespace eqrnn
