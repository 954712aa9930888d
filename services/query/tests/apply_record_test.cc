#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

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

TEST(ApplyRecord, OutcomeNames) {
  EXPECT_STREQ(OutcomeName(RecordOutcome::kUnparseable), "unparseable");
  EXPECT_STREQ(OutcomeName(RecordOutcome::kMissingId), "missing id");
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
