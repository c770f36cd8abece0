#include "io/simulation_output.hpp"

#include "eqrnn/version.hpp"
#include "core/collective.hpp"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <unistd.h>

namespace eqrnn {

const std::vector<std::pair<const char *, StoragePrecision>> &storagePrecisionNames() {
  static const std::vector<std::pair<const char *, StoragePrecision>> names{
      {"double", StoragePrecision::Double}, {"single", StoragePrecision::Single}};
  return names;
}

std::string isoTimeNow() {
  char buf[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

PetscErrorCode provenanceAttributes(MPI_Comm comm, std::vector<Attribute> *attrs) {
  PetscMPIInt size = 1;
  char *all        = nullptr;
  char host[256]   = "unknown";
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscOptionsGetAll(nullptr, &all));
  gethostname(host, sizeof(host) - 1); // each rank's own: writeAttributes writes rank 0's values
  attrs->push_back({"eqrnn_version", std::string(kVersion)});
  attrs->push_back({"git_commit", std::string(kGitCommit)});
  attrs->push_back({"mpi_size", static_cast<long long>(size)});
  attrs->push_back({"host", std::string(host)});
  attrs->push_back({"started", isoTimeNow()});
  attrs->push_back({"options", std::string(all ? all : "")});
  PetscCall(PetscFree(all));
  PetscFunctionReturn(0);
}

PetscErrorCode createParentDirectory(MPI_Comm comm, const std::string &path) {
  PetscMPIInt rank = 0;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec; // a failure shows up as the file creation error that follows, which names the path
  if (rank == 0 && !parent.empty()) std::filesystem::create_directories(parent, ec);
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(0);
}

std::string stateShape(const Group &group, PetscInt channels) {
  std::string shape;
  for (std::size_t i = 0; i < group.numFactors(); ++i)
    if (group.factor(i).isCyclic() || group.factor(i).axisOrder() > 1)
      shape += (shape.empty() ? "" : "x") + std::to_string(group.factor(i).axisOrder());
  const PetscInt m = group.quotientOrder() * channels;
  if (m > 1 || shape.empty()) shape += (shape.empty() ? "" : "x") + std::to_string(m);
  return shape;
}

PetscErrorCode createResultFile(MPI_Comm comm, const std::string &path, const Group &group,
                                const std::vector<Attribute> &parameters, Hdf5File *file, PetscInt channels) {
  std::vector<Attribute> root{{"group", group.spec()},
                              {"N", static_cast<long long>(group.order() * channels)},
                              {"channels", static_cast<long long>(channels)},
                              {"state_shape", stateShape(group, channels)},
                              {"restarts", 0LL}}; // counted up by resume()
  PetscFunctionBeginUser;
  PetscCall(provenanceAttributes(comm, &root));
  PetscCall(createParentDirectory(comm, path));
  PetscCall(Hdf5File::create(comm, path, file));
  PetscCall(file->writeAttributes("/", root));
  PetscCall(file->ensureGroup("/parameters"));
  PetscCall(file->writeAttributes("/parameters", parameters));
  // On disk from the start: the file's metadata reaches the disk only at flushes (hdf5_file.cpp).
  PetscCall(file->flush());
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationOutput::create(MPI_Comm comm, const std::string &path, const Group &group,
                                        const std::vector<Attribute> &parameters, PetscInt channels) {
  lastFlush_ = MPI_Wtime(); // createResultFile flushes
  return createResultFile(comm, path, group, parameters, &file_, channels);
}

PetscErrorCode SimulationOutput::flush() {
  PetscFunctionBeginUser;
  PetscCall(file_.flush());
  lastFlush_ = MPI_Wtime();
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationOutput::flushIfDue() {
  int due = MPI_Wtime() - lastFlush_ >= kFlushSeconds;
  PetscFunctionBeginUser;
  // H5Fflush is collective: every rank follows rank 0's clock.
  PetscCallMPI(MPI_Bcast(&due, 1, MPI_INT, 0, file_.comm()));
  if (due) PetscCall(flush());
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationOutput::resume(MPI_Comm comm, const std::string &path, hsize_t samples, double t) {
  double restarts = 0;
  bool found      = false;
  std::string times;
  PetscFunctionBeginUser;
  PetscCall(Hdf5File::open(comm, path, &file_));
  samples_        = samples;
  resumedSamples_ = samples; // the rows are cut back in setContent, which knows the datasets
  PetscCall(file_.writeAttributes("/trajectory", {{"count", static_cast<long long>(samples_)}}));
  PetscCall(file_.readNumber("/", "restarts", &restarts, &found));
  PetscCall(file_.readString("/", "restart_times", &times, &found));
  char stamp[64] = {0};
  std::snprintf(stamp, sizeof(stamp), "%s%.17g", times.empty() ? "" : ",", t);
  PetscCall(file_.writeAttributes("/", {{"restarts", static_cast<long long>(restarts) + 1},
                                        {"restart_times", times + stamp},
                                        {"last_restart", isoTimeNow()}})); // rank 0's clock (writeAttributes)
  PetscCall(flush()); // the truncation and the restart count reach the disk before any new sample
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationOutput::setContent(const TrajectoryContent &content, const Group &group,
                                            PetscInt channels, Vec layout) {
  PetscFunctionBeginUser;
  content_ = content;
  PetscCall(observables_.setup(group, channels, layout));
  PetscCall(setupSubset(group, channels, layout));
  axisNames_.clear();
  for (std::size_t axis : observables_.axes())
    axisNames_.push_back(std::to_string(axis));
  const bool single = content_.precision == StoragePrecision::Single;
  PetscCall(
      file_.writeAttributes("/", {{"trajectory_states", static_cast<long long>(content_.states)},
                                  {"trajectory_observables", static_cast<long long>(content_.observables)},
                                  {"trajectory_precision", std::string(single ? "single" : "double")},
                                  {"trajectory_compression", static_cast<long long>(content_.compression)}}));
  if (resumedSamples_ > 0) { // a resumed run: later rows were written after the checkpoint, and come again
    PetscCall(file_.truncateRows("/trajectory/t", resumedSamples_));
    for (const auto &path : sampleDatasets())
      PetscCall(file_.truncateRows(path, resumedSamples_));
    PetscCall(flush());
  }
  PetscFunctionReturn(0);
}

bool parseSlab(const std::string &text, const std::vector<PetscInt> &orders,
               std::vector<std::pair<PetscInt, PetscInt>> *slab, std::string *why) {
  slab->clear();
  if (text.empty()) return true;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string item  = text.substr(at, comma - at);
    const std::size_t colon = item.find(':');
    const std::size_t i     = slab->size();
    if (colon == std::string::npos || i >= orders.size()) {
      *why = colon == std::string::npos
                 ? "'" + item + "' is not lo:hi"
                 : "more ranges than the " + std::to_string(orders.size()) + " factor(s)";
      return false;
    }
    auto bound = [&](const std::string &b, PetscInt fallback, PetscInt *v) {
      if (b.empty()) return *v = fallback, true;
      char *end             = nullptr;
      const long long value = std::strtoll(b.c_str(), &end, 10);
      *v                    = static_cast<PetscInt>(value);
      return end && *end == '\0';
    };
    PetscInt lo = 0, hi = 0;
    if (!bound(item.substr(0, colon), 0, &lo) || !bound(item.substr(colon + 1), orders[i], &hi)) {
      *why = "'" + item + "': the bounds are not integers";
      return false;
    }
    if (!(0 <= lo && lo < hi && hi <= orders[i])) {
      *why = "'" + item + "' is not a non-empty range within 0:" + std::to_string(orders[i]);
      return false;
    }
    slab->push_back({lo, hi});
    at = comma + 1;
  }
  if (slab->size() != orders.size()) {
    *why = std::to_string(slab->size()) + " range(s) for the " + std::to_string(orders.size()) +
           " factor(s) (one per factor)";
    return false;
  }
  return true;
}

PetscErrorCode SimulationOutput::readIndexList(MPI_Comm comm, PetscInt total,
                                               std::vector<PetscInt> *list) const {
  std::string path = content_.indexFile, dataset = "/indices";
  PetscFunctionBeginUser;
  list->clear();
  if (path.empty()) PetscFunctionReturn(0);
  const std::size_t colon = path.rfind(':');
  if (colon != std::string::npos && colon + 1 < path.size() && path[colon + 1] == '/') {
    dataset = path.substr(colon + 1);
    path    = path.substr(0, colon);
  }
  bool exists = false;
  PetscCall(fileExistsEverywhere(comm, path, &exists));
  PetscCheck(exists, comm, PETSC_ERR_FILE_OPEN, "-trajectory_indices: cannot read '%s'", path.c_str());
  Hdf5File f;
  std::vector<double> values;
  bool found = false;
  PetscCall(Hdf5File::open(comm, path, &f, true));
  PetscCall(readArray(f, dataset, &values, &found));
  PetscCall(f.close());
  PetscCheck(found, comm, PETSC_ERR_FILE_READ, "-trajectory_indices: '%s' has no dataset %s", path.c_str(),
             dataset.c_str());
  for (double v : values) {
    // Every rank read the same values: the check agrees everywhere.
    PetscCheck(std::isfinite(v) && v == std::floor(v) && v >= 0 && v < static_cast<double>(total), comm,
               PETSC_ERR_USER_INPUT,
               "-trajectory_indices: %g in %s:%s is not a neuron index in 0..%" PetscInt_FMT, v, path.c_str(),
               dataset.c_str(), total - 1);
    list->push_back(static_cast<PetscInt>(v));
  }
  std::sort(list->begin(), list->end());
  list->erase(std::unique(list->begin(), list->end()), list->end());
  PetscCheck(!list->empty(), comm, PETSC_ERR_USER_INPUT, "-trajectory_indices: %s:%s holds no index",
             path.c_str(), dataset.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationOutput::setupSubset(const Group &group, PetscInt channels, Vec layout) {
  const auto &orders           = group.axisOrders();
  std::vector<PetscInt> stride = content_.stride;
  std::vector<std::pair<PetscInt, PetscInt>> slab;
  std::string why;
  MPI_Comm comm = MPI_COMM_NULL;
  PetscInt lo = 0, hi = 0, total = 0;
  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(layout), &comm));
  PetscCall(VecGetSize(layout, &total));
  kept_.clear();
  subset_.reset();
  bool strided = false;
  for (PetscInt s : stride)
    strided = strided || s != 1;
  const bool any =
      strided || !content_.slab.empty() || !content_.channels.empty() || !content_.indexFile.empty();
  if (!content_.states || !any) PetscFunctionReturn(0);
  PetscCheck(parseSlab(content_.slab, orders, &slab, &why), comm, PETSC_ERR_USER_INPUT,
             "-trajectory_slab '%s': %s", content_.slab.c_str(), why.c_str());
  PetscCheck(stride.empty() || stride.size() == orders.size(), comm, PETSC_ERR_USER_INPUT,
             "-trajectory_stride: %zu value(s) for the %zu factor(s) of %s (one per factor)", stride.size(),
             orders.size(), group.spec().c_str());
  for (PetscInt k : stride)
    PetscCheck(k >= 1, comm, PETSC_ERR_USER_INPUT, "-trajectory_stride: %" PetscInt_FMT " is not >= 1", k);
  for (PetscInt c : content_.channels)
    PetscCheck(c >= 0 && c < channels, comm, PETSC_ERR_USER_INPUT,
               "-trajectory_channels: %" PetscInt_FMT " is not a channel (0..%" PetscInt_FMT ")", c,
               channels - 1);
  stride.resize(orders.size(), 1);
  if (slab.empty())
    for (PetscInt n : orders)
      slab.push_back({0, n});
  std::vector<PetscInt> list;
  PetscCall(readIndexList(comm, total, &list));
  std::vector<bool> channelKept(static_cast<std::size_t>(channels), content_.channels.empty());
  for (PetscInt c : content_.channels)
    channelKept[static_cast<std::size_t>(c)] = true;
  // subset_shape: the axes of stateShape, each cut to its kept points, then the kept finite parts x
  // channels; a list of indices has no shape beyond its length.
  std::string shape;
  PetscInt expected = 1;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    const PetscInt kept = (slab[i].second - slab[i].first + stride[i] - 1) / stride[i];
    if (group.factor(i).isCyclic() || orders[i] > 1)
      shape += (shape.empty() ? "" : "x") + std::to_string(kept);
    expected *= kept;
  }
  const PetscInt keptChannels =
      static_cast<PetscInt>(std::count(channelKept.begin(), channelKept.end(), true));
  const PetscInt m = group.quotientOrder() * keptChannels;
  expected *= m;
  // The finite parts x channels axis stays when the whole state has one, even cut to a single value.
  if (group.quotientOrder() * channels > 1 || shape.empty())
    shape += (shape.empty() ? "" : "x") + std::to_string(m);
  PetscCall(VecGetOwnershipRange(layout, &lo, &hi));
  auto inList = [&](PetscInt g) { return list.empty() || std::binary_search(list.begin(), list.end(), g); };
  if (hi > lo) {
    AxisCursor cursor(group, lo / channels);
    for (PetscInt gi = lo; gi < hi; ++gi) {
      if (gi > lo && gi % channels == 0) cursor.next();
      bool keep = channelKept[static_cast<std::size_t>(gi % channels)] && inList(gi);
      for (std::size_t i = 0; i < orders.size() && keep; ++i) {
        const PetscInt c = cursor.coordinates()[i];
        keep             = c >= slab[i].first && c < slab[i].second && (c - slab[i].first) % stride[i] == 0;
      }
      if (keep) kept_.push_back(gi - lo);
    }
  }
  PetscCall(VecCreateMPI(comm, static_cast<PetscInt>(kept_.size()), PETSC_DETERMINE, subset_.address()));
  PetscInt count = 0;
  PetscCall(VecGetSize(subset_, &count));
  if (!list.empty()) shape = std::to_string(count);
  PetscCheck(!list.empty() || count == expected, comm, PETSC_ERR_PLIB,
             "trajectory subset: %" PetscInt_FMT " neurons kept, expected %" PetscInt_FMT, count, expected);
  PetscCheck(count > 0, comm, PETSC_ERR_USER_INPUT, "the trajectory selectors keep no neuron");
  std::string strides, slabs, kept;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    strides += (i ? "," : "") + std::to_string(stride[i]);
    slabs += (i ? "," : "") + std::to_string(slab[i].first) + ":" + std::to_string(slab[i].second);
  }
  for (PetscInt c = 0; c < channels; ++c)
    if (channelKept[static_cast<std::size_t>(c)]) kept += (kept.empty() ? "" : ",") + std::to_string(c);
  PetscCall(file_.ensureGroup("/trajectory"));
  std::vector<Attribute> attrs{
      {"stride", strides}, {"slab", slabs}, {"channels", kept}, {"subset_shape", shape}};
  if (!content_.indexFile.empty()) attrs.push_back({"indices_file", content_.indexFile});
  PetscCall(file_.writeAttributes("/trajectory", attrs));
  // The subset's columns as global neuron indices (exact in double up to 2^53).
  VecHandle index;
  PetscScalar *ia = nullptr;
  PetscCall(VecDuplicate(subset_, index.address()));
  PetscCall(VecGetArrayWrite(index, &ia));
  for (std::size_t k = 0; k < kept_.size(); ++k)
    ia[k] = static_cast<double>(kept_[k] + lo);
  PetscCall(VecRestoreArrayWrite(index, &ia));
  PetscCall(file_.writeVector("/trajectory/x_index", index));
  PetscFunctionReturn(0);
}

std::vector<std::string> SimulationOutput::sampleDatasets() const {
  std::vector<std::string> paths;
  if (content_.states) paths.push_back("/trajectory/x");
  if (content_.observables) {
    paths.push_back("/trajectory/mean");
    paths.push_back("/trajectory/norm");
    for (const auto &a : axisNames_) {
      paths.push_back("/trajectory/fourier_amplitude_" + a);
      paths.push_back("/trajectory/fourier_phase_" + a);
    }
  }
  return paths;
}

PetscErrorCode SimulationOutput::sample(double t, Vec x) {
  PetscFunctionBeginUser;
  if (content_.states) {
    hsize_t rows = 0;
    Vec row      = x;
    if (subset_) { // the kept entries are a contiguous block of the subset on every rank: no communication
      const PetscScalar *xa = nullptr;
      PetscScalar *sa       = nullptr;
      PetscCall(VecGetArrayRead(x, &xa));
      PetscCall(VecGetArrayWrite(subset_, &sa));
      for (std::size_t k = 0; k < kept_.size(); ++k)
        sa[k] = xa[kept_[k]];
      PetscCall(VecRestoreArrayWrite(subset_, &sa));
      PetscCall(VecRestoreArrayRead(x, &xa));
      row = subset_;
    }
    PetscCall(file_.appendRow("/trajectory/x", row, &rows,
                              {content_.precision == StoragePrecision::Single, content_.compression}));
  }
  if (content_.observables) {
    StateObservables o;
    PetscCall(observables_.compute(x, &o));
    PetscCall(file_.appendScalar("/trajectory/mean", o.mean));
    PetscCall(file_.appendScalar("/trajectory/norm", o.norm));
    for (std::size_t k = 0; k < axisNames_.size(); ++k) {
      PetscCall(file_.appendScalar("/trajectory/fourier_amplitude_" + axisNames_[k], o.amplitude[k]));
      PetscCall(file_.appendScalar("/trajectory/fourier_phase_" + axisNames_[k], o.phase[k]));
    }
  }
  PetscCall(file_.appendScalar("/trajectory/t", t));
  ++samples_;
  PetscCall(file_.writeAttributes("/trajectory", {{"count", static_cast<long long>(samples_)}}));
  PetscCall(flushIfDue());
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationOutput::finish(Vec x, const std::vector<Attribute> &summary) {
  std::vector<Attribute> attrs = summary;
  PetscFunctionBeginUser;
  attrs.push_back({"finished", isoTimeNow()}); // rank 0's clock (writeAttributes)
  PetscCall(file_.writeVector("/final/x", x));
  PetscCall(file_.writeAttributes("/", attrs));
  PetscCall(file_.close());
  PetscFunctionReturn(0);
}

} // namespace eqrnn
