#include "analysis/orbit.hpp"

#include "groups/group_action.hpp"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace eqrnn {

PetscErrorCode OrbitReference::create(std::shared_ptr<ConvolutionEngine> engine, Vec y,
                                      std::unique_ptr<OrbitReference> *out) {
  auto ref = std::make_unique<OrbitReference>();
  VecHandle reflected;
  PetscReal ynorm = 0;
  PetscInt size   = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetSize(y, &size));
  PetscCheck(size == engine->size(), engine->comm(), PETSC_ERR_ARG_SIZ,
             "OrbitReference: the state has %" PetscInt_FMT " values, the engine's layout %" PetscInt_FMT,
             size, engine->size());
  ref->engine_         = std::move(engine);
  ref->channels_       = ref->engine_->channels();
  ConvolutionEngine &e = *ref->engine_;
  PetscCall(e.createVec(reflected.address()));
  PetscCall(invert(e.group(), y, reflected));
  // C(a) = |G| (J_reflected x)(a), see OrbitTools::correlation; L_a y = y * delta_a = |G| J_y delta_a.
  PetscCall(e.computeSpectrumFromState(reflected, StateKernel::Rows, &ref->correlate_));
  PetscCall(e.computeSpectrumFromState(y, StateKernel::Diagonal, &ref->shift_));
  PetscCall(e.createVec(ref->corr_.address()));
  PetscCall(e.createVec(ref->impulse_.address()));
  PetscCall(VecNorm(y, NORM_2, &ynorm));
  ref->ynorm_ = ynorm;
  *out        = std::move(ref);
  PetscFunctionReturn(0);
}

PetscErrorCode OrbitReference::match(Vec x, OrbitMatch *m) {
  PetscReal nx = 0, cmax = 0;
  PetscInt at = 0;
  PetscFunctionBeginUser;
  PetscCall(engine_->apply(correlate_, x, corr_));
  PetscCall(VecMax(corr_, &at, &cmax));
  cmax *= static_cast<double>(engine_->group().order());
  PetscCall(VecNorm(x, NORM_2, &nx));
  m->distance = std::sqrt(std::max(0.0, nx * nx + ynorm_ * ynorm_ - 2.0 * cmax));
  m->shift    = at / channels_;
  PetscFunctionReturn(0);
}

PetscErrorCode OrbitReference::translated(PetscInt a, Vec out) {
  PetscFunctionBeginUser;
  PetscCall(VecSet(impulse_, 0.0));
  for (PetscInt c = 0; c < channels_; ++c)
    PetscCall(VecSetValue(impulse_, a * channels_ + c, static_cast<double>(engine_->group().order()),
                          INSERT_VALUES));
  PetscCall(VecAssemblyBegin(impulse_));
  PetscCall(VecAssemblyEnd(impulse_));
  PetscCall(engine_->apply(shift_, impulse_, out));
  PetscFunctionReturn(0);
}

PetscErrorCode OrbitTools::create(MPI_Comm comm, const Group &group, FftPlanner planner,
                                  std::unique_ptr<OrbitTools> *out, PetscInt channels) {
  std::shared_ptr<ConvolutionEngine> engine;
  PetscFunctionBeginUser;
  PetscCall(ConvolutionEngine::create(comm, group, channels, planner, &engine));
  PetscCall(create(std::move(engine), out));
  PetscFunctionReturn(0);
}

PetscErrorCode OrbitTools::create(std::shared_ptr<ConvolutionEngine> engine,
                                  std::unique_ptr<OrbitTools> *out) {
  auto tools = std::make_unique<OrbitTools>();
  PetscFunctionBeginUser;
  tools->channels_ = engine->channels();
  tools->engine_   = std::move(engine);
  PetscCall(tools->engine_->createVec(tools->reflected_.address()));
  PetscCall(tools->engine_->createVec(tools->corr_.address()));
  *out = std::move(tools);
  PetscFunctionReturn(0);
}

PetscErrorCode OrbitTools::correlation(Vec x, Vec y, Vec c) {
  PetscFunctionBeginUser;
  // sum_g x(g) y(a^-1 g) = sum_h yr(h^-1 a) x(h) with yr(k) = y(k^-1): the convolution (1/|G|) yr * x, times
  // |G|. With channels the kernel's rows sum over them.
  if (!inversion_) {
    const Group &G = group();
    PetscCall(createPermutation(G, y, [&](PetscInt g) { return G.inverse(g); }, &inversion_));
  }
  PetscCall(VecScatterBegin(inversion_, y, reflected_, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(inversion_, y, reflected_, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(engine_->computeSpectrumFromState(reflected_, StateKernel::Rows, &spectrum_));
  PetscCall(engine_->apply(spectrum_, x, c));
  PetscCall(VecScale(c, static_cast<double>(group().order())));
  PetscFunctionReturn(0);
}

PetscErrorCode OrbitTools::match(Vec x, Vec y, OrbitMatch *m) {
  PetscReal nx = 0, ny = 0, cmax = 0;
  PetscInt at = 0;
  PetscFunctionBeginUser;
  PetscCall(correlation(x, y, corr_));
  PetscCall(VecMax(corr_, &at, &cmax));
  PetscCall(VecNorm(x, NORM_2, &nx));
  PetscCall(VecNorm(y, NORM_2, &ny));
  m->distance = std::sqrt(std::max(0.0, nx * nx + ny * ny - 2.0 * cmax));
  m->shift    = at / channels_;
  PetscFunctionReturn(0);
}

PetscErrorCode OrbitTools::stabiliser(Vec x, double tol, Stabiliser *s) {
  PetscReal nx         = 0;
  const PetscScalar *c = nullptr;
  PetscInt lo = 0, hi = 0;
  MPI_Comm comm = engine_->comm();
  PetscFunctionBeginUser;
  PetscCall(correlation(x, x, corr_));
  PetscCall(VecNorm(x, NORM_2, &nx));
  // |x - L_a x|^2 = 2 (|x|^2 - C(a))
  const double threshold = nx * nx - 0.5 * tol * tol;
  std::vector<PetscInt> mine;
  PetscCall(VecGetOwnershipRange(corr_, &lo, &hi));
  PetscCall(VecGetArrayRead(corr_, &c));
  // The identity always fixes x (its correlation is |x|^2 up to rounding, which a tiny tol cannot absorb).
  for (PetscInt i = lo; i < hi; ++i)
    if (i % channels_ == 0 && (i == 0 || c[i - lo] >= threshold)) mine.push_back(i / channels_);
  PetscCall(VecRestoreArrayRead(corr_, &c));
  int count = static_cast<int>(mine.size()), size = 1;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(counts.size(), 0);
  PetscCallMPI(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm));
  std::partial_sum(counts.begin(), counts.end() - 1, displs.begin() + 1);
  s->elements.resize(static_cast<std::size_t>(displs.back() + counts.back()));
  PetscCallMPI(MPI_Allgatherv(mine.data(), count, MPIU_INT, s->elements.data(), counts.data(), displs.data(),
                              MPIU_INT, comm));
  std::sort(s->elements.begin(), s->elements.end());
  s->order       = static_cast<PetscInt>(s->elements.size());
  s->description = describeSubgroup(group(), s->elements);
  PetscFunctionReturn(0);
}

std::string describeSubgroup(const Group &group, const std::vector<PetscInt> &elements) {
  const PetscInt order = static_cast<PetscInt>(elements.size());
  if (order <= 1) return "{e}";
  if (order == group.order()) return "G (" + group.spec() + ")";
  if (!group.isAbelian()) {
    std::ostringstream o;
    o << "order " << order << " {";
    for (std::size_t k = 0; k < elements.size() && k < 6; ++k)
      o << (k ? ", " : "") << group.label(elements[k]);
    o << (elements.size() > 6 ? ", ...}" : "}");
    return o.str();
  }
  // If the subgroup is the product of its intersections with the factors, name it factor by factor: the
  // intersection with Z_n is the cyclic subgroup of order n/d generated by d, written Z_{n/d}.
  const auto n = group.factorOrders();
  std::vector<PetscInt> sub(n.size(), 1);
  PetscInt product = 1;
  for (PetscInt g : elements) {
    const auto c        = group.coordinates(g);
    std::size_t nonzero = 0, which = 0;
    for (std::size_t i = 0; i < c.size(); ++i)
      if (c[i] != 0) ++nonzero, which = i;
    if (nonzero == 1) sub[which]++;
  }
  for (PetscInt s : sub)
    product *= s;
  std::ostringstream o;
  if (product == order) {
    for (std::size_t i = 0; i < n.size(); ++i)
      o << (i ? " x " : "") << "Z" << sub[i];
    return o.str();
  }
  // Otherwise (e.g. a diagonal subgroup): its order and a few elements in coordinates.
  o << "order " << order << ", containing";
  for (std::size_t k = 1; k < elements.size() && k <= 3; ++k) {
    const auto c = group.coordinates(elements[k]);
    o << " (";
    for (std::size_t i = 0; i < c.size(); ++i)
      o << (i ? "," : "") << c[i];
    o << ")";
  }
  return o.str();
}

} // namespace eqrnn
