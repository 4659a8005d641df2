// Formatting of timestamps for API responses and logs. Pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace autoql {

// Formats Unix milliseconds as ISO 8601 UTC with milliseconds: "2026-01-31T12:00:00.000Z".
// Precondition: 0 <= unix_ms < year 10000.
std::string formatIsoMillis(std::int64_t unix_ms);

}  // namespace autoql
