// dyad-extractor: consumes dyad.v1.Article records from the articles topic (dyad.articles.v1),
// codes them into dyad.v1.Event records with libs/coder, and produces those to the events topic
// (dyad.events.v1, key = directed country dyad "USA>PAK").
//
// Delivery, per ExtractorOptions::transactional_id:
// - Exactly-once (transactional_id set; production). Read-process-write in Kafka transactions:
//   a batch is gathered with Poll (no transaction open while polling) and coded; then one
//   transaction carries its events, its dead letters and the articles' next offsets
//   (SendOffsetsToTransaction, the consumer itself commits nothing). A read_committed reader of
//   the events topic sees each article's events exactly once. On an abortable error the
//   transaction is aborted, the batch's partitions are rewound to the batch's first offsets and
//   the batch is redone; a retriable error retries the same call (bounded, with backoff, then
//   aborts); a fatal error (fenced by a newer producer with the same transactional id, or a
//   fatal idempotence error) ends Run() with INTERNAL. A rebalance seen while gathering drops what
//   was gathered before it: the re-assigned partitions restart from their committed offsets.
//   Needs a real broker: librdkafka's mock cluster (EmbeddedBroker) stores no transactional
//   offsets.
// - At-least-once (transactional_id empty; the embedded broker). A batch's events are produced
//   (idempotent producer, acks=all) and only after every delivery report is OK are the articles'
//   offsets stored for commit. A crash between the two re-codes the batch; event ids are
//   deterministic, so dyad-query counts a re-delivered event once.
//
// Poison input never stops a partition: a record that is too large, empty, not protobuf,
// protobuf of another type, an Article without id or body, a record without a key, or an article
// the coder throws on or cannot finish within the time limit goes to the DLQ topic
// (dyad.articles.dlq.v1) with headers naming the error and its origin (see PoisonKind and
// kDeadLetterHeaders), in the same transaction as the batch's events. Each kind is logged once at
// warn, then only counted (ExtractorStats).
//
// Threads: Run() blocks the calling thread until `stop` is set or a fatal error occurs; the
// stats may be read from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dyad/coder/coder.h"
#include "dyad/kafka/config.h"
#include "dyad/kafka/topics.h"
#include "dyad/metrics/registry.h"
#include "dyad/v1/event.pb.h"

namespace dyad::extractor {

struct ExtractorOptions {
  kafka::ClientConfig client;
  std::string group_id = "dyad-extractor";
  std::string articles_topic = kafka::kArticlesTopic;
  std::string events_topic = kafka::kEventsTopic;
  std::string dlq_topic = kafka::kArticlesDlqTopic;
  // Non-empty: exactly-once with Kafka transactions under this transactional.id. It must be
  // stable per replica (a restarted replica fences its previous incarnation and aborts its open
  // transaction) and different between live replicas (two live replicas with one id fence each
  // other: the older one stops with INTERNAL). Empty: at-least-once (embedded broker).
  std::string transactional_id;
  // transaction.timeout.ms: the broker aborts a transaction left open longer than this (a
  // replica that died mid-transaction). A transaction stays open only while a coded batch is
  // produced and committed, so seconds are plenty; 60 s also bounds how long read_committed
  // readers of a partition can be held up behind a dead replica's open transaction.
  int transaction_timeout_ms = 60000;
  // Partitions and replication factor for the topics created at start if missing.
  int partitions = 6;
  int replication_factor = 1;
  // Articles coded per batch (one transaction, or one flush + offset store).
  int max_batch = 64;
  // Records larger than this are dead-lettered without being parsed.
  int64_t max_record_bytes = 1024 * 1024;
  // Coding one article taking longer than this dead-letters it (DEADLINE_EXCEEDED, checked
  // between sentences). Generous, so results do not depend on machine load: the deterministic
  // guard is max_record_bytes. Zero = no limit.
  std::chrono::milliseconds article_time_limit{10000};
  // Optional: the Extractor registers its metrics here (dyad_extractor_*, see README.md) when
  // constructed; they read its stats at scrape time, so whatever serves this registry must stop
  // before the Extractor is destroyed. Not owned. Null: no metrics.
  metrics::Registry* metrics = nullptr;
};

// Why a record was dead-lettered; its code is the dyad-error-kind header.
enum class PoisonKind : int {
  kTooLarge = 0,    // "too-large": value over max_record_bytes
  kEmptyValue,      // "empty-value": null or empty value
  kNotProtobuf,     // "not-protobuf": value does not parse as protobuf
  kWrongType,       // "wrong-type": protobuf with fields dyad.v1.Article does not define
  kNoId,            // "no-id": Article.id empty
  kNoBody,          // "no-body": Article.body empty
  kEmptyKey,        // "empty-key": null or empty record key (dyad-ingest keys by article id)
  kCoderError,      // "coder-error": the coder threw
  kTimeLimit,       // "time-limit": coding took longer than article_time_limit
  kOutputTooLarge,  // "output-too-large": an event would exceed the producer's record limit
};
inline constexpr int kPoisonKinds = 10;

// The short code of `kind`, e.g. "not-protobuf".
std::string_view PoisonKindCode(PoisonKind kind);

// Headers of a dead letter: the error ("INVALID_ARGUMENT: record value is not ..."), its
// PoisonKindCode, and where the record came from. The DLQ record's key and value are the
// original's (a value too large for the DLQ is cut, see kDeadLetterTruncatedHeader).
inline constexpr char kErrorHeader[] = "dyad-error";
inline constexpr char kErrorKindHeader[] = "dyad-error-kind";
inline constexpr char kOriginTopicHeader[] = "dyad-origin-topic";
inline constexpr char kOriginPartitionHeader[] = "dyad-origin-partition";
inline constexpr char kOriginOffsetHeader[] = "dyad-origin-offset";
// Present only when the value was cut to fit the producer's record limit: the original size.
inline constexpr char kDeadLetterTruncatedHeader[] = "dyad-original-bytes";

// What Run() did so far. Safe to read from any thread. In exactly-once mode the counts are of
// committed transactions only (an aborted batch is counted when it is redone and committed).
struct ExtractorStats {
  std::atomic<int64_t> articles{0};       // records done (coded or dead-lettered)
  std::atomic<int64_t> events{0};         // events produced
  std::atomic<int64_t> sentences{0};      // sentences of the coded articles
  std::atomic<int64_t> dead_lettered{0};  // records sent to the DLQ
  std::array<std::atomic<int64_t>, kPoisonKinds> dead_lettered_by_kind{};
  std::atomic<int64_t> transactions{0};     // committed transactions (exactly-once)
  std::atomic<int64_t> aborted{0};          // aborted transactions, batch rewound and redone
  std::atomic<int64_t> dropped_records{0};  // gathered records dropped at a rebalance
  std::atomic<int64_t> sessions{0};  // transactional sessions started (> 1: restarted in-process)

  int64_t dead_lettered_of(PoisonKind kind) const {
    return dead_lettered_by_kind[static_cast<std::size_t>(kind)].load();
  }
};

// The Kafka key of an event: "<source country>><target country>", e.g. "USA>PAK".
std::string DyadKey(const dyad::v1::Event& event);

// One record's fate: its events, or why it is poison (`events` not OK, `kind` set).
struct ExtractResult {
  absl::StatusOr<std::vector<dyad::v1::Event>> events;
  PoisonKind kind = PoisonKind::kCoderError;
  // Sentences of a coded article's body (as libs/text splits it, which is what the coder codes);
  // 0 for poison.
  int64_t sentences = 0;
};

// Checks and codes one record of the articles topic (key and value) under `options`'
// max_record_bytes and article_time_limit. Never throws: coder exceptions become kCoderError.
ExtractResult ExtractArticle(const coder::Coder& coder, std::string_view key,
                             std::string_view value, const ExtractorOptions& options);

// Codes one record value with the default limits, ignoring the key. INVALID_ARGUMENT when it is
// not a usable dyad.v1.Article (not protobuf, wrong type, no id or body); the message says which.
absl::StatusOr<std::vector<dyad::v1::Event>> ExtractRecord(const coder::Coder& coder,
                                                           std::string_view record_value);

class Extractor {
 public:
  // Loads nothing itself: `coder` must outlive the Extractor.
  Extractor(ExtractorOptions options, const coder::Coder& coder);
  ~Extractor();

  // Ensures the topics exist, joins the consumer group and processes until `stop` is true; then
  // finishes the batch at hand (commits it) and leaves the group. `on_ready` (may be empty) runs
  // once the consumer is subscribed (and, in exactly-once mode, the producer's transactions are
  // initialized, which fences an older incarnation with the same transactional id). Returns a
  // non-OK status only for fatal errors (bad configuration, fenced producer, brokers gone for
  // longer than the retry bounds, lost delivery that cannot be retried).
  absl::Status Run(const std::atomic<bool>& stop, const std::function<void()>& on_ready = {});

  const ExtractorStats& stats() const { return stats_; }

 private:
  // One transactional session: a producer and a consumer, until stop or an error. `started` is
  // set once both are up (an error after that, other than a fence, restarts the session).
  absl::Status RunExactlyOnce(const std::atomic<bool>& stop, const std::function<void()>& on_ready,
                              bool& started);
  // Runs sessions, restarting a failed one in-process (bounded, see the .cc).
  absl::Status RunSessions(const std::atomic<bool>& stop, const std::function<void()>& on_ready);
  absl::Status RunAtLeastOnce(const std::atomic<bool>& stop, const std::function<void()>& on_ready);
  // Logs a dead letter at warn the first time its kind is seen, then at debug.
  void LogPoison(PoisonKind kind, const std::string& where, const absl::Status& error);
  // Logs the counts at info every minute when something was dead-lettered since (or now).
  void LogSummaryIfDue(bool force);

  ExtractorOptions options_;
  const coder::Coder& coder_;
  ExtractorStats stats_;
  // Coder time per article (ExtractorOptions::metrics; null without).
  metrics::Histogram* code_seconds_ = nullptr;
  std::array<bool, kPoisonKinds> logged_{};
  std::chrono::steady_clock::time_point last_summary_;
  int64_t dead_lettered_at_summary_ = 0;
};

}  // namespace dyad::extractor
