// Fixed points and their stability against analytic results (docs/mathematics.md sections 6 and 8 and the
// torus analysis in the README): the spectrum of x = 0, the ring bump's radial and marginal modes, the torus
// census (stripes stable, mixed states saddles, as the amplitude equations predict), orbit tools and
// tangents. 1, 2 and 3 ranks.
#include "analysis/orbit.hpp"
#include "analysis/stability.hpp"
#include "analysis/tangent.hpp"
#include "groups/group_action.hpp"
#include "helpers.hpp"
#include "model/linearisation.hpp"
#include "solvers/fixed_points.hpp"
#include <petscblaslapack.h>
#include <complex>
#include <map>
#include <set>

using namespace eqrnn;
using namespace eqrnn::test;

namespace {
using Eig = std::complex<double>;

std::vector<Eig> sorted(std::vector<Eig> v) {
  std::sort(v.begin(), v.end(), [](Eig a, Eig b) {
    if (std::abs(a.real() - b.real()) > 1e-9) return a.real() > b.real();
    return a.imag() > b.imag();
  });
  return v;
}

// Eigenvalues of a dense n x n matrix (column-major) by LAPACK dgeev.
std::vector<Eig> denseEigenvalues(std::vector<double> a, PetscBLASInt n) {
  std::vector<double> wr(n), wi(n), work(static_cast<std::size_t>(8 * n));
  PetscBLASInt lwork = 8 * n, info = 0, one = 1;
  double dummy = 0;
  LAPACKgeev_("N", "N", &n, a.data(), &n, wr.data(), wi.data(), &dummy, &one, &dummy, &one, work.data(),
              &lwork, &info);
  std::vector<Eig> out;
  for (PetscBLASInt i = 0; i < n; ++i)
    out.emplace_back(wr[i], wi[i]);
  return out;
}

NetworkSpec cosineNetwork(const char *group, double J1) {
  NetworkSpec s;
  s.group     = group;
  s.kernel.J1 = J1;
  return s;
}
} // namespace

TEST(Stability, ZeroStateSpectrumIsTheKernelsFourierCoefficients) {
  // At x = 0 (tanh, phi'(0) = gain): A = -I + gain J, whose eigenvalues are -1 + gain * w^(k), w^(k) the
  // Fourier coefficients (1/|G|) sum_g w(g) e^{-i k.theta_g}. A non-even kernel (cosine + sine terms) makes
  // them complex.
  for (const char *spec : {"Z12", "Z4xZ6"}) {
    NetworkSpec s;
    s.group         = spec;
    s.kernel.family = KernelFamily::Fourier;
    s.phi.gain      = 1.3;
    const bool ring = std::string(spec) == "Z12";
    s.kernel.modes  = ring ? std::vector<PetscInt>{0, 1, 2} : std::vector<PetscInt>{0, 0, 1, 0, 0, 1, 1, 2};
    s.kernel.cosCoeffs = {0.4, 1.5, 0.7, 0.2};
    s.kernel.sinCoeffs = {0.0, 0.6, -0.3, 0.9};
    if (ring) s.kernel.cosCoeffs.pop_back(), s.kernel.sinCoeffs.pop_back();
    std::unique_ptr<RateNetwork> net;
    EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, s, &net));
    const Group &G   = net->group();
    const PetscInt N = G.order();
    // Analytic spectrum from the kernel values.
    VecHandle kernel;
    ASSERT_EQ(net->kernelValues(kernel.address()), 0);
    const auto w = gather(kernel);
    const auto n = G.factorOrders();
    std::vector<Eig> expected;
    for (PetscInt k = 0; k < N; ++k) {
      const auto kc = G.coordinates(k);
      Eig c         = 0;
      for (PetscInt g = 0; g < N; ++g) {
        const auto gc = G.coordinates(g);
        double ph     = 0;
        for (std::size_t i = 0; i < n.size(); ++i)
          ph += 2 * M_PI * double(kc[i] * gc[i]) / double(n[i]);
        c += w[g] * std::exp(Eig(0, -ph));
      }
      expected.push_back(-1.0 + 1.3 * c / double(N));
    }
    // SLEPc, whole spectrum.
    VecHandle zero;
    EQ_OK(net->createVec(zero.address()));
    EQ_OK(VecSet(zero, 0.0));
    StabilitySpec ss;
    ss.nev = N;
    StabilityResult r;
    EQ_OK(PetscOptionsSetValue(nullptr, "-eps_type", "lapack"));
    EQ_OK(analyseStability(*net, zero, ss, &r));
    EQ_OK(PetscOptionsClearValue(nullptr, "-eps_type"));
    ASSERT_EQ(static_cast<PetscInt>(r.re.size()), N) << spec;
    std::vector<Eig> slepc;
    for (std::size_t i = 0; i < r.re.size(); ++i)
      slepc.emplace_back(r.re[i], r.im[i]);
    // Dense LAPACK on the assembled operator.
    MatHandle D;
    std::unique_ptr<Linearisation> lin;
    EQ_OK(Linearisation::create(*net, &lin));
    EQ_OK(lin->setPoint(zero));
    EQ_OK(MatComputeOperator(lin->matrix(), MATDENSE, D.address()));
    std::vector<double> dense(static_cast<std::size_t>(N * N));
    for (PetscInt j = 0; j < N; ++j) {
      VecHandle e, col;
      EQ_OK(net->createVec(e.address()));
      EQ_OK(net->createVec(col.address()));
      EQ_OK(VecSet(e, 0.0));
      EQ_OK(VecSetValue(e, j, 1.0, INSERT_VALUES));
      EQ_OK(VecAssemblyBegin(e));
      EQ_OK(VecAssemblyEnd(e));
      EQ_OK(MatMult(D, e, col));
      const auto c = gather(col);
      std::copy(c.begin(), c.end(), dense.begin() + j * N);
    }
    const auto lapack = sorted(denseEigenvalues(dense, static_cast<PetscBLASInt>(N)));
    const auto ex = sorted(expected), sl = sorted(slepc);
    for (PetscInt i = 0; i < N; ++i) {
      EXPECT_LT(std::abs(sl[i] - ex[i]), 1e-10)
          << spec << " eigenvalue " << i << ": " << sl[i] << " vs " << ex[i];
      EXPECT_LT(std::abs(lapack[i] - ex[i]), 1e-10) << spec << " eigenvalue " << i;
    }
    EXPECT_EQ(r.classification, ex[0].real() > 1e-6 ? Classification::Saddle : Classification::Stable);
  }
}

TEST(FixedPoints, RingBumpRadialEigenvalueAndMarginalMode) {
  const double J1  = 3.0;
  const PetscInt N = 128;
  std::unique_ptr<RateNetwork> net;
  EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, cosineNetwork("Z128", J1), &net));
  CensusSpec cs;
  cs.randomStarts = 3;
  cs.stability    = true;
  std::unique_ptr<FixedPointFinder> finder;
  EQ_OK(FixedPointFinder::create(*net, cs, &finder));
  EQ_OK(finder->census(0, nullptr));
  const Manifold *bump = nullptr;
  for (const auto &m : finder->manifolds()) {
    PetscReal amp = 0;
    EQ_OK(VecNorm(m.x, NORM_INFINITY, &amp));
    if (amp > 0.5) bump = &m;
    EXPECT_LT(m.residual, 1e-10);
  }
  ASSERT_NE(bump, nullptr) << "no bump found";
  EXPECT_EQ(finder->manifolds().size(), 2u) << "expected exactly x = 0 and the bump";
  // kappa and theta0 of x = kappa cos(theta - theta0)
  const auto x = gather(bump->x);
  Eig c        = 0;
  for (PetscInt j = 0; j < N; ++j)
    c += x[j] * std::exp(Eig(0, -2 * M_PI * j / double(N)));
  const double kappa = 2 * std::abs(c) / N, theta0 = -std::arg(c);
  double radial = 0; // -1 + J1 <cos^2 sech^2(kappa cos)>, on the lattice
  for (PetscInt j = 0; j < N; ++j) {
    const double ct = std::cos(2 * M_PI * j / double(N) - theta0), t = std::tanh(kappa * ct);
    radial += ct * ct * (1 - t * t);
  }
  radial        = -1 + J1 * radial / N;
  const auto &s = bump->stability;
  EXPECT_EQ(s.classification, Classification::Stable);
  EXPECT_EQ(s.nMarginal, 1);
  EXPECT_EQ(s.nUnstable, 0);
  ASSERT_GE(s.re.size(), 3u);
  EXPECT_NEAR(s.re[0], 0.0, 1e-8); // tangent
  EXPECT_NEAR(s.re[1], radial, 1e-8);
  for (std::size_t i = 2; i < s.re.size(); ++i)
    EXPECT_NEAR(s.re[i], -1.0, 1e-10);
  for (double im : s.im)
    EXPECT_NEAR(im, 0.0, 1e-10);
  ASSERT_EQ(s.tangentOverlap.size(), 1u);
  EXPECT_GT(s.tangentOverlap[0], 0.99);
  EXPECT_EQ(bump->stabiliser.order, 1);
  EXPECT_EQ(bump->stabiliser.description, "{e}");
  EXPECT_EQ(bump->orbitSize, N);
}

TEST(FixedPoints, TorusCensusMatchesTheAmplitudeEquations) {
  // Z16 x Z16, w = J (cos th1 + cos th2), J = 2.2: from random starts the census finds x = 0 (4 unstable
  // modes at J/2 - 1), stripes (stabiliser of order 16, stable, one marginal mode) and mixed states (trivial
  // stabiliser, saddles with one unstable mode, two marginal ones). For every fixed point the spectrum is
  // that of the exact 4 x 4 reduced Jacobian M_ab = -delta_ab + J <f_a f_b phi'(x*)> on f = (cos th1, sin
  // th1, cos th2, sin th2), plus -1 (docs/mathematics.md section 5).
  const double J = 2.2, mu = J / 2 - 1;
  const PetscInt n = 16;
  std::unique_ptr<RateNetwork> net;
  EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, cosineNetwork("Z16xZ16", J), &net));
  CensusSpec cs;
  cs.symmetrySeeds = false;
  cs.randomStarts  = 12;
  cs.amplitudes    = {0.3, 1.0};
  cs.stability     = true;
  std::unique_ptr<FixedPointFinder> finder;
  EQ_OK(FixedPointFinder::create(*net, cs, &finder));
  EQ_OK(finder->census(0, nullptr));
  const Group &G = net->group();
  int zero = 0, stripes = 0, mixed = 0;
  for (const auto &m : finder->manifolds()) {
    EXPECT_LT(m.residual, 1e-10);
    const auto &s = m.stability;
    // Reduced Jacobian from the state itself.
    const auto x = gather(m.x);
    double M[16] = {0};
    for (PetscInt g = 0; g < G.order(); ++g) {
      const auto c    = G.coordinates(g);
      const double t1 = 2 * M_PI * c[0] / double(n), t2 = 2 * M_PI * c[1] / double(n);
      const double f[] = {std::cos(t1), std::sin(t1), std::cos(t2), std::sin(t2)};
      const double th = std::tanh(x[g]), slope = 1 - th * th;
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b)
          M[a + 4 * b] += J * f[a] * f[b] * slope / double(G.order());
    }
    for (int a = 0; a < 4; ++a)
      M[a + 4 * a] -= 1.0;
    const auto reduced = sorted(denseEigenvalues(std::vector<double>(M, M + 16), 4));
    ASSERT_GE(s.re.size(), 5u);
    for (int i = 0; i < 4; ++i)
      EXPECT_NEAR(s.re[i], reduced[i].real(), 1e-8) << "manifold at start " << m.start;
    EXPECT_NEAR(s.re[4], -1.0, 1e-10);
    if (m.stabiliser.order == G.order()) {
      ++zero;
      EXPECT_EQ(s.nUnstable, 4);
      EXPECT_NEAR(s.re[0], J / 2 - 1, 1e-10);
      EXPECT_EQ(m.orbitSize, 1);
    } else if (m.stabiliser.order == n) {
      ++stripes;
      EXPECT_EQ(s.classification, Classification::Stable);
      EXPECT_EQ(s.nMarginal, 1);
      // The amplitude equations of docs/commands.md (cubic truncation, relative corrections of order mu =
      // 0.1; measured -0.088, -0.176): -mu twice across the stripe (cos and sin of the other axis), -2 mu
      // radial.
      EXPECT_NEAR(s.re[1], -mu, 0.2 * mu);
      EXPECT_NEAR(s.re[2], -mu, 0.2 * mu);
      EXPECT_NEAR(s.re[3], -2 * mu, 0.4 * mu);
      EXPECT_EQ(m.orbitSize, n);
      EXPECT_TRUE(m.stabiliser.description == "Z16 x Z1" || m.stabiliser.description == "Z1 x Z16")
          << m.stabiliser.description;
    } else if (m.stabiliser.order == 1) {
      ++mixed;
      EXPECT_EQ(s.classification, Classification::Saddle);
      EXPECT_EQ(s.nUnstable, 1);
      EXPECT_EQ(s.nMarginal, 2);
      // Amplitude equations: +2 mu / 3 along A - B (measured 0.0648 against 0.0667), -2 mu radial (-0.174).
      EXPECT_NEAR(s.re[0], 2 * mu / 3, 0.2 * 2 * mu / 3);
      EXPECT_NEAR(s.re[3], -2 * mu, 0.4 * mu);
      EXPECT_EQ(m.orbitSize, n * n);
      EXPECT_EQ(s.tangentOverlap.size(), 2u);
      for (double o : s.tangentOverlap)
        EXPECT_GT(o, 0.99);
    } else {
      ADD_FAILURE() << "unexpected stabiliser " << m.stabiliser.description;
    }
  }
  EXPECT_EQ(zero, 1);
  EXPECT_GE(stripes, 1);
  EXPECT_GE(mixed, 1);
  // Families: several lattice orbits of one continuous manifold share one; different manifolds never do. Here
  // the kind of manifold is told apart by its stabiliser (x = 0, stripes along axis 1, along axis 2, mixed).
  std::map<std::string, std::set<PetscInt>> familiesOf;
  std::map<PetscInt, std::set<std::string>> kindsOf;
  for (const auto &m : finder->manifolds()) {
    familiesOf[m.stabiliser.description].insert(m.family);
    kindsOf[m.family].insert(m.stabiliser.description);
  }
  for (const auto &[kind, fams] : familiesOf)
    EXPECT_EQ(fams.size(), 1u) << kind << " split over families";
  for (const auto &[fam, kinds] : kindsOf)
    EXPECT_EQ(kinds.size(), 1u) << "family " << fam << " mixes kinds";
  // Symmetry classes under Gamma = G x| {axis reversals, the swap, -x} (order 256 * 16): the two stripe
  // families are one class (the swap), so 3 classes: x = 0 (isotropy all of Gamma), stripes, mixed.
  FixedPointFinder::Classes classes;
  EQ_OK(finder->classify(&classes));
  EXPECT_EQ(classes.classes, 3);
  EXPECT_NE(classes.symmetry.find("(order 4096)"), std::string::npos) << classes.symmetry;
  std::map<PetscInt, std::set<PetscInt>> classesOfKind; // by stabiliser order: 256, 16, 1
  PetscInt maxOrbit = -1;
  for (const auto &m : finder->manifolds()) {
    classesOfKind[m.stabiliser.order].insert(m.symmetryClass);
    EXPECT_LE(m.latticeOrbit, maxOrbit + 1); // numbered in order of first member
    maxOrbit = std::max(maxOrbit, m.latticeOrbit);
    EXPECT_EQ(m.isotropy.order % m.stabiliser.order, 0); // the stabiliser is the isotropy's translation part
    if (m.stabiliser.order == 256) {
      EXPECT_EQ(m.isotropy.order, 4096);
    }
  }
  EXPECT_EQ(classes.latticeOrbits, maxOrbit + 1);
  EXPECT_EQ(classesOfKind.size(), 3u);
  for (const auto &[order, cls] : classesOfKind)
    EXPECT_EQ(cls.size(), 1u) << "stabiliser order " << order << " split over classes";
  // No two reported manifolds are translates of each other.
  std::unique_ptr<OrbitTools> orbits;
  EQ_OK(OrbitTools::create(PETSC_COMM_WORLD, G, FftPlanner::Estimate, &orbits));
  const auto &ms = finder->manifolds();
  for (std::size_t i = 0; i < ms.size(); ++i)
    for (std::size_t j = i + 1; j < ms.size(); ++j) {
      OrbitMatch om;
      EQ_OK(orbits->match(ms[i].x, ms[j].x, &om));
      EXPECT_GT(om.distance, 1e-3) << i << " and " << j;
    }
}

TEST(Orbits, MatchFindsTheTranslationAndStabilisersAreRight) {
  Group G;
  EQ_OK(parseGroup(PETSC_COMM_WORLD, "Z12xZ10", &G));
  std::unique_ptr<OrbitTools> orbits;
  EQ_OK(OrbitTools::create(PETSC_COMM_WORLD, G, FftPlanner::Estimate, &orbits));
  VecHandle x, y, z;
  EQ_OK(orbits->createVec(x.address()));
  EQ_OK(orbits->createVec(y.address()));
  EQ_OK(orbits->createVec(z.address()));
  fillRandom(x, 31);
  const PetscInt a = G.index({5, 7});
  EQ_OK(translate(G, a, x, y));
  OrbitMatch m;
  EQ_OK(orbits->match(y, x, &m)); // y = L_a x
  EXPECT_NEAR(m.distance, 0.0, 1e-6);
  EXPECT_EQ(m.shift, a);
  fillRandom(z, 32);
  EQ_OK(orbits->match(z, x, &m));
  EXPECT_GT(m.distance, 1.0);
  Stabiliser s;
  EQ_OK(orbits->stabiliser(x, 1e-6, &s));
  EXPECT_EQ(s.order, 1);
  EXPECT_EQ(s.description, "{e}");
  // Period 4 along the first axis, constant along the second: H = <4> x Z10, order 3 * 10.
  fill(x, G, [](const std::vector<PetscInt> &c) {
    return std::cos(2 * M_PI * c[0] / 4.0) + 0.3 * (c[0] % 4 == 1);
  });
  EQ_OK(orbits->stabiliser(x, 1e-6, &s));
  EXPECT_EQ(s.order, 30);
  EXPECT_EQ(s.description, "Z3 x Z10");
  // A diagonal subgroup: x depends on c0 - c1 mod 2 only... and its period along each axis is 2: the
  // stabiliser
  // {(a, b): a - b even} has order 60 and is not a product of its intersections with the axes (6 x 5 = 30).
  fill(x, G, [](const std::vector<PetscInt> &c) { return ((c[0] + c[1]) % 2) ? 1.0 : -0.5; });
  EQ_OK(orbits->stabiliser(x, 1e-6, &s));
  EXPECT_EQ(s.order, 60);
  EXPECT_EQ(s.description.rfind("order 60", 0), 0u) << s.description;
}

TEST(Orbits, SpectralTangentsAreDerivatives) {
  for (const char *spec : {"Z16xZ9", "Z15xZ8"}) {
    Group G;
    EQ_OK(parseGroup(PETSC_COMM_WORLD, spec, &G));
    const auto n = G.factorOrders();
    std::unique_ptr<GroupConvolution> conv;
    EQ_OK(GroupConvolution::create(PETSC_COMM_WORLD, G, FftPlanner::Estimate, &conv));
    VecHandle x;
    EQ_OK(conv->createVec(x.address()));
    // x = sin(2 th1) + cos(3 th2): d/dth1 = 2 cos(2 th1), d/dth2 = -3 sin(3 th2).
    auto th = [&](const std::vector<PetscInt> &c, int i) { return 2 * M_PI * c[i] / double(n[i]); };
    fill(x, G,
         [&](const std::vector<PetscInt> &c) { return std::sin(2 * th(c, 0)) + std::cos(3 * th(c, 1)); });
    std::vector<VecHandle> t;
    std::vector<PetscInt> axes;
    EQ_OK(orbitTangents(conv->engine(), x, &t, &axes));
    ASSERT_EQ(t.size(), 2u);
    const auto t0 = gather(t[0]), t1 = gather(t[1]);
    for (PetscInt g = 0; g < G.order(); ++g) {
      const auto c = G.coordinates(g);
      EXPECT_NEAR(t0[g], 2 * std::cos(2 * th(c, 0)), 1e-12) << spec;
      EXPECT_NEAR(t1[g], -3 * std::sin(3 * th(c, 1)), 1e-12) << spec;
    }
  }
}

TEST(Orbits, FractionalTranslationIsTheContinuousShift) {
  Group G;
  EQ_OK(parseGroup(PETSC_COMM_WORLD, "Z16xZ9", &G));
  std::unique_ptr<GroupConvolution> conv;
  EQ_OK(GroupConvolution::create(PETSC_COMM_WORLD, G, FftPlanner::Estimate, &conv));
  VecHandle x, y;
  EQ_OK(conv->createVec(x.address()));
  EQ_OK(conv->createVec(y.address()));
  auto f = [](double c0, double c1) {
    return std::sin(2 * M_PI * 3 * c0 / 16) + std::cos(2 * M_PI * 2 * c1 / 9);
  };
  fill(x, G, [&](const std::vector<PetscInt> &c) { return f(double(c[0]), double(c[1])); });
  EQ_OK(fractionalTranslate(conv->engine(), x, {0.3, -1.7}, y));
  const auto ys = gather(y);
  for (PetscInt g = 0; g < G.order(); ++g) {
    const auto c = G.coordinates(g);
    EXPECT_NEAR(ys[g], f(c[0] - 0.3, c[1] + 1.7), 1e-12);
  }
}

namespace {
// The convolution-kernel implementation that the Fourier multipliers replaced, kept as their reference:
// out = sum_a D(a) L_a x as the convolution x * D on a GroupConvolution of its own, with D from O(n) sums.
double legacyInterpolationWeight(PetscInt n, PetscInt j, double delta) {
  const double u = 2 * M_PI * (static_cast<double>(j) - delta) / static_cast<double>(n);
  double s       = 1.0;
  for (PetscInt k = 1; 2 * k < n; ++k)
    s += 2 * std::cos(static_cast<double>(k) * u);
  if (n % 2 == 0) s += std::cos(static_cast<double>(n / 2) * u);
  return s / static_cast<double>(n);
}

void legacyTranslateByDistribution(const Group &G, PetscInt C, Vec x,
                                   const std::function<double(const std::vector<PetscInt> &)> &weight,
                                   Vec out) {
  std::unique_ptr<GroupConvolution> conv;
  VecHandle d;
  PetscInt lo = 0, hi = 0;
  PetscScalar *a   = nullptr;
  const PetscInt Q = G.quotientOrder();
  EQ_OK(GroupConvolution::create(PETSC_COMM_WORLD, G, C, FftPlanner::Estimate, &conv));
  EQ_OK(conv->setKernelFromState(x, StateKernel::Diagonal));
  EQ_OK(conv->createVec(d.address()));
  EQ_OK(VecGetOwnershipRange(d, &lo, &hi));
  EQ_OK(VecGetArray(d, &a));
  for (PetscInt i = lo; i < hi; ++i) {
    const PetscInt g = i / C;
    a[i - lo]        = g % Q == 0 ? static_cast<double>(G.order()) * weight(G.axisCoordinates(g)) : 0.0;
  }
  EQ_OK(VecRestoreArray(d, &a));
  EQ_OK(conv->apply(d, out));
}

void legacyFractionalTranslate(const Group &G, PetscInt C, Vec x, const std::vector<double> &delta, Vec out) {
  const auto &n = G.axisOrders();
  legacyTranslateByDistribution(
      G, C, x,
      [&](const std::vector<PetscInt> &c) {
        double w = 1.0;
        for (std::size_t i = 0; i < c.size(); ++i) {
          const bool moved = i < delta.size() && n[i] > 2 && delta[i] != 0.0;
          w *= moved ? legacyInterpolationWeight(n[i], c[i], delta[i]) : (c[i] == 0 ? 1.0 : 0.0);
        }
        return w;
      },
      out);
}

void legacyTangent(const Group &G, PetscInt C, Vec x, std::size_t axis, Vec out) {
  legacyTranslateByDistribution(
      G, C, x,
      [&](const std::vector<PetscInt> &c) {
        for (std::size_t i = 0; i < c.size(); ++i)
          if (i != axis && c[i] != 0) return 0.0;
        return spectralDerivativeWeight(G.axisOrders()[axis], c[axis]);
      },
      out);
}

// The group element that moves by a[i] along each axis (finite parts e).
PetscInt axisElement(const Group &G, const std::vector<PetscInt> &a) {
  std::vector<PetscInt> e(G.numFactors());
  for (std::size_t i = 0; i < e.size(); ++i) {
    const PetscInt n = G.axisOrders()[i];
    e[i]             = ((a[i] % n + n) % n) * G.factor(i).quotientOrder();
  }
  return G.index(e);
}
} // namespace

TEST(Orbits, MultipliersAgreeWithTheConvolutionKernels) {
  // Every strategy: serial (1 rank), slab, line, line-padded (Z97, D97, Z15 on several ranks) and line-real
  // (Z16, Z360), dense (S4);
  // rings of even, odd and prime order, tori, D_n, S3 x Z_n, channels.
  const std::vector<std::pair<const char *, PetscInt>> cases{
      {"Z16", 1},    {"Z15", 1},      {"Z97", 1},      {"Z97", 2},   {"Z360", 1}, {"Z12xZ10", 1},
      {"Z16xZ9", 2}, {"Z6xZ5xZ4", 1}, {"Z1xZ9", 1},    {"Z2xZ8", 1}, {"D16", 1},  {"D15", 2},
      {"D97", 1},    {"S3xZ12", 2},   {"S3xZ7xZ6", 1}, {"S4", 1},    {"D8xZ6", 2}};
  std::set<std::string> seen;
  unsigned long long seed = 900;
  for (const auto &[spec, C] : cases) {
    Group G;
    EQ_OK(parseGroup(PETSC_COMM_WORLD, spec, &G));
    std::unique_ptr<GroupConvolution> conv;
    EQ_OK(GroupConvolution::create(PETSC_COMM_WORLD, G, C, FftPlanner::Estimate, &conv));
    ConvolutionEngine &engine = conv->engine();
    const std::string where   = std::string(spec) + " C=" + std::to_string(C) + " " + conv->strategyName() +
                              " on " + std::to_string(commSize()) + " ranks";
    seen.insert(conv->strategyName());
    VecHandle x, got, want;
    EQ_OK(conv->createVec(x.address()));
    EQ_OK(conv->createVec(got.address()));
    EQ_OK(conv->createVec(want.address()));
    fillRandom(x, ++seed);
    const auto &n = G.axisOrders();
    std::vector<double> delta(n.size());
    for (std::size_t i = 0; i < n.size(); ++i)
      delta[i] = (i % 3 == 2) ? 0.0 : 1.3 * counterNormal(seed, 3, i); // some axes not moved
    EQ_OK(fractionalTranslate(engine, x, delta, got));
    legacyFractionalTranslate(G, C, x, delta, want);
    auto u = gather(got), v = gather(want);
    EXPECT_LT(maxAbsDiff(u, v), 1e-12 * maxAbs(v)) << "T_delta, " << where;
    std::vector<VecHandle> t;
    std::vector<PetscInt> axes;
    EQ_OK(orbitTangents(engine, x, &t, &axes));
    std::size_t expected = 0;
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (n[i] <= 2) continue;
      ASSERT_LT(expected, t.size()) << where;
      EXPECT_EQ(axes[expected], static_cast<PetscInt>(i)) << where;
      legacyTangent(G, C, x, i, want);
      u = gather(t[expected]), v = gather(want);
      EXPECT_LT(maxAbsDiff(u, v), 1e-12 * maxAbs(v)) << "tangent along axis " << i << ", " << where;
      ++expected;
    }
    EXPECT_EQ(t.size(), expected) << where;
    // Whole shifts are the lattice translations, to rounding.
    std::vector<PetscInt> a(n.size());
    for (std::size_t i = 0; i < n.size(); ++i)
      a[i] = n[i] > 2 ? static_cast<PetscInt>(i + 2) * (i % 2 ? -1 : 1) : 0;
    EQ_OK(fractionalTranslate(engine, x, std::vector<double>(a.begin(), a.end()), got));
    EQ_OK(translate(G, axisElement(G, a), x, want));
    u = gather(got), v = gather(want);
    EXPECT_LT(maxAbsDiff(u, v), 1e-13 * maxAbs(v)) << "integer T_a vs L_a, " << where;
  }
  EXPECT_TRUE(seen.count("dense")) << "no dense case";
  if (commSize() == 1) {
    EXPECT_TRUE(seen.count("serial"));
  } else {
    for (const char *s : {"slab", "line", "line-padded", "line-real"})
      EXPECT_TRUE(seen.count(s)) << "no " << s << " case on " << commSize() << " ranks";
  }
}

TEST(Orbits, FractionalTranslationOfTheNyquistModeIsItsRealPart) {
  // cos(pi j) on Z16 (the Nyquist mode alone): T_delta keeps only the real part of e^{-i pi delta}.
  Group G;
  EQ_OK(parseGroup(PETSC_COMM_WORLD, "Z16", &G));
  std::unique_ptr<OrbitTools> orbits;
  EQ_OK(OrbitTools::create(PETSC_COMM_WORLD, G, FftPlanner::Estimate, &orbits));
  VecHandle x, y;
  EQ_OK(orbits->createVec(x.address()));
  EQ_OK(orbits->createVec(y.address()));
  fill(x, G, [](const std::vector<PetscInt> &c) { return (c[0] % 2) ? -1.0 : 1.0; });
  EQ_OK(fractionalTranslate(orbits->engine(), x, {0.3}, y));
  const auto ys = gather(y);
  for (PetscInt g = 0; g < G.order(); ++g)
    EXPECT_NEAR(ys[g], std::cos(M_PI * 0.3) * ((g % 2) ? -1.0 : 1.0), 1e-14);
}
