// Prometheus metrics: counters, gauges and histograms with labels, kept in a Registry that
// renders them in the Prometheus text exposition format 0.0.4 (Serialize; served over HTTP by
// MetricsServer, http_server.h).
//
//   metrics::Registry registry;
//   auto& published = registry.AddCounter("dyad_ingest_articles_total", "Articles by outcome.",
//                                         {"outcome"}).Get({"published"});
//   published.Inc();
//   registry.AddValueCallback("dyad_query_state_bytes", "RocksDB live SST bytes.",
//                             MetricType::kGauge, [&] { return store.LiveSstBytes(); });
//
// Families: one metric name, one type, one HELP text and a fixed list of label names; a child per
// tuple of label values (Family::Get). A family without labels has its single child from the
// start (so it is exported as 0 before the first increment).
//
// Thread-safety: everything may be called from any thread. Counter::Inc, Gauge::Set/Inc and
// Histogram::Observe are lock-free (std::atomic); Family::Get takes the family's mutex (keep the
// returned reference instead of calling Get per event on hot paths: children are never removed,
// references stay valid as long as the Registry). Serialize takes the registry's and each
// family's mutex, and calls the callbacks on the calling thread.
// Errors: registering a malformed name (metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]* not starting with "__", no "le" label), a name already registered,
// histogram bounds that are not finite and strictly increasing, or Get with the wrong number of
// label values is a programming error: std::invalid_argument (thrown at start-up, where metrics
// are registered).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dyad::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

// A value that only goes up (resets to 0 when the process restarts).
class Counter {
 public:
  // Adds `delta`; a negative or NaN delta is ignored (a counter never goes down).
  void Inc(double delta = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Inc(double delta = 1.0);
  void Dec(double delta = 1.0) { Inc(-delta); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted in fixed buckets (upper bounds, each bucket counting values <= its bound;
// a last +Inf bucket is implied), plus their sum and count.
class Histogram {
 public:
  // `bounds`: finite, strictly increasing (checked by Registry::AddHistogram).
  explicit Histogram(std::vector<double> bounds);
  // Counts `value` in the first bucket whose bound is >= value. NaN is ignored. O(log buckets).
  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf: observations <= bound
    double sum = 0;
    uint64_t count = 0;  // == cumulative.back()
  };
  // Buckets, sum and count at one moment (each read atomically; an Observe running meanwhile may
  // be in the buckets but not yet in the sum).
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0.0};
};

// Bucket bounds for latencies in seconds: 0.5 ms to 10 s.
std::vector<double> LatencyBuckets();
// `count` bounds start, start*factor, start*factor^2, ...
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// The children of one metric name, one per tuple of label values.
template <typename T>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::function<std::unique_ptr<T>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {}
  // The child with these label values (created at the first call). std::invalid_argument when
  // their number differs from the family's label names.
  T& Get(const std::vector<std::string>& label_values);
  // The single child of a family without labels.
  T& Get() { return Get({}); }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // The children, sorted by label values, under the family's mutex.
  void ForEach(const std::function<void(const std::vector<std::string>&, const T&)>& fn) const;

 private:
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<T>()> make_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;
};

// One value reported by a callback: the label values (as many as the family's label names) and
// the value.
struct Sample {
  std::vector<std::string> label_values;
  double value = 0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // New families; the references stay valid as long as the Registry. See the file comment for
  // the names allowed. `help` is free text (escaped on output).
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help, std::vector<double> bounds,
                                  std::vector<std::string> label_names = {});

  // A counter or gauge family whose samples are read at scrape time: `collect` runs inside
  // Serialize on the scraping thread, so it must be thread-safe, quick and must not call back
  // into this Registry; whatever it reads must outlive the Registry or the server scraping it.
  // Samples with the wrong number of label values are skipped; an exception from `collect` drops
  // the family from that scrape. `type` must be kCounter or kGauge.
  void AddCallback(std::string name, std::string help, MetricType type,
                   std::vector<std::string> label_names,
                   std::function<std::vector<Sample>()> collect);
  // The same for one value without labels.
  void AddValueCallback(std::string name, std::string help, MetricType type,
                        std::function<double()> value);

  // Every family in registration order, in the text exposition format 0.0.4: "# HELP" and
  // "# TYPE" lines, then one line per sample ("name{label=\"value\"} 1"), histograms as
  // name_bucket{...,le="..."} (cumulative, ending with le="+Inf"), name_sum and name_count.
  std::string Serialize() const;

 private:
  struct Entry;
  Entry& Register(std::string name, std::string help, MetricType type,
                  const std::vector<std::string>& label_names);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// --- Exposition helpers (exposed for tests) ---------------------------------------------------

// A sample value as Prometheus writes it: shortest round-trip decimal ("1", "0.25", "1e+21"),
// "+Inf", "-Inf", "NaN".
std::string FormatValue(double value);
// A label value escaped for the text format: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);
// HELP text escaped: backslash and newline.
std::string EscapeHelp(std::string_view help);

// --- Template members ----------------------------------------------------------------------------

template <typename T>
T& Family<T>::Get(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names_.size()) {
    throw std::invalid_argument("metrics: " + std::to_string(label_values.size()) +
                                " label values for " + std::to_string(label_names_.size()) +
                                " label names");
  }
  std::lock_guard lock(mu_);
  auto& child = children_[label_values];
  if (child == nullptr) child = make_();
  return *child;
}

template <typename T>
void Family<T>::ForEach(
    const std::function<void(const std::vector<std::string>&, const T&)>& fn) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, child] : children_) fn(values, *child);
}

}  // namespace dyad::metrics
