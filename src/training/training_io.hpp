#pragma once
// HDF5 for the training code: arrays replicated on every rank (written by rank 0 inside a collective call,
// read by every rank), and training checkpoints.
//
// A training checkpoint (`<output>.ckpt.h5`, written to `.ckpt.tmp.h5` and renamed, the one before kept as
// `.ckpt.prev.h5`, as for simulations) holds the parameters, the optimiser's moments, the best parameters,
// the loss history, the step (which is also the position of the data generator: batches are keyed by step),
// the run's identity (trainingIdentity: every setting that changes the course of training) and a checksum
// of all arrays. A resumed run continues bit for bit. The steps it was resumed at (restart_steps) are carried
// along, so that the output of a run resumed twice says so.
#include "io/hdf5_file.hpp"
#include "training/trainer.hpp"

namespace eqrnn::training {

// Writes `data` (prod(dims) doubles, C order; dims empty: a scalar) as dataset `path`. Collective.
PetscErrorCode writeArray(Hdf5File &file, const std::string &path, const std::vector<hsize_t> &dims,
                          const double *data);
// Reads dataset `path` whole on every rank; *found = false when it is missing. Collective.
PetscErrorCode readArray(Hdf5File &file, const std::string &path, std::vector<double> *data, bool *found,
                         std::vector<hsize_t> *dims = nullptr);

// "700,1400": the steps a run was resumed at, as the root attribute restart_steps (simulate writes its
// restart_times the same way).
std::string joinSteps(const std::vector<long long> &steps);

PetscErrorCode writeTrainingCheckpoint(MPI_Comm comm, const std::string &output, const TrainSpec &spec,
                                       const TrainState &state);
// Reads `file` into *state if it is a valid checkpoint of this training run; otherwise *ok = false with a
// one-line *reason (missing, corrupt, another run). Damage never aborts. Collective.
PetscErrorCode readTrainingCheckpoint(MPI_Comm comm, const std::string &file, const TrainSpec &spec,
                                      TrainState *state, bool *ok, std::string *reason);
// The valid checkpoint next to `output` with the most steps, or *found = false; rejected candidates' reasons
// in *notes.
PetscErrorCode findTrainingCheckpoint(MPI_Comm comm, const std::string &output, const TrainSpec &spec,
                                      TrainState *state, bool *found, std::string *chosen,
                                      std::vector<std::string> *notes);

} // namespace eqrnn::training
