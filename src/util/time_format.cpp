#include "util/time_format.h"

#include <chrono>
#include <cstdio>

namespace autoql {

namespace {

// Writes the `width` lowest decimal digits of `value` ending just before `end`.
void putDigits(char* end, unsigned value, int width) {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::string formatIsoMillis(std::int64_t unix_ms) {
  std::string out;
  appendIsoMillis(out, unix_ms);
  return out;
}

// Digit by digit rather than with snprintf: every timestamp of every response goes
// through here, and the format string parsing was the largest cost of a dashboard list.
void appendIsoMillis(std::string& out, std::int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> time{milliseconds(unix_ms)};
  const auto day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss clock{time - day};

  char text[] = "0000-00-00T00:00:00.000Z";
  putDigits(text + 4, static_cast<unsigned>(static_cast<int>(date.year())), 4);
  putDigits(text + 7, static_cast<unsigned>(date.month()), 2);
  putDigits(text + 10, static_cast<unsigned>(date.day()), 2);
  putDigits(text + 13, static_cast<unsigned>(clock.hours().count()), 2);
  putDigits(text + 16, static_cast<unsigned>(clock.minutes().count()), 2);
  putDigits(text + 19, static_cast<unsigned>(clock.seconds().count()), 2);
  putDigits(text + 23, static_cast<unsigned>(clock.subseconds().count()), 3);
  out.append(text, sizeof text - 1);
}

namespace {

// Reads `count` digits at `pos`; nullopt unless all are digits.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<std::int64_t> parseIsoMillis(std::string_view text) {
  using namespace std::chrono;
  constexpr std::string_view kShape = "0000-00-00T00:00:00";
  if (text.size() < kShape.size() + 1 || text.back() != 'Z') {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] != '0' && text[i] != kShape[i]) {
      return std::nullopt;
    }
  }
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2);
  const auto minute = digits(text, 14, 2);
  const auto second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
      *second > 59) {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year(*year), std::chrono::month(*month),
                            std::chrono::day(*day)};
  if (!date.ok()) {
    return std::nullopt;
  }

  // Optional fraction: ".d", ".dd" or ".ddd" before the Z.
  int millis = 0;
  const std::size_t fraction = text.size() - 1 - kShape.size();
  if (fraction > 0) {
    const auto value = digits(text, kShape.size() + 1, fraction - 1);
    if (text[kShape.size()] != '.' || fraction < 2 || fraction > 4 || !value) {
      return std::nullopt;
    }
    millis = *value * (fraction == 2 ? 100 : fraction == 3 ? 10 : 1);
  }
  const auto time =
      sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second) + milliseconds(millis);
  return duration_cast<milliseconds>(time.time_since_epoch()).count();
}

}  // namespace autoql
