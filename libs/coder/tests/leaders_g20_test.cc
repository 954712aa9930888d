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
    // Armed groups (actors.groups.txt): a group that took power changes role that day.
    {"The Taliban", "2019-03-14", "AFGREB"},
    {"The Taliban", "2024-03-14", "AFGGOV"},
    {"The Rapid Support Forces", "2022-01-10", "SDNMIL"},
    {"The Rapid Support Forces", "2024-01-10", "SDNREB"},
    {"Hezbollah", "2024-01-10", "LBNREB"},
    {"Marco Rubio", "2025-03-01", "USAGOV"},
    {"Marco Rubio", "2020-03-01", "USALEG"},
    {"Ishaq Dar", "2025-03-01", "PAKGOV"},
    // Oman cannot be checked here: "<Omani> praised Oman." is self-directed and yields no event.
    {"Javier Milei", "2024-06-01", "ARGGOV"},
    {"Mauricio Macri", "2021-06-01", "ARGELI"},
    {"Diana Mondino", "2025-03-01", "ARG"},
    {"Penny Wong", "2023-01-10", "AUSGOV"},
    {"Peter Dutton", "2023-01-10", "AUSOPP"},
    {"Malcolm Turnbull", "2019-01-10", "AUSELI"},
    {"Jair Bolsonaro", "2020-05-01", "BRAGOV"},
    {"Jair Bolsonaro", "2023-05-01", "BRAELI"},
    {"Mauro Vieira", "2019-05-01", "BRA"},
    {"Justin Trudeau", "2016-05-01", "CANGOV"},
    {"Justin Trudeau", "2025-06-01", "CANELI"},
    {"Anita Anand", "2025-06-01", "CANGOV"},
    {"Li Qiang", "2024-01-10", "CHNGOV"},
    {"Li Qiang", "2022-01-10", "CHN"},
    {"Qin Gang", "2024-01-10", "CHN"},
    {"Jean-Claude Juncker", "2018-01-10", "IGOEUREEC"},
    {"Donald Tusk", "2024-03-01", "POLGOV"},
    {"Antonio Costa", "2020-03-01", "PRTGOV"},
    {"Francois Hollande", "2016-03-01", "FRAGOV"},
    {"Francois Hollande", "2018-03-01", "FRAELI"},
    {"Jean-Noel Barrot", "2025-03-01", "FRAGOV"},
    {"Angela Merkel", "2020-03-01", "DEUGOV"},
    {"Angela Merkel", "2023-03-01", "DEUELI"},
    {"Boris Pistorius", "2022-03-01", "DEU"},
    {"Ram Nath Kovind", "2020-03-01", "INDGOV"},
    {"Ram Nath Kovind", "2023-03-01", "INDELI"},
    {"Nirmala Sitharaman", "2013-03-01", "IND"},
    {"Joko Widodo", "2020-03-01", "IDNGOV"},
    {"Prabowo Subianto", "2018-03-01", "IDN"},
    {"Retno Marsudi", "2025-03-01", "IDN"},
    {"Sergio Mattarella", "2020-03-01", "ITAGOV"},
    {"Sergio Mattarella", "2014-03-01", "ITA"},
    {"Mario Draghi", "2023-03-01", "ITA"},
    {"Shinzo Abe", "2016-03-01", "JPNGOV"},
    {"Shinzo Abe", "2021-03-01", "JPNELI"},
    {"Sanae Takaichi", "2025-11-01", "JPNGOV"},
    {"Shigeru Ishiba", "2026-01-10", "JPN"},
    {"Andres Manuel Lopez Obrador", "2020-03-01", "MEXGOV"},
    {"AMLO", "2025-03-01", "MEXELI"},
    {"Marcelo Ebrard", "2024-03-01", "MEX"},
    {"Sergei Shoigu", "2020-03-01", "RUSGOV"},
    {"Andrei Belousov", "2019-03-01", "RUS"},
    {"King Salman", "2020-03-01", "SAUGOV"},
    {"Mohammed bin Nayef", "2019-03-01", "SAU"},
    {"Mohammed bin Salman", "2014-03-01", "SAU"},
    {"Jacob Zuma", "2016-03-01", "ZAFGOV"},
    {"Jacob Zuma", "2020-03-01", "ZAFELI"},
    {"Naledi Pandor", "2025-03-01", "ZAF"},
    {"Moon Jae-in", "2019-03-01", "KORGOV"},
    {"Yoon Suk Yeol", "2025-06-01", "KORELI"},
    {"Han Duck-soo", "2021-03-01", "KOR"},
    {"Ahmet Davutoglu", "2015-03-01", "TURGOV"},
    {"Ahmet Davutoglu", "2020-03-01", "TURELI"},
    {"Hulusi Akar", "2017-03-01", "TURMIL"},
    {"Hulusi Akar", "2020-03-01", "TURGOV"},
    {"Theresa May", "2017-03-01", "GBRGOV"},
    {"Rishi Sunak", "2024-09-01", "GBROPP"},
    {"Rishi Sunak", "2025-03-01", "GBR"},
    {"King Charles III", "2023-03-01", "GBRGOV"},
    {"Prince Charles", "2020-03-01", "GBRELI"},
    {"Mike Pompeo", "2019-03-01", "USAGOV"},
    {"Mike Pompeo", "2022-03-01", "USA"},
    {"Lloyd Austin", "2022-03-01", "USAGOV"},
    {"Ashraf Ghani", "2019-03-01", "AFGGOV"},
    {"Ashraf Ghani", "2022-03-01", "AFGELI"},
    {"Hibatullah Akhundzada", "2023-03-01", "AFGGOV"},
    {"Hibatullah Akhundzada", "2019-03-01", "AFG"},
    {"Sheikh Hasina", "2020-03-01", "BGDGOV"},
    {"Sheikh Hasina", "2025-03-01", "BGDELI"},
    {"Muhammad Yunus", "2023-03-01", "BGD"},
    {"Tshering Tobgay", "2016-03-01", "BTNGOV"},
    {"Tshering Tobgay", "2020-03-01", "BTN"},
    {"Lotay Tshering", "2020-03-01", "BTNGOV"},
    {"Mohamed Muizzu", "2024-03-01", "MDVGOV"},
    {"Mohamed Muizzu", "2022-03-01", "MDV"},
    {"Abdulla Yameen", "2020-03-01", "MDVELI"},
    {"KP Sharma Oli", "2019-03-01", "NPLGOV"},
    {"Prachanda", "2023-03-01", "NPLGOV"},
    {"Prachanda", "2020-03-01", "NPLELI"},
    {"Arif Alvi", "2020-03-01", "PAKGOV"},
    {"Arif Alvi", "2025-03-01", "PAK"},
    {"Bilawal Bhutto Zardari", "2023-03-01", "PAKGOV"},
    {"Qamar Javed Bajwa", "2020-03-01", "PAKMIL"},
    {"Ranil Wickremesinghe", "2023-03-01", "LKAGOV"},
    {"Ranil Wickremesinghe", "2025-03-01", "LKAELI"},
    {"Anura Kumara Dissanayake", "2023-03-01", "LKA"},
    {"Hamad bin Isa Al Khalifa", "2020-03-01", "BHRGOV"},
    {"Khalifa bin Salman Al Khalifa", "2019-03-01", "BHRGOV"},
    {"Khalifa bin Salman Al Khalifa", "2021-03-01", "BHR"},
    {"Nicos Anastasiades", "2020-03-01", "CYPGOV"},
    {"Nicos Anastasiades", "2024-03-01", "CYPELI"},
    {"Constantinos Kombos", "2020-03-01", "CYP"},
    {"Hassan Rouhani", "2018-03-01", "IRNGOV"},
    {"Hassan Rouhani", "2023-03-01", "IRNELI"},
    {"Ebrahim Raisi", "2019-03-01", "IRN"},
    {"Mohammad Javad Zarif", "2022-03-01", "IRN"},
    {"Haider al-Abadi", "2016-03-01", "IRQGOV"},
    {"Haider al-Abadi", "2020-03-01", "IRQELI"},
    {"Mustafa al-Kadhimi", "2021-03-01", "IRQGOV"},
    {"Mohammed Shia al-Sudani", "2021-03-01", "IRQ"},
    {"Isaac Herzog", "2022-03-01", "ISRGOV"},
    {"Reuven Rivlin", "2022-03-01", "ISR"},
    {"Yair Lapid", "2023-06-01", "ISROPP"},
    {"Yoav Gallant", "2025-03-01", "ISR"},
    {"King Abdullah II", "2020-03-01", "JORGOV"},
    {"Ayman Safadi", "2020-03-01", "JORGOV"},
    {"Nasser Judeh", "2018-03-01", "JOR"},
    {"Mishal al-Ahmad al-Jaber al-Sabah", "2024-03-01", "KWTGOV"},
    {"Sabah al-Ahmad al-Jaber al-Sabah", "2021-03-01", "KWT"},
    {"Najib Mikati", "2022-03-01", "LBNGOV"},
    {"Joseph Aoun", "2020-03-01", "LBNMIL"},
    {"Joseph Aoun", "2025-03-01", "LBNGOV"},
    {"Saad Hariri", "2022-03-01", "LBNELI"},
    {"Mohammad Shtayyeh", "2020-03-01", "PSEGOV"},
    {"Mohammad Shtayyeh", "2025-03-01", "PSE"},
    {"Tamim bin Hamad Al Thani", "2020-03-01", "QATGOV"},
    {"Khalid bin Khalifa Al Thani", "2024-03-01", "QAT"},
    {"Bashar al-Assad", "2020-03-01", "SYRGOV"},
    {"Bashar al-Assad", "2025-03-01", "SYRELI"},
    {"Asaad al-Shaibani", "2024-03-01", "SYR"},
    {"Mohamed bin Zayed", "2023-03-01", "AREGOV"},
    {"Khalifa bin Zayed Al Nahyan", "2023-03-01", "ARE"},
    {"Abdullah bin Zayed", "2019-03-01", "AREGOV"},
    {"Abdrabbuh Mansur Hadi", "2019-03-01", "YEMGOV"},
    {"Abdrabbuh Mansur Hadi", "2023-03-01", "YEMELI"},
    {"Rashad al-Alimi", "2020-03-01", "YEM"},
    {"Tarique Rahman", "2026-06-01", "BGDGOV"},
    {"Muhammad Yunus", "2026-06-01", "BGD"},
    {"Mojtaba Khamenei", "2026-06-01", "IRNGOV"},
    {"Ali Khamenei", "2026-06-01", "IRN"},
    {"Ali Khamenei", "2025-06-01", "IRNGOV"},
    {"Shaya al-Zindani", "2026-03-01", "YEMGOV"},
    {"Salem bin Breik", "2026-03-01", "YEM"},
    {"Pablo Quirno", "2025-11-01", "ARGGOV"},
    {"Carlos Presti", "2025-06-01", "ARGMIL"},
    {"Chrystia Freeland", "2025-10-01", "CAN"},
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
