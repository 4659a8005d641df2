#include "domain/json_text.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value_stack.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace autoql::domain {
namespace {

namespace json = boost::json;

// Builds a json::value like Boost.JSON's own parser, except for doubles: Boost.JSON 1.81
// does not always round decimal text to the nearest double (0.42451918914251396 comes
// out one unit in the last place off), which would change tiles and query results. The
// number's text is parsed again with std::from_chars, which rounds correctly.
class ExactNumberHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack stack;
  bool number_too_large = false;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t n, json::error_code&) {
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    stack.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number_.clear();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number_.clear();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double approximate, json::string_view s, json::error_code& ec) {
    number_.append(s.data(), s.size());
    double exact = 0;
    const char* end = number_.data() + number_.size();
    auto [rest, status] = std::from_chars(number_.data(), end, exact);
    number_.clear();
    if (status == std::errc::result_out_of_range && std::isfinite(approximate) &&
        std::fabs(approximate) < 1.0) {
      exact = approximate;  // an underflow: the nearest double is zero or subnormal
    } else if (status != std::errc() || rest != end) {
      number_too_large = true;  // an overflow; any other failure cannot follow the grammar
      ec = json::error::exponent_overflow;
      return false;
    }
    stack.push_double(exact);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  std::string number_;  // the text of the number being read, when it came in parts
};

}  // namespace

Result<json::value, std::string> parseJson(std::string_view text, std::size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  json::basic_parser<ExactNumberHandler> parser(options);
  // The document's values come from one growing arena, freed with the document: a body
  // of a few KB is thousands of small strings and objects, and allocating each from the
  // heap was the largest cost of a write.
  parser.handler().stack.reset(json::make_shared_resource<json::monotonic_resource>());

  json::error_code ec;
  const std::size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) {
    ec = json::error::extra_data;
  }
  if (ec) {
    if (ec == json::error::too_deep) {
      return "nesting is deeper than " + std::to_string(max_depth) + " levels";
    }
    if (parser.handler().number_too_large) {
      return "a number is too large to represent, at byte " + std::to_string(consumed);
    }
    return ec.message() + " at byte " + std::to_string(consumed);
  }
  return parser.handler().stack.release();
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
