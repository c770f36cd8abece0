#pragma once
// Dense linear algebra for the training code: BLAS gemm in single and double precision (OpenBLAS when the
// build found it, pinned to a given number of threads per MPI rank), and the LAPACK drivers the analysis
// needs (general eigenvalues, singular value decomposition, symmetric eigenvalues). All matrices are
// column-major: element (i, j) of an m x n matrix with leading dimension ld is a[i + j ld].
#include <petscsys.h>
#include <vector>

namespace eqrnn::training {

// C = alpha op(A) op(B) + beta C, op(X) = X ('N') or X^T ('T'); C is m x n, the inner dimension k.
void gemm(char transA, char transB, PetscInt m, PetscInt n, PetscInt k, double alpha, const double *A,
          PetscInt lda, const double *B, PetscInt ldb, double beta, double *C, PetscInt ldc);
void gemm(char transA, char transB, PetscInt m, PetscInt n, PetscInt k, float alpha, const float *A,
          PetscInt lda, const float *B, PetscInt ldb, float beta, float *C, PetscInt ldc);

// C = alpha A A^T + beta C on the lower triangle (A n x k, C n x n), dsyrk.
void syrkLower(PetscInt n, PetscInt k, double alpha, const double *A, PetscInt lda, double beta, double *C,
               PetscInt ldc);

// Threads of the BLAS on this rank (OpenBLAS only; 1 keeps every rank on one core and the products
// reproducible). Returns false when the BLAS in use cannot be told.
bool setBlasThreads(int threads);
// "OpenBLAS 0.3.21 ... (core)", or "reference BLAS" when the build did not find OpenBLAS.
const char *blasDescription();

// Eigenvalues of the general n x n matrix A (column-major; A is not modified), LAPACK dgeev.
PetscErrorCode eigenvalues(MPI_Comm comm, PetscInt n, const std::vector<double> &A, std::vector<double> *re,
                           std::vector<double> *im);
// Sorts eigenvalues (re[k], im[k]) by decreasing modulus, ties by real then imaginary part, descending (a
// complex pair comes out +im first): one order for LAPACK's and SLEPc's results alike.
void sortByModulus(std::vector<double> *re, std::vector<double> *im);
// Singular values (descending) and, if U is non-null, the left singular vectors (n x n, column-major) of
// the n x n matrix A, LAPACK dgesdd.
PetscErrorCode singularValues(MPI_Comm comm, PetscInt n, const std::vector<double> &A, std::vector<double> *s,
                              std::vector<double> *U = nullptr);
// Eigenvalues (descending) of the symmetric n x n matrix A (the lower triangle is read), LAPACK dsyev.
PetscErrorCode symmetricEigenvalues(MPI_Comm comm, PetscInt n, const std::vector<double> &A,
                                    std::vector<double> *w);
// Solves the small symmetric positive (semi-)definite system A X = B (A m x m, B m x r) by Cholesky, with
// a tiny ridge if A is singular; X overwrites B.
PetscErrorCode solveSymmetric(MPI_Comm comm, PetscInt m, PetscInt r, std::vector<double> A,
                              std::vector<double> *B);

} // namespace eqrnn::training
