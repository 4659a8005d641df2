// Verification of AutoQL Data Alert webhook deliveries (DESIGN 3.3 steps 2 and 3).
//
// A delivery carries AutoQL-Timestamp (Unix milliseconds, as an integer) and
// AutoQL-Signature = base64(HMAC-SHA256(secret, "<timestamp>.<raw body bytes>")).
// The timestamp must be within the tolerance of now in both directions; the signature
// must match any one of the configured secrets (several allow rotation).
//
// A WebhookVerifier is immutable after construction and safe to share between threads.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "util/clock.h"

namespace autoql::security {

enum class WebhookVerdict {
  kValid,
  kNotConfigured,     // no secret: the service cannot verify anything
  kInvalidTimestamp,  // header missing or not an integer count of milliseconds
  kTimestampOutOfWindow,
  kSignatureMismatch,  // missing, not base64, or matching no secret
};

class WebhookVerifier {
 public:
  WebhookVerifier(std::vector<std::string> secrets, std::chrono::milliseconds tolerance,
                  Clock clock);

  bool configured() const { return !secrets_.empty(); }

  // Checks the headers against the raw body. The timestamp is checked before the
  // signature, so a replayed old delivery costs no HMAC. Never throws.
  WebhookVerdict verify(std::string_view timestamp_header, std::string_view signature_header,
                        std::string_view raw_body) const;

 private:
  std::vector<std::string> secrets_;
  std::chrono::milliseconds tolerance_;
  Clock clock_;
};

// Returns the AutoQL-Signature value for `raw_body` sent at `timestamp_ms` (the string
// that goes in AutoQL-Timestamp). Used by `webhook sign`, `webhook send` and tests.
std::string signWebhook(std::string_view secret, std::string_view timestamp_ms,
                        std::string_view raw_body);

}  // namespace autoql::security
