#pragma once
// Test helpers: gathering distributed vectors, filling them from counter-based random numbers, and
// fatal-on-error wrappers so a PETSc error fails the test instead of returning silently.
#include "core/handles.hpp"
#include "core/random.hpp"
#include "core/session.hpp"
#include "groups/group.hpp"
#include <functional>
#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include <vector>

namespace eqrnn::test {
// True on every rank iff `local` is true on every rank.
inline bool allRanks(bool local) {
  int v = local ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
  return v == 1;
}
} // namespace eqrnn::test

// Collective assertions: a failure on any rank fails the test on every rank at the same point, so that no
// rank returns from the test while the others wait in the next collective call (a plain ASSERT on one rank
// would hang the run). Every rank must reach them, as it must reach any collective call.
#define EQ_OK(call)                                                                                          \
  do {                                                                                                       \
    const PetscErrorCode ierr_ = (call);                                                                     \
    const bool all_            = ::eqrnn::test::allRanks(ierr_ == 0);                                        \
    ASSERT_TRUE(all_) << #call << ": " << (ierr_ ? eqrnn::lastErrorMessage() : "failed on another rank");    \
  } while (0)
#define EQ_ASSERT_ALL(cond)                                                                                  \
  do {                                                                                                       \
    const bool here_ = static_cast<bool>(cond);                                                              \
    ASSERT_TRUE(::eqrnn::test::allRanks(here_)) << #cond << (here_ ? " (false on another rank)" : "");       \
  } while (0)

namespace eqrnn::test {

// Every entry of v on every rank (tests only: this is exactly what production code must not do).
inline std::vector<double> gather(Vec v) {
  VecScatter sc;
  Vec all;
  PetscInt n = 0;
  VecScatterCreateToAll(v, &sc, &all);
  VecScatterBegin(sc, v, all, INSERT_VALUES, SCATTER_FORWARD);
  VecScatterEnd(sc, v, all, INSERT_VALUES, SCATTER_FORWARD);
  VecGetSize(all, &n);
  const PetscScalar *a = nullptr;
  VecGetArrayRead(all, &a);
  std::vector<double> out(a, a + n);
  VecRestoreArrayRead(all, &a);
  VecScatterDestroy(&sc);
  VecDestroy(&all);
  return out;
}

// v(g) = scale * normal(seed, g): the same values on any number of ranks.
inline void fillRandom(Vec v, unsigned long long seed, double scale = 1.0) {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  VecGetOwnershipRange(v, &lo, &hi);
  VecGetArray(v, &a);
  for (PetscInt g = lo; g < hi; ++g)
    a[g - lo] = scale * counterNormal(seed, 7, static_cast<std::uint64_t>(g));
  VecRestoreArray(v, &a);
}

// x(g) = f(coordinates of g) on the locally owned elements.
inline void fill(Vec x, const Group &G, const std::function<double(const std::vector<PetscInt> &)> &f) {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  VecGetOwnershipRange(x, &lo, &hi);
  VecGetArray(x, &a);
  for (PetscInt g = lo; g < hi; ++g)
    a[g - lo] = f(G.coordinates(g));
  VecRestoreArray(x, &a);
}

inline double maxAbs(const std::vector<double> &v) {
  double m = 0;
  for (double x : v)
    m = std::max(m, std::abs(x));
  return m;
}

inline double maxAbsDiff(const std::vector<double> &a, const std::vector<double> &b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

inline int commSize(MPI_Comm comm = PETSC_COMM_WORLD) {
  int s = 1;
  MPI_Comm_size(comm, &s);
  return s;
}

} // namespace eqrnn::test
