// Cuts a fuzz input into the parts a target needs: option bits, header lines, a body.
// Seeds are written in the same layout, so that the fuzzer starts from real values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace autoql::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  // Consumes and returns the first byte; 0 when nothing is left.
  std::uint8_t takeByte() {
    if (rest_.empty()) {
      return 0;
    }
    const auto byte = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return byte;
  }

  // Consumes and returns everything up to the next '\n' (the '\n' is consumed, not
  // returned), or to the end.
  std::string_view takeLine() {
    const std::size_t end = rest_.find('\n');
    const std::string_view line = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + 1);
    return line;
  }

  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

}  // namespace autoql::fuzz
