#pragma once
// Forward pass and hand-written back-propagation through time for one chunk of sequences, in single or double
// precision (Real), with BLAS products on n x count blocks. A chunk is the unit of data parallelism: its
// results depend only on the parameters and its own sequences, never on which rank computes it.
//
// Notation (column-major, n x count blocks per step t = 0..T-1, stacked along columns as n x (count T)):
//   authors: u_t = h_{t-1} + E x_t,  a_t = W u_t (a_0 = (W E) x_0),  h_t = phi(a_t) + b
//   common:  a_t = W h_{t-1} + E x_t + b,                             h_t = phi(a_t)
//   y_t = Dec^T h_t,  loss = sum_c w_c sum (y - y*)^2,  r_t = dL/dy_t = 2 w (y_t - y*_t)
// Backward: g_{T-1} = Dec r_{T-1};  delta_t = phi'(a_t) g_t;  g_{t-1} = Dec r_{t-1} + W^T delta_t.
// Gradients: dL/dW = sum_{t>=1} delta_t h_{t-1}^T  (+ P E^T in the authors' form),  P = sum_t delta_t x_t^T;
//   authors: dL/dE = W^T P, dL/db = sum_t g_t;   common: dL/dE = P, dL/db = sum_t delta_t;
//   dL/dDec = sum_t h_t r_t^T.
// The chunk's sum_{t>=1} delta_t h_{t-1}^T (n x n, the expensive part) is formed in a second phase, once the
// scale of the exact cross-rank sum is known (see reduce.hpp); P, dL/dDec and the bias gradient are small.
#include "training/model.hpp"
#include <functional>

namespace eqrnn::training {

template <typename Real> class Engine {
public:
  Engine(const ModelSpec &m, PetscInt T);
  // The matrix the network uses (W, or |W| diag(s) under Dale's law) and the other parameters, in Real.
  void setParameters(const std::vector<double> &Weff, const Parameters &p);

  struct Chunk {
    PetscInt count = 0;
    std::vector<Real> H, S; // n x (count T): h_t; phi'(a_t), overwritten by delta_t in the backward pass
    double bound = 0;       // >= max |entry| of sum_{t>=1} delta_t h_{t-1}^T (exact arithmetic)
  };
  // Phase 1 for `count` sequences (X, Y: D x (count T), task.hpp's layout), loss weights w (D): adds the
  // weighted squared errors per channel to loss[D], and writes P (n x D), gDec (n x D) and gb (n).
  void forwardBackward(PetscInt count, const std::vector<double> &X, const std::vector<double> &Y,
                       const std::vector<double> &w, Chunk *chunk, double *loss, double *P, double *gDec,
                       double *gb);
  // Phase 2: G (n x n) = sum_{t>=1} delta_t h_{t-1}^T of the chunk (zero when T = 1).
  void recurrentGradient(const Chunk &chunk, Real *G) const;

  // Forward pass only, any length T: visit(t, current, h, y) with n x count arrays current (the recurrent
  // pre-activation current: a_t in the authors' form, W h_{t-1} in the common form) and h_t, and y_t
  // (D x count). Memory independent of T.
  using Visitor = std::function<void(PetscInt t, const Real *current, const Real *h, const Real *y)>;
  void forward(PetscInt count, PetscInt T, const std::vector<double> &X, const Visitor &visit);

  PetscInt n() const { return n_; }

private:
  void activate(PetscInt count, const Real *A, Real *H, Real *S) const;
  ModelSpec m_;
  PetscInt n_, D_, T_;
  std::vector<Real> W_, E_, Dec_, b_, WE_;
  std::vector<Real> A_, U_, G_, X_, R_, Y_, P_, Hprev_;
};

extern template class Engine<float>;
extern template class Engine<double>;

} // namespace eqrnn::training
