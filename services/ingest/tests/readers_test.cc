#include "dyad/ingest/readers.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "dyad/core/ids.h"
#include "test_util.h"

namespace dyad::ingest {
namespace {

using testing::TempDir;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2025, 9, 15, 12, 0, 0), absl::UTCTimeZone());
const std::string kSeed = std::string(DYAD_SHARED_DIR) + "/examples/000_5447edb819e78dad.txt";
const std::string kVoa = std::string(DYAD_SHARED_DIR) + "/reference/news/voa_articles.jsonl";

struct Collected {
  std::vector<SourceRecord> records;
  std::vector<RecordError> errors;
  std::vector<std::string> Messages() const {
    std::vector<std::string> out;
    for (const auto& e : errors) out.push_back(e.ToString());
    return out;
  }
};

Collected Read(const std::filesystem::path& file, ReadOptions options = {}) {
  Collected c;
  auto status = ReadArticleFile(
      file, options,
      [&](SourceRecord r) {
        c.records.push_back(std::move(r));
        return absl::OkStatus();
      },
      [&](RecordError e) { c.errors.push_back(std::move(e)); });
  EXPECT_TRUE(status.ok()) << status;
  return c;
}

TEST(SeedFormat, ParsesTheSeedExample) {
  Collected c = Read(kSeed);
  ASSERT_EQ(c.errors.size(), 0u) << c.Messages()[0];
  ASSERT_EQ(c.records.size(), 1u);
  const SourceRecord& r = c.records[0];
  EXPECT_EQ(r.line, 1);
  EXPECT_EQ(r.text_line, 4);
  EXPECT_EQ(r.input.url, "https://arab.news/6r5g7");
  ASSERT_EQ(r.input.summary.size(), 2u);
  EXPECT_EQ(r.input.summary[0].substr(0, 32), "Washington’s ties with Islamab");
  EXPECT_EQ(r.input.text.substr(0, 11), "ISLAMABAD: ");
  EXPECT_FALSE(r.input.published_at.has_value());

  auto article = BuildArticle(r.input, {}, kNow);
  ASSERT_TRUE(article.ok()) << article.status();
  EXPECT_EQ(article->id(), core::StableId("u-", "https://arab.news/6r5g7"));
  EXPECT_EQ(article->source(), "arab.news");
  EXPECT_EQ(article->dateline(), "ISLAMABAD");
  EXPECT_EQ(article->summary_size(), 2);
  EXPECT_EQ(article->body().substr(0, 25), "ISLAMABAD: US Secretary o");
  EXPECT_EQ(article->body().find("- Pakistan, US have"), std::string::npos);
  EXPECT_NE(article->body().find("telephone call from Rubio on Saturday night"), std::string::npos);
  EXPECT_EQ(std::count(article->body().begin(), article->body().end(), '\n'), 8);
  EXPECT_EQ(article->published_at_origin(), dyad::v1::PUBLISHED_AT_ORIGIN_INGEST_TIME);
}

TEST(SeedFormat, PublishedAtOptionStatesTheDate) {
  ReadOptions options;
  options.published_at = absl::FromCivil(absl::CivilDay(2025, 9, 14), absl::UTCTimeZone());
  Collected c = Read(kSeed, options);
  ASSERT_EQ(c.records.size(), 1u);
  auto article = BuildArticle(c.records[0].input, {}, kNow);
  ASSERT_TRUE(article.ok());
  EXPECT_EQ(article->published_at_origin(), dyad::v1::PUBLISHED_AT_ORIGIN_STATED);
  EXPECT_EQ(article->published_at().seconds(), absl::ToUnixSeconds(*options.published_at));
}

TEST(SeedFormat, VariantsAndErrors) {
  ReadOptions options;
  int text_line = 0;
  // No URL line: everything after the bullets is the body.
  auto no_url = ParseSeedText("- bullet\nThe body starts here.\n", options, &text_line);
  ASSERT_TRUE(no_url.ok());
  EXPECT_EQ(no_url->url, "");
  EXPECT_EQ(no_url->summary, std::vector<std::string>{"bullet"});
  EXPECT_EQ(text_line, 2);
  // CRLF, BOM, blank lines between parts.
  auto crlf = ParseSeedText("\xEF\xBB\xBFhttps://x.org/a\r\n\r\n- one\r\n\r\nBody\r\n", options,
                            &text_line);
  ASSERT_TRUE(crlf.ok());
  EXPECT_EQ(crlf->url, "https://x.org/a");
  EXPECT_EQ(crlf->summary, std::vector<std::string>{"one"});
  EXPECT_EQ(text_line, 5);
  auto built = BuildArticle(*crlf, {}, kNow);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->body(), "Body");
  // A first line with spaces is body text, not a URL.
  auto prose = ParseSeedText("Not a URL: just text.\nMore.", options, &text_line);
  ASSERT_TRUE(prose.ok());
  EXPECT_EQ(prose->url, "");
  EXPECT_EQ(text_line, 1);
  EXPECT_EQ(InvalidField(ParseSeedText("", options).status()), "text");
  EXPECT_EQ(InvalidField(ParseSeedText(" \n\r\n", options).status()), "text");
  auto bad = ParseSeedText("https://x.org/a\nok\nbad \xFE byte", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 3"), std::string::npos) << bad.status();
}

TEST(SeedFormat, BadFilesAreReportedWithFileAndLine) {
  TempDir dir;
  Collected empty = Read(dir.Write("empty.txt", ""));
  ASSERT_EQ(empty.errors.size(), 1u);
  EXPECT_EQ(empty.records.size(), 0u);
  EXPECT_NE(empty.Messages()[0].find("empty.txt: text: the file is empty"), std::string::npos)
      << empty.Messages()[0];

  Collected latin1 = Read(dir.Write("latin1.txt", "https://x.org/a\nCaf\xE9 au lait\n"));
  ASSERT_EQ(latin1.errors.size(), 1u);
  EXPECT_EQ(latin1.errors[0].line, 2);
  EXPECT_NE(latin1.Messages()[0].find("latin1.txt:2: text: invalid UTF-8 at byte offset 19"),
            std::string::npos)
      << latin1.Messages()[0];

  ReadOptions small;
  small.max_record_bytes = 100;
  Collected big = Read(dir.Write("big.txt", std::string(101, 'a')), small);
  ASSERT_EQ(big.errors.size(), 1u);
  EXPECT_NE(big.Messages()[0].find("over the limit of 100"), std::string::npos);

  Collected only_bullets = Read(dir.Write("bullets.txt", "https://x.org/a\n- one\n- two\n"));
  ASSERT_EQ(only_bullets.records.size(), 1u);  // BuildArticle rejects its empty text
  EXPECT_EQ(InvalidField(BuildArticle(only_bullets.records[0].input, {}, kNow).status()), "text");
}

TEST(JsonLines, ReadsAllVoaArticles) {
  Collected c = Read(kVoa);
  EXPECT_EQ(c.errors.size(), 0u);
  ASSERT_EQ(c.records.size(), 59u);
  std::set<std::string> ids;
  for (const auto& r : c.records) {
    auto article = BuildArticle(r.input, {}, kNow);
    ASSERT_TRUE(article.ok()) << r.file << ":" << r.line << ": " << article.status();
    EXPECT_EQ(article->id().substr(0, 2), "u-");
    EXPECT_EQ(article->source(), "voanews.com");
    EXPECT_FALSE(article->title().empty());
    EXPECT_EQ(article->published_at_origin(), dyad::v1::PUBLISHED_AT_ORIGIN_STATED);
    ids.insert(article->id());
  }
  EXPECT_EQ(ids.size(), 59u);
  EXPECT_EQ(c.records[0].line, 1);
  EXPECT_EQ(c.records[58].line, 59);
  EXPECT_EQ(c.records[0].input.title, "Iraq says key Islamic State leader is dead");
  EXPECT_EQ(*c.records[0].input.published_at,
            absl::FromCivil(absl::CivilSecond(2025, 3, 14, 20, 30, 26), absl::UTCTimeZone()));
}

TEST(JsonLines, ParsesOptionalFields) {
  ReadOptions options;
  options.published_at = absl::FromUnixSeconds(1000000000);
  auto full = ParseJsonRecord(
      R"({"url":"https://x.org/a","title":"T","published_at":1757808000,"text":"Body",)"
      R"("source":"X","language":"fr","summary":["s1","s2"],"extra":{"ignored":true}})",
      options);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->url, "https://x.org/a");
  EXPECT_EQ(full->title, "T");
  EXPECT_EQ(full->source, "X");
  EXPECT_EQ(full->language, "fr");
  EXPECT_EQ(full->summary, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(*full->published_at, absl::FromUnixSeconds(1757808000));
  // Missing or null optional fields: defaults, and --published-at stands in for the date.
  auto minimal = ParseJsonRecord(R"({"text":"Body","url":null,"published_at":null})", options);
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->url, "");
  EXPECT_EQ(minimal->title, "");
  EXPECT_EQ(*minimal->published_at, absl::FromUnixSeconds(1000000000));
  auto offset = ParseJsonRecord(R"({"text":"B","published_at":"2025-03-14T20:30:26+05:00"})", {});
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(*offset->published_at,
            absl::FromCivil(absl::CivilSecond(2025, 3, 14, 15, 30, 26), absl::UTCTimeZone()));
}

TEST(JsonLines, EachBadRecordNamesItsProblem) {
  auto field = [](std::string_view line) {
    auto r = ParseJsonRecord(line, {});
    EXPECT_FALSE(r.ok()) << line;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return InvalidField(r.status());
  };
  EXPECT_EQ(field(R"({"url":"https://x.org/a"})"), "text");
  EXPECT_EQ(field(R"({"text":null})"), "text");
  EXPECT_EQ(field(R"({"text":42})"), "text");
  EXPECT_EQ(field(R"({"text":"B","url":7})"), "url");
  EXPECT_EQ(field(R"({"text":"B","title":["x"]})"), "title");
  EXPECT_EQ(field(R"({"text":"B","source":{}})"), "source");
  EXPECT_EQ(field(R"({"text":"B","language":true})"), "language");
  EXPECT_EQ(field(R"({"text":"B","published_at":"yesterday"})"), "published_at");
  EXPECT_EQ(field(R"({"text":"B","published_at":1.5})"), "published_at");
  EXPECT_EQ(field(R"({"text":"B","summary":"one"})"), "summary");
  EXPECT_EQ(field(R"({"text":"B","summary":[1]})"), "summary");
  EXPECT_EQ(field(R"({"text":"B")"), "");                               // malformed
  EXPECT_EQ(field(R"(["text","B"])"), "");                              // not an object
  EXPECT_EQ(field("{\"text\":\"caf\xE9\"}"), "");                       // invalid UTF-8
  EXPECT_EQ(field(std::string(100, '[') + std::string(100, ']')), "");  // nested too deep
  EXPECT_NE(ParseJsonRecord("{\"text\":\"caf\xE9\"}", {}).status().message().find("byte offset 12"),
            std::string::npos);
}

TEST(JsonLines, BadLinesDoNotStopTheFile) {
  TempDir dir;
  ReadOptions options;
  options.max_record_bytes = 200;
  const std::string huge = R"({"text":")" + std::string(5000, 'x') + R"("})";
  const auto file = dir.Write("mixed.jsonl",
                              "{\"text\":\"one\"}\n"       // 1 good
                              "\n"                         // 2 blank: skipped
                              "{\"text\":\n"               // 3 malformed
                              "{\"title\":\"no text\"}\n"  // 4 missing text
                              "{\"text\":\"two\"}\r\n"     // 5 good (CRLF)
                              "{\"text\":\"\xFF\"}\n" +    // 6 invalid UTF-8
                                  huge +
                                  "\n" +                    // 7 too long
                                  "[1,2]\n"                 // 8 not an object
                                  "{\"text\":\"three\"}");  // 9 good, no final newline
  Collected c = Read(file, options);
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.records[0].input.text, "one");
  EXPECT_EQ(c.records[1].input.text, "two");
  EXPECT_EQ(c.records[1].line, 5);
  EXPECT_EQ(c.records[2].input.text, "three");
  EXPECT_EQ(c.records[2].line, 9);
  ASSERT_EQ(c.errors.size(), 5u);
  const std::vector<int> lines = {3, 4, 6, 7, 8};
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(c.errors[i].line, lines[i]) << c.Messages()[i];
    EXPECT_EQ(c.errors[i].file, file.string());
  }
  EXPECT_NE(c.Messages()[0].find("mixed.jsonl:3: malformed JSON"), std::string::npos);
  EXPECT_NE(c.Messages()[1].find("mixed.jsonl:4: text: is missing"), std::string::npos);
  EXPECT_NE(c.Messages()[3].find("over the limit of 200"), std::string::npos);
}

TEST(JsonLines, EmptyFilesAreErrors) {
  TempDir dir;
  for (const char* content : {"", "\n\n  \n"}) {
    Collected c = Read(dir.Write("empty.jsonl", content));
    EXPECT_EQ(c.records.size(), 0u);
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_EQ(c.errors[0].line, 0);
    EXPECT_NE(c.Messages()[0].find("holds no records"), std::string::npos);
  }
}

TEST(JsonLines, StopsWhenTheCallbackSaysSo) {
  TempDir dir;
  const auto file =
      dir.Write("three.jsonl", "{\"text\":\"1\"}\n{\"text\":\"2\"}\n{\"text\":\"3\"}\n");
  int seen = 0;
  auto status = ReadArticleFile(
      file, {},
      [&](SourceRecord) {
        return ++seen == 2 ? absl::UnavailableError("kafka down") : absl::OkStatus();
      },
      [](RecordError) {});
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(seen, 2);
}

TEST(ListArticleFiles, WalksFoldersInSortedOrder) {
  TempDir dir;
  dir.Write("news/b.txt", "x");
  dir.Write("news/a.jsonl", "x");
  dir.Write("news/sub/c.TXT", "x");
  dir.Write("news/notes.md", "x");
  dir.Write("news/.hidden.txt", "x");
  dir.Write("news/.git/d.txt", "x");
  const auto single = dir.Write("single.jsonl", "x");
  dir.Write("other.csv", "x");
  std::vector<RecordError> errors;
  auto files =
      ListArticleFiles({(dir.path() / "news").string(), single.string(),
                        (dir.path() / "missing").string(), (dir.path() / "other.csv").string()},
                       [&](RecordError e) { errors.push_back(std::move(e)); });
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(std::filesystem::relative(f, dir.path()).string());
  EXPECT_EQ(names, (std::vector<std::string>{"news/a.jsonl", "news/b.txt", "news/sub/c.TXT",
                                             "single.jsonl"}));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(errors[1].ToString().find("unsupported file type"), std::string::npos);
}

}  // namespace
}  // namespace dyad::ingest

namespace dyad::ingest {
namespace {

// Hostile input: random bytes and mutations of good records never crash and give OK or
// INVALID_ARGUMENT.
TEST(HostileInput, RandomBytesAreHandled) {
  std::mt19937 rng(20250914);
  const std::vector<std::string> seeds = {
      R"({"url":"https://x.org/a","title":"T","published_at":"2025-03-14T20:30:26Z","text":"B"})",
      "https://arab.news/6r5g7\n- bullet\nISLAMABAD: body\n", "WASHINGTON (Reuters) — text",
      "https://example.com:8080/a/?utm_x=1&b=2#f"};
  // Includes a NUL byte, hence the explicit length.
  static constexpr char kAlphabet[] = "{}[]\":,\\ \n\r\t-:/?#@.%&=uU0\xC3\xA9\xE2\x80\x94\xFF\x00";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  for (int i = 0; i < 3000; ++i) {
    std::string s = seeds[static_cast<size_t>(i) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const size_t at = rng() % s.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          s[at] = c;
          break;
        case 1:
          s.insert(at, 1, c);
          break;
        default:
          s.erase(at, 1);
      }
    }
    auto json = ParseJsonRecord(s, {});
    if (!json.ok()) {
      EXPECT_EQ(json.status().code(), absl::StatusCode::kInvalidArgument) << s;
    } else {
      auto article = BuildArticle(*json, {}, absl::Now());
      EXPECT_TRUE(article.ok() || absl::IsInvalidArgument(article.status()));
    }
    auto seed = ParseSeedText(s, {});
    if (seed.ok()) {
      auto article = BuildArticle(*seed, {}, absl::Now());
      EXPECT_TRUE(article.ok() || absl::IsInvalidArgument(article.status()));
    }
    (void)FindDateline(s);
    (void)CanonicalUrl(s);
    (void)SourceFromUrl(s);
    (void)NormalizeText(s);
  }
}

}  // namespace
}  // namespace dyad::ingest
