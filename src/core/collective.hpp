#pragma once
// Decisions that choose a collective path must be the same on every rank: a rank that alone sees a missing
// file, a failed HDF5 call or a solver error, and returns, leaves the others waiting in the next collective
// call forever. Every such condition goes through these helpers (an Allreduce), so that the error is raised
// on every rank together and reported once.
//
// Fault injection (tests only): `-fault_injection SITE:RANK[:SKIP]` makes rank RANK fail the (SKIP+1)-th
// local check of kind SITE (hdf5_write: an HDF5 write or create reports failure; file_check: a file looks
// missing). The tests use it to show that a failure on one rank ends the run with one error line, not a hang.
#include <petscvec.h>
#include <string>

namespace eqrnn {

// True on every rank iff `local` is true on every rank.
PetscErrorCode allRanks(MPI_Comm comm, bool local, bool *all);
// Rank 0's value of *value, on every rank.
PetscErrorCode rootValue(MPI_Comm comm, double *value);
PetscErrorCode rootValue(MPI_Comm comm, std::string *value);

// Whether `path` exists and is readable, agreed by every rank (missing anywhere: missing for all).
PetscErrorCode fileExistsEverywhere(MPI_Comm comm, const std::string &path, bool *exists);

// Order-independent checksum of a distributed vector's bits (the same on any number of ranks).
PetscErrorCode vecChecksum(Vec v, unsigned long long *sum);

enum class FaultSite { Hdf5Write, FileCheck };
// Reads -fault_injection (collective; every command accepts it).
PetscErrorCode readFaultInjection(MPI_Comm comm);
// Sets it directly (unit tests); rank < 0 switches it off.
void setFaultInjection(FaultSite site, int rank, int skip = 0);
// True where this rank is to fail this check (counts the checks of that kind on the chosen rank).
bool injectedFault(FaultSite site);

} // namespace eqrnn

// PetscCheck on a condition agreed by every rank of comm: the error is raised on every rank or on none.
#define EQRNN_CHECK_ALL(comm, cond, code, ...)                                                               \
  do {                                                                                                       \
    bool eqrnnAll_ = false;                                                                                  \
    PetscCall(::eqrnn::allRanks((comm), static_cast<bool>(cond), &eqrnnAll_));                               \
    PetscCheck(eqrnnAll_, (comm), (code), __VA_ARGS__);                                                      \
  } while (0)
