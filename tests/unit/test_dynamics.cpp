// Dynamics against analytic results (docs/mathematics.md section 8), trajectory equivariance, and rank-count
// invariance (the same run on this communicator and on one rank per process, compared entry by entry).
#include "app/commands.hpp"
#include "groups/group_action.hpp"
#include "helpers.hpp"
#include "solvers/simulator.hpp"
#include <complex>
#include <cstdio>

using namespace eqrnn;
using namespace eqrnn::test;

namespace {
struct NetworkRun {
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<Simulator> sim;
  VecHandle x;
};

void makeRun(MPI_Comm comm, const NetworkSpec &spec, NetworkRun *r, double rtol = 1e-10,
             double atol = 1e-12) {
  EQ_OK(RateNetwork::create(comm, spec, &r->net));
  EQ_OK(Simulator::create(*r->net, &r->sim));
  EQ_OK(TSSetTolerances(r->sim->ts(), atol, nullptr, rtol, nullptr));
  EQ_OK(r->net->createVec(r->x.address()));
}

void integrate(NetworkRun *r, double tFinal) {
  SimulationSpec s;
  s.tFinal           = tFinal;
  s.saveInterval     = 0;
  s.progressInterval = 0;
  EQ_OK(r->sim->run(s, 0.0, r->x, nullptr, nullptr));
}

void setFunction(Vec x, const std::function<double(PetscInt)> &f) {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  VecGetOwnershipRange(x, &lo, &hi);
  VecGetArray(x, &a);
  for (PetscInt g = lo; g < hi; ++g)
    a[g - lo] = f(g);
  VecRestoreArray(x, &a);
}

// First Fourier mode of a ring state: x ~ kappa cos(theta - theta0).
void firstMode(const std::vector<double> &x, double *kappa, double *theta0) {
  std::complex<double> c = 0;
  const double n         = static_cast<double>(x.size());
  for (std::size_t j = 0; j < x.size(); ++j)
    c += x[j] * std::exp(std::complex<double>(0, -2 * M_PI * static_cast<double>(j) / n));
  *kappa  = 2.0 * std::abs(c) / n;
  *theta0 = -std::arg(c); // sum_j kappa cos(theta_j - theta0) e^{-i theta_j} = (n kappa / 2) e^{-i theta0}
}

NetworkSpec ringSpec(const char *group, double J1) {
  NetworkSpec s;
  s.group         = group;
  s.kernel.family = KernelFamily::Cosine;
  s.kernel.J0     = 0;
  s.kernel.J1     = J1;
  return s;
}
} // namespace

TEST(Ring, ZeroStateDecaysAtTheLinearRateBelowThreshold) {
  // x = 0 has eigenvalue -1 + J1/2 on the cos/sin modes: a small cosine profile decays as exp((-1 + J1/2) t).
  const double J1 = 1.5, eps = 1e-5, T = 6.0;
  NetworkRun r;
  ASSERT_NO_FATAL_FAILURE(makeRun(PETSC_COMM_WORLD, ringSpec("Z64", J1), &r));
  setFunction(r.x, [&](PetscInt g) { return eps * std::cos(2 * M_PI * g / 64.0); });
  ASSERT_NO_FATAL_FAILURE(integrate(&r, T));
  double kappa = 0, theta0 = 0;
  firstMode(gather(r.x), &kappa, &theta0);
  const double expected = eps * std::exp((-1.0 + J1 / 2.0) * T);
  EXPECT_NEAR(kappa / expected, 1.0, 1e-6); // tanh's cubic term is O(eps^2) relative
  // A random state decays too (every eigenvalue is negative).
  NetworkRun q;
  ASSERT_NO_FATAL_FAILURE(makeRun(PETSC_COMM_WORLD, ringSpec("Z64", J1), &q));
  fillRandom(q.x, 5, 0.5);
  PetscReal n0 = 0, n1 = 0;
  EQ_OK(VecNorm(q.x, NORM_2, &n0));
  ASSERT_NO_FATAL_FAILURE(integrate(&q, 40.0));
  EQ_OK(VecNorm(q.x, NORM_2, &n1));
  EXPECT_LT(n1, n0 * std::exp((-1.0 + J1 / 2.0) * 40.0) * 1.0001);
}

TEST(Ring, BumpAmplitudeSolvesTheSelfConsistencyEquation) {
  // Above J1 = 2 a bump x = kappa cos(theta - theta0) forms, with kappa = J1 <cos(theta) tanh(kappa
  // cos(theta))>.
  for (double J1 : {2.5, 4.0}) {
    NetworkRun r;
    ASSERT_NO_FATAL_FAILURE(makeRun(PETSC_COMM_WORLD, ringSpec("Z256", J1), &r));
    fillRandom(r.x, 3, 0.1);
    ASSERT_NO_FATAL_FAILURE(integrate(&r, 200.0));
    const auto x = gather(r.x);
    double kappa = 0, theta0 = 0;
    firstMode(x, &kappa, &theta0);
    // Solve the equation (on the same lattice of angles) by Newton's method from kappa_sim.
    const int N = 256;
    double k    = kappa;
    for (int it = 0; it < 50; ++it) {
      double f = k, df = 1;
      for (int j = 0; j < N; ++j) {
        const double c = std::cos(2 * M_PI * j / N - theta0), t = std::tanh(k * c);
        f -= J1 * c * t / N;
        df -= J1 * c * c * (1 - t * t) / N;
      }
      k -= f / df;
    }
    EXPECT_GT(kappa, 0.5) << "no bump formed for J1 = " << J1;
    EXPECT_NEAR(kappa, k, 1e-6) << "J1 = " << J1;
    // And the state is that cosine profile (J only passes modes 0 and 1; mode 0 of tanh of a cosine
    // vanishes).
    double dev = 0;
    for (int j = 0; j < N; ++j)
      dev = std::max(dev, std::abs(x[j] - kappa * std::cos(2 * M_PI * j / N - theta0)));
    EXPECT_LT(dev, 1e-6) << "J1 = " << J1;
  }
}

TEST(Dynamics, TrajectoriesAreEquivariant) {
  // x(t) from L_a x0 equals L_a of x(t) from x0 (docs/mathematics.md section 1), on a ring and a torus,
  // nonlinear regime.
  for (const char *spec : {"Z48", "Z12xZ10"}) {
    NetworkSpec s = ringSpec(spec, 3.0);
    s.kernel.J0   = -0.5;
    NetworkRun a, b;
    ASSERT_NO_FATAL_FAILURE(makeRun(PETSC_COMM_WORLD, s, &a));
    ASSERT_NO_FATAL_FAILURE(makeRun(PETSC_COMM_WORLD, s, &b));
    fillRandom(a.x, 21, 0.3);
    for (PetscInt g : a.net->group().generators()) {
      EQ_OK(translate(a.net->group(), g, a.x, b.x)); // b starts at L_g x0
      VecHandle x0;
      EQ_OK(VecDuplicate(a.x, x0.address()));
      EQ_OK(VecCopy(a.x, x0));
      ASSERT_NO_FATAL_FAILURE(integrate(&a, 5.0));
      ASSERT_NO_FATAL_FAILURE(integrate(&b, 5.0));
      VecHandle la;
      EQ_OK(VecDuplicate(a.x, la.address()));
      EQ_OK(translate(a.net->group(), g, a.x, la));
      const auto u = gather(la), v = gather(b.x);
      EXPECT_LT(maxAbsDiff(u, v), 1e-10 * std::max(1.0, maxAbs(v))) << spec << " generator " << g;
      EQ_OK(VecCopy(x0, a.x)); // next generator from the same start
    }
  }
}

TEST(Dynamics, SameResultOnAnyNumberOfRanks) {
  // Full pipeline (runSimulate: network, TS, HDF5 output) on this communicator and on a single rank.
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  for (const char *spec : {"Z96", "Z97", "Z24xZ20", "Z6xZ5xZ4"}) {
    SimulateConfig c;
    c.network = ringSpec(spec, 3.0);
    c.network.kernel.family =
        spec[1] == '9' ? KernelFamily::VonMises : KernelFamily::Cosine; // two families, both past threshold
    c.network.kernel.J0    = -0.5;
    c.network.kernel.J1    = spec[1] == '9' ? 6.0 : 3.0;
    c.network.kernel.kappa = 2.0;
    c.init.kind            = InitKind::Random;
    c.init.seed            = 9;
    c.init.amplitude       = 0.2;
    c.run.tFinal           = 10.0;
    c.run.saveInterval     = 2.5;
    c.run.progressInterval = 0;
    SimulateResult res;
    VecHandle world, single;
    c.output = std::string("test_rank_invariance_world.h5");
    EQ_OK(runSimulate(PETSC_COMM_WORLD, c, &res, world.address()));
    EXPECT_EQ(res.samples, 5u);
    c.output = "test_rank_invariance_self_" + std::to_string(rank) + ".h5";
    EQ_OK(runSimulate(PETSC_COMM_SELF, c, &res, single.address()));
    const auto u = gather(world), v = gather(single);
    EXPECT_LT(maxAbsDiff(u, v), 1e-10) << spec << " on " << commSize() << " ranks";
    EXPECT_GT(maxAbs(v), 1e-3) << spec << ": trivial state, the comparison would prove nothing";
    std::remove(c.output.c_str());
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  if (rank == 0) std::remove("test_rank_invariance_world.h5");
}

TEST(OutputFiles, MetadataReachesTheDiskOnlyAtFlushes) {
  // Written files keep their metadata cache from evicting (so a kill between flushes leaves the file of the
  // last flush); read-only opens keep HDF5's default.
  const std::string path = "eqrnn_test_mdc.h5";
  const auto evictions   = [](const Hdf5File &f) {
    H5AC_cache_config_t config{};
    config.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    EXPECT_GE(H5Fget_mdc_config(f.id(), &config), 0);
    return static_cast<bool>(config.evictions_enabled);
  };
  {
    Hdf5File f;
    EQ_OK(Hdf5File::create(PETSC_COMM_WORLD, path, &f));
    EXPECT_FALSE(evictions(f));
  }
  {
    Hdf5File f;
    EQ_OK(Hdf5File::open(PETSC_COMM_WORLD, path, &f, false));
    EXPECT_FALSE(evictions(f));
  }
  {
    Hdf5File f;
    EQ_OK(Hdf5File::open(PETSC_COMM_WORLD, path, &f, true));
    EXPECT_TRUE(evictions(f));
  }
  PetscMPIInt rank = 0;
  MPI_Barrier(PETSC_COMM_WORLD);
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0) std::remove(path.c_str());
}
