// eqrnn: thin entry point; everything lives in the library (src/app/command.hpp).
#include "app/command.hpp"
#include "core/session.hpp"
#include <cstdio>
#include <cstring>

int main(int argc, char **argv) {
  // The job scripts ask which commands resume, before any MPI or PETSc start-up.
  if (argc == 2 && !std::strcmp(argv[1], "-list-commands")) {
    std::fputs(eqrnn::commandTable().c_str(), stdout);
    return 0;
  }
  eqrnn::Session session(&argc, &argv, nullptr);
  if (!session.ok()) return 1;
  const eqrnn::HelpMode help = !session.helpRequested()            ? eqrnn::HelpMode::None
                               : session.helpTopic() == "petsc"    ? eqrnn::HelpMode::Petsc
                               : session.helpTopic() == "markdown" ? eqrnn::HelpMode::Markdown
                                                                   : eqrnn::HelpMode::Options;
  return eqrnn::runCommandLine(argc, argv, help, session.versionRequested());
}
