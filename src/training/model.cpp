#include "training/model.hpp"

#include "training/linalg.hpp"
#include <Random123/philox.h>
#include <algorithm>

namespace eqrnn::training {

std::string formName(ModelForm f) {
  return f == ModelForm::Authors ? "authors" : "common";
}

std::string activationName(Activation a) {
  return TransferFunction{a}.name();
}

void Parameters::resize(PetscInt n_, PetscInt D_) {
  n = n_;
  D = D_;
  W.assign(static_cast<std::size_t>(n * n), 0.0);
  E.assign(static_cast<std::size_t>(n * D), 0.0);
  Dec.assign(static_cast<std::size_t>(n * D), 0.0);
  b.assign(static_cast<std::size_t>(n), 0.0);
}

void Parameters::zero() {
  for (auto *v : {&W, &E, &Dec, &b})
    std::fill(v->begin(), v->end(), 0.0);
}

void Parameters::flatten(std::vector<double> *all) const {
  all->clear();
  all->reserve(size());
  for (const auto *v : {&W, &E, &Dec, &b})
    all->insert(all->end(), v->begin(), v->end());
}

void Parameters::unflatten(const std::vector<double> &all) {
  std::size_t at = 0;
  for (auto *v : {&W, &E, &Dec, &b}) {
    std::copy(all.begin() + static_cast<std::ptrdiff_t>(at),
              all.begin() + static_cast<std::ptrdiff_t>(at + v->size()), v->begin());
    at += v->size();
  }
}

std::vector<double> daleSigns(const ModelSpec &m) {
  if (m.daleFraction <= 0) return {};
  const PetscInt inhibitory = static_cast<PetscInt>(std::llround(m.daleFraction * static_cast<double>(m.n)));
  std::vector<double> s(static_cast<std::size_t>(m.n), 1.0);
  for (PetscInt j = m.n - inhibitory; j < m.n; ++j)
    s[j] = -1.0;
  return s;
}

void effectiveW(const ModelSpec &m, const std::vector<double> &signs, const std::vector<double> &W,
                std::vector<double> *Weff) {
  if (signs.empty()) {
    *Weff = W;
    return;
  }
  Weff->resize(W.size());
  for (PetscInt j = 0; j < m.n; ++j)
    for (PetscInt i = 0; i < m.n; ++i)
      (*Weff)[i + j * m.n] = std::abs(W[i + j * m.n]) * signs[j];
}

namespace {
r123::Philox4x64::ctr_type philox(std::uint64_t seed, Stream stream, std::uint64_t a, std::uint64_t b,
                                  std::uint64_t c, std::uint64_t d) {
  r123::Philox4x64 rng;
  const r123::Philox4x64::ctr_type ctr = {{a, b, c, d}};
  const r123::Philox4x64::key_type key = {{seed, static_cast<std::uint64_t>(stream)}};
  return rng(ctr, key);
}
double toUnit(std::uint64_t bits) { // (0, 1), 53 bits
  return (static_cast<double>(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
} // namespace

double philoxNormal4(std::uint64_t seed, Stream stream, std::uint64_t a, std::uint64_t b, std::uint64_t c,
                     std::uint64_t d) {
  const auto r     = philox(seed, stream, a, b, c, d / 2);
  const double rad = std::sqrt(-2.0 * std::log(toUnit(r.v[0])));
  const double ang = 2.0 * M_PI * toUnit(r.v[1]);
  return d % 2 == 0 ? rad * std::cos(ang) : rad * std::sin(ang);
}

double philoxUniform4(std::uint64_t seed, Stream stream, std::uint64_t a, std::uint64_t b, std::uint64_t c,
                      std::uint64_t d) {
  const auto r = philox(seed, stream, a, b, c, d / 4);
  return toUnit(r.v[d % 4]);
}

PetscErrorCode initialParameters(MPI_Comm comm, const ModelSpec &m, std::uint64_t seed, Parameters *p) {
  PetscFunctionBeginUser;
  p->resize(m.n, m.D);
  const double sd = 1.0 / std::sqrt(static_cast<double>(m.n));
  for (PetscInt c = 0; c < m.D; ++c)
    for (PetscInt i = 0; i < m.n; ++i) {
      p->E[i + c * m.n]   = sd * philoxNormal4(seed, Stream::Encoders, 0, 0, c, i);
      p->Dec[i + c * m.n] = sd * philoxNormal4(seed, Stream::Decoders, 0, 0, c, i);
    }
  std::fill(p->b.begin(), p->b.end(), m.bias);
  if (m.initRadius > 0) {
    for (PetscInt j = 0; j < m.n; ++j)
      for (PetscInt i = 0; i < m.n; ++i)
        p->W[i + j * m.n] = sd * philoxNormal4(seed, Stream::Recurrent, 0, j, 0, i);
    // Rescale the matrix the network uses (|W| diag(s) under Dale's law) to the requested spectral radius.
    std::vector<double> weff, re, im;
    effectiveW(m, daleSigns(m), p->W, &weff);
    PetscCall(eigenvalues(comm, m.n, weff, &re, &im));
    double radius = 0;
    for (std::size_t k = 0; k < re.size(); ++k)
      radius = std::max(radius, std::hypot(re[k], im[k]));
    PetscCheck(radius > 0, comm, PETSC_ERR_PLIB, "the random initial W has spectral radius 0");
    const double f = m.initRadius / radius;
    for (double &w : p->W)
      w *= f;
  }
  PetscFunctionReturn(0);
}

} // namespace eqrnn::training
