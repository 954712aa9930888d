// Proleptic Gregorian civil dates in UTC, as days since 1970-01-01. Thread-safe, no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dyad::core {

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  friend bool operator==(const CivilDate&, const CivilDate&) = default;
};

// Days since 1970-01-01 (negative before).
int64_t DaysFromCivil(const CivilDate& date);
CivilDate CivilFromDays(int64_t days);
// 0 = Monday … 6 = Sunday.
int Weekday(int64_t days);
int DaysInMonth(int year, int month);

// "YYYY-MM-DD" (also accepts "YYYYMMDD"); nullopt when malformed or not a real date.
std::optional<CivilDate> ParseIsoDate(std::string_view text);
std::string FormatIsoDate(const CivilDate& date);

// RFC 3339 / ISO 8601 date-time ("2025-03-14T20:30:26Z", "2025-03-14T20:30:26+05:00",
// "2025-03-14 20:30:26", or a bare date) → seconds since the epoch, UTC.
std::optional<int64_t> ParseTimestamp(std::string_view text);

}  // namespace dyad::core
