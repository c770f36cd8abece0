#pragma once
// Linear stability of a state x*: the leading eigenvalues (largest real part) of the Jacobian
// A = (-I + J diag(phi'(x*))) / tau, computed by SLEPc on the matrix-free operator (every -eps_* option
// works; the default is 10 eigenpairs, Krylov-Schur). Marginal modes (|Re| and |Im| below a tolerance) are
// compared with the orbit's tangent directions: for a continuous attractor they are the motion along the
// manifold.
#include "model/rate_network.hpp"
#include <string>
#include <vector>

namespace eqrnn {

// stable: no eigenvalue with Re > tol; saddle: some; unknown: the eigensolver failed or found nothing.
enum class Classification { Stable, Saddle, Unknown, NotComputed };
const char *classificationName(Classification c); // as written to output files ("not computed", ...)

struct StabilitySpec {
  PetscInt nev       = 10;
  double marginalTol = 1e-6;  // |lambda| below this counts as marginal (units of 1/tau)
  bool saveVectors   = false; // keep the eigenvectors (real and imaginary parts) in the result
};

struct StabilityResult {
  std::vector<double> re, im; // converged eigenvalues, sorted by real part, descending
  PetscInt nUnstable = 0, nMarginal = 0;
  Classification classification = Classification::NotComputed;
  std::vector<double> tangentOverlap; // per tangent direction: |P_marginal t| / |t|
  std::vector<PetscInt> tangentAxes;
  std::vector<VecHandle> vectorsRe, vectorsIm; // with saveVectors, in the order of re/im
};

// Linearises `net` at xstar and analyses it. Solver failures are reported in the result
// (classification unknown), not as errors, so a census can go on; the failure is agreed by every rank.
PetscErrorCode analyseStability(RateNetwork &net, Vec xstar, const StabilitySpec &spec,
                                StabilityResult *result);
// An orthonormal basis of the span of *vs (modified Gram-Schmidt, twice), replacing them; a vector whose
// remainder has norm <= dropBelow is dependent and dropped.
PetscErrorCode orthonormalise(std::vector<VecHandle> *vs, double dropBelow = 1e-10);
// Reads the eigensolver's options (-eps_*, -st_*, -bv_*, ...) as analyseStability will, without solving: a
// command that computes spectra later calls it before checking for unused options.
PetscErrorCode readStabilitySolverOptions(MPI_Comm comm);

} // namespace eqrnn
