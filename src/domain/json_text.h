// Strict parsing of untrusted JSON text and the string checks every validator needs.
// Pure functions, safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "util/result.h"

namespace autoql::domain {

// Nesting deeper than this is refused (DESIGN 6): it bounds the parser's recursion and
// the memory one request can make the server spend.
constexpr std::size_t kDefaultMaxJsonDepth = 64;

// Parses exactly one JSON value from `text` (RFC 8259: no comments, no trailing commas,
// valid UTF-8, no lone surrogate escapes, nothing after the value). On failure returns a
// description safe to show to the client, with the byte offset where parsing stopped.
Result<boost::json::value, std::string> parseJson(std::string_view text,
                                                  std::size_t max_depth = kDefaultMaxJsonDepth);

// Returns the number of Unicode code points in `utf8`. Precondition: valid UTF-8 (every
// string that came out of parseJson is).
std::size_t countCodePoints(std::string_view utf8);

// True when `text` holds a C0 control character or DEL, which no identifier or name needs.
bool hasControlCharacter(std::string_view text);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or values past
// U+10FFFF). Strings from parseJson always are; query parameters need checking.
bool isValidUtf8(std::string_view text);

// Checks a required identifier-like string: valid UTF-8, 1..max_chars code points, no
// control characters. Returns an empty string when valid, otherwise what is wrong.
std::string checkText(std::string_view text, std::size_t max_chars);

}  // namespace autoql::domain
