#pragma once
// Typed option readers on top of the PETSc options database. Values are read as strings and parsed here so
// that every error names the option and the offending value ("-J1: 'abc' is not a number"), and NaN/Inf are
// refused. Each reader registers its option inside the caller's PetscOptionsBegin/End block, so -help lists
// it.
#include <petscsys.h>
#include <string>
#include <vector>

namespace eqrnn {

class OptionReader {
public:
  OptionReader(MPI_Comm comm, PetscOptionItems *items) : comm_(comm), items_(items) {}

  PetscErrorCode real(const char *name, const char *help, double def, double *value, bool *set = nullptr);
  PetscErrorCode integer(const char *name, const char *help, PetscInt def, PetscInt *value,
                         bool *set = nullptr);
  PetscErrorCode flag(const char *name, const char *help, bool def, bool *value);
  PetscErrorCode string(const char *name, const char *help, const std::string &def, std::string *value,
                        bool *set = nullptr);
  // One of a fixed list of words; anything else is an error that lists the choices.
  PetscErrorCode choice(const char *name, const char *help, const std::vector<std::string> &choices,
                        const std::string &def, std::string *value);
  // Comma-separated list of reals (finite), e.g. "0.5,1,2".
  PetscErrorCode realList(const char *name, const char *help, std::vector<double> *values,
                          bool *set = nullptr);
  PetscErrorCode intList(const char *name, const char *help, std::vector<PetscInt> *values,
                         bool *set = nullptr);

private:
  MPI_Comm comm_;
  PetscOptionItems *items_;
};

// Strict parsers shared by the readers (exposed for tests).
bool parseReal(const std::string &s, double *v);
bool parseInteger(const std::string &s, long long *v);
std::vector<std::string> splitList(const std::string &s, char sep);

// Errors out naming every option that was given but never read (misspelled or meaningless for this command).
PetscErrorCode checkNoUnusedOptions(MPI_Comm comm);

} // namespace eqrnn
