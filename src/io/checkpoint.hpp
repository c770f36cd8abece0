#pragma once
// Checkpoints, shared by every command that resumes (simulate, fixedpoints, train): one ResumableRun does
// the parts they have in common, and each command writes and reads only its own body.
//
// A checkpoint of OUTPUT is written collectively to OUTPUT.ckpt.tmp.h5 and renamed to OUTPUT.ckpt.h5, the one
// before kept as OUTPUT.ckpt.prev.h5, so that a crash at any instant leaves a valid checkpoint. Its root
// attributes say what it is (kind, format_version), whose it is (the run's identity: group, N, channels, a
// checksum of the kernel, and the identity parameters of the command's table), where it comes from
// (provenance, `written`) and that it is whole (`complete`, written last, and checksums of its data). Reading
// a candidate never aborts: a damaged or foreign file is a result with a one-line reason, and the newest
// valid candidate wins. Every decision (which file exists, which one is valid, when to checkpoint, when to
// stop) is agreed by every rank.
#include "core/collective.hpp" // vecChecksum
#include "core/signals.hpp"
#include "io/hdf5_file.hpp"
#include <functional>
#include <string>
#include <vector>

namespace eqrnn {

// Exit status of a run that checkpointed and stopped early (signal, -stop_after_checkpoints): "requeue me".
constexpr int kExitRequeue = 85;

enum class CheckpointKind { Simulation, Census, Training, Continuation };
const char *checkpointKindName(
    CheckpointKind kind); // "simulation", "census", "training", "continuation" (the `kind` attribute)

struct CheckpointIdentity {
  CheckpointKind kind = CheckpointKind::Simulation;
  std::string group; // empty: no network (training)
  long long neurons = 0, channels = 1;
  unsigned long long kernelChecksum = 0;
  std::string parameters; // ParameterSet::identity() of the command's table
};

// -restart, -stop_after_checkpoints and -checkpoint_walltime: read the same way by every command that
// resumes.
struct ResumeSettings {
  std::string restart;               // "", "auto" (newest valid checkpoint next to the output) or a file
  PetscInt stopAfterCheckpoints = 0; // stop with kExitRequeue after this many checkpoints (0: never)
  double checkpointWalltime     = 0; // also checkpoint after this many wall seconds (0: never)
};

std::string checkpointPath(const std::string &output);          // newest
std::string previousCheckpointPath(const std::string &output);  // the one before
std::string temporaryCheckpointPath(const std::string &output); // being written
// Where a checkpoint of `output` may be: a crash between the two renames of a commit leaves the newest under
// the temporary name.
std::vector<std::string> checkpointCandidates(const std::string &output);

class ResumableRun {
public:
  ResumableRun(MPI_Comm comm, std::string output, ResumeSettings settings, CheckpointIdentity id);
  ResumableRun(const ResumableRun &)            = delete;
  ResumableRun &operator=(const ResumableRun &) = delete;

  // Reads a command's body from an open candidate whose header is valid: stages it (the previous staging is
  // discarded) and sets *position (time, next start, step: the largest valid one is resumed from). A damaged
  // body is *damage (non-empty) or any PETSc error; neither aborts.
  using Reader = std::function<PetscErrorCode(Hdf5File &file, const std::string &path, double *position,
                                              std::string *damage)>;
  // Adopts the staged body as the one to resume from.
  using Keeper = std::function<void()>;
  // With -restart auto: every candidate next to the output (reasons for skipping one are printed); with
  // -restart FILE: that file, which must be valid. *resumed = false: start afresh. Collective.
  PetscErrorCode resume(const Reader &read, const Keeper &keep, bool *resumed);
  // One candidate: *ok, or false with a one-line *reason. Collective.
  PetscErrorCode examine(const std::string &path, const Reader &read, bool *ok, double *position,
                         std::string *reason);
  const std::string &chosen() const { return chosen_; }

  // At a point where the run may checkpoint: `scheduled` is its own schedule (the same on every rank);
  // signals and -checkpoint_walltime are agreed here. *write: take one now.
  PetscErrorCode due(bool scheduled, bool *write);
  // Writes a checkpoint: header, the command's body, `complete`; then the two-generation rename.
  using Writer = std::function<PetscErrorCode(Hdf5File &file)>;
  PetscErrorCode write(const Writer &body);
  // After write(): a signal arrived or -stop_after_checkpoints was reached, so the run stops (kExitRequeue).
  bool stopRequested() const { return stop_; }
  int signal() const { return signal_; } // the signal seen by due() (0: none)
  PetscInt written() const { return written_; }
  const CheckpointIdentity &identity() const { return id_; }
  MPI_Comm comm() const { return comm_; }

private:
  PetscErrorCode header(std::vector<Attribute> *attrs) const;
  PetscErrorCode checkHeader(Hdf5File &f, const std::string &path, bool *ok, std::string *reason) const;
  PetscErrorCode commit() const;

  MPI_Comm comm_;
  std::string output_, chosen_;
  ResumeSettings settings_;
  CheckpointIdentity id_;
  PreemptionSignals signals_; // installed for the run's lifetime
  PetscInt written_ = 0;
  int signal_       = 0;
  bool stop_        = false;
  double lastWrite_ = 0; // MPI_Wtime() of the last checkpoint (or of the start)
};

// The simulation's body: the state and where the integrator stands.
struct CheckpointState {
  double t = 0, dt = 0;
  long long step = 0, rejected = 0, samples = 0;
};
PetscErrorCode writeSimulationCheckpoint(ResumableRun &run, const CheckpointState &state, Vec x);
// Resumes a simulation (state into x) as -restart says; *resumed = false: start afresh.
PetscErrorCode resumeSimulation(ResumableRun &run, CheckpointState *state, Vec x, bool *resumed);

} // namespace eqrnn
