#include "analysis/stability.hpp"

#include "analysis/tangent.hpp"
#include "core/collective.hpp"
#include "model/linearisation.hpp"
#include <slepceps.h>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace eqrnn {

namespace {
using EPSHandle = PetscHandle<EPS, EPSDestroy>;

// Defaults first, then the -eps_* options (which override them).
PetscErrorCode configureEigensolver(EPS eps, PetscInt nev) {
  PetscFunctionBeginUser;
  PetscCall(EPSSetProblemType(eps, EPS_NHEP));
  PetscCall(EPSSetWhichEigenpairs(eps, EPS_LARGEST_REAL));
  PetscCall(EPSSetDimensions(eps, nev, PETSC_DEFAULT, PETSC_DEFAULT));
  PetscCall(EPSSetFromOptions(eps));
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode orthonormalise(std::vector<VecHandle> *vs, double dropBelow) {
  std::vector<VecHandle> basis;
  PetscFunctionBeginUser;
  for (auto &v : *vs) {
    for (int pass = 0; pass < 2; ++pass) // twice is enough (Giraud et al.)
      for (auto &b : basis) {
        PetscScalar dot = 0;
        PetscCall(VecDot(v, b, &dot));
        PetscCall(VecAXPY(v, -dot, b));
      }
    PetscReal norm = 0;
    PetscCall(VecNorm(v, NORM_2, &norm));
    if (norm > dropBelow) {
      PetscCall(VecScale(v, 1.0 / norm));
      basis.push_back(std::move(v));
    }
  }
  *vs = std::move(basis);
  PetscFunctionReturn(0);
}

const char *classificationName(Classification c) {
  switch (c) {
  case Classification::Stable:
    return "stable";
  case Classification::Saddle:
    return "saddle";
  case Classification::Unknown:
    return "unknown";
  case Classification::NotComputed:
    return "not computed";
  }
  return "?";
}

PetscErrorCode readStabilitySolverOptions(MPI_Comm comm) {
  EPSHandle eps;
  PetscFunctionBeginUser;
  PetscCall(EPSCreate(comm, eps.address()));
  PetscCall(configureEigensolver(eps, 1));
  PetscFunctionReturn(0);
}

PetscErrorCode analyseStability(RateNetwork &net, Vec xstar, const StabilitySpec &spec, StabilityResult *r) {
  std::unique_ptr<Linearisation> lin;
  EPSHandle eps;
  PetscInt nconv = 0;
  PetscFunctionBeginUser;
  *r = StabilityResult();
  PetscCall(Linearisation::create(net, &lin));
  PetscCall(lin->setPoint(xstar));
  PetscCall(EPSCreate(net.comm(), eps.address()));
  PetscCall(EPSSetOperators(eps, lin->matrix(), nullptr));
  PetscCall(configureEigensolver(eps, std::min<PetscInt>(spec.nev, net.group().order())));
  // A failed eigensolve is a result (unknown), not the end of a census; every rank must take that path.
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
  const PetscErrorCode code = EPSSolve(eps);
  PetscCall(PetscPopErrorHandler());
  bool solved = false;
  PetscCall(allRanks(net.comm(), code == 0, &solved));
  if (!solved) {
    r->classification = Classification::Unknown;
    PetscFunctionReturn(0);
  }
  PetscCall(EPSGetConverged(eps, &nconv));
  std::vector<PetscInt> order(static_cast<std::size_t>(nconv));
  std::vector<double> re(order.size()), im(order.size());
  for (PetscInt i = 0; i < nconv; ++i) {
    PetscScalar kr = 0, ki = 0;
    PetscCall(EPSGetEigenvalue(eps, i, &kr, &ki));
    re[i] = kr;
    im[i] = ki;
  }
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](PetscInt a, PetscInt b) { return re[a] > re[b]; });
  std::vector<VecHandle> marginal;
  for (PetscInt i : order) {
    r->re.push_back(re[i]);
    r->im.push_back(im[i]);
    const bool isMarginal = std::abs(re[i]) <= spec.marginalTol && std::abs(im[i]) <= spec.marginalTol;
    if (isMarginal || spec.saveVectors) {
      VecHandle vr, vi;
      PetscCall(net.createVec(vr.address()));
      PetscCall(net.createVec(vi.address()));
      PetscCall(EPSGetEigenvector(eps, i, vr, vi));
      // A marginal pair may come out complex (a double zero split into +-i epsilon by rounding): its
      // invariant subspace is spanned by the real and the imaginary part, so both go into the basis.
      if (isMarginal && im[i] != 0.0) {
        VecHandle part;
        PetscCall(VecDuplicate(vi, part.address()));
        PetscCall(VecCopy(vi, part));
        marginal.push_back(std::move(part));
      }
      if (spec.saveVectors) {
        VecHandle keep;
        PetscCall(VecDuplicate(vr, keep.address()));
        PetscCall(VecCopy(vr, keep));
        r->vectorsRe.push_back(std::move(keep));
        r->vectorsIm.push_back(std::move(vi));
      }
      if (isMarginal) marginal.push_back(std::move(vr));
    }
    if (isMarginal) {
      ++r->nMarginal;
    } else if (re[i] > spec.marginalTol) {
      ++r->nUnstable;
    }
  }
  if (nconv == 0)
    r->classification = Classification::Unknown;
  else
    r->classification = r->nUnstable > 0 ? Classification::Saddle : Classification::Stable;
  if (marginal.empty()) PetscFunctionReturn(0);
  // How much of each tangent direction the marginal eigenspace contains.
  std::vector<VecHandle> tangents;
  PetscCall(orbitTangents(net.connectivity().engine(), xstar, &tangents, &r->tangentAxes));
  PetscCall(orthonormalise(&marginal));
  PetscReal xnorm = 0;
  PetscCall(VecNorm(xstar, NORM_2, &xnorm));
  std::vector<PetscInt> axes;
  for (std::size_t k = 0; k < tangents.size(); ++k) {
    PetscReal tnorm = 0, pnorm2 = 0;
    PetscCall(VecNorm(tangents[k], NORM_2, &tnorm));
    if (tnorm <= 1e-10 * std::max<PetscReal>(xnorm, 1)) continue; // the state does not move along this axis
    for (auto &m : marginal) {
      PetscScalar dot = 0;
      PetscCall(VecDot(tangents[k], m, &dot));
      pnorm2 += dot * dot;
    }
    r->tangentOverlap.push_back(std::sqrt(pnorm2) / tnorm);
    axes.push_back(r->tangentAxes[k]);
  }
  r->tangentAxes = axes;
  PetscFunctionReturn(0);
}

} // namespace eqrnn
