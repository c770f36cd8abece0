#pragma once
// Connectivity kernels w(g) on a group: the families users ask for, evaluated on each rank's own elements (no
// rank builds the whole kernel), or read in parallel from an HDF5 dataset.
#include "groups/group_fourier.hpp"
#include "model/network_parameter.hpp"
#include <petscvec.h>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace eqrnn {

enum class KernelFamily { Cosine, VonMises, Mexican, Fourier, Class, Irreps, File };
// The names -kernel takes, in the order -help lists them.
const std::vector<std::pair<const char *, KernelFamily>> &kernelFamilyNames();
const char *kernelFamilyName(KernelFamily family);

struct KernelSpec {
  KernelFamily family = KernelFamily::Cosine;
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
  // irreps: the kernel in Fourier space. On each listed irrep k the block w^(k) = W_k (row-major in
  // irrepBlocks, d_k^2 values each, or W_k = gain_k I from irrepGains), on its complex conjugate the
  // conjugate block, zero elsewhere: w(g) = sum_k c_k d_k Re tr(W_k rho_k(g)), c_k = 1 for real irreps (in
  // real orthogonal form), 2 for complex ones (the conjugate's term). Labels per factor joined by ':'.
  std::vector<std::string> irreps;
  std::vector<double> irrepGains, irrepBlocks;
  // Channels: w_cc'(g) = channelMatrix[c C + c'] w(g) (default the identity); a file kernel may instead give
  // all |G| C^2 values.
  std::vector<double> channelMatrix;
};

// One listed irrep of an irreps kernel: its block and the weight c_k of its term.
struct IrrepTerm {
  ProductIrrep irrep;
  int dim = 1;
  std::vector<double> block; // d x d row-major
  double weight = 1;         // 1 (real irrep) or 2 (complex: the conjugate's term)
};
PetscErrorCode kernelIrrepTerms(MPI_Comm comm, const KernelSpec &spec, const Group &group,
                                std::vector<IrrepTerm> *terms);
// The kernel's Fourier support: the listed irreps and their conjugates, each once.
PetscErrorCode kernelIrrepSupport(MPI_Comm comm, const KernelSpec &spec, const Group &group,
                                  std::vector<ProductIrrep> *support);
// w(g) of an irreps kernel.
double irrepKernelValue(const Group &group, const std::vector<IrrepTerm> &terms, PetscInt g);

// A kernel family bound to its spec and group, validated: what every family provides (its value, which
// network parameters it depends on and how, whether it is a class function), so that no other code branches
// on the family.
class Kernel {
public:
  // Checks the spec against the group and the channel count (a user-input error otherwise).
  static PetscErrorCode create(MPI_Comm comm, const KernelSpec &spec, const Group &group, PetscInt channels,
                               std::unique_ptr<Kernel> *out);
  virtual ~Kernel() = default;
  // w(g) with the channel factor excluded. Axes of order > 1; theta = 2 pi k / n along each.
  double value(PetscInt g) const;
  // dw(g)/dp for a kernel parameter p; false if w does not depend on p.
  virtual bool derivative(const NetworkParameter &p, PetscInt g, double *dw) const;
  // A class function (w(h g h^-1) = w(g)): the network then also commutes with right translations.
  virtual bool isClassFunction() const { return false; }
  // Fills w (kernel layout, |G| C^2 values: index (g C + c) C + c') with the kernel.
  virtual PetscErrorCode fill(Vec w) const;
  // The same layout with dw/dp (the channel matrix applied).
  PetscErrorCode fillDerivative(const NetworkParameter &p, Vec dw) const;
  const KernelSpec &spec() const { return spec_; }

protected:
  // w(g) given g's axis coordinates (Group::axisCoordinates(g)), which a fill counts instead of dividing out.
  virtual double valueAt(PetscInt g, const PetscInt *axis) const = 0;
  KernelSpec spec_;
  Group group_;
  PetscInt channels_ = 1;
  double channelFactor(PetscInt k) const; // m_cc' for kernel-layout index k
  double cosetWeight(PetscInt g) const;   // the axis families' weight of g's finite part (default 1)
  // Per axis (Group::axisOrders()), cos(2 pi c / n) for c = 0 .. n-1: made on first use.
  const std::vector<std::vector<double>> &axisCosines() const;

private:
  mutable std::vector<std::vector<double>> axisCosines_;
};

// Checks the spec against the group and the channel count; a user-input error otherwise.
PetscErrorCode validateKernel(MPI_Comm comm, const KernelSpec &spec, const Group &group,
                              PetscInt channels = 1);
// w(g) (channel factor excluded); the spec must be valid.
double kernelValue(const KernelSpec &spec, const Group &group, PetscInt g);
// Fills w (kernel layout, |G| C^2 values: index (g C + c) C + c') with the kernel.
PetscErrorCode fillKernel(const KernelSpec &spec, const Group &group, PetscInt channels, Vec w);

} // namespace eqrnn
