#pragma once
// Pseudo-arclength continuation of fixed-point branches of an equivariant network, with bifurcation
// detection per isotypic component and equivariant branch switching (docs/mathematics.md, "Continuation").
//
// Unknowns u = (x, lambda, c_1 .. c_p): the state, the parameter, and one speed per phase condition. The
// corrector solves, matrix-free by Newton-Krylov (SNES, prefix -cont_; the Jacobian shell applies the
// network's linearisation, one group convolution),
//     F(x, lambda) + sum_i c_i T_i x = 0,                         (T_i: generator of translations on axis i)
//     w <t_x, x - x0> + t_lambda (lambda - lambda0) = ds,          (arclength, w = 1/N)
//     w <T_i xhat, x - xhat> = 0,   i = 1 .. p                     (phase conditions, xhat the predictor)
// The phase conditions remove the (near-)marginal translation modes of lattice attractors from the Newton
// system, so the corrector converges quadratically and the branch does not slide along its orbit; c_i is 0
// at equilibria and the drift speed of a relative equilibrium.
//
// At every accepted point the leading eigenvalues (SLEPc, prefix -cont_; warm-started) are grouped into
// multiplets, and each multiplet is labelled by its character on a fixed set of elements of the branch's
// isotropy group H (its isotypic component). One continuous test function per component, the largest real
// part in it, is followed; a sign change is located by the Illinois (regula falsi) iteration along the
// arclength, as is a sign change of the tangent's lambda component (a fold). Whole multiplets therefore
// cross together, and a crossing of two eigenvalues at once is found as surely as a simple one.
//
// At a branch point the critical eigenspace W carries a representation of H; the axial lines (subgroups K
// of H with dim Fix_W(K) = 1, the equivariant branching lemma) are found from the fixed spaces of
// candidate elements, one per conjugacy class under H, and each starts a branch inside Fix(K).
#include "analysis/reduced_model.hpp"
#include "analysis/symmetry.hpp"
#include "model/linearisation.hpp"
#include <petscsnes.h>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace eqrnn {

// The full network, or the exact reduced model on the kernel's Fourier support (analysis/reduced_model.hpp).
enum class ContinuationModel { Full, Reduced };
const char *continuationModelName(ContinuationModel m); // "full", "reduced"

enum class BifurcationType { Fold, Branch, Hopf };
const char *bifurcationTypeName(BifurcationType t); // "fold", "branch", "hopf"

// How a branch was started.
enum class BranchOrigin { Start, StartFile, Pitchfork, Transcritical };
const char *branchOriginName(BranchOrigin o); // "trivial", "start_file", "pitchfork", "transcritical"

struct ContinuationSpec {
  NetworkParameter parameter;
  ContinuationModel model = ContinuationModel::Full;
  ReduceSpec reduce; // the reduced model's support (-cont_irreps) when model is Reduced
  double minimum = 0, maximum = 0; // the range of the parameter
  double ds = 0.05, dsMin = 1e-5, dsMax = 0.2;
  PetscInt maxSteps = 400; // per direction of a branch
  PetscInt nev      = 8;   // eigenvalues per point
  double marginalTol = 1e-6, clusterTol = 1e-7;
  double locateTol   = 1e-10; // bifurcation points located to this (relative to max(1, |lambda|))
  PetscInt depth = 2, maxBranches = 24;
  PetscInt saveEvery = 0;    // keep the state every this many points (0: none)
  double tol         = 1e-10; // corrector: |G(u)| <= tol max(1, |x|)
  PetscInt maxIterations = 10;
  double inputTime       = 0;
  double symmetryTol     = 1e-6; // relative, for isotropy (as the census: FFT correlation distances carry ~1e-8)
  bool phaseConditions   = true;
  bool startAtZero       = true; // the first branch starts from x = 0 (Newton-corrected)
  std::vector<std::string> startFiles;
  PetscInt symmetriseMax = 64;   // project accepted points onto Fix(H) when |H| is at most this
  PetscInt candidateMax  = 2048; // all of H are candidates for axial subgroups up to this order
  bool quiet             = false; // no line per branch and per located point
};

struct BranchPoint {
  double parameter = 0, norm = 0, mean = 0;
  std::vector<double> fourier; // per cyclic axis of order > 2: largest 2 |xhat(k e_i)|, k != 0
  PetscInt nUnstable = 0, nMarginal = 0, iterations = 0;
  std::vector<double> re, im; // leading eigenvalues, real part descending
  std::vector<double> speed;  // c_i
  // Unstable eigenvalues per isotypic component of the branch's isotropy: "count@[character]" joined by ";",
  // the character taken on the branch's component_elements ("" when none is unstable).
  std::string unstableComponents;
};

struct Branch {
  PetscInt parent = -1, bornAt = -1, depth = 0;
  BranchOrigin origin = BranchOrigin::Start;
  Isotropy isotropy;
  Stabiliser stabiliser;
  PetscInt orbitSize = 1;
  std::vector<PetscInt> phaseAxes;
  std::string componentElements; // the elements of H the component characters are taken on
  std::vector<BranchPoint> points;
  std::vector<VecHandle> states;
  std::vector<PetscInt> statePoints;
  std::string endReason;
};

struct Bifurcation {
  BifurcationType type = BifurcationType::Branch;
  double parameter = 0, amplitude = 0;
  PetscInt branch = 0, multiplicity = 0;
  std::string irrep;
  std::vector<PetscInt> started;
  PetscInt sameAs = -1; // an earlier row at the same point (orbit-aware), where nothing is started again
  VecHandle x;
};

// A branch waiting to be continued: a start state, or a branch point and the axial direction to leave it by.
struct PendingBranch {
  PetscInt parent = -1, row = -1, depth = 0;
  BranchOrigin origin = BranchOrigin::Start;
  VecHandle x, direction; // direction: switched branches only (unit length in the w-norm)
  double lambda = 0;
};

struct ContinuationResult {
  std::vector<Branch> branches;
  std::vector<Bifurcation> bifurcations;
  std::vector<std::string> notFollowed; // what was not continued, and why
  std::string symmetry;                 // NetworkSymmetry::describe()
  double wallSeconds = 0;
  PetscInt steps     = 0; // accepted points, all branches
  bool stopped       = false; // stopped early by the progress callback (checkpointed)
};

class Continuation {
public:
  static PetscErrorCode create(RateNetwork &net, const ContinuationSpec &spec, std::unique_ptr<Continuation> *out);
  Continuation(const Continuation &)            = delete;
  Continuation &operator=(const Continuation &) = delete;
  ~Continuation();

  // The whole diagram: the start branches, then every branch switched to, breadth first, to spec.depth.
  // `progress` is called after each finished branch with the branches still to do; it may ask to stop (a
  // checkpoint was written). With `resumed`, *result holds the branches done so far and `resumed` the queue.
  using Progress = std::function<PetscErrorCode(const ContinuationResult &, const std::deque<PendingBranch> &,
                                                bool *stop)>;
  PetscErrorCode run(ContinuationResult *result, const Progress &progress = nullptr,
                     std::deque<PendingBranch> *resumed = nullptr);
  // Reads the solvers' options (-cont_snes_*, -cont_ksp_*, -cont_eps_*) without solving.
  static PetscErrorCode readSolverOptions(MPI_Comm comm);
  NetworkSymmetry &symmetry() { return *symmetry_; }

private:
  struct Impl;
  Continuation() = default;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<NetworkSymmetry> symmetry_;
};

} // namespace eqrnn
