// The Data Alert webhook and notification reads (DESIGN 3.3): signature and timestamp
// checks on the raw bytes, idempotent storage under concurrency, payload validation,
// and GET /notifications/{id}.
#include <boost/json/serialize.hpp>
#include <latch>
#include <thread>

#include "e2e_support.h"
#include "security/webhook_signature.h"

namespace autoql::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// The server's default --webhook-tolerance.
constexpr std::int64_t kToleranceMs = 300'000;
// How far outside the window the refused timestamps are: clocks and a slow run differ.
constexpr std::int64_t kMarginMs = 5'000;

class Webhook : public SharedServerTest {
 protected:
  // Delivers `body` signed at `timestamp_ms` with the first secret.
  ClientResponse deliverAt(std::string_view body, std::int64_t timestamp_ms) {
    const std::string timestamp = std::to_string(timestamp_ms);
    return deliverWith(client(), body, signedHeaders(body, timestamp));
  }

  ClientResponse getNotification(std::string_view id, std::string_view query = {}) {
    return send(client(), "GET", "/notifications/" + std::string(id) + std::string(query));
  }

  // Fails the test unless exactly one notification with `id` is stored.
  void expectStored(std::string_view id) {
    const auto response = getNotification(id);
    ASSERT_EQ(response.status, 200u) << response.body;
    EXPECT_EQ(bodyJson(response).at("notification_id").as_string(), id);
  }

  void expectNotStored(std::string_view id) {
    EXPECT_TRUE(isProblem(getNotification(id), 404, "not_found")) << id;
  }
};

TEST_F(Webhook, StoresSampleDeliveryAndServesIt) {
  const std::string id = uniqueId("nt");
  const std::string body = sampleAlert(id);
  const auto response = deliver(client(), body);

  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_TRUE(headerOf(response, "Content-Type").starts_with("application/json"));
  EXPECT_TRUE(sameJson(parseJson(R"({"message":"ok"})"), bodyJson(response)));

  const auto fetched = getNotification(id);
  ASSERT_EQ(fetched.status, 200u) << fetched.body;
  EXPECT_TRUE(headerOf(fetched, "Content-Type").starts_with("application/json"));
  const json::value payload = parseJson(body).at("payload");
  const json::value notification = bodyJson(fetched);
  for (const char* field : {"notification_id", "data_alert_id", "project_id", "title", "message",
                            "users", "data_return_query"}) {
    EXPECT_TRUE(sameJson(payload.at(field), notification.at(field))) << field;
  }
  EXPECT_EQ(notification.at("event"), json::value("data_alert.true"));
  EXPECT_EQ(notification.at("created_at"), json::value("2025-12-03T12:00:00.000Z"));
  EXPECT_TRUE(sameJson(payload.at("query_result"), notification.at("query_result")));
  EXPECT_TRUE(notification.at("state").is_null());
}

TEST_F(Webhook, StateIsTheRecipientsState) {
  const std::string id = uniqueId("nt");
  ASSERT_EQ(deliver(client(), sampleAlert(id)).status, 200u);

  for (const char* user : {"user-42", "user-7"}) {
    const auto response = getNotification(id, std::string("?user_id=") + user);
    ASSERT_EQ(response.status, 200u) << response.body;
    EXPECT_EQ(bodyJson(response).at("state"), json::value("UNACKNOWLEDGED")) << user;
  }
}

TEST_F(Webhook, FlaskAliasPathStoresToo) {
  const std::string id = uniqueId("nt");
  const auto response = deliver(client(), sampleAlert(id), kWebhookSecret, "/your-webhook");

  EXPECT_EQ(webhookMessage(response), "ok") << response.status << " " << response.body;
  expectStored(id);
}

TEST_F(Webhook, AcceptsTheSecondSecret) {
  const std::string id = uniqueId("nt");
  const auto response = deliver(client(), compactAlert(id), kSecondWebhookSecret);

  EXPECT_EQ(webhookMessage(response), "ok") << response.status << " " << response.body;
  expectStored(id);
}

TEST_F(Webhook, RefusesWrongSecret) {
  const std::string id = uniqueId("nt");
  const auto response = deliver(client(), compactAlert(id), "not-the-secret");

  EXPECT_TRUE(isProblem(response, 401, "signature_mismatch"));
  expectNotStored(id);
}

struct HeaderCase {
  std::string label;
  std::vector<Header> headers;
};

TEST_F(Webhook, RefusesMissingOrMalformedSignature) {
  const std::string id = uniqueId("nt");
  const std::string body = compactAlert(id);
  const std::string now = std::to_string(nowMillis());
  const std::string good = security::signWebhook(kWebhookSecret, now, body);
  const std::vector<HeaderCase> cases = {
      {"missing", {{"AutoQL-Timestamp", now}}},
      {"empty", {{"AutoQL-Timestamp", now}, {"AutoQL-Signature", ""}}},
      {"not base64", {{"AutoQL-Timestamp", now}, {"AutoQL-Signature", "!!not base64!!"}}},
      {"base64 with a space",
       {{"AutoQL-Timestamp", now},
        {"AutoQL-Signature", good.substr(0, 10) + " " + good.substr(10)}}},
      {"truncated", {{"AutoQL-Timestamp", now}, {"AutoQL-Signature", good.substr(0, 40)}}},
      {"for another timestamp",
       {{"AutoQL-Timestamp", now},
        {"AutoQL-Signature",
         security::signWebhook(kWebhookSecret, std::to_string(nowMillis() - 1000), body)}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    EXPECT_TRUE(isProblem(deliverWith(client(), body, c.headers), 401, "signature_mismatch"));
  }
  expectNotStored(id);
}

TEST_F(Webhook, RefusesTimestampThatIsNotAnInteger) {
  const std::string id = uniqueId("nt");
  const std::string body = compactAlert(id);
  const std::string now = std::to_string(nowMillis());
  // A leading or trailing space cannot be tested: HTTP strips it from header values.
  for (const std::string& timestamp : {std::string("abc"), std::string("1.5e12"), std::string(),
                                       "1 " + now, now + ".0", "0x1" + now, now + "ms"}) {
    SCOPED_TRACE(timestamp);
    const auto response = deliverWith(client(), body, signedHeaders(body, timestamp));
    EXPECT_TRUE(isProblem(response, 401, "invalid_timestamp"));
  }

  const std::vector<Header> no_timestamp = {
      {"AutoQL-Signature", security::signWebhook(kWebhookSecret, now, body)}};
  EXPECT_TRUE(isProblem(deliverWith(client(), body, no_timestamp), 401, "invalid_timestamp"));
  expectNotStored(id);
}

TEST_F(Webhook, RefusesTimestampBeforeTheWindow) {
  const std::string id = uniqueId("nt");
  const auto response = deliverAt(compactAlert(id), nowMillis() - kToleranceMs - kMarginMs);

  EXPECT_TRUE(isProblem(response, 401, "timestamp_out_of_window"));
  expectNotStored(id);
}

TEST_F(Webhook, RefusesTimestampAfterTheWindow) {
  const std::string id = uniqueId("nt");
  const auto response = deliverAt(compactAlert(id), nowMillis() + kToleranceMs + kMarginMs);

  EXPECT_TRUE(isProblem(response, 401, "timestamp_out_of_window"));
  expectNotStored(id);
}

TEST_F(Webhook, RefusesTimestampInSeconds) {
  const std::string id = uniqueId("nt");
  const auto response = deliverAt(compactAlert(id), nowMillis() / 1000);

  EXPECT_TRUE(isProblem(response, 401, "timestamp_out_of_window"));
  expectNotStored(id);
}

TEST_F(Webhook, AcceptsTimestampsWithinTheWindowBothWays) {
  for (const std::int64_t offset : {-60'000, 60'000}) {
    SCOPED_TRACE(offset);
    const std::string id = uniqueId("nt");
    const auto response = deliverAt(compactAlert(id), nowMillis() + offset);
    EXPECT_EQ(webhookMessage(response), "ok") << response.status << " " << response.body;
    expectStored(id);
  }
}

struct BodyCase {
  std::string label;
  std::string body;
  std::string title;  // as stored
};

TEST_F(Webhook, VerifiesTheRawBytesAsSent) {
  const std::string unicode = "Caf\xC3\xA9 \xE2\x98\x95 \xE5\xA3\xB2\xE4\xB8\x8A \xF0\x9F\x98\x80";
  std::vector<BodyCase> cases = {
      {"pretty-printed sample", sampleAlert(uniqueId("nt")), "High Sales"},
      {"raw UTF-8", compactAlert(uniqueId("nt"), unicode), unicode},
      {"\\u escapes", compactAlert(uniqueId("nt"), R"(Caf\u00e9 \u2615 \ud83d\ude00)"),
       "Caf\xC3\xA9 \xE2\x98\x95 \xF0\x9F\x98\x80"},
      {"CRLF and tabs", "\r\n\t" + compactAlert(uniqueId("nt")) + "\r\n", "High Sales"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    const std::string id(parseJson(c.body).at("payload").at("notification_id").as_string());
    const auto response = deliver(client(), c.body);
    EXPECT_EQ(webhookMessage(response), "ok") << response.status << " " << response.body;

    const auto fetched = getNotification(id);
    ASSERT_EQ(fetched.status, 200u) << fetched.body;
    EXPECT_EQ(bodyJson(fetched).at("title").as_string(), c.title);
  }
}

TEST_F(Webhook, RefusesBodyChangedAfterSigning) {
  const std::string id = uniqueId("nt");
  const std::string signed_body = sampleAlert(id);
  const std::string timestamp = std::to_string(nowMillis());
  const auto headers = signedHeaders(signed_body, timestamp);

  // The same JSON value, serialized again; and the same bytes with one changed.
  const std::string reserialized = json::serialize(parseJson(signed_body));
  std::string changed = signed_body;
  changed[changed.find("High Sales")] = 'h';

  for (const std::string& body : {reserialized, changed}) {
    EXPECT_TRUE(isProblem(deliverWith(client(), body, headers), 401, "signature_mismatch"));
  }
  expectNotStored(id);
}

TEST_F(Webhook, RepeatDeliveryIsDuplicateAndStoredOnce) {
  const std::string id = uniqueId("nt");
  const std::string body = sampleAlert(id);

  EXPECT_EQ(webhookMessage(deliver(client(), body)), "ok");
  const auto first = getNotification(id);
  const auto repeat = deliver(client(), body);

  EXPECT_TRUE(sameJson(parseJson(R"({"message":"duplicate"})"), bodyJson(repeat)));
  const auto second = getNotification(id);
  EXPECT_EQ(first.body, second.body);
}

TEST_F(Webhook, RepeatWithAnotherBodyKeepsTheFirst) {
  const std::string id = uniqueId("nt");
  EXPECT_EQ(webhookMessage(deliver(client(), compactAlert(id, "First"))), "ok");
  EXPECT_EQ(webhookMessage(deliver(client(), compactAlert(id, "Second"))), "duplicate");

  const auto fetched = getNotification(id);
  ASSERT_EQ(fetched.status, 200u);
  EXPECT_EQ(bodyJson(fetched).at("title"), json::value("First"));
  EXPECT_TRUE(server().waitForLog(id + " was delivered again with a different body", 2s))
      << "no warning about the different body";
}

// "200 {...}" for a response, or what went wrong.
std::string outcomeOf(const Result<ClientResponse, std::string>& response) {
  return response ? std::to_string(response->status) + " " + response->body
                  : "failed: " + response.error();
}

TEST_F(Webhook, ConcurrentIdenticalDeliveriesStoreOnce) {
  constexpr int kSenders = 10;
  const std::string id = uniqueId("nt");
  const std::string body = sampleAlert(id);
  const auto headers = signedHeaders(body, std::to_string(nowMillis()));

  // Each sender connects first, then all send at once.
  std::latch connected(kSenders);
  std::vector<std::string> outcomes(kSenders);
  std::vector<std::thread> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.emplace_back([&, i] {
      auto own = server().client();
      const bool warmed_up = own->send("GET", "/healthz").ok();
      connected.arrive_and_wait();
      outcomes[i] = warmed_up ? outcomeOf(own->send("POST", kWebhookPath, headers, body))
                              : "could not connect";
    });
  }
  for (auto& sender : senders) {
    sender.join();
  }

  int ok = 0;
  int duplicate = 0;
  for (const std::string& outcome : outcomes) {
    ok += outcome == R"(200 {"message":"ok"})";
    duplicate += outcome == R"(200 {"message":"duplicate"})";
  }
  EXPECT_EQ(ok, 1) << ::testing::PrintToString(outcomes);
  EXPECT_EQ(duplicate, kSenders - 1) << ::testing::PrintToString(outcomes);
  expectStored(id);
}

TEST_F(Webhook, IgnoresOtherEvents) {
  const std::string id = uniqueId("nt");
  std::string body = compactAlert(id);
  body.replace(body.find("data_alert.true"), std::string_view("data_alert.true").size(), "ping");

  const auto response = deliver(client(), body);

  EXPECT_TRUE(sameJson(parseJson(R"({"message":"ignored"})"), bodyJson(response)));
  expectNotStored(id);
}

TEST_F(Webhook, RefusesPayloadWithMissingFields) {
  for (const std::string& field : std::vector<std::string>{
           "notification_id", "users", "data_alert_id", "project_id", "title", "created_at"}) {
    SCOPED_TRACE(field);
    json::value body = parseJson(compactAlert(uniqueId("nt")));
    body.at("payload").as_object().erase(field);
    const auto response = deliver(client(), json::serialize(body));
    EXPECT_TRUE(isValidationError(response, "payload." + field));
  }
}

TEST_F(Webhook, RefusesSignedInvalidJson) {
  for (const std::string& body : {std::string("{"), std::string("{\"event\":\"\xff\"}"),
                                  compactAlert(uniqueId("nt")) + "x"}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(isProblem(deliver(client(), body), 400, "invalid_json"));
  }
}

TEST_F(Webhook, AcceptsCreatedAtInMilliseconds) {
  const std::string seconds_id = uniqueId("nt");
  const std::string millis_id = uniqueId("nt");
  EXPECT_EQ(webhookMessage(deliver(client(), compactAlert(seconds_id, "s", "1764763200"))), "ok");
  EXPECT_EQ(webhookMessage(deliver(client(), compactAlert(millis_id, "m", "1764763200000"))), "ok");

  for (const std::string& id : {seconds_id, millis_id}) {
    const auto fetched = getNotification(id);
    ASSERT_EQ(fetched.status, 200u) << fetched.body;
    EXPECT_EQ(bodyJson(fetched).at("created_at"), json::value("2025-12-03T12:00:00.000Z")) << id;
  }
}

TEST_F(Webhook, UnknownNotificationIs404) {
  EXPECT_TRUE(isProblem(getNotification("unknown"), 404, "not_found"));
  EXPECT_TRUE(isProblem(getNotification(uniqueId("nt"), "?user_id=user-42"), 404, "not_found"));
}

TEST(WebhookWithoutSecret, Answers503AndWarnsAtStart) {
  ServerProcess server({.with_webhook_secrets = false, .extra_args = {}});
  ASSERT_TRUE(server.ready()) << server.failure();
  auto client = server.client();

  const std::string body = compactAlert(uniqueId("nt"));
  const auto response = deliver(*client, body);

  EXPECT_TRUE(isProblem(response, 503, "webhook_not_configured"));
  const std::string log = server.log();
  EXPECT_NE(log.find("warn"), std::string::npos) << log;
  EXPECT_NE(log.find("no webhook secret"), std::string::npos) << log;
}

}  // namespace
}  // namespace autoql::e2e
