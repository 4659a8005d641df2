// Data Alert webhook deliveries: the AutoQL-Timestamp and AutoQL-Signature headers and
// the body, through the real route on an in-memory database. The fuzzer cannot forge a
// signature, so an option bit has the harness sign the body with the service's secret;
// the body then reaches the JSON parser, the Data Alert validation and the store.
//
// Input layout: one option byte, the timestamp line, the signature line, the body.
// Option bits: 1 = sign the body (the signature line is ignored), 2 = use the service's
// "now" as the timestamp (the timestamp line is ignored).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_input.h"
#include "fuzz_service.h"
#include "security/crypto.h"
#include "security/webhook_signature.h"

namespace {

constexpr std::uint8_t kSignBody = 1;
constexpr std::uint8_t kTimestampNow = 2;

autoql::http::Request delivery(std::string timestamp, std::string signature, std::string body) {
  autoql::http::Request request;
  request.method = autoql::http::Method::kPost;
  request.method_text = "POST";
  request.target = "/webhooks/autoql";
  request.segments = {"webhooks", "autoql"};
  request.headers = {{"Content-Type", "application/json"},
                     {"AutoQL-Timestamp", std::move(timestamp)},
                     {"AutoQL-Signature", std::move(signature)}};
  request.body = std::move(body);
  request.request_id = "fuzz";
  return request;
}

// True when `signature` decodes to HMAC-SHA256(secret, "<timestamp>.<body>").
bool carriesHmac(const std::string& timestamp, const std::string& signature,
                 const std::string& body) {
  const auto received = autoql::security::base64Decode(signature);
  return received && *received == autoql::security::hmacSha256(autoql::fuzz::kFuzzWebhookSecret,
                                                               timestamp + "." + body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  autoql::fuzz::silenceLogs();

  autoql::fuzz::FuzzInput input(data, size);
  const std::uint8_t options = input.takeByte();
  std::string timestamp(input.takeLine());
  std::string signature(input.takeLine());
  const std::string body(input.rest());

  if (options & kTimestampNow) {
    timestamp = std::to_string(autoql::fuzz::kFuzzNowMs);
  }
  if (options & kSignBody) {
    signature = autoql::security::signWebhook(autoql::fuzz::kFuzzWebhookSecret, timestamp, body);
  }
  const bool authentic = (options & kSignBody) && (options & kTimestampNow);

  autoql::fuzz::FuzzService service;
  const autoql::http::Response response = service.serve(delivery(timestamp, signature, body));
  autoql::fuzz::checkResponse(response);

  // A delivery signed with the secret at the right time is never refused as inauthentic,
  // whatever its body; and one that is accepted carries the HMAC of its timestamp and body.
  if (authentic && response.status == 401) {
    autoql::fuzz::fail("an authentic delivery was refused");
  }
  if (response.status == 200 && !carriesHmac(timestamp, signature, body)) {
    autoql::fuzz::fail("a delivery without the right signature was accepted");
  }
  return 0;
}
