// Counters and gauges of the Kafka clients of one process, for metrics (libs/metrics exports
// them as dyad_kafka_consumer_lag{topic,partition}, dyad_kafka_producer_queue_messages and
// dyad_kafka_delivery_errors_total). Share one ClientStats through ClientConfig::stats: every
// Producer and Consumer created from that config reports into it.
//
// - Producers: records queued or in flight (incremented by Produce, decremented when the
//   delivery report has run), and delivery reports with an error.
// - Consumers: lag per assigned partition = the partition's high watermark minus the consumer's
//   position, both as librdkafka knows them locally (no broker request: the watermark comes with
//   each fetch response). Refreshed inside Consumer::Poll at most once a second; a partition whose
//   position or watermark is not known yet (nothing fetched) is left out. With read_committed, a
//   transaction marker after the last record may leave a lag of 1 on an idle partition.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace dyad::kafka {

struct PartitionLag {
  std::string topic;
  int32_t partition = -1;
  int64_t lag = 0;
};

class ClientStats {
 public:
  // Records queued or in flight in every producer sharing these stats.
  int64_t producer_queue() const { return producer_queue_.load(); }
  // Delivery reports with an error (the record was not written), since start.
  int64_t delivery_errors() const { return delivery_errors_.load(); }
  // The last lag seen by every consumer sharing these stats, sorted by topic and partition.
  std::vector<PartitionLag> consumer_lag() const;

  // --- Called by Producer and Consumer ---
  void AddQueued(int64_t delta) { producer_queue_.fetch_add(delta); }
  void AddDeliveryError() { delivery_errors_.fetch_add(1); }
  // Replaces what consumer `consumer_id` reported before (empty: it has no partitions, or it
  // closed).
  void SetConsumerLag(const void* consumer_id, std::vector<PartitionLag> lag);

 private:
  std::atomic<int64_t> producer_queue_{0};
  std::atomic<int64_t> delivery_errors_{0};
  mutable std::mutex mu_;
  std::map<const void*, std::vector<PartitionLag>> lag_;
};

}  // namespace dyad::kafka
