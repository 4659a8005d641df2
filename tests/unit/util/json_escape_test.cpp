#include "util/json_escape.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>

namespace autoql {
namespace {

std::string escaped(std::string_view text) {
  fmt::memory_buffer buffer;
  appendJsonEscaped(fmt::appender(buffer), text);
  return fmt::to_string(buffer);
}

struct EscapeCase {
  std::string input;
  std::string expected;
};

TEST(JsonEscape, EscapesWhatJsonRequiresAndKeepsTheRest) {
  const EscapeCase cases[] = {
      {"", ""},
      {"plain text /path?x=1", "plain text /path?x=1"},
      {"a\"b", "a\\\"b"},
      {"back\\slash", "back\\\\slash"},
      {"line\nbreak\r\ttab", "line\\nbreak\\r\\ttab"},
      {std::string("nul\0x", 5), "nul\\u0000x"},
      {"\x01\x1f\x7f", "\\u0001\\u001f\x7f"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
  };
  for (const EscapeCase& c : cases) {
    EXPECT_EQ(escaped(c.input), c.expected) << "input: " << c.input;
  }
}

TEST(JsonEscape, ReplacesEachByteOfMalformedUtf8) {
  const EscapeCase cases[] = {
      {"\xff", "\\ufffd"},                                   // never a UTF-8 byte
      {"a\x80z", "a\\ufffdz"},                               // a lone continuation byte
      {"\xc3", "\\ufffd"},                                   // cut short at the end
      {"\xc3(", "\\ufffd("},                                 // cut short by an ASCII byte
      {"\xc0\xaf", "\\ufffd\\ufffd"},                        // overlong '/'
      {"\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd"},             // overlong, three bytes
      {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"},             // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"},  // past U+10FFFF
  };
  for (const EscapeCase& c : cases) {
    EXPECT_EQ(escaped(c.input), c.expected) << "input bytes: " << c.input.size();
  }
}

TEST(JsonEscape, EveryByteValueGivesAStringThatParsesBack) {
  std::string all;
  for (int byte = 0; byte < 256; ++byte) {
    all.push_back(static_cast<char>(byte));
  }
  const std::string quoted = "\"" + escaped(all) + "\"";

  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(quoted, ec);
  ASSERT_FALSE(ec) << ec.message();
  // The first 128 bytes are ASCII and come back as they were.
  EXPECT_EQ(parsed.as_string().subview(0, 128), std::string_view(all).substr(0, 128));
}

TEST(JsonEscape, JsonStringFormatsWithQuotes) {
  EXPECT_EQ(fmt::format("{}", JsonString{"say \"hi\""}), R"("say \"hi\"")");
  EXPECT_EQ(fmt::format("[{},{}]", JsonString{""}, JsonString{"x"}), R"(["","x"])");
}

}  // namespace
}  // namespace autoql
