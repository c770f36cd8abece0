#pragma once
// eqrnn's commands and their registry. A command is one file, src/app/cmd_<name>.cpp: a Command subclass
// (its parameter table, its validation, its run function) and one EQRNN_REGISTER_COMMAND line with its facts.
// Everything else follows from the registry: `eqrnn -help`, the unknown-command message, `eqrnn COMMAND
// -help`, docs/reference.md, and the table `eqrnn -list-commands` that jobs/job_common.sh reads (which
// commands resume, their default checkpoint options, which script draws their figure).
#include "core/parameters.hpp"
#include <memory>
#include <string>
#include <vector>

namespace eqrnn {

struct CommandFacts {
  const char *name    = "";
  const char *summary = ""; // one line, for `eqrnn -help`
  int order           = 0;  // position in listings
  // Checkpoints and resumes (-restart auto): what the job scripts add when they run it.
  bool resumes                  = false;
  const char *checkpointOptions = ""; // the jobs' default checkpoint options, e.g. "-checkpoint_walltime 300"
  const char *figure            = ""; // the postprocess script that draws its output ("": none)
  // The PETSc/SLEPc option prefixes its solvers read (told in -help; their solve-time options, such as
  // -ts_view or -eps_converged_reason, are checked after the run rather than before).
  std::vector<std::string> solverPrefixes;
};

class Command {
public:
  virtual ~Command() = default;
  // Binds every parameter to this command's configuration; the configuration's initial values are the
  // defaults.
  virtual void declare(ParameterSet &p) = 0;
  // Checks between parameters, after reading (each parameter's own range is in its declaration).
  virtual PetscErrorCode validate(MPI_Comm) { return 0; }
  // Builds the command's solvers so that PETSc lists their options (eqrnn COMMAND -help petsc).
  virtual PetscErrorCode listSolverOptions(MPI_Comm) { return 0; }
  // Runs with the parameters read. *status: 0, or kExitRequeue after a checkpoint and stop.
  virtual PetscErrorCode run(MPI_Comm comm, const ParameterSet &p, int *status) = 0;
};

using CommandFactory = std::unique_ptr<Command> (*)();

struct RegisteredCommand {
  CommandFacts facts;
  CommandFactory make = nullptr;
};

// Every command, in listing order.
const std::vector<RegisteredCommand> &commands();
const RegisteredCommand *findCommand(const std::string &name);

struct CommandRegistration {
  CommandRegistration(CommandFacts facts, CommandFactory make);
};
#define EQRNN_REGISTER_COMMAND(Type, ...)                                                                    \
  static const ::eqrnn::CommandRegistration registration##Type(                                              \
      ::eqrnn::CommandFacts{__VA_ARGS__},                                                                    \
      []() -> std::unique_ptr<::eqrnn::Command> { return std::make_unique<Type>(); })

// What -help asks for: eqrnn's own options, PETSc's too (-help petsc), or Markdown (-help markdown).
enum class HelpMode { None, Options, Petsc, Markdown };

// The whole command line: command word, help, options, errors. Returns the process exit status.
int runCommandLine(int argc, char **argv, HelpMode help, bool version);
// `eqrnn -list-commands`: one line per command, tab-separated: name, resumes (0/1), default checkpoint
// options, figure script. Needs neither MPI nor PETSc.
std::string commandTable();

// Solve-time options of the current command's solver prefixes are checked at the end of the run, not before
// (the driver sets them; library code calls checkNoUnusedOptions at its own point of no return).
void setDeferredOptionPrefixes(std::vector<std::string> prefixes);
// Errors out naming every option that was given but never read (misspelled, or not used by this command),
// except solve-time options (views, converged reasons) of the deferred prefixes.
PetscErrorCode checkNoUnusedOptions(MPI_Comm comm);
// The same for every option, deferred ones included (after the run).
PetscErrorCode checkNoUnusedOptionsAtEnd(MPI_Comm comm);

} // namespace eqrnn
