// Office holders of the G20, South Asian and Middle Eastern states (data/dictionaries/actors.txt
// and actors.leaders-g20-asia-mideast.txt): a name codes to its government only while in office.
#include <cctype>
#include <string>
#include <vector>

#include "dyad/coder/coder.h"
#include "dyad/core/dates.h"
#include "gtest/gtest.h"

namespace dyad::coder {
namespace {

struct Case {
  std::string name;  // as written in a sentence
  std::string date;  // publication date, YYYY-MM-DD
  std::string code;  // expected actor code on that date
};

class LeadersG20Test : public ::testing::TestWithParam<Case> {
 protected:
  static const Coder& Shared() {
    static const Coder* coder = [] {
      auto loaded = Coder::Load(DefaultCoderOptions());
      EXPECT_TRUE(loaded.ok()) << loaded.status();
      return loaded.ok() ? loaded->release() : nullptr;
    }();
    return *coder;
  }
};

// "<name> praised Oman." must give <code> → OMN (051).
TEST_P(LeadersG20Test, CodeOnDate) {
  const Case& c = GetParam();
  auto date = core::ParseIsoDate(c.date);
  ASSERT_TRUE(date.has_value()) << c.date;
  const auto events = Shared().CodeText("t", c.name + " praised Oman.", *date, false);
  ASSERT_EQ(events.size(), 1u) << c.name;
  EXPECT_EQ(events[0].source().code(), c.code) << c.name << " on " << c.date;
  EXPECT_EQ(events[0].target().code(), "OMN");
  EXPECT_EQ(events[0].code(), "051");
}

// One case per term boundary worth checking; add cases when adding people.
const std::vector<Case> kCases = {
    {"Marco Rubio", "2025-03-01", "USAGOV"},
    {"Marco Rubio", "2020-03-01", "USALEG"},
    {"Ishaq Dar", "2025-03-01", "PAKGOV"},
};

INSTANTIATE_TEST_SUITE_P(Terms, LeadersG20Test, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& p) {
                           // "Marco Rubio", "2025-03-01" → "Marco_Rubio_20250301"
                           std::string name;
                           for (char ch : p.param.name + " " + p.param.date) {
                             if (std::isalnum(static_cast<unsigned char>(ch)))
                               name += ch;
                             else if (ch == ' ')
                               name += '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace dyad::coder
