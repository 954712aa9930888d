#include "dyad/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <utility>
#include <variant>

namespace dyad::metrics {
namespace {

bool ValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool ValidLabelName(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__" || name == "le") return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void AtomicAdd(std::atomic<double>& target, double delta) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

// name{a="x",b="y"} (or name alone without labels); `extra` is one more label (le) or empty.
void WriteSeries(std::string& out, std::string_view name, const std::vector<std::string>& names,
                 const std::vector<std::string>& values, std::string_view extra_name = {},
                 std::string_view extra_value = {}) {
  out += name;
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void WriteLine(std::string& out, std::string_view name, const std::vector<std::string>& names,
               const std::vector<std::string>& values, double value) {
  WriteSeries(out, name, names, values);
  out += ' ';
  out += FormatValue(value);
  out += '\n';
}

}  // namespace

void Counter::Inc(double delta) {
  if (!(delta >= 0)) return;  // negative or NaN
  AtomicAdd(value_, delta);
}

void Gauge::Inc(double delta) { AtomicAdd(value_, delta); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.cumulative.reserve(bounds_.size() + 1);
  uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(total);
  }
  snapshot.count = total;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> bounds;
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

struct Registry::Entry {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  std::vector<std::string> label_names;
  std::variant<std::monostate, std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>,
               std::unique_ptr<Family<Histogram>>, std::function<std::vector<Sample>()>>
      body;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::Register(std::string name, std::string help, MetricType type,
                                    const std::vector<std::string>& label_names) {
  if (!ValidMetricName(name)) {
    throw std::invalid_argument("metrics: '" + name + "' is not a valid metric name");
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    if (!ValidLabelName(label_names[i])) {
      throw std::invalid_argument("metrics: '" + label_names[i] + "' of " + name +
                                  " is not a valid label name");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (label_names[j] == label_names[i]) {
        throw std::invalid_argument("metrics: label '" + label_names[i] + "' twice in " + name);
      }
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& entry : entries_) {
    if (entry->name == name) {
      throw std::invalid_argument("metrics: '" + name + "' is already registered");
    }
  }
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = type;
  entry->label_names = label_names;
  entries_.push_back(std::move(entry));
  return *entries_.back();
}

Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  auto family =
      std::make_unique<Family<Counter>>(label_names, [] { return std::make_unique<Counter>(); });
  if (label_names.empty()) family->Get();
  auto& ref = *family;
  Register(std::move(name), std::move(help), MetricType::kCounter, label_names).body =
      std::move(family);
  return ref;
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
  auto family =
      std::make_unique<Family<Gauge>>(label_names, [] { return std::make_unique<Gauge>(); });
  if (label_names.empty()) family->Get();
  auto& ref = *family;
  Register(std::move(name), std::move(help), MetricType::kGauge, label_names).body =
      std::move(family);
  return ref;
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<double> bounds,
                                          std::vector<std::string> label_names) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
      throw std::invalid_argument("metrics: the bucket bounds of " + name +
                                  " must be finite and strictly increasing");
    }
  }
  auto family = std::make_unique<Family<Histogram>>(
      label_names, [bounds] { return std::make_unique<Histogram>(bounds); });
  if (label_names.empty()) family->Get();
  auto& ref = *family;
  Register(std::move(name), std::move(help), MetricType::kHistogram, label_names).body =
      std::move(family);
  return ref;
}

void Registry::AddCallback(std::string name, std::string help, MetricType type,
                           std::vector<std::string> label_names,
                           std::function<std::vector<Sample>()> collect) {
  if (type == MetricType::kHistogram || !collect) {
    throw std::invalid_argument("metrics: a callback of " + name +
                                " must be a counter or gauge with a function");
  }
  Register(std::move(name), std::move(help), type, label_names).body = std::move(collect);
}

void Registry::AddValueCallback(std::string name, std::string help, MetricType type,
                                std::function<double()> value) {
  if (!value) throw std::invalid_argument("metrics: empty callback for " + name);
  AddCallback(std::move(name), std::move(help), type, {}, [value = std::move(value)] {
    return std::vector<Sample>{{{}, value()}};
  });
}

std::string Registry::Serialize() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& entry : entries_) {
    std::string body;
    const auto& names = entry->label_names;
    if (const auto* counters = std::get_if<std::unique_ptr<Family<Counter>>>(&entry->body)) {
      (*counters)->ForEach([&](const std::vector<std::string>& values, const Counter& counter) {
        WriteLine(body, entry->name, names, values, counter.value());
      });
    } else if (const auto* gauges = std::get_if<std::unique_ptr<Family<Gauge>>>(&entry->body)) {
      (*gauges)->ForEach([&](const std::vector<std::string>& values, const Gauge& gauge) {
        WriteLine(body, entry->name, names, values, gauge.value());
      });
    } else if (const auto* histograms =
                   std::get_if<std::unique_ptr<Family<Histogram>>>(&entry->body)) {
      (*histograms)
          ->ForEach([&](const std::vector<std::string>& values, const Histogram& histogram) {
            const auto snapshot = histogram.snapshot();
            const auto& bounds = histogram.bounds();
            const std::string bucket = entry->name + "_bucket";
            for (std::size_t i = 0; i < snapshot.cumulative.size(); ++i) {
              WriteSeries(body, bucket, names, values, "le",
                          i < bounds.size() ? FormatValue(bounds[i]) : "+Inf");
              body += ' ';
              body += std::to_string(snapshot.cumulative[i]);
              body += '\n';
            }
            WriteLine(body, entry->name + "_sum", names, values, snapshot.sum);
            WriteSeries(body, entry->name + "_count", names, values);
            body += ' ';
            body += std::to_string(snapshot.count);
            body += '\n';
          });
    } else if (const auto* collect =
                   std::get_if<std::function<std::vector<Sample>()>>(&entry->body)) {
      try {
        for (const auto& sample : (*collect)()) {
          if (sample.label_values.size() != names.size()) continue;
          WriteLine(body, entry->name, names, sample.label_values, sample.value);
        }
      } catch (const std::exception&) {
        continue;  // the family is left out of this scrape
      }
    }
    out += "# HELP ";
    out += entry->name;
    out += ' ';
    out += EscapeHelp(entry->help);
    out += "\n# TYPE ";
    out += entry->name;
    out += ' ';
    out += TypeName(entry->type);
    out += '\n';
    out += body;
  }
  return out;
}

}  // namespace dyad::metrics
