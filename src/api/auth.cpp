#include "api/auth.h"

#include <spdlog/spdlog.h>

#include "api/common.h"
#include "domain/json_text.h"
#include "domain/validation.h"
#include "http/problem.h"
#include "security/crypto.h"
#include "util/log.h"

namespace autoql::api {
namespace {

constexpr std::string_view kBearer = "Bearer ";

http::Response unauthorized(std::string detail) {
  http::Response response =
      http::problemResponse(401, "unauthorized", "Unauthorized", std::move(detail));
  response.setHeader("WWW-Authenticate", "Bearer realm=\"autoql-backend\"");
  return response;
}

// The token of "Authorization: Bearer <token>" (the scheme is case-insensitive).
std::optional<std::string_view> bearerToken(const http::Request& request) {
  const auto header = request.header("Authorization");
  if (!header || header->size() <= kBearer.size() ||
      !http::equalsIgnoreCase(header->substr(0, kBearer.size()), kBearer)) {
    return std::nullopt;
  }
  std::string_view token = header->substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') {
    token.remove_prefix(1);
  }
  return token;
}

// Checks one identity value the request names against the caller's own.
std::optional<http::Response> checkNamed(const std::optional<std::string>& named,
                                         const std::string& own, std::string_view field) {
  if (named && *named != own) {
    return forbidden("The " + std::string(field) + " in the request is not the one in your token.");
  }
  return std::nullopt;
}

}  // namespace

http::Response forbidden(std::string detail) {
  return http::problemResponse(403, "forbidden", "Forbidden", std::move(detail));
}

Authenticator::Authenticator(std::optional<security::JwtVerifier> jwt, std::string admin_token)
    : jwt_(std::move(jwt)),
      admin_digest_(admin_token.empty() ? std::string() : security::sha256Hex(admin_token)) {}

bool Authenticator::isAdminToken(std::string_view token) const {
  // Digests have one length, so the comparison time says nothing about the token's.
  return !admin_digest_.empty() &&
         security::constantTimeEqual(security::sha256Hex(token), admin_digest_);
}

Result<Caller, http::Response> Authenticator::authenticate(const http::Request& request,
                                                           bool query_token) const {
  auto token = bearerToken(request);
  if (!token && query_token) {
    token = request.queryParam("access_token");
  }
  if (token && isAdminToken(*token)) {
    return Caller{Caller::Kind::kAdmin, {}, {}};
  }
  if (!jwt_) {
    return Caller{};
  }
  if (!token) {
    return unauthorized("This route needs Authorization: Bearer <token>.");
  }

  auto identity = jwt_->verify(*token);
  if (!identity) {
    static const auto log = componentLogger("auth");
    log->info("refused a bearer token: {} (request {})", security::describe(identity.error()),
              request.request_id);
    return unauthorized(
        "The bearer token was refused: " + std::string(security::describe(identity.error())) + ".");
  }
  return Caller{Caller::Kind::kUser, std::move(identity->project_id), std::move(identity->user_id)};
}

Result<Owner, http::Response> resolveOwner(const Caller& caller,
                                           const std::optional<std::string>& project_id,
                                           const std::optional<std::string>& user_id) {
  if (caller.kind == Caller::Kind::kUser) {
    if (auto refused = checkNamed(project_id, caller.project_id, "project_id")) {
      return std::move(*refused);
    }
    if (auto refused = checkNamed(user_id, caller.user_id, "user_id")) {
      return std::move(*refused);
    }
    return Owner{caller.project_id, caller.user_id};
  }

  domain::FieldErrors errors;
  domain::checkOwner(project_id, user_id, errors);
  if (!errors.empty()) {
    return validationFailed(errors);
  }
  return Owner{*project_id, *user_id};
}

std::optional<http::Response> checkNamedIdentity(const Caller& caller,
                                                 const http::Request& request) {
  if (caller.kind != Caller::Kind::kUser) {
    return std::nullopt;
  }
  if (auto refused =
          checkNamed(queryString(request, "project_id"), caller.project_id, "project_id")) {
    return refused;
  }
  return checkNamed(queryString(request, "user_id"), caller.user_id, "user_id");
}

Result<std::string, http::Response> resolveProject(const Caller& caller,
                                                   const std::optional<std::string>& project_id) {
  if (caller.kind == Caller::Kind::kUser) {
    if (auto refused = checkNamed(project_id, caller.project_id, "project_id")) {
      return std::move(*refused);
    }
    return caller.project_id;
  }
  domain::FieldErrors errors;
  if (!project_id) {
    errors.push_back({"project_id", "is required"});
  } else if (std::string problem = domain::checkText(*project_id, domain::kMaxProjectIdChars);
             !problem.empty()) {
    errors.push_back({"project_id", std::move(problem)});
  }
  if (!errors.empty()) {
    return validationFailed(errors);
  }
  return *project_id;
}

bool mayRead(const Caller& caller, std::string_view project_id, std::string_view user_id) {
  return caller.kind != Caller::Kind::kUser ||
         (caller.project_id == project_id && caller.user_id == user_id);
}

bool mayWrite(const Caller& caller, std::string_view project_id, std::string_view user_id) {
  return caller.kind != Caller::Kind::kAdmin && mayRead(caller, project_id, user_id);
}

}  // namespace autoql::api
