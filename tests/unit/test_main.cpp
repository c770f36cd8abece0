// gtest main running inside an eqrnn Session (MPI + PETSc + FFTW-MPI), so tests can be run under mpirun.
// Every rank runs every test (they are collective); rank 0 prints the usual report, the other ranks print
// their own failed assertions (prefixed by the rank), and after each test the ranks agree on whether it
// failed anywhere, so a failure seen by one rank only is reported too and the exit status is non-zero.
#include "core/session.hpp"
#include <gtest/gtest.h>
#include <cstdio>

namespace {
class RankReport : public ::testing::EmptyTestEventListener {
public:
  explicit RankReport(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult &r) override {
    if (rank_ == 0 || !r.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_, r.file_name() ? r.file_name() : "?",
                 r.line_number(), r.message());
    std::fflush(stderr);
  }
  void OnTestEnd(const ::testing::TestInfo &info) override {
    const int mine = info.result()->Failed() ? 1 : 0;
    int anywhere = 0, lowest = mine ? rank_ : 1 << 30;
    MPI_Allreduce(&mine, &anywhere, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rank_ == 0 && anywhere && !mine) {
      std::fprintf(stderr, "[  FAILED  ] %s.%s failed on rank %d (not on rank 0)\n", info.test_suite_name(),
                   info.name(), lowest);
      std::fflush(stderr);
    }
    failed_ = failed_ || anywhere;
  }
  bool failed() const { return failed_; }

private:
  int rank_;
  bool failed_ = false;
};
} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  eqrnn::Session session(&argc, &argv, nullptr);
  if (!session.ok()) return 1;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  auto &listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (rank != 0) delete listeners.Release(listeners.default_result_printer());
  auto *report = new RankReport(rank); // owned by gtest's listener list
  listeners.Append(report);
  int failed = RUN_ALL_TESTS() != 0 || report->failed();
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return failed;
}
