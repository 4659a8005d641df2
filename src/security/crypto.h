// Thin wrappers over OpenSSL for the primitives the service needs: HMAC-SHA256, SHA-256,
// base64, constant-time comparison and random bytes. Stateless; safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace autoql::security {

// Returns the 32 raw bytes of HMAC-SHA256(key, message).
std::string hmacSha256(std::string_view key, std::string_view message);

// Returns the lowercase hex SHA-256 of `data` (64 characters).
std::string sha256Hex(std::string_view data);

// Standard base64 (RFC 4648 section 4) with padding.
std::string base64Encode(std::string_view bytes);

// Decodes standard base64. Padding is required where the length needs it; whitespace or
// any character outside the alphabet makes it return nullopt.
std::optional<std::string> base64Decode(std::string_view text);

// Compares two byte strings in time that depends only on their lengths.
bool constantTimeEqual(std::string_view a, std::string_view b);

// Returns `count` random bytes from the OpenSSL CSPRNG, hex-encoded (2 * count chars).
std::string randomHex(std::size_t count);

}  // namespace autoql::security
