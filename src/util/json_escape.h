// Writes text as the inside of a JSON string, for log lines that must stay one valid JSON
// object whatever a message or a request holds. Pure functions; any thread.
#pragma once

#include <spdlog/fmt/fmt.h>

#include <string_view>

namespace autoql {

// Appends `text` to `out` escaped for the inside of a JSON string (no quotes around it):
// '"' and '\\' get a backslash, control characters become \n, \t or \u00XX, and every byte
// that does not start a well-formed UTF-8 sequence becomes \ufffd, so strict parsers
// accept the result. Runs of plain characters are copied at once. Returns the end of what
// it wrote.
fmt::appender appendJsonEscaped(fmt::appender out, std::string_view text);

// A string to be formatted as a quoted, escaped JSON string: fmt::format("{}",
// JsonString{"a\"b"}) gives "a\"b" with its quotes. Holds a view; use it within the call.
struct JsonString {
  std::string_view text;
};

}  // namespace autoql

template <>
struct fmt::formatter<autoql::JsonString> {
  constexpr auto parse(fmt::format_parse_context& context) { return context.begin(); }

  auto format(const autoql::JsonString& value, fmt::format_context& context) const {
    auto out = context.out();
    *out++ = '"';
    out = autoql::appendJsonEscaped(out, value.text);
    *out++ = '"';
    return out;
  }
};
