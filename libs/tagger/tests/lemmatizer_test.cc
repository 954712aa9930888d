#include "dyad/tagger/lemmatizer.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace dyad::tagger {
namespace {

using ::testing::HasSubstr;

class LemmatizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto l = Lemmatizer::Load(testing::LemmasPath());
    ASSERT_TRUE(l.ok()) << l.status();
    lemmatizer_ = new Lemmatizer(*std::move(l));
  }
  static void TearDownTestSuite() {
    delete lemmatizer_;
    lemmatizer_ = nullptr;
  }
  static Lemmatizer* lemmatizer_;
};

Lemmatizer* LemmatizerTest::lemmatizer_ = nullptr;

TEST_F(LemmatizerTest, IrregularVerbs) {
  const Lemmatizer& l = *lemmatizer_;
  EXPECT_EQ(l.Lemma("took", "VBD"), "take");
  EXPECT_EQ(l.Lemma("sought", "VBD"), "seek");
  EXPECT_EQ(l.Lemma("sought", "VBN"), "seek");
  EXPECT_EQ(l.Lemma("met", "VBD"), "meet");
  EXPECT_EQ(l.Lemma("was", "VBD"), "be");
  EXPECT_EQ(l.Lemma("is", "VBZ"), "be");
  EXPECT_EQ(l.Lemma("made", "VBN"), "make");
  EXPECT_EQ(l.Lemma("said", "VBD"), "say");
  EXPECT_EQ(l.Lemma("has", "VBZ"), "have");
}

TEST_F(LemmatizerTest, RegularVerbs) {
  const Lemmatizer& l = *lemmatizer_;
  EXPECT_EQ(l.Lemma("brokered", "VBD"), "broker");
  EXPECT_EQ(l.Lemma("slapped", "VBD"), "slap");
  EXPECT_EQ(l.Lemma("agreed", "VBN"), "agree");
  EXPECT_EQ(l.Lemma("tied", "VBN"), "tie");
  EXPECT_EQ(l.Lemma("imposing", "VBG"), "impose");
  EXPECT_EQ(l.Lemma("imposed", "VBD"), "impose");
  EXPECT_EQ(l.Lemma("praised", "VBN"), "praise");
  EXPECT_EQ(l.Lemma("killed", "VBN"), "kill");
  EXPECT_EQ(l.Lemma("visited", "VBD"), "visit");
  EXPECT_EQ(l.Lemma("threatens", "VBZ"), "threaten");
  EXPECT_EQ(l.Lemma("tries", "VBZ"), "try");
  EXPECT_EQ(l.Lemma("stopping", "VBG"), "stop");
  EXPECT_EQ(l.Lemma("condemn", "VBP"), "condemn");
  // Upper case input is tolerated.
  EXPECT_EQ(l.Lemma("Imposed", "VBD"), "impose");
}

TEST_F(LemmatizerTest, PluralNouns) {
  const Lemmatizer& l = *lemmatizer_;
  EXPECT_EQ(l.Lemma("talks", "NNS"), "talk");
  EXPECT_EQ(l.Lemma("countries", "NNS"), "country");
  EXPECT_EQ(l.Lemma("tariffs", "NNS"), "tariff");
  EXPECT_EQ(l.Lemma("leaders", "NNS"), "leader");
  EXPECT_EQ(l.Lemma("children", "NNS"), "child");
  EXPECT_EQ(l.Lemma("taxes", "NNS"), "tax");
  EXPECT_EQ(l.Lemma("crises", "NNS"), "crisis");
}

TEST_F(LemmatizerTest, OtherTagsUnchanged) {
  const Lemmatizer& l = *lemmatizer_;
  EXPECT_EQ(l.Lemma("talks", "NN"), "talks");
  EXPECT_EQ(l.Lemma("better", Xpos::kJJR), "better");
  EXPECT_EQ(l.Lemma("killed", "NOT-A-TAG"), "killed");
  EXPECT_EQ(l.Lemma("", "VBD"), "");
}

TEST(LemmatizerRulesTest, SuffixRulesWithoutTable) {
  const Lemmatizer rules;
  EXPECT_EQ(rules.Lemma("slapped", "VBD"), "slap");
  EXPECT_EQ(rules.Lemma("agreed", "VBD"), "agree");
  EXPECT_EQ(rules.Lemma("tied", "VBD"), "tie");
  EXPECT_EQ(rules.Lemma("tried", "VBD"), "try");
  EXPECT_EQ(rules.Lemma("imposing", "VBG"), "impose");
  EXPECT_EQ(rules.Lemma("making", "VBG"), "make");
  EXPECT_EQ(rules.Lemma("hoped", "VBD"), "hope");
  EXPECT_EQ(rules.Lemma("killed", "VBD"), "kill");
  EXPECT_EQ(rules.Lemma("brokered", "VBD"), "broker");
  EXPECT_EQ(rules.Lemma("dying", "VBG"), "die");
  EXPECT_EQ(rules.Lemma("eyed", "VBN"), "eye");
  EXPECT_EQ(rules.Lemma("used", "VBN"), "use");
  EXPECT_EQ(rules.Lemma("using", "VBG"), "use");
  EXPECT_EQ(rules.Lemma("going", "VBG"), "go");
  EXPECT_EQ(rules.Lemma("passes", "VBZ"), "pass");
  EXPECT_EQ(rules.Lemma("countries", "NNS"), "country");
  EXPECT_EQ(rules.Lemma("boxes", "NNS"), "box");
  EXPECT_EQ(rules.Lemma("chairmen", "NNS"), "chairman");
  EXPECT_EQ(rules.Lemma("status", "NNS"), "status");
}

TEST(LemmatizerLoadTest, Errors) {
  EXPECT_EQ(Lemmatizer::Load(::testing::TempDir() + "/missing.tsv").status().code(),
            absl::StatusCode::kNotFound);
  auto bad = Lemmatizer::FromText("# ok\nirregular\tVBD\ttook\n", "t.tsv");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("t.tsv:2"));
  EXPECT_EQ(Lemmatizer::FromText("irregular\tJJ\tbest\tgood\n", "t").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Lemmatizer::FromText("base\tX\tgo\n", "t").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Lemmatizer::FromText("whatever\n", "t").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto ok = Lemmatizer::FromText("irregular\tVBD\tfled\tflee\nbase\tV\tflee\n", "t");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->Lemma("fled", "VBN"), "flee");  // VBN falls back to the VBD entry
  EXPECT_EQ(ok->irregular_count(), 1u);
  EXPECT_EQ(ok->base_count(), 1u);
}

TEST(LemmaTableTest, BuildsIrregularsFromTreebankLemmas) {
  auto sentences = ParseConllu(
      "1\tthey\tthey\tPRON\tPRP\t_\t2\tnsubj\t_\t_\n"
      "2\tfled\tflee\tVERB\tVBD\t_\t0\troot\t_\t_\n"
      "3\twalked\twalk\tVERB\tVBD\t_\t2\tconj\t_\t_\n"
      "4\tcollages\tcollege\tNOUN\tNNS\tTypo=Yes\t2\tobj\t_\t_\n",
      "t");
  ASSERT_TRUE(sentences.ok());
  const std::string table = BuildLemmaTable(*sentences, "# test\n");
  EXPECT_THAT(table, HasSubstr("irregular\tVBD\tfled\tflee\n"));
  EXPECT_THAT(table, ::testing::Not(HasSubstr("walked")));    // the rules get it
  EXPECT_THAT(table, ::testing::Not(HasSubstr("collages")));  // typo
  EXPECT_THAT(table, HasSubstr("base\tV\twalk\n"));
  auto l = Lemmatizer::FromText(table, "t");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->Lemma("fled", "VBD"), "flee");
}

}  // namespace
}  // namespace dyad::tagger
