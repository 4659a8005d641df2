// Field-level validation errors shared by every validator of untrusted input. The API
// layer turns them into the `errors` array of a 400 problem+json response.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace autoql::domain {

// Lengths of the identities every entity is scoped by, in code points (DESIGN 3.2).
constexpr std::size_t kMaxProjectIdChars = 512;
constexpr std::size_t kMaxUserIdChars = 256;

struct FieldError {
  std::string field;    // JSON path of the field, e.g. "name" or "data[3]"
  std::string message;  // what is wrong, for a human; never echoes the value
};

using FieldErrors = std::vector<FieldError>;

// Validators stop after this many errors: a body of millions of bad items must cost
// neither millions of error objects nor a response as large as the body.
constexpr std::size_t kMaxFieldErrors = 20;

inline bool full(const FieldErrors& errors) {
  return errors.size() >= kMaxFieldErrors;
}

}  // namespace autoql::domain
