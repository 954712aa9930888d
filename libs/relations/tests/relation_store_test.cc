#include "dyad/relations/relation_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dyad/core/dates.h"

namespace dyad::relations {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

struct Spec {
  std::string id;
  std::string source = "USAGOV";
  std::string target = "PAKGOV";
  std::string date = "2025-09-13";
  int quad = 1;
  double goldstein = 1.0;
  std::string code = "041";
  double tone = 0.0;
};

dyad::v1::Event MakeEvent(const Spec& s) {
  dyad::v1::Event e;
  e.set_id(s.id);
  e.mutable_source()->set_code(s.source);
  e.mutable_source()->set_country(s.source.substr(0, 3));
  e.mutable_target()->set_code(s.target);
  e.mutable_target()->set_country(s.target.substr(0, 3));
  e.mutable_date()->set_date(s.date);
  e.set_quad_class(s.quad);
  e.set_goldstein(s.goldstein);
  e.set_code(s.code);
  e.set_base_code(s.code.substr(0, 3));
  e.set_root_code(s.code.substr(0, 2));
  e.set_tone(s.tone);
  return e;
}

void ApplyOk(RelationStore& store, const Spec& s) {
  auto applied = store.Apply(MakeEvent(s));
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_TRUE(*applied) << s.id << " was not new";
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

std::vector<std::pair<std::string, int64_t>> StartsAndCounts(
    const dyad::v1::GetRelationResponse& r) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& b : r.buckets()) out.emplace_back(b.start(), b.events());
  return out;
}

int64_t Day(const char* iso) { return core::DaysFromCivil(*core::ParseIsoDate(iso)); }

dyad::v1::ListEventsResponse ListOk(const RelationStore& store,
                                    const dyad::v1::ListEventsRequest& request);

// --- Aggregation -------------------------------------------------------------------------------

TEST(RelationStore, CountsPerQuadClassWithGoldsteinAndToneMeans) {
  RelationStore store;
  ApplyOk(store, {.id = "e1", .quad = 1, .goldstein = 1.0, .code = "041", .tone = 0.5});
  ApplyOk(store, {.id = "e2", .quad = 1, .goldstein = 3.0, .code = "042", .tone = 0.1});
  ApplyOk(store, {.id = "e3", .quad = 2, .goldstein = 7.4, .code = "071", .tone = 0.0});
  ApplyOk(store, {.id = "e4", .quad = 3, .goldstein = -2.0, .code = "112", .tone = -0.2});
  ApplyOk(store, {.id = "e5", .quad = 4, .goldstein = -10.0, .code = "195", .tone = -0.4});

  const auto r = GetOk(store, Relation("USA", "PAK"));
  ASSERT_EQ(r.buckets_size(), 1);
  const auto& t = r.total();
  EXPECT_EQ(t.start(), "");
  EXPECT_EQ(t.events(), 5);
  EXPECT_EQ(t.verbal_cooperation(), 2);
  EXPECT_EQ(t.material_cooperation(), 1);
  EXPECT_EQ(t.verbal_conflict(), 1);
  EXPECT_EQ(t.material_conflict(), 1);
  EXPECT_NEAR(t.goldstein_sum(), -0.6, 1e-9);
  EXPECT_NEAR(t.goldstein_mean(), -0.12, 1e-9);
  EXPECT_NEAR(t.tone_mean(), 0.0, 1e-9);
  EXPECT_THAT(t.root_codes(),
              UnorderedElementsAre(Pair("04", 2), Pair("07", 1), Pair("11", 1), Pair("19", 1)));
  EXPECT_THAT(t.event_ids(), ElementsAre("e5", "e4", "e3", "e2", "e1"));
  EXPECT_EQ(r.buckets(0).start(), "2025-09-13");
  EXPECT_EQ(r.buckets(0).events(), 5);
  EXPECT_NEAR(r.buckets(0).goldstein_mean(), -0.12, 1e-9);
}

TEST(RelationStore, EmptyRangeHasNoBucketsAndZeroTotals) {
  RelationStore store;
  ApplyOk(store, {.id = "e1"});
  const auto r = GetOk(store, Relation("IND", "PAK"));
  EXPECT_EQ(r.buckets_size(), 0);
  EXPECT_EQ(r.total().events(), 0);
  EXPECT_EQ(r.total().goldstein_mean(), 0.0);
  EXPECT_EQ(r.total().tone_mean(), 0.0);
}

TEST(RelationStore, RootCodeFallsBackToTheCodeAndUnknownQuadCountsOnlyAsEvent) {
  RelationStore store;
  auto e = MakeEvent({.id = "e1", .quad = 0, .code = "173"});
  e.clear_root_code();
  ASSERT_TRUE(store.Apply(e).ok());
  const auto t = GetOk(store, Relation("USA", "PAK")).total();
  EXPECT_EQ(t.events(), 1);
  EXPECT_EQ(t.verbal_cooperation() + t.material_cooperation() + t.verbal_conflict() +
                t.material_conflict(),
            0);
  EXPECT_THAT(t.root_codes(), UnorderedElementsAre(Pair("17", 1)));
}

TEST(RelationStore, ExemplarsAreTheFiveNewestWhenMentionsTie) {
  RelationStore store;
  for (int i = 0; i < 30; ++i) {
    char date[16];
    std::snprintf(date, sizeof date, "2025-09-%02d", i + 1);
    ApplyOk(store, {.id = "e" + std::to_string(100 + i), .date = date});
  }
  const auto r = GetOk(store, Relation("USA", "PAK", dyad::v1::BUCKET_MONTH));
  ASSERT_EQ(r.buckets_size(), 1);
  EXPECT_THAT(r.buckets(0).event_ids(), ElementsAre("e129", "e128", "e127", "e126", "e125"));
  EXPECT_THAT(r.total().event_ids(), ElementsAre("e129", "e128", "e127", "e126", "e125"));
}

TEST(RelationStore, TotalEventIdsSpanBucketsNewestFirst) {
  RelationStore store;
  ApplyOk(store, {.id = "a", .date = "2025-09-01"});
  ApplyOk(store, {.id = "b", .date = "2025-09-02", .code = "042"});
  ApplyOk(store, {.id = "c", .date = "2025-09-02", .code = "043"});
  const auto r = GetOk(store, Relation("USA", "PAK"));
  EXPECT_THAT(r.buckets(1).event_ids(), ElementsAre("c", "b"));
  EXPECT_THAT(r.total().event_ids(), ElementsAre("c", "b", "a"));
}

// --- Buckets -----------------------------------------------------------------------------------

TEST(Buckets, WeekStartsOnMonday) {
  // 2025-09-14 is a Sunday, 2025-09-15 a Monday.
  EXPECT_EQ(BucketStart(Day("2025-09-14"), dyad::v1::BUCKET_WEEK), Day("2025-09-08"));
  EXPECT_EQ(BucketStart(Day("2025-09-15"), dyad::v1::BUCKET_WEEK), Day("2025-09-15"));
  EXPECT_EQ(BucketEnd(Day("2025-09-15"), dyad::v1::BUCKET_WEEK), Day("2025-09-21"));
  // ISO week 1 of 2025 starts on Monday 2024-12-30.
  EXPECT_EQ(BucketStart(Day("2025-01-01"), dyad::v1::BUCKET_WEEK), Day("2024-12-30"));
  // Before the epoch too.
  EXPECT_EQ(BucketStart(Day("1969-12-31"), dyad::v1::BUCKET_WEEK), Day("1969-12-29"));
}

TEST(Buckets, MonthAndYearEndsIncludingLeapYears) {
  EXPECT_EQ(BucketStart(Day("2024-02-29"), dyad::v1::BUCKET_MONTH), Day("2024-02-01"));
  EXPECT_EQ(BucketEnd(Day("2024-02-01"), dyad::v1::BUCKET_MONTH), Day("2024-02-29"));
  EXPECT_EQ(BucketEnd(Day("2023-02-01"), dyad::v1::BUCKET_MONTH), Day("2023-02-28"));
  EXPECT_EQ(BucketEnd(Day("2100-02-01"), dyad::v1::BUCKET_MONTH), Day("2100-02-28"));
  EXPECT_EQ(BucketEnd(Day("2000-02-01"), dyad::v1::BUCKET_MONTH), Day("2000-02-29"));
  EXPECT_EQ(BucketEnd(Day("2025-12-01"), dyad::v1::BUCKET_MONTH), Day("2025-12-31"));
  EXPECT_EQ(BucketStart(Day("2024-12-31"), dyad::v1::BUCKET_YEAR), Day("2024-01-01"));
  EXPECT_EQ(BucketEnd(Day("2024-01-01"), dyad::v1::BUCKET_YEAR), Day("2024-12-31"));
  EXPECT_EQ(BucketStart(Day("2025-03-04"), dyad::v1::BUCKET_DAY), Day("2025-03-04"));
  EXPECT_EQ(BucketStart(Day("2025-03-04"), dyad::v1::BUCKET_UNSPECIFIED), Day("2025-03-04"));
}

TEST(RelationStore, DayBuckets) {
  RelationStore store;
  ApplyOk(store, {.id = "a", .date = "2025-09-13"});
  ApplyOk(store, {.id = "b", .date = "2025-09-13", .code = "042"});
  ApplyOk(store, {.id = "c", .date = "2025-09-15"});
  EXPECT_THAT(StartsAndCounts(GetOk(store, Relation("USA", "PAK", dyad::v1::BUCKET_DAY))),
              ElementsAre(Pair("2025-09-13", 2), Pair("2025-09-15", 1)));
  // Unspecified is day.
  EXPECT_THAT(StartsAndCounts(GetOk(store, Relation("USA", "PAK", dyad::v1::BUCKET_UNSPECIFIED))),
              ElementsAre(Pair("2025-09-13", 2), Pair("2025-09-15", 1)));
}

TEST(RelationStore, WeekBucketsSplitOnMonday) {
  RelationStore store;
  ApplyOk(store, {.id = "sat", .date = "2025-09-13"});
  ApplyOk(store, {.id = "sun", .date = "2025-09-14"});
  ApplyOk(store, {.id = "mon", .date = "2025-09-15"});
  ApplyOk(store, {.id = "newyear", .date = "2025-01-01"});
  ApplyOk(store, {.id = "monday", .date = "2024-12-30"});
  ApplyOk(store, {.id = "sunday", .date = "2024-12-29"});
  const auto r = GetOk(store, Relation("USA", "PAK", dyad::v1::BUCKET_WEEK));
  EXPECT_THAT(StartsAndCounts(r), ElementsAre(Pair("2024-12-23", 1), Pair("2024-12-30", 2),
                                              Pair("2025-09-08", 2), Pair("2025-09-15", 1)));
  EXPECT_THAT(r.buckets(2).event_ids(), ElementsAre("sun", "sat"));
}

TEST(RelationStore, MonthBucketsAtMonthEndsAndLeapDays) {
  RelationStore store;
  ApplyOk(store, {.id = "a", .date = "2024-01-31"});
  ApplyOk(store, {.id = "b", .date = "2024-02-01"});
  ApplyOk(store, {.id = "c", .date = "2024-02-29"});
  ApplyOk(store, {.id = "d", .date = "2024-03-01"});
  ApplyOk(store, {.id = "e", .date = "2023-02-28"});
  ApplyOk(store, {.id = "f", .date = "2023-03-01"});
  EXPECT_THAT(StartsAndCounts(GetOk(store, Relation("USA", "PAK", dyad::v1::BUCKET_MONTH))),
              ElementsAre(Pair("2023-02-01", 1), Pair("2023-03-01", 1), Pair("2024-01-01", 1),
                          Pair("2024-02-01", 2), Pair("2024-03-01", 1)));
}

TEST(RelationStore, YearBuckets) {
  RelationStore store;
  ApplyOk(store, {.id = "a", .date = "2024-12-31"});
  ApplyOk(store, {.id = "b", .date = "2025-01-01"});
  ApplyOk(store, {.id = "c", .date = "2025-12-31"});
  EXPECT_THAT(StartsAndCounts(GetOk(store, Relation("USA", "PAK", dyad::v1::BUCKET_YEAR))),
              ElementsAre(Pair("2024-01-01", 1), Pair("2025-01-01", 2)));
}

TEST(RelationStore, BucketEventIdsRespectTheRangeInsideAPartialBucket) {
  RelationStore store;
  ApplyOk(store, {.id = "early", .date = "2025-09-01"});
  ApplyOk(store, {.id = "mid", .date = "2025-09-10"});
  ApplyOk(store, {.id = "late", .date = "2025-09-30"});
  auto request = Relation("USA", "PAK", dyad::v1::BUCKET_MONTH);
  request.set_from("2025-09-05");
  request.set_to("2025-09-20");
  const auto r = GetOk(store, request);
  ASSERT_EQ(r.buckets_size(), 1);
  EXPECT_EQ(r.buckets(0).start(), "2025-09-01");  // the bucket's first day, not `from`
  EXPECT_EQ(r.buckets(0).events(), 1);
  EXPECT_THAT(r.buckets(0).event_ids(), ElementsAre("mid"));
}

// --- Actors and directions ---------------------------------------------------------------------

TEST(RelationStore, ActorPrefixesRollUp) {
  RelationStore store;
  ApplyOk(store, {.id = "gg", .source = "USAGOV", .target = "PAKGOV"});
  ApplyOk(store, {.id = "mm", .source = "USAMIL", .target = "PAKMIL"});
  ApplyOk(store, {.id = "cc", .source = "USA", .target = "PAK"});
  ApplyOk(store, {.id = "ind", .source = "USAGOV", .target = "INDGOV"});
  EXPECT_EQ(GetOk(store, Relation("USA", "PAK")).total().events(), 3);
  EXPECT_EQ(GetOk(store, Relation("USAGOV", "PAK")).total().events(), 1);
  EXPECT_EQ(GetOk(store, Relation("USA", "PAKMIL")).total().events(), 1);
  EXPECT_EQ(GetOk(store, Relation("USAGOV", "PAKGOV")).total().events(), 1);
  EXPECT_EQ(GetOk(store, Relation("US", "P")).total().events(), 3);
  // Prefixes are upper-cased.
  EXPECT_EQ(GetOk(store, Relation("usa", "pak")).total().events(), 3);
  EXPECT_EQ(GetOk(store, Relation("PAK", "USA")).total().events(), 0);
}

TEST(RelationStore, DirectedUnlessBothDirectionsAsked) {
  RelationStore store;
  ApplyOk(store, {.id = "up", .source = "USAGOV", .target = "PAKGOV", .goldstein = 1.0});
  ApplyOk(store, {.id = "pu", .source = "PAKGOV", .target = "USAGOV", .goldstein = 3.0});
  ApplyOk(store, {.id = "pu2", .source = "PAKMIL", .target = "USA", .goldstein = 2.0});
  EXPECT_EQ(GetOk(store, Relation("USA", "PAK")).total().events(), 1);
  EXPECT_EQ(GetOk(store, Relation("PAK", "USA")).total().events(), 2);
  auto both = Relation("USA", "PAK");
  both.set_both_directions(true);
  const auto r = GetOk(store, both);
  EXPECT_EQ(r.total().events(), 3);
  EXPECT_DOUBLE_EQ(r.total().goldstein_mean(), 2.0);
  EXPECT_THAT(r.total().event_ids(), ElementsAre("up", "pu2", "pu"));
}

TEST(RelationStore, BothDirectionsCountsADyadMatchingBothWaysOnce) {
  RelationStore store;
  ApplyOk(store, {.id = "inner", .source = "PAKGOV", .target = "PAKMIL"});
  auto both = Relation("PAK", "PAK");
  both.set_both_directions(true);
  EXPECT_EQ(GetOk(store, both).total().events(), 1);
}

// --- Idempotence and applying ------------------------------------------------------------------

TEST(RelationStore, ApplyIsIdempotentById) {
  RelationStore store;
  const auto e = MakeEvent({.id = "e1", .goldstein = 4.0});
  ASSERT_EQ(store.Apply(e).value_or(false), true);
  ASSERT_EQ(store.Apply(e).value_or(true), false);
  // Same id with different content is still the same event.
  auto changed = MakeEvent({.id = "e1", .date = "2025-01-01", .goldstein = -9.0});
  ASSERT_EQ(store.Apply(changed).value_or(true), false);
  const auto t = GetOk(store, Relation("USA", "PAK")).total();
  EXPECT_EQ(t.events(), 1);
  EXPECT_DOUBLE_EQ(t.goldstein_sum(), 4.0);
  EXPECT_EQ(store.Stats().events, 1);
  EXPECT_EQ(store.Stats().dyads, 1);
  EXPECT_TRUE(store.Contains("e1"));
  EXPECT_FALSE(store.Contains("e2"));
}

TEST(RelationStore, RejectsEventsItCannotPlace) {
  RelationStore store;
  auto no_id = MakeEvent({.id = ""});
  EXPECT_THAT(store.Apply(no_id).status().message(), HasSubstr("no id"));
  auto no_source = MakeEvent({.id = "x"});
  no_source.clear_source();
  EXPECT_THAT(store.Apply(no_source).status().message(), HasSubstr("no source actor"));
  auto no_target = MakeEvent({.id = "x"});
  no_target.clear_target();
  EXPECT_THAT(store.Apply(no_target).status().message(), HasSubstr("no target actor"));
  auto no_date = MakeEvent({.id = "x", .date = ""});
  EXPECT_THAT(store.Apply(no_date).status().message(), HasSubstr("no usable date"));
  auto bad_date = MakeEvent({.id = "x", .date = "2025-02-30"});
  EXPECT_EQ(store.Apply(bad_date).status().code(), absl::StatusCode::kInvalidArgument);
  auto nan = MakeEvent({.id = "x", .goldstein = std::nan("")});
  EXPECT_EQ(store.Apply(nan).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Apply(dyad::v1::Event()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Stats().events, 0);
  EXPECT_EQ(store.Stats().dyads, 0);
}

TEST(RelationStore, RejectsStringsThatAreNotUtf8) {
  RelationStore store;
  auto e = MakeEvent({.id = "bad-utf8"});
  e.set_sentence("caf\xc3");  // truncated sequence: proto3 would refuse to parse it back
  EXPECT_THAT(store.Apply(e).status().message(), HasSubstr("not valid UTF-8"));
  EXPECT_FALSE(store.Contains("bad-utf8"));
}

TEST(RelationStore, ListEventsReturnsTheWholeEvent) {
  RelationStore store;
  auto e = MakeEvent({.id = "full", .code = "0411", .tone = -0.25});
  e.set_article_id("u-1");
  e.set_sentence("Rubio spoke with Dar by telephone on Saturday.");
  e.set_trigger_begin(6);
  e.set_trigger_end(11);
  e.mutable_date()->set_text("on Saturday");
  e.mutable_place()->set_country("PAK");
  e.mutable_source()->add_roles("GOV");
  ASSERT_TRUE(store.Apply(e).ok());
  const auto page = ListOk(store, {});
  ASSERT_EQ(page.events_size(), 1);
  EXPECT_EQ(page.events(0).SerializeAsString(), e.SerializeAsString());
}

TEST(RelationStore, FallsBackToPublicationDayAndCountryCode) {
  RelationStore store;
  auto e = MakeEvent({.id = "p", .date = ""});
  e.mutable_source()->clear_code();  // country "USA" stands in
  e.mutable_published_at()->set_seconds(Day("2025-09-14") * 86400 + 3600 * 23);
  auto applied = store.Apply(e);
  ASSERT_TRUE(applied.ok()) << applied.status();
  const auto r = GetOk(store, Relation("USA", "PAKGOV"));
  ASSERT_EQ(r.buckets_size(), 1);
  EXPECT_EQ(r.buckets(0).start(), "2025-09-14");
  // A malformed date also falls back to published_at.
  auto bad = MakeEvent({.id = "q", .date = "soon"});
  bad.mutable_published_at()->set_seconds(-1);  // 1969-12-31T23:59:59Z
  ASSERT_TRUE(store.Apply(bad).ok());
  EXPECT_EQ(*EventDay(bad), -1);
}

// --- Ranges ------------------------------------------------------------------------------------

TEST(RelationStore, FromAndToAreInclusive) {
  RelationStore store;
  ApplyOk(store, {.id = "a", .date = "2025-09-10"});
  ApplyOk(store, {.id = "b", .date = "2025-09-11"});
  ApplyOk(store, {.id = "c", .date = "2025-09-12"});
  ApplyOk(store, {.id = "d", .date = "2025-09-13"});
  auto r = Relation("USA", "PAK");
  r.set_from("2025-09-11");
  r.set_to("2025-09-12");
  EXPECT_THAT(StartsAndCounts(GetOk(store, r)),
              ElementsAre(Pair("2025-09-11", 1), Pair("2025-09-12", 1)));
  r.set_to("");
  EXPECT_EQ(GetOk(store, r).total().events(), 3);
  r.set_from("");
  r.set_to("2025-09-10");
  EXPECT_EQ(GetOk(store, r).total().events(), 1);
  r.set_from("2025-09-13");
  r.set_to("2025-09-13");
  EXPECT_THAT(GetOk(store, r).total().event_ids(), ElementsAre("d"));
}

// --- Validation --------------------------------------------------------------------------------

void ExpectInvalid(const absl::Status& status, const std::string& fragment) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(fragment));
}

TEST(RelationStore, GetRelationValidation) {
  RelationStore store;
  ExpectInvalid(store.GetRelation(Relation("", "PAK")).status(), "source actor is empty");
  ExpectInvalid(store.GetRelation(Relation("USA", "")).status(), "target actor is empty");
  ExpectInvalid(store.GetRelation(Relation("US A", "PAK")).status(), "letters and digits");
  ExpectInvalid(store.GetRelation(Relation("USA", "PAK*")).status(), "letters and digits");
  auto r = Relation("USA", "PAK");
  r.set_from("2025-13-01");
  ExpectInvalid(store.GetRelation(r).status(), "from \"2025-13-01\" is not a valid ISO date");
  r.set_from("");
  r.set_to("2025-02-29");
  ExpectInvalid(store.GetRelation(r).status(), "to \"2025-02-29\" is not a valid ISO date");
  r.set_from("2025-09-14");
  r.set_to("2025-09-13");
  ExpectInvalid(store.GetRelation(r).status(), "swap them");
  r.set_from("1950-01-01");
  r.set_to("2025-01-01");
  ExpectInvalid(store.GetRelation(r).status(), "longer than 50 years");
  r.set_from("1975-01-01");  // exactly 50 years, leap days included
  EXPECT_TRUE(store.GetRelation(r).ok());
  r.set_to("2025-01-02");
  ExpectInvalid(store.GetRelation(r).status(), "longer than 50 years");
  r.set_to("2025-01-01");
  r.set_bucket(static_cast<dyad::v1::Bucket>(9));
  ExpectInvalid(store.GetRelation(r).status(), "bucket 9 is unknown");
}

TEST(RelationStore, ListEventsValidation) {
  RelationStore store;
  dyad::v1::ListEventsRequest r;
  r.set_page_size(-1);
  ExpectInvalid(store.ListEvents(r).status(), "page_size -1");
  r.set_page_size(1001);
  ExpectInvalid(store.ListEvents(r).status(), "page_size 1001");
  r.set_page_size(1000);
  EXPECT_TRUE(store.ListEvents(r).ok());
  r.set_quad_class(5);
  ExpectInvalid(store.ListEvents(r).status(), "quad_class 5");
  r.set_quad_class(0);
  r.set_code("04x");
  ExpectInvalid(store.ListEvents(r).status(), "CAMEO event code prefix");
  r.set_code("");
  r.set_actor("U-S");
  ExpectInvalid(store.ListEvents(r).status(), "actor \"U-S\"");
  r.set_actor("");
  r.set_from("yesterday");
  ExpectInvalid(store.ListEvents(r).status(), "from \"yesterday\"");
  r.set_from("2025-09-14");
  r.set_to("2025-09-13");
  ExpectInvalid(store.ListEvents(r).status(), "swap them");
  r.clear_from();
  r.clear_to();
  for (const char* token : {"%%%", "bm90IGEgdG9rZW4", "djF8YWJjfGlk", "djF8MTIz", "djF8fGlk"}) {
    r.set_page_token(token);
    ExpectInvalid(store.ListEvents(r).status(), "page_token");
  }
}

// --- Listing -----------------------------------------------------------------------------------

std::vector<std::string> Ids(const dyad::v1::ListEventsResponse& r) {
  std::vector<std::string> out;
  for (const auto& e : r.events()) out.push_back(e.id());
  return out;
}

dyad::v1::ListEventsResponse ListOk(const RelationStore& store,
                                    const dyad::v1::ListEventsRequest& request) {
  auto response = store.ListEvents(request);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : dyad::v1::ListEventsResponse();
}

class ListEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ApplyOk(store_, {.id = "a",
                     .source = "USAGOV",
                     .target = "PAKGOV",
                     .date = "2025-09-10",
                     .quad = 1,
                     .code = "041"});
    ApplyOk(store_, {.id = "b",
                     .source = "PAKMIL",
                     .target = "INDMIL",
                     .date = "2025-09-11",
                     .quad = 4,
                     .code = "190"});
    ApplyOk(store_, {.id = "c",
                     .source = "INDGOV",
                     .target = "USAGOV",
                     .date = "2025-09-12",
                     .quad = 3,
                     .code = "112"});
    ApplyOk(store_, {.id = "d",
                     .source = "USAGOV",
                     .target = "PAKGOV",
                     .date = "2025-09-12",
                     .quad = 2,
                     .code = "071"});
    ApplyOk(store_, {.id = "e",
                     .source = "CHN",
                     .target = "PAK",
                     .date = "2025-09-13",
                     .quad = 1,
                     .code = "042"});
  }
  RelationStore store_;
};

TEST_F(ListEventsTest, NewestFirstByDateThenId) {
  EXPECT_THAT(Ids(ListOk(store_, {})), ElementsAre("e", "d", "c", "b", "a"));
}

TEST_F(ListEventsTest, Filters) {
  dyad::v1::ListEventsRequest r;
  r.set_actor("PAK");
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("e", "d", "b", "a"));
  r.set_actor("usa");
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("d", "c", "a"));
  r.clear_actor();
  r.set_source("USA");
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("d", "a"));
  r.clear_source();
  r.set_target("PAK");
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("e", "d", "a"));
  r.set_source("CHN");
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("e"));
  r.clear_source();
  r.clear_target();
  r.set_source("PAKMIL");
  r.set_actor("IND");
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("b"));
  r.set_actor("CHN");
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre());
  r.Clear();
  r.set_code("04");
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("e", "a"));
  r.set_code("041");
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("a"));
  r.Clear();
  r.set_quad_class(1);
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("e", "a"));
  r.Clear();
  r.set_from("2025-09-11");
  r.set_to("2025-09-12");
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("d", "c", "b"));
  r.set_actor("USA");
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("d", "c"));
  r.set_quad_class(3);
  EXPECT_THAT(Ids(ListOk(store_, r)), ElementsAre("c"));
}

TEST_F(ListEventsTest, LastPageHasNoToken) {
  dyad::v1::ListEventsRequest r;
  r.set_page_size(5);
  EXPECT_EQ(ListOk(store_, r).next_page_token(), "");
  r.set_page_size(4);
  const auto first = ListOk(store_, r);
  EXPECT_THAT(Ids(first), ElementsAre("e", "d", "c", "b"));
  ASSERT_NE(first.next_page_token(), "");
  r.set_page_token(first.next_page_token());
  const auto second = ListOk(store_, r);
  EXPECT_THAT(Ids(second), ElementsAre("a"));
  EXPECT_EQ(second.next_page_token(), "");
}

TEST(RelationStore, PaginationCoversEveryEventOnceAndSurvivesNewEvents) {
  RelationStore store;
  // 137 events over 20 days and three dyads, applied in a scrambled order.
  std::vector<Spec> specs;
  for (int i = 0; i < 137; ++i) {
    char date[16];
    std::snprintf(date, sizeof date, "2025-08-%02d", 1 + (i * 7) % 20);
    const char* sources[] = {"USAGOV", "PAKGOV", "INDMIL"};
    specs.push_back({.id = "e" + std::to_string((i * 31) % 1000),
                     .source = sources[i % 3],
                     .target = i % 2 ? "CHN" : "RUS",
                     .date = date});
  }
  for (const auto& s : specs) ApplyOk(store, s);

  for (const char* actor : {"", "USA", "CHN"}) {
    SCOPED_TRACE(actor);
    dyad::v1::ListEventsRequest r;
    r.set_actor(actor);
    r.set_page_size(10);
    std::vector<dyad::v1::Event> seen;
    int pages = 0;
    do {
      const auto page = ListOk(store, r);
      for (const auto& e : page.events()) seen.push_back(e);
      r.set_page_token(page.next_page_token());
      ASSERT_LT(++pages, 100);
    } while (!r.page_token().empty());
    std::set<std::string> unique;
    for (const auto& e : seen) unique.insert(e.id());
    EXPECT_EQ(unique.size(), seen.size()) << "an event appeared twice";
    const int64_t expected = std::string(actor).empty()    ? 137
                             : std::string(actor) == "USA" ? 46
                                                           : 68;
    EXPECT_EQ(static_cast<int64_t>(seen.size()), expected);
    for (std::size_t i = 1; i < seen.size(); ++i) {
      const auto prev = std::make_pair(seen[i - 1].date().date(), seen[i - 1].id());
      const auto cur = std::make_pair(seen[i].date().date(), seen[i].id());
      EXPECT_GT(prev, cur) << "not newest first at " << i;
    }
  }

  // A token from page 1 stays valid after new events arrive: newer ones do not shift the pages,
  // older ones appear later.
  dyad::v1::ListEventsRequest r;
  r.set_page_size(10);
  const auto first = ListOk(store, r);
  ASSERT_EQ(first.events_size(), 10);
  ApplyOk(store, {.id = "zz-newest", .date = "2025-12-31"});
  ApplyOk(store, {.id = "aa-oldest", .date = "2025-01-01"});
  r.set_page_token(first.next_page_token());
  std::set<std::string> rest;
  while (true) {
    const auto page = ListOk(store, r);
    for (const auto& e : page.events()) {
      EXPECT_TRUE(rest.insert(e.id()).second);
      for (const auto& f : first.events()) EXPECT_NE(f.id(), e.id());
    }
    if (page.next_page_token().empty()) break;
    r.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(rest.size(), 137u - 10u + 1u);
  EXPECT_TRUE(rest.contains("aa-oldest"));
  EXPECT_FALSE(rest.contains("zz-newest"));
}

TEST(RelationStore, DefaultPageSizeIsFifty) {
  RelationStore store;
  for (int i = 0; i < 60; ++i) ApplyOk(store, {.id = "e" + std::to_string(i)});
  const auto page = ListOk(store, {});
  EXPECT_EQ(page.events_size(), 50);
  EXPECT_NE(page.next_page_token(), "");
}

// --- Cancellation and threads ------------------------------------------------------------------

TEST(RelationStore, LongQueriesStopWhenCancelled) {
  RelationStore store;
  for (int i = 0; i < 3000; ++i) {
    const int64_t day = Day("2015-01-01") + i;
    ApplyOk(store,
            {.id = "e" + std::to_string(i), .date = core::FormatIsoDate(core::CivilFromDays(day))});
  }
  const auto cancelled = [] { return true; };
  EXPECT_EQ(store.GetRelation(Relation("USA", "PAK"), cancelled).status().code(),
            absl::StatusCode::kCancelled);
  dyad::v1::ListEventsRequest r;
  r.set_code("99");  // matches nothing: the scan runs through everything
  EXPECT_EQ(store.ListEvents(r, cancelled).status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(store.ListEvents(r, [] { return false; }).ok());
}

TEST(RelationStore, ReadersRunWhileAWriterApplies) {
  RelationStore store;
  std::atomic<bool> done{false};
  const auto started = std::chrono::steady_clock::now();
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(store.Apply(MakeEvent({.id = "e" + std::to_string(i)})).ok());
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      int64_t last = 0;
      while (!done) {
        auto r = store.GetRelation(Relation("USA", "PAK"));
        ASSERT_TRUE(r.ok());
        EXPECT_GE(r->total().mentions(), last);  // a snapshot never goes backwards
        last = r->total().mentions();
        dyad::v1::ListEventsRequest list;
        list.set_page_size(5);
        ASSERT_TRUE(store.ListEvents(list).ok());
      }
    });
  }
  writer.join();
  // Busy readers must not starve the writer (the applier) for long.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  for (auto& t : readers) t.join();
  // One dyad, day, code and place: 2000 mentions of one event.
  EXPECT_EQ(GetOk(store, Relation("USA", "PAK")).total().mentions(), 2000);
  EXPECT_EQ(GetOk(store, Relation("USA", "PAK")).total().events(), 1);
}

}  // namespace
}  // namespace dyad::relations
