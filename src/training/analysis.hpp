#pragma once
// Analysis of a trained network on the long sparse-ternary test sequences (task.hpp), data-parallel over
// chunks of test sequences with the same rank-independent sums as training (reduce.hpp):
//  - test error per channel: MSE_c / s_c^2 (mean over sequences and steps) and the relative error
//    sum (y - y*)^2 / sum y*^2;
//  - spectrum of the matrix the network uses (eigenvalues by decreasing modulus) and its singular values;
//  - manifold test: the recurrent currents (a_t = W u_t in the authors' form, W h_{t-1} in the common form)
//    projected on the top-D left singular vectors U_D of W: r = RMS(a - U_D U_D^T a) / RMS(a);
//  - PCA of the hidden states h_t over all test steps: the covariance's eigenvalues as fractions of the
//  total;
//  - mixed selectivity: the manifold coordinates z = U_D^T a are regressed on the integrals, z ~ Q y* + z0
//    (least squares), and neuron i's selectivity vector is kappa_i = (U_D Q)_i, the change of its current
//    per unit of each integral; for D = 2 its angle atan2(kappa_i2, kappa_i1). Also the direct regression of
//    each neuron's activity on the integrals (with intercept);
//  - ReLU, D = 1: neuron classes from the test activity: silent (active on < 1 % of the steps with y* > 0
//    and of those with y* < 0; only steps with |y*| >= s_c count), positive (active only for y* > 0),
//    negative, shared (both).
#include "training/trainer.hpp"

namespace eqrnn::training {

struct AnalysisSpec {
  std::uint64_t testSeed = 1;
  PetscInt testChunk     = 16; // test sequences per chunk (the unit of data parallelism)
  PetscInt saveSequences = 4;  // the first few test sequences are kept whole (inputs, targets, outputs, h)
  bool spectrum = true, pca = true;
};

enum NeuronClass { kSilent = 0, kPositive = 1, kNegative = 2, kShared = 3 };

struct AnalysisResult {
  std::vector<double> eigRe, eigIm; // of the matrix the network uses, by decreasing modulus
  std::vector<double> singular;     // decreasing
  std::vector<double> testMse, testRelativeError;
  double manifoldResidual = 0;
  std::vector<double> pcaExplained;                         // n fractions, decreasing
  std::vector<double> coordinateMap;                        // Q (D x D, row-major: Q[k D + c])
  std::vector<double> selectivity, regression;              // n x D, row-major
  std::vector<double> selectivityAngles;                    // n (D = 2)
  std::vector<double> neuronClass;                          // n (ReLU, D = 1): NeuronClass values
  std::vector<long long> classCounts;                       // silent, positive, negative, shared
  PetscInt saved = 0, length = 0;                           // sequences kept whole, their length
  std::vector<double> savedInput, savedTarget, savedOutput; // saved x L x D
  std::vector<double> savedHidden;                          // saved x L x n
};

// Collective; the same result on every rank (and on any number of ranks).
PetscErrorCode analyseNetwork(MPI_Comm comm, const TrainSpec &spec, const AnalysisSpec &aspec,
                              const Parameters &p, AnalysisResult *r);

} // namespace eqrnn::training
