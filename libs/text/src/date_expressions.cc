#include "dyad/text/date_expressions.h"

#include <array>
#include <charconv>
#include <optional>
#include <string_view>

namespace dyad::text {
namespace {

int MonthOf(std::string_view lower) {
  static constexpr std::array<std::string_view, 12> kFull = {
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december"};
  static constexpr std::array<std::string_view, 12> kShort = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  for (std::size_t m = 0; m < 12; ++m) {
    if (lower == kFull[m] || lower == kShort[m]) return static_cast<int>(m) + 1;
  }
  if (lower == "sept") return 9;
  return 0;
}

// 0 = Monday … 6 = Sunday, or -1.
int WeekdayOf(std::string_view lower) {
  static constexpr std::array<std::string_view, 7> kDays = {
      "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  for (std::size_t d = 0; d < 7; ++d) {
    if (lower == kDays[d]) return static_cast<int>(d);
  }
  return -1;
}

std::optional<int> Number(const Token& tok) {
  if (tok.kind != TokenKind::kNumber) return std::nullopt;
  std::string_view digits = tok.lower;
  // "3rd", "21st", "14th"
  std::size_t n = 0;
  while (n < digits.size() && digits[n] >= '0' && digits[n] <= '9') ++n;
  const std::string_view rest = digits.substr(n);
  if (!(rest.empty() || rest == "st" || rest == "nd" || rest == "rd" || rest == "th")) {
    return std::nullopt;
  }
  int value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + n, value);
  if (ec != std::errc() || n == 0 || n > 4) return std::nullopt;
  (void)ptr;
  return value;
}

std::optional<int> Year(const Token& tok) {
  if (tok.kind != TokenKind::kNumber || tok.lower.size() != 4) return std::nullopt;
  auto v = Number(tok);
  if (!v || *v < 1900 || *v > 2100) return std::nullopt;
  return v;
}

bool IsLeadingPreposition(std::string_view lower) {
  return lower == "on" || lower == "in" || lower == "since" || lower == "from" || lower == "by" ||
         lower == "until" || lower == "during" || lower == "of";
}

core::CivilDate FromDays(int64_t days) { return core::CivilFromDays(days); }

}  // namespace

std::vector<DateExpression> FindDateExpressions(const std::vector<Token>& tokens,
                                                std::string_view text, std::size_t base,
                                                const core::CivilDate& published, int future_days) {
  std::vector<DateExpression> out;
  const int64_t pub = core::DaysFromCivil(published);
  const int pub_wd = core::Weekday(pub);
  auto emit = [&](std::size_t first, std::size_t end, core::CivilDate date, DateGranularity g,
                  DateResolution r) {
    DateExpression e;
    e.date = date;
    e.granularity = g;
    e.resolution = r;
    e.first_token = first;
    e.end_token = end;
    e.begin = tokens[first].begin;
    e.end = tokens[end - 1].end;
    if (e.begin >= base && e.end - base <= text.size()) {
      e.text = std::string(text.substr(e.begin - base, e.end - e.begin));
    }
    out.push_back(std::move(e));
  };
  auto infer_year = [&](int month, int day) {
    int year = published.year;
    if (core::DaysFromCivil({year, month, day}) > pub + future_days) --year;
    return year;
  };

  std::size_t i = 0;
  while (i < tokens.size()) {
    const Token& t = tokens[i];
    const std::string& w = t.lower;
    const bool has_prep = i > 0 && IsLeadingPreposition(tokens[i - 1].lower);
    const std::size_t first = has_prep ? i - 1 : i;

    if (w == "yesterday" || w == "today" || w == "tonight" || w == "tomorrow") {
      const int64_t delta = w == "yesterday" ? -1 : (w == "tomorrow" ? 1 : 0);
      emit(i, i + 1, FromDays(pub + delta), DateGranularity::kDay, DateResolution::kRelative);
      ++i;
      continue;
    }
    if (const int wd = WeekdayOf(w); wd >= 0 && t.Capitalized()) {
      const std::string_view before = i > 0 ? std::string_view(tokens[i - 1].lower) : "";
      int64_t day = 0;
      std::size_t start = first;
      if (before == "next") {
        int64_t ahead = (wd - pub_wd + 7) % 7;
        if (ahead == 0) ahead = 7;
        day = pub + ahead;
        start = i - 1;
      } else if (before == "this") {
        day = pub - pub_wd + wd;  // the day of the publication week
        start = i - 1;
      } else {
        int64_t back = (pub_wd - wd + 7) % 7;
        if (before == "last") {
          if (back == 0) back = 7;
          start = i - 1;
        }
        day = pub - back;
      }
      emit(start, i + 1, FromDays(day), DateGranularity::kDay, DateResolution::kRelative);
      ++i;
      continue;
    }
    if ((w == "last" || w == "this" || w == "next" || w == "past") && i + 1 < tokens.size()) {
      const std::string& unit = tokens[i + 1].lower;
      const int step = w == "last" || w == "past" ? -1 : (w == "next" ? 1 : 0);
      if (unit == "week") {
        const int64_t monday = pub - pub_wd + 7 * step;
        emit(i, i + 2, FromDays(monday), DateGranularity::kWeek, DateResolution::kRelative);
        i += 2;
        continue;
      }
      if (unit == "month") {
        int y = published.year;
        int m = published.month + step;
        if (m < 1) {
          m = 12;
          --y;
        } else if (m > 12) {
          m = 1;
          ++y;
        }
        emit(i, i + 2, {y, m, 1}, DateGranularity::kMonth, DateResolution::kRelative);
        i += 2;
        continue;
      }
      if (unit == "year") {
        emit(i, i + 2, {published.year + step, 1, 1}, DateGranularity::kYear,
             DateResolution::kRelative);
        i += 2;
        continue;
      }
    }
    if (const int month = MonthOf(w); month > 0 && t.Capitalized()) {
      std::size_t j = i + 1;
      // "Sept. 3": the abbreviation's full stop, when a number follows.
      if (j + 1 < tokens.size() && tokens[j].IsPunct('.') && w.size() <= 4 &&
          tokens[j + 1].kind == TokenKind::kNumber) {
        ++j;
      }
      std::optional<int> day;
      std::optional<int> year;
      if (j < tokens.size()) {
        if (auto y = Year(tokens[j])) {
          year = y;
          ++j;
        } else if (auto d = Number(tokens[j]); d && *d >= 1 && *d <= 31) {
          day = d;
          ++j;
          std::size_t k = j;
          if (k < tokens.size() && tokens[k].IsPunct(',')) ++k;
          if (k < tokens.size()) {
            if (auto y2 = Year(tokens[k])) {
              year = y2;
              j = k + 1;
            }
          }
        }
      }
      // "<day> <Month>": a day number right before the month.
      std::size_t start = first;
      if (!day && i > 0) {
        if (auto d = Number(tokens[i - 1]);
            d && *d >= 1 && *d <= 31 && tokens[i - 1].lower.size() <= 4) {
          day = d;
          start = (i >= 2 && IsLeadingPreposition(tokens[i - 2].lower)) ? i - 2 : i - 1;
        }
      }
      // "May" and "March" are also ordinary words: require a preposition, a day or a year.
      const bool ambiguous = w == "may" || w == "march" || w == "mar";
      if (ambiguous && !has_prep && !day && !year) {
        ++i;
        continue;
      }
      if (day) {
        const int y = year ? *year : infer_year(month, 1);
        if (*day > core::DaysInMonth(y, month)) {
          ++i;
          continue;
        }
        const int yy = year ? *year : infer_year(month, *day);
        emit(start, j, {yy, month, *day}, DateGranularity::kDay,
             year ? DateResolution::kAbsolute : DateResolution::kPartial);
      } else {
        const int y = year ? *year : infer_year(month, 1);
        emit(start, j, {y, month, 1}, DateGranularity::kMonth,
             year ? DateResolution::kAbsolute : DateResolution::kPartial);
      }
      i = j;
      continue;
    }
    if ((w == "in" || w == "since" || w == "during") && i + 1 < tokens.size()) {
      if (auto y = Year(tokens[i + 1])) {
        emit(i, i + 2, {*y, 1, 1}, DateGranularity::kYear, DateResolution::kAbsolute);
        i += 2;
        continue;
      }
    }
    ++i;
  }
  return out;
}

}  // namespace dyad::text
