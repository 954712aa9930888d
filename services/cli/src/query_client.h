// Client side of RelationsService for the `dyad` command: calls plus plain-text rendering.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "dyad/v1/relations_service.grpc.pb.h"

namespace dyad::cli {

class QueryClient {
 public:
  // `address` is host:port of dyad-query.
  explicit QueryClient(const std::string& address);

  absl::StatusOr<dyad::v1::GetRelationResponse> GetRelation(
      const dyad::v1::GetRelationRequest& request);
  absl::StatusOr<dyad::v1::ListEventsResponse> ListEvents(
      const dyad::v1::ListEventsRequest& request);

  // Every event matching `filter` (all pages), as event counts per directed country dyad.
  absl::StatusOr<std::map<std::pair<std::string, std::string>, int64_t>> CountDyads(
      dyad::v1::ListEventsRequest filter);

 private:
  std::unique_ptr<dyad::v1::RelationsService::Stub> stub_;
};

// One table row per bucket plus a total row.
void PrintRelation(std::ostream& out, const std::string& title,
                   const dyad::v1::GetRelationResponse& relation);
// One line per event: date, source → target, code, goldstein, sentence excerpt.
void PrintEvents(std::ostream& out, const dyad::v1::ListEventsResponse& events);

// Country dyads by event count, most first (ties by name), at most `limit` rows.
void PrintDyads(std::ostream& out,
                const std::map<std::pair<std::string, std::string>, int64_t>& counts, int limit);

// Parses "day|week|month|year".
absl::StatusOr<dyad::v1::Bucket> ParseBucket(const std::string& text);

}  // namespace dyad::cli
