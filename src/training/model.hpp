#pragma once
// The trained recurrent network (docs/mathematics.md section 9), n neurons and D channels, h_0 = 0:
//   authors' form (default):  h_t = phi(W (h_{t-1} + sum_c e_c x_{c,t})) + b
//   common form:              h_t = phi(W h_{t-1} + sum_c e_c x_{c,t} + b)
//   readout:                  y_{c,t} = d_c . h_t
// phi(a) = f(slope (a - threshold)) with f = identity, max(0, .), 1/(1 + e^-.), tanh. ReLU's derivative at
// the kink is a choice (a subgradient in [0, slope]); it is taken as phi'(threshold) = slope by default
// (-relu_derivative_at_zero 1): a network started from W = 0 has every pre-activation at exactly 0, and with
// phi'(0) = 0 no gradient would ever reach W.
// Dale's law (optional): the last round(f n) neurons are inhibitory, and the matrix used is
// W_eff = |W| diag(s) (s_j = -1 for inhibitory j, +1 otherwise); d|w|/dw at w = 0 is taken as +1, so that
// null initialisation still learns.
// Encoders e_c and decoders d_c: entries N(0, 1/n) from Philox keyed by the seed (the same on any number of
// ranks). W: 0 (null initialisation) or N(0, 1/n) rescaled to spectral radius -init_radius.
#include "model/transfer.hpp"
#include <petscsys.h>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace eqrnn::training {

enum class ModelForm { Authors, Common };
using Activation = TransferKind; // the same four functions as the designed networks' (model/transfer.hpp)

struct ModelSpec {
  PetscInt n = 1000, D = 2;
  ModelForm form = ModelForm::Authors;
  Activation phi = Activation::Relu;
  double slope = 1.0, threshold = 0.0;
  double reluDerivativeAtZero = 1.0; // phi'(threshold) / slope for ReLU, in [0, 1]
  double initRadius           = 0.0; // 0: null initialisation; else the spectral radius of the random W
  double daleFraction         = 0.0; // fraction of inhibitory neurons (0: no Dale's law)
  bool trainEncoders = false, trainDecoders = false, trainBias = false;
  double bias = 0.0; // initial value of every b_i
};

std::string formName(ModelForm f);
std::string activationName(Activation a);

// phi and phi' at a pre-activation a (the scalar reference; the engine has vectorised copies).
struct Phi {
  Activation kind = Activation::Relu;
  double slope = 1, threshold = 0, reluAtZero = 1;
  explicit Phi(const ModelSpec &m)
      : kind(m.phi), slope(m.slope), threshold(m.threshold), reluAtZero(m.reluDerivativeAtZero) {}
  double value(double a) const {
    const double z = slope * (a - threshold);
    switch (kind) {
    case Activation::Linear:
      return z;
    case Activation::Relu:
      return z > 0 ? z : 0.0;
    case Activation::Sigmoid:
      return 1.0 / (1.0 + std::exp(-z));
    case Activation::Tanh:
      return std::tanh(z);
    }
    return z;
  }
  double derivative(double a) const {
    const double z = slope * (a - threshold);
    switch (kind) {
    case Activation::Linear:
      return slope;
    case Activation::Relu:
      return z > 0 ? slope : (z == 0 ? slope * reluAtZero : 0.0);
    case Activation::Sigmoid: {
      const double s = 1.0 / (1.0 + std::exp(-z));
      return slope * s * (1 - s);
    }
    case Activation::Tanh: {
      const double t = std::tanh(z);
      return slope * (1 - t * t);
    }
    }
    return slope;
  }
};

// The trainable parameters, replicated on every rank, column-major:
//   W (n x n): W[i + j n] = W_ij (with Dale's law: the raw matrix whose |.| diag(s) is used)
//   E (n x D): E[i + c n] = (e_c)_i      Dec (n x D): Dec[i + c n] = (d_c)_i      b (n)
struct Parameters {
  PetscInt n = 0, D = 0;
  std::vector<double> W, E, Dec, b;
  void resize(PetscInt n_, PetscInt D_);
  void zero();
  std::size_t size() const { return W.size() + E.size() + Dec.size() + b.size(); }
  // All parameters as one vector (W, E, Dec, b) and back: optimisers and checkpoints work on this view.
  void flatten(std::vector<double> *all) const;
  void unflatten(const std::vector<double> &all);
};

// Dale's law signs: +1 excitatory, -1 inhibitory (empty when f = 0).
std::vector<double> daleSigns(const ModelSpec &m);
// The matrix the network uses: W, or |W| diag(s) under Dale's law.
void effectiveW(const ModelSpec &m, const std::vector<double> &signs, const std::vector<double> &W,
                std::vector<double> *Weff);

// Philox streams of the seeded draws (key word 2), so that encoders, decoders, W, training batches and test
// sequences never share random numbers.
enum class Stream : std::uint64_t { Encoders = 1, Decoders = 2, Recurrent = 3, Train = 4, Test = 5 };
// Standard normal from Philox-4x64 keyed (seed, stream), counter (a, b, c, d / 2); d selects one of the two
// normals of a Box-Muller pair. A pure function of its arguments.
double philoxNormal4(std::uint64_t seed, Stream stream, std::uint64_t a, std::uint64_t b, std::uint64_t c,
                     std::uint64_t d);
// Uniform in (0, 1) from the same generator (d selects one of four).
double philoxUniform4(std::uint64_t seed, Stream stream, std::uint64_t a, std::uint64_t b, std::uint64_t c,
                      std::uint64_t d);

// Initial parameters: encoders and decoders N(0, 1/n), W = 0 or random with spectral radius initRadius
// (eigenvalues computed on rank 0 and broadcast), b = bias. Collective.
PetscErrorCode initialParameters(MPI_Comm comm, const ModelSpec &m, std::uint64_t seed, Parameters *p);

} // namespace eqrnn::training
