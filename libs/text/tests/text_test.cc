#include <string>
#include <string_view>
#include <vector>

#include "dyad/text/date_expressions.h"
#include "dyad/text/normalize.h"
#include "dyad/text/sentences.h"
#include "dyad/text/tokens.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dyad::text {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> SentenceTexts(std::string_view text) {
  std::vector<std::string> out;
  for (const Span& s : SplitSentences(text))
    out.emplace_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

std::vector<std::string> TokenTexts(std::string_view text) {
  std::vector<std::string> out;
  for (const Token& t : Tokenize(text)) out.push_back(t.text);
  return out;
}

TEST(NormalizeTest, CurlyQuotesBecomeAsciiAndOffsetsMapBack) {
  const std::string original = "Pakistan\u2019s \u201cties\u201d \u2014 ok";
  const NormalizedText n = Normalize(original);
  EXPECT_EQ(n.text, "Pakistan's \"ties\" - ok");
  ASSERT_EQ(n.offsets.size(), n.text.size() + 1);
  // "ties" in the normalised text maps to "ties" in the original.
  const std::size_t b = n.text.find("ties");
  EXPECT_EQ(original.substr(n.Original(b), n.Original(b + 4) - n.Original(b)), "ties");
  EXPECT_EQ(n.Original(n.text.size()), original.size());
}

TEST(NormalizeTest, LowerIsAsciiOnly) { EXPECT_EQ(ToLower("U.S. Café"), "u.s. café"); }

TEST(SentencesTest, AbbreviationsTitlesAndInitialsDoNotSplit) {
  EXPECT_THAT(SentenceTexts("Mr. Smith met Gen. Asim Munir in Jan. 2024 in the U.S. capital. "
                            "J. R. Jones spoke. Talks ended."),
              ElementsAre("Mr. Smith met Gen. Asim Munir in Jan. 2024 in the U.S. capital.",
                          "J. R. Jones spoke.", "Talks ended."));
}

TEST(SentencesTest, AcronymEndsSentenceBeforeAFunctionWord) {
  EXPECT_THAT(
      SentenceTexts("Exports went to the U.S. The deficit grew. U.S. officials said so."),
      ElementsAre("Exports went to the U.S.", "The deficit grew.", "U.S. officials said so."));
}

TEST(SentencesTest, QuotesStayWithTheirSentence) {
  EXPECT_THAT(SentenceTexts("\"We agreed,\" he said. \"Is it over?\" she asked. \"Yes.\" Then "
                            "silence!"),
              ElementsAre("\"We agreed,\" he said.", "\"Is it over?\" she asked.", "\"Yes.\"",
                          "Then silence!"));
}

TEST(SentencesTest, ParagraphsSplit) {
  EXPECT_THAT(SentenceTexts("First line without stop\nSecond one."),
              ElementsAre("First line without stop", "Second one."));
}

TEST(SentencesTest, LongRunsAreCutInBoundedPieces) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "word ";
  const auto spans = SplitSentences(text, SplitOptions{.max_sentence_bytes = 1000});
  ASSERT_GT(spans.size(), 400u);
  for (const Span& s : spans) EXPECT_LE(s.end - s.begin, 1000u);
  std::string nospace(300000, 'x');
  for (const Span& s : SplitSentences(nospace)) EXPECT_LE(s.end - s.begin, 2000u);
}

TEST(DatelineTest, Forms) {
  auto d = FindDateline("ISLAMABAD: US Secretary of State Marco Rubio");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->place, (Span{0, 9}));
  EXPECT_EQ(d->body_begin, 11u);
  d = FindDateline("NEW DELHI, Sept 14 (AP) - India said");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->place, (Span{0, 9}));
  d = FindDateline("WASHINGTON (Reuters) -- The talks");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->place, (Span{0, 10}));
  EXPECT_FALSE(FindDateline("US Secretary of State Marco Rubio said: yes").has_value());
  EXPECT_FALSE(FindDateline("The talks: a summary").has_value());
  EXPECT_FALSE(FindDateline("").has_value());
}

TEST(TokensTest, OffsetsAndSplits) {
  EXPECT_THAT(TokenTexts("Pakistan's U.S. ties didn't fade; high-level Pakistan-US $5.44 "
                         "2023-2024 countries' O'Brien."),
              ElementsAre("Pakistan", "'s", "U.S.", "ties", "did", "n't", "fade", ";", "high-level",
                          "Pakistan", "-", "US", "$", "5.44", "2023-2024", "countries", "'",
                          "O'Brien", "."));
  const std::string text = "Rubio called Dar.";
  const auto tokens = Tokenize(text, 100);
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens[1].begin, 106u);
  EXPECT_EQ(tokens[1].end, 112u);
  EXPECT_EQ(tokens[1].lower, "called");
  EXPECT_EQ(tokens[0].kind, TokenKind::kWord);
  EXPECT_EQ(tokens[3].kind, TokenKind::kPunctuation);
}

TEST(TokensTest, BoundedOnGarbage) {
  std::string garbage;
  for (int i = 0; i < 200000; ++i) garbage.push_back(static_cast<char>((i * 7919) % 256));
  EXPECT_LE(Tokenize(garbage, 0, 400).size(), 400u);
}

TEST(LemmaTest, RegularAndIrregular) {
  EXPECT_EQ(VerbLemma("discussed"), "discuss");
  EXPECT_EQ(VerbLemma("praised"), "praise");
  EXPECT_EQ(VerbLemma("slapped"), "slap");
  EXPECT_EQ(VerbLemma("finalizing"), "finalize");
  EXPECT_EQ(VerbLemma("brokered"), "broker");
  EXPECT_EQ(VerbLemma("agreed"), "agree");
  EXPECT_EQ(VerbLemma("tries"), "try");
  EXPECT_EQ(VerbLemma("signs"), "sign");
  EXPECT_EQ(VerbLemma("took"), "take");
  EXPECT_EQ(VerbLemma("withdrew"), "withdraw");
  EXPECT_EQ(VerbLemma("negotiated"), "negotiate");
  EXPECT_EQ(VerbLemma("called"), "call");
  EXPECT_EQ(VerbLemma("imposes"), "impose");
  EXPECT_EQ(VerbLemma("discusses"), "discuss");
  EXPECT_EQ(VerbLemma("reaffirmed"), "reaffirm");
  const auto c = VerbLemmaCandidates("received");
  EXPECT_NE(std::find(c.begin(), c.end(), "receive"), c.end());
  EXPECT_TRUE(LooksPastParticiple("praised"));
  EXPECT_TRUE(LooksPastParticiple("taken"));
  EXPECT_FALSE(LooksPastParticiple("praise"));
}

struct DateCase {
  std::string sentence;
  std::string text;
  std::string date;
  DateGranularity granularity;
  DateResolution resolution;
};

class DateExpressionTest : public ::testing::TestWithParam<DateCase> {};

TEST_P(DateExpressionTest, Resolves) {
  const DateCase& c = GetParam();
  const auto tokens = Tokenize(c.sentence);
  const auto found = FindDateExpressions(tokens, c.sentence, 0, {2025, 9, 14});
  ASSERT_EQ(found.size(), 1u) << c.sentence;
  EXPECT_EQ(found[0].text, c.text);
  EXPECT_EQ(core::FormatIsoDate(found[0].date), c.date);
  EXPECT_EQ(found[0].granularity, c.granularity);
  EXPECT_EQ(found[0].resolution, c.resolution);
}

using G = DateGranularity;
using R = DateResolution;
INSTANTIATE_TEST_SUITE_P(
    Seed, DateExpressionTest,
    ::testing::Values(
        DateCase{"He called on Saturday night.", "on Saturday", "2025-09-13", G::kDay,
                 R::kRelative},
        DateCase{"They met yesterday.", "yesterday", "2025-09-13", G::kDay, R::kRelative},
        DateCase{"They meet today.", "today", "2025-09-14", G::kDay, R::kRelative},
        DateCase{"It happened last Sunday.", "last Sunday", "2025-09-07", G::kDay, R::kRelative},
        DateCase{"They spoke on Monday.", "on Monday", "2025-09-08", G::kDay, R::kRelative},
        DateCase{"They talked this week.", "this week", "2025-09-08", G::kWeek, R::kRelative},
        DateCase{"They talked last week.", "last week", "2025-09-01", G::kWeek, R::kRelative},
        DateCase{"A ceasefire in May held.", "in May", "2025-05-01", G::kMonth, R::kPartial},
        DateCase{"A deal in July.", "in July", "2025-07-01", G::kMonth, R::kPartial},
        DateCase{"A default in June 2023.", "in June 2023", "2023-06-01", G::kMonth, R::kAbsolute},
        DateCase{"Talks in December failed.", "in December", "2024-12-01", G::kMonth, R::kPartial},
        DateCase{"Signed on July 3, 2024 in Doha.", "on July 3, 2024", "2024-07-03", G::kDay,
                 R::kAbsolute},
        DateCase{"Signed on Sept. 3 in Doha.", "on Sept. 3", "2025-09-03", G::kDay, R::kPartial},
        DateCase{"Signed on 3 August in Doha.", "on 3 August", "2025-08-03", G::kDay, R::kPartial},
        DateCase{"It began in 2019.", "in 2019", "2019-01-01", G::kYear, R::kAbsolute},
        DateCase{"Ties improved last month.", "last month", "2025-08-01", G::kMonth,
                 R::kRelative}));

TEST(DateExpressionTest, MayAsAModalIsNotAMonth) {
  const std::string s = "May they agree? Talks may resume.";
  EXPECT_TRUE(FindDateExpressions(Tokenize(s), s, 0, {2025, 9, 14}).empty());
}

TEST(DateExpressionTest, RangeGivesBothEnds) {
  const std::string s = "From July 2024 to February 2025, exports rose.";
  const auto found = FindDateExpressions(Tokenize(s), s, 0, {2025, 9, 14});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].text, "From July 2024");
  EXPECT_EQ(core::FormatIsoDate(found[1].date), "2025-02-01");
}

}  // namespace
}  // namespace dyad::text
