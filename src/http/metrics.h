// Prometheus metrics of the HTTP layer and of whatever registers a source (DESIGN 3.5,
// GET /metrics): requests by route template, method and status, a latency histogram by
// route template, and named counters and gauges that other components set. Labels are
// route templates ("unmatched" for anything else), never raw paths, so a client cannot
// grow the label set. Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace autoql::http {

class Metrics {
 public:
  // Upper bounds of the latency histogram buckets, in seconds.
  static constexpr std::array<double, 12> kLatencyBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  // Records one answered request. `route` is the template, or empty when none matched.
  void observeRequest(std::string_view route, std::string_view method, unsigned status,
                      std::chrono::duration<double> elapsed);

  // Registers the HELP text of a counter that increment() feeds.
  void describe(std::string name, std::string help);

  // Adds one to the counter `name` with one label (e.g. webhook results by code).
  void increment(const std::string& name, const std::string& label_name,
                 const std::string& label_value);

  // Records one duration in the histogram `name` (buckets kLatencyBuckets) with one
  // label, e.g. database calls by kind. Its HELP text comes from describe().
  void observe(std::string_view name, std::string_view label_name, std::string_view label_value,
               std::chrono::duration<double> elapsed);

  // A gauge read when /metrics is rendered (open streams, pool use).
  void addGauge(std::string name, std::string help, std::function<double()> read);

  // The Prometheus text exposition format (version 0.0.4).
  std::string render(std::string_view version) const;

  // Counts of observations per bucket (cumulative, as Prometheus has them), their sum.
  struct Histogram {
    std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;

    void add(std::chrono::duration<double> elapsed);
  };

 private:
  struct Gauge {
    std::string name;
    std::string help;
    std::function<double()> read;
  };

  // One route's figures. Keyed by text with transparent comparison, so that counting a
  // request under labels seen before allocates nothing.
  struct RouteFigures {
    std::map<std::string, std::map<unsigned, std::uint64_t>, std::less<>> by_method_status;
    Histogram latency;
  };

  mutable std::mutex mutex_;
  std::map<std::string, RouteFigures, std::less<>> routes_;
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> counters_;
  // A histogram family of observe(): one series per value of its one label.
  struct HistogramFamily {
    std::string label_name;
    std::map<std::string, Histogram, std::less<>> by_value;
  };
  std::map<std::string, HistogramFamily, std::less<>> histograms_;
  std::vector<Gauge> gauges_;
  std::map<std::string, std::string> help_;
};

}  // namespace autoql::http
