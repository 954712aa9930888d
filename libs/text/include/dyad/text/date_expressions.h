// Date expressions in a sentence, resolved against the publication date.
//
// Thread-safety: pure functions, no state. Errors: none; unknown or impossible dates are skipped.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "dyad/core/dates.h"
#include "dyad/text/tokens.h"

namespace dyad::text {

enum class DateGranularity { kDay, kWeek, kMonth, kYear };

enum class DateResolution {
  kAbsolute,  // a full date in the text: "July 3, 2025", "in June 2023", "in 2024"
  kPartial,   // completed from the publication date: "on July 3", "in May"
  kRelative,  // relative to the publication date: "yesterday", "on Saturday", "last week"
};

struct DateExpression {
  core::CivilDate date;  // the day, or the first day of the week (Monday) / month / year
  DateGranularity granularity = DateGranularity::kDay;
  DateResolution resolution = DateResolution::kRelative;
  std::string text;             // "on Saturday", as written
  std::size_t first_token = 0;  // token range [first_token, end_token) in the input tokens
  std::size_t end_token = 0;
  std::size_t begin = 0;  // byte offsets (the tokens' offsets)
  std::size_t end = 0;
};

// Finds and resolves, in token order:
//   yesterday | today | tonight | tomorrow | the day before yesterday
//   [on|last|this|next] <Weekday> [morning|night|...]   (bare/"on"/"last": the latest such day
//                                               on or before publication; "next": after it)
//   last|this|next week|month|year             (WEEK starts Monday)
//   [in|on|since|by|...] <Month> [<day>][,] [<year>]  and  <day> <Month> [<year>]
//   in <year>
// Month names may be abbreviated ("Sept.", "Jan"). A partial month or day later than the
// publication date is taken from the previous year when more than `future_days` ahead.
// `text` is the source the tokens were cut from, offset by `base` (token.begin - base indexes it).
std::vector<DateExpression> FindDateExpressions(const std::vector<Token>& tokens,
                                                std::string_view text, std::size_t base,
                                                const core::CivilDate& published,
                                                int future_days = 31);

}  // namespace dyad::text
