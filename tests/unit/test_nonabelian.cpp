// The group convolution on non-abelian groups (D_n, S_n, A_n, Q8, permutation groups and their products with
// cyclic factors), with one or several channels:
//   (J x)_c(g) = (1/|G|) sum_h sum_c' w_cc'(h^-1 g) x_c'(h)
// checked against the direct sum from this definition, against left equivariance, against the failure of
// right equivariance (which pins the side of the convention), on its diagonal, and on large distributed
// groups through the impulse response and sparse direct sums. Run under 1, 2 and 3 ranks by ctest: every
// check compares gathered vectors, so all ranks reach the same verdict.
#include "groups/group_action.hpp"
#include "helpers.hpp"
#include "operators/group_convolution.hpp"

#include <string>

using namespace eqrnn;
using namespace eqrnn::test;

namespace {
// The factor "P": the symmetries of a square acting on its vertices (a copy of D4, order 8, 5 involutions).
const char *const kPermutations = "(1 2 3 4), (1 3)";

struct Case {
  const char *spec;
  PetscInt channels;
  PetscInt order;       // |G| from the textbook
  PetscInt involutions; // elements of order exactly 2, from the textbook
  bool abelian;
};

// Orders and involution counts: D_n has n reflections (plus r^(n/2) for even n), S3 3, S4 9 (6 transpositions
// and 3 double transpositions), A4 3, A5 15, Q8 1 (-1); a product with i_k involutions per factor has
// prod(1 + i_k) - 1.
const Case kSmall[] = {
    {"D1", 1, 2, 1, true},      {"D2", 1, 4, 3, true},      {"D5", 1, 10, 5, false},
    {"D6", 1, 12, 7, false},    {"S3", 1, 6, 3, false},     {"S4", 1, 24, 9, false},
    {"A4", 1, 12, 3, false},    {"Q8", 1, 8, 1, false},     {"A5", 1, 60, 15, false},
    {"D4xZ3", 1, 24, 5, false}, {"Z3xD4", 1, 24, 5, false}, {"S3xZ4xZ6", 1, 144, 15, false},
    {"Q8xD3", 1, 48, 7, false}, {"PxZ4", 1, 32, 11, false}, {"D8xZ16", 1, 256, 19, false},
    {"D5", 2, 10, 5, false},    {"S3xZ4", 3, 24, 7, false}, {"Z6", 2, 6, 1, true},
    {"Q8xD3", 2, 48, 7, false}, {"D4xZ3", 3, 24, 5, false}, {"A4", 2, 12, 3, false},
};

// Too large for the O(|G|^2) sum: slab (two axes) and line / line-padded (one prime axis) on several ranks.
const Case kLarge[] = {
    {"D64xZ32", 1, 4096, 131, false}, {"D97", 1, 194, 97, false}, {"S4xZ8xZ8", 1, 1536, 39, false},
    {"D64xZ32", 2, 4096, 131, false}, {"D97", 3, 194, 97, false},
};

std::string describe(const Case &k, const GroupConvolution *conv = nullptr) {
  std::string s = std::string(k.spec) + " C=" + std::to_string(k.channels);
  if (conv) s += std::string(" strategy ") + conv->strategyName();
  return s + " on " + std::to_string(commSize()) + " ranks";
}

struct Op {
  Group group;
  std::unique_ptr<GroupConvolution> conv;
  VecHandle w, x, y;
};

// Operator on k.spec with a random kernel (every one of the |G| C^2 values, drawn from its global index, so
// the same on any number of ranks) and a random state x.
void build(const Case &k, unsigned long long seed, Op *op) {
  EQ_OK(parseGroup(PETSC_COMM_WORLD, k.spec, &op->group, kPermutations));
  ASSERT_EQ(op->group.order(), k.order) << k.spec;
  EQ_OK(GroupConvolution::create(PETSC_COMM_WORLD, op->group, k.channels, FftPlanner::Estimate, &op->conv));
  EQ_OK(op->conv->createKernelVec(op->w.address()));
  EQ_OK(op->conv->createVec(op->x.address()));
  EQ_OK(op->conv->createVec(op->y.address()));
  PetscInt nw = 0, nx = 0;
  EQ_OK(VecGetSize(op->w, &nw));
  EQ_OK(VecGetSize(op->x, &nx));
  ASSERT_EQ(nw, k.order * k.channels * k.channels);
  ASSERT_EQ(nx, k.order * k.channels);
  fillRandom(op->w, seed);
  fillRandom(op->x, seed + 1000);
  EQ_OK(op->conv->setKernel(op->w));
}

// Sets the owned entries of v from a vector holding every entry (identical on all ranks).
void setAll(Vec v, const std::vector<double> &all) {
  PetscInt lo = 0, hi = 0;
  PetscScalar *a = nullptr;
  EQ_OK(VecGetOwnershipRange(v, &lo, &hi));
  EQ_OK(VecGetArray(v, &a));
  for (PetscInt i = lo; i < hi; ++i)
    a[i - lo] = all[static_cast<std::size_t>(i)];
  EQ_OK(VecRestoreArray(v, &a));
}

// The definition, summed directly over the h where x is non-zero (all of them for a dense x).
std::vector<double> directSum(const Group &G, PetscInt C, const std::vector<double> &w,
                              const std::vector<double> &x) {
  const PetscInt n = G.order();
  std::vector<double> ref(static_cast<std::size_t>(n * C), 0.0);
  for (PetscInt h = 0; h < n; ++h) {
    bool zero = true;
    for (PetscInt cp = 0; cp < C; ++cp)
      zero = zero && x[h * C + cp] == 0.0;
    if (zero) continue;
    const PetscInt hinv = G.inverse(h);
    for (PetscInt g = 0; g < n; ++g) {
      const PetscInt s = G.multiply(hinv, g); // h^-1 g
      for (PetscInt c = 0; c < C; ++c)
        for (PetscInt cp = 0; cp < C; ++cp)
          ref[g * C + c] += w[(s * C + c) * C + cp] * x[h * C + cp];
    }
  }
  for (double &v : ref)
    v /= static_cast<double>(n);
  return ref;
}

double relativeDiff(const std::vector<double> &got, const std::vector<double> &ref) {
  return maxAbsDiff(got, ref) / std::max(maxAbs(ref), 1e-300);
}

// (R_a x)(g) = x(g a) or (L_a x)(g) = x(a^-1 g), built by hand on gathered values (C channels).
std::vector<double> rightTranslate(const Group &G, PetscInt C, PetscInt a, const std::vector<double> &x) {
  std::vector<double> out(x.size());
  for (PetscInt g = 0; g < G.order(); ++g)
    for (PetscInt c = 0; c < C; ++c)
      out[g * C + c] = x[G.multiply(g, a) * C + c];
  return out;
}
std::vector<double> leftTranslate(const Group &G, PetscInt C, PetscInt a, const std::vector<double> &x) {
  std::vector<double> out(x.size());
  const PetscInt ainv = G.inverse(a);
  for (PetscInt g = 0; g < G.order(); ++g)
    for (PetscInt c = 0; c < C; ++c)
      out[g * C + c] = x[G.multiply(ainv, g) * C + c];
  return out;
}

// Checks J L_a x == L_a J x for every generator a (the library's translate()).
void expectLeftEquivariant(const Case &k, Op &op) {
  VecHandle lx, jlx, ljx;
  EQ_OK(VecDuplicate(op.x, lx.address()));
  EQ_OK(VecDuplicate(op.x, jlx.address()));
  EQ_OK(VecDuplicate(op.x, ljx.address()));
  EQ_OK(op.conv->apply(op.x, op.y));
  const auto gens = op.group.generators();
  EXPECT_FALSE(gens.empty()) << k.spec;
  for (PetscInt a : gens) {
    EQ_OK(translate(op.group, a, op.x, lx));  // L_a x
    EQ_OK(op.conv->apply(lx, jlx));           // J L_a x
    EQ_OK(translate(op.group, a, op.y, ljx)); // L_a J x
    const auto u = gather(jlx), v = gather(ljx);
    EXPECT_LT(relativeDiff(u, v), 1e-12) << describe(k, op.conv.get()) << " generator " << op.group.label(a);
  }
}
} // namespace

// The groups are the ones named: orders and involution counts from the textbook, the group axioms, the
// dihedral product as composition of maps i -> j + (-1)^e i on Z_n, and the element index of the header
// comment.
TEST(NonAbelian, GroupsAreTheExpectedOnes) {
  std::vector<Case> all(std::begin(kSmall), std::end(kSmall));
  all.insert(all.end(), std::begin(kLarge), std::end(kLarge));
  for (const Case &k : all) {
    Group G;
    EQ_OK(parseGroup(PETSC_COMM_WORLD, k.spec, &G, kPermutations));
    const PetscInt n = G.order();
    ASSERT_EQ(n, k.order) << k.spec;
    PetscInt involutions = 0;
    for (PetscInt g = 0; g < n; ++g) {
      ASSERT_EQ(G.multiply(0, g), g) << k.spec << ": index 0 is not the identity";
      ASSERT_EQ(G.multiply(g, 0), g) << k.spec;
      ASSERT_EQ(G.multiply(g, G.inverse(g)), 0) << k.spec;
      ASSERT_EQ(G.multiply(G.inverse(g), g), 0) << k.spec;
      if (g != 0 && G.multiply(g, g) == 0) ++involutions;
    }
    EXPECT_EQ(involutions, k.involutions) << k.spec;
    // Associativity on a deterministic sample of triples (all of them for the smallest groups).
    const PetscInt samples = n <= 12 ? n * n * n : 3000;
    for (PetscInt t = 0; t < samples; ++t) {
      PetscInt a = 0, b = 0, c = 0;
      if (n <= 12) {
        a = t / (n * n), b = (t / n) % n, c = t % n;
      } else {
        a = static_cast<PetscInt>(counterUniform(5, 0, t) * n);
        b = static_cast<PetscInt>(counterUniform(5, 1, t) * n);
        c = static_cast<PetscInt>(counterUniform(5, 2, t) * n);
      }
      ASSERT_EQ(G.multiply(G.multiply(a, b), c), G.multiply(a, G.multiply(b, c))) << k.spec;
    }
    // Non-abelian exactly when two generators fail to commute (generators are what the equivariance test
    // uses).
    bool commute   = true;
    const auto gen = G.generators();
    for (PetscInt a : gen)
      for (PetscInt b : gen)
        commute = commute && G.multiply(a, b) == G.multiply(b, a);
    EXPECT_EQ(commute, k.abelian) << k.spec;
    // The generators generate: their closure is all of G.
    std::vector<char> reached(static_cast<std::size_t>(n), 0);
    std::vector<PetscInt> frontier{0};
    reached[0] = 1;
    while (!frontier.empty()) {
      const PetscInt g = frontier.back();
      frontier.pop_back();
      for (PetscInt a : gen) {
        const PetscInt h = G.multiply(a, g);
        if (!reached[h]) reached[h] = 1, frontier.push_back(h);
      }
    }
    EXPECT_EQ(std::count(reached.begin(), reached.end(), 1), n) << k.spec << ": generators do not generate";
  }
  // D_n: r^j s^e = 2j + e acts on Z_n as i -> j + (-1)^e i; the product is composition.
  for (PetscInt m : {1, 2, 5, 6, 8}) {
    Group G;
    EQ_OK(parseGroup(PETSC_COMM_WORLD, "D" + std::to_string(m), &G));
    auto act = [m](PetscInt g, PetscInt i) {
      const PetscInt j = g / 2, e = g % 2;
      return ((j + (e ? -i : i)) % m + m) % m;
    };
    for (PetscInt a = 0; a < 2 * m; ++a)
      for (PetscInt b = 0; b < 2 * m; ++b) {
        const PetscInt ab = G.multiply(a, b);
        for (PetscInt i = 0; i < m; ++i)
          ASSERT_EQ(act(ab, i), act(a, act(b, i))) << "D" << m << " a=" << a << " b=" << b;
      }
  }
  // Element index (header): axis coordinates lexicographic (last fastest) times |Q|, plus the finite parts.
  Group dz, zd;
  EQ_OK(parseGroup(PETSC_COMM_WORLD, "D4xZ3", &dz));
  EQ_OK(parseGroup(PETSC_COMM_WORLD, "Z3xD4", &zd));
  for (PetscInt j = 0; j < 4; ++j)
    for (PetscInt e = 0; e < 2; ++e)
      for (PetscInt k = 0; k < 3; ++k) {
        EXPECT_EQ(dz.index({2 * j + e, k}), (j * 3 + k) * 2 + e);
        EXPECT_EQ(zd.index({k, 2 * j + e}), (k * 4 + j) * 2 + e);
      }
}

// Test 1: apply() against the O(|G|^2 C^2) sum of the definition.
TEST(NonAbelian, EqualsDirectGroupSum) {
  unsigned long long seed = 100;
  for (const Case &k : kSmall) {
    Op op;
    ASSERT_NO_FATAL_FAILURE(build(k, ++seed, &op));
    EQ_OK(op.conv->apply(op.x, op.y));
    const auto w = gather(op.w), x = gather(op.x), y = gather(op.y);
    const auto ref = directSum(op.group, k.channels, w, x);
    EXPECT_LT(relativeDiff(y, ref), 1e-12) << describe(k, op.conv.get());
    EXPECT_GT(maxAbs(ref), 1e-3) << k.spec; // not a vacuous comparison
  }
}

// Test 2: J L_a = L_a J for every generator a.
TEST(NonAbelian, CommutesWithLeftTranslations) {
  unsigned long long seed = 200;
  for (const Case &k : kSmall) {
    Op op;
    ASSERT_NO_FATAL_FAILURE(build(k, ++seed, &op));
    expectLeftEquivariant(k, op);
  }
}

// Test 3: the convolution is a left one. With a random kernel on S3 it does not commute with any right
// translation R_a x(g) = x(g a), a != e (S3 has a trivial centre), while it commutes with the hand-built left
// translations. With a class function as kernel (w(a g a^-1) = w(g)) it commutes with both: the control.
TEST(NonAbelian, IsNotRightEquivariant) {
  for (const Case &k : {Case{"S3", 1, 6, 3, false}, Case{"D4xZ3", 2, 24, 5, false}}) {
    Op op;
    ASSERT_NO_FATAL_FAILURE(build(k, 300, &op));
    const Group &G   = op.group;
    const PetscInt C = k.channels, n = G.order();
    const auto x = gather(op.x);
    VecHandle tx;
    EQ_OK(VecDuplicate(op.x, tx.address()));
    auto applyTo = [&](const std::vector<double> &v) {
      setAll(tx, v);
      EXPECT_EQ(op.conv->apply(tx, op.y), 0);
      return gather(op.y);
    };
    const auto jx = applyTo(x);
    // Centre of G (brute force): right translation by a central element is a left one.
    auto central = [&](PetscInt a) {
      for (PetscInt g = 0; g < n; ++g)
        if (G.multiply(a, g) != G.multiply(g, a)) return false;
      return true;
    };
    PetscInt nonCentral = 0;
    for (PetscInt a = 1; a < n; ++a) {
      const auto right = relativeDiff(applyTo(rightTranslate(G, C, a, x)), rightTranslate(G, C, a, jx));
      const auto left  = relativeDiff(applyTo(leftTranslate(G, C, a, x)), leftTranslate(G, C, a, jx));
      EXPECT_LT(left, 1e-12) << describe(k) << " a=" << G.label(a);
      if (central(a)) {
        EXPECT_LT(right, 1e-12) << describe(k) << " central a=" << G.label(a);
      } else {
        ++nonCentral;
        EXPECT_GT(right, 1e-2) << describe(k) << " a=" << G.label(a) << ": J commutes with R_a";
      }
    }
    EXPECT_GT(nonCentral, 0) << k.spec;

    // Control: the kernel averaged over conjugation, w'(g) = (1/|G|) sum_b w(b g b^-1), is a class function.
    const auto w = gather(op.w);
    std::vector<double> cw(w.size(), 0.0);
    for (PetscInt g = 0; g < n; ++g)
      for (PetscInt b = 0; b < n; ++b) {
        const PetscInt conj = G.multiply(G.multiply(b, g), G.inverse(b));
        for (PetscInt cc = 0; cc < C * C; ++cc)
          cw[g * C * C + cc] += w[conj * C * C + cc] / static_cast<double>(n);
      }
    VecHandle wv;
    EQ_OK(VecDuplicate(op.w, wv.address()));
    setAll(wv, cw);
    EQ_OK(op.conv->setKernel(wv));
    const auto cjx = applyTo(x);
    EXPECT_LT(relativeDiff(cjx, directSum(G, C, cw, x)), 1e-12) << describe(k) << " class-function kernel";
    for (PetscInt a = 1; a < n; ++a)
      EXPECT_LT(relativeDiff(applyTo(rightTranslate(G, C, a, x)), rightTranslate(G, C, a, cjx)), 1e-12)
          << describe(k) << " class-function kernel, a=" << G.label(a);
  }
}

// Test 4: diagonal(c) = w_cc(e)/|G|; fillDiagonal and the MATSHELL's diagonal equal the diagonal of the
// matrix of the definition, and (small cases) the diagonal read off J applied to each basis vector.
TEST(NonAbelian, DiagonalIsTheKernelAtTheIdentity) {
  const Case cases[]      = {{"S3", 1, 6, 3, false},     {"D5", 2, 10, 5, false},
                             {"S3xZ4", 3, 24, 7, false}, {"Q8xD3", 2, 48, 7, false},
                             {"D97", 3, 194, 97, false}, {"D8xZ16", 2, 256, 19, false}};
  unsigned long long seed = 400;
  for (const Case &k : cases) {
    Op op;
    ASSERT_NO_FATAL_FAILURE(build(k, ++seed, &op));
    const Group &G   = op.group;
    const PetscInt C = k.channels, n = G.order();
    const auto w = gather(op.w);
    // The matrix of the definition: entry ((g,c),(h,c')) = w_cc'(h^-1 g)/|G|; its diagonal h = g, c' = c.
    std::vector<double> diag(static_cast<std::size_t>(n * C));
    for (PetscInt g = 0; g < n; ++g)
      for (PetscInt c = 0; c < C; ++c)
        diag[g * C + c] = w[(G.multiply(G.inverse(g), g) * C + c) * C + c] / static_cast<double>(n);
    for (PetscInt c = 0; c < C; ++c)
      EXPECT_NEAR(op.conv->diagonal(c), w[c * C + c] / static_cast<double>(n), 1e-15)
          << describe(k) << " c=" << c;
    VecHandle d;
    EQ_OK(VecDuplicate(op.x, d.address()));
    EQ_OK(op.conv->fillDiagonal(d));
    EXPECT_LT(maxAbsDiff(gather(d), diag), 1e-15) << describe(k, op.conv.get());
    MatHandle J;
    EQ_OK(op.conv->createMat(J.address()));
    EQ_OK(VecSet(d, 0.0));
    EQ_OK(MatGetDiagonal(J, d));
    EXPECT_LT(maxAbsDiff(gather(d), diag), 1e-15) << describe(k, op.conv.get()) << " MatGetDiagonal";
    if (n * C > 60) continue;
    // J e_i, component i, for every basis vector e_i.
    std::vector<double> probed(diag.size());
    for (PetscInt i = 0; i < n * C; ++i) {
      std::vector<double> e(diag.size(), 0.0);
      e[i] = 1.0;
      setAll(op.x, e);
      EQ_OK(op.conv->apply(op.x, op.y));
      probed[i] = gather(op.y)[i];
    }
    EXPECT_LT(maxAbsDiff(probed, diag), 1e-13 * maxAbs(diag)) << describe(k, op.conv.get()) << " probed";
  }
}

// Test 5: large groups on the distributed strategies. J delta_(e,c') = (1/|G|) w_cc'(.) (only h = e
// contributes), which with left equivariance determines J; and a sparse x (a few impulses anywhere) against
// the direct sum.
TEST(NonAbelian, LargeGroupsImpulseResponseAndEquivariance) {
  unsigned long long seed = 500;
  for (const Case &k : kLarge) {
    Op op;
    ASSERT_NO_FATAL_FAILURE(build(k, ++seed, &op));
    const Group &G   = op.group;
    const PetscInt C = k.channels, n = G.order();
    const std::string strategy = op.conv->strategyName();
    // The strategies these cases are meant to exercise (group_convolution.hpp).
    const auto axes =
        std::count_if(G.axisOrders().begin(), G.axisOrders().end(), [](PetscInt m) { return m > 1; });
    if (commSize() == 1) {
      EXPECT_EQ(strategy, "serial") << describe(k);
    } else if (axes == 1) { // D97: one prime axis
      EXPECT_EQ(strategy.rfind("line", 0), 0u) << describe(k, op.conv.get());
    } else {
      EXPECT_EQ(strategy, "slab") << describe(k);
    }
    if (commSize() == 3 && std::string(k.spec) == "D97") {
      EXPECT_EQ(strategy, "line-padded") << describe(k);
    }
    if (commSize() > 1) {
      EXPECT_LT(op.conv->localSize(), n * C) << describe(k, op.conv.get());
    }

    const auto w        = gather(op.w);
    const double wscale = maxAbs(w) / static_cast<double>(n);
    for (PetscInt cp = 0; cp < C; ++cp) {
      std::vector<double> delta(static_cast<std::size_t>(n * C), 0.0);
      delta[cp] = 1.0; // (g = e, c')
      setAll(op.x, delta);
      EQ_OK(op.conv->apply(op.x, op.y));
      const auto y = gather(op.y);
      std::vector<double> ref(y.size());
      for (PetscInt g = 0; g < n; ++g)
        for (PetscInt c = 0; c < C; ++c)
          ref[g * C + c] = w[(g * C + c) * C + cp] / static_cast<double>(n);
      EXPECT_LT(maxAbsDiff(y, ref), 1e-12 * wscale)
          << describe(k, op.conv.get()) << " impulse at e, c'=" << cp;
    }

    // A few impulses at random elements and channels with random weights.
    std::vector<double> sparse(static_cast<std::size_t>(n * C), 0.0);
    for (std::uint64_t t = 0; t < 5; ++t) {
      const auto i = static_cast<std::size_t>(counterUniform(seed, 3, t) * static_cast<double>(n * C));
      sparse[i] += counterNormal(seed, 4, t);
    }
    setAll(op.x, sparse);
    EQ_OK(op.conv->apply(op.x, op.y));
    EXPECT_LT(relativeDiff(gather(op.y), directSum(G, C, w, sparse)), 1e-12)
        << describe(k, op.conv.get()) << " sparse";

    fillRandom(op.x, seed + 1000);
    expectLeftEquivariant(k, op);
  }
}
