// GET /openapi.json and GET /docs (DESIGN 3.5): the checked-in OpenAPI document served
// byte for byte and without authentication, and the documentation page as a browser
// shows it: headless Chromium loads /docs, and every route of the document is on it.
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "e2e_support.h"

namespace autoql::e2e {
namespace {

using OpenApi = SharedServerTest;

// Path item members that are operations.
constexpr std::array<std::string_view, 8> kMethods{"get",     "put",  "post",  "delete",
                                                   "options", "head", "patch", "trace"};

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// Loads `url` in headless Chromium and returns the DOM it built, or "" (with a test
// failure) when Chromium did not finish. Its log goes to `dir`/chromium.log.
std::string renderedDom(const std::string& url, const std::string& dir) {
  // A fresh profile, no sandbox (the tests may run as root), and none of the background
  // connections a closed network would refuse.
  const std::string command =
      "timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic "
      "--no-first-run --disable-background-networking --disable-component-update "
      "--disable-sync --user-data-dir='" +
      dir + "/chromium-profile' --enable-logging=stderr --v=0 --dump-dom '" + url + "' > '" + dir +
      "/dom.html' 2> '" + dir + "/chromium.log'";
  const int status = std::system(command.c_str());
  EXPECT_EQ(status, 0) << readFile(dir + "/chromium.log");
  return status == 0 ? readFile(dir + "/dom.html") : std::string();
}

TEST_F(OpenApi, ServesTheCheckedInDocument) {
  const auto response = send(client(), "GET", "/openapi.json");

  ASSERT_EQ(response.status, 200u);
  EXPECT_EQ(headerOf(response, "Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(response.body, readFile(AUTOQL_OPENAPI_JSON)) << "the binary embeds a stale copy";
}

TEST_F(OpenApi, DocsPageIsHtmlUnderARestrictivePolicy) {
  const auto response = send(client(), "GET", "/docs");

  ASSERT_EQ(response.status, 200u);
  EXPECT_EQ(headerOf(response, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(headerOf(response, "Content-Security-Policy").rfind("default-src 'none';", 0), 0u);
  EXPECT_EQ(headerOf(response, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response.body.rfind("<!DOCTYPE html>", 0), 0u);
}

TEST_F(OpenApi, ChromiumShowsEveryRouteOfTheDocument) {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "chromium is not installed (scripts/install-deps installs it)";
  }
  const std::string dom =
      renderedDom("http://127.0.0.1:" + std::to_string(server().port()) + "/docs", server().dir());
  ASSERT_NE(dom.find("<h1>"), std::string::npos) << dom.substr(0, 2000);

  const auto document = parseJson(send(client(), "GET", "/openapi.json").body);
  int routes = 0;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (std::string_view method : kMethods) {
      if (item.as_object().contains(method)) {
        ++routes;
        const std::string shown = "<span class=\"method\">" + upper(method) +
                                  "</span> <span class=\"path\">" + std::string(path) + "</span>";
        EXPECT_NE(dom.find(shown), std::string::npos) << upper(method) << " " << path;
      }
    }
  }
  EXPECT_GT(routes, 30);

  // Chromium reports a style sheet the page's own policy refuses (a stale hash) here.
  const std::string log = readFile(server().dir() + "/chromium.log");
  EXPECT_EQ(log.find("Content Security Policy"), std::string::npos) << log;
}

// With bearer tokens required, the description stays public, like /healthz.
class OpenApiWithTokens : public SharedServerTest {
 public:
  static void SetUpTestSuite() {
    ServerSpec spec;
    spec.extra_args = {"--jwt-secret", "openapi-e2e-jwt-secret-of-32-bytes-or-more"};
    startSharedServer(spec);
  }
};

TEST_F(OpenApiWithTokens, NeedsNoToken) {
  EXPECT_EQ(send(client(), "GET", "/openapi.json").status, 200u);
  EXPECT_EQ(send(client(), "GET", "/docs").status, 200u);
  EXPECT_TRUE(isProblem(send(client(), "GET", "/dashboards"), 401, "unauthorized"));
}

}  // namespace
}  // namespace autoql::e2e
