// The OpenSSL wrappers against published vectors (RFC 4648 base64, FIPS 180-2 SHA-256,
// the HMAC-SHA256 example of RFC 2104 style "quick brown fox").
#include "security/crypto.h"

#include <gtest/gtest.h>

namespace autoql::security {
namespace {

TEST(Crypto, Sha256OfAbc) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HmacSha256OfQuickBrownFox) {
  EXPECT_EQ(base64Encode(hmacSha256("key", "The quick brown fox jumps over the lazy dog")),
            "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=");
}

TEST(Crypto, Base64RoundTripsRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64Encode(plain), encoded);
    auto decoded = base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Crypto, Base64DecodeRefusesNonCanonicalText) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v\n", "Zm 9v", "Zm9v!A==", "====", "Zg==Zg=="}) {
    EXPECT_FALSE(base64Decode(bad).has_value()) << bad;
  }
}

TEST(Crypto, ConstantTimeEqualComparesWholeStrings) {
  EXPECT_TRUE(constantTimeEqual("abc", "abc"));
  EXPECT_FALSE(constantTimeEqual("abc", "abd"));
  EXPECT_FALSE(constantTimeEqual("abc", "ab"));
  EXPECT_TRUE(constantTimeEqual("", ""));
}

TEST(Crypto, RandomHexHasTheRequestedLength) {
  EXPECT_EQ(randomHex(16).size(), 32U);
  EXPECT_NE(randomHex(16), randomHex(16));
}

}  // namespace
}  // namespace autoql::security
