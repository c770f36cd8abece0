#pragma once
// Counter-based random numbers: the value for (seed, stream, index) is a pure function of those three, so a
// state drawn on any number of ranks, in any order, is the same. (SplitMix64 finaliser on a combined
// counter.)
#include <Random123/philox.h>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace eqrnn {

inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in the open interval (0, 1).
inline double counterUniform(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  const std::uint64_t bits = mix64(mix64(mix64(seed) ^ stream) ^ index);
  return (static_cast<double>(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

// Standard normal (Box-Muller on two independent counters).
inline double counterNormal(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  const double u1 = counterUniform(seed, 2 * stream, index);
  const double u2 = counterUniform(seed, 2 * stream + 1, index);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// out[i] = scale * z(first + i) for n consecutive indices, z standard normal: Box-Muller on the counters of
// the pair j = index / 2, whose two normals (cosine and sine) are indices 2j and 2j + 1. Half the logarithms
// and one sincos per pair: a 10^8-neuron random state in a fraction of a second. Each value depends only on
// (seed, stream, index), so any split over ranks gives the same state.
inline void counterNormals(std::uint64_t seed, std::uint64_t stream, std::uint64_t first, std::size_t n,
                           double scale, double *out) {
  std::size_t i = 0;
  while (i < n) {
    const std::uint64_t index = first + i, j = index / 2;
    const double u1 = counterUniform(seed, 2 * stream, j);
    const double u2 = counterUniform(seed, 2 * stream + 1, j);
    const double r  = std::sqrt(-2.0 * std::log(u1));
    double s = 0, c = 0;
    ::sincos(2.0 * M_PI * u2, &s, &c);
    if (index % 2 == 0) {
      out[i++] = scale * (r * c);
      if (i < n) out[i++] = scale * (r * s);
    } else {
      out[i++] = scale * (r * s);
    }
  }
}

// Standard normal from Random123's Philox-2x64-10 keyed by the seed, counter (step, index): the noise of a
// neuron at a step, identical on any number of ranks and after any restart.
inline double philoxNormal(std::uint64_t seed, std::uint64_t step, std::uint64_t index) {
  r123::Philox2x64 rng;
  const r123::Philox2x64::ctr_type ctr = {{step, index}};
  const r123::Philox2x64::key_type key = {{seed}};
  const r123::Philox2x64::ctr_type r   = rng(ctr, key);
  const double u1 = (static_cast<double>(r.v[0] >> 11) + 0.5) * (1.0 / 9007199254740992.0);
  const double u2 = (static_cast<double>(r.v[1] >> 11) + 0.5) * (1.0 / 9007199254740992.0);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

} // namespace eqrnn
