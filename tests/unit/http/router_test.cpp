// Routing: templates with parameters, literal segments winning over parameters, HEAD on
// GET routes, and the Allow list for 405.
#include "http/router.h"

#include <gtest/gtest.h>

namespace autoql::http {
namespace {

Response named(std::string name) {
  return jsonResponse(200, std::move(name));
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add(Method::kGet, "/dashboards", [](const Request&) { return named("list"); });
    router_.add(Method::kPost, "/dashboards", [](const Request&) { return named("create"); });
    router_.add(Method::kGet, "/dashboards/{id}", [](const Request&) { return named("get"); });
    router_.add(Method::kGet, "/dashboards/summary", [](const Request&) { return named("sum"); });
  }

  std::string call(Method method, std::vector<std::string> segments) {
    auto match = router_.match(method, segments);
    std::string body;
    if (match.route) {
      match.route->handler(Request{}, [&body](Response response) { body = response.body; });
    }
    return body;
  }

  Router router_;
};

TEST_F(RouterTest, MatchesTemplatesAndBindsParameters) {
  auto match = router_.match(Method::kGet, {"dashboards", "42"});
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->pattern, "/dashboards/{id}");
  ASSERT_EQ(match.params.size(), 1U);
  EXPECT_EQ(match.params[0], (std::pair<std::string, std::string>{"id", "42"}));
}

TEST_F(RouterTest, PrefersLiteralSegments) {
  EXPECT_EQ(call(Method::kGet, {"dashboards", "summary"}), "sum");
}

TEST_F(RouterTest, HeadMatchesGet) {
  EXPECT_EQ(call(Method::kHead, {"dashboards"}), "list");
}

TEST_F(RouterTest, ListsAllowedMethodsForAKnownPath) {
  auto match = router_.match(Method::kDelete, {"dashboards"});
  EXPECT_EQ(match.route, nullptr);
  EXPECT_EQ(match.allowed, (std::vector<Method>{Method::kGet, Method::kHead, Method::kPost}));
}

TEST_F(RouterTest, UnknownPathsMatchNothing) {
  for (const auto& segments : std::vector<std::vector<std::string>>{
           {"dashboard"}, {"dashboards", ""}, {"dashboards", "1", "x"}, {""}}) {
    auto match = router_.match(Method::kGet, segments);
    EXPECT_EQ(match.route, nullptr);
    EXPECT_TRUE(match.allowed.empty());
  }
}

}  // namespace
}  // namespace autoql::http
