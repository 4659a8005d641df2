// Writes a JSON object member by member straight into a response body, so that the read
// routes build their answer with one growing string instead of a temporary per member.
// Member names are written as given (they are literals of ours, never client input);
// values are escaped. Not thread-safe; one writer per string.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autoql::api {

// Appends `text` as a JSON string literal, quoted and escaped. Text with nothing to escape
// is copied in one go.
void appendJsonString(std::string& out, std::string_view text);

class JsonObjectWriter {
 public:
  // Appends the opening brace; close() appends the closing one.
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_ += '{'; }

  // Goes on with an object that `out` ends in, left open with at least one member by an
  // earlier writer (one that was not closed).
  static JsonObjectWriter continuing(std::string& out) { return JsonObjectWriter(out, false); }

  JsonObjectWriter& string(std::string_view name, std::string_view value);
  JsonObjectWriter& integer(std::string_view name, std::int64_t value);
  // Unix milliseconds as an ISO 8601 UTC string with milliseconds.
  JsonObjectWriter& time(std::string_view name, std::int64_t unix_ms);
  JsonObjectWriter& strings(std::string_view name, const std::vector<std::string>& values);
  JsonObjectWriter& null(std::string_view name);
  // The string, or null when there is none.
  JsonObjectWriter& optionalString(std::string_view name, std::optional<std::string_view> value);
  // `json` is already serialized JSON (a stored document), copied as it is.
  JsonObjectWriter& raw(std::string_view name, std::string_view json);

  void close() { out_ += '}'; }

 private:
  JsonObjectWriter(std::string& out, bool first) : out_(out), first_(first) {}

  void name(std::string_view name);

  std::string& out_;
  bool first_ = true;
};

}  // namespace autoql::api
