// The request bodies a server holds in memory at once, across all its connections.
//
// Each connection may read a body up to --max-body, but connections are not limited in
// number, so without a bound on their sum a few hundred clients (no token needed: a body
// is read before the route or the caller is known) could make the server hold gigabytes.
// A body takes room as its bytes arrive, and gives it back once its request is answered;
// a body that finds no room is refused with 503 and Retry-After (one announced larger
// than the room left before it is sent), and the other connections go on being served.
#pragma once

#include <atomic>
#include <cstdint>

namespace autoql::http {

class BodyBudget {
 public:
  explicit BodyBudget(std::uint64_t limit) : limit_(limit) {}

  // Takes room for `bytes`; false, taking nothing, when that would pass the limit.
  bool take(std::uint64_t bytes) {
    std::uint64_t held = held_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ - held) {
        return false;
      }
    } while (!held_.compare_exchange_weak(held, held + bytes, std::memory_order_relaxed));
    return true;
  }

  // True when `bytes` more would fit now (without taking them).
  bool fits(std::uint64_t bytes) const { return bytes <= limit_ - held(); }

  // Gives back room taken before.
  void give(std::uint64_t bytes) { held_.fetch_sub(bytes, std::memory_order_relaxed); }

  std::uint64_t held() const { return held_.load(std::memory_order_relaxed); }

 private:
  const std::uint64_t limit_;
  std::atomic<std::uint64_t> held_{0};
};

}  // namespace autoql::http
