// Integration tests against the embedded broker (librdkafka's mock cluster, in this process).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dyad/kafka/admin.h"
#include "dyad/kafka/consumer.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/offsets.h"
#include "dyad/kafka/producer.h"

namespace dyad::kafka {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// One embedded broker for the whole suite (stopping one takes about a second); each test uses
// its own topics and groups.
class KafkaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto broker = EmbeddedBroker::Start();
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = broker->release();
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
  }

  static ClientConfig Client() {
    ClientConfig client;
    client.brokers = broker_->bootstrap_servers();
    return client;
  }

  static std::unique_ptr<Producer> MakeProducer(int delivery_timeout_ms = 5000,
                                                ClientConfig client = Client()) {
    ProducerOptions options;
    options.client = std::move(client);
    options.delivery_timeout_ms = delivery_timeout_ms;
    options.close_timeout_ms = 2000;
    auto producer = Producer::Create(options);
    EXPECT_TRUE(producer.ok()) << producer.status();
    return producer.ok() ? std::move(*producer) : nullptr;
  }

  static std::unique_ptr<Consumer> MakeConsumer(const std::string& group,
                                                const std::vector<std::string>& topics,
                                                const std::string& isolation = "read_committed") {
    ConsumerOptions options;
    options.client = Client();
    // Faster group joins and rebalances than the production defaults.
    options.client.properties["session.timeout.ms"] = "3000";
    options.client.properties["heartbeat.interval.ms"] = "200";
    options.group_id = group;
    options.isolation_level = isolation;
    auto consumer = Consumer::Create(options);
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    if (!consumer.ok()) return nullptr;
    EXPECT_TRUE((*consumer)->Subscribe(topics).ok());
    return std::move(*consumer);
  }

  static void CreateTopic(const std::string& name, int partitions) {
    ASSERT_TRUE(broker_->CreateTopic({name, partitions, 1}).ok());
  }

  // Polls until `count` records arrived or `limit` passed.
  static std::vector<Message> PollN(Consumer& consumer, size_t count,
                                    milliseconds limit = milliseconds(10000)) {
    std::vector<Message> out;
    const auto deadline = Clock::now() + limit;
    while (out.size() < count && Clock::now() < deadline) {
      auto polled = consumer.Poll(milliseconds(100));
      EXPECT_TRUE(polled.ok()) << polled.status();
      if (polled.ok() && polled->has_value()) out.push_back(std::move(**polled));
    }
    return out;
  }

  static EmbeddedBroker* broker_;
};

EmbeddedBroker* KafkaTest::broker_ = nullptr;

TEST_F(KafkaTest, RoundTripKeepsKeyValueHeadersAndTimestamp) {
  CreateTopic("roundtrip", 1);
  auto producer = MakeProducer();
  const auto before_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  auto report = producer->ProduceSync("roundtrip", "USA>PAK", std::string("v\0alue", 6),
                                      milliseconds(5000), {{"trace", "abc"}, {"empty", ""}});
  ASSERT_TRUE(report.ok()) << report.status();

  auto consumer = MakeConsumer("g-roundtrip", {"roundtrip"});
  auto messages = PollN(*consumer, 1);
  ASSERT_EQ(messages.size(), 1u);
  const Message& m = messages[0];
  EXPECT_EQ(m.topic, "roundtrip");
  EXPECT_EQ(m.partition, 0);
  EXPECT_EQ(m.offset, 0);
  EXPECT_EQ(m.key, "USA>PAK");
  EXPECT_EQ(m.value, std::string("v\0alue", 6));
  EXPECT_THAT(m.headers, ElementsAre(Pair("trace", "abc"), Pair("empty", "")));
  EXPECT_GE(m.timestamp_ms, before_ms - 1000);
  EXPECT_TRUE(consumer->Close().ok());
}

TEST_F(KafkaTest, ProduceSyncReportsPartitionAndOffset) {
  CreateTopic("sync", 3);
  auto producer = MakeProducer();
  std::set<int32_t> partitions;
  for (int i = 0; i < 3; ++i) {
    auto report =
        producer->ProduceSync("sync", "same-key", "v" + std::to_string(i), milliseconds(5000));
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->status.ok());
    EXPECT_EQ(report->topic, "sync");
    EXPECT_EQ(report->offset, i);  // one key, one partition, consecutive offsets
    partitions.insert(report->partition);
  }
  EXPECT_EQ(partitions.size(), 1u);
  EXPECT_GE(*partitions.begin(), 0);
  EXPECT_LT(*partitions.begin(), 3);
}

TEST_F(KafkaTest, TopicRecordCountSumsAllPartitions) {
  CreateTopic("counted", 3);
  auto producer = MakeProducer();
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(producer->Produce("counted", "k" + std::to_string(i), "v", nullptr).ok());
  }
  ASSERT_EQ(producer->Flush(milliseconds(5000)), 0);
  auto count = TopicRecordCount(Client(), "counted", milliseconds(5000));
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 7);
}

TEST_F(KafkaTest, AsyncCallbacksRunOnceEachAndFlushWaitsForThem) {
  CreateTopic("async", 2);
  auto producer = MakeProducer();
  std::atomic<int> ok{0};
  std::atomic<int> calls{0};
  constexpr int kRecords = 200;
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE(producer
                    ->Produce("async", "k" + std::to_string(i), "v",
                              [&](const DeliveryReport& report) {
                                ++calls;
                                if (report.status.ok() && report.offset >= 0) ++ok;
                              })
                    .ok());
  }
  EXPECT_EQ(producer->Flush(milliseconds(10000)), 0);
  EXPECT_EQ(producer->OutstandingCount(), 0);
  EXPECT_EQ(calls.load(), kRecords);
  EXPECT_EQ(ok.load(), kRecords);
  // An empty callback is allowed.
  ASSERT_TRUE(producer->Produce("async", "k", "v", nullptr).ok());
  EXPECT_EQ(producer->Flush(milliseconds(5000)), 0);
}

TEST_F(KafkaTest, OnlyStoredOffsetsAreCommitted) {
  CreateTopic("offsets", 1);
  auto producer = MakeProducer();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(producer->ProduceSync("offsets", "k", std::to_string(i), milliseconds(5000)).ok());
  }
  auto lag = ConsumerGroupLag(Client(), "g-offsets", "offsets", milliseconds(5000));
  ASSERT_TRUE(lag.ok()) << lag.status();
  EXPECT_EQ(*lag, 10);  // nothing committed: counted from the low watermark
  {
    auto first = MakeConsumer("g-offsets", {"offsets"});
    auto messages = PollN(*first, 10);
    ASSERT_EQ(messages.size(), 10u);
    // Processed only the first four; all ten were polled.
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(first->StoreOffset(messages[i]).ok());
    ASSERT_TRUE(first->Close().ok());
  }
  lag = ConsumerGroupLag(Client(), "g-offsets", "offsets", milliseconds(5000));
  ASSERT_TRUE(lag.ok()) << lag.status();
  EXPECT_EQ(*lag, 6);
  auto second = MakeConsumer("g-offsets", {"offsets"});
  auto messages = PollN(*second, 1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].offset, 4);
  EXPECT_EQ(messages[0].value, "4");
}

TEST_F(KafkaTest, ExplicitCommitSurvivesWithoutClose) {
  CreateTopic("commit", 1);
  auto producer = MakeProducer();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(producer->ProduceSync("commit", "k", std::to_string(i), milliseconds(5000)).ok());
  }
  auto first = MakeConsumer("g-commit", {"commit"});
  auto messages = PollN(*first, 3);
  ASSERT_EQ(messages.size(), 3u);
  ASSERT_TRUE(first->StoreOffset(messages[1]).ok());
  ASSERT_TRUE(first->Commit().ok());
  EXPECT_TRUE(first->Commit().ok());  // nothing new stored: still OK
  ASSERT_TRUE(first->Close().ok());
  EXPECT_TRUE(first->Close().ok());  // idempotent
  EXPECT_EQ(first->Poll(milliseconds(0)).status().code(), absl::StatusCode::kFailedPrecondition);

  auto second = MakeConsumer("g-commit", {"commit"});
  auto resumed = PollN(*second, 1);
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].offset, 2);
}

TEST_F(KafkaTest, TwoConsumersInOneGroupSplitThePartitions) {
  CreateTopic("split", 4);
  auto a = MakeConsumer("g-split", {"split"});
  auto b = MakeConsumer("g-split", {"split"});
  // Poll both until the group is stable: disjoint, non-empty, together all four.
  std::vector<TopicPartition> owned_a;
  std::vector<TopicPartition> owned_b;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    ASSERT_TRUE(a->Poll(milliseconds(50)).ok());
    ASSERT_TRUE(b->Poll(milliseconds(50)).ok());
    owned_a = *a->Assignment();
    owned_b = *b->Assignment();
    if (!owned_a.empty() && !owned_b.empty() && owned_a.size() + owned_b.size() == 4) break;
  }
  ASSERT_FALSE(owned_a.empty());
  ASSERT_FALSE(owned_b.empty());
  ASSERT_EQ(owned_a.size() + owned_b.size(), 4u);
  std::set<int32_t> partitions_a;
  std::set<int32_t> partitions_b;
  for (const auto& tp : owned_a) partitions_a.insert(tp.partition);
  for (const auto& tp : owned_b) partitions_b.insert(tp.partition);

  auto producer = MakeProducer();
  constexpr int kRecords = 40;
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE(producer->Produce("split", "key-" + std::to_string(i), "v", nullptr).ok());
  }
  ASSERT_EQ(producer->Flush(milliseconds(5000)), 0);

  std::map<int32_t, int> seen;  // partition -> records
  int got_a = 0;
  int got_b = 0;
  const auto consume_deadline = Clock::now() + std::chrono::seconds(10);
  while (got_a + got_b < kRecords && Clock::now() < consume_deadline) {
    auto ma = a->Poll(milliseconds(20));
    ASSERT_TRUE(ma.ok());
    if (ma->has_value()) {
      EXPECT_TRUE(partitions_a.count((*ma)->partition)) << (*ma)->partition;
      ++got_a;
      ++seen[(*ma)->partition];
    }
    auto mb = b->Poll(milliseconds(20));
    ASSERT_TRUE(mb.ok());
    if (mb->has_value()) {
      EXPECT_TRUE(partitions_b.count((*mb)->partition)) << (*mb)->partition;
      ++got_b;
      ++seen[(*mb)->partition];
    }
  }
  EXPECT_EQ(got_a + got_b, kRecords);
  EXPECT_GT(got_a, 0);
  EXPECT_GT(got_b, 0);
}

TEST_F(KafkaTest, EnsureTopicIsIdempotent) {
  for (int partitions : {3, 3, 5}) {  // a different count for an existing topic is still OK
    auto status = EnsureTopic(Client(), {"ensured", partitions, 1}, milliseconds(5000));
    EXPECT_TRUE(status.ok()) << status;
  }
  CreateTopic("premade", 2);
  auto status = EnsureTopic(Client(), {"premade", 2, 1}, milliseconds(5000));
  EXPECT_TRUE(status.ok()) << status;

  auto producer = MakeProducer();
  auto report = producer->ProduceSync("ensured", "k", "v", milliseconds(5000));
  ASSERT_TRUE(report.ok()) << report.status();
}

TEST(EmbeddedBrokerTest, DeliveryToDownedBrokerIsUnavailableWithinMessageTimeout) {
  auto broker = EmbeddedBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status();
  ASSERT_TRUE((*broker)->CreateTopic({"down", 1, 1}).ok());
  ProducerOptions options;
  options.client.brokers = (*broker)->bootstrap_servers();
  options.client.properties["reconnect.backoff.max.ms"] = "500";  // recover quickly below
  options.delivery_timeout_ms = 1500;
  auto producer = Producer::Create(options);
  ASSERT_TRUE(producer.ok()) << producer.status();
  ASSERT_TRUE((*producer)->ProduceSync("down", "k", "before", milliseconds(5000)).ok());

  ASSERT_TRUE((*broker)->SetBrokerDown().ok());
  const auto start = Clock::now();
  auto report = (*producer)->ProduceSync("down", "k", "during", milliseconds(10000));
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(report.status().code(), absl::StatusCode::kUnavailable) << report.status();
  EXPECT_THAT(report.status().message(), HasSubstr("check --brokers"));
  EXPECT_LT(elapsed, std::chrono::seconds(5));

  // The producer recovers once the broker is back: retrying is safe.
  ASSERT_TRUE((*broker)->SetBrokerUp().ok());
  absl::Status after = absl::UnknownError("not tried");
  for (const auto deadline = Clock::now() + std::chrono::seconds(15);
       !after.ok() && Clock::now() < deadline;) {
    after = (*producer)->ProduceSync("down", "k", "after", milliseconds(5000)).status();
  }
  EXPECT_TRUE(after.ok()) << after;
}

TEST_F(KafkaTest, EnsureTopicAgainstMockOutOfProcessFallsBackToAutoCreation) {
  // "localhost:port" is not how this process registered the broker, so EnsureTopic talks to it
  // over the wire as `dyad broker`'s clients in other processes do: the mock cluster has no
  // CreateTopics, so the topic is auto-created with the mock's default partition count.
  const std::string port =
      broker_->bootstrap_servers().substr(broker_->bootstrap_servers().rfind(':') + 1);
  ClientConfig client;
  client.brokers = "localhost:" + port;
  const auto start = Clock::now();
  auto status = EnsureTopic(client, {"remote-ensured", 6, 1}, milliseconds(5000));
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  status = EnsureTopic(client, {"remote-ensured", 6, 1}, milliseconds(5000));
  EXPECT_TRUE(status.ok()) << status;

  auto consumer = MakeConsumer("g-remote", {"remote-ensured"});
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  std::vector<TopicPartition> assigned;
  while (assigned.empty() && Clock::now() < deadline) {
    ASSERT_TRUE(consumer->Poll(milliseconds(100)).ok());
    assigned = *consumer->Assignment();
  }
  EXPECT_EQ(assigned.size(), 4u);  // librdkafka 2.0.2 mock default, not the 6 asked for
}

TEST_F(KafkaTest, ProducingToAnUnknownTopicAutoCreatesIt) {
  auto producer = MakeProducer();
  auto report = producer->ProduceSync("never-created", "k", "v", milliseconds(5000));
  EXPECT_TRUE(report.ok()) << report.status();
}

TEST_F(KafkaTest, SubscribingToAMissingTopicIsNotAnError) {
  auto consumer = MakeConsumer("g-missing", {"missing-topic"});
  for (int i = 0; i < 10; ++i) {
    auto polled = consumer->Poll(milliseconds(100));
    ASSERT_TRUE(polled.ok()) << polled.status();
    EXPECT_FALSE(polled->has_value());
  }
}

TEST_F(KafkaTest, StoreOffsetForAnUnassignedPartitionIsFailedPrecondition) {
  CreateTopic("unassigned", 1);
  auto consumer = MakeConsumer("g-unassigned", {"unassigned"});
  Message foreign;
  foreign.topic = "unassigned";
  foreign.partition = 0;
  foreign.offset = 7;
  EXPECT_EQ(consumer->StoreOffset(foreign).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(KafkaTest, ProducerIsSafeToShareAcrossThreads) {
  CreateTopic("threads", 3);
  auto producer = MakeProducer();
  std::atomic<int> delivered{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (i % 10 == 0) {
          if (producer->ProduceSync("threads", key, "v", milliseconds(5000)).ok()) ++delivered;
        } else {
          EXPECT_TRUE(producer
                          ->Produce("threads", key, "v",
                                    [&](const DeliveryReport& r) {
                                      if (r.status.ok()) ++delivered;
                                    })
                          .ok());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(producer->Flush(milliseconds(10000)), 0);
  EXPECT_EQ(delivered.load(), 200);
}

TEST_F(KafkaTest, EmptyKeyAndOneMegabyteValue) {
  CreateTopic("big", 1);
  auto producer = MakeProducer();
  const std::string value(1'000'000, 'x');
  auto report = producer->ProduceSync("big", "", value, milliseconds(5000));
  ASSERT_TRUE(report.ok()) << report.status();

  auto consumer = MakeConsumer("g-big", {"big"});
  auto messages = PollN(*consumer, 1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].key, "");
  EXPECT_EQ(messages[0].value.size(), value.size());
  EXPECT_EQ(messages[0].value, value);
}

TEST_F(KafkaTest, ValueAboveMessageMaxBytesIsRejected) {
  CreateTopic("huge", 1);
  auto producer = MakeProducer();
  auto report = producer->ProduceSync("huge", "k", std::string(2'000'000, 'x'), milliseconds(5000));
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(report.status().message(), HasSubstr("message.max.bytes"));
  EXPECT_THAT(report.status().message(), HasSubstr("2000000"));
  EXPECT_EQ(producer->OutstandingCount(), 0);
}

TEST_F(KafkaTest, ReadCommittedAndReadUncommittedConsumersSeePlainRecords) {
  // The mock cluster does not emulate transactions; plain (non-transactional) records must
  // still reach read_committed consumers, dyad's default.
  CreateTopic("isolation", 1);
  auto producer = MakeProducer();
  ASSERT_TRUE(producer->ProduceSync("isolation", "k", "v", milliseconds(5000)).ok());
  auto committed = MakeConsumer("g-rc", {"isolation"}, "read_committed");
  auto uncommitted = MakeConsumer("g-ru", {"isolation"}, "read_uncommitted");
  EXPECT_EQ(PollN(*committed, 1).size(), 1u);
  EXPECT_EQ(PollN(*uncommitted, 1).size(), 1u);
}

TEST(EmbeddedBrokerTest, ConsumerCloseWithBrokerDownIsBounded) {
  auto broker = EmbeddedBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status();
  ASSERT_TRUE((*broker)->CreateTopic({"gone", 1, 1}).ok());
  ProducerOptions producer_options;
  producer_options.client.brokers = (*broker)->bootstrap_servers();
  auto producer = Producer::Create(producer_options);
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE((*producer)->ProduceSync("gone", "k", "v", milliseconds(5000)).ok());

  ConsumerOptions options;
  options.client.brokers = (*broker)->bootstrap_servers();
  options.group_id = "g-gone";
  options.commit_timeout_ms = 1000;
  auto consumer = Consumer::Create(options);
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE((*consumer)->Subscribe({"gone"}).ok());
  std::optional<Message> message;
  for (const auto deadline = Clock::now() + std::chrono::seconds(10);
       !message && Clock::now() < deadline;) {
    auto polled = (*consumer)->Poll(milliseconds(100));
    ASSERT_TRUE(polled.ok());
    message = *polled;
  }
  ASSERT_TRUE(message.has_value());
  ASSERT_TRUE((*consumer)->StoreOffset(*message).ok());

  ASSERT_TRUE((*broker)->SetBrokerDown().ok());
  const auto start = Clock::now();
  auto status = (*consumer)->Close();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  consumer->reset();  // and the destructor does not wait either
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
}

TEST(EmbeddedBrokerTest, ProducerDestroyedWithBrokerDownIsBoundedAndReportsEveryRecord) {
  auto broker = EmbeddedBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status();
  ASSERT_TRUE((*broker)->CreateTopic({"gone-p", 1, 1}).ok());
  ProducerOptions options;
  options.client.brokers = (*broker)->bootstrap_servers();
  options.close_timeout_ms = 500;
  auto producer = Producer::Create(options);
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE((*producer)->ProduceSync("gone-p", "k", "v", milliseconds(5000)).ok());
  ASSERT_TRUE((*broker)->SetBrokerDown().ok());
  std::atomic<int> calls{0};
  std::atomic<int> cancelled{0};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*producer)
                    ->Produce("gone-p", "k", "v",
                              [&](const DeliveryReport& report) {
                                ++calls;
                                if (absl::IsCancelled(report.status)) ++cancelled;
                              })
                    .ok());
  }
  const auto start = Clock::now();
  producer->reset();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(calls.load(), 5);
  EXPECT_EQ(cancelled.load(), 5);
}

TEST(EmbeddedBrokerTest, SeveralBrokersWithReplication) {
  auto broker = EmbeddedBroker::Start(3);
  ASSERT_TRUE(broker.ok()) << broker.status();
  EXPECT_EQ(
      std::count((*broker)->bootstrap_servers().begin(), (*broker)->bootstrap_servers().end(), ','),
      2);
  ASSERT_TRUE((*broker)->CreateTopic({"replicated", 3, 3}).ok());
  ProducerOptions options;
  options.client.brokers = (*broker)->bootstrap_servers();
  auto producer = Producer::Create(options);
  ASSERT_TRUE(producer.ok());
  auto report = (*producer)->ProduceSync("replicated", "k", "v", milliseconds(5000));
  EXPECT_TRUE(report.ok()) << report.status();
}

TEST(EmbeddedBrokerTest, RejectsZeroBrokers) {
  EXPECT_EQ(EmbeddedBroker::Start(0).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dyad::kafka
