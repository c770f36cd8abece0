#include "core/vector_math.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

// One build of each array loop per x86 SIMD level (AVX-512 + FMA, AVX2 + FMA, baseline), chosen once from
// the CPU's features. They compute the same bits: no implicit FMA contraction in this file (CMakeLists.txt),
// and the fused multiply-adds written out as std::fma, which the FMA builds issue as one instruction and the
// baseline computes exactly in software (glibc's fma): IEEE operations at every width. (GCC's
// target_clones cannot ask for AVX2 and FMA together, hence the explicit dispatch.)
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EQRNN_X86_DISPATCH 1
#define EQRNN_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define EQRNN_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define EQRNN_INLINE __attribute__((always_inline)) inline // compiled again inside each build
#else
#define EQRNN_INLINE inline
#endif

namespace eqrnn::vmath {

namespace {

constexpr double kInvLn2 = 1.4426950408889634074;
// ln 2 split so that k * kLn2Hi is exact for |k| < 2^20 (kLn2Hi has 32 trailing zero bits).
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
// 1.5 * 2^52: y + kShifter rounds y to an integer k, held in the low mantissa bits.
constexpr double kShifter = 6755399441055744.0;

EQRNN_INLINE std::uint64_t bitsOf(double v) {
  std::uint64_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}
EQRNN_INLINE double fromBits(std::uint64_t u) {
  double v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}
// 2^k for s = k + kShifter, -1022 <= k <= 1023: k + 1023 lands in the exponent field.
EQRNN_INLINE double pow2(double s) {
  return fromBits((bitsOf(s) + 1023u) << 52);
}

// expm1(r) for |r| <= ln2/2: Taylor to degree 13 (truncation below 2^-56 relative), written r + r^2 q(r) so
// the small correction carries the rounding of the sum: about half an ulp.
EQRNN_INLINE double expm1Reduced(double r) {
  double q = 1.0 / 6227020800.0; // 1/13!
  q        = std::fma(q, r, 1.0 / 479001600.0);
  q        = std::fma(q, r, 1.0 / 39916800.0);
  q        = std::fma(q, r, 1.0 / 3628800.0);
  q        = std::fma(q, r, 1.0 / 362880.0);
  q        = std::fma(q, r, 1.0 / 40320.0);
  q        = std::fma(q, r, 1.0 / 5040.0);
  q        = std::fma(q, r, 1.0 / 720.0);
  q        = std::fma(q, r, 1.0 / 120.0);
  q        = std::fma(q, r, 1.0 / 24.0);
  q        = std::fma(q, r, 1.0 / 6.0);
  q        = std::fma(q, r, 0.5);
  return std::fma(r * r, q, r);
}

// y = k ln2 + r with k an integer (in s = k + kShifter) and |r| <= ln2/2 (plus rounding).
EQRNN_INLINE double reduce(double y, double *s) {
  *s             = y * kInvLn2 + kShifter;
  const double k = *s - kShifter;
  return (y - k * kLn2Hi) - k * kLn2Lo;
}

// exp(y) for y in [-746, 710] (overflow to inf and underflow to subnormals or 0 as libm): 2^k split into two
// normal factors, so a subnormal result is rounded once.
EQRNN_INLINE double expClamped(double y) {
  double s        = 0;
  const double r  = reduce(y, &s);
  const double p1 = 1.0 + expm1Reduced(r);
  const double k  = s - kShifter;
  const double s1 = k * 0.5 + kShifter; // k1 = round(k / 2)
  const double s2 = (k - (s1 - kShifter)) + kShifter;
  return (p1 * pow2(s1)) * pow2(s2);
}

// min(a, c) that keeps a NaN (std::fmin would return c).
EQRNN_INLINE double capped(double a, double c) {
  return a > c ? c : a;
}

EQRNN_INLINE double tanhKernel(double v) {
  const double a = capped(std::fabs(v), 20.0); // tanh(a) rounds to 1 above 19.06
  double s       = 0;
  const double r = reduce(-2.0 * a, &s); // k in [-58, 0]
  const double c = pow2(s);
  const double t = c * expm1Reduced(r) + (c - 1.0); // expm1(-2a), c - 1 exact
  return std::copysign(-t / (t + 2.0), v);          // tanh(a) = -expm1(-2a) / (expm1(-2a) + 2)
}

EQRNN_INLINE double sech2Kernel(double v) {
  const double u = expClamped(-2.0 * capped(std::fabs(v), 373.0)); // e^{-2|v|}
  const double w = 1.0 + u;
  return (4.0 * u) / (w * w);
}

EQRNN_INLINE double sigmoidKernel(double v) {
  const double u = expClamped(-capped(std::fabs(v), 746.0)); // e^{-|v|}
  const double w = 1.0 + u;
  return (v >= 0 ? 1.0 : u) / w; // NaN: u / w = NaN
}

EQRNN_INLINE double sigmoidSlopeKernel(double v) {
  const double u = expClamped(-capped(std::fabs(v), 746.0));
  const double w = 1.0 + u;
  return u / (w * w);
}

enum class Kind { Tanh, Sigmoid };

template <Kind K, typename T>
EQRNN_INLINE void mapArray(const T *x, std::size_t n, double g, double th, T *y, T *d) {
  if (y && d) {
#pragma GCC ivdep
    for (std::size_t i = 0; i < n; ++i) {
      const double v = g * (static_cast<double>(x[i]) - th);
      const T value  = static_cast<T>(K == Kind::Tanh ? tanhKernel(v) : sigmoidKernel(v));
      d[i]           = static_cast<T>(g * (K == Kind::Tanh ? sech2Kernel(v) : sigmoidSlopeKernel(v)));
      y[i]           = value;
    }
  } else if (y) {
#pragma GCC ivdep
    for (std::size_t i = 0; i < n; ++i) {
      const double v = g * (static_cast<double>(x[i]) - th);
      y[i]           = static_cast<T>(K == Kind::Tanh ? tanhKernel(v) : sigmoidKernel(v));
    }
  } else if (d) {
#pragma GCC ivdep
    for (std::size_t i = 0; i < n; ++i) {
      const double v = g * (static_cast<double>(x[i]) - th);
      d[i]           = static_cast<T>(g * (K == Kind::Tanh ? sech2Kernel(v) : sigmoidSlopeKernel(v)));
    }
  }
}

template <Kind K, typename T> void mapBaseline(const T *x, std::size_t n, T g, T th, T *y, T *d) {
  mapArray<K>(x, n, static_cast<double>(g), static_cast<double>(th), y, d);
}
#ifdef EQRNN_X86_DISPATCH
template <Kind K, typename T>
EQRNN_TARGET_AVX512 void mapAvx512(const T *x, std::size_t n, T g, T th, T *y, T *d) {
  mapArray<K>(x, n, static_cast<double>(g), static_cast<double>(th), y, d);
}
template <Kind K, typename T>
EQRNN_TARGET_AVX2 void mapAvx2(const T *x, std::size_t n, T g, T th, T *y, T *d) {
  mapArray<K>(x, n, static_cast<double>(g), static_cast<double>(th), y, d);
}
#endif

template <Kind K, typename T> using MapFunction = void (*)(const T *, std::size_t, T, T, T *, T *);

// The widest build this CPU runs.
template <Kind K, typename T> MapFunction<K, T> pick() {
#ifdef EQRNN_X86_DISPATCH
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return mapAvx512<K, T>;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return mapAvx2<K, T>;
#endif
  return mapBaseline<K, T>;
}

template <Kind K, typename T> void map(const T *x, std::size_t n, T g, T th, T *y, T *d) {
  static const MapFunction<K, T> f = pick<K, T>();
  f(x, n, g, th, y, d);
}

} // namespace

void tanh(const double *x, std::size_t n, double g, double th, double *y, double *d) {
  map<Kind::Tanh>(x, n, g, th, y, d);
}
void tanh(const float *x, std::size_t n, float g, float th, float *y, float *d) {
  map<Kind::Tanh>(x, n, g, th, y, d);
}
void sigmoid(const double *x, std::size_t n, double g, double th, double *y, double *d) {
  map<Kind::Sigmoid>(x, n, g, th, y, d);
}
void sigmoid(const float *x, std::size_t n, float g, float th, float *y, float *d) {
  map<Kind::Sigmoid>(x, n, g, th, y, d);
}

double tanh1(double v) {
  return tanhKernel(v);
}
double sech2(double v) {
  return sech2Kernel(v);
}
double sigmoid1(double v) {
  return sigmoidKernel(v);
}
double sigmoidSlope(double v) {
  return sigmoidSlopeKernel(v);
}

} // namespace eqrnn::vmath
