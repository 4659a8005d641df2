// Authentication and authorisation (DESIGN 4) against the real binary: bearer tokens of
// every accepted algorithm and the ways a token is refused, the options that configure
// them, the cross-user and cross-project matrix over every route that takes an id, the
// scoping of lists and bodies, the admin token, no-auth mode, CORS, and the webhook's
// signature-only authentication. Tokens are minted here with libjwt (or assembled by hand
// where a forger would), with keys generated per run.
#include <fcntl.h>
#include <jwt.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "e2e_support.h"
#include "security/crypto.h"

extern char** environ;

namespace autoql::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kJwtSecret = "e2e-jwt-secret-with-more-than-32-bytes!";
constexpr std::string_view kOtherSecret = "another-jwt-secret-also-32-bytes-or-more";
constexpr std::string_view kIssuer = "iss1";
constexpr std::string_view kAudience = "aud1";
constexpr std::string_view kAdminToken = "e2e-admin-token-0123456789-abcdefghij";
constexpr std::string_view kAllowedOrigin = "https://app.example.com";
constexpr std::string_view kSecondOrigin = "http://localhost:3000";
constexpr std::string_view kEvilOrigin = "https://evil.example";
constexpr Millis kEventWait = 5s;

// --- tokens ---

struct Identity {
  std::string project;
  std::string user;
};

struct JwtDeleter {
  void operator()(jwt_t* token) const { jwt_free(token); }
};
struct CharDeleter {
  void operator()(char* text) const { std::free(text); }
};

std::int64_t nowSeconds() {
  return nowMillis() / 1000;
}

std::string base64Url(std::string_view bytes) {
  std::string out = security::base64Encode(bytes);
  for (char& c : out) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  while (!out.empty() && out.back() == '=') {
    out.pop_back();
  }
  return out;
}

// Signs `claims` with libjwt; `key` is the HMAC secret or a PEM private key.
std::string signJwt(jwt_alg_t alg, std::string_view key, const json::object& claims) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) {
    ADD_FAILURE() << "jwt_new failed";
    return {};
  }
  const std::unique_ptr<jwt_t, JwtDeleter> token(raw);
  const std::string grants = json::serialize(claims);
  if (jwt_add_grants_json(raw, grants.c_str()) != 0 ||
      jwt_set_alg(raw, alg, reinterpret_cast<const unsigned char*>(key.data()),
                  static_cast<int>(key.size())) != 0) {
    ADD_FAILURE() << "cannot sign " << grants;
    return {};
  }
  const std::unique_ptr<char, CharDeleter> encoded(jwt_encode_str(raw));
  if (!encoded) {
    ADD_FAILURE() << "jwt_encode_str failed for " << grants;
    return {};
  }
  return encoded.get();
}

// The claims of a good token for `who` on the main test server (iss1/aud1), expiring
// `exp_offset` seconds from now.
json::object claimsFor(const Identity& who, std::int64_t exp_offset = 3600) {
  return {{"user_id", who.user},
          {"project_id", who.project},
          {"iss", kIssuer},
          {"aud", kAudience},
          {"exp", nowSeconds() + exp_offset}};
}

std::string tokenFor(const Identity& who) {
  return signJwt(JWT_ALG_HS256, kJwtSecret, claimsFor(who));
}

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

// An RSA 2048 key pair, or an EC pair on `curve`.
KeyPair generateKeyPair(bool rsa, const char* curve = "P-256") {
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      rsa ? EVP_RSA_gen(2048) : EVP_EC_gen(curve), &EVP_PKEY_free);
  if (!key) {
    ADD_FAILURE() << "cannot generate a key";
    return {};
  }
  auto pem = [&](bool is_private) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (is_private) {
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PUBKEY(bio.get(), key.get());
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  };
  return {pem(true), pem(false)};
}

// An RS256 or ES256 token signed with OpenSSL alone, as other JOSE libraries produce it: the
// ES256 signature is the 64-byte R || S of RFC 7518 section 3.4, not DER.
std::string signWithOpenSsl(bool rsa, const std::string& private_pem, const json::object& claims) {
  const std::string input =
      base64Url(rsa ? R"({"alg":"RS256","typ":"JWT"})" : R"({"alg":"ES256","typ":"JWT"})") + "." +
      base64Url(json::serialize(claims));
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())), &BIO_free);
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                        &EVP_MD_CTX_free);
  std::size_t size = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (!key || !context ||
      EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size, data, input.size()) != 1) {
    ADD_FAILURE() << "cannot sign with OpenSSL";
    return {};
  }
  std::string signature(size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(signature.data());
  if (EVP_DigestSign(context.get(), out, &size, data, input.size()) != 1) {
    ADD_FAILURE() << "cannot sign with OpenSSL";
    return {};
  }
  signature.resize(size);
  if (!rsa) {
    const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
    const std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> parsed(
        d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())), &ECDSA_SIG_free);
    if (!parsed) {
      ADD_FAILURE() << "OpenSSL gave an ECDSA signature that is not DER";
      return {};
    }
    std::string raw(64, '\0');
    auto* bytes = reinterpret_cast<unsigned char*>(raw.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(parsed.get()), bytes, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(parsed.get()), bytes + 32, 32);
    signature = raw;
  }
  return input + "." + base64Url(signature);
}

void writeFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out) << "cannot write " << path;
}

// --- requests and assertions ---

// Sends a request with `token` as the bearer token (none when empty) and, when there is a
// body, Content-Type: application/json.
ClientResponse call(Client& client, std::string_view method, std::string_view target,
                    std::string_view token, std::string_view body = {},
                    std::vector<Header> headers = {}) {
  if (!token.empty()) {
    headers.push_back({"Authorization", "Bearer " + std::string(token)});
  }
  if (!body.empty()) {
    headers.push_back({"Content-Type", "application/json"});
  }
  return send(client, method, target, headers, body);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// A 401 unauthorized problem with a WWW-Authenticate: Bearer challenge.
::testing::AssertionResult isUnauthorized(const ClientResponse& response) {
  auto problem = isProblem(response, 401, "unauthorized");
  if (!problem) {
    return problem;
  }
  const std::string challenge = headerOf(response, "WWW-Authenticate");
  if (!lower(challenge).starts_with("bearer")) {
    return ::testing::AssertionFailure()
           << "401 without a WWW-Authenticate: Bearer challenge (got '" << challenge << "')";
  }
  return ::testing::AssertionSuccess();
}

// No header whose name starts with Access-Control-.
::testing::AssertionResult hasNoCorsHeaders(const ClientResponse& response) {
  for (const Header& header : response.headers) {
    if (lower(header.name).starts_with("access-control-")) {
      return ::testing::AssertionFailure()
             << "unexpected CORS header " << header.name << ": " << header.value;
    }
  }
  return ::testing::AssertionSuccess();
}

// Whether the comma-separated `list` holds `item` (case-insensitively, as browsers compare).
bool listHas(std::string_view list, std::string_view item) {
  std::stringstream items{std::string(list)};
  std::string entry;
  while (std::getline(items, entry, ',')) {
    entry.erase(0, entry.find_first_not_of(" \t"));
    entry.erase(entry.find_last_not_of(" \t") + 1);
    if (lower(entry) == lower(item)) {
      return true;
    }
  }
  return false;
}

// A Data Alert for `users` of `project` whose title and query_result hold `marker`.
std::string alertFor(std::string_view notification_id, std::string_view project,
                     const std::vector<std::string>& users, std::string_view marker) {
  json::array recipients;
  for (const std::string& user : users) {
    recipients.emplace_back(user);
  }
  json::object query_result{
      {"reference_id", "1.1.200"},
      {"data", json::object{{"rows", json::array{json::array{std::string(marker) + "-qr", 42}}}}}};
  json::object payload{{"notification_id", notification_id},
                       {"data_alert_id", "da_auth"},
                       {"project_id", project},
                       {"title", "Alert " + std::string(marker)},
                       {"message", "Sales goal reached"},
                       {"users", std::move(recipients)},
                       {"created_at", nowSeconds()},
                       {"data_return_query", "total sales"},
                       {"query_result", std::move(query_result)}};
  return json::serialize(
      json::object{{"event", "data_alert.true"}, {"payload", std::move(payload)}});
}

// The command line of the main JWT server: HS256 with issuer, audience and an admin token.
ServerSpec jwtSpec(const std::vector<std::string>& more = {}) {
  ServerSpec spec;
  spec.extra_args = {"--jwt-secret",       std::string(kJwtSecret), "--jwt-issuer",
                     std::string(kIssuer), "--jwt-audience",        std::string(kAudience),
                     "--admin-token",      std::string(kAdminToken)};
  spec.extra_args.insert(spec.extra_args.end(), more.begin(), more.end());
  return spec;
}

// A suite on the main JWT server, with three identities: A and B share project P; C is in
// project Q and has the same user id as A.
class AuthJwtServer : public SharedServerTest {
 public:
  static void SetUpTestSuite() { startSharedServer(jwtSpec()); }

 protected:
  const Identity a_{uniqueId("project-p"), uniqueId("alice")};
  const Identity b_{a_.project, uniqueId("bob")};
  const Identity c_{uniqueId("project-q"), a_.user};
  const std::string token_a_ = tokenFor(a_);
  const std::string token_b_ = tokenFor(b_);
  const std::string token_c_ = tokenFor(c_);
  const std::string admin_ = std::string(kAdminToken);

  // Creates a dashboard as the holder of `token` (owner from the token); returns its id.
  std::int64_t createAs(std::string_view token, std::string_view name,
                        std::string_view data_json = "[]") {
    const std::string body = R"({"name":)" + json::serialize(json::string(name)) + R"(,"data":)" +
                             std::string(data_json) + "}";
    const auto response = call(client(), "POST", "/dashboards", token, body);
    EXPECT_EQ(response.status, 201u) << response.body;
    return response.status == 201 ? bodyJson(response).at("id").as_int64() : 0;
  }

  // Delivers a Data Alert for `users` of `project`; returns its notification id.
  std::string deliverTo(std::string_view project, const std::vector<std::string>& users,
                        std::string_view marker = "marker") {
    const std::string id = uniqueId("nt-auth");
    const auto response = deliver(client(), alertFor(id, project, users, marker));
    EXPECT_EQ(webhookMessage(response), "ok") << response.status << " " << response.body;
    return id;
  }
};

// --- 1. tokens ---

class AuthTokens : public AuthJwtServer {};

TEST_F(AuthTokens, TokenTable) {
  const std::int64_t now = nowSeconds();
  const json::object good = claimsFor(a_);
  auto with = [&](std::initializer_list<std::pair<std::string_view, json::value>> changes,
                  std::initializer_list<std::string_view> removed = {}) {
    json::object claims = good;
    for (std::string_view name : removed) {
      claims.erase(name);
    }
    for (const auto& [name, value] : changes) {
      claims[name] = value;
    }
    return "Bearer " + signJwt(JWT_ALG_HS256, kJwtSecret, claims);
  };
  const std::string valid = signJwt(JWT_ALG_HS256, kJwtSecret, good);
  // A's signature on B's claims: the payload swapped after signing.
  const std::size_t first_dot = valid.find('.');
  const std::size_t second_dot = valid.find('.', first_dot + 1);
  const std::string swapped = valid.substr(0, first_dot + 1) +
                              base64Url(json::serialize(claimsFor(b_))) + valid.substr(second_dot);
  const std::string unsigned_token =
      base64Url(R"({"alg":"none"})") + "." + base64Url(json::serialize(good)) + ".";

  struct Case {
    std::string label;
    std::optional<std::string> authorization;
    unsigned status;
  };
  const std::vector<Case> cases = {
      {"valid", "Bearer " + valid, 200},
      {"no Authorization header", std::nullopt, 401},
      {"Basic credentials", "Basic " + security::base64Encode(a_.user + ":password"), 401},
      {"Bearer without a token", "Bearer", 401},
      {"malformed token", "Bearer not-a-jwt", 401},
      {"three parts that are not JSON", "Bearer abc.def.ghi", 401},
      {"signed with another secret", "Bearer " + signJwt(JWT_ALG_HS256, kOtherSecret, good), 401},
      {"payload swapped after signing", "Bearer " + swapped, 401},
      {"alg none", "Bearer " + unsigned_token, 401},
      {"HS384 with the right secret", "Bearer " + signJwt(JWT_ALG_HS384, kJwtSecret, good), 401},
      {"expired 61 s ago", with({{"exp", now - 61}}), 401},
      {"expired 30 s ago (within the leeway)", with({{"exp", now - 30}}), 200},
      {"nbf 120 s ahead", with({{"nbf", now + 120}}), 401},
      {"nbf 30 s ahead (within the leeway)", with({{"nbf", now + 30}}), 200},
      {"wrong issuer", with({{"iss", "iss2"}}), 401},
      {"no issuer", with({}, {"iss"}), 401},
      {"wrong audience", with({{"aud", "aud2"}}), 401},
      {"no audience", with({}, {"aud"}), 401},
      {"missing project_id", with({}, {"project_id"}), 401},
      {"neither user_id nor sub", with({}, {"user_id"}), 401},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    std::vector<Header> headers;
    if (c.authorization) {
      headers.push_back({"Authorization", *c.authorization});
    }
    const auto response = send(client(), "GET", "/dashboards", headers);
    if (c.status == 200) {
      EXPECT_EQ(response.status, 200u) << response.body;
      EXPECT_TRUE(bodyJson(response).is_array()) << response.body;
    } else {
      EXPECT_TRUE(isUnauthorized(response));
    }
  }

  // Secrets never reach the log (DESIGN 2): not the secret, the admin token, nor a token.
  const std::string log = server().log();
  for (const std::string_view secret : {kJwtSecret, kAdminToken, std::string_view(valid)}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "the log holds " << secret;
  }
}

TEST_F(AuthTokens, SubNamesTheUserWhenThereIsNoUserId) {
  json::object claims = claimsFor(a_);
  claims.erase("user_id");
  const std::string subject = uniqueId("subject");
  claims["sub"] = subject;
  const std::string token = signJwt(JWT_ALG_HS256, kJwtSecret, claims);

  const auto created = call(client(), "POST", "/dashboards", token, R"({"name":"By sub"})");
  ASSERT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(bodyJson(created).at("user_id"), json::value(subject));
  EXPECT_EQ(bodyJson(created).at("project_id"), json::value(a_.project));

  const auto listed = call(client(), "GET", "/dashboards?user_id=" + subject, token);
  ASSERT_EQ(listed.status, 200u) << listed.body;
  ASSERT_EQ(bodyJson(listed).as_array().size(), 1u) << listed.body;
  EXPECT_EQ(bodyJson(listed).at(0).at("id"), bodyJson(created).at("id"));
}

TEST_F(AuthTokens, EveryUserRouteRefusesAMissingToken) {
  const std::int64_t id = createAs(token_a_, "Mine");
  const std::string dashboard = "/dashboards/" + std::to_string(id);
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/dashboards"},
      {"POST", "/dashboards"},
      {"GET", "/api/v1/dashboards"},
      {"POST", "/api/v1/dashboards"},
      {"GET", dashboard},
      {"PUT", dashboard},
      {"DELETE", dashboard},
      {"GET", dashboard + "/versions"},
      {"GET", dashboard + "/versions/1"},
      {"POST", dashboard + "/restore"},
      {"GET", "/notifications"},
      {"PUT", "/notifications"},
      {"GET", "/notifications/summary"},
      {"GET", "/notifications/stream"},
      {"GET", "/notifications/nt_1"},
      {"PUT", "/notifications/nt_1"},
      {"DELETE", "/notifications/nt_1"},
      {"GET", "/api/v1/rule-notifications/nt_1"},
      {"GET", "/query-quick-start?project_id=" + a_.project},
      {"PUT", "/query-quick-start?project_id=" + a_.project},
      {"GET", "/api/v1/topics?project_id=" + a_.project},
  };
  for (const auto& [method, target] : routes) {
    SCOPED_TRACE(method + " " + target);
    const bool has_body = method == "POST" || method == "PUT";
    EXPECT_TRUE(isUnauthorized(call(client(), method, target, "",
                                    has_body ? R"({"name":"x","state":"ACKNOWLEDGED"})" : "")));
  }
  EXPECT_EQ(call(client(), "GET", dashboard, token_a_).status, 200u);
}

// Starts a server with an RS256 or ES256 public key and checks which tokens it accepts.
void checkPublicKeyServer(bool rsa) {
  const KeyPair keys = generateKeyPair(rsa);
  const KeyPair other = generateKeyPair(rsa);
  TempDir dir;
  const std::string key_file = dir.path() + "/public.pem";
  writeFile(key_file, keys.public_pem);
  ServerSpec spec;
  spec.extra_args = {"--jwt-public-key", key_file};
  ServerProcess server(spec);
  ASSERT_TRUE(server.ready()) << server.failure();
  auto client = server.client();

  const Identity who{uniqueId("project"), uniqueId("user")};
  const jwt_alg_t alg = rsa ? JWT_ALG_RS256 : JWT_ALG_ES256;
  const json::object claims = claimsFor(who);

  const auto accepted = call(*client, "GET", "/dashboards", signJwt(alg, keys.private_pem, claims));
  EXPECT_EQ(accepted.status, 200u) << accepted.body;
  const auto created = call(*client, "POST", "/dashboards", signJwt(alg, keys.private_pem, claims),
                            R"({"name":"Signed"})");
  ASSERT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(bodyJson(created).at("user_id"), json::value(who.user));
  // A token from another JOSE implementation (signed by OpenSSL directly).
  const auto interoperable =
      call(*client, "GET", "/dashboards", signWithOpenSsl(rsa, keys.private_pem, claims));
  EXPECT_EQ(interoperable.status, 200u)
      << "a standard " << (rsa ? "RS256" : "ES256") << " token: " << interoperable.body;

  // The classic confusion: an HMAC keyed with the public key's PEM text.
  EXPECT_TRUE(isUnauthorized(
      call(*client, "GET", "/dashboards", signJwt(JWT_ALG_HS256, keys.public_pem, claims))))
      << "HS256 keyed with the public key";
  EXPECT_TRUE(
      isUnauthorized(call(*client, "GET", "/dashboards", signJwt(alg, other.private_pem, claims))))
      << "signed by another key";
  EXPECT_TRUE(isUnauthorized(
      call(*client, "GET", "/dashboards", signJwt(JWT_ALG_HS256, kJwtSecret, claims))))
      << "HS256 with some secret";
  if (rsa) {
    EXPECT_TRUE(isUnauthorized(
        call(*client, "GET", "/dashboards", signJwt(JWT_ALG_RS512, keys.private_pem, claims))))
        << "RS512 with the right key";
  }
  json::object expired = claims;
  expired["exp"] = nowSeconds() - 61;
  EXPECT_TRUE(
      isUnauthorized(call(*client, "GET", "/dashboards", signJwt(alg, keys.private_pem, expired))))
      << "expired";
  if (::testing::Test::HasFailure()) {
    std::cerr << "--- server log ---\n" << server.log() << "--- end ---\n";
  }
}

TEST(AuthPublicKey, Rs256) {
  checkPublicKeyServer(/*rsa=*/true);
}

TEST(AuthPublicKey, Es256) {
  checkPublicKeyServer(/*rsa=*/false);
}

// --- 1b. the command line ---

TEST(AuthCli, TokenSubcommandMintsAUsableToken) {
  const std::string secret = "cli-token-secret-of-at-least-32-bytes!!";
  const Identity who{uniqueId("project"), uniqueId("user")};
  TempDir dir;
  const auto minted = runCommand(
      {"token", "--secret", secret, "--user", who.user, "--project", who.project}, dir.path());
  ASSERT_EQ(minted.exit_status, 0) << minted.err;
  std::string token = minted.out;
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  ASSERT_EQ(std::count(token.begin(), token.end(), '.'), 2) << minted.out;

  ServerSpec spec;
  spec.extra_args = {"--jwt-secret", secret};
  ServerProcess server(spec);
  ASSERT_TRUE(server.ready()) << server.failure();
  auto client = server.client();
  const auto created = call(*client, "POST", "/dashboards", token, R"({"name":"From the CLI"})");
  ASSERT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(bodyJson(created).at("user_id"), json::value(who.user));
  EXPECT_EQ(bodyJson(created).at("project_id"), json::value(who.project));
  const auto listed = call(*client, "GET", "/dashboards", token);
  ASSERT_EQ(listed.status, 200u) << listed.body;
  EXPECT_EQ(bodyJson(listed).as_array().size(), 1u);

  // The same token against a server with another secret is refused.
  ServerSpec other_spec;
  other_spec.extra_args = {"--jwt-secret", std::string(kOtherSecret)};
  ServerProcess other(other_spec);
  ASSERT_TRUE(other.ready()) << other.failure();
  EXPECT_TRUE(isUnauthorized(call(*other.client(), "GET", "/dashboards", token)));
}

TEST(AuthCli, BadAuthOptionValuesExit2) {
  TempDir dir;
  const KeyPair keys = generateKeyPair(/*rsa=*/false);
  const std::string public_key = dir.path() + "/public.pem";
  const std::string private_key = dir.path() + "/private.pem";
  const std::string not_pem = dir.path() + "/not-a-key.pem";
  writeFile(public_key, keys.public_pem);
  writeFile(private_key, keys.private_pem);
  writeFile(not_pem, "this is not a PEM public key\n");

  struct Case {
    std::string label;
    std::vector<std::string> args;
    std::string option;  // the option the message must name
    std::string secret;  // a value that must not be echoed ("" when none)
  };
  const std::vector<Case> cases = {
      {"short JWT secret", {"--jwt-secret", "short-Qz7"}, "--jwt-secret", "short-Qz7"},
      {"secret and public key",
       {"--jwt-secret", std::string(kJwtSecret), "--jwt-public-key", public_key},
       "--jwt-",
       std::string(kJwtSecret)},
      {"missing public key file", {"--jwt-public-key", "/nonexistent"}, "--jwt-public-key", ""},
      {"file that is not PEM", {"--jwt-public-key", not_pem}, "--jwt-public-key", ""},
      {"private key instead of public", {"--jwt-public-key", private_key}, "--jwt-public-key", ""},
      {"short admin token", {"--admin-token", "short-Xw3"}, "--admin-token", "short-Xw3"},
      {"not an origin", {"--cors-origins", "notanorigin"}, "--cors-origins", ""},
      {"origin with a path", {"--cors-origins", "https://app.example.com/"}, "--cors-origins", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    std::vector<std::string> args{"serve", "--port", "0", "--database",
                                  "sqlite:" + dir.path() + "/cli.db"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto result = runCommand(args, dir.path(), {}, 5s);
    EXPECT_FALSE(result.timed_out) << "the server started";
    EXPECT_EQ(result.exit_status, 2) << result.out << result.err;
    const std::string output = result.out + result.err;
    EXPECT_NE(output.find(c.option), std::string::npos) << output;
    if (!c.secret.empty()) {
      EXPECT_EQ(output.find(c.secret), std::string::npos) << "the secret was echoed: " << output;
    }
  }
}

// ES256 is ECDSA on P-256 (RFC 7518 3.4): a key on another curve cannot verify any ES256
// token, so it is a bad value for --jwt-public-key and must stop start-up.
TEST(AuthCli, PublicKeyOnAnotherCurveThanP256Exits2) {
  TempDir dir;
  const std::string key_file = dir.path() + "/p384.pem";
  writeFile(key_file, generateKeyPair(/*rsa=*/false, "P-384").public_pem);
  const auto result = runCommand({"serve", "--port", "0", "--database",
                                  "sqlite:" + dir.path() + "/cli.db", "--jwt-public-key", key_file},
                                 dir.path(), {}, 3s);
  EXPECT_FALSE(result.timed_out) << "the server started with a P-384 key for ES256";
  EXPECT_EQ(result.exit_status, 2) << result.out << result.err;
  EXPECT_NE((result.out + result.err).find("--jwt-public-key"), std::string::npos)
      << result.out << result.err;
}

// --- 2. another user's or another project's data ---

class AuthMatrix : public AuthJwtServer {};

TEST_F(AuthMatrix, OtherUsersAndProjectsGet404WithoutContent) {
  const std::string marker = uniqueId("secret");
  const std::string tiles = R"([{"i":"t1","query":"revenue )" + marker + R"("}])";
  const std::int64_t id = createAs(token_a_, "Quarterly " + marker + " v1", tiles);
  ASSERT_NE(id, 0);
  const std::string own = "/dashboards/" + std::to_string(id);
  // A second version, so that /versions lists one and /versions/1 is an earlier one.
  const auto updated = call(client(), "PUT", own, token_a_,
                            R"({"name":"Quarterly )" + marker + R"(","data":)" + tiles + "}");
  ASSERT_EQ(updated.status, 200u) << updated.body;
  const std::string nid = deliverTo(a_.project, {a_.user}, marker);

  const auto before = call(client(), "GET", own, token_a_);
  ASSERT_EQ(before.status, 200u) << before.body;
  ASSERT_EQ(bodyJson(before).at("version"), json::value(2));
  const auto note_before = call(client(), "GET", "/notifications/" + nid, token_a_);
  ASSERT_EQ(note_before.status, 200u) << note_before.body;
  ASSERT_EQ(bodyJson(note_before).at("state"), json::value("UNACKNOWLEDGED"));

  // Routes as patterns, printed as such; {id} and {nid} are A's dashboard and notification.
  struct Route {
    std::string method;
    std::string pattern;
    std::string body;
  };
  auto expand = [&](std::string pattern) {
    for (const auto& [name, value] :
         {std::pair<std::string, std::string>{"{id}", std::to_string(id)}, {"{nid}", nid}}) {
      if (const std::size_t at = pattern.find(name); at != std::string::npos) {
        pattern.replace(at, name.size(), value);
      }
    }
    return pattern;
  };
  const std::string rename = R"({"name":"Hijacked","data":[]})";
  const std::string state = R"({"state":"DISMISSED"})";
  const std::string restore = R"({"version":1})";
  const std::vector<Route> routes = {
      {"GET", "/dashboards/{id}", ""},
      {"PUT", "/dashboards/{id}", rename},
      {"GET", "/dashboards/{id}/versions", ""},
      {"GET", "/dashboards/{id}/versions/1", ""},
      {"GET", "/dashboards/{id}/versions/2", ""},
      {"POST", "/dashboards/{id}/restore", restore},
      {"GET", "/api/v1/dashboards/{id}", ""},
      {"PUT", "/api/v1/dashboards/{id}", rename},
      {"GET", "/api/v1/dashboards/{id}/versions", ""},
      {"GET", "/api/v1/dashboards/{id}/versions/1", ""},
      {"POST", "/api/v1/dashboards/{id}/restore", restore},
      {"GET", "/notifications/{nid}", ""},
      {"GET", "/api/v1/rule-notifications/{nid}", ""},
      {"PUT", "/notifications/{nid}", state},
      {"DELETE", "/notifications/{nid}", ""},
      {"DELETE", "/dashboards/{id}", ""},
      {"DELETE", "/api/v1/dashboards/{id}", ""},
  };
  struct Caller {
    std::string label;
    std::string token;
    unsigned status;
    std::string code;
  };
  const std::vector<Caller> callers = {
      {"B (same project)", token_b_, 404, "not_found"},
      {"C (project Q, A's user id)", token_c_, 404, "not_found"},
      {"no token", "", 401, "unauthorized"},
  };

  std::vector<std::vector<unsigned>> matrix;
  for (const Route& route : routes) {
    std::vector<unsigned>& row = matrix.emplace_back();
    for (const Caller& caller : callers) {
      SCOPED_TRACE(caller.label + ": " + route.method + " " + route.pattern);
      const auto response =
          call(client(), route.method, expand(route.pattern), caller.token, route.body);
      row.push_back(response.status);
      EXPECT_TRUE(isProblem(response, caller.status, caller.code));
      EXPECT_EQ(response.body.find(marker), std::string::npos)
          << "the response reveals the owner's content: " << response.body;
    }
  }

  std::ostringstream table;
  table << "\nroute x caller -> status (A owns dashboard " << id << " and notification " << nid
        << ")\n";
  constexpr int kRouteWidth = 44;
  table << std::left << std::setw(kRouteWidth) << "route";
  for (const Caller& caller : callers) {
    table << " | " << caller.label;
  }
  table << "\n";
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const std::string label = routes[i].method + " " + routes[i].pattern;
    table << std::left << std::setw(kRouteWidth) << label;
    for (std::size_t j = 0; j < callers.size(); ++j) {
      table << " | " << std::setw(static_cast<int>(callers[j].label.size())) << matrix[i][j];
    }
    table << "\n";
  }
  std::cout << table.str() << std::flush;

  // A's dashboard and notification are as they were.
  const auto after = call(client(), "GET", own, token_a_);
  ASSERT_EQ(after.status, 200u) << after.body;
  EXPECT_TRUE(sameJson(bodyJson(before), bodyJson(after)));
  const auto history = call(client(), "GET", own + "/versions", token_a_);
  ASSERT_EQ(history.status, 200u) << history.body;
  EXPECT_EQ(bodyJson(history).as_array().size(), 1u) << history.body;
  const auto note_after = call(client(), "GET", "/notifications/" + nid, token_a_);
  ASSERT_EQ(note_after.status, 200u) << note_after.body;
  EXPECT_EQ(bodyJson(note_after).at("state"), json::value("UNACKNOWLEDGED"));
  const auto feed = call(client(), "GET", "/notifications", token_a_);
  ASSERT_EQ(feed.status, 200u) << feed.body;
  ASSERT_EQ(bodyJson(feed).as_array().size(), 1u) << feed.body;
  EXPECT_EQ(bodyJson(feed).at(0).at("notification_id"), json::value(nid));

  // Neither B nor C sees any of it in their own lists.
  for (const std::string* token : {&token_b_, &token_c_}) {
    const auto list = call(client(), "GET", "/dashboards", *token);
    ASSERT_EQ(list.status, 200u) << list.body;
    EXPECT_TRUE(bodyJson(list).as_array().empty()) << list.body;
    const auto their_feed = call(client(), "GET", "/notifications", *token);
    ASSERT_EQ(their_feed.status, 200u) << their_feed.body;
    EXPECT_TRUE(bodyJson(their_feed).as_array().empty()) << their_feed.body;
    const auto summary = call(client(), "GET", "/notifications/summary", *token);
    ASSERT_EQ(summary.status, 200u) << summary.body;
    EXPECT_EQ(bodyJson(summary).at("total"), json::value(0)) << summary.body;
    // Their bulk state change reaches none of A's notifications.
    const auto bulk = call(client(), "PUT", "/notifications", *token, state);
    ASSERT_EQ(bulk.status, 200u) << bulk.body;
    EXPECT_TRUE(sameJson(parseJson(R"({"updated":0})"), bodyJson(bulk)));
  }
  EXPECT_EQ(bodyJson(call(client(), "GET", "/notifications/" + nid, token_a_)).at("state"),
            json::value("UNACKNOWLEDGED"));
}

// --- 3. scoping of lists and bodies ---

class AuthScoping : public AuthJwtServer {};

TEST_F(AuthScoping, ListsAreTheCallersAndOthersAreForbidden) {
  const std::int64_t first = createAs(token_a_, "A one");
  const std::int64_t second = createAs(token_a_, "A two");
  createAs(token_b_, "B one");
  createAs(token_c_, "C one");

  const auto mine = call(client(), "GET", "/dashboards", token_a_);
  ASSERT_EQ(mine.status, 200u) << mine.body;
  const json::value listed = bodyJson(mine);
  const json::array& items = listed.as_array();
  ASSERT_EQ(items.size(), 2u) << mine.body;
  EXPECT_EQ(items[0].at("id"), json::value(second));
  EXPECT_EQ(items[1].at("id"), json::value(first));
  for (const json::value& item : items) {
    EXPECT_EQ(item.at("user_id"), json::value(a_.user));
    EXPECT_EQ(item.at("project_id"), json::value(a_.project));
  }
  const auto wrapped = call(client(), "GET", "/api/v1/dashboards", token_a_);
  ASSERT_EQ(wrapped.status, 200u) << wrapped.body;
  EXPECT_EQ(bodyJson(wrapped).at("items").as_array().size(), 2u) << wrapped.body;

  const std::string explicit_own = "/dashboards?project_id=" + a_.project + "&user_id=" + a_.user;
  EXPECT_EQ(call(client(), "GET", explicit_own, token_a_).status, 200u);

  for (const std::string& target :
       {"/dashboards?user_id=" + b_.user, "/dashboards?project_id=" + c_.project,
        "/dashboards?project_id=" + c_.project + "&user_id=" + a_.user,
        "/api/v1/dashboards?user_id=" + b_.user, "/api/v1/dashboards?username=" + b_.user}) {
    SCOPED_TRACE(target);
    const auto response = call(client(), "GET", target, token_a_);
    EXPECT_TRUE(isProblem(response, 403, "forbidden"));
    EXPECT_EQ(response.body.find("B one"), std::string::npos) << response.body;
  }
}

TEST_F(AuthScoping, CreateTakesTheOwnerFromTheToken) {
  for (const std::string& body :
       {R"({"name":"x","user_id":")" + b_.user + R"("})",
        R"({"name":"x","project_id":")" + c_.project + R"("})",
        R"({"name":"x","project_id":")" + a_.project + R"(","user_id":")" + b_.user + R"("})"}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(isProblem(call(client(), "POST", "/dashboards", token_a_, body), 403, "forbidden"));
  }
  EXPECT_TRUE(isProblem(
      call(client(), "POST", "/api/v1/dashboards", token_a_,
           R"({"name":"x","project_id":")" + a_.project + R"(","username":")" + b_.user + R"("})"),
      403, "forbidden"));
  EXPECT_TRUE(bodyJson(call(client(), "GET", "/dashboards", token_b_)).as_array().empty());

  // No owner in the body: A in P. The id, version and timestamps of a body are ignored.
  const auto created = call(client(), "POST", "/dashboards", token_a_,
                            R"({"name":"Mine","id":999999999,"version":7,)"
                            R"("created_at":"2001-01-01T00:00:00.000Z",)"
                            R"("updated_at":"2001-01-01T00:00:00.000Z"})");
  ASSERT_EQ(created.status, 201u) << created.body;
  const json::value dashboard = bodyJson(created);
  EXPECT_EQ(dashboard.at("user_id"), json::value(a_.user));
  EXPECT_EQ(dashboard.at("project_id"), json::value(a_.project));
  EXPECT_NE(dashboard.at("id"), json::value(999999999));
  EXPECT_EQ(dashboard.at("version"), json::value(1));
  EXPECT_NE(dashboard.at("created_at"), json::value("2001-01-01T00:00:00.000Z"));

  const auto v1 = call(client(), "POST", "/api/v1/dashboards", token_a_,
                       R"({"name":"Demo app","project_id":")" + a_.project + R"("})");
  ASSERT_EQ(v1.status, 201u) << v1.body;
  EXPECT_EQ(bodyJson(v1).at("user_id"), json::value(a_.user));
}

TEST_F(AuthScoping, PutCannotChangeOwnerIdVersionOrTimestamps) {
  const std::int64_t id = createAs(token_a_, "Original");
  const std::string target = "/dashboards/" + std::to_string(id);
  const json::value original = bodyJson(call(client(), "GET", target, token_a_));

  const auto updated = call(client(), "PUT", target, token_a_,
                            R"({"name":"Renamed","data":[],"user_id":")" + b_.user +
                                R"(","project_id":")" + c_.project +
                                R"(","id":999999999,"created_at":"2001-01-01T00:00:00.000Z",)"
                                R"("updated_at":"2001-01-01T00:00:00.000Z"})");
  ASSERT_EQ(updated.status, 200u) << updated.body;
  const auto fetched = call(client(), "GET", target, token_a_);
  ASSERT_EQ(fetched.status, 200u) << fetched.body;
  for (const json::value& d : {bodyJson(updated), bodyJson(fetched)}) {
    EXPECT_EQ(d.at("id"), json::value(id));
    EXPECT_EQ(d.at("name"), json::value("Renamed"));
    EXPECT_EQ(d.at("user_id"), json::value(a_.user));
    EXPECT_EQ(d.at("project_id"), json::value(a_.project));
    EXPECT_EQ(d.at("version"), json::value(2));
    EXPECT_EQ(d.at("created_at"), original.at("created_at"));
    EXPECT_NE(d.at("updated_at"), json::value("2001-01-01T00:00:00.000Z"));
  }
  EXPECT_TRUE(isProblem(call(client(), "GET", target, token_b_), 404, "not_found"));
  EXPECT_TRUE(bodyJson(call(client(), "GET", "/dashboards", token_b_)).as_array().empty());

  // `version` is a condition, never a value to store.
  const auto current = call(client(), "PUT", target, token_a_, R"({"name":"Third","version":2})");
  ASSERT_EQ(current.status, 200u) << current.body;
  EXPECT_EQ(bodyJson(current).at("version"), json::value(3));
  EXPECT_TRUE(isProblem(call(client(), "PUT", target, token_a_, R"({"name":"Old","version":2})"),
                        412, "version_mismatch"));
  EXPECT_TRUE(isProblem(call(client(), "PUT", target, token_a_, R"({"name":"Far","version":99})"),
                        412, "version_mismatch"));
  EXPECT_EQ(bodyJson(call(client(), "GET", target, token_a_)).at("version"), json::value(3));
}

// GET over a raw socket that keeps reading after the header (for the event stream).
class RawGet {
 public:
  RawGet() = default;
  ~RawGet() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  RawGet(const RawGet&) = delete;
  RawGet& operator=(const RawGet&) = delete;

  // Sends the request and reads the response header. False when none came.
  bool open(std::uint16_t port, const std::string& target, const std::vector<Header>& headers) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address)) {
      return false;
    }
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: e2e\r\n";
    for (const Header& header : headers) {
      request += header.name + ": " + header.value + "\r\n";
    }
    request += "\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return false;
    }
    if (!waitFor("\r\n\r\n", kEventWait)) {
      return false;
    }
    header_ = data_.substr(0, data_.find("\r\n\r\n"));
    data_.erase(0, header_.size() + 4);
    if (header_.starts_with("HTTP/1.1 ") && header_.size() >= 12) {
      std::from_chars(header_.data() + 9, header_.data() + 12, status_);
    }
    return status_ != 0;
  }

  unsigned status() const { return status_; }
  const std::string& header() const { return header_; }

  // Reads until the bytes received (after the header, once open) contain `text`.
  bool waitFor(std::string_view text, Millis wait) {
    const auto deadline = SteadyClock::now() + wait;
    while (data_.find(text) == std::string::npos) {
      const auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now());
      pollfd entry{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&entry, 1, static_cast<int>(left.count())) <= 0) {
        return false;
      }
      char buffer[4096];
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) {
        return false;
      }
      data_.append(buffer, static_cast<std::size_t>(got));
    }
    return true;
  }

 private:
  int fd_ = -1;
  std::string header_;
  std::string data_;
  unsigned status_ = 0;
};

TEST_F(AuthScoping, FeedSummaryAndStreamAreTheCallers) {
  const std::string nid = deliverTo(a_.project, {a_.user});
  deliverTo(a_.project, {b_.user});
  deliverTo(c_.project, {c_.user});

  for (const std::string& route :
       {std::string("/notifications"), std::string("/notifications/summary"),
        std::string("/notifications/stream")}) {
    for (const std::string& query : {"?user_id=" + b_.user, "?project_id=" + c_.project,
                                     "?project_id=" + a_.project + "&user_id=" + b_.user}) {
      SCOPED_TRACE(route + query);
      EXPECT_TRUE(isProblem(call(client(), "GET", route + query, token_a_), 403, "forbidden"));
    }
  }
  EXPECT_TRUE(isProblem(call(client(), "PUT", "/notifications?user_id=" + b_.user, token_a_,
                             R"({"state":"DISMISSED"})"),
                        403, "forbidden"));
  EXPECT_TRUE(isProblem(call(client(), "PUT", "/notifications", token_a_,
                             R"({"state":"DISMISSED","user_id":")" + b_.user + R"("})"),
                        403, "forbidden"));

  const auto feed = call(client(), "GET", "/notifications", token_a_);
  ASSERT_EQ(feed.status, 200u) << feed.body;
  ASSERT_EQ(bodyJson(feed).as_array().size(), 1u) << feed.body;
  EXPECT_EQ(bodyJson(feed).at(0).at("notification_id"), json::value(nid));
  const auto summary = call(client(), "GET", "/notifications/summary", token_a_);
  ASSERT_EQ(summary.status, 200u) << summary.body;
  EXPECT_TRUE(
      sameJson(parseJson(R"({"unacknowledged":1,"acknowledged":0,"dismissed":0,"total":1})"),
               bodyJson(summary)));

  // Each stream gets its own user's notifications only. C has A's user id in project Q.
  RawGet stream;
  RawGet b_stream;
  RawGet c_stream;
  for (auto [raw, token] : {std::pair<RawGet*, const std::string*>{&stream, &token_a_},
                            {&b_stream, &token_b_},
                            {&c_stream, &token_c_}}) {
    ASSERT_TRUE(raw->open(server().port(), "/notifications/stream",
                          {{"Authorization", "Bearer " + *token}, {"Accept", "text/event-stream"}}))
        << raw->header();
    ASSERT_EQ(raw->status(), 200u) << raw->header();
    EXPECT_NE(lower(raw->header()).find("text/event-stream"), std::string::npos);
  }
  const std::string for_a = deliverTo(a_.project, {a_.user});
  const std::string for_b = deliverTo(b_.project, {b_.user});
  const std::string for_c = deliverTo(c_.project, {c_.user});
  const std::string last_for_a = deliverTo(a_.project, {a_.user});
  EXPECT_TRUE(stream.waitFor(last_for_a, kEventWait)) << "A's notifications did not arrive";
  EXPECT_TRUE(b_stream.waitFor(for_b, kEventWait)) << "B's notification did not arrive";
  EXPECT_TRUE(c_stream.waitFor(for_c, kEventWait)) << "C's notification did not arrive";
  // Events come in order, so one leaked from an earlier delivery would be there by now.
  EXPECT_TRUE(stream.waitFor(for_a, 0ms));
  EXPECT_FALSE(stream.waitFor(for_b, 0ms)) << "B's notification reached A's stream";
  EXPECT_FALSE(stream.waitFor(for_c, 0ms)) << "C's notification reached A's stream";
  EXPECT_FALSE(b_stream.waitFor(for_a, 0ms)) << "A's notification reached B's stream";
  EXPECT_FALSE(c_stream.waitFor(for_a, 0ms)) << "A's notification reached C's stream";
}

// DESIGN 4: a project_id or user_id in the request that differs from the token's is 403, on
// the routes that take an id as on lists (PUT and DELETE /notifications/{id} do so).
TEST_F(AuthScoping, DifferingIdentityInTheQueryOfAnIdRouteIs403) {
  const std::int64_t id = createAs(token_a_, "Mine");
  const std::string nid = deliverTo(a_.project, {a_.user});
  const std::string dashboard = "/dashboards/" + std::to_string(id);
  const std::string v1 = "/api/v1/dashboards/" + std::to_string(id);
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", dashboard},
      {"PUT", dashboard},
      {"GET", dashboard + "/versions"},
      {"GET", dashboard + "/versions/1"},
      {"POST", dashboard + "/restore"},
      {"GET", v1},
      {"PUT", v1},
      {"GET", "/notifications/" + nid},
      {"GET", "/api/v1/rule-notifications/" + nid},
      {"PUT", "/notifications/" + nid},
      {"DELETE", "/notifications/" + nid},
      {"DELETE", v1},
      {"DELETE", dashboard},
  };
  std::ostringstream table;
  table << "\nA's own ids with another identity in the query -> status\n";
  for (const auto& [method, target] : routes) {
    for (const std::string& query : {"?user_id=" + b_.user, "?project_id=" + c_.project}) {
      SCOPED_TRACE(method + " " + target + query);
      std::string body;
      if (method == "PUT" || method == "POST") {
        body = target.starts_with("/notifications") ? R"({"state":"UNACKNOWLEDGED"})"
               : target.ends_with("/restore")       ? R"({"version":1})"
                                                    : R"({"name":"Mine","data":[]})";
      }
      const auto response = call(client(), method, target + query, token_a_, body);
      table << "  " << method << " " << target
            << (query.starts_with("?user") ? "?user_id=B" : "?project_id=Q") << " -> "
            << response.status << "\n";
      EXPECT_TRUE(isProblem(response, 403, "forbidden"));
    }
  }
  std::cout << table.str() << std::flush;
}

// --- 4. the admin token ---

class AuthAdmin : public AuthJwtServer {};

TEST_F(AuthAdmin, ReadsAnyUsersDataInAProject) {
  const std::int64_t id = createAs(token_a_, "Read by admin");
  const std::string nid = deliverTo(a_.project, {a_.user});
  const std::string owner = "project_id=" + a_.project + "&user_id=" + a_.user;

  const auto list = call(client(), "GET", "/dashboards?" + owner, admin_);
  ASSERT_EQ(list.status, 200u) << list.body;
  ASSERT_EQ(bodyJson(list).as_array().size(), 1u) << list.body;
  EXPECT_EQ(bodyJson(list).at(0).at("id"), json::value(id));
  const auto items = call(client(), "GET", "/api/v1/dashboards?" + owner, admin_);
  ASSERT_EQ(items.status, 200u) << items.body;
  EXPECT_EQ(bodyJson(items).at("items").as_array().size(), 1u) << items.body;

  const std::string dashboard = "/dashboards/" + std::to_string(id);
  const auto one = call(client(), "GET", dashboard, admin_);
  ASSERT_EQ(one.status, 200u) << one.body;
  EXPECT_EQ(bodyJson(one).at("name"), json::value("Read by admin"));
  EXPECT_EQ(call(client(), "GET", dashboard + "/versions", admin_).status, 200u);
  EXPECT_EQ(call(client(), "GET", dashboard + "/versions/1", admin_).status, 200u);

  for (const std::string& target : {"/notifications/" + nid, "/api/v1/rule-notifications/" + nid,
                                    "/notifications/" + nid + "?user_id=" + a_.user}) {
    SCOPED_TRACE(target);
    const auto response = call(client(), "GET", target, admin_);
    ASSERT_EQ(response.status, 200u) << response.body;
    EXPECT_EQ(bodyJson(response).at("notification_id"), json::value(nid));
  }
  EXPECT_EQ(bodyJson(call(client(), "GET", "/notifications/" + nid + "?user_id=" + a_.user, admin_))
                .at("state"),
            json::value("UNACKNOWLEDGED"));
  const auto feed = call(client(), "GET", "/notifications?" + owner, admin_);
  ASSERT_EQ(feed.status, 200u) << feed.body;
  EXPECT_EQ(bodyJson(feed).as_array().size(), 1u) << feed.body;
  EXPECT_EQ(call(client(), "GET", "/notifications/summary?" + owner, admin_).status, 200u);
}

TEST_F(AuthAdmin, WritesQuickStartButNoUsersData) {
  const std::string topics = R"({"topics":[{"topic":"Sales","queries":["total sales"]}]})";
  const std::string quick_start = "/query-quick-start?project_id=" + a_.project;
  EXPECT_TRUE(isProblem(call(client(), "PUT", quick_start, token_a_, topics), 403, "forbidden"));
  EXPECT_TRUE(isUnauthorized(call(client(), "PUT", quick_start, "", topics)));
  const auto stored = call(client(), "PUT", quick_start, admin_, topics);
  ASSERT_EQ(stored.status, 200u) << stored.body;
  const auto read = call(client(), "GET", "/query-quick-start", token_a_);
  ASSERT_EQ(read.status, 200u) << read.body;
  EXPECT_TRUE(sameJson(parseJson(topics), bodyJson(read)));
  // A user reads the topics of their own project only.
  for (const std::string& target :
       {"/query-quick-start?project_id=" + c_.project, "/api/v1/topics?project_id=" + c_.project}) {
    SCOPED_TRACE(target);
    EXPECT_TRUE(isProblem(call(client(), "GET", target, token_a_), 403, "forbidden"));
  }

  const std::int64_t id = createAs(token_a_, "Not the admin's");
  const std::string nid = deliverTo(a_.project, {a_.user});
  const std::string dashboard = "/dashboards/" + std::to_string(id);
  const std::string owner = "?project_id=" + a_.project + "&user_id=" + a_.user;
  const auto before = call(client(), "GET", dashboard, token_a_);

  struct Write {
    std::string method;
    std::string target;
    std::string body;
  };
  const std::vector<Write> writes = {
      {"PUT", dashboard, R"({"name":"Admin was here","data":[]})"},
      {"DELETE", dashboard, ""},
      {"POST", dashboard + "/restore", R"({"version":1})"},
      {"PUT", "/api/v1/dashboards/" + std::to_string(id), R"({"name":"Admin","data":[]})"},
      {"DELETE", "/api/v1/dashboards/" + std::to_string(id), ""},
      {"POST", "/dashboards", dashboardBody(a_.project, a_.user, "Admin-made")},
      {"PUT", "/notifications/" + nid + owner, R"({"state":"DISMISSED"})"},
      {"DELETE", "/notifications/" + nid + owner, ""},
      {"PUT", "/notifications" + owner, R"({"state":"DISMISSED"})"},
  };
  for (const Write& write : writes) {
    SCOPED_TRACE(write.method + " " + write.target);
    EXPECT_TRUE(isProblem(call(client(), write.method, write.target, admin_, write.body), 403,
                          "forbidden"));
  }
  EXPECT_TRUE(sameJson(bodyJson(before), bodyJson(call(client(), "GET", dashboard, token_a_))));
  EXPECT_EQ(bodyJson(call(client(), "GET", "/dashboards", token_a_)).as_array().size(), 1u);
  EXPECT_EQ(bodyJson(call(client(), "GET", "/notifications/" + nid, token_a_)).at("state"),
            json::value("UNACKNOWLEDGED"));
}

TEST_F(AuthAdmin, WrongAdminTokenOfTheSameLengthIs401) {
  std::string wrong = admin_;
  wrong.back() = wrong.back() == 'x' ? 'y' : 'x';
  ASSERT_EQ(wrong.size(), admin_.size());
  const std::string owner = "project_id=" + a_.project + "&user_id=" + a_.user;
  EXPECT_TRUE(isUnauthorized(call(client(), "GET", "/dashboards?" + owner, wrong)));
  EXPECT_TRUE(isUnauthorized(call(client(), "PUT", "/query-quick-start?project_id=" + a_.project,
                                  wrong, R"({"topics":[]})")));
}

// --- 5. no-auth mode ---

class AuthNoAuth : public SharedServerTest {};

TEST_F(AuthNoAuth, IdentitiesComeFromTheRequestAndStartUpWarns) {
  const std::string log = server().log();
  bool warned = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    warned = warned || (line.find("warn") != std::string::npos &&
                        lower(line).find("authentication") != std::string::npos);
  }
  EXPECT_TRUE(warned) << log;

  const Identity who{uniqueId("project"), uniqueId("user")};
  const std::int64_t id = createDashboard(client(), who.project, who.user, "Flask style");
  ASSERT_NE(id, 0);
  EXPECT_EQ(listDashboardIds(client(), who.project, who.user), std::vector<std::int64_t>{id});
  EXPECT_EQ(send(client(), "GET", "/dashboards/" + std::to_string(id)).status, 200u);
  EXPECT_TRUE(isValidationError(send(client(), "GET", "/dashboards"), "project_id"));

  const std::string nid = uniqueId("nt-auth");
  ASSERT_EQ(webhookMessage(deliver(client(), alertFor(nid, who.project, {who.user}, "m"))), "ok");
  const auto note = send(client(), "GET", "/notifications/" + nid + "?user_id=" + who.user);
  ASSERT_EQ(note.status, 200u) << note.body;
  EXPECT_EQ(bodyJson(note).at("state"), json::value("UNACKNOWLEDGED"));
  const auto feed =
      send(client(), "GET", "/notifications?project_id=" + who.project + "&user_id=" + who.user);
  ASSERT_EQ(feed.status, 200u) << feed.body;
  EXPECT_EQ(bodyJson(feed).as_array().size(), 1u);

  // Without an admin token, project-level writes are open as in the sample.
  EXPECT_EQ(
      sendJson(client(), "PUT", "/query-quick-start?project_id=" + who.project, R"({"topics":[]})")
          .status,
      200u);
}

TEST(AuthNoAuthCli, NonLoopbackHostWithoutAuthExits2) {
  TempDir dir;
  const auto result = runCommand({"serve", "--host", "0.0.0.0", "--port", "0", "--database",
                                  "sqlite:" + dir.path() + "/db.sqlite"},
                                 dir.path(), {}, 5s);
  EXPECT_FALSE(result.timed_out) << "the server started";
  EXPECT_EQ(result.exit_status, 2) << result.out << result.err;
  const std::string output = result.out + result.err;
  EXPECT_NE(output.find("--host"), std::string::npos) << output;
  EXPECT_NE(output.find("--insecure-no-auth"), std::string::npos) << output;
}

// A server started with posix_spawn, for hosts other than 127.0.0.1 (ServerProcess waits
// for a loopback "listening on" line).
class HostServer {
 public:
  explicit HostServer(const std::vector<std::string>& args) {
    log_path_ = dir_.path() + "/server.log";
    std::vector<std::string> argv_strings{
        backendBinary(), "serve", "--port",     "0",
        "--threads",     "1",     "--database", "sqlite:" + dir_.path() + "/db"};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<std::string> env_strings;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      const std::string_view text(*entry);
      if (!text.starts_with("AUTOQL_") && !text.starts_with("DATABASE_URL=")) {
        env_strings.emplace_back(text);
      }
    }
    auto pointers = [](std::vector<std::string>& strings) {
      std::vector<char*> out;
      for (std::string& s : strings) {
        out.push_back(s.data());
      }
      out.push_back(nullptr);
      return out;
    };
    std::vector<char*> argv = pointers(argv_strings);
    std::vector<char*> envp = pointers(env_strings);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
  }

  ~HostServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  HostServer(const HostServer&) = delete;
  HostServer& operator=(const HostServer&) = delete;

  std::string log() const {
    std::ifstream in(log_path_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // The port from "listening on http://<host>:PORT", or 0 when it did not come in 10 s.
  std::uint16_t waitForPort(std::string_view host) const {
    const std::string line = "listening on http://" + std::string(host) + ":";
    const auto deadline = SteadyClock::now() + 10s;
    while (pid_ > 0 && SteadyClock::now() < deadline) {
      const std::string text = log();
      const std::size_t at = text.find(line);
      if (at != std::string::npos) {
        std::uint16_t port = 0;
        std::from_chars(text.data() + at + line.size(), text.data() + text.size(), port);
        return port;
      }
      std::this_thread::sleep_for(20ms);
    }
    return 0;
  }

 private:
  TempDir dir_;
  std::string log_path_;
  pid_t pid_ = -1;
};

TEST(AuthNoAuthCli, NonLoopbackHostWithJwtOrInsecureFlagListens) {
  std::signal(SIGPIPE, SIG_IGN);
  const std::vector<std::vector<std::string>> configurations = {
      {"--host", "0.0.0.0", "--jwt-secret", std::string(kJwtSecret)},
      {"--host", "0.0.0.0", "--insecure-no-auth"},
  };
  for (const auto& args : configurations) {
    SCOPED_TRACE(args.back());
    HostServer server(args);
    const std::uint16_t port = server.waitForPort("0.0.0.0");
    ASSERT_NE(port, 0) << server.log();
    Client client("127.0.0.1", port, 10s);
    EXPECT_EQ(send(client, "GET", "/healthz").status, 200u) << server.log();
    const auto list = send(client, "GET", "/dashboards?project_id=p&user_id=u");
    EXPECT_EQ(list.status, args.back() == "--insecure-no-auth" ? 200u : 401u) << list.body;
  }
}

class AuthAdminOnly : public SharedServerTest {
 public:
  static void SetUpTestSuite() {
    ServerSpec spec;
    spec.extra_args = {"--admin-token", std::string(kAdminToken)};
    startSharedServer(spec);
  }
};

TEST_F(AuthAdminOnly, QuickStartWritesNeedTheAdminToken) {
  const std::string target = "/query-quick-start?project_id=" + uniqueId("project");
  const std::string topics = R"({"topics":[{"topic":"Sales","queries":["total sales"]}]})";
  std::string wrong(kAdminToken);
  wrong.back() = 'x';
  EXPECT_TRUE(isProblem(call(client(), "PUT", target, "", topics), 403, "forbidden"));
  EXPECT_TRUE(isProblem(call(client(), "PUT", target, wrong, topics), 403, "forbidden"));
  const auto stored = call(client(), "PUT", target, kAdminToken, topics);
  ASSERT_EQ(stored.status, 200u) << stored.body;
  EXPECT_TRUE(sameJson(parseJson(topics), bodyJson(send(client(), "GET", target))));

  // User data still works as in the sample: identities from the request.
  const Identity who{uniqueId("project"), uniqueId("user")};
  const std::int64_t id = createDashboard(client(), who.project, who.user, "Still open");
  EXPECT_EQ(listDashboardIds(client(), who.project, who.user), std::vector<std::int64_t>{id});
}

// --- 6. CORS ---

class AuthCors : public AuthJwtServer {
 public:
  static void SetUpTestSuite() {
    startSharedServer(jwtSpec(
        {"--cors-origins", std::string(kAllowedOrigin) + "," + std::string(kSecondOrigin)}));
  }

 protected:
  ClientResponse preflight(std::string_view target, std::string_view origin,
                           std::string_view method = "PUT") {
    return send(
        client(), "OPTIONS", target,
        {{"Origin", std::string(origin)},
         {"Access-Control-Request-Method", std::string(method)},
         {"Access-Control-Request-Headers", "authorization, content-type, integrator-domain"}});
  }
};

TEST_F(AuthCors, PreflightFromAnAllowedOrigin) {
  const std::int64_t id = createAs(token_a_, "CORS");
  for (const std::string_view origin : {kAllowedOrigin, kSecondOrigin}) {
    for (const std::string& target :
         {std::string("/dashboards"), "/dashboards/" + std::to_string(id),
          std::string("/api/v1/dashboards"), std::string("/notifications/nt_1")}) {
      SCOPED_TRACE(std::string(origin) + " " + target);
      const auto response = preflight(target, origin);
      EXPECT_EQ(response.status, 204u) << response.body;
      EXPECT_EQ(headerOf(response, "Access-Control-Allow-Origin"), origin);
      const std::string methods = headerOf(response, "Access-Control-Allow-Methods");
      for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
        EXPECT_TRUE(listHas(methods, method)) << method << " not in " << methods;
      }
      const std::string headers = headerOf(response, "Access-Control-Allow-Headers");
      for (const char* header : {"Authorization", "Content-Type", "Integrator-Domain"}) {
        EXPECT_TRUE(listHas(headers, header)) << header << " not in " << headers;
      }
      EXPECT_TRUE(listHas(headerOf(response, "Vary"), "Origin")) << headerOf(response, "Vary");
    }
  }
}

TEST_F(AuthCors, PreflightFromAnyOtherOriginHasNoCorsHeaders) {
  for (const std::string_view origin :
       {kEvilOrigin, std::string_view("https://app.example.com.evil.example"),
        std::string_view("http://app.example.com"),
        std::string_view("https://app.example.com:8443"),
        std::string_view("https://APP.example.com"), std::string_view("null")}) {
    SCOPED_TRACE(origin);
    const auto response = preflight("/dashboards", origin);
    EXPECT_LT(response.status, 500u);
    EXPECT_TRUE(hasNoCorsHeaders(response));
  }
}

TEST_F(AuthCors, ResponsesCarryCorsHeadersOnlyForAllowedOrigins) {
  const std::int64_t id = createAs(token_a_, "CORS read");
  for (const std::string& target :
       {std::string("/dashboards"), "/dashboards/" + std::to_string(id)}) {
    SCOPED_TRACE(target);
    const auto allowed =
        call(client(), "GET", target, token_a_, {}, {{"Origin", std::string(kAllowedOrigin)}});
    ASSERT_EQ(allowed.status, 200u) << allowed.body;
    EXPECT_EQ(headerOf(allowed, "Access-Control-Allow-Origin"), kAllowedOrigin);
    const std::string exposed = headerOf(allowed, "Access-Control-Expose-Headers");
    for (const char* header : {"ETag", "Link", "Location"}) {
      EXPECT_TRUE(listHas(exposed, header)) << header << " not in " << exposed;
    }
    EXPECT_TRUE(listHas(headerOf(allowed, "Vary"), "Origin"));

    const auto other =
        call(client(), "GET", target, token_a_, {}, {{"Origin", std::string(kEvilOrigin)}});
    ASSERT_EQ(other.status, 200u) << other.body;
    EXPECT_TRUE(hasNoCorsHeaders(other));
  }
  const auto created = call(client(), "POST", "/dashboards", token_a_, R"({"name":"x"})",
                            {{"Origin", std::string(kSecondOrigin)}});
  ASSERT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(headerOf(created, "Access-Control-Allow-Origin"), kSecondOrigin);
  // The browser app must be able to read a 401 to send its user to log in.
  const auto refused =
      call(client(), "GET", "/dashboards", "", {}, {{"Origin", std::string(kAllowedOrigin)}});
  EXPECT_TRUE(isUnauthorized(refused));
  EXPECT_EQ(headerOf(refused, "Access-Control-Allow-Origin"), kAllowedOrigin);
}

TEST_F(AuthCors, WebhookRoutesNeverCarryCorsHeaders) {
  for (const std::string_view path : {kWebhookPath, std::string_view("/your-webhook")}) {
    for (const std::string_view origin : {kAllowedOrigin, kEvilOrigin}) {
      SCOPED_TRACE(std::string(path) + " from " + std::string(origin));
      const auto options = preflight(path, origin, "POST");
      EXPECT_TRUE(hasNoCorsHeaders(options));

      const std::string nid = uniqueId("nt-auth");
      const std::string body = alertFor(nid, a_.project, {a_.user}, "m");
      std::vector<Header> headers = signedHeaders(body, std::to_string(nowMillis()));
      headers.push_back({"Origin", std::string(origin)});
      const auto delivered = send(client(), "POST", path, headers, body);
      EXPECT_EQ(webhookMessage(delivered), "ok") << delivered.status << " " << delivered.body;
      EXPECT_TRUE(hasNoCorsHeaders(delivered));

      const auto refused = send(client(), "POST", path,
                                {{"Origin", std::string(origin)},
                                 {"Content-Type", "application/json"},
                                 {"AutoQL-Timestamp", std::to_string(nowMillis())},
                                 {"AutoQL-Signature", "AAAA"}},
                                body);
      EXPECT_TRUE(isProblem(refused, 401, "signature_mismatch"));
      EXPECT_TRUE(hasNoCorsHeaders(refused));
    }
  }
}

class AuthCorsOff : public AuthJwtServer {};

TEST_F(AuthCorsOff, NoCorsHeadersWithoutTheOption) {
  const std::int64_t id = createAs(token_a_, "No CORS");
  const std::vector<Header> preflight = {
      {"Origin", std::string(kAllowedOrigin)},
      {"Access-Control-Request-Method", "PUT"},
      {"Access-Control-Request-Headers", "authorization, content-type, integrator-domain"}};
  for (const std::string& target : {std::string("/dashboards"), "/dashboards/" + std::to_string(id),
                                    std::string(kWebhookPath)}) {
    SCOPED_TRACE(target);
    EXPECT_TRUE(hasNoCorsHeaders(send(client(), "OPTIONS", target, preflight)));
  }
  const auto read = call(client(), "GET", "/dashboards/" + std::to_string(id), token_a_, {},
                         {{"Origin", std::string(kAllowedOrigin)}});
  ASSERT_EQ(read.status, 200u) << read.body;
  EXPECT_TRUE(hasNoCorsHeaders(read));
  EXPECT_TRUE(hasNoCorsHeaders(
      call(client(), "GET", "/dashboards", "", {}, {{"Origin", std::string(kAllowedOrigin)}})));
}

// --- 7. the webhook ---

class AuthWebhook : public AuthJwtServer {};

TEST_F(AuthWebhook, NeedsNoTokenOnlyItsSignature) {
  for (const std::string_view path : {kWebhookPath, std::string_view("/your-webhook")}) {
    SCOPED_TRACE(path);
    const std::string nid = uniqueId("nt-auth");
    const std::string body = alertFor(nid, a_.project, {a_.user}, "m");
    const auto delivered = deliver(client(), body, kWebhookSecret, path);
    EXPECT_EQ(webhookMessage(delivered), "ok") << delivered.status << " " << delivered.body;
    const auto read = call(client(), "GET", "/notifications/" + nid, token_a_);
    EXPECT_EQ(read.status, 200u) << read.body;

    // A token neither helps nor hurts: the signature decides.
    const std::string second = uniqueId("nt-auth");
    const std::string second_body = alertFor(second, a_.project, {a_.user}, "m");
    std::vector<Header> headers = signedHeaders(second_body, std::to_string(nowMillis()));
    headers.push_back({"Authorization", "Bearer not-a-token"});
    const auto with_garbage = send(client(), "POST", path, headers, second_body);
    EXPECT_EQ(webhookMessage(with_garbage), "ok") << with_garbage.status << with_garbage.body;

    const std::string third = uniqueId("nt-auth");
    const std::string third_body = alertFor(third, a_.project, {a_.user}, "m");
    const auto forged = send(client(), "POST", path,
                             {{"Content-Type", "application/json"},
                              {"Authorization", "Bearer " + token_a_},
                              {"AutoQL-Timestamp", std::to_string(nowMillis())},
                              {"AutoQL-Signature", security::base64Encode(std::string(32, 'x'))}},
                             third_body);
    EXPECT_TRUE(isProblem(forged, 401, "signature_mismatch"));
    EXPECT_TRUE(
        isProblem(call(client(), "GET", "/notifications/" + third, token_a_), 404, "not_found"));
  }
}

}  // namespace
}  // namespace autoql::e2e
