// Scores the event coder against a gold file in the JSON Lines format of PETRARCH2's unit-test
// suite (one object per line: id, text, date YYYYMMDD or YYYY-MM-DD, expected [{source, target,
// code}], optional noevents / no_eventcoding_given / expected_error / category /
// config_overrides).
//
// Levels: L1 (source country, target country, 2-digit root code) triples; L2 (full source code,
// full target code, full event code) triples; L3 whole records (the record's set of L2 triples
// equals the expected set). The country of an actor code is its first three characters (the
// CAMEO country/IGO prefix: "GONGOV" → "GON", "IGOEEU" → "IGO"), applied to gold and coded actors
// alike. Records flagged noevents, no_eventcoding_given or expected_error expect no events.
//
// Thread-safety: pure functions; Evaluate only calls the Coder's const methods.
// Errors: LoadGold / ParseGold return INVALID_ARGUMENT "<file>:<line>: <what>" for a malformed
// line and NOT_FOUND for a missing file.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "dyad/coder/coder.h"
#include "dyad/core/dates.h"

namespace dyad::eval {

using Triple = std::tuple<std::string, std::string, std::string>;  // source, target, code

struct GoldRecord {
  std::string id;
  std::string text;
  core::CivilDate date;
  std::string category;  // "" when the file has none
  std::set<Triple> expected;
  bool expect_none = false;  // noevents / no_eventcoding_given / expected_error
  std::string expected_error;
  std::map<std::string, std::string> config;  // config_overrides, values as written
  int line = 0;
};

absl::StatusOr<std::vector<GoldRecord>> ParseGold(std::string_view content,
                                                  std::string_view file_name);
absl::StatusOr<std::vector<GoldRecord>> LoadGold(const std::string& path);

struct Counts {
  int tp = 0, fp = 0, fn = 0;
  double Precision() const;
  double Recall() const;
  double F1() const;
};

struct RecordResult {
  std::string id, text, category;
  std::set<Triple> expected, got;
  bool exact = false;
};

struct CategoryResult {
  int records = 0;
  int exact = 0;
  Counts l2;
};

struct Report {
  int records = 0;
  int exact = 0;
  Counts l1, l2;
  // L3 as P/R: precision = exact records / records where the coder emitted events;
  // recall = exact records / records whose gold has events (only records with events count).
  int emitted_records = 0, gold_event_records = 0, exact_emitted = 0, exact_gold = 0;
  std::map<std::string, Counts> by_root;  // L2 triples by 2-digit root (expected or predicted)
  std::map<std::string, CategoryResult> by_category;
  std::vector<RecordResult> records_detail;  // every record, in file order
  double Accuracy() const { return records == 0 ? 0.0 : static_cast<double>(exact) / records; }
};

// "GONGOV" → "GON" (first three characters; shorter codes stay whole); "IGOUNOGOV" → "IGOUNO".
std::string CountryOfCode(std::string_view code);

// Codes each record's text (one sentence, published on the record's date) and scores it.
Report Evaluate(const coder::Coder& coder, const std::vector<GoldRecord>& gold);

// A readable report: totals, L1/L2/L3, per-category and per-root tables and up to `show_wrong`
// wrong records (id, text, expected, got).
std::string FormatReport(const Report& report, int show_wrong);
// The same as one JSON object.
std::string ReportJson(const Report& report, int show_wrong);

}  // namespace dyad::eval
