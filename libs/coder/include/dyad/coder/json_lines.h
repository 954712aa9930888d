// The public line format of `dyad code` (a stable contract: see libs/coder/README.md).
//
// Input, one JSON object per line:  {"id": "...", "text": "...", "date": "YYYY-MM-DD"}
//   (date optional: the publication date; today when absent).
// Output, one line per input line:   {"id": "...", "events": [{"source": "USAGOV",
//   "target": "PAKGOV", "code": "041", "root_code": "04", "quad_class": 1, "goldstein": 1.0, ...}]}
//   or, for a line that cannot be read: {"id": "...", "error": "..."} (the id is the line number
//   "line:N" when the line has none).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dyad/core/dates.h"
#include "dyad/v1/event.pb.h"

namespace dyad::coder {

struct CodeRequest {
  std::string id;
  std::string text;
  core::CivilDate date;
  bool has_date = false;
};

// Parses one input line. INVALID_ARGUMENT says what is wrong (not JSON, no "text", bad date,
// invalid UTF-8, ...).
absl::StatusOr<CodeRequest> ParseCodeRequest(std::string_view line);

// One output line (no trailing newline).
std::string FormatCodeResult(std::string_view id, const std::vector<dyad::v1::Event>& events);
std::string FormatCodeError(std::string_view id, std::string_view error);

}  // namespace dyad::coder
