#pragma once
// The exact reduced model of docs/mathematics.md section 5. If the kernel's Fourier support is a set K of
// irreps (closed under conjugation), J maps every state into V_K = span{Re, Im rho_k(g)_ij : k in K} (per
// channel) and kills its orthogonal complement, so with an orthonormal real basis B of V_K (N x R, R = C
// sum_{k in K} d_k^2):
//     J = B Jhat B^T,  Jhat = B^T J B,      tau da/dt = -a + Jhat B^T phi(B a),
// the R-dimensional ODE in the coordinates a (the real form of kappa_k = x^(k)). It is exact for every N: its
// fixed points lift to fixed points x = B a of the full network, its Jacobian -I + Jhat B^T diag(phi'(x)) B
// carries the R eigenvalues of the full Jacobian that are not -1/tau.
#include "analysis/orbit.hpp"
#include "analysis/stability.hpp"
#include "groups/group_fourier.hpp"
#include "model/rate_network.hpp"
#include <memory>
#include <string>
#include <vector>

namespace eqrnn {

struct ReduceSpec {
  std::vector<std::string> irreps; // K when the kernel is not an irreps kernel (labels as in eqrnn group)
  PetscInt starts = 200;           // random starts for Newton on the reduced model
  std::vector<double> amplitudes{0.5, 1.0, 2.0, 4.0};
  unsigned long long seed = 1;
  double tol              = 1e-12; // |F(a)| <= tol max(1, |a|)
  PetscInt maxIterations  = 100;
  double sameTol          = 1e-6; // orbit distance (relative) below which two fixed points are one orbit
  double symmetryTol      = 1e-6; // stabiliser tolerance (relative)
  double marginalTol      = 1e-6;
  bool verify             = true; // lift, full residual and SLEPc spectrum
  // Class-function kernels (scalar gains, class values) also commute with right translations: the network's
  // symmetry is G x G and G-orbits related by a right translation are one family. Checked for |G| up to this.
  PetscInt familyMaxOrder = 5000;
  double familyTol = 1e-3; // one continuous family when a fractional translate is this close (relative)
};

struct ReducedFixedPoint {
  std::vector<double> a;      // reduced coordinates
  VecHandle x;                // lifted state B a
  double residualReduced = 0; // |F(a)| (absolute, reduced coordinates)
  double residualFull    = 0; // |-x + J phi(x)| / max(1, |x|) on the full network (passes below 1e-10)
  Stabiliser stabiliser;
  PetscInt orbitSize = 0, dimension = 0, start = 0; // start -1: the mirror image -a of another orbit
  // Family: the orbit under every symmetry of the network (right translations for class-function kernels,
  // x -> -x for odd phi) and continuous translations along the axes (one lattice-split manifold).
  PetscInt family = -1;
  std::shared_ptr<OrbitReference> orbit; // for continuous-translation comparisons
  std::vector<double> re, im;            // reduced Jacobian spectrum, real part descending
  PetscInt nUnstable = 0, nMarginal = 0;
  Classification classification = Classification::NotComputed;
  std::vector<double> fullRe, fullIm; // leading full-network eigenvalues from SLEPc
  double spectrumMismatch      = -1;  // max |lambda_full - lambda_reduced| over the compared ones
  PetscInt comparedEigenvalues = 0;
  bool verified                = false;
};

// The order in which a census lists its fixed points: by norm, with norms that differ by at most `tol` from a
// neighbour in a run of neighbours kept in the order found (mirror images, symmetric copies). Grouping first
// makes the comparison a strict weak ordering, which a tolerance inside a comparator is not.
std::vector<std::size_t> orderByNorm(const std::vector<double> &norms, double tol);
// Eigenvalues of a dense n x n row-major matrix (LAPACK dgeev), real part descending; false if LAPACK failed.
bool realMatrixEigenvalues(std::vector<double> m, int n, std::vector<double> *re, std::vector<double> *im);

class ReducedModel {
public:
  static PetscErrorCode create(RateNetwork &net, const ReduceSpec &spec, std::unique_ptr<ReducedModel> *out);
  PetscInt dimension() const { return static_cast<PetscInt>(basis_.size()); }
  const std::vector<ProductIrrep> &support() const { return support_; }
  const std::vector<double> &reducedConnectivity() const { return jhat_; } // R x R row-major
  // Largest |J v - B B^T J v| and |J (v - B B^T v)| over random v (relative): 0 up to rounding if K is the
  // kernel's Fourier support.
  double supportDefect() const { return supportDefect_; }

  PetscErrorCode lift(const std::vector<double> &a, Vec x);
  PetscErrorCode project(Vec x, std::vector<double> *a);
  // F(a) = (-a + Jhat B^T phi(B a)) / tau, and its Jacobian (R x R row-major).
  PetscErrorCode residual(const std::vector<double> &a, std::vector<double> *f);
  PetscErrorCode jacobian(const std::vector<double> &a, std::vector<double> *jac);
  // Newton with backtracking from a; true if converged.
  PetscErrorCode newton(std::vector<double> *a, bool *converged, double *residualNorm);
  // All fixed points from spec.starts starts, one per orbit, analysed and (with verify) checked on the full
  // network.
  PetscErrorCode census(std::vector<ReducedFixedPoint> *found, PetscInt *failedStarts);

private:
  ReducedModel() = default;
  PetscErrorCode buildBasis();
  PetscErrorCode analyse(ReducedFixedPoint *p);
  PetscErrorCode verifyOnFullNetwork(ReducedFixedPoint *p);
  PetscErrorCode assignFamily(const std::vector<ReducedFixedPoint> &found, ReducedFixedPoint *p);
  bool rightSymmetric_ = false; // the kernel is a class function
  PetscInt families_   = 0;

  RateNetwork *net_ = nullptr;
  ReduceSpec spec_;
  std::vector<ProductIrrep> support_;
  std::vector<VecHandle> basis_;
  std::vector<double> jhat_;
  double supportDefect_ = 0;
  std::unique_ptr<OrbitTools> orbits_;
  VecHandle x_, rate_, work_;
};

} // namespace eqrnn
