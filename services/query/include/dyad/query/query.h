// dyad-query: the relations read model served over gRPC.
//
//   EventApplier        dyad.events.v1 → RelationStore (a thread running a Kafka consumer)
//   RelationsService    dyad.v1.RelationsService over the store (gRPC callback API)
//   QueryServer         the wiring main() and the tests use: topic, applier, gRPC server
//
// Every replica reads every partition of dyad.events.v1 (a replicated read model), so each
// process joins its own consumer group (UniqueGroupId) starting from the earliest offset. The
// store is in memory: at every start it is rebuilt from the beginning of the topic.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dyad/kafka/config.h"
#include "dyad/relations/relation_store.h"
#include "dyad/v1/relations_service.grpc.pb.h"

namespace dyad::kafka {
class Consumer;
}
namespace dyad::rpc {
class Server;
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
};

// Short name of an outcome for logs ("applied", "unparseable", ...).
const char* OutcomeName(RecordOutcome outcome);

// Parses `value` as a dyad.v1.Event and applies it to `store`. For the invalid outcomes, `why`
// (may be null) receives a one-line reason. Never throws; thread-safe as the store is.
RecordOutcome ApplyRecord(relations::RelationStore& store, std::string_view value,
                          std::string* why = nullptr);

// Counters of an EventApplier, readable from any thread while it runs.
struct ApplierStats {
  std::atomic<int64_t> records{0};     // records consumed
  std::atomic<int64_t> applied{0};     // new events
  std::atomic<int64_t> duplicates{0};  // events already applied
  std::atomic<int64_t> invalid{0};     // unparseable, missing id or rejected: skipped
};

// "<prefix>-<hostname>-<pid>-<8 random hex digits>": a consumer group of one, so this process
// reads every partition.
std::string UniqueGroupId(std::string_view prefix);

struct ApplierOptions {
  kafka::ClientConfig client;
  std::string topic = "dyad.events.v1";
  // Must be unique per process (see UniqueGroupId); the state is rebuilt from "earliest".
  std::string group_id;
  std::chrono::milliseconds poll_timeout{200};
};

// A thread that consumes `topic` from the beginning and applies every record to the store.
// A record that is not a valid Event is counted in `invalid`, logged once per kind of problem
// and skipped; its offset is stored like any other (at-least-once; re-delivery is harmless as
// Apply is idempotent).
//
// Lifecycle: construct → Start() → ... → Stop() (or the destructor). Start and Stop from one
// thread; stats() and status() from any.
class EventApplier {
 public:
  EventApplier(ApplierOptions options, relations::RelationStore& store);
  ~EventApplier();
  EventApplier(const EventApplier&) = delete;
  EventApplier& operator=(const EventApplier&) = delete;

  // Creates the consumer and subscribes (errors returned here: bad --kafka-config property),
  // then starts the thread. Does not wait for the first record.
  absl::Status Start();
  // Stops the thread and closes the consumer (leaves the group). Idempotent.
  void Stop();

  const ApplierStats& stats() const { return stats_; }
  // OK while running normally; the fatal consumer error that stopped the thread otherwise.
  absl::Status status() const;

 private:
  void Run();
  void Fail(absl::Status status);

  ApplierOptions options_;
  relations::RelationStore& store_;
  ApplierStats stats_;
  std::unique_ptr<kafka::Consumer> consumer_;
  bool logged_[5] = {};  // an invalid kind already logged (applier thread only)
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
};

// dyad.v1.RelationsService over a RelationStore. Queries run inline in gRPC's callback threads
// (they are in-memory and bounded by the page size / the dyads' ranges) and stop early when the
// call is cancelled or its deadline passes.
//
// Status codes: INVALID_ARGUMENT with the store's message for bad requests; DEADLINE_EXCEEDED
// or CANCELLED when the caller gave up; INTERNAL for anything else (a bug).
// Thread-safety: any number of concurrent calls; `store` must outlive the service.
class RelationsService final : public dyad::v1::RelationsService::CallbackService {
 public:
  explicit RelationsService(const relations::RelationStore& store,
                            RelationsServiceOptions options = {});

  grpc::ServerUnaryReactor* GetRelation(grpc::CallbackServerContext* context,
                                        const dyad::v1::GetRelationRequest* request,
                                        dyad::v1::GetRelationResponse* response) override;
  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* context,
                                       const dyad::v1::ListEventsRequest* request,
                                       dyad::v1::ListEventsResponse* response) override;

  // Calls answered with CANCELLED or DEADLINE_EXCEEDED because the caller gave up.
  int64_t abandoned_calls() const { return abandoned_calls_.load(); }

 private:
  const relations::RelationStore& store_;
  RelationsServiceOptions options_;
  std::atomic<int64_t> abandoned_calls_{0};
};

// --- Wiring ------------------------------------------------------------------------------------

struct QueryOptions {
  kafka::ClientConfig client;
  // host:port for gRPC; port 0 picks a free one (see QueryServer::address()).
  std::string listen = "127.0.0.1:50052";
  // For dyad.events.v1 when this service has to create it.
  int partitions = 6;
  int replication_factor = 1;
  // Prefix of the per-process consumer group id (see UniqueGroupId).
  std::string group_prefix = "dyad-query";
  // How long EnsureTopic may wait for the brokers at start.
  std::chrono::milliseconds startup_timeout = std::chrono::seconds(30);
  RelationsServiceOptions service;
};

// The running service: the store, the applier filling it and the gRPC server reading it.
//
// Lifecycle: Start() → address()/stats → Stop() (or the destructor): the gRPC server stops first
// (in-flight calls get a grace period), then the applier.
class QueryServer {
 public:
  // Ensures dyad.events.v1 exists, starts the applier, then the gRPC server (health SERVING,
  // reflection on). UNAVAILABLE when the brokers cannot be reached within startup_timeout or the
  // address cannot be bound; INVALID_ARGUMENT for a bad Kafka property or listen address.
  static absl::StatusOr<std::unique_ptr<QueryServer>> Start(const QueryOptions& options);
  ~QueryServer();
  QueryServer(const QueryServer&) = delete;
  QueryServer& operator=(const QueryServer&) = delete;

  // "host:port" actually bound.
  std::string address() const;
  const std::string& group_id() const { return group_id_; }
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  const relations::RelationStore& store() const { return *store_; }
  const ApplierStats& applier_stats() const { return applier_->stats(); }
  // OK while the applier runs; its fatal error otherwise (main() exits on it).
  absl::Status applier_status() const { return applier_->status(); }
  const RelationsService& service() const { return *service_; }

 private:
  QueryServer() = default;
  std::string group_id_;
  std::unique_ptr<relations::RelationStore> store_;
  std::unique_ptr<EventApplier> applier_;
  std::unique_ptr<RelationsService> service_;
  std::unique_ptr<rpc::Server> server_;
};

}  // namespace dyad::query
