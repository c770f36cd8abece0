#include "training/training_io.hpp"

#include "core/random.hpp"
#include "io/checkpoint.hpp"
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace eqrnn::training {

namespace {
constexpr long long kTrainingFormat = 1;

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

// "key=value;..." strings: the keys whose values differ.
std::string differences(const std::string &a, const std::string &b) {
  auto parse = [](const std::string &s) {
    std::vector<std::pair<std::string, std::string>> kv;
    std::istringstream in(s);
    std::string item;
    while (std::getline(in, item, ';')) {
      const auto eq = item.find('=');
      kv.emplace_back(item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1));
    }
    return kv;
  };
  const auto x = parse(a), y = parse(b);
  std::string out;
  for (const auto &[k, v] : y) {
    std::string theirs = "(missing)";
    for (const auto &[k2, v2] : x)
      if (k2 == k) theirs = v2;
    if (theirs != v) out += (out.empty() ? "" : ", ") + k + " " + theirs + " -> " + v;
  }
  return out.empty() ? "format" : out;
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
  if (exists(file.id(), path)) H5Ldelete(file.id(), path.c_str(), H5P_DEFAULT);
  hsize_t total = 1;
  for (hsize_t d : dims)
    total *= d;
  H5Dataspace fspace(dims.empty() ? H5Screate(H5S_SCALAR)
                                  : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  H5Dataset ds(
      H5Dcreate2(file.id(), path.c_str(), H5T_NATIVE_DOUBLE, fspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  PetscCheck(ds.valid(), comm, PETSC_ERR_FILE_WRITE, "cannot create dataset '%s'", path.c_str());
  int ok = 1;
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
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_WRITE, "writing dataset '%s' failed", path.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode readArray(Hdf5File &file, const std::string &path, std::vector<double> *data, bool *found,
                         std::vector<hsize_t> *dims) {
  MPI_Comm comm = file.comm();
  PetscFunctionBeginUser;
  *found = false;
  data->clear();
  if (!exists(file.id(), path)) PetscFunctionReturn(0);
  H5Dataset ds(H5Dopen2(file.id(), path.c_str(), H5P_DEFAULT));
  PetscCheck(ds.valid(), comm, PETSC_ERR_FILE_READ, "cannot open dataset '%s'", path.c_str());
  H5Dataspace space(H5Dget_space(ds));
  const int rank = H5Sget_simple_extent_ndims(space);
  PetscCheck(rank >= 0 && rank <= 8, comm, PETSC_ERR_FILE_READ, "dataset '%s' has rank %d", path.c_str(),
             rank);
  std::vector<hsize_t> d(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space, d.data(), nullptr);
  hsize_t total = 1;
  for (hsize_t x : d)
    total *= x;
  data->resize(static_cast<std::size_t>(total));
  int ok = total == 0 || H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data->data()) >= 0;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_READ, "reading dataset '%s' failed", path.c_str());
  if (dims) *dims = d;
  *found = true;
  PetscFunctionReturn(0);
}

PetscErrorCode writeTrainingCheckpoint(MPI_Comm comm, const std::string &output, const TrainSpec &spec,
                                       const TrainState &state) {
  Hdf5File f;
  TrainState &s   = const_cast<TrainState &>(state); // blocksOf hands out pointers; nothing is modified here
  const bool adam = spec.optimizer.kind == OptimizerKind::Adam;
  Checksum sum;
  PetscFunctionBeginUser;
  PetscCall(Hdf5File::create(comm, temporaryCheckpointPath(output), &f));
  for (const Block &b : blocksOf(&s, adam)) {
    PetscCall(writeArray(f, b.path, {static_cast<hsize_t>(b.data->size())}, b.data->data()));
    sum.add(*b.data);
  }
  PetscCall(f.writeAttributes("/", {{"kind", std::string("training")},
                                    {"format_version", kTrainingFormat},
                                    {"identity", trainingIdentity(spec)},
                                    {"n", static_cast<long long>(spec.model.n)},
                                    {"D", static_cast<long long>(spec.model.D)},
                                    {"step", state.step},
                                    {"best_step", state.bestStep},
                                    {"best_loss", state.bestLoss},
                                    {"restarts", static_cast<long long>(state.restartSteps.size())},
                                    {"restart_steps", joinSteps(state.restartSteps)},
                                    {"checksum", std::to_string(sum.sum)},
                                    {"complete", 1LL}}));
  PetscCall(f.close());
  PetscCall(commitCheckpoint(comm, output));
  PetscFunctionReturn(0);
}

PetscErrorCode readTrainingCheckpoint(MPI_Comm comm, const std::string &file, const TrainSpec &spec,
                                      TrainState *state, bool *ok, std::string *reason) {
  PetscFunctionBeginUser;
  *ok = false;
  if (!std::ifstream(file).good()) {
    *reason = file + ": missing";
    PetscFunctionReturn(0);
  }
  // Damage must not abort: every error below is a result.
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  Hdf5File f;
  PetscErrorCode code = Hdf5File::open(comm, file, &f, true);
  std::string kind, identity, checksum, restarts;
  double version = 0, step = 0, bestStep = 0, bestLoss = 0, complete = 0;
  bool present = true, p = false;
  for (auto [name, v] : {std::pair<const char *, double *>{"format_version", &version},
                         {"step", &step},
                         {"best_step", &bestStep},
                         {"best_loss", &bestLoss},
                         {"complete", &complete}})
    if (!code) code = f.readNumber("/", name, v, &p), present = present && p;
  for (auto [name, v] : {std::pair<const char *, std::string *>{"kind", &kind},
                         {"identity", &identity},
                         {"checksum", &checksum}})
    if (!code) code = f.readString("/", name, v, &p), present = present && p;
  if (!code) code = f.readString("/", "restart_steps", &restarts, &p); // optional: older checkpoints lack it
  const std::string mine = trainingIdentity(spec);
  TrainState s;
  const bool adam = spec.optimizer.kind == OptimizerKind::Adam;
  Checksum sum;
  const bool sameRun = !code && present && kind == "training" &&
                       static_cast<long long>(version) == kTrainingFormat && identity == mine;
  for (const Block &b : blocksOf(&s, adam)) {
    if (code || !sameRun) break;
    code    = readArray(f, b.path, b.data, &p);
    present = present && p;
    sum.add(*b.data);
  }
  if (!code) code = f.close();
  PetscPopErrorHandler();
  if (code || !present || complete != 1 || kind != "training") {
    *reason = file + ": unreadable or incomplete (corrupt or interrupted write)";
    PetscFunctionReturn(0);
  }
  if (static_cast<long long>(version) != kTrainingFormat) {
    *reason = file + ": training checkpoint format " + std::to_string(static_cast<long long>(version)) +
              ", this eqrnn reads " + std::to_string(kTrainingFormat);
    PetscFunctionReturn(0);
  }
  if (identity != mine) {
    *reason = file + ": written for another training run (" + differences(identity, mine) + ")";
    PetscFunctionReturn(0);
  }
  const std::size_t n = static_cast<std::size_t>(spec.model.n), D = static_cast<std::size_t>(spec.model.D);
  bool sizes = s.params.W.size() == n * n && s.params.E.size() == n * D && s.params.Dec.size() == n * D &&
               s.params.b.size() == n && s.best.W.size() == n * n &&
               s.loss.size() == static_cast<std::size_t>(step) &&
               (!adam || (s.optimizer.m.W.size() == n * n && s.optimizer.v.W.size() == n * n &&
                          s.optimizer.m.b.size() == n && s.optimizer.v.b.size() == n));
  if (checksum != std::to_string(sum.sum) || !sizes || !parseSteps(restarts, &s.restartSteps)) {
    *reason =
        file + ": the arrays do not match their checksum or sizes, or restart_steps is damaged (corrupt)";
    PetscFunctionReturn(0);
  }
  for (Parameters *q : {&s.params, &s.best, &s.optimizer.m, &s.optimizer.v}) {
    q->n = spec.model.n;
    q->D = spec.model.D;
  }
  if (!adam) s.optimizer = OptimizerState();
  s.step     = static_cast<long long>(step);
  s.bestStep = static_cast<long long>(bestStep);
  s.bestLoss = bestLoss;
  *state     = std::move(s);
  *ok        = true;
  PetscFunctionReturn(0);
}

PetscErrorCode findTrainingCheckpoint(MPI_Comm comm, const std::string &output, const TrainSpec &spec,
                                      TrainState *state, bool *found, std::string *chosen,
                                      std::vector<std::string> *notes) {
  PetscFunctionBeginUser;
  *found = false;
  for (const std::string &file : checkpointCandidates(output)) {
    if (!std::ifstream(file).good()) continue;
    TrainState s;
    bool ok = false;
    std::string reason;
    PetscCall(readTrainingCheckpoint(comm, file, spec, &s, &ok, &reason));
    if (!ok) {
      notes->push_back(reason);
      continue;
    }
    if (!*found || s.step > state->step) {
      *state  = std::move(s);
      *chosen = file;
      *found  = true;
    }
  }
  PetscFunctionReturn(0);
}

} // namespace eqrnn::training
