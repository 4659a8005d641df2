// Bearer token verification (DESIGN 4) with libjwt: HS256 with a shared secret, or
// RS256 / ES256 with a PEM public key (the algorithm follows the key type). A token must
// use exactly the configured algorithm (so neither "none" nor an HMAC signed with the
// public key passes), carry exp, be within exp/nbf with a leeway, and match the issuer and audience
// when those are configured. It names its user in `user_id` (else `sub`) and its project
// in `project_id`, the claims AutoQL's own tokens carry.
//
// A JwtVerifier is immutable after construction and safe to share between threads.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "util/clock.h"
#include "util/result.h"

namespace autoql::security {

enum class JwtAlgorithm { kHs256, kRs256, kEs256 };

struct JwtOptions {
  JwtAlgorithm algorithm = JwtAlgorithm::kHs256;
  std::string key;  // the HS256 secret, or a PEM public key
  std::optional<std::string> issuer;
  std::optional<std::string> audience;
  std::chrono::seconds leeway{60};  // allowed clock difference for exp and nbf
  Clock clock = systemClock();
};

// Why a token was refused; each is a 401 for the client, and a reason for the log.
enum class TokenError {
  kMalformed,       // not three base64url parts of JSON, or claims of the wrong type
  kBadSignature,    // the signature does not verify with the configured key
  kWrongAlgorithm,  // "none", or an algorithm other than the configured one
  kExpired,
  kNoExpiry,  // no exp claim: a token that never expires is refused
  kNotYetValid,
  kWrongIssuer,
  kWrongAudience,
  kMissingIdentity,  // no user_id/sub, or no project_id
};

std::string_view describe(TokenError error);

struct TokenIdentity {
  std::string user_id;
  std::string project_id;
};

// Reads a PEM public key and returns the algorithm it signs with (RSA: RS256, an EC
// P-256 key: ES256), or a description of what is wrong with it.
Result<JwtAlgorithm, std::string> algorithmForPublicKey(const std::string& pem);

class JwtVerifier {
 public:
  explicit JwtVerifier(JwtOptions options);

  Result<TokenIdentity, TokenError> verify(std::string_view token) const;

 private:
  JwtOptions options_;
};

// Mints an HS256 token for local testing (`autoql-backend token`): user_id, sub,
// project_id, iat and exp = now + ttl.
std::string mintHs256Token(std::string_view secret, std::string_view user_id,
                           std::string_view project_id, std::chrono::seconds ttl,
                           std::int64_t now_ms);

}  // namespace autoql::security
