#include "api/common.h"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <charconv>

#include "api/json_writer.h"
#include "domain/json_text.h"
#include "domain/notification.h"
#include "http/dispatcher.h"
#include "http/problem.h"
#include "util/log.h"

namespace autoql::api {
namespace {

bool isJsonMediaType(std::string_view value) {
  const std::string_view type = value.substr(0, value.find(';'));
  std::string_view trimmed = type;
  while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t')) {
    trimmed.remove_suffix(1);
  }
  if (http::equalsIgnoreCase(trimmed, "application/json")) {
    return true;
  }
  // Structured syntax suffix (RFC 6839), e.g. application/merge-patch+json.
  return trimmed.size() > 5 && http::equalsIgnoreCase(trimmed.substr(trimmed.size() - 5), "+json");
}

std::optional<std::uint64_t> parseDigits(std::string_view text) {
  if (text.empty() || text.size() > 19) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

Result<boost::json::value, http::Response> readJsonBody(const http::Request& request,
                                                        const ApiLimits& limits, bool any_type) {
  const auto type = request.header("Content-Type");
  if (!any_type && (!type || !isJsonMediaType(*type))) {
    return http::problemResponse(415, "unsupported_media_type", "Unsupported media type",
                                 "The body must be sent as Content-Type: application/json.");
  }
  if (request.body.empty()) {
    return http::problemResponse(400, "invalid_json", "Invalid JSON",
                                 "The request body is empty; a JSON object is expected.");
  }
  auto parsed = domain::parseJson(request.body, limits.max_json_depth);
  if (!parsed) {
    return http::problemResponse(400, "invalid_json", "Invalid JSON",
                                 "The body is not valid JSON: " + parsed.error() + ".");
  }
  return std::move(parsed).value();
}

http::Response validationFailed(const domain::FieldErrors& errors) {
  http::Problem problem{400,
                        "validation_failed",
                        "Validation failed",
                        "The request has invalid fields; see errors.",
                        {},
                        {}};
  for (const auto& error : errors) {
    problem.errors.emplace_back(error.field, error.message);
  }
  return http::problemResponse(problem);
}

http::Response storeFailure(const Error& error, const http::Request& request,
                            std::string_view what) {
  static const auto log = componentLogger("store");
  switch (error.code) {
    case Errc::kNotFound:
      return notFound(what);
    case Errc::kConflict:
      log->warn("conflict for {} {}: {} (request {})", http::methodName(request.method),
                request.route, error.detail, request.request_id);
      return http::problemResponse(409, "conflict", "Conflict",
                                   "The request conflicts with the stored state.");
    case Errc::kOverloaded:
      log->warn("store queue full for {} {}: {} (request {})", http::methodName(request.method),
                request.route, error.detail, request.request_id);
      return http::overloadedResponse();
    case Errc::kUnavailable: {
      log->warn("database unavailable for {} {}: {} (request {})", http::methodName(request.method),
                request.route, error.detail, request.request_id);
      auto response = http::problemResponse(
          503, "storage_unavailable", "Storage unavailable",
          "The database cannot serve this request now; nothing was changed. Retry shortly.");
      response.setHeader("Retry-After", std::to_string(http::kRetryAfterSeconds));
      return response;
    }
    case Errc::kInternal:
      break;
  }
  log->error("database error for {} {}: {} (request {})", http::methodName(request.method),
             request.route, error.detail, request.request_id);
  return http::problemResponse(500, "internal_error", "Internal error",
                               "The server failed to handle this request; it has been logged.");
}

http::Response notFound(std::string_view what) {
  return http::problemResponse(404, "not_found", "Not found",
                               "No " + std::string(what) + " exists here.");
}

std::optional<std::int64_t> parseId(std::string_view text) {
  if (!text.empty() && text.front() == '0') {
    return std::nullopt;  // one spelling per id: "01" is not 1
  }
  auto value = parseDigits(text);
  if (!value || *value == 0 || *value > static_cast<std::uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(*value);
}

std::optional<std::size_t> pagingParam(const http::Request& request, std::string_view name,
                                       std::size_t min, std::size_t max,
                                       domain::FieldErrors& errors) {
  const auto text = request.queryParam(name);
  if (!text) {
    return std::nullopt;
  }
  auto value = parseDigits(*text);
  if (!value || *value < min || *value > max) {
    errors.push_back({std::string(name), "must be an integer from " + std::to_string(min) + " to " +
                                             std::to_string(max)});
    return std::nullopt;
  }
  return static_cast<std::size_t>(*value);
}

domain::VersionCondition ifMatchCondition(const http::Request& request) {
  domain::VersionCondition condition;
  const auto header = request.header("If-Match");
  if (!header) {
    return condition;
  }
  std::string_view rest = *header;
  condition.any = false;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view tag = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) {
      tag.remove_prefix(1);
    }
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) {
      tag.remove_suffix(1);
    }
    if (tag == "*" && condition.versions.empty() && rest.empty()) {
      condition.any = true;  // "*" only counts alone; in a list it matches nothing
      return condition;
    }
    if (tag.size() >= 3 && tag.front() == '"' && tag.back() == '"') {
      if (auto version = parseId(tag.substr(1, tag.size() - 2))) {
        condition.versions.push_back(*version);
      }
    }
  }
  return condition;
}

Result<std::string, http::Response> callerUserId(const http::Request& request) {
  auto user_id = queryString(request, "user_id");
  if (!user_id) {
    return std::string();
  }
  if (std::string problem = domain::checkText(*user_id, domain::kMaxUserIdChars);
      !problem.empty()) {
    return validationFailed({{"user_id", std::move(problem)}});
  }
  return std::move(*user_id);
}

bool isNotificationId(std::string_view id) {
  return domain::checkText(id, domain::kMaxNotificationIdChars).empty();
}

std::string nextLink(std::string_view path,
                     const std::vector<std::pair<std::string_view, std::string>>& params) {
  std::string link = "<";
  link += path;
  char separator = '?';
  for (const auto& [name, value] : params) {
    link += separator;
    link += boost::urls::encode(name, boost::urls::unreserved_chars);
    link += '=';
    link += boost::urls::encode(value, boost::urls::unreserved_chars);
    separator = '&';
  }
  return link + ">; rel=\"next\"";
}

std::optional<std::string> bodyString(const boost::json::object& object, std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) {
    return std::nullopt;
  }
  return std::string(value->get_string());
}

std::string jsonString(std::string_view text) {
  std::string out;
  appendJsonString(out, text);
  return out;
}

std::optional<std::string> queryString(const http::Request& request, std::string_view name) {
  auto value = request.queryParam(name);
  if (!value) {
    return std::nullopt;
  }
  return std::string(*value);
}

}  // namespace autoql::api
