// Bearer tokens: the Authorization header (or ?access_token) through the Authenticator,
// and the JWT verifier behind it, configured for HS256, RS256 and ES256 with a fixed
// clock. The fuzzer cannot forge signatures, so one mode has the harness sign the header
// and claims it wrote with HMAC-SHA256: with the HS256 secret that reaches the claim
// checks; with an RS256/ES256 public key it is the algorithm-confusion attack, which
// must always be refused.
//
// Input layout: one option byte, then the rest. Option bits 0-1 pick the configuration
// (0: HS256, 1: RS256, 2: ES256, 3: HS256 with issuer and audience); bits 2-3 the mode
// (0: the rest is the Authorization header's value, 1: the rest is ?access_token,
// 2 and 3: the rest is "<JOSE header JSON>\n<claims JSON>", signed by the harness).
#include <algorithm>
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth.h"
#include "fuzz_input.h"
#include "fuzz_service.h"
#include "security/crypto.h"
#include "security/jwt.h"

namespace {

using autoql::api::Authenticator;
using autoql::api::Caller;
using autoql::security::JwtAlgorithm;

constexpr std::string_view kSecret = "fuzz-jwt-secret-of-at-least-32-bytes";
constexpr std::string_view kAdminToken = "fuzz-admin-token-0123456789abcdef";

// Public halves of throw-away keys; the private halves were discarded after signing the
// seed tokens, so no input can carry a valid signature the fuzzer did not find in a seed.
constexpr std::string_view kRsaPublicKey = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApl9/TJqfkWk7O/yqbYKd
yrKKYv+GsnaiNvMUt0QbjlttRo1Lq+2C3SH3Fzr9Q0CnRA3HKnbaDuLUKJMgle/F
7/Ow5xyDcgoAnGfWW6JAv4fNCkMONwzB9ZkFTo/6NZifUh1lMnrsS+3Hbu5GmtMd
xvfN1a8NKSkpW0e4UAHQdJEjFXZXIYFeZlZBz67HPc8AsfkXMlKrJOr2NuBSpnOb
8hluaQZ/lV4XzdtebUlzs8cVBW/lh9nP6zH6P7E55krCTSTY/SnSpY24H4x8m366
XJaSDX/Fhq3vbdXmg1++98VSkeXrzK41DdRdtig2S452w/EOWzHX6PPcSy0KSYDa
zQIDAQAB
-----END PUBLIC KEY-----
)";
constexpr std::string_view kEcPublicKey = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEF6KyBz1zYWfcGWjPsI9D3JaQkfcB
yrCNCOjDdoHB8OpF07N46dL21OVPw5PG+OBcX7CXmlwWF0O9hMRJN2isRw==
-----END PUBLIC KEY-----
)";

struct Configuration {
  JwtAlgorithm algorithm;
  std::string key;  // what the server verifies with, and what mode 2 signs with
  Authenticator authenticator;
};

Configuration configure(JwtAlgorithm algorithm, std::string_view key, bool issuer_audience) {
  autoql::security::JwtOptions options;
  options.algorithm = algorithm;
  options.key = std::string(key);
  options.clock = [] { return autoql::fuzz::kFuzzNowMs; };
  if (issuer_audience) {
    options.issuer = "https://issuer.example";
    options.audience = "autoql-backend";
  }
  return {
      algorithm, std::string(key),
      Authenticator(autoql::security::JwtVerifier(std::move(options)), std::string(kAdminToken))};
}

const std::vector<Configuration>& configurations() {
  static const std::vector<Configuration> all = [] {
    std::vector<Configuration> list;
    list.push_back(configure(JwtAlgorithm::kHs256, kSecret, false));
    list.push_back(configure(JwtAlgorithm::kRs256, kRsaPublicKey, false));
    list.push_back(configure(JwtAlgorithm::kEs256, kEcPublicKey, false));
    list.push_back(configure(JwtAlgorithm::kHs256, kSecret, true));
    return list;
  }();
  return all;
}

std::string base64Url(std::string_view bytes) {
  std::string text = autoql::security::base64Encode(bytes);
  for (char& c : text) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  while (!text.empty() && text.back() == '=') {
    text.pop_back();
  }
  return text;
}

// A compact JWS of `header` and `claims` (any bytes), MACed with HMAC-SHA256 under `key`.
std::string hmacToken(std::string_view header, std::string_view claims, std::string_view key) {
  const std::string signing_input = base64Url(header) + "." + base64Url(claims);
  return signing_input + "." + base64Url(autoql::security::hmacSha256(key, signing_input));
}

autoql::http::Request withAuthorization(std::string value) {
  autoql::http::Request request;
  request.headers.push_back({"Authorization", std::move(value)});
  request.request_id = "fuzz";
  return request;
}

autoql::http::Request withQueryToken(std::string token) {
  autoql::http::Request request;
  request.query.emplace_back("access_token", std::move(token));
  request.request_id = "fuzz";
  return request;
}

bool hasNumericExp(std::string_view claims) {
  boost::json::error_code ec;
  const boost::json::value value = boost::json::parse(claims, ec);
  const boost::json::object* object = ec ? nullptr : value.if_object();
  const boost::json::value* exp = object ? object->if_contains("exp") : nullptr;
  return exp && exp->is_number();
}

// What an accepted caller must look like, whichever way the token came.
void checkCaller(const Caller& caller, std::string_view token) {
  if (caller.kind == Caller::Kind::kAdmin && token != kAdminToken) {
    autoql::fuzz::fail("a token other than the admin token made an admin");
  }
  if (caller.kind == Caller::Kind::kUser && (caller.user_id.empty() || caller.project_id.empty())) {
    autoql::fuzz::fail("an accepted token names no user or no project");
  }
}

void fuzzSignedClaims(const Configuration& config, autoql::fuzz::FuzzInput& input) {
  const std::string_view header = input.takeLine();
  const std::string_view claims = input.rest();
  const std::string token = hmacToken(header, claims, config.key);
  auto caller = config.authenticator.authenticate(withAuthorization("Bearer " + token));
  if (!caller) {
    return;
  }
  checkCaller(*caller, token);
  if (config.algorithm != JwtAlgorithm::kHs256) {
    autoql::fuzz::fail("an HMAC made with the public key passed as RS256/ES256");
  }
  if (!hasNumericExp(claims)) {
    autoql::fuzz::fail("a token without a numeric exp was accepted");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  autoql::fuzz::silenceLogs();

  autoql::fuzz::FuzzInput input(data, size);
  const std::uint8_t options = input.takeByte();
  const Configuration& config = configurations()[options & 3];
  const int mode = (options >> 2) & 3;
  if (mode >= 2) {
    fuzzSignedClaims(config, input);
    return 0;
  }

  const std::string rest(input.rest());
  const bool from_query = mode == 1;
  const auto request = from_query ? withQueryToken(rest) : withAuthorization(rest);
  auto caller = config.authenticator.authenticate(request, /*query_token=*/from_query);
  if (caller) {
    // The token is what follows "Bearer " and its spaces in the header form.
    std::string_view token = rest;
    if (!from_query) {
      token.remove_prefix(std::min<std::size_t>(7, token.size()));
      token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
    }
    checkCaller(*caller, token);
  } else if (caller.error().status != 401) {
    autoql::fuzz::fail("a refused token answered something other than 401");
  }
  return 0;
}
