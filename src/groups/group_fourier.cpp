#include "groups/group_fourier.hpp"

#include "core/handles.hpp"
#include "core/parameters.hpp"

namespace eqrnn {

bool parseProductIrrep(const Group &group, const std::string &label, ProductIrrep *k, std::string *error) {
  const auto parts = splitList(label, ':');
  if (parts.size() != group.numFactors()) {
    *error = "irrep '" + label + "': give one irrep per factor of " + group.spec() + ", joined by ':'";
    return false;
  }
  k->assign(parts.size(), -1);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const GroupFactor &f = group.factor(i);
    long long idx        = -1;
    if (!parts[i].empty() && parts[i].find_first_not_of("0123456789") == std::string::npos)
      parseInteger(parts[i], &idx);
    else if (f.isCyclic() && parts[i].rfind("chi", 0) == 0 && parts[i].size() > 3)
      parseInteger(parts[i].substr(3), &idx);
    else
      for (int j = 0; j < f.irrepCount() && idx < 0; ++j)
        if (f.irrepLabel(j) == parts[i]) idx = j;
    if (idx < 0 || idx >= f.irrepCount()) {
      *error = "irrep '" + label + "': factor " + f.name() + " has no irrep '" + parts[i] +
               "' (labels: " + f.irrepLabel(0) + " ... " + f.irrepLabel(f.irrepCount() - 1) +
               ", or indices 0.." + std::to_string(f.irrepCount() - 1) + "; see eqrnn group)";
      return false;
    }
    (*k)[i] = static_cast<int>(idx);
  }
  return true;
}

std::string productIrrepLabel(const Group &group, const ProductIrrep &k) {
  std::string s;
  for (std::size_t i = 0; i < k.size(); ++i)
    s += (i ? ":" : "") + group.factor(i).irrepLabel(k[i]);
  return s;
}

int productIrrepDim(const Group &group, const ProductIrrep &k) {
  int d = 1;
  for (std::size_t i = 0; i < k.size(); ++i)
    d *= group.factor(i).irrepDim(k[i]);
  return d;
}

ProductIrrep productIrrepConjugate(const Group &group, const ProductIrrep &k) {
  ProductIrrep c(k);
  for (std::size_t i = 0; i < k.size(); ++i)
    c[i] = group.factor(i).irrepConjugate(k[i]);
  return c;
}

Complex productCharacter(const Group &group, const ProductIrrep &k, PetscInt g) {
  const auto c = group.coordinates(g);
  Complex chi  = 1.0;
  for (std::size_t i = 0; i < k.size(); ++i)
    chi *= group.factor(i).character(k[i], c[i]);
  return chi;
}

void productIrrepMatrix(const Group &group, const ProductIrrep &k, PetscInt g, std::vector<Complex> *rho) {
  const auto c = group.coordinates(g);
  std::vector<Complex> acc{1.0}, factor, next;
  int d = 1;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const int e = group.factor(i).irrepDim(k[i]);
    factor.assign(static_cast<std::size_t>(e * e), 0.0);
    group.factor(i).irrepMatrix(k[i], c[i], factor.data());
    next.assign(static_cast<std::size_t>(d * e * d * e), 0.0);
    for (int a = 0; a < d; ++a)
      for (int b = 0; b < d; ++b)
        for (int p = 0; p < e; ++p)
          for (int q = 0; q < e; ++q)
            next[(a * e + p) * d * e + b * e + q] = acc[a * d + b] * factor[p * e + q];
    acc.swap(next);
    d *= e;
  }
  *rho = std::move(acc);
}

std::vector<ProductIrrep> allProductIrreps(const Group &group) {
  std::vector<ProductIrrep> all{ProductIrrep()};
  for (std::size_t i = 0; i < group.numFactors(); ++i) {
    std::vector<ProductIrrep> next;
    for (const auto &k : all)
      for (int j = 0; j < group.factor(i).irrepCount(); ++j) {
        next.push_back(k);
        next.back().push_back(j);
      }
    all.swap(next);
  }
  return all;
}

namespace {
// A complex tensor over the factors' coordinates (first factor slowest); one mode at a time is replaced.
struct Tensor {
  std::vector<std::size_t> dims;
  std::vector<Complex> data;
};

// Replaces mode `mode` (size dims[mode]) by `rows` entries: out[o][r][i] = sum_s map(r, s) in[o][s][i], or,
// for a cyclic factor, by an FFT along that mode (forward: with 1/n and exp(-2 pi i k j / n); backward:
// without).
template <typename Map> void applyDense(Tensor *t, std::size_t mode, std::size_t rows, Map map) {
  std::size_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < mode; ++i)
    outer *= t->dims[i];
  for (std::size_t i = mode + 1; i < t->dims.size(); ++i)
    inner *= t->dims[i];
  const std::size_t cols = t->dims[mode];
  std::vector<Complex> out(outer * rows * inner, 0.0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const Complex m = map(r, c);
      if (m == Complex(0)) continue;
      for (std::size_t o = 0; o < outer; ++o) {
        const Complex *src = t->data.data() + (o * cols + c) * inner;
        Complex *dst       = out.data() + (o * rows + r) * inner;
        for (std::size_t i = 0; i < inner; ++i)
          dst[i] += m * src[i];
      }
    }
  t->dims[mode] = rows;
  t->data.swap(out);
}

void applyFft(Tensor *t, std::size_t mode, int sign, double scale) {
  std::size_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < mode; ++i)
    outer *= t->dims[i];
  for (std::size_t i = mode + 1; i < t->dims.size(); ++i)
    inner *= t->dims[i];
  const int n = static_cast<int>(t->dims[mode]);
  auto *data  = reinterpret_cast<fftw_complex *>(t->data.data());
  // `inner` interleaved transforms of length n per outer block, in place.
  FftwPlan plan(fftw_plan_many_dft(1, &n, static_cast<int>(inner), data, nullptr, static_cast<int>(inner), 1,
                                   data, nullptr, static_cast<int>(inner), 1, sign,
                                   FFTW_ESTIMATE | FFTW_UNALIGNED));
  for (std::size_t o = 0; o < outer; ++o) {
    fftw_complex *block = data + o * static_cast<std::size_t>(n) * inner;
    fftw_execute_dft(plan, block, block);
  }
  for (auto &v : t->data)
    v *= scale;
}

// Offsets of each factor irrep's (k, a, b) entries within the transformed mode: sum_{k' < k} d_k'^2.
std::vector<std::size_t> irrepOffsets(const GroupFactor &f) {
  std::vector<std::size_t> off(static_cast<std::size_t>(f.irrepCount()) + 1, 0);
  for (int k = 0; k < f.irrepCount(); ++k)
    off[k + 1] = off[k] + static_cast<std::size_t>(f.irrepDim(k) * f.irrepDim(k));
  return off;
}

Tensor toTensor(const Group &group, const std::vector<Complex> &f) {
  Tensor t;
  for (std::size_t i = 0; i < group.numFactors(); ++i)
    t.dims.push_back(static_cast<std::size_t>(group.factor(i).order()));
  t.data.assign(f.size(), 0.0);
  for (PetscInt g = 0; g < group.order(); ++g) {
    const auto c   = group.coordinates(g);
    std::size_t at = 0;
    for (std::size_t i = 0; i < c.size(); ++i)
      at = at * t.dims[i] + static_cast<std::size_t>(c[i]);
    t.data[at] = f[g];
  }
  return t;
}
} // namespace

std::vector<FourierBlock> groupFourierTransform(const Group &group, const std::vector<Complex> &f,
                                                const std::vector<ProductIrrep> &irreps) {
  if (irreps.empty()) {
    // Every irrep: factor by factor (the irreps of a product are tensor products), an FFT along each cyclic
    // factor and the dense transform (1/|F|) sum_c T(c) conj(rho_k(c)_ba) -> entry (k, a, b) along the
    // others: O(|G| sum_i |F_i|), O(|G| log n) for the cyclic factors.
    Tensor t = toTensor(group, f);
    std::vector<std::vector<std::size_t>> offsets;
    for (std::size_t i = 0; i < group.numFactors(); ++i) {
      const GroupFactor &F = group.factor(i);
      offsets.push_back(irrepOffsets(F));
      if (F.isCyclic()) {
        applyFft(&t, i, FFTW_FORWARD, 1.0 / static_cast<double>(F.order()));
        continue;
      }
      std::vector<Complex> rho;
      std::vector<std::vector<Complex>> table(static_cast<std::size_t>(F.order()));
      std::vector<int> kOf(offsets.back().back()), aOf(kOf.size()), bOf(kOf.size());
      for (int k = 0; k < F.irrepCount(); ++k)
        for (int e = 0; e < F.irrepDim(k) * F.irrepDim(k); ++e) {
          kOf[offsets.back()[k] + e] = k;
          aOf[offsets.back()[k] + e] = e / F.irrepDim(k);
          bOf[offsets.back()[k] + e] = e % F.irrepDim(k);
        }
      applyDense(&t, i, kOf.size(), [&](std::size_t r, std::size_t c) {
        const int k = kOf[r], d = F.irrepDim(k);
        std::vector<Complex> m(static_cast<std::size_t>(d * d));
        F.irrepMatrix(k, static_cast<PetscInt>(c), m.data());
        return std::conj(m[bOf[r] * d + aOf[r]]) / static_cast<double>(F.order());
      });
    }
    // Gather each product irrep's block: rows (a_1 .. a_m), columns (b_1 .. b_m), first factor outermost.
    std::vector<FourierBlock> out;
    for (const auto &k : allProductIrreps(group)) {
      FourierBlock b;
      b.irrep = k;
      b.dim   = productIrrepDim(group, k);
      b.block.assign(static_cast<std::size_t>(b.dim * b.dim), 0.0);
      for (int row = 0; row < b.dim; ++row)
        for (int col = 0; col < b.dim; ++col) {
          std::size_t at = 0;
          int rr = row, cc = col, dRest = b.dim;
          for (std::size_t i = 0; i < k.size(); ++i) {
            const int d = group.factor(i).irrepDim(k[i]);
            dRest /= d;
            const int a = rr / dRest, bb = cc / dRest;
            rr %= dRest;
            cc %= dRest;
            at = at * t.dims[i] + offsets[i][k[i]] + static_cast<std::size_t>(a * d + bb);
          }
          b.block[row * b.dim + col] = t.data[at];
        }
      out.push_back(std::move(b));
    }
    return out;
  }
  std::vector<FourierBlock> out;
  std::vector<Complex> rho;
  const double volume = static_cast<double>(group.order());
  for (const auto &k : irreps) {
    FourierBlock b;
    b.irrep = k;
    b.dim   = productIrrepDim(group, k);
    b.block.assign(static_cast<std::size_t>(b.dim * b.dim), 0.0);
    for (PetscInt g = 0; g < group.order(); ++g) {
      productIrrepMatrix(group, k, g, &rho);
      // f(g) rho(g)^dagger: entry (i, j) takes conj(rho(g)_ji).
      for (int i = 0; i < b.dim; ++i)
        for (int j = 0; j < b.dim; ++j)
          b.block[i * b.dim + j] += f[g] * std::conj(rho[j * b.dim + i]) / volume;
    }
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<Complex> inverseGroupFourierTransform(const Group &group,
                                                  const std::vector<FourierBlock> &blocks) {
  // Separable, like the forward transform: scatter the blocks into the (k, a, b) tensor (irreps not listed
  // are zero), then per factor f(c) = sum_{k,a,b} d_k T(k, a, b) rho_k(c)_ba (a backward FFT for cyclic
  // factors).
  Tensor t;
  std::vector<std::vector<std::size_t>> offsets;
  std::size_t total = 1;
  for (std::size_t i = 0; i < group.numFactors(); ++i) {
    offsets.push_back(irrepOffsets(group.factor(i)));
    t.dims.push_back(offsets.back().back());
    total *= t.dims.back();
  }
  t.data.assign(total, 0.0);
  for (const auto &b : blocks)
    for (int row = 0; row < b.dim; ++row)
      for (int col = 0; col < b.dim; ++col) {
        std::size_t at = 0;
        int rr = row, cc = col, dRest = b.dim;
        for (std::size_t i = 0; i < b.irrep.size(); ++i) {
          const int d = group.factor(i).irrepDim(b.irrep[i]);
          dRest /= d;
          at = at * t.dims[i] + offsets[i][b.irrep[i]] +
               static_cast<std::size_t>((rr / dRest) * d + cc / dRest);
          rr %= dRest;
          cc %= dRest;
        }
        t.data[at] += b.block[row * b.dim + col];
      }
  for (std::size_t i = 0; i < group.numFactors(); ++i) {
    const GroupFactor &F = group.factor(i);
    if (F.isCyclic()) {
      applyFft(&t, i, FFTW_BACKWARD, 1.0);
      continue;
    }
    std::vector<int> kOf(offsets[i].back()), aOf(kOf.size()), bOf(kOf.size());
    for (int k = 0; k < F.irrepCount(); ++k)
      for (int e = 0; e < F.irrepDim(k) * F.irrepDim(k); ++e) {
        kOf[offsets[i][k] + e] = k;
        aOf[offsets[i][k] + e] = e / F.irrepDim(k);
        bOf[offsets[i][k] + e] = e % F.irrepDim(k);
      }
    applyDense(&t, i, static_cast<std::size_t>(F.order()), [&](std::size_t c, std::size_t r) {
      const int k = kOf[r], d = F.irrepDim(k);
      std::vector<Complex> m(static_cast<std::size_t>(d * d));
      F.irrepMatrix(k, static_cast<PetscInt>(c), m.data());
      return static_cast<double>(d) * m[bOf[r] * d + aOf[r]];
    });
  }
  std::vector<Complex> f(static_cast<std::size_t>(group.order()));
  for (PetscInt g = 0; g < group.order(); ++g) {
    const auto c   = group.coordinates(g);
    std::size_t at = 0;
    for (std::size_t i = 0; i < c.size(); ++i)
      at = at * t.dims[i] + static_cast<std::size_t>(c[i]);
    f[g] = t.data[at];
  }
  return f;
}

} // namespace eqrnn
