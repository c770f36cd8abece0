#include "analysis/reduced_model.hpp"

#include "analysis/tangent.hpp"
#include "core/random.hpp"
#include "groups/group_action.hpp"
#include <algorithm>
#include <cmath>
#include <numeric>

extern "C" {
void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *ipiv, double *b, const int *ldb,
            int *info);
void dgeev_(const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda, double *wr,
            double *wi, double *vl, const int *ldvl, double *vr, const int *ldvr, double *work,
            const int *lwork, int *info, std::size_t, std::size_t);
}

namespace eqrnn {

namespace {
double norm2(const std::vector<double> &v) {
  return std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0));
}

} // namespace

// dgeev on the transpose (column-major view of a row-major matrix): the same spectrum. The matrix is
// replicated, so the outcome is the same on every rank.
bool realMatrixEigenvalues(std::vector<double> m, int n, std::vector<double> *re, std::vector<double> *im) {
  std::vector<double> wr(static_cast<std::size_t>(n)), wi(wr.size()),
      work(static_cast<std::size_t>(8 * n + 8));
  const int lwork = static_cast<int>(work.size()), one = 1;
  int info     = 0;
  double dummy = 0;
  dgeev_("N", "N", &n, m.data(), &n, wr.data(), wi.data(), &dummy, &one, &dummy, &one, work.data(), &lwork,
         &info, 1, 1);
  if (info != 0) return false;
  for (std::size_t i = 0; i < wr.size(); ++i)
    if (!std::isfinite(wr[i]) || !std::isfinite(wi[i])) return false;
  std::vector<int> order(wr.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return wr[a] > wr[b]; });
  re->clear();
  im->clear();
  for (int i : order) {
    re->push_back(wr[i]);
    im->push_back(wi[i]);
  }
  return true;
}

std::vector<std::size_t> orderByNorm(const std::vector<double> &norms, double tol) {
  std::vector<std::size_t> byNorm(norms.size()), level(norms.size(), 0), order(norms.size());
  std::iota(byNorm.begin(), byNorm.end(), 0);
  std::stable_sort(byNorm.begin(), byNorm.end(),
                   [&](std::size_t u, std::size_t v) { return norms[u] < norms[v]; });
  for (std::size_t k = 1; k < byNorm.size(); ++k)
    level[byNorm[k]] = level[byNorm[k - 1]] + (norms[byNorm[k]] - norms[byNorm[k - 1]] > tol ? 1 : 0);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t u, std::size_t v) { return level[u] < level[v]; });
  return order;
}

PetscErrorCode ReducedModel::create(RateNetwork &net, const ReduceSpec &spec,
                                    std::unique_ptr<ReducedModel> *out) {
  std::unique_ptr<ReducedModel> m(new ReducedModel());
  MPI_Comm comm = net.comm();
  PetscFunctionBeginUser;
  m->net_        = &net;
  m->spec_       = spec;
  const Group &G = net.group();
  PetscCheck(spec.starts >= 0 && spec.maxIterations > 0 && spec.tol > 0 && !spec.amplitudes.empty(), comm,
             PETSC_ERR_USER_INPUT,
             "reduce: need -reduce_starts >= 0, -reduce_max_it > 0, -reduce_tol > 0 and "
             "some -reduce_amplitudes");
  PetscCheck(net.spec().input.kind == InputKind::None, comm, PETSC_ERR_USER_INPUT,
             "reduce: the reduced model is for the autonomous network (-input none)");
  // K: the irreps kernel's own support, or -reduce_irreps (closed under conjugation here).
  if (!spec.irreps.empty()) {
    for (const auto &label : spec.irreps) {
      ProductIrrep k;
      std::string error;
      PetscCheck(parseProductIrrep(G, label, &k, &error), comm, PETSC_ERR_USER_INPUT, "-reduce_irreps: %s",
                 error.c_str());
      for (const auto &kk : {k, productIrrepConjugate(G, k)})
        if (std::find(m->support_.begin(), m->support_.end(), kk) == m->support_.end())
          m->support_.push_back(kk);
    }
  } else {
    PetscCheck(net.spec().kernel.family == KernelFamily::Irreps, comm, PETSC_ERR_USER_INPUT,
               "reduce: give the kernel's Fourier support with -reduce_irreps (or use -kernel irreps)");
    PetscCall(kernelIrrepSupport(comm, net.spec().kernel, G, &m->support_));
  }
  // Scalar blocks (gains) or class values: a class function, so right translations are symmetries too. With
  // channels the channel matrix does not matter (it acts on another index).
  m->rightSymmetric_ = net.kernelFamily().isClassFunction();
  if (spec.verify) PetscCall(readStabilitySolverOptions(comm));
  PetscCall(OrbitTools::create(net.connectivity().sharedEngine(), &m->orbits_)); // the network's FFT plans
  PetscCall(net.createVec(m->x_.address()));
  PetscCall(net.createVec(m->rate_.address()));
  PetscCall(net.createVec(m->work_.address()));
  PetscCall(m->buildBasis());
  *out = std::move(m);
  PetscFunctionReturn(0);
}

PetscErrorCode ReducedModel::buildBasis() {
  const Group &G   = net_->group();
  const PetscInt C = net_->channels();
  PetscInt lo = 0, hi = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(x_, &lo, &hi));
  std::size_t expected = 0;
  std::vector<Complex> rho;
  // Candidates Re and Im of rho_k(g)_ij on channel c; Gram-Schmidt (twice) keeps an orthonormal basis.
  for (const auto &k : support_) {
    const int d = productIrrepDim(G, k);
    expected += static_cast<std::size_t>(C * d * d);
    // rho_k(g) for the local elements (the layout holds whole elements: lo is a multiple of C).
    std::vector<std::vector<Complex>> values(static_cast<std::size_t>((hi - lo) / C));
    for (PetscInt g = lo / C; g < hi / C; ++g) {
      productIrrepMatrix(G, k, g, &rho);
      values[g - lo / C] = rho;
    }
    for (PetscInt c = 0; c < C; ++c)
      for (int e = 0; e < d * d; ++e)
        for (int part = 0; part < 2; ++part) {
          VecHandle v;
          PetscScalar *a = nullptr;
          PetscCall(VecDuplicate(x_, v.address()));
          PetscCall(VecGetArray(v, &a));
          for (PetscInt i = lo; i < hi; ++i) {
            const Complex z = values[i / C - lo / C][e];
            a[i - lo]       = i % C == c ? (part == 0 ? z.real() : z.imag()) : 0.0;
          }
          PetscCall(VecRestoreArray(v, &a));
          PetscReal before = 0, after = 0;
          PetscCall(VecNorm(v, NORM_2, &before));
          if (before == 0) continue;
          for (int pass = 0; pass < 2; ++pass)
            for (auto &b : basis_) {
              PetscScalar dot = 0;
              PetscCall(VecDot(v, b, &dot));
              PetscCall(VecAXPY(v, -dot, b));
            }
          PetscCall(VecNorm(v, NORM_2, &after));
          if (after <= 1e-8 * before) continue;
          PetscCall(VecScale(v, 1.0 / after));
          basis_.push_back(std::move(v));
        }
  }
  PetscCheck(basis_.size() == expected, net_->comm(), PETSC_ERR_PLIB,
             "reduce: basis of V_K has %zu vectors, expected %zu", basis_.size(), expected);
  // Jhat = B^T J B, one convolution per basis vector.
  const std::size_t R = basis_.size();
  jhat_.assign(R * R, 0.0);
  std::vector<Vec> B(R);
  for (std::size_t r = 0; r < R; ++r)
    B[r] = basis_[r];
  std::vector<PetscScalar> col(R);
  for (std::size_t s = 0; s < R; ++s) {
    PetscCall(net_->connectivity().apply(basis_[s], work_));
    PetscCall(VecMDot(work_, static_cast<PetscInt>(R), B.data(), col.data()));
    for (std::size_t r = 0; r < R; ++r)
      jhat_[r * R + s] = col[r];
  }
  // K must carry the whole kernel: J v in V_K and J v = J P v for a random v.
  VecHandle v, pv, jv, jpv;
  PetscCall(VecDuplicate(x_, v.address()));
  PetscCall(VecDuplicate(x_, pv.address()));
  PetscCall(VecDuplicate(x_, jv.address()));
  PetscCall(VecDuplicate(x_, jpv.address()));
  PetscScalar *a = nullptr;
  PetscCall(VecGetArray(v, &a));
  for (PetscInt i = lo; i < hi; ++i)
    a[i - lo] = counterNormal(spec_.seed, 7, static_cast<std::uint64_t>(i));
  PetscCall(VecRestoreArray(v, &a));
  std::vector<double> coef;
  PetscCall(project(v, &coef));
  PetscCall(lift(coef, pv));
  PetscCall(net_->connectivity().apply(v, jv));
  PetscCall(net_->connectivity().apply(pv, jpv));
  PetscReal njv = 0, diff = 0;
  PetscCall(VecNorm(jv, NORM_2, &njv));
  PetscCall(VecAXPY(jpv, -1.0, jv));
  PetscCall(VecNorm(jpv, NORM_2, &diff));
  supportDefect_ = njv > 0 ? diff / njv : diff;
  PetscCheck(
      supportDefect_ <= 1e-9, net_->comm(), PETSC_ERR_USER_INPUT,
      "reduce: the kernel has Fourier components outside the irreps K (relative defect %.2e); list its "
      "whole support with -reduce_irreps",
      supportDefect_);
  PetscFunctionReturn(0);
}

PetscErrorCode ReducedModel::lift(const std::vector<double> &a, Vec x) {
  std::vector<Vec> B(basis_.size());
  PetscFunctionBeginUser;
  for (std::size_t r = 0; r < B.size(); ++r)
    B[r] = basis_[r];
  PetscCall(VecSet(x, 0.0));
  PetscCall(VecMAXPY(x, static_cast<PetscInt>(B.size()), a.data(), B.data()));
  PetscFunctionReturn(0);
}

PetscErrorCode ReducedModel::project(Vec x, std::vector<double> *a) {
  std::vector<Vec> B(basis_.size());
  PetscFunctionBeginUser;
  for (std::size_t r = 0; r < B.size(); ++r)
    B[r] = basis_[r];
  a->assign(B.size(), 0.0);
  PetscCall(VecMDot(x, static_cast<PetscInt>(B.size()), B.data(), a->data()));
  PetscFunctionReturn(0);
}

PetscErrorCode ReducedModel::residual(const std::vector<double> &a, std::vector<double> *f) {
  const std::size_t R = basis_.size();
  std::vector<double> p;
  PetscFunctionBeginUser;
  PetscCall(lift(a, x_));
  PetscCall(net_->spec().phi.apply(x_, rate_));
  PetscCall(project(rate_, &p));
  f->assign(R, 0.0);
  for (std::size_t r = 0; r < R; ++r) {
    double s = -a[r];
    for (std::size_t q = 0; q < R; ++q)
      s += jhat_[r * R + q] * p[q];
    (*f)[r] = s / net_->spec().tau;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode ReducedModel::jacobian(const std::vector<double> &a, std::vector<double> *jac) {
  const std::size_t R = basis_.size();
  std::vector<double> m(R * R), col;
  PetscFunctionBeginUser;
  PetscCall(lift(a, x_));
  PetscCall(net_->spec().phi.applyDerivative(x_, rate_));
  // M = B^T diag(phi'(x)) B, column by column.
  for (std::size_t s = 0; s < R; ++s) {
    PetscCall(VecPointwiseMult(work_, rate_, basis_[s]));
    PetscCall(project(work_, &col));
    for (std::size_t r = 0; r < R; ++r)
      m[r * R + s] = col[r];
  }
  jac->assign(R * R, 0.0);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t s = 0; s < R; ++s) {
      double v = r == s ? -1.0 : 0.0;
      for (std::size_t q = 0; q < R; ++q)
        v += jhat_[r * R + q] * m[q * R + s];
      (*jac)[r * R + s] = v / net_->spec().tau;
    }
  PetscFunctionReturn(0);
}

PetscErrorCode ReducedModel::newton(std::vector<double> *a, bool *converged, double *residualNorm) {
  const int n = static_cast<int>(basis_.size()), one = 1;
  std::vector<double> f, jac, trial, ftrial;
  PetscFunctionBeginUser;
  *converged = false;
  PetscCall(residual(*a, &f));
  double fn       = norm2(f);
  int polishSteps = 0; // after meeting the tolerance, up to two more steps while |F| still drops
  for (PetscInt it = 0; it < spec_.maxIterations; ++it) {
    if (fn <= spec_.tol * std::max(1.0, norm2(*a))) {
      *converged = true;
      if (++polishSteps > 2) break;
    }
    PetscCall(jacobian(*a, &jac));
    // Solve jac^T-layout: dgesv is column-major, so pass the transpose (row-major jac is jac^T column-major).
    std::vector<double> colMajor(jac.size());
    for (int r = 0; r < n; ++r)
      for (int s = 0; s < n; ++s)
        colMajor[s * n + r] = jac[r * n + s];
    std::vector<double> step(f);
    for (double &v : step)
      v = -v;
    std::vector<int> ipiv(static_cast<std::size_t>(n));
    int info = 0;
    dgesv_(&n, &one, colMajor.data(), &n, ipiv.data(), step.data(), &n, &info);
    if (info != 0) break; // singular Jacobian: give up on this start
    // Backtracking: halve the step until |F| decreases.
    double lambda = 1.0;
    bool accepted = false;
    for (int k = 0; k < 30 && !accepted; ++k, lambda *= 0.5) {
      trial = *a;
      for (int r = 0; r < n; ++r)
        trial[r] += lambda * step[r];
      PetscCall(residual(trial, &ftrial));
      const double ft = norm2(ftrial);
      if (std::isfinite(ft) && ft < fn) {
        *a       = trial;
        f        = ftrial;
        fn       = ft;
        accepted = true;
      }
    }
    if (!accepted) break; // a polishing step that cannot improve ends the iteration too
  }
  if (!*converged) *converged = fn <= spec_.tol * std::max(1.0, norm2(*a));
  *residualNorm = fn;
  PetscFunctionReturn(0);
}

PetscErrorCode ReducedModel::census(std::vector<ReducedFixedPoint> *found, PetscInt *failedStarts) {
  const std::size_t R = basis_.size();
  const double scale  = std::sqrt(static_cast<double>(net_->connectivity().size()) / static_cast<double>(R));
  PetscFunctionBeginUser;
  found->clear();
  *failedStarts = 0;
  // An odd phi (tanh, linear without threshold) makes x -> -x a symmetry: each new orbit's mirror image is
  // tried at once, which closes the census far sooner than random starts alone.
  const bool odd = net_->spec().phi.isOdd();
  std::vector<std::vector<double>> mirrors;
  for (PetscInt s = 0; s <= spec_.starts || !mirrors.empty();) {
    std::vector<double> a(R, 0.0);
    PetscInt start = s;
    if (!mirrors.empty()) {
      a = mirrors.back(); // already a fixed point if the symmetry holds: Newton only confirms it
      mirrors.pop_back();
      start = -1;
    } else {
      // Start 0 is a = 0; the others are random, amplitudes cycling through spec.amplitudes (per neuron).
      if (s > 0) {
        const double amp = spec_.amplitudes[static_cast<std::size_t>(s - 1) % spec_.amplitudes.size()];
        for (std::size_t r = 0; r < R; ++r)
          a[r] = amp * scale * counterNormal(spec_.seed, static_cast<std::uint64_t>(s), r);
      }
      ++s;
    }
    bool ok    = false;
    double res = 0;
    PetscCall(newton(&a, &ok, &res));
    if (!ok) {
      if (start >= 0) ++*failedStarts;
      continue;
    }
    ReducedFixedPoint p;
    p.a               = a;
    p.residualReduced = res;
    p.start           = start;
    PetscCall(net_->createVec(p.x.address()));
    PetscCall(lift(a, p.x));
    PetscReal xn = 0;
    PetscCall(VecNorm(p.x, NORM_2, &xn));
    bool repeat = false;
    for (auto &q : *found) {
      OrbitMatch m;
      PetscReal qn = 0;
      PetscCall(VecNorm(q.x, NORM_2, &qn));
      if (std::abs(qn - xn) > spec_.sameTol * std::max<PetscReal>(1, xn)) continue;
      PetscCall(orbits_->match(p.x, q.x, &m));
      if (m.distance <= spec_.sameTol * std::max<PetscReal>(1, xn)) {
        repeat = true;
        break;
      }
    }
    if (repeat) continue;
    PetscCall(analyse(&p));
    PetscCall(assignFamily(*found, &p));
    if (spec_.verify) PetscCall(verifyOnFullNetwork(&p));
    if (odd) {
      mirrors.push_back(a);
      for (double &v : mirrors.back())
        v = -v;
    }
    found->push_back(std::move(p));
  }
  // Smaller states first, copies of one norm in the order found: a reproducible order for tables and files.
  std::vector<double> norms(found->size());
  for (std::size_t i = 0; i < found->size(); ++i)
    norms[i] = norm2((*found)[i].a);
  std::vector<ReducedFixedPoint> sorted;
  for (std::size_t i : orderByNorm(norms, 1e-9))
    sorted.push_back(std::move((*found)[i]));
  *found = std::move(sorted);
  PetscFunctionReturn(0);
}

PetscErrorCode ReducedModel::assignFamily(const std::vector<ReducedFixedPoint> &found, ReducedFixedPoint *p) {
  // The network's symmetries beyond left translations: right translations R_b (class-function kernels) and
  // x -> -x (odd phi). A family is an orbit of all of them; its representative is its first member.
  const Group &G = net_->group();
  const bool odd = net_->spec().phi.isOdd();
  // Right translations are left translations in an abelian group: nothing new to try there.
  const PetscInt nb = rightSymmetric_ && !G.isAbelian() && G.order() <= spec_.familyMaxOrder ? G.order() : 1;
  bool hasAxis      = false;
  for (PetscInt n : G.axisOrders())
    hasAxis = hasAxis || n > 2;
  VecHandle moved;
  PetscReal xn = 0;
  PetscFunctionBeginUser;
  p->family = -1;
  PetscCall(VecDuplicate(p->x, moved.address()));
  PetscCall(VecNorm(p->x, NORM_2, &xn));
  std::vector<PetscInt> seen;
  for (const auto &q : found) {
    if (std::find(seen.begin(), seen.end(), q.family) != seen.end()) continue; // not a representative
    seen.push_back(q.family);
    // Every symmetry keeps the norm: a cheap rejection. Exact symmetries keep it to rounding; a lattice-split
    // continuous manifold only to about familyTol, and then only b = e is tried.
    const double dn = std::abs(norm2(q.a) - xn), scale = std::max<PetscReal>(1, xn);
    if (dn > 10 * spec_.familyTol * scale) continue;
    const PetscInt nbHere = dn <= spec_.sameTol * scale ? nb : 1;
    for (double sign : {1.0, -1.0}) {
      if (sign < 0 && !odd) continue;
      for (PetscInt b = 0; b < nbHere && p->family < 0; ++b) {
        PetscCall(rightTranslate(G, b, p->x, moved));
        PetscCall(VecScale(moved, sign));
        // Lattice match for every symmetry; the (costlier) continuous translation only for b = e.
        OrbitMatch m;
        PetscCall(q.orbit->match(moved, &m)); // the representative's cached spectra: one convolution
        if (m.distance <= spec_.sameTol * std::max<PetscReal>(1, xn)) p->family = q.family;
        if (p->family < 0 && b == 0 && hasAxis) {
          double d = 0;
          PetscCall(continuousOrbitDistance(*q.orbit, moved, &d));
          if (d <= spec_.familyTol * std::max<PetscReal>(1, xn)) p->family = q.family;
        }
      }
    }
    if (p->family >= 0) break;
  }
  if (p->family < 0) {
    p->family = families_++;
    std::unique_ptr<OrbitReference> ref;
    PetscCall(OrbitReference::create(orbits_->sharedEngine(), p->x, &ref));
    p->orbit = std::move(ref);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode ReducedModel::analyse(ReducedFixedPoint *p) {
  const Group &G = net_->group();
  PetscReal xn   = 0;
  std::vector<double> jac;
  PetscFunctionBeginUser;
  PetscCall(VecNorm(p->x, NORM_2, &xn));
  PetscCall(orbits_->stabiliser(p->x, spec_.symmetryTol * std::max<PetscReal>(1, xn), &p->stabiliser));
  p->orbitSize = G.order() / p->stabiliser.order;
  // Manifold dimension: the rank of the orbit's tangent directions along the axes (discretised circles).
  std::vector<VecHandle> tangents;
  std::vector<PetscInt> axes;
  PetscCall(orbitTangents(orbits_->engine(), p->x, &tangents, &axes));
  std::vector<VecHandle> kept;
  for (auto &t : tangents) {
    PetscReal before = 0, after = 0;
    PetscCall(VecNorm(t, NORM_2, &before));
    for (int pass = 0; pass < 2; ++pass)
      for (auto &k : kept) {
        PetscScalar dot = 0;
        PetscCall(VecDot(t, k, &dot));
        PetscCall(VecAXPY(t, -dot, k));
      }
    PetscCall(VecNorm(t, NORM_2, &after));
    if (after <= 1e-6 * std::max<PetscReal>(1, xn)) continue;
    PetscCall(VecScale(t, 1.0 / after));
    kept.push_back(std::move(t));
  }
  p->dimension = static_cast<PetscInt>(kept.size());
  PetscCall(jacobian(p->a, &jac));
  PetscCheck(realMatrixEigenvalues(jac, static_cast<int>(p->a.size()), &p->re, &p->im), net_->comm(),
             PETSC_ERR_LIB, "reduce: LAPACK dgeev failed on the %zu x %zu reduced Jacobian", p->a.size(),
             p->a.size());
  for (std::size_t i = 0; i < p->re.size(); ++i) {
    if (std::abs(p->re[i]) <= spec_.marginalTol && std::abs(p->im[i]) <= spec_.marginalTol)
      ++p->nMarginal;
    else if (p->re[i] > spec_.marginalTol)
      ++p->nUnstable;
  }
  p->classification = p->nUnstable > 0 ? Classification::Saddle : Classification::Stable;
  PetscFunctionReturn(0);
}

PetscErrorCode ReducedModel::verifyOnFullNetwork(ReducedFixedPoint *p) {
  VecHandle f;
  PetscReal fn    = 0;
  const double mt = -1.0 / net_->spec().tau; // the eigenvalue of every direction outside V_K
  PetscFunctionBeginUser;
  PetscCall(net_->createVec(f.address()));
  PetscCall(net_->rhs(0.0, p->x, f));
  PetscCall(VecNorm(f, NORM_2, &fn));
  PetscReal xn = 0;
  PetscCall(VecNorm(p->x, NORM_2, &xn));
  // Relative, as in the fixed-point census: |x| grows like sqrt(N), and so does rounding in |F(x)|.
  p->residualFull = fn * net_->spec().tau / std::max<PetscReal>(1, xn);
  // SLEPc on the full network: the reduced eigenvalues above -1/tau, then -1/tau itself.
  PetscInt above = 0;
  for (double r : p->re)
    if (r > mt + 1e-6) ++above;
  StabilitySpec s;
  s.nev         = std::min<PetscInt>(above + 1, net_->connectivity().size());
  s.marginalTol = spec_.marginalTol;
  StabilityResult full;
  PetscCall(analyseStability(*net_, p->x, s, &full));
  p->fullRe = full.re;
  p->fullIm = full.im;
  std::vector<double> expectRe, expectIm;
  for (std::size_t i = 0; i < p->re.size(); ++i)
    if (p->re[i] > mt + 1e-6) expectRe.push_back(p->re[i]), expectIm.push_back(p->im[i]);
  if (above < net_->connectivity().size()) expectRe.push_back(mt), expectIm.push_back(0.0);
  // Greedy matching of the converged full eigenvalues to the expected ones.
  std::vector<char> used(expectRe.size(), 0);
  double worst      = 0;
  PetscInt compared = 0;
  for (std::size_t i = 0; i < full.re.size() && compared < static_cast<PetscInt>(expectRe.size()); ++i) {
    double best     = 1e300;
    std::size_t arg = 0;
    for (std::size_t j = 0; j < expectRe.size(); ++j)
      if (!used[j]) {
        const double d = std::hypot(full.re[i] - expectRe[j], std::abs(full.im[i]) - std::abs(expectIm[j]));
        if (d < best) best = d, arg = j;
      }
    used[arg] = 1;
    worst     = std::max(worst, best);
    ++compared;
  }
  p->spectrumMismatch    = compared > 0 ? worst : -1;
  p->comparedEigenvalues = compared;
  p->verified = p->residualFull < 1e-10 && compared == static_cast<PetscInt>(expectRe.size()) && worst < 1e-6;
  PetscFunctionReturn(0);
}

} // namespace eqrnn
