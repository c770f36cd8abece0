#include "training/trained_fixed_points.hpp"

#include "core/handles.hpp"
#include "training/engine.hpp"
#include "training/linalg.hpp"
#include "training/task.hpp"
#include <petscsnes.h>
#include <slepceps.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace eqrnn::training {

namespace {
using SNESHandle = PetscHandle<SNES, SNESDestroy>;
using EPSHandle  = PetscHandle<EPS, EPSDestroy>;

constexpr const char *kPrefix          = "trained_";
constexpr PetscInt kGeneratedSequences = 4;     // test sequences run for the starts when none were saved
constexpr double kLinearTol            = 1e-10; // GMRES relative tolerance of a Newton step
constexpr PetscInt kGmresRestart       = 100;   // a trained W is low rank plus a bulk: few restarts
constexpr double kEigenTol             = 1e-12; // EPS residual / |A|: eigenvalues to ~1e-12 unless defective
// A ReLU pre-activation within this many times its accuracy of the kink is at the kink.
constexpr double kKinkFactor = 100;

// Copies the replicated x into the locally owned part of v.
PetscErrorCode scatterIn(const std::vector<double> &x, Vec v) {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(v, &lo, &hi));
  PetscCall(VecGetArrayWrite(v, &a));
  std::copy(x.begin() + lo, x.begin() + hi, a);
  PetscCall(VecRestoreArrayWrite(v, &a));
  PetscFunctionReturn(0);
}

// Every entry of v on every rank (one small vector per fixed point).
PetscErrorCode replicate(Vec v, std::vector<double> *x) {
  ScatterHandle scatter;
  VecHandle all;
  PetscInt n           = 0;
  const PetscScalar *a = nullptr;
  PetscFunctionBeginUser;
  PetscCall(VecScatterCreateToAll(v, scatter.address(), all.address()));
  PetscCall(VecScatterBegin(scatter, v, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(scatter, v, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetSize(all, &n));
  PetscCall(VecGetArrayRead(all, &a));
  x->assign(a, a + n);
  PetscCall(VecRestoreArrayRead(all, &a));
  PetscFunctionReturn(0);
}

// Defaults of the Newton solver, then the -trained_ options (which override them).
PetscErrorCode configureNewton(SNES snes, const ModelSpec &m, const FixedPointSpec &spec) {
  SNESLineSearch linesearch;
  KSP ksp;
  PC pc;
  PetscFunctionBeginUser;
  PetscCall(SNESSetOptionsPrefix(snes, kPrefix));
  PetscCall(SNESSetTolerances(snes, 0.0, 0.0, 0.0, spec.maxIterations, PETSC_DEFAULT));
  // ReLU: F is piecewise linear, and full Newton steps are exact on each piece, while backtracking along a
  // step computed on one piece stalls at the kinks (from h = 0 every neuron is at one). Smooth phi: the
  // l2 line search. Measured on 40 random networks of each kind (n = 40, b ~ N(0, 0.09), 11 starts each):
  // ReLU (gain 1.2) full steps failed on 15 of 440 starts, l2 on 26, backtracking on 45 (41 fixed points
  // each); tanh (gain 2) l2 found 86 fixed points (102 failed starts), full steps 69 (131), backtracking 70
  // (256).
  PetscCall(SNESGetLineSearch(snes, &linesearch));
  PetscCall(
      SNESLineSearchSetType(linesearch, m.phi == Activation::Relu ? SNESLINESEARCHBASIC : SNESLINESEARCHL2));
  PetscCall(SNESGetKSP(snes, &ksp));
  PetscCall(KSPSetType(ksp, KSPGMRES));
  PetscCall(KSPGMRESSetRestart(ksp, kGmresRestart));
  PetscCall(KSPSetTolerances(ksp, kLinearTol, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT));
  // The diagonal of -I + diag(phi') W is ~ -1 for a trained W: Jacobi would not help.
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCNONE));
  PetscCall(SNESSetFromOptions(snes));
  PetscFunctionReturn(0);
}

// Defaults of the eigensolver (nev leading eigenvalues by modulus of an n x n matrix), then the options.
PetscErrorCode configureEigensolver(EPS eps, const FixedPointSpec &spec, PetscInt n) {
  PetscFunctionBeginUser;
  PetscCall(EPSSetOptionsPrefix(eps, kPrefix));
  PetscCall(EPSSetProblemType(eps, EPS_NHEP));
  PetscCall(EPSSetWhichEigenpairs(eps, EPS_LARGEST_MAGNITUDE));
  PetscCall(EPSSetDimensions(eps, std::min(spec.nev, n), PETSC_DEFAULT, PETSC_DEFAULT));
  // Relative to |A|, not to |mu|: A is often singular (ReLU neurons off, low-rank W) and mu = 0 must
  // converge.
  PetscCall(EPSSetConvergenceTest(eps, EPS_CONV_NORM));
  PetscCall(EPSSetTolerances(eps, kEigenTol, PETSC_DEFAULT));
  PetscCall(EPSSetFromOptions(eps));
  PetscFunctionReturn(0);
}

// The input-free map G(h) = phi(W h + c) + b_out on a distributed dense W, and its linearisation.
class TrainedMap {
public:
  static PetscErrorCode create(MPI_Comm comm, const ModelSpec &m, const Parameters &p,
                               std::unique_ptr<TrainedMap> *out);
  // f = F(h) = -h + G(h).
  PetscErrorCode residual(Vec h, Vec f);
  // out = diag(phi'(W h + c)) W + shift I (out has W's layout). A ReLU pre-activation within `snap` of the
  // threshold counts as at the kink (*atKink of them), with the training convention's phi'.
  PetscErrorCode linearise(Vec h, double snap, double shift, Mat out, PetscInt *atKink);
  PetscErrorCode createVec(Vec *v) const;
  Mat matrix() const { return W_; }
  double normW() const { return normW_; }

private:
  explicit TrainedMap(const ModelSpec &m) : phi_(m), authors_(m.form == ModelForm::Authors) {}
  PetscErrorCode preactivation(Vec h); // a_ = W h + c

  Phi phi_;
  bool authors_;
  double normW_ = 0;
  MatHandle W_;
  VecHandle bias_, a_, slopes_;
};

PetscErrorCode TrainedMap::create(MPI_Comm comm, const ModelSpec &m, const Parameters &p,
                                  std::unique_ptr<TrainedMap> *out) {
  std::unique_ptr<TrainedMap> map(new TrainedMap(m));
  const PetscInt n = m.n;
  PetscInt lo = 0, hi = 0, lda = 0;
  PetscScalar *w = nullptr;
  std::vector<double> weff;
  PetscFunctionBeginUser;
  effectiveW(m, daleSigns(m), p.W, &weff);
  // Rows split across ranks; each rank's block is column-major (local rows x n) with leading dimension lda.
  PetscCall(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, n, n, nullptr, map->W_.address()));
  PetscCall(MatGetOwnershipRange(map->W_, &lo, &hi));
  PetscCall(MatDenseGetLDA(map->W_, &lda));
  PetscCall(MatDenseGetArrayWrite(map->W_, &w));
  for (PetscInt j = 0; j < n; ++j)
    for (PetscInt i = lo; i < hi; ++i)
      w[(i - lo) + j * lda] = weff[static_cast<std::size_t>(i + j * n)];
  PetscCall(MatDenseRestoreArrayWrite(map->W_, &w));
  PetscCall(MatAssemblyBegin(map->W_, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(map->W_, MAT_FINAL_ASSEMBLY));
  PetscCall(MatNorm(map->W_, NORM_INFINITY, &map->normW_));
  for (VecHandle *v : {&map->bias_, &map->a_, &map->slopes_})
    PetscCall(map->createVec(v->address()));
  PetscCall(scatterIn(p.b, map->bias_));
  *out = std::move(map);
  PetscFunctionReturn(0);
}

PetscErrorCode TrainedMap::createVec(Vec *v) const {
  PetscFunctionBeginUser;
  PetscCall(MatCreateVecs(W_, v, nullptr));
  PetscFunctionReturn(0);
}

PetscErrorCode TrainedMap::preactivation(Vec h) {
  PetscFunctionBeginUser;
  PetscCall(MatMult(W_, h, a_));
  if (!authors_) PetscCall(VecAXPY(a_, 1.0, bias_));
  PetscFunctionReturn(0);
}

PetscErrorCode TrainedMap::residual(Vec h, Vec f) {
  PetscInt n           = 0;
  const PetscScalar *a = nullptr, *x = nullptr, *b = nullptr;
  PetscScalar *y = nullptr;
  PetscFunctionBeginUser;
  PetscCall(preactivation(h));
  PetscCall(VecGetLocalSize(h, &n));
  PetscCall(VecGetArrayRead(a_, &a));
  PetscCall(VecGetArrayRead(h, &x));
  PetscCall(VecGetArrayRead(bias_, &b));
  PetscCall(VecGetArrayWrite(f, &y));
  for (PetscInt i = 0; i < n; ++i)
    y[i] = phi_.value(a[i]) + (authors_ ? b[i] : 0.0) - x[i];
  PetscCall(VecRestoreArrayWrite(f, &y));
  PetscCall(VecRestoreArrayRead(bias_, &b));
  PetscCall(VecRestoreArrayRead(h, &x));
  PetscCall(VecRestoreArrayRead(a_, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode TrainedMap::linearise(Vec h, double snap, double shift, Mat out, PetscInt *atKink) {
  PetscInt n = 0, kinks = 0;
  const PetscScalar *a = nullptr;
  PetscScalar *d       = nullptr;
  PetscFunctionBeginUser;
  PetscCall(preactivation(h));
  PetscCall(VecGetLocalSize(h, &n));
  PetscCall(VecGetArrayRead(a_, &a));
  PetscCall(VecGetArrayWrite(slopes_, &d));
  const bool relu = phi_.kind == Activation::Relu;
  for (PetscInt i = 0; i < n; ++i) {
    const bool kink = relu && std::abs(a[i] - phi_.threshold) <= snap;
    d[i]            = phi_.derivative(kink ? phi_.threshold : a[i]);
    kinks += kink;
  }
  PetscCall(VecRestoreArrayWrite(slopes_, &d));
  PetscCall(VecRestoreArrayRead(a_, &a));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &kinks, 1, MPIU_INT, MPI_SUM, PetscObjectComm((PetscObject)h)));
  if (atKink) *atKink = kinks;
  PetscCall(MatCopy(W_, out, SAME_NONZERO_PATTERN));
  PetscCall(MatDiagonalScale(out, slopes_, nullptr));
  if (shift != 0.0) PetscCall(MatShift(out, shift));
  PetscFunctionReturn(0);
}

// Newton on F with the assembled dense Jacobian -I + diag(phi') W (options prefix -trained_).
class Newton {
public:
  static PetscErrorCode create(TrainedMap &map, const ModelSpec &m, const FixedPointSpec &spec,
                               std::unique_ptr<Newton> *out);
  // From h (overwritten with the result): converged when |F(h)| <= tol max(1, |h|).
  PetscErrorCode solve(Vec h, bool *converged, double *residual);

private:
  Newton(TrainedMap &map, double tol) : map_(map), tol_(tol) {}
  static PetscErrorCode function(SNES, Vec h, Vec f, void *ctx);
  static PetscErrorCode jacobian(SNES, Vec h, Mat J, Mat P, void *ctx);
  static PetscErrorCode converged(SNES snes, PetscInt it, PetscReal, PetscReal, PetscReal fnorm,
                                  SNESConvergedReason *reason, void *ctx);

  TrainedMap &map_;
  double tol_;
  SNESHandle snes_;
  MatHandle J_;
  VecHandle f_;
};

PetscErrorCode Newton::create(TrainedMap &map, const ModelSpec &m, const FixedPointSpec &spec,
                              std::unique_ptr<Newton> *out) {
  std::unique_ptr<Newton> newton(new Newton(map, spec.tol));
  MPI_Comm comm = PetscObjectComm((PetscObject)map.matrix());
  PetscFunctionBeginUser;
  // Assembled rather than a shell around W: assembling diag(phi') W - I costs about one product with W (a
  // linear solve does several), the same assembly gives the eigensolver its A, and any preconditioner that
  // takes a dense matrix can be chosen from the options (e.g. -trained_pc_type lu on one rank).
  PetscCall(MatDuplicate(map.matrix(), MAT_DO_NOT_COPY_VALUES, newton->J_.address()));
  PetscCall(map.createVec(newton->f_.address()));
  PetscCall(SNESCreate(comm, newton->snes_.address()));
  PetscCall(SNESSetFunction(newton->snes_, newton->f_, function, newton.get()));
  PetscCall(SNESSetJacobian(newton->snes_, newton->J_, newton->J_, jacobian, newton.get()));
  PetscCall(configureNewton(newton->snes_, m, spec));
  PetscCall(SNESSetConvergenceTest(newton->snes_, converged, newton.get(), nullptr));
  *out = std::move(newton);
  PetscFunctionReturn(0);
}

PetscErrorCode Newton::function(SNES, Vec h, Vec f, void *ctx) {
  PetscFunctionBeginUser;
  PetscCall(static_cast<Newton *>(ctx)->map_.residual(h, f));
  PetscFunctionReturn(0);
}

PetscErrorCode Newton::jacobian(SNES, Vec h, Mat J, Mat, void *ctx) {
  PetscFunctionBeginUser;
  // Exactly at a ReLU kink the training convention's phi' (no snapping: Newton only needs a subgradient).
  PetscCall(static_cast<Newton *>(ctx)->map_.linearise(h, 0.0, -1.0, J, nullptr));
  PetscFunctionReturn(0);
}

PetscErrorCode Newton::converged(SNES snes, PetscInt, PetscReal, PetscReal, PetscReal fnorm,
                                 SNESConvergedReason *reason, void *ctx) {
  auto *self = static_cast<Newton *>(ctx);
  Vec h;
  PetscReal hnorm = 0;
  PetscFunctionBeginUser;
  // Scale-aware like the census (-fp_tol): |F| <= tol max(1, |h|). SNES itself stops at its max_it.
  PetscCall(SNESGetSolution(snes, &h));
  PetscCall(VecNorm(h, NORM_2, &hnorm));
  *reason = SNES_CONVERGED_ITERATING;
  if (!std::isfinite(fnorm) || !std::isfinite(hnorm))
    *reason = SNES_DIVERGED_FNORM_NAN;
  else if (fnorm <= self->tol_ * std::max<PetscReal>(1.0, hnorm))
    *reason = SNES_CONVERGED_FNORM_ABS;
  PetscFunctionReturn(0);
}

PetscErrorCode Newton::solve(Vec h, bool *ok, double *residual) {
  SNESConvergedReason reason;
  PetscReal fnorm = 0, hnorm = 0;
  PetscFunctionBeginUser;
  PetscCall(SNESSolve(snes_, nullptr, h));
  PetscCall(SNESGetConvergedReason(snes_, &reason));
  PetscCall(map_.residual(h, f_));
  PetscCall(VecNorm(f_, NORM_2, &fnorm));
  PetscCall(VecNorm(h, NORM_2, &hnorm));
  *residual = fnorm / std::max<PetscReal>(1.0, hnorm);
  *ok       = reason > 0 && std::isfinite(*residual) && *residual <= tol_;
  PetscFunctionReturn(0);
}

// Leading eigenvalues of A = diag(phi'(W h + c)) W at h, by decreasing modulus.
struct Eigenvalues {
  std::vector<double> re, im;
  bool converged  = false; // false: the eigensolver failed (re, im empty)
  PetscInt atKink = 0;     // ReLU neurons taken at the kink
};

// SLEPc (prefix -trained_) on the assembled A, ReLU pre-activations within `snap` of the threshold taken at
// the kink. A failed eigensolve leaves out->converged false rather than ending the census.
PetscErrorCode leadingEigenvalues(TrainedMap &map, Vec h, double snap, const FixedPointSpec &spec,
                                  Eigenvalues *out) {
  MatHandle A;
  EPSHandle eps;
  PetscInt n = 0, nconv = 0, nev = 0, ncv = 0, mpd = 0;
  PetscFunctionBeginUser;
  *out = Eigenvalues();
  PetscCall(VecGetSize(h, &n));
  PetscCall(MatDuplicate(map.matrix(), MAT_DO_NOT_COPY_VALUES, A.address()));
  PetscCall(map.linearise(h, snap, 0.0, A, &out->atKink));
  PetscCall(EPSCreate(PetscObjectComm((PetscObject)h), eps.address()));
  PetscCall(EPSSetOperators(eps, A, nullptr));
  PetscCall(configureEigensolver(eps, spec, n));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
  const PetscErrorCode failed = EPSSolve(eps);
  PetscCall(PetscPopErrorHandler());
  if (failed) PetscFunctionReturn(0);
  PetscCall(EPSGetConverged(eps, &nconv));
  PetscCall(EPSGetDimensions(eps, &nev, &ncv, &mpd));
  std::vector<double> re, im;
  for (PetscInt i = 0; i < nconv; ++i) {
    PetscScalar kr = 0, ki = 0;
    PetscCall(EPSGetEigenvalue(eps, i, &kr, &ki));
    re.push_back(kr);
    im.push_back(ki);
  }
  sortByModulus(&re, &im);
  // The nev leading ones; a complex pair is not cut in two.
  std::size_t keep = std::min<std::size_t>(re.size(), static_cast<std::size_t>(nev));
  if (keep > 0 && keep < re.size() && im[keep - 1] > 0 && re[keep] == re[keep - 1]) ++keep;
  out->re.assign(re.begin(), re.begin() + static_cast<std::ptrdiff_t>(keep));
  out->im.assign(im.begin(), im.begin() + static_cast<std::ptrdiff_t>(keep));
  out->converged = true;
  PetscFunctionReturn(0);
}

// How far from the threshold a pre-activation at h counts as at the kink: kKinkFactor times the accuracy of
// h (relative to max(1, |h|)) carried to the pre-activations by |W|. A fixed point is known to
// |F| <= tol max(1, |h|); a slow point is a state given exactly, its pre-activations known to the rounding of
// n-term sums, so its window is far narrower (with tol's, a neuron at 1e-6 of the kink of an n = 1000
// network was counted at it, moving the leading mu by 1e-3 from the Jacobian at h).
double kinkSnap(const TrainedMap &map, double hnorm, double accuracy) {
  return kKinkFactor * accuracy * std::max(1.0, hnorm) * map.normW();
}

// The spectrum at the fixed point h and the unstable and marginal counts.
PetscErrorCode spectrum(TrainedMap &map, Vec h, const FixedPointSpec &spec, TrainedFixedPoint *fp) {
  PetscReal hnorm = 0;
  Eigenvalues e;
  PetscFunctionBeginUser;
  PetscCall(VecNorm(h, NORM_2, &hnorm));
  PetscCall(leadingEigenvalues(map, h, kinkSnap(map, hnorm, spec.tol), spec, &e));
  fp->re       = std::move(e.re);
  fp->im       = std::move(e.im);
  fp->spectrum = e.converged;
  fp->atKink   = e.atKink;
  for (std::size_t k = 0; k < fp->re.size(); ++k) {
    fp->nUnstable += std::hypot(fp->re[k], fp->im[k]) > 1 + spec.unstableTol;
    fp->nMarginal += std::hypot(fp->re[k] - 1, fp->im[k]) < spec.marginalTol;
  }
  PetscFunctionReturn(0);
}

// y_c = d_c . h.
std::vector<double> readoutOf(const ModelSpec &m, const Parameters &p, const std::vector<double> &h) {
  std::vector<double> y(static_cast<std::size_t>(m.D), 0.0);
  for (PetscInt c = 0; c < m.D; ++c)
    for (PetscInt i = 0; i < m.n; ++i)
      y[c] += p.Dec[i + c * m.n] * h[i];
  return y;
}

// Speed and spectrum at the state in h (f: work vector).
PetscErrorCode slowPoint(TrainedMap &map, Vec h, Vec f, const FixedPointSpec &spec, SlowPoint *sp) {
  PetscReal hnorm = 0, fnorm = 0;
  PetscInt n = 0;
  Eigenvalues e;
  PetscFunctionBeginUser;
  PetscCall(map.residual(h, f));
  PetscCall(VecNorm(f, NORM_2, &fnorm));
  PetscCall(VecNorm(h, NORM_2, &hnorm));
  PetscCall(VecGetSize(h, &n));
  sp->speed             = fnorm / hnorm;
  const double rounding = static_cast<double>(n) * std::numeric_limits<double>::epsilon();
  PetscCall(leadingEigenvalues(map, h, kinkSnap(map, hnorm, rounding), spec, &e));
  sp->re       = std::move(e.re);
  sp->im       = std::move(e.im);
  sp->spectrum = e.converged;
  sp->atKink   = e.atKink;
  for (std::size_t k = 0; k < sp->re.size(); ++k)
    sp->nearOne += std::hypot(sp->re[k] - 1, sp->im[k]) < spec.slowTol;
  PetscFunctionReturn(0);
}

bool known(const std::vector<TrainedFixedPoint> &points, const std::vector<double> &h, double sameTol) {
  auto norm = [](const std::vector<double> &x) {
    double s = 0;
    for (double v : x)
      s += v * v;
    return std::sqrt(s);
  };
  for (const auto &fp : points) {
    double d = 0;
    for (std::size_t i = 0; i < h.size(); ++i)
      d += (h[i] - fp.h[i]) * (h[i] - fp.h[i]);
    if (std::sqrt(d) <= sameTol * std::max({1.0, norm(h), norm(fp.h)})) return true;
  }
  return false;
}

// The hidden states of the first few test sequences (when none were saved): k x L x n.
void runTestSequences(const TrainSpec &spec, const AnalysisSpec &aspec, const Parameters &p, PetscInt *k,
                      PetscInt *L, std::vector<double> *H) {
  const ModelSpec &m = spec.model;
  const PetscInt n   = m.n;
  *k                 = std::min(kGeneratedSequences, spec.task.testSamples);
  *L                 = spec.task.testLength;
  std::vector<double> X, Y, weff;
  testSequences(spec.task, m.D, aspec.testSeed, 0, *k, &X, &Y);
  effectiveW(m, daleSigns(m), p.W, &weff);
  Engine<double> engine(m, *L);
  engine.setParameters(weff, p);
  H->assign(static_cast<std::size_t>(*k * *L * n), 0.0);
  engine.forward(*k, *L, X, [&](PetscInt t, const double *, const double *h, const double *) {
    for (PetscInt b = 0; b < *k; ++b)
      std::copy(h + b * n, h + (b + 1) * n, H->begin() + (b * *L + t) * n);
  });
}
} // namespace

PetscInt slowPointCount(const FixedPointSpec &spec) {
  return spec.slowPoints >= 0 ? spec.slowPoints : std::max<PetscInt>(0, spec.starts - 1);
}

double largestOtherModulus(const SlowPoint &sp, double slowTol) {
  double largest = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t k = 0; k < sp.re.size(); ++k)
    if (std::hypot(sp.re[k] - 1, sp.im[k]) >= slowTol) {
      largest = std::hypot(sp.re[k], sp.im[k]); // by decreasing modulus: the first one is the largest
      break;
    }
  return largest;
}

void fixedPointStarts(const TrainSpec &spec, const AnalysisSpec &aspec, const Parameters &p,
                      const AnalysisResult &r, PetscInt count, std::vector<std::vector<double>> *starts) {
  const PetscInt n = spec.model.n;
  starts->clear();
  if (count <= 0) return;
  starts->emplace_back(static_cast<std::size_t>(n), 0.0);
  if (count == 1) return;
  PetscInt k = r.saved, L = r.length;
  std::vector<double> generated;
  const std::vector<double> *H = &r.savedHidden;
  if (k * L == 0) {
    runTestSequences(spec, aspec, p, &k, &L, &generated);
    H = &generated;
  }
  // The states other than h = 0 (before the first input burst of a sequence h stays 0), in time order; the
  // midpoints of count - 1 equal slices of them.
  std::vector<long long> nonzero;
  for (long long at = 0; at < static_cast<long long>(k) * L; ++at)
    if (std::any_of(H->begin() + at * n, H->begin() + (at + 1) * n, [](double x) { return x != 0.0; }))
      nonzero.push_back(at);
  const long long total = static_cast<long long>(nonzero.size()), slices = count - 1;
  for (long long j = 0; j < slices && total > 0; ++j) {
    const long long at = nonzero[static_cast<std::size_t>((2 * j + 1) * total / (2 * slices))];
    starts->emplace_back(H->begin() + at * n, H->begin() + (at + 1) * n);
  }
}

PetscErrorCode readFixedPointSolverOptions(MPI_Comm comm, const ModelSpec &m, const FixedPointSpec &spec) {
  SNESHandle snes;
  EPSHandle eps;
  PetscFunctionBeginUser;
  PetscCall(SNESCreate(comm, snes.address()));
  PetscCall(configureNewton(snes, m, spec));
  PetscCall(EPSCreate(comm, eps.address()));
  PetscCall(configureEigensolver(eps, spec, m.n));
  // Read when a solve ends, not by SetFromOptions.
  for (const char *name : {"-snes_view", "-snes_converged_reason", "-ksp_view", "-ksp_converged_reason",
                           "-eps_view", "-eps_view_values", "-eps_converged_reason", "-eps_error_relative",
                           "-eps_error_absolute", "-eps_error_backward"}) {
    PetscBool set = PETSC_FALSE;
    PetscCall(PetscOptionsHasName(nullptr, kPrefix, name, &set));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode trainedFixedPoints(MPI_Comm comm, const ModelSpec &m, const Parameters &p,
                                  const std::vector<std::vector<double>> &starts, const FixedPointSpec &spec,
                                  TrainedFixedPoints *out) {
  std::unique_ptr<TrainedMap> map;
  std::unique_ptr<Newton> newton;
  VecHandle h;
  const double t0 = MPI_Wtime();
  PetscFunctionBeginUser;
  *out = TrainedFixedPoints();
  PetscCheck(spec.tol > 0 && spec.sameTol >= 0 && spec.unstableTol >= 0 && spec.marginalTol >= 0, comm,
             PETSC_ERR_USER_INPUT, "fixed points: the tolerances must be >= 0 (and -fixed_point_tol > 0)");
  PetscCheck(spec.nev >= 1 && spec.maxIterations >= 1, comm, PETSC_ERR_USER_INPUT,
             "fixed points: nev and the Newton iterations must be >= 1");
  PetscCall(TrainedMap::create(comm, m, p, &map));
  PetscCall(Newton::create(*map, m, spec, &newton));
  PetscCall(map->createVec(h.address()));
  for (std::size_t s = 0; s < starts.size(); ++s) {
    PetscCheck(static_cast<PetscInt>(starts[s].size()) == m.n, comm, PETSC_ERR_ARG_SIZ,
               "fixed points: start %zu has %zu entries, not n = %" PetscInt_FMT, s, starts[s].size(), m.n);
    bool ok      = false;
    double resid = 0;
    PetscCall(scatterIn(starts[s], h));
    PetscCall(newton->solve(h, &ok, &resid));
    ++out->starts;
    if (!ok) {
      ++out->failed;
      continue;
    }
    TrainedFixedPoint fp;
    PetscCall(replicate(h, &fp.h));
    if (known(out->points, fp.h, spec.sameTol)) continue;
    fp.residual = resid;
    fp.start    = static_cast<PetscInt>(s);
    fp.readout  = readoutOf(m, p, fp.h);
    PetscCall(spectrum(*map, h, spec, &fp));
    out->points.push_back(std::move(fp));
  }
  out->wallSeconds = MPI_Wtime() - t0;
  // Rank 0's clock, so that the value written is the same on every rank.
  PetscCallMPI(MPI_Bcast(&out->wallSeconds, 1, MPI_DOUBLE, 0, comm));
  PetscFunctionReturn(0);
}

PetscErrorCode slowPoints(MPI_Comm comm, const ModelSpec &m, const Parameters &p,
                          const std::vector<std::vector<double>> &states, const FixedPointSpec &spec,
                          SlowPoints *out) {
  std::unique_ptr<TrainedMap> map;
  VecHandle h, f;
  const double t0 = MPI_Wtime();
  PetscFunctionBeginUser;
  *out = SlowPoints();
  PetscCheck(spec.slowTol > 0, comm, PETSC_ERR_USER_INPUT, "slow points: -slow_point_tol must be > 0");
  PetscCheck(spec.nev >= 1, comm, PETSC_ERR_USER_INPUT, "slow points: nev must be >= 1");
  PetscCall(TrainedMap::create(comm, m, p, &map));
  PetscCall(map->createVec(h.address()));
  PetscCall(map->createVec(f.address()));
  for (std::size_t s = 0; s < states.size(); ++s) {
    const std::vector<double> &x = states[s];
    PetscCheck(static_cast<PetscInt>(x.size()) == m.n, comm, PETSC_ERR_ARG_SIZ,
               "slow points: state %zu has %zu entries, not n = %" PetscInt_FMT, s, x.size(), m.n);
    // q = |G(h) - h| / |h| is a relative speed: h = 0 has none (and is the census' business).
    PetscCheck(std::any_of(x.begin(), x.end(), [](double v) { return v != 0.0; }), comm, PETSC_ERR_ARG_WRONG,
               "slow points: state %zu is 0", s);
    SlowPoint sp;
    sp.h       = x;
    sp.readout = readoutOf(m, p, x);
    PetscCall(scatterIn(x, h));
    PetscCall(slowPoint(*map, h, f, spec, &sp));
    out->points.push_back(std::move(sp));
  }
  out->wallSeconds = MPI_Wtime() - t0;
  PetscCallMPI(MPI_Bcast(&out->wallSeconds, 1, MPI_DOUBLE, 0, comm)); // rank 0's clock, as for the census
  PetscFunctionReturn(0);
}

} // namespace eqrnn::training
