#include "io/checkpoint.hpp"

#include "core/collective.hpp"
#include "core/parameters.hpp"
#include "io/simulation_output.hpp"
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace eqrnn {

namespace {
// 2: every kind carries `kind` and the identity parameters.
constexpr long long kFormatVersion = 2;
} // namespace

const char *checkpointKindName(CheckpointKind kind) {
  switch (kind) {
  case CheckpointKind::Simulation:
    return "simulation";
  case CheckpointKind::Census:
    return "census";
  case CheckpointKind::Training:
    return "training";
  case CheckpointKind::Continuation:
    return "continuation";
  }
  return "?";
}

std::string checkpointPath(const std::string &output) {
  return output + ".ckpt.h5";
}
std::string previousCheckpointPath(const std::string &output) {
  return output + ".ckpt.prev.h5";
}
std::string temporaryCheckpointPath(const std::string &output) {
  return output + ".ckpt.tmp.h5";
}

std::vector<std::string> checkpointCandidates(const std::string &output) {
  return {checkpointPath(output), temporaryCheckpointPath(output), previousCheckpointPath(output)};
}

ResumableRun::ResumableRun(MPI_Comm comm, std::string output, ResumeSettings settings, CheckpointIdentity id)
    : comm_(comm), output_(std::move(output)), settings_(std::move(settings)), id_(std::move(id)),
      lastWrite_(MPI_Wtime()) {}

PetscErrorCode ResumableRun::header(std::vector<Attribute> *attrs) const {
  PetscFunctionBeginUser;
  // Checksums as strings: HDF5 attributes here are signed 64-bit.
  *attrs = {{"kind", std::string(checkpointKindName(id_.kind))},
            {"format_version", kFormatVersion},
            {"group", id_.group},
            {"N", id_.neurons},
            {"channels", id_.channels},
            {"kernel_checksum", std::to_string(id_.kernelChecksum)},
            {"identity", id_.parameters}};
  PetscCall(provenanceAttributes(comm_, attrs));
  for (Attribute &a : *attrs)
    if (a.name == "started") a.name = "written"; // a checkpoint's time stamp is when it was written
  PetscFunctionReturn(0);
}

PetscErrorCode ResumableRun::checkHeader(Hdf5File &f, const std::string &path, bool *ok,
                                         std::string *reason) const {
  double version = 0, neurons = 0, channels = 0, complete = 0;
  bool a = false, b = false, c = false, d = false, e = false, g = false, h = false, k = false;
  std::string kind, group, kernel, parameters;
  PetscFunctionBeginUser;
  *ok = false;
  PetscCall(f.readNumber("/", "format_version", &version, &a));
  PetscCall(f.readString("/", "kind", &kind, &b));
  PetscCall(f.readNumber("/", "complete", &complete, &c));
  PetscCall(f.readNumber("/", "N", &neurons, &d));
  PetscCall(f.readNumber("/", "channels", &channels, &e));
  PetscCall(f.readString("/", "group", &group, &g));
  PetscCall(f.readString("/", "kernel_checksum", &kernel, &h));
  PetscCall(f.readString("/", "identity", &parameters, &k));
  const std::string mine = checkpointKindName(id_.kind);
  if (a && static_cast<long long>(version) != kFormatVersion) {
    *reason = path + ": checkpoint format " + std::to_string(static_cast<long long>(version)) +
              ", this eqrnn reads " + std::to_string(kFormatVersion);
  } else if (!(a && b && c && d && e && g && h && k) || complete != 1) {
    *reason = path + ": unreadable or incomplete (corrupt or interrupted write)";
  } else if (kind != mine) {
    *reason = path + ": a " + kind + " checkpoint, not a " + mine + " one";
  } else if (group != id_.group || static_cast<long long>(neurons) != id_.neurons ||
             static_cast<long long>(channels) != id_.channels) {
    *reason = path + ": written for group " + group +
              " (N = " + std::to_string(static_cast<long long>(neurons)) + ", " +
              std::to_string(static_cast<long long>(channels)) + " channels), this run is " + id_.group +
              " (N = " + std::to_string(id_.neurons) + ", " + std::to_string(id_.channels) + " channels)";
  } else if (kernel != std::to_string(id_.kernelChecksum)) {
    *reason = path + ": written with another kernel (its checksum differs)";
  } else if (parameters != id_.parameters) {
    *reason = path + ": written for another run (" + identityDifferences(parameters, id_.parameters) + ")";
  } else {
    *ok = true;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode ResumableRun::examine(const std::string &path, const Reader &read, bool *ok, double *position,
                                     std::string *reason) {
  bool exists = false;
  PetscFunctionBeginUser;
  *ok = false;
  reason->clear();
  PetscCall(fileExistsEverywhere(comm_, path, &exists));
  if (!exists) {
    *reason = path + ": missing";
    PetscFunctionReturn(0);
  }
  // Damage must not abort: every error below is a result, agreed by every rank.
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
  Hdf5File f;
  bool header = false;
  std::string why, damage;
  PetscErrorCode code = Hdf5File::open(comm_, path, &f, true);
  if (!code) code = checkHeader(f, path, &header, &why);
  if (!code && header) code = read(f, path, position, &damage);
  const PetscErrorCode closed = f.close();
  PetscCall(PetscPopErrorHandler());
  bool clean = false;
  PetscCall(allRanks(comm_, !code && !closed && damage.empty(), &clean));
  if (!clean)
    *reason = path + ": unreadable, incomplete or corrupt" + (damage.empty() ? "" : " (" + damage + ")");
  else if (!header)
    *reason = why;
  else
    *ok = true;
  PetscFunctionReturn(0);
}

PetscErrorCode ResumableRun::resume(const Reader &read, const Keeper &keep, bool *resumed) {
  const bool automatic = settings_.restart == "auto";
  double best          = 0;
  PetscFunctionBeginUser;
  *resumed = false;
  chosen_.clear();
  if (settings_.restart.empty()) PetscFunctionReturn(0);
  const std::vector<std::string> candidates =
      automatic ? checkpointCandidates(output_) : std::vector<std::string>{settings_.restart};
  for (const std::string &path : candidates) {
    bool exists = false, ok = false;
    double position = 0;
    std::string reason;
    PetscCall(fileExistsEverywhere(comm_, path, &exists));
    if (automatic && !exists) continue; // no checkpoint there: nothing to report
    PetscCall(examine(path, read, &ok, &position, &reason));
    if (!ok) {
      PetscCheck(automatic, comm_, PETSC_ERR_FILE_READ, "-restart: %s", reason.c_str());
      PetscCall(PetscPrintf(comm_, "eqrnn: checkpoint skipped: %s\n", reason.c_str()));
      continue;
    }
    if (!*resumed || position > best) {
      keep();
      best     = position;
      chosen_  = path;
      *resumed = true;
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode ResumableRun::due(bool scheduled, bool *write) {
  int flags[3] = {PreemptionSignals::raised(),
                  settings_.checkpointWalltime > 0 &&
                      MPI_Wtime() - lastWrite_ >= settings_.checkpointWalltime,
                  scheduled};
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, flags, 3, MPI_INT, MPI_MAX, comm_));
  signal_ = flags[0];
  *write  = flags[0] || flags[1] || flags[2];
  PetscFunctionReturn(0);
}

PetscErrorCode ResumableRun::commit() const {
  PetscMPIInt rank = 0;
  int ok           = 1;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Barrier(comm_));
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  // Rename (atomic within a file system): newest -> previous, temporary -> newest. Rank 0 decides.
  if (rank == 0) {
    const std::string newest = checkpointPath(output_), previous = previousCheckpointPath(output_);
    if (std::FILE *f = std::fopen(newest.c_str(), "r")) {
      std::fclose(f);
      ok = std::rename(newest.c_str(), previous.c_str()) == 0;
    }
    ok = ok && std::rename(temporaryCheckpointPath(output_).c_str(), newest.c_str()) == 0;
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm_));
  PetscCheck(ok, comm_, PETSC_ERR_FILE_WRITE, "cannot rename the checkpoint into '%s'",
             checkpointPath(output_).c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode ResumableRun::write(const Writer &body) {
  Hdf5File f;
  std::vector<Attribute> attrs;
  PetscFunctionBeginUser;
  PetscCall(Hdf5File::create(comm_, temporaryCheckpointPath(output_), &f));
  PetscCall(body(f));
  PetscCall(header(&attrs));
  attrs.push_back({"complete", 1LL}); // last: a file without it was interrupted
  PetscCall(f.writeAttributes("/", attrs));
  PetscCall(f.close());
  PetscCall(commit());
  lastWrite_ = MPI_Wtime();
  ++written_;
  stop_ = signal_ || (settings_.stopAfterCheckpoints > 0 && written_ >= settings_.stopAfterCheckpoints);
  PetscFunctionReturn(0);
}

PetscErrorCode writeSimulationCheckpoint(ResumableRun &run, const CheckpointState &s, Vec x) {
  unsigned long long sum = 0;
  PetscFunctionBeginUser;
  PetscCall(vecChecksum(x, &sum));
  PetscCall(run.write([&](Hdf5File &f) -> PetscErrorCode {
    PetscFunctionBeginUser;
    PetscCall(f.writeVector("/x", x));
    PetscCall(f.writeAttributes("/", {{"t", s.t},
                                      {"dt", s.dt},
                                      {"step", s.step},
                                      {"rejected", s.rejected},
                                      {"samples", s.samples},
                                      {"x_checksum", std::to_string(sum)}}));
    PetscFunctionReturn(0);
  }));
  PetscFunctionReturn(0);
}

PetscErrorCode resumeSimulation(ResumableRun &run, CheckpointState *state, Vec x, bool *resumed) {
  CheckpointState staged;
  VecHandle y; // made when a checkpoint is there to read: a run that starts afresh holds no copy of x
  PetscFunctionBeginUser;
  auto read = [&](Hdf5File &f, const std::string &path, double *position,
                  std::string *damage) -> PetscErrorCode {
    double step = 0, rejected = 0, samples = 0;
    bool a = false, b = false, c = false, d = false, e = false, g = false;
    std::string xsum;
    unsigned long long sum = 0;
    PetscFunctionBeginUser;
    PetscCall(f.readNumber("/", "t", &staged.t, &a));
    PetscCall(f.readNumber("/", "dt", &staged.dt, &b));
    PetscCall(f.readNumber("/", "step", &step, &c));
    PetscCall(f.readNumber("/", "rejected", &rejected, &d));
    PetscCall(f.readNumber("/", "samples", &samples, &e));
    PetscCall(f.readString("/", "x_checksum", &xsum, &g));
    if (!(a && b && c && d && e && g)) {
      *damage = "fields missing";
      PetscFunctionReturn(0);
    }
    if (!y) PetscCall(VecDuplicate(x, y.address()));
    PetscCall(readVector(run.comm(), path, "/x", y));
    PetscCall(vecChecksum(y, &sum));
    if (xsum != std::to_string(sum)) *damage = "the state does not match its checksum";
    staged.step     = static_cast<long long>(step);
    staged.rejected = static_cast<long long>(rejected);
    staged.samples  = static_cast<long long>(samples);
    *position       = staged.t;
    PetscFunctionReturn(0);
  };
  std::function<void()> keep = [&] {
    *state = staged;
    VecCopy(y, x); // cannot fail: same layout
  };
  PetscCall(run.resume(read, keep, resumed));
  PetscFunctionReturn(0);
}

} // namespace eqrnn
