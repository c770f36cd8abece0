#include "core/session.hpp"

#include "training/linalg.hpp" // setBlasThreads

#include <slepcsys.h>
#include <fftw3-mpi.h>
#include <hdf5.h>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

namespace eqrnn {
namespace {
std::string gLastError;

PetscErrorCode captureError(MPI_Comm, int, const char *, const char *, PetscErrorCode n, PetscErrorType p,
                            const char *mess, void *) {
  if (p == PETSC_ERROR_INITIAL) gLastError = (mess && *mess) ? mess : "PETSc error " + std::to_string(n);
  return n;
}

std::string optionsFiles(int argc, char **argv) {
  std::string files;
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "-options_file_yaml") || !std::strcmp(argv[i], "-options_file"))
      files += (files.empty() ? "" : ", ") + std::string(argv[i + 1]);
  return files;
}

// Files named by -options_file(_yaml) must exist before PETSc reads them, or PETSc aborts with a traceback.
// Decided by every rank together: PETSc reads them collectively.
std::string missingOptionsFile(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "-options_file_yaml") || !std::strcmp(argv[i], "-options_file")) {
      int here = std::ifstream(argv[i + 1]).good() ? 1 : 0;
      MPI_Allreduce(MPI_IN_PLACE, &here, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
      if (!here) return argv[i + 1];
    }
  }
  return {};
}
} // namespace

const std::string &lastErrorMessage() {
  return gLastError;
}
void clearLastError() {
  gLastError.clear();
}

Session::Session(int *argc, char ***argv, const char *help) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    MPI_Init(argc, argv);
    ownsMpi_ = true;
  }
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  // One BLAS thread per MPI rank: PETSc's vector operations call the BLAS, and OpenBLAS's default (a thread
  // per core in every rank) oversubscribes the cores and spins in sched_yield, a quarter of the time of a
  // right-hand side at 2^20 neurons on this 2-core machine (tests/perf/bench_rhs). train sets its own
  // -blas_threads after this.
  training::setBlasThreads(1);
  const std::string missing = missingOptionsFile(*argc, *argv);
  if (!missing.empty()) {
    if (rank == 0) std::fprintf(stderr, "eqrnn: error: options file '%s' not found\n", missing.c_str());
    return;
  }
  // The handler goes in first so that an error while PETSc reads the options (a malformed YAML deck) is
  // captured as one line instead of a traceback.
  if (PetscPushErrorHandler(captureError, nullptr)) return;
  int kept = 0;
  for (int i = 0; i < *argc; ++i) {
    const char *a = (*argv)[i];
    if (i > 0 && (!std::strcmp(a, "-help") || !std::strcmp(a, "--help") || !std::strcmp(a, "-h"))) {
      help_ = true;
      if (i + 1 < *argc &&
          (!std::strcmp((*argv)[i + 1], "petsc") || !std::strcmp((*argv)[i + 1], "markdown")))
        helpTopic_ = (*argv)[++i];
    } else if (i > 0 && (!std::strcmp(a, "-version") || !std::strcmp(a, "--version")))
      version_ = true;
    else
      (*argv)[kept++] = (*argv)[i];
  }
  *argc = kept;
  if (SlepcInitialize(argc, argv, nullptr, help)) {
    const std::string files = optionsFiles(*argc, *argv);
    if (rank == 0)
      std::fprintf(stderr, "eqrnn: error: reading options%s failed: %s\n",
                   files.empty() ? "" : (" from " + files).c_str(),
                   gLastError.empty() ? "PETSc/SLEPc initialisation failed" : gLastError.c_str());
    return;
  }
  petscActive_ = true;
  // Pushed again now that PETSc's allocator is set: the handler pushed before initialisation was allocated
  // with plain malloc, and popping it under -malloc_view or -malloc_debug (PETSc's tracing allocator) fails.
  // That first one stays on the stack, a few bytes, until the process ends.
  if (PetscPushErrorHandler(captureError, nullptr)) return;
  // PETSc traps SIGPIPE and prints a crash report; `eqrnn ... | head` should just end quietly, as Unix tools
  // do.
  std::signal(SIGPIPE, SIG_DFL);
  fftw_mpi_init();
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); // HDF5 failures are reported through our own messages
  ok_ = true;
}

Session::~Session() {
  if (petscActive_) {
    fftw_mpi_cleanup();
    PetscCallVoid(PetscPopErrorHandler());
    PetscCallVoid(SlepcFinalize());
  }
  if (ownsMpi_) MPI_Finalize();
}

int reportError(MPI_Comm comm, PetscErrorCode code) {
  if (code == 0) return 0;
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  std::string msg = lastErrorMessage();
  if (msg.empty()) msg = "failed with PETSc error code " + std::to_string(code);
  // Errors are meant to be collective; print the lowest failing rank's message exactly once.
  int failing = rank;
  MPI_Allreduce(MPI_IN_PLACE, &failing, 1, MPI_INT, MPI_MIN, comm);
  if (rank == failing) {
    std::fprintf(stderr, "eqrnn: error: %s\n", msg.c_str());
    std::fflush(stderr);
  }
  return 1;
}

} // namespace eqrnn
