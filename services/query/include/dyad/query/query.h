// dyad-query: the relations read model served over gRPC.
//
//   EventApplier        dyad.events.v1 → DurableStore (RocksDB) → RelationStore (memory), a
//                       thread running a Kafka consumer that keeps its offsets in RocksDB
//   RelationsService    dyad.v1.RelationsService over the in-memory store (gRPC callback API)
//   WatchHub            (watch.h) the live feed: newly applied mentions to WatchEvents streams
//   QueryServer         the wiring main() and the tests use: state dir, topic, applier, gRPC
//
// Every replica reads every partition of dyad.events.v1 (a replicated read model), so each
// process joins its own consumer group (UniqueGroupId) and never commits offsets there: the
// offsets live in the replica's state directory, written in the same RocksDB WriteBatch as the
// events they produced. A restart loads the state from disk and resumes from those offsets; an
// empty state directory is rebuilt by replaying the topic from the beginning.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dyad/kafka/config.h"
#include "dyad/metrics/http_server.h"
#include "dyad/metrics/registry.h"
#include "dyad/metrics/rpc_metrics.h"
#include "dyad/query/response_cache.h"
#include "dyad/query/watch.h"
#include "dyad/relations/durable_store.h"
#include "dyad/relations/names.h"
#include "dyad/relations/relation_store.h"
#include "dyad/rpc/server.h"
#include "dyad/v1/relations_service.grpc.pb.h"

namespace dyad::kafka {
class Consumer;
}

namespace dyad::query {

// --- Applying records --------------------------------------------------------------------------

// What became of one record value from dyad.events.v1.
enum class RecordOutcome {
  kApplied,      // a new event, now counted
  kDuplicate,    // an event id already applied (re-delivery, replayed topic): counted once
  kUnparseable,  // not a dyad.v1.Event protobuf
  kMissingId,    // parsed, but Event.id is empty (e.g. an empty value or another message type)
  kRejected,     // the store cannot place it (no actor code, no date, non-finite score)
  kOversized,    // larger than kMaxRecordBytes: not parsed
};
inline constexpr int kRecordOutcomes = 6;

// A dyad.v1.Event is a few hundred bytes; a record larger than this is not parsed.
inline constexpr std::size_t kMaxRecordBytes = 1 << 20;

// Short name of an outcome for logs ("applied", "unparseable", "missing id", ...).
const char* OutcomeName(RecordOutcome outcome);
// The DurableStore counter an outcome is counted in: "applied", "duplicate", "rejected",
// "unparseable", "missing_id", "oversized".
const char* OutcomeCounter(RecordOutcome outcome);

// Parses `value` as a dyad.v1.Event into `event`: nullopt when it is one with an id, else the
// invalid outcome (kOversized, kUnparseable, kMissingId) with a one-line reason in `why` (may be
// null). Never throws.
std::optional<RecordOutcome> ParseEventRecord(std::string_view value, dyad::v1::Event& event,
                                              std::string* why = nullptr);

// Parses `value` as a dyad.v1.Event and applies it to `store`. For the invalid outcomes, `why`
// (may be null) receives a one-line reason. Never throws; thread-safe as the store is.
RecordOutcome ApplyRecord(relations::RelationStore& store, std::string_view value,
                          std::string* why = nullptr);
// The same into a DurableStore batch: the outcome is counted in the batch (OutcomeCounter) and a
// new event is applied when the batch is committed. `parsed` (may be null) receives the event
// when the value parsed as one.
RecordOutcome ApplyRecord(relations::DurableStore::Batch& batch, std::string_view value,
                          std::string* why = nullptr, dyad::v1::Event* parsed = nullptr);

// Counters of an EventApplier since this process started, readable from any thread while it
// runs; each batch is added once it is committed to the state (so they never run ahead of it).
// The totals over the state's life are DurableStore::Counters().
struct ApplierStats {
  std::atomic<int64_t> records{0};     // records consumed
  std::atomic<int64_t> applied{0};     // new events
  std::atomic<int64_t> duplicates{0};  // events already applied
  std::atomic<int64_t> invalid{0};     // unparseable, missing id, rejected or oversized: skipped
  // `invalid` by kind, indexed by RecordOutcome (the kApplied and kDuplicate entries stay 0).
  std::array<std::atomic<int64_t>, kRecordOutcomes> invalid_by_outcome{};
  std::atomic<int64_t> batches{0};  // WriteBatches committed
  // Set once the consumer has read to the end of every assigned partition, as far as the applier
  // can tell: an idle poll (poll_timeout without a record) that began at least poll_timeout
  // after the assignment, once the state has read as many records as the topic held at start
  // (ApplierOptions::records_in_topic), or after caught_up_quiet without any record. A
  // heuristic (see README.md): a broker slower than that to answer fetches makes it early.
  std::atomic<bool> caught_up{false};
};

// "<prefix>-<hostname>-<pid>-<8 random hex digits>": a consumer group of one, so this process
// reads every partition.
std::string UniqueGroupId(std::string_view prefix);

struct ApplierOptions {
  kafka::ClientConfig client;
  // Must be the store's topic.
  std::string topic = "dyad.events.v1";
  // Must be unique per process (see UniqueGroupId): every replica reads every partition.
  std::string group_id;
  // How long an idle Poll waits.
  std::chrono::milliseconds poll_timeout{200};
  // A batch is committed when it holds this many records or is this old, whichever comes first
  // (and whenever a Poll finds nothing, on revoke and on Stop).
  int max_batch_records = 2000;
  std::chrono::milliseconds max_batch_age{100};
  // Caught up without having read records_in_topic records: after this long without a record.
  std::chrono::milliseconds caught_up_quiet = std::chrono::seconds(2);
  // While catching up: a progress line at most this often.
  std::chrono::milliseconds progress_every = std::chrono::seconds(5);
  // Records in the topic when the applier started (kafka::TopicRecordCount), for the progress
  // percentage; -1 when unknown.
  int64_t records_in_topic = -1;
  // Called on the applier thread after each batch is committed (durable and applied to the
  // in-memory store) with the batch's new mentions in the order they were read; e.g.
  // WatchHub::Publish. Must not block.
  std::function<void(std::vector<dyad::v1::Event>)> on_applied;
};

// A thread that consumes `topic` and commits what it reads to a DurableStore: per batch, one
// WriteBatch with the new events, the dyad-day totals they changed, the counters and the next
// offset of every partition read. The consumer never commits offsets to Kafka; when partitions
// are assigned each starts at the offset stored in the state (the beginning when none), so a
// restart reads nothing twice and a new state directory replays the topic.
//
// A record that is not a valid Event is counted by kind (persisted with the state), logged once
// per kind and skipped; its offset moves on like any other's. Events are idempotent by id: an
// id already stored counts as a duplicate.
//
// Lifecycle: construct → Start() → ... → Stop() (or the destructor). Start and Stop from one
// thread; stats() and status() from any.
class EventApplier {
 public:
  EventApplier(ApplierOptions options, relations::DurableStore& store);
  ~EventApplier();
  EventApplier(const EventApplier&) = delete;
  EventApplier& operator=(const EventApplier&) = delete;

  // Creates the consumer and subscribes (errors returned here: bad --kafka-config property),
  // then starts the thread. Does not wait for the first record.
  absl::Status Start();
  // Commits the pending batch, stops the thread and closes the consumer (leaves the group).
  // Idempotent.
  void Stop();

  const ApplierStats& stats() const { return stats_; }
  // OK while running normally; the fatal consumer error that stopped the thread otherwise.
  absl::Status status() const;

 private:
  void Run();
  void Fail(absl::Status status);
  // Commits batch_ (if not empty) and starts a new one. False (after Fail) on error.
  bool Flush();
  void LogProgress(bool force);

  ApplierOptions options_;
  relations::DurableStore& store_;
  ApplierStats stats_;
  std::unique_ptr<kafka::Consumer> consumer_;
  // Applier thread only: the batch being filled, its first record's time and record count.
  std::optional<relations::DurableStore::Batch> batch_;
  std::vector<dyad::v1::Event> batch_new_;  // the batch's new mentions, for on_applied
  std::chrono::steady_clock::time_point batch_started_;
  int batch_records_ = 0;
  struct Pending {
    int64_t records = 0, applied = 0, duplicates = 0, invalid = 0;
    std::array<int64_t, kRecordOutcomes> invalid_by_outcome{};
  } pending_;  // the batch's share of stats_, added when it is committed
  bool failed_ = false;
  bool assigned_ = false;
  std::chrono::steady_clock::time_point assigned_at_;
  std::chrono::steady_clock::time_point last_record_;  // or the last assignment
  bool logged_[kRecordOutcomes] = {};                  // an invalid kind already logged
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_progress_;
  int64_t records_at_last_progress_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  absl::Status status_;
};

// --- The gRPC service --------------------------------------------------------------------------

struct RelationsServiceOptions {
  // Test hook: runs at the start of every call, before the query (e.g. to simulate a slow
  // query for deadline tests). Empty in production.
  std::function<void()> before_query;
  // Bytes of serialised GetRelation answers kept for repeated requests (ResponseCache); 0: none.
  std::size_t relation_cache_bytes = std::size_t{256} << 20;
};

// dyad.v1.RelationsService over a RelationStore. The unary queries run inline in gRPC's callback
// threads (they are in-memory and bounded by the page size / limits / the dyads' ranges) and stop
// early when the call is cancelled or its deadline passes. WatchEvents streams from `watch_hub`
// (watch.h): one write in flight per stream, never a thread held while waiting for a reader.
//
// GetRelation is served raw (bytes in, bytes out): the request is parsed here, the answer built
// on a protobuf arena, serialised once into a grpc::Slice and kept in a ResponseCache keyed by
// the request and RelationStore::RelationVersion, so a repeated request while its country pair
// gets no new mentions is answered with the same bytes (no building, no serialising, no copy).
// The cache never changes an answer: an entry is used only at the version it was built at.
//
// Status codes: INVALID_ARGUMENT with the store's message for bad requests; NOT_FOUND for an
// unknown event id; DEADLINE_EXCEEDED or CANCELLED when the caller gave up; RESOURCE_EXHAUSTED
// when WatchEvents has too many streams; UNAVAILABLE for streams ended by a shutdown; INTERNAL
// for anything else (a bug).
// Thread-safety: any number of concurrent calls; `store` and `watch_hub` must outlive the
// service.
class RelationsService final : public dyad::v1::RelationsService::WithRawCallbackMethod_GetRelation<
                                   dyad::v1::RelationsService::CallbackService> {
 public:
  RelationsService(const relations::RelationStore& store, WatchHub& watch_hub,
                   RelationsServiceOptions options = {});

  // A dyad.v1.GetRelationRequest in, a dyad.v1.GetRelationResponse out (see the class comment).
  // A request that does not parse (not protobuf, or a string field that is not UTF-8) gets
  // INVALID_ARGUMENT.
  grpc::ServerUnaryReactor* GetRelation(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* TopPartners(grpc::CallbackServerContext* context,
                                        const dyad::v1::TopPartnersRequest* request,
                                        dyad::v1::TopPartnersResponse* response) override;
  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* context,
                                       const dyad::v1::ListEventsRequest* request,
                                       dyad::v1::ListEventsResponse* response) override;
  grpc::ServerUnaryReactor* GetEvent(grpc::CallbackServerContext* context,
                                     const dyad::v1::GetEventRequest* request,
                                     dyad::v1::GetEventResponse* response) override;
  grpc::ServerUnaryReactor* GetGraph(grpc::CallbackServerContext* context,
                                     const dyad::v1::GetGraphRequest* request,
                                     dyad::v1::GetGraphResponse* response) override;
  grpc::ServerUnaryReactor* ListActors(grpc::CallbackServerContext* context,
                                       const dyad::v1::ListActorsRequest* request,
                                       dyad::v1::ListActorsResponse* response) override;
  grpc::ServerWriteReactor<dyad::v1::WatchEventsResponse>* WatchEvents(
      grpc::CallbackServerContext* context, const dyad::v1::WatchEventsRequest* request) override;

  // Calls answered with CANCELLED or DEADLINE_EXCEEDED because the caller gave up before the
  // query ran or while it ran (unary calls, and WatchEvents calls already abandoned at start).
  int64_t abandoned_calls() const { return abandoned_calls_.load(); }
  // WatchEvents streams not yet done (including those being refused or ending).
  int64_t active_watches() const { return active_watches_.load(); }
  // GetRelation's answer cache.
  ResponseCache::Stats relation_cache_stats() const { return relation_cache_.stats(); }

 private:
  // GetRelation once the caller is known to be waiting: parse, cache lookup, build, serialise.
  grpc::Status AnswerRelation(grpc::CallbackServerContext& context, const grpc::ByteBuffer& in,
                              grpc::ByteBuffer& out);

  const relations::RelationStore& store_;
  WatchHub& watch_hub_;
  RelationsServiceOptions options_;
  std::atomic<int64_t> abandoned_calls_{0};
  std::atomic<int64_t> active_watches_{0};
  ResponseCache relation_cache_;
};

// --- Wiring ------------------------------------------------------------------------------------

struct QueryOptions {
  kafka::ClientConfig client;
  // The topic the events are read from.
  std::string events_topic = "dyad.events.v1";
  // The replica's state directory (RocksDB). Created when missing; an empty one is filled by
  // replaying events_topic from the beginning. One process per directory. Empty: a temporary
  // directory that the QueryServer deletes when destroyed (every start replays the topic; for
  // `dyad up`, whose embedded broker is new every time, and tests).
  std::string state_dir;
  // host:port for gRPC; port 0 picks a free one (see QueryServer::address()).
  std::string listen = "127.0.0.1:50052";
  // TLS / mutual TLS of the gRPC port (all empty: plaintext); see rpc::ServerTls.
  rpc::ServerTls tls;
  // Names for actor and event codes in the answers; null: codes only (names empty).
  std::shared_ptr<const relations::Names> names;
  // Concurrent WatchEvents streams; more get RESOURCE_EXHAUSTED.
  int max_watchers = 1000;
  // For dyad.events.v1 when this service has to create it.
  int partitions = 6;
  int replication_factor = 1;
  // Prefix of the per-process consumer group id (see UniqueGroupId).
  std::string group_prefix = "dyad-query";
  // How long EnsureTopic may wait for the brokers at start.
  std::chrono::milliseconds startup_timeout = std::chrono::seconds(30);
  RelationsServiceOptions service;
  // host:port of the Prometheus metrics endpoint (GET /metrics; port 0 = any free port, see
  // QueryServer::metrics_address()). Empty: no metrics server and no metrics kept. The metrics:
  // dyad_query_* (README.md), dyad_rpc_* per gRPC method, dyad_kafka_consumer_lag and process_*.
  std::string metrics_listen;
};

// The running service: the store, the applier filling it and the gRPC server reading it.
//
// Lifecycle: Start() → address()/stats → Stop() (or the destructor): the gRPC server stops first
// (health NOT_SERVING, every WatchEvents stream ended with UNAVAILABLE, in-flight unary calls
// get a grace period), then the applier.
class QueryServer {
 public:
  // Opens the state directory and loads it into memory, ensures events_topic exists, starts the
  // applier (from the stored offsets), then the gRPC server (health SERVING, reflection on).
  // The state directory's errors as DurableStore::Open gives them (FAILED_PRECONDITION: another
  // topic's or in use; DATA_LOSS: corrupt); UNAVAILABLE when the brokers cannot be reached within
  // startup_timeout or the address cannot be bound; INVALID_ARGUMENT for a bad Kafka property or
  // listen address or TLS files.
  static absl::StatusOr<std::unique_ptr<QueryServer>> Start(const QueryOptions& options);
  ~QueryServer();
  QueryServer(const QueryServer&) = delete;
  QueryServer& operator=(const QueryServer&) = delete;

  // "host:port" actually bound.
  std::string address() const;
  // "host:port" of the metrics endpoint; empty when QueryOptions::metrics_listen was.
  std::string metrics_address() const;
  const std::string& group_id() const { return group_id_; }
  // The state directory in use (a temporary one when QueryOptions::state_dir was empty).
  const std::string& state_dir() const { return state_dir_; }
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  const relations::RelationStore& store() const { return *store_; }
  const relations::DurableStore& durable_store() const { return *durable_; }
  const ApplierStats& applier_stats() const { return applier_->stats(); }
  // True once the applier has read to the end of the topic (see ApplierStats::caught_up).
  bool caught_up() const { return applier_->stats().caught_up.load(); }
  // OK while the applier runs; its fatal error otherwise (main() exits on it).
  absl::Status applier_status() const { return applier_->status(); }
  const RelationsService& service() const { return *service_; }
  const WatchHub& watch_hub() const { return *watch_hub_; }

 private:
  QueryServer() = default;
  std::string group_id_;
  std::string state_dir_;
  bool temporary_state_ = false;
  std::unique_ptr<relations::RelationStore> store_;
  std::unique_ptr<relations::DurableStore> durable_;
  std::unique_ptr<EventApplier> applier_;
  std::unique_ptr<WatchHub> watch_hub_;
  std::unique_ptr<RelationsService> service_;
  std::unique_ptr<rpc::Server> server_;
  // Metrics (only with QueryOptions::metrics_listen). The server is stopped first: its callbacks
  // read the members above.
  std::unique_ptr<metrics::Registry> metrics_;
  std::unique_ptr<metrics::RpcMetrics> rpc_metrics_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
};

}  // namespace dyad::query
