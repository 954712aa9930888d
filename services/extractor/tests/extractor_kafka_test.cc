// dyad-extractor against a real Apache Kafka cluster (label `kafka`), exactly-once mode: the
// events topic read with read_committed holds each expected event exactly once, also across a
// kill -9 of the real binary mid-stream; a second producer with the same transactional id fences
// the first, which reports it; hostile records are dead-lettered with their origin and counted.
// Expected events are computed by coding the same articles in-process with the same coder.
//
// The brokers come from DYAD_TEST_KAFKA_BROKERS (tests/kafka/kafka.sh); unset = skipped. Every
// test uses fresh topics and groups (process id and a random number in their names).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "dyad/core/logging.h"
#include "dyad/core/subprocess.h"
#include "dyad/extractor/extractor.h"
#include "dyad/kafka/admin.h"
#include "dyad/kafka/consumer.h"
#include "dyad/kafka/offsets.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/testing.h"
#include "dyad/v1/article.pb.h"
#include "shared_coder.h"

namespace dyad::extractor {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kPartitions = 4;

std::string SeedBody() {
  std::ifstream in(std::string(DYAD_SHARED_DIR) + "/examples/000_5447edb819e78dad.txt");
  std::stringstream text;
  text << in.rdbuf();
  std::string body = text.str();
  return body.substr(body.find('\n') + 1);  // drop the URL line
}

// Article `i`: the seed article every 5th time, else two short sentences between two countries.
dyad::v1::Article MakeArticle(const std::string& prefix, int i) {
  static const std::vector<std::string> kCountries = {"Pakistan", "India",   "China",     "Russia",
                                                      "France",   "Germany", "Japan",     "Brazil",
                                                      "Israel",   "Egypt",   "Indonesia", "Turkey"};
  dyad::v1::Article article;
  article.set_id(prefix + "-a" + std::to_string(i));
  article.set_url("https://example.org/" + article.id());
  article.mutable_published_at()->set_seconds(1757808000 + 86400 * (i % 30));
  if (i % 5 == 0) {
    article.set_body(SeedBody());
  } else {
    const std::string& a = kCountries[static_cast<std::size_t>(i) % kCountries.size()];
    const std::string& b = kCountries[static_cast<std::size_t>(i * 7 + 3) % kCountries.size()];
    article.set_body(a + " accused " + b + " of violating the ceasefire on Monday. " + b + " and " +
                     a + " signed a trade agreement in the capital, officials said.");
  }
  return article;
}

class ExtractorKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto cluster = kafka::TestClusterFromEnv();
    if (!cluster) GTEST_SKIP() << kafka::kNoTestClusterMessage;
    brokers_ = cluster->brokers;
    replication_ = cluster->replication_factor;
    std::random_device device;
    prefix_ = "dyad-test-extractor-" + std::to_string(::getpid()) + "-" + std::to_string(device());
    articles_ = prefix_ + ".articles";
    events_ = prefix_ + ".events";
    dlq_ = prefix_ + ".dlq";
    group_ = prefix_ + ".group";
    for (const std::string& topic : {articles_, events_, dlq_}) {
      ASSERT_TRUE(kafka::EnsureTopic(Client(), {topic, kPartitions, replication_}).ok()) << topic;
    }
    auto producer = kafka::Producer::Create({.client = Client()});
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = *std::move(producer);
  }

  kafka::ClientConfig Client() const { return {.brokers = brokers_}; }

  ExtractorOptions Options(const std::string& transactional_id) const {
    ExtractorOptions options;
    options.client = Client();
    options.group_id = group_;
    options.articles_topic = articles_;
    options.events_topic = events_;
    options.dlq_topic = dlq_;
    options.transactional_id = transactional_id;
    options.partitions = kPartitions;
    options.replication_factor = replication_;
    options.max_batch = 8;
    return options;
  }

  // Produces articles [from, to) keyed by id; returns the event ids the coder gives them.
  std::multiset<std::string> SendArticles(int from, int to) {
    std::multiset<std::string> expected;
    for (int i = from; i < to; ++i) {
      const dyad::v1::Article article = MakeArticle(prefix_, i);
      for (const auto& event : SharedCoder().CodeArticle(article)) expected.insert(event.id());
      EXPECT_TRUE(producer_
                      ->Produce(articles_, article.id(), article.SerializeAsString(),
                                [](const kafka::DeliveryReport& report) {
                                  EXPECT_TRUE(report.status.ok()) << report.status;
                                })
                      .ok());
    }
    EXPECT_EQ(producer_->Flush(seconds(60)), 0);
    return expected;
  }

  // Every record of `topic` read with read_committed, until `expected` arrived (or 120 s) and
  // then 3 s passed without another (to catch duplicates that come late).
  std::vector<kafka::Message> ReadAll(const std::string& topic, std::size_t expected) {
    kafka::ConsumerOptions options;
    options.client = Client();
    options.group_id = prefix_ + ".reader." + topic;
    options.isolation_level = "read_committed";
    auto consumer = kafka::Consumer::Create(options);
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    if (!consumer.ok()) return {};
    EXPECT_TRUE((*consumer)->Subscribe({topic}).ok());
    std::vector<kafka::Message> out;
    const auto deadline = Clock::now() + seconds(120);
    auto quiet_since = Clock::now();
    while (Clock::now() < deadline) {
      auto message = (*consumer)->Poll(milliseconds(200));
      EXPECT_TRUE(message.ok()) << message.status();
      if (!message.ok()) break;
      if (message->has_value()) {
        out.push_back(std::move(**message));
        quiet_since = Clock::now();
      } else if (out.size() >= expected && Clock::now() - quiet_since > seconds(3)) {
        break;
      }
    }
    return out;
  }

  // Event ids read back from the events topic (read_committed).
  std::multiset<std::string> ReadEventIds(std::size_t expected) {
    std::multiset<std::string> ids;
    for (const kafka::Message& m : ReadAll(events_, expected)) {
      dyad::v1::Event event;
      EXPECT_TRUE(event.ParseFromString(m.value));
      EXPECT_EQ(m.key, DyadKey(event));
      ids.insert(event.id());
    }
    return ids;
  }

  static void ExpectExactlyOnce(const std::multiset<std::string>& expected,
                                const std::multiset<std::string>& got) {
    std::size_t doubled = 0, lost = 0;
    for (auto it = got.begin(); it != got.end(); it = got.upper_bound(*it)) {
      doubled += got.count(*it) - 1;
      if (expected.count(*it) == 0) ADD_FAILURE() << "unexpected event " << *it;
    }
    for (const auto& id : expected) lost += got.count(id) == 0 ? 1 : 0;
    EXPECT_EQ(doubled, 0u);
    EXPECT_EQ(lost, 0u);
    EXPECT_EQ(got.size(), expected.size());
  }

  static void WaitFor(const std::function<bool()>& done, seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!done() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(50));
  }

  std::string brokers_, prefix_, articles_, events_, dlq_, group_;
  int replication_ = 1;
  std::unique_ptr<kafka::Producer> producer_;
};

// N articles in → exactly the expected events, read back read_committed, each once; the group's
// committed offsets (from the transactions) cover every article.
TEST_F(ExtractorKafkaTest, EveryEventExactlyOnce) {
  constexpr int kArticles = 150;
  const auto expected = SendArticles(0, kArticles);
  ASSERT_GT(expected.size(), static_cast<std::size_t>(kArticles));
  Extractor extractor(Options(prefix_ + "-x1"), SharedCoder());
  std::atomic<bool> stop{false};
  absl::Status result;
  std::thread runner([&] { result = extractor.Run(stop); });
  WaitFor([&] { return extractor.stats().articles.load() >= kArticles; }, seconds(180));
  stop.store(true);
  runner.join();
  ASSERT_TRUE(result.ok()) << result;
  EXPECT_EQ(extractor.stats().articles.load(), kArticles);
  EXPECT_EQ(extractor.stats().events.load(), static_cast<int64_t>(expected.size()));
  EXPECT_EQ(extractor.stats().dead_lettered.load(), 0);
  EXPECT_GT(extractor.stats().transactions.load(), 0);
  ExpectExactlyOnce(expected, ReadEventIds(expected.size()));
  auto lag = kafka::ConsumerGroupLag(Client(), group_, articles_);
  ASSERT_TRUE(lag.ok()) << lag.status();
  EXPECT_EQ(*lag, 0);
}

// The real binary, kill -9 mid-stream (transactions open or half committed), restarted with the
// same transactional id: still each event exactly once.
TEST_F(ExtractorKafkaTest, KillMinusNineMidStreamThenRestart) {
  constexpr int kArticles = 400;
  const std::vector<std::string> argv = {DYAD_EXTRACTOR_BIN,
                                         "--brokers=" + brokers_,
                                         "--articles-topic=" + articles_,
                                         "--events-topic=" + events_,
                                         "--dlq-topic=" + dlq_,
                                         "--group=" + group_,
                                         "--transactional-id=" + group_ + "-1",
                                         "--partitions=" + std::to_string(kPartitions),
                                         "--replication-factor=" + std::to_string(replication_),
                                         "--max-batch=4",
                                         "--log-level=warn"};
  auto start = [&]() {
    auto child = core::Subprocess::Start(argv);
    EXPECT_TRUE(child.ok()) << child.status();
    auto line = (*child)->ReadLine(seconds(60));
    EXPECT_TRUE(line.ok() && *line == "dyad-extractor ready") << line.status();
    return *std::move(child);
  };
  const auto expected = SendArticles(0, kArticles);
  auto first = start();
  // Kill once some, but not all, events are committed.
  WaitFor(
      [&] {
        auto n = kafka::TopicRecordCount(Client(), events_);
        return n.ok() && *n > static_cast<int64_t>(expected.size() / 5);
      },
      seconds(120));
  auto lag = kafka::ConsumerGroupLag(Client(), group_, articles_);
  ASSERT_TRUE(lag.ok()) << lag.status();
  EXPECT_GT(*lag, 0) << "the extractor finished before the kill; make the test longer";
  first->Signal(SIGKILL);
  auto code = first->Wait(seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 128 + SIGKILL);

  auto second = start();
  WaitFor(
      [&] {
        auto left = kafka::ConsumerGroupLag(Client(), group_, articles_);
        return left.ok() && *left == 0;
      },
      seconds(180));
  second->Signal(SIGTERM);
  auto second_code = second->Wait(seconds(60));
  ASSERT_TRUE(second_code.ok()) << second_code.status();
  EXPECT_EQ(*second_code, 0);
  ExpectExactlyOnce(expected, ReadEventIds(expected.size()));
}

// Two live Extractors with one transactional id: the newer one's InitTransactions fences the
// older, which stops with INTERNAL saying so; the newer one finishes the work, each event once.
TEST_F(ExtractorKafkaTest, SameTransactionalIdFencesTheOlderOne) {
  const std::string id = prefix_ + "-same";
  auto expected = SendArticles(0, 40);
  Extractor older(Options(id), SharedCoder());
  std::atomic<bool> stop_older{false};
  absl::Status older_result;
  std::thread older_runner([&] { older_result = older.Run(stop_older); });
  WaitFor([&] { return older.stats().articles.load() >= 40; }, seconds(120));
  ASSERT_EQ(older.stats().articles.load(), 40);

  Extractor newer(Options(id), SharedCoder());
  std::atomic<bool> stop_newer{false};
  absl::Status newer_result;
  std::atomic<bool> newer_ready{false};
  std::thread newer_runner(
      [&] { newer_result = newer.Run(stop_newer, [&] { newer_ready.store(true); }); });
  WaitFor([&] { return newer_ready.load(); }, seconds(60));
  ASSERT_TRUE(newer_ready.load());
  // Work for both: the older one fails at its next transaction.
  expected.merge(SendArticles(40, 120));
  older_runner.join();  // Run returns by itself: fenced
  EXPECT_EQ(older_result.code(), absl::StatusCode::kInternal) << older_result;
  EXPECT_NE(older_result.message().find("fenced"), std::string::npos) << older_result;
  EXPECT_NE(older_result.message().find("--transactional-id"), std::string::npos) << older_result;
  WaitFor(
      [&] {
        auto left = kafka::ConsumerGroupLag(Client(), group_, articles_);
        return left.ok() && *left == 0;
      },
      seconds(180));
  stop_newer.store(true);
  newer_runner.join();
  EXPECT_TRUE(newer_result.ok()) << newer_result;
  ExpectExactlyOnce(expected, ReadEventIds(expected.size()));
}

// Hostile records of every kind the edge can see: each dead-lettered once with its error kind and
// origin, counted per kind; the valid articles around them are coded.
TEST_F(ExtractorKafkaTest, HostileRecordsAreDeadLetteredWithTheirOrigin) {
  struct Hostile {
    std::string key;
    std::string value;
    PoisonKind kind;
    kafka::DeliveryReport report;
  };
  dyad::v1::Article no_id = MakeArticle(prefix_, 1);
  no_id.clear_id();
  dyad::v1::Article no_body = MakeArticle(prefix_, 2);
  no_body.clear_body();
  dyad::v1::Event event;  // another message type, with fields Article does not have
  event.set_id("e-1");
  event.set_sentence_index(3);
  event.set_goldstein(-4.0);
  std::vector<Hostile> hostile = {
      {"k-junk", "\xff\xfe not a protobuf \x01", PoisonKind::kNotProtobuf, {}},
      {"k-event", event.SerializeAsString(), PoisonKind::kWrongType, {}},
      {"k-huge", std::string(300 * 1024, 'x'), PoisonKind::kTooLarge, {}},
      {"k-empty", "", PoisonKind::kEmptyValue, {}},
      {"", MakeArticle(prefix_, 3).SerializeAsString(), PoisonKind::kEmptyKey, {}},
      {"k-no-id", no_id.SerializeAsString(), PoisonKind::kNoId, {}},
      {"k-no-body", no_body.SerializeAsString(), PoisonKind::kNoBody, {}},
  };
  auto expected = SendArticles(10, 15);
  for (Hostile& h : hostile) {
    auto report = producer_->ProduceSync(articles_, h.key, h.value, seconds(30));
    ASSERT_TRUE(report.ok()) << report.status();
    h.report = *report;
  }
  expected.merge(SendArticles(15, 20));

  ExtractorOptions options = Options(prefix_ + "-hostile");
  options.max_record_bytes = 200 * 1024;
  Extractor extractor(options, SharedCoder());
  std::atomic<bool> stop{false};
  absl::Status result;
  std::thread runner([&] { result = extractor.Run(stop); });
  const int64_t total = 10 + static_cast<int64_t>(hostile.size());
  WaitFor([&] { return extractor.stats().articles.load() >= total; }, seconds(120));
  stop.store(true);
  runner.join();
  ASSERT_TRUE(result.ok()) << result;
  EXPECT_EQ(extractor.stats().articles.load(), total);
  EXPECT_EQ(extractor.stats().dead_lettered.load(), static_cast<int64_t>(hostile.size()));
  for (const Hostile& h : hostile) {
    EXPECT_EQ(extractor.stats().dead_lettered_of(h.kind), 1) << PoisonKindCode(h.kind);
  }
  ExpectExactlyOnce(expected, ReadEventIds(expected.size()));

  std::map<std::string, std::map<std::string, std::string>> by_kind;  // kind → headers
  std::map<std::string, std::string> values;                          // kind → value
  for (const kafka::Message& m : ReadAll(dlq_, hostile.size())) {
    std::map<std::string, std::string> headers(m.headers.begin(), m.headers.end());
    const std::string kind = headers[kErrorKindHeader];
    EXPECT_EQ(by_kind.count(kind), 0u) << "dead-lettered twice: " << kind;
    by_kind[kind] = headers;
    values[kind] = m.value;
  }
  ASSERT_EQ(by_kind.size(), hostile.size());
  for (const Hostile& h : hostile) {
    const std::string kind(PoisonKindCode(h.kind));
    auto& headers = by_kind[kind];
    SCOPED_TRACE(kind);
    EXPECT_EQ(headers[kOriginTopicHeader], articles_);
    EXPECT_EQ(headers[kOriginPartitionHeader], std::to_string(h.report.partition));
    EXPECT_EQ(headers[kOriginOffsetHeader], std::to_string(h.report.offset));
    EXPECT_FALSE(headers[kErrorHeader].empty());
    EXPECT_EQ(values[kind], h.value);  // unchanged
  }
  EXPECT_NE(by_kind["too-large"][kErrorHeader].find("--max-record-bytes"), std::string::npos);
  EXPECT_NE(by_kind["wrong-type"][kErrorHeader].find("not a dyad.v1.Article"), std::string::npos);
}

// Throughput, exactly-once vs at-least-once, on fresh topics (only when DYAD_EXTRACTOR_BENCH=<n
// articles> is set; the numbers in the README come from a Release build):
//   DYAD_EXTRACTOR_BENCH=3000 extractor_kafka_test --gtest_filter=*Throughput*
// Timed from the first committed batch to the last (group join excluded).
TEST_F(ExtractorKafkaTest, Throughput) {
  const char* bench = std::getenv("DYAD_EXTRACTOR_BENCH");
  if (bench == nullptr || std::atoi(bench) <= 0) GTEST_SKIP() << "DYAD_EXTRACTOR_BENCH not set";
  const int articles = std::atoi(bench);
  if (const char* level = std::getenv("DYAD_LOG_LEVEL"); level != nullptr) {
    ASSERT_TRUE(core::InitLogging(level).ok());
  }
  const int max_batch = std::getenv("DYAD_EXTRACTOR_BENCH_BATCH") != nullptr
                            ? std::atoi(std::getenv("DYAD_EXTRACTOR_BENCH_BATCH"))
                            : 64;
  const auto expected = SendArticles(0, articles);
  for (const bool exactly_once : {true, false}) {
    // Each mode reads the same articles in its own group and writes its own events topic.
    ExtractorOptions options = Options(exactly_once ? prefix_ + "-bench" : "");
    options.group_id = group_ + (exactly_once ? ".eos" : ".alo");
    options.events_topic = events_ + (exactly_once ? ".eos" : ".alo");
    options.max_batch = max_batch;
    Extractor extractor(options, SharedCoder());
    std::atomic<bool> stop{false};
    absl::Status result;
    std::thread runner([&] { result = extractor.Run(stop); });
    WaitFor([&] { return extractor.stats().articles.load() > 0; }, seconds(60));
    const auto first = Clock::now();
    const int64_t first_count = extractor.stats().articles.load();
    WaitFor([&] { return extractor.stats().articles.load() >= articles; }, seconds(600));
    const double elapsed = std::chrono::duration<double>(Clock::now() - first).count();
    stop.store(true);
    runner.join();
    ASSERT_TRUE(result.ok()) << result;
    ASSERT_EQ(extractor.stats().articles.load(), articles);
    EXPECT_EQ(extractor.stats().events.load(), static_cast<int64_t>(expected.size()));
    const double rate = static_cast<double>(articles - first_count) / elapsed;
    std::printf(
        "[bench] %s: %d articles (%zu events), max-batch %d: %.0f articles/s, %.0f "
        "events/s, %lld transactions\n",
        exactly_once ? "exactly-once" : "at-least-once", articles, expected.size(), max_batch, rate,
        rate * static_cast<double>(expected.size()) / articles,
        static_cast<long long>(extractor.stats().transactions.load()));
  }
}

}  // namespace
}  // namespace dyad::extractor
