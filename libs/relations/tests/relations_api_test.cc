// Issue 5's read model: de-duplicated events, the extended GetRelation (filters, mentions,
// articles, sources, top codes, exemplars), TopPartners, GetEvent, GetGraph, ListActors and
// ListEvents' min_confidence; order independence against a shuffled replay and a naive
// reference computation.
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "dyad/core/dates.h"
#include "dyad/relations/names.h"
#include "dyad/relations/relation_store.h"

namespace dyad::relations {
namespace {

using google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// One mention.
struct M {
  std::string id;
  std::string source = "USAGOV";
  std::string target = "PAKGOV";
  std::string date = "2025-09-13";
  std::string code = "042";
  int quad = 1;
  double goldstein = 1.9;
  double tone = 0.0;
  std::string article = "a1";
  std::string publisher = "p1";
  std::string country = "PAK";
  std::string place = "Islamabad";
  double confidence = 0.9;
  int64_t published = 0;  // seconds since the epoch; 0 = unset
};

dyad::v1::Event Make(const M& m) {
  dyad::v1::Event e;
  e.set_id(m.id);
  e.set_article_id(m.article);
  e.set_article_url("https://example.org/" + m.article);
  e.set_publisher(m.publisher);
  if (m.published != 0) e.mutable_published_at()->set_seconds(m.published);
  e.set_sentence("sentence of " + m.id);
  e.set_sentence_begin(10);
  e.set_sentence_end(40);
  e.set_trigger_begin(20);
  e.set_trigger_end(25);
  e.mutable_source()->set_code(m.source);
  e.mutable_source()->set_country(m.source.substr(0, 3));
  e.mutable_target()->set_code(m.target);
  e.mutable_target()->set_country(m.target.substr(0, 3));
  e.mutable_date()->set_date(m.date);
  e.set_code(m.code);
  e.set_base_code(m.code.substr(0, 3));
  e.set_root_code(m.code.substr(0, 2));
  e.set_quad_class(m.quad);
  e.set_goldstein(m.goldstein);
  e.set_tone(m.tone);
  e.mutable_place()->set_country(m.country);
  e.mutable_place()->set_name(m.place);
  e.set_confidence(m.confidence);
  return e;
}

void ApplyOk(RelationStore& store, const M& m) {
  auto applied = store.Apply(Make(m));
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_TRUE(*applied) << m.id << " was not new";
}

dyad::v1::GetRelationRequest Relation(std::string source, std::string target,
                                      dyad::v1::Bucket bucket = dyad::v1::BUCKET_DAY) {
  dyad::v1::GetRelationRequest r;
  r.set_source(std::move(source));
  r.set_target(std::move(target));
  r.set_bucket(bucket);
  return r;
}

dyad::v1::GetRelationResponse GetOk(const RelationStore& store,
                                    const dyad::v1::GetRelationRequest& request) {
  auto response = store.GetRelation(request);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : dyad::v1::GetRelationResponse();
}

dyad::v1::RelationBucket TotalOf(const RelationStore& store, const std::string& source,
                                 const std::string& target) {
  return GetOk(store, Relation(source, target)).total();
}

std::shared_ptr<const Names> RepoNames() {
  static const auto names = [] {
    auto loaded = Names::Load(std::string(DYAD_SOURCE_DIR) + "/data");
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return std::make_shared<const Names>(loaded.ok() ? *std::move(loaded) : Names());
  }();
  return names;
}

void ExpectInvalid(const absl::Status& status, const std::string& part) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), HasSubstr(part));
}

// --- De-duplication --------------------------------------------------------------------------

TEST(Dedup, SameDyadBaseCodePlaceAndDayAreOneEvent) {
  RelationStore store;
  ApplyOk(store, {.id = "m3",
                  .code = "0421",
                  .goldstein = 1.0,
                  .tone = 0.1,
                  .article = "a1",
                  .publisher = "p1"});
  ApplyOk(store, {.id = "m1", .goldstein = 2.0, .tone = 0.2, .article = "a2", .publisher = "p2"});
  ApplyOk(store, {.id = "m2", .goldstein = 4.5, .tone = 0.3, .article = "a2", .publisher = "p2"});
  const auto r = GetOk(store, Relation("USA", "PAK"));
  ASSERT_EQ(r.buckets_size(), 1);
  for (const auto& b : {r.buckets(0), r.total()}) {
    EXPECT_EQ(b.events(), 1);
    EXPECT_EQ(b.verbal_cooperation(), 1);
    EXPECT_EQ(b.mentions(), 3);
    EXPECT_EQ(b.articles(), 2);
    EXPECT_EQ(b.sources(), 2);
    EXPECT_DOUBLE_EQ(b.goldstein_sum(), 2.5);  // the event's Goldstein: the mean of its mentions
    EXPECT_DOUBLE_EQ(b.goldstein_mean(), 2.5);
    EXPECT_DOUBLE_EQ(b.tone_mean(), 0.2);  // over the mentions
    EXPECT_THAT(b.root_codes(), UnorderedElementsAre(Pair("04", 1)));
    EXPECT_THAT(b.event_ids(), ElementsAre("m1"));  // the smallest id represents the event
    ASSERT_EQ(b.top_codes_size(), 1);
    EXPECT_EQ(b.top_codes(0).code(), "042");
    EXPECT_EQ(b.top_codes(0).name(), "");  // a store without names
    EXPECT_EQ(b.top_codes(0).events(), 1);
    EXPECT_EQ(b.top_codes(0).mentions(), 3);
  }
  EXPECT_EQ(store.Stats().events, 3);
  EXPECT_EQ(store.Stats().deduplicated_events, 1);
}

TEST(Dedup, DifferentPlaceDayBaseCodeOrDyadAreDifferentEvents) {
  const M base{.id = "m0"};
  const std::vector<M> others = {
      {.id = "m1", .date = "2025-09-14"},                     // another day
      {.id = "m2", .code = "043"},                            // another base code
      {.id = "m3", .place = "Lahore"},                        // another place name
      {.id = "m4", .country = "IND"},                         // same name, another country
      {.id = "m5", .country = "", .place = ""},               // no place
      {.id = "m6", .source = "USAMIL"},                       // another full source code
      {.id = "m7", .source = "PAKGOV", .target = "USAGOV"}};  // the other direction
  for (const M& other : others) {
    RelationStore store;
    ApplyOk(store, base);
    ApplyOk(store, other);
    auto request = Relation("USA", "PAK");
    request.set_both_directions(true);
    const auto total = GetOk(store, request).total();
    EXPECT_EQ(total.events(), 2) << other.id;
    EXPECT_EQ(total.mentions(), 2) << other.id;
  }
  // A longer code with the same base code is the same event.
  RelationStore store;
  ApplyOk(store, base);
  ApplyOk(store, {.id = "m9", .code = "0422"});
  EXPECT_EQ(TotalOf(store, "USA", "PAK").events(), 1);
}

TEST(Dedup, EmptyPlacesMatchEachOther) {
  RelationStore store;
  ApplyOk(store, {.id = "m1", .country = "", .place = ""});
  ApplyOk(store, {.id = "m2", .country = "", .place = ""});
  EXPECT_EQ(TotalOf(store, "USA", "PAK").events(), 1);
  EXPECT_EQ(TotalOf(store, "USA", "PAK").mentions(), 2);
}

TEST(Dedup, TheRepresentativeGivesQuadClassAndRootCode) {
  // Inconsistent records (not what the coder writes): the smallest id decides, in any order.
  for (const bool smallest_first : {true, false}) {
    RelationStore store;
    const M small{.id = "a", .code = "042", .quad = 2};
    M large{.id = "b", .code = "042", .quad = 4};
    if (smallest_first) {
      ApplyOk(store, small);
      ApplyOk(store, large);
    } else {
      ApplyOk(store, large);
      ApplyOk(store, small);
    }
    const auto t = TotalOf(store, "USA", "PAK");
    EXPECT_EQ(t.events(), 1);
    EXPECT_EQ(t.material_cooperation(), 1);
    EXPECT_EQ(t.material_conflict(), 0);
    EXPECT_THAT(t.event_ids(), ElementsAre("a"));
  }
}

TEST(Dedup, GoldsteinSumsAreExactFixedPoint) {
  // 0.1 + 0.2 in doubles is 0.30000000000000004; in millionths it is 0.3.
  RelationStore store;
  ApplyOk(store, {.id = "m1", .code = "042", .goldstein = 0.1});
  ApplyOk(store, {.id = "m2", .code = "043", .goldstein = 0.2});
  EXPECT_EQ(TotalOf(store, "USA", "PAK").goldstein_sum(), 0.3);
  // Means of mentions round to the nearest millionth, halves away from zero.
  ApplyOk(store, {.id = "m3", .code = "057", .goldstein = -1.0, .place = "x"});
  ApplyOk(store, {.id = "m4", .code = "057", .goldstein = -1.0, .place = "x"});
  ApplyOk(store, {.id = "m5", .code = "057", .goldstein = -1.000001, .place = "x"});
  const auto r = GetOk(store, Relation("USA", "PAK"));
  EXPECT_EQ(r.total().events(), 3);
  EXPECT_EQ(r.total().goldstein_sum(), 0.3 - 1.0);  // -3000001 / 3 = -1000000.33 → -1000000
}

TEST(Dedup, RefusesOutOfScaleGoldsteinAndTone) {
  RelationStore store;
  ExpectInvalid(store.Apply(Make({.id = "g", .goldstein = 10.5})).status(), "goldstein");
  ExpectInvalid(store.Apply(Make({.id = "t", .tone = 1e300})).status(), "tone");
  EXPECT_TRUE(store.Apply(Make({.id = "ok", .goldstein = -10.0, .tone = -1.0})).ok());
  EXPECT_EQ(store.Stats().events, 1);
}

// --- GetRelation: the new fields ---------------------------------------------------------------

TEST(GetRelation, TopCodesByEventsThenMentionsThenCodeWithNames) {
  RelationStore store(RepoNames());
  int n = 0;
  const auto add = [&](const std::string& code, int events, int mentions_each) {
    for (int e = 0; e < events; ++e) {
      for (int m = 0; m < mentions_each; ++m) {
        ApplyOk(store,
                {.id = "m" + std::to_string(n++), .code = code, .place = "p" + std::to_string(e)});
      }
    }
  };
  add("042", 3, 1);
  add("043", 2, 2);
  add("036", 2, 2);
  add("057", 2, 1);
  add("051", 1, 1);
  add("010", 1, 1);  // ties with 051 on events and mentions: the smaller code goes first
  const auto t = TotalOf(store, "USA", "PAK");
  ASSERT_EQ(t.top_codes_size(), kMaxTopCodes);
  std::vector<std::tuple<std::string, int64_t, int64_t>> got;
  for (const auto& c : t.top_codes()) got.emplace_back(c.code(), c.events(), c.mentions());
  EXPECT_THAT(got, ElementsAre(std::make_tuple("042", 3, 3), std::make_tuple("036", 2, 4),
                               std::make_tuple("043", 2, 4), std::make_tuple("057", 2, 2),
                               std::make_tuple("010", 1, 1)));
  EXPECT_EQ(t.top_codes(0).name(), "Make a visit");
  EXPECT_EQ(t.top_codes(2).name(), "Host a visit");
}

TEST(GetRelation, ExemplarsHaveTheMostMentionsThenAreNewest) {
  RelationStore store;
  // e1 has 3 mentions, e2 2, e3..e6 one each on later days.
  for (const char* id : {"a1", "a2", "a3"}) ApplyOk(store, {.id = id, .date = "2025-09-01"});
  for (const char* id : {"b1", "b2"}) ApplyOk(store, {.id = id, .date = "2025-09-02"});
  ApplyOk(store, {.id = "c", .date = "2025-09-03"});
  ApplyOk(store, {.id = "d", .date = "2025-09-04"});
  ApplyOk(store, {.id = "e", .date = "2025-09-05"});
  ApplyOk(store, {.id = "f", .date = "2025-09-06"});
  const auto r = GetOk(store, Relation("USA", "PAK", dyad::v1::BUCKET_MONTH));
  EXPECT_THAT(r.total().event_ids(), ElementsAre("a1", "b1", "f", "e", "d"));
  EXPECT_THAT(r.buckets(0).event_ids(), ElementsAre("a1", "b1", "f", "e", "d"));
  // Per day: the day's own.
  const auto days = GetOk(store, Relation("USA", "PAK"));
  ASSERT_EQ(days.buckets_size(), 6);
  EXPECT_THAT(days.buckets(0).event_ids(), ElementsAre("a1"));
}

TEST(GetRelation, ArticlesAndSourcesAreDistinctOverTheBucket) {
  RelationStore store;
  // One article reports events on two days and for two dyads.
  ApplyOk(store, {.id = "m1", .date = "2025-09-01", .article = "A", .publisher = "P"});
  ApplyOk(store, {.id = "m2", .date = "2025-09-02", .article = "A", .publisher = "P"});
  ApplyOk(store,
          {.id = "m3", .source = "USAMIL", .date = "2025-09-02", .article = "A", .publisher = "P"});
  ApplyOk(store,
          {.id = "m4", .date = "2025-09-02", .code = "043", .article = "B", .publisher = "Q"});
  ApplyOk(store, {.id = "m5", .date = "2025-09-02", .code = "057", .article = "", .publisher = ""});
  const auto r = GetOk(store, Relation("USA", "PAK"));
  ASSERT_EQ(r.buckets_size(), 2);
  EXPECT_EQ(r.buckets(0).articles(), 1);
  EXPECT_EQ(r.buckets(1).articles(), 2);  // A (two dyads) and B; the empty id is not counted
  EXPECT_EQ(r.buckets(1).sources(), 2);
  EXPECT_EQ(r.buckets(1).mentions(), 4);
  EXPECT_EQ(r.total().articles(), 2);
  EXPECT_EQ(r.total().sources(), 2);
  EXPECT_EQ(r.total().mentions(), 5);
  EXPECT_EQ(r.total().events(), 5);
}

TEST(GetRelation, DistinctCountsAreRightWhenTheIdsAreFarApart) {
  // Articles are numbered as they first arrive: thousands of other articles between the
  // dyad's two make the id range sparse (counted by sorting instead of a bitmap).
  RelationStore store;
  ApplyOk(store, {.id = "first", .date = "2025-09-01", .article = "A"});
  for (int i = 0; i < 5000; ++i) {
    ApplyOk(store, {.id = "other" + std::to_string(i),
                    .source = "INDGOV",
                    .target = "CHNGOV",
                    .article = "x" + std::to_string(i)});
  }
  ApplyOk(store, {.id = "second", .date = "2025-09-02", .article = "B"});
  ApplyOk(store, {.id = "third", .date = "2025-09-02", .code = "043", .article = "A"});
  const auto t = TotalOf(store, "USA", "PAK");
  EXPECT_EQ(t.articles(), 2);
  EXPECT_EQ(t.mentions(), 3);
  EXPECT_EQ(TotalOf(store, "IND", "CHN").articles(), 5000);
}

// RELATION_DETAIL_COUNTS: per bucket the same numbers without root codes, top codes and
// exemplars, on both paths (roll-up and per dyad, with and without a filter); the total whole.
TEST(GetRelation, CountsDetailKeepsTheNumbersAndTheFullTotal) {
  RelationStore store(RepoNames());
  ApplyOk(store, {.id = "a1", .date = "2025-09-01", .article = "A"});
  ApplyOk(store, {.id = "a2", .date = "2025-09-01", .article = "B", .publisher = "p2"});
  ApplyOk(store, {.id = "b", .date = "2025-09-02", .code = "190", .quad = 4, .goldstein = -10});
  ApplyOk(store, {.id = "c", .source = "USAMIL", .date = "2025-09-09", .code = "057"});
  ApplyOk(store, {.id = "d", .source = "PAKGOV", .target = "USAGOV", .date = "2025-09-03"});
  for (auto request : {Relation("USA", "PAK"), Relation("USAGOV", "PAK", dyad::v1::BUCKET_WEEK),
                       Relation("USA", "PAK", dyad::v1::BUCKET_MONTH)}) {
    for (const bool both : {false, true}) {
      for (const double min_confidence : {0.0, 0.5}) {
        request.set_both_directions(both);
        request.mutable_filter()->set_min_confidence(min_confidence);
        request.set_detail(dyad::v1::RELATION_DETAIL_FULL);
        const auto full = GetOk(store, request);
        request.set_detail(dyad::v1::RELATION_DETAIL_COUNTS);
        const auto counts = GetOk(store, request);
        const std::string what = request.ShortDebugString();
        ASSERT_EQ(counts.buckets_size(), full.buckets_size()) << what;
        ASSERT_GT(full.buckets_size(), 0) << what;
        for (int i = 0; i < full.buckets_size(); ++i) {
          auto numbers = full.buckets(i);
          EXPECT_FALSE(numbers.event_ids().empty()) << what;
          numbers.clear_root_codes();
          numbers.clear_top_codes();
          numbers.clear_event_ids();
          EXPECT_TRUE(MessageDifferencer::Equals(counts.buckets(i), numbers)) << what << " " << i;
        }
        EXPECT_TRUE(MessageDifferencer::Equals(counts.total(), full.total())) << what;
      }
    }
  }
  auto request = Relation("USA", "PAK");
  request.set_detail(static_cast<dyad::v1::RelationDetail>(9));
  ExpectInvalid(store.GetRelation(request).status(), "detail 9 is unknown");
}

// RelationVersion changes with every mention of the request's country pair(s), not with other
// pairs' (prefixes of 3+ characters), with every mention for shorter prefixes, and is what
// GetRelationInto reports.
TEST(GetRelation, VersionFollowsTheCountryPair) {
  RelationStore store;
  const auto version = [&](const dyad::v1::GetRelationRequest& r) {
    const auto v = store.RelationVersion(r);
    EXPECT_TRUE(v.has_value()) << r.ShortDebugString();
    return v.value_or(0);
  };
  auto usa_pak = Relation("USAGOV", "PAK");
  auto both = Relation("USA", "PAK");
  both.set_both_directions(true);
  const auto short_prefix = Relation("US", "PAK");
  const uint64_t v0 = version(usa_pak);
  const uint64_t b0 = version(both);
  const uint64_t s0 = version(short_prefix);

  ApplyOk(store, {.id = "m1", .source = "USAMIL"});  // USA → PAK, another role: same pair
  const uint64_t v1 = version(usa_pak);
  EXPECT_NE(v1, v0);
  EXPECT_NE(version(both), b0);
  EXPECT_NE(version(short_prefix), s0);

  const uint64_t b1 = version(both);
  const uint64_t s1 = version(short_prefix);
  ApplyOk(store, {.id = "m2", .source = "INDGOV"});  // IND → PAK: another pair
  EXPECT_EQ(version(usa_pak), v1);
  EXPECT_EQ(version(both), b1);
  EXPECT_NE(version(short_prefix), s1);

  ApplyOk(store, {.id = "m3", .source = "PAKGOV", .target = "USAGOV"});  // the reverse pair
  EXPECT_EQ(version(usa_pak), v1);
  EXPECT_NE(version(both), b1);
  EXPECT_EQ(store.Apply(Make({.id = "m3", .source = "PAKGOV", .target = "USAGOV"})).value_or(true),
            false);  // a replay changes nothing, and neither does the version
  const uint64_t b2 = version(both);
  EXPECT_EQ(version(both), b2);

  dyad::v1::GetRelationResponse response;
  uint64_t built = 0;
  ASSERT_TRUE(store.GetRelationInto(both, &response, {}, &built).ok());
  EXPECT_EQ(built, b2);
  EXPECT_FALSE(store.RelationVersion(Relation("", "PAK")).has_value());
  EXPECT_FALSE(store.RelationVersion(Relation("U$A", "PAK")).has_value());
}

// --- Filters ------------------------------------------------------------------------------------

TEST(Filter, RootCodesAndQuadClassesKeepMatchingEvents) {
  RelationStore store;
  ApplyOk(store, {.id = "v", .code = "042", .quad = 1});
  ApplyOk(store, {.id = "v2", .code = "042", .quad = 1});  // a second mention of v
  ApplyOk(store, {.id = "m", .code = "071", .quad = 2});
  ApplyOk(store, {.id = "c", .code = "112", .quad = 3});
  ApplyOk(store, {.id = "f", .date = "2025-09-14", .code = "190", .quad = 4});
  auto request = Relation("USA", "PAK");
  request.mutable_filter()->add_root_codes("04");
  request.mutable_filter()->add_root_codes("19");
  auto r = GetOk(store, request);
  EXPECT_EQ(r.total().events(), 2);
  EXPECT_EQ(r.total().mentions(), 3);
  EXPECT_THAT(r.total().root_codes(), UnorderedElementsAre(Pair("04", 1), Pair("19", 1)));
  EXPECT_EQ(r.buckets_size(), 2);

  request = Relation("USA", "PAK");
  request.mutable_filter()->add_quad_classes(2);
  request.mutable_filter()->add_quad_classes(3);
  r = GetOk(store, request);
  EXPECT_EQ(r.total().events(), 2);
  EXPECT_EQ(r.total().material_cooperation(), 1);
  EXPECT_EQ(r.total().verbal_conflict(), 1);
  EXPECT_EQ(r.buckets_size(), 1);  // nothing left on 2025-09-14: no bucket

  // Both filters: AND.
  request.mutable_filter()->add_root_codes("07");
  EXPECT_EQ(GetOk(store, request).total().events(), 1);

  // A root code no event has: empty, not an error.
  request = Relation("USA", "PAK");
  request.mutable_filter()->add_root_codes("20");
  r = GetOk(store, request);
  EXPECT_EQ(r.buckets_size(), 0);
  EXPECT_EQ(r.total().events(), 0);
}

TEST(Filter, FilteredAnswersMatchTheUnfilteredOnesWhenEverythingPasses) {
  RelationStore store;
  for (int i = 0; i < 60; ++i) {
    ApplyOk(store,
            {.id = "m" + std::to_string(i),
             .date = "2025-09-" + std::string(i % 9 < 5 ? "0" : "1") + std::to_string(1 + i % 9),
             .code = i % 3 == 0 ? "042" : "190",
             .quad = i % 3 == 0 ? 1 : 4,
             .goldstein = 0.3 * (i % 7) - 1,
             .article = "a" + std::to_string(i % 11),
             .publisher = "p" + std::to_string(i % 4),
             .place = i % 2 == 0 ? "x" : "y",
             .confidence = 0.5 + 0.001 * i});
  }
  const auto plain = GetOk(store, Relation("USA", "PAK", dyad::v1::BUCKET_WEEK));
  auto filtered = Relation("USA", "PAK", dyad::v1::BUCKET_WEEK);
  for (int q = 1; q <= 4; ++q) filtered.mutable_filter()->add_quad_classes(q);
  EXPECT_EQ(GetOk(store, filtered).DebugString(), plain.DebugString());
  filtered.mutable_filter()->set_min_confidence(0.5);  // the slow path, keeping every mention
  EXPECT_EQ(GetOk(store, filtered).DebugString(), plain.DebugString());
}

TEST(Filter, MinConfidenceRebuildsEventsFromTheMentionsKept) {
  RelationStore store;
  ApplyOk(store, {.id = "m1", .quad = 1, .goldstein = 1.0, .article = "a1", .confidence = 0.3});
  ApplyOk(store, {.id = "m2", .quad = 2, .goldstein = 3.0, .article = "a2", .confidence = 0.9});
  ApplyOk(store, {.id = "m3", .quad = 2, .goldstein = 5.0, .article = "a2", .confidence = 0.8});
  ApplyOk(store, {.id = "n1", .code = "190", .quad = 4, .confidence = 0.2});
  auto request = Relation("USA", "PAK");
  request.mutable_filter()->set_min_confidence(0.5);
  auto t = GetOk(store, request).total();
  EXPECT_EQ(t.events(), 1);
  EXPECT_EQ(t.mentions(), 2);
  EXPECT_EQ(t.articles(), 1);
  EXPECT_EQ(t.material_cooperation(), 1);  // m2 represents the event now
  EXPECT_EQ(t.verbal_cooperation(), 0);
  EXPECT_DOUBLE_EQ(t.goldstein_sum(), 4.0);
  EXPECT_THAT(t.event_ids(), ElementsAre("m2"));
  request.mutable_filter()->add_quad_classes(1);
  EXPECT_EQ(GetOk(store, request).total().events(), 0);
  request.mutable_filter()->clear_quad_classes();
  request.mutable_filter()->set_min_confidence(0.95);
  EXPECT_EQ(GetOk(store, request).buckets_size(), 0);
  // Without the filter: two events, four mentions.
  t = TotalOf(store, "USA", "PAK");
  EXPECT_EQ(t.events(), 2);
  EXPECT_EQ(t.mentions(), 4);
  EXPECT_EQ(t.verbal_cooperation(), 1);
}

TEST(Filter, BadFiltersSayWhatToChange) {
  RelationStore store;
  const auto check = [&](auto&& set, const std::string& part) {
    auto request = Relation("USA", "PAK");
    set(*request.mutable_filter());
    ExpectInvalid(store.GetRelation(request).status(), part);
    dyad::v1::TopPartnersRequest partners;
    partners.set_actor("USA");
    set(*partners.mutable_filter());
    ExpectInvalid(store.TopPartners(partners).status(), part);
    dyad::v1::GetGraphRequest graph;
    set(*graph.mutable_filter());
    ExpectInvalid(store.GetGraph(graph).status(), part);
  };
  check([](auto& f) { f.add_root_codes("4"); }, "two digits");
  check([](auto& f) { f.add_root_codes("041"); }, "two digits");
  check([](auto& f) { f.add_root_codes("a4"); }, "two digits");
  check([](auto& f) { f.add_quad_classes(0); }, "1 (verbal cooperation)");
  check([](auto& f) { f.add_quad_classes(5); }, "quad class 5");
  check([](auto& f) { f.set_min_confidence(-0.1); }, "0..1");
  check([](auto& f) { f.set_min_confidence(1.5); }, "0..1");
  check([](auto& f) { f.set_min_confidence(std::nan("")); }, "0..1");
  check(
      [](auto& f) {
        for (int i = 0; i <= kMaxFilterCodes; ++i) f.add_quad_classes(1);
      },
      "at most");
}

TEST(ListEvents, MinConfidenceKeepsConfidentMentions) {
  RelationStore store;
  ApplyOk(store, {.id = "low", .confidence = 0.2});
  ApplyOk(store, {.id = "high", .confidence = 0.8});
  ApplyOk(store, {.id = "edge", .confidence = 0.5});
  dyad::v1::ListEventsRequest request;
  request.set_min_confidence(0.5);
  auto page = store.ListEvents(request);
  ASSERT_TRUE(page.ok()) << page.status();
  std::vector<std::string> ids;
  for (const auto& e : page->events()) ids.push_back(e.id());
  EXPECT_THAT(ids, ElementsAre("high", "edge"));
  request.set_min_confidence(0.99);
  EXPECT_EQ(store.ListEvents(request)->events_size(), 0);
  for (const double bad : {-0.5, 1.01, std::nan("")}) {
    request.set_min_confidence(bad);
    ExpectInvalid(store.ListEvents(request).status(), "min_confidence");
  }
}

// --- TopPartners --------------------------------------------------------------------------------

class TopPartnersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int n = 0;
    const auto add = [&](std::string source, std::string target, std::string code, int quad,
                         double goldstein, int events) {
      for (int i = 0; i < events; ++i) {
        ApplyOk(store_, {.id = "m" + std::to_string(n++),
                         .source = source,
                         .target = target,
                         .code = code,
                         .quad = quad,
                         .goldstein = goldstein,
                         .place = "p" + std::to_string(i)});
      }
    };
    add("USAGOV", "PAKGOV", "042", 1, 1.9, 2);
    add("PAKMIL", "USAMIL", "190", 4, -10, 2);  // PAK: 4 events, 2 cooperation, 2 conflict
    add("USAGOV", "INDGOV", "112", 3, -2, 3);   // IND: 3 conflict
    add("CHN", "USA", "057", 1, 8, 1);          // CHN: 1 cooperation, Goldstein 8
    add("USAGOV", "USAMIL", "042", 1, 1.9, 1);  // USA with itself: once
    add("INDGOV", "CHNGOV", "042", 1, 1.9, 5);  // not USA's
  }
  std::vector<std::string> Codes(const dyad::v1::TopPartnersRequest& request) {
    auto response = store_.TopPartners(request);
    EXPECT_TRUE(response.ok()) << response.status();
    std::vector<std::string> out;
    if (response.ok()) {
      for (const auto& p : response->partners()) out.push_back(p.actor());
    }
    return out;
  }
  static dyad::v1::TopPartnersRequest Request(dyad::v1::PartnerOrder order,
                                              bool ascending = false) {
    dyad::v1::TopPartnersRequest r;
    r.set_actor("USA");
    r.set_order(order);
    r.set_ascending(ascending);
    return r;
  }
  RelationStore store_{RepoNames()};
};

TEST_F(TopPartnersTest, OrdersByVolumeCooperationConflictAndGoldstein) {
  EXPECT_THAT(Codes(Request(dyad::v1::PARTNER_ORDER_UNSPECIFIED)),
              ElementsAre("PAK", "IND", "CHN", "USA"));
  EXPECT_THAT(Codes(Request(dyad::v1::PARTNER_ORDER_VOLUME, true)),
              ElementsAre("CHN", "USA", "IND", "PAK"));  // ties by code, also ascending
  EXPECT_THAT(Codes(Request(dyad::v1::PARTNER_ORDER_COOPERATION)),
              ElementsAre("PAK", "CHN", "USA", "IND"));
  EXPECT_THAT(Codes(Request(dyad::v1::PARTNER_ORDER_CONFLICT)),
              ElementsAre("IND", "PAK", "CHN", "USA"));
  EXPECT_THAT(Codes(Request(dyad::v1::PARTNER_ORDER_GOLDSTEIN)),
              ElementsAre("CHN", "USA", "IND", "PAK"));
  EXPECT_THAT(Codes(Request(dyad::v1::PARTNER_ORDER_GOLDSTEIN, true)),
              ElementsAre("PAK", "IND", "USA", "CHN"));
}

TEST_F(TopPartnersTest, TotalsAreTheRelationsTotalsWithNames) {
  auto response = store_.TopPartners(Request(dyad::v1::PARTNER_ORDER_VOLUME));
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->partners_size(), 4);
  const auto& pak = response->partners(0);
  EXPECT_EQ(pak.name(), "Pakistan");
  EXPECT_EQ(response->partners(3).name(), "United States of America");
  auto relation = Relation("USA", "PAK");
  relation.set_both_directions(true);
  EXPECT_EQ(pak.totals().DebugString(), GetOk(store_, relation).total().DebugString());
  EXPECT_EQ(pak.totals().events(), 4);
  EXPECT_EQ(response->partners(3).totals().events(), 1);  // USAGOV → USAMIL once
}

TEST_F(TopPartnersTest, DirectedLimitCodeLengthAndRollUp) {
  auto request = Request(dyad::v1::PARTNER_ORDER_VOLUME);
  request.set_directed(true);
  EXPECT_THAT(Codes(request), ElementsAre("IND", "PAK", "USA"));
  request.set_limit(2);
  EXPECT_THAT(Codes(request), ElementsAre("IND", "PAK"));
  request = Request(dyad::v1::PARTNER_ORDER_VOLUME);
  request.set_partner_code_length(6);
  EXPECT_THAT(Codes(request), ElementsAre("INDGOV", "PAKGOV", "PAKMIL", "CHN", "USAGOV", "USAMIL"));
  // PAKGOV covers only PAKGOV: its partner is USA (2 events), not the military's.
  request = Request(dyad::v1::PARTNER_ORDER_VOLUME);
  request.set_actor("PAKGOV");
  auto response = store_.TopPartners(request);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->partners_size(), 1);
  EXPECT_EQ(response->partners(0).totals().events(), 2);
  // A filter applies to the partners' totals, and a partner with nothing left is dropped.
  request = Request(dyad::v1::PARTNER_ORDER_VOLUME);
  request.mutable_filter()->add_root_codes("19");
  EXPECT_THAT(Codes(request), ElementsAre("PAK"));
}

TEST_F(TopPartnersTest, EmptyAnswers) {
  auto request = Request(dyad::v1::PARTNER_ORDER_VOLUME);
  request.set_actor("RUS");
  EXPECT_TRUE(Codes(request).empty());
  request.set_actor("USA");
  request.set_from("2026-01-01");
  EXPECT_TRUE(Codes(request).empty());
}

TEST_F(TopPartnersTest, BadArguments) {
  const auto check = [&](auto&& set, const std::string& part) {
    auto request = Request(dyad::v1::PARTNER_ORDER_VOLUME);
    set(request);
    ExpectInvalid(store_.TopPartners(request).status(), part);
  };
  check([](auto& r) { r.clear_actor(); }, "actor is empty");
  check([](auto& r) { r.set_actor("US-A"); }, "letters and digits");
  check([](auto& r) { r.set_order(static_cast<dyad::v1::PartnerOrder>(9)); }, "order 9");
  check([](auto& r) { r.set_limit(-1); }, "1..1000");
  check([](auto& r) { r.set_limit(kMaxPartners + 1); }, "1..1000");
  check([](auto& r) { r.set_partner_code_length(-3); }, "partner_code_length");
  check([](auto& r) { r.set_partner_code_length(65); }, "partner_code_length");
  check([](auto& r) { r.set_from("2025-13-01"); }, "not a valid ISO date");
  check(
      [](auto& r) {
        r.set_from("2025-09-02");
        r.set_to("2025-09-01");
      },
      "swap them");
  check(
      [](auto& r) {
        r.set_from("1900-01-01");
        r.set_to("2025-01-01");
      },
      "longer than 50 years");
}

TEST_F(TopPartnersTest, Cancelled) {
  EXPECT_EQ(store_.TopPartners(Request(dyad::v1::PARTNER_ORDER_VOLUME), [] { return true; })
                .status()
                .code(),
            absl::StatusCode::kCancelled);
  EXPECT_TRUE(
      store_.TopPartners(Request(dyad::v1::PARTNER_ORDER_VOLUME), [] { return false; }).ok());
}

// --- GetEvent -----------------------------------------------------------------------------------

TEST(GetEvent, EveryMentionWithProvenanceOldestFirst) {
  RelationStore store;
  ApplyOk(store, {.id = "m2",
                  .goldstein = 2.0,
                  .article = "a1",
                  .publisher = "p1",
                  .published = 1757750400 + 3600});
  ApplyOk(store, {.id = "m1",
                  .goldstein = 4.0,
                  .article = "a2",
                  .publisher = "p2",
                  .published = 1757750400 + 7200});
  ApplyOk(
      store,
      {.id = "m3", .goldstein = 3.0, .article = "a2", .publisher = "p2", .published = 1757750400});
  ApplyOk(store, {.id = "m0", .goldstein = 3.0, .article = "a3", .publisher = "p2"});
  ApplyOk(store, {.id = "other", .code = "043"});
  for (const char* id : {"m0", "m1", "m2", "m3"}) {
    dyad::v1::GetEventRequest request;
    request.set_id(id);
    auto response = store.GetEvent(request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->event().id(), "m0");  // the representative: smallest id
    std::vector<std::string> order;
    for (const auto& m : response->mentions()) order.push_back(m.event_id());
    EXPECT_THAT(order, ElementsAre("m0", "m3", "m2", "m1"));  // unset published_at first
    EXPECT_EQ(response->first_seen().seconds(), 1757750400);
    EXPECT_EQ(response->last_seen().seconds(), 1757750400 + 7200);
    EXPECT_EQ(response->articles(), 3);
    EXPECT_EQ(response->sources(), 2);
    EXPECT_DOUBLE_EQ(response->goldstein(), 3.0);
    const auto& m = response->mentions(1);
    EXPECT_EQ(m.article_id(), "a2");
    EXPECT_EQ(m.article_url(), "https://example.org/a2");
    EXPECT_EQ(m.publisher(), "p2");
    EXPECT_EQ(m.sentence(), "sentence of m3");
    EXPECT_EQ(m.sentence_begin(), 10);
    EXPECT_EQ(m.sentence_end(), 40);
    EXPECT_EQ(m.trigger_begin(), 20);
    EXPECT_EQ(m.trigger_end(), 25);
    EXPECT_EQ(m.code(), "042");
    EXPECT_DOUBLE_EQ(m.confidence(), 0.9);
  }
  // The exemplar ids of GetRelation are ids GetEvent takes.
  const auto total = TotalOf(store, "USA", "PAK");
  ASSERT_EQ(total.event_ids_size(), 2);
  for (const auto& id : total.event_ids()) {
    dyad::v1::GetEventRequest request;
    request.set_id(id);
    EXPECT_TRUE(store.GetEvent(request).ok()) << id;
  }
}

TEST(GetEvent, NoPublicationTimesLeaveFirstAndLastSeenUnset) {
  RelationStore store;
  ApplyOk(store, {.id = "m1"});
  dyad::v1::GetEventRequest request;
  request.set_id("m1");
  auto response = store.GetEvent(request);
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(response->has_first_seen());
  EXPECT_FALSE(response->has_last_seen());
  EXPECT_EQ(response->mentions_size(), 1);
}

TEST(GetEvent, UnknownIdIsNotFoundEmptyIdInvalid) {
  RelationStore store;
  ApplyOk(store, {.id = "m1"});
  dyad::v1::GetEventRequest request;
  request.set_id("nope");
  EXPECT_EQ(store.GetEvent(request).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(store.GetEvent(request).status().message(), HasSubstr("nope"));
  request.set_id(std::string(100000, 'x'));
  EXPECT_EQ(store.GetEvent(request).status().code(), absl::StatusCode::kNotFound);
  request.clear_id();
  ExpectInvalid(store.GetEvent(request).status(), "id is empty");
}

// --- GetGraph -----------------------------------------------------------------------------------

class GetGraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int n = 0;
    const auto add = [&](std::string source, std::string target, int quad, double goldstein,
                         int events, std::string date = "2025-09-13") {
      for (int i = 0; i < events; ++i) {
        ApplyOk(store_, {.id = "m" + std::to_string(n++),
                         .source = source,
                         .target = target,
                         .date = date,
                         .quad = quad,
                         .goldstein = goldstein,
                         .place = "p" + std::to_string(i)});
      }
    };
    add("USAGOV", "PAKGOV", 1, 2.0, 2);
    add("USAMIL", "PAKMIL", 4, -10.0, 1);  // the same edge USA → PAK at length 3
    add("PAKGOV", "USAGOV", 3, -4.0, 1);
    add("PAKGOV", "PAKMIL", 2, 1.0, 2);  // a self-loop PAK → PAK
    add("INDGOV", "CHNGOV", 1, 1.0, 1);
    add("INDGOV", "CHNGOV", 1, 1.0, 9, "2024-01-01");  // outside the window below
  }
  dyad::v1::GetGraphResponse Graph(dyad::v1::GetGraphRequest request) {
    if (request.from().empty()) request.set_from("2025-01-01");
    auto response = store_.GetGraph(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : dyad::v1::GetGraphResponse();
  }
  static std::vector<std::tuple<std::string, std::string, int64_t>> Edges(
      const dyad::v1::GetGraphResponse& r) {
    std::vector<std::tuple<std::string, std::string, int64_t>> out;
    for (const auto& e : r.edges()) out.emplace_back(e.source(), e.target(), e.events());
    return out;
  }
  RelationStore store_{RepoNames()};
};

TEST_F(GetGraphTest, EdgesBetweenCountriesHeaviestFirstWithNodes) {
  const auto r = Graph({});
  EXPECT_THAT(Edges(r),
              ElementsAre(std::make_tuple("USA", "PAK", 3), std::make_tuple("PAK", "PAK", 2),
                          std::make_tuple("IND", "CHN", 1), std::make_tuple("PAK", "USA", 1)));
  EXPECT_FALSE(r.truncated());
  const auto& usa_pak = r.edges(0);
  EXPECT_EQ(usa_pak.mentions(), 3);
  EXPECT_EQ(usa_pak.cooperation(), 2);
  EXPECT_EQ(usa_pak.conflict(), 1);
  EXPECT_DOUBLE_EQ(usa_pak.goldstein_sum(), -6.0);
  EXPECT_DOUBLE_EQ(usa_pak.goldstein_mean(), -2.0);
  std::vector<std::tuple<std::string, std::string, int64_t>> nodes;
  for (const auto& n : r.nodes()) nodes.emplace_back(n.actor(), n.name(), n.events());
  EXPECT_THAT(nodes,
              ElementsAre(std::make_tuple("CHN", "China", 1), std::make_tuple("IND", "India", 1),
                          std::make_tuple("PAK", "Pakistan", 6),  // self-loop once
                          std::make_tuple("USA", "United States of America", 4)));
}

TEST_F(GetGraphTest, MinEventsLimitCodeLengthAndFilter) {
  dyad::v1::GetGraphRequest request;
  request.set_min_events(2);
  EXPECT_THAT(Edges(Graph(request)),
              ElementsAre(std::make_tuple("USA", "PAK", 3), std::make_tuple("PAK", "PAK", 2)));
  request.set_min_events(0);
  request.set_limit(1);
  auto r = Graph(request);
  EXPECT_THAT(Edges(r), ElementsAre(std::make_tuple("USA", "PAK", 3)));
  EXPECT_TRUE(r.truncated());
  EXPECT_EQ(r.nodes_size(), 2);
  request.set_limit(0);
  request.set_node_code_length(6);
  EXPECT_THAT(
      Edges(Graph(request)),
      ElementsAre(std::make_tuple("PAKGOV", "PAKMIL", 2), std::make_tuple("USAGOV", "PAKGOV", 2),
                  std::make_tuple("INDGOV", "CHNGOV", 1), std::make_tuple("PAKGOV", "USAGOV", 1),
                  std::make_tuple("USAMIL", "PAKMIL", 1)));
  request.set_node_code_length(0);
  request.mutable_filter()->add_quad_classes(4);
  EXPECT_THAT(Edges(Graph(request)), ElementsAre(std::make_tuple("USA", "PAK", 1)));
  request.clear_filter();
  request.set_from("2000-01-01");
  EXPECT_EQ(std::get<2>(Edges(Graph(request)).at(0)), 10);  // IND → CHN over all time
}

TEST_F(GetGraphTest, EmptyWindowAndBadArguments) {
  dyad::v1::GetGraphRequest request;
  request.set_from("2030-01-01");
  auto r = Graph(request);
  EXPECT_EQ(r.edges_size(), 0);
  EXPECT_EQ(r.nodes_size(), 0);
  EXPECT_EQ(RelationStore().GetGraph({})->edges_size(), 0);
  const auto check = [&](auto&& set, const std::string& part) {
    dyad::v1::GetGraphRequest bad;
    set(bad);
    ExpectInvalid(store_.GetGraph(bad).status(), part);
  };
  check([](auto& b) { b.set_min_events(-1); }, "min_events");
  check([](auto& b) { b.set_node_code_length(-1); }, "node_code_length");
  check([](auto& b) { b.set_node_code_length(kMaxActorCodeLength + 1); }, "node_code_length");
  check([](auto& b) { b.set_limit(-1); }, "1..100000");
  check([](auto& b) { b.set_limit(kMaxGraphEdges + 1); }, "1..100000");
  check([](auto& b) { b.set_to("yesterday"); }, "not a valid ISO date");
}

TEST(GetGraph, Cancelled) {
  RelationStore store;
  for (int i = 0; i < 3000; ++i) {
    ApplyOk(store, {.id = "e" + std::to_string(i),
                    .date = core::FormatIsoDate(core::CivilFromDays(20000 + i))});
  }
  EXPECT_EQ(store.GetGraph({}, [] { return true; }).status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(store.GetGraph({}, [] { return false; })->edges_size(), 1);
}

// --- ListActors ---------------------------------------------------------------------------------

TEST(ListActors, ByCodeOrNameWordPrefixWithMentions) {
  RelationStore store(RepoNames());
  ApplyOk(store, {.id = "m1", .source = "USAGOV", .target = "PAKGOV"});
  ApplyOk(store, {.id = "m2", .source = "PAKMIL", .target = "PAKGOV", .code = "043"});
  ApplyOk(store, {.id = "m3", .source = "PAKGOV", .target = "PAKGOV", .code = "057"});
  ApplyOk(store, {.id = "m4", .source = "IGOUNOHLHWHO", .target = "IND"});
  const auto list = [&](const std::string& prefix, int limit = 0) {
    dyad::v1::ListActorsRequest request;
    request.set_prefix(prefix);
    request.set_limit(limit);
    auto response = store.ListActors(request);
    EXPECT_TRUE(response.ok()) << response.status();
    std::vector<std::tuple<std::string, std::string, int64_t>> out;
    if (response.ok()) {
      for (const auto& a : response->actors()) out.emplace_back(a.code(), a.name(), a.mentions());
    }
    return out;
  };
  EXPECT_THAT(list("pa"), ElementsAre(std::make_tuple("PAKGOV", "Pakistan government", 3),
                                      std::make_tuple("PAKMIL", "Pakistan military", 1)));
  EXPECT_THAT(list("Paki"), ElementsAre(std::make_tuple("PAKGOV", "Pakistan government", 3),
                                        std::make_tuple("PAKMIL", "Pakistan military", 1)));
  EXPECT_THAT(list("gov"),
              ElementsAre(std::make_tuple("PAKGOV", "Pakistan government", 3),
                          std::make_tuple("USAGOV", "United States of America government", 1)));
  EXPECT_THAT(list("united st"),
              ElementsAre(std::make_tuple("USAGOV", "United States of America government", 1)));
  EXPECT_THAT(list("health"),
              ElementsAre(std::make_tuple("IGOUNOHLHWHO", "World Health Organization", 1)));
  EXPECT_EQ(list("").size(), 5u);
  EXPECT_THAT(list("", 2),
              ElementsAre(std::make_tuple("IGOUNOHLHWHO", "World Health Organization", 1),
                          std::make_tuple("IND", "India", 1)));
  EXPECT_TRUE(list("zz").empty());
  EXPECT_TRUE(list("akistan").empty());  // words are matched from their start
}

TEST(ListActors, WithoutNamesCodesOnly) {
  RelationStore store;
  ApplyOk(store, {.id = "m1"});
  dyad::v1::ListActorsRequest request;
  request.set_prefix("usa");
  auto response = store.ListActors(request);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->actors_size(), 1);
  EXPECT_EQ(response->actors(0).code(), "USAGOV");
  EXPECT_EQ(response->actors(0).name(), "");
  request.set_prefix("united");
  EXPECT_EQ(store.ListActors(request)->actors_size(), 0);
}

TEST(ListActors, BadArguments) {
  RelationStore store;
  dyad::v1::ListActorsRequest request;
  request.set_prefix(std::string(kMaxActorCodeLength + 1, 'A'));
  ExpectInvalid(store.ListActors(request).status(), "at most 64");
  request.set_prefix("\xff\xfe");
  ExpectInvalid(store.ListActors(request).status(), "UTF-8");
  request.set_prefix("PAK");
  request.set_limit(-1);
  ExpectInvalid(store.ListActors(request).status(), "1..1000");
  request.set_limit(kMaxActors + 1);
  ExpectInvalid(store.ListActors(request).status(), "1..1000");
}

// --- Order independence and a naive reference ------------------------------------------------

std::vector<M> RandomMentions(int n, uint32_t seed) {
  std::mt19937 random(seed);
  const auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(random)];
  };
  const std::vector<std::string> actors = {"USAGOV", "USAMIL", "USA", "PAKGOV",
                                           "PAK",    "INDMIL", "CHN", "IGOUNO"};
  const std::vector<std::string> codes = {"042", "043", "0431", "190", "193", "111", "057"};
  const std::vector<std::string> places = {"", "Islamabad", "Delhi"};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<M> out;
  for (int i = 0; i < n; ++i) {
    M m;
    m.id = "id" + std::to_string(random() % 1000000) + "-" + std::to_string(i);
    m.source = pick(actors);
    m.target = pick(actors);
    m.date = core::FormatIsoDate(
        core::CivilFromDays(core::DaysFromCivil({2024, 12, 20}) + random() % 30));
    m.code = pick(codes);
    m.quad = m.code[0] == '0' ? 1 : (m.code == "111" ? 3 : 4);
    m.goldstein = unit(random) * 20 - 10;  // any double: the store rounds to millionths
    m.tone = unit(random) * 2 - 1;
    m.article = "a" + std::to_string(random() % 400);
    m.publisher = "p" + std::to_string(random() % 25);
    m.place = pick(places);
    m.country = m.place.empty() ? "" : "PAK";
    m.confidence = unit(random);
    m.published = 1734652800 + static_cast<int64_t>(random() % 3000000);
    out.push_back(m);
  }
  return out;
}

// Every answer the store gives about `mentions`, as text.
std::vector<std::string> Answers(const RelationStore& store, const std::vector<M>& mentions) {
  std::vector<std::string> out;
  const auto text = [&](const auto& status_or) {
    out.push_back(status_or.ok() ? status_or->DebugString() : status_or.status().ToString());
  };
  for (const auto& [s, t] : std::vector<std::pair<std::string, std::string>>{
           {"USA", "PAK"}, {"PAK", "USA"}, {"USAGOV", "PAK"}, {"PAK", "PAK"}, {"IGO", "CHN"}}) {
    for (const auto bucket : {dyad::v1::BUCKET_DAY, dyad::v1::BUCKET_WEEK, dyad::v1::BUCKET_MONTH,
                              dyad::v1::BUCKET_YEAR}) {
      for (int variant = 0; variant < 4; ++variant) {
        auto request = Relation(s, t, bucket);
        request.set_both_directions(variant % 2 == 1);
        if (variant == 2) request.mutable_filter()->add_root_codes("04");
        if (variant == 3) {
          request.mutable_filter()->add_quad_classes(4);
          request.mutable_filter()->set_min_confidence(0.4);
        }
        text(store.GetRelation(request));
      }
    }
  }
  for (const char* actor : {"USA", "PAK", "IGO", "CHN"}) {
    for (int order = 1; order <= 4; ++order) {
      dyad::v1::TopPartnersRequest request;
      request.set_actor(actor);
      request.set_order(static_cast<dyad::v1::PartnerOrder>(order));
      request.set_partner_code_length(order == 2 ? 6 : 0);
      request.set_directed(order == 3);
      text(store.TopPartners(request));
    }
  }
  for (const int length : {3, 6}) {
    dyad::v1::GetGraphRequest request;
    request.set_node_code_length(length);
    text(store.GetGraph(request));
    request.mutable_filter()->set_min_confidence(0.5);
    text(store.GetGraph(request));
  }
  dyad::v1::ListActorsRequest actors;
  actors.set_limit(kMaxActors);
  text(store.ListActors(actors));
  for (std::size_t i = 0; i < mentions.size(); i += 7) {
    dyad::v1::GetEventRequest request;
    request.set_id(mentions[i].id);
    text(store.GetEvent(request));
  }
  dyad::v1::ListEventsRequest list;
  list.set_page_size(kMaxPageSize);
  while (true) {
    auto page = store.ListEvents(list);
    text(page);
    if (!page.ok() || page->next_page_token().empty()) break;
    list.set_page_token(page->next_page_token());
  }
  return out;
}

TEST(OrderIndependence, AShuffledReplayGivesTheSameAnswers) {
  const auto mentions = RandomMentions(3000, 7);
  RelationStore in_order;
  for (const M& m : mentions) ApplyOk(in_order, m);
  auto shuffled = mentions;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(11));
  RelationStore replayed;
  for (const M& m : shuffled) ApplyOk(replayed, m);
  // Re-delivered records change nothing.
  for (std::size_t i = 0; i < shuffled.size(); i += 5) {
    auto again = replayed.Apply(Make(shuffled[i]));
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again);
  }
  const auto a = Answers(in_order, mentions);
  const auto b = Answers(replayed, mentions);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "answer " << i;
  EXPECT_EQ(in_order.Stats().deduplicated_events, replayed.Stats().deduplicated_events);
  EXPECT_LT(in_order.Stats().deduplicated_events, 3000);  // the data has duplicates
}

// Country-level questions without a filter read the country pairs' roll-ups; with a filter that
// keeps everything they read the dyads' events: both must agree.
TEST(OrderIndependence, RollUpsAgreeWithTheDyads) {
  const auto mentions = RandomMentions(3000, 5);
  RelationStore store(RepoNames());
  for (const M& m : mentions) ApplyOk(store, m);
  const auto all_quads = [](dyad::v1::EventFilter* f) {
    for (int q = 1; q <= 4; ++q) f->add_quad_classes(q);
  };
  for (const char* s : {"USA", "PAK", "IGO", "CHN"}) {
    for (const char* t : {"USA", "PAK", "IGO", "CHN"}) {
      for (const bool both : {false, true}) {
        auto plain = Relation(s, t, dyad::v1::BUCKET_WEEK);
        plain.set_both_directions(both);
        auto filtered = plain;
        all_quads(filtered.mutable_filter());
        EXPECT_EQ(GetOk(store, plain).DebugString(), GetOk(store, filtered).DebugString())
            << s << " " << t << " " << both;
      }
    }
    for (const bool directed : {false, true}) {
      dyad::v1::TopPartnersRequest plain;
      plain.set_actor(s);
      plain.set_directed(directed);
      auto filtered = plain;
      all_quads(filtered.mutable_filter());
      EXPECT_EQ(store.TopPartners(plain)->DebugString(), store.TopPartners(filtered)->DebugString())
          << s;
    }
  }
  dyad::v1::GetGraphRequest plain;
  auto filtered = plain;
  all_quads(filtered.mutable_filter());
  EXPECT_EQ(store.GetGraph(plain)->DebugString(), store.GetGraph(filtered)->DebugString());
  EXPECT_GT(store.GetGraph(plain)->edges_size(), 10);
}

TEST(OrderIndependence, TotalsMatchANaiveComputation) {
  const auto mentions = RandomMentions(3000, 3);
  RelationStore store;
  for (const M& m : mentions) ApplyOk(store, m);
  // USA → PAK and back, by the rule written out plainly.
  using Key =
      std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>;
  std::map<Key, std::vector<const M*>> groups;
  for (const M& m : mentions) {
    if ((m.source.starts_with("USA") && m.target.starts_with("PAK")) ||
        (m.source.starts_with("PAK") && m.target.starts_with("USA"))) {
      groups[{m.source, m.target, m.code.substr(0, 3), m.country, m.place, m.date}].push_back(&m);
    }
  }
  int64_t events = 0;
  int64_t mention_count = 0;
  int64_t conflict = 0;
  int64_t goldstein = 0;
  std::set<std::string> articles;
  std::set<std::string> sources;
  std::map<std::string, int64_t> per_day;
  for (auto& [key, group] : groups) {
    std::sort(group.begin(), group.end(), [](const M* a, const M* b) { return a->id < b->id; });
    ++events;
    ++per_day[std::get<5>(key)];
    int64_t sum = 0;
    for (const M* m : group) {
      ++mention_count;
      sum += std::llround(m->goldstein * 1e6);
      articles.insert(m->article);
      sources.insert(m->publisher);
    }
    const auto n = static_cast<int64_t>(group.size());
    goldstein += sum >= 0 ? (sum + n / 2) / n : -((-sum + n / 2) / n);
    if (group.front()->quad >= 3) ++conflict;
  }
  auto request = Relation("USA", "PAK");
  request.set_both_directions(true);
  const auto r = GetOk(store, request);
  EXPECT_EQ(r.total().events(), events);
  EXPECT_EQ(r.total().mentions(), mention_count);
  EXPECT_EQ(r.total().verbal_conflict() + r.total().material_conflict(), conflict);
  EXPECT_EQ(r.total().articles(), static_cast<int64_t>(articles.size()));
  EXPECT_EQ(r.total().sources(), static_cast<int64_t>(sources.size()));
  EXPECT_EQ(r.total().goldstein_sum(), static_cast<double>(goldstein) / 1e6);
  std::map<std::string, int64_t> got;
  for (const auto& b : r.buckets()) got[b.start()] = b.events();
  EXPECT_EQ(got, per_day);
  EXPECT_GT(events, 100);
}

}  // namespace
}  // namespace dyad::relations
