#include "solvers/fixed_points.hpp"

#include "core/random.hpp"
#include "analysis/tangent.hpp"
#include "groups/group_action.hpp"
#include "io/hdf5_file.hpp"
#include <petscksp.h>
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace eqrnn {

const char *startResultName(StartResult r) {
  switch (r) {
  case StartResult::New:
    return "new";
  case StartResult::Repeat:
    return "repeat";
  case StartResult::Failed:
    return "failed";
  }
  return "?";
}

FixedPointFinder::~FixedPointFinder() = default;

PetscErrorCode FixedPointFinder::create(RateNetwork &net, const CensusSpec &spec,
                                        std::unique_ptr<FixedPointFinder> *out) {
  std::unique_ptr<FixedPointFinder> f(new FixedPointFinder());
  KSP ksp;
  PC pc;
  MPI_Comm comm = net.comm();
  PetscFunctionBeginUser;
  PetscCheck(spec.tol > 0, comm, PETSC_ERR_USER_INPUT, "-fp_tol must be > 0");
  PetscCheck(spec.randomStarts >= 0, comm, PETSC_ERR_USER_INPUT, "-fp_starts must be >= 0");
  PetscCheck(spec.maxIterations > 0, comm, PETSC_ERR_USER_INPUT, "-fp_max_it must be > 0");
  PetscCheck(spec.deflationPower > 0 && spec.deflationShift >= 0, comm, PETSC_ERR_USER_INPUT,
             "deflation needs -fp_deflation_power > 0 and -fp_deflation_shift >= 0");
  PetscCheck(!spec.amplitudes.empty(), comm, PETSC_ERR_USER_INPUT, "-fp_amplitudes is empty");
  f->net_  = &net;
  f->spec_ = spec;
  PetscCall(Linearisation::create(net, &f->lin_));
  // The start files are read now: a missing file is an error before the census, not after it.
  for (const std::string &item : spec.startFiles) {
    const auto colon       = item.rfind(':');
    const bool named       = colon != std::string::npos && colon + 1 < item.size() && item[colon + 1] == '/';
    const std::string file = named ? item.substr(0, colon) : item,
                      dataset = named ? item.substr(colon + 1) : "/final/x";
    VecHandle x;
    PetscCall(net.createVec(x.address()));
    PetscCall(readVector(comm, file, dataset, x));
    f->fileStarts_.push_back(std::move(x));
  }
  // The eigensolver is built per manifold; its options are read (and checked) now.
  if (spec.stability) PetscCall(readStabilitySolverOptions(comm));
  PetscCall(OrbitTools::create(net.connectivity().sharedEngine(), &f->orbits_)); // the network's FFT plans
  for (VecHandle *v : {&f->f_, &f->fUndeflated_, &f->gradient_, &f->work_, &f->shifted_})
    PetscCall(net.createVec(v->address()));
  const PetscInt n = net.connectivity().localSize(), N = net.connectivity().size();
  PetscCall(MatCreateShell(comm, n, n, N, N, f.get(), f->jacobian_.address()));
  PetscCall(MatShellSetOperation(f->jacobian_, MATOP_MULT, reinterpret_cast<void (*)(void)>(deflatedMult)));
  PetscCall(MatShellSetOperation(f->jacobian_, MATOP_GET_DIAGONAL,
                                 reinterpret_cast<void (*)(void)>(deflatedDiagonal)));
  PetscCall(SNESCreate(comm, f->snes_.address()));
  PetscCall(SNESSetFunction(f->snes_, f->f_, snesFunction, f.get()));
  PetscCall(SNESSetJacobian(f->snes_, f->jacobian_, f->jacobian_, snesJacobian, f.get()));
  PetscCall(SNESSetTolerances(f->snes_, 0.0, 0.0, 0.0, spec.maxIterations, 100 * spec.maxIterations));
  PetscCall(SNESSetConvergenceTest(f->snes_, snesConverged, f.get(), nullptr));
  PetscCall(SNESGetKSP(f->snes_, &ksp));
  PetscCall(KSPSetType(ksp, KSPGMRES));
  PetscCall(KSPSetTolerances(ksp, 1e-8, PETSC_DEFAULT, PETSC_DEFAULT, 500));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCJACOBI));
  PetscCall(SNESSetFromOptions(f->snes_));
  *out = std::move(f);
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::residual(Vec x, Vec f) {
  PetscFunctionBeginUser;
  PetscCall(net_->rhs(spec_.inputTime, x, f));
  PetscCall(VecScale(f, net_->spec().tau)); // F = tau * dx/dt: tau-independent residuals
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::deflation(Vec x, double *factor, Vec gradient) {
  PetscFunctionBeginUser;
  *factor = 1.0;
  if (gradient) PetscCall(VecSet(gradient, 0.0));
  const double p = spec_.deflationPower, alpha = spec_.deflationShift;
  // A floor on the distance keeps d^(-p-2) finite (the gradient's factor) when x lands on a known orbit.
  const double floor = std::pow(10.0, -300.0 / (p + 2));
  for (auto &m : manifolds_) {
    OrbitMatch match;
    PetscCall(m.orbit->match(x, &match));
    const double d  = std::max(match.distance, floor);
    const double mi = std::pow(d, -p) + alpha;
    *factor         = std::min(*factor * mi, 1e300);
    if (!gradient) continue;
    // d m_i / dx = -p d^(-p-2) (x - L_a y), L_a y the nearest point of the known orbit;
    // grad M = M sum_i (d m_i/dx) / m_i (the factor M is applied below).
    PetscCall(m.orbit->translated(match.shift, shifted_));
    PetscCall(VecWAXPY(work_, -1.0, shifted_, x));
    PetscCall(VecAXPY(gradient, -p * std::pow(d, -p - 2) / mi, work_));
  }
  if (gradient) PetscCall(VecScale(gradient, *factor));
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::snesFunction(SNES, Vec x, Vec f, void *ctx) {
  auto *self = static_cast<FixedPointFinder *>(ctx);
  PetscFunctionBeginUser;
  PetscCall(self->residual(x, self->fUndeflated_));
  PetscCall(self->deflation(x, &self->lastFactor_, nullptr)); // the gradient is needed by the Jacobian only
  PetscCall(VecCopy(self->fUndeflated_, f));
  PetscCall(VecScale(f, self->lastFactor_));
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::snesJacobian(SNES, Vec x, Mat J, Mat P, void *ctx) {
  auto *self = static_cast<FixedPointFinder *>(ctx);
  PetscFunctionBeginUser;
  // Linearise at x; F, M and grad M at x for the rank-one term of the deflated Jacobian.
  PetscCall(self->lin_->setPoint(x));
  PetscCall(self->residual(x, self->fUndeflated_));
  PetscCall(self->deflation(x, &self->factor_, self->gradient_));
  // A shell's state changes only through assembly: without it the Jacobi preconditioner would keep the
  // diagonal of an earlier linearisation point (even of an earlier start).
  PetscCall(MatAssemblyBegin(J, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(J, MAT_FINAL_ASSEMBLY));
  if (P != J) {
    PetscCall(MatAssemblyBegin(P, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(P, MAT_FINAL_ASSEMBLY));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::deflatedMult(Mat J, Vec v, Vec out) {
  FixedPointFinder *self = nullptr;
  PetscScalar gv         = 0;
  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(J, &self));
  // d(M F)/dx v = M (dF/dx) v + F (grad M . v), with dF/dx = tau * A.
  PetscCall(self->lin_->apply(v, out));
  PetscCall(VecScale(out, self->factor_ * self->net_->spec().tau));
  if (!self->manifolds_.empty()) {
    PetscCall(VecDot(self->gradient_, v, &gv));
    PetscCall(VecAXPY(out, gv, self->fUndeflated_));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::deflatedDiagonal(Mat J, Vec d) {
  FixedPointFinder *self = nullptr;
  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(J, &self));
  PetscCall(self->lin_->diagonal(d));
  PetscCall(VecScale(d, self->factor_ * self->net_->spec().tau));
  if (!self->manifolds_.empty())
    PetscCall(VecPointwiseMult(self->work_, self->fUndeflated_, self->gradient_));
  if (!self->manifolds_.empty()) PetscCall(VecAXPY(d, 1.0, self->work_));
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::snesConverged(SNES snes, PetscInt it, PetscReal, PetscReal, PetscReal fnorm,
                                               SNESConvergedReason *reason, void *ctx) {
  auto *self = static_cast<FixedPointFinder *>(ctx);
  Vec x;
  PetscReal xnorm = 0;
  PetscFunctionBeginUser;
  PetscCall(SNESGetSolution(snes, &x));
  PetscCall(VecNorm(x, NORM_2, &xnorm));
  // fnorm is the deflated residual M |F|; the criterion is on |F| itself.
  const double res = fnorm / self->lastFactor_;
  *reason          = SNES_CONVERGED_ITERATING;
  if (!std::isfinite(fnorm) || !std::isfinite(xnorm))
    *reason = SNES_DIVERGED_FNORM_NAN;
  else if (res <= self->spec_.tol * std::max<PetscReal>(1.0, xnorm))
    *reason = SNES_CONVERGED_FNORM_ABS;
  else if (it >= self->spec_.maxIterations)
    *reason = SNES_DIVERGED_MAX_IT;
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::solve(Vec x, bool *converged, double *residual, PetscInt *iterations,
                                       std::string *failure) {
  SNESConvergedReason reason;
  PetscReal fnorm = 0, xnorm = 0;
  PetscFunctionBeginUser;
  // Each start is independent of the ones before (and so a resumed census repeats them exactly).
  factor_ = lastFactor_ = 1.0;
  PetscCall(SNESSolve(snes_, nullptr, x));
  PetscCall(SNESGetConvergedReason(snes_, &reason));
  PetscCall(SNESGetIterationNumber(snes_, iterations));
  PetscCall(this->residual(x, fUndeflated_));
  PetscCall(VecNorm(fUndeflated_, NORM_2, &fnorm));
  PetscCall(VecNorm(x, NORM_2, &xnorm));
  *residual  = fnorm / std::max<PetscReal>(1.0, xnorm);
  *converged = reason > 0 && std::isfinite(*residual) && *residual <= spec_.tol;
  failure->clear();
  if (!*converged) {
    *failure = std::string("Newton: ") + SNESConvergedReasons[reason];
    if (!std::isfinite(*residual)) *failure += " (NaN/Inf state)";
  }
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::consider(Vec x, double res, PetscInt start, StartOutcome *outcome) {
  PetscReal xnorm = 0;
  PetscFunctionBeginUser;
  PetscCall(VecNorm(x, NORM_2, &xnorm));
  for (std::size_t i = 0; i < manifolds_.size(); ++i) {
    OrbitMatch m;
    PetscReal ynorm = 0;
    PetscCall(VecNorm(manifolds_[i].x, NORM_2, &ynorm));
    PetscCall(manifolds_[i].orbit->match(x, &m));
    if (m.distance <=
        spec_.sameTol * std::max({1.0, static_cast<double>(xnorm), static_cast<double>(ynorm)})) {
      outcome->result = StartResult::Repeat;
      outcome->detail = "manifold " + std::to_string(i);
      PetscFunctionReturn(0);
    }
  }
  Manifold mf;
  PetscCall(net_->createVec(mf.x.address()));
  PetscCall(VecCopy(x, mf.x));
  mf.residual = res;
  mf.start    = start;
  std::unique_ptr<OrbitReference> ref;
  PetscCall(OrbitReference::create(orbits_->sharedEngine(), mf.x, &ref));
  mf.orbit = std::move(ref);
  PetscCall(orbits_->stabiliser(x, spec_.symmetryTol * std::max<PetscReal>(1.0, xnorm), &mf.stabiliser));
  mf.orbitSize = net_->group().order() / mf.stabiliser.order;
  // On a lattice one continuous manifold leaves several orbits (on-site, between sites, ...): group them.
  mf.family = -1;
  for (auto &known : manifolds_) {
    PetscReal ynorm = 0;
    PetscCall(VecNorm(known.x, NORM_2, &ynorm));
    const double scale = spec_.familyTol * std::max<PetscReal>(1.0, xnorm);
    if (std::abs(ynorm - xnorm) > 10 * scale) continue; // translation keeps the norm: cheap rejection
    double d = 0;
    PetscCall(continuousDistance(x, known, &d));
    if (d <= scale) {
      mf.family = known.family;
      break;
    }
  }
  if (mf.family < 0) mf.family = families_++;
  if (spec_.stability) {
    PetscCall(analyseStability(*net_, x, spec_.stabilitySpec, &mf.stability));
    mf.hasStability = true;
  }
  outcome->result = StartResult::New;
  outcome->detail = "manifold " + std::to_string(manifolds_.size());
  manifolds_.push_back(std::move(mf));
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::continuousDistance(Vec x, Manifold &m, double *distance) {
  PetscFunctionBeginUser;
  PetscCall(continuousOrbitDistance(*m.orbit, x, distance));
  PetscFunctionReturn(0);
}

namespace {
// Union-find with the smaller root kept: a class's root is its first member.
PetscInt findRoot(std::vector<PetscInt> &parent, PetscInt i) {
  while (parent[i] != i)
    i = parent[i] = parent[parent[i]];
  return i;
}
void unite(std::vector<PetscInt> &parent, PetscInt a, PetscInt b) {
  a = findRoot(parent, a);
  b = findRoot(parent, b);
  if (a != b) parent[std::max(a, b)] = std::min(a, b);
}
} // namespace

PetscErrorCode FixedPointFinder::classify(Classes *out) {
  const Group &G = net_->group();
  bool hasAxis   = false;
  for (PetscInt n : G.axisOrders())
    hasAxis = hasAxis || n > 2;
  VecHandle moved;
  PetscFunctionBeginUser;
  if (!symmetry_) PetscCall(NetworkSymmetry::create(*net_, spec_.inputTime, &symmetry_));
  NetworkSymmetry &sym = *symmetry_;
  const std::size_t M  = manifolds_.size();
  std::vector<PetscReal> norms(M);
  for (std::size_t i = 0; i < M; ++i) {
    PetscCall(VecNorm(manifolds_[i].x, NORM_2, &norms[i]));
    PetscCall(sym.isotropy(manifolds_[i].x, spec_.symmetryTol * std::max<PetscReal>(1.0, norms[i]),
                           &manifolds_[i].isotropy));
  }
  // Lattice orbits: min over h in Gamma of |x_r - h x_j| within -fp_same_tol, r the first member of each
  // orbit so far (a symmetry keeps the norm, so norms further apart than the tolerance cannot match).
  std::vector<std::size_t> firsts;
  for (std::size_t j = 0; j < M; ++j) {
    Manifold &m    = manifolds_[j];
    m.latticeOrbit = -1;
    for (std::size_t k = 0; k < firsts.size() && m.latticeOrbit < 0; ++k) {
      const std::size_t r = firsts[k];
      const double scale =
          spec_.sameTol * std::max({1.0, static_cast<double>(norms[j]), static_cast<double>(norms[r])});
      if (std::abs(norms[j] - norms[r]) > scale) continue;
      double d = 0;
      PetscCall(sym.match(manifolds_[r].x, m.x, nullptr, false, &d));
      if (d <= scale) m.latticeOrbit = static_cast<PetscInt>(k);
    }
    if (m.latticeOrbit < 0) {
      m.latticeOrbit = static_cast<PetscInt>(firsts.size());
      firsts.push_back(j);
    }
  }
  // Classes: lattice orbits joined by a common family, and by a fractional translate of h x_j close to x_i
  // for some operation h of Gamma (the family test composed with Gamma: e.g. the half-site copy of a state's
  // mirror image). Union-find over the lattice orbits; norm rejection as in the family test.
  std::vector<PetscInt> parent(firsts.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::map<PetscInt, PetscInt> familyOrbit;
  for (const Manifold &m : manifolds_) {
    auto it = familyOrbit.emplace(m.family, m.latticeOrbit).first;
    unite(parent, it->second, m.latticeOrbit);
  }
  if (hasAxis && M > 1) {
    PetscCall(VecDuplicate(manifolds_[0].x, moved.address()));
    for (std::size_t j = 1; j < M; ++j)
      for (std::size_t i = 0; i < j; ++i) {
        Manifold &a = manifolds_[i], &b = manifolds_[j];
        if (findRoot(parent, a.latticeOrbit) == findRoot(parent, b.latticeOrbit)) continue;
        const double scale = spec_.familyTol * std::max<PetscReal>(1.0, norms[j]);
        if (std::abs(norms[i] - norms[j]) > 10 * scale) continue;
        for (std::size_t o = 0; o < sym.operations().size(); ++o) {
          double d = 0;
          PetscCall(sym.apply({0, o}, b.x, moved));
          PetscCall(continuousOrbitDistance(*a.orbit, moved, &d));
          if (d <= scale) {
            unite(parent, a.latticeOrbit, b.latticeOrbit);
            break;
          }
        }
      }
  }
  std::map<PetscInt, PetscInt> classOfRoot;
  for (Manifold &m : manifolds_) {
    const PetscInt root = findRoot(parent, m.latticeOrbit);
    m.symmetryClass     = classOfRoot.emplace(root, static_cast<PetscInt>(classOfRoot.size())).first->second;
  }
  out->symmetry      = sym.describe();
  out->latticeOrbits = static_cast<PetscInt>(firsts.size());
  out->classes       = static_cast<PetscInt>(classOfRoot.size());
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::leadingModes(std::vector<std::vector<PetscInt>> *modes) {
  const Group &G = net_->group();
  const auto &n  = G.axisOrders();
  PetscFunctionBeginUser;
  // Candidate wavevectors with components in [-K, K] on the non-trivial axes, one of each pair +-k.
  std::vector<std::size_t> axes;
  for (std::size_t i = 0; i < n.size(); ++i)
    if (n[i] > 1) axes.push_back(i);
  const PetscInt K = axes.size() <= 2 ? 2 : 1;
  std::vector<std::vector<PetscInt>> cands;
  std::vector<PetscInt> k(n.size(), 0);
  std::function<void(std::size_t)> enumerate = [&](std::size_t a) {
    if (a == axes.size()) {
      auto neg = k;
      for (auto &c : neg)
        c = -c;
      if (std::lexicographical_compare(neg.begin(), neg.end(), k.begin(), k.end()) ||
          std::all_of(k.begin(), k.end(), [](PetscInt c) { return c == 0; }))
        cands.push_back(k);
      return;
    }
    for (PetscInt c = -K; c <= K; ++c) {
      if (2 * std::abs(c) > n[axes[a]]) continue; // beyond Nyquist
      k[axes[a]] = c;
      enumerate(a + 1);
    }
    k[axes[a]] = 0;
  };
  enumerate(0);
  // Cosine coefficients of the kernel for each candidate: one pass over the local elements.
  std::vector<double> coef(cands.size(), 0.0);
  PetscInt lo = 0, hi = 0;
  const PetscScalar *w = nullptr;
  VecHandle kernel;
  PetscCall(net_->kernelValues(kernel.address()));
  PetscCall(VecGetOwnershipRange(kernel, &lo, &hi));
  PetscCall(VecGetArrayRead(kernel, &w));
  // Kernel layout: C^2 values per element; the channel sum of w_cc' weighs each axis mode.
  const PetscInt C2 = net_->channels() * net_->channels();
  for (PetscInt j = lo; j < hi; ++j) {
    const auto c = G.axisCoordinates(j / C2);
    for (std::size_t m = 0; m < cands.size(); ++m) {
      double phase = 0;
      for (std::size_t i = 0; i < n.size(); ++i)
        phase += 2 * M_PI * static_cast<double>(cands[m][i] * c[i]) / static_cast<double>(n[i]);
      coef[m] += w[j - lo] * std::cos(phase);
    }
  }
  PetscCall(VecRestoreArrayRead(kernel, &w));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, coef.data(), static_cast<int>(coef.size()), MPI_DOUBLE, MPI_SUM,
                             net_->comm()));
  const double best = *std::max_element(coef.begin(), coef.end());
  modes->clear();
  if (best <= 0) PetscFunctionReturn(0);
  for (std::size_t m = 0; m < cands.size(); ++m)
    if (coef[m] >= 0.5 * best) modes->push_back(cands[m]);
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::startCount(PetscInt *count) {
  PetscFunctionBeginUser;
  if (!seedModesReady_) {
    PetscCall(leadingModes(&seedModes_));
    seedModesReady_ = true;
  }
  const PetscInt m = spec_.symmetrySeeds ? static_cast<PetscInt>(seedModes_.size()) : 0;
  const PetscInt a = static_cast<PetscInt>(spec_.amplitudes.size());
  *count = static_cast<PetscInt>(fileStarts_.size()) + 1 + a * (m + m * (m - 1) / 2) + spec_.randomStarts;
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::makeStart(PetscInt fileOrIndex, Vec x) {
  PetscInt count = 0, lo = 0, hi = 0;
  PetscScalar *xa = nullptr;
  PetscFunctionBeginUser;
  PetscCall(startCount(&count));
  PetscCheck(fileOrIndex >= 0 && fileOrIndex < count, net_->comm(), PETSC_ERR_ARG_OUTOFRANGE,
             "start %" PetscInt_FMT " of %" PetscInt_FMT, fileOrIndex, count);
  const PetscInt files = static_cast<PetscInt>(fileStarts_.size());
  if (fileOrIndex < files) { // a state given by the user, tried first
    PetscCall(VecCopy(fileStarts_[static_cast<std::size_t>(fileOrIndex)], x));
    PetscFunctionReturn(0);
  }
  const PetscInt index = fileOrIndex - files;
  const Group &G       = net_->group();
  const auto &n        = G.axisOrders();
  const PetscInt C     = net_->channels();
  const PetscInt m     = static_cast<PetscInt>(seedModes_.size()),
                 a     = static_cast<PetscInt>(spec_.amplitudes.size());
  const PetscInt seeds = a * (m + m * (m - 1) / 2);
  auto phase           = [&](const std::vector<PetscInt> &k, const std::vector<PetscInt> &c) {
    double p = 0;
    for (std::size_t i = 0; i < n.size(); ++i)
      p += 2 * M_PI * static_cast<double>(k[i] * c[i]) / static_cast<double>(n[i]);
    return p;
  };
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(VecGetArray(x, &xa));
  if (index == 0) { // the homogeneous state's neighbourhood: x = 0
    for (PetscInt g = lo; g < hi; ++g)
      xa[g - lo] = 0.0;
  } else if (index <= seeds) {
    // Symmetry seeds: one leading mode, or the sum of two, at each amplitude.
    const PetscInt s = index - 1, amp = s % a, which = s / a;
    std::vector<std::size_t> terms;
    if (which < m) {
      terms = {static_cast<std::size_t>(which)};
    } else {
      PetscInt pair = which - m;
      for (PetscInt i = 0; i < m && terms.empty(); ++i)
        for (PetscInt j = i + 1; j < m; ++j)
          if (pair-- == 0) {
            terms = {static_cast<std::size_t>(i), static_cast<std::size_t>(j)};
            break;
          }
    }
    for (PetscInt g = lo; g < hi; ++g) {
      const auto c = G.axisCoordinates(g / C);
      double v     = 0;
      for (std::size_t t : terms)
        v += std::cos(phase(seedModes_[t], c));
      xa[g - lo] = spec_.amplitudes[amp] * v;
    }
  } else {
    // Random starts alternate between white noise and random combinations of the kernel's leading modes (cos
    // and sin of each, normal coefficients): noise reaches every basin in principle, the smooth ones reach
    // the low-dimensional manifolds far more often.
    const PetscInt r         = index - 1 - seeds;
    const double amp         = spec_.amplitudes[(r / 2) % a];
    const std::uint64_t draw = 1000 + static_cast<std::uint64_t>(r);
    const bool smooth        = (r % 2 == 1) && !seedModes_.empty();
    std::vector<double> cosCoef(seedModes_.size()), sinCoef(seedModes_.size());
    for (std::size_t t = 0; t < seedModes_.size(); ++t) {
      cosCoef[t] = counterNormal(spec_.seed, draw, 2 * t);
      sinCoef[t] = counterNormal(spec_.seed, draw, 2 * t + 1);
    }
    for (PetscInt g = lo; g < hi; ++g) {
      if (!smooth) {
        xa[g - lo] = amp * counterNormal(spec_.seed, draw, static_cast<std::uint64_t>(g));
        continue;
      }
      const auto c = G.axisCoordinates(g / C);
      double v     = 0;
      for (std::size_t t = 0; t < seedModes_.size(); ++t) {
        const double p = phase(seedModes_[t], c);
        v += cosCoef[t] * std::cos(p) + sinCoef[t] * std::sin(p);
      }
      xa[g - lo] = amp * v;
    }
  }
  PetscCall(VecRestoreArray(x, &xa));
  PetscFunctionReturn(0);
}

PetscErrorCode FixedPointFinder::census(PetscInt first,
                                        const std::function<PetscErrorCode(const StartOutcome &)> &progress) {
  PetscInt count = 0;
  VecHandle x;
  PetscFunctionBeginUser;
  PetscCall(startCount(&count));
  PetscCall(net_->createVec(x.address()));
  for (PetscInt i = first; i < count; ++i) {
    StartOutcome out;
    out.start  = i;
    bool ok    = false;
    double res = 0;
    PetscCall(makeStart(i, x));
    PetscCall(solve(x, &ok, &res, &out.iterations, &out.detail));
    if (ok)
      PetscCall(consider(x, res, i, &out));
    else
      out.result = StartResult::Failed;
    if (progress) PetscCall(progress(out));
    if (stop_) break;
  }
  PetscFunctionReturn(0);
}

} // namespace eqrnn
