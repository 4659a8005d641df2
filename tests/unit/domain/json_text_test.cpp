// Strict JSON parsing of untrusted bodies: what must be refused, with a client-safe reason,
// and what must come back as the same value.
#include "domain/json_text.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace autoql::domain {
namespace {

std::string nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(JsonText, RefusesMalformedInput) {
  const char* cases[] = {
      "",                     // nothing
      "{",                    // truncated
      "{\"a\":1,}",           // trailing comma
      "{\"a\":1} x",          // trailing garbage
      "{'a':1}",              // single quotes
      "// c\n{}",             // comment
      "{\"a\":\"\xff\"}",     // invalid UTF-8
      "{\"a\":\"\xc3\"}",     // truncated UTF-8 sequence
      "{\"a\":\"\\ud800\"}",  // lone high surrogate
      "{\"a\":\"\\udc00\"}",  // lone low surrogate
      "{\"a\":NaN}",          // not JSON
      "{\"a\":[1e400]}",      // overflows a double: would be written back as Infinity
  };
  for (const char* text : cases) {
    auto parsed = parseJson(text);
    EXPECT_FALSE(parsed.ok()) << "accepted: " << text;
  }
}

TEST(JsonText, DescribesWhereParsingStopped) {
  auto parsed = parseJson("{\"a\":1,}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().find("at byte"), std::string::npos) << parsed.error();
}

TEST(JsonText, EnforcesTheDepthLimit) {
  EXPECT_TRUE(parseJson(nested(64)).ok());
  auto too_deep = parseJson(nested(65));
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.error(), "nesting is deeper than 64 levels");
  EXPECT_FALSE(parseJson(nested(100000)).ok());  // no stack overflow either
}

TEST(JsonText, KeepsValuesExact) {
  const std::string text =
      R"({"y":1.7976931348623157e308,"n":null,"big":9007199254740993,"u":18446744073709551615,)"
      R"("s":"Café ☕ 売上 😀","e":"\u00e9"})";
  auto parsed = parseJson(text);
  ASSERT_TRUE(parsed.ok());
  const auto& object = parsed->as_object();
  EXPECT_EQ(object.at("y").as_double(), 1.7976931348623157e308);
  EXPECT_TRUE(object.at("n").is_null());
  EXPECT_EQ(object.at("big").as_int64(), 9007199254740993);
  EXPECT_EQ(object.at("u").as_uint64(), 18446744073709551615ULL);
  EXPECT_EQ(object.at("s").as_string(), "Café ☕ 売上 😀");
  EXPECT_EQ(object.at("e").as_string(), "é");

  // Serializing and parsing again gives the same value.
  auto again = parseJson(boost::json::serialize(*parsed));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *parsed);
}

TEST(JsonText, RoundsDoublesToTheNearestValue) {
  // Each literal is the shortest text of a double; it must come back as that double.
  // (Boost.JSON 1.81's own parser is one unit off on the first two.)
  const std::pair<const char*, double> cases[] = {
      {"0.42451918914251396", 0.42451918914251396},
      {"0.9762551055929201", 0.9762551055929201},
      {"1.7976931348623157e308", 1.7976931348623157e308},
      {"1.7976931348623158e308", 1.7976931348623157e308},  // rounds down to the largest
      {"5e-324", 5e-324},
      {"1e-400", 0.0},
      {"-0.0", -0.0},
      {"68584.1", 68584.1},
      {"123456789012345678901234567890", 1.2345678901234568e29},
  };
  for (const auto& [text, expected] : cases) {
    auto parsed = parseJson(std::string("[") + text + "]");
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error();
    EXPECT_EQ(parsed->as_array()[0].as_double(), expected) << text;
  }
  auto too_large = parseJson("[1e400]");
  ASSERT_FALSE(too_large.ok());
  EXPECT_NE(too_large.error().find("too large"), std::string::npos) << too_large.error();
}

TEST(JsonText, CountsCodePointsNotBytes) {
  EXPECT_EQ(countCodePoints("abc"), 3U);
  EXPECT_EQ(countCodePoints("Café ☕ 😀"), 8U);
}

TEST(JsonText, ValidatesUtf8) {
  EXPECT_TRUE(isValidUtf8("Café ☕ 売上 😀"));
  EXPECT_TRUE(isValidUtf8(""));
  for (const char* bad : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                          "a\x80"
                          "b"}) {
    EXPECT_FALSE(isValidUtf8(bad)) << bad;
  }
}

TEST(JsonText, ChecksText) {
  EXPECT_EQ(checkText("\xff", 5), "must be valid UTF-8");
  EXPECT_EQ(checkText("ok", 5), "");
  EXPECT_EQ(checkText("", 5), "must not be empty");
  EXPECT_EQ(checkText("toolong", 5), "must be at most 5 characters");
  EXPECT_EQ(checkText("ééééé", 5), "");
  EXPECT_EQ(checkText("a\nb", 5), "must not contain control characters");
}

}  // namespace
}  // namespace autoql::domain
