#include "app/command.hpp"
#include "core/signals.hpp"

#include "core/collective.hpp"
#include "core/session.hpp"
#include "eqrnn/version.hpp"
#include "io/checkpoint.hpp"
#include <algorithm>
#include <exception>
#include <optional>
#include <sstream>

namespace eqrnn {

namespace {
std::vector<RegisteredCommand> &registry() {
  static std::vector<RegisteredCommand> all; // filled during static initialisation, read after main starts
  return all;
}

std::vector<std::string> &deferredPrefixes() {
  static std::vector<std::string> prefixes;
  return prefixes;
}

// Options PETSc reads only while or after a solver runs (viewers, converged reasons, error tables).
bool readAtSolveTime(const std::string &name) {
  for (const std::string &prefix : deferredPrefixes()) {
    if (name.rfind(prefix.substr(1), 0) != 0) continue; // names come without the dash
    const std::string rest = name.substr(prefix.size() - 1);
    if (rest.find("view") != std::string::npos || rest == "converged_reason" || rest.rfind("error_", 0) == 0)
      return true;
  }
  return false;
}

PetscErrorCode unusedOptions(MPI_Comm comm, bool deferSolveTime) {
  PetscInt n    = 0;
  char **names  = nullptr;
  char **values = nullptr;
  std::string bad;
  int count = 0;
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsLeftGet(nullptr, &n, &names, &values));
  for (PetscInt i = 0; i < n; ++i) {
    if (deferSolveTime && readAtSolveTime(names[i])) continue;
    bad += std::string(bad.empty() ? "-" : ", -") + names[i];
    ++count;
  }
  PetscCall(PetscOptionsLeftRestore(nullptr, &n, &names, &values));
  // The same database on every rank, so the same verdict.
  PetscCheck(count == 0, comm, PETSC_ERR_USER_INPUT,
             "unknown option%s %s (misspelled, or not used by this command)", count > 1 ? "s" : "",
             bad.c_str());
  PetscFunctionReturn(0);
}

std::string commandList() {
  std::string out;
  for (const auto &c : commands())
    out += (out.empty() ? "" : ", ") + std::string(c.facts.name);
  return out;
}

std::string usage() {
  std::ostringstream o;
  o << "eqrnn: equivariant recurrent networks on groups (simulate, analyse, train)\n\n"
    << "usage: eqrnn COMMAND [options]       (options also from a YAML deck: -options_file_yaml "
       "input/ring.yaml)\n\ncommands:\n";
  for (const auto &c : commands()) {
    std::string name = c.facts.name;
    o << "  " << name << std::string(name.size() < 13 ? 13 - name.size() : 1, ' ') << c.facts.summary << "\n";
  }
  o << "\neqrnn COMMAND -help lists that command's options with their defaults (-help petsc: PETSc's too);\n"
       "every PETSc option (-ts_type, -ts_monitor, -log_view, ...) works as well. -version prints the "
       "version,\n"
       "-list-commands the commands as a table (for job scripts). The manual is in docs/.\n";
  return o.str();
}

std::string commandHelp(const RegisteredCommand &c, const ParameterSet &p) {
  std::ostringstream o;
  o << "eqrnn " << c.facts.name << ": " << c.facts.summary << "\n";
  o << "options (current value, [type and range], meaning; the default where the value differs):\n";
  o << p.helpText();
  o << "\nalso accepted by every command: -options_file_yaml FILE (a deck), -help [petsc|markdown], "
       "-version,\n"
       "  -fault_injection SITE:RANK[:SKIP] (tests only: makes one rank fail an HDF5 write or a file "
       "check)\n";
  if (!c.facts.solverPrefixes.empty()) {
    std::string prefixes;
    for (const auto &s : c.facts.solverPrefixes)
      prefixes += (prefixes.empty() ? "" : " ") + s + "*";
    o << "PETSc/SLEPc solver options read by this command: " << prefixes << "\n"
      << "  (eqrnn " << c.facts.name << " -help petsc lists them with their values)\n";
  }
  return o.str();
}

PetscErrorCode runCommand(MPI_Comm comm, const RegisteredCommand &c, HelpMode help, int *status) {
  std::unique_ptr<Command> command = c.make();
  ParameterSet p;
  PetscFunctionBeginUser;
  command->declare(p);
  if (help == HelpMode::Markdown) {
    PetscCall(PetscPrintf(comm, "%s", p.markdown().c_str()));
    PetscFunctionReturn(0);
  }
  PetscCall(readFaultInjection(comm));
  PetscCall(p.read(comm));
  if (help == HelpMode::Options) {
    PetscCall(PetscPrintf(comm, "%s", commandHelp(c, p).c_str()));
    PetscFunctionReturn(0);
  }
  PetscCall(command->validate(comm));
  if (help == HelpMode::Petsc) {
    // PETSc prints every option its objects read while -help is set.
    PetscCall(PetscPrintf(comm, "%s\nPETSc and SLEPc options of this command's solvers:\n",
                          commandHelp(c, p).c_str()));
    PetscCall(PetscOptionsSetValue(nullptr, "-help", nullptr));
    PetscCall(command->listSolverOptions(comm));
    PetscFunctionReturn(0);
  }
  setDeferredOptionPrefixes(c.facts.solverPrefixes);
  PetscCall(command->run(comm, p, status));
  PetscCall(checkNoUnusedOptionsAtEnd(comm));
  PetscFunctionReturn(0);
}
} // namespace

CommandRegistration::CommandRegistration(CommandFacts facts, CommandFactory make) {
  auto &all = registry();
  all.push_back({std::move(facts), make});
  std::stable_sort(all.begin(), all.end(), [](const RegisteredCommand &a, const RegisteredCommand &b) {
    return a.facts.order < b.facts.order;
  });
}

const std::vector<RegisteredCommand> &commands() {
  return registry();
}

const RegisteredCommand *findCommand(const std::string &name) {
  for (const auto &c : registry())
    if (name == c.facts.name) return &c;
  return nullptr;
}

std::string commandTable() {
  std::ostringstream o;
  o << "# command\tresumes\tcheckpoint_options\tfigure\n";
  for (const auto &c : commands())
    o << c.facts.name << "\t" << (c.facts.resumes ? 1 : 0) << "\t" << c.facts.checkpointOptions << "\t"
      << c.facts.figure << "\n";
  return o.str();
}

void setDeferredOptionPrefixes(std::vector<std::string> prefixes) {
  deferredPrefixes() = std::move(prefixes);
}

PetscErrorCode checkNoUnusedOptions(MPI_Comm comm) {
  return unusedOptions(comm, true);
}

PetscErrorCode checkNoUnusedOptionsAtEnd(MPI_Comm comm) {
  return unusedOptions(comm, false);
}

int runCommandLine(int argc, char **argv, HelpMode help, bool version) {
  MPI_Comm comm             = PETSC_COMM_WORLD;
  const std::string command = (argc > 1 && argv[1][0] != '-') ? argv[1] : "";
  if (version) {
    PetscCallAbort(comm, PetscPrintf(comm, "eqrnn %s (git %s), PETSc %d.%d.%d\n", kVersion, kGitCommit,
                                     PETSC_VERSION_MAJOR, PETSC_VERSION_MINOR, PETSC_VERSION_SUBMINOR));
    return 0;
  }
  if (command.empty()) {
    PetscCallAbort(comm, PetscPrintf(comm, "%s", usage().c_str()));
    if (help != HelpMode::None) return 0;
    return reportError(comm, PetscError(comm, __LINE__, "runCommandLine", __FILE__, PETSC_ERR_USER_INPUT,
                                        PETSC_ERROR_INITIAL, "no command given (try: eqrnn -help)"));
  }
  const RegisteredCommand *c = findCommand(command);
  if (!c)
    return reportError(comm,
                       PetscError(comm, __LINE__, "runCommandLine", __FILE__, PETSC_ERR_USER_INPUT,
                                  PETSC_ERROR_INITIAL, "unknown command '%s' (commands: %s; eqrnn -help)",
                                  command.c_str(), commandList().c_str()));
  int status          = 0;
  PetscErrorCode code = 0;
  // A resumable command catches SIGUSR1/SIGTERM from here on: during its set-up (seconds to minutes at scale)
  // PETSc's handler or the default action would end the process with nothing saved; the flag is read at the
  // run's first checkpoint.
  std::optional<PreemptionSignals> early;
  if (c->facts.resumes && help == HelpMode::None) early.emplace();
  try {
    code = runCommand(comm, *c, help, &status);
  } catch (const std::exception &e) { // a library's exception is one line too, never std::terminate
    code = PetscError(comm, __LINE__, "runCommandLine", __FILE__, PETSC_ERR_LIB, PETSC_ERROR_INITIAL, "%s",
                      e.what());
  }
  if (code) return reportError(comm, code);
  if (status == kExitRequeue)
    PetscCallAbort(comm,
                   PetscPrintf(comm,
                               "eqrnn: stopped early after a checkpoint; resume with -restart auto (exit "
                               "status %d)\n",
                               kExitRequeue));
  return status;
}

} // namespace eqrnn
