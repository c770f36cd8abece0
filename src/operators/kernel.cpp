#include "operators/kernel.hpp"

#include "core/options.hpp"
#include "io/hdf5_file.hpp"
#include <algorithm>
#include <cmath>

namespace eqrnn {

namespace {
// A kernel file holds |G| C^2 values (kernel layout) or |G| values (times the channel matrix).
PetscErrorCode readKernelFile(MPI_Comm comm, const KernelSpec &spec, const Group &group, PetscInt channels,
                              Vec w) {
  PetscInt length = 0;
  PetscFunctionBeginUser;
  PetscCall(datasetLength(comm, spec.file, spec.dataset, &length));
  if (length == group.order() * channels * channels) {
    PetscCall(readVector(comm, spec.file, spec.dataset, w));
    PetscFunctionReturn(0);
  }
  PetscCheck(length == group.order(), comm, PETSC_ERR_USER_INPUT,
             "-kernel_file %s:%s holds %" PetscInt_FMT " values; %s with %" PetscInt_FMT
             " channels needs %" PetscInt_FMT " (|G|) or %" PetscInt_FMT " (|G| C^2)",
             spec.file.c_str(), spec.dataset.c_str(), length, group.spec().c_str(), channels, group.order(),
             group.order() * channels * channels);
  // Read |G| values into a Vec over G, then spread over channel pairs (same axis distribution up to C^2).
  VecHandle base;
  PetscInt lo = 0, hi = 0;
  PetscCall(VecGetOwnershipRange(w, &lo, &hi));
  const PetscInt C2 = channels * channels;
  PetscCall(VecCreateMPI(comm, (hi - lo) / C2, group.order(), base.address()));
  PetscCall(readVector(comm, spec.file, spec.dataset, base));
  const PetscScalar *b = nullptr;
  PetscScalar *a       = nullptr;
  PetscCall(VecGetArrayRead(base, &b));
  PetscCall(VecGetArray(w, &a));
  for (PetscInt k = lo; k < hi; ++k) {
    const PetscInt pair = k % C2;
    const double m      = spec.channelMatrix.empty() ? (pair / channels == pair % channels ? 1.0 : 0.0)
                                                     : spec.channelMatrix[pair];
    a[k - lo]           = m * b[(k - lo) / C2];
  }
  PetscCall(VecRestoreArray(w, &a));
  PetscCall(VecRestoreArrayRead(base, &b));
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode kernelIrrepTerms(MPI_Comm comm, const KernelSpec &spec, const Group &group,
                                std::vector<IrrepTerm> *terms) {
  std::vector<ProductIrrep> seen;
  std::size_t used = 0;
  PetscFunctionBeginUser;
  terms->clear();
  PetscCheck(!spec.irreps.empty(), comm, PETSC_ERR_USER_INPUT,
             "kernel irreps: give -kernel_irreps (e.g. E1 for D6; see eqrnn group -group ...)");
  PetscCheck(spec.irrepGains.empty() != spec.irrepBlocks.empty(), comm, PETSC_ERR_USER_INPUT,
             "kernel irreps: give either -kernel_irrep_gains or -kernel_irrep_blocks (one of them)");
  PetscCheck(spec.irrepBlocks.size() || spec.irrepGains.size() == spec.irreps.size(), comm,
             PETSC_ERR_USER_INPUT, "kernel irreps: -kernel_irrep_gains has %zu values for %zu irreps",
             spec.irrepGains.size(), spec.irreps.size());
  for (std::size_t i = 0; i < spec.irreps.size(); ++i) {
    IrrepTerm t;
    std::string error;
    PetscCheck(parseProductIrrep(group, spec.irreps[i], &t.irrep, &error), comm, PETSC_ERR_USER_INPUT, "%s",
               error.c_str());
    const ProductIrrep conj = productIrrepConjugate(group, t.irrep);
    PetscCheck(std::find(seen.begin(), seen.end(), t.irrep) == seen.end(), comm, PETSC_ERR_USER_INPUT,
               "kernel irreps: irrep %s listed twice (or as the conjugate of another listed one)",
               spec.irreps[i].c_str());
    seen.push_back(t.irrep);
    seen.push_back(conj);
    t.dim         = productIrrepDim(group, t.irrep);
    bool realForm = true;
    for (std::size_t f = 0; f < t.irrep.size(); ++f)
      realForm = realForm && group.factor(f).irrepIsReal(t.irrep[f]);
    t.weight = conj == t.irrep ? 1.0 : 2.0;
    if (spec.irrepBlocks.empty()) {
      t.block.assign(static_cast<std::size_t>(t.dim * t.dim), 0.0);
      for (int d = 0; d < t.dim; ++d)
        t.block[d * t.dim + d] = spec.irrepGains[i];
    } else {
      // A real block on a self-conjugate irrep needs real matrices (quaternionic irreps have none).
      PetscCheck(
          conj != t.irrep || realForm || t.dim == 1, comm, PETSC_ERR_USER_INPUT,
          "kernel irreps: %s has no real form (quaternionic type): give -kernel_irrep_gains instead of "
          "blocks",
          spec.irreps[i].c_str());
      const std::size_t need = static_cast<std::size_t>(t.dim * t.dim);
      PetscCheck(
          used + need <= spec.irrepBlocks.size(), comm, PETSC_ERR_USER_INPUT,
          "kernel irreps: -kernel_irrep_blocks has %zu values, the irreps need more (d^2 each, row-major)",
          spec.irrepBlocks.size());
      t.block.assign(spec.irrepBlocks.begin() + static_cast<std::ptrdiff_t>(used),
                     spec.irrepBlocks.begin() + static_cast<std::ptrdiff_t>(used + need));
      used += need;
    }
    terms->push_back(std::move(t));
  }
  PetscCheck(used == spec.irrepBlocks.size(), comm, PETSC_ERR_USER_INPUT,
             "kernel irreps: -kernel_irrep_blocks has %zu values, the irreps need %zu (d^2 each, row-major)",
             spec.irrepBlocks.size(), used);
  PetscFunctionReturn(0);
}

PetscErrorCode kernelIrrepSupport(MPI_Comm comm, const KernelSpec &spec, const Group &group,
                                  std::vector<ProductIrrep> *support) {
  std::vector<IrrepTerm> terms;
  PetscFunctionBeginUser;
  PetscCall(kernelIrrepTerms(comm, spec, group, &terms));
  support->clear();
  for (const auto &t : terms) {
    support->push_back(t.irrep);
    const ProductIrrep conj = productIrrepConjugate(group, t.irrep);
    if (conj != t.irrep) support->push_back(conj);
  }
  PetscFunctionReturn(0);
}

double irrepKernelValue(const Group &group, const std::vector<IrrepTerm> &terms, PetscInt g) {
  std::vector<Complex> rho;
  double w = 0;
  for (const auto &t : terms) {
    productIrrepMatrix(group, t.irrep, g, &rho);
    Complex trace = 0; // tr(W rho) = sum_ij W_ij rho_ji
    for (int i = 0; i < t.dim; ++i)
      for (int j = 0; j < t.dim; ++j)
        trace += t.block[i * t.dim + j] * rho[j * t.dim + i];
    w += t.weight * t.dim * trace.real();
  }
  return w;
}

PetscErrorCode validateKernel(MPI_Comm comm, const KernelSpec &spec, const Group &group, PetscInt channels) {
  PetscFunctionBeginUser;
  PetscCheck(spec.channelMatrix.empty() ||
                 spec.channelMatrix.size() == static_cast<std::size_t>(channels * channels),
             comm, PETSC_ERR_USER_INPUT,
             "-kernel_channels: %zu values given, %" PetscInt_FMT " channels need %" PetscInt_FMT
             " (row-major C x C)",
             spec.channelMatrix.size(), channels, channels * channels);
  PetscCheck(spec.cosetWeights.empty() ||
                 spec.cosetWeights.size() == static_cast<std::size_t>(group.quotientOrder()),
             comm, PETSC_ERR_USER_INPUT,
             "-kernel_coset_weights: %zu values given, %s has %" PetscInt_FMT " finite parts q",
             spec.cosetWeights.size(), group.spec().c_str(), group.quotientOrder());
  if (spec.family == "class") {
    PetscCheck(spec.classValues.size() == static_cast<std::size_t>(group.classCount()), comm,
               PETSC_ERR_USER_INPUT,
               "kernel class: -kernel_class_values has %zu values, %s has %" PetscInt_FMT
               " conjugacy classes (see eqrnn group)",
               spec.classValues.size(), group.spec().c_str(), group.classCount());
  } else if (spec.family == "irreps") {
    std::vector<IrrepTerm> terms;
    PetscCall(kernelIrrepTerms(comm, spec, group, &terms));
  }
  if (spec.family == "fourier") {
    const std::size_t d = group.numFactors();
    PetscCheck(!spec.cosCoeffs.empty() || !spec.sinCoeffs.empty(), comm, PETSC_ERR_USER_INPUT,
               "kernel fourier: give -fourier_cos and/or -fourier_sin coefficients");
    const std::size_t m = std::max(spec.cosCoeffs.size(), spec.sinCoeffs.size());
    PetscCheck(spec.modes.size() == m * d, comm, PETSC_ERR_USER_INPUT,
               "kernel fourier: -fourier_modes needs %zu integers (%zu wavevectors of %zu components for "
               "%s), got %zu",
               m * d, m, d, group.spec().c_str(), spec.modes.size());
    PetscCheck(spec.cosCoeffs.empty() || spec.cosCoeffs.size() == m, comm, PETSC_ERR_USER_INPUT,
               "kernel fourier: -fourier_cos has %zu values, -fourier_sin %zu", spec.cosCoeffs.size(),
               spec.sinCoeffs.size());
    PetscCheck(spec.sinCoeffs.empty() || spec.sinCoeffs.size() == m, comm, PETSC_ERR_USER_INPUT,
               "kernel fourier: -fourier_sin has %zu values, -fourier_cos %zu", spec.sinCoeffs.size(),
               spec.cosCoeffs.size());
  } else if (spec.family == "file") {
    PetscCheck(!spec.file.empty(), comm, PETSC_ERR_USER_INPUT, "kernel file: give -kernel_file FILE.h5");
  }
  PetscCheck(spec.kappa >= 0 && spec.kappa2 >= 0, comm, PETSC_ERR_USER_INPUT,
             "kernel: concentrations -kappa and -kappa2 must be >= 0");
  PetscFunctionReturn(0);
}

namespace {
double axisKernelValue(const KernelSpec &spec, const Group &group, PetscInt g) {
  const auto c  = group.axisCoordinates(g);
  const auto &n = group.axisOrders();
  auto theta    = [&](std::size_t i) {
    return 2.0 * M_PI * static_cast<double>(c[i]) / static_cast<double>(n[i]);
  };
  if (spec.family == "cosine") {
    double s = 0;
    for (std::size_t i = 0; i < n.size(); ++i)
      if (n[i] > 1) s += std::cos(theta(i));
    return spec.J0 + spec.J1 * s;
  }
  auto vonMises = [&](double kappa) {
    double s = 0; // sum of exponents: the product of per-axis von Mises factors
    for (std::size_t i = 0; i < n.size(); ++i)
      if (n[i] > 1) s += kappa * (std::cos(theta(i)) - 1.0);
    return std::exp(s);
  };
  if (spec.family == "vonmises") return spec.J0 + spec.J1 * vonMises(spec.kappa);
  if (spec.family == "mexican")
    return spec.J0 + spec.J1 * vonMises(spec.kappa) - spec.J2 * vonMises(spec.kappa2);
  if (spec.family == "fourier") {
    const std::size_t d = n.size();
    const std::size_t m = std::max(spec.cosCoeffs.size(), spec.sinCoeffs.size());
    double w            = 0;
    for (std::size_t k = 0; k < m; ++k) {
      double phase = 0;
      for (std::size_t i = 0; i < d; ++i)
        phase +=
            2.0 * M_PI * static_cast<double>(spec.modes[k * d + i] * c[i] % n[i]) / static_cast<double>(n[i]);
      if (!spec.cosCoeffs.empty()) w += spec.cosCoeffs[k] * std::cos(phase);
      if (!spec.sinCoeffs.empty()) w += spec.sinCoeffs[k] * std::sin(phase);
    }
    return w;
  }
  return 0.0;
}
} // namespace

double kernelValue(const KernelSpec &spec, const Group &group, PetscInt g) {
  if (spec.family == "class") return spec.classValues[group.classOf(g)];
  if (spec.family == "irreps") {
    std::vector<IrrepTerm> terms; // validated by validateKernel
    kernelIrrepTerms(MPI_COMM_SELF, spec, group, &terms);
    return irrepKernelValue(group, terms, g);
  }
  const double coset = spec.cosetWeights.empty() ? 1.0 : spec.cosetWeights[g % group.quotientOrder()];
  return coset * axisKernelValue(spec, group, g);
}

PetscErrorCode fillKernel(const KernelSpec &spec, const Group &group, PetscInt channels, Vec w) {
  MPI_Comm comm;
  PetscInt lo = 0, hi = 0;
  PetscScalar *a     = nullptr;
  const PetscInt C2  = channels * channels;
  auto channelFactor = [&](PetscInt k) {
    return spec.channelMatrix.empty() ? ((k % C2) / channels == k % channels ? 1.0 : 0.0)
                                      : spec.channelMatrix[k % C2];
  };
  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(w), &comm));
  PetscCall(validateKernel(comm, spec, group, channels));
  PetscCall(VecGetOwnershipRange(w, &lo, &hi));
  if (spec.family == "file") {
    // Either all |G| C^2 values, or |G| values times the channel matrix.
    PetscCall(readKernelFile(comm, spec, group, channels, w));
    PetscFunctionReturn(0);
  }
  // One kernel value per element (the C^2 channel pairs share it).
  std::vector<IrrepTerm> terms;
  if (spec.family == "irreps") PetscCall(kernelIrrepTerms(comm, spec, group, &terms));
  PetscCall(VecGetArray(w, &a));
  double value = 0;
  for (PetscInt k = lo; k < hi; ++k) {
    const PetscInt g = k / C2;
    if (k == lo || k % C2 == 0)
      value = spec.family == "irreps" ? irrepKernelValue(group, terms, g) : kernelValue(spec, group, g);
    a[k - lo] = channelFactor(k) * value;
  }
  PetscCall(VecRestoreArray(w, &a));
  PetscFunctionReturn(0);
}

} // namespace eqrnn
