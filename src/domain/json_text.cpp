#include "domain/json_text.h"

#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>
#include <cmath>
#include <cstdint>

namespace autoql::domain {
namespace {

// Boost.JSON reads a number too large for a double (1e400) as infinity, which has no JSON
// spelling: it would be written back as invalid JSON. Such input is refused.
bool hasNonFiniteNumber(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::double_:
      return !std::isfinite(value.get_double());
    case boost::json::kind::array:
      for (const auto& item : value.get_array()) {
        if (hasNonFiniteNumber(item)) {
          return true;
        }
      }
      return false;
    case boost::json::kind::object:
      for (const auto& member : value.get_object()) {
        if (hasNonFiniteNumber(member.value())) {
          return true;
        }
      }
      return false;
    default:
      return false;
  }
}

}  // namespace

Result<boost::json::value, std::string> parseJson(std::string_view text, std::size_t max_depth) {
  boost::json::parse_options options;
  options.max_depth = max_depth;
  boost::json::stream_parser parser({}, options);

  boost::system::error_code ec;
  const std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) {
    parser.finish(ec);
  }
  if (ec) {
    if (ec == boost::json::error::too_deep) {
      return "nesting is deeper than " + std::to_string(max_depth) + " levels";
    }
    return ec.message() + " at byte " + std::to_string(consumed);
  }
  boost::json::value value = parser.release();
  if (hasNonFiniteNumber(value)) {
    return std::string("a number is too large to represent");
  }
  return value;
}

std::size_t countCodePoints(std::string_view utf8) {
  std::size_t count = 0;
  for (char c : utf8) {
    // Continuation bytes look like 10xxxxxx; every other byte starts a code point.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++count;
    }
  }
  return count;
}

bool hasControlCharacter(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      return true;
    }
  }
  return false;
}

bool isValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) {
      return false;
    }
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) {
        return false;
      }
      code = (code << 6) | (next & 0x3F);
    }
    // The smallest code point each length may encode; anything below is an overlong form.
    static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

std::string checkText(std::string_view text, std::size_t max_chars) {
  if (text.empty()) {
    return "must not be empty";
  }
  if (!isValidUtf8(text)) {
    return "must be valid UTF-8";
  }
  if (countCodePoints(text) > max_chars) {
    return "must be at most " + std::to_string(max_chars) + " characters";
  }
  if (hasControlCharacter(text)) {
    return "must not contain control characters";
  }
  return {};
}

}  // namespace autoql::domain
