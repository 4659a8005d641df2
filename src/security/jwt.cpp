#include "security/jwt.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <memory>

#include "security/crypto.h"

namespace autoql::security {
namespace {

namespace json = boost::json;

// Tokens longer than this are refused before parsing; real ones are well under 2 KiB.
constexpr std::size_t kMaxTokenBytes = 8192;

struct JwtFree {
  void operator()(jwt_t* token) const { jwt_free(token); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

jwt_alg_t libjwtAlgorithm(JwtAlgorithm algorithm) {
  switch (algorithm) {
    case JwtAlgorithm::kRs256:
      return JWT_ALG_RS256;
    case JwtAlgorithm::kEs256:
      return JWT_ALG_ES256;
    case JwtAlgorithm::kHs256:
      break;
  }
  return JWT_ALG_HS256;
}

// Decodes unpadded base64url (RFC 7515 section 2).
std::optional<std::string> base64UrlDecode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '+' || c == '/' || c == '=') {
      return std::nullopt;
    }
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  standard.append((4 - standard.size() % 4) % 4, '=');
  return base64Decode(standard);
}

// Segment `index` of a compact JWS (0: header, 1: payload) decoded and parsed as one JSON
// object, with nothing before or after it; nullopt otherwise. Strict on purpose: libjwt's
// parser stops at a NUL byte, so it would read `{...}\0<anything>` as the object alone, and
// the claims checked must be exactly the bytes that were signed.
std::optional<json::object> segmentObject(std::string_view token, int index) {
  for (int i = 0; i < index; ++i) {
    const std::size_t dot = token.find('.');
    if (dot == std::string_view::npos) {
      return std::nullopt;
    }
    token.remove_prefix(dot + 1);
  }
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos) {
    return std::nullopt;
  }
  const auto decoded = base64UrlDecode(token.substr(0, dot));
  if (!decoded) {
    return std::nullopt;
  }
  json::error_code ec;
  json::value parsed = json::parse(*decoded, ec);
  if (ec || !parsed.is_object()) {
    return std::nullopt;
  }
  return std::move(parsed.get_object());
}

// The algorithm named in the token's header, read without verifying anything, so that a
// token for another algorithm is never handed to libjwt with our key. Nullopt for a
// header that is not an object with a string "alg", or that has "crit": RFC 7515 4.1.11
// has a recipient refuse critical extensions it does not understand, and this verifier
// understands none.
std::optional<std::string> headerAlgorithm(std::string_view token) {
  const auto header = segmentObject(token, 0);
  const json::value* alg = header ? header->if_contains("alg") : nullptr;
  if (alg == nullptr || !alg->is_string() || header->contains("crit")) {
    return std::nullopt;
  }
  return std::string(alg->get_string());
}

std::optional<double> numericClaim(const json::object& claims, std::string_view name,
                                   bool& malformed) {
  const json::value* value = claims.if_contains(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_number()) {
    malformed = true;
    return std::nullopt;
  }
  return value->to_number<double>();
}

// A claim that may be a string or a number (project ids are sometimes numeric).
std::optional<std::string> idClaim(const json::object& claims, std::string_view name) {
  const json::value* value = claims.if_contains(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_string() && !value->get_string().empty()) {
    return std::string(value->get_string());
  }
  if (value->is_int64()) {
    return std::to_string(value->get_int64());
  }
  if (value->is_uint64()) {
    return std::to_string(value->get_uint64());
  }
  return std::nullopt;
}

bool audienceMatches(const json::value* aud, const std::string& expected) {
  if (aud == nullptr) {
    return false;
  }
  if (aud->is_string()) {
    return aud->get_string() == expected;
  }
  if (aud->is_array()) {
    for (const auto& item : aud->get_array()) {
      if (item.is_string() && item.get_string() == expected) {
        return true;
      }
    }
  }
  return false;
}

Result<TokenIdentity, TokenError> checkClaims(const json::object& claims,
                                              const JwtOptions& options) {
  bool malformed = false;
  const auto exp = numericClaim(claims, "exp", malformed);
  const auto nbf = numericClaim(claims, "nbf", malformed);
  if (malformed) {
    return TokenError::kMalformed;
  }
  const double now = static_cast<double>(options.clock()) / 1000.0;
  const auto leeway = static_cast<double>(options.leeway.count());
  if (!exp) {
    return TokenError::kNoExpiry;
  }
  if (now > *exp + leeway) {
    return TokenError::kExpired;
  }
  if (nbf && now + leeway < *nbf) {
    return TokenError::kNotYetValid;
  }
  if (options.issuer) {
    const json::value* iss = claims.if_contains("iss");
    if (iss == nullptr || !iss->is_string() || iss->get_string() != *options.issuer) {
      return TokenError::kWrongIssuer;
    }
  }
  if (options.audience && !audienceMatches(claims.if_contains("aud"), *options.audience)) {
    return TokenError::kWrongAudience;
  }

  auto user = idClaim(claims, "user_id");
  if (!user) {
    user = idClaim(claims, "sub");
  }
  auto project = idClaim(claims, "project_id");
  if (!user || !project) {
    return TokenError::kMissingIdentity;
  }
  return TokenIdentity{std::move(*user), std::move(*project)};
}

}  // namespace

std::string_view describe(TokenError error) {
  switch (error) {
    case TokenError::kMalformed:
      return "the token is malformed";
    case TokenError::kBadSignature:
      return "the token's signature does not verify";
    case TokenError::kWrongAlgorithm:
      return "the token is not signed with the algorithm this server accepts";
    case TokenError::kExpired:
      return "the token has expired";
    case TokenError::kNoExpiry:
      return "the token has no exp claim (tokens that never expire are not accepted)";
    case TokenError::kNotYetValid:
      return "the token is not valid yet";
    case TokenError::kWrongIssuer:
      return "the token's issuer is not accepted";
    case TokenError::kWrongAudience:
      return "the token is not meant for this audience";
    case TokenError::kMissingIdentity:
      return "the token names no user (user_id or sub) or no project_id";
  }
  return "the token is not valid";
}

Result<JwtAlgorithm, std::string> algorithmForPublicKey(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) {
    return std::string("not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  }
  switch (EVP_PKEY_base_id(key.get())) {
    case EVP_PKEY_RSA:
      return JwtAlgorithm::kRs256;
    case EVP_PKEY_EC: {
      // ES256 is ECDSA on P-256 only (RFC 7518 3.4); another curve could never verify.
      char curve[64] = {};
      std::size_t length = 0;
      if (EVP_PKEY_get_group_name(key.get(), curve, sizeof curve, &length) != 1 ||
          std::string_view(curve, length) != "prime256v1") {
        return std::string("an EC key must be on the P-256 curve for ES256");
      }
      return JwtAlgorithm::kEs256;
    }
    default:
      return std::string("the key is neither RSA (RS256) nor EC (ES256)");
  }
}

JwtVerifier::JwtVerifier(JwtOptions options) : options_(std::move(options)) {}

Result<TokenIdentity, TokenError> JwtVerifier::verify(std::string_view token) const {
  if (token.empty() || token.size() > kMaxTokenBytes ||
      token.find('\0') != std::string_view::npos) {
    return TokenError::kMalformed;
  }
  const auto algorithm = headerAlgorithm(token);
  if (!algorithm) {
    return TokenError::kMalformed;
  }
  if (*algorithm != jwt_alg_str(libjwtAlgorithm(options_.algorithm))) {
    return TokenError::kWrongAlgorithm;
  }

  jwt_t* raw = nullptr;
  const std::string text(token);
  const auto* key = reinterpret_cast<const unsigned char*>(options_.key.data());
  if (jwt_decode(&raw, text.c_str(), key, static_cast<int>(options_.key.size())) != 0) {
    return TokenError::kBadSignature;
  }
  JwtPtr verified(raw);
  if (jwt_get_alg(raw) != libjwtAlgorithm(options_.algorithm)) {
    return TokenError::kWrongAlgorithm;
  }

  // The signature is good; the claims are read from the signed bytes themselves.
  const auto claims = segmentObject(token, 1);
  if (!claims) {
    return TokenError::kMalformed;
  }
  return checkClaims(*claims, options_);
}

std::string mintHs256Token(std::string_view secret, std::string_view user_id,
                           std::string_view project_id, std::chrono::seconds ttl,
                           std::int64_t now_ms) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) {
    return {};
  }
  JwtPtr token(raw);
  const std::string user(user_id);
  const std::string project(project_id);
  const long now = static_cast<long>(now_ms / 1000);
  jwt_add_grant(raw, "user_id", user.c_str());
  jwt_add_grant(raw, "sub", user.c_str());
  jwt_add_grant(raw, "project_id", project.c_str());
  jwt_add_grant_int(raw, "iat", now);
  jwt_add_grant_int(raw, "exp", now + static_cast<long>(ttl.count()));
  jwt_set_alg(raw, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
              static_cast<int>(secret.size()));
  std::unique_ptr<char, decltype(&free)> encoded(jwt_encode_str(raw), &free);
  return encoded ? std::string(encoded.get()) : std::string();
}

}  // namespace autoql::security
