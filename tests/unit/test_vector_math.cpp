// The vectorised transfer functions against a long-double reference (x87 extended precision: 11 more bits
// than double), special values, and bitwise agreement of every array position with the scalar kernel (what
// makes results independent of the rank count: an element's bits must not depend on where it sits in a local
// array).
#include "core/vector_math.hpp"
#include "model/transfer.hpp"
#include <gtest/gtest.h>
#include <string>
#include <mpi.h>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace eqrnn;

namespace {

// |got - ref| in units of the last place of ref rounded to double (the smallest subnormal below it).
double ulpError(double got, long double ref) {
  const double r = static_cast<double>(ref);
  if (std::isnan(r)) return std::isnan(got) ? 0.0 : HUGE_VAL;
  if (got == r) return 0.0;
  if (std::isinf(r)) return HUGE_VAL;
  const double a = std::fabs(r);
  const double u = a == 0 ? std::numeric_limits<double>::denorm_min() : std::nextafter(a, HUGE_VAL) - a;
  return static_cast<double>(std::fabs(static_cast<long double>(got) - ref) / u);
}

// 10^7 points: half uniform in [-40, 40] (where the functions vary), half log-uniform in magnitude from the
// subnormals to 1e3, both signs.
std::vector<double> samples() {
  std::mt19937_64 rng(2026);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> x(10000000);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double sign = (rng() & 1) ? 1.0 : -1.0;
    x[i]              = sign * (i % 2 ? std::pow(10.0, -320.0 + 323.0 * unit(rng)) : 40.0 * unit(rng));
  }
  return x;
}

bool sameBits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// The ranks share the 10^7 points (every rank runs every test): [begin, end) of this rank's share, and the
// worst error over all ranks.
std::pair<std::size_t, std::size_t> myShare(std::size_t n) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return {n * static_cast<std::size_t>(rank) / static_cast<std::size_t>(size),
          n * static_cast<std::size_t>(rank + 1) / static_cast<std::size_t>(size)};
}
double worstOverRanks(double local) {
  MPI_Allreduce(MPI_IN_PLACE, &local, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return local;
}

// The worst error over every rank's points, within bound, and recorded in the test's XML output (the figure
// docs/mathematics.md section 13 quotes).
void expectWithinUlp(const char *name, double worstHere, double bound) {
  const double worst = worstOverRanks(worstHere);
  testing::Test::RecordProperty(name, std::to_string(worst));
  EXPECT_LE(worst, bound) << name;
}

} // namespace

TEST(VectorMath, TanhAndSech2WithinAFewUlpOf1e7Points) {
  const auto x        = samples();
  const auto [lo, hi] = myShare(x.size());
  std::vector<double> y(x.size()), d(x.size());
  vmath::tanh(x.data() + lo, hi - lo, 1.0, 0.0, y.data() + lo, d.data() + lo);
  double worstT = 0, worstD = 0;
  for (std::size_t i = lo; i < hi; ++i) {
    const long double v = x[i], c = coshl(v);
    worstT = std::max(worstT, ulpError(y[i], tanhl(v)));
    worstD = std::max(worstD, ulpError(d[i], 1.0L / (c * c)));
  }
  expectWithinUlp("tanh_ulp", worstT, 3.0);
  expectWithinUlp("sech2_ulp", worstD, 5.0);
}

TEST(VectorMath, SigmoidAndSlopeWithinAFewUlpOf1e7Points) {
  const auto x        = samples();
  const auto [lo, hi] = myShare(x.size());
  std::vector<double> y(x.size()), d(x.size());
  vmath::sigmoid(x.data() + lo, hi - lo, 1.0, 0.0, y.data() + lo, d.data() + lo);
  double worstS = 0, worstD = 0;
  for (std::size_t i = lo; i < hi; ++i) {
    const long double v = x[i], e = expl(-std::fabs(v)); // e^{-|v|}: no overflow
    const long double s = v >= 0 ? 1.0L / (1.0L + e) : e / (1.0L + e);
    worstS              = std::max(worstS, ulpError(y[i], s));
    worstD              = std::max(worstD, ulpError(d[i], e / ((1.0L + e) * (1.0L + e))));
  }
  expectWithinUlp("sigmoid_ulp", worstS, 3.0);
  expectWithinUlp("sigmoid_slope_ulp", worstD, 5.0);
}

TEST(VectorMath, SpecialValues) {
  const double inf = HUGE_VAL, nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(sameBits(vmath::tanh1(0.0), 0.0));
  EXPECT_TRUE(sameBits(vmath::tanh1(-0.0), -0.0));
  EXPECT_EQ(vmath::tanh1(1e-310), 1e-310); // tanh(x) = x for subnormal x
  EXPECT_EQ(vmath::tanh1(-5e-324), -5e-324);
  EXPECT_EQ(vmath::tanh1(inf), 1.0);
  EXPECT_EQ(vmath::tanh1(-inf), -1.0);
  EXPECT_EQ(vmath::tanh1(19.5), 1.0);
  EXPECT_EQ(vmath::tanh1(-1e300), -1.0);
  EXPECT_EQ(vmath::sech2(0.0), 1.0);
  EXPECT_EQ(vmath::sech2(inf), 0.0);
  EXPECT_EQ(vmath::sech2(-inf), 0.0);
  EXPECT_EQ(vmath::sigmoid1(0.0), 0.5);
  EXPECT_EQ(vmath::sigmoid1(-0.0), 0.5);
  EXPECT_EQ(vmath::sigmoid1(inf), 1.0);
  EXPECT_EQ(vmath::sigmoid1(-inf), 0.0);
  EXPECT_EQ(vmath::sigmoid1(-800.0), 0.0);
  EXPECT_GT(vmath::sigmoid1(-740.0), 0.0); // subnormal, as e^-740
  EXPECT_LT(vmath::sigmoid1(-740.0), std::numeric_limits<double>::min());
  EXPECT_EQ(vmath::sigmoidSlope(0.0), 0.25);
  EXPECT_EQ(vmath::sigmoidSlope(inf), 0.0);
  EXPECT_EQ(vmath::sigmoidSlope(-inf), 0.0);
  for (double (*f)(double) : {vmath::tanh1, vmath::sech2, vmath::sigmoid1, vmath::sigmoidSlope})
    EXPECT_TRUE(std::isnan(f(nan)));
}

TEST(VectorMath, ArrayBitsEqualScalarBitsAtEveryPositionAndLength) {
  // Every offset and length around the SIMD widths (2, 4, 8 doubles): the vector body, the remainder loop and
  // the scalar kernel give the same bits, with a gain and a threshold.
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 6.0);
  std::vector<double> x(300);
  for (auto &v : x)
    v = normal(rng);
  const double g = 1.7, th = 0.3;
  for (std::size_t offset = 0; offset < 9; ++offset)
    for (std::size_t n : {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 255}) {
      std::vector<double> y(n), d(n), s(n), t(n);
      vmath::tanh(x.data() + offset, n, g, th, y.data(), d.data());
      vmath::sigmoid(x.data() + offset, n, g, th, s.data(), t.data());
      for (std::size_t i = 0; i < n; ++i) {
        const double v = g * (x[offset + i] - th);
        ASSERT_TRUE(sameBits(y[i], vmath::tanh1(v))) << offset << " " << n << " " << i;
        ASSERT_TRUE(sameBits(d[i], g * vmath::sech2(v))) << offset << " " << n << " " << i;
        ASSERT_TRUE(sameBits(s[i], vmath::sigmoid1(v))) << offset << " " << n << " " << i;
        ASSERT_TRUE(sameBits(t[i], g * vmath::sigmoidSlope(v))) << offset << " " << n << " " << i;
      }
      std::vector<double> only(n);
      vmath::tanh(x.data() + offset, n, g, th, only.data(), nullptr);
      for (std::size_t i = 0; i < n; ++i)
        ASSERT_TRUE(sameBits(only[i], y[i]));
      vmath::tanh(x.data() + offset, n, g, th, nullptr, only.data());
      for (std::size_t i = 0; i < n; ++i)
        ASSERT_TRUE(sameBits(only[i], d[i]));
    }
}

TEST(VectorMath, FloatVersionsAreTheDoubleResultRoundedOnce) {
  std::mt19937_64 rng(11);
  std::normal_distribution<float> normal(0.0f, 5.0f);
  std::vector<float> x(1000), y(1000), d(1000);
  for (auto &v : x)
    v = normal(rng);
  vmath::tanh(x.data(), x.size(), 1.5f, -0.25f, y.data(), d.data());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = 1.5 * (static_cast<double>(x[i]) + 0.25);
    EXPECT_EQ(y[i], static_cast<float>(vmath::tanh1(v)));
    EXPECT_EQ(d[i], static_cast<float>(1.5 * vmath::sech2(v)));
  }
}

TEST(VectorMath, TransferFunctionScalarAndVectorFormsAgree) {
  // value()/derivative() (used per element by the trained-network solvers) and the Vec forms (the designed
  // networks) must give the same bits, for every transfer kind.
  const std::vector<double> xs{-30.0, -2.5, -0.7, -1e-9, 0.0, 1e-12, 0.4, 1.0, 3.3, 25.0};
  for (TransferKind kind :
       {TransferKind::Tanh, TransferKind::Sigmoid, TransferKind::Relu, TransferKind::Linear}) {
    TransferFunction phi;
    phi.kind      = kind;
    phi.gain      = 2.5;
    phi.threshold = 0.2;
    std::vector<double> r(xs.size()), d(xs.size());
    phi.map(xs.data(), xs.size(), r.data(), d.data());
    for (std::size_t i = 0; i < xs.size(); ++i) {
      EXPECT_TRUE(sameBits(r[i], phi.value(xs[i]))) << phi.name() << " at " << xs[i];
      EXPECT_TRUE(sameBits(d[i], phi.derivative(xs[i]))) << phi.name() << " at " << xs[i];
    }
  }
}
