// Webhook verification: fixed HMAC vectors (computed independently with Python's hmac
// module, see each comment), both edges of the time window through an injected clock,
// secret rotation, and every way a delivery is refused.
#include "security/webhook_signature.h"

#include <gtest/gtest.h>

#include "security/crypto.h"

namespace autoql::security {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t kNow = 1764763200000;  // 2025-12-03T12:00:00Z
constexpr milliseconds kTolerance{300'000};
const std::string kBody = R"({"event":"data_alert.true"})";

// base64(HMAC-SHA256("whsec_test", "1764763200000." + kBody))
constexpr const char* kSignatureFirst = "z9QBBB9Y6RmamFX0t6PTWbUjQwiUE6qcLq/UnD9Ek5w=";
// base64(HMAC-SHA256("second-secret", "1764763200000." + kBody))
constexpr const char* kSignatureSecond = "Z/8OyyGVniDq94ZXhJs5U335PW0rV/P+bm60KM2yZyQ=";

WebhookVerifier verifierAt(std::int64_t now, std::vector<std::string> secrets = {"whsec_test"}) {
  return WebhookVerifier(std::move(secrets), kTolerance, [now] { return now; });
}

TEST(WebhookSignature, MatchesFixedVectors) {
  EXPECT_EQ(signWebhook("whsec_test", "1764763200000", kBody), kSignatureFirst);
  EXPECT_EQ(signWebhook("second-secret", "1764763200000", kBody), kSignatureSecond);
  // Raw UTF-8 bytes are signed as they are: {"title":"Café ☕ 売上 😀"}
  EXPECT_EQ(signWebhook("whsec_test", "1764763200000",
                        "{\"title\":\"Caf\xC3\xA9 \xE2\x98\x95 "
                        "\xE5\xA3\xB2\xE4\xB8\x8A \xF0\x9F\x98\x80\"}"),
            "OaE2xiQVlMDHLjmAyaXhYDXc+vi5q9gDaD+Ww8PWTvg=");
  EXPECT_EQ(signWebhook("whsec_test", "1764763200000", ""),
            "6VARkh1NiRqEPkvF7q4DUdeEXrQZfuBerWF9jCgSNGk=");
}

TEST(WebhookSignature, AcceptsValidDelivery) {
  EXPECT_EQ(verifierAt(kNow).verify("1764763200000", kSignatureFirst, kBody),
            WebhookVerdict::kValid);
}

TEST(WebhookSignature, AcceptsAnyConfiguredSecret) {
  const auto verifier = verifierAt(kNow, {"whsec_test", "second-secret"});
  EXPECT_EQ(verifier.verify("1764763200000", kSignatureFirst, kBody), WebhookVerdict::kValid);
  EXPECT_EQ(verifier.verify("1764763200000", kSignatureSecond, kBody), WebhookVerdict::kValid);
}

TEST(WebhookSignature, RefusesUnknownSecretAndChangedBody) {
  const auto verifier = verifierAt(kNow, {"another"});
  EXPECT_EQ(verifier.verify("1764763200000", kSignatureFirst, kBody),
            WebhookVerdict::kSignatureMismatch);
  EXPECT_EQ(verifierAt(kNow).verify("1764763200000", kSignatureFirst, kBody + " "),
            WebhookVerdict::kSignatureMismatch);
}

TEST(WebhookSignature, TimestampIsPartOfTheSignedMessage) {
  EXPECT_EQ(verifierAt(kNow).verify("1764763200001", kSignatureFirst, kBody),
            WebhookVerdict::kSignatureMismatch);
}

TEST(WebhookSignature, AcceptsBothEdgesOfTheWindow) {
  // The delivery was sent exactly `tolerance` before and after now.
  EXPECT_EQ(verifierAt(kNow + kTolerance.count()).verify("1764763200000", kSignatureFirst, kBody),
            WebhookVerdict::kValid);
  EXPECT_EQ(verifierAt(kNow - kTolerance.count()).verify("1764763200000", kSignatureFirst, kBody),
            WebhookVerdict::kValid);
}

TEST(WebhookSignature, RefusesOneMillisecondOutsideEitherEdge) {
  const auto late = verifierAt(kNow + kTolerance.count() + 1);
  EXPECT_EQ(late.verify("1764763200000", kSignatureFirst, kBody),
            WebhookVerdict::kTimestampOutOfWindow);
  const auto early = verifierAt(kNow - kTolerance.count() - 1);  // timestamp in the future
  EXPECT_EQ(early.verify("1764763200000", kSignatureFirst, kBody),
            WebhookVerdict::kTimestampOutOfWindow);
}

TEST(WebhookSignature, NeverReadsTheTimestampAsSeconds) {
  const std::string seconds = "1764763200";
  const auto signature = signWebhook("whsec_test", seconds, kBody);
  EXPECT_EQ(verifierAt(kNow).verify(seconds, signature, kBody),
            WebhookVerdict::kTimestampOutOfWindow);
}

TEST(WebhookSignature, RefusesTimestampsThatAreNotIntegers) {
  const auto verifier = verifierAt(kNow);
  for (const char* bad :
       {"", "abc", "1764763200000.0", "1.7647632e12", " 1764763200000", "1764763200000 ",
        "-1764763200000", "+1764763200000", "99999999999999999999"}) {
    EXPECT_EQ(verifier.verify(bad, kSignatureFirst, kBody), WebhookVerdict::kInvalidTimestamp)
        << "timestamp: '" << bad << "'";
  }
}

TEST(WebhookSignature, RefusesSignaturesThatAreNotBase64) {
  const auto verifier = verifierAt(kNow);
  for (const char* bad : {"", "not base64!", "z9QBBB9Y6RmamFX0t6PTWbUjQwiUE6qcLq/UnD9Ek5w",
                          " z9QBBB9Y6RmamFX0t6PTWbUjQwiUE6qcLq/UnD9Ek5w="}) {
    EXPECT_EQ(verifier.verify("1764763200000", bad, kBody), WebhookVerdict::kSignatureMismatch)
        << "signature: '" << bad << "'";
  }
}

TEST(WebhookSignature, ReportsMissingConfiguration) {
  const WebhookVerifier verifier({}, kTolerance, [] { return kNow; });
  EXPECT_FALSE(verifier.configured());
  EXPECT_EQ(verifier.verify("1764763200000", kSignatureFirst, kBody),
            WebhookVerdict::kNotConfigured);
}

}  // namespace
}  // namespace autoql::security
