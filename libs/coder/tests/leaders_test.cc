// Office holders in data/dictionaries: a name codes to its government only while in office (the
// cases are in leaders_*_cases.cc, one file per region's dictionary).
#include <cctype>
#include <string>
#include <vector>

#include "dyad/coder/coder.h"
#include "dyad/core/dates.h"
#include "gtest/gtest.h"
#include "leaders_cases.h"

namespace dyad::coder {
namespace {

class LeadersTest : public ::testing::TestWithParam<LeaderCase> {
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
TEST_P(LeadersTest, CodeOnDate) {
  const LeaderCase& c = GetParam();
  auto date = core::ParseIsoDate(c.date);
  ASSERT_TRUE(date.has_value()) << c.date;
  const auto events = Shared().CodeText("t", c.name + " praised Oman.", *date, false);
  ASSERT_EQ(events.size(), 1u) << c.name;
  EXPECT_EQ(events[0].source().code(), c.code) << c.name << " on " << c.date;
  EXPECT_EQ(events[0].target().code(), "OMN");
  EXPECT_EQ(events[0].code(), "051");
}

// "Marco Rubio", "2025-03-01" → "Marco_Rubio_20250301"
std::string CaseName(const ::testing::TestParamInfo<LeaderCase>& p) {
  std::string name;
  for (char ch : p.param.name + " " + p.param.date) {
    if (std::isalnum(static_cast<unsigned char>(ch))) {
      name += ch;
    } else if (ch == ' ') {
      name += '_';
    }
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(G20AsiaMideast, LeadersTest, ::testing::ValuesIn(kG20LeaderCases),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(Africa, LeadersTest, ::testing::ValuesIn(kAfricaLeaderCases), CaseName);

}  // namespace
}  // namespace dyad::coder
