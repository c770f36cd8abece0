// The network as an object: its linearisation against central differences of its right-hand side (every
// transfer function, with gain, threshold and tau != 1, where a missing or doubled 1/tau or gain would show),
// and parameters changed after creation against a network built with the new value.
#include "helpers.hpp"
#include "model/linearisation.hpp"
#include "model/rate_network.hpp"
#include <cmath>

using namespace eqrnn;
using namespace eqrnn::test;

namespace {
NetworkSpec spec(const char *group, TransferKind phi) {
  NetworkSpec s;
  s.group           = group;
  s.kernel.family   = KernelFamily::VonMises;
  s.kernel.J0       = -0.4;
  s.kernel.J1       = 2.3;
  s.kernel.kappa    = 1.5;
  s.phi.kind        = phi;
  s.phi.gain        = 1.7;
  s.phi.threshold   = 0.3;
  s.tau             = 2.5;
  s.input.kind      = InputKind::Bump;
  s.input.amplitude = 0.7;
  s.input.location  = {3};
  return s;
}

double norm(Vec v) {
  PetscReal n = 0;
  VecNorm(v, NORM_2, &n);
  return n;
}

// Every entry of (f(x + h v) - f(x - h v)) / (2 h).
void centralDifference(RateNetwork &net, Vec x, Vec v, double h, Vec out) {
  VecHandle xp, xm, fp, fm;
  EQ_OK(net.createVec(xp.address()));
  EQ_OK(net.createVec(xm.address()));
  EQ_OK(net.createVec(fp.address()));
  EQ_OK(net.createVec(fm.address()));
  EQ_OK(VecWAXPY(xp, h, v, x));
  EQ_OK(VecWAXPY(xm, -h, v, x));
  EQ_OK(net.rhs(0.0, xp, fp));
  EQ_OK(net.rhs(0.0, xm, fm));
  EQ_OK(VecWAXPY(out, -1.0, fm, fp));
  EQ_OK(VecScale(out, 0.5 / h));
}
} // namespace

TEST(Network, JacobianIsTheDerivativeOfTheRightHandSideForEveryPhi) {
  for (const auto &[name, phi] : transferNames())
    for (const char *group : {"Z48", "Z8xZ6", "D6"}) {
      NetworkSpec s = spec(group, phi);
      if (std::string(group) == "D6") s.kernel.cosetWeights = {1.0, -0.5};
      std::unique_ptr<RateNetwork> net;
      std::unique_ptr<Linearisation> lin;
      EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, s, &net));
      EQ_OK(Linearisation::create(*net, &lin));
      VecHandle x, v, av, fd, d, diag;
      for (VecHandle *w : {&x, &v, &av, &fd, &d, &diag})
        EQ_OK(net->createVec(w->address()));
      fillRandom(x, 3, 0.8);
      fillRandom(v, 4, 1.0);
      EQ_OK(lin->setPoint(x));
      EQ_OK(lin->apply(v, av));
      // ReLU is piecewise linear: with a random x no entry lies within h of the kink.
      ASSERT_NO_FATAL_FAILURE(centralDifference(*net, x, v, 1e-6, fd));
      EQ_OK(VecAXPY(fd, -1.0, av));
      EXPECT_LT(norm(fd), 1e-8 * norm(av)) << name << " on " << group;
      // The diagonal the preconditioner uses: A e_i . e_i for a few i.
      EQ_OK(lin->diagonal(diag));
      const auto dg = gather(diag);
      for (PetscInt i : {PetscInt(0), PetscInt(5), PetscInt(11)}) {
        EQ_OK(VecSet(v, 0.0));
        EQ_OK(VecSetValue(v, i, 1.0, INSERT_VALUES));
        EQ_OK(VecAssemblyBegin(v));
        EQ_OK(VecAssemblyEnd(v));
        EQ_OK(lin->apply(v, av));
        EXPECT_NEAR(gather(av)[static_cast<std::size_t>(i)], dg[static_cast<std::size_t>(i)], 1e-14)
            << name << " on " << group << " entry " << i;
      }
    }
}

TEST(Network, ZeroStateSpectrumScalesWithTau) {
  // Linear phi with gain g at x = 0, cosine kernel on Z_n: A = (-I + g J) / tau, J = J1/2 on cos and sin of
  // mode 1, 0 elsewhere (J0 = 0): eigenvalues (-1 + g J1/2)/tau (twice) and -1/tau.
  NetworkSpec s;
  s.group         = "Z32";
  s.kernel.family = KernelFamily::Cosine;
  s.kernel.J1     = 3.0;
  s.phi.kind      = TransferKind::Linear;
  s.phi.gain      = 0.8;
  s.tau           = 2.0;
  std::unique_ptr<RateNetwork> net;
  std::unique_ptr<Linearisation> lin;
  EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, s, &net));
  EQ_OK(Linearisation::create(*net, &lin));
  VecHandle x, v, av;
  EQ_OK(net->createVec(x.address()));
  EQ_OK(net->createVec(v.address()));
  EQ_OK(net->createVec(av.address()));
  EQ_OK(VecSet(x, 0.0));
  EQ_OK(lin->setPoint(x));
  fill(v, net->group(), [](const std::vector<PetscInt> &c) { return std::cos(2 * M_PI * c[0] / 32.0); });
  EQ_OK(lin->apply(v, av));
  EQ_OK(VecAXPY(av, -(-1.0 + 0.8 * 3.0 / 2.0) / 2.0, v));
  EXPECT_LT(norm(av), 1e-13 * norm(v));
  fill(v, net->group(), [](const std::vector<PetscInt> &c) { return std::cos(2 * M_PI * 3 * c[0] / 32.0); });
  EQ_OK(lin->apply(v, av));
  EQ_OK(VecAXPY(av, 1.0 / 2.0, v));
  EXPECT_LT(norm(av), 1e-13 * norm(v));
}

TEST(Network, ParametersChangedAfterCreationGiveTheNetworkBuiltWithThem) {
  struct Case {
    const char *parameter;
    NetworkSpec spec;
    double value;
  };
  std::vector<Case> cases;
  NetworkSpec mexican   = spec("Z40", TransferKind::Tanh);
  mexican.kernel.family = KernelFamily::Mexican;
  mexican.kernel.J2     = 0.6;
  for (const char *p : {"J0", "J1", "J2", "kappa", "kappa2", "gain", "threshold", "input_amplitude"})
    cases.push_back({p, mexican, 0.37});
  NetworkSpec irreps;
  irreps.group             = "S3xZ8";
  irreps.kernel.family     = KernelFamily::Irreps;
  irreps.kernel.irreps     = {"rho2:chi1", "rho0:chi0"};
  irreps.kernel.irrepGains = {3.0, -0.5};
  cases.push_back({"irrep_gain:0", irreps, 2.2});
  cases.push_back({"irrep_gain:rho0:chi0", irreps, 0.4});
  NetworkSpec fourier;
  fourier.group            = "Z9xZ8";
  fourier.kernel.family    = KernelFamily::Fourier;
  fourier.kernel.modes     = {1, 0, 0, 2};
  fourier.kernel.cosCoeffs = {1.5, 0.5};
  fourier.kernel.sinCoeffs = {0.3, -0.2};
  cases.push_back({"fourier_cos:1", fourier, -0.8});
  cases.push_back({"fourier_sin:0", fourier, 0.9});
  for (const Case &c : cases) {
    NetworkParameter p;
    std::string error;
    ASSERT_TRUE(parseNetworkParameter(c.parameter, c.spec.kernel.irreps, &p, &error)) << error;
    std::unique_ptr<RateNetwork> changed, built;
    EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, c.spec, &changed));
    EQ_OK(changed->setParameter(p, c.value));
    double value = 0;
    EQ_OK(changed->parameter(p, &value));
    EXPECT_EQ(value, c.value) << c.parameter;
    EXPECT_EQ(changed->spec().kernel.J1 == c.spec.kernel.J1, p.kind != ParameterKind::J1) << c.parameter;
    // The same parameter set in the spec before building.
    std::unique_ptr<RateNetwork> probe;
    EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, c.spec, &probe));
    EQ_OK(probe->setParameter(p, c.value));
    EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, probe->spec(), &built));
    VecHandle x, fa, fb;
    EQ_OK(changed->createVec(x.address()));
    EQ_OK(changed->createVec(fa.address()));
    EQ_OK(changed->createVec(fb.address()));
    fillRandom(x, 9, 0.7);
    EQ_OK(changed->rhs(0.0, x, fa));
    EQ_OK(built->rhs(0.0, x, fb));
    EQ_OK(VecAXPY(fb, -1.0, fa));
    EXPECT_LT(norm(fb), 1e-13 * norm(fa)) << c.parameter;
  }
}

TEST(Network, ParametersTheNetworkDoesNotHaveAreErrors) {
  NetworkSpec s = spec("Z16", TransferKind::Tanh); // von Mises: no J2, no Fourier coefficient
  std::unique_ptr<RateNetwork> net;
  EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, s, &net));
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  for (const char *name : {"J2", "fourier_cos:0", "irrep_gain:0"}) {
    NetworkParameter p;
    std::string error;
    ASSERT_TRUE(parseNetworkParameter(name, {}, &p, &error)) << error;
    EXPECT_NE(net->setParameter(p, 1.0), 0) << name;
  }
  NetworkParameter gain{ParameterKind::Gain, 0};
  EXPECT_NE(net->setParameter(gain, -1.0), 0); // phi's gain must stay > 0
  EXPECT_NE(net->setParameter(gain, std::nan("")), 0);
  PetscPopErrorHandler();
  NetworkParameter p;
  std::string error;
  EXPECT_FALSE(parseNetworkParameter("J3", {}, &p, &error));
  EXPECT_NE(error.find("J3"), std::string::npos);
}

TEST(Network, ParameterDerivativesAreCentralDifferencesOfTheRightHandSide) {
  struct Case {
    const char *parameter;
    NetworkSpec spec;
  };
  std::vector<Case> cases;
  NetworkSpec mexican   = spec("Z8xZ6", TransferKind::Sigmoid);
  mexican.kernel.family = KernelFamily::Mexican;
  mexican.kernel.J2     = 0.6;
  for (const char *p : {"J0", "J1", "J2", "kappa", "kappa2", "gain", "threshold", "input_amplitude"})
    cases.push_back({p, mexican});
  for (const auto &[name, phi] : transferNames())
    for (const char *p : {"gain", "threshold"})
      cases.push_back({p, spec("Z40", phi)});
  NetworkSpec irreps;
  irreps.group             = "S3xZ8";
  irreps.kernel.family     = KernelFamily::Irreps;
  irreps.kernel.irreps     = {"rho2:chi1", "rho0:chi0"};
  irreps.kernel.irrepGains = {3.0, -0.5};
  irreps.tau               = 0.7;
  cases.push_back({"irrep_gain:0", irreps});
  cases.push_back({"irrep_gain:1", irreps});
  NetworkSpec fourier;
  fourier.group            = "Z9xZ8";
  fourier.kernel.family    = KernelFamily::Fourier;
  fourier.kernel.modes     = {1, 0, 0, 2};
  fourier.kernel.cosCoeffs = {1.5, 0.5};
  fourier.kernel.sinCoeffs = {0.3, -0.2};
  for (const char *p : {"fourier_cos:0", "fourier_cos:1", "fourier_sin:1"})
    cases.push_back({p, fourier});
  for (const Case &c : cases) {
    NetworkParameter p;
    std::string error;
    ASSERT_TRUE(parseNetworkParameter(c.parameter, c.spec.kernel.irreps, &p, &error)) << error;
    std::unique_ptr<RateNetwork> net;
    EQ_OK(RateNetwork::create(PETSC_COMM_WORLD, c.spec, &net));
    VecHandle x, d, fp, fm;
    for (VecHandle *w : {&x, &d, &fp, &fm})
      EQ_OK(net->createVec(w->address()));
    fillRandom(x, 21, 0.9);
    double value = 0;
    EQ_OK(net->parameter(p, &value));
    EQ_OK(net->parameterDerivative(p, 0.0, x, d));
    const double h = 1e-5 * std::max(1.0, std::abs(value));
    EQ_OK(net->setParameter(p, value + h));
    EQ_OK(net->rhs(0.0, x, fp));
    EQ_OK(net->setParameter(p, value - h));
    EQ_OK(net->rhs(0.0, x, fm));
    EQ_OK(VecAXPY(fp, -1.0, fm));
    EQ_OK(VecScale(fp, 0.5 / h));
    const double scale = std::max(norm(d), 1e-12);
    EQ_OK(VecAXPY(fp, -1.0, d));
    EXPECT_LT(norm(fp), 1e-7 * scale) << c.parameter << " (|dF/dp| = " << norm(d) << ")";
    EXPECT_GT(norm(d), 1e-3) << c.parameter; // the parameter matters here: the check is not vacuous
    // The derivative after a change is that of the changed network (the cached spectrum is dropped).
    EQ_OK(net->setParameter(p, value));
    VecHandle again;
    EQ_OK(net->createVec(again.address()));
    EQ_OK(net->parameterDerivative(p, 0.0, x, again));
    EQ_OK(VecAXPY(again, -1.0, d));
    EXPECT_LT(norm(again), 1e-14 * scale) << c.parameter;
  }
}
