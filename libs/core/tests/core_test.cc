#include <gtest/gtest.h>

#include "dyad/core/config.h"
#include "dyad/core/data_dir.h"
#include "dyad/core/dates.h"
#include "dyad/core/ids.h"
#include "dyad/core/utf8.h"

namespace dyad::core {
namespace {

TEST(Ids, Sha256OfKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Ids, StableIdIsPrefixPlus32Hex) {
  EXPECT_EQ(StableId("u-", "abc"), "u-ba7816bf8f01cfea414140de5dae2223");
  EXPECT_NE(StableId("u-", "abc"), StableId("u-", "abd"));
}

TEST(Utf8, AcceptsValidText) {
  EXPECT_EQ(FindInvalidUtf8(""), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("Pakistan\xE2\x80\x99s \xF0\x9F\x98\x80"), std::nullopt);
}

TEST(Utf8, ReportsFirstBadByte) {
  EXPECT_EQ(FindInvalidUtf8("ab\xFF"), 2u);
  EXPECT_EQ(FindInvalidUtf8("a\xC0\xAF"), 1u);         // overlong
  EXPECT_EQ(FindInvalidUtf8("a\xED\xA0\x80"), 1u);     // surrogate
  EXPECT_EQ(FindInvalidUtf8("abc\xE2\x80"), 3u);       // truncated
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
}

TEST(Dates, RoundTripsAndWeekdays) {
  const CivilDate d{2025, 8, 2};
  EXPECT_EQ(CivilFromDays(DaysFromCivil(d)), d);
  EXPECT_EQ(DaysFromCivil({1970, 1, 1}), 0);
  EXPECT_EQ(Weekday(DaysFromCivil(d)), 5);  // 2025-08-02 was a Saturday
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(1900, 2), 28);
}

TEST(Dates, ParsesIsoDatesAndRejectsBadOnes) {
  EXPECT_EQ(ParseIsoDate("2025-08-04"), (CivilDate{2025, 8, 4}));
  EXPECT_EQ(ParseIsoDate("19950101"), (CivilDate{1995, 1, 1}));
  EXPECT_EQ(ParseIsoDate("2025-02-30"), std::nullopt);
  EXPECT_EQ(ParseIsoDate("2025-8-4"), std::nullopt);
  EXPECT_EQ(ParseIsoDate(""), std::nullopt);
  EXPECT_EQ(FormatIsoDate({5, 1, 2}), "0005-01-02");
}

TEST(Dates, ParsesTimestamps) {
  EXPECT_EQ(ParseTimestamp("1970-01-02"), 86400);
  EXPECT_EQ(ParseTimestamp("2025-03-14T20:30:26Z"), 1741984226);
  EXPECT_EQ(ParseTimestamp("2025-03-14T22:30:26+02:00"), 1741984226);
  EXPECT_EQ(ParseTimestamp("2025-03-14 20:30:26.123"), 1741984226);
  EXPECT_EQ(ParseTimestamp("2025-03-14T25:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("yesterday"), std::nullopt);
}

TEST(Config, ParsesKeyValue) {
  auto kv = ParseKeyValue("security.protocol=SASL_SSL");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "security.protocol");
  EXPECT_EQ(kv->second, "SASL_SSL");
  EXPECT_EQ(ParseKeyValue("a=b=c")->second, "b=c");
  EXPECT_FALSE(ParseKeyValue("novalue").ok());
  EXPECT_FALSE(ParseKeyValue("=x").ok());
}

}  // namespace
}  // namespace dyad::core

#include <csignal>

#include "dyad/core/subprocess.h"

namespace dyad::core {
namespace {

TEST(DataDir, EnvironmentFirstThenTheSourceTree) {
  ::setenv("DYAD_DATA_DIR", "/tmp/dyad-data-x", 1);
  EXPECT_EQ(DefaultDataDir(), "/tmp/dyad-data-x");
  ::setenv("DYAD_DATA_DIR", "", 1);  // empty = not set
  EXPECT_EQ(DefaultDataDir(), std::string(DYAD_SOURCE_DIR) + "/data");
  ::unsetenv("DYAD_DATA_DIR");
  EXPECT_EQ(DefaultDataDir(), std::string(DYAD_SOURCE_DIR) + "/data");
}

TEST(Subprocess, ReadsLinesAndExitCode) {
  auto child = Subprocess::Start({"/bin/sh", "-c", "echo ready; echo two; exit 3"});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(*(*child)->ReadLine(std::chrono::seconds(5)), "ready");
  EXPECT_EQ(*(*child)->ReadLine(std::chrono::seconds(5)), "two");
  EXPECT_EQ((*child)->ReadLine(std::chrono::seconds(5)).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*(*child)->Wait(std::chrono::seconds(5)), 3);
}

TEST(Subprocess, TimesOutAndTerminates) {
  auto child = Subprocess::Start({"/bin/sleep", "30"});
  ASSERT_TRUE(child.ok());
  EXPECT_EQ((*child)->ReadLine(std::chrono::milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE((*child)->running());
  (*child)->Signal(SIGTERM);
  EXPECT_EQ(*(*child)->Wait(std::chrono::seconds(5)), 128 + SIGTERM);
}

TEST(Subprocess, MissingBinaryIsNotFound) {
  EXPECT_EQ(Subprocess::Start({"/nonexistent/dyad"}).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace dyad::core
