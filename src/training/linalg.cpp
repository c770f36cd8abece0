#include "training/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <string>

extern "C" {
void dgemm_(const char *, const char *, const int *, const int *, const int *, const double *, const double *,
            const int *, const double *, const int *, const double *, double *, const int *);
void sgemm_(const char *, const char *, const int *, const int *, const int *, const float *, const float *,
            const int *, const float *, const int *, const float *, float *, const int *);
void dsyrk_(const char *, const char *, const int *, const int *, const double *, const double *, const int *,
            const double *, double *, const int *);
void dgeev_(const char *, const char *, const int *, double *, const int *, double *, double *, double *,
            const int *, double *, const int *, double *, const int *, int *);
void dgesdd_(const char *, const int *, const int *, double *, const int *, double *, double *, const int *,
             double *, const int *, double *, const int *, int *, int *);
void dsyev_(const char *, const char *, const int *, double *, const int *, double *, double *, const int *,
            int *);
void dposv_(const char *, const int *, const int *, double *, const int *, double *, const int *, int *);
#if EQRNN_HAVE_OPENBLAS
void openblas_set_num_threads(int);
char *openblas_get_config(void);
char *openblas_get_corename(void);
#endif
}

namespace eqrnn::training {

namespace {
int i32(PetscInt v) {
  return static_cast<int>(v);
}
} // namespace

void gemm(char transA, char transB, PetscInt m, PetscInt n, PetscInt k, double alpha, const double *A,
          PetscInt lda, const double *B, PetscInt ldb, double beta, double *C, PetscInt ldc) {
  if (m <= 0 || n <= 0) return;
  const int M = i32(m), N = i32(n), K = i32(k), LA = i32(std::max<PetscInt>(lda, 1)),
            LB = i32(std::max<PetscInt>(ldb, 1)), LC = i32(ldc);
  dgemm_(&transA, &transB, &M, &N, &K, &alpha, A, &LA, B, &LB, &beta, C, &LC);
}

void gemm(char transA, char transB, PetscInt m, PetscInt n, PetscInt k, float alpha, const float *A,
          PetscInt lda, const float *B, PetscInt ldb, float beta, float *C, PetscInt ldc) {
  if (m <= 0 || n <= 0) return;
  const int M = i32(m), N = i32(n), K = i32(k), LA = i32(std::max<PetscInt>(lda, 1)),
            LB = i32(std::max<PetscInt>(ldb, 1)), LC = i32(ldc);
  sgemm_(&transA, &transB, &M, &N, &K, &alpha, A, &LA, B, &LB, &beta, C, &LC);
}

void syrkLower(PetscInt n, PetscInt k, double alpha, const double *A, PetscInt lda, double beta, double *C,
               PetscInt ldc) {
  if (n <= 0) return;
  const int N = i32(n), K = i32(k), LA = i32(std::max<PetscInt>(lda, 1)), LC = i32(ldc);
  dsyrk_("L", "N", &N, &K, &alpha, A, &LA, &beta, C, &LC);
}

bool setBlasThreads(int threads) {
#if EQRNN_HAVE_OPENBLAS
  openblas_set_num_threads(std::max(1, threads));
  return true;
#else
  (void)threads;
  return false;
#endif
}

const char *blasDescription() {
#if EQRNN_HAVE_OPENBLAS
  static std::string d = std::string(openblas_get_config()) + " (" + openblas_get_corename() + ")";
  return d.c_str();
#else
  return "reference BLAS";
#endif
}

namespace {
// LAPACK on rank 0 only, the result broadcast: every rank gets the same bits, and the other ranks' cores
// stay free.
PetscErrorCode onRankZero(MPI_Comm comm, const std::function<int()> &work, std::vector<double> *out,
                          const char *what) {
  PetscMPIInt rank = 0;
  int info         = 0;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) info = work();
  PetscCallMPI(MPI_Bcast(&info, 1, MPI_INT, 0, comm));
  PetscCheck(info == 0, comm, PETSC_ERR_LIB, "LAPACK %s failed (info = %d)", what, info);
  long long size = static_cast<long long>(out->size());
  PetscCallMPI(MPI_Bcast(&size, 1, MPI_LONG_LONG, 0, comm));
  out->resize(static_cast<std::size_t>(size));
  if (size > 0) PetscCallMPI(MPI_Bcast(out->data(), static_cast<int>(size), MPI_DOUBLE, 0, comm));
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode eigenvalues(MPI_Comm comm, PetscInt n, const std::vector<double> &A, std::vector<double> *re,
                           std::vector<double> *im) {
  std::vector<double> both;
  PetscFunctionBeginUser;
  auto work = [&]() {
    std::vector<double> a(A), wr(n), wi(n), vdummy(1);
    const int N = i32(n), one = 1;
    int info = 0, lwork = -1;
    double query = 0;
    dgeev_("N", "N", &N, a.data(), &N, wr.data(), wi.data(), vdummy.data(), &one, vdummy.data(), &one, &query,
           &lwork, &info);
    lwork = static_cast<int>(query);
    std::vector<double> w(static_cast<std::size_t>(std::max(lwork, 1)));
    dgeev_("N", "N", &N, a.data(), &N, wr.data(), wi.data(), vdummy.data(), &one, vdummy.data(), &one,
           w.data(), &lwork, &info);
    both = wr;
    both.insert(both.end(), wi.begin(), wi.end());
    return info;
  };
  PetscCall(onRankZero(comm, work, &both, "dgeev"));
  re->assign(both.begin(), both.begin() + n);
  im->assign(both.begin() + n, both.end());
  PetscFunctionReturn(0);
}

void sortByModulus(std::vector<double> *re, std::vector<double> *im) {
  std::vector<std::size_t> order(re->size());
  std::iota(order.begin(), order.end(), 0);
  const std::vector<double> r = *re, i = *im;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const double ma = std::hypot(r[a], i[a]), mb = std::hypot(r[b], i[b]);
    if (ma != mb) return ma > mb;
    if (r[a] != r[b]) return r[a] > r[b];
    return i[a] > i[b];
  });
  for (std::size_t k = 0; k < order.size(); ++k) {
    (*re)[k] = r[order[k]];
    (*im)[k] = i[order[k]];
  }
}

PetscErrorCode singularValues(MPI_Comm comm, PetscInt n, const std::vector<double> &A, std::vector<double> *s,
                              std::vector<double> *U) {
  std::vector<double> out;
  PetscFunctionBeginUser;
  const bool vectors = U != nullptr;
  auto work          = [&]() {
    std::vector<double> a(A), sv(n), u(vectors ? n * n : 1), vt(vectors ? n * n : 1);
    std::vector<int> iwork(8 * static_cast<std::size_t>(n));
    const int N = i32(n), ldu = vectors ? N : 1;
    int info = 0, lwork = -1;
    double query     = 0;
    const char *jobz = vectors ? "S" : "N";
    dgesdd_(jobz, &N, &N, a.data(), &N, sv.data(), u.data(), &ldu, vt.data(), &ldu, &query, &lwork,
                     iwork.data(), &info);
    lwork = static_cast<int>(query);
    std::vector<double> w(static_cast<std::size_t>(std::max(lwork, 1)));
    dgesdd_(jobz, &N, &N, a.data(), &N, sv.data(), u.data(), &ldu, vt.data(), &ldu, w.data(), &lwork,
                     iwork.data(), &info);
    out = sv;
    if (vectors) out.insert(out.end(), u.begin(), u.end());
    return info;
  };
  PetscCall(onRankZero(comm, work, &out, "dgesdd"));
  s->assign(out.begin(), out.begin() + n);
  if (vectors) U->assign(out.begin() + n, out.end());
  PetscFunctionReturn(0);
}

PetscErrorCode symmetricEigenvalues(MPI_Comm comm, PetscInt n, const std::vector<double> &A,
                                    std::vector<double> *w) {
  PetscFunctionBeginUser;
  auto work = [&]() {
    std::vector<double> a(A), ev(n);
    const int N = i32(n);
    int info = 0, lwork = -1;
    double query = 0;
    dsyev_("N", "L", &N, a.data(), &N, ev.data(), &query, &lwork, &info);
    lwork = static_cast<int>(query);
    std::vector<double> ws(static_cast<std::size_t>(std::max(lwork, 1)));
    dsyev_("N", "L", &N, a.data(), &N, ev.data(), ws.data(), &lwork, &info);
    std::reverse(ev.begin(), ev.end()); // descending
    *w = ev;
    return info;
  };
  PetscCall(onRankZero(comm, work, w, "dsyev"));
  PetscFunctionReturn(0);
}

PetscErrorCode solveSymmetric(MPI_Comm comm, PetscInt m, PetscInt r, std::vector<double> A,
                              std::vector<double> *B) {
  PetscFunctionBeginUser;
  // Small systems (D x D): solved redundantly on every rank, same input, same bits.
  double trace = 0;
  for (PetscInt i = 0; i < m; ++i)
    trace += A[i + i * m];
  const double ridge = 1e-12 * std::max(trace / std::max<PetscInt>(m, 1), 1e-300);
  for (PetscInt i = 0; i < m; ++i)
    A[i + i * m] += ridge;
  const int M = i32(m), R = i32(r);
  int info = 0;
  dposv_("L", &M, &R, A.data(), &M, B->data(), &M, &info);
  PetscCheck(info == 0, comm, PETSC_ERR_LIB, "LAPACK dposv failed (info = %d)", info);
  PetscFunctionReturn(0);
}

} // namespace eqrnn::training
