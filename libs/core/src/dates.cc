#include "dyad/core/dates.h"

#include <charconv>

namespace dyad::core {
namespace {

bool ParseInt(std::string_view text, int& out) {
  if (text.empty()) return false;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

}  // namespace

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(const CivilDate& date) {
  const int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = (date.month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return CivilDate{static_cast<int>(y), static_cast<int>(m), static_cast<int>(d)};
}

int Weekday(int64_t days) {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  return static_cast<int>(((days % 7) + 7 + 3) % 7);
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

std::optional<CivilDate> ParseIsoDate(std::string_view text) {
  CivilDate d;
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    if (!ParseInt(text.substr(0, 4), d.year) || !ParseInt(text.substr(5, 2), d.month) ||
        !ParseInt(text.substr(8, 2), d.day)) {
      return std::nullopt;
    }
  } else if (text.size() == 8) {
    if (!ParseInt(text.substr(0, 4), d.year) || !ParseInt(text.substr(4, 2), d.month) ||
        !ParseInt(text.substr(6, 2), d.day)) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (d.year < 1 || d.month < 1 || d.month > 12 || d.day < 1 ||
      d.day > DaysInMonth(d.year, d.month)) {
    return std::nullopt;
  }
  return d;
}

std::string FormatIsoDate(const CivilDate& date) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", date.year, date.month, date.day);
  return buf;
}

std::optional<int64_t> ParseTimestamp(std::string_view text) {
  if (text.size() < 10) return std::nullopt;
  const auto date = ParseIsoDate(text.substr(0, 10));
  if (!date) return std::nullopt;
  int64_t seconds = DaysFromCivil(*date) * 86400;
  std::string_view rest = text.substr(10);
  if (rest.empty()) return seconds;
  if (rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ') return std::nullopt;
  rest.remove_prefix(1);
  int hh = 0, mm = 0, ss = 0;
  if (rest.size() < 5 || rest[2] != ':' || !ParseInt(rest.substr(0, 2), hh) ||
      !ParseInt(rest.substr(3, 2), mm)) {
    return std::nullopt;
  }
  rest.remove_prefix(5);
  if (!rest.empty() && rest[0] == ':') {
    if (rest.size() < 3 || !ParseInt(rest.substr(1, 2), ss)) return std::nullopt;
    rest.remove_prefix(3);
  }
  if (!rest.empty() && rest[0] == '.') {  // fractional seconds are dropped
    rest.remove_prefix(1);
    while (!rest.empty() && rest[0] >= '0' && rest[0] <= '9') rest.remove_prefix(1);
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  seconds += hh * 3600 + mm * 60 + ss;
  if (rest.empty() || rest == "Z" || rest == "z") return seconds;
  if ((rest[0] == '+' || rest[0] == '-') && rest.size() == 6 && rest[3] == ':') {
    int oh = 0, om = 0;
    if (!ParseInt(rest.substr(1, 2), oh) || !ParseInt(rest.substr(4, 2), om)) return std::nullopt;
    const int64_t offset = oh * 3600 + om * 60;
    return rest[0] == '+' ? seconds - offset : seconds + offset;
  }
  return std::nullopt;
}

}  // namespace dyad::core
