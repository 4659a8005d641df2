// The /docs page: every operation of the document shown with its method and path, text
// from the document escaped, and a CSP that allows nothing but the page's own style.
#include "api/openapi_docs.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cctype>
#include <string>

#include "api/openapi_document.h"

namespace autoql::api {
namespace {

namespace json = boost::json;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// The markup the page gives one operation's method and path.
std::string routeMarkup(std::string_view method, std::string_view path) {
  return "<span class=\"method\">" + std::string(method) + "</span> <span class=\"path\">" +
         escapeHtml(path) + "</span>";
}

TEST(EscapeHtml, ReplacesEveryMarkupCharacter) {
  EXPECT_EQ(escapeHtml(R"(<a href="x" title='y'>&</a>)"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(escapeHtml("plain /dashboards/{id} text"), "plain /dashboards/{id} text");
}

TEST(DocsPage, ShowsEveryOperationOfTheEmbeddedDocument) {
  const json::value document = json::parse(openApiDocument());
  const std::string html = renderDocsPage(document).html;

  int operations = 0;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (std::string_view method : {"get", "put", "post", "delete", "patch"}) {
      const json::value* operation = item.as_object().if_contains(method);
      if (operation == nullptr) {
        continue;
      }
      ++operations;
      std::string upper(method);
      for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      EXPECT_TRUE(contains(html, routeMarkup(upper, path))) << upper << " " << path;
      EXPECT_TRUE(contains(html, "id=\"" + std::string(operation->at("operationId").as_string())))
          << path;
    }
  }
  EXPECT_GT(operations, 30);
}

TEST(DocsPage, EscapesTextFromTheDocument) {
  const json::value document = json::parse(R"({
    "openapi": "3.1.0",
    "info": {"title": "T<script>alert(1)</script>", "version": "1\"><b>"},
    "paths": {"/a/{id}": {"get": {
      "operationId": "x\" onclick=\"evil",
      "summary": "<img src=x onerror=alert(1)>",
      "description": "Use `<b>` & stop",
      "responses": {"200": {"description": "'quoted'"}}}}}})");
  const std::string html = renderDocsPage(document).html;

  EXPECT_FALSE(contains(html, "<script")) << html;
  EXPECT_FALSE(contains(html, "<img")) << html;
  EXPECT_FALSE(contains(html, "<b>")) << html;
  EXPECT_FALSE(contains(html, "\" onclick")) << html;
  EXPECT_TRUE(contains(html, "T&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(contains(html, "<code>&lt;b&gt;</code> &amp; stop"));
  EXPECT_TRUE(contains(html, "&#39;quoted&#39;"));
}

TEST(DocsPage, ListsUntaggedOperationsUnderOther) {
  const json::value document = json::parse(R"({
    "openapi": "3.1.0", "info": {"title": "T", "version": "1"},
    "tags": [{"name": "Known", "description": "d"}],
    "paths": {
      "/known": {"get": {"tags": ["Known"], "responses": {}}},
      "/untagged": {"delete": {"responses": {}}}}})");
  const std::string html = renderDocsPage(document).html;

  EXPECT_TRUE(contains(html, routeMarkup("GET", "/known")));
  EXPECT_TRUE(contains(html, routeMarkup("DELETE", "/untagged")));
  EXPECT_TRUE(contains(html, "<h2>Other</h2>"));
}

TEST(DocsPage, FollowsReferencesToComponents) {
  const json::value document = json::parse(R"({
    "openapi": "3.1.0", "info": {"title": "T", "version": "1"},
    "paths": {"/things/{id}": {"get": {
      "parameters": [{"$ref": "#/components/parameters/Id"}],
      "responses": {"404": {"$ref": "#/components/responses/Missing"}}}}},
    "components": {
      "parameters": {"Id": {"name": "id", "in": "path", "required": true,
                            "description": "The thing's id.",
                            "schema": {"type": "integer", "minimum": 1}}},
      "responses": {"Missing": {"description": "No such thing."}}}})");
  const std::string html = renderDocsPage(document).html;

  EXPECT_TRUE(contains(html, "<code>id</code>"));
  EXPECT_TRUE(contains(html, "The thing&#39;s id."));
  EXPECT_TRUE(contains(html, "minimum 1"));
  EXPECT_TRUE(contains(html, "No such thing."));
}

TEST(DocsPage, PolicyAllowsOnlyTheInlineStyleSheet) {
  const DocsPage page = renderDocsPage(json::parse(openApiDocument()));

  EXPECT_EQ(page.content_security_policy.rfind("default-src 'none';", 0), 0u);
  EXPECT_TRUE(contains(page.content_security_policy, "style-src 'sha256-"));
  EXPECT_FALSE(contains(page.content_security_policy, "unsafe"));
  EXPECT_FALSE(contains(page.html, "<script"));
  // Nothing to load from elsewhere: no element that fetches, and no link outside the page
  // but the document itself.
  EXPECT_FALSE(contains(page.html, " src=")) << "the page must load nothing";
  EXPECT_FALSE(contains(page.html, "<link"));
  EXPECT_FALSE(contains(page.html, "href=\"http"));
}

}  // namespace
}  // namespace autoql::api
