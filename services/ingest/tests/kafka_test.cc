// dyad-ingest against a real Apache Kafka cluster (label `kafka`): Publish OK means a
// read_committed consumer finds the article on the topic, each article once. Measures Publish
// latency (gRPC call → acks=all delivery report) and prints p50/p99.
//
// The brokers come from DYAD_TEST_KAFKA_BROKERS (tests/kafka/kafka.sh); unset = skipped. Every run
// uses a fresh topic (process id and a random number in its name).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "dyad/ingest/publisher.h"
#include "dyad/ingest/service.h"
#include "dyad/kafka/admin.h"
#include "dyad/kafka/consumer.h"
#include "dyad/kafka/testing.h"
#include "dyad/rpc/server.h"
#include "dyad/v1/ingest_service.grpc.pb.h"

namespace dyad::ingest {
namespace {

using Clock = std::chrono::steady_clock;

class IngestKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto cluster = kafka::TestClusterFromEnv();
    if (!cluster) GTEST_SKIP() << kafka::kNoTestClusterMessage;
    brokers_ = cluster->brokers;
    const int replication = cluster->replication_factor;
    std::random_device device;
    topic_ = "dyad-test-ingest-" + std::to_string(::getpid()) + "-" + std::to_string(device());
    const auto created = kafka::EnsureTopic({.brokers = brokers_}, {topic_, 3, replication});
    ASSERT_TRUE(created.ok()) << created;

    KafkaWriterOptions options;
    options.producer.client.brokers = brokers_;
    options.producer.delivery_timeout_ms = 10000;
    options.topic = topic_;
    auto writer = MakeKafkaWriter(options);
    ASSERT_TRUE(writer.ok()) << writer.status();
    publisher_ = std::make_unique<Publisher>(*std::move(writer));
    ServiceOptions service_options;
    service_options.workers = 8;
    service_ = std::make_unique<IngestServiceImpl>(*publisher_, service_options);
    auto server = rpc::StartServer({.listen = "127.0.0.1:0"}, {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::IngestService::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::seconds(1));
    if (service_) service_->Shutdown();
  }

  grpc::Status Publish(int i, v1::PublishResponse* response) {
    v1::PublishRequest request;
    request.set_url("https://x.org/kafka/" + std::to_string(i));
    request.set_text("Pakistan and the United States discussed trade, article " +
                     std::to_string(i) + ".");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->Publish(&context, request, response);
  }

  // Every record of the topic, read_committed, until `expected` arrived and 3 s passed quietly.
  std::vector<kafka::Message> ReadAll(std::size_t expected) {
    kafka::ConsumerOptions options;
    options.client.brokers = brokers_;
    options.group_id = topic_ + "-reader";
    options.isolation_level = "read_committed";
    auto consumer = kafka::Consumer::Create(options);
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    if (!consumer.ok()) return {};
    EXPECT_TRUE((*consumer)->Subscribe({topic_}).ok());
    std::vector<kafka::Message> out;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    auto last = Clock::now();
    while (Clock::now() < deadline) {
      auto message = (*consumer)->Poll(std::chrono::milliseconds(200));
      EXPECT_TRUE(message.ok()) << message.status();
      if (!message.ok()) break;
      if (message->has_value()) {
        out.push_back(**message);
        last = Clock::now();
      } else if (out.size() >= expected && Clock::now() - last > std::chrono::seconds(3)) {
        break;
      }
    }
    (*consumer)->Close().IgnoreError();
    return out;
  }

  std::string brokers_;
  std::string topic_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<IngestServiceImpl> service_;
  std::unique_ptr<rpc::Server> server_;
  std::unique_ptr<v1::IngestService::Stub> stub_;
};

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

TEST_F(IngestKafkaTest, PublishOkMeansReadCommittedConsumersSeeItOnce) {
  constexpr int kSequential = 200;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::map<std::string, int> published;  // id → times answered OK (not duplicate)
  std::vector<double> latencies_ms;
  for (int i = 0; i < kSequential; ++i) {
    v1::PublishResponse response;
    const auto start = Clock::now();
    const auto status = Publish(i, &response);
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_FALSE(response.duplicate());
    published[response.article_id()]++;
  }
  std::printf(
      "sequential Publish against %s (acks=all, RF=min(3, brokers)): p50 %.2f ms, p99 "
      "%.2f ms, max %.2f ms over %d calls\n",
      brokers_.c_str(), Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99),
      Percentile(latencies_ms, 1.0), kSequential);

  // Concurrent callers, and each article published twice: the second is a duplicate.
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<double> concurrent_ms;
  std::atomic<int> failures{0};
  std::atomic<int> duplicates{0};
  const auto start_all = Clock::now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        const int i = kSequential + t * kPerThread + k;
        for (int round = 0; round < 2; ++round) {
          v1::PublishResponse response;
          const auto start = Clock::now();
          const auto status = Publish(i, &response);
          const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
          if (!status.ok()) {
            failures++;
            continue;
          }
          std::lock_guard lock(mu);
          if (response.duplicate()) {
            duplicates++;
          } else {
            published[response.article_id()]++;
            concurrent_ms.push_back(ms);
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start_all).count();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(duplicates.load(), kThreads * kPerThread);
  ASSERT_FALSE(concurrent_ms.empty());
  std::printf("%d concurrent callers: p50 %.2f ms, p99 %.2f ms; %.0f articles/s\n", kThreads,
              Percentile(concurrent_ms, 0.5), Percentile(concurrent_ms, 0.99),
              static_cast<double>(kThreads * kPerThread) / seconds);

  const std::size_t total = kSequential + kThreads * kPerThread;
  ASSERT_EQ(published.size(), total);
  const auto records = ReadAll(total);
  std::map<std::string, int> on_topic;
  for (const auto& record : records) {
    v1::Article article;
    ASSERT_TRUE(article.ParseFromString(record.value));
    EXPECT_EQ(article.id(), record.key);
    on_topic[record.key]++;
  }
  EXPECT_EQ(records.size(), total);
  EXPECT_EQ(on_topic.size(), total);
  for (const auto& [id, times] : published) EXPECT_EQ(on_topic[id], 1) << id;
}

}  // namespace
}  // namespace dyad::ingest
