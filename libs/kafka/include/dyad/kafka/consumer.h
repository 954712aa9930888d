// A consumer-group member over librdkafka. Offsets are never committed on receipt: either the
// caller says a record was processed (StoreOffset; committed periodically, on revoke and on
// Close: at least once), or, with ConsumerOptions::commit_offsets = false, the consumer commits
// nothing and the caller keeps the offsets itself (in a Kafka transaction through
// Producer::SendOffsetsToTransaction, or in its own store next to the state they produced,
// choosing start offsets in on_assign).
//
// Thread-safety: one thread at a time (Poll, StoreOffset and Close from the same thread).
// Lifecycle: Create() → Subscribe() → Poll/StoreOffset loop → Close() (commits stored offsets and
// leaves the group; the destructor calls it if the caller did not).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
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

// Start offsets for ConsumerOptions::on_assign and Consumer::Seek.
inline constexpr int64_t kOffsetBeginning = -2;  // the partition's first record
inline constexpr int64_t kOffsetEnd = -1;        // only records produced from now on
inline constexpr int64_t kOffsetStored =
    -1000;  // the group's committed offset, else auto_offset_reset

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
  // false: the consumer never commits offsets to its group (no auto commit, none on revoke or
  // Close) and StoreOffset is FAILED_PRECONDITION: the caller keeps its offsets elsewhere (in a
  // Kafka transaction via Producer::SendOffsetsToTransaction, or in its own store).
  bool commit_offsets = true;
  // Runs inside Poll when partitions are assigned, before fetching starts. Each entry has
  // offset = kOffsetStored; the callback may set another start offset (kOffsetBeginning,
  // kOffsetEnd, or an offset >= 0). Partitions left at kOffsetStored (and all of them without
  // on_assign) start from the group's committed offset, which the consumer reads before fetching
  // starts, waiting (up to 120 s, inside Poll) while an open transaction blocks it: librdkafka
  // alone would then fall back to auto_offset_reset (see consumer.cc).
  std::function<void(std::vector<TopicPartitionOffset>&)> on_assign;
  // Runs inside Poll when partitions are revoked or lost, before they are taken away.
  std::function<void(const std::vector<TopicPartition>&)> on_revoke;
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

  // Rebalances (assignments and revocations) Poll has served so far. A record polled before this
  // changed may belong to a partition this member no longer owns, or will be delivered again.
  int64_t rebalance_count() const;

  // The next Poll for topic/partition returns records from `offset` (>= 0, or kOffsetBeginning /
  // kOffsetEnd): to rewind after an aborted transaction. Records already fetched for the
  // partition are dropped. FAILED_PRECONDITION when the partition is not assigned here.
  absl::Status Seek(const std::string& topic, int32_t partition, int64_t offset,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

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
