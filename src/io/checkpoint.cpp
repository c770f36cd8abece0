#include "io/checkpoint.hpp"

#include "io/simulation_output.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace eqrnn {

namespace {
constexpr long long kFormatVersion = 1;

std::uint64_t mix(std::uint64_t z) { // splitmix64 finaliser
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool fileExists(const std::string &path) {
  return std::ifstream(path).good();
}
} // namespace

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

std::vector<Attribute> identityAttributes(const CheckpointIdentity &id) {
  // Checksums as strings: HDF5 attributes here are signed 64-bit.
  return {{"format_version", kFormatVersion},
          {"group", id.group},
          {"N", id.neurons},
          {"channels", id.channels},
          {"kernel_checksum", std::to_string(id.kernelChecksum)}};
}

PetscErrorCode checkIdentity(Hdf5File &f, const std::string &file, const CheckpointIdentity &id, bool *ok,
                             std::string *reason) {
  double version = 0, neurons = 0, channels = 0;
  bool a = false, b = false, c = false, d = false, e = false;
  std::string group, kernel;
  PetscFunctionBeginUser;
  *ok = false;
  PetscCall(f.readNumber("/", "format_version", &version, &a));
  PetscCall(f.readNumber("/", "N", &neurons, &b));
  PetscCall(f.readNumber("/", "channels", &channels, &c));
  PetscCall(f.readString("/", "group", &group, &d));
  PetscCall(f.readString("/", "kernel_checksum", &kernel, &e));
  if (!(a && b && c && d && e)) {
    *reason = file + ": unreadable or incomplete (corrupt or interrupted write)";
  } else if (static_cast<long long>(version) != kFormatVersion) {
    *reason = file + ": checkpoint format " + std::to_string(static_cast<long long>(version)) +
              ", this eqrnn reads " + std::to_string(kFormatVersion);
  } else if (group != id.group || static_cast<long long>(neurons) != id.neurons ||
             static_cast<long long>(channels) != id.channels) {
    *reason = file + ": written for group " + group +
              " (N = " + std::to_string(static_cast<long long>(neurons)) + ", " +
              std::to_string(static_cast<long long>(channels)) + " channels), this run is " + id.group +
              " (N = " + std::to_string(id.neurons) + ", " + std::to_string(id.channels) + " channels)";
  } else if (kernel != std::to_string(id.kernelChecksum)) {
    *reason = file + ": written with another kernel (its checksum differs)";
  } else {
    *ok = true;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode commitCheckpoint(MPI_Comm comm, const std::string &output) {
  PetscMPIInt rank = 0;
  int ok           = 1;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Barrier(comm));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  // Rename (atomic within a file system): newest -> previous, temporary -> newest.
  if (rank == 0) {
    const std::string newest = checkpointPath(output), previous = previousCheckpointPath(output);
    if (fileExists(newest)) ok = std::rename(newest.c_str(), previous.c_str()) == 0;
    ok = ok && std::rename(temporaryCheckpointPath(output).c_str(), newest.c_str()) == 0;
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_WRITE, "cannot rename the checkpoint into '%s'",
             checkpointPath(output).c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode vecChecksum(Vec v, unsigned long long *sum) {
  PetscInt lo = 0, hi = 0;
  const PetscScalar *a = nullptr;
  std::uint64_t local  = 0;
  MPI_Comm comm;
  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(v), &comm));
  PetscCall(VecGetOwnershipRange(v, &lo, &hi));
  PetscCall(VecGetArrayRead(v, &a));
  // Each entry's bits mixed with its global index: order-independent, yet swapped entries change the sum.
  for (PetscInt i = lo; i < hi; ++i) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &a[i - lo], sizeof bits);
    local += mix(bits ^ mix(static_cast<std::uint64_t>(i)));
  }
  PetscCall(VecRestoreArrayRead(v, &a));
  unsigned long long total = 0, mine = local;
  PetscCallMPI(MPI_Allreduce(&mine, &total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm));
  *sum = total;
  PetscFunctionReturn(0);
}

PetscErrorCode checkpointAttributes(MPI_Comm comm, const CheckpointIdentity &id,
                                    std::vector<Attribute> *attrs) {
  PetscFunctionBeginUser;
  *attrs = identityAttributes(id);
  PetscCall(provenanceAttributes(comm, attrs));
  for (Attribute &a : *attrs)
    if (a.name == "started") a.name = "written"; // a checkpoint's time stamp is when it was written
  PetscFunctionReturn(0);
}

PetscErrorCode writeCheckpoint(MPI_Comm comm, const std::string &output, const CheckpointIdentity &id,
                               const CheckpointState &s, Vec x) {
  unsigned long long sum = 0;
  Hdf5File f;
  PetscFunctionBeginUser;
  PetscCall(vecChecksum(x, &sum));
  PetscCall(Hdf5File::create(comm, temporaryCheckpointPath(output), &f));
  PetscCall(f.writeVector("/x", x));
  std::vector<Attribute> attrs;
  PetscCall(checkpointAttributes(comm, id, &attrs));
  attrs.insert(attrs.end(), {{"t", s.t},
                             {"dt", s.dt},
                             {"step", s.step},
                             {"rejected", s.rejected},
                             {"samples", s.samples},
                             {"x_checksum", std::to_string(sum)},
                             {"complete", 1LL}});
  PetscCall(f.writeAttributes("/", attrs));
  PetscCall(f.close());
  PetscCall(commitCheckpoint(comm, output));
  PetscFunctionReturn(0);
}

PetscErrorCode readCheckpoint(MPI_Comm comm, const std::string &file, const CheckpointIdentity &id,
                              CheckpointState *s, Vec x, bool *ok, std::string *reason) {
  PetscFunctionBeginUser;
  *ok = false;
  if (!fileExists(file)) {
    *reason = file + ": missing";
    PetscFunctionReturn(0);
  }
  // File damage must not abort the run: errors from here on are results, not exceptions.
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  Hdf5File f;
  PetscErrorCode code = Hdf5File::open(comm, file, &f, true);
  std::string xsum;
  auto number = [&](const char *name, double *v) {
    bool present = false;
    if (!code) code = f.readNumber("/", name, v, &present);
    return present;
  };
  auto text = [&](const char *name, std::string *v) {
    bool present = false;
    if (!code) code = f.readString("/", name, v, &present);
    return present;
  };
  double complete = 0, step = 0, rejected = 0, samples = 0;
  bool identity = false;
  std::string why;
  if (!code) code = checkIdentity(f, file, id, &identity, &why);
  bool fields = number("complete", &complete) && number("t", &s->t) && number("dt", &s->dt) &&
                number("step", &step) && number("rejected", &rejected) && number("samples", &samples) &&
                text("x_checksum", &xsum);
  if (!code) code = f.close();
  PetscPopErrorHandler();
  if (code || !fields || complete != 1) {
    *reason = file + ": unreadable or incomplete (corrupt or interrupted write)";
    PetscFunctionReturn(0);
  }
  if (!identity) {
    *reason = why;
    PetscFunctionReturn(0);
  }
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  code = readVector(comm, file, "/x", x);
  PetscPopErrorHandler();
  unsigned long long sum = 0;
  if (!code) PetscCall(vecChecksum(x, &sum));
  if (code || xsum != std::to_string(sum)) {
    *reason = file + ": the state does not match its checksum (corrupt)";
    PetscFunctionReturn(0);
  }
  s->step     = static_cast<long long>(step);
  s->rejected = static_cast<long long>(rejected);
  s->samples  = static_cast<long long>(samples);
  *ok         = true;
  PetscFunctionReturn(0);
}

PetscErrorCode findCheckpoint(MPI_Comm comm, const std::string &output, const CheckpointIdentity &id,
                              CheckpointState *state, Vec x, bool *found, std::string *chosen,
                              std::vector<std::string> *notes) {
  PetscFunctionBeginUser;
  *found = false;
  // A crash between the two renames leaves the newest as the temporary file: try it too, keep the latest t.
  for (const std::string &file : checkpointCandidates(output)) {
    if (!fileExists(file)) continue;
    CheckpointState s;
    bool ok = false;
    std::string reason;
    VecHandle y;
    PetscCall(VecDuplicate(x, y.address()));
    PetscCall(readCheckpoint(comm, file, id, &s, y, &ok, &reason));
    if (!ok) {
      notes->push_back(reason);
      continue;
    }
    if (!*found || s.t > state->t) {
      *state  = s;
      *chosen = file;
      *found  = true;
      PetscCall(VecCopy(y, x));
    }
  }
  PetscFunctionReturn(0);
}

} // namespace eqrnn
