#include "dyad/kafka/offsets.h"

#include <vector>

#include "rdkafka_util.h"

namespace dyad::kafka {
namespace {

using internal::HandlePtr;
using internal::PartitionListPtr;

struct Watermarks {
  int64_t low = 0;
  int64_t high = 0;
};

absl::StatusOr<HandlePtr> NewConsumerHandle(const ClientConfig& client, const std::string& group) {
  auto conf = internal::BuildConf(client, {{"group.id", group}, {"enable.auto.commit", "false"}});
  if (!conf.ok()) return conf.status();
  return internal::NewHandle(RD_KAFKA_CONSUMER, std::move(*conf));
}

// The partitions of `topic` and each one's watermarks.
absl::StatusOr<std::vector<Watermarks>> TopicWatermarks(rd_kafka_t* rk, const std::string& topic,
                                                        int timeout_ms) {
  const rd_kafka_metadata_t* metadata = nullptr;
  std::unique_ptr<rd_kafka_topic_t, decltype(&rd_kafka_topic_destroy)> handle(
      rd_kafka_topic_new(rk, topic.c_str(), nullptr), &rd_kafka_topic_destroy);
  if (auto err = rd_kafka_metadata(rk, 0, handle.get(), &metadata, timeout_ms); err) {
    return internal::ErrorToStatus(err, "metadata for topic " + topic);
  }
  std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> owned(
      metadata, &rd_kafka_metadata_destroy);
  if (metadata->topic_cnt != 1 || metadata->topics[0].err) {
    return absl::NotFoundError("topic " + topic + " does not exist");
  }
  std::vector<Watermarks> marks(static_cast<std::size_t>(metadata->topics[0].partition_cnt));
  for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
    auto& m = marks[static_cast<std::size_t>(p)];
    if (auto err =
            rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &m.low, &m.high, timeout_ms);
        err) {
      return internal::ErrorToStatus(err, "watermarks of " + topic);
    }
  }
  return marks;
}

}  // namespace

absl::StatusOr<int64_t> TopicRecordCount(const ClientConfig& client, const std::string& topic,
                                         std::chrono::milliseconds timeout) {
  auto rk = NewConsumerHandle(client, "dyad-offsets-reader");
  if (!rk.ok()) return rk.status();
  auto marks = TopicWatermarks(rk->get(), topic, static_cast<int>(timeout.count()));
  if (!marks.ok()) return marks.status();
  int64_t total = 0;
  for (const auto& m : *marks) total += m.high - m.low;
  return total;
}

absl::StatusOr<int64_t> ConsumerGroupLag(const ClientConfig& client, const std::string& group,
                                         const std::string& topic,
                                         std::chrono::milliseconds timeout) {
  auto rk = NewConsumerHandle(client, group);
  if (!rk.ok()) return rk.status();
  const int timeout_ms = static_cast<int>(timeout.count());
  auto marks = TopicWatermarks(rk->get(), topic, timeout_ms);
  if (!marks.ok()) return marks.status();
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(marks->size())));
  for (std::size_t p = 0; p < marks->size(); ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), static_cast<int32_t>(p));
  }
  if (auto err = rd_kafka_committed(rk->get(), list.get(), timeout_ms); err) {
    return internal::ErrorToStatus(err, "committed offsets of group " + group);
  }
  int64_t lag = 0;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& tp = list->elems[i];
    const auto& m = (*marks)[static_cast<std::size_t>(tp.partition)];
    const int64_t committed = tp.offset >= 0 ? tp.offset : m.low;
    lag += m.high > committed ? m.high - committed : 0;
  }
  return lag;
}

}  // namespace dyad::kafka
