# Writes the version header with the commit of the source tree as it is at build time (run by the
# eqrnn_version target at every build, so outputs never record a stale commit). configure_file rewrites the
# header only when its content changes, so an unchanged commit rebuilds nothing.
#   cmake -DSOURCE_DIR=... -DINPUT=version.hpp.in -DOUTPUT=.../version.hpp -DPROJECT_VERSION=x.y.z -P git_version.cmake
execute_process(COMMAND git describe --always --dirty --abbrev=12 WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE EQRNN_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT EQRNN_GIT_COMMIT)
  set(EQRNN_GIT_COMMIT unknown)
endif()
configure_file(${INPUT} ${OUTPUT} @ONLY)
