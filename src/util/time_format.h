// Formatting of timestamps for API responses and logs. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace autoql {

// Formats Unix milliseconds as ISO 8601 UTC with milliseconds: "2026-01-31T12:00:00.000Z".
// Precondition: 0 <= unix_ms < year 10000.
std::string formatIsoMillis(std::int64_t unix_ms);

// The same, appended to `out` (24 characters).
void appendIsoMillis(std::string& out, std::int64_t unix_ms);

// Parses "YYYY-MM-DDTHH:MM:SSZ", optionally with 1 to 3 fraction digits, as UTC Unix
// milliseconds. Returns nullopt for anything else, including impossible dates.
std::optional<std::int64_t> parseIsoMillis(std::string_view text);

}  // namespace autoql
