// A consumer-group member over librdkafka with at-least-once offsets: an offset is committed
// only after the caller says the record was processed (StoreOffset), never on receipt.
//
// Thread-safety: one thread at a time (Poll, StoreOffset and Close from the same thread).
// Lifecycle: Create() → Subscribe() → Poll/StoreOffset loop → Close() (commits stored offsets and
// leaves the group; the destructor calls it if the caller did not).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dyad/kafka/config.h"
#include "dyad/kafka/producer.h"

namespace dyad::kafka {

struct Message {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string value;
  Headers headers;
  int64_t timestamp_ms = -1;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = -1;
  bool operator==(const TopicPartition&) const = default;
};

struct ConsumerOptions {
  ClientConfig client;
  std::string group_id;
  // Where a group with no committed offset starts: "earliest" or "latest".
  std::string auto_offset_reset = "earliest";
  // isolation.level: "read_committed" downstream of transactional producers.
  std::string isolation_level = "read_committed";
  // Bound on each synchronous commit (Commit, on revoke, on Close). When the group coordinator
  // does not answer in time the call is UNAVAILABLE; Close then skips leaving the group, so it
  // returns within about this long even with the brokers gone.
  int commit_timeout_ms = 10000;
};

class Consumer {
 public:
  // Checks every property; INVALID_ARGUMENT names a bad key or value. Does not contact brokers.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(const ConsumerOptions& options);

  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  absl::Status Subscribe(const std::vector<std::string>& topics);

  // Waits up to `timeout` for the next record. nullopt when none arrived (not an error).
  // Transient broker errors are logged and retried inside; only fatal errors are returned.
  absl::StatusOr<std::optional<Message>> Poll(std::chrono::milliseconds timeout);

  // Marks `message` as processed: its offset + 1 will be committed (periodically and on Close).
  absl::Status StoreOffset(const Message& message);

  // Commits stored offsets synchronously (at most commit_timeout_ms). OK when nothing is stored.
  absl::Status Commit();

  // The partitions currently assigned to this member (empty before the first rebalance that
  // Poll serves, and after Close). For logs, health output and tests.
  absl::StatusOr<std::vector<TopicPartition>> Assignment() const;

  // Commits stored offsets and leaves the group. Idempotent. UNAVAILABLE when the final commit
  // got no answer within commit_timeout_ms (the consumer is closed anyway, without leaving the
  // group: the others take its partitions over after session.timeout.ms).
  absl::Status Close();

  class Impl;

 private:
  explicit Consumer(std::unique_ptr<Impl> impl);
  // The librdkafka handle, for Producer::SendOffsetsToTransaction (its group metadata).
  friend class Producer;
  void* RawHandle() const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dyad::kafka
