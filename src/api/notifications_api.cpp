#include "api/notifications_api.h"

#include "api/json_writer.h"
#include "domain/json_text.h"
#include "http/event_stream.h"
#include "util/time_format.h"

namespace autoql::api {
namespace {

namespace json = boost::json;

// Cursors look like "c" + the sequence number in decimal, base64url-encoded without
// padding, so that clients treat them as opaque and the format can change.
constexpr char kCursorTag = 'c';
// The last second of year 9999: the largest `before` a timestamp can be.
constexpr std::int64_t kMaxUnixSeconds = 253402300799;
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The recipient a request acts for: the caller, checked against the project_id and
// user_id named in the query string or else in the body (a PUT's). With `write`, an
// admin caller is refused: it reads users' feeds but does not change them.
Result<Owner, http::Response> identify(const Authenticator& auth, const http::Request& request,
                                       const json::object* body = nullptr, bool write = false,
                                       bool query_token = false) {
  auto caller = auth.authenticate(request, query_token);
  if (!caller) {
    return caller.error();
  }
  auto pick = [&](std::string_view name) -> std::optional<std::string> {
    if (auto value = queryString(request, name)) {
      return value;
    }
    return body != nullptr ? bodyString(*body, name) : std::nullopt;
  };
  auto owner = resolveOwner(*caller, pick("project_id"), pick("user_id"));
  if (owner && write && !mayWrite(*caller, owner->project_id, owner->user_id)) {
    return forbidden("The admin token reads users' notifications but does not change them.");
  }
  return owner;
}

std::optional<domain::NotificationState> readState(const json::value* value,
                                                   domain::FieldErrors& errors) {
  if (value == nullptr) {
    errors.push_back({"state", "is required"});
    return std::nullopt;
  }
  const json::string* name = value->if_string();
  auto state = name ? domain::parseStateName(*name) : std::nullopt;
  if (!state) {
    errors.push_back({"state", "must be one of " + std::string(domain::kStateNames)});
  }
  return state;
}

// `before` of a bulk state change: Unix seconds, or an ISO 8601 UTC timestamp.
std::optional<std::int64_t> readBefore(const json::value* value, domain::FieldErrors& errors) {
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (value->is_int64() && value->get_int64() >= 0 && value->get_int64() <= kMaxUnixSeconds) {
    return value->get_int64() * 1000;
  }
  if (const json::string* text = value->if_string()) {
    if (auto millis = parseIsoMillis(*text)) {
      return millis;
    }
  }
  errors.push_back({"before", "must be Unix seconds or an ISO 8601 UTC timestamp"});
  return std::nullopt;
}

// A validated state change: who it is for, the new state, and (bulk only) `before`.
struct StateChange {
  Owner who;
  domain::NotificationState state;
  std::optional<std::int64_t> before;
};

Result<StateChange, http::Response> readStateChange(const Authenticator& auth,
                                                    const http::Request& request,
                                                    const ApiLimits& limits, bool with_before) {
  auto body = readJsonBody(request, limits);
  if (!body) {
    return body.error();
  }
  const json::object* object = body->if_object();
  auto who = identify(auth, request, object, /*write=*/true);
  if (!who) {
    return who.error();
  }
  domain::FieldErrors errors;
  const auto state = readState(object ? object->if_contains("state") : nullptr, errors);
  std::optional<std::int64_t> before;
  if (with_before) {
    before = readBefore(object ? object->if_contains("before") : nullptr, errors);
  }
  if (!errors.empty()) {
    return validationFailed(errors);
  }
  return StateChange{std::move(*who), *state, before};
}

std::string nextFeedLink(const http::Request& request, const Owner& who, std::size_t limit,
                         std::int64_t last_seq) {
  std::vector<std::pair<std::string_view, std::string>> params{{"project_id", who.project_id},
                                                               {"user_id", who.user_id}};
  if (auto state = request.queryParam("state")) {
    params.emplace_back("state", std::string(*state));
  }
  params.emplace_back("limit", std::to_string(limit));
  params.emplace_back("cursor", encodeCursor(last_seq));
  return nextLink("/notifications", params);
}

}  // namespace

std::string encodeCursor(std::int64_t seq) {
  const std::string plain = kCursorTag + std::to_string(seq);
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : plain) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kBase64Url[(bits >> count) & 0x3F]);
    }
  }
  if (count > 0) {
    out.push_back(kBase64Url[(bits << (6 - count)) & 0x3F]);
  }
  return out;
}

std::optional<std::int64_t> decodeCursor(std::string_view cursor) {
  std::string plain;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : cursor) {
    const std::size_t index = kBase64Url.find(c);
    if (index == std::string_view::npos) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(index);
    count += 6;
    if (count >= 8) {
      count -= 8;
      plain.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  if (plain.size() < 2 || plain.front() != kCursorTag) {
    return std::nullopt;
  }
  auto seq = parseId(std::string_view(plain).substr(1));
  if (!seq || encodeCursor(*seq) != cursor) {
    return std::nullopt;  // only the canonical spelling is accepted
  }
  return seq;
}

namespace {

// The members that a notification and a feed item share, in their order.
void writeAlertMembers(JsonObjectWriter& object, const domain::Notification& n) {
  object.string("notification_id", n.notification_id)
      .string("data_alert_id", n.data_alert_id)
      .string("project_id", n.project_id)
      .string("event", n.event)
      .string("title", n.title)
      .string("message", n.message);
}

// The recipient's state, or null when it was not read for one.
std::optional<std::string_view> stateOf(std::optional<domain::NotificationState> state) {
  if (!state) {
    return std::nullopt;
  }
  return domain::stateName(*state);
}

}  // namespace

void appendNotificationContent(std::string& out, const domain::Notification& n) {
  JsonObjectWriter object(out);
  writeAlertMembers(object, n);
  object.strings("users", n.users)
      .time("created_at", n.created_at_ms)
      .string("data_return_query", n.data_return_query)
      .raw("query_result", n.query_result_json)
      .time("received_at", n.received_at_ms);
}

void appendNotificationState(std::string& out, std::optional<domain::NotificationState> state) {
  JsonObjectWriter::continuing(out).optionalString("state", stateOf(state)).close();
}

void appendNotificationJson(std::string& out, const storage::NotificationRecord& record) {
  appendNotificationContent(out, record.notification);
  appendNotificationState(out, record.state);
}

std::string notificationJson(const storage::NotificationRecord& record) {
  std::string out;
  out.reserve(record.notification.query_result_json.size() + 512);
  appendNotificationJson(out, record);
  return out;
}

void appendFeedItemJson(std::string& out, const storage::NotificationRecord& record) {
  const domain::Notification& n = record.notification;
  JsonObjectWriter object(out);
  object.string("id", n.notification_id);
  writeAlertMembers(object, n);
  object.integer("created_at", n.created_at_ms / 1000)
      .string("data_return_query", n.data_return_query)
      .optionalString("state", stateOf(record.state))
      .integer("seq", n.seq)
      .close();
}

std::string feedItemJson(const storage::NotificationRecord& record) {
  std::string out;
  appendFeedItemJson(out, record);
  return out;
}

NotificationsApi::NotificationsApi(storage::Store& store, NotificationHub& hub,
                                   const Authenticator& auth, ApiLimits limits)
    : store_(store),
      hub_(hub),
      auth_(auth),
      limits_(limits),
      rendered_(kRenderedNotificationBytes) {}

void NotificationsApi::registerRoutes(http::Router& router) {
  using http::Method;
  auto bind = [this](http::Response (NotificationsApi::*handler)(const http::Request&)) {
    return [this, handler](const http::Request& r) { return (this->*handler)(r); };
  };
  using http::Execution;
  // On a worker: the stream, whose replay may read up to a thousand events, and the
  // summary, whose counts grow with the user's whole feed.
  router.add(Method::kGet, "/notifications", bind(&NotificationsApi::feed), Execution::kRead);
  router.add(Method::kPut, "/notifications", bind(&NotificationsApi::setAllStates));
  router.add(Method::kGet, "/notifications/summary", bind(&NotificationsApi::summary));
  router.add(Method::kGet, "/notifications/stream", bind(&NotificationsApi::stream));
  router.add(Method::kGet, "/notifications/{id}", bind(&NotificationsApi::get), Execution::kRead);
  router.add(Method::kPut, "/notifications/{id}", bind(&NotificationsApi::setState));
  router.add(Method::kDelete, "/notifications/{id}", bind(&NotificationsApi::remove));
  router.add(Method::kGet, "/api/v1/rule-notifications/{id}", bind(&NotificationsApi::get),
             Execution::kRead);
}

http::Response NotificationsApi::get(const http::Request& request) {
  auto caller = auth_.authenticate(request);
  if (!caller) {
    return caller.error();
  }
  if (auto refused = checkNamedIdentity(*caller, request)) {
    return std::move(*refused);
  }
  if (!isNotificationId(request.pathParam("id"))) {
    return notFound("notification");
  }
  const bool as_user = caller->kind == Caller::Kind::kUser;
  auto user_id =
      as_user ? Result<std::string, http::Response>(caller->user_id) : callerUserId(request);
  if (!user_id) {
    return user_id.error();
  }
  const std::string_view id = request.pathParam("id");
  // A user sees only what is in their own feed: addressed to them, in their project.
  const auto hidden = [&](const std::optional<domain::NotificationState>& state,
                          std::string_view project_id) {
    return as_user && (!state || project_id != caller->project_id);
  };

  // A local store first reads where the recipient's copy stands, from its indexes; the
  // content, which never changes, then comes from memory when held. Where each read is a
  // round trip (PostgreSQL), one read of everything costs less than two.
  const bool from_memory = store_.readsAreLocal();
  if (from_memory) {
    auto standing = store_.findNotification(id, *user_id);
    if (!standing) {
      return storeFailure(standing.error(), request, "notification");
    }
    if (hidden(standing->state, standing->project_id)) {
      return notFound("notification");
    }
    std::string body;
    if (rendered_.appendTo(body, {standing->seq, 0})) {
      appendNotificationState(body, standing->state);
      return http::jsonResponse(200, std::move(body));
    }
  }

  auto record = store_.getNotification(id, *user_id);
  if (!record) {
    return storeFailure(record.error(), request, "notification");
  }
  if (hidden(record->state, record->notification.project_id)) {
    return notFound("notification");
  }
  const domain::Notification& n = record->notification;
  std::string body;
  body.reserve(n.query_result_json.size() + 512);
  appendNotificationContent(body, n);
  if (from_memory) {
    rendered_.hold({n.seq, 0}, body);
  }
  appendNotificationState(body, record->state);
  return http::jsonResponse(200, std::move(body));
}

http::Response NotificationsApi::feed(const http::Request& request) {
  auto who = identify(auth_, request);
  if (!who) {
    return who.error();
  }
  domain::FieldErrors errors;
  domain::FeedQuery query{who->project_id, who->user_id, std::nullopt, std::nullopt,
                          kDefaultFeedPage};
  if (auto state = request.queryParam("state")) {
    query.state = domain::parseStateName(*state);
    if (!query.state) {
      errors.push_back({"state", "must be one of " + std::string(domain::kStateNames)});
    }
  }
  if (auto limit = pagingParam(request, "limit", 1, kMaxFeedPage, errors)) {
    query.limit = *limit;
  }
  if (auto cursor = request.queryParam("cursor")) {
    query.before_seq = decodeCursor(*cursor);
    if (!query.before_seq) {
      errors.push_back({"cursor", "is not a cursor from a Link header of this feed"});
    }
  }
  if (!errors.empty()) {
    return validationFailed(errors);
  }

  // One row more than the page tells whether a next page exists.
  const std::size_t page = query.limit;
  query.limit = page + 1;
  auto records = store_.listFeed(query);
  if (!records) {
    return storeFailure(records.error(), request);
  }
  const bool more = records->size() > page;
  if (more) {
    records->pop_back();
  }

  std::string body = "[";
  for (const auto& record : *records) {
    body += body.size() > 1 ? "," : "";
    appendFeedItemJson(body, record);
  }
  body += "]";
  http::Response response = http::jsonResponse(200, std::move(body));
  if (more) {
    response.setHeader("Link", nextFeedLink(request, *who, page, records->back().notification.seq));
  }
  return response;
}

http::Response NotificationsApi::summary(const http::Request& request) {
  auto who = identify(auth_, request);
  if (!who) {
    return who.error();
  }
  auto counts = store_.countFeed(who->project_id, who->user_id);
  if (!counts) {
    return storeFailure(counts.error(), request);
  }
  const std::int64_t total = counts->unacknowledged + counts->acknowledged + counts->dismissed;
  return http::jsonResponse(200, "{\"unacknowledged\":" + std::to_string(counts->unacknowledged) +
                                     ",\"acknowledged\":" + std::to_string(counts->acknowledged) +
                                     ",\"dismissed\":" + std::to_string(counts->dismissed) +
                                     ",\"total\":" + std::to_string(total) + "}");
}

http::Response NotificationsApi::setState(const http::Request& request) {
  auto change = readStateChange(auth_, request, limits_, /*with_before=*/false);
  if (!change) {
    return change.error();
  }
  if (!isNotificationId(request.pathParam("id"))) {
    return notFound("notification");
  }
  auto record = store_.setNotificationState(request.pathParam("id"), change->who.project_id,
                                            change->who.user_id, change->state);
  if (!record) {
    return storeFailure(record.error(), request, "notification");
  }
  return http::jsonResponse(200, notificationJson(*record));
}

http::Response NotificationsApi::setAllStates(const http::Request& request) {
  auto change = readStateChange(auth_, request, limits_, /*with_before=*/true);
  if (!change) {
    return change.error();
  }
  auto changed = store_.setAllNotificationStates(change->who.project_id, change->who.user_id,
                                                 change->state, change->before);
  if (!changed) {
    return storeFailure(changed.error(), request);
  }
  return http::jsonResponse(200, "{\"updated\":" + std::to_string(*changed) + "}");
}

http::Response NotificationsApi::remove(const http::Request& request) {
  auto who = identify(auth_, request, nullptr, /*write=*/true);
  if (!who) {
    return who.error();
  }
  if (!isNotificationId(request.pathParam("id"))) {
    return notFound("notification");
  }
  auto removed = store_.removeFromFeed(request.pathParam("id"), who->project_id, who->user_id);
  if (!removed) {
    return storeFailure(removed.error(), request, "notification");
  }
  http::Response response;
  response.status = 204;
  return response;
}

http::Response NotificationsApi::stream(const http::Request& request) {
  auto who = identify(auth_, request, nullptr, /*write=*/false, /*query_token=*/true);
  if (!who) {
    return who.error();
  }
  // EventSource sends Last-Event-ID on reconnect; ?last_event_id serves clients that
  // cannot set headers on the first connection.
  auto last_text = request.header("Last-Event-ID");
  if (!last_text) {
    last_text = request.queryParam("last_event_id");
  }
  std::optional<std::int64_t> last_seen;
  if (last_text && !last_text->empty()) {
    last_seen = *last_text == "0" ? std::optional<std::int64_t>(0) : parseId(*last_text);
    if (!last_seen) {
      return validationFailed({{"Last-Event-ID", "must be an id from this stream's events"}});
    }
  }

  // Subscribe before reading the backlog: what commits in between is then in one of the
  // two, and the subscription drops the duplicates.
  auto subscription = hub_.subscribe(who->project_id, who->user_id);
  if (last_seen) {
    auto missed = store_.feedSince(who->project_id, who->user_id, *last_seen, kMaxStreamReplay);
    if (!missed) {
      subscription->detach();
      return storeFailure(missed.error(), request);
    }
    for (const auto& record : *missed) {
      subscription->deliver(record.notification.seq, notificationEvent(record));
    }
    if (missed->size() == kMaxStreamReplay) {
      subscription->endAfterReplay();  // more remain: the client resumes from the last id
    }
  }

  http::Response response;
  response.content_type = "text/event-stream; charset=utf-8";
  response.events = std::move(subscription);
  return response;
}

}  // namespace autoql::api
