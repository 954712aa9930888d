#include "dyad/eval/eval.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "dyad/core/utf8.h"
#include "nlohmann/json.hpp"

namespace dyad::eval {
namespace {

using nlohmann::json;

std::string Str(const std::string& s) { return s; }

absl::Status LineError(std::string_view file, int line, std::string_view what) {
  return absl::InvalidArgumentError(std::string(file) + ":" + std::to_string(line) + ": " +
                                    std::string(what));
}

std::optional<core::CivilDate> ParseGoldDate(const std::string& s) {
  if (s.size() == 8 &&
      std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return core::ParseIsoDate(s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2));
  }
  return core::ParseIsoDate(s);
}

std::string Root(const std::string& code) {
  return code.substr(0, std::min<std::size_t>(2, code.size()));
}

std::set<Triple> L1(const std::set<Triple>& in) {
  std::set<Triple> out;
  for (const auto& [s, t, c] : in) out.emplace(CountryOfCode(s), CountryOfCode(t), Root(c));
  return out;
}

void Score(const std::set<Triple>& gold, const std::set<Triple>& got, Counts& c) {
  for (const auto& g : gold) {
    if (got.contains(g)) {
      ++c.tp;
    } else {
      ++c.fn;
    }
  }
  for (const auto& p : got) {
    if (!gold.contains(p)) ++c.fp;
  }
}

std::string Pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%5.1f", 100.0 * v);
  return buf;
}

std::string TripleString(const std::set<Triple>& s) {
  std::string out = "[";
  for (const auto& [a, b, c] : s) {
    if (out.size() > 1) out += ", ";
    out += "(" + a + " " + b + " " + c + ")";
  }
  return out + "]";
}

json CountsJson(const Counts& c) {
  return json{{"tp", c.tp},           {"fp", c.fp},  {"fn", c.fn}, {"precision", c.Precision()},
              {"recall", c.Recall()}, {"f1", c.F1()}};
}

json TriplesJson(const std::set<Triple>& s) {
  json arr = json::array();
  for (const auto& [a, b, c] : s) arr.push_back(json{{"source", a}, {"target", b}, {"code", c}});
  return arr;
}

}  // namespace

double Counts::Precision() const {
  return tp + fp == 0 ? 0.0 : static_cast<double>(tp) / (tp + fp);
}
double Counts::Recall() const { return tp + fn == 0 ? 0.0 : static_cast<double>(tp) / (tp + fn); }
double Counts::F1() const {
  const double p = Precision(), r = Recall();
  return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
}

std::string CountryOfCode(std::string_view code) {
  // IGOs are keyed by their six-letter code (IGOUNO, IGOEUR), as dyad's dyads are.
  const std::size_t n = code.starts_with("IGO") && code.size() >= 6 ? 6 : 3;
  return std::string(code.substr(0, n));
}

absl::StatusOr<std::vector<GoldRecord>> ParseGold(std::string_view content,
                                                  std::string_view file_name) {
  std::vector<GoldRecord> out;
  int number = 0;
  std::size_t start = 0;
  while (start <= content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view raw = content.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.find_first_not_of(" \t") == std::string_view::npos) {
      if (end == content.size()) break;
      continue;
    }
    if (auto bad = core::FindInvalidUtf8(raw)) {
      return LineError(file_name, number, "invalid UTF-8 at byte " + std::to_string(*bad));
    }
    json j = json::parse(raw, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return LineError(file_name, number, "not a JSON object");
    }
    GoldRecord r;
    r.line = number;
    auto get_string = [&](const char* key, std::string& into, bool required) -> absl::Status {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) {
        return required ? LineError(file_name, number, std::string("missing \"") + key + "\"")
                        : absl::OkStatus();
      }
      if (it->is_string()) {
        into = it->get<std::string>();
      } else if (it->is_number_integer()) {
        into = std::to_string(it->get<long long>());
      } else {
        return LineError(file_name, number, std::string("\"") + key + "\" must be a string");
      }
      return absl::OkStatus();
    };
    if (auto s = get_string("id", r.id, true); !s.ok()) return s;
    if (auto s = get_string("text", r.text, true); !s.ok()) return s;
    std::string date;
    if (auto s = get_string("date", date, true); !s.ok()) return s;
    auto d = ParseGoldDate(date);
    if (!d) {
      return LineError(file_name, number,
                       "bad \"date\" \"" + date + "\": want YYYYMMDD or YYYY-MM-DD");
    }
    r.date = *d;
    if (auto s = get_string("category", r.category, false); !s.ok()) return s;
    if (auto s = get_string("expected_error", r.expected_error, false); !s.ok()) return s;
    auto flag = [&](const char* key) {
      auto it = j.find(key);
      return it != j.end() && ((it->is_boolean() && it->get<bool>()) ||
                               (it->is_string() && !it->get<std::string>().empty() &&
                                it->get<std::string>() != "false"));
    };
    r.expect_none = flag("noevents") || flag("no_eventcoding_given") || !r.expected_error.empty();
    if (auto it = j.find("expected"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) return LineError(file_name, number, "\"expected\" must be an array");
      for (const auto& e : *it) {
        if (!e.is_object() || !e.contains("source") || !e.contains("target") ||
            !e.contains("code") || !e["source"].is_string() || !e["target"].is_string() ||
            !e["code"].is_string()) {
          return LineError(file_name, number,
                           "each \"expected\" item needs string source, target and code");
        }
        r.expected.emplace(e["source"].get<std::string>(), e["target"].get<std::string>(),
                           e["code"].get<std::string>());
      }
    }
    if (r.expect_none) r.expected.clear();
    if (auto it = j.find("config_overrides"); it != j.end() && it->is_object()) {
      for (const auto& [k, v] : it->items()) {
        r.config[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
    }
    out.push_back(std::move(r));
    if (end == content.size()) break;
  }
  if (out.empty()) return absl::InvalidArgumentError(std::string(file_name) + ": no records");
  return out;
}

absl::StatusOr<std::vector<GoldRecord>> LoadGold(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path + ": cannot open the gold file");
  std::ostringstream buf;
  buf << in.rdbuf();
  return ParseGold(buf.str(), path);
}

Report Evaluate(const coder::Coder& coder, const std::vector<GoldRecord>& gold) {
  Report rep;
  for (const auto& g : gold) {
    coder::CodingOverrides overrides;
    for (const auto& [k, v] : g.config) overrides.values[k] = v;
    const auto events = coder.CodeText(g.id, g.text, g.date, false, &overrides);
    RecordResult rr;
    rr.id = g.id;
    rr.text = g.text;
    rr.category = g.category;
    rr.expected = g.expected;
    for (const auto& ev : events) {
      rr.got.emplace(ev.source().code(), ev.target().code(), ev.code());
    }
    rr.exact = rr.got == rr.expected;
    ++rep.records;
    if (rr.exact) ++rep.exact;
    Score(L1(rr.expected), L1(rr.got), rep.l1);
    Score(rr.expected, rr.got, rep.l2);
    auto& cat = rep.by_category[g.category.empty() ? "-" : g.category];
    ++cat.records;
    if (rr.exact) ++cat.exact;
    Score(rr.expected, rr.got, cat.l2);
    for (const auto& e : rr.expected) {
      auto& c = rep.by_root[Root(std::get<2>(e))];
      rr.got.contains(e) ? ++c.tp : ++c.fn;
    }
    for (const auto& p : rr.got) {
      if (!rr.expected.contains(p)) ++rep.by_root[Root(std::get<2>(p))].fp;
    }
    if (!rr.got.empty()) {
      ++rep.emitted_records;
      if (rr.exact) ++rep.exact_emitted;
    }
    if (!rr.expected.empty()) {
      ++rep.gold_event_records;
      if (rr.exact) ++rep.exact_gold;
    }
    rep.records_detail.push_back(std::move(rr));
  }
  return rep;
}

std::string FormatReport(const Report& r, int show_wrong) {
  std::ostringstream o;
  auto line = [&](const char* name, const Counts& c) {
    o << name << "  P " << Pct(c.Precision()) << "  R " << Pct(c.Recall()) << "  F1 " << Pct(c.F1())
      << "   (tp " << c.tp << ", fp " << c.fp << ", fn " << c.fn << ")\n";
  };
  o << "records: " << r.records << "\n";
  line("L1 country+root   ", r.l1);
  line("L2 full codes     ", r.l2);
  const double l3p =
      r.emitted_records == 0 ? 0.0 : static_cast<double>(r.exact_emitted) / r.emitted_records;
  const double l3r =
      r.gold_event_records == 0 ? 0.0 : static_cast<double>(r.exact_gold) / r.gold_event_records;
  o << "L3 exact records   accuracy " << Pct(r.Accuracy()) << "% (" << r.exact << "/" << r.records
    << ")   P " << Pct(l3p) << "  R " << Pct(l3r) << "  F1 "
    << Pct(l3p + l3r == 0 ? 0.0 : 2 * l3p * l3r / (l3p + l3r)) << "\n";
  o << "\nby category (records, exact, accuracy, L2 F1):\n";
  for (const auto& [name, c] : r.by_category) {
    o << "  " << name << std::string(name.size() < 12 ? 12 - name.size() : 1, ' ') << c.records
      << "\t" << c.exact << "\t"
      << Pct(c.records == 0 ? 0.0 : static_cast<double>(c.exact) / c.records) << "%\t"
      << Pct(c.l2.F1()) << "\n";
  }
  o << "\nby root code at L2 (support, P, R, F1):\n";
  for (const auto& [root, c] : r.by_root) {
    o << "  " << root << "\t" << c.tp + c.fn << "\t" << Pct(c.Precision()) << "\t"
      << Pct(c.Recall()) << "\t" << Pct(c.F1()) << "\n";
  }
  int shown = 0;
  for (const auto& rr : r.records_detail) {
    if (rr.exact) continue;
    if (shown == 0) o << "\nwrong records:\n";
    if (shown >= show_wrong) break;
    ++shown;
    o << "- " << rr.id << ": " << rr.text << "\n    expected " << TripleString(rr.expected)
      << "\n    got      " << TripleString(rr.got) << "\n";
  }
  return o.str();
}

std::string ReportJson(const Report& r, int show_wrong) {
  json j;
  j["records"] = r.records;
  j["exact"] = r.exact;
  j["accuracy"] = r.Accuracy();
  j["l1"] = CountsJson(r.l1);
  j["l2"] = CountsJson(r.l2);
  j["l3"] = json{{"emitted_records", r.emitted_records},
                 {"exact_emitted", r.exact_emitted},
                 {"gold_event_records", r.gold_event_records},
                 {"exact_gold", r.exact_gold}};
  for (const auto& [name, c] : r.by_category) {
    j["by_category"][name] =
        json{{"records", c.records}, {"exact", c.exact}, {"l2", CountsJson(c.l2)}};
  }
  for (const auto& [root, c] : r.by_root) j["by_root"][root] = CountsJson(c);
  j["wrong"] = json::array();
  int shown = 0;
  for (const auto& rr : r.records_detail) {
    if (rr.exact || shown >= show_wrong) continue;
    ++shown;
    j["wrong"].push_back(json{{"id", rr.id},
                              {"text", rr.text},
                              {"expected", TriplesJson(rr.expected)},
                              {"got", TriplesJson(rr.got)}});
  }
  (void)Str;
  return j.dump();
}

}  // namespace dyad::eval
