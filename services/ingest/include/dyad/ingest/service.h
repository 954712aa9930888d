// The gRPC dyad.v1.IngestService (callback API): validates PublishRequests into Articles and
// publishes them with a Publisher.
//
// Threads: reactions on gRPC's threads only queue work; validation and the blocking
// Publisher::Publish run on the service's own worker threads, which also Finish the calls. When
// every worker is busy and the queue is full, new calls get RESOURCE_EXHAUSTED at once.
// Statuses: INVALID_ARGUMENT naming the field ("text: is empty ..."); UNAVAILABLE when Kafka did
// not acknowledge in time (retryable); OK only after the acknowledgement.
// Lifecycle: construct → register with the gRPC server (dyad::rpc::StartServer) → shut the server
// down → Shutdown() (or destroy) → destroy the Publisher.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "dyad/ingest/article.h"
#include "dyad/ingest/publisher.h"
#include "dyad/metrics/registry.h"
#include "dyad/v1/ingest_service.grpc.pb.h"

namespace dyad::ingest {

class WorkerPool;

struct ServiceOptions {
  BuildOptions build;
  // Threads running Publisher::Publish; bounds the records waiting for Kafka at once.
  int workers = 16;
  // Requests waiting for a worker; more get RESOURCE_EXHAUSTED ("retry after a moment").
  std::size_t max_queued = 4096;
  // Requests of one PublishStream being published at once (reading pauses beyond it).
  int max_stream_in_flight = 32;
  // Ingest time (tests inject a fixed clock).
  std::function<absl::Time()> now = [] { return absl::Now(); };
  // Optional: the service registers dyad_ingest_articles_total{outcome} and
  // dyad_ingest_publish_seconds here when constructed (README.md); the counters are read from
  // stats() at scrape time, so whatever serves this registry must stop before the service is
  // destroyed. Not owned. Null: no metrics.
  metrics::Registry* metrics = nullptr;
};

// Counters since start; read from any thread.
struct ServiceStats {
  std::atomic<int64_t> published{0};
  std::atomic<int64_t> duplicates{0};
  std::atomic<int64_t> rejected{0};
  std::atomic<int64_t> failed{0};
};

// A PublishRequest as an ArticleInput. INVALID_ARGUMENT (field "published_at") for a timestamp
// outside the protobuf Timestamp range.
absl::StatusOr<ArticleInput> InputFromRequest(const dyad::v1::PublishRequest& request);

// The PublishRequest for `input` (clients sending file records to a dyad-ingest server). Summary
// bullets stated separately travel as leading "- " lines of the text, which the server recognises.
dyad::v1::PublishRequest RequestFromInput(const ArticleInput& input);

class IngestServiceImpl final : public dyad::v1::IngestService::CallbackService {
 public:
  // `publisher` is not owned and must outlive this service.
  IngestServiceImpl(Publisher& publisher, ServiceOptions options);
  ~IngestServiceImpl() override;

  // New calls get UNAVAILABLE ("shutting down; retry") from now on; work already queued goes on.
  // First step of a shutdown: then Publisher::Close (fails what Kafka does not acknowledge in
  // time), shut the gRPC server down, Shutdown(). Idempotent.
  void StopAccepting();

  // Stops taking new work (new calls get UNAVAILABLE), finishes what is queued, joins the
  // workers. Call after the gRPC server stopped. Idempotent.
  void Shutdown();

  // Validates, builds and publishes one request (blocking; the workers call this).
  absl::StatusOr<PublishResult> Handle(const dyad::v1::PublishRequest& request);

  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* context,
                                    const dyad::v1::PublishRequest* request,
                                    dyad::v1::PublishResponse* response) override;
  grpc::ServerReadReactor<dyad::v1::PublishRequest>* PublishStream(
      grpc::CallbackServerContext* context, dyad::v1::PublishStreamResponse* response) override;

  const ServiceStats& stats() const { return stats_; }

 private:
  friend class PublishStreamReactor;
  absl::StatusOr<PublishResult> HandleUntimed(const dyad::v1::PublishRequest& request);

  Publisher& publisher_;
  const ServiceOptions options_;
  ServiceStats stats_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> kafka_failing_{false};
  metrics::Histogram* publish_seconds_ = nullptr;  // with ServiceOptions::metrics
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace dyad::ingest
