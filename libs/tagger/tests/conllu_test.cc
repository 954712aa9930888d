#include "dyad/tagger/conllu.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dyad::tagger {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kText =
    "# newdoc id = d\n"
    "# sent_id = s1\n"
    "# text = They don't hold high-level talks.\n"
    "1\tThey\tthey\tPRON\tPRP\t_\t3\tnsubj\t_\t_\n"
    "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_\n"
    "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_\n"
    "4\thold\thold\tVERB\tVB\t_\t0\troot\t_\t_\n"
    "5\thigh\thigh\tADJ\tJJ\t_\t7\tamod\t_\tSpaceAfter=No\n"
    "6\t-\t-\tPUNCT\tHYPH\t_\t7\tpunct\t_\tSpaceAfter=No\n"
    "7\tlevel\tlevel\tNOUN\tNN\t_\t8\tcompound\t_\t_\n"
    "8\ttalks\ttalk\tNOUN\tNNS\t_\t4\tobj\t_\tSpaceAfter=No\n"
    "8.1\tx\tx\t_\t_\t_\t_\t_\t_\t_\n"
    "9\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_\n"
    "\n"
    "# sent_id = s2\n"
    "1\tal\tal\tPROPN\tNNP\t_\t0\troot\t_\tSpaceAfter=No\n"
    "2\t-\t-\tPUNCT\tHYPH\t_\t3\tpunct\t_\tSpaceAfter=No\n"
    "3\tQaeda\tQaeda\tPROPN\tNNP\t_\t1\tflat\t_\t_\n"
    "4\tleft\tleave\tVERB\tVBD\t_\t1\tparataxis\t_\t_\n";

TEST(ConlluTest, ParsesWordsAndSkipsRangesAndEmptyNodes) {
  auto s = ParseConllu(kText, "inline");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 2u);
  const auto& first = (*s)[0];
  EXPECT_EQ(first.id, "s1");
  ASSERT_EQ(first.words.size(), 9u);
  EXPECT_EQ(first.words[1].form, "do");
  EXPECT_EQ(first.words[2].form, "n't");
  EXPECT_EQ(first.words[2].lemma, "not");
  EXPECT_EQ(first.words[4].upos, "ADJ");
  EXPECT_FALSE(first.words[4].space_after);
  EXPECT_TRUE(first.words[3].space_after);
  EXPECT_EQ(first.words[7].head, 4);
  EXPECT_EQ((*s)[1].words.size(), 4u);  // no blank line at the end
}

TEST(ConlluTest, MergesHyphenatedCompounds) {
  auto s = ParseConllu(kText, "inline");
  ASSERT_TRUE(s.ok());
  int merged = 0;
  const ConlluSentence m = MergeHyphenated((*s)[0], &merged);
  EXPECT_EQ(merged, 1);
  ASSERT_EQ(m.words.size(), 7u);
  EXPECT_EQ(m.words[4].form, "high-level");
  EXPECT_EQ(m.words[4].upos, "ADJ");  // a compound modifier becomes JJ
  EXPECT_EQ(m.words[4].xpos, "JJ");
  EXPECT_EQ(m.words[4].head, 6);  // "talks", renumbered
  EXPECT_EQ(m.words[5].head, 4);  // "hold"

  const ConlluSentence q = MergeHyphenated((*s)[1], &merged);
  EXPECT_EQ(merged, 1);
  ASSERT_EQ(q.words.size(), 2u);
  EXPECT_EQ(q.words[0].form, "al-Qaeda");
  EXPECT_EQ(q.words[0].xpos, "NNP");
  EXPECT_EQ(q.words[1].head, 1);

  // Nothing to merge: unchanged.
  const ConlluSentence same = MergeHyphenated(q, &merged);
  EXPECT_EQ(merged, 0);
  EXPECT_EQ(same.words.size(), 2u);
}

TEST(ConlluTest, Errors) {
  auto bad = ParseConllu("# c\n1\tonly\tthree\n", "f.conllu");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("f.conllu:2"));
  EXPECT_EQ(ReadConllu(::testing::TempDir() + "/missing.conllu").status().code(),
            absl::StatusCode::kNotFound);
  auto empty = ParseConllu("", "e");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace dyad::tagger
