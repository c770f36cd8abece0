// The group-convolution operator against an explicit dense sum (under each FFTW planner: estimate, measure,
// patient), and its equivariance, on every FFT strategy (serial, slab, line, padded line, scalar). Run under
// 1, 2 and 3 ranks by ctest.
#include "groups/group_action.hpp"
#include "helpers.hpp"
#include "operators/group_convolution.hpp"
#include "operators/kernel.hpp"

using namespace eqrnn;
using namespace eqrnn::test;

namespace {
const char *const kGroups[] = {"Z1",    "Z2",    "Z7",       "Z12",      "Z15",      "Z97",
                               "Z256",  "Z5xZ8", "Z8xZ5",    "Z3xZ4xZ5", "Z2xZ1xZ6", "Z1xZ9",
                               "Z4xZ1", "Z1xZ1", "Z6xZ6xZ2", "Z2xZ3"};

struct Built {
  Group group;
  std::unique_ptr<GroupConvolution> conv;
  VecHandle w, x, y;
};

struct Planner {
  FftPlanner planner;
  const char *name;
};
const Planner kPlanners[] = {
    {FftPlanner::Estimate, "estimate"}, {FftPlanner::Measure, "measure"}, {FftPlanner::Patient, "patient"}};

// Operator and vectors on `spec`; the kernel is `kernel` if given, else random (and x random either way).
void build(const char *spec, Built *b, const KernelSpec *kernel = nullptr,
           FftPlanner planner = FftPlanner::Estimate) {
  EQ_OK(parseGroup(PETSC_COMM_WORLD, spec, &b->group));
  EQ_OK(GroupConvolution::create(PETSC_COMM_WORLD, b->group, planner, &b->conv));
  EQ_OK(b->conv->createVec(b->w.address()));
  EQ_OK(b->conv->createVec(b->x.address()));
  EQ_OK(b->conv->createVec(b->y.address()));
  if (kernel)
    EQ_OK(fillKernel(*kernel, b->group, 1, b->w));
  else
    fillRandom(b->w, 11);
  fillRandom(b->x, 12);
  EQ_OK(b->conv->setKernel(b->w));
}
} // namespace

// Every group under every planner: measure and patient time candidate plans on scratch arrays, and may pick
// other algorithms than estimate (other buffer layouts, other orders of the transposes), so each is checked
// against the definition; the strategy (the data layout) must not depend on the planner.
TEST(Convolution, EqualsDenseGroupSum) {
  for (const Planner &p : kPlanners)
    for (const char *spec : kGroups) {
      Built b, estimate;
      ASSERT_NO_FATAL_FAILURE(build(spec, &b, nullptr, p.planner));
      ASSERT_NO_FATAL_FAILURE(build(spec, &estimate));
      EXPECT_STREQ(b.conv->strategyName(), estimate.conv->strategyName()) << spec << " planner " << p.name;
      EQ_OK(b.conv->apply(b.x, b.y));
      const auto w = gather(b.w), x = gather(b.x), y = gather(b.y);
      const Group &G   = b.group;
      const PetscInt n = G.order();
      std::vector<double> ref(static_cast<std::size_t>(n), 0.0);
      for (PetscInt g = 0; g < n; ++g) {
        double s = 0;
        for (PetscInt h = 0; h < n; ++h)
          s += w[G.multiply(G.inverse(h), g)] * x[h]; // w(h^-1 g) r(h)
        ref[g] = s / static_cast<double>(n);
      }
      const double err = maxAbsDiff(y, ref) / maxAbs(ref);
      EXPECT_LT(err, 1e-12) << spec << " strategy " << b.conv->strategyName() << ", planner " << p.name
                            << ", on " << commSize() << " ranks";
      // A second product with the same plans (measure/patient plans are reused, not re-planned): the same.
      EQ_OK(b.conv->apply(b.x, b.y));
      EXPECT_EQ(maxAbsDiff(gather(b.y), y), 0.0) << spec << " planner " << p.name;
    }
}

TEST(Convolution, NoRankHoldsTheWholeVector) {
  if (commSize() == 1) GTEST_SKIP() << "needs several ranks";
  for (const char *spec : {"Z256", "Z97", "Z64xZ48", "Z16xZ16xZ16"}) {
    Built b;
    ASSERT_NO_FATAL_FAILURE(build(spec, &b));
    EXPECT_LT(b.conv->localSize(), b.group.order()) << spec;
    PetscInt sum = b.conv->localSize();
    MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD);
    EXPECT_EQ(sum, b.group.order());
  }
}

TEST(Convolution, CommutesWithTranslations) {
  for (const char *spec : kGroups) {
    Built b;
    ASSERT_NO_FATAL_FAILURE(build(spec, &b));
    VecHandle lx, jlx, ljx;
    EQ_OK(VecDuplicate(b.x, lx.address()));
    EQ_OK(VecDuplicate(b.x, jlx.address()));
    EQ_OK(VecDuplicate(b.x, ljx.address()));
    EQ_OK(b.conv->apply(b.x, b.y));
    for (PetscInt a : b.group.generators()) {
      EQ_OK(translate(b.group, a, b.x, lx));  // L_a x
      EQ_OK(b.conv->apply(lx, jlx));          // J L_a x
      EQ_OK(translate(b.group, a, b.y, ljx)); // L_a J x
      const auto u = gather(jlx), v = gather(ljx);
      EXPECT_LT(maxAbsDiff(u, v) / maxAbs(v), 1e-12) << spec << " generator " << a;
    }
  }
}

TEST(Convolution, TranslationMovesTheIdentityImpulse) {
  // L_a delta_e = delta_a: checks the direction convention of the action itself.
  Built b;
  ASSERT_NO_FATAL_FAILURE(build("Z4xZ6", &b));
  EQ_OK(VecSet(b.x, 0.0));
  EQ_OK(VecSetValue(b.x, 0, 1.0, INSERT_VALUES));
  EQ_OK(VecAssemblyBegin(b.x));
  EQ_OK(VecAssemblyEnd(b.x));
  const PetscInt a = b.group.index({1, 2});
  EQ_OK(translate(b.group, a, b.x, b.y));
  const auto y = gather(b.y);
  for (PetscInt g = 0; g < b.group.order(); ++g)
    EXPECT_EQ(y[g], g == a ? 1.0 : 0.0);
}

TEST(Convolution, CosineKernelEigenvaluesAreItsFourierCoefficients) {
  // w = J0 + J1 cos(theta) on Z_N: J cos(theta) = (J1/2) cos(theta), J 1 = J0 * 1 (docs/mathematics.md
  // section 1).
  KernelSpec k;
  k.J0 = 0.7;
  k.J1 = 3.0;
  Built b;
  ASSERT_NO_FATAL_FAILURE(build("Z60", &b, &k));
  fill(b.x, b.group, [](const std::vector<PetscInt> &c) { return std::cos(2 * M_PI * c[0] / 60.0 + 0.3); });
  EQ_OK(b.conv->apply(b.x, b.y));
  const auto xs = gather(b.x), ys = gather(b.y);
  for (std::size_t g = 0; g < xs.size(); ++g)
    EXPECT_NEAR(ys[g], 1.5 * xs[g], 1e-13);
  EQ_OK(VecSet(b.x, 1.0));
  EQ_OK(b.conv->apply(b.x, b.y));
  for (double v : gather(b.y))
    EXPECT_NEAR(v, 0.7, 1e-13);
  EXPECT_NEAR(b.conv->diagonal(), (0.7 + 3.0) / 60.0, 1e-15);
}

TEST(Convolution, FourierKernelActsOnItsOwnMode) {
  // w = a cos(k.theta) + b sin(k.theta) on Z8 x Z6 with k = (1, 2): J cos(k.theta) = (a/2) cos(k.theta) +
  // (b/2) sin(k.theta), and every mode orthogonal to +-k is annihilated.
  KernelSpec k;
  k.family    = KernelFamily::Fourier;
  k.modes     = {1, 2};
  k.cosCoeffs = {2.0};
  k.sinCoeffs = {1.0};
  Built b;
  ASSERT_NO_FATAL_FAILURE(build("Z8xZ6", &b, &k));
  auto phase = [](const std::vector<PetscInt> &c, PetscInt k0, PetscInt k1) {
    return 2 * M_PI * (static_cast<double>(k0 * c[0]) / 8 + static_cast<double>(k1 * c[1]) / 6);
  };
  fill(b.x, b.group, [&](const std::vector<PetscInt> &c) { return std::cos(phase(c, 1, 2)); });
  EQ_OK(b.conv->apply(b.x, b.y));
  const auto ys = gather(b.y);
  for (PetscInt g = 0; g < b.group.order(); ++g) {
    const auto c = b.group.coordinates(g);
    EXPECT_NEAR(ys[g], std::cos(phase(c, 1, 2)) + 0.5 * std::sin(phase(c, 1, 2)), 1e-13);
  }
  fill(b.x, b.group, [&](const std::vector<PetscInt> &c) { return std::cos(phase(c, 2, 1)); });
  EQ_OK(b.conv->apply(b.x, b.y));
  EXPECT_LT(maxAbs(gather(b.y)), 1e-13);
}

TEST(Convolution, MexicanHatIsTheDifferenceOfItsVonMisesParts) {
  Group G;
  EQ_OK(parseGroup(PETSC_COMM_WORLD, "Z40", &G));
  KernelSpec mex, centre, surround;
  mex.family = centre.family = surround.family = KernelFamily::VonMises;
  mex.family                                   = KernelFamily::Mexican;
  mex.J0 = 0.3, mex.J1 = 2.0, mex.kappa = 3.0, mex.J2 = 1.5, mex.kappa2 = 0.7;
  centre.J0 = 0.3, centre.J1 = 2.0, centre.kappa = 3.0;
  surround.J0 = 0.0, surround.J1 = 1.5, surround.kappa = 0.7;
  for (PetscInt g = 0; g < G.order(); ++g) {
    EXPECT_NEAR(kernelValue(mex, G, g), kernelValue(centre, G, g) - kernelValue(surround, G, g), 1e-15);
    const double theta = 2 * M_PI * static_cast<double>(g) / 40;
    EXPECT_NEAR(kernelValue(centre, G, g), 0.3 + 2.0 * std::exp(3.0 * (std::cos(theta) - 1)), 1e-14);
  }
}
