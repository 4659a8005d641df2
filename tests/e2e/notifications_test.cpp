// Notifications end to end (DESIGN 3.3): recipients and their states, the feed with its
// cursors, state changes, removal, counts, the demo app's path, and the live event stream
// over real connections (heartbeats, resume with Last-Event-ID, many clients, shutdown).
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <optional>
#include <thread>

#include "e2e_support.h"

namespace autoql::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

constexpr std::string_view kStateNames[] = {"UNACKNOWLEDGED", "ACKNOWLEDGED", "DISMISSED"};
// 2025-12-03T12:00:00Z, the sample's created_at.
constexpr std::int64_t kCreatedAt = 1764763200;
// How long a test waits for an event that must come.
constexpr Millis kEventWait = 5s;
// How long a test waits before it concludes that nothing came.
constexpr Millis kQuietWait = 300ms;

// --- webhook deliveries ---

struct Alert {
  std::string id;
  std::string project_id;
  std::vector<std::string> users;
  std::int64_t created_at = kCreatedAt;  // Unix seconds (or milliseconds)
  std::string query_result = R"({"data":{"rows":[[1,2.5]]}})";
};

std::string alertBody(const Alert& alert) {
  json::object payload;
  payload["notification_id"] = alert.id;
  payload["data_alert_id"] = "da_notifications";
  payload["project_id"] = alert.project_id;
  payload["title"] = "Title of " + alert.id;
  payload["message"] = "Message of " + alert.id;
  json::array users;
  for (const std::string& user : alert.users) {
    users.emplace_back(user);
  }
  payload["users"] = std::move(users);
  payload["created_at"] = alert.created_at;
  payload["data_return_query"] = "total sales by month";
  payload["query_result"] = parseJson(alert.query_result);
  json::object body;
  body["event"] = "data_alert.true";
  body["payload"] = std::move(payload);
  return json::serialize(body);
}

// Delivers `alert`; fails the test unless the server answers {"message":"ok"}.
void deliverAlert(Client& client, const Alert& alert) {
  const auto response = deliver(client, alertBody(alert));
  EXPECT_EQ(webhookMessage(response), "ok")
      << alert.id << ": " << response.status << " " << response.body;
}

// Delivers a new alert for `users` of `project_id` and returns its notification_id.
std::string newAlert(Client& client, std::string_view project_id,
                     const std::vector<std::string>& users, std::int64_t created_at = kCreatedAt) {
  Alert alert{uniqueId("nt"), std::string(project_id), users, created_at};
  deliverAlert(client, alert);
  return alert.id;
}

// --- request shortcuts ---

std::string owner(std::string_view project_id, std::string_view user_id) {
  return "project_id=" + std::string(project_id) + "&user_id=" + std::string(user_id);
}

ClientResponse getFeed(Client& client, std::string_view project_id, std::string_view user_id,
                       std::string_view extra = {}) {
  return send(client, "GET", "/notifications?" + owner(project_id, user_id) + std::string(extra));
}

// The notification_ids of one feed page, in order; fails the test unless 200.
std::vector<std::string> idsOf(const ClientResponse& response) {
  std::vector<std::string> ids;
  if (response.status != 200) {
    ADD_FAILURE() << "feed: " << response.status << " " << response.body;
    return ids;
  }
  const json::value feed = bodyJson(response);
  for (const json::value& item : feed.as_array()) {
    ids.emplace_back(item.at("notification_id").as_string());
  }
  return ids;
}

std::vector<std::string> feedIds(Client& client, std::string_view project_id,
                                 std::string_view user_id, std::string_view extra = {}) {
  return idsOf(getFeed(client, project_id, user_id, extra));
}

// The feed item for `id`, or null when the first page of the feed lacks it.
json::value feedItem(Client& client, std::string_view project_id, std::string_view user_id,
                     std::string_view id) {
  const auto response = getFeed(client, project_id, user_id, "&limit=100");
  if (response.status != 200) {
    ADD_FAILURE() << "feed: " << response.status << " " << response.body;
    return nullptr;
  }
  const json::value feed = bodyJson(response);
  for (const json::value& item : feed.as_array()) {
    if (item.at("notification_id").as_string() == id) {
      return item;
    }
  }
  return nullptr;
}

// The state GET /notifications/{id}?user_id= reports: a name, "null", or "" on failure.
std::string stateOf(Client& client, std::string_view id, std::string_view user_id) {
  const auto response =
      send(client, "GET", "/notifications/" + std::string(id) + "?user_id=" + std::string(user_id));
  if (response.status != 200) {
    ADD_FAILURE() << "GET " << id << ": " << response.status << " " << response.body;
    return "";
  }
  const json::value state = bodyJson(response).at("state");
  return state.is_null() ? "null" : std::string(state.as_string());
}

ClientResponse putState(Client& client, std::string_view id, std::string_view project_id,
                        std::string_view user_id, std::string_view state) {
  return sendJson(client, "PUT",
                  "/notifications/" + std::string(id) + "?" + owner(project_id, user_id),
                  R"({"state":")" + std::string(state) + R"("})");
}

json::value summaryOf(Client& client, std::string_view project_id, std::string_view user_id) {
  const auto response = send(client, "GET", "/notifications/summary?" + owner(project_id, user_id));
  EXPECT_EQ(response.status, 200u) << response.body;
  return response.status == 200 ? bodyJson(response) : json::value(nullptr);
}

json::value counts(std::int64_t unacknowledged, std::int64_t acknowledged, std::int64_t dismissed) {
  return json::object{{"unacknowledged", unacknowledged},
                      {"acknowledged", acknowledged},
                      {"dismissed", dismissed},
                      {"total", unacknowledged + acknowledged + dismissed}};
}

// The target of a `Link: <target>; rel="next"` header, or "" when there is none.
std::string nextTarget(const ClientResponse& response) {
  const std::string link = headerOf(response, "Link");
  const std::size_t open = link.find('<');
  const std::size_t close = link.find('>');
  if (open == std::string::npos || close == std::string::npos || close < open ||
      link.find("rel=\"next\"", close) == std::string::npos) {
    return "";
  }
  return link.substr(open + 1, close - open - 1);
}

// The value of query parameter `name` in `target` (as it appears, not decoded).
std::string queryParamOf(std::string_view target, std::string_view name) {
  const std::string key = std::string(name) + "=";
  for (std::size_t at = target.find('?'); at != std::string_view::npos;
       at = target.find('&', at + 1)) {
    if (target.substr(at + 1, key.size()) == key) {
      const std::size_t begin = at + 1 + key.size();
      const std::size_t end = target.find('&', begin);
      return std::string(target.substr(begin, end == std::string_view::npos ? end : end - begin));
    }
  }
  return "";
}

// Base64url without padding, as the server spells its cursors.
std::string base64Url(std::string_view plain) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : plain) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 0x3F]);
    }
  }
  if (count > 0) {
    out.push_back(kAlphabet[(bits << (6 - count)) & 0x3F]);
  }
  return out;
}

// --- live event streams (read with SseStream, e2e_support.h) ---

std::string streamTarget(std::string_view project_id, std::string_view user_id,
                         std::string_view extra = {}) {
  return "/notifications/stream?" + owner(project_id, user_id) + std::string(extra);
}

// The process id of `server`, found by its working directory (its own temp dir), or 0.
pid_t serverPid(const ServerProcess& server) {
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::error_code link_ec;
    const auto cwd = std::filesystem::read_symlink(it->path() / "cwd", link_ec);
    const auto exe = std::filesystem::read_symlink(it->path() / "exe", link_ec);
    if (!link_ec && cwd == server.dir() &&
        exe.filename() == std::filesystem::path(backendBinary()).filename()) {
      return static_cast<pid_t>(std::stol(name));
    }
  }
  return 0;
}

// How many file descriptors process `pid` holds open.
std::size_t openDescriptors(pid_t pid) {
  std::error_code ec;
  std::size_t count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++count;
  }
  return count;
}

// --- fixtures ---

// Each test makes its own project and users, so tests do not see each other's data.
class NotificationTest : public SharedServerTest {
 protected:
  void SetUp() override {
    SharedServerTest::SetUp();
    project_ = uniqueId("proj");
    other_project_ = uniqueId("proj");
    u1_ = uniqueId("u1");
    u2_ = uniqueId("u2");
    u3_ = uniqueId("u3");
  }

  std::string project_;
  std::string other_project_;
  std::string u1_;
  std::string u2_;
  std::string u3_;
};

class NotificationRecipients : public NotificationTest {};
class NotificationFeed : public NotificationTest {};
class NotificationState : public NotificationTest {};
class NotificationSummary : public NotificationTest {};
class NotificationDemoPath : public NotificationTest {};
class NotificationStream : public NotificationTest {};

// --- 1. recipients ---

TEST_F(NotificationRecipients, EachRecipientStartsUnacknowledged) {
  const std::string id = newAlert(client(), project_, {u1_, u2_});

  EXPECT_EQ(stateOf(client(), id, u1_), "UNACKNOWLEDGED");
  EXPECT_EQ(stateOf(client(), id, u2_), "UNACKNOWLEDGED");
  EXPECT_EQ(stateOf(client(), id, u3_), "null");
}

TEST_F(NotificationRecipients, RepeatedUserIsOneRecipient) {
  const std::string id = newAlert(client(), project_, {u1_, u1_, u2_});

  EXPECT_EQ(feedIds(client(), project_, u1_), std::vector<std::string>{id});
  EXPECT_TRUE(sameJson(counts(1, 0, 0), summaryOf(client(), project_, u1_)));
}

// --- 2. feed ---

TEST_F(NotificationFeed, ListsOnlyTheUsersNotificationsOfTheProjectNewestFirst) {
  const std::string first = newAlert(client(), project_, {u1_, u2_});
  const std::string only_u2 = newAlert(client(), project_, {u2_});
  const std::string other_project = newAlert(client(), other_project_, {u1_});
  const std::string millis = newAlert(client(), project_, {u1_}, kCreatedAt * 1000 + 123);
  const std::string last = newAlert(client(), project_, {u1_}, kCreatedAt + 60);

  const auto response = getFeed(client(), project_, u1_);
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_TRUE(headerOf(response, "Content-Type").starts_with("application/json"));
  EXPECT_EQ(headerOf(response, "Link"), "");
  const json::value feed = bodyJson(response);
  ASSERT_TRUE(feed.is_array()) << response.body;
  ASSERT_EQ(idsOf(response), (std::vector<std::string>{last, millis, first}));

  const std::int64_t created[] = {kCreatedAt + 60, kCreatedAt, kCreatedAt};
  std::int64_t previous_seq = INT64_MAX;
  for (std::size_t i = 0; i < feed.as_array().size(); ++i) {
    SCOPED_TRACE(i);
    const json::object& item = feed.as_array()[i].as_object();
    const std::string id(item.at("notification_id").as_string());
    EXPECT_EQ(item.at("title"), json::value("Title of " + id));
    EXPECT_EQ(item.at("message"), json::value("Message of " + id));
    ASSERT_TRUE(item.at("created_at").is_int64()) << json::serialize(item);
    EXPECT_EQ(item.at("created_at").as_int64(), created[i]);
    EXPECT_EQ(item.at("state"), json::value("UNACKNOWLEDGED"));
    ASSERT_TRUE(item.at("seq").is_int64()) << json::serialize(item);
    EXPECT_LT(item.at("seq").as_int64(), previous_seq);
    previous_seq = item.at("seq").as_int64();
  }

  EXPECT_EQ(feedIds(client(), project_, u2_), (std::vector<std::string>{only_u2, first}));
  EXPECT_EQ(feedIds(client(), other_project_, u1_), std::vector<std::string>{other_project});
  EXPECT_EQ(feedIds(client(), project_, u3_), std::vector<std::string>{});
}

TEST_F(NotificationFeed, FiltersByState) {
  const std::string a = newAlert(client(), project_, {u1_});
  const std::string b = newAlert(client(), project_, {u1_});
  const std::string c = newAlert(client(), project_, {u1_});
  ASSERT_EQ(putState(client(), a, project_, u1_, "ACKNOWLEDGED").status, 200u);
  ASSERT_EQ(putState(client(), c, project_, u1_, "ACKNOWLEDGED").status, 200u);
  ASSERT_EQ(putState(client(), b, project_, u1_, "DISMISSED").status, 200u);

  EXPECT_EQ(feedIds(client(), project_, u1_, "&state=ACKNOWLEDGED"),
            (std::vector<std::string>{c, a}));
  EXPECT_EQ(feedIds(client(), project_, u1_, "&state=DISMISSED"), std::vector<std::string>{b});
  EXPECT_EQ(feedIds(client(), project_, u1_, "&state=UNACKNOWLEDGED"), std::vector<std::string>{});
  const json::value acknowledged =
      bodyJson(getFeed(client(), project_, u1_, "&state=ACKNOWLEDGED"));
  for (const json::value& item : acknowledged.as_array()) {
    EXPECT_EQ(item.at("state"), json::value("ACKNOWLEDGED"));
  }
}

TEST_F(NotificationFeed, UnknownStateListsTheStates) {
  for (const char* state : {"READ", "acknowledged", ""}) {
    SCOPED_TRACE(state);
    const auto response = getFeed(client(), project_, u1_, std::string("&state=") + state);
    EXPECT_TRUE(isValidationError(response, "state"));
    for (std::string_view name : kStateNames) {
      EXPECT_NE(response.body.find(name), std::string::npos) << name << ": " << response.body;
    }
  }
}

TEST_F(NotificationFeed, LimitIsFromOneToOneHundredAndDefaultsToFifty) {
  for (const char* limit : {"0", "101", "-1", "abc", "1e2"}) {
    SCOPED_TRACE(limit);
    EXPECT_TRUE(isValidationError(getFeed(client(), project_, u1_, std::string("&limit=") + limit),
                                  "limit"));
  }

  for (int i = 0; i < 51; ++i) {
    newAlert(client(), project_, {u1_});
  }
  const auto by_default = getFeed(client(), project_, u1_);
  EXPECT_EQ(idsOf(by_default).size(), 50u);
  EXPECT_NE(nextTarget(by_default), "");
  EXPECT_NE(queryParamOf(nextTarget(by_default), "limit"), "");

  const auto hundred = getFeed(client(), project_, u1_, "&limit=100");
  EXPECT_EQ(idsOf(hundred).size(), 51u);
  EXPECT_EQ(headerOf(hundred, "Link"), "");
  EXPECT_EQ(idsOf(getFeed(client(), project_, u1_, "&limit=1")).size(), 1u);
}

TEST_F(NotificationFeed, CursorPagingIsStableWhileNewNotificationsArrive) {
  std::vector<std::string> originals;
  for (int i = 0; i < 7; ++i) {
    originals.insert(originals.begin(), newAlert(client(), project_, {u1_, u2_}));
  }

  std::vector<std::string> seen;
  std::vector<std::string> arrived_meanwhile;
  std::string target = "/notifications?" + owner(project_, u1_) + "&limit=3";
  std::vector<std::size_t> page_sizes;
  for (int page = 0; page < 10 && !target.empty(); ++page) {
    const auto response = send(client(), "GET", target);
    ASSERT_EQ(response.status, 200u) << target << ": " << response.body;
    const auto ids = idsOf(response);
    page_sizes.push_back(ids.size());
    seen.insert(seen.end(), ids.begin(), ids.end());
    target = nextTarget(response);
    if (!target.empty()) {
      EXPECT_TRUE(target.starts_with("/notifications?")) << target;
      EXPECT_NE(queryParamOf(target, "cursor"), "") << target;
      // Two new notifications for the user between page requests.
      for (int i = 0; i < 2; ++i) {
        arrived_meanwhile.push_back(newAlert(client(), project_, {u1_}));
      }
    }
  }

  EXPECT_TRUE(target.empty()) << "the last page still has a Link: " << target;
  EXPECT_EQ(seen, originals);
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{3, 3, 1}));
  // The new ones are at the top of a fresh first page.
  const auto fresh = feedIds(client(), project_, u1_, "&limit=100");
  ASSERT_EQ(fresh.size(), originals.size() + arrived_meanwhile.size());
  EXPECT_EQ(fresh.front(), arrived_meanwhile.back());
}

TEST_F(NotificationFeed, CursorKeepsTheStateFilter) {
  std::vector<std::string> acknowledged;
  for (int i = 0; i < 5; ++i) {
    const std::string id = newAlert(client(), project_, {u1_});
    newAlert(client(), project_, {u1_});
    ASSERT_EQ(putState(client(), id, project_, u1_, "ACKNOWLEDGED").status, 200u);
    acknowledged.insert(acknowledged.begin(), id);
  }

  std::vector<std::string> seen;
  std::string target = "/notifications?" + owner(project_, u1_) + "&state=ACKNOWLEDGED&limit=2";
  for (int page = 0; page < 10 && !target.empty(); ++page) {
    const auto response = send(client(), "GET", target);
    ASSERT_EQ(response.status, 200u) << target << ": " << response.body;
    const auto ids = idsOf(response);
    seen.insert(seen.end(), ids.begin(), ids.end());
    target = nextTarget(response);
  }
  EXPECT_EQ(seen, acknowledged);
}

TEST_F(NotificationFeed, TamperedCursorIsRefused) {
  for (int i = 0; i < 3; ++i) {
    newAlert(client(), project_, {u1_});
  }
  const auto first = getFeed(client(), project_, u1_, "&limit=1");
  const std::string cursor = queryParamOf(nextTarget(first), "cursor");
  ASSERT_NE(cursor, "") << headerOf(first, "Link");
  ASSERT_EQ(getFeed(client(), project_, u1_, "&limit=1&cursor=" + cursor).status, 200u);

  const std::vector<std::string> tampered = {
      cursor + "A",                        // trailing bytes
      cursor.substr(1),                    // cut
      "x" + cursor,                        // prefixed
      cursor + "%3D%3D",                   // padded
      "not-a-cursor",                      // not one of ours
      "12",                                // a bare sequence number
      "",                                  // empty
      base64Url("c-5"),                    // a negative position
      base64Url("c12x"),                   // not a number
      base64Url("d12"),                    // another tag
      base64Url("c012"),                   // not the canonical spelling
      base64Url("c99999999999999999999"),  // out of range
  };
  for (const std::string& bad : tampered) {
    SCOPED_TRACE(bad);
    const auto response = getFeed(client(), project_, u1_, "&limit=1&cursor=" + bad);
    EXPECT_TRUE(isValidationError(response, "cursor"));
  }
}

TEST_F(NotificationFeed, RequiresProjectAndUser) {
  EXPECT_TRUE(
      isValidationError(send(client(), "GET", "/notifications?user_id=" + u1_), "project_id"));
  EXPECT_TRUE(
      isValidationError(send(client(), "GET", "/notifications?project_id=" + project_), "user_id"));
}

// --- 3. state ---

// The content of a notification read before is written from memory
// (api/rendered_json.h); the state must still be the recipient's state of now.
TEST_F(NotificationState, ReadsAgainShowTheStateOfNowWithTheSameContent) {
  const std::string id = newAlert(client(), project_, {u1_, u2_});
  const auto read = [&](std::string_view prefix, const std::string& user) {
    const auto response = send(client(), "GET", std::string(prefix) + id + "?user_id=" + user);
    EXPECT_EQ(response.status, 200u) << response.body;
    return response.status == 200 ? bodyJson(response) : json::value();
  };
  json::value first = read("/notifications/", u1_);
  ASSERT_TRUE(first.is_object());
  for (int round = 0; round < 2; ++round) {
    EXPECT_TRUE(sameJson(first, read("/notifications/", u1_)));
    EXPECT_TRUE(sameJson(first, read("/api/v1/rule-notifications/", u1_)));
  }

  ASSERT_EQ(putState(client(), id, project_, u1_, "ACKNOWLEDGED").status, 200u);
  json::value expected = first;
  expected.as_object()["state"] = "ACKNOWLEDGED";
  EXPECT_TRUE(sameJson(expected, read("/notifications/", u1_)));
  expected.as_object()["state"] = "UNACKNOWLEDGED";
  EXPECT_TRUE(sameJson(expected, read("/notifications/", u2_)));

  ASSERT_EQ(send(client(), "DELETE", "/notifications/" + id + "?" + owner(project_, u1_)).status,
            204u);
  expected.as_object()["state"] = nullptr;
  EXPECT_TRUE(sameJson(expected, read("/notifications/", u1_)));
  EXPECT_TRUE(sameJson(expected, read("/notifications/", u3_)));
  EXPECT_EQ(stateOf(client(), id, u2_), "UNACKNOWLEDGED");
}

TEST_F(NotificationState, PutSetsTheCallersStateOnly) {
  const std::string id = newAlert(client(), project_, {u1_, u2_});

  const auto response = putState(client(), id, project_, u1_, "ACKNOWLEDGED");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_TRUE(headerOf(response, "Content-Type").starts_with("application/json"));
  const json::value body = bodyJson(response);
  EXPECT_EQ(body.at("notification_id"), json::value(id));
  EXPECT_EQ(body.at("state"), json::value("ACKNOWLEDGED"));

  EXPECT_EQ(stateOf(client(), id, u1_), "ACKNOWLEDGED");
  EXPECT_EQ(stateOf(client(), id, u2_), "UNACKNOWLEDGED");
  EXPECT_EQ(feedItem(client(), project_, u1_, id).at("state"), json::value("ACKNOWLEDGED"));
  EXPECT_EQ(feedItem(client(), project_, u2_, id).at("state"), json::value("UNACKNOWLEDGED"));

  // And back: every state can be set again.
  for (std::string_view state : {"DISMISSED", "UNACKNOWLEDGED", "ACKNOWLEDGED"}) {
    const auto again = putState(client(), id, project_, u1_, state);
    ASSERT_EQ(again.status, 200u) << again.body;
    EXPECT_EQ(bodyJson(again).at("state"), json::value(state));
  }
}

TEST_F(NotificationState, IdentityMayComeFromTheBody) {
  const std::string id = newAlert(client(), project_, {u1_, u2_});
  json::object body{{"project_id", project_}, {"user_id", u2_}, {"state", "DISMISSED"}};

  const auto response = sendJson(client(), "PUT", "/notifications/" + id, json::serialize(body));
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(bodyJson(response).at("state"), json::value("DISMISSED"));
  EXPECT_EQ(stateOf(client(), id, u2_), "DISMISSED");
  EXPECT_EQ(stateOf(client(), id, u1_), "UNACKNOWLEDGED");
}

TEST_F(NotificationState, NonRecipientOrOtherProjectIs404) {
  const std::string id = newAlert(client(), project_, {u1_, u2_});

  EXPECT_TRUE(isProblem(putState(client(), id, project_, u3_, "ACKNOWLEDGED"), 404, "not_found"));
  EXPECT_TRUE(
      isProblem(putState(client(), id, other_project_, u1_, "ACKNOWLEDGED"), 404, "not_found"));
  EXPECT_TRUE(isProblem(putState(client(), uniqueId("nt"), project_, u1_, "ACKNOWLEDGED"), 404,
                        "not_found"));
  EXPECT_EQ(stateOf(client(), id, u1_), "UNACKNOWLEDGED");
  EXPECT_EQ(stateOf(client(), id, u3_), "null");
}

TEST_F(NotificationState, BadStateIs400) {
  const std::string id = newAlert(client(), project_, {u1_});
  const std::string target = "/notifications/" + id + "?" + owner(project_, u1_);

  for (const char* body : {R"({"state":"READ"})", R"({"state":"acknowledged"})", R"({"state":1})",
                           R"({"state":null})", R"({})"}) {
    SCOPED_TRACE(body);
    const auto response = sendJson(client(), "PUT", target, body);
    EXPECT_TRUE(isValidationError(response, "state"));
  }
  const auto listed = sendJson(client(), "PUT", target, R"({"state":"READ"})");
  for (std::string_view name : kStateNames) {
    EXPECT_NE(listed.body.find(name), std::string::npos) << name << ": " << listed.body;
  }
  EXPECT_EQ(stateOf(client(), id, u1_), "UNACKNOWLEDGED");
}

TEST_F(NotificationState, BulkPutChangesEveryNotificationOfTheUserOnly) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(newAlert(client(), project_, {u1_, u2_}));
  }
  const std::string elsewhere = newAlert(client(), other_project_, {u1_});
  ASSERT_EQ(putState(client(), ids[0], project_, u1_, "DISMISSED").status, 200u);

  const auto response = sendJson(client(), "PUT", "/notifications?" + owner(project_, u1_),
                                 R"({"state":"DISMISSED"})");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_TRUE(sameJson(parseJson(R"({"updated":3})"), bodyJson(response)));

  for (const std::string& id : ids) {
    EXPECT_EQ(stateOf(client(), id, u1_), "DISMISSED") << id;
    EXPECT_EQ(stateOf(client(), id, u2_), "UNACKNOWLEDGED") << id;
  }
  EXPECT_EQ(feedIds(client(), project_, u1_, "&state=DISMISSED").size(), 4u);
  EXPECT_EQ(stateOf(client(), elsewhere, u1_), "UNACKNOWLEDGED");

  // Nothing left to change; identity from the body this time.
  json::object again{{"project_id", project_}, {"user_id", u1_}, {"state", "DISMISSED"}};
  const auto repeat = sendJson(client(), "PUT", "/notifications", json::serialize(again));
  ASSERT_EQ(repeat.status, 200u) << repeat.body;
  EXPECT_TRUE(sameJson(parseJson(R"({"updated":0})"), bodyJson(repeat)));
}

TEST_F(NotificationState, BulkPutWithBeforeChangesOnlyOlderOnes) {
  // 2023-11-14T22:13:20Z and 2027-01-15T08:00:00Z.
  constexpr std::int64_t kOld = 1700000000;
  constexpr std::int64_t kNew = 1800000000;
  const std::vector<std::string> old_ids = {newAlert(client(), project_, {u1_}, kOld),
                                            newAlert(client(), project_, {u1_}, kOld + 1)};
  const std::vector<std::string> new_ids = {newAlert(client(), project_, {u1_}, kNew),
                                            newAlert(client(), project_, {u1_}, kNew + 1)};
  const std::string target = "/notifications?" + owner(project_, u1_);

  const auto iso = sendJson(client(), "PUT", target,
                            R"({"state":"ACKNOWLEDGED","before":"2025-01-01T00:00:00Z"})");
  ASSERT_EQ(iso.status, 200u) << iso.body;
  EXPECT_TRUE(sameJson(parseJson(R"({"updated":2})"), bodyJson(iso)));
  for (const std::string& id : old_ids) {
    EXPECT_EQ(stateOf(client(), id, u1_), "ACKNOWLEDGED") << id;
  }
  for (const std::string& id : new_ids) {
    EXPECT_EQ(stateOf(client(), id, u1_), "UNACKNOWLEDGED") << id;
  }

  // Unix seconds; `before` is exclusive: kOld + 1 itself is not older.
  const auto seconds =
      sendJson(client(), "PUT", target,
               R"({"state":"DISMISSED","before":)" + std::to_string(kOld + 1) + "}");
  ASSERT_EQ(seconds.status, 200u) << seconds.body;
  EXPECT_TRUE(sameJson(parseJson(R"({"updated":1})"), bodyJson(seconds)));
  EXPECT_EQ(stateOf(client(), old_ids[0], u1_), "DISMISSED");
  EXPECT_EQ(stateOf(client(), old_ids[1], u1_), "ACKNOWLEDGED");
  EXPECT_EQ(stateOf(client(), new_ids[0], u1_), "UNACKNOWLEDGED");

  for (const char* bad : {R"("yesterday")", R"("2025-13-01T00:00:00Z")", "-5", "true"}) {
    SCOPED_TRACE(bad);
    const auto response = sendJson(client(), "PUT", target,
                                   R"({"state":"DISMISSED","before":)" + std::string(bad) + "}");
    EXPECT_TRUE(isValidationError(response, "before"));
  }
  EXPECT_EQ(stateOf(client(), new_ids[1], u1_), "UNACKNOWLEDGED");
}

TEST_F(NotificationState, DeleteRemovesFromTheCallersFeedOnly) {
  const std::string kept = newAlert(client(), project_, {u1_, u2_});
  const std::string removed = newAlert(client(), project_, {u1_, u2_});
  const std::string target = "/notifications/" + removed + "?" + owner(project_, u1_);

  EXPECT_TRUE(isProblem(
      send(client(), "DELETE", "/notifications/" + removed + "?" + owner(other_project_, u1_)), 404,
      "not_found"));
  const auto response = send(client(), "DELETE", target);
  EXPECT_EQ(response.status, 204u) << response.body;
  EXPECT_EQ(response.body, "");

  EXPECT_EQ(feedIds(client(), project_, u1_), std::vector<std::string>{kept});
  EXPECT_EQ(feedIds(client(), project_, u2_), (std::vector<std::string>{removed, kept}));
  EXPECT_EQ(stateOf(client(), removed, u2_), "UNACKNOWLEDGED");
  EXPECT_TRUE(isProblem(send(client(), "DELETE", target), 404, "not_found"));
  EXPECT_TRUE(
      isProblem(putState(client(), removed, project_, u1_, "ACKNOWLEDGED"), 404, "not_found"));
  // The notification itself stays readable (for u2, and by id).
  EXPECT_EQ(send(client(), "GET", "/notifications/" + removed).status, 200u);
}

// --- 4. summary ---

TEST_F(NotificationSummary, CountsFollowStatesAndRemovals) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(newAlert(client(), project_, {u1_, u2_}));
  }
  newAlert(client(), other_project_, {u1_});
  EXPECT_TRUE(sameJson(counts(4, 0, 0), summaryOf(client(), project_, u1_)));

  ASSERT_EQ(putState(client(), ids[0], project_, u1_, "ACKNOWLEDGED").status, 200u);
  ASSERT_EQ(putState(client(), ids[1], project_, u1_, "DISMISSED").status, 200u);
  ASSERT_EQ(
      send(client(), "DELETE", "/notifications/" + ids[2] + "?" + owner(project_, u1_)).status,
      204u);

  const auto response = send(client(), "GET", "/notifications/summary?" + owner(project_, u1_));
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_TRUE(headerOf(response, "Content-Type").starts_with("application/json"));
  EXPECT_TRUE(sameJson(counts(1, 1, 1), bodyJson(response)));
  EXPECT_TRUE(sameJson(counts(4, 0, 0), summaryOf(client(), project_, u2_)));
  EXPECT_TRUE(sameJson(counts(1, 0, 0), summaryOf(client(), other_project_, u1_)));
  EXPECT_TRUE(sameJson(counts(0, 0, 0), summaryOf(client(), project_, u3_)));

  // The feed agrees with the counts.
  EXPECT_EQ(feedIds(client(), project_, u1_).size(), 3u);
  EXPECT_EQ(feedIds(client(), project_, u1_, "&state=UNACKNOWLEDGED"),
            std::vector<std::string>{ids[3]});

  const auto bulk = sendJson(client(), "PUT", "/notifications?" + owner(project_, u1_),
                             R"({"state":"ACKNOWLEDGED"})");
  EXPECT_TRUE(sameJson(parseJson(R"({"updated":2})"), bodyJson(bulk)));
  EXPECT_TRUE(sameJson(counts(0, 3, 0), summaryOf(client(), project_, u1_)));

  EXPECT_TRUE(isValidationError(
      send(client(), "GET", "/notifications/summary?project_id=" + project_), "user_id"));
}

// --- 5. the demo app's path ---

TEST_F(NotificationDemoPath, RuleNotificationIsTheSameObject) {
  Alert alert{uniqueId("nt"), project_, {u1_, u2_}};
  alert.query_result =
      R"({"data":{"columns":[{"name":"sales","type":"DOLLAR_AMT"}],)"
      R"("rows":[[9007199254740993,1.7976931348623157e308,"Caf\u00e9 \u2615",null,true,-0.5]]},)"
      R"("reference_id":"1.1.0","message":"ok"})";
  deliverAlert(client(), alert);

  for (const std::string& query : {std::string(), "?user_id=" + u1_, "?user_id=" + u3_}) {
    SCOPED_TRACE(query);
    const auto plain = send(client(), "GET", "/notifications/" + alert.id + query);
    const auto demo = send(client(), "GET", "/api/v1/rule-notifications/" + alert.id + query);
    ASSERT_EQ(plain.status, 200u) << plain.body;
    ASSERT_EQ(demo.status, 200u) << demo.body;
    EXPECT_TRUE(headerOf(demo, "Content-Type").starts_with("application/json"));
    const json::value object = bodyJson(demo);
    EXPECT_TRUE(sameJson(bodyJson(plain), object));
    EXPECT_TRUE(sameJson(parseJson(alert.query_result), object.at("query_result")));
    EXPECT_EQ(object.at("notification_id"), json::value(alert.id));
  }
  EXPECT_TRUE(isProblem(send(client(), "GET", "/api/v1/rule-notifications/" + uniqueId("nt")), 404,
                        "not_found"));
}

// --- 6. the live stream ---

TEST_F(NotificationStream, DeliversEachNewNotificationOfTheUserOnce) {
  SseStream stream;
  ASSERT_TRUE(stream.open(server().port(), streamTarget(project_, u1_))) << stream.error();
  EXPECT_EQ(stream.status(), 200u);
  EXPECT_TRUE(stream.header("Content-Type").starts_with("text/event-stream"))
      << stream.header("Content-Type");
  EXPECT_EQ(stream.header("Cache-Control"), "no-cache");

  Alert alert{uniqueId("nt"), project_, {u1_, u2_}};
  const std::string body = alertBody(alert);
  ASSERT_EQ(webhookMessage(deliver(client(), body)), "ok");
  const auto event = stream.nextEvent(kEventWait);
  ASSERT_EQ(eventNotificationId(event), alert.id) << describe(event);
  EXPECT_EQ(event->event, "notification");
  const json::value item = feedItem(client(), project_, u1_, alert.id);
  ASSERT_TRUE(item.is_object());
  EXPECT_EQ(event->id, std::to_string(item.at("seq").as_int64()));
  const json::value data = parseJson(event->data);
  EXPECT_TRUE(sameJson(
      parseJson(send(client(), "GET", "/notifications/" + alert.id + "?user_id=" + u1_).body),
      data));

  // Not for this stream: another user, another project, a repeat.
  newAlert(client(), project_, {u2_});
  newAlert(client(), other_project_, {u1_});
  EXPECT_EQ(webhookMessage(deliver(client(), body)), "duplicate");
  // A marker that must come next: nothing else was sent in between.
  const std::string marker = newAlert(client(), project_, {u3_, u1_});
  const auto next = stream.nextEvent(kEventWait);
  EXPECT_EQ(eventNotificationId(next), marker) << describe(next);
  const auto quiet = stream.nextEvent(kQuietWait);
  EXPECT_FALSE(quiet) << describe(quiet);
}

TEST_F(NotificationStream, EveryStreamOfTheUserGetsTheEvent) {
  SseStream first;
  SseStream second;
  SseStream other_user;
  ASSERT_TRUE(first.open(server().port(), streamTarget(project_, u1_))) << first.error();
  ASSERT_TRUE(second.open(server().port(), streamTarget(project_, u1_))) << second.error();
  ASSERT_TRUE(other_user.open(server().port(), streamTarget(project_, u2_))) << other_user.error();

  const std::string id = newAlert(client(), project_, {u1_});
  EXPECT_EQ(eventNotificationId(first.nextEvent(kEventWait)), id);
  EXPECT_EQ(eventNotificationId(second.nextEvent(kEventWait)), id);
  const auto quiet = other_user.nextEvent(kQuietWait);
  EXPECT_FALSE(quiet) << describe(quiet);
}

TEST_F(NotificationStream, ResumesAfterLastEventId) {
  std::string first_event_id;
  std::string first_id;
  {
    SseStream stream;
    ASSERT_TRUE(stream.open(server().port(), streamTarget(project_, u1_))) << stream.error();
    first_id = newAlert(client(), project_, {u1_});
    const auto event = stream.nextEvent(kEventWait);
    ASSERT_EQ(eventNotificationId(event), first_id) << describe(event);
    first_event_id = event->id;
    ASSERT_FALSE(first_event_id.empty());
  }

  // Delivered while disconnected (with one for someone else in between).
  const std::string missed_a = newAlert(client(), project_, {u1_});
  newAlert(client(), project_, {u2_});
  const std::string missed_b = newAlert(client(), project_, {u2_, u1_});

  SseStream resumed;
  ASSERT_TRUE(resumed.open(server().port(), streamTarget(project_, u1_),
                           {{"Last-Event-ID", first_event_id}}))
      << resumed.error();
  ASSERT_EQ(resumed.status(), 200u);
  const auto a = resumed.nextEvent(kEventWait);
  const auto b = resumed.nextEvent(kEventWait);
  EXPECT_EQ(eventNotificationId(a), missed_a) << describe(a);
  EXPECT_EQ(eventNotificationId(b), missed_b) << describe(b);
  ASSERT_TRUE(a && b);
  EXPECT_LT(std::stoll(first_event_id), std::stoll(a->id));
  EXPECT_LT(std::stoll(a->id), std::stoll(b->id));
  // Then live again, without repeats.
  const std::string live = newAlert(client(), project_, {u1_});
  const auto c = resumed.nextEvent(kEventWait);
  ASSERT_EQ(eventNotificationId(c), live) << describe(c);
  const auto quiet = resumed.nextEvent(kQuietWait);
  EXPECT_FALSE(quiet) << describe(quiet);

  // The same with the query parameter.
  SseStream by_query;
  ASSERT_TRUE(by_query.open(server().port(),
                            streamTarget(project_, u1_, "&last_event_id=" + first_event_id)))
      << by_query.error();
  ASSERT_EQ(by_query.status(), 200u);
  for (const std::string& expected : {missed_a, missed_b, live}) {
    const auto event = by_query.nextEvent(kEventWait);
    EXPECT_EQ(eventNotificationId(event), expected) << describe(event);
  }
  const auto none = by_query.nextEvent(kQuietWait);
  EXPECT_FALSE(none) << describe(none);

  // Resuming from the latest event replays nothing; from 0, everything.
  SseStream latest;
  ASSERT_TRUE(latest.open(server().port(), streamTarget(project_, u1_), {{"Last-Event-ID", c->id}}))
      << latest.error();
  const auto nothing = latest.nextEvent(kQuietWait);
  EXPECT_FALSE(nothing) << describe(nothing);
  SseStream all;
  ASSERT_TRUE(all.open(server().port(), streamTarget(project_, u1_), {{"Last-Event-ID", "0"}}))
      << all.error();
  for (const std::string& expected : {first_id, missed_a, missed_b, live}) {
    const auto event = all.nextEvent(kEventWait);
    EXPECT_EQ(eventNotificationId(event), expected) << describe(event);
  }
}

// The largest notification the webhook accepts (the body limit, 16 MiB by default) must
// reach a client that reads its stream; a slow client is another matter.
TEST_F(NotificationStream, LargeNotificationReachesAReadingClient) {
  SseStream stream;
  ASSERT_TRUE(stream.open(server().port(), streamTarget(project_, u1_))) << stream.error();

  Alert alert{uniqueId("nt"), project_, {u1_}};
  constexpr std::size_t kBlob = 6 * 1024 * 1024;
  alert.query_result = R"({"blob":")" + repeat('x', kBlob) + R"("})";
  deliverAlert(client(), alert);

  const auto event = stream.nextEvent(10s);
  ASSERT_EQ(eventNotificationId(event), alert.id)
      << describe(event) << (stream.ended() ? " (the server ended the stream)" : "");
  EXPECT_EQ(parseJson(event->data).at("query_result").at("blob").as_string().size(), kBlob);
  // The stream stays open for the next one.
  const std::string next = newAlert(client(), project_, {u1_});
  EXPECT_EQ(eventNotificationId(stream.nextEvent(kEventWait)), next);
}

TEST_F(NotificationStream, InvalidLastEventIdIs400) {
  const std::string target = streamTarget(project_, u1_);
  for (const char* bad : {"abc", "-1", "1.5", "12abc", "99999999999999999999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(isValidationError(send(client(), "GET", target, {{"Last-Event-ID", bad}}),
                                  "Last-Event-ID"));
    EXPECT_TRUE(isValidationError(
        send(client(), "GET", target + "&last_event_id=" + std::string(bad)), "Last-Event-ID"));
  }
  EXPECT_TRUE(isValidationError(send(client(), "GET", "/notifications/stream?user_id=" + u1_),
                                "project_id"));
}

TEST_F(NotificationStream, HeadDoesNotHang) {
  auto quick = server().client(3s);
  const auto started = SteadyClock::now();
  const auto response = send(*quick, "HEAD", streamTarget(project_, u1_));
  EXPECT_LT(SteadyClock::now() - started, 3s);
  EXPECT_EQ(response.status, 200u);
  EXPECT_TRUE(headerOf(response, "Content-Type").starts_with("text/event-stream"))
      << headerOf(response, "Content-Type");
  EXPECT_EQ(response.body, "");
  // The connection is free for the next request.
  EXPECT_EQ(send(*quick, "GET", "/healthz").status, 200u);

  // And a HEAD left no subscription behind: a later delivery still works as usual.
  SseStream stream;
  ASSERT_TRUE(stream.open(server().port(), streamTarget(project_, u1_))) << stream.error();
  const std::string id = newAlert(client(), project_, {u1_});
  EXPECT_EQ(eventNotificationId(stream.nextEvent(kEventWait)), id);
}

TEST_F(NotificationStream, ClosedClientsFreeTheirResources) {
  constexpr int kStreams = 200;
  const pid_t pid = serverPid(server());
  ASSERT_NE(pid, 0) << "cannot find the server process";
  {
    // Warm up first: database connections open on first use and stay open.
    SseStream warm_up;
    ASSERT_TRUE(warm_up.open(server().port(), streamTarget(project_, u1_))) << warm_up.error();
    const std::string id = newAlert(client(), project_, {u1_});
    ASSERT_EQ(eventNotificationId(warm_up.nextEvent(kEventWait)), id);
    ASSERT_EQ(feedIds(client(), project_, u1_), std::vector<std::string>{id});
  }
  std::this_thread::sleep_for(100ms);  // lets the server see the warm-up stream close
  const std::size_t baseline = openDescriptors(pid);

  {
    std::vector<std::unique_ptr<SseStream>> streams;
    for (int i = 0; i < kStreams; ++i) {
      streams.push_back(std::make_unique<SseStream>());
      ASSERT_TRUE(
          streams.back()->open(server().port(), streamTarget(project_, i % 2 == 0 ? u1_ : u2_)))
          << i << ": " << streams.back()->error();
      ASSERT_EQ(streams.back()->status(), 200u) << i;
    }
    EXPECT_GE(openDescriptors(pid), baseline + kStreams);
    // One event reaches all of them (half are u1's, half u2's).
    const std::string id = newAlert(client(), project_, {u1_, u2_});
    for (int i = 0; i < kStreams; ++i) {
      ASSERT_EQ(eventNotificationId(streams[i]->nextEvent(kEventWait)), id) << i;
    }
  }  // all closed here

  // The server notices every close and releases the connection.
  const auto deadline = SteadyClock::now() + 5s;
  while (openDescriptors(pid) > baseline + 2 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_LE(openDescriptors(pid), baseline + 2) << "descriptors before: " << baseline;

  EXPECT_EQ(send(client(), "GET", "/healthz").status, 200u);
  SseStream fresh;
  ASSERT_TRUE(fresh.open(server().port(), streamTarget(project_, u1_))) << fresh.error();
  const std::string id = newAlert(client(), project_, {u1_});
  EXPECT_EQ(eventNotificationId(fresh.nextEvent(kEventWait)), id);
}

TEST(NotificationStreamHeartbeat, CommentLineWhenIdle) {
  ServerSpec spec;
  spec.extra_args = {"--stream-heartbeat", "200ms"};
  ServerProcess server(spec);
  ASSERT_TRUE(server.ready()) << server.failure();

  SseStream stream;
  const auto opened = SteadyClock::now();
  ASSERT_TRUE(stream.open(server.port(), streamTarget(uniqueId("proj"), uniqueId("u"))))
      << stream.error();
  const auto record = stream.next(1s);
  ASSERT_TRUE(record) << "no heartbeat within 1 s" << server.log();
  EXPECT_TRUE(record->isComment()) << describe(record);
  EXPECT_FALSE(record->comments.empty());
  EXPECT_LT(SteadyClock::now() - opened, 1s);

  // Heartbeats keep coming.
  const auto second = stream.next(1s);
  ASSERT_TRUE(second) << "no second heartbeat";
  EXPECT_TRUE(second->isComment()) << describe(second);
}

TEST(NotificationStreamShutdown, SigtermWithOpenStreamsExitsZeroQuickly) {
  ServerProcess server;
  ASSERT_TRUE(server.ready()) << server.failure();
  const std::string project = uniqueId("proj");
  const std::string user = uniqueId("u");

  std::vector<std::unique_ptr<SseStream>> streams;
  for (int i = 0; i < 3; ++i) {
    streams.push_back(std::make_unique<SseStream>());
    ASSERT_TRUE(streams.back()->open(server.port(), streamTarget(project, user)))
        << streams.back()->error();
  }
  {
    auto client = server.client();
    const std::string id = newAlert(*client, project, {user});
    ASSERT_EQ(eventNotificationId(streams[0]->nextEvent(kEventWait)), id);
  }
  // Only the streams are open now: the webhook's connection has closed and its response
  // is logged (see KeepAliveResponseFinishedDuringShutdownDoesNotDelayExit for the case
  // where it is still being written).
  ASSERT_TRUE(server.waitForLog("POST /webhooks/autoql 200", 2s)) << server.log();

  const auto signalled = SteadyClock::now();
  server.signal(SIGTERM);
  const auto status = server.waitForExit(2s);
  EXPECT_EQ(status, std::optional<int>(0)) << server.log();
  EXPECT_LT(SteadyClock::now() - signalled, 2s) << server.log();
  for (auto& stream : streams) {
    EXPECT_TRUE(stream->waitForEnd(1s)) << "a stream stayed open after the server exited";
  }
}

// A keep-alive response still being written when SIGTERM arrives: once the client has it,
// the connection is idle, and an idle connection must not delay the exit (as for those
// idle when the signal came, see Shutdown.IdleConnectionsDoNotDelayExit).
TEST(NotificationStreamShutdown, KeepAliveResponseFinishedDuringShutdownDoesNotDelayExit) {
  ServerProcess server;
  ASSERT_TRUE(server.ready()) << server.failure();
  auto client = server.client();
  const std::string project = uniqueId("proj");
  // An open stream of another user (a large event would end a stream: see
  // NotificationStream.LargeNotificationReachesAReadingClient).
  SseStream stream;
  ASSERT_TRUE(stream.open(server.port(), streamTarget(project, uniqueId("u")))) << stream.error();

  // A notification large enough that its response cannot be written while unread.
  Alert alert{uniqueId("nt"), project, {uniqueId("u")}};
  alert.query_result = R"({"blob":")" + repeat('x', 12 * 1024 * 1024) + R"("})";
  deliverAlert(*client, alert);

  ASSERT_TRUE(
      client->writeRaw("GET /notifications/" + alert.id + " HTTP/1.1\r\nHost: e2e\r\n\r\n"));
  std::this_thread::sleep_for(300ms);  // the server is now blocked writing the response
  server.signal(SIGTERM);
  ASSERT_TRUE(server.waitForLog("received signal", 2s)) << server.log();

  auto response = client->readResponse();
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->status, 200u);
  const auto received = SteadyClock::now();
  const auto status = server.waitForExit(3s);
  EXPECT_EQ(status, std::optional<int>(0));
  EXPECT_LT(SteadyClock::now() - received, 1s)
      << "the server kept the idle keep-alive connection open before exiting";
  EXPECT_TRUE(stream.waitForEnd(1s));
}

// Streams asked for just before SIGTERM: a stream request still on a worker when the stop
// began used to open afterwards and hold the exit until --shutdown-timeout. Each client
// reads its answer and closes, as an EventSource would.
TEST(NotificationStreamShutdown, StreamsAskedForAsTheStopBeginsDoNotDelayExit) {
  for (int round = 0; round < 3; ++round) {
    ServerProcess server({.extra_args = {"--shutdown-timeout", "5s"}});
    ASSERT_TRUE(server.ready()) << server.failure();
    const std::string project = uniqueId("proj");
    std::vector<std::unique_ptr<http::Client>> clients;
    for (int i = 0; i < 20; ++i) {
      clients.push_back(server.client(3s));
    }
    for (auto& client : clients) {
      ASSERT_TRUE(client->writeRaw("GET " + streamTarget(project, uniqueId("u")) +
                                   " HTTP/1.1\r\nHost: e2e\r\n\r\n"));
    }
    const auto signalled = SteadyClock::now();
    server.signal(SIGTERM);
    for (auto& client : clients) {
      auto answer = client->readResponse();  // a 503, or a stream the stop ended
      if (answer) {
        EXPECT_TRUE(answer->status == 503 || answer->status == 200) << answer->status;
      }
      client->close();
    }
    EXPECT_EQ(server.waitForExit(8s), std::optional<int>(0));
    EXPECT_LT(SteadyClock::now() - signalled, 2s)
        << "a stream opened during the stop held it: " << server.log();
  }
}

}  // namespace
}  // namespace autoql::e2e
