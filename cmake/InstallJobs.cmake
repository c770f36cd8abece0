# Run by `cmake --install` (see CMakeLists.txt): copies the job scripts into PREFIX/share/eqrnn/jobs with the
# installed location written into them, so that an installed sbatch script finds job_common.sh, the decks and
# PREFIX/bin/eqrnn wherever it is submitted from (SLURM runs a copy of the script, not the file itself).
# Inputs: EQRNN_SOURCE_JOBS (the source folder), EQRNN_SHARE (PREFIX/share/eqrnn, without DESTDIR).
set(destination "$ENV{DESTDIR}${EQRNN_SHARE}/jobs")
file(MAKE_DIRECTORY "${destination}")
file(GLOB scripts "${EQRNN_SOURCE_JOBS}/*.sbatch")
foreach(script IN LISTS scripts)
  file(READ "${script}" text)
  string(REPLACE "EQRNN_INSTALLED_ROOT=\"\"" "EQRNN_INSTALLED_ROOT=\"${EQRNN_SHARE}\"" text "${text}")
  get_filename_component(name "${script}" NAME)
  message(STATUS "Installing: ${destination}/${name}")
  file(WRITE "${destination}/${name}" "${text}")
  file(CHMOD "${destination}/${name}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
       GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
