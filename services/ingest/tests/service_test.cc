// IngestService end to end in one process: the embedded Kafka broker, the service on a free
// loopback port, a real gRPC client stub, and a Kafka consumer reading the records back.
#include "dyad/ingest/service.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "dyad/ingest/readers.h"
#include "dyad/kafka/consumer.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/topics.h"
#include "dyad/metrics/http_server.h"
#include "dyad/metrics/kafka_metrics.h"
#include "dyad/metrics/process.h"
#include "dyad/metrics/rpc_metrics.h"
#include "dyad/metrics/scrape.h"
#include "dyad/rpc/server.h"
#include "dyad/v1/ingest_service.grpc.pb.h"

namespace dyad::ingest {
namespace {

using dyad::v1::PublishRequest;
using dyad::v1::PublishResponse;
using dyad::v1::PublishStreamResponse;

PublishRequest Request(std::string url, std::string text) {
  PublishRequest request;
  request.set_url(std::move(url));
  request.set_title("A title");
  request.set_text(std::move(text));
  return request;
}

// A loopback port nothing listens on.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return ntohs(addr.sin_port);
}

// The service wired to `brokers`, listening on 127.0.0.1:0, with a client stub.
struct Stack {
  std::unique_ptr<Publisher> publisher;
  std::unique_ptr<IngestServiceImpl> service;
  std::unique_ptr<rpc::Server> server;
  std::unique_ptr<dyad::v1::IngestService::Stub> stub;

  static std::unique_ptr<Stack> Start(const std::string& brokers, int delivery_timeout_ms) {
    KafkaWriterOptions options;
    options.producer.client.brokers = brokers;
    options.producer.delivery_timeout_ms = delivery_timeout_ms;
    options.producer.close_timeout_ms = 1000;
    auto writer = MakeKafkaWriter(options);
    EXPECT_TRUE(writer.ok()) << writer.status();
    if (!writer.ok()) return nullptr;
    ServiceOptions service_options;
    service_options.workers = 4;
    service_options.max_stream_in_flight = 8;
    return Start(*std::move(writer), service_options);
  }

  static std::unique_ptr<Stack> Start(std::unique_ptr<RecordWriter> writer,
                                      const ServiceOptions& service_options) {
    auto stack = std::make_unique<Stack>();
    stack->publisher = std::make_unique<Publisher>(std::move(writer));
    stack->service = std::make_unique<IngestServiceImpl>(*stack->publisher, service_options);
    auto server = rpc::StartServer({.listen = "127.0.0.1:0"}, {stack->service.get()});
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return nullptr;
    stack->server = *std::move(server);
    stack->stub = dyad::v1::IngestService::NewStub(
        grpc::CreateChannel(stack->server->address(), grpc::InsecureChannelCredentials()));
    return stack;
  }

  ~Stack() {
    if (server) server->Shutdown(std::chrono::seconds(1));
    if (service) service->Shutdown();
  }

  grpc::Status Publish(const PublishRequest& request, PublishResponse* response,
                       std::chrono::seconds deadline = std::chrono::seconds(30)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    return stub->Publish(&context, request, response);
  }

  grpc::Status PublishStream(const std::vector<PublishRequest>& requests,
                             PublishStreamResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto writer = stub->PublishStream(&context, response);
    for (const auto& request : requests) {
      if (!writer->Write(request)) break;  // the server finished early
    }
    writer->WritesDone();
    return writer->Finish();
  }
};

class IngestServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = kafka::EmbeddedBroker::Start(1);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
    ASSERT_TRUE(broker_->CreateTopic({kafka::kArticlesTopic, 3, 1}).ok());
    stack_ = Stack::Start(broker_->bootstrap_servers(), 10000);
    ASSERT_NE(stack_, nullptr);
  }

  void TearDown() override {
    stack_.reset();
    broker_.reset();
  }

  // Reads dyad.articles.v1 from the beginning until `expected` records arrived and then `quiet`
  // passed without another one (so extra records would be seen too).
  std::vector<kafka::Message> ReadArticles(
      size_t expected, std::chrono::milliseconds quiet = std::chrono::seconds(2)) {
    kafka::ConsumerOptions options;
    options.client.brokers = broker_->bootstrap_servers();
    options.group_id = "ingest-test-" + std::to_string(++groups_);
    options.isolation_level = "read_uncommitted";
    auto consumer = kafka::Consumer::Create(options);
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    if (!consumer.ok()) return {};
    EXPECT_TRUE((*consumer)->Subscribe({kafka::kArticlesTopic}).ok());
    std::vector<kafka::Message> out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto last = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
      auto message = (*consumer)->Poll(std::chrono::milliseconds(200));
      EXPECT_TRUE(message.ok()) << message.status();
      if (!message.ok()) break;
      if (message->has_value()) {
        out.push_back(**message);
        last = std::chrono::steady_clock::now();
      } else if (out.size() >= expected && std::chrono::steady_clock::now() - last > quiet) {
        break;
      }
    }
    (void)(*consumer)->Close();
    return out;
  }

  static dyad::v1::Article Parse(const kafka::Message& message) {
    dyad::v1::Article article;
    EXPECT_TRUE(article.ParseFromString(message.value));
    EXPECT_EQ(article.id(), message.key);
    return article;
  }

  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<Stack> stack_;
  int groups_ = 0;
};

TEST_F(IngestServiceTest, PublishPutsTheArticleOnTheTopic) {
  PublishRequest request = Request("https://www.arabnews.com/node/2589123/pakistan",
                                   "ISLAMABAD: Rubio and Dar discussed ties.\r\nSecond paragraph.");
  request.mutable_published_at()->set_seconds(1757808000);
  PublishResponse response;
  const auto status = stack_->Publish(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.article_id().substr(0, 2), "u-");
  EXPECT_FALSE(response.duplicate());

  const auto records = ReadArticles(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, response.article_id());
  const auto article = Parse(records[0]);
  EXPECT_EQ(article.body(), "ISLAMABAD: Rubio and Dar discussed ties.\nSecond paragraph.");
  EXPECT_EQ(article.source(), "arabnews.com");
  EXPECT_EQ(article.dateline(), "ISLAMABAD");
  EXPECT_EQ(article.title(), "A title");
  EXPECT_EQ(article.published_at().seconds(), 1757808000);
  EXPECT_EQ(article.published_at_origin(), dyad::v1::PUBLISHED_AT_ORIGIN_STATED);
  EXPECT_GT(article.ingested_at().seconds(), 1757808000);
  EXPECT_EQ(article.content_hash().size(), 64u);
}

TEST_F(IngestServiceTest, DuplicatePublishWritesOneRecord) {
  const PublishRequest request = Request("https://x.org/story", "Body.");
  PublishResponse first;
  PublishResponse second;
  ASSERT_TRUE(stack_->Publish(request, &first).ok());
  // Same story, decorated URL: same id.
  ASSERT_TRUE(
      stack_->Publish(Request("https://X.org/story/?utm_source=feed#top", "Body."), &second).ok());
  EXPECT_FALSE(first.duplicate());
  EXPECT_TRUE(second.duplicate());
  EXPECT_EQ(first.article_id(), second.article_id());
  const auto records = ReadArticles(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, first.article_id());
}

TEST_F(IngestServiceTest, InvalidRequestsAreRejectedNamingTheFieldAndWriteNothing) {
  struct Case {
    PublishRequest request;
    std::string field;
  };
  std::vector<Case> cases = {
      {Request("", ""), "text"},
      {Request("", " \n\t "), "text"},
      {Request("ftp://x.org/a", "Body."), "url"},
      {Request("x.org/a", "Body."), "url"},
      {Request("", "Body."), "published_at"},
      {Request("", "Body."), "title"},
      {Request("", "Body."), "language"},
  };
  cases[4].request.mutable_published_at()->set_seconds(-2300000000);  // 1897
  cases[5].request.set_title(std::string(2000, 't'));
  cases[6].request.set_language("not a tag");
  // (Invalid UTF-8 never reaches the service over gRPC: protobuf refuses to parse such a proto3
  // string. BuildArticle's own check is covered by the unit tests.)
  for (const auto& c : cases) {
    PublishResponse response;
    const auto status = stack_->Publish(c.request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(status.error_message().substr(0, c.field.size() + 2), c.field + ": ")
        << status.error_message();
  }
  // A text over --max-article-bytes (default 1 MiB).
  PublishResponse response;
  const auto big = stack_->Publish(Request("", std::string(1024 * 1024 + 1, 'a')), &response);
  EXPECT_EQ(big.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(big.error_message().substr(0, 6), "text: ");
  // Only the one good article afterwards reaches the topic.
  ASSERT_TRUE(stack_->Publish(Request("", "The only good one."), &response).ok());
  const auto records = ReadArticles(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, response.article_id());
}

TEST_F(IngestServiceTest, LargestAllowedArticleIsDelivered) {
  std::string text;
  while (text.size() < 1024 * 1024 - 100) text += "Pakistan and the United States discussed ties. ";
  PublishResponse response;
  const auto status = stack_->Publish(Request("https://x.org/long", text), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto records = ReadArticles(1, std::chrono::milliseconds(500));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_GT(Parse(records[0]).body().size(), 1024u * 1024 - 200);
}

TEST_F(IngestServiceTest, StreamMixOfGoodBadAndDuplicate) {
  std::vector<PublishRequest> requests = {
      Request("https://x.org/1", "One."),        // 0 accepted
      Request("https://x.org/2", ""),            // 1 rejected: text
      Request("https://x.org/3", "Three."),      // 2 accepted
      Request("https://x.org/1#again", "One."),  // 3 duplicate of 0
      Request("gopher://x.org/5", "Five."),      // 4 rejected: url
      Request("", "No URL, content id."),        // 5 accepted
      Request("", "  No URL, content id.\n"),    // 6 duplicate of 5
  };
  PublishStreamResponse response;
  const auto status = stack_->PublishStream(requests, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 3);
  EXPECT_EQ(response.duplicates(), 2);
  ASSERT_EQ(response.rejected_size(), 2);
  EXPECT_EQ(response.rejected(0).index(), 1);
  EXPECT_EQ(response.rejected(0).field(), "text");
  EXPECT_EQ(response.rejected(1).index(), 4);
  EXPECT_EQ(response.rejected(1).field(), "url");
  EXPECT_NE(response.rejected(1).message().find("gopher"), std::string::npos);
  ASSERT_EQ(response.article_ids_size(), 5);
  EXPECT_EQ(response.article_ids(0), response.article_ids(2));  // 0 and its duplicate 3
  EXPECT_EQ(response.article_ids(3), response.article_ids(4));  // 5 and its duplicate 6
  EXPECT_EQ(response.article_ids(3).substr(0, 2), "c-");

  const auto records = ReadArticles(3);
  std::set<std::string> keys;
  for (const auto& r : records) keys.insert(r.key);
  EXPECT_EQ(records.size(), 3u);
  EXPECT_EQ(keys, (std::set<std::string>{response.article_ids(0), response.article_ids(1),
                                         response.article_ids(3)}));
}

TEST_F(IngestServiceTest, LongStreamDeliversEveryArticle) {
  std::vector<PublishRequest> requests;
  for (int i = 0; i < 150; ++i) {
    requests.push_back(
        Request("https://x.org/" + std::to_string(i), "Article " + std::to_string(i) + "."));
  }
  PublishStreamResponse response;
  ASSERT_TRUE(stack_->PublishStream(requests, &response).ok());
  EXPECT_EQ(response.accepted(), 150);
  EXPECT_EQ(response.rejected_size(), 0);
  ASSERT_EQ(response.article_ids_size(), 150);
  const auto records = ReadArticles(150, std::chrono::milliseconds(500));
  std::set<std::string> keys;
  for (const auto& r : records) keys.insert(r.key);
  EXPECT_EQ(records.size(), 150u);
  EXPECT_EQ(keys.size(), 150u);
}

TEST_F(IngestServiceTest, SeedExampleThroughTheApi) {
  const std::string path = std::string(DYAD_SHARED_DIR) + "/examples/000_5447edb819e78dad.txt";
  std::vector<SourceRecord> records;
  ASSERT_TRUE(ReadArticleFile(
                  path, {},
                  [&](SourceRecord r) {
                    records.push_back(std::move(r));
                    return absl::OkStatus();
                  },
                  [](RecordError e) { ADD_FAILURE() << e.ToString(); })
                  .ok());
  ASSERT_EQ(records.size(), 1u);
  PublishResponse response;
  ASSERT_TRUE(stack_->Publish(RequestFromInput(records[0].input), &response).ok());
  const auto on_topic = ReadArticles(1, std::chrono::milliseconds(500));
  ASSERT_EQ(on_topic.size(), 1u);
  const auto article = Parse(on_topic[0]);
  EXPECT_EQ(article.url(), "https://arab.news/6r5g7");
  EXPECT_EQ(article.source(), "arab.news");
  EXPECT_EQ(article.dateline(), "ISLAMABAD");
  EXPECT_EQ(article.summary_size(), 2);
  EXPECT_EQ(article.published_at_origin(), dyad::v1::PUBLISHED_AT_ORIGIN_INGEST_TIME);
}

TEST_F(IngestServiceTest, DownedBrokerIsUnavailableAndARetryLaterWorks) {
  auto stack = Stack::Start(broker_->bootstrap_servers(), 1500);
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(broker_->SetBrokerDown().ok());
  PublishResponse response;
  const PublishRequest request = Request("https://x.org/retry", "Retry me.");
  const auto start = std::chrono::steady_clock::now();
  const auto down = stack->Publish(request, &response);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
  EXPECT_NE(down.error_message().find("retry"), std::string::npos) << down.error_message();
  // Bounded: the delivery timeout (1.5 s) plus librdkafka's timeout scan, well under the 5 s slack.
  EXPECT_LT(took, std::chrono::milliseconds(1500 + 5000));
  std::printf(
      "time to UNAVAILABLE with the broker down (delivery timeout 1500 ms): %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  ASSERT_TRUE(broker_->SetBrokerUp().ok());
  grpc::Status up;
  for (int attempt = 0; attempt < 10; ++attempt) {  // the client reconnects with backoff
    up = stack->Publish(request, &response);
    if (up.ok()) break;
  }
  ASSERT_TRUE(up.ok()) << up.error_message();
  EXPECT_FALSE(response.duplicate());  // the failed attempt was not remembered
  const auto records = ReadArticles(1);
  ASSERT_EQ(records.size(), 1u);  // the failed attempt wrote nothing, the retry once
  EXPECT_EQ(records[0].key, response.article_id());
}

// Fault test 6 in small: articles published while the broker is down all fail UNAVAILABLE; the
// callers retry until OK once it is back; the topic then holds every article, each once.
TEST_F(IngestServiceTest, OutageThenRetriesEndWithEveryArticleOnce) {
  auto stack = Stack::Start(broker_->bootstrap_servers(), 1500);
  ASSERT_NE(stack, nullptr);
  constexpr int kArticles = 24;
  std::vector<PublishRequest> requests;
  for (int i = 0; i < kArticles; ++i) {
    requests.push_back(Request("https://x.org/outage/" + std::to_string(i),
                               "Article " + std::to_string(i) + " of the outage."));
  }
  // A few go through before the outage.
  PublishResponse response;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(stack->Publish(requests[i], &response).ok());
  ASSERT_TRUE(broker_->SetBrokerDown().ok());
  std::atomic<int> unavailable{0};
  std::atomic<int> ok_during_outage{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 4 + t; i < kArticles; i += 4) {
        PublishResponse r;
        const auto status = stack->Publish(requests[static_cast<std::size_t>(i)], &r);
        if (status.error_code() == grpc::StatusCode::UNAVAILABLE) unavailable++;
        if (status.ok()) ok_during_outage++;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(unavailable.load(), kArticles - 4);
  EXPECT_EQ(ok_during_outage.load(), 0);
  ASSERT_TRUE(broker_->SetBrokerUp().ok());
  // Every caller retries every article (the first four too, as a client that lost its answers
  // would) until OK.
  std::set<std::string> ids;
  int duplicates = 0;
  for (const auto& request : requests) {
    grpc::Status status(grpc::StatusCode::UNKNOWN, "not tried yet");
    for (int attempt = 0; attempt < 20 && !status.ok(); ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      status = stack->Publish(request, &response);
    }
    ASSERT_TRUE(status.ok()) << status.error_message();
    ids.insert(response.article_id());
    duplicates += response.duplicate() ? 1 : 0;
  }
  EXPECT_EQ(duplicates, 4);  // the four published before the outage
  const auto records = ReadArticles(kArticles);
  std::map<std::string, int> per_id;
  for (const auto& record : records) per_id[record.key]++;
  std::printf("outage: %d articles, %zu records, %zu distinct ids\n", kArticles, records.size(),
              per_id.size());
  EXPECT_EQ(per_id.size(), static_cast<std::size_t>(kArticles));
  for (const auto& id : ids) EXPECT_EQ(per_id[id], 1) << id;
}

// A Write that stops waiting before librdkafka gives the record up leaves the record queued; the
// retry waits for that record instead of producing a second one.
TEST_F(IngestServiceTest, RetryAfterALocalTimeoutWaitsForTheFirstAttempt) {
  KafkaWriterOptions options;
  options.producer.client.brokers = broker_->bootstrap_servers();
  options.producer.delivery_timeout_ms = 60000;
  options.producer.close_timeout_ms = 1000;
  options.ack_wait_ms = 1000;
  auto writer = MakeKafkaWriter(options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  dyad::v1::Article article;
  article.set_id("u-local-timeout");
  article.set_body("Body.");
  const std::string value = article.SerializeAsString();
  ASSERT_TRUE(broker_->SetBrokerDown().ok());
  const auto start = std::chrono::steady_clock::now();
  const auto first = (*writer)->Write(article.id(), value);
  EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable) << first;
  EXPECT_NE(first.message().find("not written twice"), std::string::npos) << first;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  // Still down: the retry waits for the first attempt again and gives up again, writing nothing.
  EXPECT_EQ((*writer)->Write(article.id(), value).code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(broker_->SetBrokerUp().ok());
  absl::Status retry;
  for (int attempt = 0; attempt < 30; ++attempt) {
    retry = (*writer)->Write(article.id(), value);
    if (retry.ok()) break;
  }
  ASSERT_TRUE(retry.ok()) << retry;
  EXPECT_EQ((*writer)->Flush(std::chrono::seconds(5)), 0);
  const auto records = ReadArticles(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, article.id());
}

// Close (shutdown): records Kafka does not acknowledge within the timeout fail their Write with
// UNAVAILABLE at once, and are counted.
TEST_F(IngestServiceTest, CloseFailsTheWritesStillWaitingAndCountsThem) {
  KafkaWriterOptions options;
  options.producer.client.brokers = broker_->bootstrap_servers();
  options.producer.delivery_timeout_ms = 60000;
  options.producer.close_timeout_ms = 0;
  auto writer = MakeKafkaWriter(options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE(broker_->SetBrokerDown().ok());
  std::vector<absl::Status> results(3);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back(
        [&, i] { results[i] = (*writer)->Write("u-close-" + std::to_string(i), "value"); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ((*writer)->Close(std::chrono::milliseconds(500)), 3);
  for (auto& thread : threads) thread.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  for (const auto& result : results) {
    EXPECT_EQ(result.code(), absl::StatusCode::kUnavailable) << result;
    EXPECT_NE(result.message().find("shutting down"), std::string::npos) << result;
  }
  const auto after = (*writer)->Write("u-close-after", "value");
  EXPECT_EQ(after.code(), absl::StatusCode::kUnavailable) << after;
}

TEST(IngestServiceUnreachable, KafkaOnAClosedPortIsUnavailable) {
  auto stack = Stack::Start("127.0.0.1:" + std::to_string(ClosedPort()), 1000);
  ASSERT_NE(stack, nullptr);
  PublishResponse response;
  const auto start = std::chrono::steady_clock::now();
  const auto status = stack->Publish(Request("https://x.org/a", "Body."), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("retry"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));

  PublishStreamResponse stream_response;
  const auto stream = stack->PublishStream({Request("", ""), Request("https://x.org/b", "Body b.")},
                                           &stream_response);
  EXPECT_EQ(stream.error_code(), grpc::StatusCode::UNAVAILABLE) << stream.error_message();
  EXPECT_NE(stream.error_message().find("retry the stream"), std::string::npos);
}

// A writer that takes its time and can be told to fail; for the service's own logic (queue
// limits, stream failure), independent of Kafka.
class ScriptedWriter final : public RecordWriter {
 public:
  struct Script {
    std::atomic<int> delay_ms{0};
    std::atomic<int> fail_after{-1};  // writes that succeed before failing; -1 = never fail
    std::atomic<int> writes{0};
    std::mutex mu;
  };
  explicit ScriptedWriter(std::shared_ptr<Script> script) : script_(std::move(script)) {}
  absl::Status Write(std::string_view, std::string_view) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(script_->delay_ms.load()));
    std::lock_guard lock(script_->mu);  // check and count as one step
    const int limit = script_->fail_after.load();
    if (limit >= 0 && script_->writes.load() >= limit) return absl::UnavailableError("scripted");
    script_->writes++;
    return absl::OkStatus();
  }
  int Flush(std::chrono::milliseconds) override { return 0; }

 private:
  std::shared_ptr<Script> script_;
};

TEST(IngestServiceLimits, FullQueueAnswersResourceExhaustedAtOnce) {
  auto script = std::make_shared<ScriptedWriter::Script>();
  script->delay_ms = 500;
  ServiceOptions options;
  options.workers = 1;
  options.max_queued = 1;
  auto stack = Stack::Start(std::make_unique<ScriptedWriter>(script), options);
  ASSERT_NE(stack, nullptr);
  std::vector<std::thread> threads;
  std::mutex mu;
  std::map<grpc::StatusCode, int> codes;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      PublishResponse response;
      const auto status =
          stack->Publish(Request("https://x.org/" + std::to_string(i), "Body."), &response);
      std::lock_guard lock(mu);
      codes[status.error_code()]++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(codes[grpc::StatusCode::OK], 1);
  EXPECT_GE(codes[grpc::StatusCode::RESOURCE_EXHAUSTED], 1);
  EXPECT_EQ(codes[grpc::StatusCode::OK] + codes[grpc::StatusCode::RESOURCE_EXHAUSTED], 6);
}

TEST(IngestServiceLimits, StreamStopsOnPublishFailureAndARetryDoublesNothing) {
  auto script = std::make_shared<ScriptedWriter::Script>();
  script->fail_after = 5;
  script->delay_ms = 5;
  ServiceOptions options;
  options.workers = 4;
  options.max_stream_in_flight = 4;
  auto stack = Stack::Start(std::make_unique<ScriptedWriter>(script), options);
  ASSERT_NE(stack, nullptr);
  std::vector<PublishRequest> requests;
  for (int i = 0; i < 40; ++i) {
    requests.push_back(Request("https://x.org/" + std::to_string(i), "Body."));
  }
  PublishStreamResponse failed;
  const auto status = stack->PublishStream(requests, &failed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("retry the stream"), std::string::npos);
  EXPECT_EQ(script->writes.load(), 5);

  script->fail_after = -1;
  PublishStreamResponse retried;
  const auto again = stack->PublishStream(requests, &retried);
  ASSERT_TRUE(again.ok()) << again.error_message();
  EXPECT_EQ(retried.accepted(), 35);
  EXPECT_EQ(retried.duplicates(), 5);
  EXPECT_EQ(retried.article_ids_size(), 40);
  EXPECT_EQ(script->writes.load(), 40);
}

TEST(IngestServiceLimits, CancelledStreamFinishesAndTheServerStops) {
  auto script = std::make_shared<ScriptedWriter::Script>();
  script->delay_ms = 50;
  ServiceOptions options;
  options.workers = 2;
  options.max_stream_in_flight = 2;
  auto stack = Stack::Start(std::make_unique<ScriptedWriter>(script), options);
  ASSERT_NE(stack, nullptr);
  grpc::ClientContext context;
  PublishStreamResponse response;
  auto writer = stack->stub->PublishStream(&context, &response);
  for (int i = 0; i < 10; ++i) {
    if (!writer->Write(Request("https://x.org/" + std::to_string(i), "Body."))) break;
  }
  context.TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  const auto start = std::chrono::steady_clock::now();
  stack.reset();  // server shutdown waits for the reactor: it must have finished
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// The metrics dyad-ingest serves, wired as main() wires them: the service, its producer and its
// gRPC server report into one registry served on 127.0.0.1:0 and scraped over a socket.
TEST(IngestServiceMetrics, ScrapeShowsOutcomesLatencyRpcAndProducer) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  ASSERT_TRUE((*broker)->CreateTopic({kafka::kArticlesTopic, 2, 1}).ok());
  metrics::Registry registry;
  metrics::AddProcessMetrics(registry);
  metrics::RpcMetrics rpc_metrics(registry);
  KafkaWriterOptions writer_options;
  writer_options.producer.client.brokers = (*broker)->bootstrap_servers();
  writer_options.producer.client.stats = std::make_shared<kafka::ClientStats>();
  metrics::AddKafkaMetrics(registry, writer_options.producer.client.stats);
  auto writer = MakeKafkaWriter(writer_options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  Publisher publisher(*std::move(writer));
  ServiceOptions service_options;
  service_options.workers = 2;
  service_options.metrics = &registry;
  IngestServiceImpl service(publisher, service_options);
  auto server = rpc::StartServer(
      {.listen = "127.0.0.1:0", .interceptors = rpc_metrics.InterceptorFactories()}, {&service});
  ASSERT_TRUE(server.ok()) << server.status();
  auto metrics_server = metrics::MetricsServer::Start({.listen = "127.0.0.1:0"}, registry);
  ASSERT_TRUE(metrics_server.ok()) << metrics_server.status();
  auto stub = dyad::v1::IngestService::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
  const auto publish = [&](const PublishRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    PublishResponse response;
    return stub->Publish(&context, request, &response).error_code();
  };
  EXPECT_EQ(publish(Request("https://example.org/a", "Rubio spoke with Dar.")), grpc::OK);
  EXPECT_EQ(publish(Request("https://example.org/b", "Dar spoke with Rubio.")), grpc::OK);
  EXPECT_EQ(publish(Request("https://example.org/a", "Rubio spoke with Dar.")), grpc::OK);
  EXPECT_EQ(publish(Request("https://example.org/c", "")), grpc::INVALID_ARGUMENT);

  auto body = metrics::HttpGet((*metrics_server)->address());
  ASSERT_TRUE(body.ok()) << body.status();
  const std::string& text = *body;
  const auto sample = [&](const std::string& series) {
    const auto value = metrics::FindSample(text, series);
    EXPECT_TRUE(value.has_value()) << series << " not in:\n" << text;
    return value.value_or(-1);
  };
  EXPECT_EQ(sample("dyad_ingest_articles_total{outcome=\"published\"}"), 2);
  EXPECT_EQ(sample("dyad_ingest_articles_total{outcome=\"duplicate\"}"), 1);
  EXPECT_EQ(sample("dyad_ingest_articles_total{outcome=\"rejected\"}"), 1);
  EXPECT_EQ(sample("dyad_ingest_articles_total{outcome=\"failed\"}"), 0);
  EXPECT_EQ(sample("dyad_ingest_publish_seconds_count"), 4);
  EXPECT_GT(sample("dyad_ingest_publish_seconds_sum"), 0);
  EXPECT_EQ(
      sample("dyad_rpc_requests_total{method=\"/dyad.v1.IngestService/Publish\",code=\"OK\"}"), 3);
  EXPECT_EQ(sample("dyad_rpc_requests_total{method=\"/dyad.v1.IngestService/Publish\",code="
                   "\"INVALID_ARGUMENT\"}"),
            1);
  EXPECT_EQ(sample("dyad_rpc_seconds_count{method=\"/dyad.v1.IngestService/Publish\"}"), 4);
  EXPECT_EQ(sample("dyad_kafka_producer_queue_messages"), 0);  // OK means acknowledged
  EXPECT_EQ(sample("dyad_kafka_delivery_errors_total"), 0);
  EXPECT_GT(sample("process_cpu_seconds_total"), 0);
  (*metrics_server)->Stop();
  (*server)->Shutdown(std::chrono::seconds(1));
  service.Shutdown();
}

}  // namespace
}  // namespace dyad::ingest
