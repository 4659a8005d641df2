// The wall clock as an injectable function, so that tests can pin "now" (the webhook's
// time window, timestamps written by the store). Safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace autoql {

// Returns Unix time in milliseconds.
using Clock = std::function<std::int64_t()>;

inline std::int64_t systemNowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

inline Clock systemClock() {
  return &systemNowMillis;
}

}  // namespace autoql
