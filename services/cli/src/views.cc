#include "views.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "dyad/core/dates.h"
#include "dyad/relations/relation_store.h"

namespace dyad::cli {
namespace {

using dyad::v1::Bucket;
using dyad::v1::RelationBucket;

// A table: columns padded to their widest cell, two spaces apart, trailing spaces trimmed.
struct Table {
  std::vector<std::string> headers;
  std::vector<bool> right_aligned;
  std::vector<std::vector<std::string>> rows;

  std::string Render() const {
    std::vector<int> widths(headers.size(), 0);
    auto measure = [&](const std::vector<std::string>& cells) {
      for (std::size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
        widths[i] = std::max(widths[i], DisplayWidth(cells[i]));
      }
    };
    measure(headers);
    for (const auto& row : rows) measure(row);
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
      std::string text;
      for (std::size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
        if (i > 0) text += "  ";
        const std::string pad(static_cast<std::size_t>(widths[i] - DisplayWidth(cells[i])), ' ');
        text += right_aligned[i] ? pad + cells[i] : cells[i] + pad;
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out += text + "\n";
    };
    line(headers);
    for (const auto& row : rows) line(row);
    return out;
  }
};

// Signed with two decimals; never "-0.00".
std::string Signed(double value) {
  if (!std::isfinite(value)) return "nan";
  if (std::abs(value) < 0.005) value = 0.0;
  return fmt::format("{:+.2f}", value);
}

int64_t Cooperation(const RelationBucket& b) {
  return b.verbal_cooperation() + b.material_cooperation();
}
int64_t Conflict(const RelationBucket& b) { return b.verbal_conflict() + b.material_conflict(); }

// "042:5 036:3": the bucket's top codes; its root codes ("04:3") when the server sent none.
std::string TopCodes(const RelationBucket& b) {
  std::string out;
  if (b.top_codes_size() > 0) {
    for (const auto& code : b.top_codes()) {
      if (!out.empty()) out += " ";
      out += fmt::format("{}:{}", Sanitize(code.code()), code.events());
    }
    return out;
  }
  std::vector<std::pair<std::string, int64_t>> roots(b.root_codes().begin(), b.root_codes().end());
  std::sort(roots.begin(), roots.end(), [](const auto& x, const auto& y) {
    return x.second > y.second || (x.second == y.second && x.first < y.first);
  });
  for (std::size_t i = 0; i < roots.size() && i < 5; ++i) {
    if (!out.empty()) out += " ";
    out += fmt::format("{}:{}", Sanitize(roots[i].first), roots[i].second);
  }
  return out;
}

// `text` cut to `columns` display columns, "..." marking the cut.
std::string Cut(const std::string& text, int columns) {
  if (DisplayWidth(text) <= columns) return text;
  std::string out;
  int width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool starts = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts && ++width > columns - 3) break;
    out += text[i];
  }
  return out + "...";
}

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  const int64_t days = ts.seconds() >= 0 ? ts.seconds() / 86400 : (ts.seconds() - 86399) / 86400;
  const int64_t secs = ts.seconds() - days * 86400;
  return fmt::format("{}T{:02}:{:02}:{:02}Z", core::FormatIsoDate(core::CivilFromDays(days)),
                     secs / 3600, secs / 60 % 60, secs % 60);
}

const char* QuadName(int quad) {
  switch (quad) {
    case 1:
      return "verbal cooperation";
    case 2:
      return "material cooperation";
    case 3:
      return "verbal conflict";
    case 4:
      return "material conflict";
    default:
      return "no quad class";
  }
}

std::string ActorWithName(const dyad::v1::Actor& actor) {
  std::string code = Sanitize(actor.code().empty() ? actor.country() : actor.code());
  if (code.empty()) code = "?";
  if (actor.name().empty()) return code;
  return fmt::format("{} ({})", code, Sanitize(actor.name()));
}

// The sentence with the trigger in [brackets], when the byte offsets describe this sentence and
// fall on character boundaries; the sentence as it is otherwise.
std::string MarkTrigger(const dyad::v1::Mention& m) {
  const std::string& s = m.sentence();
  const int64_t begin = static_cast<int64_t>(m.trigger_begin()) - m.sentence_begin();
  const int64_t end = static_cast<int64_t>(m.trigger_end()) - m.sentence_begin();
  const bool consistent = static_cast<int64_t>(m.sentence_end()) - m.sentence_begin() ==
                              static_cast<int64_t>(s.size()) &&
                          begin >= 0 && begin < end && end <= static_cast<int64_t>(s.size());
  auto boundary = [&](int64_t i) {
    return i == static_cast<int64_t>(s.size()) ||
           (static_cast<unsigned char>(s[static_cast<std::size_t>(i)]) & 0xC0) != 0x80;
  };
  if (!consistent || !boundary(begin) || !boundary(end)) return Sanitize(s);
  const auto b = static_cast<std::size_t>(begin);
  const auto e = static_cast<std::size_t>(end);
  return Sanitize(s.substr(0, b)) + "[" + Sanitize(s.substr(b, e - b)) + "]" +
         Sanitize(s.substr(e));
}

std::string BucketLabel(int64_t start, Bucket bucket) {
  const std::string iso = core::FormatIsoDate(core::CivilFromDays(start));
  switch (bucket) {
    case dyad::v1::BUCKET_MONTH:
      return iso.substr(0, 7);
    case dyad::v1::BUCKET_YEAR:
      return iso.substr(0, 4);
    default:
      return iso;
  }
}

int Digits(int64_t n) { return static_cast<int>(std::to_string(n).size()); }

// `chunks` joined by spaces into lines of at most `width` columns, breaking only between chunks
// (a chunk longer than the width gets a line of its own).
std::string Wrap(const std::vector<std::string>& chunks, int width) {
  std::string out, line;
  for (const auto& chunk : chunks) {
    if (chunk.empty()) continue;
    if (!line.empty() && DisplayWidth(line) + 1 + DisplayWidth(chunk) > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + chunk;
  }
  return out + line + "\n";
}

}  // namespace

std::string Sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7F) ? ' ' : static_cast<char>(c);
      ++i;
      continue;
    }
    int length = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      cp = c & 0x07u;
    }
    bool valid = length > 0 && i + static_cast<std::size_t>(length) <= text.size();
    for (int k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      valid = (next & 0xC0) == 0x80;
      cp = (cp << 6) | (next & 0x3Fu);
    }
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    valid = valid && cp >= kMinimum[length] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    if (!valid) {
      out += '?';
      ++i;
      continue;
    }
    if (cp >= 0x80 && cp <= 0x9F) {
      out += ' ';  // C1 controls (CSI and friends)
    } else {
      out.append(text.substr(i, static_cast<std::size_t>(length)));
    }
    i += static_cast<std::size_t>(length);
  }
  return out;
}

int DisplayWidth(std::string_view text) {
  int width = 0;
  for (char c : text) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return width;
}

std::string BucketWord(Bucket bucket) {
  switch (bucket) {
    case dyad::v1::BUCKET_WEEK:
      return "week";
    case dyad::v1::BUCKET_MONTH:
      return "month";
    case dyad::v1::BUCKET_YEAR:
      return "year";
    default:
      return "day";
  }
}

std::string RenderRelationTable(const dyad::v1::GetRelationResponse& relation) {
  if (relation.total().events() == 0 && relation.buckets_size() == 0) return "no events\n";
  Table table{{"bucket", "events", "mentions", "articles", "sources", "coop", "conflict",
               "goldstein", "tone", "top codes"},
              {false, true, true, true, true, true, true, true, true, false},
              {}};
  auto row = [](const std::string& label, const RelationBucket& b) {
    return std::vector<std::string>{label,
                                    std::to_string(b.events()),
                                    std::to_string(b.mentions()),
                                    std::to_string(b.articles()),
                                    std::to_string(b.sources()),
                                    std::to_string(Cooperation(b)),
                                    std::to_string(Conflict(b)),
                                    Signed(b.goldstein_mean()),
                                    Signed(b.tone_mean()),
                                    TopCodes(b)};
  };
  for (const auto& bucket : relation.buckets()) {
    table.rows.push_back(row(Sanitize(bucket.start()), bucket));
  }
  table.rows.push_back(row("total", relation.total()));
  std::string out = table.Render();

  // The top codes over the range, with their names.
  if (relation.total().top_codes_size() > 0) {
    Table codes{{"top codes", "name", "events", "mentions"}, {false, false, true, true}, {}};
    for (const auto& code : relation.total().top_codes()) {
      codes.rows.push_back({Sanitize(code.code()), Cut(Sanitize(code.name()), 60),
                            std::to_string(code.events()), std::to_string(code.mentions())});
    }
    out += "\n" + codes.Render();
  }
  if (relation.total().event_ids_size() > 0) {
    std::string line = "\nexemplar events (dyad event ID):";
    for (const auto& id : relation.total().event_ids()) line += " " + Sanitize(id);
    out += line + "\n";
  }
  return out;
}

std::string RenderRelationChart(const dyad::v1::GetRelationResponse& relation, Bucket bucket,
                                std::string_view from, std::string_view to,
                                const ChartStyle& style) {
  // Bucket start day → (cooperation, conflict).
  std::map<int64_t, std::pair<int64_t, int64_t>> counts;
  for (const auto& b : relation.buckets()) {
    const auto date = core::ParseIsoDate(b.start());
    if (!date) continue;
    auto& slot = counts[relations::BucketStart(core::DaysFromCivil(*date), bucket)];
    slot.first += Cooperation(b);
    slot.second += Conflict(b);
  }
  if (counts.empty()) return "no events to chart\n";

  int64_t first = counts.begin()->first;
  int64_t last = counts.rbegin()->first;
  if (const auto date = core::ParseIsoDate(from)) {
    first = std::min(first, relations::BucketStart(core::DaysFromCivil(*date), bucket));
  }
  if (const auto date = core::ParseIsoDate(to)) {
    last = std::max(last, relations::BucketStart(core::DaysFromCivil(*date), bucket));
  }
  std::vector<int64_t> slots;
  for (int64_t start = first; start <= last; start = relations::BucketEnd(start, bucket) + 1) {
    slots.push_back(start);
  }
  const int64_t n = static_cast<int64_t>(slots.size());

  const int width = std::max(style.width, 40);
  const int height = std::clamp(style.height, 1, 50);
  // Columns: one per bucket (up to 3 characters wide when there is room), or groups of
  // consecutive buckets summed when there are more buckets than columns. The y labels take the
  // digits of the tallest column; that depends on the grouping, so settle it in two rounds.
  int64_t group = 1;
  int cell = 1;
  std::vector<std::pair<int64_t, int64_t>> columns;
  int64_t peak = 0;
  int label_width = 1;
  for (int64_t max_single = 0; const auto& [start, value] : counts) {
    max_single = std::max({max_single, value.first, value.second});
    label_width = Digits(max_single);
  }
  for (int round = 0; round < 2; ++round) {
    const int plot = width - label_width - 2;
    group = n <= plot ? 1 : (n + plot - 1) / plot;
    const int64_t count = (n + group - 1) / group;
    cell = group == 1 ? static_cast<int>(std::clamp<int64_t>(plot / count, 1, 3)) : 1;
    columns.assign(static_cast<std::size_t>(count), {0, 0});
    for (int64_t i = 0; i < n; ++i) {
      if (const auto it = counts.find(slots[static_cast<std::size_t>(i)]); it != counts.end()) {
        auto& column = columns[static_cast<std::size_t>(i / group)];
        column.first += it->second.first;
        column.second += it->second.second;
      }
    }
    peak = 0;
    for (const auto& [coop, conf] : columns) peak = std::max({peak, coop, conf});
    if (Digits(peak) == label_width) break;
    label_width = Digits(peak);
  }
  const int bar = cell >= 2 ? cell - 1 : 1;
  const int plot_columns = static_cast<int>(columns.size()) * cell;

  const bool u = style.unicode;
  const std::string coop_full = u ? "█" : "+", coop_half = u ? "▄" : ".";
  const std::string conf_full = u ? "▓" : "x", conf_half = u ? "▀" : "'";
  const std::string green = style.color ? "\x1b[32m" : "", red = style.color ? "\x1b[31m" : "";
  const std::string reset = style.color ? "\x1b[0m" : "";
  auto halves = [&](int64_t value) -> int {
    if (value <= 0 || peak <= 0) return 0;
    const double scaled = static_cast<double>(value) * 2.0 * height / static_cast<double>(peak);
    return std::clamp(static_cast<int>(std::llround(scaled)), 1, 2 * height);
  };
  auto trim = [](std::string line) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
  };

  const std::string unit = BucketWord(bucket);
  std::string out = Wrap({fmt::format("events per {}:", unit),
                          fmt::format("cooperation (quad classes 1-2) up {},", coop_full),
                          fmt::format("conflict (3-4) down {}{}", conf_full, group > 1 ? ";" : ""),
                          group > 1 ? fmt::format("1 column = {} {}s", group, unit) : ""},
                         width);
  const std::string peak_label = std::to_string(peak);
  const std::string zero_label = "0";
  for (int r = height; r >= 1; --r) {
    std::string line = fmt::format("{:>{}} {}", r == height ? peak_label : "", label_width,
                                   u ? (r == height ? "┤" : "│") : "|");
    for (const auto& column : columns) {
      const int h = halves(column.first);
      std::string glyph = h >= 2 * r ? coop_full : h == 2 * r - 1 ? coop_half : " ";
      for (int k = 0; k < bar; ++k) line += glyph == " " ? glyph : green + glyph + reset;
      line += std::string(static_cast<std::size_t>(cell - bar), ' ');
    }
    out += trim(line);
  }
  {
    std::string line = fmt::format("{:>{}} {}", zero_label, label_width, u ? "┼" : "+");
    for (int k = 0; k < plot_columns; ++k) line += u ? "─" : "-";
    out += line + "\n";
  }
  for (int r = 1; r <= height; ++r) {
    std::string line = fmt::format("{:>{}} {}", r == height ? peak_label : "", label_width,
                                   u ? (r == height ? "┤" : "│") : "|");
    for (const auto& column : columns) {
      const int h = halves(column.second);
      std::string glyph = h >= 2 * r ? conf_full : h == 2 * r - 1 ? conf_half : " ";
      for (int k = 0; k < bar; ++k) line += glyph == " " ? glyph : red + glyph + reset;
      line += std::string(static_cast<std::size_t>(cell - bar), ' ');
    }
    out += trim(line);
  }
  // Time axis: the start of a column's first bucket, as often as the labels fit.
  {
    const int offset = label_width + 2;
    const int label_length = DisplayWidth(BucketLabel(slots.front(), bucket));
    const int step = std::max(1, (label_length + 2 + cell - 1) / cell);
    std::string line(static_cast<std::size_t>(std::max(width, offset + label_length)), ' ');
    for (int64_t c = 0; c < static_cast<int64_t>(columns.size()); c += step) {
      const int position = offset + static_cast<int>(c) * cell;
      if (c > 0 && position + label_length > width) break;
      const std::string label = BucketLabel(slots[static_cast<std::size_t>(c * group)], bucket);
      line.replace(static_cast<std::size_t>(position), label.size(), label);
    }
    out += trim(line);
  }
  // The busiest bucket of each side (the earliest on a tie).
  std::pair<int64_t, int64_t> peak_coop{-1, 0}, peak_conf{-1, 0};  // (count, start)
  for (const auto& [start, value] : counts) {
    if (value.first > peak_coop.first) peak_coop = {value.first, start};
    if (value.second > peak_conf.first) peak_conf = {value.second, start};
  }
  auto describe = [&](const std::pair<int64_t, int64_t>& p) {
    if (p.first <= 0) return std::string("none");
    return fmt::format("{} ({} of {})", p.first, unit,
                       core::FormatIsoDate(core::CivilFromDays(p.second)));
  };
  out += Wrap({fmt::format("peak cooperation {},", describe(peak_coop)),
               fmt::format("peak conflict {};", describe(peak_conf)),
               fmt::format("total {} cooperation, {} conflict", Cooperation(relation.total()),
                           Conflict(relation.total()))},
              width);
  return out;
}

std::string RenderPartners(const dyad::v1::TopPartnersResponse& partners) {
  if (partners.partners_size() == 0) return "no partners\n";
  Table table{{"#", "partner", "name", "events", "mentions", "coop", "conflict", "goldstein",
               "tone", "top codes"},
              {true, false, false, true, true, true, true, true, true, false},
              {}};
  int rank = 0;
  for (const auto& p : partners.partners()) {
    const auto& t = p.totals();
    table.rows.push_back({std::to_string(++rank), Sanitize(p.actor()), Cut(Sanitize(p.name()), 32),
                          std::to_string(t.events()), std::to_string(t.mentions()),
                          std::to_string(Cooperation(t)), std::to_string(Conflict(t)),
                          Signed(t.goldstein_mean()), Signed(t.tone_mean()), TopCodes(t)});
  }
  return table.Render();
}

std::string RenderEvent(const dyad::v1::GetEventResponse& response) {
  const auto& e = response.event();
  std::string out;
  out += fmt::format("event {}\n", Sanitize(e.id()));
  const std::string day = !e.date().date().empty() ? e.date().date()
                          : e.has_published_at()   ? FormatTimestamp(e.published_at()).substr(0, 10)
                                                   : "-";
  out += fmt::format("  day        {}\n", Sanitize(day));
  out +=
      fmt::format("  dyad       {} -> {}\n", ActorWithName(e.source()), ActorWithName(e.target()));
  std::string code = Sanitize(e.code());
  if (!e.base_code().empty() && e.base_code() != e.code()) {
    code += fmt::format(" (base {})", Sanitize(e.base_code()));
  }
  if (!e.root_code().empty()) code += fmt::format(", root {}", Sanitize(e.root_code()));
  out += fmt::format("  code       {}; quad class {} {}\n", code, e.quad_class(),
                     QuadName(e.quad_class()));
  out += fmt::format("  goldstein  {} (mean over its mentions)\n", Signed(response.goldstein()));
  std::string place = Sanitize(e.place().name());
  if (!e.place().country().empty()) {
    place += (place.empty() ? "" : ", ") + Sanitize(e.place().country());
  }
  out += fmt::format("  place      {}\n", place.empty() ? "-" : place);
  out += fmt::format(
      "  reports    {} mention{} in {} article{} from {} source{}; first seen {}, last seen {}\n",
      response.mentions_size(), response.mentions_size() == 1 ? "" : "s", response.articles(),
      response.articles() == 1 ? "" : "s", response.sources(), response.sources() == 1 ? "" : "s",
      FormatTimestamp(response.first_seen()), FormatTimestamp(response.last_seen()));
  if (response.mentions_size() > 0) out += "\nmentions, oldest first:\n";
  int index = 0;
  for (const auto& m : response.mentions()) {
    out += fmt::format("  [{}] {}  {}  code {}  confidence {:.2f}  id {}\n", ++index,
                       FormatTimestamp(m.published_at()),
                       m.publisher().empty() ? "-" : Sanitize(m.publisher()), Sanitize(m.code()),
                       m.confidence(), Sanitize(m.event_id()));
    if (!m.article_url().empty()) out += fmt::format("      {}\n", Sanitize(m.article_url()));
    out += fmt::format("      article {}, sentence bytes {}-{}, trigger bytes {}-{}\n",
                       m.article_id().empty() ? "-" : Sanitize(m.article_id()), m.sentence_begin(),
                       m.sentence_end(), m.trigger_begin(), m.trigger_end());
    if (!m.sentence().empty()) out += fmt::format("      \"{}\"\n", MarkTrigger(m));
  }
  return out;
}

std::string FormatEventLine(const dyad::v1::Event& e) {
  std::string sentence = Sanitize(e.sentence());
  if (DisplayWidth(sentence) > 90) sentence = Cut(sentence, 90);
  const std::string day = e.date().date().empty() && e.has_published_at()
                              ? FormatTimestamp(e.published_at()).substr(0, 10)
                              : Sanitize(e.date().date());
  return fmt::format("{}  {:<9} -> {:<9} {:<5} {:>5.1f}  {}  {}", day,
                     Sanitize(e.source().code().empty() ? e.source().country() : e.source().code()),
                     Sanitize(e.target().code().empty() ? e.target().country() : e.target().code()),
                     Sanitize(e.code()), e.goldstein(), Sanitize(e.id()), sentence);
}

}  // namespace dyad::cli
