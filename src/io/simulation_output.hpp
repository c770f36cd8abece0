#pragma once
// The simulation's HDF5 file (a stable interface, read by postprocess/):
//   root attributes  group (spec string), N, eqrnn_version, git_commit, mpi_size, host, started, finished,
//                    options (the whole PETSc options database as one string)
//   /parameters      one attribute per model/run parameter
//   /trajectory/t    (T)      sample times
//   /trajectory/x    (T x N)  states, chunked one row per chunk, grown as the run goes (-trajectory_states)
//   /trajectory/mean, norm, fourier_amplitude_<i>, fourier_phase_<i>   (T) observables per sample, one pair
//                    per cyclic axis i of order > 2 (-trajectory_observables; analysis/observables.hpp)
//   /final/x         (N)      the last state
#include "io/hdf5_file.hpp"
#include "analysis/observables.hpp"
#include "groups/group.hpp"

namespace eqrnn {

enum class StoragePrecision { Double, Single };
const std::vector<std::pair<const char *, StoragePrecision>> &storagePrecisionNames();

// What each trajectory sample holds.
struct TrajectoryContent {
  bool states                = true;                     // the whole state
  bool observables           = true;                     // StateObservables
  StoragePrecision precision = StoragePrecision::Double; // of the states on disk (observables: double)
  // The neurons in /trajectory/x (all of them by default). A neuron is kept when it passes every selector
  // given: along the axis of factor i, its coordinate c lies in the slab [slab[i].first, slab[i].second)
  // and c - slab[i].first is a multiple of stride[i]; its channel is one of `channels`; its index is in
  // the list read from indexFile (FILE[:DATASET], an HDF5 dataset of neuron indices, default /indices).
  std::vector<PetscInt> stride;
  std::string slab; // "lo:hi" per factor (parseSlab)
  std::vector<PetscInt> channels;
  std::string indexFile;
  int compression = 0; // gzip level 0 - 9 of /trajectory/x (0: none)
};
// "lo:hi" per factor, comma-separated ("0:64,:" — an empty bound is the axis' end) into half-open ranges;
// false with a reason for anything else.
bool parseSlab(const std::string &text, const std::vector<PetscInt> &orders,
               std::vector<std::pair<PetscInt, PetscInt>> *slab, std::string *why);

class SimulationOutput {
public:
  PetscErrorCode create(MPI_Comm comm, const std::string &path, const Group &group,
                        const std::vector<Attribute> &parameters, PetscInt channels = 1);
  // Reopens an existing output to continue a run from a checkpoint: keeps its first `samples` samples
  // (later ones were written after the checkpoint and will be written again) and counts the restart.
  PetscErrorCode resume(MPI_Comm comm, const std::string &path, hsize_t samples, double t);
  // What sample() writes (after create or resume); `layout` is a state-layout Vec.
  PetscErrorCode setContent(const TrajectoryContent &content, const Group &group, PetscInt channels,
                            Vec layout);
  PetscErrorCode sample(double t, Vec x);
  PetscErrorCode flush();
  PetscErrorCode finish(Vec x, const std::vector<Attribute> &summary);
  PetscErrorCode closeUnfinished() { return file_.close(); } // stopped early: no /final
  hsize_t samples() const { return samples_; }

private:
  // What a reader of a running simulation sees is the last flush (hdf5_file.cpp: the metadata cache never
  // writes between flushes); sample() flushes when this much wall time has passed since.
  static constexpr double kFlushSeconds = 10;
  PetscErrorCode flushIfDue();

  // The per-sample datasets besides /trajectory/t (their rows are cut back together on resume).
  std::vector<std::string> sampleDatasets() const;

  // The kept neurons of this rank, as local indices, and the subset's Vec (rank-local block of the subset,
  // in global order: the subset's columns are the kept global indices, ascending).
  PetscErrorCode setupSubset(const Group &group, PetscInt channels, Vec layout);
  std::vector<PetscInt> kept_;
  VecHandle subset_;
  // The index list of content_.indexFile, sorted and without repeats (empty: no list).
  PetscErrorCode readIndexList(MPI_Comm comm, PetscInt total, std::vector<PetscInt> *list) const;

  Hdf5File file_;
  TrajectoryContent content_;
  ObservableEngine observables_;
  std::vector<std::string> axisNames_; // the measured axes' dataset suffixes
  hsize_t samples_ = 0, resumedSamples_ = 0;
  double lastFlush_ = 0; // MPI_Wtime() on rank 0
};

// Creates an eqrnn result file: root attributes group, N (neurons: |G| C), channels, state_shape and
// provenance, /parameters with the given attributes. state_shape ("64x48", "64x4") reshapes a state vector:
// the axis orders (every cyclic factor, the rotation axis of each D_n), then M = |Q| C when M > 1 (finite
// parts and channels, fastest); for products of cyclic groups it is the factor orders.
PetscErrorCode createResultFile(MPI_Comm comm, const std::string &path, const Group &group,
                                const std::vector<Attribute> &parameters, Hdf5File *file,
                                PetscInt channels = 1);
std::string stateShape(const Group &group, PetscInt channels);

// Provenance shared by every output file: version, commit, MPI size, host, start time, options.
PetscErrorCode provenanceAttributes(MPI_Comm comm, std::vector<Attribute> *attrs);
std::string isoTimeNow();
// mkdir -p of the file's directory (rank 0), so decks can name runs/x.h5 without a set-up step.
PetscErrorCode createParentDirectory(MPI_Comm comm, const std::string &path);

} // namespace eqrnn
