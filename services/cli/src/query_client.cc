#include "query_client.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "views.h"

namespace dyad::cli {
namespace {

std::string Seconds(std::chrono::milliseconds timeout) {
  return fmt::format("{:g} s", static_cast<double>(timeout.count()) / 1000.0);
}

}  // namespace

QueryClient::QueryClient(const std::string& address, std::chrono::milliseconds timeout)
    : QueryClient(address, grpc::CreateChannel(address, grpc::InsecureChannelCredentials()),
                  timeout) {}

QueryClient::QueryClient(const std::string& address, std::shared_ptr<grpc::Channel> channel,
                         std::chrono::milliseconds timeout, bool tls)
    : address_(address),
      timeout_(timeout),
      tls_(tls),
      channel_(std::move(channel)),
      stub_(dyad::v1::RelationsService::NewStub(channel_)) {}

absl::Status QueryClient::Describe(const grpc::Status& status, const std::string& rpc) const {
  const std::string message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(fmt::format(
          "cannot reach dyad-query at {} ({}: {}). Start it with `dyad up` (the whole pipeline "
          "on this machine) or `dyad-query --brokers HOST:PORT --listen {}`, or give the "
          "address it listens on with --server HOST:PORT (env DYAD_QUERY_ADDR){}",
          address_, rpc, message, address_,
          tls_ ? "; with TLS, check that it serves TLS and that --tls-ca signed its certificate "
                 "(and, for mutual TLS, that it accepts --tls-cert)"
               : "; if it serves TLS, give --tls-ca (and --tls-cert/--tls-key for mutual TLS)"));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(
          fmt::format("dyad-query at {} did not answer {} within {}; it may be overloaded or "
                      "still loading its state; try again or raise --timeout",
                      address_, rpc, Seconds(timeout_)));
    case grpc::StatusCode::INVALID_ARGUMENT:
      return absl::InvalidArgumentError(message);
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(message);
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::UnimplementedError(
          fmt::format("dyad-query at {} does not implement {} ({}): it is older than this dyad "
                      "command; upgrade it",
                      address_, rpc, message));
    default:
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          fmt::format("{} at {} failed: {}", rpc, address_, message));
  }
}

namespace {

// Runs one unary call with the client's timeout.
template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> Call(const QueryClient& client, std::chrono::milliseconds timeout,
                              const char* rpc, Method method, const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  Response response;
  auto status = client.Describe(method(&context, request, &response), rpc);
  if (!status.ok()) return status;
  return response;
}

}  // namespace

absl::StatusOr<dyad::v1::GetRelationResponse> QueryClient::GetRelation(
    const dyad::v1::GetRelationRequest& request) {
  return Call<dyad::v1::GetRelationRequest, dyad::v1::GetRelationResponse>(
      *this, timeout_, "GetRelation",
      [&](auto* c, const auto& q, auto* r) { return stub_->GetRelation(c, q, r); }, request);
}

absl::StatusOr<dyad::v1::ListEventsResponse> QueryClient::ListEvents(
    const dyad::v1::ListEventsRequest& request) {
  return Call<dyad::v1::ListEventsRequest, dyad::v1::ListEventsResponse>(
      *this, timeout_, "ListEvents",
      [&](auto* c, const auto& q, auto* r) { return stub_->ListEvents(c, q, r); }, request);
}

absl::StatusOr<dyad::v1::TopPartnersResponse> QueryClient::TopPartners(
    const dyad::v1::TopPartnersRequest& request) {
  return Call<dyad::v1::TopPartnersRequest, dyad::v1::TopPartnersResponse>(
      *this, timeout_, "TopPartners",
      [&](auto* c, const auto& q, auto* r) { return stub_->TopPartners(c, q, r); }, request);
}

absl::StatusOr<dyad::v1::GetEventResponse> QueryClient::GetEvent(
    const dyad::v1::GetEventRequest& request) {
  return Call<dyad::v1::GetEventRequest, dyad::v1::GetEventResponse>(
      *this, timeout_, "GetEvent",
      [&](auto* c, const auto& q, auto* r) { return stub_->GetEvent(c, q, r); }, request);
}

absl::StatusOr<dyad::v1::ListActorsResponse> QueryClient::ListActors(
    const dyad::v1::ListActorsRequest& request) {
  return Call<dyad::v1::ListActorsRequest, dyad::v1::ListActorsResponse>(
      *this, timeout_, "ListActors",
      [&](auto* c, const auto& q, auto* r) { return stub_->ListActors(c, q, r); }, request);
}

absl::Status QueryClient::WaitForConnection() {
  const auto deadline = std::chrono::system_clock::now() + timeout_;
  grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      return Describe(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection failed"),
                      "WatchEvents");
    }
    if (!channel_->WaitForStateChange(state, deadline)) {
      return Describe(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "no connection within " + Seconds(timeout_)),
          "WatchEvents");
    }
    state = channel_->GetState(/*try_to_connect=*/true);
  }
  return absl::OkStatus();
}

absl::Status QueryClient::Watch(
    const dyad::v1::WatchEventsRequest& request,
    const std::function<void(const dyad::v1::WatchEventsResponse&)>& on_message,
    const std::function<bool()>& stop) {
  if (auto status = WaitForConnection(); !status.ok()) return status;
  grpc::ClientContext context;
  std::atomic<bool> done{false};
  std::atomic<bool> stopped{false};
  std::thread canceller([&] {
    while (!done.load()) {
      if (stop && stop()) {
        stopped.store(true);
        context.TryCancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  auto reader = stub_->WatchEvents(&context, request);
  dyad::v1::WatchEventsResponse message;
  while (reader->Read(&message)) on_message(message);
  const grpc::Status status = reader->Finish();
  done.store(true);
  canceller.join();
  if (stopped.load()) return absl::OkStatus();
  if (status.ok()) {
    return absl::UnavailableError(
        fmt::format("dyad-query at {} ended the stream without an error", address_));
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return absl::UnavailableError(fmt::format(
        "dyad-query at {} ended the stream: {} (it is shutting down or restarting; run `dyad "
        "watch` again once it is back)",
        address_, status.error_message()));
  }
  return Describe(status, "WatchEvents");
}

absl::StatusOr<std::map<std::pair<std::string, std::string>, int64_t>> QueryClient::CountDyads(
    dyad::v1::ListEventsRequest filter) {
  std::map<std::pair<std::string, std::string>, int64_t> counts;
  filter.set_page_size(1000);
  while (true) {
    auto page = ListEvents(filter);
    if (!page.ok()) return page.status();
    for (const auto& event : page->events()) {
      ++counts[{event.source().country(), event.target().country()}];
    }
    if (page->next_page_token().empty()) break;
    filter.set_page_token(page->next_page_token());
  }
  return counts;
}

void PrintRelation(std::ostream& out, const std::string& title,
                   const dyad::v1::GetRelationResponse& relation) {
  out << title << "\n";
  if (relation.total().events() == 0) {
    out << "  no events\n";
    return;
  }
  out << RenderRelationTable(relation);
}

void PrintEvents(std::ostream& out, const dyad::v1::ListEventsResponse& events) {
  for (const auto& e : events.events()) out << FormatEventLine(e) << "\n";
}

void PrintDyads(std::ostream& out,
                const std::map<std::pair<std::string, std::string>, int64_t>& counts, int limit) {
  if (counts.empty()) {
    out << "no events\n";
    return;
  }
  std::vector<std::pair<int64_t, std::pair<std::string, std::string>>> sorted;
  for (const auto& [dyad, n] : counts) sorted.emplace_back(n, dyad);
  std::sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) {
    return x.first > y.first || (x.first == y.first && x.second < y.second);
  });
  out << fmt::format("{:<10} {:<10} {:>6}\n", "source", "target", "events");
  for (std::size_t i = 0; i < sorted.size() && i < static_cast<std::size_t>(limit); ++i) {
    out << fmt::format("{:<10} {:<10} {:>6}\n", Sanitize(sorted[i].second.first),
                       Sanitize(sorted[i].second.second), sorted[i].first);
  }
}

absl::StatusOr<dyad::v1::Bucket> ParseBucket(const std::string& text) {
  if (text == "day") return dyad::v1::BUCKET_DAY;
  if (text == "week") return dyad::v1::BUCKET_WEEK;
  if (text == "month") return dyad::v1::BUCKET_MONTH;
  if (text == "year") return dyad::v1::BUCKET_YEAR;
  return absl::InvalidArgumentError("--bucket must be day, week, month or year, not '" + text +
                                    "'");
}

absl::StatusOr<dyad::v1::PartnerOrder> ParsePartnerOrder(const std::string& text) {
  if (text == "volume") return dyad::v1::PARTNER_ORDER_VOLUME;
  if (text == "cooperation") return dyad::v1::PARTNER_ORDER_COOPERATION;
  if (text == "conflict") return dyad::v1::PARTNER_ORDER_CONFLICT;
  if (text == "goldstein") return dyad::v1::PARTNER_ORDER_GOLDSTEIN;
  return absl::InvalidArgumentError(
      "--order must be volume, cooperation, conflict or goldstein, not '" + text + "'");
}

}  // namespace dyad::cli
