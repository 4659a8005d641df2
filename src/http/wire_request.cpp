#include "http/wire_request.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cstdint>
#include <random>
#include <string_view>
#include <utility>

namespace autoql::http {
namespace {

namespace bhttp = boost::beast::http;

// A client-supplied X-Request-Id longer than this, or with other characters than
// [A-Za-z0-9._:-], is replaced by a generated one (it goes into every log line).
constexpr std::size_t kMaxRequestIdLength = 128;

bool isRequestIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':';
}

Method toMethod(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get:
      return Method::kGet;
    case bhttp::verb::head:
      return Method::kHead;
    case bhttp::verb::post:
      return Method::kPost;
    case bhttp::verb::put:
      return Method::kPut;
    case bhttp::verb::patch:
      return Method::kPatch;
    case bhttp::verb::delete_:
      return Method::kDelete;
    case bhttp::verb::options:
      return Method::kOptions;
    default:
      return Method::kOther;
  }
}

std::string requestIdFor(const WireRequest& message) {
  const auto given = message["X-Request-Id"];
  const bool usable = !given.empty() && given.size() <= kMaxRequestIdLength &&
                      std::all_of(given.begin(), given.end(), isRequestIdChar);
  return usable ? std::string(given) : newRequestId();
}

bool parseTarget(std::string_view target, Request& request) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    auto absolute = boost::urls::parse_absolute_uri(target);
    if (!absolute || (absolute->scheme() != "http" && absolute->scheme() != "https")) {
      return false;
    }
    return parseTarget(absolute->encoded_resource().empty() ? "/" : absolute->encoded_resource(),
                       request);
  }
  for (auto segment : url->segments()) {
    request.segments.emplace_back(segment);
  }
  for (auto param : url->params()) {
    request.query.emplace_back(param.key, param.value);
  }
  return true;
}

}  // namespace

std::string newRequestId() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::uint64_t bits = generator();
  std::string id(16, '0');
  for (char& c : id) {
    c = kDigits[bits & 0xf];
    bits >>= 4;
  }
  return id;
}

// Request smuggling defence (RFC 9112 6.1 and 6.3): a Transfer-Encoding other than exactly
// "chunked" leaves the body's length to interpretation, so such a request is refused.
// (Content-Length together with Transfer-Encoding is refused by the parser itself.)
bool hasClearFraming(const WireRequest& message) {
  const auto [first, last] = message.equal_range(bhttp::field::transfer_encoding);
  if (first == last) {
    return true;
  }
  std::string_view value = first->value();
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
    value.remove_suffix(1);
  }
  return std::next(first) == last && equalsIgnoreCase(value, "chunked");
}

bool readRequest(WireRequest& message, Request& request) {
  request.method = toMethod(message.method());
  request.method_text = std::string(message.method_string());
  request.target = std::string(message.target());
  request.request_id = requestIdFor(message);
  if (!parseTarget(message.target(), request)) {
    return false;
  }

  for (const auto& field : message) {
    request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  request.body = std::move(message.body());
  return true;
}

}  // namespace autoql::http
