// Feed cursors: opaque, round-tripping, and refused when not made by the server.
#include "api/notifications_api.h"

#include <gtest/gtest.h>

namespace autoql::api {
namespace {

TEST(FeedCursor, RoundTrips) {
  for (std::int64_t seq : {1LL, 9LL, 10LL, 12345LL, 9223372036854775807LL}) {
    const std::string cursor = encodeCursor(seq);
    EXPECT_EQ(cursor.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << cursor;
    EXPECT_EQ(decodeCursor(cursor), seq) << cursor;
  }
}

TEST(FeedCursor, RefusesForeignCursors) {
  for (const char* bad : {"", "12", "abc", "Yz", "!!!!", "YzA", "Yy0x"}) {
    EXPECT_FALSE(decodeCursor(bad).has_value()) << bad;
  }
  std::string changed = encodeCursor(42);
  changed.back() = changed.back() == 'A' ? 'B' : 'A';
  EXPECT_NE(decodeCursor(changed), 42);
}

}  // namespace
}  // namespace autoql::api
