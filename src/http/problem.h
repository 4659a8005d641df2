// RFC 9457 problem+json error responses (DESIGN 3.1): the one shape every error takes,
// whichever layer produces it. Pure functions.
#pragma once

#include <string>
#include <vector>

#include "http/message.h"

namespace autoql::http {

struct Problem {
  unsigned status = 500;
  std::string code;    // stable snake_case identifier, e.g. "validation_failed"
  std::string title;   // short, the same for every occurrence of the code
  std::string detail;  // this occurrence; never internal text (SQL, exceptions)
  // Field-level errors for validation problems: {field, message} pairs.
  std::vector<std::pair<std::string, std::string>> errors;
  // Extension members (RFC 9457 section 3.2): name and value as JSON text.
  std::vector<std::pair<std::string, std::string>> extensions;
};

// Serializes the problem with Content-Type application/problem+json.
Response problemResponse(const Problem& problem);

// Shorthand for a problem with no field errors.
Response problemResponse(unsigned status, std::string code, std::string title, std::string detail);

// Seconds a client is told to wait when the server is saturated.
constexpr int kRetryAfterSeconds = 1;

// 503 "overloaded" with Retry-After: a bounded queue (workers, writes) is full.
Response overloadedResponse();

}  // namespace autoql::http
