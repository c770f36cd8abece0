// Axial lines of the equivariant branching lemma and their conjugacy classes, on the dihedral group D_n
// acting on the plane (the action of a ring lattice Z_n with reflections on its first Fourier mode). Known
// answer: the axial lines are the n reflection axes at angles pi k / n; for even n they fall into two classes
// (axes through lattice sites and through bonds: site- and bond-centred bumps), for odd n into one.
#include "analysis/symmetry.hpp"
#include <gtest/gtest.h>
#include <cmath>
#include <set>

namespace {

std::vector<std::vector<double>> dihedral(int n) {
  std::vector<std::vector<double>> rho;
  for (int k = 0; k < n; ++k) {
    const double a = 2 * M_PI * k / n, t = 2 * M_PI * k / n; // rotation by a; reflection across angle t/2
    rho.push_back({std::cos(a), -std::sin(a), std::sin(a), std::cos(a)});
    rho.push_back({std::cos(t), std::sin(t), std::sin(t), -std::cos(t)});
  }
  return rho;
}

// The line's angle in units of pi/n, in [0, n).
double axisIndex(const std::vector<double> &line, int n) {
  double angle = std::atan2(line[1], line[0]);
  if (angle < 0) angle += M_PI;
  if (angle >= M_PI - 1e-9) angle -= M_PI;
  return angle * n / M_PI;
}

} // namespace

TEST(AxialLines, DihedralReflectionAxesAndTheirClasses) {
  for (int n : {3, 4, 5, 6, 8, 12}) {
    const auto rho   = dihedral(n);
    const auto lines = eqrnn::axialLines(rho, 2);
    ASSERT_EQ(static_cast<int>(lines.size()), n) << "D" << n;
    std::set<long> axes;
    for (const auto &l : lines) {
      EXPECT_NEAR(std::hypot(l[0], l[1]), 1.0, 1e-12);
      const double k = axisIndex(l, n);
      EXPECT_NEAR(k, std::round(k), 1e-9) << "D" << n << ": a line off the reflection axes";
      axes.insert(std::lround(k) % n);
    }
    EXPECT_EQ(static_cast<int>(axes.size()), n) << "D" << n << ": an axis twice";
    const auto cls = eqrnn::lineClasses(rho, lines, 2);
    ASSERT_EQ(cls.size(), lines.size());
    std::set<int> distinct(cls.begin(), cls.end());
    EXPECT_EQ(static_cast<int>(distinct.size()), n % 2 == 0 ? 2 : 1) << "D" << n;
    EXPECT_EQ(cls[0], 0);
    for (std::size_t i = 0; i < lines.size(); ++i)
      for (std::size_t j = 0; j < lines.size(); ++j) {
        const long ki = std::lround(axisIndex(lines[i], n)), kj = std::lround(axisIndex(lines[j], n));
        const bool sameParity = n % 2 == 1 || (ki - kj) % 2 == 0;
        EXPECT_EQ(cls[i] == cls[j], sameParity) << "D" << n << " axes " << ki << ", " << kj;
      }
  }
}

TEST(AxialLines, RotationsAloneHaveNoAxialLine) {
  // Z_n by rotations fixes no line of the plane: no branch of the branching lemma.
  for (int n : {3, 4, 7}) {
    std::vector<std::vector<double>> rho;
    for (int k = 0; k < n; ++k) {
      const double a = 2 * M_PI * k / n;
      rho.push_back({std::cos(a), -std::sin(a), std::sin(a), std::cos(a)});
    }
    EXPECT_TRUE(eqrnn::axialLines(rho, 2).empty()) << "Z" << n;
  }
}

TEST(AxialLines, ClassesOnlyFromTheGivenElements) {
  // D4 with only the reflections across the x axis and the diagonal: they generate D4, so the axes x, y and
  // the two diagonals still fall into two classes; the reflection across x alone fixes both axes and swaps
  // the diagonals: three classes.
  const auto all   = dihedral(4);
  const auto lines = eqrnn::axialLines(all, 2);
  ASSERT_EQ(lines.size(), 4u);
  const std::vector<std::vector<double>> generators{all[1], all[3]}; // reflections at angles 0 and pi/4
  const auto two = eqrnn::lineClasses(generators, lines, 2);
  EXPECT_EQ(std::set<int>(two.begin(), two.end()).size(), 2u);
  const auto one = eqrnn::lineClasses({all[1]}, lines, 2);
  EXPECT_EQ(std::set<int>(one.begin(), one.end()).size(), 3u);
}
