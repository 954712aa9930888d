// WatchHub and WatchFilter without gRPC: the drop-oldest policy, the filters, the limits.
#include "dyad/query/watch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <thread>

namespace dyad::query {
namespace {

using ::testing::HasSubstr;

dyad::v1::Event Mention(const std::string& id, const std::string& source, const std::string& target,
                        const std::string& code, int quad, double confidence = 0.9) {
  dyad::v1::Event e;
  e.set_id(id);
  e.mutable_source()->set_code(source);
  e.mutable_target()->set_code(target);
  e.set_code(code);
  e.set_root_code(code.substr(0, 2));
  e.set_quad_class(quad);
  e.set_confidence(confidence);
  return e;
}

WatchFilter Filter(const dyad::v1::WatchEventsRequest& request) {
  auto filter = ParseWatchFilter(request);
  EXPECT_TRUE(filter.ok()) << filter.status();
  return filter.ok() ? *filter : WatchFilter{};
}

TEST(WatchFilter, MatchesLikeListEvents) {
  const auto usa_pak = Mention("m-1", "USAGOV", "PAKGOV", "042", 1, 0.8);
  const auto ind_pak = Mention("m-2", "INDMIL", "PAKMIL", "190", 4, 0.4);
  dyad::v1::Event country_only = Mention("m-3", "", "", "112", 3);
  country_only.mutable_source()->set_country("chn");
  country_only.mutable_target()->set_country("USA");

  dyad::v1::WatchEventsRequest request;
  EXPECT_TRUE(Filter(request).Matches(usa_pak));
  request.set_actor("pak");  // case-insensitive, either side
  EXPECT_TRUE(Filter(request).Matches(usa_pak));
  EXPECT_TRUE(Filter(request).Matches(ind_pak));
  EXPECT_FALSE(Filter(request).Matches(country_only));
  request.set_actor("PAKGOV");
  EXPECT_TRUE(Filter(request).Matches(usa_pak));
  EXPECT_FALSE(Filter(request).Matches(ind_pak));

  request.Clear();
  request.set_source("USA");
  EXPECT_TRUE(Filter(request).Matches(usa_pak));
  EXPECT_FALSE(Filter(request).Matches(ind_pak));
  request.set_source("CHN");  // the country when there is no code, upper-cased
  EXPECT_TRUE(Filter(request).Matches(country_only));
  request.Clear();
  request.set_target("PAK");
  EXPECT_TRUE(Filter(request).Matches(ind_pak));
  EXPECT_FALSE(Filter(request).Matches(country_only));

  request.Clear();
  request.set_code("04");
  EXPECT_TRUE(Filter(request).Matches(usa_pak));
  EXPECT_FALSE(Filter(request).Matches(ind_pak));
  request.set_code("0421");
  EXPECT_FALSE(Filter(request).Matches(usa_pak));

  request.Clear();
  request.set_quad_class(4);
  EXPECT_FALSE(Filter(request).Matches(usa_pak));
  EXPECT_TRUE(Filter(request).Matches(ind_pak));

  request.Clear();
  request.set_min_confidence(0.5);
  EXPECT_TRUE(Filter(request).Matches(usa_pak));
  EXPECT_FALSE(Filter(request).Matches(ind_pak));
}

TEST(WatchFilter, BadRequestsSayWhatToChange) {
  const auto error = [](auto set) {
    dyad::v1::WatchEventsRequest request;
    set(request);
    auto filter = ParseWatchFilter(request);
    EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(filter.status().message());
  };
  EXPECT_THAT(error([](auto& r) { r.set_actor("US A"); }), HasSubstr("letters and digits"));
  EXPECT_THAT(error([](auto& r) { r.set_source(std::string("\xff\xfe", 2)); }),
              HasSubstr("source actor"));
  EXPECT_THAT(error([](auto& r) { r.set_target(std::string(1000, 'A')); }),
              HasSubstr("target actor"));
  EXPECT_THAT(error([](auto& r) { r.set_code("04a"); }), HasSubstr("use digits"));
  EXPECT_THAT(error([](auto& r) { r.set_quad_class(5); }), HasSubstr("use 1 (verbal"));
  EXPECT_THAT(error([](auto& r) { r.set_quad_class(-1); }), HasSubstr("quad_class -1"));
  EXPECT_THAT(error([](auto& r) { r.set_min_confidence(1.5); }), HasSubstr("use 0..1"));
  EXPECT_THAT(
      error([](auto& r) { r.set_min_confidence(std::numeric_limits<double>::quiet_NaN()); }),
      HasSubstr("min_confidence"));
  EXPECT_THAT(error([](auto& r) { r.set_buffer(100001); }), HasSubstr("use 1..100000"));
  EXPECT_THAT(error([](auto& r) { r.set_buffer(-3); }), HasSubstr("buffer -3"));

  dyad::v1::WatchEventsRequest defaults;
  EXPECT_EQ(Filter(defaults).buffer, kDefaultWatchBuffer);
  defaults.set_buffer(kMaxWatchBuffer);
  EXPECT_EQ(Filter(defaults).buffer, kMaxWatchBuffer);
}

TEST(WatchHub, FullQueueDropsTheOldestAndReportsTheCountOnce) {
  WatchHub hub;
  std::atomic<int> notified{0};
  dyad::v1::WatchEventsRequest request;
  request.set_buffer(3);
  auto watcher = hub.Subscribe(Filter(request), [&] { notified.fetch_add(1); });
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  std::vector<dyad::v1::Event> batch;
  for (int i = 1; i <= 5; ++i) {
    batch.push_back(Mention("m-" + std::to_string(i), "USA", "PAK", "042", 1));
  }
  hub.Publish(batch);
  EXPECT_EQ(notified.load(), 5);
  // m-1 and m-2 were dropped; the next message says so, the one after does not.
  auto next = (*watcher)->Pop();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->event->id(), "m-3");
  EXPECT_EQ(next->dropped, 2);
  next = (*watcher)->Pop();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->event->id(), "m-4");
  EXPECT_EQ(next->dropped, 0);
  EXPECT_EQ((*watcher)->Pop()->event->id(), "m-5");
  EXPECT_FALSE((*watcher)->Pop().has_value());
  EXPECT_EQ((*watcher)->dropped_total(), 2);
  const auto stats = hub.Stats();
  EXPECT_EQ(stats.published, 5);
  EXPECT_EQ(stats.queued, 5);
  EXPECT_EQ(stats.dropped, 2);
}

TEST(WatchHub, EachWatcherGetsWhatMatchesItsFilterInOrder) {
  WatchHub hub;
  dyad::v1::WatchEventsRequest pak;
  pak.set_actor("PAK");
  dyad::v1::WatchEventsRequest conflict;
  conflict.set_quad_class(4);
  auto a = hub.Subscribe(Filter(pak), nullptr);
  auto b = hub.Subscribe(Filter(conflict), nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  hub.Publish({Mention("m-1", "USAGOV", "PAKGOV", "042", 1),
               Mention("m-2", "RUSMIL", "UKRMIL", "190", 4),
               Mention("m-3", "INDMIL", "PAKMIL", "190", 4)});
  std::vector<std::string> got_a, got_b;
  while (auto next = (*a)->Pop()) got_a.push_back(next->event->id());
  while (auto next = (*b)->Pop()) got_b.push_back(next->event->id());
  EXPECT_THAT(got_a, ::testing::ElementsAre("m-1", "m-3"));
  EXPECT_THAT(got_b, ::testing::ElementsAre("m-2", "m-3"));
  EXPECT_EQ(hub.Stats().queued, 4);

  hub.Unsubscribe(*a);
  hub.Publish({Mention("m-4", "USAGOV", "PAKGOV", "190", 4)});
  EXPECT_FALSE((*a)->Pop().has_value());
  EXPECT_EQ((*b)->Pop()->event->id(), "m-4");
  EXPECT_EQ(hub.Stats().watchers, 1);
}

TEST(WatchHub, LimitAndShutdown) {
  WatchHub hub(/*max_watchers=*/2);
  std::atomic<int> closed_notices{0};
  std::vector<std::shared_ptr<Watcher>> watchers;
  for (int i = 0; i < 2; ++i) {
    auto w = hub.Subscribe(WatchFilter{}, [&] { closed_notices.fetch_add(1); });
    ASSERT_TRUE(w.ok());
    watchers.push_back(*w);
  }
  auto third = hub.Subscribe(WatchFilter{}, nullptr);
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(third.status().message(), HasSubstr("--max-watchers"));
  // Room again once one leaves.
  hub.Unsubscribe(watchers.back());
  watchers.pop_back();
  third = hub.Subscribe(WatchFilter{}, [&] { closed_notices.fetch_add(1); });
  ASSERT_TRUE(third.ok());
  watchers.push_back(*third);

  hub.Shutdown();
  EXPECT_EQ(closed_notices.load(), 2);
  for (const auto& w : watchers) EXPECT_TRUE(w->closed());
  EXPECT_EQ(hub.Subscribe(WatchFilter{}, nullptr).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(hub.Stats().refused, 2);
  // Publishing after shutdown queues nothing.
  hub.Publish({Mention("m-1", "USA", "PAK", "042", 1)});
  EXPECT_FALSE(watchers[0]->Pop().has_value());
}

// The publisher never waits for a reader that never reads: 200,000 mentions into a buffer of 10
// take no longer than into no watcher at all (well within a second on any machine).
TEST(WatchHub, PublishDoesNotWaitForAStuckReader) {
  WatchHub hub;
  dyad::v1::WatchEventsRequest request;
  request.set_buffer(10);
  auto stuck = hub.Subscribe(Filter(request), nullptr);
  ASSERT_TRUE(stuck.ok());
  std::vector<dyad::v1::Event> batch;
  for (int i = 0; i < 1000; ++i)
    batch.push_back(Mention("m-" + std::to_string(i), "USA", "PAK", "042", 1));
  const auto started = std::chrono::steady_clock::now();
  for (int round = 0; round < 200; ++round) hub.Publish(batch);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_EQ((*stuck)->dropped_total(), 200000 - 10);
  EXPECT_EQ((*stuck)->Pop()->dropped, 200000 - 10);
}

}  // namespace
}  // namespace dyad::query
