#include "api/json_writer.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>
#include <charconv>

#include "util/time_format.h"

namespace autoql::api {
namespace {

bool needsEscape(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
}

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
  if (std::none_of(text.begin(), text.end(), needsEscape)) {
    out += '"';
    out += text;
    out += '"';
    return;
  }
  out += boost::json::serialize(boost::json::string_view(text));
}

void JsonObjectWriter::name(std::string_view name) {
  if (!first_) {
    out_ += ',';
  }
  first_ = false;
  out_ += '"';
  out_ += name;
  out_ += "\":";
}

JsonObjectWriter& JsonObjectWriter::string(std::string_view name, std::string_view value) {
  this->name(name);
  appendJsonString(out_, value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::integer(std::string_view name, std::int64_t value) {
  this->name(name);
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out_.append(digits, end);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::time(std::string_view name, std::int64_t unix_ms) {
  this->name(name);
  out_ += '"';
  appendIsoMillis(out_, unix_ms);
  out_ += '"';
  return *this;
}

JsonObjectWriter& JsonObjectWriter::strings(std::string_view name,
                                            const std::vector<std::string>& values) {
  this->name(name);
  out_ += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out_ += ',';
    }
    appendJsonString(out_, values[i]);
  }
  out_ += ']';
  return *this;
}

JsonObjectWriter& JsonObjectWriter::null(std::string_view name) {
  this->name(name);
  out_ += "null";
  return *this;
}

JsonObjectWriter& JsonObjectWriter::optionalString(std::string_view name,
                                                   std::optional<std::string_view> value) {
  return value ? string(name, *value) : null(name);
}

JsonObjectWriter& JsonObjectWriter::raw(std::string_view name, std::string_view json) {
  this->name(name);
  out_ += json;
  return *this;
}

}  // namespace autoql::api
