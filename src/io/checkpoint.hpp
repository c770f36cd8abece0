#pragma once
// Checkpoints of a simulation: everything needed to continue exactly (state, time, step, next step size,
// rejected-step count, samples already in the output) plus the identity of the run (group, size, channels,
// kernel checksum, format version), in `<output>.ckpt.h5`. Written collectively to `<output>.ckpt.tmp.h5` and
// renamed, the previous one kept as `<output>.ckpt.prev.h5`: a crash at any instant leaves a valid
// checkpoint. Reading validates every field and a checksum of the state; a bad file is reported and the next
// one tried.
#include "io/hdf5_file.hpp"
#include <string>
#include <vector>

namespace eqrnn {

struct CheckpointIdentity {
  std::string group;
  long long neurons = 0, channels = 1;
  unsigned long long kernelChecksum = 0;
};

struct CheckpointState {
  double t = 0, dt = 0;
  long long step = 0, rejected = 0, samples = 0;
};

// Shared by every command's checkpoints: the identity attributes, their check, and the atomic commit
// (temporary -> newest, newest -> previous).
std::vector<Attribute> identityAttributes(const CheckpointIdentity &id);
// The identity plus provenance (version, commit, host, MPI size, options; `written`: when). Collective.
PetscErrorCode checkpointAttributes(MPI_Comm comm, const CheckpointIdentity &id,
                                    std::vector<Attribute> *attrs);
// *ok = false with a one-line *reason if the open checkpoint `f` belongs to another run or format.
PetscErrorCode checkIdentity(Hdf5File &f, const std::string &file, const CheckpointIdentity &id, bool *ok,
                             std::string *reason);
std::string temporaryCheckpointPath(const std::string &output);
// Where a checkpoint of `output` may be, newest first: a crash between the two renames of a commit leaves the
// newest under the temporary name.
std::vector<std::string> checkpointCandidates(const std::string &output);
PetscErrorCode commitCheckpoint(MPI_Comm comm, const std::string &output);

// Order-independent checksum of a distributed vector's bits (the same on any number of ranks).
PetscErrorCode vecChecksum(Vec v, unsigned long long *sum);
std::string checkpointPath(const std::string &output);         // newest
std::string previousCheckpointPath(const std::string &output); // the one before
PetscErrorCode writeCheckpoint(MPI_Comm comm, const std::string &output, const CheckpointIdentity &id,
                               const CheckpointState &state, Vec x);
// Reads `file` into state and x if it is a valid checkpoint of this run; otherwise *ok = false and a one-line
// *reason (missing, corrupt, another group, ...). Errors in the file never abort.
PetscErrorCode readCheckpoint(MPI_Comm comm, const std::string &file, const CheckpointIdentity &id,
                              CheckpointState *state, Vec x, bool *ok, std::string *reason);
// The newest valid checkpoint next to `output` (newest, temporary, previous), or *found = false. Each
// rejected candidate's reason is appended to *notes.
PetscErrorCode findCheckpoint(MPI_Comm comm, const std::string &output, const CheckpointIdentity &id,
                              CheckpointState *state, Vec x, bool *found, std::string *chosen,
                              std::vector<std::string> *notes);

} // namespace eqrnn
