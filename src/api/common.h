// What every API handler shares: reading a JSON body under the limits, the 400 for
// field errors, the one table that maps a store error to an HTTP status, and the
// parsing of ids and paging parameters. Pure functions, safe from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/dashboard.h"
#include "domain/validation.h"
#include "http/message.h"
#include "util/result.h"

namespace autoql::api {

struct ApiLimits {
  std::size_t max_json_depth = 64;
};

// Parses the body as strict JSON. Unless `any_type`, refuses a missing Content-Type or
// one other than JSON (415): another site's page can send those without a CORS
// preflight, so accepting them would let it write here. Refuses an empty body and
// malformed JSON (400 invalid_json, with where it stopped).
Result<boost::json::value, http::Response> readJsonBody(const http::Request& request,
                                                        const ApiLimits& limits,
                                                        bool any_type = false);

// 400 validation_failed listing every field error.
http::Response validationFailed(const domain::FieldErrors& errors);

// Maps a store error to its response (kNotFound: 404 naming `what`) and logs it with the
// request id. The client never sees the error's detail.
http::Response storeFailure(const Error& error, const http::Request& request,
                            std::string_view what = "resource");

// 404 not_found for `what` ("dashboard", "notification").
http::Response notFound(std::string_view what);

// Parses a positive decimal id from a path segment; nullopt for anything else.
std::optional<std::int64_t> parseId(std::string_view text);

// Parses an optional integer query parameter from `min` to `max`. Appends a field error
// when present and not valid.
std::optional<std::size_t> pagingParam(const http::Request& request, std::string_view name,
                                       std::size_t min, std::size_t max,
                                       domain::FieldErrors& errors);

// A Link header value for the next page: `path` with `params` percent-encoded (every
// byte but the RFC 3986 unreserved ones, so that '+' and '&' survive), rel="next".
std::string nextLink(std::string_view path,
                     const std::vector<std::pair<std::string_view, std::string>>& params);

// Largest `offset` accepted by paged lists.
constexpr std::size_t kMaxOffset = 1'000'000'000;

// The condition an If-Match header puts on a write (RFC 9110 13.1.1): absent or "*"
// allows any version; otherwise the stored version must equal one of the strong entity
// tags "<version>" listed (a weak or malformed tag matches nothing).
domain::VersionCondition ifMatchCondition(const http::Request& request);

// The user a write is attributed to: ?user_id when given; empty otherwise (the store
// then attributes it to the owner). 400 when ?user_id is not a valid user id.
Result<std::string, http::Response> callerUserId(const http::Request& request);

// True when `id` could name a stored notification (the validation the webhook applies);
// other path segments answer 404 without a database round trip.
bool isNotificationId(std::string_view id);

// A string member of a JSON object; nullopt when absent or not a string.
std::optional<std::string> bodyString(const boost::json::object& object, std::string_view name);

// `text` as a JSON string literal, quoted and escaped.
std::string jsonString(std::string_view text);

// Returns an optional query parameter as a string.
std::optional<std::string> queryString(const http::Request& request, std::string_view name);

}  // namespace autoql::api
