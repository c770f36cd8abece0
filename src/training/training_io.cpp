#include "training/training_io.hpp"

#include "core/collective.hpp"
#include "core/random.hpp"
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace eqrnn::training {

namespace {
bool exists(hid_t file, const std::string &path) {
  std::size_t pos = 0;
  while ((pos = path.find('/', pos + 1)) != std::string::npos)
    if (H5Lexists(file, path.substr(0, pos).c_str(), H5P_DEFAULT) <= 0) return false;
  return H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0;
}

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

PetscErrorCode writeArray(Hdf5File &file, const std::string &path, const std::vector<hsize_t> &dims,
                          const double *data) {
  PetscMPIInt rank = 0;
  MPI_Comm comm    = file.comm();
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) PetscCall(file.ensureGroup(path.substr(0, slash)));
  bool present = false;
  PetscCall(allRanks(comm, exists(file.id(), path), &present));
  if (present) H5Ldelete(file.id(), path.c_str(), H5P_DEFAULT);
  hsize_t total = 1;
  for (hsize_t d : dims)
    total *= d;
  H5Dataspace fspace(dims.empty() ? H5Screate(H5S_SCALAR)
                                  : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  H5Dataset ds(
      H5Dcreate2(file.id(), path.c_str(), H5T_NATIVE_DOUBLE, fspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  EQRNN_CHECK_ALL(comm, ds.valid(), PETSC_ERR_FILE_WRITE, "cannot create dataset '%s'", path.c_str());
  bool ok = true;
  if (total > 0) {
    H5Dataspace mspace(H5Scopy(fspace));
    if (rank != 0) {
      H5Sselect_none(fspace);
      H5Sselect_none(mspace);
    }
    H5Plist dxpl(H5Pcreate(H5P_DATASET_XFER));
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    ok = H5Dwrite(ds, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, data) >= 0;
  }
  EQRNN_CHECK_ALL(comm, ok && !injectedFault(FaultSite::Hdf5Write), PETSC_ERR_FILE_WRITE,
                  "writing dataset '%s' failed", path.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode readArray(Hdf5File &file, const std::string &path, std::vector<double> *data, bool *found,
                         std::vector<hsize_t> *dims) {
  MPI_Comm comm = file.comm();
  PetscFunctionBeginUser;
  bool present = false;
  *found       = false;
  data->clear();
  PetscCall(allRanks(comm, exists(file.id(), path), &present));
  if (!present) PetscFunctionReturn(0);
  H5Dataset ds(H5Dopen2(file.id(), path.c_str(), H5P_DEFAULT));
  EQRNN_CHECK_ALL(comm, ds.valid(), PETSC_ERR_FILE_READ, "cannot open dataset '%s'", path.c_str());
  H5Dataspace space(H5Dget_space(ds));
  const int rank = H5Sget_simple_extent_ndims(space);
  EQRNN_CHECK_ALL(comm, rank >= 0 && rank <= 8, PETSC_ERR_FILE_READ, "dataset '%s' has rank %d", path.c_str(),
                  rank);
  std::vector<hsize_t> d(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space, d.data(), nullptr);
  hsize_t total = 1;
  for (hsize_t x : d)
    total *= x;
  data->resize(static_cast<std::size_t>(total));
  const bool ok =
      total == 0 || H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data->data()) >= 0;
  EQRNN_CHECK_ALL(comm, ok, PETSC_ERR_FILE_READ, "reading dataset '%s' failed", path.c_str());
  if (dims) *dims = d;
  *found = true;
  PetscFunctionReturn(0);
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
