// The request and response as handlers see them: plain values with no Boost.Beast types,
// so that handlers and their tests stay cheap to compile. The server (server.h) fills a
// Request from the wire and writes a Response back. A Request is read-only once built;
// neither type is shared between threads while in use.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autoql::http {

class EventSource;

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

std::string_view methodName(Method method);

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  Method method = Method::kGet;
  std::string method_text;            // as received, e.g. "GET" or "BREW"
  std::string target;                 // as received, e.g. "/dashboards?user_id=u1"
  std::vector<std::string> segments;  // the path's segments, percent-decoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::vector<Header> headers;
  std::string body;
  std::string request_id;
  // Filled by the router: the matched route template and its {parameters}.
  std::string route;
  std::vector<std::pair<std::string, std::string>> path_params;

  // Returns the first header with this name (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;

  // Returns the first query parameter with this name, or nullopt.
  std::optional<std::string_view> queryParam(std::string_view name) const;

  // Returns the path parameter bound by the route, or an empty view.
  std::string_view pathParam(std::string_view name) const;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::vector<Header> headers;
  std::string body;
  std::string route;  // the matched route template, for the access log; not sent
  // When set, the response is a stream of Server-Sent Events (see event_stream.h) and
  // `body` is ignored.
  std::shared_ptr<EventSource> events;

  void setHeader(std::string name, std::string value);
};

// Sends the response to a request. Called exactly once, from any thread.
using Responder = std::function<void(Response)>;

// A 200..299 response with `body` as JSON.
Response jsonResponse(unsigned status, std::string body);

bool equalsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace autoql::http
