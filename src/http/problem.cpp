#include "http/problem.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace autoql::http {

Response problemResponse(const Problem& problem) {
  boost::json::object body;
  body["type"] = "urn:autoql-backend:problem:" + problem.code;
  body["title"] = problem.title;
  body["status"] = problem.status;
  body["detail"] = problem.detail;
  body["code"] = problem.code;
  if (!problem.errors.empty()) {
    boost::json::array errors;
    for (const auto& [field, message] : problem.errors) {
      errors.push_back(boost::json::object{{"field", field}, {"message", message}});
    }
    body["errors"] = std::move(errors);
  }

  for (const auto& [name, json_text] : problem.extensions) {
    body[name] = boost::json::parse(json_text);
  }

  Response response;
  response.status = problem.status;
  response.content_type = "application/problem+json";
  response.body = boost::json::serialize(body);
  return response;
}

Response problemResponse(unsigned status, std::string code, std::string title, std::string detail) {
  return problemResponse(
      Problem{status, std::move(code), std::move(title), std::move(detail), {}, {}});
}

Response overloadedResponse() {
  Response response = problemResponse(503, "overloaded", "Server busy",
                                      "The server is at capacity; retry shortly.");
  response.setHeader("Retry-After", std::to_string(kRetryAfterSeconds));
  return response;
}

}  // namespace autoql::http
