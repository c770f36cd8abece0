#pragma once
// Connectivity kernels w(g) on a group: the families users ask for, evaluated on each rank's own elements (no
// rank builds the whole kernel), or read in parallel from an HDF5 dataset.
#include "groups/group.hpp"
#include <petscvec.h>
#include <string>
#include <vector>

namespace eqrnn {

struct KernelSpec {
  std::string family = "cosine"; // cosine | vonmises | mexican | fourier | file
  double J0 = 0.0, J1 = 1.0, kappa = 1.0;
  double J2 = 0.0, kappa2 = 0.5; // mexican: inhibitory surround J2 * prod exp(kappa2 (cos - 1))
  // fourier: wavevectors (numFactors integers each) and their cosine / sine coefficients.
  std::vector<PetscInt> modes;
  std::vector<double> cosCoeffs, sinCoeffs;
  std::string file, dataset = "/w";
};

// Checks the spec against the group (e.g. wavevector lengths); a user-input error otherwise.
PetscErrorCode validateKernel(MPI_Comm comm, const KernelSpec &spec, const Group &group);
// w(g) for an analytic family. Axes are the factors of order > 1; theta = 2 pi k / n along each.
double kernelValue(const KernelSpec &spec, const Group &group, PetscInt g);
// Fills w (any layout over the group) with the kernel.
PetscErrorCode fillKernel(const KernelSpec &spec, const Group &group, Vec w);

} // namespace eqrnn
