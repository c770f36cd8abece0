#include "operators/kernel.hpp"

#include "io/hdf5_file.hpp"
#include <cmath>

namespace eqrnn {

PetscErrorCode validateKernel(MPI_Comm comm, const KernelSpec &spec, const Group &group) {
  PetscFunctionBeginUser;
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

double kernelValue(const KernelSpec &spec, const Group &group, PetscInt g) {
  const auto c = group.coordinates(g);
  const auto n = group.factorOrders();
  auto theta   = [&](std::size_t i) {
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

PetscErrorCode fillKernel(const KernelSpec &spec, const Group &group, Vec w) {
  MPI_Comm comm;
  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(w), &comm));
  PetscCall(validateKernel(comm, spec, group));
  if (spec.family == "file") {
    PetscCall(readVector(comm, spec.file, spec.dataset, w));
    PetscFunctionReturn(0);
  }
  PetscInt lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  PetscCall(VecGetOwnershipRange(w, &lo, &hi));
  PetscCall(VecGetArray(w, &a));
  for (PetscInt g = lo; g < hi; ++g)
    a[g - lo] = kernelValue(spec, group, g);
  PetscCall(VecRestoreArray(w, &a));
  PetscFunctionReturn(0);
}

} // namespace eqrnn
