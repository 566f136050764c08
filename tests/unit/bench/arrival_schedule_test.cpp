// arrival_times_s: vLLM's arrival process (all at once, gamma gaps scaled to num/rate, constant gaps).
#include "bench/arrival_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fovea::bench {
namespace {

TEST(ArrivalSchedule, InfiniteRateSendsEverythingAtOnce) {
  for (double time : arrival_times_s(5, INFINITY, 1.0, 0)) EXPECT_EQ(time, 0.0);
}

TEST(ArrivalSchedule, FiniteRateEndsAtNumOverRateAndNeverGoesBack) {
  for (double burstiness : {0.2, 1.0, 4.0}) {
    const std::vector<double> times = arrival_times_s(200, 8.0, burstiness, 7);
    ASSERT_EQ(times.size(), 200u);
    EXPECT_NEAR(times.back(), 200.0 / 8.0, 1e-9);
    for (size_t idx = 1; idx < times.size(); ++idx) EXPECT_GE(times[idx], times[idx - 1]);
    EXPECT_EQ(times, arrival_times_s(200, 8.0, burstiness, 7));  // seeded
  }
}

TEST(ArrivalSchedule, LowerBurstinessGivesMoreVariedGaps) {
  auto gap_cv = [](double burstiness) {
    const std::vector<double> times = arrival_times_s(4000, 10.0, burstiness, 3);
    double sum = 0.0, sum_sq = 0.0;
    for (size_t idx = 1; idx < times.size(); ++idx) {
      const double gap = times[idx] - times[idx - 1];
      sum += gap;
      sum_sq += gap * gap;
    }
    const double n = static_cast<double>(times.size() - 1);
    const double mean = sum / n;
    return std::sqrt(sum_sq / n - mean * mean) / mean;
  };
  // A gamma gap of shape k has coefficient of variation 1/sqrt(k): Poisson 1, k=4 one half, k=0.25 two.
  EXPECT_NEAR(gap_cv(1.0), 1.0, 0.1);
  EXPECT_NEAR(gap_cv(4.0), 0.5, 0.05);
  EXPECT_NEAR(gap_cv(0.25), 2.0, 0.3);
  const std::vector<double> steady = arrival_times_s(4, 2.0, INFINITY, 0);
  EXPECT_NEAR(steady[0], 0.5, 1e-12);
  EXPECT_NEAR(steady[3], 2.0, 1e-12);
}

}  // namespace
}  // namespace fovea::bench
