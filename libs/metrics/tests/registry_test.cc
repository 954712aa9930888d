#include "dyad/metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "dyad/metrics/process.h"

namespace dyad::metrics {
namespace {

TEST(Registry, CounterAndGaugeExpositionIsExact) {
  Registry registry;
  auto& articles =
      registry.AddCounter("dyad_test_articles_total", "Articles by outcome.", {"outcome"});
  articles.Get({"published"}).Inc();
  articles.Get({"published"}).Inc(2);
  articles.Get({"failed"}).Inc();
  registry.AddGauge("dyad_test_queue", "Records queued.").Get().Set(7.5);
  registry.AddCounter("dyad_test_idle_total", "Never incremented.");
  EXPECT_EQ(registry.Serialize(),
            "# HELP dyad_test_articles_total Articles by outcome.\n"
            "# TYPE dyad_test_articles_total counter\n"
            "dyad_test_articles_total{outcome=\"failed\"} 1\n"
            "dyad_test_articles_total{outcome=\"published\"} 3\n"
            "# HELP dyad_test_queue Records queued.\n"
            "# TYPE dyad_test_queue gauge\n"
            "dyad_test_queue 7.5\n"
            "# HELP dyad_test_idle_total Never incremented.\n"
            "# TYPE dyad_test_idle_total counter\n"
            "dyad_test_idle_total 0\n");
}

TEST(Registry, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  auto& seconds =
      registry.AddHistogram("dyad_test_seconds", "Latency.", {0.125, 0.5, 1}, {"method"});
  auto& h = seconds.Get({"Get"});
  h.Observe(0.0625);
  h.Observe(0.125);  // on the bound: counted in le="0.125"
  h.Observe(0.25);
  h.Observe(7);
  h.Observe(std::nan(""));  // ignored
  EXPECT_EQ(registry.Serialize(),
            "# HELP dyad_test_seconds Latency.\n"
            "# TYPE dyad_test_seconds histogram\n"
            "dyad_test_seconds_bucket{method=\"Get\",le=\"0.125\"} 2\n"
            "dyad_test_seconds_bucket{method=\"Get\",le=\"0.5\"} 3\n"
            "dyad_test_seconds_bucket{method=\"Get\",le=\"1\"} 3\n"
            "dyad_test_seconds_bucket{method=\"Get\",le=\"+Inf\"} 4\n"
            "dyad_test_seconds_sum{method=\"Get\"} 7.4375\n"
            "dyad_test_seconds_count{method=\"Get\"} 4\n");
  const auto snapshot = h.snapshot();
  EXPECT_EQ(snapshot.count, 4u);
  EXPECT_EQ(snapshot.cumulative, (std::vector<uint64_t>{2, 3, 3, 4}));
}

TEST(Registry, UnlabelledHistogramHasOnlyLe) {
  Registry registry;
  registry.AddHistogram("h", "x", {1}).Get().Observe(2);
  EXPECT_EQ(registry.Serialize(),
            "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\n"
            "h_sum 2\nh_count 1\n");
}

TEST(Registry, LabelValuesAndHelpAreEscaped) {
  Registry registry;
  registry.AddGauge("g", "line one\nback\\slash \"quoted\"", {"path"})
      .Get({"a\\b \"c\"\nd"})
      .Set(1);
  EXPECT_EQ(registry.Serialize(),
            "# HELP g line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE g gauge\n"
            "g{path=\"a\\\\b \\\"c\\\"\\nd\"} 1\n");
}

TEST(Registry, ValuesFormatLikePrometheus) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(-3.5), "-3.5");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(Registry, CallbacksAreReadAtScrapeTime) {
  Registry registry;
  double lag = 3;
  registry.AddCallback("lag", "Lag.", MetricType::kGauge, {"topic", "partition"}, [&] {
    return std::vector<Sample>{{{"t", "0"}, lag}, {{"t", "1"}, lag * 2}, {{"wrong"}, 9}};
  });
  registry.AddValueCallback("bytes", "Bytes.", MetricType::kCounter, [&] { return lag * 10; });
  registry.AddCallback("broken", "Throws.", MetricType::kGauge, {},
                       []() -> std::vector<Sample> { throw std::runtime_error("no"); });
  const std::string expected_head = "# HELP lag Lag.\n# TYPE lag gauge\n";
  EXPECT_EQ(registry.Serialize(),
            expected_head +
                "lag{topic=\"t\",partition=\"0\"} 3\nlag{topic=\"t\",partition=\"1\"} 6\n"
                "# HELP bytes Bytes.\n# TYPE bytes counter\nbytes 30\n");  // no "broken"
  lag = 4;
  EXPECT_NE(registry.Serialize().find("bytes 40\n"), std::string::npos);
}

TEST(Registry, RejectsBadNamesDuplicatesAndBounds) {
  Registry registry;
  registry.AddCounter("ok_total", "x");
  EXPECT_THROW(registry.AddCounter("ok_total", "again"), std::invalid_argument);
  EXPECT_THROW(registry.AddGauge("ok_total", "other type"), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("9starts_with_digit", "x"), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("has-dash", "x"), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("", "x"), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("c1", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("c2", "x", {"le"}), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("c3", "x", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("c4", "x", {"a:b"}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("h1", "x", {1, 1}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("h2", "x", {2, 1}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("h3", "x", {1, std::numeric_limits<double>::infinity()}),
               std::invalid_argument);
  auto& labelled = registry.AddCounter("c5", "x", {"a"});
  EXPECT_THROW(labelled.Get(), std::invalid_argument);
  EXPECT_THROW(labelled.Get({"1", "2"}), std::invalid_argument);
  // Nothing half-registered is left behind by the failures.
  EXPECT_EQ(registry.Serialize(),
            "# HELP ok_total x\n# TYPE ok_total counter\nok_total 0\n"
            "# HELP c5 x\n# TYPE c5 counter\n");
}

TEST(Registry, CounterIgnoresNegativeAndNaN) {
  Counter counter;
  counter.Inc(2);
  counter.Inc(-1);
  counter.Inc(std::nan(""));
  EXPECT_EQ(counter.value(), 2);
  Gauge gauge;
  gauge.Inc(5);
  gauge.Dec(7);
  EXPECT_EQ(gauge.value(), -2);
}

TEST(Registry, ConcurrentIncrementsAddUp) {
  Registry registry;
  auto& counters = registry.AddCounter("c_total", "x", {"worker"});
  auto& shared = registry.AddCounter("shared_total", "x").Get();
  auto& histogram = registry.AddHistogram("h_seconds", "x", {0.5, 1.5}).Get();
  constexpr int kThreads = 8, kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        shared.Inc();
        counters.Get({std::to_string(t % 2)}).Inc();
        histogram.Observe(i % 2 == 0 ? 0.25 : 1.0);
        if (i % 1000 == 0) (void)registry.Serialize().size();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(shared.value(), kThreads * kPerThread);
  EXPECT_EQ(counters.Get({"0"}).value() + counters.Get({"1"}).value(), kThreads * kPerThread);
  const auto snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.count, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(snapshot.cumulative[0], uint64_t{kThreads} * kPerThread / 2);
  EXPECT_DOUBLE_EQ(snapshot.sum, kThreads * kPerThread / 2 * 1.25);
}

TEST(Registry, BucketHelpers) {
  EXPECT_EQ(ExponentialBuckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  const auto latency = LatencyBuckets();
  ASSERT_FALSE(latency.empty());
  for (std::size_t i = 1; i < latency.size(); ++i) EXPECT_LT(latency[i - 1], latency[i]);
}

TEST(ProcessMetrics, ReportCpuAndResidentMemory) {
  Registry registry;
  AddProcessMetrics(registry);
  const std::string text = registry.Serialize();
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total "),
            std::string::npos)
      << text;
  const auto rss = text.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(rss, std::string::npos) << text;
  EXPECT_GT(std::stod(text.substr(rss + 31)), 1e6);  // a test binary holds more than 1 MB
  EXPECT_NE(text.find("\nprocess_open_fds "), std::string::npos);
  const auto start = text.find("\nprocess_start_time_seconds ");
  ASSERT_NE(start, std::string::npos);
  EXPECT_GT(std::stod(text.substr(start + 28)), 1.6e9);
  EXPECT_THROW(AddProcessMetrics(registry), std::invalid_argument);
}

}  // namespace
}  // namespace dyad::metrics
