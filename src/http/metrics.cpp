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

// One labelled series of a histogram family: its cumulative buckets, sum and count.
void appendHistogram(std::string& out, std::string_view name, const std::string& label,
                     const Metrics::Histogram& histogram) {
  const std::string family(name);
  for (std::size_t i = 0; i < Metrics::kLatencyBuckets.size(); ++i) {
    out += family + "_bucket{" + label + ",le=\"" + number(Metrics::kLatencyBuckets[i]) + "\"} " +
           std::to_string(histogram.buckets[i]) + "\n";
  }
  out += family + "_bucket{" + label + ",le=\"+Inf\"} " + std::to_string(histogram.count) + "\n";
  out += family + "_sum{" + label + "} " + number(histogram.sum) + "\n";
  out += family + "_count{" + label + "} " + std::to_string(histogram.count) + "\n";
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
  figures->second.latency.add(elapsed);
}

void Metrics::Histogram::add(std::chrono::duration<double> elapsed) {
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (elapsed.count() <= kLatencyBuckets[i]) {
      ++buckets[i];
    }
  }
  ++count;
  sum += elapsed.count();
}

void Metrics::observe(std::string_view name, std::string_view label_name,
                      std::string_view label_value, std::chrono::duration<double> elapsed) {
  std::lock_guard lock(mutex_);
  auto family = histograms_.find(name);
  if (family == histograms_.end()) {
    family =
        histograms_.emplace(std::string(name), HistogramFamily{std::string(label_name), {}}).first;
  }
  auto& by_value = family->second.by_value;
  auto series = by_value.find(label_value);
  if (series == by_value.end()) {
    series = by_value.emplace(std::string(label_value), Histogram{}).first;
  }
  series->second.add(elapsed);
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
    appendHistogram(out, "autoql_http_request_duration_seconds",
                    "route=\"" + escapeLabel(route) + "\"", figures.latency);
  }

  for (const auto& [name, family] : histograms_) {
    const auto help = help_.find(name);
    out += "# HELP " + name + " " + (help != help_.end() ? help->second : name) + "\n";
    out += "# TYPE " + name + " histogram\n";
    for (const auto& [value, histogram] : family.by_value) {
      appendHistogram(out, name, family.label_name + "=\"" + escapeLabel(value) + "\"", histogram);
    }
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
