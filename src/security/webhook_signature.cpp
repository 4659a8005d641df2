#include "security/webhook_signature.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <utility>

#include "security/crypto.h"

namespace autoql::security {
namespace {

// At most 19 digits keeps the value inside int64; milliseconds need 13 until year 2286.
constexpr std::size_t kMaxTimestampDigits = 19;

// Accepts only ASCII digits: no sign, no spaces, no fraction, no exponent. The header is
// milliseconds and is never reinterpreted as seconds, whatever its magnitude.
std::optional<std::int64_t> parseTimestamp(std::string_view text) {
  if (text.empty() || text.size() > kMaxTimestampDigits) {
    return std::nullopt;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::string signedMessage(std::string_view timestamp, std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  return message;
}

}  // namespace

WebhookVerifier::WebhookVerifier(std::vector<std::string> secrets,
                                 std::chrono::milliseconds tolerance, Clock clock)
    : secrets_(std::move(secrets)), tolerance_(tolerance), clock_(std::move(clock)) {}

WebhookVerdict WebhookVerifier::verify(std::string_view timestamp_header,
                                       std::string_view signature_header,
                                       std::string_view raw_body) const {
  if (!configured()) {
    return WebhookVerdict::kNotConfigured;
  }

  const auto timestamp = parseTimestamp(timestamp_header);
  if (!timestamp) {
    return WebhookVerdict::kInvalidTimestamp;
  }
  const std::int64_t now = clock_();
  const std::int64_t skew = now > *timestamp ? now - *timestamp : *timestamp - now;
  if (skew > tolerance_.count()) {
    return WebhookVerdict::kTimestampOutOfWindow;
  }

  const auto received = base64Decode(signature_header);
  if (!received) {
    return WebhookVerdict::kSignatureMismatch;
  }

  // Every secret is tried, with no early exit, so timing says nothing about which matched.
  const std::string message = signedMessage(timestamp_header, raw_body);
  bool matched = false;
  for (const std::string& secret : secrets_) {
    matched |= constantTimeEqual(hmacSha256(secret, message), *received);
  }
  return matched ? WebhookVerdict::kValid : WebhookVerdict::kSignatureMismatch;
}

std::string signWebhook(std::string_view secret, std::string_view timestamp_ms,
                        std::string_view raw_body) {
  return base64Encode(hmacSha256(secret, signedMessage(timestamp_ms, raw_body)));
}

}  // namespace autoql::security
