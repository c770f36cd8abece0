#include "analysis/symmetry.hpp"

#include "core/collective.hpp"
#include "core/log_event.hpp"
#include "groups/group_action.hpp"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <sstream>

extern "C" void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                       double *work, const int *lwork, int *info);

namespace eqrnn {

namespace {

LogEvent evApply("SymApply"), evCorrelation("SymCorrelation"), evIsotropy("SymIsotropy"), evMatch("SymMatch"),
    evRepresentation("SymRepresentation"), evAverage("SymAverage");

// The automorphism of G that moves factor i to position perm[i] and negates the cyclic factors in `negate`
// (a bit per position, applied after the move), as a table g -> sigma(g).
std::vector<PetscInt> automorphismTable(const Group &G, const std::vector<std::size_t> &perm,
                                        unsigned negate) {
  std::vector<PetscInt> table(static_cast<std::size_t>(G.order()));
  const auto n = G.factorOrders();
  for (PetscInt g = 0; g < G.order(); ++g) {
    const auto c = G.coordinates(g);
    std::vector<PetscInt> d(c.size());
    for (std::size_t i = 0; i < c.size(); ++i)
      d[perm[i]] = c[i];
    for (std::size_t j = 0; j < d.size(); ++j)
      if (negate & (1u << j)) d[j] = (n[j] - d[j]) % n[j];
    table[g] = G.index(d);
  }
  return table;
}

// Deterministic state values from the global index alone (the same on any number of ranks).
PetscErrorCode fillProbe(Vec x) {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(VecGetArray(x, &a));
  for (PetscInt i = lo; i < hi; ++i) {
    const double t = static_cast<double>(i);
    a[i - lo]      = 0.9 * std::sin(12.9898 * t + 0.3) + 0.4 * std::cos(0.731 * t * t + 1.1);
  }
  PetscCall(VecRestoreArray(x, &a));
  PetscFunctionReturn(0);
}

std::string joinNames(const std::vector<std::string> &parts) {
  std::string s;
  for (const auto &p : parts)
    s += (s.empty() ? "" : " ") + p;
  return s.empty() ? "e" : s;
}

// Orthonormal eigenvectors of a symmetric k x k matrix (row-major) with eigenvalue <= tol, as columns of the
// returned k x r matrix (row-major).
std::vector<double> smallEigenvectors(std::vector<double> a, int k, double tol, int *r) {
  std::vector<double> w(static_cast<std::size_t>(k));
  int lwork = std::max(1, 3 * k), info = 0;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  dsyev_("V", "U", &k, a.data(), &k, w.data(), work.data(), &lwork, &info);
  // Column-major result: eigenvector j is a[j k .. j k + k).
  std::vector<int> keep;
  for (int j = 0; j < k; ++j)
    if (info == 0 && w[j] <= tol) keep.push_back(j);
  *r = static_cast<int>(keep.size());
  std::vector<double> y(static_cast<std::size_t>(k) * keep.size());
  for (std::size_t c = 0; c < keep.size(); ++c)
    for (int i = 0; i < k; ++i)
      y[i * keep.size() + c] = a[keep[c] * k + i];
  return y;
}

struct Subspace {
  int dim = 0;
  std::vector<double> basis;     // m x dim, row-major, orthonormal columns
  std::vector<double> projector; // m x m
};

Subspace makeSubspace(std::vector<double> basis, int m, int dim) {
  Subspace s;
  s.dim   = dim;
  s.basis = std::move(basis);
  s.projector.assign(static_cast<std::size_t>(m * m), 0.0);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j)
      for (int c = 0; c < dim; ++c)
        s.projector[i * m + j] += s.basis[i * dim + c] * s.basis[j * dim + c];
  return s;
}

// U intersected with Fix(h): the vectors U y with (h - I) U y = 0.
Subspace intersectFixed(const Subspace &U, const std::vector<double> &h, int m) {
  const int k = U.dim;
  std::vector<double> M(static_cast<std::size_t>(m * k), 0.0); // (h - I) U
  for (int i = 0; i < m; ++i)
    for (int c = 0; c < k; ++c) {
      double v = -U.basis[i * k + c];
      for (int j = 0; j < m; ++j)
        v += h[i * m + j] * U.basis[j * k + c];
      M[i * k + c] = v;
    }
  std::vector<double> N(static_cast<std::size_t>(k * k), 0.0);
  for (int a = 0; a < k; ++a)
    for (int b = 0; b < k; ++b)
      for (int i = 0; i < m; ++i)
        N[a * k + b] += M[i * k + a] * M[i * k + b];
  int r        = 0;
  const auto Y = smallEigenvectors(N, k, 1e-12, &r);
  std::vector<double> basis(static_cast<std::size_t>(m * r), 0.0);
  for (int i = 0; i < m; ++i)
    for (int c = 0; c < r; ++c)
      for (int a = 0; a < k; ++a)
        basis[i * r + c] += U.basis[i * k + a] * Y[a * r + c];
  return makeSubspace(std::move(basis), m, r);
}

bool sameSubspace(const Subspace &a, const Subspace &b) {
  if (a.dim != b.dim) return false;
  double d = 0;
  for (std::size_t i = 0; i < a.projector.size(); ++i)
    d = std::max(d, std::abs(a.projector[i] - b.projector[i]));
  return d < 1e-6;
}
} // namespace

bool Isotropy::contains(const SymmetryElement &e) const {
  if (e.op >= shifts.size()) return false;
  return std::binary_search(shifts[e.op].begin(), shifts[e.op].end(), e.shift);
}

std::vector<SymmetryElement> Isotropy::elements() const {
  std::vector<SymmetryElement> all;
  for (std::size_t o = 0; o < shifts.size(); ++o)
    for (PetscInt a : shifts[o])
      all.push_back({a, o});
  return all;
}

PetscErrorCode NetworkSymmetry::create(RateNetwork &net, double inputTime,
                                       std::unique_ptr<NetworkSymmetry> *out) {
  std::unique_ptr<NetworkSymmetry> s(new NetworkSymmetry());
  PetscFunctionBeginUser;
  s->net_          = &net;
  const Group &G   = net.group();
  const auto names = [&] {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < G.numFactors(); ++i)
      v.push_back(G.factor(i).name());
    return v;
  }();
  const std::size_t F = G.numFactors();
  PetscCall(OrbitTools::create(net.connectivity().sharedEngine(), &s->orbits_));
  PetscCall(net.createVec(s->work_.address()));
  PetscCall(net.createVec(s->work2_.address()));
  PetscCall(net.createVec(s->corr_.address()));

  // Candidates: factor permutations among equal factors x negations of cyclic factors (order > 2) x right
  // translations (non-abelian, small) x sign.
  std::vector<std::vector<std::size_t>> perms;
  std::vector<std::size_t> perm(F);
  std::iota(perm.begin(), perm.end(), 0);
  do {
    bool ok = true;
    for (std::size_t i = 0; i < F; ++i)
      ok = ok && names[perm[i]] == names[i];
    if (ok) perms.push_back(perm);
  } while (std::next_permutation(perm.begin(), perm.end()));
  unsigned negatable = 0;
  for (std::size_t i = 0; i < F; ++i)
    if (G.factor(i).isCyclic() && G.factor(i).order() > 2) negatable |= 1u << i;
  std::vector<PetscInt> rights{0};
  if (!G.isAbelian() && G.order() <= 720) {
    // One right translation per coset of the centre: R_z for a central z is the left translation L_{z^-1}.
    std::vector<PetscInt> centre;
    for (PetscInt z = 0; z < G.order(); ++z) {
      bool central = true;
      for (PetscInt g : G.generators())
        central = central && G.multiply(z, g) == G.multiply(g, z);
      if (central) centre.push_back(z);
    }
    std::vector<char> covered(static_cast<std::size_t>(G.order()), 0);
    for (PetscInt z : centre)
      covered[z] = 1;
    for (PetscInt b = 1; b < G.order(); ++b) {
      if (covered[b]) continue;
      rights.push_back(b);
      for (PetscInt z : centre)
        covered[G.multiply(b, z)] = 1;
    }
  }
  const bool odd = net.spec().phi.isOdd();

  for (const auto &p : perms)
    for (unsigned mask = 0; mask <= negatable; ++mask) {
      if ((mask & ~negatable) != 0) continue;
      const auto sigma = automorphismTable(G, p, mask);
      std::vector<PetscInt> sigmaInverse(sigma.size());
      for (std::size_t g = 0; g < sigma.size(); ++g)
        sigmaInverse[sigma[g]] = static_cast<PetscInt>(g);
      std::vector<std::string> autoName;
      bool moved = false;
      for (std::size_t i = 0; i < F; ++i)
        if (p[i] != i) moved = true;
      if (moved) {
        std::ostringstream o;
        o << "swap(";
        for (std::size_t i = 0; i < F; ++i)
          o << (i ? "," : "") << p[i];
        o << ")";
        autoName.push_back(o.str());
      }
      for (std::size_t j = 0; j < F; ++j)
        if (mask & (1u << j)) autoName.push_back("a" + std::to_string(j) + "->-a" + std::to_string(j));
      for (PetscInt b : rights)
        for (int sign = 1; sign >= (odd ? -1 : 1); sign -= 2) {
          SymmetryOperation op;
          auto parts = autoName;
          if (b != 0) parts.push_back("R(" + G.label(b) + ")");
          if (sign < 0) parts.push_back("-x");
          op.name             = joinNames(parts);
          op.sign             = sign;
          const bool identity = !moved && mask == 0 && b == 0;
          if (!identity) {
            op.source.resize(sigma.size());
            for (std::size_t g = 0; g < sigma.size(); ++g)
              op.source[g] = b == 0 ? sigmaInverse[g] : G.multiply(sigmaInverse[g], b);
          }
          if (identity && sign > 0) {
            s->ops_.insert(s->ops_.begin(), std::move(op)); // the identity is operation 0
            continue;
          }
          // Keep o only if F(o x) = o F(x) for the probe state.
          s->ops_.push_back(op);
          bool commutes = false;
          PetscCall(s->commutes(s->ops_.size() - 1, inputTime, &commutes));
          if (!commutes) {
            s->ops_.pop_back();
            s->opScatters_.resize(std::min(s->opScatters_.size(), s->ops_.size())); // its scatter goes too
          }
        }
    }
  *out = std::move(s);
  PetscFunctionReturn(0);
}

PetscErrorCode NetworkSymmetry::commutes(std::size_t op, double inputTime, bool *yes) {
  VecHandle x, fx, y, fy, ofx;
  PetscFunctionBeginUser;
  PetscCall(net_->createVec(x.address()));
  for (VecHandle *v : {&fx, &y, &fy, &ofx})
    PetscCall(VecDuplicate(x, v->address()));
  PetscCall(fillProbe(x));
  PetscCall(net_->rhs(inputTime, x, fx));
  PetscReal scale = 0, xn = 0, defect = 0;
  PetscCall(VecNorm(fx, NORM_2, &scale));
  PetscCall(VecNorm(x, NORM_2, &xn));
  PetscCall(operate(op, x, y));
  PetscCall(net_->rhs(inputTime, y, fy));
  PetscCall(operate(op, fx, ofx));
  PetscCall(VecAXPY(fy, -1.0, ofx));
  PetscCall(VecNorm(fy, NORM_2, &defect));
  *yes = defect <= 1e-9 * (scale + xn);
  PetscFunctionReturn(0);
}

PetscErrorCode NetworkSymmetry::keepCommuting(double inputTime) {
  PetscFunctionBeginUser;
  for (std::size_t o = ops_.size(); o-- > 1;) {
    bool yes = false;
    PetscCall(commutes(o, inputTime, &yes));
    if (!yes) ops_.erase(ops_.begin() + static_cast<std::ptrdiff_t>(o));
  }
  cache_.clear();
  opScatters_.clear(); // indexed by operation
  PetscFunctionReturn(0);
}

std::string NetworkSymmetry::describe() const {
  std::ostringstream o;
  o << group().spec() << " x| {";
  for (std::size_t i = 0; i < ops_.size(); ++i)
    o << (i ? ", " : "") << ops_[i].name;
  o << "} (order " << order() << ")";
  return o.str();
}

std::string NetworkSymmetry::elementName(const SymmetryElement &e) const {
  std::string s = ops_[e.op].name == "e" ? "" : ops_[e.op].name;
  if (e.shift != 0 || s.empty()) s = "L(" + group().label(e.shift) + ")" + (s.empty() ? "" : " " + s);
  return s;
}

PetscErrorCode NetworkSymmetry::operate(std::size_t op, Vec x, Vec y) {
  const SymmetryOperation &o = ops_[op];
  PetscFunctionBeginUser;
  if (o.source.empty()) {
    PetscCall(VecCopy(x, y));
  } else {
    if (opScatters_.size() < ops_.size()) opScatters_.resize(ops_.size());
    if (!opScatters_[op])
      PetscCall(createPermutation(
          group(), x, [&](PetscInt g) { return o.source[g]; }, &opScatters_[op]));
    PetscCall(VecScatterBegin(opScatters_[op], x, y, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(opScatters_[op], x, y, INSERT_VALUES, SCATTER_FORWARD));
  }
  if (o.sign != 1.0) PetscCall(VecScale(y, o.sign));
  PetscFunctionReturn(0);
}

PetscErrorCode NetworkSymmetry::apply(const SymmetryElement &e, Vec x, Vec y) {
  LogScope scope(evApply);
  PetscFunctionBeginUser;
  const auto key = std::make_pair(e.shift, e.op);
  auto it        = std::find_if(cache_.begin(), cache_.end(), [&](const auto &c) { return c.first == key; });
  if (it == cache_.end() && cache_.size() < kCached) {
    // (L_a o x)(g) = sign x(source_o(a^-1 g)): one permutation.
    const Group &G      = group();
    const PetscInt ainv = G.inverse(e.shift);
    const auto &source  = ops_[e.op].source;
    ScatterHandle scatter;
    PetscCall(createPermutation(
        G, x,
        [&](PetscInt g) {
          const PetscInt h = G.multiply(ainv, g);
          return source.empty() ? h : source[h];
        },
        &scatter));
    cache_.emplace_back(key, std::move(scatter));
    it = cache_.end() - 1;
  }
  if (it != cache_.end()) {
    PetscCall(VecScatterBegin(it->second, x, y, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(it->second, x, y, INSERT_VALUES, SCATTER_FORWARD));
    if (ops_[e.op].sign != 1.0) PetscCall(VecScale(y, ops_[e.op].sign));
  } else if (e.shift == 0) {
    PetscCall(operate(e.op, x, y));
  } else {
    PetscCall(operate(e.op, x, work2_));
    PetscCall(translate(group(), e.shift, work2_, y));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode NetworkSymmetry::correlationAll(Vec x, Vec y, std::vector<double> *c) {
  LogScope scope(evCorrelation);
  const PetscScalar *a = nullptr;
  PetscInt size        = 0;
  PetscFunctionBeginUser;
  PetscCall(orbits_->correlation(x, y, corr_));
  if (!toAll_) PetscCall(VecScatterCreateToAll(corr_, toAll_.address(), gathered_.address()));
  Vec all = gathered_;
  PetscCall(VecScatterBegin(toAll_, corr_, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(toAll_, corr_, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetSize(all, &size));
  const PetscInt order = group().order(), C = size / order;
  c->resize(static_cast<std::size_t>(order));
  PetscCall(VecGetArrayRead(all, &a));
  for (PetscInt g = 0; g < order; ++g)
    (*c)[g] = a[g * C];
  PetscCall(VecRestoreArrayRead(all, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode NetworkSymmetry::isotropy(Vec x, double tol, Isotropy *iso) {
  LogScope scope(evIsotropy);
  PetscReal xn = 0;
  std::vector<double> c;
  PetscFunctionBeginUser;
  *iso = Isotropy();
  iso->shifts.resize(ops_.size());
  PetscCall(VecNorm(x, NORM_2, &xn));
  for (std::size_t o = 0; o < ops_.size(); ++o) {
    PetscCall(operate(o, x, work_));
    PetscCall(correlationAll(x, work_, &c));
    for (PetscInt a = 0; a < group().order(); ++a)
      if (2 * xn * xn - 2 * c[a] <= tol * tol || (o == 0 && a == 0)) iso->shifts[o].push_back(a); // e: always
    iso->order += static_cast<PetscInt>(iso->shifts[o].size());
  }
  // The translation part as the census names it, then the other operations present (with one shift each).
  std::ostringstream d;
  d << describeSubgroup(group(), iso->shifts[0]);
  std::vector<std::string> extra;
  for (std::size_t o = 1; o < ops_.size(); ++o)
    if (!iso->shifts[o].empty()) extra.push_back(elementName({iso->shifts[o][0], o}));
  if (!extra.empty()) {
    d << " with ";
    for (std::size_t i = 0; i < extra.size(); ++i)
      d << (i ? ", " : "") << extra[i];
  }
  iso->description = d.str();
  PetscFunctionReturn(0);
}

PetscErrorCode NetworkSymmetry::match(Vec x, Vec y, const Isotropy *within, bool bothSigns, double *distance,
                                      SymmetryElement *best, double *bestSign) {
  LogScope scope(evMatch);
  PetscReal xn = 0, yn = 0;
  std::vector<double> c;
  double d2 = INFINITY;
  PetscFunctionBeginUser;
  PetscCall(VecNorm(x, NORM_2, &xn));
  PetscCall(VecNorm(y, NORM_2, &yn));
  for (std::size_t o = 0; o < ops_.size(); ++o) {
    if (within && within->shifts[o].empty()) continue;
    PetscCall(operate(o, y, work_));
    PetscCall(correlationAll(x, work_, &c));
    auto consider = [&](PetscInt a) {
      for (double s : {1.0, -1.0}) {
        if (s < 0 && !bothSigns) continue;
        const double v = xn * xn + yn * yn - 2 * s * c[a];
        if (v < d2) {
          d2 = v;
          if (best) *best = {a, o};
          if (bestSign) *bestSign = s;
        }
      }
    };
    if (within)
      for (PetscInt a : within->shifts[o])
        consider(a);
    else
      for (PetscInt a = 0; a < group().order(); ++a)
        consider(a);
  }
  *distance = std::sqrt(std::max(0.0, d2));
  PetscFunctionReturn(0);
}

PetscErrorCode NetworkSymmetry::representation(const std::vector<Vec> &basis,
                                               const std::vector<SymmetryElement> &elements,
                                               std::vector<std::vector<double>> *rho) {
  LogScope scope(evRepresentation);
  const std::size_t m = basis.size();
  std::vector<double> c;
  VecHandle y;
  PetscFunctionBeginUser;
  rho->assign(elements.size(), std::vector<double>(m * m, 0.0));
  if (m == 0) PetscFunctionReturn(0);
  PetscCall(VecDuplicate(basis[0], y.address()));
  for (std::size_t o = 0; o < ops_.size(); ++o) {
    bool used = false;
    for (const auto &e : elements)
      used = used || e.op == o;
    if (!used) continue;
    for (std::size_t j = 0; j < m; ++j) {
      PetscCall(operate(o, basis[j], y));
      for (std::size_t i = 0; i < m; ++i) {
        PetscCall(correlationAll(basis[i], y, &c)); // c(a) = <b_i, L_a o b_j>
        for (std::size_t k = 0; k < elements.size(); ++k)
          if (elements[k].op == o) (*rho)[k][i * m + j] = c[elements[k].shift];
      }
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode NetworkSymmetry::average(const Isotropy &K, Vec x) {
  LogScope scope(evAverage);
  VecHandle sum, term;
  PetscFunctionBeginUser;
  if (K.order <= 1) PetscFunctionReturn(0);
  PetscCall(VecDuplicate(x, sum.address()));
  PetscCall(VecDuplicate(x, term.address()));
  PetscCall(VecSet(sum, 0.0));
  for (const auto &e : K.elements()) {
    PetscCall(apply(e, x, term));
    PetscCall(VecAXPY(sum, 1.0, term));
  }
  PetscCall(VecScale(sum, 1.0 / static_cast<double>(K.order)));
  PetscCall(VecCopy(sum, x));
  PetscFunctionReturn(0);
}

std::vector<SymmetryElement> NetworkSymmetry::testElements(const Isotropy &K, std::size_t limit) const {
  auto all = K.elements();
  if (all.size() <= limit) return all;
  std::vector<SymmetryElement> chosen;
  // Generators of the translation part, greedily: the smallest element outside the closure so far.
  const Group &G = group();
  const auto &T  = K.shifts[0];
  std::vector<char> inClosure(static_cast<std::size_t>(G.order()), 0);
  std::vector<PetscInt> closure{0};
  inClosure[0] = 1;
  for (PetscInt t : T) {
    if (closure.size() == T.size() || chosen.size() + 1 >= limit / 2) break;
    if (inClosure[t]) continue;
    chosen.push_back({t, 0});
    for (std::size_t i = 0; i < closure.size(); ++i) // closure under multiplication by the generators
      for (const auto &gen : chosen) {
        const PetscInt p = G.multiply(closure[i], gen.shift);
        if (!inClosure[p]) {
          inClosure[p] = 1;
          closure.push_back(p);
        }
      }
  }
  for (std::size_t o = 1; o < K.shifts.size() && chosen.size() < limit; ++o)
    if (!K.shifts[o].empty()) chosen.push_back({K.shifts[o][0], o});
  return chosen;
}

std::vector<std::vector<double>> axialLines(const std::vector<std::vector<double>> &rho, int m) {
  std::vector<double> identity(static_cast<std::size_t>(m * m), 0.0);
  for (int i = 0; i < m; ++i)
    identity[i * m + i] = 1.0;
  std::vector<Subspace> seen{makeSubspace(identity, m, m)}, frontier{seen[0]};
  std::vector<std::vector<double>> lines;
  while (!frontier.empty()) {
    const Subspace U = frontier.back();
    frontier.pop_back();
    for (const auto &h : rho) {
      Subspace W = intersectFixed(U, h, m);
      if (W.dim == 0 || W.dim == U.dim) continue;
      bool known = false;
      for (const auto &s : seen)
        known = known || sameSubspace(s, W);
      if (known) continue;
      seen.push_back(W);
      if (W.dim == 1)
        lines.push_back(W.basis);
      else
        frontier.push_back(W);
    }
  }
  return lines;
}

std::vector<int> lineClasses(const std::vector<std::vector<double>> &rho,
                             const std::vector<std::vector<double>> &lines, int m) {
  const int L = static_cast<int>(lines.size());
  std::vector<int> parent(static_cast<std::size_t>(L));
  std::iota(parent.begin(), parent.end(), 0);
  const auto root = [&](int i) {
    while (parent[i] != i)
      i = parent[i] = parent[parent[i]];
    return i;
  };
  // The lines sorted by their first coordinate: an image is looked up in a window, not against every line.
  std::vector<int> byFirst(parent);
  std::sort(byFirst.begin(), byFirst.end(), [&](int a, int b) { return lines[a][0] < lines[b][0]; });
  const double tol = 1e-6;
  std::vector<double> v(static_cast<std::size_t>(m));
  for (int i = 0; i < L; ++i)
    for (const auto &h : rho) {
      for (int r = 0; r < m; ++r) {
        v[r] = 0;
        for (int c = 0; c < m; ++c)
          v[r] += h[r * m + c] * lines[i][c];
      }
      for (double sign : {1.0, -1.0}) {
        const double first = sign * v[0];
        auto it            = std::lower_bound(byFirst.begin(), byFirst.end(), first - tol,
                                              [&](int a, double value) { return lines[a][0] < value; });
        for (; it != byFirst.end() && lines[*it][0] <= first + tol; ++it) {
          double d = 0;
          for (int r = 0; r < m; ++r)
            d = std::max(d, std::abs(lines[*it][r] - sign * v[r]));
          if (d <= tol) parent[root(*it)] = root(i);
        }
      }
    }
  // Classes numbered in the order of their first line.
  std::vector<int> cls(static_cast<std::size_t>(L), -1), number(static_cast<std::size_t>(L), -1);
  int next = 0;
  for (int i = 0; i < L; ++i) {
    const int r = root(i);
    if (number[r] < 0) number[r] = next++;
    cls[i] = number[r];
  }
  return cls;
}

} // namespace eqrnn
