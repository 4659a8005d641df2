// The bound on request bodies held at once: room is taken whole or not at all, given back,
// and never exceeded by threads taking at the same time.
#include "http/body_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace autoql::http {
namespace {

TEST(BodyBudget, TakesUpToItsLimitAndNoMore) {
  BodyBudget budget(100);
  EXPECT_TRUE(budget.take(60));
  EXPECT_FALSE(budget.take(41));
  EXPECT_EQ(budget.held(), 60U);  // a refusal takes nothing
  EXPECT_TRUE(budget.take(40));
  EXPECT_FALSE(budget.take(1));

  budget.give(60);
  EXPECT_EQ(budget.held(), 40U);
  EXPECT_TRUE(budget.take(60));
  EXPECT_EQ(budget.held(), 100U);
}

TEST(BodyBudget, AnEmptyBodyAlwaysFits) {
  BodyBudget budget(10);
  EXPECT_TRUE(budget.take(10));
  EXPECT_TRUE(budget.take(0));
  EXPECT_FALSE(budget.take(1));
}

TEST(BodyBudget, ThreadsTakingAtOnceNeverPassTheLimit) {
  constexpr std::uint64_t kLimit = 1000;
  BodyBudget budget(kLimit);
  std::atomic<std::uint64_t> most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&budget, &most] {
      for (int i = 0; i < 20000; ++i) {
        const std::uint64_t bytes = 1 + static_cast<std::uint64_t>(i % 7) * 50;
        if (budget.take(bytes)) {
          std::uint64_t seen = most.load();
          const std::uint64_t now = budget.held();
          while (now > seen && !most.compare_exchange_weak(seen, now)) {
          }
          budget.give(bytes);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_LE(most.load(), kLimit);
  EXPECT_EQ(budget.held(), 0U);
}

}  // namespace
}  // namespace autoql::http
