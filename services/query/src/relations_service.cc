#include <google/protobuf/arena.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "dyad/query/query.h"
#include "dyad/query/watch.h"

namespace dyad::query {
namespace {

bool DeadlinePassed(const grpc::CallbackServerContext& context) {
  return context.deadline() <= std::chrono::system_clock::now();
}

// Parses a raw request; false when it is not a valid `message`.
bool ParseRaw(const grpc::ByteBuffer& in, google::protobuf::MessageLite& message) {
  grpc::Slice slice;
  if (!in.DumpToSingleSlice(&slice).ok()) return false;
  return message.ParseFromArray(slice.begin(), static_cast<int>(slice.size()));
}

// The call's status when the caller is gone (cancelled, or past its deadline); OK otherwise.
grpc::Status AbandonedStatus(grpc::CallbackServerContext& context) {
  if (DeadlinePassed(context)) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the deadline passed");
  }
  if (context.IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  return grpc::Status::OK;
}

// The store's errors at the RPC edge. Anything the service does not expect is INTERNAL (a bug).
grpc::Status ToGrpc(const absl::Status& status) {
  const auto code = [&]() {
    switch (status.code()) {
      case absl::StatusCode::kOk:
        return grpc::StatusCode::OK;
      case absl::StatusCode::kInvalidArgument:
        return grpc::StatusCode::INVALID_ARGUMENT;
      case absl::StatusCode::kNotFound:
        return grpc::StatusCode::NOT_FOUND;
      case absl::StatusCode::kCancelled:
        return grpc::StatusCode::CANCELLED;
      case absl::StatusCode::kDeadlineExceeded:
        return grpc::StatusCode::DEADLINE_EXCEEDED;
      case absl::StatusCode::kResourceExhausted:
        return grpc::StatusCode::RESOURCE_EXHAUSTED;
      case absl::StatusCode::kUnavailable:
        return grpc::StatusCode::UNAVAILABLE;
      default:
        return grpc::StatusCode::INTERNAL;
    }
  }();
  if (code == grpc::StatusCode::OK) return grpc::Status::OK;
  return grpc::Status(code, std::string(status.message()));
}

// Runs `query` (returning absl::StatusOr<Response>, given a CancelledFn) unless the caller is
// gone, moves its result into `response` and finishes the reactor.
template <typename Response, typename Query>
grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, Response* response,
                                 const std::function<void()>& before,
                                 std::atomic<int64_t>& abandoned, Query&& query) {
  auto* reactor = context->DefaultReactor();
  if (before) before();
  grpc::Status status = AbandonedStatus(*context);
  if (status.ok()) {
    auto result = query([context] { return context->IsCancelled() || DeadlinePassed(*context); });
    if (result.ok()) {
      *response = std::move(*result);
    } else if (result.status().code() == absl::StatusCode::kCancelled) {
      status = AbandonedStatus(*context);
      if (status.ok()) status = ToGrpc(result.status());
    } else {
      status = ToGrpc(result.status());
    }
  }
  if (status.error_code() == grpc::StatusCode::CANCELLED ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    abandoned.fetch_add(1);
  }
  reactor->Finish(status);
  return reactor;
}

// One WatchEvents stream: a watcher's queue drained by one write at a time.
//
// The state lives in a StreamState shared with the hub's notify callback, so a notify that runs
// after the stream is done (the hub calls it without holding its own lock) finds `reactor` null
// and does nothing. Under StreamState::mu: `writing` while a StartWrite is in flight; `finished`
// once Finish was called (exactly once, never while a write is in flight). The hub's notify
// (applier thread), OnWriteDone and OnCancel (gRPC threads) all go through Pump, which decides
// under the lock and acts (StartWrite / Finish) after releasing it; the reactor cannot be done
// before that Finish, so acting on it unlocked is safe. OnDone nulls `reactor`, unsubscribes and
// deletes the reactor.
class WatchReactor final : public grpc::ServerWriteReactor<dyad::v1::WatchEventsResponse> {
 public:
  WatchReactor(WatchHub& hub, const dyad::v1::WatchEventsRequest& request,
               std::atomic<int64_t>& active)
      : hub_(hub), active_(active), state_(std::make_shared<StreamState>()) {
    active_.fetch_add(1);
    state_->reactor = this;
    auto filter = ParseWatchFilter(request);
    if (!filter.ok()) {
      state_->finished = true;
      Finish(ToGrpc(filter.status()));
      return;
    }
    // Headers now, so a client knows it is subscribed before the first mention.
    StartSendInitialMetadata();
    auto watcher = hub_.Subscribe(*std::move(filter), [state = state_] { Pump(state); });
    if (!watcher.ok()) {
      state_->finished = true;
      Finish(ToGrpc(watcher.status()));
      return;
    }
    {
      std::lock_guard lock(state_->mu);
      state_->watcher = *std::move(watcher);
    }
    Pump(state_);  // a mention published between Subscribe and here found no watcher yet
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard lock(state_->mu);
      state_->writing = false;
      if (!ok) state_->cancelled = true;  // the stream broke: the client is gone
    }
    Pump(state_);
  }

  void OnCancel() override {
    {
      std::lock_guard lock(state_->mu);
      state_->cancelled = true;
    }
    Pump(state_);
  }

  void OnDone() override {
    std::shared_ptr<Watcher> watcher;
    {
      std::lock_guard lock(state_->mu);
      state_->reactor = nullptr;
      watcher = std::move(state_->watcher);
    }
    if (watcher != nullptr) hub_.Unsubscribe(watcher);
    active_.fetch_sub(1);
    delete this;
  }

 private:
  struct StreamState {
    std::mutex mu;
    WatchReactor* reactor = nullptr;  // null once the stream is done
    std::shared_ptr<Watcher> watcher;
    bool writing = false;
    bool finished = false;
    bool cancelled = false;
  };

  // Starts the next write, or finishes the stream, or does nothing (a write is in flight, the
  // queue is empty, or the stream is over).
  static void Pump(const std::shared_ptr<StreamState>& state) {
    enum { kNothing, kWrite, kFinish } action = kNothing;
    grpc::Status status;
    WatchReactor* reactor = nullptr;
    {
      std::lock_guard lock(state->mu);
      reactor = state->reactor;
      if (reactor == nullptr || state->finished || state->writing || state->watcher == nullptr) {
        return;
      }
      if (state->cancelled) {
        action = kFinish;
        status = grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
      } else if (state->watcher->closed()) {
        // Mentions still queued are not sent: the server is going away.
        action = kFinish;
        status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "server shutting down; reconnect to another replica");
      } else if (auto next = state->watcher->Pop()) {
        action = kWrite;
        reactor->response_.Clear();
        *reactor->response_.mutable_event() = *next->event;
        reactor->response_.set_dropped(next->dropped);
        state->writing = true;
      }
      if (action == kFinish) state->finished = true;
    }
    if (action == kWrite) reactor->StartWrite(&reactor->response_);
    if (action == kFinish) reactor->Finish(status);
  }

  WatchHub& hub_;
  std::atomic<int64_t>& active_;
  const std::shared_ptr<StreamState> state_;
  dyad::v1::WatchEventsResponse response_;  // the write in flight
};

}  // namespace

RelationsService::RelationsService(const relations::RelationStore& store, WatchHub& watch_hub,
                                   RelationsServiceOptions options)
    : store_(store),
      watch_hub_(watch_hub),
      options_(std::move(options)),
      relation_cache_(options_.relation_cache_bytes) {}

grpc::ServerUnaryReactor* RelationsService::GetRelation(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  auto* reactor = context->DefaultReactor();
  if (options_.before_query) options_.before_query();
  grpc::Status status = AbandonedStatus(*context);
  if (status.ok()) status = AnswerRelation(*context, *request, *response);
  if (status.error_code() == grpc::StatusCode::CANCELLED ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    abandoned_calls_.fetch_add(1);
  }
  reactor->Finish(status);
  return reactor;
}

grpc::Status RelationsService::AnswerRelation(grpc::CallbackServerContext& context,
                                              const grpc::ByteBuffer& in, grpc::ByteBuffer& out) {
  dyad::v1::GetRelationRequest request;
  if (!ParseRaw(in, request)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the request is not a dyad.v1.GetRelationRequest (it does not parse; "
                        "string fields must be UTF-8)");
  }
  request.DiscardUnknownFields();
  const bool use_cache = options_.relation_cache_bytes > 0;
  std::string key;
  if (use_cache) {
    key = request.SerializeAsString();
    if (const auto version = store_.RelationVersion(request)) {
      if (auto hit = relation_cache_.Find(key, *version)) {
        out = grpc::ByteBuffer(&*hit, 1);
        return grpc::Status::OK;
      }
    }
  }
  // The answer's messages and strings come from the arena (freed at once at the end), its
  // first block from this thread's scratch, so a typical answer allocates nothing on the heap.
  thread_local std::vector<char> first_block(std::size_t{256} << 10);
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = first_block.data();
  arena_options.initial_block_size = first_block.size();
  arena_options.max_block_size = std::size_t{4} << 20;
  google::protobuf::Arena arena(arena_options);
  auto* response = google::protobuf::Arena::CreateMessage<dyad::v1::GetRelationResponse>(&arena);
  uint64_t version = 0;
  const absl::Status built = store_.GetRelationInto(
      request, response, [&context] { return context.IsCancelled() || DeadlinePassed(context); },
      &version);
  if (!built.ok()) {
    if (built.code() == absl::StatusCode::kCancelled) {
      if (grpc::Status gone = AbandonedStatus(context); !gone.ok()) return gone;
    }
    return ToGrpc(built);
  }
  grpc::Slice bytes(response->ByteSizeLong());
  response->SerializeWithCachedSizesToArray(const_cast<uint8_t*>(bytes.begin()));
  if (use_cache) relation_cache_.Insert(std::move(key), version, bytes);
  out = grpc::ByteBuffer(&bytes, 1);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* RelationsService::TopPartners(grpc::CallbackServerContext* context,
                                                        const dyad::v1::TopPartnersRequest* request,
                                                        dyad::v1::TopPartnersResponse* response) {
  return Answer(context, response, options_.before_query, abandoned_calls_,
                [&](const relations::CancelledFn& cancelled) {
                  return store_.TopPartners(*request, cancelled);
                });
}

grpc::ServerUnaryReactor* RelationsService::ListEvents(grpc::CallbackServerContext* context,
                                                       const dyad::v1::ListEventsRequest* request,
                                                       dyad::v1::ListEventsResponse* response) {
  return Answer(context, response, options_.before_query, abandoned_calls_,
                [&](const relations::CancelledFn& cancelled) {
                  return store_.ListEvents(*request, cancelled);
                });
}

grpc::ServerUnaryReactor* RelationsService::GetEvent(grpc::CallbackServerContext* context,
                                                     const dyad::v1::GetEventRequest* request,
                                                     dyad::v1::GetEventResponse* response) {
  // One event's mentions: too short to check for cancellation on the way.
  return Answer(context, response, options_.before_query, abandoned_calls_,
                [&](const relations::CancelledFn&) { return store_.GetEvent(*request); });
}

grpc::ServerUnaryReactor* RelationsService::GetGraph(grpc::CallbackServerContext* context,
                                                     const dyad::v1::GetGraphRequest* request,
                                                     dyad::v1::GetGraphResponse* response) {
  return Answer(context, response, options_.before_query, abandoned_calls_,
                [&](const relations::CancelledFn& cancelled) {
                  return store_.GetGraph(*request, cancelled);
                });
}

grpc::ServerUnaryReactor* RelationsService::ListActors(grpc::CallbackServerContext* context,
                                                       const dyad::v1::ListActorsRequest* request,
                                                       dyad::v1::ListActorsResponse* response) {
  // Bounded by the limit (a name prefix scans the actor names: no cancellation points inside).
  return Answer(context, response, options_.before_query, abandoned_calls_,
                [&](const relations::CancelledFn&) { return store_.ListActors(*request); });
}

grpc::ServerWriteReactor<dyad::v1::WatchEventsResponse>* RelationsService::WatchEvents(
    grpc::CallbackServerContext* context, const dyad::v1::WatchEventsRequest* request) {
  if (options_.before_query) options_.before_query();
  if (grpc::Status status = AbandonedStatus(*context); !status.ok()) {
    abandoned_calls_.fetch_add(1);
    // A reactor that finishes at once (never subscribes).
    class Done final : public grpc::ServerWriteReactor<dyad::v1::WatchEventsResponse> {
     public:
      explicit Done(grpc::Status s) { Finish(std::move(s)); }
      void OnDone() override { delete this; }
    };
    return new Done(std::move(status));
  }
  return new WatchReactor(watch_hub_, *request, active_watches_);
}

}  // namespace dyad::query
