#include "http/router.h"

#include <algorithm>

namespace autoql::http {
namespace {

bool isParameter(std::string_view part) {
  return part.size() > 2 && part.front() == '{' && part.back() == '}';
}

std::vector<std::string> splitPattern(std::string_view pattern) {
  std::vector<std::string> parts;
  std::size_t start = 1;  // skip the leading '/'
  while (start <= pattern.size()) {
    const std::size_t slash = std::min(pattern.find('/', start), pattern.size());
    parts.emplace_back(pattern.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

// Returns the number of literal segments when `route` matches, or -1.
int matchScore(const Route& route, const std::vector<std::string>& segments) {
  if (route.parts.size() != segments.size()) {
    return -1;
  }
  int literals = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (isParameter(route.parts[i])) {
      if (segments[i].empty()) {
        return -1;
      }
    } else if (route.parts[i] == segments[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  return literals;
}

void bindParams(const Route& route, const std::vector<std::string>& segments,
                std::vector<std::pair<std::string, std::string>>& params) {
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& part = route.parts[i];
    if (isParameter(part)) {
      params.emplace_back(part.substr(1, part.size() - 2), segments[i]);
    }
  }
}

void addAllowed(std::vector<Method>& allowed, Method method) {
  if (std::find(allowed.begin(), allowed.end(), method) == allowed.end()) {
    allowed.push_back(method);
  }
}

}  // namespace

void Router::add(Method method, std::string_view pattern, Handler handler, Execution execution,
                 bool cors) {
  addAsync(
      method, pattern,
      [handler = std::move(handler)](const Request& request, Responder respond) {
        respond(handler(request));
      },
      execution, cors);
}

void Router::addAsync(Method method, std::string_view pattern, AsyncHandler handler,
                      Execution execution, bool cors) {
  routes_.push_back(Route{method, std::string(pattern), splitPattern(pattern), std::move(handler),
                          execution, cors});
}

RouteMatch Router::match(Method method, const std::vector<std::string>& segments) const {
  const Method wanted = method == Method::kHead ? Method::kGet : method;
  RouteMatch result;
  int best = -1;
  for (const Route& route : routes_) {
    const int score = matchScore(route, segments);
    if (score < 0) {
      continue;
    }
    result.cors = result.cors && route.cors;
    addAllowed(result.allowed, route.method);
    if (route.method == Method::kGet) {
      addAllowed(result.allowed, Method::kHead);
    }
    if (route.method == wanted && score > best) {
      best = score;
      result.route = &route;
    }
  }

  if (result.route != nullptr) {
    bindParams(*result.route, segments, result.params);
    result.allowed.clear();
  }
  return result;
}

}  // namespace autoql::http
