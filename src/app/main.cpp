// eqrnn: thin entry point; everything lives in the library (src/app/commands.hpp).
#include "app/commands.hpp"
#include "core/session.hpp"

int main(int argc, char **argv) {
  eqrnn::Session session(&argc, &argv, nullptr);
  if (!session.ok()) return 1;
  return eqrnn::runCommandLine(argc, argv, session.helpRequested(), session.versionRequested());
}
