#include "api/openapi_docs.h"

#include <algorithm>
#include <array>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <utility>
#include <vector>

#include "security/crypto.h"

namespace autoql::api {
namespace {

namespace json = boost::json;

// The page's only style sheet, inline: the CSP names it by hash, so any change here
// changes the header with it.
constexpr std::string_view kStyle =
    "body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:0 1.5rem;"
    "color:#1d1d1f}"
    "code,pre,.path{font-family:ui-monospace,monospace;font-size:.92em}"
    "pre{background:#f4f4f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap}"
    "nav ul{columns:2}"
    ".operation{border-top:1px solid #ccc;padding-top:.4rem}"
    ".method{display:inline-block;min-width:4.5rem;font-weight:bold}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}"
    ".note{color:#555}";

// Path item members that are operations, in the order a page lists them.
constexpr std::array<std::string_view, 8> kMethods{"get",     "put",  "post",  "delete",
                                                   "options", "head", "patch", "trace"};

constexpr std::string_view kOtherTag = "Other";

const json::object* objectAt(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr ? value->if_object() : nullptr;
}

const json::array* arrayAt(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr ? value->if_array() : nullptr;
}

// The array, or an empty one for a member that is absent or not an array.
const json::array& orEmpty(const json::array* array) {
  static const json::array empty;
  return array != nullptr ? *array : empty;
}

std::string_view stringAt(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string_view(value->get_string())
                                                : std::string_view();
}

// The last segment of a reference: "#/components/schemas/Dashboard" -> "Dashboard".
std::string_view refName(std::string_view ref) {
  return ref.substr(ref.rfind('/') + 1);
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

// Escapes `text` and turns its `code` spans into <code> elements (the descriptions use
// that one piece of Markdown).
std::string inlineText(std::string_view text) {
  std::string out;
  bool in_code = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t tick = std::min(text.find('`', start), text.size());
    out += escapeHtml(text.substr(start, tick - start));
    if (tick == text.size()) {
      break;
    }
    out += in_code ? "</code>" : "<code>";
    in_code = !in_code;
    start = tick + 1;
  }
  return in_code ? out + "</code>" : out;
}

// A description as paragraphs (blank lines separate them).
std::string prose(std::string_view text, std::string_view css_class = {}) {
  std::string out;
  const std::string open =
      css_class.empty() ? "<p>" : "<p class=\"" + escapeHtml(css_class) + "\">";
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find("\n\n", start), text.size());
    out += open + inlineText(text.substr(start, end - start)) + "</p>\n";
    start = end + 2;
  }
  return out;
}

std::string jsonText(const json::value& value) {
  return escapeHtml(json::serialize(value));
}

// "sha256-<base64>" of `text`, as CSP source expressions name inline content.
std::string cspHash(std::string_view text) {
  const std::string hex = security::sha256Hex(text);
  std::string digest;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    digest += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return "sha256-" + security::base64Encode(digest);
}

// One operation of the document, where the page finds it.
struct Operation {
  std::string_view path;
  std::string_view method;
  const json::object* item;       // the path item (for its shared parameters)
  const json::object* operation;  // the operation object
};

class PageWriter {
 public:
  explicit PageWriter(const json::value& document)
      : document_(document), root_(document.is_object() ? document.get_object() : empty_) {
    collectOperations();
  }

  std::string render() {
    head();
    out_ += "<body>\n";
    intro();
    contents();
    out_ += "<main>\n";
    for (std::size_t i = 0; i < groups_.size(); ++i) {
      group(i);
    }
    // Anchors "schema-<name>" and "security-<name>" are what links elsewhere point at.
    componentSection("schemas", "schema", "Schemas", &PageWriter::schemaEntry);
    componentSection("securitySchemes", "security", "Authentication", &PageWriter::securityEntry);
    out_ += "</main>\n</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  // Follows a local "$ref" (up to a few levels); anything else is returned as it is.
  const json::object& resolve(const json::object& object) const {
    const json::object* current = &object;
    for (int depth = 0; depth < 8; ++depth) {
      const std::string_view ref = stringAt(*current, "$ref");
      if (ref.size() < 2 || ref.front() != '#') {
        break;
      }
      boost::system::error_code ec;
      const json::value* target = document_.find_pointer(ref.substr(1), ec);
      if (target == nullptr || !target->is_object()) {
        break;
      }
      current = &target->get_object();
    }
    return *current;
  }

  // Operations in document order, and the groups (tags) that list them: the document's
  // tags first, then tags it uses without declaring, then "Other" for untagged ones.
  void collectOperations() {
    if (const json::array* tags = arrayAt(root_, "tags")) {
      for (const json::value& tag : *tags) {
        if (const json::object* object = tag.if_object()) {
          addGroup(stringAt(*object, "name"));
        }
      }
    }
    const json::object* paths = objectAt(root_, "paths");
    if (paths == nullptr) {
      return;
    }
    for (const auto& [path, item_value] : *paths) {
      const json::object* item = item_value.if_object();
      if (item == nullptr) {
        continue;
      }
      for (std::string_view method : kMethods) {
        if (const json::object* operation = objectAt(*item, method)) {
          operations_.push_back({path, method, item, operation});
          addGroup(tagOf(*operation));
        }
      }
    }
  }

  static std::string_view tagOf(const json::object& operation) {
    const json::array* tags = arrayAt(operation, "tags");
    if (tags == nullptr || tags->empty() || !tags->front().is_string()) {
      return kOtherTag;
    }
    return tags->front().get_string();
  }

  void addGroup(std::string_view name) {
    if (!name.empty() && std::find(groups_.begin(), groups_.end(), name) == groups_.end()) {
      groups_.push_back(name);
    }
  }

  std::string_view groupDescription(std::string_view name) const {
    if (const json::array* tags = arrayAt(root_, "tags")) {
      for (const json::value& tag : *tags) {
        const json::object* object = tag.if_object();
        if (object != nullptr && stringAt(*object, "name") == name) {
          return stringAt(*object, "description");
        }
      }
    }
    return {};
  }

  void head() {
    const json::object* info = objectAt(root_, "info");
    const std::string_view title = info ? stringAt(*info, "title") : std::string_view();
    out_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out_ += "<title>" + escapeHtml(title) + " API</title>\n";
    out_ += "<style>" + std::string(kStyle) + "</style>\n</head>\n";
  }

  void intro() {
    const json::object* info = objectAt(root_, "info");
    if (info == nullptr) {
      return;
    }
    out_ += "<header>\n<h1>" + escapeHtml(stringAt(*info, "title")) + " API <small>" +
            escapeHtml(stringAt(*info, "version")) + "</small></h1>\n";
    out_ += prose(stringAt(*info, "summary"), "summary");
    out_ += prose(stringAt(*info, "description"));
    out_ +=
        "<p class=\"note\">The same description as OpenAPI 3.1: <a "
        "href=\"/openapi.json\">/openapi.json</a>.</p>\n</header>\n";
  }

  std::string routeLabel(const Operation& op) const {
    return "<span class=\"method\">" + upper(op.method) + "</span> <span class=\"path\">" +
           escapeHtml(op.path) + "</span>";
  }

  std::string anchorOf(const Operation& op) const {
    const std::string_view id = stringAt(*op.operation, "operationId");
    return escapeHtml(id.empty() ? std::string(op.method) + std::string(op.path) : id);
  }

  void contents() {
    out_ += "<nav>\n<h2>Operations</h2>\n";
    for (std::size_t i = 0; i < groups_.size(); ++i) {
      out_ += "<h3><a href=\"#tag-" + std::to_string(i) + "\">" + escapeHtml(groups_[i]) +
              "</a></h3>\n<ul>\n";
      for (const Operation& op : operations_) {
        if (tagOf(*op.operation) == groups_[i]) {
          out_ += "<li><a href=\"#" + anchorOf(op) + "\">" + upper(op.method) + " " +
                  escapeHtml(op.path) + "</a></li>\n";
        }
      }
      out_ += "</ul>\n";
    }
    out_ += "</nav>\n";
  }

  void group(std::size_t index) {
    const std::string_view name = groups_[index];
    out_ += "<section id=\"tag-" + std::to_string(index) + "\">\n<h2>" + escapeHtml(name) +
            "</h2>\n" + prose(groupDescription(name));
    for (const Operation& op : operations_) {
      if (tagOf(*op.operation) == name) {
        operation(op);
      }
    }
    out_ += "</section>\n";
  }

  void operation(const Operation& op) {
    const json::object& object = *op.operation;
    out_ += "<article class=\"operation\" id=\"" + anchorOf(op) + "\">\n";
    out_ += "<h3 class=\"route\">" + routeLabel(op) + "</h3>\n";
    out_ += prose(stringAt(object, "summary"), "summary");
    out_ += prose(stringAt(object, "description"));
    security(object);
    parameters(op);
    if (const json::object* body = objectAt(object, "requestBody")) {
      requestBody(resolve(*body));
    }
    if (const json::object* responses = objectAt(object, "responses")) {
      responseTable(*responses);
    }
    out_ += "</article>\n";
  }

  // Who may call: each alternative of the security requirement, or "none".
  void security(const json::object& operation) {
    const json::value* value = operation.if_contains("security");
    if (value == nullptr) {
      value = root_.if_contains("security");
    }
    std::vector<std::string> ways;
    for (const json::value& requirement : orEmpty(value ? value->if_array() : nullptr)) {
      const json::object* names = requirement.if_object();
      if (names == nullptr || names->empty()) {
        ways.push_back("none (when the server requires no token)");
        continue;
      }
      std::string way;
      for (const auto& [name, scopes] : *names) {
        way += (way.empty() ? "" : " and ") + std::string("<a href=\"#security-") +
               escapeHtml(name) + "\">" + escapeHtml(name) + "</a>";
      }
      ways.push_back(std::move(way));
    }
    std::string line = ways.empty() ? "none" : "";
    for (const std::string& way : ways) {
      line += (line.empty() ? "" : "; or ") + way;
    }
    out_ += "<p><strong>Authentication:</strong> " + line + "</p>\n";
  }

  // The path item's parameters, then the operation's (which override one of the same
  // name and location).
  void parameters(const Operation& op) {
    std::vector<const json::object*> list;
    for (const json::object* owner : {op.item, op.operation}) {
      for (const json::value& param : orEmpty(arrayAt(*owner, "parameters"))) {
        if (const json::object* object = param.if_object()) {
          addParameter(list, resolve(*object));
        }
      }
    }
    if (list.empty()) {
      return;
    }
    out_ +=
        "<h4>Parameters</h4>\n<table>\n<tr><th>name</th><th>in</th><th>type</th>"
        "<th>required</th><th>description</th></tr>\n";
    for (const json::object* param : list) {
      const json::object* schema = objectAt(*param, "schema");
      const json::value* required = param->if_contains("required");
      out_ += "<tr><td><code>" + escapeHtml(stringAt(*param, "name")) + "</code></td><td>" +
              escapeHtml(stringAt(*param, "in")) + "</td><td>" +
              (schema ? typeLabel(*schema) + constraints(*schema) : std::string()) + "</td><td>" +
              (required && required->is_bool() && required->get_bool() ? "yes" : "no") +
              "</td><td>" + inlineText(stringAt(*param, "description")) + "</td></tr>\n";
    }
    out_ += "</table>\n";
  }

  static void addParameter(std::vector<const json::object*>& list, const json::object& param) {
    for (const json::object*& present : list) {
      if (stringAt(*present, "name") == stringAt(param, "name") &&
          stringAt(*present, "in") == stringAt(param, "in")) {
        present = &param;
        return;
      }
    }
    list.push_back(&param);
  }

  void requestBody(const json::object& body) {
    out_ += "<h4>Request body</h4>\n" + prose(stringAt(body, "description"));
    if (const json::object* content = objectAt(body, "content")) {
      mediaTypes(*content);
    }
  }

  // Each media type with its schema (a link for a named one, else its members) and its
  // example when it has one.
  void mediaTypes(const json::object& content) {
    for (const auto& [type, media_value] : content) {
      const json::object* media = media_value.if_object();
      const json::object* schema = media ? objectAt(*media, "schema") : nullptr;
      out_ += "<p><code>" + escapeHtml(type) + "</code>" +
              (schema ? ": " + typeLabel(*schema) : std::string()) + "</p>\n";
      if (schema != nullptr && !schema->contains("$ref")) {
        out_ += members(*schema);
      }
      const json::value* example = media ? media->if_contains("example") : nullptr;
      if (example != nullptr) {
        out_ += "<pre>" + jsonText(*example) + "</pre>\n";
      }
    }
  }

  void responseTable(const json::object& responses) {
    out_ += "<h4>Responses</h4>\n<table>\n<tr><th>status</th><th>meaning</th></tr>\n";
    for (const auto& [status, response_value] : responses) {
      const json::object* given = response_value.if_object();
      if (given == nullptr) {
        continue;
      }
      const json::object& response = resolve(*given);
      out_ += "<tr><td>" + escapeHtml(status) + "</td><td>\n" +
              prose(stringAt(response, "description"));
      if (const json::object* headers = objectAt(response, "headers")) {
        responseHeaders(*headers);
      }
      if (const json::object* content = objectAt(response, "content")) {
        mediaTypes(*content);
      }
      out_ += "</td></tr>\n";
    }
    out_ += "</table>\n";
  }

  void responseHeaders(const json::object& headers) {
    out_ += "<p>Headers:</p>\n<ul>\n";
    for (const auto& [name, header_value] : headers) {
      const json::object* header = header_value.if_object();
      const std::string_view text = header ? stringAt(resolve(*header), "description") : "";
      out_ += "<li><code>" + escapeHtml(name) + "</code>: " + inlineText(text) + "</li>\n";
    }
    out_ += "</ul>\n";
  }

  // A short type: a link to a named schema, the alternatives of oneOf/anyOf, "array of
  // ...", or the JSON type(s) with their format.
  std::string typeLabel(const json::object& schema) const {
    if (const std::string_view ref = stringAt(schema, "$ref"); !ref.empty()) {
      const std::string name = escapeHtml(refName(ref));
      return "<a href=\"#schema-" + name + "\">" + name + "</a>";
    }
    if (std::string alternatives = alternativeLabels(schema); !alternatives.empty()) {
      return alternatives;
    }
    std::string label = jsonTypes(schema);
    if (const json::object* items = objectAt(schema, "items")) {
      label += " of " + typeLabel(*items);
    }
    if (const std::string_view format = stringAt(schema, "format"); !format.empty()) {
      label += " (" + escapeHtml(format) + ")";
    }
    return label;
  }

  std::string alternativeLabels(const json::object& schema) const {
    std::string out;
    for (std::string_view keyword : {"oneOf", "anyOf"}) {
      for (const json::value& option : orEmpty(arrayAt(schema, keyword))) {
        const json::object* object = option.if_object();
        // Alternatives that only add `required` say which members must be there; the
        // schema's own constraints show that.
        if (object != nullptr && (object->contains("$ref") || object->contains("type"))) {
          out += (out.empty() ? "" : " or ") + typeLabel(*object);
        }
      }
    }
    return out;
  }

  static std::string jsonTypes(const json::object& schema) {
    const json::value* type = schema.if_contains("type");
    if (type != nullptr && type->is_string()) {
      return escapeHtml(type->get_string());
    }
    std::string out;
    for (const json::value& name : orEmpty(type ? type->if_array() : nullptr)) {
      if (name.is_string()) {
        out += (out.empty() ? "" : " or ") + escapeHtml(name.get_string());
      }
    }
    return out.empty() ? "any" : out;
  }

  // The limits a value must keep, as a short note after its type.
  static std::string constraints(const json::object& schema) {
    std::vector<std::string> notes;
    auto number = [&](std::string_view key) {
      const json::value* value = schema.if_contains(key);
      return value != nullptr && value->is_number() ? json::serialize(*value) : std::string();
    };
    if (const json::array* values = arrayAt(schema, "enum")) {
      std::string list;
      for (const json::value& value : *values) {
        list += (list.empty() ? "" : ", ") + std::string("<code>") + jsonText(value) + "</code>";
      }
      notes.push_back("one of " + list);
    }
    const std::pair<std::string_view, std::string_view> bounds[] = {
        {"minLength", "characters at least "},
        {"maxLength", "characters at most "},
        {"minimum", "minimum "},
        {"maximum", "maximum "},
        {"minItems", "items at least "},
        {"maxItems", "items at most "},
        {"default", "default "}};
    for (const auto& [key, words] : bounds) {
      if (std::string value = number(key); !value.empty()) {
        notes.push_back(std::string(words) + value);
      }
    }
    if (const std::string_view pattern = stringAt(schema, "pattern"); !pattern.empty()) {
      notes.push_back("matches <code>" + escapeHtml(pattern) + "</code>");
    }
    if (const json::value* extra = schema.if_contains("additionalProperties");
        extra != nullptr && extra->is_bool() && !extra->get_bool()) {
      notes.push_back("no other members");
    }
    std::string out;
    for (const std::string& note : notes) {
      out += (out.empty() ? "; " : ", ") + note;
    }
    return out.empty() ? out : "<span class=\"note\">" + out + "</span>";
  }

  // The members of an object schema (and of inline object schemas inside it), or of the
  // items of an array schema, as a nested list.
  std::string members(const json::object& schema, int depth = 0) const {
    const json::object* items = objectAt(schema, "items");
    if (items != nullptr && !items->contains("$ref")) {
      return members(*items, depth);
    }
    const json::object* properties = objectAt(schema, "properties");
    if (properties == nullptr || depth > 4) {
      return {};
    }
    const json::array* required = arrayAt(schema, "required");
    std::string out = "<ul>\n";
    for (const auto& [name, property_value] : *properties) {
      const json::object* property = property_value.if_object();
      if (property == nullptr) {
        continue;
      }
      const bool needed =
          required != nullptr && std::find(required->begin(), required->end(),
                                           json::value(json::string(name))) != required->end();
      out += "<li><code>" + escapeHtml(name) + "</code> " + typeLabel(*property) +
             (needed ? " <strong>required</strong>" : "") + constraints(*property);
      if (const std::string_view text = stringAt(*property, "description"); !text.empty()) {
        out += " — " + inlineText(text);
      }
      if (!property->contains("$ref")) {
        out += members(*property, depth + 1);
      }
      out += "</li>\n";
    }
    return out + "</ul>\n";
  }

  // One kind of the document's components ("schemas", ...), or null.
  const json::object* components(std::string_view kind) const {
    const json::object* all = objectAt(root_, "components");
    return all != nullptr ? objectAt(*all, kind) : nullptr;
  }

  // A section listing one kind of component, each an article that `entry` fills.
  void componentSection(std::string_view kind, std::string_view id, std::string_view heading,
                        std::string (PageWriter::*entry)(const json::object&) const) {
    const json::object* list = components(kind);
    if (list == nullptr) {
      return;
    }
    out_ += "<section id=\"" + std::string(id) + "\">\n<h2>" + std::string(heading) + "</h2>\n";
    for (const auto& [name, value] : *list) {
      if (const json::object* component = value.if_object()) {
        out_ += "<article id=\"" + std::string(id) + "-" + escapeHtml(name) + "\">\n<h3>" +
                escapeHtml(name) + "</h3>\n" + (this->*entry)(*component) + "</article>\n";
      }
    }
    out_ += "</section>\n";
  }

  std::string schemaEntry(const json::object& schema) const {
    std::string out = "<p>" + typeLabel(schema) + constraints(schema) + "</p>\n" +
                      prose(stringAt(schema, "description")) + members(schema);
    if (const json::value* example = schema.if_contains("example")) {
      out += "<pre>" + jsonText(*example) + "</pre>\n";
    }
    return out;
  }

  std::string securityEntry(const json::object& scheme) const {
    const std::string_view type = stringAt(scheme, "type");
    const std::string_view where =
        type == "http" ? stringAt(scheme, "scheme") : stringAt(scheme, "name");
    return "<p>" + escapeHtml(type) + ": <code>" + escapeHtml(where) + "</code></p>\n" +
           prose(stringAt(scheme, "description"));
  }

  const json::value& document_;
  const json::object empty_;
  const json::object& root_;
  std::vector<Operation> operations_;
  std::vector<std::string_view> groups_;
  std::string out_;
};

}  // namespace

std::string escapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

DocsPage renderDocsPage(const json::value& document) {
  DocsPage page;
  page.html = PageWriter(document).render();
  page.content_security_policy = "default-src 'none'; style-src '" + cspHash(kStyle) +
                                 "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  return page;
}

}  // namespace autoql::api
