// Who is calling, and for whom they may act (DESIGN 4).
//
// With no JWT configured, callers name the project and user they act for in the request,
// as in the Flask sample. With JWT, a bearer token names them, and a project_id or
// user_id in the request must agree with it (403 otherwise) or is taken from it when
// absent; another user's data is reported as not found. The admin token may read any
// user's data in the project a request names and write project-level data (Query Quick
// Start); it writes no user's data.
//
// The Authenticator is immutable after construction and safe to share between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"
#include "security/jwt.h"
#include "util/result.h"

namespace autoql::api {

struct Caller {
  enum class Kind { kAnonymous, kUser, kAdmin };
  Kind kind = Kind::kAnonymous;
  std::string project_id;  // kUser: from the token
  std::string user_id;     // kUser: from the token
};

// The project and user a request acts for, after checking them against the caller.
struct Owner {
  std::string project_id;
  std::string user_id;
};

class Authenticator {
 public:
  // `jwt` unset: identities come from requests. `admin_token` empty: no admin.
  Authenticator(std::optional<security::JwtVerifier> jwt, std::string admin_token);

  // True when bearer tokens are required.
  bool required() const { return jwt_.has_value(); }

  // True when project-level writes need the admin token.
  bool adminRequiredForProjectWrites() const { return required() || !admin_digest_.empty(); }

  // Identifies the caller from the Authorization header (or, with `query_token`, from
  // ?access_token when the header is absent: browsers' EventSource cannot set headers).
  // 401 problem+json with WWW-Authenticate: Bearer when tokens are required and the
  // request has no valid one.
  Result<Caller, http::Response> authenticate(const http::Request& request,
                                              bool query_token = false) const;

 private:
  bool isAdminToken(std::string_view token) const;

  std::optional<security::JwtVerifier> jwt_;
  std::string admin_digest_;  // SHA-256 of the admin token, compared in constant time
};

// Resolves the owner a request names (each value nullopt when the request does not name
// it) against the caller. Anonymous and admin callers must name both (400 naming what is
// missing); a user's own values fill what is absent, and a different value is 403.
Result<Owner, http::Response> resolveOwner(const Caller& caller,
                                           const std::optional<std::string>& project_id,
                                           const std::optional<std::string>& user_id);

// For routes that address one resource by id: a user caller whose request names another
// project_id or user_id in the query string gets 403, as on every other route.
std::optional<http::Response> checkNamedIdentity(const Caller& caller,
                                                 const http::Request& request);

// The same for routes scoped to a project only.
Result<std::string, http::Response> resolveProject(const Caller& caller,
                                                   const std::optional<std::string>& project_id);

// Whether the caller may read, or write, data that belongs to this project and user.
bool mayRead(const Caller& caller, std::string_view project_id, std::string_view user_id);
bool mayWrite(const Caller& caller, std::string_view project_id, std::string_view user_id);

// 403 problem+json.
http::Response forbidden(std::string detail);

}  // namespace autoql::api
