// Training (THEORY.md section 5): back-propagation through time against finite differences for every phi and
// both model forms, the linear null-initialisation theory (W stays in span{d, e} x span{d, e} and learns the
// eigenvalues {gamma, 0}), invariance of the trained weights under the number of ranks, bitwise restart, and
// the analysis of a trained ReLU network (the manifold test).
#include "helpers.hpp"
#include "io/checkpoint.hpp"
#include "training/analysis.hpp"
#include "training/linalg.hpp"
#include "training/trainer.hpp"
#include "training/training_io.hpp"
#include <cstdio>
#include <unistd.h>

using namespace eqrnn;
using namespace eqrnn::training;
using namespace eqrnn::test;

namespace {
TrainSpec smallSpec(PetscInt n, PetscInt D, Activation phi, ModelForm form) {
  setBlasThreads(1); // as eqrnn train does: one BLAS thread per rank
  TrainSpec s;
  s.model.n         = n;
  s.model.D         = D;
  s.model.phi       = phi;
  s.model.form      = form;
  s.task.T          = 4;
  s.task.decay      = std::vector<double>(static_cast<std::size_t>(D), 0.9);
  s.task.scale      = std::vector<double>(static_cast<std::size_t>(D), 1.0);
  s.batch           = 10;
  s.chunk           = 3; // four chunks, the last one shorter
  s.seed            = 11;
  s.task.testLength = 50;
  return s;
}

double dot(const Parameters &a, const Parameters &b) {
  std::vector<double> x, y;
  a.flatten(&x);
  b.flatten(&y);
  double s = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    s += x[i] * y[i];
  return s;
}

// p + h v
Parameters shifted(const Parameters &p, const Parameters &v, double h) {
  std::vector<double> x, y;
  p.flatten(&x);
  v.flatten(&y);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] += h * y[i];
  Parameters q = p;
  q.unflatten(x);
  return q;
}

// A random direction in one parameter block (0: W, 1: E, 2: Dec, 3: b).
Parameters direction(const Parameters &p, int block, std::uint64_t seed) {
  Parameters v = p;
  v.zero();
  std::vector<double> *target[] = {&v.W, &v.E, &v.Dec, &v.b};
  for (std::size_t i = 0; i < target[block]->size(); ++i)
    (*target[block])[i] = counterNormal(seed, 3, i);
  return v;
}

// Relative error of the directional derivative along random directions in each block.
void checkGradient(TrainSpec spec, const char *what) {
  std::unique_ptr<Trainer> trainer;
  EQ_OK(Trainer::create(PETSC_COMM_WORLD, spec, &trainer));
  EQ_OK(trainer->initialise());
  Parameters p = trainer->state().params, g;
  // Away from the null initialisation and with a bias, so that every term of the gradient is exercised.
  for (std::size_t i = 0; i < p.b.size(); ++i)
    p.b[i] = 0.2 * counterNormal(5, 1, i);
  double loss = 0;
  EQ_OK(trainer->lossAndGradient(p, 3, &loss, &g));
  ASSERT_TRUE(std::isfinite(loss));
  // Under Dale's law |W| has a kink at 0: the step must not carry an entry across it.
  double smallest = 1;
  for (double w : p.W)
    smallest = std::min(smallest, std::abs(w));
  for (int block = 0; block < 4; ++block)
    for (std::uint64_t trial = 0; trial < 2; ++trial) {
      const double h     = block == 0 && spec.model.daleFraction > 0 ? std::min(1e-5, 0.1 * smallest) : 1e-5;
      const Parameters v = direction(p, block, 100 + 10 * block + trial);
      double lp = 0, lm = 0;
      Parameters dummy;
      EQ_OK(trainer->lossAndGradient(shifted(p, v, h), 3, &lp, &dummy));
      EQ_OK(trainer->lossAndGradient(shifted(p, v, -h), 3, &lm, &dummy));
      const double fd = (lp - lm) / (2 * h), an = dot(g, v);
      EXPECT_LT(std::abs(fd - an), 1e-6 * std::abs(an))
          << what << ", block " << block << ": finite difference " << fd << ", back-propagation " << an;
    }
}
} // namespace

TEST(Training, GradientMatchesFiniteDifferencesForEveryPhiAndForm) {
  for (ModelForm form : {ModelForm::Authors, ModelForm::Common})
    for (Activation phi : {Activation::Linear, Activation::Relu, Activation::Sigmoid, Activation::Tanh}) {
      TrainSpec s          = smallSpec(12, 2, phi, form);
      s.model.initRadius   = 0.9;
      s.model.slope        = phi == Activation::Sigmoid ? 2.0 : 1.0;
      s.model.threshold    = phi == Activation::Sigmoid ? 0.3 : 0.0;
      const std::string id = formName(form) + "/" + activationName(phi);
      checkGradient(s, id.c_str());
    }
}

TEST(Training, GradientWithDalesLawAndDistinctDecays) {
  TrainSpec s          = smallSpec(12, 2, Activation::Tanh, ModelForm::Authors);
  s.model.initRadius   = 0.8;
  s.model.daleFraction = 0.25;
  s.task.decay         = {0.95, 0.7};
  s.task.scale         = {1.0, 2.5};
  checkGradient(s, "authors/tanh/Dale");
  s.model.form = ModelForm::Common;
  checkGradient(s, "common/tanh/Dale");
}

TEST(Training, ReluLearnsFromNullInitialisationOnlyWithUnitDerivativeAtZero) {
  // W = 0: every pre-activation is exactly 0, and dL/dW is proportional to phi'(0).
  for (double choice : {1.0, 0.0}) {
    TrainSpec s                  = smallSpec(10, 1, Activation::Relu, ModelForm::Authors);
    s.model.reluDerivativeAtZero = choice;
    std::unique_ptr<Trainer> trainer;
    EQ_OK(Trainer::create(PETSC_COMM_WORLD, s, &trainer));
    EQ_OK(trainer->initialise());
    Parameters g;
    double loss = 0;
    EQ_OK(trainer->lossAndGradient(trainer->state().params, 0, &loss, &g));
    double norm = 0;
    for (double x : g.W)
      norm = std::max(norm, std::abs(x));
    if (choice == 1.0)
      EXPECT_GT(norm, 1e-3);
    else
      EXPECT_EQ(norm, 0.0);
  }
}

namespace {
// Orthonormal basis (column-major n x 2) of span{d, e}.
std::vector<double> spanDE(const Parameters &p) {
  const std::size_t n = p.b.size();
  std::vector<double> q(2 * n);
  double nd = 0, de = 0, ne = 0;
  for (std::size_t i = 0; i < n; ++i)
    nd += p.Dec[i] * p.Dec[i];
  for (std::size_t i = 0; i < n; ++i) {
    q[i] = p.Dec[i] / std::sqrt(nd);
    de += q[i] * p.E[i];
  }
  for (std::size_t i = 0; i < n; ++i) {
    q[n + i] = p.E[i] - de * q[i];
    ne += q[n + i] * q[n + i];
  }
  for (std::size_t i = 0; i < n; ++i)
    q[n + i] /= std::sqrt(ne);
  return q;
}

// |W - P W P|_F / |W|_F with P the projector on span{d, e}.
double offSubspace(const Parameters &p) {
  const PetscInt n = p.n;
  const auto q     = spanDE(p);
  std::vector<double> small(4, 0.0), PWP(static_cast<std::size_t>(n * n), 0.0), tmp(2 * n);
  gemm('T', 'N', 2, n, n, 1.0, q.data(), n, p.W.data(), n, 0.0, tmp.data(), 2);   // Q^T W (2 x n)
  gemm('N', 'N', 2, 2, n, 1.0, tmp.data(), 2, q.data(), n, 0.0, small.data(), 2); // Q^T W Q
  gemm('N', 'N', n, 2, 2, 1.0, q.data(), n, small.data(), 2, 0.0, tmp.data(), n); // Q (Q^T W Q)
  gemm('N', 'T', n, n, 2, 1.0, tmp.data(), n, q.data(), n, 0.0, PWP.data(), n);
  double off = 0, all = 0;
  for (std::size_t k = 0; k < PWP.size(); ++k) {
    off += (p.W[k] - PWP[k]) * (p.W[k] - PWP[k]);
    all += p.W[k] * p.W[k];
  }
  return std::sqrt(off / all);
}

void train(Trainer &t, long long steps) {
  bool diverged = false;
  for (long long k = 0; k < steps; ++k) {
    EQ_OK(t.step(&diverged));
    ASSERT_FALSE(diverged) << "step " << t.state().step;
  }
}
} // namespace

TEST(Training, LinearNullInitialisationLearnsTheLeakyIntegratorInsideSpanDE) {
  // THEORY.md section 5: with W = 0 and plain gradient descent W stays in span{d, e} x span{d, e} (rank <=
  // 2); T = 3 forces the eigenvalues {gamma, 0}, and the network then integrates sequences of any length.
  const double gamma = 0.995;
  TrainSpec s        = smallSpec(30, 1, Activation::Linear, ModelForm::Authors);
  s.task.T           = 3;
  s.task.decay       = {gamma};
  s.batch            = 128;
  s.chunk            = 16;
  s.optimizer.kind   = OptimizerKind::Sgd;
  s.optimizer.lr     = 0.5;
  s.keepBest         = false;
  s.task.testLength  = 200;
  s.task.testSamples = 32;
  std::unique_ptr<Trainer> t;
  EQ_OK(Trainer::create(PETSC_COMM_WORLD, s, &t));
  EQ_OK(t->initialise());
  ASSERT_NO_FATAL_FAILURE(train(*t, 2000));
  const Parameters &p = t->result();
  EXPECT_LT(offSubspace(p), 1e-10);
  AnalysisSpec a;
  a.pca = false;
  AnalysisResult r;
  EQ_OK(analyseNetwork(PETSC_COMM_WORLD, s, a, p, &r));
  EXPECT_LT(r.singular[2], 1e-10 * r.singular[0]); // rank <= 2
  EXPECT_NEAR(r.eigRe[0], gamma, 1e-4);
  EXPECT_EQ(r.eigIm[0], 0.0);
  EXPECT_LT(std::hypot(r.eigRe[1], r.eigIm[1]), 1e-3);
  EXPECT_LT(t->state().loss.back(), 1e-10);
  EXPECT_LT(r.testRelativeError[0], 1e-4); // length 200 after training on length 3
  // Adam rescales the gradient entry by entry and leaves the subspace.
  s.optimizer.kind = OptimizerKind::Adam;
  s.optimizer.lr   = 1e-2;
  EQ_OK(Trainer::create(PETSC_COMM_WORLD, s, &t));
  EQ_OK(t->initialise());
  ASSERT_NO_FATAL_FAILURE(train(*t, 20));
  EXPECT_GT(offSubspace(t->state().params), 1e-2);
}

namespace {
// Every parameter and moment of two states, entry by entry.
double stateDifference(const TrainState &a, const TrainState &b) {
  double d               = 0;
  const Parameters *pa[] = {&a.params, &a.best, &a.optimizer.m, &a.optimizer.v};
  const Parameters *pb[] = {&b.params, &b.best, &b.optimizer.m, &b.optimizer.v};
  for (int k = 0; k < 4; ++k) {
    std::vector<double> x, y;
    pa[k]->flatten(&x);
    pb[k]->flatten(&y);
    if (x.size() != y.size()) return 1e300;
    d = std::max(d, maxAbsDiff(x, y));
  }
  if (a.loss.size() != b.loss.size()) return 1e300;
  return std::max(d, maxAbsDiff(a.loss, b.loss));
}

TrainSpec invarianceSpec(bool single) {
  TrainSpec s           = smallSpec(24, 2, Activation::Relu, ModelForm::Authors);
  s.task.T              = 3;
  s.batch               = 50;
  s.chunk               = 7; // 8 chunks, the last one shorter: uneven splits on 3 ranks
  s.optimizer.lr        = 5e-3;
  s.model.trainEncoders = true;
  s.model.trainDecoders = true;
  s.model.trainBias     = true;
  s.model.daleFraction  = 0.2;
  s.model.initRadius    = 0.5;
  s.singlePrecision     = single;
  return s;
}
} // namespace

TEST(Training, WeightsAfterHundredStepsAreTheSameOnAnyNumberOfRanks) {
  // The same training on all ranks together and on each rank alone: every weight, moment and loss equal.
  for (bool single : {false, true}) {
    const TrainSpec s = invarianceSpec(single);
    std::unique_ptr<Trainer> world, self;
    EQ_OK(Trainer::create(PETSC_COMM_WORLD, s, &world));
    EQ_OK(Trainer::create(PETSC_COMM_SELF, s, &self));
    EQ_OK(world->initialise());
    EQ_OK(self->initialise());
    ASSERT_NO_FATAL_FAILURE(train(*world, 100));
    ASSERT_NO_FATAL_FAILURE(train(*self, 100));
    const double diff = stateDifference(world->state(), self->state());
    EXPECT_LT(diff, 1e-10) << (single ? "single" : "double") << " precision";
    EXPECT_EQ(diff, 0.0) << "not bitwise (" << (single ? "single" : "double") << " precision)";
    EXPECT_LT(world->state().loss.back(), 0.5 * world->state().loss.front());
    // The analysis too.
    AnalysisSpec a;
    AnalysisResult rw, rs;
    EQ_OK(analyseNetwork(PETSC_COMM_WORLD, s, a, world->result(), &rw));
    EQ_OK(analyseNetwork(PETSC_COMM_SELF, s, a, self->result(), &rs));
    EXPECT_EQ(maxAbsDiff(rw.testMse, rs.testMse), 0.0);
    EXPECT_EQ(rw.manifoldResidual, rs.manifoldResidual);
    EXPECT_EQ(maxAbsDiff(rw.pcaExplained, rs.pcaExplained), 0.0);
    EXPECT_EQ(maxAbsDiff(rw.selectivity, rs.selectivity), 0.0);
    EXPECT_EQ(maxAbsDiff(rw.savedHidden, rs.savedHidden), 0.0);
  }
}

TEST(Training, RestartFromACheckpointIsBitwiseTheUninterruptedRun) {
  const TrainSpec s     = invarianceSpec(false);
  const std::string out = "test_training_restart_np" + std::to_string(commSize()) + ".h5";
  std::unique_ptr<Trainer> straight, first, resumed;
  EQ_OK(Trainer::create(PETSC_COMM_WORLD, s, &straight));
  EQ_OK(straight->initialise());
  ASSERT_NO_FATAL_FAILURE(train(*straight, 60));
  EQ_OK(Trainer::create(PETSC_COMM_WORLD, s, &first));
  EQ_OK(first->initialise());
  ASSERT_NO_FATAL_FAILURE(train(*first, 25));
  EQ_OK(writeTrainingCheckpoint(PETSC_COMM_WORLD, out, s, first->state()));
  EQ_OK(Trainer::create(PETSC_COMM_WORLD, s, &resumed));
  bool found = false;
  std::string chosen;
  std::vector<std::string> notes;
  EQ_OK(findTrainingCheckpoint(PETSC_COMM_WORLD, out, s, &resumed->state(), &found, &chosen, &notes));
  ASSERT_TRUE(found);
  EXPECT_EQ(resumed->state().step, 25);
  ASSERT_NO_FATAL_FAILURE(train(*resumed, 35));
  EXPECT_EQ(stateDifference(straight->state(), resumed->state()), 0.0);
  // Another run's checkpoint is refused with the reason.
  TrainSpec other    = s;
  other.optimizer.lr = 1e-3;
  TrainState ignored;
  bool ok = true;
  std::string reason;
  EQ_OK(readTrainingCheckpoint(PETSC_COMM_WORLD, checkpointPath(out), other, &ignored, &ok, &reason));
  EXPECT_FALSE(ok);
  EXPECT_NE(reason.find("lr"), std::string::npos) << reason;
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Barrier(PETSC_COMM_WORLD);
  if (rank == 0)
    for (const auto &f : checkpointCandidates(out))
      std::remove(f.c_str());
}

TEST(Training, ReluTwoChannelsActivityLivesOnAPlane) {
  // ReLU, D = 2, from null initialisation: the currents of the length-200 test sequences lie close to the
  // span of W's two leading left singular vectors (r < 0.1), W has two singular values above a bulk, and the
  // test error is small although training used T = 3. (Plain gradient descent: W stays close to low rank.
  // Adam, lr 1e-3, reaches r ~ 0.08 here after 1500-2000 steps, with a larger bulk.)
  TrainSpec s        = smallSpec(100, 2, Activation::Relu, ModelForm::Authors);
  s.task.T           = 3;
  s.task.decay       = {0.995, 0.995};
  s.batch            = 256;
  s.chunk            = 32;
  s.optimizer.kind   = OptimizerKind::Sgd;
  s.optimizer.lr     = 1.0;
  s.task.testLength  = 200;
  s.task.testSamples = 64;
  std::unique_ptr<Trainer> t;
  EQ_OK(Trainer::create(PETSC_COMM_WORLD, s, &t));
  EQ_OK(t->initialise());
  ASSERT_NO_FATAL_FAILURE(train(*t, 1200));
  AnalysisSpec a;
  AnalysisResult r;
  EQ_OK(analyseNetwork(PETSC_COMM_WORLD, s, a, t->result(), &r));
  EXPECT_LT(r.manifoldResidual, 0.1);
  EXPECT_LT(r.testRelativeError[0], 0.05);
  EXPECT_LT(r.testRelativeError[1], 0.05);
  EXPECT_GT(r.singular[1], 5 * r.singular[2]);
  ASSERT_EQ(r.selectivityAngles.size(), 100u);
  ASSERT_EQ(r.pcaExplained.size(), 100u);
  EXPECT_GT(r.pcaExplained[0] + r.pcaExplained[1], 0.6);
}

TEST(Training, ReluOneChannelHasPositiveAndNegativeNeurons) {
  // ReLU, D = 1: the activity manifold is two half-lines; the neurons split into those active for positive
  // and those active for negative integrals, and two principal components carry all the variance.
  TrainSpec s        = smallSpec(50, 1, Activation::Relu, ModelForm::Authors);
  s.task.T           = 3;
  s.task.decay       = {0.995};
  s.batch            = 128;
  s.chunk            = 32;
  s.optimizer.kind   = OptimizerKind::Sgd;
  s.optimizer.lr     = 1.0;
  s.task.testLength  = 200;
  s.task.testSamples = 64;
  std::unique_ptr<Trainer> t;
  EQ_OK(Trainer::create(PETSC_COMM_WORLD, s, &t));
  EQ_OK(t->initialise());
  ASSERT_NO_FATAL_FAILURE(train(*t, 600));
  AnalysisSpec a;
  AnalysisResult r;
  EQ_OK(analyseNetwork(PETSC_COMM_WORLD, s, a, t->result(), &r));
  EXPECT_LT(r.testRelativeError[0], 0.01);
  ASSERT_EQ(r.classCounts.size(), 4u);
  EXPECT_GE(r.classCounts[kPositive], 15);
  EXPECT_GE(r.classCounts[kNegative], 15);
  EXPECT_EQ(r.classCounts[kSilent] + r.classCounts[kPositive] + r.classCounts[kNegative] +
                r.classCounts[kShared],
            50);
  EXPECT_GT(r.pcaExplained[0] + r.pcaExplained[1], 0.999);
}
