// The readable API documentation served at GET /docs: one self-contained HTML page
// rendered on the server from the OpenAPI document, with the operations grouped by tag
// (method, path, summary, authentication, parameters, request body, responses), then the
// schemas and the security schemes. The page loads nothing from elsewhere and has no
// script, so it works on a closed network and under a Content-Security-Policy that allows
// only its own style sheet. Every text taken from the document is HTML-escaped.
// Pure functions, safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace autoql::api {

struct DocsPage {
  std::string html;
  // The Content-Security-Policy to send with `html`: nothing allowed but its inline style
  // sheet, named by its SHA-256 hash.
  std::string content_security_policy;
};

// Renders the page for `document`, an OpenAPI 3.1 document. Local references
// ("#/components/...") are followed; members the page does not know are left out, and an
// operation without a known tag is listed under "Other", so that no route goes missing.
DocsPage renderDocsPage(const boost::json::value& document);

// `text` with &, <, >, " and ' replaced by character references: safe in element content
// and in double- or single-quoted attribute values.
std::string escapeHtml(std::string_view text);

}  // namespace autoql::api
