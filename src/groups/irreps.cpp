#include "groups/irreps.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>

// LAPACK (Fortran); the trailing arguments are the hidden lengths of the character arguments.
extern "C" void zheev_(const char *jobz, const char *uplo, const int *n, std::complex<double> *a,
                       const int *lda, double *w, std::complex<double> *work, const int *lwork, double *rwork,
                       int *info, std::size_t jobzLength, std::size_t uploLength);

extern "C" void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                       double *work, const int *lwork, int *info, std::size_t jobzLength,
                       std::size_t uploLength);

namespace eqrnn {

namespace {

constexpr int kMaxAttempts = 32;
// Eigenvalues closer than kSameTol * scale are one cluster (rounding is ~|G| eps); clusters must be at least
// kMinGap * scale apart so eigenvector errors (~eps/gap) only enter the representation squared.
constexpr double kSameTol = 1e-11;
constexpr double kMinGap  = 1e-8;
constexpr double kCharTol = 1e-6; // distinct characters differ by O(1)

struct Cluster {
  int begin = 0, dim = 0;
  std::vector<Complex> classChars;
};

inline std::size_t at(int a, int b, int n) {
  return static_cast<std::size_t>(a) * n + b;
}

// Uniform in [-1, 1) from raw bits: no std distribution, whose output is library specific.
double uniform(std::mt19937_64 &rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-52 - 1.0;
}

// H[y][x] = a_{y^-1 x} with a_{h^-1} = conj(a_h): Hermitian, and it commutes with every L_g (column-major).
std::vector<Complex> randomRightAlgebraElement(const CayleyTable &t, std::mt19937_64 &rng) {
  const int n = t.order;
  std::vector<Complex> a(n);
  for (int h = 0; h < n; ++h) {
    const int hi = t.inverse[h];
    if (hi == h) a[h] = uniform(rng);
    if (hi <= h) continue;
    const double re = uniform(rng), im = uniform(rng);
    a[h]  = Complex(re, im);
    a[hi] = Complex(re, -im);
  }
  std::vector<Complex> H(static_cast<std::size_t>(n) * n);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      H[at(x, y, n)] = a[t.product[at(t.inverse[y], x, n)]];
  return H;
}

bool hermitianEigen(std::vector<Complex> *a, int n, std::vector<double> *w, std::string *error) {
  w->assign(n, 0.0);
  std::vector<double> rwork(std::max(1, 3 * n - 2));
  int info = 0, lwork = -1;
  Complex query;
  zheev_("V", "U", &n, a->data(), &n, w->data(), &query, &lwork, rwork.data(), &info, 1, 1);
  lwork = std::max(1, static_cast<int>(query.real()));
  std::vector<Complex> work(lwork);
  zheev_("V", "U", &n, a->data(), &n, w->data(), work.data(), &lwork, rwork.data(), &info, 1, 1);
  if (info != 0) *error = "zheev failed with info = " + std::to_string(info);
  return info == 0;
}

bool plausibleDim(int d, int order) {
  return d >= 1 && d * d <= order && order % d == 0;
}

// Splits the ascending eigenvalues into clusters; false if the draw is not generic enough.
bool clusterEigenvalues(const std::vector<double> &w, int order, std::vector<Cluster> *clusters) {
  const double scale = std::max(std::fabs(w.front()), std::fabs(w.back()));
  clusters->clear();
  int begin = 0;
  for (int i = 1; i <= order; ++i) {
    const double gap = i < order ? w[i] - w[i - 1] : HUGE_VAL;
    if (gap <= kSameTol * scale) continue;
    if (gap < kMinGap * scale || !plausibleDim(i - begin, order)) return false;
    clusters->push_back({begin, i - begin, {}});
    begin = i;
  }
  return true;
}

// rho(g)_ij = sum_y conj(V[y][i]) V[g^-1 y][j], since (L_g V)[y] = V[g^-1 y]. V is column-major.
Complex projectedEntry(const CayleyTable &t, const Complex *V, int g, int i, int j) {
  const int n       = t.order;
  const int *row    = &t.product[at(t.inverse[g], 0, n)];
  const Complex *vi = V + at(i, 0, n), *vj = V + at(j, 0, n);
  Complex sum = 0;
  for (int y = 0; y < n; ++y)
    sum += std::conj(vi[y]) * vj[row[y]];
  return sum;
}

std::vector<Complex> classCharacters(const CayleyTable &t, const std::vector<std::vector<int>> &classes,
                                     const Complex *V, int d) {
  std::vector<Complex> chars;
  for (const auto &cls : classes) {
    Complex trace = 0;
    for (int i = 0; i < d; ++i)
      trace += projectedEntry(t, V, cls[0], i, i);
    chars.push_back(trace);
  }
  return chars;
}

double characterNorm(const std::vector<std::vector<int>> &classes, const std::vector<Complex> &chars,
                     int order) {
  double sum = 0;
  for (std::size_t c = 0; c < classes.size(); ++c)
    sum += static_cast<double>(classes[c].size()) * std::norm(chars[c]);
  return sum / order;
}

double maxDifference(const std::vector<Complex> &a, const std::vector<Complex> &b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

// Keeps one irreducible cluster per character; false if some cluster is reducible (non-generic draw).
bool distinctIrreducible(const CayleyTable &t, const std::vector<std::vector<int>> &classes,
                         const std::vector<Complex> &V, std::vector<Cluster> *clusters) {
  std::vector<Cluster> kept;
  for (Cluster &c : *clusters) {
    c.classChars = classCharacters(t, classes, V.data() + at(c.begin, 0, t.order), c.dim);
    if (std::fabs(characterNorm(classes, c.classChars, t.order) - 1.0) > kCharTol) return false;
    const bool seen = std::any_of(kept.begin(), kept.end(), [&](const Cluster &k) {
      return k.dim == c.dim && maxDifference(k.classChars, c.classChars) < kCharTol;
    });
    if (!seen) kept.push_back(std::move(c));
  }
  *clusters = std::move(kept);
  return true;
}

// Dimension ascending, then characters descending (real, then imaginary part, class by class): the trivial
// irrep, whose character is maximal, comes first.
bool irrepBefore(const Cluster &a, const Cluster &b) {
  if (a.dim != b.dim) return a.dim < b.dim;
  for (std::size_t c = 0; c < a.classChars.size(); ++c) {
    if (std::fabs(a.classChars[c].real() - b.classChars[c].real()) > 1e-8)
      return a.classChars[c].real() > b.classChars[c].real();
    if (std::fabs(a.classChars[c].imag() - b.classChars[c].imag()) > 1e-8)
      return a.classChars[c].imag() > b.classChars[c].imag();
  }
  return false;
}

Irrep projectIrrep(const CayleyTable &t, const Complex *V, int d) {
  Irrep irrep;
  irrep.dim = d;
  irrep.matrices.resize(static_cast<std::size_t>(t.order) * d * d);
  for (int g = 0; g < t.order; ++g)
    for (int i = 0; i < d; ++i)
      for (int j = 0; j < d; ++j)
        irrep.matrices[(static_cast<std::size_t>(g) * d + i) * d + j] = projectedEntry(t, V, g, i, j);
  return irrep;
}

// One random draw; false (with no error) if it was not generic and another draw should be tried.
bool tryDraw(const CayleyTable &t, const std::vector<std::vector<int>> &classes, std::uint64_t seed,
             IrrepSet *out, std::string *error) {
  std::mt19937_64 rng(seed);
  std::vector<Complex> V = randomRightAlgebraElement(t, rng);
  std::vector<double> w;
  if (!hermitianEigen(&V, t.order, &w, error)) return false;
  std::vector<Cluster> clusters;
  if (!clusterEigenvalues(w, t.order, &clusters) || !distinctIrreducible(t, classes, V, &clusters))
    return false;
  long long dimSum = 0;
  for (const Cluster &c : clusters)
    dimSum += static_cast<long long>(c.dim) * c.dim;
  if (dimSum != t.order || clusters.size() != classes.size()) return false;
  std::stable_sort(clusters.begin(), clusters.end(), irrepBefore);
  out->irreps.clear();
  for (const Cluster &c : clusters)
    out->irreps.push_back(projectIrrep(t, V.data() + at(c.begin, 0, t.order), c.dim));
  completeIrrepSet(t, out);
  return true;
}

const Complex *matrixOf(const Irrep &r, int g) {
  return r.matrices.data() + static_cast<std::size_t>(g) * r.dim * r.dim;
}

Complex trace(const Irrep &r, int g) {
  Complex sum = 0;
  for (int i = 0; i < r.dim; ++i)
    sum += matrixOf(r, g)[i * r.dim + i];
  return sum;
}

// Real orthogonal form of an irrep of real type (Frobenius-Schur indicator +1). The real functions Re, Im
// rho(g)_ij span the irrep's real isotypic component (dimension d^2); a random symmetric element of the
// right-regular algebra restricted to it lies in the commutant M_d(R), so its eigenspaces are d-dimensional
// real left-invariant subspaces. One of them, V (|G| x d, orthonormal), gives rho(g)_ij = <v_i, L_g v_j>.
bool realForm(const CayleyTable &t, std::mt19937_64 &rng, Irrep *irrep) {
  const int n = t.order, d = irrep->dim;
  std::vector<std::vector<double>> Q; // orthonormal basis of the real isotypic component
  for (int e = 0; e < d * d; ++e)
    for (int part = 0; part < 2; ++part) {
      std::vector<double> v(static_cast<std::size_t>(n));
      for (int g = 0; g < n; ++g) {
        const Complex z = irrep->matrices[static_cast<std::size_t>(g) * d * d + e];
        v[g]            = part == 0 ? z.real() : z.imag();
      }
      for (int pass = 0; pass < 2; ++pass)
        for (const auto &q : Q) {
          double dot = 0;
          for (int g = 0; g < n; ++g)
            dot += q[g] * v[g];
          for (int g = 0; g < n; ++g)
            v[g] -= dot * q[g];
        }
      double norm = 0;
      for (double x : v)
        norm += x * x;
      norm = std::sqrt(norm);
      if (norm < 1e-8) continue;
      for (double &x : v)
        x /= norm;
      Q.push_back(std::move(v));
    }
  if (static_cast<int>(Q.size()) != d * d) return false;
  std::vector<double> a(static_cast<std::size_t>(n));
  for (double &x : a)
    x = uniform(rng);
  // HQ = sum_h a_h (R_h + R_h^-1) Q with (R_h f)(x) = f(x h); then Q^T H Q (column-major, symmetric).
  const int m = d * d;
  std::vector<double> hq(static_cast<std::size_t>(m) * m, 0.0);
  for (int c = 0; c < m; ++c) {
    std::vector<double> col(static_cast<std::size_t>(n), 0.0);
    for (int x = 0; x < n; ++x)
      for (int h = 0; h < n; ++h)
        col[x] += a[h] * (Q[c][t.product[at(x, h, n)]] + Q[c][t.product[at(x, t.inverse[h], n)]]);
    for (int r = 0; r < m; ++r) {
      double dot = 0;
      for (int x = 0; x < n; ++x)
        dot += Q[r][x] * col[x];
      hq[at(c, r, m)] = dot;
    }
  }
  std::vector<double> w(static_cast<std::size_t>(m)), work(static_cast<std::size_t>(8 * m + 8));
  const int lwork = static_cast<int>(work.size());
  int info        = 0;
  dsyev_("V", "U", &m, hq.data(), &m, w.data(), work.data(), &lwork, &info, 1, 1);
  if (info != 0) return false;
  // The lowest eigenvalue must have multiplicity exactly d and be well separated from the next one.
  const double scale = std::max(std::fabs(w.front()), std::fabs(w.back())) + 1.0;
  if (std::fabs(w[d - 1] - w[0]) > 1e-9 * scale || (d < m && w[d] - w[d - 1] < 1e-6 * scale)) return false;
  std::vector<std::vector<double>> V(static_cast<std::size_t>(d),
                                     std::vector<double>(static_cast<std::size_t>(n), 0.0));
  for (int i = 0; i < d; ++i)
    for (int r = 0; r < m; ++r)
      for (int x = 0; x < n; ++x)
        V[i][x] += hq[at(i, r, m)] * Q[r][x];
  for (int g = 0; g < n; ++g) {
    const int gi = t.inverse[g];
    for (int i = 0; i < d; ++i)
      for (int j = 0; j < d; ++j) {
        double s = 0;
        for (int x = 0; x < n; ++x)
          s += V[i][x] * V[j][t.product[at(gi, x, n)]];
        irrep->matrices[(static_cast<std::size_t>(g) * d + i) * d + j] = s;
      }
  }
  return true;
}

// Replaces every real-type irrep by a real orthogonal form (1-dimensional ones: their real characters).
bool realiseIrreps(const CayleyTable &t, std::uint64_t seed, IrrepSet *set) {
  std::mt19937_64 rng(seed ^ 0x5eed5eedULL);
  for (Irrep &r : set->irreps) {
    if (r.indicator != 1) continue;
    if (r.dim == 1) {
      for (Complex &z : r.matrices)
        z = z.real();
      continue;
    }
    bool ok = false;
    for (int attempt = 0; attempt < kMaxAttempts && !ok; ++attempt)
      ok = realForm(t, rng, &r);
    if (!ok) return false;
  }
  return true;
}

} // namespace

bool computeIrreps(const CayleyTable &table, std::uint64_t seed, IrrepSet *out, std::string *error) {
  if (!checkGroupAxioms(table, error)) return false; // a bad table would make the eigenproblem meaningless
  const std::vector<std::vector<int>> classes = conjugacyClasses(table);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    error->clear();
    if (tryDraw(table, classes, seed + static_cast<std::uint64_t>(attempt), out, error)) {
      // Real-type irreps in real orthogonal form: a real kernel block w^(k) then gives a real kernel.
      if (realiseIrreps(table, seed, out)) return true;
      *error = "no random draw gave a real form of a real-type irrep";
      return false;
    }
    if (!error->empty()) return false;
  }
  *error = "no random draw separated the irreps after " + std::to_string(kMaxAttempts) + " attempts";
  return false;
}

void completeIrrepSet(const CayleyTable &table, IrrepSet *set) {
  const int n  = table.order;
  set->classes = conjugacyClasses(table);
  set->characters.clear();
  for (Irrep &r : set->irreps) {
    std::vector<Complex> chars;
    for (const auto &cls : set->classes) {
      Complex sum = 0;
      for (int g : cls)
        sum += trace(r, g);
      chars.push_back(sum / static_cast<double>(cls.size()));
    }
    set->characters.push_back(std::move(chars));
    Complex squares = 0;
    for (int g = 0; g < n; ++g)
      squares += trace(r, table.product[at(g, g, n)]);
    r.indicator = static_cast<int>(std::lround(squares.real() / n));
  }
  for (std::size_t k = 0; k < set->irreps.size(); ++k) {
    std::vector<Complex> conjugated;
    for (const Complex &c : set->characters[k])
      conjugated.push_back(std::conj(c));
    set->irreps[k].conjugate = -1;
    for (std::size_t l = 0; l < set->irreps.size() && set->irreps[k].conjugate < 0; ++l)
      if (maxDifference(set->characters[l], conjugated) < kCharTol)
        set->irreps[k].conjugate = static_cast<int>(l);
  }
}

namespace {

// max |rho(a) rho(b) - rho(ab)| and max |rho(g) rho(g)^dagger - I| for one irrep.
void representationErrors(const CayleyTable &t, const Irrep &r, IrrepErrors *e) {
  const int d = r.dim, n = t.order;
  for (int a = 0; a < n; ++a) {
    const Complex *A = matrixOf(r, a);
    for (int b = 0; b < n; ++b) {
      const Complex *B = matrixOf(r, b), *AB = matrixOf(r, t.product[at(a, b, n)]);
      for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j) {
          Complex sum = 0, unit = 0;
          for (int m = 0; m < d; ++m)
            sum += A[i * d + m] * B[m * d + j];
          e->homomorphism = std::max(e->homomorphism, std::abs(sum - AB[i * d + j]));
          if (b != 0) continue;
          for (int m = 0; m < d; ++m)
            unit += A[i * d + m] * std::conj(A[j * d + m]);
          e->unitarity = std::max(e->unitarity, std::abs(unit - (i == j ? 1.0 : 0.0)));
        }
    }
  }
}

// Schur orthogonality over all entries at once: column (k,i,j) of entries[.][g] = rho_k(g)_ij.
void schurErrors(const CayleyTable &t, const IrrepSet &set, IrrepErrors *e) {
  const int n = t.order;
  std::vector<std::vector<Complex>> entries;
  std::vector<int> owner, flat;
  for (std::size_t k = 0; k < set.irreps.size(); ++k) {
    const Irrep &r = set.irreps[k];
    for (int ij = 0; ij < r.dim * r.dim; ++ij) {
      std::vector<Complex> column(n);
      for (int g = 0; g < n; ++g)
        column[g] = matrixOf(r, g)[ij];
      entries.push_back(std::move(column));
      owner.push_back(static_cast<int>(k));
      flat.push_back(ij);
    }
  }
  for (std::size_t p = 0; p < entries.size(); ++p)
    for (std::size_t q = 0; q < entries.size(); ++q) {
      Complex sum = 0;
      for (int g = 0; g < n; ++g)
        sum += entries[p][g] * std::conj(entries[q][g]);
      const double expected = (owner[p] == owner[q] && flat[p] == flat[q]) ? 1.0 : 0.0;
      const double scale    = static_cast<double>(set.irreps[owner[p]].dim) / n;
      e->schur              = std::max(e->schur, std::abs(scale * sum - expected));
    }
}

void characterErrors(const CayleyTable &t, const IrrepSet &set, IrrepErrors *e) {
  const int n = t.order;
  std::vector<std::vector<Complex>> chi;
  for (const Irrep &r : set.irreps) {
    std::vector<Complex> c(n);
    for (int g = 0; g < n; ++g)
      c[g] = trace(r, g);
    chi.push_back(std::move(c));
  }
  for (std::size_t k = 0; k < chi.size(); ++k)
    for (std::size_t l = 0; l < chi.size(); ++l) {
      Complex sum = 0;
      for (int g = 0; g < n; ++g)
        sum += chi[k][g] * std::conj(chi[l][g]);
      e->characterOrthogonality =
          std::max(e->characterOrthogonality, std::abs(sum / static_cast<double>(n) - (k == l ? 1.0 : 0.0)));
    }
}

} // namespace

IrrepErrors verifyIrreps(const CayleyTable &table, const IrrepSet &set) {
  IrrepErrors e;
  for (const Irrep &r : set.irreps)
    representationErrors(table, r, &e);
  schurErrors(table, set, &e);
  characterErrors(table, set, &e);
  long long dimSum = 0;
  for (const Irrep &r : set.irreps)
    dimSum += static_cast<long long>(r.dim) * r.dim;
  e.dimensionSumDefect = dimSum - table.order;
  e.classCountDefect =
      static_cast<long long>(set.irreps.size()) - static_cast<long long>(conjugacyClasses(table).size());
  return e;
}

namespace {

// Integers as integers, otherwise 4 decimals; tiny parts (rounding noise) count as zero.
std::string formatReal(double x) {
  if (std::fabs(x) < 1e-9) return "0";
  char buf[64];
  if (std::fabs(x - std::round(x)) < 1e-9)
    std::snprintf(buf, sizeof buf, "%.0f", std::round(x));
  else
    std::snprintf(buf, sizeof buf, "%.4f", x);
  return buf;
}

std::string formatValue(Complex z) {
  const std::string re = formatReal(z.real()), im = formatReal(std::fabs(z.imag()));
  if (im == "0") return re;
  const std::string sign = z.imag() < 0 ? "-" : "+";
  if (re == "0") return (sign == "-" ? "-" : "") + im + "i";
  return re + sign + im + "i";
}

std::string alignColumns(const std::vector<std::vector<std::string>> &cells) {
  std::vector<std::size_t> width(cells[0].size(), 0);
  for (const auto &row : cells)
    for (std::size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  std::ostringstream os;
  for (const auto &row : cells) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c == 0)
        os << row[c] << std::string(width[0] - row[c].size(), ' ');
      else
        os << "  " << std::string(width[c] - row[c].size(), ' ') << row[c];
    }
    os << "\n";
  }
  return os.str();
}

} // namespace

std::string formatCharacterTable(const CayleyTable &table, const IrrepSet &set,
                                 const std::vector<std::string> &labels) {
  std::vector<std::vector<std::string>> cells(3 + set.irreps.size());
  cells[0] = {"class"};
  cells[1] = {"size"};
  cells[2] = {"order"};
  for (const auto &cls : set.classes) {
    const int g = cls[0];
    cells[0].push_back(static_cast<std::size_t>(g) < table.labels.size() ? table.labels[g]
                                                                         : "g" + std::to_string(g));
    cells[1].push_back(std::to_string(cls.size()));
    cells[2].push_back(std::to_string(elementOrder(table, g)));
  }
  for (std::size_t k = 0; k < set.irreps.size(); ++k) {
    auto &row              = cells[3 + k];
    const std::string name = k < labels.size() ? labels[k] : "rho_" + std::to_string(k);
    row                    = {name + " (d=" + std::to_string(set.irreps[k].dim) + ")"};
    for (const Complex &c : set.characters[k])
      row.push_back(formatValue(c));
  }
  return alignColumns(cells);
}

} // namespace eqrnn
