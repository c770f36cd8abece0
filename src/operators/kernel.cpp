#include "operators/kernel.hpp"

#include "core/parameters.hpp"
#include "io/hdf5_file.hpp"
#include <algorithm>
#include <cmath>

namespace eqrnn {

namespace {
// A kernel file holds |G| C^2 values (kernel layout) or |G| values (times the channel matrix).
PetscErrorCode readKernelFile(MPI_Comm comm, const KernelSpec &spec, const Group &group, PetscInt channels,
                              Vec w) {
  PetscInt length = 0;
  PetscFunctionBeginUser;
  PetscCall(datasetLength(comm, spec.file, spec.dataset, &length));
  if (length == group.order() * channels * channels) {
    PetscCall(readVector(comm, spec.file, spec.dataset, w));
    PetscFunctionReturn(0);
  }
  PetscCheck(length == group.order(), comm, PETSC_ERR_USER_INPUT,
             "-kernel_file %s:%s holds %" PetscInt_FMT " values; %s with %" PetscInt_FMT
             " channels needs %" PetscInt_FMT " (|G|) or %" PetscInt_FMT " (|G| C^2)",
             spec.file.c_str(), spec.dataset.c_str(), length, group.spec().c_str(), channels, group.order(),
             group.order() * channels * channels);
  // Read |G| values into a Vec over G, then spread over channel pairs (same axis distribution up to C^2).
  VecHandle base;
  PetscInt lo = 0, hi = 0;
  PetscCall(VecGetOwnershipRange(w, &lo, &hi));
  const PetscInt C2 = channels * channels;
  PetscCall(VecCreateMPI(comm, (hi - lo) / C2, group.order(), base.address()));
  PetscCall(readVector(comm, spec.file, spec.dataset, base));
  const PetscScalar *b = nullptr;
  PetscScalar *a       = nullptr;
  PetscCall(VecGetArrayRead(base, &b));
  PetscCall(VecGetArray(w, &a));
  for (PetscInt k = lo; k < hi; ++k) {
    const PetscInt pair = k % C2;
    const double m      = spec.channelMatrix.empty() ? (pair / channels == pair % channels ? 1.0 : 0.0)
                                                     : spec.channelMatrix[static_cast<std::size_t>(pair)];
    a[k - lo]           = m * b[(k - lo) / C2];
  }
  PetscCall(VecRestoreArray(w, &a));
  PetscCall(VecRestoreArrayRead(base, &b));
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode kernelIrrepTerms(MPI_Comm comm, const KernelSpec &spec, const Group &group,
                                std::vector<IrrepTerm> *terms) {
  std::vector<ProductIrrep> seen;
  std::size_t used = 0;
  PetscFunctionBeginUser;
  terms->clear();
  PetscCheck(!spec.irreps.empty(), comm, PETSC_ERR_USER_INPUT,
             "kernel irreps: give -kernel_irreps (e.g. E1 for D6; see eqrnn group -group ...)");
  PetscCheck(spec.irrepGains.empty() != spec.irrepBlocks.empty(), comm, PETSC_ERR_USER_INPUT,
             "kernel irreps: give either -kernel_irrep_gains or -kernel_irrep_blocks (one of them)");
  PetscCheck(spec.irrepBlocks.size() || spec.irrepGains.size() == spec.irreps.size(), comm,
             PETSC_ERR_USER_INPUT, "kernel irreps: -kernel_irrep_gains has %zu values for %zu irreps",
             spec.irrepGains.size(), spec.irreps.size());
  for (std::size_t i = 0; i < spec.irreps.size(); ++i) {
    IrrepTerm t;
    std::string error;
    PetscCheck(parseProductIrrep(group, spec.irreps[i], &t.irrep, &error), comm, PETSC_ERR_USER_INPUT, "%s",
               error.c_str());
    const ProductIrrep conj = productIrrepConjugate(group, t.irrep);
    PetscCheck(std::find(seen.begin(), seen.end(), t.irrep) == seen.end(), comm, PETSC_ERR_USER_INPUT,
               "kernel irreps: irrep %s listed twice (or as the conjugate of another listed one)",
               spec.irreps[i].c_str());
    seen.push_back(t.irrep);
    seen.push_back(conj);
    t.dim         = productIrrepDim(group, t.irrep);
    bool realForm = true;
    for (std::size_t f = 0; f < t.irrep.size(); ++f)
      realForm = realForm && group.factor(f).irrepIsReal(t.irrep[f]);
    t.weight = conj == t.irrep ? 1.0 : 2.0;
    if (spec.irrepBlocks.empty()) {
      t.block.assign(static_cast<std::size_t>(t.dim * t.dim), 0.0);
      for (int d = 0; d < t.dim; ++d)
        t.block[d * t.dim + d] = spec.irrepGains[i];
    } else {
      // A real block on a self-conjugate irrep needs real matrices (quaternionic irreps have none).
      PetscCheck(
          conj != t.irrep || realForm || t.dim == 1, comm, PETSC_ERR_USER_INPUT,
          "kernel irreps: %s has no real form (quaternionic type): give -kernel_irrep_gains instead of "
          "blocks",
          spec.irreps[i].c_str());
      const std::size_t need = static_cast<std::size_t>(t.dim * t.dim);
      PetscCheck(
          used + need <= spec.irrepBlocks.size(), comm, PETSC_ERR_USER_INPUT,
          "kernel irreps: -kernel_irrep_blocks has %zu values, the irreps need more (d^2 each, row-major)",
          spec.irrepBlocks.size());
      t.block.assign(spec.irrepBlocks.begin() + static_cast<std::ptrdiff_t>(used),
                     spec.irrepBlocks.begin() + static_cast<std::ptrdiff_t>(used + need));
      used += need;
    }
    terms->push_back(std::move(t));
  }
  PetscCheck(used == spec.irrepBlocks.size(), comm, PETSC_ERR_USER_INPUT,
             "kernel irreps: -kernel_irrep_blocks has %zu values, the irreps need %zu (d^2 each, row-major)",
             spec.irrepBlocks.size(), used);
  PetscFunctionReturn(0);
}

PetscErrorCode kernelIrrepSupport(MPI_Comm comm, const KernelSpec &spec, const Group &group,
                                  std::vector<ProductIrrep> *support) {
  std::vector<IrrepTerm> terms;
  PetscFunctionBeginUser;
  PetscCall(kernelIrrepTerms(comm, spec, group, &terms));
  support->clear();
  for (const auto &t : terms) {
    support->push_back(t.irrep);
    const ProductIrrep conj = productIrrepConjugate(group, t.irrep);
    if (conj != t.irrep) support->push_back(conj);
  }
  PetscFunctionReturn(0);
}

double irrepKernelValue(const Group &group, const std::vector<IrrepTerm> &terms, PetscInt g) {
  std::vector<Complex> rho;
  double w = 0;
  for (const auto &t : terms) {
    productIrrepMatrix(group, t.irrep, g, &rho);
    Complex trace = 0; // tr(W rho) = sum_ij W_ij rho_ji
    for (int i = 0; i < t.dim; ++i)
      for (int j = 0; j < t.dim; ++j)
        trace += t.block[i * t.dim + j] * rho[j * t.dim + i];
    w += t.weight * t.dim * trace.real();
  }
  return w;
}

const std::vector<std::pair<const char *, KernelFamily>> &kernelFamilyNames() {
  static const std::vector<std::pair<const char *, KernelFamily>> names{
      {"cosine", KernelFamily::Cosine},   {"vonmises", KernelFamily::VonMises},
      {"mexican", KernelFamily::Mexican}, {"fourier", KernelFamily::Fourier},
      {"class", KernelFamily::Class},     {"irreps", KernelFamily::Irreps},
      {"file", KernelFamily::File}};
  return names;
}

const char *kernelFamilyName(KernelFamily family) {
  for (const auto &[name, f] : kernelFamilyNames())
    if (f == family) return name;
  return "?";
}

// ---- the families ---------------------------------------------------------------------------------------

namespace {
// cos theta_i, theta_i = 2 pi c_i / n_i, of g's axis coordinates (axes of order 1 have none), read from the
// kernel's tables: a fill evaluates |G| elements, without a cosine or an allocation each.
struct Angles {
  const std::vector<std::vector<double>> &cosines;
  const PetscInt *coordinate; // g's axis coordinates
  double cosine(std::size_t i) const { return cosines[i][static_cast<std::size_t>(coordinate[i])]; }
  bool axis(std::size_t i) const { return cosines[i].size() > 1; }
  std::size_t size() const { return cosines.size(); }
  double cosineSum() const {
    double s = 0;
    for (std::size_t i = 0; i < size(); ++i)
      if (axis(i)) s += cosine(i);
    return s;
  }
  double cosineDeficit() const { // sum_i (cos theta_i - 1): the exponent of a product of von Mises factors
    double s = 0;
    for (std::size_t i = 0; i < size(); ++i)
      if (axis(i)) s += cosine(i) - 1.0;
    return s;
  }
};

// w = J0 + J1 sum_axes cos theta (times the coset weight).
class CosineKernel final : public Kernel {
public:
  double valueAt(PetscInt g, const PetscInt *axis) const override {
    return cosetWeight(g) * (spec_.J0 + spec_.J1 * Angles{axisCosines(), axis}.cosineSum());
  }
  bool derivative(const NetworkParameter &p, PetscInt g, double *dw) const override {
    if (p.kind == ParameterKind::J0) return *dw = cosetWeight(g), true;
    if (p.kind == ParameterKind::J1) {
      const std::vector<PetscInt> axis = group_.axisCoordinates(g);
      return *dw = cosetWeight(g) * Angles{axisCosines(), axis.data()}.cosineSum(), true;
    }
    return false;
  }
};

// w = J0 + J1 prod exp(kappa (cos - 1)) [- J2 prod exp(kappa2 (cos - 1)) for the Mexican hat].
class VonMisesKernel final : public Kernel {
public:
  explicit VonMisesKernel(bool surround) : surround_(surround) {}
  double valueAt(PetscInt g, const PetscInt *axis) const override {
    const Angles a{axisCosines(), axis};
    double w = spec_.J0 + spec_.J1 * profile(a, spec_.kappa);
    if (surround_) w -= spec_.J2 * profile(a, spec_.kappa2);
    return cosetWeight(g) * w;
  }
  bool derivative(const NetworkParameter &p, PetscInt g, double *dw) const override {
    const std::vector<PetscInt> axis = group_.axisCoordinates(g);
    const Angles a{axisCosines(), axis.data()};
    const double q = cosetWeight(g);
    switch (p.kind) {
    case ParameterKind::J0:
      return *dw = q, true;
    case ParameterKind::J1:
      return *dw = q * profile(a, spec_.kappa), true;
    case ParameterKind::Kappa:
      return *dw = q * spec_.J1 * a.cosineDeficit() * profile(a, spec_.kappa), true;
    case ParameterKind::J2:
      return surround_ && (*dw = -q * profile(a, spec_.kappa2), true);
    case ParameterKind::Kappa2:
      return surround_ && (*dw = -q * spec_.J2 * a.cosineDeficit() * profile(a, spec_.kappa2), true);
    default:
      return false;
    }
  }

private:
  // prod_axes exp(kappa (cos theta - 1)), as one exponential of the summed exponents.
  static double profile(const Angles &a, double kappa) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a.axis(i)) s += kappa * (a.cosine(i) - 1.0);
    return std::exp(s);
  }
  bool surround_;
};

// w = sum_m a_m cos(k_m . theta) + b_m sin(k_m . theta).
class FourierKernel final : public Kernel {
public:
  double valueAt(PetscInt g, const PetscInt *axis) const override {
    double w = 0;
    for (std::size_t m = 0; m < modes(); ++m) {
      if (!spec_.cosCoeffs.empty()) w += spec_.cosCoeffs[m] * std::cos(phase(m, axis));
      if (!spec_.sinCoeffs.empty()) w += spec_.sinCoeffs[m] * std::sin(phase(m, axis));
    }
    return cosetWeight(g) * w;
  }
  bool derivative(const NetworkParameter &p, PetscInt g, double *dw) const override {
    const std::size_t m = static_cast<std::size_t>(p.index);
    if (m >= modes()) return false;
    const std::vector<PetscInt> axis = group_.axisCoordinates(g);
    if (p.kind == ParameterKind::FourierCos)
      return *dw = cosetWeight(g) * std::cos(phase(m, axis.data())), true;
    if (p.kind == ParameterKind::FourierSin)
      return *dw = cosetWeight(g) * std::sin(phase(m, axis.data())), true;
    return false;
  }

private:
  std::size_t modes() const { return std::max(spec_.cosCoeffs.size(), spec_.sinCoeffs.size()); }
  double phase(std::size_t m, const PetscInt *c) const {
    const auto &n       = group_.axisOrders();
    const std::size_t d = n.size();
    double phase        = 0;
    for (std::size_t i = 0; i < d; ++i)
      phase +=
          2.0 * M_PI * static_cast<double>(spec_.modes[m * d + i] * c[i] % n[i]) / static_cast<double>(n[i]);
    return phase;
  }
};

// One value per conjugacy class.
class ClassKernel final : public Kernel {
public:
  double valueAt(PetscInt g, const PetscInt *) const override {
    return spec_.classValues[static_cast<std::size_t>(group_.classOf(g))];
  }
  bool isClassFunction() const override { return true; }
};

// Given in Fourier space: w(g) = sum_k c_k d_k Re tr(W_k rho_k(g)).
class IrrepsKernel final : public Kernel {
public:
  std::vector<IrrepTerm> terms;
  double valueAt(PetscInt g, const PetscInt *) const override { return irrepKernelValue(group_, terms, g); }
  bool derivative(const NetworkParameter &p, PetscInt g, double *dw) const override {
    // Gains only: W_k = gain_k I, so dw/dgain_k = c_k d_k Re chi_k(g).
    if (p.kind != ParameterKind::IrrepGain || !spec_.irrepBlocks.empty() || p.index < 0 ||
        static_cast<std::size_t>(p.index) >= terms.size())
      return false;
    IrrepTerm unit = terms[static_cast<std::size_t>(p.index)];
    for (int i = 0; i < unit.dim; ++i)
      for (int j = 0; j < unit.dim; ++j)
        unit.block[static_cast<std::size_t>(i * unit.dim + j)] = i == j ? 1.0 : 0.0;
    *dw = irrepKernelValue(group_, {unit}, g);
    return true;
  }
  // Scalar gains make a class function; general blocks do not.
  bool isClassFunction() const override { return spec_.irrepBlocks.empty(); }
};

// Read from an HDF5 dataset: no formula, no parameters.
class FileKernel final : public Kernel {
public:
  double valueAt(PetscInt, const PetscInt *) const override { return 0.0; }
  PetscErrorCode fill(Vec w) const override {
    MPI_Comm comm;
    PetscFunctionBeginUser;
    PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(w), &comm));
    PetscCall(readKernelFile(comm, spec_, group_, channels_, w));
    PetscFunctionReturn(0);
  }
};

std::unique_ptr<Kernel> makeKernel(KernelFamily family) {
  switch (family) {
  case KernelFamily::Cosine:
    return std::make_unique<CosineKernel>();
  case KernelFamily::VonMises:
    return std::make_unique<VonMisesKernel>(false);
  case KernelFamily::Mexican:
    return std::make_unique<VonMisesKernel>(true);
  case KernelFamily::Fourier:
    return std::make_unique<FourierKernel>();
  case KernelFamily::Class:
    return std::make_unique<ClassKernel>();
  case KernelFamily::Irreps:
    return std::make_unique<IrrepsKernel>();
  case KernelFamily::File:
    return std::make_unique<FileKernel>();
  }
  return nullptr;
}
} // namespace

PetscErrorCode validateKernel(MPI_Comm comm, const KernelSpec &spec, const Group &group, PetscInt channels) {
  PetscFunctionBeginUser;
  PetscCheck(spec.channelMatrix.empty() ||
                 spec.channelMatrix.size() == static_cast<std::size_t>(channels * channels),
             comm, PETSC_ERR_USER_INPUT,
             "-kernel_channels: %zu values given, %" PetscInt_FMT " channels need %" PetscInt_FMT
             " (row-major C x C)",
             spec.channelMatrix.size(), channels, channels * channels);
  PetscCheck(spec.cosetWeights.empty() ||
                 spec.cosetWeights.size() == static_cast<std::size_t>(group.quotientOrder()),
             comm, PETSC_ERR_USER_INPUT,
             "-kernel_coset_weights: %zu values given, %s has %" PetscInt_FMT " finite parts q",
             spec.cosetWeights.size(), group.spec().c_str(), group.quotientOrder());
  switch (spec.family) {
  case KernelFamily::Class:
    PetscCheck(spec.classValues.size() == static_cast<std::size_t>(group.classCount()), comm,
               PETSC_ERR_USER_INPUT,
               "kernel class: -kernel_class_values has %zu values, %s has %" PetscInt_FMT
               " conjugacy classes (see eqrnn group)",
               spec.classValues.size(), group.spec().c_str(), group.classCount());
    break;
  case KernelFamily::Irreps: {
    std::vector<IrrepTerm> terms;
    PetscCall(kernelIrrepTerms(comm, spec, group, &terms));
    break;
  }
  case KernelFamily::Fourier: {
    const std::size_t d = group.numFactors();
    PetscCheck(!spec.cosCoeffs.empty() || !spec.sinCoeffs.empty(), comm, PETSC_ERR_USER_INPUT,
               "kernel fourier: give -fourier_cos and/or -fourier_sin coefficients");
    const std::size_t m = std::max(spec.cosCoeffs.size(), spec.sinCoeffs.size());
    PetscCheck(spec.modes.size() == m * d, comm, PETSC_ERR_USER_INPUT,
               "kernel fourier: -fourier_modes needs %zu integers (%zu wavevectors of %zu components for "
               "%s), got %zu",
               m * d, m, d, group.spec().c_str(), spec.modes.size());
    PetscCheck(spec.cosCoeffs.empty() || spec.cosCoeffs.size() == m, comm, PETSC_ERR_USER_INPUT,
               "kernel fourier: -fourier_cos has %zu values, -fourier_sin %zu", spec.cosCoeffs.size(),
               spec.sinCoeffs.size());
    PetscCheck(spec.sinCoeffs.empty() || spec.sinCoeffs.size() == m, comm, PETSC_ERR_USER_INPUT,
               "kernel fourier: -fourier_sin has %zu values, -fourier_cos %zu", spec.sinCoeffs.size(),
               spec.cosCoeffs.size());
    break;
  }
  case KernelFamily::File:
    PetscCheck(!spec.file.empty(), comm, PETSC_ERR_USER_INPUT, "kernel file: give -kernel_file FILE.h5");
    break;
  default:
    break;
  }
  PetscCheck(spec.kappa >= 0 && spec.kappa2 >= 0, comm, PETSC_ERR_USER_INPUT,
             "kernel: concentrations -kappa and -kappa2 must be >= 0");
  PetscFunctionReturn(0);
}

PetscErrorCode Kernel::create(MPI_Comm comm, const KernelSpec &spec, const Group &group, PetscInt channels,
                              std::unique_ptr<Kernel> *out) {
  PetscFunctionBeginUser;
  PetscCall(validateKernel(comm, spec, group, channels));
  std::unique_ptr<Kernel> k = makeKernel(spec.family);
  k->spec_                  = spec;
  k->group_                 = group;
  k->channels_              = channels;
  if (auto *irreps = dynamic_cast<IrrepsKernel *>(k.get()))
    PetscCall(kernelIrrepTerms(comm, spec, group, &irreps->terms));
  *out = std::move(k);
  PetscFunctionReturn(0);
}

bool Kernel::derivative(const NetworkParameter &, PetscInt, double *) const {
  return false;
}

double Kernel::channelFactor(PetscInt k) const {
  const PetscInt C2 = channels_ * channels_;
  return spec_.channelMatrix.empty() ? ((k % C2) / channels_ == k % channels_ ? 1.0 : 0.0)
                                     : spec_.channelMatrix[static_cast<std::size_t>(k % C2)];
}

double Kernel::value(PetscInt g) const {
  return valueAt(g, group_.axisCoordinates(g).data());
}

const std::vector<std::vector<double>> &Kernel::axisCosines() const {
  if (axisCosines_.empty()) {
    for (PetscInt n : group_.axisOrders()) {
      std::vector<double> table(static_cast<std::size_t>(n));
      for (PetscInt c = 0; c < n; ++c)
        table[static_cast<std::size_t>(c)] =
            std::cos(2.0 * M_PI * static_cast<double>(c) / static_cast<double>(n));
      axisCosines_.push_back(std::move(table));
    }
  }
  return axisCosines_;
}

double Kernel::cosetWeight(PetscInt g) const {
  return spec_.cosetWeights.empty()
             ? 1.0
             : spec_.cosetWeights[static_cast<std::size_t>(g % group_.quotientOrder())];
}

PetscErrorCode Kernel::fill(Vec w) const {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a    = nullptr;
  const PetscInt C2 = channels_ * channels_;
  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(w, &lo, &hi));
  PetscCall(VecGetArray(w, &a));
  AxisCursor cursor(group_, lo / C2);
  if (C2 == 1) { // one channel: one value per element, a single channel factor
    const double m = channelFactor(0);
    for (PetscInt k = lo; k < hi; ++k, cursor.next())
      a[k - lo] = m * valueAt(k, cursor.coordinates());
  } else {
    double value = 0; // one kernel value per element: the C^2 channel pairs share it
    for (PetscInt k = lo; k < hi; ++k) {
      if (k != lo && k % C2 == 0) cursor.next();
      if (k == lo || k % C2 == 0) value = valueAt(k / C2, cursor.coordinates());
      a[k - lo] = channelFactor(k) * value;
    }
  }
  PetscCall(VecRestoreArray(w, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode Kernel::fillDerivative(const NetworkParameter &p, Vec dw) const {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a    = nullptr;
  const PetscInt C2 = channels_ * channels_;
  double d          = 0;
  MPI_Comm comm;
  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(dw), &comm));
  PetscCheck(derivative(p, 0, &d), comm, PETSC_ERR_USER_INPUT, "the %s kernel does not depend on %s",
             kernelFamilyName(spec_.family), networkParameterName(p).c_str());
  PetscCall(VecGetOwnershipRange(dw, &lo, &hi));
  PetscCall(VecGetArray(dw, &a));
  for (PetscInt k = lo; k < hi; ++k) {
    if (k == lo || k % C2 == 0) derivative(p, k / C2, &d);
    a[k - lo] = channelFactor(k) * d;
  }
  PetscCall(VecRestoreArray(dw, &a));
  PetscFunctionReturn(0);
}

double kernelValue(const KernelSpec &spec, const Group &group, PetscInt g) {
  std::unique_ptr<Kernel> k;
  if (Kernel::create(MPI_COMM_SELF, spec, group, 1, &k)) return std::nan(""); // invalid spec: no value
  return k->value(g);
}

PetscErrorCode fillKernel(const KernelSpec &spec, const Group &group, PetscInt channels, Vec w) {
  std::unique_ptr<Kernel> k;
  MPI_Comm comm;
  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(w), &comm));
  PetscCall(Kernel::create(comm, spec, group, channels, &k));
  PetscCall(k->fill(w));
  PetscFunctionReturn(0);
}

} // namespace eqrnn
