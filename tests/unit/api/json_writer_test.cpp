// The JSON object writer of the read routes: its output must parse as the object it
// describes, and strings must be escaped exactly as Boost.JSON escapes them.
#include "api/json_writer.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

namespace autoql::api {
namespace {

namespace json = boost::json;

TEST(JsonWriter, EscapesStringsAsBoostJsonDoes) {
  const std::string samples[] = {"",
                                 "plain",
                                 "quote \" and backslash \\",
                                 std::string("nul \0 byte", 10),
                                 "tab\tnewline\ncr\r",
                                 "\x1f unit separator",
                                 "Café ☕ 売上 😀",
                                 "slash / stays"};
  for (const std::string& text : samples) {
    std::string out;
    appendJsonString(out, text);
    EXPECT_EQ(out, json::serialize(json::string_view(text))) << text;
    EXPECT_EQ(json::parse(out).as_string(), text);
  }
}

TEST(JsonWriter, WritesEveryKindOfMember) {
  std::string out = "prefix:";
  JsonObjectWriter(out)
      .string("name", "a \"b\"")
      .integer("big", -9223372036854775807LL - 1)
      .time("at", 1764763200123)
      .strings("users", {"u1", "u\n2"})
      .strings("none", {})
      .null("state")
      .raw("data", R"([{"x":1.5}])")
      .close();
  ASSERT_EQ(out.rfind("prefix:", 0), 0U);

  const json::object parsed = json::parse(out.substr(7)).as_object();
  EXPECT_EQ(parsed.at("name").as_string(), "a \"b\"");
  EXPECT_EQ(parsed.at("big").as_int64(), -9223372036854775807LL - 1);
  EXPECT_EQ(parsed.at("at").as_string(), "2025-12-03T12:00:00.123Z");
  EXPECT_EQ(json::serialize(parsed.at("users")), R"(["u1","u\n2"])");
  EXPECT_TRUE(parsed.at("none").as_array().empty());
  EXPECT_TRUE(parsed.at("state").is_null());
  EXPECT_EQ(parsed.at("data").as_array().at(0).at("x").as_double(), 1.5);
  EXPECT_EQ(parsed.size(), 7U);
}

TEST(JsonWriter, AnEmptyObjectIsBraces) {
  std::string out;
  JsonObjectWriter(out).close();
  EXPECT_EQ(out, "{}");
}

}  // namespace
}  // namespace autoql::api
