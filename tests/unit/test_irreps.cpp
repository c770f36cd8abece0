// Finite groups from Cayley tables and their numerically computed irreps, checked against textbook facts
// (orders, class sizes, irrep dimensions, Frobenius-Schur indicators, known character values). Serial pure
// math: every rank runs the same checks.
#include "groups/finite_group.hpp"
#include "groups/irreps.hpp"
#include <gtest/gtest.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

using namespace eqrnn;

namespace {

constexpr double kTol = 1e-12;

struct Case {
  std::string name;
  CayleyTable table;
  int order;
  int classes;
  std::vector<int> dims; // sorted irrep dimensions
};

std::vector<int> dihedralDims(int n) {
  const int ones = n % 2 ? 2 : 4;
  std::vector<int> dims(ones, 1);
  dims.resize(ones + (n % 2 ? (n - 1) / 2 : n / 2 - 1), 2);
  return dims;
}

CayleyTable fromCycles(const std::string &text) {
  int points = 0;
  std::vector<std::vector<int>> gens;
  std::string err;
  EXPECT_TRUE(parseCycleNotation(text, &points, &gens, &err)) << err;
  CayleyTable t;
  EXPECT_TRUE(permutationGroup(gens, 100000, &t, &err)) << err;
  return t;
}

std::vector<Case> cases() {
  std::vector<Case> c;
  c.push_back({"S3", symmetricGroup(3), 6, 3, {1, 1, 2}});
  c.push_back({"S4", symmetricGroup(4), 24, 5, {1, 1, 2, 3, 3}});
  c.push_back({"S5", symmetricGroup(5), 120, 7, {1, 1, 4, 4, 5, 5, 6}});
  c.push_back({"A4", alternatingGroup(4), 12, 4, {1, 1, 1, 3}});
  c.push_back({"A5", alternatingGroup(5), 60, 5, {1, 3, 3, 4, 5}});
  c.push_back({"Q8", quaternionGroup(), 8, 5, {1, 1, 1, 1, 2}});
  for (int n : {4, 5, 6})
    c.push_back(
        {"D" + std::to_string(n), dihedralTable(n), 2 * n, n % 2 ? (n + 3) / 2 : n / 2 + 3, dihedralDims(n)});
  c.push_back({"Z6", fromCycles("(1 2 3 4 5 6)"), 6, 6, {1, 1, 1, 1, 1, 1}});
  c.push_back({"D4 by cycles", fromCycles("(1 2)(3 4), (1 3)"), 8, 5, {1, 1, 1, 1, 2}});
  return c;
}

IrrepSet irrepsOf(const CayleyTable &t, std::uint64_t seed = 7) {
  IrrepSet set;
  std::string err;
  EXPECT_TRUE(computeIrreps(t, seed, &set, &err)) << err;
  return set;
}

int labelIndex(const CayleyTable &t, const std::string &label) {
  auto it = std::find(t.labels.begin(), t.labels.end(), label);
  EXPECT_NE(it, t.labels.end()) << label;
  return static_cast<int>(it - t.labels.begin());
}

// Order of a permutation from its cycle label: the lcm of its cycle lengths.
int orderFromLabel(const std::string &label) {
  if (label == "e") return 1;
  int order = 1, length = 0;
  bool inNumber = false;
  for (char ch : label) {
    const bool digit = ch >= '0' && ch <= '9';
    if (digit && !inNumber) ++length;
    inNumber = digit;
    if (ch == ')') {
      order  = std::lcm(order, length);
      length = 0;
    }
  }
  return order;
}

std::vector<std::size_t> classSizes(const CayleyTable &t) {
  std::vector<std::size_t> sizes;
  for (const auto &cls : conjugacyClasses(t))
    sizes.push_back(cls.size());
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

} // namespace

TEST(FiniteGroup, ParsesCycleNotation) {
  int points = 0;
  std::vector<std::vector<int>> gens;
  std::string err = "left over from an earlier call";
  ASSERT_TRUE(parseCycleNotation("(1 2)(3 4), (1 2 3)", &points, &gens, &err)) << err;
  EXPECT_EQ(points, 4);
  ASSERT_EQ(gens.size(), 2u);
  EXPECT_EQ(gens[0], (std::vector<int>{1, 0, 3, 2}));
  EXPECT_EQ(gens[1], (std::vector<int>{1, 2, 0, 3}));
  ASSERT_TRUE(parseCycleNotation(" (1 5) ; (2 3)", &points, &gens, &err)) << err;
  EXPECT_EQ(points, 5);
  EXPECT_EQ(gens[1], (std::vector<int>{0, 2, 1, 3, 4}));
  // Overlapping cycles compose right to left: (1 2)(2 3) sends 1->2, 2->3, 3->1.
  ASSERT_TRUE(parseCycleNotation("(1 2)(2 3)", &points, &gens, &err)) << err;
  EXPECT_EQ(gens[0], (std::vector<int>{1, 2, 0}));
}

TEST(FiniteGroup, RejectsBadCycleNotationWithAReason) {
  for (const char *bad :
       {"", "   ", "(1 2", "1 2)", "(1 2))", "(a b)", "(0 1)", "(1 2 1)", "(1 -2)", "(1 2),", ", (1 2)",
        "(1 2);;(3 4)", "((1 2))", "(1 2.5)", "(1 2)x", "(99999999999 1)"}) {
    int points = 0;
    std::vector<std::vector<int>> gens;
    std::string err;
    EXPECT_FALSE(parseCycleNotation(bad, &points, &gens, &err)) << "'" << bad << "'";
    EXPECT_FALSE(err.empty()) << "'" << bad << "'";
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

TEST(FiniteGroup, PermutationGroupRespectsMaxOrderAndRejectsNonPermutations) {
  const std::vector<std::vector<int>> s4 = {{1, 0, 2, 3}, {1, 2, 3, 0}};
  CayleyTable t;
  std::string err;
  EXPECT_FALSE(permutationGroup(s4, 23, &t, &err));
  EXPECT_FALSE(err.empty());
  ASSERT_TRUE(permutationGroup(s4, 24, &t, &err)) << err;
  EXPECT_EQ(t.order, 24);
  err.clear();
  EXPECT_FALSE(permutationGroup({{0, 0, 1}}, 100, &t, &err));
  EXPECT_FALSE(err.empty());
  err.clear();
  EXPECT_FALSE(permutationGroup({{1, 0}, {1, 2, 0}}, 100, &t, &err));
  EXPECT_FALSE(err.empty());
  ASSERT_TRUE(permutationGroup({}, 1, &t, &err)) << err; // no generators: the trivial group
  EXPECT_EQ(t.order, 1);
}

TEST(FiniteGroup, TablesSatisfyTheAxiomsWithExpectedOrders) {
  for (const Case &c : cases()) {
    std::string err;
    EXPECT_TRUE(checkGroupAxioms(c.table, &err)) << c.name << ": " << err;
    EXPECT_EQ(c.table.order, c.order) << c.name;
    ASSERT_EQ(c.table.labels.size(), static_cast<std::size_t>(c.order)) << c.name;
    auto labels = c.table.labels;
    std::sort(labels.begin(), labels.end());
    EXPECT_EQ(std::unique(labels.begin(), labels.end()), labels.end()) << c.name << ": labels not distinct";
    EXPECT_EQ(conjugacyClasses(c.table).size(), static_cast<std::size_t>(c.classes)) << c.name;
  }
  EXPECT_EQ(symmetricGroup(1).order, 1);
  EXPECT_EQ(symmetricGroup(6).order, 720);
  EXPECT_EQ(alternatingGroup(2).order, 1);
  EXPECT_EQ(alternatingGroup(3).order, 3);
  EXPECT_EQ(dihedralTable(1).order, 2);
}

TEST(FiniteGroup, AxiomCheckCatchesBrokenTables) {
  CayleyTable t = symmetricGroup(3);
  std::string err;
  t.product[1 * 6 + 2] = t.product[1 * 6 + 3]; // a row that is no longer a permutation
  EXPECT_FALSE(checkGroupAxioms(t, &err));
  EXPECT_FALSE(err.empty());
  t            = dihedralTable(4);
  t.inverse[2] = 2; // r has order 4, so it is not its own inverse
  EXPECT_FALSE(checkGroupAxioms(t, &err));
  // A Latin square of order 5 with identity 0 and every element its own inverse: the only group of order 5 is
  // Z5, where that fails, so associativity must break somewhere.
  CayleyTable loop;
  loop.order   = 5;
  loop.product = {0, 1, 2, 3, 4, 1, 0, 3, 4, 2, 2, 4, 0, 1, 3, 3, 2, 4, 0, 1, 4, 3, 1, 2, 0};
  loop.inverse = {0, 1, 2, 3, 4};
  EXPECT_FALSE(checkGroupAxioms(loop, &err));
}

TEST(FiniteGroup, ClassSizesAndElementOrders) {
  EXPECT_EQ(classSizes(symmetricGroup(4)), (std::vector<std::size_t>{1, 3, 6, 6, 8}));
  EXPECT_EQ(classSizes(alternatingGroup(5)), (std::vector<std::size_t>{1, 12, 12, 15, 20}));
  EXPECT_EQ(classSizes(symmetricGroup(5)), (std::vector<std::size_t>{1, 10, 15, 20, 20, 24, 30}));
  EXPECT_EQ(classSizes(quaternionGroup()), (std::vector<std::size_t>{1, 1, 2, 2, 2}));
  for (const Case &c : cases()) {
    const auto classes = conjugacyClasses(c.table);
    ASSERT_EQ(classes[0], std::vector<int>{0}) << c.name;
    std::vector<int> all;
    for (std::size_t k = 0; k < classes.size(); ++k) {
      EXPECT_TRUE(std::is_sorted(classes[k].begin(), classes[k].end())) << c.name;
      if (k > 0) {
        EXPECT_LT(classes[k - 1][0], classes[k][0]) << c.name;
      }
      all.insert(all.end(), classes[k].begin(), classes[k].end());
    }
    std::sort(all.begin(), all.end());
    std::vector<int> expected(c.order);
    std::iota(expected.begin(), expected.end(), 0);
    EXPECT_EQ(all, expected) << c.name << ": classes are not a partition";
  }
  for (const CayleyTable &t : {symmetricGroup(5), alternatingGroup(5), fromCycles("(1 2)(3 4), (1 3)")})
    for (int g = 0; g < t.order; ++g)
      EXPECT_EQ(elementOrder(t, g), orderFromLabel(t.labels[g])) << t.labels[g];
}

TEST(FiniteGroup, QuaternionAndDihedralRelations) {
  const CayleyTable q = quaternionGroup();
  auto mul            = [&](const std::string &a, const std::string &b) {
    return q.labels[q.product[labelIndex(q, a) * 8 + labelIndex(q, b)]];
  };
  EXPECT_EQ(q.labels[0], "1");
  EXPECT_EQ(mul("i", "i"), "-1");
  EXPECT_EQ(mul("j", "j"), "-1");
  EXPECT_EQ(mul("i", "j"), "k");
  EXPECT_EQ(mul("j", "i"), "-k");
  EXPECT_EQ(mul("k", "i"), "j");
  for (int n : {3, 5, 8}) {
    const CayleyTable d = dihedralTable(n);
    const int r = labelIndex(d, "r^1"), s = labelIndex(d, "s");
    EXPECT_EQ(elementOrder(d, r), n);
    EXPECT_EQ(elementOrder(d, s), 2);
    EXPECT_EQ(d.product[d.product[s * 2 * n + r] * 2 * n + s], d.inverse[r]); // s r s = r^-1
  }
}

TEST(Irreps, DimensionsClassesAndOrthogonality) {
  for (const Case &c : cases()) {
    const IrrepSet set = irrepsOf(c.table);
    std::vector<int> dims;
    for (const Irrep &r : set.irreps)
      dims.push_back(r.dim);
    EXPECT_TRUE(std::is_sorted(dims.begin(), dims.end())) << c.name;
    EXPECT_EQ(dims, c.dims) << c.name;
    int sum = 0;
    for (int d : dims)
      sum += d * d;
    EXPECT_EQ(sum, c.order) << c.name;
    EXPECT_EQ(set.classes.size(), static_cast<std::size_t>(c.classes)) << c.name;
    const IrrepErrors e = verifyIrreps(c.table, set);
    EXPECT_LE(e.homomorphism, kTol) << c.name;
    EXPECT_LE(e.unitarity, kTol) << c.name;
    EXPECT_LE(e.schur, kTol) << c.name;
    EXPECT_LE(e.characterOrthogonality, kTol) << c.name;
    EXPECT_EQ(e.dimensionSumDefect, 0) << c.name;
    EXPECT_EQ(e.classCountDefect, 0) << c.name;
    // irreps[0] is trivial; chi(e) = dim; column orthogonality sum_k |chi_k(C)|^2 = |G| / |C|.
    for (const Complex &v : set.characters[0])
      EXPECT_NEAR(std::abs(v - 1.0), 0.0, kTol) << c.name;
    for (std::size_t k = 0; k < set.irreps.size(); ++k)
      EXPECT_NEAR(std::abs(set.characters[k][0] - double(set.irreps[k].dim)), 0.0, kTol) << c.name;
    for (std::size_t cl = 0; cl < set.classes.size(); ++cl) {
      double column = 0;
      for (const auto &chi : set.characters)
        column += std::norm(chi[cl]);
      EXPECT_NEAR(column, double(c.order) / double(set.classes[cl].size()), 1e-10) << c.name;
    }
  }
}

TEST(Irreps, FrobeniusSchurIndicatorsAndConjugates) {
  const IrrepSet q8 = irrepsOf(quaternionGroup());
  EXPECT_EQ(q8.irreps.back().dim, 2);
  EXPECT_EQ(q8.irreps.back().indicator, -1);
  for (int k = 0; k < 4; ++k)
    EXPECT_EQ(q8.irreps[k].indicator, 1);

  const IrrepSet a4 = irrepsOf(alternatingGroup(4));
  std::vector<int> complexOnes;
  for (std::size_t k = 0; k < a4.irreps.size(); ++k)
    if (a4.irreps[k].indicator == 0) complexOnes.push_back(static_cast<int>(k));
  ASSERT_EQ(complexOnes.size(), 2u);
  EXPECT_EQ(a4.irreps[complexOnes[0]].dim, 1);
  EXPECT_EQ(a4.irreps[complexOnes[0]].conjugate, complexOnes[1]);
  EXPECT_EQ(a4.irreps[complexOnes[1]].conjugate, complexOnes[0]);
  EXPECT_EQ(a4.irreps[0].conjugate, 0);

  for (int n : {3, 4, 5}) {
    const IrrepSet s = irrepsOf(symmetricGroup(n));
    for (std::size_t k = 0; k < s.irreps.size(); ++k) {
      EXPECT_EQ(s.irreps[k].indicator, 1) << "S" << n << " irrep " << k;
      EXPECT_EQ(s.irreps[k].conjugate, static_cast<int>(k));
    }
  }
  for (const Irrep &r : irrepsOf(dihedralTable(7)).irreps)
    EXPECT_EQ(r.indicator, 1); // dihedral irreps are real
  int complexZ6 = 0;
  for (const Irrep &r : irrepsOf(fromCycles("(1 2 3 4 5 6)")).irreps)
    complexZ6 += r.indicator == 0;
  EXPECT_EQ(complexZ6, 4); // Z6: only the characters with values +-1 are real
}

TEST(Irreps, KnownCharacterValues) {
  // A5: the two 3-dim irreps take (1 + sqrt5)/2 and (1 - sqrt5)/2 on the two classes of 5-cycles.
  const CayleyTable a5 = alternatingGroup(5);
  const IrrepSet set   = irrepsOf(a5);
  const double golden = (1 + std::sqrt(5.0)) / 2, conjugate = (1 - std::sqrt(5.0)) / 2;
  int threes = 0;
  for (std::size_t k = 0; k < set.irreps.size(); ++k) {
    if (set.irreps[k].dim != 3) continue;
    ++threes;
    std::vector<double> onFiveCycles;
    for (std::size_t c = 0; c < set.classes.size(); ++c)
      if (elementOrder(a5, set.classes[c][0]) == 5) {
        EXPECT_NEAR(set.characters[k][c].imag(), 0.0, kTol);
        onFiveCycles.push_back(set.characters[k][c].real());
      }
    ASSERT_EQ(onFiveCycles.size(), 2u);
    std::sort(onFiveCycles.begin(), onFiveCycles.end());
    EXPECT_NEAR(onFiveCycles[0], conjugate, kTol);
    EXPECT_NEAR(onFiveCycles[1], golden, kTol);
  }
  EXPECT_EQ(threes, 2);

  // S3: the 2-dim irrep has character 0 on transpositions and -1 on 3-cycles.
  const CayleyTable s3 = symmetricGroup(3);
  const IrrepSet s3set = irrepsOf(s3);
  for (std::size_t c = 0; c < s3set.classes.size(); ++c) {
    const int order       = elementOrder(s3, s3set.classes[c][0]);
    const double expected = order == 1 ? 2 : order == 2 ? 0 : -1;
    EXPECT_NEAR(std::abs(s3set.characters[2][c] - expected), 0.0, kTol);
  }
  // Q8: the 2-dim character is -2 on -1 and 0 on +-i, +-j, +-k.
  const CayleyTable q8 = quaternionGroup();
  const IrrepSet qset  = irrepsOf(q8);
  const Irrep &two     = qset.irreps.back();
  for (int g = 0; g < 8; ++g) {
    const Complex chi     = two.matrices[g * 4] + two.matrices[g * 4 + 3];
    const double expected = q8.labels[g] == "1" ? 2 : q8.labels[g] == "-1" ? -2 : 0;
    EXPECT_NEAR(std::abs(chi - expected), 0.0, kTol) << q8.labels[g];
  }
}

TEST(Irreps, CompletesAnalyticDihedralIrreps) {
  // D5 by hand: trivial, sign (s -> -1), and rho_m(r) = diag(w^m, w^-m), rho_m(s) = [[0,1],[1,0]], m = 1, 2.
  const int n         = 5;
  const CayleyTable d = dihedralTable(n);
  IrrepSet set;
  Irrep trivial, sign;
  for (int g = 0; g < 2 * n; ++g) {
    trivial.matrices.push_back(1.0);
    sign.matrices.push_back(g % 2 ? -1.0 : 1.0);
  }
  set.irreps = {trivial, sign};
  for (int m = 1; m <= 2; ++m) {
    Irrep r;
    r.dim = 2;
    for (int g = 0; g < 2 * n; ++g) {
      const Complex w = std::polar(1.0, 2 * std::acos(-1.0) * m * (g / 2) / n);
      if (g % 2 == 0)
        r.matrices.insert(r.matrices.end(), {w, 0.0, 0.0, std::conj(w)});
      else
        r.matrices.insert(r.matrices.end(), {0.0, w, std::conj(w), 0.0}); // r^j s
    }
    set.irreps.push_back(r);
  }
  completeIrrepSet(d, &set);
  const IrrepErrors e = verifyIrreps(d, set);
  EXPECT_LE(e.homomorphism, kTol);
  EXPECT_LE(e.schur, kTol);
  EXPECT_EQ(e.dimensionSumDefect, 0);
  EXPECT_EQ(e.classCountDefect, 0);
  for (const Irrep &r : set.irreps)
    EXPECT_EQ(r.indicator, 1);
  for (std::size_t k = 0; k < set.irreps.size(); ++k)
    EXPECT_EQ(set.irreps[k].conjugate, static_cast<int>(k));
  // The numerical irreps have the same characters, up to the order of the rows.
  const IrrepSet numeric = irrepsOf(d);
  for (const auto &row : set.characters) {
    bool found = false;
    for (const auto &other : numeric.characters) {
      double diff = 0;
      for (std::size_t c = 0; c < row.size(); ++c)
        diff = std::max(diff, std::abs(row[c] - other[c]));
      found = found || diff < 1e-10;
    }
    EXPECT_TRUE(found);
  }
}

TEST(Irreps, RejectsTablesThatAreNotGroups) {
  CayleyTable t = symmetricGroup(3);
  t.product[7]  = t.product[8];
  IrrepSet set;
  std::string err;
  EXPECT_FALSE(computeIrreps(t, 1, &set, &err));
  EXPECT_FALSE(err.empty());
}

TEST(Irreps, DeterministicAndSeedIndependentCharacters) {
  const CayleyTable s4 = symmetricGroup(4);
  const IrrepSet a = irrepsOf(s4, 42), b = irrepsOf(s4, 42), c = irrepsOf(s4, 1234);
  ASSERT_EQ(a.irreps.size(), b.irreps.size());
  for (std::size_t k = 0; k < a.irreps.size(); ++k) {
    EXPECT_EQ(a.irreps[k].matrices, b.irreps[k].matrices); // bitwise: every rank must agree
    EXPECT_EQ(a.irreps[k].conjugate, b.irreps[k].conjugate);
    EXPECT_EQ(a.irreps[k].indicator, b.irreps[k].indicator);
  }
  ASSERT_EQ(a.characters.size(), c.characters.size());
  for (std::size_t k = 0; k < a.characters.size(); ++k)
    for (std::size_t cl = 0; cl < a.characters[k].size(); ++cl)
      EXPECT_NEAR(std::abs(a.characters[k][cl] - c.characters[k][cl]), 0.0, 1e-10);
}

TEST(Irreps, CharacterTableText) {
  const CayleyTable s3   = symmetricGroup(3);
  const std::string text = formatCharacterTable(s3, irrepsOf(s3));
  EXPECT_NE(text.find("rho_0 (d=1)"), std::string::npos) << text;
  EXPECT_NE(text.find("rho_2 (d=2)"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3 + 3) << text;
  EXPECT_EQ(text.find('.'), std::string::npos) << text; // S3's characters are integers
  // A4: the complex 1-dim characters take the values exp(+-2 pi i / 3) = -0.5 +- 0.866i.
  const CayleyTable a4     = alternatingGroup(4);
  const std::string a4text = formatCharacterTable(a4, irrepsOf(a4));
  EXPECT_NE(a4text.find("-0.5000+0.8660i"), std::string::npos) << a4text;
  EXPECT_NE(a4text.find("-0.5000-0.8660i"), std::string::npos) << a4text;
}

TEST(Irreps, FastForS5AndA5) {
  for (const CayleyTable &t : {symmetricGroup(5), alternatingGroup(5)}) {
    const auto start     = std::chrono::steady_clock::now();
    const IrrepSet set   = irrepsOf(t);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    RecordProperty("seconds_order_" + std::to_string(t.order), std::to_string(seconds));
    EXPECT_EQ(set.classes.size(), set.irreps.size());
    EXPECT_LT(seconds, 5.0); // generous: the target is well under 1 s
  }
}
