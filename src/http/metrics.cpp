#include "http/metrics.h"

#include <cstdio>

namespace autoql::http {
namespace {

// Label values are route templates, methods and codes; escaping keeps the format valid
// whatever they hold.
std::string escapeLabel(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
    }
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

}  // namespace

void Metrics::observeRequest(std::string_view route, std::string_view method, unsigned status,
                             std::chrono::duration<double> elapsed) {
  const std::string_view template_name = route.empty() ? "unmatched" : route;
  std::lock_guard lock(mutex_);
  auto figures = routes_.find(template_name);
  if (figures == routes_.end()) {
    figures = routes_.emplace(std::string(template_name), RouteFigures{}).first;
  }
  auto by_method = figures->second.by_method_status.find(method);
  if (by_method == figures->second.by_method_status.end()) {
    by_method = figures->second.by_method_status
                    .emplace(std::string(method), std::map<unsigned, std::uint64_t>{})
                    .first;
  }
  ++by_method->second[status];
  Histogram& histogram = figures->second.latency;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (elapsed.count() <= kLatencyBuckets[i]) {
      ++histogram.buckets[i];
    }
  }
  ++histogram.count;
  histogram.sum += elapsed.count();
}

void Metrics::increment(const std::string& name, const std::string& label_name,
                        const std::string& label_value) {
  std::lock_guard lock(mutex_);
  ++counters_[{name, label_name, label_value}];
}

void Metrics::describe(std::string name, std::string help) {
  std::lock_guard lock(mutex_);
  help_[std::move(name)] = std::move(help);
}

void Metrics::addGauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read)});
}

std::string Metrics::render(std::string_view version) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP autoql_build_info Build information.\n# TYPE autoql_build_info gauge\n";
  out += "autoql_build_info{version=\"" + escapeLabel(version) + "\"} 1\n";

  out +=
      "# HELP autoql_http_requests_total Requests answered, by route template, method "
      "and status.\n# TYPE autoql_http_requests_total counter\n";
  for (const auto& [route, figures] : routes_) {
    for (const auto& [method, by_status] : figures.by_method_status) {
      for (const auto& [status, count] : by_status) {
        out += "autoql_http_requests_total{route=\"" + escapeLabel(route) + "\",method=\"" +
               escapeLabel(method) + "\",status=\"" + std::to_string(status) + "\"} " +
               std::to_string(count) + "\n";
      }
    }
  }

  out +=
      "# HELP autoql_http_request_duration_seconds Time from a request's first byte to "
      "its response written, by route template.\n"
      "# TYPE autoql_http_request_duration_seconds histogram\n";
  for (const auto& [route, figures] : routes_) {
    const Histogram& histogram = figures.latency;
    const std::string label = "route=\"" + escapeLabel(route) + "\"";
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      out += "autoql_http_request_duration_seconds_bucket{" + label + ",le=\"" +
             number(kLatencyBuckets[i]) + "\"} " + std::to_string(histogram.buckets[i]) + "\n";
    }
    out += "autoql_http_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
           std::to_string(histogram.count) + "\n";
    out +=
        "autoql_http_request_duration_seconds_sum{" + label + "} " + number(histogram.sum) + "\n";
    out += "autoql_http_request_duration_seconds_count{" + label + "} " +
           std::to_string(histogram.count) + "\n";
  }

  std::string last_counter;
  for (const auto& [key, count] : counters_) {
    const auto& [name, label_name, label_value] = key;
    if (name != last_counter) {
      const auto help = help_.find(name);
      out += "# HELP " + name + " " + (help != help_.end() ? help->second : name) + "\n";
      out += "# TYPE " + name + " counter\n";
      last_counter = name;
    }
    out += name + "{" + label_name + "=\"" + escapeLabel(label_value) + "\"} " +
           std::to_string(count) + "\n";
  }

  for (const Gauge& gauge : gauges_) {
    out += "# HELP " + gauge.name + " " + gauge.help + "\n# TYPE " + gauge.name + " gauge\n";
    out += gauge.name + " " + number(gauge.read()) + "\n";
  }
  return out;
}

}  // namespace autoql::http
