#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "dyad/query/query.h"
#include "dyad/v1/article.pb.h"

namespace dyad::query {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string EventBytes(const std::string& id) {
  dyad::v1::Event e;
  e.set_id(id);
  e.mutable_source()->set_code("USAGOV");
  e.mutable_target()->set_code("PAKGOV");
  e.mutable_date()->set_date("2025-09-13");
  e.set_quad_class(1);
  e.set_goldstein(1.0);
  e.set_code("041");
  e.set_root_code("04");
  return e.SerializeAsString();
}

TEST(ApplyRecord, AppliesNewEventsOnce) {
  relations::RelationStore store;
  EXPECT_EQ(ApplyRecord(store, EventBytes("e1")), RecordOutcome::kApplied);
  EXPECT_EQ(ApplyRecord(store, EventBytes("e1")), RecordOutcome::kDuplicate);
  EXPECT_EQ(ApplyRecord(store, EventBytes("e2")), RecordOutcome::kApplied);
  EXPECT_EQ(store.Stats().events, 2);
}

TEST(ApplyRecord, ClassifiesInvalidRecords) {
  relations::RelationStore store;
  std::string why;
  EXPECT_EQ(ApplyRecord(store, "\xff\xff\xff junk", &why), RecordOutcome::kUnparseable);
  EXPECT_THAT(why, HasSubstr("not a dyad.v1.Event"));
  EXPECT_EQ(ApplyRecord(store, "", &why), RecordOutcome::kMissingId);
  EXPECT_THAT(why, HasSubstr("empty"));

  // Another message type either fails to parse or parses into an Event the store cannot place.
  dyad::v1::Article article;
  article.set_id("u-123");
  article.set_url("https://example.org/a");
  article.set_body("Rubio spoke with Dar by telephone.");
  const auto outcome = ApplyRecord(store, article.SerializeAsString(), &why);
  EXPECT_NE(outcome, RecordOutcome::kApplied);
  EXPECT_NE(outcome, RecordOutcome::kDuplicate);

  dyad::v1::Event no_actors;
  no_actors.set_id("e-no-actors");
  no_actors.mutable_date()->set_date("2025-09-13");
  EXPECT_EQ(ApplyRecord(store, no_actors.SerializeAsString(), &why), RecordOutcome::kRejected);
  EXPECT_THAT(why, HasSubstr("no source actor code"));
  EXPECT_EQ(store.Stats().events, 0);
}

TEST(ApplyRecord, OversizedRecordsAreNotParsed) {
  relations::RelationStore store;
  std::string why;
  // A valid event padded past the limit: refused by size alone.
  dyad::v1::Event big;
  big.set_id("e-big");
  big.mutable_source()->set_code("USAGOV");
  big.mutable_target()->set_code("PAKGOV");
  big.mutable_date()->set_date("2025-09-13");
  big.set_sentence(std::string(5 << 20, 'x'));
  EXPECT_EQ(ApplyRecord(store, big.SerializeAsString(), &why), RecordOutcome::kOversized);
  EXPECT_THAT(why, HasSubstr("more than the 1048576"));
  EXPECT_EQ(store.Stats().events, 0);
}

// Every kind of hostile record into a DurableStore batch: counted by kind, persisted, and the
// valid events around them applied.
TEST(ApplyRecord, HostileRecordsAreCountedByKindInTheDurableStore) {
  std::random_device random_device;
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("dyad-apply-record-" + std::to_string(getpid()) + "-" + std::to_string(random_device()));
  {
    relations::RelationStore memory;
    auto store = relations::DurableStore::Open({.dir = dir.string(), .topic = "t"}, memory);
    ASSERT_TRUE(store.ok()) << store.status();
    auto batch = (*store)->NewBatch();
    std::mt19937 random(42);
    std::string noise(4096, '\0');
    for (char& c : noise) c = static_cast<char>(random());
    dyad::v1::Article article;
    article.set_id("u-1");
    article.set_url("https://example.org/a");
    article.set_body("Rubio spoke with Dar by telephone.");
    std::string why;
    EXPECT_EQ(ApplyRecord(batch, EventBytes("e1")), RecordOutcome::kApplied);
    EXPECT_EQ(ApplyRecord(batch, std::string(5 << 20, 'z'), &why), RecordOutcome::kOversized);
    EXPECT_EQ(ApplyRecord(batch, "", &why), RecordOutcome::kMissingId);
    EXPECT_EQ(ApplyRecord(batch, "\xff\xff\xff junk", &why), RecordOutcome::kUnparseable);
    const auto noise_outcome = ApplyRecord(batch, noise, &why);
    EXPECT_NE(noise_outcome, RecordOutcome::kApplied);
    const auto article_outcome = ApplyRecord(batch, article.SerializeAsString(), &why);
    EXPECT_NE(article_outcome, RecordOutcome::kApplied);
    EXPECT_EQ(ApplyRecord(batch, EventBytes("e1")), RecordOutcome::kDuplicate);
    EXPECT_EQ(ApplyRecord(batch, EventBytes("e2")), RecordOutcome::kApplied);
    ASSERT_TRUE((*store)->Commit(std::move(batch)).ok());
    EXPECT_EQ(memory.Stats().events, 2);
  }
  relations::RelationStore memory;
  auto store = relations::DurableStore::Open({.dir = dir.string(), .topic = "t"}, memory);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(memory.Stats().events, 2);
  EXPECT_EQ((*store)->Counter("oversized"), 1);
  EXPECT_GE((*store)->Counter("missing_id"), 1);  // the empty value (the Article may add one)
  EXPECT_GE((*store)->Counter("unparseable"), 1);
  EXPECT_EQ((*store)->Counter("unparseable") + (*store)->Counter("missing_id") +
                (*store)->Counter("rejected") + (*store)->Counter("oversized"),
            5);
  EXPECT_EQ((*store)->Counter("applied"), 2);
  EXPECT_EQ((*store)->Counter("duplicate"), 1);
  store->reset();
  std::filesystem::remove_all(dir);
}

TEST(ApplyRecord, OutcomeNames) {
  EXPECT_STREQ(OutcomeName(RecordOutcome::kUnparseable), "unparseable");
  EXPECT_STREQ(OutcomeName(RecordOutcome::kMissingId), "missing id");
  EXPECT_STREQ(OutcomeName(RecordOutcome::kOversized), "oversized");
  EXPECT_STREQ(OutcomeCounter(RecordOutcome::kMissingId), "missing_id");
  EXPECT_STREQ(OutcomeCounter(RecordOutcome::kApplied), relations::kCounterApplied);
}

TEST(UniqueGroupId, PrefixHostPidRandom) {
  const std::string a = UniqueGroupId("dyad-query");
  const std::string b = UniqueGroupId("dyad-query");
  EXPECT_NE(a, b);
  EXPECT_THAT(a, MatchesRegex("dyad-query-.+-[0-9]+-[0-9a-f]{8}"));
  EXPECT_THAT(a, HasSubstr("-" + std::to_string(getpid()) + "-"));
}

}  // namespace
}  // namespace dyad::query
