// Unit tests: configuration checking and creation without a reachable broker. No broker runs
// here; the unreachable address 127.0.0.1:1 refuses connections at once.
#include "dyad/kafka/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "dyad/kafka/admin.h"
#include "dyad/kafka/consumer.h"
#include "dyad/kafka/producer.h"

namespace dyad::kafka {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kUnreachable[] = "127.0.0.1:1";

ProducerOptions UnreachableProducer() {
  ProducerOptions options;
  options.client.brokers = kUnreachable;
  options.close_timeout_ms = 100;
  return options;
}

ConsumerOptions UnreachableConsumer() {
  ConsumerOptions options;
  options.client.brokers = kUnreachable;
  options.group_id = "unit";
  return options;
}

TEST(ParseProperties, ParsesKeyValues) {
  auto parsed = ParseProperties({"security.protocol=SASL_SSL", "sasl.jaas.config=a=b"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(*parsed,
              ElementsAre(Pair("sasl.jaas.config", "a=b"), Pair("security.protocol", "SASL_SSL")));
}

TEST(ParseProperties, LaterEntryWins) {
  auto parsed = ParseProperties({"linger.ms=1", "linger.ms=7"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(*parsed, ElementsAre(Pair("linger.ms", "7")));
}

TEST(ParseProperties, EmptyListIsEmpty) {
  auto parsed = ParseProperties({});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(ParseProperties, RejectsEntryWithoutEqualsNamingIt) {
  auto parsed = ParseProperties({"linger.ms=1", "compression"});
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("'compression'"));
}

TEST(ParseProperties, RejectsEmptyKey) {
  auto parsed = ParseProperties({"=1"});
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProducerConfig, UnknownKeyIsRejectedNamingIt) {
  auto options = UnreachableProducer();
  options.client.properties["no.such.property"] = "1";
  auto producer = Producer::Create(options);
  EXPECT_EQ(producer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(producer.status().message(), HasSubstr("no.such.property"));
}

TEST(ProducerConfig, BadValueIsRejectedNamingKeyAndReason) {
  auto options = UnreachableProducer();
  options.client.properties["linger.ms"] = "soon";
  auto producer = Producer::Create(options);
  EXPECT_EQ(producer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(producer.status().message(), HasSubstr("'linger.ms'"));
  EXPECT_THAT(producer.status().message(), HasSubstr("soon"));
}

TEST(ProducerConfig, UserPropertiesOverrideDefaults) {
  // acks=1 contradicts dyad's enable.idempotence=true: librdkafka refuses the combination,
  // which shows the user's value replaced the default rather than being ignored.
  auto options = UnreachableProducer();
  options.client.properties["acks"] = "1";
  auto producer = Producer::Create(options);
  EXPECT_EQ(producer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(producer.status().message(), HasSubstr("acks"));

  options.client.properties["enable.idempotence"] = "false";
  EXPECT_TRUE(Producer::Create(options).ok());
}

TEST(ProducerConfig, EmptyBrokersAreRejected) {
  ProducerOptions options;
  auto producer = Producer::Create(options);
  EXPECT_EQ(producer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(producer.status().message(), HasSubstr("--brokers"));
}

// A transactional producer is created without a broker; its calls then fail clearly, in bounded
// time (the transactions themselves are tested against a real broker: tests/kafka).
TEST(ProducerConfig, TransactionalProducerWithoutBrokerFailsInBoundedTime) {
  auto options = UnreachableProducer();
  options.transactional_id = "extractor-0";
  auto producer = Producer::Create(options);
  ASSERT_TRUE(producer.ok()) << producer.status();
  const absl::Status init = (*producer)->InitTransactions(std::chrono::milliseconds(500));
  EXPECT_FALSE(init.ok());
  EXPECT_THAT(std::string(init.message()), HasSubstr("init transactions"));
}

TEST(ProducerConfig, CreateWithoutReachableBrokerDoesNotBlock) {
  const auto start = std::chrono::steady_clock::now();
  {
    auto producer = Producer::Create(UnreachableProducer());
    ASSERT_TRUE(producer.ok()) << producer.status();
    EXPECT_EQ((*producer)->OutstandingCount(), 0);
    EXPECT_EQ((*producer)->Flush(std::chrono::milliseconds(0)), 0);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(ProducerConfig, DestructorReportsUndeliveredRecordsOnce) {
  int calls = 0;
  absl::Status seen;
  const auto start = std::chrono::steady_clock::now();
  {
    auto producer = Producer::Create(UnreachableProducer());
    ASSERT_TRUE(producer.ok()) << producer.status();
    ASSERT_TRUE((*producer)
                    ->Produce("t", "k", "v",
                              [&](const DeliveryReport& report) {
                                ++calls;
                                seen = report.status;
                              })
                    .ok());
    EXPECT_EQ((*producer)->OutstandingCount(), 1);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen.code(), absl::StatusCode::kCancelled) << seen;
}

TEST(ProducerConfig, OversizedRecordIsRejectedAtOnce) {
  auto producer = Producer::Create(UnreachableProducer());
  ASSERT_TRUE(producer.ok()) << producer.status();
  auto status = (*producer)->Produce("t", "k", std::string(2'000'000, 'x'), nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("message.max.bytes"));
}

TEST(ConsumerConfig, UnknownKeyIsRejectedNamingIt) {
  auto options = UnreachableConsumer();
  options.client.properties["fetch.wait.forever"] = "true";
  auto consumer = Consumer::Create(options);
  EXPECT_EQ(consumer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(consumer.status().message(), HasSubstr("fetch.wait.forever"));
}

TEST(ConsumerConfig, BadOptionValueIsRejectedNamingTheProperty) {
  auto options = UnreachableConsumer();
  options.isolation_level = "read_sometimes";
  auto consumer = Consumer::Create(options);
  EXPECT_EQ(consumer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(consumer.status().message(), HasSubstr("isolation.level"));

  options = UnreachableConsumer();
  options.auto_offset_reset = "middle";
  consumer = Consumer::Create(options);
  EXPECT_EQ(consumer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(consumer.status().message(), HasSubstr("auto.offset.reset"));
}

TEST(ConsumerConfig, EmptyGroupIsRejected) {
  auto options = UnreachableConsumer();
  options.group_id.clear();
  EXPECT_EQ(Consumer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConsumerConfig, CreateWithoutReachableBrokerDoesNotBlock) {
  const auto start = std::chrono::steady_clock::now();
  auto consumer = Consumer::Create(UnreachableConsumer());
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  auto polled = (*consumer)->Poll(std::chrono::milliseconds(50));
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_FALSE(polled->has_value());
  EXPECT_TRUE((*consumer)->Close().ok());
  EXPECT_TRUE((*consumer)->Close().ok());  // idempotent
  EXPECT_EQ((*consumer)->Poll(std::chrono::milliseconds(0)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(EnsureTopic, UnreachableBrokerIsUnavailableWithinTimeout) {
  ClientConfig client;
  client.brokers = kUnreachable;
  const auto start = std::chrono::steady_clock::now();
  auto status = EnsureTopic(client, {"t", 1, 1}, std::chrono::milliseconds(500));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(EnsureTopic, RejectsBadSpec) {
  ClientConfig client;
  client.brokers = kUnreachable;
  EXPECT_EQ(EnsureTopic(client, {"t", 0, 1}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EnsureTopic(client, {"", 1, 1}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dyad::kafka
