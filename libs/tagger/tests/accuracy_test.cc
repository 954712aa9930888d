// The shipped model and lemma table, measured on the UD English EWT test split.
#include "dyad/tagger/conllu.h"
#include "dyad/tagger/evaluation.h"
#include "dyad/tagger/lemmatizer.h"
#include "dyad/tagger/pos_tagger.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace dyad::tagger {
namespace {

TEST(AccuracyTest, ShippedModelOnTestSplit) {
  auto tagger = PosTagger::Load(testing::ModelPath());
  ASSERT_TRUE(tagger.ok()) << tagger.status();
  auto test = ReadConllu(testing::TreebankPath("test"));
  ASSERT_TRUE(test.ok()) << test.status();
  ASSERT_GT(test->size(), 2000u);

  const TagAccuracy acc = Evaluate(*tagger, *test);
  EXPECT_EQ(acc.words, 25094);
  EXPECT_GE(acc.upos(), 0.95);
  EXPECT_GE(acc.xpos(), 0.94);
  RecordProperty("upos", std::to_string(acc.upos()));
  RecordProperty("xpos", std::to_string(acc.xpos()));
}

TEST(AccuracyTest, VerbLemmasOnTestSplit) {
  auto lemmatizer = Lemmatizer::Load(testing::LemmasPath());
  ASSERT_TRUE(lemmatizer.ok()) << lemmatizer.status();
  auto test = ReadConllu(testing::TreebankPath("test"));
  ASSERT_TRUE(test.ok()) << test.status();
  const LemmaAccuracy gold = EvaluateLemmas(*lemmatizer, *test, "VERB");
  EXPECT_GT(gold.words, 2000);
  EXPECT_GE(gold.accuracy(), 0.98);
  const LemmaAccuracy nouns = EvaluateLemmas(*lemmatizer, *test, "NOUN");
  EXPECT_GE(nouns.accuracy(), 0.97);
}

}  // namespace
}  // namespace dyad::tagger
