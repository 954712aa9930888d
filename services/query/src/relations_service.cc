#include <chrono>

#include "dyad/query/query.h"

namespace dyad::query {
namespace {

bool DeadlinePassed(const grpc::CallbackServerContext& context) {
  return context.deadline() <= std::chrono::system_clock::now();
}

// The call's status when the caller is gone (cancelled, or past its deadline); OK otherwise.
grpc::Status AbandonedStatus(grpc::CallbackServerContext& context) {
  if (DeadlinePassed(context)) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the deadline passed");
  }
  if (context.IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  return grpc::Status::OK;
}

grpc::Status ToGrpc(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return grpc::Status::OK;
    case absl::StatusCode::kInvalidArgument:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(status.message()));
    case absl::StatusCode::kCancelled:
      return grpc::Status(grpc::StatusCode::CANCELLED, std::string(status.message()));
    default:
      return grpc::Status(grpc::StatusCode::INTERNAL, std::string(status.message()));
  }
}

// Runs `query` (returning absl::StatusOr<Response>) unless the caller is gone, moves its result
// into `response` and finishes the reactor.
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

}  // namespace

RelationsService::RelationsService(const relations::RelationStore& store,
                                   RelationsServiceOptions options)
    : store_(store), options_(std::move(options)) {}

grpc::ServerUnaryReactor* RelationsService::GetRelation(grpc::CallbackServerContext* context,
                                                        const dyad::v1::GetRelationRequest* request,
                                                        dyad::v1::GetRelationResponse* response) {
  return Answer(context, response, options_.before_query, abandoned_calls_,
                [&](const relations::CancelledFn& cancelled) {
                  return store_.GetRelation(*request, cancelled);
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

}  // namespace dyad::query
