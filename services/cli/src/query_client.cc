#include "query_client.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "grpc_status.h"

namespace dyad::cli {
namespace {

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

std::string TopRoots(const dyad::v1::RelationBucket& bucket) {
  std::vector<std::pair<std::string, int64_t>> roots(bucket.root_codes().begin(),
                                                     bucket.root_codes().end());
  std::sort(roots.begin(), roots.end(), [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  });
  std::string out;
  for (std::size_t i = 0; i < roots.size() && i < 4; ++i) {
    if (!out.empty()) out += " ";
    out += fmt::format("{}:{}", roots[i].first, roots[i].second);
  }
  return out;
}

std::string Row(const std::string& label, const dyad::v1::RelationBucket& b) {
  return fmt::format("{:<11} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9.2f} {:>6.2f}  {}\n", label,
                     b.events(), b.verbal_cooperation(), b.material_cooperation(),
                     b.verbal_conflict(), b.material_conflict(), b.goldstein_mean(), b.tone_mean(),
                     TopRoots(b));
}

}  // namespace

QueryClient::QueryClient(const std::string& address)
    : stub_(dyad::v1::RelationsService::NewStub(
          grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

absl::StatusOr<dyad::v1::GetRelationResponse> QueryClient::GetRelation(
    const dyad::v1::GetRelationRequest& request) {
  grpc::ClientContext context;
  SetDeadline(context);
  dyad::v1::GetRelationResponse response;
  auto status = FromGrpc(stub_->GetRelation(&context, request, &response), "GetRelation");
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<dyad::v1::ListEventsResponse> QueryClient::ListEvents(
    const dyad::v1::ListEventsRequest& request) {
  grpc::ClientContext context;
  SetDeadline(context);
  dyad::v1::ListEventsResponse response;
  auto status = FromGrpc(stub_->ListEvents(&context, request, &response), "ListEvents");
  if (!status.ok()) return status;
  return response;
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
  out << fmt::format("{:<11} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>6}  {}\n", "bucket", "events",
                     "v.coop", "m.coop", "v.conf", "m.conf", "goldstein", "tone", "top root codes");
  for (const auto& bucket : relation.buckets()) out << Row(bucket.start(), bucket);
  out << Row("total", relation.total());
}

void PrintEvents(std::ostream& out, const dyad::v1::ListEventsResponse& events) {
  for (const auto& e : events.events()) {
    std::string sentence = e.sentence();
    if (sentence.size() > 90) {
      std::size_t cut = 87;  // back off to a UTF-8 character boundary
      while (cut > 0 && (static_cast<unsigned char>(sentence[cut]) & 0xC0) == 0x80) --cut;
      sentence = sentence.substr(0, cut) + "...";
    }
    out << fmt::format("{}  {:<9} -> {:<9} {:<5} {:>5.1f}  {}\n", e.date().date(),
                       e.source().code(), e.target().code(), e.code(), e.goldstein(), sentence);
  }
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
    out << fmt::format("{:<10} {:<10} {:>6}\n", sorted[i].second.first, sorted[i].second.second,
                       sorted[i].first);
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

}  // namespace dyad::cli
