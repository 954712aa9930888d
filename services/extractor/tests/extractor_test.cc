#include "dyad/extractor/extractor.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "dyad/core/subprocess.h"
#include "dyad/kafka/consumer.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/topics.h"
#include "dyad/metrics/http_server.h"
#include "dyad/metrics/kafka_metrics.h"
#include "dyad/metrics/process.h"
#include "dyad/metrics/scrape.h"
#include "dyad/v1/article.pb.h"
#include "shared_coder.h"

namespace dyad::extractor {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

dyad::v1::Article SeedArticle() {
  std::ifstream in(std::string(DYAD_SHARED_DIR) + "/examples/000_5447edb819e78dad.txt");
  std::stringstream text;
  text << in.rdbuf();
  std::string body = text.str();
  body = body.substr(body.find('\n') + 1);  // drop the URL line
  dyad::v1::Article article;
  article.set_id("u-seed");
  article.set_url("https://arab.news/6r5g7");
  article.set_body(body);
  article.mutable_published_at()->set_seconds(1757808000);  // 2025-09-14T00:00:00Z
  return article;
}

TEST(DyadKey, IsSourceCountryThenTargetCountry) {
  dyad::v1::Event event;
  event.mutable_source()->set_country("USA");
  event.mutable_target()->set_country("PAK");
  EXPECT_EQ(DyadKey(event), "USA>PAK");
}

TEST(ExtractRecord, RejectsWhatIsNotAnArticle) {
  const auto& coder = SharedCoder();
  EXPECT_EQ(ExtractRecord(coder, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExtractRecord(coder, "\xff\xff\xff\xff garbage").status().code(),
            absl::StatusCode::kInvalidArgument);
  dyad::v1::Article no_body;
  no_body.set_id("u-1");
  EXPECT_EQ(ExtractRecord(coder, no_body.SerializeAsString()).status().message(),
            "Article.body is empty");
}

TEST(ExtractRecord, CodesTheSeedArticle) {
  auto events = ExtractRecord(SharedCoder(), SeedArticle().SerializeAsString());
  ASSERT_TRUE(events.ok()) << events.status();
  bool consult = false;
  for (const auto& event : *events) {
    consult |= event.root_code() == "04" && event.source().country() == "USA" &&
               event.target().country() == "PAK";
    EXPECT_EQ(event.article_id(), "u-seed");
  }
  EXPECT_TRUE(consult);
}

TEST(ExtractArticle, EachKindOfPoison) {
  const auto& coder = SharedCoder();
  ExtractorOptions options;
  options.max_record_bytes = 1000;
  auto kind = [&](std::string_view key, std::string_view value) {
    auto result = ExtractArticle(coder, key, value, options);
    EXPECT_FALSE(result.events.ok());
    return PoisonKindCode(result.kind);
  };
  EXPECT_EQ(kind("k", std::string(1001, 'x')), "too-large");
  EXPECT_EQ(kind("k", ""), "empty-value");
  EXPECT_EQ(kind("k", "\xff\xff\xff\xff garbage"), "not-protobuf");
  dyad::v1::Event event;
  event.set_id("e-1");
  event.set_sentence_index(2);
  EXPECT_EQ(kind("k", event.SerializeAsString()), "wrong-type");
  dyad::v1::Article article;
  article.set_body("Pakistan praised India.");
  EXPECT_EQ(kind("k", article.SerializeAsString()), "no-id");
  article.set_id("a-1");
  EXPECT_EQ(kind("", article.SerializeAsString()), "empty-key");
  article.clear_body();
  EXPECT_EQ(kind("k", article.SerializeAsString()), "no-body");
  article.set_body("Pakistan praised India.");
  EXPECT_TRUE(ExtractArticle(coder, "k", article.SerializeAsString(), options).events.ok());
}

// The per-article time limit: an article the coder cannot finish in time is time-limit
// (DEADLINE_EXCEEDED); without a limit the same article is coded.
TEST(ExtractArticle, TimeLimit) {
  dyad::v1::Article article = SeedArticle();
  std::string body;
  while (body.size() < 400 * 1024) body += article.body() + "\n\n";
  article.set_body(body);
  ExtractorOptions options;
  options.max_record_bytes = 1 << 20;
  options.article_time_limit = milliseconds(0);  // none
  auto unlimited = ExtractArticle(SharedCoder(), "k", article.SerializeAsString(), options);
  ASSERT_TRUE(unlimited.events.ok()) << unlimited.events.status();
  EXPECT_FALSE(unlimited.events->empty());
  // 1 ms is used up before the first sentence: normalizing 400 KB alone takes longer.
  options.article_time_limit = milliseconds(1);
  auto limited = ExtractArticle(SharedCoder(), "k", article.SerializeAsString(), options);
  ASSERT_FALSE(limited.events.ok());
  EXPECT_EQ(PoisonKindCode(limited.kind), "time-limit");
  EXPECT_EQ(limited.events.status().code(), absl::StatusCode::kDeadlineExceeded);
}

// An embedded broker with the articles, events and dead-letter topics (2 partitions each); null
// (and a failure) when it cannot start or create them.
std::unique_ptr<kafka::EmbeddedBroker> StartBrokerWithTopics() {
  auto broker = kafka::EmbeddedBroker::Start(1);
  EXPECT_TRUE(broker.ok()) << broker.status();
  if (!broker.ok()) return nullptr;
  for (const char* topic : {kafka::kArticlesTopic, kafka::kEventsTopic, kafka::kArticlesDlqTopic}) {
    const absl::Status created = (*broker)->CreateTopic({topic, 2, 1});
    EXPECT_TRUE(created.ok()) << created;
    if (!created.ok()) return nullptr;
  }
  return std::move(*broker);
}

// The whole stage on the embedded broker: good articles become events keyed by dyad, junk is
// dead-lettered with its origin, and the extractor keeps going.
TEST(Extractor, CodesArticlesAndDeadLettersJunk) {
  auto broker = StartBrokerWithTopics();
  ASSERT_NE(broker, nullptr);
  kafka::ClientConfig client{.brokers = broker->bootstrap_servers()};

  auto producer = kafka::Producer::Create({.client = client});
  ASSERT_TRUE(producer.ok()) << producer.status();
  ASSERT_TRUE((*producer)
                  ->ProduceSync(kafka::kArticlesTopic, "junk", "not a protobuf \xff", seconds(10))
                  .ok());
  ASSERT_TRUE((*producer)
                  ->ProduceSync(kafka::kArticlesTopic, "u-seed", SeedArticle().SerializeAsString(),
                                seconds(10))
                  .ok());

  ExtractorOptions options{.client = client, .group_id = "extractor-test", .partitions = 2};
  Extractor extractor(options, SharedCoder());
  std::atomic<bool> stop{false};
  absl::Status result;
  std::thread runner([&] { result = extractor.Run(stop); });
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (extractor.stats().articles.load() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  stop.store(true);
  runner.join();
  ASSERT_TRUE(result.ok()) << result;
  EXPECT_EQ(extractor.stats().articles.load(), 2);
  EXPECT_EQ(extractor.stats().dead_lettered.load(), 1);
  EXPECT_GT(extractor.stats().events.load(), 0);

  auto consumer = kafka::Consumer::Create({.client = client, .group_id = "extractor-test-reader"});
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE((*consumer)->Subscribe({kafka::kEventsTopic, kafka::kArticlesDlqTopic}).ok());
  int64_t events = 0;
  int dead = 0;
  bool saw_usa_pak = false;
  const auto read_deadline = std::chrono::steady_clock::now() + seconds(30);
  while ((events < extractor.stats().events.load() || dead < 1) &&
         std::chrono::steady_clock::now() < read_deadline) {
    auto message = (*consumer)->Poll(milliseconds(200));
    ASSERT_TRUE(message.ok());
    if (!message->has_value()) continue;
    const kafka::Message& m = **message;
    if (m.topic == kafka::kArticlesDlqTopic) {
      ++dead;
      EXPECT_EQ(m.value, "not a protobuf \xff");
      bool has_error = false, has_origin = false;
      for (const auto& [key, value] : m.headers) {
        has_error |=
            key == "dyad-error" && value.find("not a dyad.v1.Article") != std::string::npos;
        has_origin |= key == "dyad-origin-topic" && value == kafka::kArticlesTopic;
      }
      EXPECT_TRUE(has_error);
      EXPECT_TRUE(has_origin);
      continue;
    }
    ++events;
    dyad::v1::Event event;
    ASSERT_TRUE(event.ParseFromString(m.value));
    EXPECT_EQ(m.key, DyadKey(event));
    saw_usa_pak |= m.key == "USA>PAK";
  }
  EXPECT_EQ(events, extractor.stats().events.load());
  EXPECT_EQ(dead, 1);
  EXPECT_TRUE(saw_usa_pak);
}

// The metrics dyad-extractor serves: the Extractor in-process with a registry on 127.0.0.1:0,
// scraped over a socket while it runs.
TEST(Extractor, MetricsMoveWithTheWork) {
  auto broker = StartBrokerWithTopics();
  ASSERT_NE(broker, nullptr);
  kafka::ClientConfig client{.brokers = broker->bootstrap_servers()};
  auto producer = kafka::Producer::Create({.client = client});
  ASSERT_TRUE(producer.ok()) << producer.status();
  auto article = SeedArticle();
  for (const char* id : {"u-1", "u-2"}) {
    article.set_id(id);
    ASSERT_TRUE(
        (*producer)
            ->ProduceSync(kafka::kArticlesTopic, id, article.SerializeAsString(), seconds(10))
            .ok());
  }
  ASSERT_TRUE(
      (*producer)->ProduceSync(kafka::kArticlesTopic, "junk", "\x01\x02 junk", seconds(10)).ok());

  metrics::Registry registry;
  metrics::AddProcessMetrics(registry);
  ExtractorOptions options{.client = client, .group_id = "extractor-metrics", .partitions = 2};
  options.client.stats = std::make_shared<kafka::ClientStats>();
  metrics::AddKafkaMetrics(registry, options.client.stats);
  options.metrics = &registry;
  Extractor extractor(options, SharedCoder());
  auto server = metrics::MetricsServer::Start({.listen = "127.0.0.1:0"}, registry);
  ASSERT_TRUE(server.ok()) << server.status();
  std::atomic<bool> stop{false};
  absl::Status result;
  std::thread runner([&] { result = extractor.Run(stop); });
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (extractor.stats().articles.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  // Lag is refreshed once a second inside Poll: wait for both partitions at 0.
  std::string text;
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto body = metrics::HttpGet((*server)->address());
    ASSERT_TRUE(body.ok()) << body.status();
    text = *body;
    if (metrics::FindSample(
            text, "dyad_kafka_consumer_lag{topic=\"dyad.articles.v1\",partition=\"0\"}") == 0 &&
        metrics::FindSample(
            text, "dyad_kafka_consumer_lag{topic=\"dyad.articles.v1\",partition=\"1\"}") == 0) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  stop.store(true);
  runner.join();
  ASSERT_TRUE(result.ok()) << result;
  const auto sample = [&](const std::string& series) {
    const auto value = metrics::FindSample(text, series);
    EXPECT_TRUE(value.has_value()) << series << " not in:\n" << text;
    return value.value_or(-1);
  };
  EXPECT_EQ(sample("dyad_extractor_articles_total{outcome=\"coded\"}"), 2);
  EXPECT_EQ(sample("dyad_extractor_articles_total{outcome=\"dead_lettered\"}"), 1);
  EXPECT_EQ(sample("dyad_extractor_dead_lettered_total{kind=\"not-protobuf\"}"), 1);
  EXPECT_EQ(sample("dyad_extractor_events_total"), extractor.stats().events.load());
  EXPECT_GT(sample("dyad_extractor_events_total"), 0);
  EXPECT_EQ(sample("dyad_extractor_sentences_total"), extractor.stats().sentences.load());
  EXPECT_GT(sample("dyad_extractor_sentences_total"), 2);  // two copies of a multi-sentence text
  EXPECT_EQ(sample("dyad_extractor_code_seconds_count"), 3);
  EXPECT_GT(sample("dyad_extractor_code_seconds_sum"), 0);
  // At-least-once (the embedded broker): no transactions.
  EXPECT_EQ(sample("dyad_extractor_transactions_total{outcome=\"committed\"}"), 0);
  EXPECT_EQ(sample("dyad_extractor_transactions_total{outcome=\"aborted\"}"), 0);
  EXPECT_EQ(sample("dyad_kafka_consumer_lag{topic=\"dyad.articles.v1\",partition=\"0\"}"), 0);
  EXPECT_EQ(sample("dyad_kafka_consumer_lag{topic=\"dyad.articles.v1\",partition=\"1\"}"), 0);
  EXPECT_EQ(sample("dyad_kafka_producer_queue_messages"), 0);  // every record acknowledged
  EXPECT_EQ(sample("dyad_kafka_delivery_errors_total"), 0);
  EXPECT_GT(sample("process_resident_memory_bytes"), 0);
  // After Run: the consumer closed, its partitions no longer reported.
  auto after = metrics::HttpGet((*server)->address());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->find("dyad_kafka_consumer_lag{"), std::string::npos) << *after;
}

// The dyad-extractor binary with --metrics-listen: /metrics answers once it is ready, and the
// articles it codes show up there; a bad address exits 1 before the coder loads.
TEST(ExtractorBinary, ServesMetricsByFlag) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::string metrics_address = "127.0.0.1:" + std::to_string(metrics::FreeLoopbackPort());
  auto child = core::Subprocess::Start(
      {DYAD_EXTRACTOR_BIN, "--brokers=" + (*broker)->bootstrap_servers(), "--partitions=1",
       "--delivery=at-least-once", "--log-level=warn", "--metrics-listen=" + metrics_address});
  ASSERT_TRUE(child.ok()) << child.status();
  auto line = (*child)->ReadLine(seconds(120));
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "dyad-extractor ready");
  auto producer = kafka::Producer::Create({.client = {.brokers = (*broker)->bootstrap_servers()}});
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE((*producer)
                  ->ProduceSync(kafka::kArticlesTopic, "u-seed", SeedArticle().SerializeAsString(),
                                seconds(10))
                  .ok());
  std::optional<double> coded;
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (coded != 1 && std::chrono::steady_clock::now() < deadline) {
    auto body = metrics::HttpGet(metrics_address);
    ASSERT_TRUE(body.ok()) << body.status();
    text = *body;
    coded = metrics::FindSample(text, "dyad_extractor_articles_total{outcome=\"coded\"}");
    if (coded != 1) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(coded, 1) << text;
  EXPECT_GT(metrics::FindSample(text, "dyad_extractor_events_total").value_or(0), 0);
  EXPECT_EQ(metrics::FindSample(text, "dyad_extractor_code_seconds_count"), 1);
  (*child)->Signal(SIGTERM);
  auto code = (*child)->Wait(seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);

  auto bad = core::Subprocess::Start(
      {DYAD_EXTRACTOR_BIN, "--brokers=127.0.0.1:1", "--metrics-listen=nocolon", "--log-level=off"});
  ASSERT_TRUE(bad.ok());
  auto bad_code = (*bad)->Wait(seconds(30));
  ASSERT_TRUE(bad_code.ok());
  EXPECT_EQ(*bad_code, 1);
}

}  // namespace
}  // namespace dyad::extractor
