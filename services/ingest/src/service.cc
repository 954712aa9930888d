#include "dyad/ingest/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "strings.h"
#include "worker_pool.h"

namespace dyad::ingest {
namespace {

using dyad::v1::PublishRequest;
using dyad::v1::PublishStreamResponse;

// Range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace

absl::StatusOr<ArticleInput> InputFromRequest(const PublishRequest& request) {
  ArticleInput input;
  input.url = request.url();
  input.title = request.title();
  input.text = request.text();
  input.source = request.source();
  input.language = request.language();
  if (request.has_published_at()) {
    const auto& ts = request.published_at();
    if (ts.seconds() < kMinTimestampSeconds || ts.seconds() > kMaxTimestampSeconds ||
        ts.nanos() < 0 || ts.nanos() > 999999999) {
      return FieldError("published_at", "is not a valid google.protobuf.Timestamp");
    }
    input.published_at = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  }
  return input;
}

dyad::v1::PublishRequest RequestFromInput(const ArticleInput& input) {
  PublishRequest request;
  request.set_url(input.url);
  request.set_title(input.title);
  std::string text;
  for (const auto& bullet : input.summary) {
    if (bullet.find_first_not_of(" \t\r\n") != std::string::npos) {
      text += Cat("- ", bullet, "\n");
    }
  }
  text += input.text;
  request.set_text(std::move(text));
  request.set_source(input.source);
  request.set_language(input.language);
  if (input.published_at) {
    const int64_t seconds = absl::ToUnixSeconds(*input.published_at);
    request.mutable_published_at()->set_seconds(seconds);
    request.mutable_published_at()->set_nanos(static_cast<int32_t>(
        absl::ToInt64Nanoseconds(*input.published_at - absl::FromUnixSeconds(seconds))));
  }
  return request;
}

// One PublishStream call. Reads requests, hands each to a worker (at most max_stream_in_flight at
// once, reading pauses beyond), collects the outcome by stream index and finishes once the client
// half-closed and everything is done. A Kafka failure stops the stream with UNAVAILABLE: the
// client retries the whole stream and already-published articles come back as duplicates.
class PublishStreamReactor final : public grpc::ServerReadReactor<PublishRequest> {
 public:
  PublishStreamReactor(IngestServiceImpl* service, PublishStreamResponse* response)
      : service_(service), response_(response) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    bool read_next = false;
    bool finish = false;
    {
      std::lock_guard lock(mu_);
      if (finished_) return;
      if (!ok || stopped_) {
        reading_done_ = true;
      } else {
        const int index = static_cast<int>(slots_.size());
        slots_.emplace_back();
        auto request = std::make_shared<PublishRequest>(std::move(request_));
        request_.Clear();
        ++in_flight_;
        const bool queued =
            !service_->shutting_down_.load() &&
            service_->pool_->TrySubmit([this, index, request] { Process(index, *request); });
        if (!queued) {
          --in_flight_;
          Stop(service_->shutting_down_.load()
                   ? absl::UnavailableError("dyad-ingest is shutting down; retry the stream")
                   : absl::ResourceExhaustedError(
                         "dyad-ingest is overloaded; retry the stream after a moment"));
        } else if (in_flight_ < service_->options_.max_stream_in_flight) {
          read_next = true;
          ++reads_starting_;
        } else {
          paused_ = true;
        }
      }
      finish = ShouldFinishLocked();
    }
    if (read_next) StartNextRead();
    if (finish) DoFinish();
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
  }

  void OnDone() override { delete this; }

 private:
  struct Slot {
    bool done = false;
    bool rejected = false;
    bool duplicate = false;
    std::string article_id;
    std::string field;
    std::string message;
  };

  void Process(int index, const PublishRequest& request) {
    auto result = service_->Handle(request);
    bool read_next = false;
    bool finish = false;
    {
      std::lock_guard lock(mu_);
      --in_flight_;
      Slot& slot = slots_[static_cast<std::size_t>(index)];
      slot.done = true;
      if (result.ok()) {
        slot.article_id = result->article_id;
        slot.duplicate = result->duplicate;
      } else if (result.status().code() == absl::StatusCode::kInvalidArgument) {
        slot.rejected = true;
        slot.field = InvalidField(result.status());
        slot.message = std::string(result.status().message());
      } else {
        slot.rejected = true;
        slot.message = std::string(result.status().message());
        Stop(result.status());
      }
      if (paused_ && !stopped_ && !cancelled_) {
        paused_ = false;
        read_next = true;
        ++reads_starting_;
      }
      finish = ShouldFinishLocked();
    }
    if (read_next) StartNextRead();
    if (finish) DoFinish();
  }

  void Stop(absl::Status status) {
    if (stopped_) return;
    stopped_ = true;
    failure_ = std::move(status);
  }

  // Starts the read decided under the lock; Finish must not overtake a StartRead in progress.
  void StartNextRead() {
    StartRead(&request_);
    bool finish = false;
    {
      std::lock_guard lock(mu_);
      --reads_starting_;
      finish = ShouldFinishLocked();
    }
    if (finish) DoFinish();
  }

  bool ShouldFinishLocked() {
    if (finished_ || in_flight_ > 0 || reads_starting_ > 0) return false;
    if (!reading_done_ && !stopped_ && !(paused_ && cancelled_)) return false;
    finished_ = true;
    return true;
  }

  void DoFinish() {
    grpc::Status status;
    {
      std::lock_guard lock(mu_);
      int accepted = 0;
      int duplicates = 0;
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        const Slot& slot = slots_[i];
        if (!slot.done) continue;
        if (slot.rejected) {
          auto* rejection = response_->add_rejected();
          rejection->set_index(static_cast<int32_t>(i));
          rejection->set_field(slot.field);
          rejection->set_message(slot.message);
          continue;
        }
        (slot.duplicate ? duplicates : accepted)++;
        response_->add_article_ids(slot.article_id);
      }
      response_->set_accepted(accepted);
      response_->set_duplicates(duplicates);
      if (stopped_) {
        status = grpc::Status(static_cast<grpc::StatusCode>(failure_.code()),
                              Cat(failure_.message(), " (stream stopped after ", slots_.size(),
                                  " requests, ", accepted,
                                  " accepted; retry the stream: ids are "
                                  "stable, so nothing is doubled)"));
      } else if (cancelled_) {
        status = grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client");
      }
    }
    Finish(status);
  }

  IngestServiceImpl* service_;
  PublishStreamResponse* response_;
  PublishRequest request_;
  std::mutex mu_;
  std::vector<Slot> slots_;
  int in_flight_ = 0;
  bool reading_done_ = false;
  bool paused_ = false;
  bool stopped_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
  int reads_starting_ = 0;  // StartRead calls decided but not yet returned
  absl::Status failure_;
};

IngestServiceImpl::IngestServiceImpl(Publisher& publisher, ServiceOptions options)
    : publisher_(publisher),
      options_(std::move(options)),
      pool_(std::make_unique<WorkerPool>(options_.workers, options_.max_queued)) {
  if (options_.metrics == nullptr) return;
  options_.metrics->AddCallback(
      "dyad_ingest_articles_total",
      "Articles handled since start, by outcome: published (acknowledged by Kafka), duplicate (an "
      "id published before, acknowledged without a new record), rejected (invalid request), "
      "failed (Kafka did not acknowledge in time).",
      metrics::MetricType::kCounter, {"outcome"}, [this] {
        return std::vector<metrics::Sample>{
            {{"published"}, static_cast<double>(stats_.published.load())},
            {{"duplicate"}, static_cast<double>(stats_.duplicates.load())},
            {{"rejected"}, static_cast<double>(stats_.rejected.load())},
            {{"failed"}, static_cast<double>(stats_.failed.load())}};
      });
  publish_seconds_ =
      &options_.metrics
           ->AddHistogram("dyad_ingest_publish_seconds",
                          "Seconds to validate and publish one article (Publish and PublishStream) "
                          "until Kafka acknowledged it or it failed; not counting the wait for a "
                          "worker.",
                          metrics::LatencyBuckets())
           .Get();
}

IngestServiceImpl::~IngestServiceImpl() { Shutdown(); }

void IngestServiceImpl::StopAccepting() { shutting_down_.store(true); }

void IngestServiceImpl::Shutdown() {
  shutting_down_.store(true);
  pool_->Shutdown();
}

absl::StatusOr<PublishResult> IngestServiceImpl::Handle(const PublishRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  auto result = HandleUntimed(request);
  if (publish_seconds_ != nullptr) {
    publish_seconds_->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  return result;
}

absl::StatusOr<PublishResult> IngestServiceImpl::HandleUntimed(const PublishRequest& request) {
  auto input = InputFromRequest(request);
  absl::StatusOr<dyad::v1::Article> article =
      input.ok() ? BuildArticle(*input, options_.build, options_.now()) : input.status();
  if (!article.ok()) {
    stats_.rejected.fetch_add(1);
    spdlog::debug("ingest: rejected {}: {}", request.url(),
                  std::string(article.status().message()));
    return article.status();
  }
  auto result = publisher_.Publish(*article);
  if (!result.ok()) {
    stats_.failed.fetch_add(1);
    // Log the first failure of a run of failures, not each one.
    if (!kafka_failing_.exchange(true)) {
      spdlog::warn("ingest: publishing failed: {}", std::string(result.status().message()));
    }
    return result.status();
  }
  if (kafka_failing_.exchange(false)) spdlog::info("ingest: publishing works again");
  (result->duplicate ? stats_.duplicates : stats_.published).fetch_add(1);
  spdlog::debug("ingest: {} {}", result->duplicate ? "duplicate" : "published", result->article_id);
  return result;
}

grpc::ServerUnaryReactor* IngestServiceImpl::Publish(grpc::CallbackServerContext* context,
                                                     const PublishRequest* request,
                                                     dyad::v1::PublishResponse* response) {
  auto* reactor = context->DefaultReactor();
  const bool queued =
      !shutting_down_.load() && pool_->TrySubmit([this, reactor, request, response] {
        auto result = Handle(*request);
        if (result.ok()) {
          response->set_article_id(result->article_id);
          response->set_duplicate(result->duplicate);
        }
        reactor->Finish(ToGrpc(result.status()));
      });
  if (!queued) {
    reactor->Finish(shutting_down_.load()
                        ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                       "dyad-ingest is shutting down; retry on another replica")
                        : grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                       "dyad-ingest is overloaded; retry after a moment"));
  }
  return reactor;
}

grpc::ServerReadReactor<PublishRequest>* IngestServiceImpl::PublishStream(
    grpc::CallbackServerContext* /*context*/, PublishStreamResponse* response) {
  return new PublishStreamReactor(this, response);
}

}  // namespace dyad::ingest
