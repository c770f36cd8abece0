#include "training/optimizer.hpp"

#include <cmath>

namespace eqrnn::training {

std::string optimizerName(OptimizerKind k) {
  return k == OptimizerKind::Adam ? "adam" : "sgd";
}

void initOptimizerState(const OptimizerSpec &spec, PetscInt n, PetscInt D, OptimizerState *state) {
  state->m = Parameters();
  state->v = Parameters();
  if (spec.kind == OptimizerKind::Adam) {
    state->m.resize(n, D);
    state->v.resize(n, D);
  }
}

namespace {
void sgd(double lr, const std::vector<double> &grad, std::vector<double> *param) {
  const double *__restrict g = grad.data();
  double *__restrict p       = param->data();
  const std::size_t n        = grad.size();
  for (std::size_t i = 0; i < n; ++i)
    p[i] -= lr * g[i];
}
void adam(const OptimizerSpec &s, double c1, double c2, const std::vector<double> &grad,
          std::vector<double> *param, std::vector<double> *first, std::vector<double> *second) {
  const double b1 = s.beta1, b2 = s.beta2, step = s.lr / c1, inv2 = 1.0 / c2, eps = s.epsilon;
  const double *__restrict g = grad.data();
  double *__restrict p = param->data(), *__restrict m = first->data(), *__restrict v = second->data();
  const std::size_t n = grad.size();
  for (std::size_t i = 0; i < n; ++i) {
    const double mi = b1 * m[i] + (1 - b1) * g[i];
    const double vi = b2 * v[i] + (1 - b2) * g[i] * g[i];
    m[i]            = mi;
    v[i]            = vi;
    p[i] -= step * mi / (std::sqrt(vi * inv2) + eps);
  }
}
} // namespace

void optimizerStep(const OptimizerSpec &spec, const TrainedBlocks &blocks, long long step,
                   const Parameters &g, Parameters *p, OptimizerState *state) {
  if (spec.kind == OptimizerKind::Sgd) {
    if (blocks.W) sgd(spec.lr, g.W, &p->W);
    if (blocks.E) sgd(spec.lr, g.E, &p->E);
    if (blocks.Dec) sgd(spec.lr, g.Dec, &p->Dec);
    if (blocks.b) sgd(spec.lr, g.b, &p->b);
    return;
  }
  const double t  = static_cast<double>(step + 1);
  const double c1 = 1 - std::pow(spec.beta1, t), c2 = 1 - std::pow(spec.beta2, t);
  if (blocks.W) adam(spec, c1, c2, g.W, &p->W, &state->m.W, &state->v.W);
  if (blocks.E) adam(spec, c1, c2, g.E, &p->E, &state->m.E, &state->v.E);
  if (blocks.Dec) adam(spec, c1, c2, g.Dec, &p->Dec, &state->m.Dec, &state->v.Dec);
  if (blocks.b) adam(spec, c1, c2, g.b, &p->b, &state->m.b, &state->v.b);
}

} // namespace eqrnn::training
