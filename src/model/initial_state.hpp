#pragma once
// Initial states: seeded random (the same for any number of ranks: each value is a function of the seed and
// the global index only), zero, a von Mises bump, or a dataset from an HDF5 file (e.g. /final/x of an earlier
// run).
#include "groups/group.hpp"
#include <petscvec.h>
#include <string>
#include <utility>
#include <vector>

namespace eqrnn {

enum class InitKind { Random, Zero, Bump, File };
const std::vector<std::pair<const char *, InitKind>> &initKindNames();

struct InitialStateSpec {
  InitKind kind           = InitKind::Random;
  double amplitude        = 0.1;
  unsigned long long seed = 1;
  std::vector<double> location;
  double kappa = 2.0;
  std::string file, dataset = "/final/x";
};

PetscErrorCode makeInitialState(const InitialStateSpec &spec, const Group &group, Vec x);

} // namespace eqrnn
