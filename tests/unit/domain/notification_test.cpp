// Data Alert payload validation: required fields by name, created_at in seconds or
// milliseconds, and the event filter.
#include "domain/notification.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace autoql::domain {
namespace {

namespace json = boost::json;

json::value alert(const std::string& payload_fields) {
  return json::parse(R"({"event":"data_alert.true","payload":{)" + payload_fields + "}}");
}

// Every field but users and created_at, which the tests add.
constexpr const char* kFields =
    R"("notification_id":"nt_1","data_alert_id":"da_1","project_id":"p","title":"High Sales",)"
    R"("message":"m","data_return_query":"total sales",)"
    R"("query_result":{"reference_id":"1.1.200","data":{}})";

json::value alertWith(const std::string& users, const std::string& created_at) {
  return alert(std::string(kFields) + R"(,"users":)" + users + R"(,"created_at":)" + created_at);
}

TEST(Notification, ParsesTheSampleShape) {
  auto parsed = parseDataAlert(alertWith(R"(["u1","u2"])", "1605910895"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->notification_id, "nt_1");
  EXPECT_EQ(parsed->event, "data_alert.true");
  EXPECT_EQ(parsed->users, (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(parsed->created_at_ms, 1605910895000);
  EXPECT_EQ(json::parse(parsed->query_result_json),
            json::parse(R"({"reference_id":"1.1.200","data":{}})"));
}

TEST(Notification, NamesEachMissingField) {
  auto parsed = parseDataAlert(alert(R"("message":"m")"));
  ASSERT_FALSE(parsed.ok());
  std::vector<std::string> fields;
  for (const auto& error : parsed.error()) {
    fields.push_back(error.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"payload.notification_id", "payload.data_alert_id",
                                              "payload.project_id", "payload.title",
                                              "payload.users", "payload.created_at"}));
}

TEST(Notification, TakesCreatedAtTooLargeForSecondsAsMilliseconds) {
  auto seconds = parseDataAlert(alertWith("[]", "1764763200"));
  auto millis = parseDataAlert(alertWith("[]", "1764763200000"));
  ASSERT_TRUE(seconds.ok());
  ASSERT_TRUE(millis.ok());
  EXPECT_EQ(seconds->created_at_ms, 1764763200000);
  EXPECT_EQ(millis->created_at_ms, 1764763200000);
}

TEST(Notification, RefusesImpossibleCreatedAt) {
  for (const char* bad : {R"("x")", "-1", "1e300", "null"}) {
    auto parsed = parseDataAlert(alertWith("[]", bad));
    EXPECT_FALSE(parsed.ok()) << bad;
  }
}

TEST(Notification, RefusesUsersThatAreNotStrings) {
  auto parsed = parseDataAlert(alertWith(R"(["u1",7])", "1"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().front().field, "payload.users[1]");
}

TEST(Notification, QueryResultIsOptional) {
  auto parsed = parseDataAlert(
      alert(R"("notification_id":"n","data_alert_id":"d","project_id":"p","title":"t",)"
            R"("users":[],"created_at":1)"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->query_result_json, "null");
  EXPECT_EQ(parsed->message, "");
}

TEST(Notification, RecognisesDataAlertEvents) {
  EXPECT_TRUE(isDataAlertEvent("data_alert.true"));
  EXPECT_TRUE(isDataAlertEvent("data_alert.triggered"));
  EXPECT_FALSE(isDataAlertEvent("ping"));
}

TEST(Notification, EventMustBeAString) {
  EXPECT_FALSE(parseEvent(json::parse(R"({"event":5})")).ok());
  EXPECT_FALSE(parseEvent(json::parse(R"({"payload":{}})")).ok());
  EXPECT_FALSE(parseEvent(json::parse(R"([])")).ok());
}

}  // namespace
}  // namespace autoql::domain
