#include "dyad/query/watch.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace dyad::query {
namespace {

constexpr std::size_t kMaxActorLength = 64;
constexpr std::size_t kMaxCodeLength = 8;

char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool IsAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

absl::StatusOr<std::string> ActorPrefix(const char* field, const std::string& value) {
  if (value.size() > kMaxActorLength || !std::all_of(value.begin(), value.end(), IsAlnum)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " actor \"", value.substr(0, kMaxActorLength),
        "\" is not a CAMEO actor code prefix; use letters and digits only, e.g. \"USA\" or "
        "\"PAKGOV\", or leave it empty"));
  }
  std::string upper = value;
  std::transform(upper.begin(), upper.end(), upper.begin(), Upper);
  return upper;
}

// The side of an event as the store keys it: the full code, else the country.
std::string Side(const dyad::v1::Actor& actor) {
  std::string code = !actor.code().empty() ? actor.code() : actor.country();
  std::transform(code.begin(), code.end(), code.begin(), Upper);
  return code;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

absl::StatusOr<WatchFilter> ParseWatchFilter(const dyad::v1::WatchEventsRequest& request) {
  WatchFilter filter;
  auto actor = ActorPrefix("actor", request.actor());
  if (!actor.ok()) return actor.status();
  filter.actor = *std::move(actor);
  auto source = ActorPrefix("source", request.source());
  if (!source.ok()) return source.status();
  filter.source = *std::move(source);
  auto target = ActorPrefix("target", request.target());
  if (!target.ok()) return target.status();
  filter.target = *std::move(target);
  const std::string& code = request.code();
  if (code.size() > kMaxCodeLength ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError(
        absl::StrCat("code \"", code.substr(0, kMaxCodeLength),
                     "\" is not a CAMEO event code prefix; use digits such as \"04\" (root code) "
                     "or \"041\", or leave it empty"));
  }
  filter.code = code;
  if (request.quad_class() < 0 || request.quad_class() > 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "quad_class ", request.quad_class(),
        " is out of range; use 1 (verbal cooperation) .. 4 (material conflict), or 0 for any"));
  }
  filter.quad_class = request.quad_class();
  if (!(request.min_confidence() >= 0.0 && request.min_confidence() <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_confidence ", request.min_confidence(),
                     " is out of range; use 0..1 (0 keeps every mention)"));
  }
  filter.min_confidence = request.min_confidence();
  if (request.buffer() < 0 || request.buffer() > kMaxWatchBuffer) {
    return absl::InvalidArgumentError(absl::StrCat("buffer ", request.buffer(),
                                                   " is out of range; use 1..", kMaxWatchBuffer,
                                                   ", or 0 for ", kDefaultWatchBuffer));
  }
  filter.buffer = request.buffer() == 0 ? kDefaultWatchBuffer : request.buffer();
  return filter;
}

bool WatchFilter::Matches(const dyad::v1::Event& event) const {
  if (quad_class != 0 && event.quad_class() != quad_class) return false;
  if (min_confidence > 0 && !(event.confidence() >= min_confidence)) return false;
  if (!code.empty() &&
      !StartsWith(!event.code().empty() ? event.code() : event.root_code(), code)) {
    return false;
  }
  if (actor.empty() && source.empty() && target.empty()) return true;
  const std::string from = Side(event.source());
  const std::string to = Side(event.target());
  if (!source.empty() && !StartsWith(from, source)) return false;
  if (!target.empty() && !StartsWith(to, target)) return false;
  return actor.empty() || StartsWith(from, actor) || StartsWith(to, actor);
}

// --- Watcher ------------------------------------------------------------------------------------

Watcher::Watcher(WatchFilter filter, std::function<void()> notify)
    : filter_(std::move(filter)), notify_(std::move(notify)) {}

std::optional<Watcher::Next> Watcher::Pop() {
  std::lock_guard lock(mu_);
  if (queue_.empty()) return std::nullopt;
  Next next{std::move(queue_.front()), dropped_};
  queue_.pop_front();
  dropped_ = 0;
  return next;
}

bool Watcher::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

int64_t Watcher::dropped_total() const {
  std::lock_guard lock(mu_);
  return dropped_total_;
}

bool Watcher::Push(std::shared_ptr<const dyad::v1::Event> event) {
  bool dropped = false;
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    if (queue_.size() >= static_cast<std::size_t>(filter_.buffer)) {
      queue_.pop_front();
      ++dropped_;
      ++dropped_total_;
      dropped = true;
    }
    queue_.push_back(std::move(event));
  }
  if (notify_) notify_();
  return dropped;
}

void Watcher::Close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
  }
  if (notify_) notify_();
}

// --- WatchHub -----------------------------------------------------------------------------------

WatchHub::WatchHub(int max_watchers) : max_watchers_(max_watchers) {}

absl::StatusOr<std::shared_ptr<Watcher>> WatchHub::Subscribe(WatchFilter filter,
                                                             std::function<void()> notify) {
  std::lock_guard lock(mu_);
  if (shut_down_) {
    ++stats_.refused;
    return absl::UnavailableError("server shutting down; retry on another replica");
  }
  if (static_cast<int>(watchers_.size()) >= max_watchers_) {
    ++stats_.refused;
    return absl::ResourceExhaustedError(
        absl::StrCat("this server already has ", watchers_.size(),
                     " WatchEvents streams, its limit (--max-watchers); retry later or on "
                     "another replica"));
  }
  auto watcher = std::make_shared<Watcher>(std::move(filter), std::move(notify));
  watchers_.push_back(watcher);
  stats_.watchers = static_cast<int64_t>(watchers_.size());
  return watcher;
}

void WatchHub::Unsubscribe(const std::shared_ptr<Watcher>& watcher) {
  std::lock_guard lock(mu_);
  std::erase(watchers_, watcher);
  stats_.watchers = static_cast<int64_t>(watchers_.size());
}

void WatchHub::Publish(std::vector<dyad::v1::Event> events) {
  if (events.empty()) return;
  std::vector<std::shared_ptr<Watcher>> watchers;
  {
    std::lock_guard lock(mu_);
    stats_.published += static_cast<int64_t>(events.size());
    if (watchers_.empty()) return;
    watchers = watchers_;
  }
  // Without the hub's lock: a notify may finish a stream, and a finished stream unsubscribes.
  int64_t queued = 0, dropped = 0;
  for (auto& event : events) {
    std::shared_ptr<const dyad::v1::Event> shared;
    for (const auto& watcher : watchers) {
      if (!watcher->filter().Matches(shared != nullptr ? *shared : event)) continue;
      if (shared == nullptr) shared = std::make_shared<const dyad::v1::Event>(std::move(event));
      ++queued;
      if (watcher->Push(shared)) ++dropped;
    }
  }
  std::lock_guard lock(mu_);
  stats_.queued += queued;
  stats_.dropped += dropped;
}

void WatchHub::Shutdown() {
  std::vector<std::shared_ptr<Watcher>> watchers;
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
    watchers = watchers_;
  }
  for (const auto& watcher : watchers) watcher->Close();
}

WatchHubStats WatchHub::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace dyad::query
