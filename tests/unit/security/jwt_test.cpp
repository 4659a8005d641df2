// Bearer token verification: a table of forged, expired, wrong-algorithm, wrong-audience
// and valid tokens for each configured algorithm. Keys are generated per run; tokens are
// signed with libjwt, or assembled by hand where a forger would do so.
#include "security/jwt.h"

#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include "security/crypto.h"

namespace autoql::security {
namespace {

constexpr std::int64_t kNow = 1764763200000;  // 2025-12-03T12:00:00Z
constexpr long kNowSeconds = kNow / 1000;
const std::string kSecret = "test-secret-at-least-32-bytes-long!!";

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

KeyPair generate(bool rsa) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"), &EVP_PKEY_free);
  auto pem = [&](bool is_private) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
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

// Signs `claims` (a JSON object) with libjwt.
std::string sign(jwt_alg_t alg, const std::string& key, const std::string& claims) {
  jwt_t* raw = nullptr;
  jwt_new(&raw);
  jwt_add_grants_json(raw, claims.c_str());
  jwt_set_alg(raw, alg, reinterpret_cast<const unsigned char*>(key.data()),
              static_cast<int>(key.size()));
  char* encoded = jwt_encode_str(raw);
  std::string token = encoded ? encoded : "";
  free(encoded);
  jwt_free(raw);
  return token;
}

std::string base64Url(const std::string& text) {
  std::string out = base64Encode(text);
  for (char& c : out) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  while (!out.empty() && out.back() == '=') {
    out.pop_back();
  }
  return out;
}

std::string claims(long exp_offset = 3600, const std::string& extra = "") {
  return R"({"user_id":"u1","project_id":"p1","exp":)" + std::to_string(kNowSeconds + exp_offset) +
         extra + "}";
}

JwtVerifier verifier(JwtAlgorithm algorithm, const std::string& key,
                     std::optional<std::string> issuer = {},
                     std::optional<std::string> audience = {}) {
  JwtOptions options;
  options.algorithm = algorithm;
  options.key = key;
  options.issuer = std::move(issuer);
  options.audience = std::move(audience);
  options.clock = [] { return kNow; };
  return JwtVerifier(options);
}

std::string outcome(const Result<TokenIdentity, TokenError>& result) {
  if (result.ok()) {
    return "ok:" + result->user_id + "@" + result->project_id;
  }
  return std::string(describe(result.error()));
}

TEST(Jwt, Hs256Table) {
  const auto hs = verifier(JwtAlgorithm::kHs256, kSecret);
  const std::string header_none = base64Url(R"({"alg":"none","typ":"JWT"})");
  const std::string valid = sign(JWT_ALG_HS256, kSecret, claims());
  std::string tampered = valid;
  tampered[tampered.find('.') + 3] ^= 1;

  const std::pair<std::string, std::string> cases[] = {
      {valid, "ok:u1@p1"},
      {sign(JWT_ALG_HS256, kSecret,
            R"({"sub":"s1","project_id":7,"exp":)" + std::to_string(kNowSeconds + 60) + "}"),
       "ok:s1@7"},
      {sign(JWT_ALG_HS256, kSecret, R"({"user_id":"u1","project_id":"p1"})"),
       std::string(describe(TokenError::kNoExpiry))},
      {sign(JWT_ALG_HS256, "another-secret-of-32-bytes-or-more", claims()),
       std::string(describe(TokenError::kBadSignature))},
      {tampered, std::string(describe(TokenError::kBadSignature))},
      {sign(JWT_ALG_HS384, kSecret, claims()), std::string(describe(TokenError::kWrongAlgorithm))},
      {header_none + "." + base64Url(claims()) + ".",
       std::string(describe(TokenError::kWrongAlgorithm))},
      {sign(JWT_ALG_HS256, kSecret, claims(-61)), std::string(describe(TokenError::kExpired))},
      {sign(JWT_ALG_HS256, kSecret, claims(-59)), "ok:u1@p1"},  // within the 60 s leeway
      {sign(JWT_ALG_HS256, kSecret, claims(3600, R"(,"nbf":)" + std::to_string(kNowSeconds + 61))),
       std::string(describe(TokenError::kNotYetValid))},
      {sign(JWT_ALG_HS256, kSecret, R"({"user_id":"u1","exp":"tomorrow","project_id":"p"})"),
       std::string(describe(TokenError::kMalformed))},
      {sign(JWT_ALG_HS256, kSecret,
            R"({"user_id":"u1","exp":)" + std::to_string(kNowSeconds + 60) + "}"),
       std::string(describe(TokenError::kMissingIdentity))},
      {"", std::string(describe(TokenError::kMalformed))},
      {"not.a.token", std::string(describe(TokenError::kMalformed))},
      {"abc", std::string(describe(TokenError::kMalformed))},
      {std::string(9000, 'a'), std::string(describe(TokenError::kMalformed))},
  };
  for (const auto& [token, expected] : cases) {
    EXPECT_EQ(outcome(hs.verify(token)), expected) << token;
  }
}

// A correctly signed token whose claims are a JSON object followed by a NUL and more
// bytes (found by the bearer fuzz target): libjwt's parser stops at the NUL and would
// accept the object alone; the signed bytes are not one JSON object, so it is refused.
TEST(Jwt, ClaimsMustBeExactlyOneJsonObject) {
  const auto hs = verifier(JwtAlgorithm::kHs256, kSecret);
  auto hand_signed = [](const std::string& header, const std::string& payload) {
    const std::string input = base64Url(header) + "." + base64Url(payload);
    return input + "." + base64Url(hmacSha256(kSecret, input));
  };
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  EXPECT_EQ(outcome(hs.verify(hand_signed(header, claims()))), "ok:u1@p1");
  // Refused: libjwt itself refuses some of these (reported as a bad signature), the NUL
  // cases only our own strict reading does.
  for (const std::string& payload :
       {claims() + std::string("\0\xb7", 2), claims() + " {}", claims() + "x", std::string("[]")}) {
    EXPECT_FALSE(hs.verify(hand_signed(header, payload)).ok()) << payload;
  }
  EXPECT_EQ(outcome(hs.verify(hand_signed(header, claims() + std::string("\0\xb7", 2)))),
            std::string(describe(TokenError::kMalformed)));
  EXPECT_EQ(outcome(hs.verify(hand_signed(header + std::string("\0", 1), claims()))),
            std::string(describe(TokenError::kMalformed)));
  // A critical extension this verifier does not implement (RFC 7515 4.1.11).
  EXPECT_EQ(outcome(hs.verify(hand_signed(R"({"alg":"HS256","crit":["exp"],"exp":1})", claims()))),
            std::string(describe(TokenError::kMalformed)));
}

TEST(Jwt, IssuerAndAudienceWhenConfigured) {
  const auto strict = verifier(JwtAlgorithm::kHs256, kSecret, "https://issuer", "autoql");
  const std::pair<std::string, std::string> cases[] = {
      {claims(3600, R"(,"iss":"https://issuer","aud":"autoql")"), "ok:u1@p1"},
      {claims(3600, R"(,"iss":"https://issuer","aud":["x","autoql"])"), "ok:u1@p1"},
      {claims(3600, R"(,"iss":"https://issuer","aud":"other")"),
       std::string(describe(TokenError::kWrongAudience))},
      {claims(3600, R"(,"iss":"https://issuer")"),
       std::string(describe(TokenError::kWrongAudience))},
      {claims(3600, R"(,"iss":"https://evil","aud":"autoql")"),
       std::string(describe(TokenError::kWrongIssuer))},
  };
  for (const auto& [body, expected] : cases) {
    EXPECT_EQ(outcome(strict.verify(sign(JWT_ALG_HS256, kSecret, body))), expected) << body;
  }
}

TEST(Jwt, PublicKeyAlgorithms) {
  for (bool rsa : {true, false}) {
    const KeyPair keys = generate(rsa);
    const auto algorithm = algorithmForPublicKey(keys.public_pem);
    ASSERT_TRUE(algorithm.ok()) << algorithm.error();
    EXPECT_EQ(*algorithm, rsa ? JwtAlgorithm::kRs256 : JwtAlgorithm::kEs256);
    const auto checker = verifier(*algorithm, keys.public_pem);
    const jwt_alg_t alg = rsa ? JWT_ALG_RS256 : JWT_ALG_ES256;

    EXPECT_EQ(outcome(checker.verify(sign(alg, keys.private_pem, claims()))), "ok:u1@p1");
    // The classic confusion attack: an HMAC keyed with the public key itself.
    EXPECT_EQ(outcome(checker.verify(sign(JWT_ALG_HS256, keys.public_pem, claims()))),
              describe(TokenError::kWrongAlgorithm));
    // Signed by another key of the same kind.
    const KeyPair other = generate(rsa);
    EXPECT_EQ(outcome(checker.verify(sign(alg, other.private_pem, claims()))),
              describe(TokenError::kBadSignature));
    EXPECT_EQ(outcome(checker.verify(sign(alg, keys.private_pem, claims(-120)))),
              describe(TokenError::kExpired));
  }
}

TEST(Jwt, RefusesKeysThatAreNotPublicKeys) {
  EXPECT_FALSE(algorithmForPublicKey("not a key").ok());
  EXPECT_FALSE(algorithmForPublicKey(generate(true).private_pem).ok());
}

TEST(Jwt, MintedTokensVerify) {
  const std::string token = mintHs256Token(kSecret, "alice", "acme", std::chrono::hours(1), kNow);
  EXPECT_EQ(outcome(verifier(JwtAlgorithm::kHs256, kSecret).verify(token)), "ok:alice@acme");
}

}  // namespace
}  // namespace autoql::security
