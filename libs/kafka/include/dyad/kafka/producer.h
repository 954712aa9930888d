// An idempotent Kafka producer (enable.idempotence=true, acks=all) over librdkafka.
//
// Thread-safety: all methods may be called from any thread. Delivery callbacks run on the
// producer's own background poll thread: keep them short and never call Flush from them.
// Lifecycle: Create() → Produce*/Flush → destructor, which flushes for up to
// `close_timeout_ms` and logs how many records were not delivered (their callbacks then run
// with CANCELLED, so every callback runs exactly once).
// Errors: UNAVAILABLE (brokers unreachable or slow; retry is safe), RESOURCE_EXHAUSTED (local queue
// full), INVALID_ARGUMENT (e.g. key + value + headers above message.max.bytes, 1048588 by default),
// INTERNAL (fatal idempotence error: restart). An empty key is sent as no key (null).
// With a transactional_id the producer is transactional (see InitTransactions below).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dyad/kafka/config.h"

namespace dyad::kafka {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Where a record landed.
struct DeliveryReport {
  absl::Status status;  // OK, or why the record was not delivered (UNAVAILABLE is retryable)
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

using DeliveryCallback = std::function<void(const DeliveryReport&)>;

class Consumer;

// A consumed position to commit with a transaction: `offset` is the next one to read.
struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

struct ProducerOptions {
  ClientConfig client;
  // How long the destructor waits for outstanding records.
  int close_timeout_ms = 10000;
  // message.timeout.ms: after this a record is reported as failed (UNAVAILABLE).
  int delivery_timeout_ms = 30000;
  // Set for transactional (exactly-once) producers: stable per logical producer (e.g. per
  // extractor replica), so a restarted one fences its previous incarnation. Empty for plain
  // idempotent producers.
  std::string transactional_id;
};

class Producer {
 public:
  // Checks every property (unknown keys and bad values are INVALID_ARGUMENT naming the key).
  // Does not contact the brokers.
  static absl::StatusOr<std::unique_ptr<Producer>> Create(const ProducerOptions& options);

  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues a record; `on_delivery` (may be empty) is called exactly once with its fate.
  // RESOURCE_EXHAUSTED when the local queue is full (retry after a moment).
  absl::Status Produce(std::string_view topic, std::string_view key, std::string_view value,
                       DeliveryCallback on_delivery, const Headers& headers = {});

  // Produces and waits for the delivery report, at most `timeout`. UNAVAILABLE on timeout (the
  // record may still be delivered later; with a stable key and idempotent consumers that is safe).
  absl::StatusOr<DeliveryReport> ProduceSync(std::string_view topic, std::string_view key,
                                             std::string_view value,
                                             std::chrono::milliseconds timeout,
                                             const Headers& headers = {});

  // Waits until every queued record is delivered or failed, at most `timeout`. Returns the number
  // of records still outstanding (0 = all done).
  int Flush(std::chrono::milliseconds timeout);

  // Records queued or in flight.
  int OutstandingCount() const;

  // Transactions (only with ProducerOptions::transactional_id; FAILED_PRECONDITION otherwise).
  // Read-process-write: InitTransactions once; then per batch BeginTransaction, Produce the
  // outputs, SendOffsetsToTransaction with the inputs' next offsets, CommitTransaction. Outputs
  // and offsets become visible (to read_committed consumers) together, or not at all.
  // Errors: ABORTED = the transaction cannot commit: call AbortTransaction, rewind the consumer to
  // its committed offsets and redo the batch; UNAVAILABLE = retry the same call; INTERNAL = fatal
  // (e.g. fenced by a newer producer with the same transactional_id): destroy this producer.
  absl::Status InitTransactions(std::chrono::milliseconds timeout);
  absl::Status BeginTransaction();
  // `consumer` is the group member that read the inputs (its group metadata fences zombies).
  absl::Status SendOffsetsToTransaction(const Consumer& consumer,
                                        const std::vector<TopicPartitionOffset>& offsets,
                                        std::chrono::milliseconds timeout);
  absl::Status CommitTransaction(std::chrono::milliseconds timeout);
  absl::Status AbortTransaction(std::chrono::milliseconds timeout);

  class Impl;

 private:
  Producer(std::unique_ptr<Impl> impl, bool transactional);
  absl::Status RequireTransactional(const char* what) const;
  std::unique_ptr<Impl> impl_;
  bool transactional_ = false;
};

}  // namespace dyad::kafka
