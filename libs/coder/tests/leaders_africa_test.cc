// Office holders of the African Union states (data/dictionaries/actors.leaders-africa.txt): a name
// codes to its government only while in office.
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

class LeadersAfricaTest : public ::testing::TestWithParam<Case> {
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
TEST_P(LeadersAfricaTest, CodeOnDate) {
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
    {"Abdel Fattah al-Sisi", "2020-03-01", "EGYGOV"},
    {"Moussa Faki Mahamat", "2020-05-01", "IGOAFRAFU"},
    {"Moussa Faki", "2015-05-01", "TCDGOV"},
    {"Nkosazana Dlamini-Zuma", "2016-01-10", "IGOAFRAFU"},
    {"Abdelaziz Bouteflika", "2016-03-01", "DZAGOV"},
    {"Abdelmadjid Tebboune", "2018-06-01", "DZA"},
    {"Abdelmadjid Tebboune", "2023-01-01", "DZAGOV"},
    {"Joao Lourenco", "2019-01-01", "AGOGOV"},
    {"Jose Eduardo dos Santos", "2018-01-01", "AGO"},
    {"Patrice Talon", "2020-01-01", "BENGOV"},
    {"Mokgweetsi Masisi", "2020-01-01", "BWAGOV"},
    {"Mokgweetsi Masisi", "2025-01-01", "BWA"},
    {"Duma Boko", "2025-06-01", "BWAGOV"},
    {"Ibrahim Traore", "2023-05-01", "BFAGOV"},
    {"Roch Marc Christian Kabore", "2018-01-01", "BFAGOV"},
    {"Paul-Henri Sandaogo Damiba", "2021-06-01", "BFAMIL"},
    {"Evariste Ndayishimiye", "2022-01-01", "BDIGOV"},
    {"Pierre Nkurunziza", "2016-01-01", "BDIGOV"},
    {"Paul Biya", "2019-01-01", "CMRGOV"},
    {"Ulisses Correia e Silva", "2019-01-01", "CPVGOV"},
    {"Faustin-Archange Touadera", "2020-01-01", "CAFGOV"},
    {"Mahamat Idriss Deby", "2022-01-01", "TCDGOV"},
    {"Idriss Deby", "2022-01-01", "TCD"},
    {"Azali Assoumani", "2020-01-01", "COMGOV"},
    {"Denis Sassou Nguesso", "2020-01-01", "COGGOV"},
    {"Felix Tshisekedi", "2021-01-01", "CODGOV"},
    {"Felix Tshisekedi", "2017-01-01", "CODOPP"},
    {"Joseph Kabila", "2020-01-01", "COD"},
    {"Ismail Omar Guelleh", "2020-01-01", "DJIGOV"},
    {"Mostafa Madbouly", "2020-01-01", "EGYGOV"},
    {"Teodoro Obiang Nguema Mbasogo", "2020-01-01", "GNQGOV"},
    {"Isaias Afwerki", "2020-01-01", "ERIGOV"},
    {"Mswati III", "2020-01-01", "SWZGOV"},
    {"Abiy Ahmed", "2020-01-01", "ETHGOV"},
    {"Hailemariam Desalegn", "2019-01-01", "ETH"},
    {"Brice Clotaire Oligui Nguema", "2024-01-01", "GABGOV"},
    {"Brice Clotaire Oligui Nguema", "2022-01-01", "GABMIL"},
    {"Ali Bongo", "2024-01-01", "GAB"},
    {"Adama Barrow", "2020-01-01", "GMBGOV"},
    {"Yahya Jammeh", "2018-01-01", "GMB"},
    {"John Dramani Mahama", "2025-03-01", "GHAGOV"},
    {"John Dramani Mahama", "2020-01-01", "GHAOPP"},
    {"Nana Akufo-Addo", "2020-01-01", "GHAGOV"},
    {"Mamady Doumbouya", "2022-01-01", "GINGOV"},
    {"Alpha Conde", "2022-01-01", "GIN"},
    {"Umaro Sissoco Embalo", "2022-01-01", "GNBGOV"},
    {"Alassane Ouattara", "2020-01-01", "CIVGOV"},
    {"William Ruto", "2023-01-01", "KENGOV"},
    {"Uhuru Kenyatta", "2023-01-01", "KEN"},
    {"Sam Matekane", "2023-01-01", "LSOGOV"},
    {"Joseph Boakai", "2024-06-01", "LBRGOV"},
    {"George Weah", "2024-06-01", "LBROPP"},
    {"Abdul Hamid Dbeibah", "2022-01-01", "LBYGOV"},
    {"Fayez al-Sarraj", "2019-01-01", "LBYGOV"},
    {"Khalifa Haftar", "2019-01-01", "LBYMIL"},
    {"Andry Rajoelina", "2020-01-01", "MDGGOV"},
    {"Lazarus Chakwera", "2022-01-01", "MWIGOV"},
    {"Peter Mutharika", "2022-01-01", "MWIOPP"},
    {"Assimi Goita", "2022-01-01", "MLIGOV"},
    {"Ibrahim Boubacar Keita", "2022-01-01", "MLI"},
    {"Mohamed Ould Ghazouani", "2021-01-01", "MRTGOV"},
    {"Pravind Jugnauth", "2020-01-01", "MUSGOV"},
    {"Mohammed VI", "2020-01-01", "MARGOV"},
    {"Aziz Akhannouch", "2022-01-01", "MARGOV"},
    {"Filipe Nyusi", "2020-01-01", "MOZGOV"},
    {"Daniel Chapo", "2020-01-01", "MOZ"},
    {"Hage Geingob", "2020-01-01", "NAMGOV"},
    {"Netumbo Nandi-Ndaitwah", "2025-06-01", "NAMGOV"},
    {"Mohamed Bazoum", "2022-01-01", "NERGOV"},
    {"Mohamed Bazoum", "2024-01-01", "NER"},
    {"Abdourahamane Tchiani", "2024-01-01", "NERGOV"},
    {"Muhammadu Buhari", "2020-01-01", "NGAGOV"},
    {"Muhammadu Buhari", "2024-01-01", "NGA"},
    {"Paul Kagame", "2020-01-01", "RWAGOV"},
    {"Carlos Vila Nova", "2023-01-01", "STPGOV"},
    {"Bassirou Diomaye Faye", "2025-01-01", "SENGOV"},
    {"Macky Sall", "2025-01-01", "SEN"},
    {"Ousmane Sonko", "2023-01-01", "SENOPP"},
    {"Wavel Ramkalawan", "2022-01-01", "SYCGOV"},
    {"Julius Maada Bio", "2020-01-01", "SLEGOV"},
    {"Hassan Sheikh Mohamud", "2023-01-01", "SOMGOV"},
    {"Hassan Sheikh Mohamud", "2019-01-01", "SOM"},
    {"Salva Kiir", "2020-01-01", "SSDGOV"},
    {"Abdel Fattah al-Burhan", "2021-01-01", "SDNGOV"},
    {"Omar al-Bashir", "2021-01-01", "SDN"},
    {"Mohamed Hamdan Dagalo", "2024-01-01", "SDNREB"},
    {"Samia Suluhu Hassan", "2022-01-01", "TZAGOV"},
    {"John Magufuli", "2022-01-01", "TZA"},
    {"Faure Gnassingbe", "2020-01-01", "TGOGOV"},
    {"Kais Saied", "2022-01-01", "TUNGOV"},
    {"Kais Saied", "2018-01-01", "TUN"},
    {"Yoweri Museveni", "2020-01-01", "UGAGOV"},
    {"Hakainde Hichilema", "2022-01-01", "ZMBGOV"},
    {"Edgar Lungu", "2022-01-01", "ZMBOPP"},
    {"Emmerson Mnangagwa", "2020-01-01", "ZWEGOV"},
    {"Robert Mugabe", "2019-01-01", "ZWE"},
    {"Tedros", "2020-01-01", "IGOUNOHLHWHO"},
    {"Tedros Adhanom Ghebreyesus", "2015-06-01", "ETHGOV"},
    {"Ramtane Lamamra", "2022-01-01", "DZAGOV"},
    {"Ramtane Lamamra", "2020-01-01", "DZA"},
    {"Ahmed Attaf", "2024-01-01", "DZAGOV"},
    {"Tete Antonio", "2022-01-01", "AGOGOV"},
    {"Lejeune Mbella Mbella", "2020-01-01", "CMRGOV"},
    {"Joseph Beti Assomo", "2020-01-01", "CMRGOV"},
    {"Jean-Claude Gakosso", "2020-01-01", "COGGOV"},
    {"Therese Kayikwamba Wagner", "2025-01-01", "CODGOV"},
    {"Christophe Lutundula", "2025-01-01", "COD"},
    {"Jean-Pierre Bemba", "2018-01-01", "CODOPP"},
    {"Sameh Shoukry", "2020-01-01", "EGYGOV"},
    {"Sameh Shoukry", "2025-01-01", "EGY"},
    {"Badr Abdelatty", "2025-01-01", "EGYGOV"},
    {"Mohamed Ahmed Zaki", "2020-01-01", "EGYGOV"},
    {"Mohamed Ahmed Zaki", "2025-01-01", "EGYMIL"},
    {"Osman Saleh", "2020-01-01", "ERIGOV"},
    {"Demeke Mekonnen", "2022-01-01", "ETHGOV"},
    {"Shirley Ayorkor Botchwey", "2020-01-01", "GHAGOV"},
    {"Samuel Okudzeto Ablakwa", "2025-06-01", "GHAGOV"},
    {"Dominic Nitiwul", "2020-01-01", "GHAGOV"},
    {"Tene Birahima Ouattara", "2023-01-01", "CIVGOV"},
    {"Raychelle Omamo", "2021-01-01", "KENGOV"},
    {"Musalia Mudavadi", "2024-01-01", "KENGOV"},
    {"Aden Duale", "2023-01-01", "KENGOV"},
    {"Najla Mangoush", "2022-01-01", "LBYGOV"},
    {"Abdoulaye Diop", "2023-01-01", "MLIGOV"},
    {"Sadio Camara", "2023-01-01", "MLIGOV"},
    {"Nasser Bourita", "2020-01-01", "MARGOV"},
    {"Bakary Yaou Sangare", "2024-01-01", "NERGOV"},
    {"Salifou Mody", "2024-01-01", "NERGOV"},
    {"Geoffrey Onyeama", "2020-01-01", "NGAGOV"},
    {"Geoffrey Onyeama", "2024-01-01", "NGA"},
    {"Yusuf Tuggar", "2024-01-01", "NGAGOV"},
    {"Bashir Salihi Magashi", "2021-01-01", "NGAGOV"},
    {"Mohammed Badaru Abubakar", "2024-01-01", "NGAGOV"},
    {"Louise Mushikiwabo", "2016-01-01", "RWAGOV"},
    {"Vincent Biruta", "2021-01-01", "RWAGOV"},
    {"Yassine Fall", "2024-06-01", "SENGOV"},
    {"Ibrahim Ghandour", "2017-01-01", "SDNGOV"},
    {"Ibrahim Ghandour", "2019-01-01", "SDN"},
    {"Liberata Mulamula", "2022-01-01", "TZAGOV"},
    {"Othman Jerandi", "2021-06-01", "TUNGOV"},
    {"Nabil Ammar", "2023-06-01", "TUNGOV"},
    {"Mohamed Ali Nafti", "2025-01-01", "TUNGOV"},
    {"Jeje Odongo", "2022-01-01", "UGAGOV"},
    {"Jacob Oboth-Oboth", "2025-01-01", "UGAGOV"},
    {"Sibusiso Moyo", "2019-01-01", "ZWEGOV"},
    {"Khalifa Haftar", "2024-01-01", "LBYMIL"},
    {"Moussa Faki", "2019-01-01", "IGOAFRAFU"},
    {"Robert Dussey", "2020-01-01", "TGOGOV"},
    {"Aurelien Agbenonci", "2020-01-01", "BENGOV"},
    {"Sylvie Baipo-Temon", "2022-01-01", "CAFGOV"},
    {"Sara Beysolow Nyanti", "2025-01-01", "LBRGOV"},
    {"Timothy Musa Kabba", "2024-01-01", "SLEGOV"},
    {"Malik Agar", "2024-01-01", "SDNGOV"},
    {"Malik Agar", "2015-01-01", "SDNREB"},
    {"Sahle-Work Zewde", "2025-01-01", "ETH"},
    {"Mohamed Hamdan Dagalo", "2021-01-01", "SDNGOV"},
    {"Abdalla Hamdok", "2021-11-01", "SDN"},
    {"Abdalla Hamdok", "2021-12-01", "SDNGOV"},
    {"Michel Kafando", "2015-09-20", "BFA"},
    {"Gilbert Diendere", "2015-09-20", "BFAGOV"},
    {"Jean-Pierre Bemba", "2024-01-01", "CODGOV"},
    {"Riek Machar", "2018-01-01", "SSDOPP"},
    {"Riek Machar", "2021-01-01", "SSDGOV"},
    {"Andry Rajoelina", "2023-10-15", "MDGOPP"},
    {"Philemon Yang", "2025-01-01", "IGOUNO"},
    {"Philemon Yang", "2017-01-01", "CMRGOV"},
    {"Fayez al-Sarraj", "2022-01-01", "LBY"},
    {"Hassan Ali Khaire", "2022-01-01", "SOM"},
    {"Ali Lamine Zeine", "2024-01-01", "NERGOV"},
    {"Yemi Osinbajo", "2024-01-01", "NGA"},
    {"Ahmed Gaid Salah", "2018-01-01", "DZAGOV"},
    {"Albert Pahimi Padacke", "2019-06-01", "TCD"},
    {"Kassim Majaliwa", "2020-01-01", "TZAGOV"},
    {"Rigathi Gachagua", "2025-01-01", "KENOPP"},
    {"Tom Thabane", "2016-01-01", "LSO"},
    {"Tom Thabane", "2018-01-01", "LSOGOV"},
    {"Kais Said", "2022-01-01", "TUNGOV"},
    {"Ibrahim Boubacar Keïta", "2016-01-01", "MLIGOV"},
    {"Félix Tshisekedi", "2022-01-01", "CODGOV"},
    {"Christopher Musa", "2026-03-01", "NGAGOV"},
    {"Christopher Musa", "2024-06-01", "NGAMIL"},
    {"Mohammed Badaru Abubakar", "2026-03-01", "NGA"},
    {"Horta Inta-A", "2026-03-01", "GNBGOV"},
    {"Horta N'Tam", "2024-01-01", "GNBMIL"},
    {"Umaro Sissoco Embalo", "2026-03-01", "GNB"},
    {"Braima Camara", "2025-10-01", "GNBGOV"},
    {"Leon Kacou Adom", "2026-03-01", "CIV"},
    {"Kassim Majaliwa", "2026-03-01", "TZA"},
    {"Nadir Larbaoui", "2025-10-01", "DZA"},
    {"Michael Randrianirina", "2026-01-01", "MDGGOV"},
    {"Andry Rajoelina", "2026-01-01", "MDGOPP"},
    {"Ashraf Salem Zaher", "2026-06-01", "EGYGOV"},
    {"Abdel Mageed Saqr", "2026-06-01", "EGYMIL"},
    {"Maria Benvinda Levi", "2025-06-01", "MOZGOV"},
    {"Americo Ramos", "2025-06-01", "STPGOV"},
    {"Patrice Trovoada", "2025-06-01", "STP"},
    {"Riek Machar", "2025-12-01", "SSDOPP"},
};

INSTANTIATE_TEST_SUITE_P(Terms, LeadersAfricaTest, ::testing::ValuesIn(kCases),
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
