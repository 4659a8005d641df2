#include "util/json_escape.h"

#include <algorithm>
#include <cstddef>

namespace autoql {
namespace {

unsigned byteAt(std::string_view text, std::size_t i) {
  return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;
}

bool inRange(unsigned byte, unsigned low, unsigned high) {
  return byte >= low && byte <= high;
}

// The length of the well-formed UTF-8 sequence that `text` starts with, or 0 when it does
// not start with one. The ranges are those of the Unicode standard's table of well-formed
// byte sequences: the second byte's range depends on the lead, which excludes overlong
// forms, surrogates and code points past U+10FFFF.
std::size_t utf8SequenceLength(std::string_view text) {
  const unsigned lead = byteAt(text, 0);
  if (inRange(lead, 0xC2, 0xDF)) {
    return inRange(byteAt(text, 1), 0x80, 0xBF) ? 2 : 0;
  }
  if (inRange(lead, 0xE0, 0xEF)) {
    const unsigned low = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned high = lead == 0xED ? 0x9F : 0xBF;
    const bool tail = inRange(byteAt(text, 1), low, high) && inRange(byteAt(text, 2), 0x80, 0xBF);
    return tail ? 3 : 0;
  }
  if (inRange(lead, 0xF0, 0xF4)) {
    const unsigned low = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned high = lead == 0xF4 ? 0x8F : 0xBF;
    const bool tail = inRange(byteAt(text, 1), low, high) && inRange(byteAt(text, 2), 0x80, 0xBF) &&
                      inRange(byteAt(text, 3), 0x80, 0xBF);
    return tail ? 4 : 0;
  }
  return 0;
}

bool isPlain(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
}

// Writes the escape for the special ASCII character `c` (a quote, backslash or control).
fmt::appender appendEscapedAscii(fmt::appender out, char c) {
  switch (c) {
    case '"':
      return fmt::format_to(out, "\\\"");
    case '\\':
      return fmt::format_to(out, "\\\\");
    case '\n':
      return fmt::format_to(out, "\\n");
    case '\r':
      return fmt::format_to(out, "\\r");
    case '\t':
      return fmt::format_to(out, "\\t");
    default:
      return fmt::format_to(out, "\\u{:04x}", static_cast<unsigned>(c));
  }
}

}  // namespace

fmt::appender appendJsonEscaped(fmt::appender out, std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    // The common case: a run of printable ASCII, copied in one go.
    const auto run_end = std::find_if_not(text.begin() + i, text.end(), isPlain);
    const auto run = static_cast<std::size_t>(run_end - text.begin()) - i;
    out = std::copy_n(text.data() + i, run, out);
    i += run;
    if (i == text.size()) {
      break;
    }

    if (static_cast<unsigned char>(text[i]) < 0x80) {
      out = appendEscapedAscii(out, text[i]);
      ++i;
      continue;
    }
    const std::size_t length = utf8SequenceLength(text.substr(i));
    if (length == 0) {
      out = fmt::format_to(out, "\\ufffd");
      ++i;
      continue;
    }
    out = std::copy_n(text.data() + i, length, out);
    i += length;
  }
  return out;
}

}  // namespace autoql
