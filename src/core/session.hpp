#pragma once
// One object per process lifetime: MPI, PETSc/SLEPc, FFTW-MPI and HDF5 set up in the right order, and an
// error handler that turns PETSc's error stack into the single line a user sees.
#include <petscsys.h>
#include <string>

namespace eqrnn {

class Session {
public:
  Session(int *argc, char ***argv, const char *help);
  ~Session();
  Session(const Session &)            = delete;
  Session &operator=(const Session &) = delete;
  bool ok() const { return ok_; }
  // -help/--help/-h [petsc|markdown] and -version/--version are taken off the command line before PETSc
  // sees them (PETSc would print its own banners and help); the word after -help says what to list.
  bool helpRequested() const { return help_; }
  const std::string &helpTopic() const { return helpTopic_; } // "", "petsc" or "markdown"
  bool versionRequested() const { return version_; }

private:
  bool ok_          = false;
  bool ownsMpi_     = false;
  bool petscActive_ = false;
  bool help_        = false;
  bool version_     = false;
  std::string helpTopic_;
};

// The first message of the most recent PETSc error on this rank (what SETERRQ/PetscCheck said, without the
// traceback). Cleared by clearLastError().
const std::string &lastErrorMessage();
void clearLastError();

// Prints "eqrnn: error: <message>" once (rank 0 of comm, or this rank when it alone failed) and returns the
// exit status to use. Collective on comm.
int reportError(MPI_Comm comm, PetscErrorCode code);

} // namespace eqrnn
