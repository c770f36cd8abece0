// simulate, orbits and the fixed-point census on non-abelian groups and with channels: trajectory
// equivariance, orbit matching and stabilisers against brute force, tangents as left-translation derivatives,
// and the Newton-Krylov census against the exact reduced model.
#include "analysis/reduced_model.hpp"
#include "analysis/tangent.hpp"
#include "core/parameters.hpp"
#include "groups/group_action.hpp"
#include "helpers.hpp"
#include "io/hdf5_file.hpp"
#include "operators/kernel.hpp"
#include <cstdio>
#include "solvers/fixed_points.hpp"
#include "solvers/simulator.hpp"
#include <algorithm>
#include <cmath>

using namespace eqrnn;
using namespace eqrnn::test;

namespace {
NetworkSpec irrepSpec(const std::string &group, const std::string &irreps, std::vector<double> gains,
                      PetscInt channels = 1) {
  NetworkSpec s;
  s.group             = group;
  s.channels          = channels;
  s.kernel.family     = KernelFamily::Irreps;
  s.kernel.irreps     = splitList(irreps, ',');
  s.kernel.irrepGains = std::move(gains);
  s.input.kind        = InputKind::None;
  return s;
}

void integrate(RateNetwork &net, Vec x, double T) {
  std::unique_ptr<Simulator> sim;
  EQ_OK(Simulator::create(net, &sim));
  EQ_OK(TSSetTolerances(sim->ts(), 1e-12, nullptr, 1e-10, nullptr));
  SimulationSpec s;
  s.tFinal           = T;
  s.saveInterval     = 0;
  s.progressInterval = 0;
  EQ_OK(sim->run(s, 0.0, x, nullptr, nullptr));
}
} // namespace

TEST(NonAbelianDynamics, TrajectoriesAreEquivariant) {
  std::vector<NetworkSpec> specs{irrepSpec("S3xZ8", "rho2:chi1", {2.5}),
                                 irrepSpec("D5", "E1,E2", {2.0, -1.0}, 2)};
  specs[1].kernel.channelMatrix = {1.2, -0.6, 0.9, -0.1};
  specs.push_back(specs[0]);
  specs[2].group         = "Q8xD3";
  specs[2].kernel.family = KernelFamily::Cosine; // an axis kernel with coset weights on a non-abelian product
  specs[2].kernel.J1     = 3.0;
  specs[2].kernel.cosetWeights.assign(16, 0.0);
  for (std::size_t q = 0; q < 16; ++q)
    specs[2].kernel.cosetWeights[q] = 0.2 * static_cast<double>(q % 5) - 0.3;
  for (const auto &spec : specs) {
    std::unique_ptr<RateNetwork> net;
    EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, spec, &net));
    VecHandle x0, x, y, lx;
    EQ_OK(net->createVec(x0.address()));
    EQ_OK(VecDuplicate(x0, x.address()));
    EQ_OK(VecDuplicate(x0, y.address()));
    EQ_OK(VecDuplicate(x0, lx.address()));
    fillRandom(x0, 17, 0.5);
    for (PetscInt a : net->group().generators()) {
      EQ_OK(VecCopy(x0, x));
      EQ_OK(translate(net->group(), a, x0, y)); // y starts at L_a x0
      integrate(*net, x, 4.0);
      integrate(*net, y, 4.0);
      EQ_OK(translate(net->group(), a, x, lx));
      const auto u = gather(lx), v = gather(y);
      EXPECT_LT(maxAbsDiff(u, v), 1e-8 * std::max(1.0, maxAbs(v))) << spec.group << " generator " << a;
      EXPECT_GT(maxAbs(v), 1e-3) << spec.group << ": trivial state";
    }
  }
}

TEST(NonAbelianDynamics, OrbitMatchAndStabiliserAgainstBruteForce) {
  for (const auto &[spec, channels] :
       std::vector<std::pair<std::string, PetscInt>>{{"S4", 1}, {"D6xZ4", 2}}) {
    Group G;
    EQ_OK(parseGroup(PETSC_COMM_WORLD, spec, &G));
    std::unique_ptr<OrbitTools> orbits;
    EQ_OK(OrbitTools::create(PETSC_COMM_WORLD, G, FftPlanner::Estimate, &orbits, channels));
    VecHandle x, y;
    std::unique_ptr<GroupConvolution> conv;
    EQ_OK(GroupConvolution::create(PETSC_COMM_WORLD, G, channels, FftPlanner::Estimate, &conv));
    EQ_OK(conv->createVec(x.address()));
    EQ_OK(conv->createVec(y.address()));
    fillRandom(x, 41);
    const PetscInt a = G.order() - 3;
    EQ_OK(translate(G, a, x, y));
    OrbitMatch m;
    EQ_OK(orbits->match(y, x, &m));
    EXPECT_LT(m.distance, 1e-6); // sqrt(|x|^2 + |y|^2 - 2 C): rounding floor ~ sqrt(eps) |x|
    EXPECT_EQ(m.shift, a) << spec;
    // A state averaged over a subgroup H = <h> is fixed exactly by H (left translations): the stabiliser
    // found must contain H, and for a generic start equal it.
    const PetscInt h = G.generators().front();
    std::vector<PetscInt> H{0};
    for (PetscInt p = h; p != 0; p = G.multiply(h, p))
      H.push_back(p);
    VecHandle avg, t;
    EQ_OK(VecDuplicate(x, avg.address()));
    EQ_OK(VecDuplicate(x, t.address()));
    EQ_OK(VecSet(avg, 0.0));
    for (PetscInt p : H) {
      EQ_OK(translate(G, p, x, t));
      EQ_OK(VecAXPY(avg, 1.0, t));
    }
    Stabiliser s;
    EQ_OK(orbits->stabiliser(avg, 1e-6, &s));
    std::vector<PetscInt> sorted(H);
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(s.elements, sorted) << spec << ": " << s.description;
  }
}

TEST(NonAbelianDynamics, TangentsAreLeftTranslationDerivatives) {
  // On D16 the rotation axis is continuous-like: the tangent is d/d(eps) L_{r^eps} x; for the band-limited
  // x(r^j s^e) = cos(2 pi j / 16 + phi_e) it is (2 pi / 16) sin(2 pi j / 16 + phi_e) per unit shift... with
  // L_a x(g) = x(a^-1 g): shifting by +1 rotation moves r^j s^e to r^(j-1) s^e in the argument.
  Group G;
  EQ_OK(parseGroup(PETSC_COMM_WORLD, "D16", &G));
  std::unique_ptr<GroupConvolution> conv;
  EQ_OK(GroupConvolution::create(PETSC_COMM_WORLD, G, FftPlanner::Estimate, &conv));
  VecHandle x;
  EQ_OK(conv->createVec(x.address()));
  const double phi[2] = {0.3, -1.1};
  fill(x, G, [&](const std::vector<PetscInt> &c) {
    return std::cos(2 * M_PI * static_cast<double>(c[0] / 2) / 16.0 + phi[c[0] % 2]);
  });
  std::vector<VecHandle> t;
  std::vector<PetscInt> axes;
  EQ_OK(orbitTangents(conv->engine(), x, &t, &axes));
  ASSERT_EQ(t.size(), 1u);
  VecHandle expect;
  EQ_OK(conv->createVec(expect.address()));
  // d/d eps x((-eps) r^j s^e) = d/d eps cos(2 pi (j - eps)/16 + phi) = (2 pi/16) sin(...); the tangent is in
  // units of the angle theta (derivative d/d theta of the shifted state): sin(theta_j + phi).
  fill(expect, G, [&](const std::vector<PetscInt> &c) {
    return std::sin(2 * M_PI * static_cast<double>(c[0] / 2) / 16.0 + phi[c[0] % 2]);
  });
  const auto u = gather(t[0]), v = gather(expect);
  double plus = 0, minus = 0;
  for (std::size_t i = 0; i < u.size(); ++i)
    plus = std::max(plus, std::abs(u[i] - v[i])), minus = std::max(minus, std::abs(u[i] + v[i]));
  EXPECT_LT(std::min(plus, minus), 1e-10); // the sign follows orbitTangents' convention
}

TEST(NonAbelianDynamics, FractionalTranslationShiftsTheRotationAxis) {
  // A left translation by r^delta moves the rotation coordinate of both cosets alike: x(r^j s^e, c) =
  // cos(2 pi k j / n + phi_ec) becomes cos(2 pi k (j - delta) / n + phi_ec). On D15 and S3 x Z12 with two
  // channels (several finite parts and channels per axis point).
  for (const char *spec : {"D15", "S3xZ12"}) {
    Group G;
    EQ_OK(parseGroup(PETSC_COMM_WORLD, spec, &G));
    const PetscInt C = 2, Q = G.quotientOrder(), n = G.axisCount();
    std::unique_ptr<OrbitTools> orbits;
    EQ_OK(OrbitTools::create(PETSC_COMM_WORLD, G, FftPlanner::Estimate, &orbits, C));
    VecHandle x, y;
    EQ_OK(orbits->createVec(x.address()));
    EQ_OK(orbits->createVec(y.address()));
    auto value = [&](PetscInt i, double delta) {
      const PetscInt g = i / C, j = g / Q, phase = (g % Q) * C + i % C;
      return std::cos(2 * M_PI * 2 * (static_cast<double>(j) - delta) / static_cast<double>(n) +
                      0.7 * static_cast<double>(phase));
    };
    PetscInt lo = 0, hi = 0;
    PetscScalar *a = nullptr;
    EQ_OK(VecGetOwnershipRange(x, &lo, &hi));
    EQ_OK(VecGetArray(x, &a));
    for (PetscInt i = lo; i < hi; ++i)
      a[i - lo] = value(i, 0.0);
    EQ_OK(VecRestoreArray(x, &a));
    const double delta = 0.37;
    std::vector<double> shift(G.numFactors(), 0.0);
    shift.back() = delta; // the axis is the last factor's (D15's own, Z12's)
    EQ_OK(fractionalTranslate(orbits->engine(), x, shift, y));
    const auto ys = gather(y);
    double worst  = 0;
    for (PetscInt i = 0; i < G.order() * C; ++i)
      worst = std::max(worst, std::abs(ys[i] - value(i, delta)));
    EXPECT_LT(worst, 1e-12) << spec;
  }
}

TEST(NonAbelianDynamics, CensusFixedPointsAreReducedFixedPoints) {
  // The deflated Newton-Krylov census works on the full network of D8 x Z6 (kernel on E1:chi1). Every fixed
  // point x = J phi(x) lies in the range of J, V_K, and its coordinates a = B^T x solve the reduced model:
  // two independent routes to the same fixed points.
  const NetworkSpec spec = irrepSpec("D8xZ6", "E1:chi1", {2.5});
  std::unique_ptr<RateNetwork> net;
  EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, spec, &net));
  ReduceSpec r;
  r.starts = 0;
  std::unique_ptr<ReducedModel> model;
  EQ_OK(ReducedModel::create(*net, r, &model));
  CensusSpec c;
  c.randomStarts = 8;
  std::unique_ptr<FixedPointFinder> finder;
  EQ_OK(FixedPointFinder::create(*net, c, &finder));
  EQ_OK(finder->census(0, nullptr));
  ASSERT_GE(finder->manifolds().size(), 3u); // x = 0 and at least two non-trivial manifolds
  VecHandle back;
  EQ_OK(net->createVec(back.address()));
  for (const auto &m : finder->manifolds()) {
    PetscReal xn = 0, off = 0;
    EQ_OK(VecNorm(m.x, NORM_2, &xn));
    std::vector<double> a, f;
    EQ_OK(model->project(m.x, &a));
    EQ_OK(model->lift(a, back));
    EQ_OK(VecAXPY(back, -1.0, m.x));
    EQ_OK(VecNorm(back, NORM_2, &off));
    EXPECT_LT(off, 1e-9 * std::max<PetscReal>(1, xn)) << "x is not in V_K";
    EQ_OK(model->residual(a, &f));
    double fn = 0;
    for (double v : f)
      fn += v * v;
    EXPECT_LT(std::sqrt(fn), 1e-9 * std::max<PetscReal>(1, xn)) << "not a reduced fixed point";
    EXPECT_EQ(m.orbitSize * m.stabiliser.order, net->group().order());
  }
}

TEST(NonAbelianDynamics, KernelFilesWithChannels) {
  // A kernel file holds either all |G| C^2 values w_cc'(g) (kernel layout) or |G| values times the channel
  // matrix; both read back exactly, on any number of ranks.
  Group G;
  EQ_OK(parseGroup(PETSC_COMM_WORLD, "D3xZ4", &G));
  const PetscInt C = 2;
  std::unique_ptr<GroupConvolution> conv;
  EQ_OK(GroupConvolution::create(PETSC_COMM_WORLD, G, C, FftPlanner::Estimate, &conv));
  VecHandle full, base, w;
  EQ_OK(conv->createKernelVec(full.address()));
  EQ_OK(conv->createKernelVec(w.address()));
  EQ_OK(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, G.order(), base.address()));
  fillRandom(full, 51);
  fillRandom(base, 52);
  const std::string path = "test_kernel_channels.h5";
  {
    Hdf5File f;
    EQ_OK(Hdf5File::create(PETSC_COMM_WORLD, path, &f));
    EQ_OK(f.writeVector("/w_full", full));
    EQ_OK(f.writeVector("/w_base", base));
    EQ_OK(f.close());
  }
  KernelSpec k;
  k.family  = KernelFamily::File;
  k.file    = path;
  k.dataset = "/w_full";
  EQ_OK(fillKernel(k, G, C, w));
  EXPECT_EQ(maxAbsDiff(gather(w), gather(full)), 0.0);
  k.dataset       = "/w_base";
  k.channelMatrix = {1.0, -2.0, 0.5, 3.0};
  EQ_OK(fillKernel(k, G, C, w));
  const auto got = gather(w), b = gather(base);
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    worst = std::max(worst, std::abs(got[i] - k.channelMatrix[i % 4] * b[i / 4]));
  EXPECT_EQ(worst, 0.0);
  // A dataset of the wrong length is refused with a user-input error.
  k.dataset = "/w_base";
  EQ_OK(parseGroup(PETSC_COMM_WORLD, "D3xZ5", &G));
  std::unique_ptr<GroupConvolution> other;
  EQ_OK(GroupConvolution::create(PETSC_COMM_WORLD, G, C, FftPlanner::Estimate, &other));
  VecHandle w2;
  EQ_OK(other->createKernelVec(w2.address()));
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  const PetscErrorCode code = fillKernel(k, G, C, w2);
  PetscPopErrorHandler();
  EXPECT_EQ(code, PETSC_ERR_USER_INPUT);
  MPI_Barrier(PETSC_COMM_WORLD);
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0) std::remove(path.c_str());
}
