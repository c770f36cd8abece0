#pragma once
// Connectivity kernels w(g) on a group: the families users ask for, evaluated on each rank's own elements (no
// rank builds the whole kernel), or read in parallel from an HDF5 dataset.
#include "groups/group_fourier.hpp"
#include <petscvec.h>
#include <string>
#include <vector>

namespace eqrnn {

struct KernelSpec {
  std::string family = "cosine"; // cosine | vonmises | mexican | fourier | class | irreps | file
  double J0 = 0.0, J1 = 1.0, kappa = 1.0;
  double J2 = 0.0, kappa2 = 0.5; // mexican: inhibitory surround J2 * prod exp(kappa2 (cos - 1))
  // fourier: wavevectors (numFactors integers each) and their cosine / sine coefficients.
  std::vector<PetscInt> modes;
  std::vector<double> cosCoeffs, sinCoeffs;
  std::string file, dataset = "/w";
  // Non-abelian groups. Axis families (cosine ... fourier) are functions of the axis angles, multiplied by a
  // weight per finite part q (default 1 for every q): w(a, q) = f(theta(a)) coset[q].
  std::vector<double> cosetWeights;
  std::vector<double> classValues; // class: one value per conjugacy class of G (Group::classOf order)
  // irreps: Fourier-space kernel w^(k) = gain_k I on each listed irrep k and on its conjugate, zero
  // elsewhere: w(g) = sum_k gain_k d_k chi_k(g) (+ the conjugate term). Labels per factor joined by ':'
  // ("E1:chi0").
  std::vector<std::string> irreps;
  std::vector<double> irrepGains;
  // Channels: w_cc'(g) = channelMatrix[c C + c'] w(g) (default the identity); a file kernel may instead give
  // all |G| C^2 values.
  std::vector<double> channelMatrix;
};

// The kernel's Fourier support: the listed irreps and their conjugates, each once, with their gains.
PetscErrorCode kernelIrrepSupport(MPI_Comm comm, const KernelSpec &spec, const Group &group,
                                  std::vector<ProductIrrep> *support, std::vector<double> *gains);

// Checks the spec against the group and the channel count; a user-input error otherwise.
PetscErrorCode validateKernel(MPI_Comm comm, const KernelSpec &spec, const Group &group,
                              PetscInt channels = 1);
// w(g) for an analytic family (channel factor excluded). Axes of order > 1; theta = 2 pi k / n along each.
double kernelValue(const KernelSpec &spec, const Group &group, PetscInt g);
// Fills w (kernel layout, |G| C^2 values: index (g C + c) C + c') with the kernel.
PetscErrorCode fillKernel(const KernelSpec &spec, const Group &group, PetscInt channels, Vec w);

} // namespace eqrnn
