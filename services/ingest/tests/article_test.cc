#include "dyad/ingest/article.h"

#include <gtest/gtest.h>

#include "dyad/core/ids.h"

namespace dyad::ingest {
namespace {

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2025, 9, 15, 12, 0, 0), absl::UTCTimeZone());

absl::StatusOr<dyad::v1::Article> Build(ArticleInput input, BuildOptions options = {}) {
  return BuildArticle(input, options, kNow);
}

ArticleInput Text(std::string text) {
  ArticleInput input;
  input.text = std::move(text);
  return input;
}

// The field BuildArticle names for `input`, or "OK".
std::string Rejected(ArticleInput input, BuildOptions options = {}) {
  auto article = Build(std::move(input), options);
  if (article.ok()) return "OK";
  EXPECT_EQ(article.status().code(), absl::StatusCode::kInvalidArgument) << article.status();
  EXPECT_EQ(article.status().message().substr(0, InvalidField(article.status()).size() + 2),
            InvalidField(article.status()) + ": ");
  return InvalidField(article.status());
}

TEST(NormalizeText, LineEndingsTrimAndBlankLines) {
  EXPECT_EQ(NormalizeText("a\r\nb\rc\n"), "a\nb\nc");
  EXPECT_EQ(NormalizeText("\xEF\xBB\xBF  first  \n\n\n   second\t\n  "), "first\nsecond");
  EXPECT_EQ(NormalizeText("tab\there\x01\x7f!"), "tab here!");
  EXPECT_EQ(NormalizeText(" \n\t\r\n "), "");
  EXPECT_EQ(NormalizeText("Pakistan’s"), "Pakistan’s");
}

TEST(CanonicalUrl, LowerCasesDropsFragmentUtmAndTrailingSlash) {
  EXPECT_EQ(*CanonicalUrl("HTTPS://Arab.News/6r5g7"), "https://arab.news/6r5g7");
  EXPECT_EQ(*CanonicalUrl("https://arab.news/6r5g7/#top"), "https://arab.news/6r5g7");
  EXPECT_EQ(*CanonicalUrl("https://arab.news:443/6r5g7?utm_source=x&UTM_medium=y"),
            "https://arab.news/6r5g7");
  EXPECT_EQ(*CanonicalUrl("https://example.com/a/?id=3&utm_campaign=z&b=2#frag"),
            "https://example.com/a?id=3&b=2");
  EXPECT_EQ(*CanonicalUrl("http://example.com:80/"), "http://example.com");
  EXPECT_EQ(*CanonicalUrl("http://example.com:8080/Path/Case"),
            "http://example.com:8080/Path/Case");
  EXPECT_FALSE(CanonicalUrl("ftp://example.com/a").ok());
  EXPECT_FALSE(CanonicalUrl("arab.news/6r5g7").ok());
  EXPECT_FALSE(CanonicalUrl("https:///path").ok());
  EXPECT_FALSE(CanonicalUrl("https://exa mple.com/").ok());
  EXPECT_FALSE(CanonicalUrl("https://example.com:http/").ok());
  EXPECT_EQ(InvalidField(CanonicalUrl("mailto://x").status()), "url");
}

TEST(SourceFromUrl, HostWithoutWww) {
  EXPECT_EQ(SourceFromUrl("https://www.VOAnews.com/a/x.html"), "voanews.com");
  EXPECT_EQ(SourceFromUrl("https://arab.news/6r5g7"), "arab.news");
  EXPECT_EQ(SourceFromUrl("http://example.com:8080/x"), "example.com");
  EXPECT_EQ(SourceFromUrl("not a url"), "");
}

TEST(FindDateline, RecognisesCommonForms) {
  EXPECT_EQ(FindDateline("ISLAMABAD: US Secretary of State Marco Rubio"), "ISLAMABAD");
  EXPECT_EQ(FindDateline("NEW DELHI: India said"), "NEW DELHI");
  EXPECT_EQ(FindDateline("WASHINGTON (Reuters) — The US said"), "WASHINGTON");
  EXPECT_EQ(FindDateline("KABUL, Afghanistan — Taliban officials"), "KABUL");
  EXPECT_EQ(FindDateline("PORT-AU-PRINCE - Gangs"), "PORT-AU-PRINCE");
  EXPECT_EQ(FindDateline("ISLAMABAD: x\nsecond paragraph"), "ISLAMABAD");
  EXPECT_EQ(FindDateline("U.S. Secretary of State Marco Rubio said"), "");
  EXPECT_EQ(FindDateline("US President Donald Trump: a profile"), "");
  EXPECT_EQ(FindDateline("The talks: what we know"), "");
  EXPECT_EQ(FindDateline("A: b"), "");
  EXPECT_EQ(FindDateline("ISLAMABAD:no space"), "");
  EXPECT_EQ(FindDateline(""), "");
}

TEST(BuildArticle, MinimalTextGetsContentIdAndDefaults) {
  auto article = Build(Text("  Pakistan and the US discussed ties.\r\n\r\nSecond paragraph.  "));
  ASSERT_TRUE(article.ok()) << article.status();
  EXPECT_EQ(article->body(), "Pakistan and the US discussed ties.\nSecond paragraph.");
  EXPECT_EQ(article->id(), core::StableId("c-", article->body()));
  EXPECT_EQ(article->content_hash(), core::Sha256Hex(article->body()));
  EXPECT_EQ(article->language(), "en");
  EXPECT_EQ(article->url(), "");
  EXPECT_EQ(article->source(), "");
  EXPECT_EQ(article->published_at_origin(), dyad::v1::PUBLISHED_AT_ORIGIN_INGEST_TIME);
  EXPECT_EQ(article->published_at().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(article->ingested_at().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(article->dateline(), "");
  EXPECT_EQ(article->summary_size(), 0);
}

TEST(BuildArticle, SameArticleTwiceGetsSameId) {
  ArticleInput input = Text("Body text.");
  input.url = "https://arab.news/6r5g7";
  auto first = BuildArticle(input, {}, kNow);
  auto second = BuildArticle(input, {}, kNow + absl::Hours(5));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->id(), second->id());
  EXPECT_EQ(first->id(), core::StableId("u-", "https://arab.news/6r5g7"));
  // The same story under a decorated URL is the same article.
  input.url = "HTTPS://ARAB.NEWS/6r5g7/?utm_source=twitter#comments";
  input.text = "Body text, edited.";
  auto third = Build(input);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->id(), first->id());
  EXPECT_EQ(third->url(), "HTTPS://ARAB.NEWS/6r5g7/?utm_source=twitter#comments");
  // Without a URL, the same text (after normalisation) is the same article.
  auto a = Build(Text("Same text.\nTwo lines."));
  auto b = Build(Text("  Same text.\r\n\r\nTwo lines.\n"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->id(), b->id());
  EXPECT_EQ(a->id().substr(0, 2), "c-");
  auto c = Build(Text("Other text."));
  EXPECT_NE(c->id(), a->id());
}

TEST(BuildArticle, MetadataFromUrlAndStatedFields) {
  ArticleInput input = Text("ISLAMABAD: Dar received a call.");
  input.url = "https://www.arabnews.com/node/1";
  input.title = "  Pakistan,\n US   ties ";
  input.published_at = absl::FromUnixSeconds(1757808000);
  input.language = "en-GB";
  auto article = Build(input);
  ASSERT_TRUE(article.ok()) << article.status();
  EXPECT_EQ(article->source(), "arabnews.com");
  EXPECT_EQ(article->title(), "Pakistan, US ties");
  EXPECT_EQ(article->dateline(), "ISLAMABAD");
  EXPECT_EQ(article->body(), "ISLAMABAD: Dar received a call.");
  EXPECT_EQ(article->language(), "en-GB");
  EXPECT_EQ(article->published_at().seconds(), 1757808000);
  EXPECT_EQ(article->published_at_origin(), dyad::v1::PUBLISHED_AT_ORIGIN_STATED);
  input.source = "Arab News";
  EXPECT_EQ(Build(input)->source(), "Arab News");
}

TEST(BuildArticle, SummaryBulletsRecognisedInText) {
  auto article =
      Build(Text("- first point\n-   second  point\nISLAMABAD: The body.\n- not a bullet"));
  ASSERT_TRUE(article.ok());
  ASSERT_EQ(article->summary_size(), 2);
  EXPECT_EQ(article->summary(0), "first point");
  EXPECT_EQ(article->summary(1), "second point");
  EXPECT_EQ(article->body(), "ISLAMABAD: The body.\n- not a bullet");
  EXPECT_EQ(article->dateline(), "ISLAMABAD");
  // Only bullets: they are the body.
  auto only = Build(Text("- a\n- b"));
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->summary_size(), 0);
  EXPECT_EQ(only->body(), "- a\n- b");
  // Stated summary: text untouched.
  ArticleInput stated = Text("- kept in body\nBody.");
  stated.summary = {"- one", " two "};
  auto s = Build(stated);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->summary_size(), 2);
  EXPECT_EQ(s->summary(0), "one");
  EXPECT_EQ(s->summary(1), "two");
  EXPECT_EQ(s->body(), "- kept in body\nBody.");
}

TEST(BuildArticle, RejectsBadText) {
  EXPECT_EQ(Rejected(Text("")), "text");
  EXPECT_EQ(Rejected(Text(" \n\t \r\n")), "text");
  auto bad = Build(Text("Hello\xC3(world"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(InvalidField(bad.status()), "text");
  EXPECT_NE(bad.status().message().find("byte offset 5"), std::string::npos) << bad.status();
  BuildOptions small;
  small.max_article_bytes = 10;
  EXPECT_EQ(Rejected(Text("0123456789"), small), "OK");
  auto big = Build(Text("0123456789A"), small);
  EXPECT_EQ(InvalidField(big.status()), "text");
  EXPECT_NE(big.status().message().find("--max-article-bytes"), std::string::npos);
}

TEST(BuildArticle, RejectsBadFields) {
  ArticleInput input = Text("Body.");
  input.title = std::string(1025, 'x');
  EXPECT_EQ(Rejected(input), "title");
  input.title = "bad \xFF title";
  EXPECT_EQ(Rejected(input), "title");
  input.title = "";

  for (const char* url : {"ftp://example.com/x", "javascript:alert(1)", "example.com/x", "https://",
                          "https://exa mple.com", "https://user@example.com/"}) {
    input.url = url;
    EXPECT_EQ(Rejected(input), "url") << url;
  }
  input.url = "https://example.com/" + std::string(3000, 'a');
  EXPECT_EQ(Rejected(input), "url");
  input.url = "";

  input.published_at = absl::FromCivil(absl::CivilDay(1899, 12, 31), absl::UTCTimeZone());
  EXPECT_EQ(Rejected(input), "published_at");
  input.published_at = kNow + absl::Hours(48);
  EXPECT_EQ(Rejected(input), "published_at");
  input.published_at = kNow + absl::Hours(2);  // clock skew is fine
  EXPECT_EQ(Rejected(input), "OK");
  input.published_at = absl::FromCivil(absl::CivilDay(1900, 1, 1), absl::UTCTimeZone());
  EXPECT_EQ(Rejected(input), "OK");
  input.published_at.reset();

  input.language = "english please";
  EXPECT_EQ(Rejected(input), "language");
  input.language = "x";
  EXPECT_EQ(Rejected(input), "language");
  input.language = "";

  input.source = std::string(300, 's');
  EXPECT_EQ(Rejected(input), "source");
  input.source = "";

  input.summary = std::vector<std::string>(65, "bullet");
  EXPECT_EQ(Rejected(input), "summary");
  input.summary = {"ok", "bad \xC0\x80"};
  EXPECT_EQ(Rejected(input), "summary");
}

TEST(FieldError, CarriesTheField) {
  const auto status = FieldError("url", "is wrong");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "url: is wrong");
  EXPECT_EQ(InvalidField(status), "url");
  EXPECT_EQ(InvalidField(absl::InvalidArgumentError("x")), "");
}

}  // namespace
}  // namespace dyad::ingest
