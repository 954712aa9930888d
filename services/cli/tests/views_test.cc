// The `dyad` command's views and argument mapping as pure functions: a given response in, the
// exact text out.
#include "src/views.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "dyad/core/dates.h"
#include "dyad/relations/relation_store.h"
#include "src/query_args.h"

namespace dyad::cli {
namespace {

using dyad::v1::GetRelationResponse;
using dyad::v1::RelationBucket;

int64_t Day(const char* iso) { return core::DaysFromCivil(*core::ParseIsoDate(iso)); }

void SetCounts(RelationBucket* b, const char* start, int64_t vc, int64_t mc, int64_t vf,
               int64_t mf) {
  b->set_start(start);
  b->set_verbal_cooperation(vc);
  b->set_material_cooperation(mc);
  b->set_verbal_conflict(vf);
  b->set_material_conflict(mf);
  b->set_events(vc + mc + vf + mf);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Two days of USA -> CHN, with the fields the server fills.
GetRelationResponse TwoDays() {
  GetRelationResponse r;
  auto* b1 = r.add_buckets();
  SetCounts(b1, "2025-03-01", 3, 1, 1, 0);
  b1->set_mentions(12);
  b1->set_articles(10);
  b1->set_sources(4);
  b1->set_goldstein_mean(2.346);
  b1->set_tone_mean(-0.004);
  auto* c = b1->add_top_codes();
  c->set_code("042");
  c->set_name("Make a visit");
  c->set_events(3);
  c = b1->add_top_codes();
  c->set_code("112");
  c->set_name("Accuse");
  c->set_events(1);
  auto* b2 = r.add_buckets();
  SetCounts(b2, "2025-03-03", 0, 0, 2, 7);
  b2->set_mentions(30);
  b2->set_articles(25);
  b2->set_sources(11);
  b2->set_goldstein_mean(-7.5);
  b2->set_tone_mean(-3.25);
  c = b2->add_top_codes();
  c->set_code("190");
  c->set_name("Use conventional military force");
  c->set_events(7);
  auto* t = r.mutable_total();
  SetCounts(t, "", 3, 1, 3, 7);
  t->set_mentions(42);
  t->set_articles(35);
  t->set_sources(12);
  t->set_goldstein_mean(-3.1);
  t->set_tone_mean(-2.0);
  c = t->add_top_codes();
  c->set_code("190");
  c->set_name("Use conventional military force");
  c->set_events(7);
  c = t->add_top_codes();
  c->set_code("042");
  c->set_name("Make a visit");
  c->set_events(3);
  t->add_event_ids("e-1");
  t->add_event_ids("e-2");
  return r;
}

TEST(RelationTable, RendersBucketsTotalCodesAndExemplars) {
  EXPECT_EQ(RenderRelationTable(TwoDays()),
            "bucket      events  mentions  articles  sources  coop  conflict  goldstein   tone  "
            "top codes\n"
            "2025-03-01       5        12        10        4     4         1      +2.35  +0.00  "
            "042:3 112:1\n"
            "2025-03-03       9        30        25       11     0         9      -7.50  -3.25  "
            "190:7\n"
            "total           14        42        35       12     4        10      -3.10  -2.00  "
            "190:7 042:3\n"
            "\n"
            "top codes  name                             events  mentions\n"
            "190        Use conventional military force       7         0\n"
            "042        Make a visit                          3         0\n"
            "\n"
            "exemplar events (dyad event ID): e-1 e-2\n");
}

TEST(RelationTable, EmptyRelationSaysNoEvents) {
  EXPECT_EQ(RenderRelationTable(GetRelationResponse()), "no events\n");
}

TEST(RelationTable, FallsBackToRootCodesWhenTheServerSendsNoTopCodes) {
  GetRelationResponse r;
  auto* b = r.add_buckets();
  SetCounts(b, "2025-01-01", 1, 0, 0, 2);
  (*b->mutable_root_codes())["19"] = 2;
  (*b->mutable_root_codes())["04"] = 1;
  *r.mutable_total() = *b;
  r.mutable_total()->set_start("");
  const auto lines = Lines(RenderRelationTable(r));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[1].find("19:2 04:1"), std::string::npos) << lines[1];
}

// Days 1 and 3 of a 5-day range: a gap on day 2, nothing on days 4 and 5 (the range from --to).
TEST(RelationChart, AsciiChartWithGapsOneColumnPerDay) {
  const ChartStyle style{.width = 40, .height = 2, .unicode = false, .color = false};
  const std::string chart =
      RenderRelationChart(TwoDays(), dyad::v1::BUCKET_DAY, "2025-03-01", "2025-03-05", style);
  // 5 days in 37 columns: 3 characters per day (a 2-wide bar and a gap). Peak 9: a row is 4.5
  // events, half a row 2.25. Day 1: cooperation 4 → 2 halves (one full row), conflict 1 → 1 half
  // (at least half a row for any event). Day 3: conflict 9 → 4 halves (two full rows).
  EXPECT_EQ(chart,
            "events per day:\n"
            "cooperation (quad classes 1-2) up +,\n"
            "conflict (3-4) down x\n"
            "9 |\n"
            "  |++\n"
            "0 +---------------\n"
            "  |''    xx\n"
            "9 |      xx\n"
            "   2025-03-01  2025-03-05\n"
            "peak cooperation 4 (day of 2025-03-01),\n"
            "peak conflict 9 (day of 2025-03-03);\n"
            "total 4 cooperation, 10 conflict\n");
}

TEST(RelationChart, UnicodeGlyphsAndColoursOnlyWhenAsked) {
  ChartStyle style{.width = 40, .height = 2, .unicode = true, .color = false};
  std::string chart = RenderRelationChart(TwoDays(), dyad::v1::BUCKET_DAY, "", "", style);
  EXPECT_NE(chart.find("█"), std::string::npos) << chart;
  EXPECT_NE(chart.find("▓"), std::string::npos) << chart;
  EXPECT_NE(chart.find("▀"), std::string::npos) << chart;  // the half row of day 1's conflict
  EXPECT_NE(chart.find("┼"), std::string::npos) << chart;
  EXPECT_EQ(chart.find("\x1b["), std::string::npos) << chart;
  style.color = true;
  chart = RenderRelationChart(TwoDays(), dyad::v1::BUCKET_DAY, "", "", style);
  EXPECT_NE(chart.find("\x1b[32m█\x1b[0m"), std::string::npos) << chart;
  EXPECT_NE(chart.find("\x1b[31m▓\x1b[0m"), std::string::npos) << chart;
  style = ChartStyle{.width = 40, .height = 2, .unicode = false, .color = false};
  chart = RenderRelationChart(TwoDays(), dyad::v1::BUCKET_DAY, "", "", style);
  for (char c : chart) {
    EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7F)) << "not plain ASCII: " << int{c};
  }
}

// A year of daily buckets in 80 columns: five days per column, every line within the width, the
// scale from the busiest column, the busiest day named.
TEST(RelationChart, AYearOfDaysIsGroupedToFitTheWidth) {
  GetRelationResponse r;
  int64_t coop_total = 0, conf_total = 0;
  for (int64_t d = Day("2025-01-01"); d <= Day("2025-12-31"); ++d) {
    const int64_t i = d - Day("2025-01-01");
    const int64_t coop = i % 7, conf = i == 200 ? 40 : i % 3;
    coop_total += coop;
    conf_total += conf;
    if (coop + conf == 0) continue;
    SetCounts(r.add_buckets(), core::FormatIsoDate(core::CivilFromDays(d)).c_str(), coop, 0, conf,
              0);
  }
  SetCounts(r.mutable_total(), "", coop_total, 0, conf_total, 0);
  const ChartStyle style{.width = 80, .height = 4, .unicode = true, .color = false};
  const std::string chart =
      RenderRelationChart(r, dyad::v1::BUCKET_DAY, "2025-01-01", "2025-12-31", style);
  const auto lines = Lines(chart);
  for (const auto& line : lines) EXPECT_LE(DisplayWidth(line), 80) << line;
  // The title (wrapped to two lines), 4 rows, the axis, 4 rows, the time labels, the peaks.
  ASSERT_EQ(lines.size(), 2u + 4 + 1 + 4 + 1 + 2) << chart;
  EXPECT_NE(lines[1].find("1 column = 5 days"), std::string::npos) << lines[1];
  // The scale is the busiest column: days 200..204 hold 40 + 0 + 1 + 2 + 0 conflict events.
  EXPECT_EQ(lines[2].substr(0, 3), "43 ") << lines[2];
  EXPECT_EQ(lines[10].substr(0, 3), "43 ") << lines[10];
  // 73 columns of one character after the labels ("43 ┼"): the axis is that long.
  EXPECT_EQ(lines[6].substr(0, 3), " 0 ") << lines[6];
  EXPECT_EQ(DisplayWidth(lines[6]), 4 + 73) << lines[6];
  EXPECT_EQ(lines[11].substr(0, 14), "    2025-01-01") << lines[11];
  EXPECT_NE(chart.find("peak conflict 40 (day of 2025-07-20)"), std::string::npos) << chart;
}

TEST(RelationChart, MonthsGetWiderColumnsAndMonthLabels) {
  GetRelationResponse r;
  SetCounts(r.add_buckets(), "2024-11-01", 10, 0, 0, 0);
  SetCounts(r.add_buckets(), "2025-02-01", 0, 0, 0, 10);
  SetCounts(r.mutable_total(), "", 10, 0, 0, 10);
  const ChartStyle style{.width = 60, .height = 1, .unicode = false, .color = false};
  const std::string chart = RenderRelationChart(r, dyad::v1::BUCKET_MONTH, "", "", style);
  // Nov, Dec, Jan, Feb: 4 columns of 3 characters; one row each side, full.
  EXPECT_EQ(chart,
            "events per month: cooperation (quad classes 1-2) up +,\n"
            "conflict (3-4) down x\n"
            "10 |++\n"
            " 0 +------------\n"
            "10 |         xx\n"
            "    2024-11  2025-02\n"
            "peak cooperation 10 (month of 2024-11-01),\n"
            "peak conflict 10 (month of 2025-02-01);\n"
            "total 10 cooperation, 10 conflict\n");
}

TEST(RelationChart, NoBucketsNoChart) {
  EXPECT_EQ(RenderRelationChart(GetRelationResponse(), dyad::v1::BUCKET_DAY, "", "", {}),
            "no events to chart\n");
}

// The chart steps through buckets with the store's own bucket arithmetic.
TEST(Buckets, StartsAndSteps) {
  using dyad::relations::BucketEnd;
  using dyad::relations::BucketStart;
  // 2025-01-01 is a Wednesday: its ISO week starts on Monday 2024-12-30.
  EXPECT_EQ(BucketStart(Day("2025-01-01"), dyad::v1::BUCKET_WEEK), Day("2024-12-30"));
  EXPECT_EQ(BucketEnd(Day("2024-12-30"), dyad::v1::BUCKET_WEEK) + 1, Day("2025-01-06"));
  EXPECT_EQ(BucketStart(Day("2024-02-29"), dyad::v1::BUCKET_MONTH), Day("2024-02-01"));
  EXPECT_EQ(BucketEnd(Day("2024-12-01"), dyad::v1::BUCKET_MONTH) + 1, Day("2025-01-01"));
  EXPECT_EQ(BucketEnd(Day("2024-01-01"), dyad::v1::BUCKET_YEAR) + 1, Day("2025-01-01"));
  EXPECT_EQ(BucketStart(Day("2024-07-09"), dyad::v1::BUCKET_UNSPECIFIED), Day("2024-07-09"));
}

TEST(Sanitize, ControlsAndBadUtf8NeverReachTheTerminal) {
  EXPECT_EQ(Sanitize("a\x1b[2Jb\tc\nd\x7f"), "a [2Jb c d ");
  EXPECT_EQ(Sanitize("caf\xc3\xa9"), "café");
  EXPECT_EQ(Sanitize("x\xc2\x9b"
                     "31m"),
            "x 31m");  // C1 CSI
  EXPECT_EQ(Sanitize("bad \xff\xfe end \xe2\x82"), "bad ?? end ??");
  EXPECT_EQ(Sanitize("\xc0\xaf"), "??");  // overlong '/'
  EXPECT_EQ(DisplayWidth("café ▓"), 6);
}

dyad::v1::GetEventResponse OneEvent() {
  dyad::v1::GetEventResponse r;
  auto* e = r.mutable_event();
  e->set_id("e-aaa");
  e->mutable_date()->set_date("2025-09-14");
  e->mutable_source()->set_code("USAGOV");
  e->mutable_source()->set_name("United States government");
  e->mutable_target()->set_code("PAKGOV");
  e->set_code("042");
  e->set_base_code("042");
  e->set_root_code("04");
  e->set_quad_class(1);
  e->mutable_place()->set_name("Islamabad");
  e->mutable_place()->set_country("PAK");
  r.set_goldstein(1.9);
  r.set_articles(2);
  r.set_sources(1);
  r.mutable_first_seen()->set_seconds(Day("2025-09-14") * 86400 + 8 * 3600);
  r.mutable_last_seen()->set_seconds(Day("2025-09-15") * 86400 + 10 * 3600 + 61);
  auto* m = r.add_mentions();
  m->set_event_id("e-aaa");
  m->set_article_id("u-1");
  m->set_article_url("https://news.example/a");
  m->set_publisher("Example Wire");
  m->mutable_published_at()->set_seconds(Day("2025-09-14") * 86400 + 8 * 3600);
  m->set_sentence("The envoy visited Islamabad.");
  m->set_sentence_begin(100);
  m->set_sentence_end(128);
  m->set_trigger_begin(110);
  m->set_trigger_end(117);
  m->set_code("042");
  m->set_confidence(0.9);
  m = r.add_mentions();
  m->set_event_id("e-bbb");
  m->set_article_id("u-2");
  m->set_sentence("Offsets \x1b[31mthat do not match.");
  m->set_sentence_begin(0);
  m->set_sentence_end(5);
  m->set_trigger_begin(1);
  m->set_trigger_end(3);
  m->set_code("0421");
  m->set_confidence(0.55);
  return r;
}

TEST(EventView, EventProvenanceAndTheTriggerMarked) {
  EXPECT_EQ(RenderEvent(OneEvent()),
            "event e-aaa\n"
            "  day        2025-09-14\n"
            "  dyad       USAGOV (United States government) -> PAKGOV\n"
            "  code       042, root 04; quad class 1 verbal cooperation\n"
            "  goldstein  +1.90 (mean over its mentions)\n"
            "  place      Islamabad, PAK\n"
            "  reports    2 mentions in 2 articles from 1 source; first seen "
            "2025-09-14T08:00:00Z, last seen 2025-09-15T10:01:01Z\n"
            "\n"
            "mentions, oldest first:\n"
            "  [1] 2025-09-14T08:00:00Z  Example Wire  code 042  confidence 0.90  id e-aaa\n"
            "      https://news.example/a\n"
            "      article u-1, sentence bytes 100-128, trigger bytes 110-117\n"
            "      \"The envoy [visited] Islamabad.\"\n"
            "  [2] -  -  code 0421  confidence 0.55  id e-bbb\n"
            "      article u-2, sentence bytes 0-5, trigger bytes 1-3\n"
            "      \"Offsets  [31mthat do not match.\"\n");
}

TEST(EventView, EventLineForListingAndWatching) {
  const auto response = OneEvent();
  const auto& e = response.event();
  EXPECT_EQ(FormatEventLine(e), "2025-09-14  USAGOV    -> PAKGOV    042     0.0  e-aaa  ");
  dyad::v1::Event long_one = e;
  long_one.set_goldstein(-7.25);
  long_one.set_sentence(std::string(100, 'x') + "\n");
  const std::string line = FormatEventLine(long_one);
  EXPECT_NE(line.find(" -7.2  e-aaa  " + std::string(87, 'x') + "..."), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(PartnersView, RanksPartnersWithTotals) {
  dyad::v1::TopPartnersResponse r;
  auto* p = r.add_partners();
  p->set_actor("USA");
  p->set_name("United States");
  SetCounts(p->mutable_totals(), "", 5, 2, 1, 0);
  p->mutable_totals()->set_mentions(20);
  p->mutable_totals()->set_goldstein_mean(3.0);
  p = r.add_partners();
  p->set_actor("IND");
  SetCounts(p->mutable_totals(), "", 0, 0, 2, 3);
  p->mutable_totals()->set_mentions(6);
  p->mutable_totals()->set_goldstein_mean(-6.0);
  EXPECT_EQ(RenderPartners(r),
            "#  partner  name           events  mentions  coop  conflict  goldstein   tone  top "
            "codes\n"
            "1  USA      United States       8        20     7         1      +3.00  +0.00\n"
            "2  IND                          5         6     0         5      -6.00  +0.00\n");
  EXPECT_EQ(RenderPartners({}), "no partners\n");
}

TEST(Args, RelationFlagsBecomeTheRequest) {
  RelationArgs args;
  args.a = "USA";
  args.b = "CHN";
  args.from = "2025-01-01";
  args.to = "2025-12-31";
  args.bucket = "week";
  args.both = true;
  args.filter.root_codes = {"4", "19"};
  args.filter.quad_classes = {3, 4};
  args.filter.min_confidence = 0.5;
  auto request = MakeRelationRequest(args);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->source(), "USA");
  EXPECT_EQ(request->target(), "CHN");
  EXPECT_EQ(request->bucket(), dyad::v1::BUCKET_WEEK);
  EXPECT_TRUE(request->both_directions());
  ASSERT_EQ(request->filter().root_codes_size(), 2);
  EXPECT_EQ(request->filter().root_codes(0), "04");
  EXPECT_EQ(request->filter().quad_classes_size(), 2);
  EXPECT_DOUBLE_EQ(request->filter().min_confidence(), 0.5);
  EXPECT_EQ(DescribeRelation(*request),
            "USA <-> CHN by week, 2025-01-01 .. 2025-12-31; root codes 04, 19; quad classes 3, "
            "4; confidence >= 0.50");
}

TEST(Args, BadRelationFlagsSayWhatToChange) {
  RelationArgs args;
  args.a = "USA";
  args.b = "CHN";
  args.bucket = "fortnight";
  auto request = MakeRelationRequest(args);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(request.status().message().find("day, week, month or year"), std::string::npos);

  args.bucket = "day";
  args.filter.root_codes = {"4x"};
  request = MakeRelationRequest(args);
  ASSERT_FALSE(request.ok());
  EXPECT_NE(request.status().message().find("'4x' is not a CAMEO root code"), std::string::npos)
      << request.status();
  args.filter.root_codes = {"21"};
  EXPECT_FALSE(MakeRelationRequest(args).ok());

  args.filter.root_codes = {};
  args.filter.quad_classes = {5};
  EXPECT_NE(MakeRelationRequest(args).status().message().find("--quad 5"), std::string::npos);
  args.filter.quad_classes = {};
  args.filter.min_confidence = 1.5;
  EXPECT_NE(MakeRelationRequest(args).status().message().find("--min-confidence"),
            std::string::npos);
  args.filter.min_confidence = std::nan("");
  EXPECT_FALSE(MakeRelationRequest(args).ok());

  args.filter.min_confidence = 0;
  args.a = "";
  EXPECT_NE(MakeRelationRequest(args).status().message().find("actor A is empty"),
            std::string::npos);
}

TEST(Args, PartnersEventAndWatch) {
  PartnersArgs partners;
  partners.actor = "PAK";
  partners.order = "goldstein";
  partners.ascending = true;
  partners.limit = 5;
  auto request = MakePartnersRequest(partners);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->order(), dyad::v1::PARTNER_ORDER_GOLDSTEIN);
  EXPECT_TRUE(request->ascending());
  EXPECT_EQ(request->limit(), 5);
  EXPECT_EQ(DescribePartners(*request),
            "partners of PAK by mean goldstein (least first), both directions, all time");
  partners.order = "best";
  EXPECT_NE(MakePartnersRequest(partners).status().message().find("--order"), std::string::npos);
  partners.order = "volume";
  partners.limit = 0;
  EXPECT_NE(MakePartnersRequest(partners).status().message().find("--limit 0"), std::string::npos);

  auto event = MakeEventRequest("  e-123\n");
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->id(), "e-123");
  EXPECT_EQ(MakeEventRequest(" \t").status().code(), absl::StatusCode::kInvalidArgument);

  WatchArgs watch;
  watch.actor = "PAK";
  watch.quad_class = 4;
  auto stream = MakeWatchRequest(watch);
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(stream->actor(), "PAK");
  EXPECT_EQ(stream->quad_class(), 4);
  watch.quad_class = 7;
  EXPECT_FALSE(MakeWatchRequest(watch).ok());
}

}  // namespace
}  // namespace dyad::cli
