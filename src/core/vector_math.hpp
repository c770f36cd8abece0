#pragma once
// Vectorised transfer functions: tanh and the logistic sigmoid of g (x - th), with their derivatives, over
// arrays. glibc's scalar tanh costs about 15 ns an element, as much as a whole FFT round trip of the state;
// these loops run at SIMD width (AVX-512, AVX2 or SSE2, chosen once at load time).
//
// Accuracy: a few ulp over the whole double range against a long-double reference (tests/unit/
// test_vector_math.cpp measures the maximum over 10^7 points and the special values). Determinism: every
// operation is a separately rounded IEEE operation (no FMA contraction, no fast-math; the file is compiled
// with -ffp-contract=off), so an element's result does not depend on the SIMD width, on its position in the
// array or on the array's length: the same input gives the same bits on any rank count and any of the x86
// code paths.
//
// Special values: tanh(+-0) = +-0, tanh(+-inf) = +-1, sigmoid(-inf) = 0, sigmoid(+inf) = 1, derivatives at
// +-inf are 0, NaN in gives NaN out. Subnormal inputs are handled (tanh(x) = x there); results that underflow
// are subnormal or zero as in libm.
#include <cstddef>

namespace eqrnn::vmath {

// y = f(g (x - th)) and d = g f'(g (x - th)) for n elements; y or d may be null (not computed). x may alias y
// or d. The float versions compute in double and round once to float.
void tanh(const double *x, std::size_t n, double g, double th, double *y, double *d);
void tanh(const float *x, std::size_t n, float g, float th, float *y, float *d);
void sigmoid(const double *x, std::size_t n, double g, double th, double *y, double *d);
void sigmoid(const float *x, std::size_t n, float g, float th, float *y, float *d);

// The scalar kernels the loops use (one element; the same bits as the array versions).
double tanh1(double v);
double sech2(double v); // 1 - tanh(v)^2, without cancellation
double sigmoid1(double v);
double sigmoidSlope(double v); // sigmoid'(v) = sigmoid(v) (1 - sigmoid(v))

} // namespace eqrnn::vmath
