// The PETRARCH2 dictionary reader: synsets, paired codes, date restrictions, agents, substitution
// sets, discards, malformed lines and stray bytes.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "dyad/coder/coder.h"
#include "dyad/coder/dictionary.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dyad::coder {
namespace {

using ::testing::HasSubstr;

int64_t Day(int y, int m, int d) { return core::DaysFromCivil({y, m, d}); }

class PetrarchDir {
 public:
  PetrarchDir() {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("dyad_petr_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    Write("test.verbs.txt",
          "<!-- a comment\n spanning lines -->\n"
          "&CURRENCY\n+DOLLAR\n+SWISS FRANC\n\n"
          "&NOPLURAL_\n+GOLD\n\n"
          "--- ARRIVE  [032:033]  ---\nARRIVE   # comment\n"
          "--- CONTRIBUTE [070] ---\nCONTRIBUTE\nSTAB { STABS STABBED}\n"
          "+CORDON_OFF {+CORDONED_OFF +CORDONS_OFF} [1721]\n"
          "- * &CURRENCY [071]  # synset\n- $ NOT_* ^ TO_ + [124]\n- * DIPLXMATIC [###]\n"
          "~ a (a b ATTACK) SAY = a b 015\n");
    Write("test.actors.txt",
          "GONDOR [GON]\n+MINAS_TIRITH\n"
          "GOLLUM  # no default\n+SMEAGOL\n\t[HOB < 950601]\n\t[HOBGOV 19950601 - 19990815]\n"
          "\t[HOBREB > 990816]\n"
          "THE_SHIRE [FRO/BIL/SAM]\n"
          "OLD_KING ; legacy comment\n\t[OKG 320101-331108]\n\t[OKX]\n"
          "LIAMINE_Z\x1aROUAL_ [DZAGOV]\n"
          "BOROMIR [---]\n"
          "ITHILEN TELEVISION [ITHTV]\nITHILEN [ITH]\n");
    Write("test.agents.txt",
          "!MINST! = MINISTER, MINISTRY\n"
          "!MINST!_OF_SILLY_WALKS [~GOV]\n"
          "POLICE {} [ ~COP]\n"
          "GOLDEN_GOOSE {GOLDEN_GEESE} [~GGS]\n"
          "MSF {} [NGO~]\n"
          "CLERIC [~REL]\n");
    Write("test.discards.txt", "+TYPHOON\nBASEBALL\nMONTHS LATER_\n");
  }
  ~PetrarchDir() { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }
  std::string path() const { return dir_.string(); }

 private:
  std::filesystem::path dir_;
};

// The entry of `phrase` (space-separated lower-case words) in the actor trie, or nullptr.
const PhraseEntry* Find(const Dictionaries& d, const std::vector<std::string>& words) {
  const PhraseNode* node = &d.actors;
  for (const auto& w : words) {
    auto it = node->next.find(w);
    if (it == node->next.end()) return nullptr;
    node = it->second.get();
  }
  return node->entries.empty() ? nullptr : &node->entries.front();
}

TEST(PetrarchDictionary, ReadsVerbsSynsetsAndPairedCodes) {
  PetrarchDir dir;
  auto d = LoadDictionaries(dir.path());
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_NE((*d)->petrarch, nullptr);
  const PetrarchDictionaries& p = *(*d)->petrarch;
  ASSERT_EQ(p.blocks.size(), 2u);
  EXPECT_EQ(p.blocks[0].code, "032:033");
  // Synsets: regular plurals unless the label ends in '_'.
  const auto& currency = p.synsets.at("currency");
  EXPECT_THAT(currency, ::testing::Contains(std::vector<std::string>{"dollars"}));
  EXPECT_THAT(currency, ::testing::Contains(std::vector<std::string>{"swiss", "francs"}));
  EXPECT_EQ(p.synsets.at("noplural").size(), 1u);
  // Verb forms: regular ones generated, irregular ones as listed, multi-word with a head.
  EXPECT_TRUE(p.forms_by_head.contains("arrived"));
  EXPECT_TRUE(p.forms_by_head.contains("stabbed"));
  EXPECT_FALSE(p.forms_by_head.contains("stabbing"));  // {…} lists all forms
  ASSERT_TRUE(p.forms_by_head.contains("cordoned"));
  const auto [vi, fi] = p.forms_by_head.at("cordoned").front();
  EXPECT_EQ(p.verbs[static_cast<std::size_t>(vi)].code, "1721");
  EXPECT_EQ(p.verbs[static_cast<std::size_t>(vi)].forms[static_cast<std::size_t>(fi)].words,
            (std::vector<std::string>{"cordoned", "off"}));
  // Patterns: synset, $ ^ + and joins; "[###]" survives the '#' comment rule.
  ASSERT_EQ(p.patterns.size(), 3u);
  EXPECT_EQ(p.patterns[0].after.front().kind, PetrarchToken::Kind::kSynset);
  const PetrarchPattern& extradite = p.patterns[1];
  EXPECT_EQ(extradite.code, "124");
  ASSERT_EQ(extradite.before.size(), 2u);
  EXPECT_EQ(extradite.before[0].kind, PetrarchToken::Kind::kSource);
  EXPECT_TRUE(extradite.verb_joined_before);
  ASSERT_EQ(extradite.after.size(), 3u);
  EXPECT_EQ(extradite.after[0].kind, PetrarchToken::Kind::kSkip);
  EXPECT_EQ(extradite.after[2].kind, PetrarchToken::Kind::kTarget);
  EXPECT_EQ(p.patterns[2].code, "###");
  EXPECT_EQ(p.transformations.size(), 1u);
}

TEST(PetrarchDictionary, ActorsWithDateRestrictions) {
  PetrarchDir dir;
  auto d = LoadDictionaries(dir.path());
  ASSERT_TRUE(d.ok()) << d.status();
  const PetrarchDictionaries& p = *(*d)->petrarch;
  const PhraseEntry* smeagol = Find(**d, {"smeagol"});
  ASSERT_NE(smeagol, nullptr);
  EXPECT_EQ(smeagol->kind, EntryKind::kPetrarchActor);
  const PetrarchActor& gollum = p.actors[static_cast<std::size_t>(smeagol->index)];
  EXPECT_EQ(gollum.CodeOn(Day(1995, 5, 31)), "HOB");
  EXPECT_EQ(gollum.CodeOn(Day(1995, 6, 1)), "HOBGOV");
  EXPECT_EQ(gollum.CodeOn(Day(1999, 8, 15)), "HOBGOV");
  EXPECT_EQ(gollum.CodeOn(Day(1999, 8, 16)), "");  // the gap: no default
  EXPECT_EQ(gollum.CodeOn(Day(2001, 1, 1)), "HOBREB");
  // Two-digit years 30..99 are 19YY.
  const PhraseEntry* king = Find(**d, {"old", "king"});
  ASSERT_NE(king, nullptr);
  const PetrarchActor& old_king = p.actors[static_cast<std::size_t>(king->index)];
  EXPECT_EQ(old_king.CodeOn(Day(1933, 1, 1)), "OKG");
  EXPECT_EQ(old_king.CodeOn(Day(2033, 1, 1)), "OKX");
  EXPECT_NE(Find(**d, {"minas", "tirith"}), nullptr);
  const PhraseEntry* shire = Find(**d, {"the", "shire"});
  ASSERT_NE(shire, nullptr);
  EXPECT_EQ(p.actors[static_cast<std::size_t>(shire->index)].CodeOn(0), "FRO/BIL/SAM");
  // 0x1A is an ordinary byte, not the end of the file: the lines after it are read.
  EXPECT_NE(Find(**d, {"boromir"}), nullptr);
}

TEST(PetrarchDictionary, AgentsAndSubstitutionSets) {
  PetrarchDir dir;
  auto d = LoadDictionaries(dir.path());
  ASSERT_TRUE(d.ok()) << d.status();
  const PetrarchDictionaries& p = *(*d)->petrarch;
  auto agent = [&](std::vector<std::string> words) -> const PetrarchAgent* {
    const PhraseEntry* e = Find(**d, words);
    if (e == nullptr || e->kind != EntryKind::kPetrarchAgent) return nullptr;
    return &p.agents[static_cast<std::size_t>(e->index)];
  };
  ASSERT_NE(agent({"ministry", "of", "silly", "walks"}), nullptr);
  EXPECT_EQ(agent({"minister", "of", "silly", "walks"})->code, "GOV");
  ASSERT_NE(agent({"police"}), nullptr);
  EXPECT_EQ(agent({"police"})->code, "COP");
  EXPECT_EQ(agent({"polices"}), nullptr);  // {}: no plural
  EXPECT_NE(agent({"golden", "geese"}), nullptr);
  ASSERT_NE(agent({"msf"}), nullptr);
  EXPECT_TRUE(agent({"msf"})->prefix);
  EXPECT_EQ(agent({"msf"})->code, "NGO");
  EXPECT_NE(agent({"clerics"}), nullptr);  // regular plural
  EXPECT_FALSE(agent({"cleric"})->prefix);
}

TEST(PetrarchDictionary, DiscardsAndCoding) {
  PetrarchDir dir;
  auto d = LoadDictionaries(dir.path());
  ASSERT_TRUE(d.ok()) << d.status();
  const PetrarchDictionaries& p = *(*d)->petrarch;
  ASSERT_EQ(p.discard_phrases.size(), 3u);
  EXPECT_TRUE(p.discard_story[0]);
  EXPECT_FALSE(p.discard_story[1]);
  EXPECT_EQ(p.discard_phrases[2].first, "months later");
  EXPECT_TRUE(p.discard_phrases[2].second);

  CoderOptions o;
  o.dictionaries_dir = dir.path();
  o.cameo_table_path = std::string(DYAD_SOURCE_DIR) + "/data/cameo/cameo_eventcodes.tsv";
  auto coder = Coder::Load(o);
  ASSERT_TRUE(coder.ok()) << coder.status();
  auto codes = [&](std::string_view text) {
    std::set<std::string> out;
    for (const auto& e : (*coder)->CodeText("t", text, {1996, 1, 1}, false)) {
      out.insert(e.source().code() + ">" + e.target().code() + ":" + e.code());
    }
    return out;
  };
  // Paired code; date restriction; synset pattern; discards.
  EXPECT_EQ(codes("Smeagol arrived in Gondor."),
            (std::set<std::string>{"HOBGOV>GON:032", "GON>HOBGOV:033"}));
  EXPECT_EQ(codes("Gondor contributed swiss francs to the Shire."),
            (std::set<std::string>{"GON>FRO:071", "GON>BIL:071", "GON>SAM:071"}));
  EXPECT_TRUE(codes("Gondor contributed baseballs to the Shire.").empty());
  EXPECT_TRUE(codes("Boromir arrived in Gondor.").empty());  // [---]: the null actor
  // A blank in an actor phrase lets words intervene; '_' does not.
  EXPECT_EQ(codes("Ithilen state-run television arrived in Gondor."),
            (std::set<std::string>{"ITHTV>GON:032", "GON>ITHTV:033"}));
  EXPECT_EQ(codes("Minas state-run Tirith arrived in Ithilen."), (std::set<std::string>{}));
}

struct BadFile {
  std::string file, content, expected;
};
class PetrarchErrorTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(PetrarchErrorTest, NamesFileAndLine) {
  PetrarchDir dir;
  dir.Write(GetParam().file, GetParam().content);
  auto d = LoadDictionaries(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, PetrarchErrorTest,
    ::testing::Values(
        BadFile{"test.verbs.txt", "--- X ---\n",
                "test.verbs.txt:1: verb block header needs a code"},
        BadFile{"test.verbs.txt", "--- X [010] ---\nX\n- * Y\n", "test.verbs.txt:3: pattern needs"},
        BadFile{"test.verbs.txt", "--- X [010] ---\nX\n- Y [011]\n",
                "test.verbs.txt:3: pattern has no '*'"},
        BadFile{"test.verbs.txt", "- * Y [010]\n",
                "test.verbs.txt:1: pattern outside a verb block"},
        BadFile{"test.actors.txt", "\t[GON]\n", "test.actors.txt:1: code line before any actor"},
        BadFile{"test.actors.txt", "GONDOR [GON\n", "test.actors.txt:1: unbalanced"},
        BadFile{"test.agents.txt", "MINISTER [GOV]\n", "test.agents.txt:1: agent code must be"},
        BadFile{"test.agents.txt", "!NOPE!_OF_X [~GOV]\n", "unknown substitution set !NOPE!"}));

TEST(PetrarchDictionary, MalformedRestrictionIsSkipped) {
  PetrarchDir dir;
  dir.Write("test.actors.txt", "GONDOR\n\t[GON 1995-01-01]\n\t[GOX]\n");
  auto d = LoadDictionaries(dir.path());
  ASSERT_TRUE(d.ok()) << d.status();
  const PhraseEntry* e = Find(**d, {"gondor"});
  ASSERT_NE(e, nullptr);
  EXPECT_EQ((*d)->petrarch->actors[static_cast<std::size_t>(e->index)].codes.size(), 1u);
}

TEST(PetrarchDictionary, InvalidUtf8IsRepaired) {
  PetrarchDir dir;
  dir.Write("test.actors.txt",
            "P\xC3\x8A\xC3"
            "BLICAS [PUB]\nGONDOR [GON]\n");
  auto d = LoadDictionaries(dir.path());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_NE(Find(**d, {"gondor"}), nullptr);
}

// The production dictionaries (1.5 MB of actors, 0x1A bytes, mojibake) load.
TEST(PetrarchDictionary, ProductionSetLoads) {
  const std::string dir = std::string(DYAD_SHARED_DIR) + "/reference/petrarch2";
  if (!std::filesystem::exists(dir + "/CAMEO.2.0.txt")) GTEST_SKIP() << "no " << dir;
  auto d = LoadDictionaries(dir);
  ASSERT_TRUE(d.ok()) << d.status();
  const PetrarchDictionaries& p = *(*d)->petrarch;
  EXPECT_GT(p.patterns.size(), 4000u);
  EXPECT_GT(p.actors.size(), 25000u);
  EXPECT_GT(p.agents.size(), 2000u);
  EXPECT_EQ(p.transformations.size(), 8u);
}

}  // namespace
}  // namespace dyad::coder
