#include "dyad/coder/coder.h"

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dyad/core/dates.h"
#include "dyad/text/sentences.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dyad::coder {
namespace {

const Coder& SharedCoder() {
  static const Coder* coder = [] {
    auto options = DefaultCoderOptions();
    auto loaded = Coder::Load(options);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? loaded->release() : nullptr;
  }();
  return *coder;
}

// The seed article as dyad-ingest builds it: line 1 URL, "- " summary bullets, then the body.
v1::Article SeedArticle() {
  std::ifstream in(std::string(DYAD_SHARED_DIR) + "/examples/000_5447edb819e78dad.txt");
  EXPECT_TRUE(in.good());
  std::string line;
  std::getline(in, line);
  v1::Article article;
  article.set_id("u-seed");
  article.set_url(line);
  article.set_source("arab.news");
  std::string body;
  while (std::getline(in, line)) {
    if (body.empty() && line.rfind("- ", 0) == 0) {
      article.add_summary(line.substr(2));
      continue;
    }
    if (!body.empty()) body += "\n";
    body += line;
  }
  article.set_body(body);
  article.set_dateline("ISLAMABAD");
  article.mutable_published_at()->set_seconds(core::DaysFromCivil({2025, 9, 14}) * 86400 + 3600);
  return article;
}

std::string Describe(const v1::Event& e) {
  std::ostringstream s;
  s << e.source().code() << ">" << e.target().code() << " " << e.code() << " " << e.date().date()
    << " s" << e.sentence_index() << " [" << e.sentence().substr(0, 60) << "]";
  return s.str();
}

const v1::Event* FindEvent(const std::vector<v1::Event>& events, std::string_view source_country,
                           std::string_view target_country, std::string_view code_prefix) {
  for (const auto& e : events) {
    if (e.source().country() == source_country && e.target().country() == target_country &&
        e.code().rfind(code_prefix, 0) == 0) {
      return &e;
    }
  }
  return nullptr;
}

std::string All(const std::vector<v1::Event>& events) {
  std::string out;
  for (const auto& e : events) out += Describe(e) + "\n";
  return out;
}

class SeedArticleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { events_ = new std::vector<v1::Event>(SharedCoder().CodeArticle(SeedArticle())); }
  static void TearDownTestSuite() {
    delete events_;
    events_ = nullptr;
  }
  static const std::vector<v1::Event>& events() { return *events_; }
  static std::vector<v1::Event>* events_;
};
std::vector<v1::Event>* SeedArticleTest::events_ = nullptr;

TEST_F(SeedArticleTest, PhoneCallFromRubioToDarOnSaturday) {
  const v1::Event* e = FindEvent(events(), "USA", "PAK", "041");
  ASSERT_NE(e, nullptr) << All(events());
  EXPECT_EQ(e->source().code(), "USAGOV");
  EXPECT_EQ(e->source().name(), "Marco Rubio");
  EXPECT_EQ(e->target().code(), "PAKGOV");
  EXPECT_EQ(e->target().name(), "Ishaq Dar");
  EXPECT_EQ(e->date().date(), "2025-09-13");
  EXPECT_EQ(e->date().granularity(), v1::DATE_GRANULARITY_DAY);
  EXPECT_EQ(e->date().resolution(), v1::DATE_RESOLUTION_RELATIVE);
  EXPECT_EQ(e->date().text(), "on Saturday");
  EXPECT_EQ(e->root_code(), "04");
  EXPECT_EQ(e->quad_class(), 1);
  EXPECT_DOUBLE_EQ(e->goldstein(), 1.0);
  const std::string body = SeedArticle().body();
  EXPECT_EQ(body.substr(static_cast<std::size_t>(e->trigger_begin()),
                        static_cast<std::size_t>(e->trigger_end() - e->trigger_begin())),
            "received a telephone call from");
  EXPECT_EQ(body.substr(static_cast<std::size_t>(e->source().begin()),
                        static_cast<std::size_t>(e->source().end() - e->source().begin())),
            "Rubio");
  EXPECT_EQ(e->place().country(), "PAK");
  EXPECT_EQ(e->place().precision(), v1::PLACE_PRECISION_CITY);
  EXPECT_EQ(e->place().origin(), "dateline");
  EXPECT_EQ(e->modality(), v1::MODALITY_ASSERTED);
  EXPECT_FALSE(e->negated());
  EXPECT_EQ(e->sentence_index(), 5);
  EXPECT_EQ(e->sentence().rfind("Dar, who also serves", 0), 0u);
  EXPECT_EQ(e->coder_version().rfind("dyad-coder/0.1+", 0), 0u);
  EXPECT_EQ(e->id().rfind("e-", 0), 0u);
}

TEST_F(SeedArticleTest, DiscussedBothWaysThisWeek) {
  for (auto [s, t] : {std::pair{"USA", "PAK"}, std::pair{"PAK", "USA"}}) {
    const v1::Event* e = FindEvent(events(), s, t, "040");
    ASSERT_NE(e, nullptr) << s << ">" << t << "\n" << All(events());
    EXPECT_EQ(e->sentence_index(), 0);
    EXPECT_EQ(e->date().date(), "2025-09-08");
    EXPECT_EQ(e->date().granularity(), v1::DATE_GRANULARITY_WEEK);
  }
}

TEST_F(SeedArticleTest, TariffsOnIndia) {
  const v1::Event* e = FindEvent(events(), "USA", "IND", "163");
  ASSERT_NE(e, nullptr) << All(events());
  EXPECT_EQ(e->quad_class(), 4);
  EXPECT_LT(e->goldstein(), 0);
  EXPECT_EQ(e->root_code(), "16");
  EXPECT_EQ(e->base_code(), "163");
}

TEST_F(SeedArticleTest, CeasefireBetweenIndiaAndPakistanMediatedByUsInMay) {
  for (auto [s, t] : {std::pair{"IND", "PAK"}, std::pair{"PAK", "IND"}}) {
    const v1::Event* e = FindEvent(events(), s, t, "0871");
    ASSERT_NE(e, nullptr) << All(events());
    EXPECT_EQ(e->date().date(), "2025-05-01");
    EXPECT_EQ(e->date().granularity(), v1::DATE_GRANULARITY_MONTH);
    EXPECT_EQ(e->date().resolution(), v1::DATE_RESOLUTION_PARTIAL);
    EXPECT_EQ(e->quad_class(), 2);
  }
  for (const char* t : {"IND", "PAK"}) {
    const v1::Event* e = FindEvent(events(), "USA", t, "045");
    ASSERT_NE(e, nullptr) << All(events());
    EXPECT_EQ(e->source().code(), "USAGOV");  // Trump, in office in May 2025
    EXPECT_EQ(e->source().name(), "Donald Trump");
  }
}

TEST_F(SeedArticleTest, PakistanPraisedTrump) {
  const v1::Event* e = FindEvent(events(), "PAK", "USA", "051");
  ASSERT_NE(e, nullptr) << All(events());
  EXPECT_EQ(e->source().code(), "PAK");
  EXPECT_EQ(e->target().code(), "USAGOV");
}

TEST_F(SeedArticleTest, TradeDealInJuly) {
  for (auto [s, t] : {std::pair{"USA", "PAK"}, std::pair{"PAK", "USA"}}) {
    const v1::Event* e = FindEvent(events(), s, t, "057");
    ASSERT_NE(e, nullptr) << All(events());
    EXPECT_EQ(e->date().date(), "2025-07-01");
    EXPECT_EQ(e->date().granularity(), v1::DATE_GRANULARITY_MONTH);
  }
}

TEST_F(SeedArticleTest, ReaffirmedCommitment) {
  bool usa_pak = false, pak_usa = false;
  for (const auto& e : events()) {
    if (e.root_code() != "03") continue;
    usa_pak = usa_pak || (e.source().country() == "USA" && e.target().country() == "PAK");
    pak_usa = pak_usa || (e.source().country() == "PAK" && e.target().country() == "USA");
  }
  EXPECT_TRUE(usa_pak && pak_usa) << All(events());
}

TEST_F(SeedArticleTest, NoEventFromExportFigures) {
  for (const auto& e : events()) {
    EXPECT_EQ(e.sentence().find("exports"), std::string::npos) << Describe(e);
    EXPECT_EQ(e.sentence().find("considers the US"), std::string::npos) << Describe(e);
  }
}

TEST_F(SeedArticleTest, IdsAreUniqueAndStable) {
  std::set<std::string> ids;
  for (const auto& e : events()) EXPECT_TRUE(ids.insert(e.id()).second) << Describe(e);
  const auto again = SharedCoder().CodeArticle(SeedArticle());
  ASSERT_EQ(again.size(), events().size());
  for (std::size_t i = 0; i < again.size(); ++i) EXPECT_EQ(again[i].id(), events()[i].id());
}

TEST_F(SeedArticleTest, OffsetsPointIntoTheBody) {
  const std::string body = SeedArticle().body();
  for (const auto& e : events()) {
    ASSERT_LE(e.sentence_end(), static_cast<int>(body.size()));
    EXPECT_EQ(body.substr(static_cast<std::size_t>(e.sentence_begin()),
                          static_cast<std::size_t>(e.sentence_end() - e.sentence_begin())),
              e.sentence());
    EXPECT_LE(e.sentence_begin(), e.trigger_begin());
    EXPECT_LE(e.trigger_end(), e.sentence_end());
    EXPECT_EQ(body.substr(static_cast<std::size_t>(e.source().begin()),
                          static_cast<std::size_t>(e.source().end() - e.source().begin())),
              e.source().text());
    EXPECT_GT(e.tone(), 0.0);
    EXPECT_GT(e.confidence(), 0.0);
  }
}

}  // namespace
}  // namespace dyad::coder
