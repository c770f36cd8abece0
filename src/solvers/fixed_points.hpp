#pragma once
// Fixed-point census of an equivariant network: F(x) = -x + J phi(x) + I = 0 solved by matrix-free
// Newton-Krylov (PETSc SNES; the Jacobian action is one group convolution) from many starts, with deflation
// so that later starts find new manifolds: F is multiplied by M(x) = prod_i (d_i(x)^-p + alpha), d_i the
// distance from x to the nearest point of the i-th known orbit (computed for all group elements at once by
// FFT correlation). Each new solution is classified: stabiliser, orbit size, and optionally the SLEPc
// spectrum (analysis/stability.hpp). After the census the manifolds are grouped into symmetry classes under
// the network's whole symmetry group Gamma (analysis/symmetry.hpp) and the continuous families.
#include "analysis/orbit.hpp"
#include "analysis/stability.hpp"
#include "analysis/symmetry.hpp"
#include "model/linearisation.hpp"
#include <petscsnes.h>
#include <functional>

namespace eqrnn {

struct CensusSpec {
  // States to polish first, "FILE[:DATASET]" (default dataset /final/x), e.g. a simulation's final state.
  std::vector<std::string> startFiles;
  PetscInt randomStarts = 12;                    // -fp_starts: seeded random starts (plus symmetry seeds)
  std::vector<double> amplitudes{0.5, 1.0, 2.0}; // amplitudes cycled through by the starts
  bool symmetrySeeds      = true;                // starts built from the kernel's leading Fourier modes
  unsigned long long seed = 1;
  double tol              = 1e-10; // accepted when |F(x)| <= tol * max(1, |x|)
  PetscInt maxIterations  = 50;
  double deflationPower = 2.0, deflationShift = 1.0;
  double sameTol     = 1e-6; // two solutions are one manifold when their orbits are this close (relative)
  double symmetryTol = 1e-6; // L_a x = x when |x - L_a x| <= symmetryTol * max(1, |x|)
  double familyTol   = 1e-3; // one continuous family when a fractional translate comes this close (relative)
  double inputTime   = 0.0;  // the input is taken at this time (fixed points of the autonomous system)
  bool stability     = false;
  StabilitySpec stabilitySpec;
};

struct Manifold {
  VecHandle x;
  std::shared_ptr<OrbitReference> orbit; // x prepared for orbit comparisons (deflation, duplicates)
  double residual = 0;                   // |F(x)| / max(1, |x|)
  Stabiliser stabiliser;
  PetscInt orbitSize = 1;
  PetscInt start     = -1; // which start found it
  PetscInt family    = 0;  // manifolds that are fractional translates of each other (one continuous manifold)
  // Set by FixedPointFinder::classify (-1: not classified, as in eqrnn stability):
  PetscInt latticeOrbit = -1; // manifolds related by an element of Gamma (an orbit of the lattice's symmetry)
  PetscInt symmetryClass = -1; // lattice orbits joined by fractional translations (families), also composed
                               // with an element of Gamma
  Isotropy isotropy;           // {h in Gamma : h x = x}
  bool hasStability = false;
  StabilityResult stability;
};

enum class StartResult { New, Repeat, Failed };
const char *startResultName(StartResult r); // "new", "repeat", "failed" (the progress lines)

struct StartOutcome {
  PetscInt start     = 0;
  StartResult result = StartResult::Failed;
  std::string detail; // failure reason or the manifold index
  PetscInt iterations = 0;
};

class FixedPointFinder {
public:
  static PetscErrorCode create(RateNetwork &net, const CensusSpec &spec,
                               std::unique_ptr<FixedPointFinder> *out);
  FixedPointFinder(const FixedPointFinder &)            = delete;
  FixedPointFinder &operator=(const FixedPointFinder &) = delete;
  ~FixedPointFinder();

  SNES snes() const { return snes_; }
  // The starts of a census, in order (deterministic and the same on any number of ranks): the start files,
  // x = 0, the symmetry seeds, the random starts.
  PetscErrorCode startCount(PetscInt *count);
  PetscErrorCode makeStart(PetscInt index, Vec x);
  // Newton from x (overwritten with the result). converged is false on divergence, NaN or too many
  // iterations.
  PetscErrorCode solve(Vec x, bool *converged, double *residual, PetscInt *iterations, std::string *failure);
  // Adds x as a manifold if it is not on a known orbit; classifies it.
  PetscErrorCode consider(Vec x, double residual, PetscInt start, StartOutcome *outcome);
  // Ends census() after the current start (a checkpoint was written and the run stops).
  void requestStop() { stop_ = true; }
  // All starts (from `first` on), calling `progress` after each one.
  PetscErrorCode census(PetscInt first, const std::function<PetscErrorCode(const StartOutcome &)> &progress);
  // Groups the manifolds found so far: isotropy in Gamma, lattice orbits, symmetry classes (numbered by first
  // manifold, in order). Returns Gamma's description and the two counts. Collective, the same on any number
  // of ranks.
  struct Classes {
    std::string symmetry; // NetworkSymmetry::describe()
    PetscInt latticeOrbits = 0, classes = 0;
  };
  PetscErrorCode classify(Classes *out);
  // The undeflated residual function F(x) = -x + J phi(x) + I.
  PetscErrorCode residual(Vec x, Vec f);

  std::vector<Manifold> &manifolds() { return manifolds_; }
  bool stopped() const { return stop_; }

private:
  bool stop_         = false;
  FixedPointFinder() = default;
  static PetscErrorCode snesFunction(SNES, Vec x, Vec f, void *ctx);
  static PetscErrorCode snesJacobian(SNES, Vec x, Mat J, Mat P, void *ctx);
  static PetscErrorCode snesConverged(SNES, PetscInt it, PetscReal xnorm, PetscReal snorm, PetscReal fnorm,
                                      SNESConvergedReason *reason, void *ctx);
  static PetscErrorCode deflatedMult(Mat, Vec v, Vec out);
  static PetscErrorCode deflatedDiagonal(Mat, Vec d);
  // M(x) and, if gradient is non-null, grad M(x).
  PetscErrorCode deflation(Vec x, double *factor, Vec gradient);
  // min over fractional translations delta of |x - T_delta L_a y|, a the best lattice shift (Gauss-Newton on
  // delta).
  PetscErrorCode continuousDistance(Vec x, Manifold &m, double *distance);
  PetscErrorCode leadingModes(std::vector<std::vector<PetscInt>> *modes);

  RateNetwork *net_ = nullptr;
  std::unique_ptr<Linearisation> lin_;
  std::vector<VecHandle> fileStarts_;
  CensusSpec spec_;
  std::unique_ptr<OrbitTools> orbits_;
  std::unique_ptr<NetworkSymmetry> symmetry_; // built by classify()
  PetscHandle<SNES, SNESDestroy> snes_;
  MatHandle jacobian_;
  VecHandle f_, fUndeflated_, gradient_, work_, shifted_;
  double factor_ = 1.0, lastFactor_ = 1.0;
  std::vector<Manifold> manifolds_;
  std::vector<std::vector<PetscInt>> seedModes_;
  bool seedModesReady_ = false;
  PetscInt families_   = 0;
};

} // namespace eqrnn
