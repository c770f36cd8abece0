#pragma once
// Fixed points of the trained network without input and the spectra of its linearisation there.
//
// Without input the network is the map h -> G(h) = phi(W h + c) + b_out, with c = 0, b_out = b in the
// authors' form (h = phi(W h) + b) and c = b, b_out = 0 in the common form (h = phi(W h + b)); W is the
// matrix the network uses (|W| diag(s) under Dale's law). A fixed point solves F(h) = -h + G(h) = 0, solved
// by PETSc SNES (Newton, options prefix -trained_) with the exact Jacobian -I + diag(phi'(W h + c)) W,
// assembled as a distributed dense matrix (MATDENSE, rows split across ranks). At each distinct fixed point
// the leading eigenvalues mu of the map's Jacobian A = diag(phi') W, by modulus, come from SLEPc (EPS on the
// dense A, prefix -trained_, -trained_eps_nev). A trained integrator of D channels has D eigenvalues
// mu ~ gamma_c ~ 1 along its (approximate) manifold of fixed points and the rest inside the unit circle.
//
// ReLU: phi' at the kink is slope * relu_derivative_at_zero, as in training. A neuron whose pre-activation
// is within the accuracy of the fixed point of the threshold is taken to be at the kink, so that the
// spectrum at, e.g., h = 0 does not depend on the sign of rounding errors (nor on the number of ranks).
// Everything is the same on any number of ranks up to rounding (~1e-12): W and the starts are replicated.
//
// Slow points. A ReLU network with b = 0 (and threshold 0) is positively homogeneous, so a trained
// integrator (gamma < 1) has h = 0 as its only exact fixed point and the census says little about its
// D-dimensional attractor. What characterises the attractor is that the states on it are slow: the relative
// speed q(h) = |G(h) - h| / |h| is small and A(h) = diag(phi'(W h + c)) W has D eigenvalues near 1 (~gamma_c)
// and the others small. slowPoints() measures that at given states (the census' starts, before Newton moves
// them), with the same phi' convention, kink rule and eigensolver as the fixed points; a state is given
// exactly, so the kink window is that of rounding, not of the Newton tolerance.
#include "training/analysis.hpp"

namespace eqrnn::training {

struct FixedPointSpec {
  PetscInt starts        = 8;     // h = 0 and starts - 1 test states (0: no census)
  double tol             = 1e-10; // converged when |F(h)| <= tol max(1, |h|)
  double sameTol         = 1e-6;  // one fixed point when |h - h'| <= sameTol max(1, |h|, |h'|)
  double unstableTol     = 1e-6;  // unstable: |mu| > 1 + unstableTol
  double marginalTol     = 1e-2;  // marginal: |mu - 1| < marginalTol (a trained leak 1 - gamma is ~5e-3)
  PetscInt nev           = 6;     // eigenvalues per fixed point unless -trained_eps_nev says otherwise
  PetscInt maxIterations = 50;    // Newton iterations unless -trained_snes_max_it says otherwise
  PetscInt slowPoints    = -1;    // test states measured as slow points (-1: the census' starts - 1; 0: none)
  double slowTol         = 0.15;  // an eigenvalue of A(h) is near 1 when |mu - 1| < slowTol
};

struct TrainedFixedPoint {
  std::vector<double> h;       // n (replicated)
  double residual = 0;         // |F(h)| / max(1, |h|)
  std::vector<double> readout; // D: y_c = d_c . h
  std::vector<double> re, im;  // leading eigenvalues of A = diag(phi') W, by decreasing modulus
  bool spectrum      = false;  // false: the eigensolver failed (re, im empty)
  PetscInt nUnstable = 0, nMarginal = 0;
  PetscInt atKink = 0; // ReLU neurons at the kink (their phi' is the convention's)
  PetscInt start  = 0; // the first start that reached it
};

struct TrainedFixedPoints {
  std::vector<TrainedFixedPoint> points; // in the order found
  PetscInt starts = 0, failed = 0;       // starts tried, and those where Newton did not converge
  double wallSeconds = 0;
};

struct SlowPoint {
  std::vector<double> h;       // n (replicated): the state, as given
  double speed = 0;            // |G(h) - h| / |h|
  std::vector<double> readout; // D: y_c = d_c . h
  std::vector<double> re, im;  // leading eigenvalues of A(h) = diag(phi') W, by decreasing modulus
  bool spectrum    = false;    // false: the eigensolver failed (re, im empty)
  PetscInt nearOne = 0;        // eigenvalues with |mu - 1| < slowTol
  PetscInt atKink  = 0;        // ReLU neurons at the kink
};

struct SlowPoints {
  std::vector<SlowPoint> points; // in the order of the states
  double wallSeconds = 0;
};

// How many slow points spec asks for: slowPoints, or by default the census' nonzero starts.
PetscInt slowPointCount(const FixedPointSpec &spec);
// Of a slow point: the largest |mu| among the computed eigenvalues not near 1 (NaN when all are near 1 or
// there are none); with nearOne = D, the gap between the attractor's modes and the rest.
double largestOtherModulus(const SlowPoint &sp, double slowTol);

// Starts for the census: h = 0, then count - 1 nonzero hidden states of the saved test sequences
// (r.savedHidden) at evenly spaced positions among all their steps, sequence after sequence, so that they lie
// along the trained manifold at several values of the integrals; with no saved sequence, the first few test
// sequences are run here. Fewer starts when there are fewer nonzero states. The same on every rank.
void fixedPointStarts(const TrainSpec &spec, const AnalysisSpec &aspec, const Parameters &p,
                      const AnalysisResult &r, PetscInt count, std::vector<std::vector<double>> *starts);

// Reads the -trained_ SNES/KSP/EPS options now (they then show in -help, count as used, and a bad one is
// reported before training). Collective.
PetscErrorCode readFixedPointSolverOptions(MPI_Comm comm, const ModelSpec &m, const FixedPointSpec &spec);

// Newton from every start; distinct fixed points (sameTol) with their residual, readout and spectrum.
// A start where Newton fails (divergence, NaN, too many iterations, linear solver failure) is counted and
// skipped. Collective.
PetscErrorCode trainedFixedPoints(MPI_Comm comm, const ModelSpec &m, const Parameters &p,
                                  const std::vector<std::vector<double>> &starts, const FixedPointSpec &spec,
                                  TrainedFixedPoints *out);

// Relative speed and spectrum of A(h) at every state (each nonzero, n entries, replicated), with the same
// kink rule (at the accuracy of the state: rounding) and SLEPc setup (-trained_eps_*) as the fixed points. An
// eigensolver failure leaves that point's spectrum false. Collective.
PetscErrorCode slowPoints(MPI_Comm comm, const ModelSpec &m, const Parameters &p,
                          const std::vector<std::vector<double>> &states, const FixedPointSpec &spec,
                          SlowPoints *out);

} // namespace eqrnn::training
