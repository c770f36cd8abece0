#pragma once
// HDF5 for the training code: arrays replicated on every rank (written by rank 0 inside a collective call,
// read by every rank), and training checkpoints.
//
// A training checkpoint (`<output>.ckpt.h5`, written to `.ckpt.tmp.h5` and renamed, the one before kept as
// `.ckpt.prev.h5`, as for simulations) holds the parameters, the optimiser's moments, the best parameters,
// the loss history, the step (which is also the position of the data generator: batches are keyed by step),
// the run's identity (the identity parameters of `eqrnn train`: every setting that changes the course of
// training) and a checksum of all arrays. A resumed run continues bit for bit. The steps it was resumed at
// (restart_steps) are carried along, so that the output of a run resumed twice says so.
#include "io/checkpoint.hpp"
#include "io/hdf5_file.hpp"
#include "training/trainer.hpp"

namespace eqrnn::training {

using eqrnn::readArray; // io/hdf5_file.hpp
using eqrnn::writeArray;

// "700,1400": the steps a run was resumed at, as the root attribute restart_steps (simulate writes its
// restart_times the same way).
std::string joinSteps(const std::vector<long long> &steps);

// A checkpoint of the training state (the run's identity is the ResumableRun's).
PetscErrorCode writeTrainingCheckpoint(ResumableRun &run, const TrainSpec &spec, const TrainState &state);
// Resumes as -restart says (the valid checkpoint with the most steps); *resumed = false: start afresh.
PetscErrorCode resumeTraining(ResumableRun &run, const TrainSpec &spec, TrainState *state, bool *resumed);
// The reader behind resumeTraining, for one file (ResumableRun::examine): stages into *staged.
ResumableRun::Reader trainingCheckpointReader(MPI_Comm comm, const TrainSpec &spec, TrainState *staged);

} // namespace eqrnn::training
