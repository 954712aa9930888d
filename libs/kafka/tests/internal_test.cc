// Tests of private helpers (src/), against the embedded broker.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>

#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/producer.h"
#include "rdkafka_util.h"

namespace dyad::kafka::internal {
namespace {

using std::chrono::milliseconds;

void EagerRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                    rd_kafka_topic_partition_list_t* partitions, void* /*opaque*/) {
  rd_kafka_assign(rk, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? partitions : nullptr);
}

// librdkafka 2.0.2 often never finishes destroying a group consumer that stored an offset and
// whose broker then went down. DestroyWithin must return after its timeout either way.
TEST(DestroyWithin, ReturnsInTimeEvenWhenLibrdkafkaHangs) {
  auto broker = EmbeddedBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status();
  ASSERT_TRUE((*broker)->CreateTopic({"t", 1, 1}).ok());
  ProducerOptions producer_options;
  producer_options.client.brokers = (*broker)->bootstrap_servers();
  auto producer = Producer::Create(producer_options);
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE((*producer)->ProduceSync("t", "k", "v", milliseconds(5000)).ok());

  ClientConfig client;
  client.brokers = (*broker)->bootstrap_servers();
  auto conf = BuildConf(client, {{"group.id", "g"},
                                 {"enable.auto.offset.store", "false"},
                                 {"auto.offset.reset", "earliest"}});
  ASSERT_TRUE(conf.ok()) << conf.status();
  rd_kafka_conf_set_rebalance_cb(conf->get(), &EagerRebalance);
  auto handle = NewHandle(RD_KAFKA_CONSUMER, std::move(*conf));
  ASSERT_TRUE(handle.ok()) << handle.status();
  rd_kafka_t* rk = handle->get();
  rd_kafka_poll_set_consumer(rk);
  PartitionListPtr topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), "t", RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(rk, topics.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
  MessagePtr message;
  for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       std::chrono::steady_clock::now() < deadline;) {
    message.reset(rd_kafka_consumer_poll(rk, 100));
    if (message != nullptr && message->err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    message.reset();
  }
  ASSERT_NE(message, nullptr);
  PartitionListPtr offsets(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(offsets.get(), "t", 0)->offset = message->offset + 1;
  ASSERT_EQ(rd_kafka_offsets_store(rk, offsets.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
  message.reset();

  ASSERT_TRUE((*broker)->SetBrokerDown().ok());
  const auto start = std::chrono::steady_clock::now();
  const bool finished = DestroyWithin(handle->release(), 0, milliseconds(1000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  RecordProperty("destroy_finished", finished ? "yes" : "no (left in the background)");
}

TEST(HasBuiltinFeature, KnowsLz4AndNotNonsense) {
  EXPECT_TRUE(HasBuiltinFeature("lz4"));  // Debian's librdkafka always has it
  EXPECT_FALSE(HasBuiltinFeature("no-such-feature"));
  EXPECT_FALSE(HasBuiltinFeature(""));
}

TEST(ErrorToStatus, MapsClassesAndEndsWithAHint) {
  EXPECT_TRUE(ErrorToStatus(RD_KAFKA_RESP_ERR_NO_ERROR, "x").ok());
  EXPECT_EQ(ErrorToStatus(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, "x").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorToStatus(RD_KAFKA_RESP_ERR__TRANSPORT, "x").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorToStatus(RD_KAFKA_RESP_ERR__QUEUE_FULL, "x").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorToStatus(RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "x").code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorToStatus(RD_KAFKA_RESP_ERR__FATAL, "x").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorToStatus(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorToStatus(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, "x").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorToStatus(RD_KAFKA_RESP_ERR__PURGE_QUEUE, "x").code(),
            absl::StatusCode::kCancelled);
  const absl::Status status = ErrorToStatus(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "kafka: thing");
  EXPECT_EQ(status.message().substr(0, 12), "kafka: thing");
  EXPECT_NE(status.message().find("check --brokers"), absl::string_view::npos);
}

}  // namespace
}  // namespace dyad::kafka::internal
