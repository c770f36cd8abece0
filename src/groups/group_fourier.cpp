#include "groups/group_fourier.hpp"

#include "core/options.hpp"

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

std::vector<FourierBlock> groupFourierTransform(const Group &group, const std::vector<Complex> &f,
                                                const std::vector<ProductIrrep> &irreps) {
  const auto list = irreps.empty() ? allProductIrreps(group) : irreps;
  std::vector<FourierBlock> out;
  std::vector<Complex> rho;
  const double volume = static_cast<double>(group.order());
  for (const auto &k : list) {
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
  std::vector<Complex> f(static_cast<std::size_t>(group.order()), 0.0), rho;
  for (const auto &b : blocks)
    for (PetscInt g = 0; g < group.order(); ++g) {
      productIrrepMatrix(group, b.irrep, g, &rho);
      Complex trace = 0;
      for (int i = 0; i < b.dim; ++i)
        for (int j = 0; j < b.dim; ++j)
          trace += b.block[i * b.dim + j] * rho[j * b.dim + i];
      f[g] += static_cast<double>(b.dim) * trace;
    }
  return f;
}

} // namespace eqrnn
