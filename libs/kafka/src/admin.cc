#include "dyad/kafka/admin.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "embedded_registry.h"
#include "rdkafka_util.h"

namespace dyad::kafka {
namespace {

using Clock = std::chrono::steady_clock;

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* p) const { rd_kafka_metadata_destroy(p); }
};
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

struct TopicDeleter {
  void operator()(rd_kafka_topic_t* p) const { rd_kafka_topic_destroy(p); }
};
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 1));
}

// Issues CreateTopics to the controller and waits for its result.
absl::Status CreateTopic(rd_kafka_t* rk, const TopicSpec& topic, int timeout_ms,
                         const std::string& what) {
  std::array<char, 512> errstr{};
  internal::NewTopicPtr new_topic(rd_kafka_NewTopic_new(topic.name.c_str(), topic.partitions,
                                                        topic.replication_factor, errstr.data(),
                                                        errstr.size()));
  if (new_topic == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", errstr.data()));
  }
  internal::AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS));
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, errstr.data(),
                                                errstr.size()) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout_ms, errstr.data(),
                                                  errstr.size()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": bad timeout: ", errstr.data()));
  }
  internal::QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
  rd_kafka_CreateTopics(rk, topics, 1, options.get(), queue.get());

  // The request itself times out after `timeout_ms`; the extra second lets its result arrive.
  internal::EventPtr event(rd_kafka_queue_poll(queue.get(), timeout_ms + 1000));
  if (event == nullptr) {
    return internal::ErrorToStatus(RD_KAFKA_RESP_ERR__TIMED_OUT, what,
                                   absl::StrCat("no answer within ", timeout_ms, " ms"));
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return internal::ErrorToStatus(rd_kafka_event_error(event.get()), what,
                                   rd_kafka_event_error_string(event.get()));
  }
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) return absl::OkStatus();
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* message = rd_kafka_topic_result_error_string(results[i]);
      return internal::ErrorToStatus(err, what, message == nullptr ? "" : message);
    }
  }
  spdlog::info("kafka: created topic {} ({} partitions, replication factor {})", topic.name,
               topic.partitions, topic.replication_factor);
  return absl::OkStatus();
}

}  // namespace

absl::Status EnsureTopic(const ClientConfig& client, const TopicSpec& topic,
                         std::chrono::milliseconds timeout) {
  const std::string what = absl::StrCat("kafka: ensure topic ", topic.name);
  if (topic.name.empty()) return absl::InvalidArgumentError(what + ": the topic name is empty");
  if (topic.partitions < 1 || topic.replication_factor < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": partitions (", topic.partitions, ") and replication factor (",
                     topic.replication_factor, ") must be at least 1"));
  }
  // librdkafka's mock cluster has no CreateTopics; one in this process is reached directly.
  if (absl::Status status; internal::CreateTopicInEmbeddedBroker(client.brokers, topic, status)) {
    return status;
  }

  const auto deadline = Clock::now() + timeout;
  auto conf = internal::BuildConf(client, {});
  if (!conf.ok()) return conf.status();
  auto rk = internal::NewHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk.ok()) return rk.status();

  // Listing all topics creates none, whatever the broker's auto-creation setting.
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk->get(), /*all_topics=*/1, nullptr, &raw, RemainingMs(deadline));
  MetadataPtr metadata(raw);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return internal::ErrorToStatus(err, what, "listing topics");
  }
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = metadata->topics[i];
    if (topic.name == t.topic && t.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::debug("kafka: topic {} exists ({} partitions)", topic.name, t.partition_cnt);
      return absl::OkStatus();
    }
  }

  // A cluster whose controller is not one of its brokers (librdkafka's mock cluster in another
  // process, e.g. `dyad broker`) cannot serve CreateTopics: asking for the topic's metadata
  // auto-creates it there, with the broker's default partition count.
  const int32_t controller = rd_kafka_controllerid(rk->get(), RemainingMs(deadline));
  const bool controller_known =
      controller < 0 ||
      std::any_of(metadata->brokers, metadata->brokers + metadata->broker_cnt,
                  [&](const rd_kafka_metadata_broker_t& b) { return b.id == controller; });
  if (!controller_known) {
    TopicPtr handle(rd_kafka_topic_new(rk->get(), topic.name.c_str(), nullptr));
    const rd_kafka_metadata_t* created = nullptr;
    err = rd_kafka_metadata(rk->get(), 0, handle.get(), &created, RemainingMs(deadline));
    MetadataPtr created_md(created);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && created_md->topic_cnt == 1) {
      err = created_md->topics[0].err;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return internal::ErrorToStatus(err, what,
                                     "the cluster has no controller for CreateTopics and did not "
                                     "auto-create the topic");
    }
    spdlog::warn(
        "kafka: topic {} auto-created by a broker without CreateTopics (embedded broker?) with "
        "{} partitions, not the {} asked for; create it when starting the broker instead",
        topic.name, created_md->topics[0].partition_cnt, topic.partitions);
    return absl::OkStatus();
  }
  return CreateTopic(rk->get(), topic, RemainingMs(deadline), what);
}

}  // namespace dyad::kafka
