// Parsing of the human-friendly sizes and durations that options accept
// ("16MiB", "300s", "1h"). Pure functions, safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace autoql {

// Parses a byte size: digits with an optional unit B, KB, MB, GB (powers of 1000) or
// KiB, MiB, GiB (powers of 1024), case-insensitive. Returns nullopt for anything else,
// including overflow and an empty string.
std::optional<std::uint64_t> parseSize(std::string_view text);

// Parses a duration: digits with a unit ms, s, m or h; bare digits are seconds.
// Returns nullopt for anything else, including overflow.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);

}  // namespace autoql
