#include "training/training_io.hpp"

#include "core/collective.hpp"
#include "core/random.hpp"
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace eqrnn::training {

namespace {
// Order-dependent checksum of the bits of a sequence of arrays (the same on every rank: they are replicated).
struct Checksum {
  std::uint64_t sum = 0, index = 0;
  void add(const std::vector<double> &v) {
    for (double x : v) {
      std::uint64_t bits = 0;
      std::memcpy(&bits, &x, sizeof bits);
      sum += mix64(bits ^ mix64(++index));
    }
  }
};

struct Block {
  std::string path;
  std::vector<double> *data;
};

std::vector<Block> blocksOf(TrainState *s, bool adam) {
  std::vector<Block> b{
      {"/params/W", &s->params.W}, {"/params/E", &s->params.E}, {"/params/Dec", &s->params.Dec},
      {"/params/b", &s->params.b}, {"/best/W", &s->best.W},     {"/best/E", &s->best.E},
      {"/best/Dec", &s->best.Dec}, {"/best/b", &s->best.b},     {"/loss", &s->loss}};
  if (adam) {
    for (auto &[name, p] :
         {std::pair<const char *, Parameters *>{"/adam/m", &s->optimizer.m}, {"/adam/v", &s->optimizer.v}}) {
      b.push_back({std::string(name) + "/W", &p->W});
      b.push_back({std::string(name) + "/E", &p->E});
      b.push_back({std::string(name) + "/Dec", &p->Dec});
      b.push_back({std::string(name) + "/b", &p->b});
    }
  }
  return b;
}

// The steps of joinSteps; false when the text is not such a list.
bool parseSteps(const std::string &text, std::vector<long long> *steps) {
  std::istringstream in(text);
  std::string item;
  steps->clear();
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    long long s      = -1;
    try {
      s = std::stoll(item, &used);
    } catch (const std::exception &) {
      return false;
    }
    if (used != item.size() || s < 0) return false;
    steps->push_back(s);
  }
  return true;
}

} // namespace

std::string joinSteps(const std::vector<long long> &steps) {
  std::string out;
  for (long long s : steps)
    out += (out.empty() ? "" : ",") + std::to_string(s);
  return out;
}


PetscErrorCode writeTrainingCheckpoint(ResumableRun &run, const TrainSpec &spec, const TrainState &state) {
  TrainState &s   = const_cast<TrainState &>(state); // blocksOf hands out pointers; nothing is modified here
  const bool adam = spec.optimizer.kind == OptimizerKind::Adam;
  PetscFunctionBeginUser;
  PetscCall(run.write([&](Hdf5File &f) -> PetscErrorCode {
    Checksum sum;
    PetscFunctionBeginUser;
    for (const Block &b : blocksOf(&s, adam)) {
      PetscCall(writeArray(f, b.path, {static_cast<hsize_t>(b.data->size())}, b.data->data()));
      sum.add(*b.data);
    }
    PetscCall(f.writeAttributes("/", {{"n", static_cast<long long>(spec.model.n)},
                                      {"D", static_cast<long long>(spec.model.D)},
                                      {"step", state.step},
                                      {"best_step", state.bestStep},
                                      {"best_loss", state.bestLoss},
                                      {"restarts", static_cast<long long>(state.restartSteps.size())},
                                      {"restart_steps", joinSteps(state.restartSteps)},
                                      {"checksum", std::to_string(sum.sum)}}));
    PetscFunctionReturn(0);
  }));
  PetscFunctionReturn(0);
}

ResumableRun::Reader trainingCheckpointReader(MPI_Comm, const TrainSpec &spec, TrainState *staged) {
  return [spec, staged](Hdf5File &f, const std::string &, double *position,
                        std::string *damage) -> PetscErrorCode {
    std::string checksum, restarts;
    double step = 0, bestStep = 0, bestLoss = 0;
    bool a = false, b = false, c = false, d = false, e = false;
    const bool adam = spec.optimizer.kind == OptimizerKind::Adam;
    Checksum sum;
    PetscFunctionBeginUser;
    *staged = TrainState();
    PetscCall(f.readNumber("/", "step", &step, &a));
    PetscCall(f.readNumber("/", "best_step", &bestStep, &b));
    PetscCall(f.readNumber("/", "best_loss", &bestLoss, &c));
    PetscCall(f.readString("/", "checksum", &checksum, &d));
    PetscCall(f.readString("/", "restart_steps", &restarts, &e));
    if (!(a && b && c && d && e)) {
      *damage = "fields missing";
      PetscFunctionReturn(0);
    }
    bool present = true, p = false;
    for (const Block &block : blocksOf(staged, adam)) {
      PetscCall(readArray(f, block.path, block.data, &p));
      present = present && p;
      sum.add(*block.data);
    }
    const std::size_t n = static_cast<std::size_t>(spec.model.n), D = static_cast<std::size_t>(spec.model.D);
    const TrainState &s = *staged;
    const bool sizes    = s.params.W.size() == n * n && s.params.E.size() == n * D &&
                       s.params.Dec.size() == n * D && s.params.b.size() == n && s.best.W.size() == n * n &&
                       s.loss.size() == static_cast<std::size_t>(step) &&
                       (!adam || (s.optimizer.m.W.size() == n * n && s.optimizer.v.W.size() == n * n &&
                                  s.optimizer.m.b.size() == n && s.optimizer.v.b.size() == n));
    if (!present || checksum != std::to_string(sum.sum) || !sizes ||
        !parseSteps(restarts, &staged->restartSteps)) {
      *damage = "the arrays do not match their checksum or sizes, or restart_steps is damaged";
      PetscFunctionReturn(0);
    }
    for (Parameters *q : {&staged->params, &staged->best, &staged->optimizer.m, &staged->optimizer.v}) {
      q->n = spec.model.n;
      q->D = spec.model.D;
    }
    if (!adam) staged->optimizer = OptimizerState();
    staged->step     = static_cast<long long>(step);
    staged->bestStep = static_cast<long long>(bestStep);
    staged->bestLoss = bestLoss;
    *position        = step;
    PetscFunctionReturn(0);
  };
}

PetscErrorCode resumeTraining(ResumableRun &run, const TrainSpec &spec, TrainState *state, bool *resumed) {
  TrainState staged;
  PetscFunctionBeginUser;
  PetscCall(run.resume(
      trainingCheckpointReader(run.comm(), spec, &staged), [&] { *state = std::move(staged); }, resumed));
  PetscFunctionReturn(0);
}

} // namespace eqrnn::training
