// dyad-extractor: consumes dyad.v1.Article records from dyad.articles.v1, codes them into
// dyad.v1.Event records with libs/coder, and produces those to dyad.events.v1 (key = directed
// country dyad "USA>PAK").
//
// Delivery: at-least-once. A batch of articles is coded, its events produced (idempotent
// producer, acks=all) and only after every delivery report is OK are the articles' offsets
// stored for commit. A crash between the two re-codes the batch; event ids are deterministic, so
// dyad-query counts a re-delivered event once. (Exactly-once with Kafka transactions is the next
// step, see the README.)
//
// Poison input (a record that is not an Article, an article the coder rejects) is written to
// dyad.articles.dlq.v1 with headers naming the error and its origin, and the partition moves on.
//
// Threads: Run() blocks the calling thread until `stop` is set or a fatal error occurs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dyad/coder/coder.h"
#include "dyad/kafka/config.h"
#include "dyad/v1/event.pb.h"

namespace dyad::extractor {

struct ExtractorOptions {
  kafka::ClientConfig client;
  std::string group_id = "dyad-extractor";
  // Partitions and replication factor for the topics created at start if missing.
  int partitions = 6;
  int replication_factor = 1;
  // Articles coded per batch before their events are flushed and offsets stored.
  int max_batch = 64;
  // Records larger than this are dead-lettered without being parsed.
  int64_t max_record_bytes = 4 * 1024 * 1024;
};

// What Run() did so far. Safe to read from any thread.
struct ExtractorStats {
  std::atomic<int64_t> articles{0};
  std::atomic<int64_t> events{0};
  std::atomic<int64_t> dead_lettered{0};
};

// The Kafka key of an event: "<source country>><target country>", e.g. "USA>PAK".
std::string DyadKey(const dyad::v1::Event& event);

// Codes one record value from dyad.articles.v1. INVALID_ARGUMENT when it is not a usable
// dyad.v1.Article (not protobuf, wrong type, no id or body); the message says which.
absl::StatusOr<std::vector<dyad::v1::Event>> ExtractRecord(const coder::Coder& coder,
                                                           std::string_view record_value);

class Extractor {
 public:
  // Loads nothing itself: `coder` must outlive the Extractor.
  Extractor(ExtractorOptions options, const coder::Coder& coder);

  // Ensures the topics exist, joins the consumer group and processes until `stop` is true.
  // `on_ready` (may be empty) runs once the consumer is subscribed. Returns a non-OK status only
  // for fatal errors (bad configuration, fenced producer, lost delivery that cannot be retried).
  absl::Status Run(const std::atomic<bool>& stop, const std::function<void()>& on_ready = {});

  const ExtractorStats& stats() const { return stats_; }

 private:
  ExtractorOptions options_;
  const coder::Coder& coder_;
  ExtractorStats stats_;
};

}  // namespace dyad::extractor
