// Result<T, E>: a value or an error, returned across internal boundaries instead of
// throwing. Storage returns Result<T> (E = Error); validators return their own error types.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace autoql {

// What went wrong below the API layer. The API maps each code to one HTTP status.
enum class Errc {
  kNotFound,     // the addressed row does not exist
  kConflict,     // a precondition (version, uniqueness) did not hold
  kUnavailable,  // the database cannot be reached or written (disk full, read-only, down)
  kOverloaded,   // a bounded queue is full; the caller should retry later
  kInternal,     // a bug or an unexpected engine error
};

// `detail` is for the log only; it may hold engine text and never reaches a client.
struct Error {
  Errc code;
  std::string detail;
};

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Preconditions: ok() for value(), !ok() for error().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const E& error() const { return std::get<1>(v_); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> v_;
};

// Result<void>: success carries nothing.
struct Ok {};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(Ok) {}                                              // NOLINT: implicit by design
  Result(E error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const { return error_; }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace autoql
