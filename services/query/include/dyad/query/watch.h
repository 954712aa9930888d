// The live feed behind WatchEvents: the applier publishes every newly applied mention once its
// batch is durable; each watcher gets the ones matching its filter through a bounded queue.
//
// Policy (README.md, "WatchEvents"): a watcher's queue holds at most `buffer` mentions. When a
// mention arrives for a full queue, the OLDEST queued mention is dropped and counted; the count
// goes out with the next message the watcher sends (WatchEventsResponse.dropped) and is then
// reset. Publish never waits for a watcher: it takes each queue's lock for a push and returns, so
// a slow or stuck reader costs the applier nothing but that watcher's memory (at most `buffer`
// mentions, shared with other watchers).
//
// Thread-safety: every method of WatchHub and Watcher may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dyad/v1/event.pb.h"
#include "dyad/v1/relations_service.pb.h"

namespace dyad::query {

// Limits of WatchEventsRequest.buffer.
inline constexpr int kDefaultWatchBuffer = 1000;
inline constexpr int kMaxWatchBuffer = 100000;

// A validated WatchEventsRequest filter: actor prefixes upper-cased, every field checked.
struct WatchFilter {
  std::string actor;   // either side starts with it
  std::string source;  // the source starts with it
  std::string target;  // the target starts with it
  std::string code;    // Event.code (else root_code) starts with it
  int quad_class = 0;  // 0 = any
  double min_confidence = 0;
  int buffer = kDefaultWatchBuffer;

  // True when `event` passes every set field. Sides are Actor.code, else Actor.country.
  bool Matches(const dyad::v1::Event& event) const;
};

// INVALID_ARGUMENT, saying what to change, for an actor that is not letters and digits, a code
// that is not digits, a quad class outside 0..4, a confidence outside 0..1 (or NaN), a buffer
// outside 0..kMaxWatchBuffer.
absl::StatusOr<WatchFilter> ParseWatchFilter(const dyad::v1::WatchEventsRequest& request);

// One subscriber's queue. Created by WatchHub::Subscribe.
class Watcher {
 public:
  struct Next {
    std::shared_ptr<const dyad::v1::Event> event;
    int64_t dropped = 0;  // dropped since the previous Next
  };
  // The oldest queued mention and the drops before it; nullopt when the queue is empty.
  std::optional<Next> Pop();
  // True once the hub shut down: the stream should end (UNAVAILABLE).
  bool closed() const;
  const WatchFilter& filter() const { return filter_; }
  // Mentions dropped for this watcher since it subscribed.
  int64_t dropped_total() const;

  Watcher(WatchFilter filter, std::function<void()> notify);

 private:
  friend class WatchHub;
  // Queues `event`, dropping the oldest when full: true when one was dropped.
  bool Push(std::shared_ptr<const dyad::v1::Event> event);
  void Close();

  const WatchFilter filter_;
  // Called (without the watcher's lock) after Push and Close: the stream should look at Pop.
  const std::function<void()> notify_;
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<const dyad::v1::Event>> queue_;
  int64_t dropped_ = 0;
  int64_t dropped_total_ = 0;
  bool closed_ = false;
};

struct WatchHubStats {
  int64_t watchers = 0;   // subscribed now
  int64_t published = 0;  // mentions offered to Publish
  int64_t queued = 0;     // mentions queued for some watcher (one per watcher that matched)
  int64_t dropped = 0;    // mentions dropped from full queues
  int64_t refused = 0;    // subscriptions refused: too many watchers, or shut down
};

class WatchHub {
 public:
  explicit WatchHub(int max_watchers = 1000);

  // A new watcher with `filter`; `notify` is called whenever it may have something to Pop or was
  // closed (from the publishing or shutting-down thread, without the hub's lock: it must not
  // block, and it may still run shortly after Unsubscribe, so it must stay safe to call: capture
  // shared state, not a pointer to something Unsubscribe's caller deletes). RESOURCE_EXHAUSTED
  // when max_watchers are subscribed, UNAVAILABLE after Shutdown.
  absl::StatusOr<std::shared_ptr<Watcher>> Subscribe(WatchFilter filter,
                                                     std::function<void()> notify);
  // Removes `watcher`: it gets nothing published after this returns. Idempotent.
  void Unsubscribe(const std::shared_ptr<Watcher>& watcher);

  // Offers new mentions, in the order they were applied, to every watcher. Never waits for a
  // watcher. O(mentions × watchers) filter checks. From one thread at a time (the applier), so
  // every watcher sees the mentions in publishing order.
  void Publish(std::vector<dyad::v1::Event> events);

  // Closes every watcher (their streams end with UNAVAILABLE) and refuses new ones.
  void Shutdown();

  WatchHubStats Stats() const;
  int max_watchers() const { return max_watchers_; }

 private:
  const int max_watchers_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Watcher>> watchers_;
  bool shut_down_ = false;
  WatchHubStats stats_;
};

}  // namespace dyad::query
