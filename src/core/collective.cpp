#include "core/collective.hpp"

#include "core/parameters.hpp"
#include <petscvec.h>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

namespace eqrnn {

namespace {
struct Fault {
  bool active = false;
  FaultSite site{};
  int rank = -1, skip = 0, seen = 0;
};
Fault gFault;
} // namespace

PetscErrorCode allRanks(MPI_Comm comm, bool local, bool *all) {
  int v = local ? 1 : 0;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MIN, comm));
  *all = v == 1;
  PetscFunctionReturn(0);
}

PetscErrorCode rootValue(MPI_Comm comm, double *value) {
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Bcast(value, 1, MPI_DOUBLE, 0, comm));
  PetscFunctionReturn(0);
}

PetscErrorCode rootValue(MPI_Comm comm, std::string *value) {
  long long n = static_cast<long long>(value->size());
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm));
  std::vector<char> buf(value->begin(), value->end());
  buf.resize(static_cast<std::size_t>(n));
  PetscCallMPI(MPI_Bcast(buf.data(), static_cast<int>(n), MPI_CHAR, 0, comm));
  value->assign(buf.begin(), buf.end());
  PetscFunctionReturn(0);
}

PetscErrorCode fileExistsEverywhere(MPI_Comm comm, const std::string &path, bool *exists) {
  PetscFunctionBeginUser;
  const bool here = std::ifstream(path).good() && !injectedFault(FaultSite::FileCheck);
  PetscCall(allRanks(comm, here, exists));
  PetscFunctionReturn(0);
}

void setFaultInjection(FaultSite site, int rank, int skip) {
  gFault        = Fault();
  gFault.active = rank >= 0;
  gFault.site   = site;
  gFault.rank   = rank;
  gFault.skip   = skip;
}

bool injectedFault(FaultSite site) {
  if (!gFault.active || gFault.site != site) return false;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != gFault.rank) return false;
  return gFault.seen++ == gFault.skip;
}

PetscErrorCode readFaultInjection(MPI_Comm comm) {
  char buf[256] = {0};
  PetscBool set = PETSC_FALSE;
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetString(nullptr, nullptr, "-fault_injection", buf, sizeof(buf), &set));
  if (!set) PetscFunctionReturn(0);
  const auto parts = splitList(buf, ':');
  long long rank = -1, skip = 0;
  const bool shape = (parts.size() == 2 || parts.size() == 3) && parseInteger(parts[1], &rank) && rank >= 0 &&
                     (parts.size() == 2 || (parseInteger(parts[2], &skip) && skip >= 0));
  PetscCheck(shape && (parts[0] == "hdf5_write" || parts[0] == "file_check"), comm, PETSC_ERR_USER_INPUT,
             "-fault_injection: '%s' is not SITE:RANK[:SKIP] with SITE hdf5_write or file_check", buf);
  setFaultInjection(parts[0] == "hdf5_write" ? FaultSite::Hdf5Write : FaultSite::FileCheck,
                    static_cast<int>(rank), static_cast<int>(skip));
  PetscFunctionReturn(0);
}

namespace {
std::uint64_t mix(std::uint64_t z) { // splitmix64 finaliser
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
} // namespace

PetscErrorCode vecChecksum(Vec v, unsigned long long *sum) {
  PetscInt lo = 0, hi = 0;
  const PetscScalar *a = nullptr;
  std::uint64_t local  = 0;
  MPI_Comm comm;
  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(v), &comm));
  PetscCall(VecGetOwnershipRange(v, &lo, &hi));
  PetscCall(VecGetArrayRead(v, &a));
  // Each entry's bits mixed with its global index: order-independent, yet swapped entries change the sum.
  for (PetscInt i = lo; i < hi; ++i) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &a[i - lo], sizeof bits);
    local += mix(bits ^ mix(static_cast<std::uint64_t>(i)));
  }
  PetscCall(VecRestoreArrayRead(v, &a));
  unsigned long long total = 0, mine = local;
  PetscCallMPI(MPI_Allreduce(&mine, &total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm));
  *sum = total;
  PetscFunctionReturn(0);
}

} // namespace eqrnn
