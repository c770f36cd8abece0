// Groups: spec parsing, index order, and the group axioms for products of cyclic groups (serial, no MPI
// needed).
#include "groups/group.hpp"
#include <gtest/gtest.h>

using eqrnn::Group;

TEST(Groups, ParsesProductsAndOrders) {
  Group g;
  std::string err;
  ASSERT_TRUE(Group::parse("Z256", &g, &err)) << err;
  EXPECT_EQ(g.order(), 256);
  EXPECT_EQ(g.spec(), "Z256");
  ASSERT_TRUE(Group::parse("Z64xZ48", &g, &err)) << err;
  EXPECT_EQ(g.order(), 64 * 48);
  EXPECT_EQ(g.numFactors(), 2u);
  ASSERT_TRUE(Group::parse("Z16xZ16xZ16", &g, &err)) << err;
  EXPECT_EQ(g.order(), 4096);
  ASSERT_TRUE(Group::parse("Z1", &g, &err)) << err;
  EXPECT_EQ(g.order(), 1);
  ASSERT_TRUE(Group::parse("Z7xZ1xZ13", &g, &err)) << err;
  EXPECT_EQ(g.order(), 91);
  EXPECT_TRUE(g.isAbelian());
}

TEST(Groups, RejectsBadSpecsWithAReason) {
  Group g;
  for (const char *bad :
       {"Z0", "Zx", "Y5", "", "Z", "Z-3", "Z3x", "xZ3", "z5", "Z5.5", "Z5xY2", "Z 5", "Z99999999999"}) {
    std::string err;
    EXPECT_FALSE(Group::parse(bad, &g, &err)) << bad;
    EXPECT_FALSE(err.empty()) << bad;
  }
  std::string err;
  Group::parse("Z0", &g, &err);
  EXPECT_NE(err.find("Z0"), std::string::npos) << err;
  Group::parse("Y5", &g, &err);
  EXPECT_NE(err.find("Y5"), std::string::npos) << err;
}

TEST(Groups, LexicographicIndexLastFactorFastest) {
  Group g;
  std::string err;
  ASSERT_TRUE(Group::parse("Z3xZ4xZ5", &g, &err));
  EXPECT_EQ(g.index({0, 0, 1}), 1);
  EXPECT_EQ(g.index({0, 1, 0}), 5);
  EXPECT_EQ(g.index({1, 0, 0}), 20);
  for (PetscInt i = 0; i < g.order(); ++i)
    EXPECT_EQ(g.index(g.coordinates(i)), i);
  const auto c = g.coordinates(2 * 20 + 3 * 5 + 4);
  EXPECT_EQ(c, (std::vector<PetscInt>{2, 3, 4}));
}

TEST(Groups, AxiomsHoldOnProducts) {
  for (const char *spec : {"Z7", "Z12", "Z5xZ8", "Z3xZ1xZ4", "Z2xZ2xZ3"}) {
    Group g;
    std::string err;
    ASSERT_TRUE(Group::parse(spec, &g, &err)) << spec;
    const PetscInt n = g.order();
    for (PetscInt a = 0; a < n; ++a) {
      EXPECT_EQ(g.multiply(a, g.identity()), a);
      EXPECT_EQ(g.multiply(g.identity(), a), a);
      EXPECT_EQ(g.multiply(a, g.inverse(a)), g.identity());
      for (PetscInt b = 0; b < n; ++b) {
        EXPECT_EQ(g.multiply(a, b), g.multiply(b, a)); // abelian
        for (PetscInt c = 0; c < n; c += 3)
          EXPECT_EQ(g.multiply(g.multiply(a, b), c), g.multiply(a, g.multiply(b, c)));
      }
    }
    // Coordinates add modulo each factor's order.
    const PetscInt a = n - 1, b = n / 2;
    const auto ca = g.coordinates(a), cb = g.coordinates(b), cab = g.coordinates(g.multiply(a, b));
    const auto orders = g.factorOrders();
    for (std::size_t i = 0; i < orders.size(); ++i)
      EXPECT_EQ(cab[i], (ca[i] + cb[i]) % orders[i]);
  }
}

TEST(Groups, GeneratorsGenerateTheGroup) {
  Group g;
  std::string err;
  ASSERT_TRUE(Group::parse("Z4xZ1xZ6", &g, &err));
  std::vector<bool> seen(static_cast<std::size_t>(g.order()), false);
  std::vector<PetscInt> frontier{g.identity()};
  seen[0] = true;
  while (!frontier.empty()) {
    const PetscInt x = frontier.back();
    frontier.pop_back();
    for (PetscInt s : g.generators()) {
      const PetscInt y = g.multiply(s, x);
      if (!seen[y]) {
        seen[y] = true;
        frontier.push_back(y);
      }
    }
  }
  for (bool s : seen)
    EXPECT_TRUE(s);
  EXPECT_EQ(g.generators().size(), 2u); // the Z1 factor contributes no generator
}

// The cursor counts what axisCoordinates divides out: every element of products with finite parts (D_n,
// S_3: |Q| > 1), size-1 axes and three axes, from every starting element.
TEST(Groups, AxisCursorCountsTheCoordinatesOfConsecutiveElements) {
  for (const char *spec : {"Z7", "Z5xZ1xZ3", "D6xZ4", "S3xZ5xZ2", "Z3xZ4xZ2"}) {
    Group g;
    std::string err;
    ASSERT_TRUE(Group::parse(spec, &g, &err)) << err;
    for (PetscInt start = 0; start < g.order(); start += 5) {
      eqrnn::AxisCursor cursor(g, start);
      for (PetscInt e = start; e < g.order(); ++e, cursor.next()) {
        const std::vector<PetscInt> expected = g.axisCoordinates(e);
        for (std::size_t i = 0; i < expected.size(); ++i)
          ASSERT_EQ(cursor.coordinates()[i], expected[i]) << spec << " element " << e << " axis " << i;
      }
    }
  }
}
