# Finds eqrnn's libraries where they already are: a cluster's modules or Spack, a PETSc build of one's own, or
# Debian's packages. Each dependency defines one imported target (eqrnn::petsc, eqrnn::slepc, eqrnn::fftw,
# eqrnn::hdf5, eqrnn::random123); everything not found is listed in one message at the end, with the variables
# that point to it. Each variable may be a CMake cache variable (-DPETSC_DIR=...) or an environment variable.
#
#   PETSc   PETSC_DIR and PETSC_ARCH (as every PETSc application reads them), else pkg-config (PETSc, petsc)
#   SLEPc   SLEPC_DIR (with PETSC_ARCH), else pkg-config (SLEPc, slepc)
#   FFTW    FFTW_DIR (a prefix with include/fftw3-mpi.h and lib/libfftw3_mpi), else pkg-config fftw3, else the
#           compiler's default paths; FFTW-MPI is looked for beside FFTW
#   HDF5    HDF5_DIR (a prefix), else pkg-config (hdf5-openmpi, hdf5-mpi, hdf5), else CMake's FindHDF5 with the
#           parallel library preferred (h5pcc on PATH, HDF5_ROOT); whichever is found must be parallel
#   Random123  RANDOM123_DIR (a prefix with include/Random123/philox.h), else the default paths
#
# pkg-config itself is optional: with PETSC_DIR, SLEPC_DIR and h5pcc (or HDF5_DIR) nothing needs it.

find_package(PkgConfig QUIET)
set(EQRNN_MISSING "")

# VAR's value from the cache (-DVAR=...) or the environment; empty when neither is set.
function(eqrnn_setting var out)
  if(DEFINED ${var} AND NOT "${${var}}" STREQUAL "")
    set(${out} "${${var}}" PARENT_SCOPE)
  elseif(DEFINED ENV{${var}})
    set(${out} "$ENV{${var}}" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

function(eqrnn_missing)
  string(JOIN "" what ${ARGV})
  set(EQRNN_MISSING "${EQRNN_MISSING}\n  - ${what}" PARENT_SCOPE)
endfunction()

# An imported target from include directories and libraries.
function(eqrnn_interface_target name includes libraries)
  add_library(${name} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${includes}"
                                           INTERFACE_LINK_LIBRARIES "${libraries}")
endfunction()

# First pkg-config module of NAMES that exists, as an imported target; sets ${prefix}_FOUND.
function(eqrnn_pkg_config prefix target)
  set(${prefix}_FOUND FALSE PARENT_SCOPE)
  if(NOT PKG_CONFIG_FOUND)
    return()
  endif()
  foreach(module IN LISTS ARGN)
    pkg_check_modules(${prefix}_PC QUIET IMPORTED_TARGET GLOBAL ${module})
    if(${prefix}_PC_FOUND)
      add_library(${target} ALIAS PkgConfig::${prefix}_PC)
      set(${prefix}_FOUND TRUE PARENT_SCOPE)
      set(${prefix}_INCLUDE_DIRS "${${prefix}_PC_INCLUDE_DIRS}" PARENT_SCOPE)
      set(${prefix}_LIBRARY_DIRS "${${prefix}_PC_LIBRARY_DIRS}" PARENT_SCOPE)
      message(STATUS "eqrnn: ${module} from pkg-config (${${prefix}_PC_VERSION})")
      return()
    endif()
  endforeach()
endfunction()

# PETSc and SLEPc share a layout: DIR/include (and DIR/ARCH/include for the configuration header) and
# DIR/ARCH/lib. PETSC_ARCH is empty for a prefix install (Debian's, Spack's).
function(eqrnn_find_petsc_family name dir_var header conf_header libnames pc_names target)
  eqrnn_setting(${dir_var} dir)
  eqrnn_setting(PETSC_ARCH arch)
  if(dir)
    set(roots "${dir}/${arch}" "${dir}")
    find_path(${name}_INCLUDE_DIR ${header} PATHS ${roots} PATH_SUFFIXES include NO_DEFAULT_PATH)
    find_path(${name}_CONF_DIR ${conf_header} PATHS ${roots} PATH_SUFFIXES include NO_DEFAULT_PATH)
    find_library(${name}_LIBRARY NAMES ${libnames} PATHS "${dir}/${arch}/lib" NO_DEFAULT_PATH)
    if(${name}_INCLUDE_DIR AND ${name}_CONF_DIR AND ${name}_LIBRARY)
      eqrnn_interface_target(${target} "${${name}_INCLUDE_DIR};${${name}_CONF_DIR}" "${${name}_LIBRARY}")
      message(STATUS "eqrnn: ${name} from ${dir_var}=${dir} PETSC_ARCH=${arch} (${${name}_LIBRARY})")
    else()
      string(REPLACE ";" " or lib" shown "${libnames}")
      eqrnn_missing("${name}: not under ${dir_var}=${dir} with PETSC_ARCH=${arch} (looked for include/${header}, "
                    "include/${conf_header} and lib/lib${shown}: check both variables)")
    endif()
    set(EQRNN_MISSING "${EQRNN_MISSING}" PARENT_SCOPE)
    return()
  endif()
  eqrnn_pkg_config(${name} ${target} ${pc_names})
  if(NOT ${name}_FOUND)
    eqrnn_missing("${name}: set ${dir_var} (and PETSC_ARCH), or put its lib/pkgconfig on PKG_CONFIG_PATH")
  endif()
  set(EQRNN_MISSING "${EQRNN_MISSING}" PARENT_SCOPE)
endfunction()

eqrnn_find_petsc_family(PETSc PETSC_DIR petsc.h petscconf.h "petsc;petsc_real" "PETSc;petsc" eqrnn::petsc)
eqrnn_find_petsc_family(SLEPc SLEPC_DIR slepc.h slepcconf.h "slepc;slepc_real" "SLEPc;slepc" eqrnn::slepc)

# FFTW (serial) and FFTW-MPI: FFTW-MPI ships no pkg-config file, so it is looked for beside FFTW.
eqrnn_setting(FFTW_DIR fftw_dir)
set(fftw_hints "")
if(fftw_dir)
  set(fftw_hints "${fftw_dir}")
elseif(PKG_CONFIG_FOUND)
  pkg_check_modules(FFTW_PC QUIET fftw3)
  list(APPEND fftw_hints ${FFTW_PC_INCLUDE_DIRS} ${FFTW_PC_LIBRARY_DIRS})
endif()
find_path(FFTW_MPI_INCLUDE_DIR fftw3-mpi.h HINTS ${fftw_hints} PATH_SUFFIXES include)
find_library(FFTW_LIBRARY fftw3 HINTS ${fftw_hints} PATH_SUFFIXES lib lib64)
find_library(FFTW_MPI_LIBRARY fftw3_mpi HINTS ${fftw_hints} PATH_SUFFIXES lib lib64)
if(FFTW_MPI_INCLUDE_DIR AND FFTW_LIBRARY AND FFTW_MPI_LIBRARY)
  eqrnn_interface_target(eqrnn::fftw "${FFTW_MPI_INCLUDE_DIR}" "${FFTW_MPI_LIBRARY};${FFTW_LIBRARY}")
  message(STATUS "eqrnn: FFTW-MPI ${FFTW_MPI_LIBRARY}")
else()
  eqrnn_missing("FFTW with FFTW-MPI (fftw3-mpi.h, libfftw3, libfftw3_mpi): set FFTW_DIR to its prefix")
endif()

# Parallel HDF5: the pkg-config names of Debian (hdf5-openmpi, hdf5-mpi) and of other systems (hdf5), then
# CMake's FindHDF5 (h5pcc). A serial HDF5 is refused: eqrnn writes collectively.
function(eqrnn_hdf5_is_parallel dirs out)
  find_file(EQRNN_H5_PUBCONF H5pubconf.h PATHS ${dirs} NO_DEFAULT_PATH NO_CACHE)
  set(${out} FALSE PARENT_SCOPE)
  if(EQRNN_H5_PUBCONF)
    file(STRINGS "${EQRNN_H5_PUBCONF}" parallel REGEX "^#define H5_HAVE_PARALLEL 1")
    if(parallel)
      set(${out} TRUE PARENT_SCOPE)
    endif()
  endif()
endfunction()

eqrnn_setting(HDF5_DIR hdf5_dir)
if(hdf5_dir)
  find_path(HDF5_DIR_INCLUDE hdf5.h PATHS "${hdf5_dir}" PATH_SUFFIXES include NO_DEFAULT_PATH)
  find_library(HDF5_DIR_LIBRARY hdf5 PATHS "${hdf5_dir}" PATH_SUFFIXES lib lib64 NO_DEFAULT_PATH)
  eqrnn_hdf5_is_parallel("${HDF5_DIR_INCLUDE}" hdf5_parallel)
  if(HDF5_DIR_INCLUDE AND HDF5_DIR_LIBRARY AND hdf5_parallel)
    eqrnn_interface_target(eqrnn::hdf5 "${HDF5_DIR_INCLUDE}" "${HDF5_DIR_LIBRARY}")
    message(STATUS "eqrnn: HDF5 from HDF5_DIR=${hdf5_dir}")
  else()
    eqrnn_missing("parallel HDF5: none under HDF5_DIR=${hdf5_dir} (include/hdf5.h, lib/libhdf5, H5_HAVE_PARALLEL)")
  endif()
else()
  eqrnn_pkg_config(HDF5 eqrnn::hdf5_pc hdf5-openmpi hdf5-mpi hdf5)
  if(HDF5_FOUND)
    eqrnn_hdf5_is_parallel("${HDF5_INCLUDE_DIRS}" hdf5_parallel)
  endif()
  if(HDF5_FOUND AND hdf5_parallel)
    add_library(eqrnn::hdf5 ALIAS PkgConfig::HDF5_PC)
  else()
    set(HDF5_PREFER_PARALLEL TRUE)
    find_package(HDF5 QUIET COMPONENTS C)
    if(HDF5_FOUND AND HDF5_IS_PARALLEL)
      eqrnn_interface_target(eqrnn::hdf5 "${HDF5_C_INCLUDE_DIRS}" "${HDF5_C_LIBRARIES}")
      message(STATUS "eqrnn: parallel HDF5 from FindHDF5 (${HDF5_C_LIBRARIES})")
    else()
      eqrnn_missing("parallel HDF5: not from pkg-config (hdf5-openmpi, hdf5-mpi, hdf5) nor from h5pcc: "
                    "set HDF5_DIR to its prefix, or put h5pcc on PATH")
    endif()
  endif()
endif()

# Random123 (Philox counter-based generator for the noise): header only.
eqrnn_setting(RANDOM123_DIR random123_dir)
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h HINTS ${random123_dir} PATH_SUFFIXES include)
if(RANDOM123_INCLUDE_DIR)
  eqrnn_interface_target(eqrnn::random123 "${RANDOM123_INCLUDE_DIR}" "")
else()
  eqrnn_missing("Random123 (Random123/philox.h): set RANDOM123_DIR to its prefix")
endif()

if(NOT EQRNN_MISSING STREQUAL "")
  message(FATAL_ERROR "eqrnn: dependencies not found:${EQRNN_MISSING}\n"
                      "(on Debian/Ubuntu as root, bash jobs/setup.sh installs them)")
endif()
