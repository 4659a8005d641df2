// Option value parsing: sizes and durations, including the values that must be refused.
#include "util/units.h"

#include <gtest/gtest.h>

#include "util/time_format.h"

namespace autoql {
namespace {

TEST(Units, ParsesSizes) {
  EXPECT_EQ(parseSize("0"), 0U);
  EXPECT_EQ(parseSize("1024"), 1024U);
  EXPECT_EQ(parseSize("16MiB"), 16U * 1024 * 1024);
  EXPECT_EQ(parseSize("16mib"), 16U * 1024 * 1024);
  EXPECT_EQ(parseSize("64KiB"), 64U * 1024);
  EXPECT_EQ(parseSize("2KB"), 2000U);
  EXPECT_EQ(parseSize("1GiB"), 1024ULL * 1024 * 1024);
  EXPECT_EQ(parseSize("10B"), 10U);
}

TEST(Units, RefusesBadSizes) {
  for (const char* bad : {"", "MiB", "-1", "1.5MiB", "12XB", " 1", "1 MiB", "99999999999999GiB"}) {
    EXPECT_FALSE(parseSize(bad).has_value()) << bad;
  }
}

TEST(Units, ParsesDurations) {
  using std::chrono::milliseconds;
  EXPECT_EQ(parseDuration("300s"), milliseconds(300'000));
  EXPECT_EQ(parseDuration("300"), milliseconds(300'000));
  EXPECT_EQ(parseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(parseDuration("5m"), milliseconds(300'000));
  EXPECT_EQ(parseDuration("1h"), milliseconds(3'600'000));
}

TEST(Units, RefusesBadDurations) {
  for (const char* bad : {"", "s", "-5s", "5x", "1.5s", "5 s", "99999999999999999h"}) {
    EXPECT_FALSE(parseDuration(bad).has_value()) << bad;
  }
}

TEST(TimeFormat, FormatsIsoMillisecondsInUtc) {
  EXPECT_EQ(formatIsoMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatIsoMillis(1764763200123), "2025-12-03T12:00:00.123Z");
  EXPECT_EQ(formatIsoMillis(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(TimeFormat, ParsesIsoTimestamps) {
  EXPECT_EQ(parseIsoMillis("2025-12-03T12:00:00Z"), 1764763200000);
  EXPECT_EQ(parseIsoMillis("2025-12-03T12:00:00.123Z"), 1764763200123);
  EXPECT_EQ(parseIsoMillis("2025-12-03T12:00:00.1Z"), 1764763200100);
  EXPECT_EQ(parseIsoMillis("1970-01-01T00:00:00.000Z"), 0);
  for (const char* bad :
       {"", "2025-12-03", "2025-12-03T12:00:00", "2025-02-30T00:00:00Z", "2025-12-03T24:00:00Z",
        "2025-12-03T12:00:00.Z", "2025-12-03T12:00:00.1234Z", "2025-12-03 12:00:00Z",
        "2025-12-03T12:00:00+01:00", "x025-12-03T12:00:00Z"}) {
    EXPECT_FALSE(parseIsoMillis(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace autoql
