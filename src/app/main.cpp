// eqrnn: thin entry point; everything lives in the library (src/app/command.hpp).
#include "app/command.hpp"
#include "core/session.hpp"
#include "core/signals.hpp"
#include <cstdio>
#include <cstring>
#include <optional>

int main(int argc, char **argv) {
  // The job scripts ask which commands resume, before any MPI or PETSc start-up.
  if (argc == 2 && !std::strcmp(argv[1], "-list-commands")) {
    std::fputs(eqrnn::commandTable().c_str(), stdout);
    return 0;
  }
  // A resumable command keeps SIGUSR1/SIGTERM from its first instruction (see runCommandLine).
  std::optional<eqrnn::PreemptionSignals> early;
  const eqrnn::RegisteredCommand *command = argc > 1 ? eqrnn::findCommand(argv[1]) : nullptr;
  if (command && command->facts.resumes) early.emplace();
  eqrnn::Session session(&argc, &argv, nullptr);
  if (!session.ok()) return 1;
  const eqrnn::HelpMode help = !session.helpRequested()            ? eqrnn::HelpMode::None
                               : session.helpTopic() == "petsc"    ? eqrnn::HelpMode::Petsc
                               : session.helpTopic() == "markdown" ? eqrnn::HelpMode::Markdown
                                                                   : eqrnn::HelpMode::Options;
  return eqrnn::runCommandLine(argc, argv, help, session.versionRequested());
}
