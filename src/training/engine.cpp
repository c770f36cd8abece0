#include "training/engine.hpp"

#include "training/linalg.hpp"
#include "core/vector_math.hpp"
#include <algorithm>
#include <cmath>

namespace eqrnn::training {

namespace {
template <typename Real> void convert(const std::vector<double> &in, std::vector<Real> *out) {
  out->resize(in.size());
  for (std::size_t i = 0; i < in.size(); ++i)
    (*out)[i] = static_cast<Real>(in[i]);
}
std::size_t sz(PetscInt v) {
  return static_cast<std::size_t>(v);
}
} // namespace

template <typename Real>
Engine<Real>::Engine(const ModelSpec &m, PetscInt T) : m_(m), n_(m.n), D_(m.D), T_(T) {}

template <typename Real>
void Engine<Real>::setParameters(const std::vector<double> &Weff, const Parameters &p) {
  convert(Weff, &W_);
  convert(p.E, &E_);
  convert(p.Dec, &Dec_);
  convert(p.b, &b_);
  if (m_.form == ModelForm::Authors) { // a_0 = W (E x_0): the n x D product once per parameter set
    WE_.assign(sz(n_ * D_), Real(0));
    gemm('N', 'N', n_, D_, n_, Real(1), W_.data(), n_, E_.data(), n_, Real(0), WE_.data(), n_);
  }
}

template <typename Real> void Engine<Real>::activate(PetscInt count, const Real *A, Real *H, Real *S) const {
  const Real k = static_cast<Real>(m_.slope), th = static_cast<Real>(m_.threshold);
  const Real kink         = static_cast<Real>(m_.slope * m_.reluDerivativeAtZero);
  const std::size_t total = sz(n_ * count);
  switch (m_.phi) {
  case Activation::Linear:
    for (std::size_t i = 0; i < total; ++i) {
      H[i] = k * (A[i] - th);
      S[i] = k;
    }
    break;
  case Activation::Relu:
    for (std::size_t i = 0; i < total; ++i) {
      const Real z = k * (A[i] - th);
      H[i]         = z > 0 ? z : Real(0);
      S[i]         = z > 0 ? k : (z == 0 ? kink : Real(0)); // phi'(threshold): the explicit choice
    }
    break;
  case Activation::Sigmoid: // vectorised, in double, rounded once to Real (core/vector_math.hpp)
    vmath::sigmoid(A, total, k, th, H, S);
    break;
  case Activation::Tanh:
    vmath::tanh(A, total, k, th, H, S);
    break;
  }
  if (m_.form == ModelForm::Authors) // h = phi(a) + b
    for (PetscInt b = 0; b < count; ++b)
      for (PetscInt i = 0; i < n_; ++i)
        H[i + b * n_] += b_[i];
}

template <typename Real>
void Engine<Real>::forwardBackward(PetscInt count, const std::vector<double> &X, const std::vector<double> &Y,
                                   const std::vector<double> &w, Chunk *chunk, double *loss, double *P,
                                   double *gDec, double *gb) {
  const PetscInt n = n_, D = D_, T = T_, c = count, block = n * count;
  const bool authors = m_.form == ModelForm::Authors;
  chunk->count       = count;
  chunk->H.resize(sz(block * T));
  chunk->S.resize(sz(block * T));
  A_.resize(sz(block));
  U_.resize(sz(block));
  G_.resize(sz(block));
  R_.assign(sz(D * c * T), Real(0));
  Y_.resize(sz(D * c));
  convert(X, &X_);
  Real *H = chunk->H.data(), *S = chunk->S.data();
  // Forward.
  for (PetscInt t = 0; t < T; ++t) {
    const Real *xt = X_.data() + D * c * t;
    Real *Ht = H + block * t, *St = S + block * t;
    if (authors) {
      if (t == 0) {
        gemm('N', 'N', n, c, D, Real(1), WE_.data(), n, xt, D, Real(0), A_.data(), n);
      } else {
        std::copy(H + block * (t - 1), H + block * t, U_.begin());
        gemm('N', 'N', n, c, D, Real(1), E_.data(), n, xt, D, Real(1), U_.data(), n);
        gemm('N', 'N', n, c, n, Real(1), W_.data(), n, U_.data(), n, Real(0), A_.data(), n);
      }
    } else {
      gemm('N', 'N', n, c, D, Real(1), E_.data(), n, xt, D, Real(0), A_.data(), n);
      if (t > 0)
        gemm('N', 'N', n, c, n, Real(1), W_.data(), n, H + block * (t - 1), n, Real(1), A_.data(), n);
      for (PetscInt b = 0; b < c; ++b)
        for (PetscInt i = 0; i < n; ++i)
          A_[i + b * n] += b_[i];
    }
    activate(c, A_.data(), Ht, St);
    gemm('T', 'N', D, c, n, Real(1), Dec_.data(), n, Ht, n, Real(0), Y_.data(), D);
    for (PetscInt b = 0; b < c; ++b)
      for (PetscInt ch = 0; ch < D; ++ch) {
        const std::size_t k = sz(ch + D * (t * c + b));
        const double e      = static_cast<double>(Y_[ch + b * D]) - Y[k];
        loss[ch] += w[ch] * e * e;
        R_[k] = static_cast<Real>(2.0 * w[ch] * e);
      }
  }
  // Backward through time.
  std::vector<double> bias(sz(n), 0.0);
  gemm('N', 'N', n, c, D, Real(1), Dec_.data(), n, R_.data() + D * c * (T - 1), D, Real(0), G_.data(), n);
  for (PetscInt t = T - 1; t >= 0; --t) {
    Real *St = S + block * t; // becomes delta_t
    for (PetscInt b = 0; b < c; ++b)
      for (PetscInt i = 0; i < n; ++i) {
        const std::size_t k = sz(i + b * n);
        if (authors) bias[i] += static_cast<double>(G_[k]);
        St[k] *= G_[k];
        if (!authors) bias[i] += static_cast<double>(St[k]);
      }
    if (t > 0) {
      gemm('N', 'N', n, c, D, Real(1), Dec_.data(), n, R_.data() + D * c * (t - 1), D, Real(0), G_.data(), n);
      gemm('T', 'N', n, c, n, Real(1), W_.data(), n, St, n, Real(1), G_.data(), n);
    }
  }
  // Small gradients: P = sum_t delta_t x_t^T and dL/dDec = sum_t h_t r_t^T.
  P_.resize(sz(n * D));
  gemm('N', 'T', n, D, c * T, Real(1), S, n, X_.data(), D, Real(0), P_.data(), n);
  for (std::size_t i = 0; i < P_.size(); ++i)
    P[i] = static_cast<double>(P_[i]);
  gemm('N', 'T', n, D, c * T, Real(1), H, n, R_.data(), D, Real(0), P_.data(), n);
  for (std::size_t i = 0; i < P_.size(); ++i)
    gDec[i] = static_cast<double>(P_[i]);
  std::copy(bias.begin(), bias.end(), gb);
  // Bound on the chunk's recurrent gradient: |sum_k delta_ik h_jk| <= (max_i sum_k |delta_ik|) max |h|.
  chunk->bound = 0;
  if (T > 1) {
    std::vector<double> rows(sz(n), 0.0);
    const Real *delta = S + block; // t >= 1
    for (PetscInt k = 0; k < c * (T - 1); ++k)
      for (PetscInt i = 0; i < n; ++i)
        rows[i] += std::abs(static_cast<double>(delta[i + k * n]));
    double hmax = 0;
    for (PetscInt k = 0; k < block * (T - 1); ++k)
      hmax = std::max(hmax, std::abs(static_cast<double>(H[k])));
    chunk->bound = *std::max_element(rows.begin(), rows.end()) * hmax;
  }
}

template <typename Real> void Engine<Real>::recurrentGradient(const Chunk &chunk, Real *G) const {
  const PetscInt n = n_, c = chunk.count, block = n * c;
  if (T_ < 2) {
    std::fill(G, G + n * n, Real(0));
    return;
  }
  gemm('N', 'T', n, n, c * (T_ - 1), Real(1), chunk.S.data() + block, n, chunk.H.data(), n, Real(0), G, n);
}

template <typename Real>
void Engine<Real>::forward(PetscInt count, PetscInt T, const std::vector<double> &X, const Visitor &visit) {
  const PetscInt n = n_, D = D_, c = count, block = n * count;
  const bool authors = m_.form == ModelForm::Authors;
  A_.resize(sz(block));
  U_.resize(sz(block));
  G_.resize(sz(block)); // the current in the common form
  Hprev_.assign(sz(block), Real(0));
  std::vector<Real> H(sz(block)), S(sz(block));
  Y_.resize(sz(D * c));
  convert(X, &X_);
  for (PetscInt t = 0; t < T; ++t) {
    const Real *xt      = X_.data() + D * c * t;
    const Real *current = nullptr;
    if (authors) {
      std::copy(Hprev_.begin(), Hprev_.end(), U_.begin());
      gemm('N', 'N', n, c, D, Real(1), E_.data(), n, xt, D, Real(1), U_.data(), n);
      gemm('N', 'N', n, c, n, Real(1), W_.data(), n, U_.data(), n, Real(0), A_.data(), n);
      current = A_.data();
    } else {
      gemm('N', 'N', n, c, n, Real(1), W_.data(), n, Hprev_.data(), n, Real(0), G_.data(), n);
      std::copy(G_.begin(), G_.end(), A_.begin());
      gemm('N', 'N', n, c, D, Real(1), E_.data(), n, xt, D, Real(1), A_.data(), n);
      for (PetscInt b = 0; b < c; ++b)
        for (PetscInt i = 0; i < n; ++i)
          A_[i + b * n] += b_[i];
      current = G_.data();
    }
    activate(c, A_.data(), H.data(), S.data());
    gemm('T', 'N', D, c, n, Real(1), Dec_.data(), n, H.data(), n, Real(0), Y_.data(), D);
    visit(t, current, H.data(), Y_.data());
    std::swap(Hprev_, H);
  }
}

template class Engine<float>;
template class Engine<double>;

} // namespace eqrnn::training
