#include "dyad/coder/json_lines.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dyad::coder {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(ParseCodeRequestTest, FullLine) {
  auto r =
      ParseCodeRequest(R"({"id": "a1", "text": "Pakistan praised Trump.", "date": "2025-09-14"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, "a1");
  EXPECT_EQ(r->text, "Pakistan praised Trump.");
  EXPECT_TRUE(r->has_date);
  EXPECT_EQ(r->date, (core::CivilDate{2025, 9, 14}));
}

TEST(ParseCodeRequestTest, OptionalFields) {
  auto r = ParseCodeRequest(R"({"text": "x"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, "");
  EXPECT_FALSE(r->has_date);
  auto n = ParseCodeRequest(R"({"id": 42, "text": "x", "date": "2025-03-14T20:30:26Z"})");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->id, "42");
  EXPECT_EQ(n->date, (core::CivilDate{2025, 3, 14}));
}

struct BadRequest {
  std::string line;
  std::string expected;
};

class ParseCodeRequestErrorTest : public ::testing::TestWithParam<BadRequest> {};

TEST_P(ParseCodeRequestErrorTest, SaysWhatIsWrong) {
  auto r = ParseCodeRequest(GetParam().line);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Lines, ParseCodeRequestErrorTest,
    ::testing::Values(BadRequest{"not json", "not JSON"}, BadRequest{"", "not JSON"},
                      BadRequest{R"({"id": "a"})", "missing \"text\""},
                      BadRequest{R"({"text": 5})", "\"text\" must be a string"},
                      BadRequest{R"(["text"])", "JSON object"},
                      BadRequest{R"({"text": "x", "date": "2025-13-40"})", "bad \"date\""},
                      BadRequest{R"({"text": "x", "date": 20250914})", "\"date\" must be a string"},
                      BadRequest{R"({"text": "x", "id": [1]})", "\"id\" must be a string"},
                      BadRequest{"{\"text\": \"bad \xff byte\"}", "invalid UTF-8 at byte 14"}));

TEST(ParseCodeRequestTest, HugeLineIsRejected) {
  std::string line = R"({"text": ")" + std::string(17 * 1024 * 1024, 'a') + R"("})";
  auto r = ParseCodeRequest(line);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("longer than 16 MiB"));
}

v1::Event SampleEvent() {
  v1::Event e;
  e.set_id("e-1");
  e.mutable_source()->set_code("USAGOV");
  e.mutable_source()->set_name("Marco Rubio");
  e.mutable_source()->set_country("USA");
  e.mutable_target()->set_code("PAKGOV");
  e.mutable_target()->set_country("PAK");
  e.set_code("041");
  e.set_base_code("041");
  e.set_root_code("04");
  e.set_quad_class(1);
  e.set_goldstein(1.0);
  e.mutable_date()->set_date("2025-09-13");
  e.mutable_date()->set_granularity(v1::DATE_GRANULARITY_DAY);
  e.mutable_date()->set_resolution(v1::DATE_RESOLUTION_RELATIVE);
  e.mutable_date()->set_text("on Saturday");
  e.set_modality(v1::MODALITY_ASSERTED);
  e.set_confidence(0.8);
  e.set_sentence_index(5);
  e.set_sentence("Dar received a telephone call from Rubio on Saturday.");
  e.mutable_place()->set_precision(v1::PLACE_PRECISION_CITY);
  return e;
}

TEST(FormatCodeResultTest, OneLineWithTheContractKeys) {
  const std::string line = FormatCodeResult("a1", {SampleEvent()});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const json j = json::parse(line);
  EXPECT_EQ(j["id"], "a1");
  ASSERT_EQ(j["events"].size(), 1u);
  const json& e = j["events"][0];
  EXPECT_EQ(e["source"], "USAGOV");
  EXPECT_EQ(e["target"], "PAKGOV");
  EXPECT_EQ(e["code"], "041");
  EXPECT_EQ(e["base_code"], "041");
  EXPECT_EQ(e["root_code"], "04");
  EXPECT_EQ(e["quad_class"], 1);
  EXPECT_DOUBLE_EQ(e["goldstein"].get<double>(), 1.0);
  EXPECT_EQ(e["source_name"], "Marco Rubio");
  EXPECT_EQ(e["date"], "2025-09-13");
  EXPECT_EQ(e["date_granularity"], "day");
  EXPECT_EQ(e["date_resolution"], "relative");
  EXPECT_EQ(e["date_text"], "on Saturday");
  EXPECT_EQ(e["negated"], false);
  EXPECT_EQ(e["modality"], "asserted");
  EXPECT_EQ(e["sentence_index"], 5);
  EXPECT_EQ(e["event_id"], "e-1");
  EXPECT_EQ(e["place_precision"], "city");
  for (const char* key : {"confidence", "sentence", "target_name", "source_country", "tone",
                          "trigger_begin", "trigger_end", "place", "coder_version"}) {
    EXPECT_TRUE(e.contains(key)) << key;
  }
}

TEST(FormatCodeResultTest, EmptyAndErrors) {
  EXPECT_EQ(json::parse(FormatCodeResult("x", {}))["events"].size(), 0u);
  const json err = json::parse(FormatCodeError("line:7", "missing \"text\""));
  EXPECT_EQ(err["id"], "line:7");
  EXPECT_EQ(err["error"], "missing \"text\"");
  // Invalid UTF-8 never breaks the output line.
  const std::string bad = FormatCodeError("x", "bad \xff");
  const json parsed = json::parse(bad, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(parsed.is_discarded()) << bad;
  EXPECT_EQ(parsed["id"], "x");
}

}  // namespace
}  // namespace dyad::coder
