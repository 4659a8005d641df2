#include "util/units.h"

#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>
#include <utility>

namespace autoql {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Splits "16MiB" into 16 and "mib". Fails unless the text starts with at least one digit.
std::optional<std::pair<std::uint64_t, std::string>> splitNumber(std::string_view text) {
  std::uint64_t number = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, number);
  if (ec != std::errc() || rest == text.data()) {
    return std::nullopt;
  }
  return std::make_pair(number, lowercase(std::string_view(rest, end - rest)));
}

std::optional<std::uint64_t> scale(std::uint64_t number, std::uint64_t factor) {
  if (number > std::numeric_limits<std::uint64_t>::max() / factor) {
    return std::nullopt;
  }
  return number * factor;
}

template <std::size_t N>
std::optional<std::uint64_t> applyUnit(std::string_view text, const std::array<Unit, N>& units) {
  auto split = splitNumber(text);
  if (!split) {
    return std::nullopt;
  }
  for (const Unit& unit : units) {
    if (split->second == unit.name) {
      return scale(split->first, unit.factor);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> parseSize(std::string_view text) {
  static constexpr std::array<Unit, 8> kUnits{{{"", 1},
                                               {"b", 1},
                                               {"kb", 1000},
                                               {"mb", 1000 * 1000},
                                               {"gb", 1000 * 1000 * 1000},
                                               {"kib", 1024},
                                               {"mib", 1024 * 1024},
                                               {"gib", 1024 * 1024 * 1024}}};
  return applyUnit(text, kUnits);
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  static constexpr std::array<Unit, 5> kUnits{
      {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 60 * 60 * 1000}}};
  auto millis = applyUnit(text, kUnits);
  if (!millis || *millis > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(*millis));
}

}  // namespace autoql
