#include "dyad/coder/dictionary.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "dyad/coder/coder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dyad::coder {
namespace {

using ::testing::HasSubstr;

int64_t Day(int y, int m, int d) { return core::DaysFromCivil({y, m, d}); }

// A throw-away dictionary directory with minimal valid files.
class DictDir {
 public:
  DictDir() {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("dyad_dict_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    Write("countries.txt",
          "# test\nPAK | Pakistan | Pakistani | Islamabad\nUSA | United States | US, "
          "U.S. | Washington\n");
    Write("igos.txt", "IGOUNO | United Nations | UN\n");
    Write("actors.txt",
          "Marco Rubio | Rubio | USALEG 2011-01-03..2025-01-20; USAGOV 2025-01-21..\n");
    Write("agents.txt", "GOV | foreign minister\n");
    Write("verbs.txt", "051 | *praise\n");
  }
  ~DictDir() { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
  }
  void Remove(const std::string& name) { std::filesystem::remove(dir_ / name); }
  std::string path() const { return dir_.string(); }

 private:
  std::filesystem::path dir_;
};

TEST(DictionaryTest, LoadsMinimalDirectory) {
  DictDir dir;
  auto d = LoadDictionaries(dir.path());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ((*d)->countries.size(), 2u);
  EXPECT_EQ((*d)->people.size(), 1u);
  EXPECT_EQ((*d)->patterns.size(), 1u);
  EXPECT_TRUE((*d)->verb_lemmas.contains("praise"));
}

TEST(DictionaryTest, ReadsExtraActorFilesInNameOrder) {
  DictDir dir;
  dir.Write("actors.b.txt", "Shehbaz Sharif | | PAKGOV 2024-03-04..\n");
  dir.Write("actors.a.txt", "Ishaq Dar | Dar | PAKGOV 2024-03-11..\n");
  dir.Write("actors.txt.bak", "not | a | dictionary file\n");
  auto d = LoadDictionaries(dir.path());
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ((*d)->people.size(), 3u);
  EXPECT_EQ((*d)->people[1].name, "Ishaq Dar");
  EXPECT_EQ((*d)->people[2].name, "Shehbaz Sharif");
}

TEST(DictionaryTest, NameUsedByTwoPeopleNamesBothPlaces) {
  DictDir dir;
  dir.Write("actors.extra.txt", "\nMarco Antonio Rubio | rubio | USAGOV 2025..\n");
  auto d = LoadDictionaries(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("actors.extra.txt:2: \"rubio\" already names someone at "
                        "actors.txt:1"));
}

TEST(DictionaryTest, PlacesAreOptionalAndChecked) {
  DictDir dir;
  dir.Write("places.txt", "# gazetteer\nKarachi | PAK | city | Karachee\nSindh | PAK | admin1\n");
  auto d = LoadDictionaries(dir.path());
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ((*d)->places.size(), 2u);
  EXPECT_EQ((*d)->places[0].name, "Karachi");
  EXPECT_FALSE((*d)->places[0].admin1);
  EXPECT_TRUE((*d)->places[1].admin1);
  EXPECT_EQ((*d)->countries[static_cast<std::size_t>((*d)->places[1].country)].code, "PAK");
  for (const auto& [content, message] : std::vector<std::pair<std::string, std::string>>{
           {"Lyon | FRA | city\n", "places.txt:1: unknown country code FRA"},
           {"Karachi | PAK | town\n", "places.txt:1: precision must be city or admin1"},
           {"Karachi | PAK\n", "places.txt:1: expected Name | CODE | city/admin1 | aliases"}}) {
    dir.Write("places.txt", content);
    auto bad = LoadDictionaries(dir.path());
    ASSERT_FALSE(bad.ok()) << content;
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(message));
  }
}

TEST(DictionaryTest, MissingRequiredFileIsNotFound) {
  DictDir dir;
  dir.Remove("verbs.txt");
  auto d = LoadDictionaries(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("verbs.txt"));
}

TEST(DictionaryTest, PetrarchDirectoryWithoutVerbsIsNotFound) {
  DictDir dir;
  dir.Remove("countries.txt");
  dir.Remove("verbs.txt");
  dir.Write("Phoenix.Countries.actors.txt", "PAKISTAN_ [PAK]\n");
  auto d = LoadDictionaries(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("PETRARCH verbs file"));
}

struct BadLine {
  std::string file;
  std::string content;
  std::string expected;  // substring of the message
};

class DictionaryErrorTest : public ::testing::TestWithParam<BadLine> {};

TEST_P(DictionaryErrorTest, NamesFileAndLine) {
  DictDir dir;
  dir.Write(GetParam().file, GetParam().content);
  std::map<std::string, int> known = {{"051", 0}, {"04", 1}};
  auto d = LoadDictionaries(dir.path(), &known);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Files, DictionaryErrorTest,
    ::testing::Values(
        BadLine{"countries.txt", "PAK | Pakistan\nPAKI | Pakistan\n",
                "countries.txt:2: country code"},
        BadLine{"countries.txt", "PAK | Pakistan\nPAK | Pakistan\n",
                "countries.txt:2: country PAK defined twice"},
        BadLine{"countries.txt", "# c\n\nPAK\n", "countries.txt:3: expected CODE | name"},
        BadLine{"actors.txt", "Marco Rubio | Rubio | USAGOV 2025-13-01..\n",
                "actors.txt:1: bad date"},
        BadLine{"actors.txt", "Marco Rubio | Rubio | USAGOV 2025..2020\n", "ends before it starts"},
        BadLine{"actors.txt", "Marco Rubio | Rubio | XYZGOV\n",
                "actors.txt:1: actor code \"XYZGOV\""},
        BadLine{"actors.txt", "Marco Rubio | Rubio\n",
                "actors.txt:1: expected Name | aliases | roles"},
        BadLine{"agents.txt", "GOVERNMENT | government\n", "agents.txt:1: role code"},
        BadLine{"verbs.txt", "051 | *praise\n999 | *frobnicate\n",
                "verbs.txt:2: event code 999 is not in the CAMEO table"},
        BadLine{"verbs.txt", "04x | *talk\n", "verbs.txt:1: event code must be 2 to 4 digits"},
        BadLine{"verbs.txt", "04 | $ *talk\n", "verbs.txt:1: a pattern must start with a word"},
        BadLine{"verbs.txt", "04 | *talk $ $\n", "at most one $"},
        BadLine{"verbs.txt", "04 | *talk ~\n", "cannot end with ~"},
        BadLine{"modifiers.txt", "MAYBE | perhaps\n", "modifiers.txt:1: KIND must be"},
        BadLine{"references.txt", "PAIR\n", "references.txt:1: expected KIND | phrase"},
        BadLine{"countries.txt", "PAK | Pak\xff\n", "invalid UTF-8"}));

TEST(PersonTest, RoleDependsOnTheDate) {
  Person p;
  p.name = "Marco Rubio";
  DatedRole leg{"USALEG", true, *ParseBoundDay("2011-01-03", false),
                *ParseBoundDay("2025-01-20", true)};
  DatedRole gov{"USAGOV", true, *ParseBoundDay("2025-01-21", false), INT64_MAX};
  p.roles = {leg, gov};
  bool in_role = false;
  EXPECT_EQ(p.CodeOn(Day(2025, 9, 13), &in_role), "USAGOV");
  EXPECT_TRUE(in_role);
  EXPECT_EQ(p.CodeOn(Day(2025, 1, 21), &in_role), "USAGOV");
  EXPECT_EQ(p.CodeOn(Day(2025, 1, 20), &in_role), "USALEG");
  EXPECT_EQ(p.CodeOn(Day(2015, 6, 1), &in_role), "USALEG");
  EXPECT_EQ(p.CodeOn(Day(2005, 6, 1), &in_role), "USALEG");  // nearest, but not in office
  EXPECT_FALSE(in_role);
  p.roles.push_back(DatedRole{"USAELI", false, INT64_MIN, INT64_MAX});
  EXPECT_EQ(p.CodeOn(Day(2005, 6, 1), &in_role), "USAELI");
  EXPECT_TRUE(in_role);
}

TEST(PersonTest, BoundDays) {
  EXPECT_EQ(ParseBoundDay("2017", false), Day(2017, 1, 1));
  EXPECT_EQ(ParseBoundDay("2017", true), Day(2017, 12, 31));
  EXPECT_EQ(ParseBoundDay("2024-02", true), Day(2024, 2, 29));
  EXPECT_EQ(ParseBoundDay("2025-01-21", false), Day(2025, 1, 21));
  EXPECT_FALSE(ParseBoundDay("2025-1-2", false).has_value());
  EXPECT_FALSE(ParseBoundDay("soon", false).has_value());
}

TEST(DictionaryTest, SplitCodeUsesKnownPrefixes) {
  DictDir dir;
  auto d = LoadDictionaries(dir.path());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)->SplitCode("PAKGOV"),
            (std::pair<std::string, std::vector<std::string>>{"PAK", {"GOV"}}));
  EXPECT_EQ((*d)->SplitCode("IGOUNO").first, "IGOUNO");
  EXPECT_EQ((*d)->SplitCode("USAGOVMIL").second, (std::vector<std::string>{"GOV", "MIL"}));
  EXPECT_EQ((*d)->SplitCode("XYZGOV").first, "");
}

TEST(CameoTableTest, FallsBackToBaseAndRoot) {
  auto t = CameoTable::Load(std::string(DYAD_SOURCE_DIR) + "/data/cameo/cameo_eventcodes.tsv");
  ASSERT_TRUE(t.ok()) << t.status();
  const CameoCode* c = t->Find("0871");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->quad_class, 2);
  EXPECT_DOUBLE_EQ(c->goldstein, 9.0);
  EXPECT_EQ(t->Find("041")->goldstein, 1.0);
  EXPECT_EQ(t->Find("0419")->code, "041");  // unknown 4-digit → base
  EXPECT_EQ(t->Find("049")->code, "04");    // unknown base → root
  EXPECT_EQ(t->Find("99"), nullptr);
  EXPECT_EQ(t->Find("163")->quad_class, 4);
}

TEST(CameoTableTest, BadRowsNameTheLine) {
  const auto path = std::filesystem::temp_directory_path() / "dyad_cameo_bad.tsv";
  std::ofstream(path) << "code\tname\tgoldstein\tquad_class\n01\tX\t0.0\t1\n02\tY\tlots\t1\n";
  auto t = CameoTable::Load(path.string());
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("dyad_cameo_bad.tsv:3: bad goldstein"));
  std::ofstream(path) << "a\tb\n";
  EXPECT_THAT(std::string(CameoTable::Load(path.string()).status().message()),
              HasSubstr(":1: header"));
  std::filesystem::remove(path);
}

TEST(ToneLexiconTest, LoadsVader) {
  auto lex = ToneLexicon::Load(std::string(DYAD_SOURCE_DIR) + "/data/tone/vader_lexicon.txt");
  ASSERT_TRUE(lex.ok()) << lex.status();
  EXPECT_GT(*lex->Valence("good"), 0);
  EXPECT_LT(*lex->Valence("horrible"), 0);
  EXPECT_FALSE(lex->Valence("pakistan").has_value());
}

TEST(CoderLoadTest, ShippedDataLoadsAndMissingDirFails) {
  auto ok = Coder::Load(DefaultCoderOptions());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_THAT((*ok)->version(), ::testing::MatchesRegex("dyad-coder/0\\.1\\+[0-9a-f]{8}"));
  CoderOptions bad = DefaultCoderOptions();
  bad.dictionaries_dir = "/nonexistent/dyad";
  auto missing = Coder::Load(bad);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("/nonexistent/dyad/countries.txt"));
}

TEST(CoderLoadTest, DataDirFromEnvironment) {
  ::setenv("DYAD_DATA_DIR", "/tmp/dyad-data", 1);
  EXPECT_EQ(DefaultCoderOptions().cameo_table_path, "/tmp/dyad-data/cameo/cameo_eventcodes.tsv");
  ::unsetenv("DYAD_DATA_DIR");
  EXPECT_EQ(DefaultCoderOptions().cameo_table_path,
            std::string(DYAD_SOURCE_DIR) + "/data/cameo/cameo_eventcodes.tsv");
}

}  // namespace
}  // namespace dyad::coder
