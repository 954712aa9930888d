#include "dyad/coder/json_lines.h"

#include "absl/status/status.h"
#include "dyad/core/utf8.h"
#include "nlohmann/json.hpp"
#include "strings.h"

namespace dyad::coder {
namespace {

using internal::Cat;
using internal::Split;
using internal::Strip;

using nlohmann::json;

constexpr std::size_t kMaxLineBytes = 16 * 1024 * 1024;

std::string_view GranularityName(v1::DateGranularity g) {
  switch (g) {
    case v1::DATE_GRANULARITY_DAY:
      return "day";
    case v1::DATE_GRANULARITY_WEEK:
      return "week";
    case v1::DATE_GRANULARITY_MONTH:
      return "month";
    case v1::DATE_GRANULARITY_YEAR:
      return "year";
    default:
      return "";
  }
}

std::string_view ResolutionName(v1::DateResolution r) {
  switch (r) {
    case v1::DATE_RESOLUTION_PUBLICATION_DATE:
      return "publication_date";
    case v1::DATE_RESOLUTION_ABSOLUTE:
      return "absolute";
    case v1::DATE_RESOLUTION_PARTIAL:
      return "partial";
    case v1::DATE_RESOLUTION_RELATIVE:
      return "relative";
    default:
      return "";
  }
}

std::string_view ModalityName(v1::Modality m) {
  switch (m) {
    case v1::MODALITY_ASSERTED:
      return "asserted";
    case v1::MODALITY_PLANNED:
      return "planned";
    case v1::MODALITY_THREATENED:
      return "threatened";
    case v1::MODALITY_CONDITIONAL:
      return "conditional";
    case v1::MODALITY_CLAIMED:
      return "claimed";
    default:
      return "";
  }
}

std::string_view PrecisionName(v1::PlacePrecision p) {
  switch (p) {
    case v1::PLACE_PRECISION_COUNTRY:
      return "country";
    case v1::PLACE_PRECISION_ADMIN1:
      return "admin1";
    case v1::PLACE_PRECISION_CITY:
      return "city";
    default:
      return "";
  }
}

json EventJson(const v1::Event& e) {
  json j;
  j["event_id"] = e.id();
  j["source"] = e.source().code();
  j["target"] = e.target().code();
  j["code"] = e.code();
  j["base_code"] = e.base_code();
  j["root_code"] = e.root_code();
  j["quad_class"] = e.quad_class();
  j["goldstein"] = e.goldstein();
  j["source_name"] = e.source().name();
  j["target_name"] = e.target().name();
  j["source_country"] = e.source().country();
  j["target_country"] = e.target().country();
  j["source_text"] = e.source().text();
  j["target_text"] = e.target().text();
  j["date"] = e.date().date();
  j["date_granularity"] = GranularityName(e.date().granularity());
  j["date_resolution"] = ResolutionName(e.date().resolution());
  j["date_text"] = e.date().text();
  j["negated"] = e.negated();
  j["modality"] = ModalityName(e.modality());
  j["confidence"] = e.confidence();
  j["tone"] = e.tone();
  j["sentence_index"] = e.sentence_index();
  j["sentence"] = e.sentence();
  j["trigger_begin"] = e.trigger_begin();
  j["trigger_end"] = e.trigger_end();
  j["place"] = e.place().name();
  j["place_country"] = e.place().country();
  j["place_precision"] = PrecisionName(e.place().precision());
  j["coder_version"] = e.coder_version();
  return j;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

absl::StatusOr<CodeRequest> ParseCodeRequest(std::string_view line) {
  if (line.size() > kMaxLineBytes) {
    return absl::InvalidArgumentError(
        Cat("line of ", line.size(), " bytes is longer than 16 MiB; split the text"));
  }
  if (auto bad = core::FindInvalidUtf8(line)) {
    return absl::InvalidArgumentError(Cat("invalid UTF-8 at byte ", *bad, "; send UTF-8 text"));
  }
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(
        "not JSON: expected {\"id\": \"...\", \"text\": \"...\", \"date\": \"YYYY-MM-DD\"}");
  }
  if (!j.is_object()) {
    return absl::InvalidArgumentError("expected a JSON object with \"text\"");
  }
  CodeRequest req;
  if (auto it = j.find("id"); it != j.end() && !it->is_null()) {
    if (it->is_string()) {
      req.id = it->get<std::string>();
    } else if (it->is_number_integer()) {
      req.id = std::to_string(it->get<int64_t>());
    } else {
      return absl::InvalidArgumentError("\"id\" must be a string");
    }
  }
  auto text = j.find("text");
  if (text == j.end()) return absl::InvalidArgumentError("missing \"text\"");
  if (!text->is_string()) return absl::InvalidArgumentError("\"text\" must be a string");
  req.text = text->get<std::string>();
  if (auto bad = core::FindInvalidUtf8(req.text)) {
    return absl::InvalidArgumentError(Cat("\"text\" has invalid UTF-8 at byte ", *bad));
  }
  if (auto it = j.find("date"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) {
      return absl::InvalidArgumentError("\"date\" must be a string YYYY-MM-DD");
    }
    const std::string date = it->get<std::string>();
    auto parsed = core::ParseIsoDate(date);
    if (!parsed) {
      // Accept a full timestamp's date part ("2025-09-14T10:00:00Z").
      if (date.size() > 10 && date[10] == 'T') parsed = core::ParseIsoDate(date.substr(0, 10));
    }
    if (!parsed) {
      return absl::InvalidArgumentError(
          Cat("bad \"date\" \"", date.substr(0, 40), "\": expected YYYY-MM-DD"));
    }
    req.date = *parsed;
    req.has_date = true;
  }
  return req;
}

std::string FormatCodeResult(std::string_view id, const std::vector<v1::Event>& events) {
  json j;
  j["id"] = std::string(id);
  j["events"] = json::array();
  for (const auto& e : events) j["events"].push_back(EventJson(e));
  return Dump(j);
}

std::string FormatCodeError(std::string_view id, std::string_view error) {
  json j;
  j["id"] = std::string(id);
  j["error"] = std::string(error);
  return Dump(j);
}

}  // namespace dyad::coder
