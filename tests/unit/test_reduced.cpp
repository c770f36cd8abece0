// The group Fourier transform (convolution theorem in the order of docs/mathematics.md section 3, inversion,
// Plancherel, product irreps) and the exact reduced model (docs/mathematics.md section 5): its fixed points
// and spectra against the full network, analytic values, orbit-stabiliser counts, channels, rank-count
// invariance.
#include "analysis/reduced_model.hpp"
#include "groups/group_fourier.hpp"
#include "operators/kernel.hpp"
#include "core/parameters.hpp"
#include "helpers.hpp"
#include <algorithm>
#include <cmath>
#include <random>

using namespace eqrnn;
using namespace eqrnn::test;

namespace {
Group makeGroup(const std::string &spec, const std::string &perms = "") {
  Group G;
  std::string err;
  EXPECT_TRUE(Group::parse(spec, &G, &err, perms)) << err;
  return G;
}

std::vector<Complex> randomFunction(const Group &G, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n;
  std::vector<Complex> f(static_cast<std::size_t>(G.order()));
  for (auto &v : f)
    v = Complex(n(rng), n(rng));
  return f;
}

// (1/|G|) sum_h w(h^-1 g) r(h), straight from the group law.
std::vector<Complex> convolve(const Group &G, const std::vector<Complex> &w, const std::vector<Complex> &r) {
  std::vector<Complex> out(w.size(), 0.0);
  for (PetscInt g = 0; g < G.order(); ++g)
    for (PetscInt h = 0; h < G.order(); ++h)
      out[g] += w[G.multiply(G.inverse(h), g)] * r[h] / static_cast<double>(G.order());
  return out;
}

std::vector<Complex> matmul(const std::vector<Complex> &a, const std::vector<Complex> &b, int d) {
  std::vector<Complex> c(static_cast<std::size_t>(d * d), 0.0);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j)
      for (int k = 0; k < d; ++k)
        c[i * d + j] += a[i * d + k] * b[k * d + j];
  return c;
}

double maxDiff(const std::vector<Complex> &a, const std::vector<Complex> &b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

NetworkSpec irrepNetwork(const std::string &group, const std::string &irreps,
                         const std::vector<double> &gains, PetscInt channels = 1) {
  NetworkSpec s;
  s.group             = group;
  s.channels          = channels;
  s.kernel.family     = KernelFamily::Irreps;
  s.kernel.irreps     = splitList(irreps, ',');
  s.kernel.irrepGains = gains;
  s.input.kind        = InputKind::None;
  return s;
}

struct Census {
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<ReducedModel> model;
  std::vector<ReducedFixedPoint> fps;
  PetscInt failed = 0;
};

void runCensus(MPI_Comm comm, const NetworkSpec &spec, PetscInt starts, Census *c) {
  ReduceSpec r;
  r.starts = starts;
  EQ_OK(RateNetwork::create(comm, spec, &c->net));
  EQ_OK(ReducedModel::create(*c->net, r, &c->model));
  EQ_OK(c->model->census(&c->fps, &c->failed));
}

double norm(const std::vector<double> &a) {
  double s = 0;
  for (double v : a)
    s += v * v;
  return std::sqrt(s);
}

void expectAllVerified(const Census &c, PetscInt order) {
  ASSERT_FALSE(c.fps.empty());
  for (const auto &p : c.fps) {
    EXPECT_TRUE(p.verified) << "start " << p.start;
    EXPECT_LT(p.residualFull, 1e-10);
    EXPECT_GE(p.spectrumMismatch, 0.0);
    EXPECT_LT(p.spectrumMismatch, 1e-6);
    EXPECT_EQ(p.orbitSize * p.stabiliser.order, order); // orbit-stabiliser
  }
}
} // namespace

TEST(GroupFourier, ConvolutionTheoremInTheoryOrder) {
  for (const char *spec : {"S3", "D5", "D4xZ3", "Q8"}) {
    const Group G = makeGroup(spec);
    const auto w = randomFunction(G, 1), r = randomFunction(G, 2);
    const auto wr = convolve(G, w, r);
    const auto W = groupFourierTransform(G, w), Rk = groupFourierTransform(G, r),
               WR = groupFourierTransform(G, wr);
    double worst = 0, reversed = 0;
    for (std::size_t k = 0; k < W.size(); ++k) {
      worst    = std::max(worst, maxDiff(WR[k].block, matmul(W[k].block, Rk[k].block, W[k].dim)));
      reversed = std::max(reversed, maxDiff(WR[k].block, matmul(Rk[k].block, W[k].block, W[k].dim)));
    }
    EXPECT_LT(worst, 1e-12) << spec;
    EXPECT_GT(reversed, 1e-3) << spec << ": the order of the product must matter on a non-abelian group";
  }
}

TEST(GroupFourier, InversionAndPlancherel) {
  for (const char *spec : {"S4", "D6xZ4", "A4xZ3"}) {
    const Group G     = makeGroup(spec);
    const auto f      = randomFunction(G, 3);
    const auto blocks = groupFourierTransform(G, f);
    EXPECT_LT(maxDiff(inverseGroupFourierTransform(G, blocks), f), 1e-12) << spec;
    double lhs = 0, rhs = 0;
    for (const auto &v : f)
      lhs += std::norm(v) / static_cast<double>(G.order());
    for (const auto &b : blocks)
      for (const auto &v : b.block)
        rhs += b.dim * std::norm(v);
    EXPECT_NEAR(lhs, rhs, 1e-12 * lhs) << spec;
  }
}

TEST(GroupFourier, ProductIrrepsAreOrthonormal) {
  const Group G     = makeGroup("D3xZ4");
  const auto irreps = allProductIrreps(G);
  long long dimSum  = 0;
  std::vector<std::vector<std::vector<Complex>>> rho(irreps.size());
  for (std::size_t k = 0; k < irreps.size(); ++k) {
    dimSum += productIrrepDim(G, irreps[k]) * productIrrepDim(G, irreps[k]);
    rho[k].resize(static_cast<std::size_t>(G.order()));
    for (PetscInt g = 0; g < G.order(); ++g)
      productIrrepMatrix(G, irreps[k], g, &rho[k][g]);
  }
  EXPECT_EQ(dimSum, G.order());
  double worst = 0;
  for (std::size_t k = 0; k < irreps.size(); ++k)
    for (std::size_t l = 0; l < irreps.size(); ++l) {
      const int dk = productIrrepDim(G, irreps[k]), dl = productIrrepDim(G, irreps[l]);
      for (int e = 0; e < dk * dk; ++e)
        for (int f = 0; f < dl * dl; ++f) {
          Complex s = 0;
          for (PetscInt g = 0; g < G.order(); ++g)
            s += rho[k][g][e] * std::conj(rho[l][g][f]);
          s *= static_cast<double>(dk) / static_cast<double>(G.order());
          worst = std::max(worst, std::abs(s - (k == l && e == f ? 1.0 : 0.0)));
        }
    }
  EXPECT_LT(worst, 1e-12);
}

// Ring with the irreps kernel on chi_{+-1}: J multiplies cos and sin by g (a cosine kernel J1 = 2g). x = 0
// has the double eigenvalue -1 + g; the bump kappa cos(theta - theta0) solves kappa = 2g <cos tanh(kappa
// cos)>.
TEST(ReducedModel, RingBumpMatchesTheSelfConsistencyEquation) {
  const double g   = 2.0;
  const PetscInt n = 64;
  Census c;
  runCensus(PETSC_COMM_WORLD, irrepNetwork("Z64", "chi1", {g}), 20, &c);
  EXPECT_EQ(c.model->dimension(), 2);
  expectAllVerified(c, n);
  auto mean = [&](double kappa) {
    double s = 0;
    for (PetscInt j = 0; j < n; ++j) {
      const double t = 2 * M_PI * static_cast<double>(j) / static_cast<double>(n);
      s += std::cos(t) * std::tanh(kappa * std::cos(t));
    }
    return s / static_cast<double>(n);
  };
  double lo = 0.1, hi = 50; // kappa - 2g <...> changes sign once on (0, inf) for 2g/2 > 1
  for (int it = 0; it < 200; ++it) {
    const double mid                        = 0.5 * (lo + hi);
    (mid - 2 * g * mean(mid) < 0 ? lo : hi) = mid;
  }
  const double kappa = 0.5 * (lo + hi);
  bool zero = false, bump = false;
  for (const auto &p : c.fps) {
    if (norm(p.a) < 1e-9) {
      zero = true;
      EXPECT_NEAR(p.re[0], -1 + g, 1e-12);
      EXPECT_NEAR(p.re[1], -1 + g, 1e-12);
    } else {
      bump = true;
      // |x|^2 = kappa^2 N / 2 for x = kappa cos(theta - theta0) on the lattice.
      EXPECT_NEAR(norm(p.a), kappa * std::sqrt(static_cast<double>(n) / 2.0), 1e-8);
      EXPECT_EQ(p.dimension, 1);          // a ring
      EXPECT_LT(std::abs(p.re[0]), 1e-6); // the tangent mode (lattice: exponentially small)
      EXPECT_LT(p.re[1], -1e-3);          // the radial mode
      EXPECT_EQ(p.classification, Classification::Stable);
    }
  }
  EXPECT_TRUE(zero);
  EXPECT_TRUE(bump);
}

// S3 with its 2-dimensional irrep: R = 4; fixed points with a stabiliser of order 2 come in orbits of 3, the
// others (besides x = 0) in orbits of 6.
TEST(ReducedModel, S3TwoDimensionalIrrep) {
  Census c;
  runCensus(PETSC_COMM_WORLD, irrepNetwork("S3", "rho2", {4.0}), 40, &c);
  EXPECT_EQ(c.model->dimension(), 4);
  expectAllVerified(c, 6);
  int order2 = 0, free = 0, zeros = 0;
  for (const auto &p : c.fps) {
    if (norm(p.a) < 1e-9) {
      ++zeros;
      EXPECT_EQ(p.stabiliser.order, 6);
      for (double re : p.re)
        EXPECT_NEAR(re, 3.0, 1e-12); // -1 + gain on the whole irrep
      continue;
    }
    EXPECT_TRUE(p.stabiliser.order == 1 || p.stabiliser.order == 2);
    if (p.stabiliser.order == 2) {
      ++order2;
      EXPECT_EQ(p.orbitSize, 3);
    } else {
      ++free;
      EXPECT_EQ(p.orbitSize, 6);
    }
  }
  EXPECT_EQ(zeros, 1); // x = 0 is a fixed point (a = 0 is a start), and one orbit
  EXPECT_GT(order2, 0);
  EXPECT_GT(free, 0);
}

TEST(ReducedModel, S4ThreeDimensionalIrrepAndDihedral) {
  Census s4, d6;
  runCensus(PETSC_COMM_WORLD, irrepNetwork("S4", "rho3", {3.0}), 30, &s4);
  EXPECT_EQ(s4.model->dimension(), 9);
  expectAllVerified(s4, 24);
  runCensus(PETSC_COMM_WORLD, irrepNetwork("D6", "E1", {3.0}), 30, &d6);
  EXPECT_EQ(d6.model->dimension(), 4);
  expectAllVerified(d6, 12);
}

TEST(ReducedModel, ProductWithARingAndChannels) {
  Census ring, channels;
  runCensus(PETSC_COMM_WORLD, irrepNetwork("S3xZ16", "rho2:chi1", {3.0}), 20, &ring);
  EXPECT_EQ(ring.model->dimension(), 8); // rho2 x chi1 and its conjugate rho2 x chi15: 2 x 4
  expectAllVerified(ring, 96);
  NetworkSpec spec          = irrepNetwork("D5", "E1", {2.5}, 2);
  spec.kernel.channelMatrix = {1.0, -0.5, 0.8, 0.2};
  runCensus(PETSC_COMM_WORLD, spec, 20, &channels);
  EXPECT_EQ(channels.model->dimension(), 8); // C sum d^2 = 2 x 4
  expectAllVerified(channels, 10);
}

// tau != 1 and a transfer gain != 1 (docs/mathematics.md sections 1.3 and 5.3): the fixed points do not
// depend on tau, the reduced Jacobian (-I + Jhat B^T diag(phi'(x)) B)/tau scales with 1/tau, its eigenvalues
// are the leading ones of the full network's (-I + J diag(phi'(x)))/tau as SLEPc computes them, and every
// further eigenvalue is -1/tau (the N - R directions outside V_K). x = 0: (-1 + gain g)/tau on all of V_K.
TEST(ReducedModel, TauScalesBothSpectraAndTheRestIsMinusOneOverTau) {
  const double tau = 2.5, gain = 1.3, g = 3.0;
  NetworkSpec spec = irrepNetwork("D6", "E1", {g});
  spec.tau         = tau;
  spec.phi.gain    = gain;
  NetworkSpec unit = spec;
  unit.tau         = 1.0;
  Census c;
  runCensus(PETSC_COMM_WORLD, spec, 30, &c);
  ASSERT_EQ(c.model->dimension(), 4);
  ASSERT_NO_FATAL_FAILURE(expectAllVerified(c, 12));
  std::unique_ptr<RateNetwork> unitNet;
  std::unique_ptr<ReducedModel> unitModel;
  EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, unit, &unitNet));
  EQ_OK(ReducedModel::create(*unitNet, ReduceSpec(), &unitModel));
  const PetscInt R = c.model->dimension(), extra = 3;
  int zeros = 0, nonzero = 0;
  for (const auto &p : c.fps) {
    ASSERT_EQ(p.re.size(), static_cast<std::size_t>(R));
    // The same state is a fixed point of the tau = 1 network, whose reduced spectrum is tau times this one.
    std::vector<double> a1, f1, jac1, re1, im1;
    EQ_OK(unitModel->project(p.x, &a1));
    EQ_OK(unitModel->residual(a1, &f1));
    EXPECT_LT(norm(f1), 1e-10 * std::max(1.0, norm(a1))) << "start " << p.start;
    EQ_OK(unitModel->jacobian(a1, &jac1));
    ASSERT_TRUE(realMatrixEigenvalues(jac1, static_cast<int>(R), &re1, &im1));
    for (PetscInt i = 0; i < R; ++i) {
      EXPECT_NEAR(tau * p.re[i], re1[i], 1e-10) << "start " << p.start << ", eigenvalue " << i;
      EXPECT_NEAR(tau * p.im[i], im1[i], 1e-10) << "start " << p.start << ", eigenvalue " << i;
      EXPECT_GE(p.re[i], -1 / tau - 1e-12); // Jhat B^T D B is similar to a positive semidefinite matrix
    }
    // SLEPc on the full network, R + 3 eigenvalues: the R reduced ones, then -1/tau (N - R = 8 times).
    StabilitySpec s;
    s.nev = R + extra;
    StabilityResult full;
    EQ_OK(analyseStability(*c.net, p.x, s, &full));
    ASSERT_GE(full.re.size(), static_cast<std::size_t>(R + extra)) << "start " << p.start;
    std::vector<double> expected(p.re);
    for (PetscInt k = 0; k < extra; ++k)
      expected.push_back(-1 / tau);
    std::sort(expected.begin(), expected.end(), std::greater<>());
    for (PetscInt i = 0; i < R + extra; ++i) {
      EXPECT_NEAR(full.re[i], expected[i], 1e-8) << "start " << p.start << ", eigenvalue " << i;
      EXPECT_NEAR(full.im[i], 0.0, 1e-8) << "start " << p.start << ", eigenvalue " << i;
    }
    if (norm(p.a) < 1e-9) {
      ++zeros;
      for (double re : p.re)
        EXPECT_NEAR(re, (-1 + gain * g) / tau, 1e-12);
    } else {
      ++nonzero;
    }
  }
  EXPECT_EQ(zeros, 1);   // x = 0 is always a fixed point (phi(0) = 0) ...
  EXPECT_GE(nonzero, 2); // ... and unstable at gain g = 3.9 > 1: the census finds others (and their mirrors)
}

TEST(ReducedModel, SameOrbitsOnAnyNumberOfRanks) {
  Census here, alone;
  const NetworkSpec spec = irrepNetwork("D4xZ6", "E1:chi1", {2.5});
  runCensus(PETSC_COMM_WORLD, spec, 20, &here);
  runCensus(PETSC_COMM_SELF, spec, 20, &alone);
  ASSERT_EQ(here.fps.size(), alone.fps.size());
  for (std::size_t i = 0; i < here.fps.size(); ++i) {
    EXPECT_NEAR(norm(here.fps[i].a), norm(alone.fps[i].a), 1e-9);
    EXPECT_EQ(here.fps[i].orbitSize, alone.fps[i].orbitSize);
  }
}

TEST(ReducedModel, RefusesAKernelOutsideTheSupport) {
  NetworkSpec spec = irrepNetwork("D6", "E1,E2", {3.0, 1.0});
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<ReducedModel> model;
  EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, spec, &net));
  ReduceSpec r;
  r.irreps = {"E1"}; // the kernel also lives on E2
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  const PetscErrorCode code = ReducedModel::create(*net, r, &model);
  PetscPopErrorHandler();
  EXPECT_EQ(code, PETSC_ERR_USER_INPUT);
}

TEST(GroupFourier, RealTypeIrrepsAreRealOrthogonal) {
  // How many irreps of each group are of real type (Frobenius-Schur indicator 1): all of S_n, A5 and D_n;
  // Q8 has four real characters and the quaternionic 2-d irrep; A4 the trivial and the 3-d irrep, and two
  // complex characters (omega, omega^2 on the 3-cycles).
  const std::pair<const char *, int> groups[] = {{"S4", 5}, {"S5", 7}, {"A5", 5},
                                                 {"D6", 6}, {"Q8", 4}, {"A4", 2}};
  for (const auto &[spec, realCount] : groups) {
    const Group G        = makeGroup(spec);
    const GroupFactor &f = G.factor(0);
    int real             = 0;
    for (int k = 0; k < f.irrepCount(); ++k) {
      real += f.irrepIsReal(k) ? 1 : 0;
      const int d = f.irrepDim(k);
      std::vector<Complex> rho(static_cast<std::size_t>(d * d));
      double imag = 0;
      for (PetscInt a = 0; a < f.order(); ++a) {
        f.irrepMatrix(k, a, rho.data());
        for (const auto &z : rho)
          imag = std::max(imag, std::abs(z.imag()));
      }
      if (f.irrepIsReal(k))
        EXPECT_EQ(imag, 0.0) << spec << " irrep " << k;
      else
        EXPECT_GT(imag, 0.1) << spec << " irrep " << k << " (complex or quaternionic type)";
    }
    EXPECT_EQ(real, realCount) << spec;
    ASSERT_TRUE(f.tableAvailable()) << spec; // every group here is small enough for its table
    const IrrepErrors e = verifyIrreps(f.table(), f.irreps());
    EXPECT_LT(std::max({e.schur, e.homomorphism, e.unitarity, e.characterOrthogonality}), 1e-12) << spec;
  }
}

// A kernel given by its Fourier blocks has exactly those blocks (and their conjugates) and nothing else.
TEST(GroupFourier, KernelBlocksAreTheFourierCoefficients) {
  struct Case {
    const char *group, *irrep;
    std::vector<double> block;
  };
  const std::vector<Case> cases{{"D6", "E1", {0.7, -1.3, 0.4, 2.1}},
                                {"S4", "rho3", {1, 2, 3, -1, 0.5, 0.25, 0, -2, 1.5}},
                                {"Z8", "chi3", {1.7}},
                                {"S3xZ4", "rho2:chi1", {0.3, 1.1, -0.6, 0.9}}};
  for (const auto &c : cases) {
    const Group G = makeGroup(c.group);
    KernelSpec k;
    k.family      = KernelFamily::Irreps;
    k.irreps      = {c.irrep};
    k.irrepBlocks = c.block;
    VecHandle w;
    EQ_OK(VecCreateSeq(PETSC_COMM_SELF, G.order(), w.address()));
    EQ_OK(fillKernel(k, G, 1, w));
    const PetscScalar *a = nullptr;
    EQ_OK(VecGetArrayRead(w, &a));
    std::vector<Complex> f(a, a + G.order());
    EQ_OK(VecRestoreArrayRead(w, &a));
    ProductIrrep target;
    std::string err;
    ASSERT_TRUE(parseProductIrrep(G, c.irrep, &target, &err)) << err;
    const ProductIrrep conj = productIrrepConjugate(G, target);
    for (const auto &b : groupFourierTransform(G, f)) {
      double off = 0;
      for (std::size_t i = 0; i < b.block.size(); ++i) {
        Complex expect = 0;
        if (b.irrep == target) expect = c.block[i];
        if (b.irrep == conj && conj != target) expect = c.block[i]; // real block: its conjugate
        off = std::max(off, std::abs(b.block[i] - expect));
      }
      EXPECT_LT(off, 1e-12) << c.group << " " << productIrrepLabel(G, b.irrep);
    }
  }
}

TEST(ReducedModel, NonSymmetricBlockKernel) {
  NetworkSpec spec        = irrepNetwork("D8", "E1", {});
  spec.kernel.irrepBlocks = {2.5, -1.0, 0.6, 1.8}; // eigenvalues 2.15 +- 0.7i: J rotates within E1
  Census c;
  runCensus(PETSC_COMM_WORLD, spec, 30, &c);
  EXPECT_EQ(c.model->dimension(), 4);
  expectAllVerified(c, 16);
  int zeros = 0;
  for (const auto &p : c.fps)
    if (norm(p.a) < 1e-9) {
      ++zeros;
      // x = 0: eigenvalues -1 + eig(W), each twice (E1 appears twice in the regular representation).
      ASSERT_EQ(p.re.size(), 4u);
      for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_NEAR(p.re[i], -1 + 2.15, 1e-12);
        EXPECT_NEAR(std::abs(p.im[i]), std::sqrt(0.6 * 1.0 - 0.35 * 0.35), 1e-12);
      }
    }
  EXPECT_EQ(zeros, 1); // a = 0 is a start and always a fixed point: the analytic check above must have run
}

TEST(GroupFourier, SeparableTransformEqualsTheDefinition) {
  // All irreps at once (separable, FFT along cyclic factors) against one irrep at a time from the definition.
  for (const char *spec : {"D4xZ6", "S3xZ5xQ8", "Z3xA4xD2"}) {
    const Group G     = makeGroup(spec);
    const auto f      = randomFunction(G, 11);
    const auto all    = groupFourierTransform(G, f);
    const auto irreps = allProductIrreps(G);
    ASSERT_EQ(all.size(), irreps.size());
    double worst = 0;
    for (std::size_t k = 0; k < irreps.size(); k += 3) { // every third irrep: enough, and quick
      const auto one = groupFourierTransform(G, f, {irreps[k]});
      EXPECT_EQ(all[k].irrep, irreps[k]);
      worst = std::max(worst, maxDiff(all[k].block, one[0].block));
    }
    EXPECT_LT(worst, 1e-12) << spec;
    EXPECT_LT(maxDiff(inverseGroupFourierTransform(G, all), f), 1e-12) << spec;
  }
  // A large product: |G| = 16384, transform and inverse in well under a second.
  const Group big = makeGroup("Z256xD8xZ4");
  const auto f    = randomFunction(big, 12);
  EXPECT_LT(maxDiff(inverseGroupFourierTransform(big, groupFourierTransform(big, f)), f), 1e-11);
}
