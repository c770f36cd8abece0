#include "training/trainer.hpp"

#include "training/linalg.hpp"
#include "training/reduce.hpp"
#include <algorithm>
#include <cmath>
#include <sstream>

namespace eqrnn::training {

Trainer::Trainer(MPI_Comm comm, const TrainSpec &spec) : comm_(comm), spec_(spec) {}

PetscErrorCode Trainer::create(MPI_Comm comm, const TrainSpec &spec, std::unique_ptr<Trainer> *out) {
  PetscMPIInt rank = 0, size = 1;
  PetscFunctionBeginUser;
  const ModelSpec &m = spec.model;
  PetscCheck(m.n >= 1 && m.D >= 1 && spec.task.T >= 1 && spec.batch >= 1 && spec.chunk >= 1, comm,
             PETSC_ERR_USER_INPUT, "training needs n, D, T, batch and chunk >= 1");
  PetscCheck(static_cast<PetscInt>(spec.task.decay.size()) == m.D &&
                 static_cast<PetscInt>(spec.task.scale.size()) == m.D,
             comm, PETSC_ERR_USER_INPUT, "training needs D decays and D scales");
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  std::unique_ptr<Trainer> t(new Trainer(comm, spec));
  t->signs_  = daleSigns(m);
  t->chunks_ = (spec.batch + spec.chunk - 1) / spec.chunk;
  chunkRange(t->chunks_, rank, size, &t->firstChunk_, &t->localChunks_);
  if (spec.singlePrecision) {
    t->engineF_ = std::make_unique<Engine<float>>(m, spec.task.T);
    t->chunksF_.resize(static_cast<std::size_t>(t->localChunks_));
  } else {
    t->engineD_ = std::make_unique<Engine<double>>(m, spec.task.T);
    t->chunksD_.resize(static_cast<std::size_t>(t->localChunks_));
  }
  t->grad_.resize(m.n, m.D);
  *out = std::move(t);
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::initialise() {
  PetscFunctionBeginUser;
  state_ = TrainState();
  PetscCall(initialParameters(comm_, spec_.model, spec_.seed, &state_.params));
  initOptimizerState(spec_.optimizer, spec_.model.n, spec_.model.D, &state_.optimizer);
  state_.best = state_.params;
  PetscFunctionReturn(0);
}

void Trainer::effective(const std::vector<double> &W, std::vector<double> *Weff) const {
  effectiveW(spec_.model, signs_, W, Weff);
}

const Parameters &Trainer::result() const {
  return spec_.keepBest && state_.bestStep >= 0 ? state_.best : state_.params;
}

template <typename Real>
PetscErrorCode Trainer::gradientWith(Engine<Real> &engine, std::vector<typename Engine<Real>::Chunk> &chunks,
                                     std::vector<Real> &temp, const Parameters &p, long long step,
                                     double *loss, Parameters *grad, std::vector<double> *perChannel) {
  const PetscInt n = spec_.model.n, D = spec_.model.D;
  const std::size_t nD = static_cast<std::size_t>(n * D), record = static_cast<std::size_t>(D) + 2 * nD + n;
  std::vector<double> records(record * static_cast<std::size_t>(localChunks_), 0.0), X, Y;
  const std::vector<double> w = lossWeights(spec_.task, spec_.batch);
  PetscFunctionBeginUser;
  effective(p.W, &weff_);
  engine.setParameters(weff_, p);
  // Phase 1: forward and backward for every local chunk; the small per-chunk records.
  double bound = 0;
  for (long long j = 0; j < localChunks_; ++j) {
    const long long k    = firstChunk_ + j;
    const PetscInt first = static_cast<PetscInt>(k * spec_.chunk);
    const PetscInt count = std::min<PetscInt>(spec_.chunk, spec_.batch - first);
    double *r            = records.data() + record * static_cast<std::size_t>(j);
    trainingSequences(spec_.task, D, spec_.seed, static_cast<std::uint64_t>(step), first, count, &X, &Y);
    engine.forwardBackward(count, X, Y, w, &chunks[j], r, r + D, r + D + nD, r + D + 2 * nD);
    bound = std::max(bound, chunks[j].bound);
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bound, 1, MPI_DOUBLE, MPI_MAX, comm_));
  std::vector<double> sum;
  PetscCall(orderedChunkSum(comm_, firstChunk_, localChunks_, chunks_, record, records, &sum));
  // Phase 2: the chunks' recurrent gradients, summed exactly.
  ExactSum exact;
  exact.begin(static_cast<std::size_t>(n * n), bound, chunks_);
  temp.resize(static_cast<std::size_t>(n * n));
  for (long long j = 0; j < localChunks_ && bound > 0; ++j) {
    engine.recurrentGradient(chunks[j], temp.data());
    exact.add(temp.data());
  }
  grad->resize(n, D);
  PetscCall(exact.finish(comm_, grad->W.data()));
  // The rest, from the summed records (the same inputs on every rank, hence the same bits).
  *loss = 0;
  for (PetscInt c = 0; c < D; ++c)
    *loss += sum[c];
  if (perChannel) perChannel->assign(sum.begin(), sum.begin() + D);
  const double *P = sum.data() + D;
  std::copy(sum.begin() + D + static_cast<std::ptrdiff_t>(nD),
            sum.begin() + D + 2 * static_cast<std::ptrdiff_t>(nD), grad->Dec.begin());
  std::copy(sum.begin() + D + 2 * static_cast<std::ptrdiff_t>(nD), sum.end(), grad->b.begin());
  if (spec_.model.form == ModelForm::Authors) {
    // dL/dW += P E^T (the input part of u_t), dL/dE = W^T P.
    gemm('N', 'T', n, n, D, 1.0, P, n, p.E.data(), n, 1.0, grad->W.data(), n);
    gemm('T', 'N', n, D, n, 1.0, weff_.data(), n, P, n, 0.0, grad->E.data(), n);
  } else {
    std::copy(P, P + nD, grad->E.begin());
  }
  if (!signs_.empty()) // W_eff = |W| diag(s): dL/dW_ij = dL/dWeff_ij s_j sign(W_ij), sign(0) := +1
    for (PetscInt j = 0; j < n; ++j)
      for (PetscInt i = 0; i < n; ++i) {
        const std::size_t k = static_cast<std::size_t>(i + j * n);
        grad->W[k] *= signs_[j] * (p.W[k] < 0 ? -1.0 : 1.0);
      }
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::lossAndGradient(const Parameters &p, long long step, double *loss, Parameters *grad,
                                        std::vector<double> *perChannel) {
  PetscFunctionBeginUser;
  if (spec_.singlePrecision)
    PetscCall(gradientWith(*engineF_, chunksF_, tempF_, p, step, loss, grad, perChannel));
  else
    PetscCall(gradientWith(*engineD_, chunksD_, tempD_, p, step, loss, grad, perChannel));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::step(bool *diverged) {
  double loss = 0;
  PetscFunctionBeginUser;
  PetscCall(lossAndGradient(state_.params, state_.step, &loss, &grad_));
  state_.loss.push_back(loss);
  const double first = state_.loss.front();
  *diverged          = !std::isfinite(loss) ||
              (spec_.divergenceFactor > 0 && loss > spec_.divergenceFactor * std::max(first, 1e-300));
  if (*diverged) PetscFunctionReturn(0);
  if (loss < state_.bestLoss) {
    state_.bestLoss = loss;
    state_.bestStep = state_.step;
    if (spec_.keepBest) state_.best = state_.params;
  }
  TrainedBlocks blocks{true, spec_.model.trainEncoders, spec_.model.trainDecoders, spec_.model.trainBias};
  optimizerStep(spec_.optimizer, blocks, state_.step, grad_, &state_.params, &state_.optimizer);
  ++state_.step;
  PetscFunctionReturn(0);
}

} // namespace eqrnn::training
