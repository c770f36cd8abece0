#include "training/analysis.hpp"

#include "training/linalg.hpp"
#include "training/reduce.hpp"
#include <algorithm>
#include <cmath>

namespace eqrnn::training {

namespace {
constexpr double kActiveFraction = 0.01; // ReLU classes: "active for y* > 0" means on >= 1 % of those steps
constexpr double kClassMargin    = 1.0;  // ReLU classes: only steps with |y*| >= one input step s_c
constexpr PetscInt kCovarianceSteps = 8; // hidden states buffered per rank-k update of the covariance
} // namespace

PetscErrorCode analyseNetwork(MPI_Comm comm, const TrainSpec &spec, const AnalysisSpec &aspec,
                              const Parameters &p, AnalysisResult *r) {
  PetscMPIInt rank = 0, size = 1;
  const ModelSpec &m = spec.model;
  const PetscInt n = m.n, D = m.D, L = spec.task.testLength, S = spec.task.testSamples, D1 = D + 1;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  *r = AnalysisResult();
  std::vector<double> weff;
  effectiveW(m, daleSigns(m), p.W, &weff);
  // Spectrum and singular vectors (rank 0's LAPACK, broadcast).
  std::vector<double> U;
  if (aspec.spectrum) {
    PetscCall(eigenvalues(comm, n, weff, &r->eigRe, &r->eigIm));
    sortByModulus(&r->eigRe, &r->eigIm);
  }
  PetscCall(singularValues(comm, n, weff, &r->singular, &U));
  const PetscInt K = std::min(D, n); // manifold dimension
  // First pass over the test set: per chunk, the sums below (one record) and the largest |h|.
  const PetscInt chunk   = std::max<PetscInt>(1, aspec.testChunk);
  const long long chunks = (S + chunk - 1) / chunk;
  long long first = 0, local = 0;
  chunkRange(chunks, rank, size, &first, &local);
  const std::size_t offErr = 0, offYsq = D, offCur = 2 * D, offRes = offCur + 1, offYY = offRes + 1,
                    offYZ = offYY + D1 * D1, offHY = offYZ + D1 * D, offAct = offHY + n * D1,
                    offSigns = offAct + 2 * n, record = offSigns + 2;
  std::vector<double> records(record * static_cast<std::size_t>(local), 0.0);
  double hmaxAll = 0; // bound on every chunk's sum of h_i h_j
  r->saved       = std::min<PetscInt>(aspec.saveSequences, S);
  r->length      = L;
  r->savedInput.assign(static_cast<std::size_t>(r->saved * L * D), 0.0);
  r->savedTarget = r->savedInput;
  r->savedOutput = r->savedInput;
  r->savedHidden.assign(static_cast<std::size_t>(r->saved * L * n), 0.0);
  Engine<double> engine(m, L);
  engine.setParameters(weff, p);
  std::vector<double> X, Y, z, res, yt;
  for (long long j = 0; j < local; ++j) {
    const PetscInt s0 = static_cast<PetscInt>((first + j) * chunk), count = std::min(chunk, S - s0);
    double *rec = records.data() + record * static_cast<std::size_t>(j);
    testSequences(spec.task, D, aspec.testSeed, s0, count, &X, &Y);
    double hmax = 0;
    z.resize(static_cast<std::size_t>(K * count));
    res.resize(static_cast<std::size_t>(n * count));
    yt.resize(static_cast<std::size_t>(D1 * count));
    auto visit = [&](PetscInt t, const double *current, const double *h, const double *y) {
      const double *target = Y.data() + D * count * t;
      for (PetscInt b = 0; b < count; ++b)
        for (PetscInt c = 0; c < D; ++c) {
          const double e = y[c + b * D] - target[c + b * D];
          rec[offErr + c] += e * e;
          rec[offYsq + c] += target[c + b * D] * target[c + b * D];
          yt[c + b * D1] = target[c + b * D];
        }
      for (PetscInt b = 0; b < count; ++b)
        yt[D + b * D1] = 1.0;
      // Manifold coordinates and residual.
      gemm('T', 'N', K, count, n, 1.0, U.data(), n, current, n, 0.0, z.data(), K);
      std::copy(current, current + n * count, res.begin());
      gemm('N', 'N', n, count, K, -1.0, U.data(), n, z.data(), K, 1.0, res.data(), n);
      for (PetscInt k = 0; k < n * count; ++k) {
        rec[offCur] += current[k] * current[k];
        rec[offRes] += res[k] * res[k];
      }
      // Regression sums: y~ y~^T, y~ z^T, h y~^T (y~ = (y*, 1)).
      gemm('N', 'T', D1, D1, count, 1.0, yt.data(), D1, yt.data(), D1, 1.0, rec + offYY, D1);
      if (K == D) gemm('N', 'T', D1, D, count, 1.0, yt.data(), D1, z.data(), K, 1.0, rec + offYZ, D1);
      gemm('N', 'T', n, D1, count, 1.0, h, n, yt.data(), D1, 1.0, rec + offHY, n);
      // ReLU classes (D = 1): activity phi(a) > 0 by sign of the integral.
      if (D == 1)
        for (PetscInt b = 0; b < count; ++b) {
          const double ys = target[b];
          if (std::abs(ys) < kClassMargin * spec.task.scale[0]) continue; // the sign of y* is clear
          const std::size_t side = ys > 0 ? 0 : 1;
          rec[offSigns + side] += 1;
          for (PetscInt i = 0; i < n; ++i) {
            const double act = h[i + b * n] - (m.form == ModelForm::Authors ? p.b[i] : 0.0);
            if (act > 0) rec[offAct + side * n + i] += 1;
          }
        }
      for (PetscInt k = 0; k < n * count; ++k)
        hmax = std::max(hmax, std::abs(h[k]));
      // The first sequences, whole.
      for (PetscInt b = 0; b < count && s0 + b < r->saved; ++b) {
        const std::size_t at = static_cast<std::size_t>((s0 + b) * L + t);
        for (PetscInt c = 0; c < D; ++c) {
          r->savedInput[at * D + c]  = X[c + D * (t * count + b)];
          r->savedTarget[at * D + c] = target[c + b * D];
          r->savedOutput[at * D + c] = y[c + b * D];
        }
        std::copy(h + b * n, h + (b + 1) * n, r->savedHidden.begin() + static_cast<std::ptrdiff_t>(at * n));
      }
    };
    engine.forward(count, L, X, visit);
    hmaxAll = std::max(hmaxAll, hmax * hmax * static_cast<double>(count * L));
  }
  std::vector<double> sum;
  PetscCall(orderedChunkSum(comm, first, local, chunks, record, records, &sum));
  // The saved sequences: each is on one rank, zeros elsewhere.
  for (auto *v : {&r->savedInput, &r->savedTarget, &r->savedOutput, &r->savedHidden})
    if (!v->empty() && size > 1)
      PetscCallMPI(
          MPI_Allreduce(MPI_IN_PLACE, v->data(), static_cast<int>(v->size()), MPI_DOUBLE, MPI_SUM, comm));
  // Errors and the manifold residual.
  const double samples = static_cast<double>(S) * static_cast<double>(L);
  for (PetscInt c = 0; c < D; ++c) {
    r->testMse.push_back(sum[offErr + c] / samples / (spec.task.scale[c] * spec.task.scale[c]));
    r->testRelativeError.push_back(sum[offYsq + c] > 0 ? sum[offErr + c] / sum[offYsq + c] : 0.0);
  }
  r->manifoldResidual = sum[offCur] > 0 ? std::sqrt(sum[offRes] / sum[offCur]) : 0.0;
  // Selectivity: z = Q y* + z0 (least squares), kappa = U_D Q; and activity on y* directly.
  std::vector<double> YY(sum.begin() + offYY, sum.begin() + offYZ);
  if (K == D) {
    std::vector<double> B(sum.begin() + offYZ, sum.begin() + offHY); // (D+1) x D: rows Q^T, then z0
    PetscCall(solveSymmetric(comm, D1, D, YY, &B));
    r->coordinateMap.assign(static_cast<std::size_t>(D * D), 0.0);
    for (PetscInt k = 0; k < D; ++k)
      for (PetscInt c = 0; c < D; ++c)
        r->coordinateMap[k * D + c] = B[c + k * D1]; // Q_kc = coefficient of y*_c in z_k
    r->selectivity.assign(static_cast<std::size_t>(n * D), 0.0);
    for (PetscInt i = 0; i < n; ++i)
      for (PetscInt c = 0; c < D; ++c) {
        double v = 0;
        for (PetscInt k = 0; k < D; ++k)
          v += U[i + k * n] * r->coordinateMap[k * D + c];
        r->selectivity[i * D + c] = v;
      }
    if (D == 2)
      for (PetscInt i = 0; i < n; ++i)
        r->selectivityAngles.push_back(std::atan2(r->selectivity[i * 2 + 1], r->selectivity[i * 2]));
  }
  {
    std::vector<double> HY(sum.begin() + offHY, sum.begin() + offAct); // n x (D+1), column-major
    std::vector<double> B(static_cast<std::size_t>(D1 * n));           // (D+1) x n
    for (PetscInt i = 0; i < n; ++i)
      for (PetscInt k = 0; k < D1; ++k)
        B[k + i * D1] = HY[i + k * n];
    PetscCall(solveSymmetric(comm, D1, n, YY, &B));
    r->regression.assign(static_cast<std::size_t>(n * D), 0.0);
    for (PetscInt i = 0; i < n; ++i)
      for (PetscInt c = 0; c < D; ++c)
        r->regression[i * D + c] = B[c + i * D1];
  }
  if (D == 1 && m.phi == Activation::Relu) {
    r->classCounts.assign(4, 0);
    const double npos = std::max(sum[offSigns], 1.0), nneg = std::max(sum[offSigns + 1], 1.0);
    for (PetscInt i = 0; i < n; ++i) {
      const bool pos = sum[offAct + i] / npos >= kActiveFraction;
      const bool neg = sum[offAct + n + i] / nneg >= kActiveFraction;
      const int k    = pos && neg ? kShared : pos ? kPositive : neg ? kNegative : kSilent;
      r->neuronClass.push_back(k);
      ++r->classCounts[k];
    }
  }
  // PCA: a second pass forms each chunk's sum of h h^T (rank-k updates over kCovarianceSteps steps at a time)
  // and adds it exactly, now that the bound on every chunk's entries is known; then the covariance's
  // eigenvalues (rank 0's LAPACK). Memory: one n x n matrix per rank.
  if (aspec.pca) {
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &hmaxAll, 1, MPI_DOUBLE, MPI_MAX, comm));
    ExactSum exact;
    exact.begin(static_cast<std::size_t>(n * n), hmaxAll, chunks);
    std::vector<double> cov, hbuf;
    for (long long j = 0; j < local && hmaxAll > 0; ++j) {
      const PetscInt s0 = static_cast<PetscInt>((first + j) * chunk), count = std::min(chunk, S - s0);
      testSequences(spec.task, D, aspec.testSeed, s0, count, &X, &Y);
      cov.assign(static_cast<std::size_t>(n * n), 0.0);
      hbuf.assign(static_cast<std::size_t>(n * count * kCovarianceSteps), 0.0);
      PetscInt buffered = 0;
      engine.forward(count, L, X, [&](PetscInt t, const double *, const double *h, const double *) {
        std::copy(h, h + n * count, hbuf.begin() + n * count * buffered);
        if (++buffered == kCovarianceSteps || t == L - 1) {
          syrkLower(n, count * buffered, 1.0, hbuf.data(), n, 1.0, cov.data(), n);
          buffered = 0;
        }
      });
      exact.add(cov.data());
    }
    std::vector<double> C(static_cast<std::size_t>(n * n));
    PetscCall(exact.finish(comm, C.data()));
    std::vector<double> mean(static_cast<std::size_t>(n));
    for (PetscInt i = 0; i < n; ++i)
      mean[i] = sum[offHY + i + D * n] / samples; // the column of y~'s constant 1
    for (PetscInt j = 0; j < n; ++j)
      for (PetscInt i = j; i < n; ++i)
        C[i + j * n] = C[i + j * n] / samples - mean[i] * mean[j];
    std::vector<double> w;
    PetscCall(symmetricEigenvalues(comm, n, C, &w));
    double total = 0;
    for (double &x : w) {
      x = std::max(x, 0.0);
      total += x;
    }
    for (double x : w)
      r->pcaExplained.push_back(total > 0 ? x / total : 0.0);
  }
  PetscFunctionReturn(0);
}

} // namespace eqrnn::training
