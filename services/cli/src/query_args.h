// The query commands' arguments and the requests they make: `dyad relation`, `partners`, `event`,
// `watch`, `actors`. Pure functions (no I/O), so the mapping from flags to requests is tested
// without a server. The flags themselves are declared in commands_query.cc.
//
// Errors: INVALID_ARGUMENT naming the flag and what to give instead. Checks that need the data
// (an actor that is not letters and digits, a date that is not a date, from after to) are the
// server's: its INVALID_ARGUMENT message is passed through as it is.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dyad/v1/relations_service.pb.h"

namespace dyad::cli {

// What GetRelation and TopPartners filter on (EventFilter).
struct FilterArgs {
  std::vector<std::string> root_codes;  // --root-codes 04,19
  std::vector<int> quad_classes;        // --quad 1,2
  double min_confidence = 0;            // --min-confidence 0.5
};

struct RelationArgs {
  std::string a;  // source actor
  std::string b;  // target actor
  std::string from;
  std::string to;
  std::string bucket = "month";
  bool both = false;  // --both: both directions
  FilterArgs filter;
};

struct PartnersArgs {
  std::string actor;
  std::string from;
  std::string to;
  std::string order = "volume";
  bool ascending = false;
  int limit = 10;
  int code_length = 0;    // 0: the server's default (3, countries)
  bool directed = false;  // only events where ACTOR is the source
  FilterArgs filter;
};

struct WatchArgs {
  std::string actor;
  std::string source;
  std::string target;
  std::string code;
  int quad_class = 0;
  double min_confidence = 0;
  int buffer = 0;  // 0: the server's default
};

absl::StatusOr<dyad::v1::GetRelationRequest> MakeRelationRequest(const RelationArgs& args);
absl::StatusOr<dyad::v1::TopPartnersRequest> MakePartnersRequest(const PartnersArgs& args);
absl::StatusOr<dyad::v1::GetEventRequest> MakeEventRequest(const std::string& id);
absl::StatusOr<dyad::v1::WatchEventsRequest> MakeWatchRequest(const WatchArgs& args);

// "USA -> CHN by day, 2025-01-01 .. 2025-12-31; root codes 04, 19; quad classes 1, 2;
// confidence >= 0.50": the title printed above a relation.
std::string DescribeRelation(const dyad::v1::GetRelationRequest& request);
// "partners of PAK by volume (most first), both directions, all time".
std::string DescribePartners(const dyad::v1::TopPartnersRequest& request);

}  // namespace dyad::cli
