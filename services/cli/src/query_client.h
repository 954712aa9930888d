// Client side of RelationsService for the `dyad` command: the calls, with errors turned into
// messages a user can act on, plus the older plain-text printers (the views are in views.h).
//
// Errors (absl::Status, the gRPC code kept): UNAVAILABLE "cannot reach dyad-query at ADDR ..."
// saying how to start it; DEADLINE_EXCEEDED naming the timeout; INVALID_ARGUMENT and NOT_FOUND
// with the server's message as it is (it says what to change); UNIMPLEMENTED saying the server is
// older than this command; anything else with the RPC name and the server's message.
//
// Thread-safety: a QueryClient may be used from several threads at once (gRPC stubs are).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "dyad/v1/relations_service.grpc.pb.h"

namespace dyad::cli {

// The default dyad-query address (dyad-query's --listen default).
inline constexpr char kDefaultQueryAddress[] = "127.0.0.1:50052";

class QueryClient {
 public:
  // `address` is host:port of dyad-query; plaintext; every unary call gets `timeout`.
  explicit QueryClient(const std::string& address,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The same over a channel the caller built; `tls` says it has TLS credentials (for the hints
  // in error messages).
  QueryClient(const std::string& address, std::shared_ptr<grpc::Channel> channel,
              std::chrono::milliseconds timeout = std::chrono::seconds(10), bool tls = false);

  const std::string& address() const { return address_; }

  absl::StatusOr<dyad::v1::GetRelationResponse> GetRelation(
      const dyad::v1::GetRelationRequest& request);
  absl::StatusOr<dyad::v1::ListEventsResponse> ListEvents(
      const dyad::v1::ListEventsRequest& request);
  absl::StatusOr<dyad::v1::TopPartnersResponse> TopPartners(
      const dyad::v1::TopPartnersRequest& request);
  absl::StatusOr<dyad::v1::GetEventResponse> GetEvent(const dyad::v1::GetEventRequest& request);
  absl::StatusOr<dyad::v1::ListActorsResponse> ListActors(
      const dyad::v1::ListActorsRequest& request);

  // Streams WatchEvents, calling `on_message` for every message (from this thread), until the
  // server ends the stream or `stop` returns true (polled every 100 ms; then the call is
  // cancelled). First waits up to the timeout for a connection: UNAVAILABLE "cannot reach ..."
  // when there is none. OK when `stop` ended it; otherwise the status the stream ended with
  // (UNAVAILABLE "dyad-query at ADDR ended the stream ..." when the server shut down).
  absl::Status Watch(const dyad::v1::WatchEventsRequest& request,
                     const std::function<void(const dyad::v1::WatchEventsResponse&)>& on_message,
                     const std::function<bool()>& stop);

  // Every event matching `filter` (all pages), as event counts per directed country dyad.
  absl::StatusOr<std::map<std::pair<std::string, std::string>, int64_t>> CountDyads(
      dyad::v1::ListEventsRequest filter);

  // The message for a failed call of `rpc` (see the header comment).
  absl::Status Describe(const grpc::Status& status, const std::string& rpc) const;

 private:
  // READY within the timeout, else UNAVAILABLE "cannot reach ...".
  absl::Status WaitForConnection();

  std::string address_;
  std::chrono::milliseconds timeout_;
  bool tls_ = false;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<dyad::v1::RelationsService::Stub> stub_;
};

// A title line, then the relation table (views.h RenderRelationTable).
void PrintRelation(std::ostream& out, const std::string& title,
                   const dyad::v1::GetRelationResponse& relation);
// One line per event (views.h FormatEventLine).
void PrintEvents(std::ostream& out, const dyad::v1::ListEventsResponse& events);

// Country dyads by event count, most first (ties by name), at most `limit` rows.
void PrintDyads(std::ostream& out,
                const std::map<std::pair<std::string, std::string>, int64_t>& counts, int limit);

// Parses "day|week|month|year".
absl::StatusOr<dyad::v1::Bucket> ParseBucket(const std::string& text);
// Parses "volume|cooperation|conflict|goldstein".
absl::StatusOr<dyad::v1::PartnerOrder> ParsePartnerOrder(const std::string& text);

}  // namespace dyad::cli
