// dyad's Kafka library (libs/kafka) against a real Apache Kafka broker (KRaft), label `kafka`.
//
// The broker comes from DYAD_TEST_KAFKA_BROKERS (bootstrap servers, e.g. 127.0.0.1:19092):
// tests/kafka/kafka.sh start prints them, and .ci/run and `./scripts/dev.sh test` start a broker
// and set the variable. When it is unset every test is skipped with a message saying so.
//
// Every test uses its own topics and groups (process id, time and test name in the name), so the
// tests may run in parallel against one broker and again against the same broker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dyad/kafka/admin.h"
#include "dyad/kafka/config.h"
#include "dyad/kafka/consumer.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/testing.h"

namespace dyad::kafka {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kProduceTimeout = seconds(30);
constexpr auto kPollLimit = seconds(30);

class KafkaBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto cluster = TestClusterFromEnv();
    if (!cluster) GTEST_SKIP() << kNoTestClusterMessage;
    brokers_ = cluster->brokers;
    // One replica per broker up to three: a 3-node cluster gets fully replicated topics.
    replication_factor_ = cluster->replication_factor;
  }

  ClientConfig Client() const {
    ClientConfig client;
    client.brokers = brokers_;
    client.client_id = "dyad-kafka-broker-test";
    return client;
  }

  // A name no other test, run or process uses: dyad-test-<test>-<pid>-<random>-<suffix>.
  static std::string UniqueName(const std::string& suffix) {
    static const std::string prefix = [] {
      std::random_device device;
      std::mt19937_64 rng(device() ^
                          static_cast<uint64_t>(Clock::now().time_since_epoch().count()));
      return "dyad-test-" + std::to_string(::getpid()) + "-" + std::to_string(rng() % 1000000000);
    }();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return prefix + "-" + info->name() + "-" + suffix;
  }

  // Creates a topic with `partitions` partitions on the broker.
  std::string MakeTopic(const std::string& suffix, int partitions) {
    const std::string name = UniqueName(suffix);
    const absl::Status status =
        EnsureTopic(Client(), {name, partitions, replication_factor_}, seconds(30));
    EXPECT_TRUE(status.ok()) << status;
    return name;
  }

  std::unique_ptr<Producer> MakeProducer() {
    ProducerOptions options;
    options.client = Client();
    options.delivery_timeout_ms = 30000;
    options.close_timeout_ms = 10000;
    auto producer = Producer::Create(options);
    EXPECT_TRUE(producer.ok()) << producer.status();
    return producer.ok() ? std::move(*producer) : nullptr;
  }

  // A producer with a fresh transactional id, InitTransactions done; null (and a failure) when
  // either step fails.
  std::unique_ptr<Producer> MakeTransactionalProducer() {
    ProducerOptions options;
    options.client = Client();
    options.transactional_id = UniqueName("txn");
    auto producer = Producer::Create(options);
    EXPECT_TRUE(producer.ok()) << producer.status();
    if (!producer.ok()) return nullptr;
    const absl::Status init = (*producer)->InitTransactions(seconds(30));
    EXPECT_TRUE(init.ok()) << init;
    return init.ok() ? std::move(*producer) : nullptr;
  }

  std::unique_ptr<Consumer> MakeConsumer(const std::string& group, const std::string& topic,
                                         const std::string& isolation = "read_committed") {
    ConsumerOptions options;
    options.client = Client();
    // Quicker joins and rebalances than production's defaults (6 s is the broker's minimum).
    options.client.properties["session.timeout.ms"] = "6000";
    options.client.properties["heartbeat.interval.ms"] = "500";
    options.group_id = group;
    options.auto_offset_reset = "earliest";
    options.isolation_level = isolation;
    auto consumer = Consumer::Create(options);
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    if (!consumer.ok()) return nullptr;
    const absl::Status subscribed = (*consumer)->Subscribe({topic});
    EXPECT_TRUE(subscribed.ok()) << subscribed;
    return std::move(*consumer);
  }

  // Polls until `count` records arrived or `limit` passed.
  static std::vector<Message> PollN(Consumer& consumer, size_t count,
                                    Clock::duration limit = kPollLimit) {
    std::vector<Message> out;
    const auto deadline = Clock::now() + limit;
    while (out.size() < count && Clock::now() < deadline) {
      auto polled = consumer.Poll(milliseconds(200));
      EXPECT_TRUE(polled.ok()) << polled.status();
      if (!polled.ok()) break;
      if (polled->has_value()) out.push_back(std::move(**polled));
    }
    return out;
  }

  static std::set<int32_t> Partitions(const Consumer& consumer) {
    std::set<int32_t> out;
    auto assignment = consumer.Assignment();
    EXPECT_TRUE(assignment.ok()) << assignment.status();
    if (assignment.ok()) {
      for (const auto& tp : *assignment) out.insert(tp.partition);
    }
    return out;
  }

  std::string brokers_;
  int replication_factor_ = 1;
};

TEST_F(KafkaBrokerTest, EnsureTopicCreatesTheRequestedPartitions) {
  const std::string topic = UniqueName("ensure");
  ASSERT_TRUE(EnsureTopic(Client(), {topic, 5, replication_factor_}, seconds(30)).ok());
  // Again, and with another partition count: an existing topic is fine and is left as it is.
  EXPECT_TRUE(EnsureTopic(Client(), {topic, 5, replication_factor_}, seconds(30)).ok());
  EXPECT_TRUE(EnsureTopic(Client(), {topic, 2, replication_factor_}, seconds(30)).ok());

  // A lone member of a group is assigned every partition of the topic: exactly 0..4.
  auto consumer = MakeConsumer(UniqueName("group"), topic);
  ASSERT_NE(consumer, nullptr);
  std::set<int32_t> partitions;
  const auto deadline = Clock::now() + kPollLimit;
  while (partitions.size() < 5 && Clock::now() < deadline) {
    ASSERT_TRUE(consumer->Poll(milliseconds(200)).ok());
    partitions = Partitions(*consumer);
  }
  EXPECT_THAT(partitions, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_TRUE(consumer->Close().ok());

  // Records can be written to every one of them.
  auto producer = MakeProducer();
  ASSERT_NE(producer, nullptr);
  std::set<int32_t> written;
  for (int i = 0; i < 100 && written.size() < 5; ++i) {
    auto report = producer->ProduceSync(topic, "key-" + std::to_string(i), "v", kProduceTimeout);
    ASSERT_TRUE(report.ok()) << report.status();
    written.insert(report->partition);
  }
  EXPECT_THAT(written, ElementsAre(0, 1, 2, 3, 4));
}

TEST_F(KafkaBrokerTest, EnsureTopicRejectsAReplicationFactorAboveTheBrokerCount) {
  const absl::Status status = EnsureTopic(
      Client(), {UniqueName("too-many-replicas"), 1, replication_factor_ + 3}, seconds(30));
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.code(), absl::StatusCode::kUnavailable) << status;
}

TEST_F(KafkaBrokerTest, IdempotentProduceSyncRoundTripsKeyValueAndHeaders) {
  const std::string topic = MakeTopic("roundtrip", 3);
  auto producer = MakeProducer();
  ASSERT_NE(producer, nullptr);
  const auto before_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const std::string value("binary\0value\xff", 13);
  const Headers headers = {{"trace", "abc"}, {"empty", ""}, {"dup", "1"}, {"dup", "2"}};
  auto report = producer->ProduceSync(topic, "USA>PAK", value, kProduceTimeout, headers);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->status.ok()) << report->status;
  EXPECT_EQ(report->topic, topic);
  EXPECT_GE(report->partition, 0);
  EXPECT_LT(report->partition, 3);
  EXPECT_EQ(report->offset, 0);

  auto consumer = MakeConsumer(UniqueName("group"), topic);
  ASSERT_NE(consumer, nullptr);
  auto messages = PollN(*consumer, 1);
  ASSERT_EQ(messages.size(), 1u);
  const Message& m = messages[0];
  EXPECT_EQ(m.topic, topic);
  EXPECT_EQ(m.partition, report->partition);
  EXPECT_EQ(m.offset, report->offset);
  EXPECT_EQ(m.key, "USA>PAK");
  EXPECT_EQ(m.value, value);
  EXPECT_THAT(m.headers, ElementsAre(Pair("trace", "abc"), Pair("empty", ""), Pair("dup", "1"),
                                     Pair("dup", "2")));
  EXPECT_GE(m.timestamp_ms, before_ms - 1000);
  EXPECT_TRUE(consumer->StoreOffset(m).ok());
  EXPECT_TRUE(consumer->Close().ok());
}

TEST_F(KafkaBrokerTest, OffsetsAreCommittedOnlyAfterStoreOffset) {
  const std::string topic = MakeTopic("offsets", 1);
  const std::string group = UniqueName("group");
  auto producer = MakeProducer();
  ASSERT_NE(producer, nullptr);
  for (int i = 0; i < 10; ++i) {
    auto report = producer->ProduceSync(topic, "k", std::to_string(i), kProduceTimeout);
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_EQ(report->offset, i);
  }

  {  // Polls three records, stores none: nothing is committed.
    auto consumer = MakeConsumer(group, topic);
    ASSERT_NE(consumer, nullptr);
    ASSERT_EQ(PollN(*consumer, 3).size(), 3u);
    ASSERT_TRUE(consumer->Commit().ok());
    ASSERT_TRUE(consumer->Close().ok());
  }
  {  // Starts again at 0; polls all ten, stores the first four (processed), closes.
    auto consumer = MakeConsumer(group, topic);
    ASSERT_NE(consumer, nullptr);
    auto messages = PollN(*consumer, 10);
    ASSERT_EQ(messages.size(), 10u);
    EXPECT_EQ(messages.front().offset, 0);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(consumer->StoreOffset(messages[i]).ok());
    ASSERT_TRUE(consumer->Close().ok());
  }
  {  // Resumes after the last stored one: offset 4. Stores everything, commits without Close.
    auto consumer = MakeConsumer(group, topic);
    ASSERT_NE(consumer, nullptr);
    auto messages = PollN(*consumer, 6);
    ASSERT_EQ(messages.size(), 6u);
    EXPECT_EQ(messages.front().offset, 4);
    EXPECT_EQ(messages.front().value, "4");
    EXPECT_EQ(messages.back().offset, 9);
    for (const auto& m : messages) ASSERT_TRUE(consumer->StoreOffset(m).ok());
    ASSERT_TRUE(consumer->Commit().ok());
    ASSERT_TRUE(consumer->Close().ok());
  }
  // Everything was committed: a new member sees only what is produced from now on.
  ASSERT_TRUE(producer->ProduceSync(topic, "k", "10", kProduceTimeout).ok());
  auto consumer = MakeConsumer(group, topic);
  ASSERT_NE(consumer, nullptr);
  auto messages = PollN(*consumer, 1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].offset, 10);
  EXPECT_EQ(messages[0].value, "10");
}

TEST_F(KafkaBrokerTest, TwoConsumersInOneGroupShareThePartitions) {
  const std::string topic = MakeTopic("shared", 4);
  const std::string group = UniqueName("group");
  auto a = MakeConsumer(group, topic);
  auto b = MakeConsumer(group, topic);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);

  // Both poll (a member only takes part in a rebalance while it polls) until the group is
  // stable: each owns some partitions, none owns the same, together all four.
  std::set<int32_t> owned_a;
  std::set<int32_t> owned_b;
  const auto deadline = Clock::now() + seconds(45);
  while (Clock::now() < deadline) {
    ASSERT_TRUE(a->Poll(milliseconds(100)).ok());
    ASSERT_TRUE(b->Poll(milliseconds(100)).ok());
    owned_a = Partitions(*a);
    owned_b = Partitions(*b);
    if (!owned_a.empty() && !owned_b.empty() && owned_a.size() + owned_b.size() == 4) break;
  }
  ASSERT_FALSE(owned_a.empty());
  ASSERT_FALSE(owned_b.empty());
  std::set<int32_t> all = owned_a;
  all.insert(owned_b.begin(), owned_b.end());
  ASSERT_THAT(all, ElementsAre(0, 1, 2, 3));
  ASSERT_EQ(owned_a.size() + owned_b.size(), 4u) << "a partition is owned twice";

  auto producer = MakeProducer();
  ASSERT_NE(producer, nullptr);
  constexpr int kRecords = 40;
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE(
        producer->Produce(topic, "key-" + std::to_string(i), std::to_string(i), nullptr).ok());
  }
  ASSERT_EQ(producer->Flush(kProduceTimeout), 0);

  std::set<std::string> values;
  int got_a = 0;
  int got_b = 0;
  const auto consume_deadline = Clock::now() + kPollLimit;
  while (values.size() < kRecords && Clock::now() < consume_deadline) {
    auto ma = a->Poll(milliseconds(50));
    ASSERT_TRUE(ma.ok()) << ma.status();
    if (ma->has_value()) {
      EXPECT_TRUE(owned_a.count((*ma)->partition)) << "a got partition " << (*ma)->partition;
      ++got_a;
      values.insert((*ma)->value);
    }
    auto mb = b->Poll(milliseconds(50));
    ASSERT_TRUE(mb.ok()) << mb.status();
    if (mb->has_value()) {
      EXPECT_TRUE(owned_b.count((*mb)->partition)) << "b got partition " << (*mb)->partition;
      ++got_b;
      values.insert((*mb)->value);
    }
  }
  EXPECT_EQ(values.size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(got_a + got_b, kRecords) << "a record was delivered twice";
  EXPECT_GT(got_a, 0);
  EXPECT_GT(got_b, 0);
  EXPECT_TRUE(a->Close().ok());
  EXPECT_TRUE(b->Close().ok());
}

TEST_F(KafkaBrokerTest, ReadCommittedConsumerReceivesNonTransactionalRecords) {
  const std::string topic = MakeTopic("isolation", 2);
  auto producer = MakeProducer();
  ASSERT_NE(producer, nullptr);
  constexpr int kRecords = 5;
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE(producer->ProduceSync(topic, "k" + std::to_string(i), "v", kProduceTimeout).ok());
  }
  // On a real broker read_committed reads up to the last stable offset, which for records of
  // no transaction is the high watermark: every plain record is delivered.
  auto committed = MakeConsumer(UniqueName("rc"), topic, "read_committed");
  auto uncommitted = MakeConsumer(UniqueName("ru"), topic, "read_uncommitted");
  ASSERT_NE(committed, nullptr);
  ASSERT_NE(uncommitted, nullptr);
  EXPECT_EQ(PollN(*committed, kRecords).size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(PollN(*uncommitted, kRecords).size(), static_cast<size_t>(kRecords));
  // And records produced while the consumer is already reading arrive too.
  ASSERT_TRUE(producer->ProduceSync(topic, "late", "v", kProduceTimeout).ok());
  auto late = PollN(*committed, 1);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].key, "late");
}

// Exactly-once building blocks: records of an aborted transaction never reach a read_committed
// consumer, those of a committed one do, and the consumed offsets sent with a transaction are the
// group's committed offsets once it commits (and not when it aborts).
TEST_F(KafkaBrokerTest, TransactionsCommitOutputsAndOffsetsTogether) {
  const std::string input = MakeTopic("txn-in", 1);
  const std::string output = MakeTopic("txn-out", 1);
  auto plain = MakeProducer();
  ASSERT_NE(plain, nullptr);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(plain->ProduceSync(input, "in" + std::to_string(i), "v", kProduceTimeout).ok());
  }
  auto created = MakeTransactionalProducer();
  ASSERT_NE(created, nullptr);
  Producer& txn = *created;

  const std::string group = UniqueName("txn-group");
  auto reader = MakeConsumer(group, input);
  ASSERT_NE(reader, nullptr);
  const auto inputs = PollN(*reader, 4);
  ASSERT_EQ(inputs.size(), 4u);

  // Batch 1 (inputs 0-1) fails and is aborted; batch 2 (inputs 0-3, redone) commits.
  ASSERT_TRUE(txn.BeginTransaction().ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(txn.Produce(output, "aborted" + std::to_string(i), "x", nullptr).ok());
  }
  ASSERT_TRUE(txn.SendOffsetsToTransaction(*reader, {{input, 0, 2}}, seconds(30)).ok());
  // Delivered to the log first (abort would otherwise purge them from the local queue), so the
  // broker's markers, not the client, keep them from read_committed readers.
  ASSERT_EQ(txn.Flush(seconds(30)), 0);
  ASSERT_TRUE(txn.AbortTransaction(seconds(30)).ok());

  ASSERT_TRUE(txn.BeginTransaction().ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(txn.Produce(output, "committed" + std::to_string(i), "x", nullptr).ok());
  }
  ASSERT_TRUE(txn.SendOffsetsToTransaction(*reader, {{input, 0, 4}}, seconds(30)).ok());
  const absl::Status committed = txn.CommitTransaction(seconds(30));
  ASSERT_TRUE(committed.ok()) << committed;

  auto downstream = MakeConsumer(UniqueName("rc"), output, "read_committed");
  ASSERT_NE(downstream, nullptr);
  const auto visible = PollN(*downstream, 4, seconds(10));  // 3 expected: waits for a 4th
  std::vector<std::string> keys;
  for (const auto& m : visible) keys.push_back(m.key);
  EXPECT_THAT(keys, ElementsAre("committed0", "committed1", "committed2"));
  auto everything = MakeConsumer(UniqueName("ru"), output, "read_uncommitted");
  ASSERT_NE(everything, nullptr);
  EXPECT_EQ(PollN(*everything, 5).size(), 5u);  // read_uncommitted sees the aborted ones too

  // The group resumes after input 3: the transaction committed its offset 4.
  ASSERT_TRUE(reader->Close().ok());
  reader.reset();
  ASSERT_TRUE(plain->ProduceSync(input, "in4", "v", kProduceTimeout).ok());
  auto resumed = MakeConsumer(group, input);
  ASSERT_NE(resumed, nullptr);
  const auto next = PollN(*resumed, 1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].key, "in4");
  EXPECT_EQ(next[0].offset, 4);
}

TEST_F(KafkaBrokerTest, ConsumerWithoutCommitsStartsWhereOnAssignSaysAndSeeksBack) {
  const std::string topic = MakeTopic("own-offsets", 2);
  auto producer = MakeProducer();
  ASSERT_NE(producer, nullptr);
  for (int i = 0; i < 5; ++i) {
    // The key hash picks the partition; where each record went is read back below.
    ASSERT_TRUE(producer->ProduceSync(topic, "k" + std::to_string(i), "v", kProduceTimeout).ok());
  }
  // Where every record landed, from a plain reader.
  auto plain = MakeConsumer(UniqueName("plain"), topic);
  ASSERT_NE(plain, nullptr);
  std::map<int32_t, int64_t> records_per_partition;
  for (const Message& m : PollN(*plain, 5)) ++records_per_partition[m.partition];
  ASSERT_EQ(records_per_partition[0] + records_per_partition[1], 5);
  plain.reset();

  ConsumerOptions options;
  options.client = Client();
  options.client.properties["session.timeout.ms"] = "6000";
  options.group_id = UniqueName("own-offsets-group");
  options.commit_offsets = false;
  std::vector<TopicPartitionOffset> seen_at_assign;
  // Partition 0 from its end (nothing), partition 1 from its beginning.
  options.on_assign = [&seen_at_assign](std::vector<TopicPartitionOffset>& offsets) {
    seen_at_assign = offsets;
    for (auto& tp : offsets) tp.offset = tp.partition == 0 ? kOffsetEnd : kOffsetBeginning;
  };
  std::vector<TopicPartition> revoked;
  options.on_revoke = [&revoked](const std::vector<TopicPartition>& partitions) {
    revoked.insert(revoked.end(), partitions.begin(), partitions.end());
  };
  auto created = Consumer::Create(options);
  ASSERT_TRUE(created.ok()) << created.status();
  Consumer& consumer = **created;
  EXPECT_EQ(consumer.rebalance_count(), 0);
  ASSERT_TRUE(consumer.Subscribe({topic}).ok());

  const int64_t on_p1 = records_per_partition[1];
  auto first = PollN(consumer, static_cast<size_t>(on_p1) + 1, seconds(5));
  ASSERT_EQ(first.size(), static_cast<size_t>(on_p1));  // p0 started at its end
  for (const Message& m : first) EXPECT_EQ(m.partition, 1);
  EXPECT_GE(consumer.rebalance_count(), 1);
  ASSERT_EQ(seen_at_assign.size(), 2u);
  for (const auto& tp : seen_at_assign) EXPECT_EQ(tp.offset, kOffsetStored);
  if (on_p1 > 0) {
    EXPECT_EQ(consumer.StoreOffset(first[0]).code(), absl::StatusCode::kFailedPrecondition);
    // Rewind partition 1 to its first record: everything comes again.
    ASSERT_TRUE(consumer.Seek(topic, 1, 0).ok());
    EXPECT_EQ(PollN(consumer, static_cast<size_t>(on_p1)).size(), static_cast<size_t>(on_p1));
  }
  // Partition 0 rewound to its beginning delivers what on_assign skipped.
  ASSERT_TRUE(consumer.Seek(topic, 0, kOffsetBeginning).ok());
  const auto rewound = PollN(consumer, static_cast<size_t>(records_per_partition[0]));
  EXPECT_EQ(rewound.size(), static_cast<size_t>(records_per_partition[0]));
  EXPECT_EQ(consumer.Seek(topic, 9, 0).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(consumer.Close().ok());
  EXPECT_EQ(revoked.size(), 2u);

  // Nothing was committed for the group: a committing member starts from the beginning.
  auto after = MakeConsumer(options.group_id, topic);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(PollN(*after, 5).size(), 5u);
}

// A partition's committed offset that an open transaction will move is not read until the
// transaction ends: the new owner starts where the transaction left the group, not from
// auto_offset_reset. (librdkafka alone can fall back to auto_offset_reset here when the
// assignment changes while it asks; the consumer reads the offsets itself, see consumer.cc.)
TEST_F(KafkaBrokerTest, NewOwnerWaitsForAnOpenTransactionAndStartsAtItsOffset) {
  const std::string input = MakeTopic("pending-in", 1);
  auto plain = MakeProducer();
  ASSERT_NE(plain, nullptr);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(plain->ProduceSync(input, "in" + std::to_string(i), "v", kProduceTimeout).ok());
  }
  auto created = MakeTransactionalProducer();
  ASSERT_NE(created, nullptr);
  Producer& txn = *created;

  // The first owner reads, sends offset 4 in a transaction and leaves the group before the
  // transaction ends.
  const std::string group = UniqueName("pending-group");
  auto first = MakeConsumer(group, input);
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(PollN(*first, 4).size(), 4u);
  ASSERT_TRUE(txn.BeginTransaction().ok());
  ASSERT_TRUE(txn.SendOffsetsToTransaction(*first, {{input, 0, 4}}, seconds(30)).ok());
  ASSERT_TRUE(first->Close().ok());
  first.reset();

  // The next owner joins while the transaction is open; it commits 3 s later.
  auto next = MakeConsumer(group, input);
  ASSERT_NE(next, nullptr);
  std::thread committer([&txn] {
    std::this_thread::sleep_for(seconds(3));
    const absl::Status committed = txn.CommitTransaction(seconds(30));
    EXPECT_TRUE(committed.ok()) << committed;
  });
  const auto after = PollN(*next, 2, seconds(60));
  committer.join();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].offset, 4);
  EXPECT_EQ(after[0].key, "in4");
  EXPECT_EQ(after[1].offset, 5);
}

TEST_F(KafkaBrokerTest, TransactionCallsNeedATransactionalId) {
  auto producer = MakeProducer();
  ASSERT_NE(producer, nullptr);
  EXPECT_EQ(producer->BeginTransaction().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(producer->CommitTransaction(seconds(1)).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace dyad::kafka
