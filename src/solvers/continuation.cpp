#include "solvers/continuation.hpp"

#include "analysis/reduced_model.hpp"
#include "analysis/tangent.hpp"
#include "core/collective.hpp"
#include "core/log_event.hpp"
#include "groups/group_fourier.hpp"
#include "io/hdf5_file.hpp"
#include <slepceps.h>
#include <fftw3.h>
#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <numeric>
#include <sstream>

namespace eqrnn {

namespace {

// The tracer's phases, for -log_view.
LogEvent evCorrect("ContCorrect"), evTangent("ContTangent"), evSpectrum("ContSpectrum"),
    evCharacter("ContCharacter"), evSummarise("ContSummarise"), evRecord("ContRecord"),
    evSwitch("ContSwitch"), evIsotropy("ContIsotropy"), evSymmetrise("ContSymmetrise"),
    evLocate("ContLocate");
using EPSHandle  = PetscHandle<EPS, EPSDestroy>;
using SNESHandle = PetscHandle<SNES, SNESDestroy>;

PetscErrorCode copyOf(Vec x, VecHandle *out) {
  PetscFunctionBeginUser;
  PetscCall(VecDuplicate(x, out->address()));
  PetscCall(VecCopy(x, *out));
  PetscFunctionReturn(0);
}

// Vectors of one layout gathered on every rank; the scatter is built at the first call and kept.
struct Gatherer {
  ScatterHandle toAll;
  VecHandle all;
  PetscErrorCode operator()(Vec v, std::vector<double> *out) {
    const PetscScalar *a = nullptr;
    PetscInt n           = 0;
    PetscFunctionBeginUser;
    if (!toAll) PetscCall(VecScatterCreateToAll(v, toAll.address(), all.address()));
    PetscCall(VecScatterBegin(toAll, v, all, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(toAll, v, all, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecGetSize(all, &n));
    PetscCall(VecGetArrayRead(all, &a));
    out->assign(a, a + n);
    PetscCall(VecRestoreArrayRead(all, &a));
    PetscFunctionReturn(0);
  }
};

// What the tracer continues: the full network (states in its layout), or the exact reduced model (states the
// R coordinates a of x = B a, on every rank; its linear algebra dense). Everything the symmetry acts on, and
// everything written, is in the network's layout: lift() and restrict() convert.
class System {
public:
  virtual ~System()                                                 = default;
  virtual MPI_Comm comm() const                                     = 0; // of the state vectors
  virtual PetscInt localSize() const                                = 0;
  virtual bool reduced() const                                      = 0;
  virtual PetscErrorCode createState(Vec *x)                        = 0;
  virtual PetscErrorCode rhs(Vec x, Vec f)                          = 0;
  virtual PetscErrorCode parameterDerivative(Vec x, Vec dF)         = 0;
  virtual PetscErrorCode setPoint(Vec x)                            = 0; // the linearisation's point
  virtual PetscErrorCode apply(Vec v, Vec out)                      = 0;
  virtual Mat jacobian()                                            = 0; // at the point (for the eigensolver)
  virtual PetscErrorCode tangents(Vec x, std::vector<VecHandle> *t) = 0; // one per axis of order > 2
  virtual PetscErrorCode lift(Vec x, Vec full)                      = 0;
  virtual PetscErrorCode restrict(Vec full, Vec x)                  = 0;
};

class FullSystem final : public System {
public:
  FullSystem(RateNetwork &net, const ContinuationSpec &spec) : net_(net), spec_(spec) {}
  PetscErrorCode init() { return Linearisation::create(net_, &lin_); }
  MPI_Comm comm() const override { return net_.comm(); }
  PetscInt localSize() const override { return net_.connectivity().localSize(); }
  bool reduced() const override { return false; }
  PetscErrorCode createState(Vec *x) override { return net_.createVec(x); }
  PetscErrorCode rhs(Vec x, Vec f) override { return net_.rhs(spec_.inputTime, x, f); }
  PetscErrorCode parameterDerivative(Vec x, Vec dF) override {
    return net_.parameterDerivative(spec_.parameter, spec_.inputTime, x, dF);
  }
  PetscErrorCode setPoint(Vec x) override { return lin_->setPoint(x); }
  PetscErrorCode apply(Vec v, Vec out) override { return lin_->apply(v, out); }
  Mat jacobian() override { return lin_->matrix(); }
  PetscErrorCode tangents(Vec x, std::vector<VecHandle> *t) override {
    std::vector<PetscInt> axes;
    return orbitTangents(net_.connectivity().engine(), x, t, &axes);
  }
  PetscErrorCode lift(Vec x, Vec full) override { return VecCopy(x, full); }
  PetscErrorCode restrict(Vec full, Vec x) override { return VecCopy(full, x); }

private:
  RateNetwork &net_;
  const ContinuationSpec &spec_;
  std::unique_ptr<Linearisation> lin_;
};

class ReducedSystem final : public System {
public:
  ReducedSystem(RateNetwork &net, const ContinuationSpec &spec) : net_(net), spec_(spec) {}
  PetscErrorCode init() {
    PetscFunctionBeginUser;
    PetscCall(ReducedModel::create(net_, spec_.reduce, &model_));
    R_ = model_->dimension();
    PetscCall(Linearisation::create(net_, &lin_));
    PetscCall(net_.createVec(X_.address()));
    PetscCall(net_.createVec(Y_.address()));
    PetscCall(MatCreateSeqDense(PETSC_COMM_SELF, R_, R_, nullptr, dense_.address()));
    PetscFunctionReturn(0);
  }
  MPI_Comm comm() const override { return PETSC_COMM_SELF; }
  PetscInt localSize() const override { return R_; }
  bool reduced() const override { return true; }
  PetscErrorCode createState(Vec *x) override { return VecCreateSeq(PETSC_COMM_SELF, R_, x); }
  PetscErrorCode rhs(Vec a, Vec f) override {
    PetscFunctionBeginUser;
    PetscCall(lift(a, X_));
    PetscCall(net_.rhs(spec_.inputTime, X_, Y_));
    PetscCall(restrict(Y_, f));
    PetscFunctionReturn(0);
  }
  PetscErrorCode parameterDerivative(Vec a, Vec dF) override {
    PetscFunctionBeginUser;
    PetscCall(lift(a, X_));
    PetscCall(net_.parameterDerivative(spec_.parameter, spec_.inputTime, X_, Y_));
    PetscCall(restrict(Y_, dF));
    PetscFunctionReturn(0);
  }
  // The R x R Jacobian B^T A B, column by column.
  PetscErrorCode setPoint(Vec a) override {
    std::vector<double> e(static_cast<std::size_t>(R_)), column;
    PetscScalar *m = nullptr;
    PetscFunctionBeginUser;
    PetscCall(lift(a, X_));
    PetscCall(lin_->setPoint(X_));
    PetscCall(MatDenseGetArray(dense_, &m));
    for (PetscInt k = 0; k < R_; ++k) {
      std::fill(e.begin(), e.end(), 0.0);
      e[k] = 1.0;
      PetscCall(model_->lift(e, X_));
      PetscCall(lin_->apply(X_, Y_));
      PetscCall(model_->project(Y_, &column));
      std::copy(column.begin(), column.end(), m + k * R_); // column-major
    }
    PetscCall(MatDenseRestoreArray(dense_, &m));
    PetscCall(MatAssemblyBegin(dense_, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(dense_, MAT_FINAL_ASSEMBLY));
    PetscFunctionReturn(0);
  }
  PetscErrorCode apply(Vec v, Vec out) override { return MatMult(dense_, v, out); }
  Mat jacobian() override { return dense_; }
  PetscErrorCode tangents(Vec a, std::vector<VecHandle> *t) override {
    std::vector<VecHandle> full;
    std::vector<PetscInt> axes;
    PetscFunctionBeginUser;
    PetscCall(lift(a, X_));
    PetscCall(orbitTangents(net_.connectivity().engine(), X_, &full, &axes));
    t->clear();
    for (auto &f : full) {
      VecHandle r;
      PetscCall(createState(r.address()));
      PetscCall(restrict(f, r));
      t->push_back(std::move(r));
    }
    PetscFunctionReturn(0);
  }
  PetscErrorCode lift(Vec a, Vec full) override {
    const PetscScalar *v = nullptr;
    PetscFunctionBeginUser;
    PetscCall(VecGetArrayRead(a, &v));
    std::vector<double> coords(v, v + R_);
    PetscCall(VecRestoreArrayRead(a, &v));
    PetscCall(model_->lift(coords, full));
    PetscFunctionReturn(0);
  }
  PetscErrorCode restrict(Vec full, Vec a) override {
    std::vector<double> coords;
    PetscScalar *v = nullptr;
    PetscFunctionBeginUser;
    PetscCall(model_->project(full, &coords));
    PetscCall(VecGetArray(a, &v));
    std::copy(coords.begin(), coords.end(), v);
    PetscCall(VecRestoreArray(a, &v));
    PetscFunctionReturn(0);
  }

private:
  RateNetwork &net_;
  const ContinuationSpec &spec_;
  std::unique_ptr<ReducedModel> model_;
  std::unique_ptr<Linearisation> lin_;
  PetscInt R_ = 0;
  VecHandle X_, Y_;
  MatHandle dense_;
};

// One multiplet: eigenvalues equal (complex pairs: equal real part and |imaginary part|) to the cluster
// tolerance, the real invariant subspace they span, and its character on the branch's test elements.
struct Multiplet {
  double re = 0, im = 0;
  PetscInt count = 0;
  bool complete  = true; // false: it may continue past the last converged eigenvalue
  std::vector<VecHandle> basis;
  std::vector<double> character;
  std::string label;
};

struct Spectrum {
  bool ok = false;
  std::vector<double> re, im;
  std::vector<Multiplet> multiplets;
  std::vector<VecHandle> warm; // real parts of the eigenvectors: the next solve's initial space
  // Per component (label): the largest real part and the multiplet attaining it.
  std::map<std::string, std::size_t> leading;
};

// A point on a branch together with what the next step needs.
struct State {
  VecHandle x;
  double lambda = 0;
  std::vector<double> c;
  VecHandle tx;
  double tl = 0;
};

std::string characterLabel(const std::vector<double> &chi) {
  std::ostringstream o;
  for (std::size_t i = 0; i < chi.size(); ++i) {
    double v = std::round(chi[i] * 1e3) / 1e3;
    if (v == 0) v = 0; // no "-0"
    o << (i ? "," : "") << v;
  }
  return o.str();
}
} // namespace

const char *continuationModelName(ContinuationModel m) {
  return m == ContinuationModel::Reduced ? "reduced" : "full";
}

const char *bifurcationTypeName(BifurcationType t) {
  switch (t) {
  case BifurcationType::Fold:
    return "fold";
  case BifurcationType::Branch:
    return "branch";
  case BifurcationType::Hopf:
    return "hopf";
  }
  return "?";
}

const char *branchOriginName(BranchOrigin o) {
  switch (o) {
  case BranchOrigin::Start:
    return "trivial";
  case BranchOrigin::StartFile:
    return "start_file";
  case BranchOrigin::Pitchfork:
    return "pitchfork";
  case BranchOrigin::Transcritical:
    return "transcritical";
  }
  return "?";
}

struct Continuation::Impl {
  RateNetwork *net     = nullptr;
  NetworkSymmetry *sym = nullptr;
  ContinuationSpec spec;
  MPI_Comm comm    = MPI_COMM_NULL;
  PetscMPIInt rank = 0, size = 1;
  PetscInt nloc = 0, N = 0;
  double weight = 1;
  std::unique_ptr<System> system;
  MPI_Comm scomm    = MPI_COMM_NULL; // the system's (PETSC_COMM_SELF for the reduced model)
  PetscMPIInt srank = 0, ssize = 1;
  VecHandle fullWork, fullWork2; // network-layout work vectors (symmetry, summaries)
  double currentLambda = NAN;

  // The augmented system's context.
  std::vector<PetscInt> axes; // phase axes (positions in orbitTangents' list)
  PetscInt p = 0;
  VecHandle x0, t0x, xhat;
  double lambda0 = 0, t0l = 0, arclength = 0;
  std::vector<VecHandle> That;
  VecHandle xJ, dFdl;
  std::vector<VecHandle> TxJ;
  std::vector<double> cJ;
  VecHandle xs, fs, vs, outs;
  VecHandle u, r, z, unitArc;
  MatHandle Jaug;
  SNESHandle snes;
  EPSHandle eps;
  // The branch being traced.
  Isotropy H;
  std::vector<SymmetryElement> tests;

  // ---- the augmented vector
  // --------------------------------------------------------------------------------
  PetscInt extras() const { return 1 + p; }
  PetscErrorCode split(Vec U, Vec x, double *lambda, std::vector<double> *c) {
    const PetscScalar *a = nullptr;
    PetscScalar *b       = nullptr;
    std::vector<double> tail(static_cast<std::size_t>(extras()), 0.0);
    PetscFunctionBeginUser;
    PetscCall(VecGetArrayRead(U, &a));
    PetscCall(VecGetArray(x, &b));
    std::copy(a, a + nloc, b);
    if (srank == ssize - 1) std::copy(a + nloc, a + nloc + extras(), tail.begin());
    PetscCall(VecRestoreArray(x, &b));
    PetscCall(VecRestoreArrayRead(U, &a));
    PetscCallMPI(MPI_Bcast(tail.data(), static_cast<int>(tail.size()), MPI_DOUBLE, ssize - 1, scomm));
    *lambda = tail[0];
    if (c) c->assign(tail.begin() + 1, tail.end());
    PetscFunctionReturn(0);
  }
  PetscErrorCode join(Vec x, double lambda, const std::vector<double> &c, Vec U) {
    const PetscScalar *a = nullptr;
    PetscScalar *b       = nullptr;
    PetscFunctionBeginUser;
    PetscCall(VecGetArrayRead(x, &a));
    PetscCall(VecGetArray(U, &b));
    std::copy(a, a + nloc, b);
    if (srank == ssize - 1) {
      b[nloc] = lambda;
      for (PetscInt i = 0; i < p; ++i)
        b[nloc + 1 + i] = i < static_cast<PetscInt>(c.size()) ? c[i] : 0.0;
    }
    PetscCall(VecRestoreArray(U, &b));
    PetscCall(VecRestoreArrayRead(x, &a));
    PetscFunctionReturn(0);
  }

  // (Re)creates the augmented objects for p phase conditions.
  PetscErrorCode setupSystem(PetscInt phases) {
    KSP ksp;
    PC pc;
    PetscFunctionBeginUser;
    p                  = phases;
    const PetscInt loc = nloc + (srank == ssize - 1 ? extras() : 0);
    u.reset();
    r.reset();
    z.reset();
    unitArc.reset();
    Jaug.reset();
    snes.reset();
    PetscCall(VecCreateMPI(scomm, loc, PETSC_DETERMINE, u.address()));
    PetscCall(VecDuplicate(u, r.address()));
    PetscCall(VecDuplicate(u, z.address()));
    PetscCall(VecDuplicate(u, unitArc.address()));
    PetscCall(MatCreateShell(scomm, loc, loc, PETSC_DETERMINE, PETSC_DETERMINE, this, Jaug.address()));
    PetscCall(MatShellSetOperation(Jaug, MATOP_MULT, reinterpret_cast<void (*)(void)>(multShell)));
    PetscCall(SNESCreate(scomm, snes.address()));
    PetscCall(SNESSetOptionsPrefix(snes, "cont_"));
    PetscCall(SNESSetFunction(snes, r, residualShell, this));
    PetscCall(SNESSetJacobian(snes, Jaug, Jaug, jacobianShell, this));
    PetscCall(configureSnes(snes, spec.maxIterations));
    PetscCall(SNESSetConvergenceTest(snes, convergedShell, this, nullptr));
    PetscCall(SNESGetKSP(snes, &ksp));
    PetscCall(KSPGetPC(ksp, &pc));
    PetscCall(PCSetType(pc, PCNONE)); // the bordered operator has no diagonal to offer
    PetscCall(SNESSetFromOptions(snes));
    That.clear();
    PetscFunctionReturn(0);
  }
  static PetscErrorCode configureSnes(SNES s, PetscInt maxIterations) {
    KSP ksp;
    SNESLineSearch ls;
    PetscFunctionBeginUser;
    PetscCall(SNESSetTolerances(s, 0.0, 0.0, 0.0, maxIterations, 100 * maxIterations));
    PetscCall(SNESGetLineSearch(s, &ls));
    PetscCall(SNESLineSearchSetType(ls, SNESLINESEARCHBASIC));
    PetscCall(SNESGetKSP(s, &ksp));
    PetscCall(KSPSetType(ksp, KSPGMRES));
    PetscCall(KSPSetTolerances(ksp, 1e-12, 1e-300, PETSC_DEFAULT, 1000));
    PetscFunctionReturn(0);
  }

  PetscErrorCode setLambda(double lambda) {
    PetscFunctionBeginUser;
    if (lambda != currentLambda) {
      PetscCall(net->setParameter(spec.parameter, lambda));
      currentLambda = lambda;
    }
    PetscFunctionReturn(0);
  }
  PetscErrorCode phaseTangents(Vec x, std::vector<VecHandle> *T) {
    std::vector<VecHandle> all;
    std::vector<PetscInt> allAxes;
    PetscFunctionBeginUser;
    T->clear();
    if (p == 0) PetscFunctionReturn(0);
    PetscCall(system->tangents(x, &all));
    for (PetscInt i : axes)
      T->push_back(std::move(all[i]));
    PetscFunctionReturn(0);
  }

  // ---- residual and Jacobian of the augmented system
  // ---------------------------------------------------------
  PetscErrorCode residual(Vec U, Vec R) {
    double lambda = 0;
    std::vector<double> c;
    std::vector<VecHandle> T;
    PetscFunctionBeginUser;
    PetscCall(split(U, xs, &lambda, &c));
    PetscCall(setLambda(lambda));
    PetscCall(system->rhs(xs, fs));
    PetscCall(phaseTangents(xs, &T));
    for (PetscInt i = 0; i < p; ++i)
      PetscCall(VecAXPY(fs, c[i], T[i]));
    std::vector<double> tail(static_cast<std::size_t>(p), 0.0);
    PetscCall(VecWAXPY(vs, -1.0, x0, xs));
    PetscScalar dot = 0;
    PetscCall(VecDot(t0x, vs, &dot));
    const double arc = weight * dot + t0l * (lambda - lambda0) - arclength;
    PetscCall(VecWAXPY(vs, -1.0, xhat, xs));
    for (PetscInt i = 0; i < p; ++i) {
      PetscCall(VecDot(That[i], vs, &dot));
      tail[i] = weight * dot;
    }
    PetscCall(join(fs, arc, tail, R));
    PetscFunctionReturn(0);
  }
  PetscErrorCode linearise(Vec U) {
    double lambda = 0;
    PetscFunctionBeginUser;
    PetscCall(split(U, xJ, &lambda, &cJ));
    PetscCall(setLambda(lambda));
    PetscCall(system->setPoint(xJ));
    PetscCall(system->parameterDerivative(xJ, dFdl));
    PetscCall(phaseTangents(xJ, &TxJ));
    PetscFunctionReturn(0);
  }
  PetscErrorCode mult(Vec V, Vec OUT) {
    double mu = 0;
    std::vector<double> nu;
    PetscFunctionBeginUser;
    PetscCall(split(V, vs, &mu, &nu));
    PetscCall(system->apply(vs, outs));
    PetscCall(VecAXPY(outs, mu, dFdl));
    for (PetscInt i = 0; i < p; ++i)
      PetscCall(VecAXPY(outs, nu[i], TxJ[i]));
    bool moving = false;
    for (double c : cJ)
      moving = moving || c != 0.0;
    if (moving) { // d(c T x)/dx = c T
      std::vector<VecHandle> Tv;
      PetscCall(phaseTangents(vs, &Tv));
      for (PetscInt i = 0; i < p; ++i)
        PetscCall(VecAXPY(outs, cJ[i], Tv[i]));
    }
    PetscScalar dot = 0;
    PetscCall(VecDot(t0x, vs, &dot));
    const double arc = weight * dot + t0l * mu;
    std::vector<double> tail(static_cast<std::size_t>(p), 0.0);
    for (PetscInt i = 0; i < p; ++i) {
      PetscCall(VecDot(That[i], vs, &dot));
      tail[i] = weight * dot;
    }
    PetscCall(join(outs, arc, tail, OUT));
    PetscFunctionReturn(0);
  }
  static PetscErrorCode residualShell(SNES, Vec U, Vec R, void *ctx) {
    return static_cast<Impl *>(ctx)->residual(U, R);
  }
  static PetscErrorCode jacobianShell(SNES, Vec U, Mat J, Mat, void *ctx) {
    PetscFunctionBeginUser;
    PetscCall(static_cast<Impl *>(ctx)->linearise(U));
    PetscCall(MatAssemblyBegin(J, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(J, MAT_FINAL_ASSEMBLY));
    PetscFunctionReturn(0);
  }
  static PetscErrorCode multShell(Mat J, Vec V, Vec OUT) {
    void *ctx = nullptr;
    PetscFunctionBeginUser;
    PetscCall(MatShellGetContext(J, &ctx));
    PetscCall(static_cast<Impl *>(ctx)->mult(V, OUT));
    PetscFunctionReturn(0);
  }
  static PetscErrorCode convergedShell(SNES s, PetscInt it, PetscReal unorm, PetscReal, PetscReal fnorm,
                                       SNESConvergedReason *reason, void *ctx) {
    auto *self     = static_cast<Impl *>(ctx);
    PetscInt maxit = 0, maxf = 0;
    PetscFunctionBeginUser;
    PetscCall(SNESGetTolerances(s, nullptr, nullptr, nullptr, &maxit, &maxf));
    *reason = SNES_CONVERGED_ITERATING;
    if (!std::isfinite(fnorm))
      *reason = SNES_DIVERGED_FNORM_NAN;
    else if (fnorm <= self->spec.tol * std::max<PetscReal>(1.0, unorm))
      *reason = SNES_CONVERGED_FNORM_ABS;
    else if (it >= maxit)
      *reason = SNES_DIVERGED_MAX_IT;
    PetscFunctionReturn(0);
  }

  // ---- corrector and tangent
  // --------------------------------------------------------------------------------- Sets the arclength row
  // (from `from` along (tx, tl), distance s) and the phase reference.
  PetscErrorCode setReference(const State &from, Vec tx, double tl, double s, Vec reference) {
    PetscFunctionBeginUser;
    PetscCall(VecCopy(from.x, x0));
    PetscCall(VecCopy(tx, t0x));
    lambda0   = from.lambda;
    t0l       = tl;
    arclength = s;
    PetscCall(VecCopy(reference, xhat));
    PetscCall(phaseTangents(xhat, &That));
    PetscFunctionReturn(0);
  }
  // Newton from the predictor (px, pl). *ok: converged.
  PetscErrorCode correct(const State &from, Vec tx, double tl, double s, Vec px, double pl, State *to,
                         bool *ok, PetscInt *iterations) {
    LogScope scope(evCorrect);
    SNESConvergedReason reason;
    PetscFunctionBeginUser;
    PetscCall(setReference(from, tx, tl, s, px));
    PetscCall(join(px, pl, std::vector<double>(static_cast<std::size_t>(p), 0.0), u));
    PetscCall(SNESSolve(snes, nullptr, u));
    PetscCall(SNESGetConvergedReason(snes, &reason));
    PetscCall(SNESGetIterationNumber(snes, iterations));
    *ok = reason > 0;
    if (!*ok) PetscFunctionReturn(0);
    if (!to->x) PetscCall(VecDuplicate(from.x, to->x.address()));
    PetscCall(split(u, to->x, &to->lambda, &to->c));
    PetscFunctionReturn(0);
  }
  // The tangent at `at` (x, lambda), oriented along (tx, tl): J_aug z = e_arclength, normalised.
  PetscErrorCode tangent(State *at, Vec tx, double tl) {
    LogScope scope(evTangent);
    KSP ksp;
    KSPConvergedReason reason;
    double zl = 0;
    PetscFunctionBeginUser;
    PetscCall(setReference(*at, tx, tl, 0.0, at->x));
    PetscCall(join(at->x, at->lambda, at->c, u));
    PetscCall(linearise(u));
    PetscCall(VecSet(vs, 0.0));
    PetscCall(join(vs, 1.0, std::vector<double>(static_cast<std::size_t>(p), 0.0), unitArc));
    PetscCall(SNESGetKSP(snes, &ksp));
    PetscCall(KSPSetOperators(ksp, Jaug, Jaug));
    PetscCall(KSPSolve(ksp, unitArc, z));
    PetscCall(KSPGetConvergedReason(ksp, &reason));
    if (!at->tx) PetscCall(VecDuplicate(at->x, at->tx.address()));
    PetscCall(split(z, at->tx, &zl, nullptr));
    PetscReal nx = 0;
    PetscCall(VecNorm(at->tx, NORM_2, &nx));
    const double n = std::sqrt(weight * nx * nx + zl * zl);
    PetscCheck(reason > 0 && std::isfinite(n) && n > 0, comm, PETSC_ERR_NOT_CONVERGED,
               "continue: the tangent solve failed at %s = %g", networkParameterName(spec.parameter).c_str(),
               at->lambda);
    PetscCall(VecScale(at->tx, 1.0 / n));
    at->tl = zl / n;
    PetscFunctionReturn(0);
  }

  // ---- spectrum and components
  // -------------------------------------------------------------------------------
  PetscErrorCode spectrum(const State &at, const Spectrum *previous, Spectrum *out) {
    LogScope scope(evSpectrum);
    PetscInt nconv = 0;
    PetscFunctionBeginUser;
    *out = Spectrum();
    PetscCall(setLambda(at.lambda));
    PetscCall(system->setPoint(at.x));
    PetscCall(EPSSetOperators(eps, system->jacobian(), nullptr));
    if (previous && !previous->warm.empty()) {
      std::vector<Vec> space;
      for (auto &w : previous->warm)
        space.push_back(w);
      PetscCall(EPSSetInitialSpace(eps, static_cast<PetscInt>(space.size()), space.data()));
    }
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
    const PetscErrorCode code = EPSSolve(eps);
    PetscCall(PetscPopErrorHandler());
    bool solved = false;
    PetscCall(allRanks(comm, code == 0, &solved));
    if (!solved) PetscFunctionReturn(0);
    PetscCall(EPSGetConverged(eps, &nconv));
    std::vector<double> re(static_cast<std::size_t>(nconv)), im(re.size());
    for (PetscInt i = 0; i < nconv; ++i)
      PetscCall(EPSGetEigenvalue(eps, i, &re[i], &im[i]));
    std::vector<PetscInt> order(re.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](PetscInt a, PetscInt b) {
      return re[a] > re[b] || (re[a] == re[b] && im[a] > im[b]);
    });
    out->ok = nconv > 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
      const PetscInt i = order[k];
      out->re.push_back(re[i]);
      out->im.push_back(im[i]);
      const double scale = spec.clusterTol * std::max(1.0, std::hypot(re[i], im[i]));
      bool joined        = !out->multiplets.empty() && std::abs(out->multiplets.back().re - re[i]) <= scale &&
                    std::abs(out->multiplets.back().im - std::abs(im[i])) <= scale;
      if (!joined) {
        out->multiplets.emplace_back();
        out->multiplets.back().re = re[i];
        out->multiplets.back().im = std::abs(im[i]);
      }
      Multiplet &m = out->multiplets.back();
      ++m.count;
      VecHandle vr, vi;
      PetscCall(system->createState(vr.address()));
      PetscCall(system->createState(vi.address()));
      PetscCall(EPSGetEigenvector(eps, i, vr, vi));
      // The multiplet's basis in the network's layout (what the symmetry acts on).
      for (Vec part : {static_cast<Vec>(vi), static_cast<Vec>(vr)}) {
        if ((part == vi && !(im[i] > 0)) || (part == vr && !(im[i] >= 0))) continue;
        VecHandle full;
        PetscCall(net->createVec(full.address()));
        PetscCall(system->lift(part, full));
        m.basis.push_back(std::move(full));
      }
      if (static_cast<PetscInt>(out->warm.size()) < spec.nev) out->warm.push_back(std::move(vr));
    }
    PetscInt requested = 0;
    PetscCall(EPSGetDimensions(eps, &requested, nullptr, nullptr));
    // A dense solve has every eigenvalue; a Krylov solve may have cut the last multiplet.
    if (!system->reduced() && !out->multiplets.empty() && nconv >= requested)
      out->multiplets.back().complete = false;
    for (auto &m : out->multiplets) {
      PetscCall(orthonormalise(&m.basis, 1e-8));
      PetscCall(characterOf(m.basis, &m.character));
      m.label = characterLabel(m.character);
      if (!m.complete) continue;
      auto it = out->leading.find(m.label);
      if (it == out->leading.end())
        out->leading[m.label] = static_cast<std::size_t>(&m - &out->multiplets[0]);
    }
    PetscFunctionReturn(0);
  }
  // chi(h) = trace of h on span(basis), for the branch's test elements.
  PetscErrorCode characterOf(std::vector<VecHandle> &basis, std::vector<double> *chi) {
    LogScope scope(evCharacter);
    PetscFunctionBeginUser;
    chi->assign(tests.size(), 0.0);
    for (std::size_t k = 0; k < tests.size(); ++k)
      for (auto &b : basis) {
        PetscScalar dot = 0;
        PetscCall(sym->apply(tests[k], b, fullWork));
        PetscCall(VecDot(b, fullWork, &dot));
        (*chi)[k] += dot;
      }
    PetscFunctionReturn(0);
  }
  // The value a component's test function takes (its largest real part); false if the component is absent
  // (or only marginal).
  static bool componentValue(const Spectrum &s, const std::string &label, double *value) {
    auto it = s.leading.find(label);
    if (it == s.leading.end()) return false;
    *value = s.multiplets[it->second].re;
    return true;
  }

  // ---- point summaries
  // ----------------------------------------------------------------------------------------
  std::vector<std::vector<PetscInt>> axisCoordinate;
  Gatherer gatherAll;
  PetscErrorCode summarise(const State &at, const Spectrum &s, PetscInt iterations, BranchPoint *pt) {
    LogScope scope(evSummarise);
    std::vector<double> all;
    PetscFunctionBeginUser;
    *pt            = BranchPoint();
    pt->parameter  = at.lambda;
    pt->iterations = iterations;
    pt->speed      = at.c;
    PetscReal norm = 0;
    PetscCall(system->lift(at.x, fullWork));
    PetscCall(VecNorm(fullWork, NORM_2, &norm));
    pt->norm = norm;
    PetscCall(gatherAll(fullWork, &all));
    const Group &G     = net->group();
    const PetscInt C   = static_cast<PetscInt>(all.size()) / G.order();
    const auto &orders = G.axisOrders();
    double mean        = 0;
    for (double v : all)
      mean += v;
    pt->mean = mean / static_cast<double>(all.size());
    // Leading Fourier amplitude along each cyclic axis, of the channel mean: the marginal along the axis,
    // then a real FFT.
    for (std::size_t axis = 0; axis < orders.size(); ++axis) {
      const PetscInt n = orders[axis];
      if (n <= 2) continue;
      std::vector<double> marginal(static_cast<std::size_t>(n), 0.0);
      if (axisCoordinate
              .empty()) { // per element, its coordinate on each axis (once: coordinates() allocates)
        axisCoordinate.resize(orders.size());
        for (PetscInt g = 0; g < G.order(); ++g) {
          const auto c = G.axisCoordinates(g);
          for (std::size_t i = 0; i < orders.size(); ++i)
            axisCoordinate[i].push_back(c[i]);
        }
      }
      for (PetscInt g = 0; g < G.order(); ++g) {
        const PetscInt j = axisCoordinate[axis][g];
        for (PetscInt c = 0; c < C; ++c)
          marginal[j] += all[g * C + c];
      }
      std::vector<fftw_complex> spectrum(static_cast<std::size_t>(n / 2 + 1));
      fftw_plan plan =
          fftw_plan_dft_r2c_1d(static_cast<int>(n), marginal.data(), spectrum.data(), FFTW_ESTIMATE);
      fftw_execute(plan);
      fftw_destroy_plan(plan);
      double best = 0;
      for (PetscInt k = 1; k <= n / 2; ++k)
        best = std::max(best, (2 * k == n ? 1.0 : 2.0) * std::hypot(spectrum[k][0], spectrum[k][1]) /
                                  static_cast<double>(all.size()));
      pt->fourier.push_back(best);
    }
    pt->re = s.re;
    pt->im = s.im;
    for (std::size_t i = 0; i < s.re.size(); ++i) {
      if (std::abs(s.re[i]) <= spec.marginalTol && std::abs(s.im[i]) <= spec.marginalTol)
        ++pt->nMarginal;
      else if (s.re[i] > spec.marginalTol)
        ++pt->nUnstable;
    }
    if (!s.ok) pt->nUnstable = -1;
    std::map<std::string, PetscInt> byComponent;
    for (const auto &m : s.multiplets)
      if (m.re > spec.marginalTol) byComponent[m.label] += m.count;
    for (const auto &kv : byComponent)
      pt->unstableComponents +=
          (pt->unstableComponents.empty() ? "" : ";") + std::to_string(kv.second) + "@[" + kv.first + "]";
    PetscFunctionReturn(0);
  }

  // The group irreps carrying the critical eigenspace (at least 10% of the largest share of its power).
  PetscErrorCode irrepsOf(std::vector<VecHandle> &basis, std::string *label) {
    const Group &G = net->group();
    std::map<std::string, double> power;
    PetscFunctionBeginUser;
    for (auto &b : basis) {
      std::vector<double> all;
      PetscCall(gatherAll(b, &all));
      const PetscInt C = static_cast<PetscInt>(all.size()) / G.order();
      for (PetscInt c = 0; c < C; ++c) {
        std::vector<Complex> f(static_cast<std::size_t>(G.order()));
        for (PetscInt g = 0; g < G.order(); ++g)
          f[g] = all[g * C + c];
        for (const auto &block : groupFourierTransform(G, f)) {
          double p2 = 0;
          for (const auto &v : block.block)
            p2 += std::norm(v);
          if (p2 == 0) continue;
          // A complex irrep and its conjugate are one real mode: named by the smaller of the two.
          const ProductIrrep conj = productIrrepConjugate(G, block.irrep);
          power[productIrrepLabel(G, std::min(block.irrep, conj))] += block.dim * p2;
        }
      }
    }
    double top = 0;
    for (const auto &kv : power)
      top = std::max(top, kv.second);
    label->clear();
    for (const auto &kv : power)
      if (kv.second >= 0.1 * top) *label += (label->empty() ? "" : "+") + kv.first;
    PetscFunctionReturn(0);
  }

  // ---- the diagram
  // ------------------------------------------------------------------------------------------
  ContinuationResult *result = nullptr;
  std::deque<PendingBranch> queue;
  std::vector<std::pair<PetscInt, VecHandle>> starts; // the start branches' corrected start states (lifted)

  struct Trace {
    std::vector<BranchPoint> points;
    std::vector<std::pair<std::size_t, VecHandle>> states;
    std::string end;
  };

  PetscErrorCode createEps() {
    PetscFunctionBeginUser;
    eps.reset();
    PetscCall(EPSCreate(scomm, eps.address()));
    PetscCall(EPSSetOptionsPrefix(eps, "cont_"));
    PetscCall(EPSSetProblemType(eps, EPS_NHEP));
    PetscCall(EPSSetWhichEigenpairs(eps, EPS_LARGEST_REAL));
    if (system->reduced()) PetscCall(EPSSetType(eps, EPSLAPACK)); // dense: every eigenvalue
    // Global sizes (a rank may own no part of the state): every eigenvalue of the dense reduced model.
    const PetscInt n = system->reduced() ? nloc : N;
    PetscCall(EPSSetDimensions(eps, system->reduced() ? n : std::min<PetscInt>(spec.nev, n), PETSC_DEFAULT,
                               PETSC_DEFAULT));
    PetscCall(EPSSetTolerances(eps, 1e-12, 1000));
    PetscCall(EPSSetFromOptions(eps));
    PetscFunctionReturn(0);
  }

  // Phase conditions along the axes on which x or the direction d moves.
  PetscErrorCode choosePhaseAxes(Vec x, Vec d) {
    PetscFunctionBeginUser;
    axes.clear();
    if (spec.phaseConditions)
      for (Vec v : {x, d}) {
        if (!v) continue;
        std::vector<VecHandle> all;
        std::vector<PetscInt> allAxes;
        PetscReal vn = 0;
        PetscCall(VecNorm(v, NORM_2, &vn));
        if (vn == 0) continue;
        PetscCall(system->tangents(v, &all));
        for (std::size_t i = 0; i < all.size(); ++i) {
          PetscReal tn = 0;
          PetscCall(VecNorm(all[i], NORM_2, &tn));
          if (tn > 1e-8 * vn && std::find(axes.begin(), axes.end(), static_cast<PetscInt>(i)) == axes.end())
            axes.push_back(static_cast<PetscInt>(i));
        }
      }
    std::sort(axes.begin(), axes.end());
    PetscCall(setupSystem(static_cast<PetscInt>(axes.size())));
    PetscFunctionReturn(0);
  }

  PetscErrorCode branchIsotropy(Vec state, Branch *b) {
    LogScope scope(evIsotropy);
    PetscReal xn = 0;
    PetscFunctionBeginUser;
    PetscCall(system->lift(state, fullWork2));
    Vec x = fullWork2;
    PetscCall(VecNorm(x, NORM_2, &xn));
    PetscCall(sym->isotropy(x, spec.symmetryTol * std::max<PetscReal>(1.0, xn), &b->isotropy));
    H     = b->isotropy;
    tests = sym->testElements(H);
    sym->forgetCachedElements(); // the new branch's test elements come first

    b->stabiliser.elements    = H.shifts[0];
    b->stabiliser.order       = static_cast<PetscInt>(H.shifts[0].size());
    b->stabiliser.description = describeSubgroup(net->group(), H.shifts[0]);
    b->orbitSize              = net->group().order() / std::max<PetscInt>(1, b->stabiliser.order);
    b->phaseAxes              = axes;
    b->componentElements.clear();
    for (const auto &t : tests)
      b->componentElements += (b->componentElements.empty() ? "" : "; ") + sym->elementName(t);
    PetscFunctionReturn(0);
  }

  // The tangent, failures reported in *ok (a failed step, not an error).
  PetscErrorCode tangentOk(State *at, Vec tx, double tl, bool *ok) {
    PetscFunctionBeginUser;
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
    const PetscErrorCode code = tangent(at, tx, tl);
    PetscCall(PetscPopErrorHandler());
    PetscCall(allRanks(comm, code == 0, ok));
    PetscFunctionReturn(0);
  }

  // x <- its projection onto Fix(H) (in the network's layout).
  PetscErrorCode symmetrise(Vec x) {
    LogScope scope(evSymmetrise);
    PetscFunctionBeginUser;
    PetscCall(system->lift(x, fullWork2));
    PetscCall(sym->average(H, fullWork2));
    PetscCall(system->restrict(fullWork2, x));
    PetscFunctionReturn(0);
  }

  static bool trivialCharacter(const Multiplet &m) {
    for (double c : m.character)
      if (std::abs(c - static_cast<double>(m.basis.size())) > 1e-6) return false;
    return true;
  }

  // Illinois iteration on the test function along the arclength from `a` (s = 0, value fa) to `b` (s = ds,
  // value fb). `test` evaluates the function at a corrected state.
  using TestFunction = std::function<PetscErrorCode(State &, const Spectrum &, Spectrum *, double *, bool *)>;
  PetscErrorCode locate(const State &a, const Spectrum &sa, const State &b, double ds, double fa, double fb,
                        const TestFunction &test, State *at, Spectrum *atSpec, bool *found) {
    LogScope scope(evLocate);
    double s0 = 0, s1 = ds, l0 = a.lambda, l1 = b.lambda;
    int side = 0;
    PetscFunctionBeginUser;
    *found = false;
    VecHandle px;
    PetscCall(VecDuplicate(a.x, px.address()));
    for (int it = 0; it < 60; ++it) {
      const double sc = (s0 * fb - s1 * fa) / (fb - fa);
      const double w  = sc / ds;
      PetscCall(VecAXPBYPCZ(px, 1.0 - w, w, 0.0, a.x, b.x));
      State st;
      bool ok      = false;
      PetscInt its = 0;
      PetscCall(correct(a, a.tx, a.tl, sc, px, (1.0 - w) * a.lambda + w * b.lambda, &st, &ok, &its));
      if (!ok) break;
      Spectrum sp;
      double fc = 0;
      PetscCall(test(st, sa, &sp, &fc, &ok));
      if (!ok) break;
      *at             = std::move(st);
      *atSpec         = std::move(sp);
      *found          = true;
      const double lc = at->lambda;
      if (fc * fb > 0) {
        s1 = sc, fb = fc, l1 = lc;
        if (side == -1) fa *= 0.5;
        side = -1;
      } else if (fc * fa > 0) {
        s0 = sc, fa = fc, l0 = lc;
        if (side == +1) fb *= 0.5;
        side = +1;
      } else {
        break;
      }
      if (std::abs(l1 - l0) <= spec.locateTol * std::max(1.0, std::abs(lc)) || std::abs(fc) <= 1e-14) break;
    }
    PetscFunctionReturn(0);
  }

  PetscErrorCode record(PetscInt bi, BifurcationType type, const State &at, Multiplet &critical) {
    LogScope scope(evRecord);
    Bifurcation row;
    PetscFunctionBeginUser;
    row.type         = type;
    row.parameter    = at.lambda;
    row.branch       = bi;
    row.multiplicity = critical.count;
    PetscReal xn     = 0;
    PetscCall(net->createVec(row.x.address()));
    PetscCall(system->lift(at.x, row.x));
    PetscCall(VecNorm(row.x, NORM_2, &xn));
    row.amplitude = xn;
    PetscCall(irrepsOf(critical.basis, &row.irrep));
    for (std::size_t j = 0; j < result->bifurcations.size() && row.sameAs < 0; ++j) {
      const Bifurcation &o = result->bifurcations[j];
      if (o.type != type ||
          std::abs(o.parameter - row.parameter) > 1e-6 * std::max(1.0, std::abs(row.parameter)))
        continue;
      double d = 0;
      PetscCall(sym->match(row.x, o.x, nullptr, false, &d));
      if (d <= 1e-5 * std::max<PetscReal>(1.0, xn)) row.sameAs = static_cast<PetscInt>(j);
    }
    result->bifurcations.push_back(std::move(row));
    const PetscInt index = static_cast<PetscInt>(result->bifurcations.size()) - 1;
    if (!spec.quiet)
      PetscCall(PetscPrintf(comm,
                            "eqrnn: %s point at %s = %.10g on branch %" PetscInt_FMT
                            " (multiplicity %" PetscInt_FMT ", irrep %s)%s\n",
                            bifurcationTypeName(type), networkParameterName(spec.parameter).c_str(),
                            at.lambda, bi, critical.count, result->bifurcations.back().irrep.c_str(),
                            result->bifurcations.back().sameAs >= 0 ? " (found before)" : ""));
    if (type == BifurcationType::Branch && result->bifurcations.back().sameAs < 0)
      PetscCall(switchAt(bi, index, at, critical));
    PetscFunctionReturn(0);
  }

  PetscErrorCode detect(PetscInt bi, const State &a, const Spectrum &sa, const State &b, const Spectrum &sb,
                        double ds, std::map<std::string, int> &lastSign) {
    PetscFunctionBeginUser;
    const bool fold = a.tl * b.tl < 0;
    if (fold) {
      State at;
      Spectrum atSpec;
      bool found                   = false;
      const TestFunction byTangent = [&](State &st, const Spectrum &prev, Spectrum *sp, double *f, bool *ok) {
        PetscFunctionBeginUser;
        PetscCall(tangentOk(&st, a.tx, a.tl, ok));
        *f = st.tl;
        if (*ok) PetscCall(spectrum(st, &prev, sp));
        PetscFunctionReturn(0);
      };
      PetscCall(locate(a, sa, b, ds, a.tl, b.tl, byTangent, &at, &atSpec, &found));
      if (found && !atSpec.multiplets.empty()) {
        // The critical mode of a fold: the multiplet closest to zero.
        std::size_t best = 0;
        for (std::size_t i = 1; i < atSpec.multiplets.size(); ++i)
          if (std::hypot(atSpec.multiplets[i].re, atSpec.multiplets[i].im) <
              std::hypot(atSpec.multiplets[best].re, atSpec.multiplets[best].im))
            best = i;
        PetscCall(record(bi, BifurcationType::Fold, at, atSpec.multiplets[best]));
      } else {
        result->notFollowed.push_back("a fold near " + networkParameterName(spec.parameter) + " = " +
                                      std::to_string(b.lambda) + " on branch " + std::to_string(bi) +
                                      " could not be located");
      }
    }
    for (const auto &kv : sb.leading) {
      const std::string &label = kv.first;
      const Multiplet &mb      = sb.multiplets[kv.second];
      if (std::abs(mb.re) <= spec.marginalTol) continue; // marginal: no sign (a crossing needs both sides)
      const int s        = mb.re > 0 ? 1 : -1;
      auto last          = lastSign.find(label);
      const bool crossed = last != lastSign.end() && last->second != s;
      lastSign[label]    = s;
      if (!crossed) continue;
      if (fold && trivialCharacter(mb) && mb.im == 0) continue; // the fold's own eigenvalue (in Fix(H))
      double va = 0;
      if (!componentValue(sa, label, &va) || va * mb.re >= 0) {
        result->notFollowed.push_back("an eigenvalue crossing near " + networkParameterName(spec.parameter) +
                                      " = " + std::to_string(b.lambda) + " on branch " + std::to_string(bi) +
                                      " lingered near zero and was not located");
        continue;
      }
      const TestFunction byComponent = [&](State &st, const Spectrum &prev, Spectrum *sp, double *f,
                                           bool *ok) {
        PetscFunctionBeginUser;
        PetscCall(spectrum(st, &prev, sp));
        *ok = sp->ok && componentValue(*sp, label, f);
        PetscFunctionReturn(0);
      };
      State at;
      Spectrum atSpec;
      bool found = false;
      PetscCall(locate(a, sa, b, ds, va, mb.re, byComponent, &at, &atSpec, &found));
      if (!found) {
        result->notFollowed.push_back("an eigenvalue crossing near " + networkParameterName(spec.parameter) +
                                      " = " + std::to_string(b.lambda) + " on branch " + std::to_string(bi) +
                                      " could not be located (the corrector failed)");
        continue;
      }
      Multiplet &critical = atSpec.multiplets[atSpec.leading[label]];
      PetscCall(record(bi, critical.im > spec.marginalTol ? BifurcationType::Hopf : BifurcationType::Branch,
                       at, critical));
    }
    PetscFunctionReturn(0);
  }

  // The candidates for axial subgroups: all of H when it is small, else the elements whose axis
  // coordinates are 0, +-1, n/2, n/4 or 3n/4 (these generate the axial subgroups of lattice patterns).
  std::vector<SymmetryElement> candidates() const {
    auto all = H.elements();
    if (static_cast<PetscInt>(all.size()) <= spec.candidateMax) return all;
    const Group &G = net->group();
    const auto &n  = G.axisOrders();
    std::vector<SymmetryElement> chosen;
    for (const auto &e : all) {
      const auto c = G.axisCoordinates(e.shift);
      bool small   = true;
      for (std::size_t i = 0; i < c.size(); ++i) {
        const PetscInt v = c[i], m = n[i];
        small = small && (v == 0 || v == 1 || v == m - 1 || 2 * v == m ||
                          (m % 4 == 0 && (4 * v == m || 4 * v == 3 * m)));
      }
      if (small) chosen.push_back(e);
    }
    return chosen;
  }

  PetscErrorCode switchAt(PetscInt bi, PetscInt row, const State &at, Multiplet &critical) {
    LogScope scope(evSwitch);
    const Branch &b         = result->branches[bi];
    const std::string where = networkParameterName(spec.parameter) + " = " + std::to_string(at.lambda) +
                              " on branch " + std::to_string(bi);
    PetscFunctionBeginUser;
    if (b.depth + 1 > spec.depth) {
      result->notFollowed.push_back("the branches at the branch point " + where +
                                    ": depth limit (-cont_depth " + std::to_string(spec.depth) + ")");
      PetscFunctionReturn(0);
    }
    const int m = static_cast<int>(critical.basis.size());
    std::vector<std::vector<double>> rho;
    std::vector<Vec> basis;
    for (auto &v : critical.basis)
      basis.push_back(v);
    PetscCall(sym->representation(basis, candidates(), &rho));
    struct Class {
      VecHandle x;
      PetscInt order;
      bool pitchfork;
    };
    std::vector<Class> classes;
    // Lines mapped onto each other by the candidates' matrices are one class: only the first of each is
    // compared with the known classes in the network's space (one FFT correlation per comparison).
    const auto lines   = axialLines(rho, m);
    const auto byClass = lineClasses(rho, lines, m);
    std::vector<bool> done(lines.size(), false);
    for (std::size_t li = 0; li < lines.size(); ++li) {
      const auto &line = lines[li];
      if (done[byClass[li]]) continue;
      done[byClass[li]] = true;
      VecHandle xv;
      PetscCall(net->createVec(xv.address()));
      PetscCall(VecSet(xv, 0.0));
      for (int i = 0; i < m; ++i)
        PetscCall(VecAXPY(xv, line[i], critical.basis[i]));
      PetscCall(VecNormalize(xv, nullptr));
      Isotropy iso;
      PetscCall(sym->isotropy(xv, spec.symmetryTol, &iso));
      PetscInt order = 0;
      for (std::size_t o = 0; o < iso.shifts.size(); ++o) {
        std::vector<PetscInt> both;
        std::set_intersection(iso.shifts[o].begin(), iso.shifts[o].end(), H.shifts[o].begin(),
                              H.shifts[o].end(), std::back_inserter(both));
        order += static_cast<PetscInt>(both.size());
      }
      bool known = false;
      for (auto &c : classes) {
        if (c.order != order) continue;
        double d = 0;
        PetscCall(sym->match(xv, c.x, &H, true, &d));
        if (d <= 10 * spec.symmetryTol) {
          known = true;
          break;
        }
      }
      if (known) continue;
      VecHandle minus;
      PetscCall(copyOf(xv, &minus));
      PetscCall(VecScale(minus, -1.0));
      double d = 0;
      PetscCall(sym->match(xv, minus, &H, false, &d));
      classes.push_back({std::move(xv), order, d <= 10 * spec.symmetryTol});
    }
    if (classes.empty())
      result->notFollowed.push_back("the branch point " + where +
                                    ": no axial subgroup found among the candidate elements");
    for (auto &c : classes) {
      if (static_cast<PetscInt>(result->branches.size() + queue.size()) >= spec.maxBranches) {
        result->notFollowed.push_back("a branch at the branch point " + where + " (isotropy order " +
                                      std::to_string(c.order) + "): branch limit (-cont_max_branches " +
                                      std::to_string(spec.maxBranches) + ")");
        continue;
      }
      PendingBranch next;
      next.parent = bi;
      next.row    = row;
      next.depth  = b.depth + 1;
      next.origin = c.pitchfork ? BranchOrigin::Pitchfork : BranchOrigin::Transcritical;
      PetscCall(net->createVec(next.x.address()));
      PetscCall(system->lift(at.x, next.x));
      next.direction = std::move(c.x);
      PetscCall(VecScale(next.direction, std::sqrt(static_cast<double>(N)))); // unit length in the w-norm
      next.lambda = at.lambda;
      queue.push_back(std::move(next));
    }
    PetscFunctionReturn(0);
  }

  PetscErrorCode traceDirection(PetscInt bi, State cur, Spectrum curSpec, Trace *tr) {
    double ds = spec.ds;
    std::map<std::string, int> lastSign;
    VecHandle px, diff, zero;
    VecHandle startX;
    const double startLambda = cur.lambda;
    PetscFunctionBeginUser;
    PetscCall(copyOf(cur.x, &startX));
    PetscCall(VecDuplicate(cur.x, px.address()));
    PetscCall(VecDuplicate(cur.x, diff.address()));
    PetscCall(VecDuplicate(cur.x, zero.address()));
    PetscCall(VecSet(zero, 0.0));
    for (const auto &kv : curSpec.leading)
      if (std::abs(curSpec.multiplets[kv.second].re) > spec.marginalTol)
        lastSign[kv.first] = curSpec.multiplets[kv.second].re > 0 ? 1 : -1;
    PetscInt step = 0;
    while (step < spec.maxSteps) {
      PetscCall(VecWAXPY(px, ds, cur.tx, cur.x));
      State next;
      bool ok      = false;
      PetscInt its = 0;
      PetscCall(correct(cur, cur.tx, cur.tl, ds, px, cur.lambda + ds * cur.tl, &next, &ok, &its));
      if (ok) PetscCall(tangentOk(&next, cur.tx, cur.tl, &ok));
      if (!ok) {
        ds *= 0.5;
        if (ds < spec.dsMin) {
          tr->end = "the corrector failed with ds below -cont_ds_min at " +
                    networkParameterName(spec.parameter) + " = " + std::to_string(cur.lambda);
          break;
        }
        continue;
      }
      // A step out of the range ends the branch on its boundary: the point there, solved at fixed parameter.
      const bool leaving = next.lambda < spec.minimum || next.lambda > spec.maximum;
      if (leaving) {
        const double bound = next.lambda < spec.minimum ? spec.minimum : spec.maximum;
        const double w     = (bound - cur.lambda) / (next.lambda - cur.lambda);
        State clipped;
        bool inside    = false;
        PetscInt inIts = 0;
        PetscCall(VecAXPBYPCZ(px, 1.0 - w, w, 0.0, cur.x, next.x));
        PetscCall(correct(cur, zero, 1.0, bound - cur.lambda, px, bound, &clipped, &inside, &inIts));
        if (inside) PetscCall(tangentOk(&clipped, cur.tx, cur.tl, &inside));
        if (inside) {
          next = std::move(clipped);
          its  = inIts;
        }
      }
      if (H.order > 1 && H.order <= spec.symmetriseMax) PetscCall(symmetrise(next.x));
      Spectrum ns;
      PetscCall(spectrum(next, &curSpec, &ns));
      PetscCall(detect(bi, cur, curSpec, next, ns, ds, lastSign));
      BranchPoint pt;
      PetscCall(summarise(next, ns, its, &pt));
      tr->points.push_back(std::move(pt));
      ++result->steps;
      ++step;
      if (spec.saveEvery > 0 && step % spec.saveEvery == 0) {
        VecHandle keep;
        PetscCall(net->createVec(keep.address()));
        PetscCall(system->lift(next.x, keep));
        tr->states.emplace_back(tr->points.size() - 1, std::move(keep));
      }
      cur     = std::move(next);
      curSpec = std::move(ns);
      if (leaving) {
        tr->end = cur.lambda <= spec.minimum ? "reached -cont_min" : "reached -cont_max";
        break;
      }
      PetscReal dx = 0;
      PetscCall(VecWAXPY(diff, -1.0, startX, cur.x));
      PetscCall(VecNorm(diff, NORM_2, &dx));
      if (step >= 3 && std::sqrt(weight * dx * dx + std::pow(cur.lambda - startLambda, 2)) < 0.5 * ds) {
        tr->end = "closed loop";
        break;
      }
      if (its <= 2) ds = std::min(1.5 * ds, spec.dsMax);
      if (its >= 5) ds = std::max(0.5 * ds, spec.dsMin);
    }
    if (tr->end.empty()) tr->end = "-cont_max_steps reached";
    PetscFunctionReturn(0);
  }

  // Continues one pending branch in its one or two directions.
  PetscErrorCode traceBranch(PendingBranch &pending) {
    PetscFunctionBeginUser;
    const PetscInt bi = static_cast<PetscInt>(result->branches.size());
    result->branches.emplace_back();
    {
      Branch &b = result->branches.back();
      b.parent  = pending.parent;
      b.bornAt  = pending.row;
      b.depth   = pending.depth;
      b.origin  = pending.origin;
    }
    if (pending.row >= 0) result->bifurcations[pending.row].started.push_back(bi);
    PetscCall(createEps());
    const bool switched =
        pending.origin == BranchOrigin::Pitchfork || pending.origin == BranchOrigin::Transcritical;
    State origin;
    VecHandle direction;
    PetscCall(system->createState(origin.x.address()));
    PetscCall(system->restrict(pending.x, origin.x));
    if (switched) {
      PetscCall(system->createState(direction.address()));
      PetscCall(system->restrict(pending.direction, direction));
    }
    PetscCall(choosePhaseAxes(origin.x, switched ? static_cast<Vec>(direction) : nullptr));
    origin.lambda = pending.lambda;
    origin.c.assign(static_cast<std::size_t>(p), 0.0);
    VecHandle zero;
    PetscCall(VecDuplicate(origin.x, zero.address()));
    PetscCall(VecSet(zero, 0.0));
    if (!switched) {
      bool ok      = false;
      PetscInt its = 0;
      State s0;
      PetscCall(correct(origin, zero, 1.0, 0.0, origin.x, origin.lambda, &s0, &ok, &its));
      if (ok) PetscCall(tangentOk(&s0, zero, 1.0, &ok));
      if (!ok) {
        result->branches.back().endReason = "Newton did not converge from the start state";
        result->notFollowed.push_back("branch " + std::to_string(bi) + ": " +
                                      result->branches.back().endReason);
        PetscFunctionReturn(0);
      }
      origin = std::move(s0);
      // A start on a branch already started (the same state up to Gamma at the same parameter value): once.
      VecHandle lifted;
      PetscCall(net->createVec(lifted.address()));
      PetscCall(system->lift(origin.x, lifted));
      PetscReal ln = 0;
      PetscCall(VecNorm(lifted, NORM_2, &ln));
      for (std::size_t k = 0; k < starts.size(); ++k) {
        double d = 0;
        PetscCall(sym->match(lifted, starts[k].second, nullptr, false, &d));
        if (d <= 1e-6 * std::max<PetscReal>(1.0, ln)) {
          result->branches.pop_back();
          result->notFollowed.push_back("a start state at " + networkParameterName(spec.parameter) + " = " +
                                        std::to_string(origin.lambda) + ": on branch " +
                                        std::to_string(starts[k].first) +
                                        " already (the same state up to symmetry)");
          PetscFunctionReturn(0);
        }
      }
      starts.emplace_back(bi, std::move(lifted));
      PetscCall(branchIsotropy(origin.x, &result->branches.back()));
    }
    Spectrum originSpec;
    if (!switched) PetscCall(spectrum(origin, nullptr, &originSpec));
    BranchPoint originPoint;
    const int nd = pending.origin == BranchOrigin::Pitchfork ? 1 : 2;
    Trace traces[2];
    for (int d = 0; d < nd; ++d) {
      const double sign = d == 0 ? 1.0 : -1.0;
      State first;
      if (!switched) {
        PetscCall(copyOf(origin.x, &first.x));
        PetscCall(copyOf(origin.tx, &first.tx));
        PetscCall(VecScale(first.tx, sign));
        first.tl     = sign * origin.tl;
        first.lambda = origin.lambda;
        first.c      = origin.c;
        PetscCall(traceDirection(bi, std::move(first), std::move(originSpec), &traces[d]));
        if (d == 0) PetscCall(spectrum(origin, nullptr, &originSpec));
        continue;
      }
      // From the branch point along +-direction: the amplitude along it fixed, the parameter free.
      VecHandle tx, px;
      PetscCall(copyOf(direction, &tx));
      PetscCall(VecScale(tx, sign));
      PetscCall(VecDuplicate(tx, px.address()));
      bool ok = false;
      for (double step : {spec.ds, 2 * spec.ds, 4 * spec.ds, 0.5 * spec.ds}) {
        PetscInt its = 0;
        PetscCall(VecWAXPY(px, step, tx, origin.x));
        PetscCall(correct(origin, tx, 0.0, step, px, origin.lambda, &first, &ok, &its));
        if (ok) PetscCall(tangentOk(&first, tx, 0.0, &ok));
        if (ok) break;
      }
      if (!ok) {
        traces[d].end = "the first step from the branch point did not converge";
        continue;
      }
      if (result->branches.back().isotropy.order == 0)
        PetscCall(branchIsotropy(first.x, &result->branches.back()));
      if (H.order > 1 && H.order <= spec.symmetriseMax) PetscCall(symmetrise(first.x));
      Spectrum fs0;
      PetscCall(spectrum(first, nullptr, &fs0));
      BranchPoint pt;
      PetscCall(summarise(first, fs0, 0, &pt));
      traces[d].points.push_back(std::move(pt));
      PetscCall(traceDirection(bi, std::move(first), std::move(fs0), &traces[d]));
    }
    Branch &b = result->branches[bi];
    if (switched && b.isotropy.order == 0) {
      b.endReason = traces[0].end;
      result->notFollowed.push_back("branch " + std::to_string(bi) + " from the branch point at " +
                                    networkParameterName(spec.parameter) + " = " +
                                    std::to_string(pending.lambda) + ": " + traces[0].end);
      PetscFunctionReturn(0);
    }
    // The start (or branch) point itself, between the two directions.
    Spectrum os;
    PetscCall(spectrum(origin, nullptr, &os));
    PetscCall(summarise(origin, os, 0, &originPoint));
    std::vector<std::pair<std::size_t, VecHandle>> states;
    if (nd == 2) {
      for (std::size_t i = traces[1].points.size(); i-- > 0;)
        b.points.push_back(std::move(traces[1].points[i]));
      for (auto &st : traces[1].states)
        states.emplace_back(traces[1].points.size() - 1 - st.first, std::move(st.second));
    }
    const std::size_t offset = b.points.size() + 1;
    b.points.push_back(std::move(originPoint));
    for (auto &pt : traces[0].points)
      b.points.push_back(std::move(pt));
    for (auto &st : traces[0].states)
      states.emplace_back(offset + st.first, std::move(st.second));
    std::sort(states.begin(), states.end(), [](const auto &x, const auto &y) { return x.first < y.first; });
    for (auto &st : states) {
      b.statePoints.push_back(static_cast<PetscInt>(st.first));
      b.states.push_back(std::move(st.second));
    }
    // The sides in the order of the points: a start branch's first side is the one of decreasing parameter
    // (its tangent's parameter component is positive), a transcritical branch's the side of -direction.
    if (nd == 1)
      b.endReason = traces[0].end;
    else if (switched)
      b.endReason = "-direction side: " + traces[1].end + "; +direction side: " + traces[0].end;
    else
      b.endReason = "decreasing side: " + traces[1].end + "; increasing side: " + traces[0].end;
    if (!spec.quiet)
      PetscCall(PetscPrintf(comm,
                            "eqrnn: branch %" PetscInt_FMT " (%s, isotropy order %" PetscInt_FMT
                            ", stabiliser %s): %zu "
                            "points, %s\n",
                            bi, branchOriginName(b.origin), b.isotropy.order,
                            b.stabiliser.description.c_str(), b.points.size(), b.endReason.c_str()));
    PetscFunctionReturn(0);
  }
};

Continuation::~Continuation() = default;

PetscErrorCode Continuation::create(RateNetwork &net, const ContinuationSpec &spec,
                                    std::unique_ptr<Continuation> *out) {
  std::unique_ptr<Continuation> c(new Continuation());
  PetscFunctionBeginUser;
  c->impl_ = std::make_unique<Impl>();
  Impl &m  = *c->impl_;
  m.net    = &net;
  m.spec   = spec;
  m.comm   = net.comm();
  PetscCallMPI(MPI_Comm_rank(m.comm, &m.rank));
  PetscCallMPI(MPI_Comm_size(m.comm, &m.size));
  if (spec.model == ContinuationModel::Reduced) {
    auto reduced = std::make_unique<ReducedSystem>(net, m.spec);
    PetscCall(reduced->init());
    m.system = std::move(reduced);
  } else {
    auto full = std::make_unique<FullSystem>(net, m.spec);
    PetscCall(full->init());
    m.system = std::move(full);
  }
  m.scomm = m.system->comm();
  PetscCallMPI(MPI_Comm_rank(m.scomm, &m.srank));
  PetscCallMPI(MPI_Comm_size(m.scomm, &m.ssize));
  m.nloc   = m.system->localSize();
  m.N      = net.connectivity().size();
  m.weight = 1.0 / static_cast<double>(m.N); // |a| = |x| in the reduced model: the same step lengths
  for (VecHandle *v : {&m.x0, &m.t0x, &m.xhat, &m.xJ, &m.dFdl, &m.xs, &m.fs, &m.vs, &m.outs})
    PetscCall(m.system->createState(v->address()));
  PetscCall(net.createVec(m.fullWork.address()));
  PetscCall(net.createVec(m.fullWork2.address()));
  PetscCall(NetworkSymmetry::create(net, spec.inputTime, &c->symmetry_));
  m.sym = c->symmetry_.get();
  // The symmetry of the whole family: what holds at the start and at both ends of the range (an input or a
  // threshold switched on along the way breaks x -> -x; Gamma must not be that of the start alone).
  double start = 0;
  PetscCall(net.parameter(spec.parameter, &start));
  for (double value : {spec.minimum, spec.maximum}) {
    if (spec.parameter.kind == ParameterKind::Gain && value <= 0) continue;
    PetscCall(net.setParameter(spec.parameter, value));
    PetscCall(m.sym->keepCommuting(spec.inputTime));
  }
  PetscCall(net.setParameter(spec.parameter, start));
  *out = std::move(c);
  PetscFunctionReturn(0);
}

PetscErrorCode Continuation::run(ContinuationResult *result, const Progress &progress,
                                 std::deque<PendingBranch> *resumed) {
  Impl &m = *impl_;
  PetscFunctionBeginUser;
  double start = MPI_Wtime();
  PetscCall(rootValue(m.comm, &start));
  if (!resumed) *result = ContinuationResult();
  m.result         = result;
  result->symmetry = m.sym->describe();
  double lambda0   = 0;
  PetscCall(m.net->parameter(m.spec.parameter, &lambda0));
  m.currentLambda = lambda0;
  m.queue.clear();
  if (resumed) {
    m.queue = std::move(*resumed);
  } else {
    if (m.spec.startAtZero) {
      PendingBranch first;
      first.lambda = lambda0;
      PetscCall(m.net->createVec(first.x.address()));
      PetscCall(VecSet(first.x, 0.0));
      m.queue.push_back(std::move(first));
    }
    for (const auto &file : m.spec.startFiles) {
      PendingBranch next;
      next.origin = BranchOrigin::StartFile;
      next.lambda = lambda0;
      PetscCall(m.net->createVec(next.x.address()));
      const auto colon = file.rfind(':');
      const bool named = colon != std::string::npos && colon + 1 < file.size() && file[colon + 1] == '/';
      PetscCall(readVector(m.comm, named ? file.substr(0, colon) : file,
                           named ? file.substr(colon + 1) : "/final/x", next.x));
      m.queue.push_back(std::move(next));
    }
  }
  while (!m.queue.empty()) {
    PendingBranch next = std::move(m.queue.front());
    m.queue.pop_front();
    PetscCall(m.traceBranch(next));
    bool stop = false;
    if (progress) PetscCall(progress(*result, m.queue, &stop));
    if (stop) {
      result->stopped = true;
      break;
    }
  }
  double end = MPI_Wtime();
  PetscCall(rootValue(m.comm, &end));
  result->wallSeconds += end - start; // a resumed run adds to the time of the runs before it
  PetscFunctionReturn(0);
}

PetscErrorCode Continuation::readSolverOptions(MPI_Comm comm) {
  SNESHandle snes;
  EPSHandle eps;
  PetscFunctionBeginUser;
  PetscCall(SNESCreate(comm, snes.address()));
  PetscCall(SNESSetOptionsPrefix(snes, "cont_"));
  PetscCall(Impl::configureSnes(snes, 10));
  PetscCall(SNESSetFromOptions(snes));
  PetscCall(EPSCreate(comm, eps.address()));
  PetscCall(EPSSetOptionsPrefix(eps, "cont_"));
  PetscCall(EPSSetFromOptions(eps));
  PetscFunctionReturn(0);
}

} // namespace eqrnn
