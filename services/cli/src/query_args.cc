#include "query_args.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "query_client.h"
#include "views.h"

namespace dyad::cli {
namespace {

absl::Status CheckActor(const std::string& flag, const std::string& actor, bool required) {
  if (actor.empty()) {
    if (!required) return absl::OkStatus();
    return absl::InvalidArgumentError(
        fmt::format("{} is empty; give a CAMEO actor code or prefix such as USA or PAKGOV", flag));
  }
  return absl::OkStatus();
}

absl::Status CheckConfidence(double value) {
  if (!(value >= 0.0 && value <= 1.0)) {
    return absl::InvalidArgumentError(
        fmt::format("--min-confidence {} is outside 0..1; give e.g. 0.5", value));
  }
  return absl::OkStatus();
}

absl::StatusOr<dyad::v1::EventFilter> MakeFilter(const FilterArgs& args) {
  dyad::v1::EventFilter filter;
  for (const std::string& raw : args.root_codes) {
    std::string code = raw;
    const bool digits =
        !code.empty() && code.size() <= 2 && std::all_of(code.begin(), code.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        });
    if (digits && code.size() == 1) code = "0" + code;
    if (!digits || code < "01" || code > "20") {
      return absl::InvalidArgumentError(
          fmt::format("--root-codes: '{}' is not a CAMEO root code; give codes 01..20 separated "
                      "by commas, e.g. --root-codes 04,19",
                      Sanitize(raw)));
    }
    filter.add_root_codes(code);
  }
  for (int quad : args.quad_classes) {
    if (quad < 1 || quad > 4) {
      return absl::InvalidArgumentError(fmt::format(
          "--quad {} is not a quad class; give 1 (verbal cooperation), 2 (material cooperation), "
          "3 (verbal conflict) or 4 (material conflict), several separated by commas",
          quad));
    }
    filter.add_quad_classes(quad);
  }
  if (auto status = CheckConfidence(args.min_confidence); !status.ok()) return status;
  filter.set_min_confidence(args.min_confidence);
  return filter;
}

std::string Range(const std::string& from, const std::string& to) {
  if (from.empty() && to.empty()) return "all time";
  return fmt::format("{} .. {}", from.empty() ? "start" : Sanitize(from),
                     to.empty() ? "now" : Sanitize(to));
}

std::string DescribeFilter(const dyad::v1::EventFilter& filter) {
  std::string out;
  if (filter.root_codes_size() > 0) {
    out += "; root codes";
    for (int i = 0; i < filter.root_codes_size(); ++i) {
      out += (i == 0 ? " " : ", ") + Sanitize(filter.root_codes(i));
    }
  }
  if (filter.quad_classes_size() > 0) {
    out += "; quad classes";
    for (int i = 0; i < filter.quad_classes_size(); ++i) {
      out += fmt::format("{}{}", i == 0 ? " " : ", ", filter.quad_classes(i));
    }
  }
  if (filter.min_confidence() > 0) {
    out += fmt::format("; confidence >= {:.2f}", filter.min_confidence());
  }
  return out;
}

}  // namespace

absl::StatusOr<dyad::v1::GetRelationRequest> MakeRelationRequest(const RelationArgs& args) {
  if (auto s = CheckActor("actor A", args.a, true); !s.ok()) return s;
  if (auto s = CheckActor("actor B", args.b, true); !s.ok()) return s;
  auto bucket = ParseBucket(args.bucket);
  if (!bucket.ok()) return bucket.status();
  auto filter = MakeFilter(args.filter);
  if (!filter.ok()) return filter.status();
  dyad::v1::GetRelationRequest request;
  request.set_source(args.a);
  request.set_target(args.b);
  request.set_from(args.from);
  request.set_to(args.to);
  request.set_bucket(*bucket);
  request.set_both_directions(args.both);
  *request.mutable_filter() = *std::move(filter);
  return request;
}

absl::StatusOr<dyad::v1::TopPartnersRequest> MakePartnersRequest(const PartnersArgs& args) {
  if (auto s = CheckActor("ACTOR", args.actor, true); !s.ok()) return s;
  auto order = ParsePartnerOrder(args.order);
  if (!order.ok()) return order.status();
  if (args.limit < 1 || args.limit > 1000) {
    return absl::InvalidArgumentError(fmt::format(
        "--limit {} is outside 1..1000; give the number of partners to show", args.limit));
  }
  if (args.code_length < 0 || args.code_length > 64) {
    return absl::InvalidArgumentError(fmt::format(
        "--code-length {} is outside 0..64; give 3 for countries, 6 to keep roles (USAGOV)",
        args.code_length));
  }
  auto filter = MakeFilter(args.filter);
  if (!filter.ok()) return filter.status();
  dyad::v1::TopPartnersRequest request;
  request.set_actor(args.actor);
  request.set_from(args.from);
  request.set_to(args.to);
  request.set_order(*order);
  request.set_ascending(args.ascending);
  request.set_limit(args.limit);
  request.set_partner_code_length(args.code_length);
  request.set_directed(args.directed);
  *request.mutable_filter() = *std::move(filter);
  return request;
}

absl::StatusOr<dyad::v1::GetEventRequest> MakeEventRequest(const std::string& id) {
  std::size_t begin = 0, end = id.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(id[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(id[end - 1]))) --end;
  if (begin == end) {
    return absl::InvalidArgumentError(
        "the event ID is empty; give an id from `dyad events` or from a relation's exemplar "
        "events");
  }
  dyad::v1::GetEventRequest request;
  request.set_id(id.substr(begin, end - begin));
  return request;
}

absl::StatusOr<dyad::v1::WatchEventsRequest> MakeWatchRequest(const WatchArgs& args) {
  if (args.quad_class < 0 || args.quad_class > 4) {
    return absl::InvalidArgumentError(
        fmt::format("--quad {} is not a quad class; give 1..4 (0 = any)", args.quad_class));
  }
  if (auto status = CheckConfidence(args.min_confidence); !status.ok()) return status;
  if (args.buffer < 0 || args.buffer > 100000) {
    return absl::InvalidArgumentError(fmt::format(
        "--buffer {} is outside 0..100000 (0 = the server's default, 1000)", args.buffer));
  }
  dyad::v1::WatchEventsRequest request;
  request.set_actor(args.actor);
  request.set_source(args.source);
  request.set_target(args.target);
  request.set_code(args.code);
  request.set_quad_class(args.quad_class);
  request.set_min_confidence(args.min_confidence);
  request.set_buffer(args.buffer);
  return request;
}

std::string DescribeRelation(const dyad::v1::GetRelationRequest& request) {
  return fmt::format("{} {} {} by {}, {}{}", Sanitize(request.source()),
                     request.both_directions() ? "<->" : "->", Sanitize(request.target()),
                     BucketWord(request.bucket()), Range(request.from(), request.to()),
                     DescribeFilter(request.filter()));
}

std::string DescribePartners(const dyad::v1::TopPartnersRequest& request) {
  std::string order;
  switch (request.order()) {
    case dyad::v1::PARTNER_ORDER_COOPERATION:
      order = "cooperation";
      break;
    case dyad::v1::PARTNER_ORDER_CONFLICT:
      order = "conflict";
      break;
    case dyad::v1::PARTNER_ORDER_GOLDSTEIN:
      order = "mean goldstein";
      break;
    default:
      order = "volume";
  }
  return fmt::format("partners of {} by {} ({} first), {}, {}{}", Sanitize(request.actor()), order,
                     request.ascending() ? "least" : "most",
                     request.directed() ? "where it is the source" : "both directions",
                     Range(request.from(), request.to()), DescribeFilter(request.filter()));
}

}  // namespace dyad::cli
