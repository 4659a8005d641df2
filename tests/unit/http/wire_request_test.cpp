// Reading a parsed request: decoded path and query, absolute-form targets, refused
// targets, the request id, and the framing check against request smuggling.
#include "http/wire_request.h"

#include <gtest/gtest.h>

namespace autoql::http {
namespace {

namespace bhttp = boost::beast::http;

WireRequest wire(bhttp::verb verb, std::string_view target) {
  return WireRequest(verb, target, 11);
}

TEST(WireRequest, DecodesPathSegmentsAndQuery) {
  WireRequest message = wire(bhttp::verb::get, "/dashboards/%31?user_id=%E2%82%AC%2B1&x=a%20b");
  Request request;
  ASSERT_TRUE(readRequest(message, request));
  EXPECT_EQ(request.method, Method::kGet);
  EXPECT_EQ(request.segments, (std::vector<std::string>{"dashboards", "1"}));
  ASSERT_EQ(request.query.size(), 2U);
  EXPECT_EQ(request.query[0], (std::pair<std::string, std::string>{"user_id", "\xE2\x82\xAC+1"}));
  EXPECT_EQ(request.query[1].second, "a b");
}

TEST(WireRequest, AcceptsAbsoluteFormForHttpOnly) {
  WireRequest absolute = wire(bhttp::verb::get, "http://example.com/healthz?a=1");
  Request request;
  ASSERT_TRUE(readRequest(absolute, request));
  EXPECT_EQ(request.segments, (std::vector<std::string>{"healthz"}));
  EXPECT_EQ(request.target, "http://example.com/healthz?a=1");

  WireRequest other_scheme = wire(bhttp::verb::get, "ftp://example.com/healthz");
  Request refused;
  EXPECT_FALSE(readRequest(other_scheme, refused));
}

TEST(WireRequest, RefusedTargetStillNamesTheRequest) {
  WireRequest message = wire(bhttp::verb::unknown, "*");
  message.method_string("BREW");
  message.set("X-Request-Id", "abc-1.2:3_x");
  message.body() = "ignored";
  Request request;
  EXPECT_FALSE(readRequest(message, request));
  EXPECT_EQ(request.method, Method::kOther);
  EXPECT_EQ(request.method_text, "BREW");
  EXPECT_EQ(request.target, "*");
  EXPECT_EQ(request.request_id, "abc-1.2:3_x");
  EXPECT_TRUE(request.body.empty());
}

TEST(WireRequest, ReplacesUnreasonableRequestIds) {
  for (const std::string& given :
       {std::string("has space"), std::string(129, 'a'), std::string()}) {
    WireRequest message = wire(bhttp::verb::get, "/");
    message.set("X-Request-Id", given);
    Request request;
    ASSERT_TRUE(readRequest(message, request));
    EXPECT_NE(request.request_id, given);
    EXPECT_EQ(request.request_id.size(), 16U) << given;
  }
}

TEST(WireRequest, FramingAllowsOnlyOneChunkedCoding) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"chunked", true}, {" Chunked\t", true}, {"gzip, chunked", false}, {"identity", false}};
  for (const auto& [coding, clear] : cases) {
    WireRequest message = wire(bhttp::verb::post, "/");
    message.set(bhttp::field::transfer_encoding, coding);
    EXPECT_EQ(hasClearFraming(message), clear) << coding;
  }
  WireRequest twice = wire(bhttp::verb::post, "/");
  twice.insert(bhttp::field::transfer_encoding, "chunked");
  twice.insert(bhttp::field::transfer_encoding, "chunked");
  EXPECT_FALSE(hasClearFraming(twice));
  EXPECT_TRUE(hasClearFraming(wire(bhttp::verb::post, "/")));
}

}  // namespace
}  // namespace autoql::http
