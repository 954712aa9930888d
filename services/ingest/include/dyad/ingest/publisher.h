// Publishing Articles to Kafka topic dyad.articles.v1 (key = article id, value = serialized
// dyad.v1.Article) with duplicate suppression.
//
// Duplicates: the Publisher remembers the ids it published successfully in a bounded LRU set
// (`dedup_capacity` ids, least recently seen forgotten first). An id still in the set is not
// written again: Publish answers duplicate=true. Two concurrent calls for the same id write once:
// the second waits for the first and is a duplicate if it succeeded. This is per process and
// best-effort: duplicates across ingest replicas, across restarts or older than the set are
// written again and caught downstream, because article ids are deterministic (same URL or same
// text → same id → same Kafka key, and the extractor's event ids derive from it).
//
// Thread-safety: Publish and Flush may be called from any thread concurrently; Publish blocks
// until the record is acknowledged or failed (up to the writer's timeout), so call it from a
// worker thread, never from a gRPC reactor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/topics.h"
#include "dyad/v1/article.pb.h"

namespace dyad::ingest {

// Where a Publisher writes records. The Kafka one is made by MakeKafkaWriter; tests may supply
// their own. Implementations are thread-safe.
class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  // Writes one record and returns once it is acknowledged (OK) or failed.
  virtual absl::Status Write(std::string_view key, std::string_view value) = 0;
  // Waits up to `timeout` for records still in flight; returns how many are left (0 = none).
  virtual int Flush(std::chrono::milliseconds timeout) = 0;
  // For shutdown: from now on Write fails with UNAVAILABLE; waits up to `timeout` for records in
  // flight, then makes the Writes still waiting return UNAVAILABLE. Returns how many records were
  // still unacknowledged (their callers got UNAVAILABLE). The default is Flush.
  virtual int Close(std::chrono::milliseconds timeout);
};

struct KafkaWriterOptions {
  // Producer settings (brokers, --kafka-config, delivery timeout). The writer adds
  // enable.idempotence/acks=all (the Producer's defaults), lz4 compression and a
  // message.max.bytes large enough for `max_record_bytes`, unless the properties set them.
  kafka::ProducerOptions producer;
  std::string topic = kafka::kArticlesTopic;
  // Largest serialized Article the writer must accept.
  std::size_t max_record_bytes = 2 * 1024 * 1024;
  // How long Write waits for the delivery report; 0 = producer.delivery_timeout_ms + 5 s (the
  // report normally comes by delivery_timeout_ms, when librdkafka gives the record up).
  int ack_wait_ms = 0;
};

// A RecordWriter over dyad::kafka::Producer: Write produces one record and waits for its delivery
// report (at most ack_wait_ms). A record whose Write gave up waiting may still be delivered later;
// until its report arrives, a Write with the same key waits for it instead of producing a second
// record, and if it was delivered the retry is answered OK without writing (so a retry after a
// local timeout never doubles the record). A record that librdkafka itself timed out
// (delivery_timeout_ms) may in rare cases have reached the broker anyway (the acknowledgement was
// lost); its retry then writes a second record with the same key, which downstream dedups by
// article id. A fatal producer error (INTERNAL) fails that Write and replaces the producer, so
// retries work. INVALID_ARGUMENT for bad producer properties; does not contact the brokers. The
// destructor flushes (ProducerOptions::close_timeout_ms), then drops what is left.
absl::StatusOr<std::unique_ptr<RecordWriter>> MakeKafkaWriter(const KafkaWriterOptions& options);

struct PublishResult {
  std::string article_id;
  // True when this process already published the id: nothing was written.
  bool duplicate = false;
};

class Publisher {
 public:
  explicit Publisher(std::unique_ptr<RecordWriter> writer, std::size_t dedup_capacity = 100000);
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Writes `article` (which must have an id) unless its id was published recently.
  // OK only after the record was acknowledged. UNAVAILABLE (retryable: the id is stable, a retry
  // never doubles the article) when the writer failed or timed out; INVALID_ARGUMENT when the
  // article has no id.
  absl::StatusOr<PublishResult> Publish(const dyad::v1::Article& article);

  // Waits for records in flight (see RecordWriter::Flush).
  int Flush(std::chrono::milliseconds timeout);

  // Shutdown (see RecordWriter::Close): later Publishes are UNAVAILABLE; waits up to `timeout`
  // for records in flight, then fails the Publishes still waiting with UNAVAILABLE. Returns how
  // many records were not acknowledged.
  int Close(std::chrono::milliseconds timeout);

  // Ids currently remembered (≤ dedup_capacity).
  std::size_t remembered() const;

 private:
  bool ContainsLocked(const std::string& id);
  void RememberLocked(const std::string& id);

  std::unique_ptr<RecordWriter> writer_;
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  // Most recently published or seen ids at the front.
  std::list<std::string> lru_;
  std::unordered_map<std::string_view, std::list<std::string>::iterator> index_;
  std::unordered_set<std::string> in_flight_;
};

}  // namespace dyad::ingest
