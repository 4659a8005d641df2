// The memory of written JSON behind the busiest reads: a row is served from it only for
// the version it was written for, a newer version replaces it, and it stays within its
// bound, dropping the rows no read has used first.
#include "api/rendered_json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace autoql::api {
namespace {

std::string appended(const RenderedJson& rendered, RenderedJson::Key key) {
  std::string out = "[";
  if (!rendered.appendTo(out, key)) {
    EXPECT_EQ(out, "[");  // left as it was
    return "(not held)";
  }
  return out.substr(1);
}

TEST(RenderedJson, ServesARowOnlyForTheVersionItWasWrittenFor) {
  RenderedJson rendered(1024 * 1024);
  EXPECT_EQ(appended(rendered, {7, 1}), "(not held)");

  rendered.hold({7, 1}, R"({"id":7,"version":1})");
  EXPECT_EQ(appended(rendered, {7, 1}), R"({"id":7,"version":1})");
  EXPECT_EQ(appended(rendered, {7, 2}), "(not held)");
  EXPECT_EQ(appended(rendered, {8, 1}), "(not held)");
}

TEST(RenderedJson, ANewerVersionReplacesTheOlderAndNotTheOtherWayRound) {
  RenderedJson rendered(1024 * 1024);
  rendered.hold({7, 1}, "v1");
  rendered.hold({7, 2}, "v2");
  EXPECT_EQ(appended(rendered, {7, 1}), "(not held)");
  EXPECT_EQ(appended(rendered, {7, 2}), "v2");

  // A read that began before the update may finish after a read of the new version.
  rendered.hold({7, 1}, "v1");
  EXPECT_EQ(appended(rendered, {7, 2}), "v2");
  EXPECT_EQ(appended(rendered, {7, 1}), "(not held)");
  EXPECT_EQ(rendered.size(), 1U);
}

TEST(RenderedJson, StaysWithinItsBound) {
  const std::size_t bound = 64 * 1024;
  RenderedJson rendered(bound);
  const std::string row(1000, 'x');
  std::size_t most = 0;
  for (std::int64_t id = 1; id <= 1000; ++id) {
    rendered.hold({id, 1}, row);
    ASSERT_LE(rendered.bytes(), bound) << "after row " << id;
    ASSERT_EQ(appended(rendered, {id, 1}), row);  // the row just held is there
    most = std::max(most, rendered.size());
  }
  EXPECT_GT(most, 40U);  // it used its room, about 60 rows of this size

  // A row larger than the whole bound is never held.
  rendered.hold({5000, 1}, std::string(bound + 1, 'y'));
  EXPECT_EQ(appended(rendered, {5000, 1}), "(not held)");
  EXPECT_LE(rendered.bytes(), bound);
}

TEST(RenderedJson, ALargeRowDoesNotPushOutTheSmallOnes) {
  const std::size_t bound = 64 * 1024;
  RenderedJson rendered(bound);
  const std::string row(1000, 'x');
  for (std::int64_t id = 1; id <= 10; ++id) {
    rendered.hold({id, 1}, row);
  }

  // Each of these would take more than a third of the room.
  rendered.hold({100, 1}, std::string(bound / 3, 'y'));
  rendered.hold({101, 1}, std::string(bound / 3, 'y'));
  rendered.hold({102, 1}, std::string(bound / 3, 'y'));
  EXPECT_EQ(appended(rendered, {100, 1}), "(not held)");
  for (std::int64_t id = 1; id <= 10; ++id) {
    EXPECT_EQ(appended(rendered, {id, 1}), row) << "row " << id;
  }

  // A row that grows too large to hold gives up the room of its older version.
  rendered.hold({1, 2}, std::string(bound / 3, 'y'));
  EXPECT_EQ(appended(rendered, {1, 1}), "(not held)");
  EXPECT_EQ(appended(rendered, {1, 2}), "(not held)");
  EXPECT_EQ(rendered.size(), 9U);
}

TEST(RenderedJson, RowsInUseOutliveRowsNoPageUses) {
  // Room for about 60 rows of 1000 bytes; the first 10 are read again and again.
  RenderedJson rendered(64 * 1024);
  const std::string row(1000, 'x');
  for (std::int64_t id = 1; id <= 10; ++id) {
    rendered.hold({id, 1}, row);
  }
  for (std::int64_t id = 11; id <= 2000; ++id) {
    for (std::int64_t hot = 1; hot <= 10; ++hot) {
      std::string out;
      ASSERT_TRUE(rendered.appendTo(out, {hot, 1})) << "hot row " << hot << " gone at " << id;
    }
    rendered.hold({id, 1}, row);
  }
}

TEST(RenderedJson, ReadersAndWritersOnManyThreads) {
  RenderedJson rendered(256 * 1024);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&rendered, t] {
      for (std::int64_t i = 0; i < 20000; ++i) {
        const std::int64_t id = i % 500;
        const std::int64_t version = 1 + (i / 500) % 3;
        const std::string json = std::to_string(id) + "@" + std::to_string(version);
        if (t % 2 == 0) {
          rendered.hold({id, version}, json + std::string(200, ' '));
        } else {
          std::string out;
          if (rendered.appendTo(out, {id, version})) {
            ASSERT_EQ(out.substr(0, json.size()), json);
          }
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_LE(rendered.bytes(), 256U * 1024);
}

}  // namespace
}  // namespace autoql::api
