// dyad-bench-e2e: the helpers of the end-to-end benchmark (bench/e2e/run.sh drives them;
// bench/RESULTS.md has the numbers).
//
//   corpus   replays the real VOA articles (../shared/reference/news/voa_articles.jsonl) under new
//            URLs (so new article ids) and dates up to N articles, as JSON Lines that dyad-ingest's
//            readers (and `dyad ingest`) accept; each line also carries what the coder makes of it
//            (`sentences`, `expected_events`: extra keys, ignored by readers).
//   broker   runs an embedded Kafka broker (librdkafka's mock cluster) with dyad's three topics.
//   load     publishes corpus articles through dyad-ingest's gRPC Publish, at a steady offered load
//            (open loop) or as fast as it answers (closed loop), while it watches dyad-query's
//            WatchEvents; the end-to-end latency of an article is the time from its Publish
//            returning to its first mention arriving on the stream (a mention is sent only once
//            it is applied and visible to GetRelation: services/query/README.md).
//   monitor  samples every second: articles and events in their topics, the extractor group's
//            lag, mentions applied by dyad-query (a WatchEvents stream), CPU and RSS of processes,
//            the machine's load average.
//
//   cmake --build build/release --target dyad-bench-e2e dyad-ingest dyad-extractor dyad-query
//   bench/e2e/run.sh
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "dyad/coder/coder.h"
#include "dyad/core/shutdown.h"
#include "dyad/ingest/article.h"
#include "dyad/ingest/readers.h"
#include "dyad/ingest/service.h"
#include "dyad/kafka/admin.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/offsets.h"
#include "dyad/kafka/topics.h"
#include "dyad/text/normalize.h"
#include "dyad/text/sentences.h"
#include "dyad/v1/ingest_service.grpc.pb.h"
#include "dyad/v1/relations_service.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// --- corpus -----------------------------------------------------------------------------------

struct CorpusOptions {
  std::string news = std::string(DYAD_SHARED_DIR) + "/reference/news/voa_articles.jsonl";
  std::string out;
  int64_t count = 100000;
  uint64_t seed = 1;
  std::string first_day = "2025-01-01";
  int days = 365;
};

// Sentences the coder sees in `body` (as bench/coder counts them): normalised, after the
// dateline, split with the coder's splitter, capped at 5000.
std::size_t CountSentences(const std::string& body) {
  const dyad::text::NormalizedText norm = dyad::text::Normalize(body);
  std::size_t begin = 0;
  if (auto dateline = dyad::text::FindDateline(norm.text)) begin = dateline->body_begin;
  const std::size_t n =
      dyad::text::SplitSentences(std::string_view(norm.text).substr(begin)).size();
  return std::min<std::size_t>(n, 5000);
}

struct SourceArticle {
  nlohmann::json json;  // the original line
  std::size_t sentences = 0;
  std::size_t events = 0;
  std::size_t text_bytes = 0;
};

int Corpus(const CorpusOptions& options) {
  std::ifstream in(options.news);
  if (!in) {
    std::fprintf(stderr, "dyad-bench-e2e corpus: cannot read %s; give --news FILE\n",
                 options.news.c_str());
    return 1;
  }
  auto coder = dyad::coder::Coder::Load(dyad::coder::DefaultCoderOptions());
  if (!coder.ok()) {
    std::fprintf(stderr, "dyad-bench-e2e corpus: the coder did not load: %s\n",
                 coder.status().ToString().c_str());
    return 1;
  }
  std::vector<SourceArticle> sources;
  std::string line;
  int line_number = 0;
  const absl::Time now = absl::Now();
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    auto input = dyad::ingest::ParseJsonRecord(line, {});
    auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!input.ok() || !json.is_object()) {
      std::fprintf(stderr, "dyad-bench-e2e corpus: %s:%d: %s\n", options.news.c_str(), line_number,
                   input.ok() ? "not a JSON object" : input.status().ToString().c_str());
      return 1;
    }
    // What dyad-ingest makes of it, then what the extractor's coder makes of that.
    auto article = dyad::ingest::BuildArticle(*input, {}, now);
    if (!article.ok()) {
      std::fprintf(stderr, "dyad-bench-e2e corpus: %s:%d: %s\n", options.news.c_str(), line_number,
                   article.status().ToString().c_str());
      return 1;
    }
    SourceArticle source;
    source.sentences = CountSentences(article->body());
    source.events = (*coder)->CodeArticle(*article).size();
    source.text_bytes = input->text.size();
    source.json = std::move(json);
    sources.push_back(std::move(source));
  }
  if (sources.empty()) {
    std::fprintf(stderr, "dyad-bench-e2e corpus: %s holds no articles\n", options.news.c_str());
    return 1;
  }
  absl::Time first;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d", options.first_day, absl::UTCTimeZone(), &first, &error)) {
    std::fprintf(stderr, "dyad-bench-e2e corpus: --first-day %s: %s (give YYYY-MM-DD)\n",
                 options.first_day.c_str(), error.c_str());
    return 1;
  }
  std::ofstream out(options.out, std::ios::trunc);
  if (!out) {
    std::fprintf(stderr, "dyad-bench-e2e corpus: cannot write %s\n", options.out.c_str());
    return 1;
  }
  // Each round of len(sources) articles replays every source once, in an order shuffled per
  // round; dates advance evenly over `days` days, at a random second of the day.
  std::mt19937_64 random(options.seed);
  std::vector<std::size_t> order(sources.size());
  int64_t sentences = 0, events = 0, bytes = 0, with_events = 0;
  for (int64_t i = 0; i < options.count; ++i) {
    const auto k = static_cast<std::size_t>(i) % order.size();
    if (k == 0) {
      for (std::size_t j = 0; j < order.size(); ++j) order[j] = j;
      std::shuffle(order.begin(), order.end(), random);
    }
    const SourceArticle& source = sources[order[k]];
    const int64_t day = i * options.days / std::max<int64_t>(1, options.count);
    const absl::Time published =
        first + absl::Hours(24 * day) + absl::Seconds(static_cast<int64_t>(random() % 86400));
    nlohmann::json record;
    const std::string original_id =
        source.json.value("id", std::to_string(order[k] + 1));  // VOA's id
    record["url"] = "https://www.voanews.com/a/replay-" + std::to_string(options.seed) + "-" +
                    std::to_string(i) + "/" + original_id + ".html";
    record["title"] = source.json.value("title", "");
    record["published_at"] = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", published, absl::UTCTimeZone());
    record["text"] = source.json.value("text", "");
    record["replay_of"] = original_id;
    record["sentences"] = source.sentences;
    record["expected_events"] = source.events;
    out << record.dump() << '\n';
    sentences += static_cast<int64_t>(source.sentences);
    events += static_cast<int64_t>(source.events);
    bytes += static_cast<int64_t>(source.text_bytes);
    if (source.events > 0) ++with_events;
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "dyad-bench-e2e corpus: writing %s failed\n", options.out.c_str());
    return 1;
  }
  std::printf(
      "corpus: %lld articles replayed from %zu VOA articles (seed %llu): %lld sentences, %lld "
      "events expected, %lld articles with events, %lld bytes of text\n",
      static_cast<long long>(options.count), sources.size(),
      static_cast<unsigned long long>(options.seed), static_cast<long long>(sentences),
      static_cast<long long>(events), static_cast<long long>(with_events),
      static_cast<long long>(bytes));
  return 0;
}

// --- broker -----------------------------------------------------------------------------------

int Broker(int partitions, const std::vector<std::string>& extra_topics) {
  auto broker = dyad::kafka::EmbeddedBroker::Start(1);
  if (!broker.ok()) {
    std::fprintf(stderr, "dyad-bench-e2e broker: %s\n", broker.status().ToString().c_str());
    return 1;
  }
  // The mock cluster cannot create topics for its clients (it auto-creates them with 4
  // partitions): every topic the run uses is made here, with the partitions asked for.
  std::vector<std::string> topics = {dyad::kafka::kArticlesTopic, dyad::kafka::kEventsTopic,
                                     dyad::kafka::kArticlesDlqTopic};
  topics.insert(topics.end(), extra_topics.begin(), extra_topics.end());
  for (const std::string& topic : topics) {
    if (auto status = (*broker)->CreateTopic({topic, partitions, 1}); !status.ok()) {
      std::fprintf(stderr, "dyad-bench-e2e broker: %s\n", status.ToString().c_str());
      return 1;
    }
  }
  std::printf("dyad-bench-e2e broker listening on %s\n", (*broker)->bootstrap_servers().c_str());
  std::fflush(stdout);
  dyad::core::InstallShutdownHandlers();
  while (!dyad::core::WaitForShutdown(std::chrono::hours(1))) {
  }
  return 0;
}

// --- WatchEvents ------------------------------------------------------------------------------

// One WatchEvents stream (every mention): counts mentions and drops, remembers when the first
// mention of each article arrived and which country pairs the mentions are about.
class Watch : public grpc::ClientReadReactor<dyad::v1::WatchEventsResponse> {
 public:
  Watch(const std::string& address, bool record_articles)
      : record_articles_(record_articles),
        stub_(dyad::v1::RelationsService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
    request_.set_buffer(100000);
    stub_->async()->WatchEvents(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  // True once the stream is subscribed (its initial metadata arrived) within `timeout`.
  bool WaitSubscribed(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return subscribed_ || done_; }) && subscribed_;
  }

  void OnReadInitialMetadataDone(bool ok) override {
    std::lock_guard lock(mu_);
    subscribed_ = ok;
    cv_.notify_all();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    const auto now = Clock::now();
    {
      std::lock_guard lock(mu_);
      ++mentions_;
      last_ = now;
      dropped_ += response_.dropped();
      if (record_articles_) {
        first_seen_.try_emplace(response_.event().article_id(), now);
        ++pairs_[response_.event().source().country() + " " + response_.event().target().country()];
      }
    }
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    std::lock_guard lock(mu_);
    done_ = true;
    status_ = status;
    cv_.notify_all();
  }

  // Ends the stream and waits for OnDone.
  void Stop() {
    context_.TryCancel();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }

  // How many of `article_ids` have had a mention (record_articles only).
  int64_t Seen(const std::vector<std::string>& article_ids) {
    std::lock_guard lock(mu_);
    int64_t n = 0;
    for (const std::string& id : article_ids) n += first_seen_.contains(id) ? 1 : 0;
    return n;
  }
  int64_t mentions() {
    std::lock_guard lock(mu_);
    return mentions_;
  }
  int64_t dropped() {
    std::lock_guard lock(mu_);
    return dropped_;
  }
  Clock::time_point last() {
    std::lock_guard lock(mu_);
    return last_;
  }
  std::string error() {
    std::lock_guard lock(mu_);
    return done_ && !status_.ok() && status_.error_code() != grpc::StatusCode::CANCELLED
               ? status_.error_message()
               : "";
  }
  // Valid after Stop().
  const std::unordered_map<std::string, Clock::time_point>& first_seen() const {
    return first_seen_;
  }
  std::string TopPair() {
    std::lock_guard lock(mu_);
    std::string best;
    int64_t most = 0;
    for (const auto& [pair, n] : pairs_) {
      if (n > most) best = pair, most = n;
    }
    return best;
  }

 private:
  const bool record_articles_;
  std::unique_ptr<dyad::v1::RelationsService::Stub> stub_;
  grpc::ClientContext context_;
  dyad::v1::WatchEventsRequest request_;
  dyad::v1::WatchEventsResponse response_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool subscribed_ = false, done_ = false;
  grpc::Status status_;
  int64_t mentions_ = 0, dropped_ = 0;
  Clock::time_point last_{};
  std::unordered_map<std::string, Clock::time_point> first_seen_;
  std::unordered_map<std::string, int64_t> pairs_;
};

// --- load -------------------------------------------------------------------------------------

struct LoadOptions {
  std::string ingest = "127.0.0.1:50051";
  std::vector<std::string> watch;
  std::string corpus;
  int64_t skip = 0;
  int64_t count = 1000;
  double rate = 0;  // articles/s, open loop; 0 = closed loop
  int concurrency = 64;
  double idle_seconds = 60;
  std::string out;
  std::string label = "load";
};

struct Item {
  dyad::v1::PublishRequest request;
  int64_t sentences = 0;
  int64_t expected_events = 0;
  Clock::time_point scheduled{}, returned{};
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string article_id;
  bool done = false;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];  // nearest rank
}

int Load(const LoadOptions& options) {
  // Articles [skip, skip + count) of the corpus, built into requests before the clock starts.
  std::vector<Item> items;
  {
    std::ifstream in(options.corpus);
    if (!in) {
      std::fprintf(stderr, "dyad-bench-e2e load: cannot read %s (run corpus first)\n",
                   options.corpus.c_str());
      return 1;
    }
    std::string line;
    int64_t index = 0;
    while (static_cast<int64_t>(items.size()) < options.count && std::getline(in, line)) {
      if (index++ < options.skip) continue;
      auto input = dyad::ingest::ParseJsonRecord(line, {});
      auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!input.ok() || !json.is_object()) {
        std::fprintf(stderr, "dyad-bench-e2e load: %s:%lld: not a corpus line\n",
                     options.corpus.c_str(), static_cast<long long>(index));
        return 1;
      }
      Item item;
      item.request = dyad::ingest::RequestFromInput(*input);
      item.sentences = json.value("sentences", int64_t{0});
      item.expected_events = json.value("expected_events", int64_t{0});
      items.push_back(std::move(item));
    }
    if (static_cast<int64_t>(items.size()) < options.count) {
      std::fprintf(stderr,
                   "dyad-bench-e2e load: %s holds %lld articles after --skip %lld; --count asks "
                   "for %lld (generate a larger corpus)\n",
                   options.corpus.c_str(), static_cast<long long>(items.size()),
                   static_cast<long long>(options.skip), static_cast<long long>(options.count));
      return 1;
    }
  }
  // Subscribe first: a stream sees only mentions applied after it is subscribed.
  std::vector<std::unique_ptr<Watch>> watches;
  for (std::size_t i = 0; i < options.watch.size(); ++i) {
    watches.push_back(std::make_unique<Watch>(options.watch[i], i == 0));
    if (!watches.back()->WaitSubscribed(std::chrono::seconds(30))) {
      std::fprintf(stderr, "dyad-bench-e2e load: WatchEvents at %s did not start: %s\n",
                   options.watch[i].c_str(), watches.back()->error().c_str());
      for (auto& w : watches) w->Stop();
      return 1;
    }
  }

  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  auto stub = dyad::v1::IngestService::NewStub(
      grpc::CreateCustomChannel(options.ingest, grpc::InsecureChannelCredentials(), args));
  std::mutex mu;
  std::condition_variable cv;
  int64_t in_flight = 0, next = 0, finished = 0;
  const auto n = static_cast<int64_t>(items.size());
  struct Call {
    grpc::ClientContext context;
    dyad::v1::PublishResponse response;
  };
  std::function<void(int64_t)> issue = [&](int64_t i) {
    auto* call = new Call;
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    Item& item = items[static_cast<std::size_t>(i)];
    stub->async()->Publish(&call->context, &item.request, &call->response,
                           [&, call, i](grpc::Status status) {
                             const auto now = Clock::now();
                             Item& it = items[static_cast<std::size_t>(i)];
                             it.returned = now;
                             it.code = status.error_code();
                             it.article_id = call->response.article_id();
                             delete call;
                             int64_t follow = -1;
                             {
                               std::lock_guard lock(mu);
                               it.done = true;
                               --in_flight;
                               ++finished;
                               if (options.rate <= 0 && next < n) {
                                 follow = next++;
                                 ++in_flight;
                                 items[static_cast<std::size_t>(follow)].scheduled = Clock::now();
                               }
                               cv.notify_all();
                             }
                             if (follow >= 0) issue(follow);
                           });
  };
  const auto start = Clock::now();
  if (options.rate <= 0) {
    std::vector<int64_t> first;
    {
      std::lock_guard lock(mu);
      while (next < n && next < options.concurrency) {
        items[static_cast<std::size_t>(next)].scheduled = Clock::now();
        first.push_back(next++);
        ++in_flight;
      }
    }
    for (int64_t i : first) issue(i);
  } else {
    const auto interval = std::chrono::duration<double>(1.0 / options.rate);
    for (int64_t i = 0; i < n; ++i) {
      const auto at = start + std::chrono::duration_cast<Clock::duration>(interval * i);
      std::this_thread::sleep_until(at);
      {
        std::lock_guard lock(mu);
        items[static_cast<std::size_t>(i)].scheduled = at;  // open loop: late is late
        ++in_flight;
        next = i + 1;
      }
      issue(i);
    }
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return finished == n; });
  }

  // Mentions expected on the first stream: those of the articles published OK.
  int64_t expected = 0, ok = 0, errors = 0, sentences = 0, with_events = 0;
  std::map<std::string, int64_t> error_codes;
  auto last_return = start;
  for (const Item& item : items) {
    if (item.code == grpc::StatusCode::OK) {
      ++ok;
      expected += item.expected_events;
      sentences += item.sentences;
      if (item.expected_events > 0) ++with_events;
      last_return = std::max(last_return, item.returned);
    } else {
      ++errors;
      ++error_codes[std::to_string(static_cast<int>(item.code))];
    }
  }
  // Wait until the first stream has shown a mention of every article expected to give events
  // (the end-to-end latency is timed on the first), or nothing new arrived for idle_seconds; then
  // the other streams until they have as many mentions as the first.
  Watch* watch = watches.empty() ? nullptr : watches.front().get();
  if (watch != nullptr) {
    std::vector<std::string> wanted;
    for (const Item& item : items) {
      if (item.code == grpc::StatusCode::OK && item.expected_events > 0) {
        wanted.push_back(item.article_id);
      }
    }
    auto last_change = Clock::now();
    int64_t seen = -1;
    while (watch->error().empty()) {
      const int64_t m = watch->Seen(wanted);
      if (m >= static_cast<int64_t>(wanted.size())) break;
      if (m != seen) seen = m, last_change = Clock::now();
      if (Seconds(Clock::now() - last_change) > options.idle_seconds) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const int64_t target = watch->mentions() + watch->dropped();
    for (std::size_t i = 1; i < watches.size(); ++i) {
      Watch& w = *watches[i];
      last_change = Clock::now();
      seen = -1;
      while (w.mentions() + w.dropped() < target && w.error().empty() &&
             Seconds(Clock::now() - last_change) <= options.idle_seconds) {
        if (w.mentions() != seen) seen = w.mentions(), last_change = Clock::now();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
  const std::string top_pair = watch != nullptr ? watch->TopPair() : "";
  for (auto& w : watches) w->Stop();

  // Publish latency (from the scheduled time in open loop), end-to-end latency per article.
  std::vector<double> publish_ms, e2e_ms;
  int64_t missing = 0, negative = 0;
  auto last_visible = start;
  std::ofstream out;
  if (!options.out.empty()) {
    out.open(options.out, std::ios::trunc);
    out << "index,scheduled_s,returned_s,first_event_s,code,expected_events\n";
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    double first_s = std::nan("");
    if (item.code == grpc::StatusCode::OK) {
      publish_ms.push_back(1000.0 * Seconds(item.returned - item.scheduled));
      if (watch != nullptr && item.expected_events > 0) {
        const auto& seen = watch->first_seen();
        if (auto it = seen.find(item.article_id); it != seen.end()) {
          e2e_ms.push_back(1000.0 * Seconds(it->second - item.returned));
          if (it->second < item.returned) ++negative;
          last_visible = std::max(last_visible, it->second);
          first_s = Seconds(it->second - start);
        } else {
          ++missing;
        }
      }
    }
    if (out.is_open()) {
      out << options.skip + static_cast<int64_t>(i) << ',' << Seconds(item.scheduled - start) << ','
          << Seconds(item.returned - start) << ',' << first_s << ',' << static_cast<int>(item.code)
          << ',' << item.expected_events << '\n';
    }
  }
  const double publish_s = Seconds(last_return - start);
  const double pipeline_s = Seconds(last_visible - start);
  std::string codes;
  for (const auto& [code, count] : error_codes) {
    codes += (codes.empty() ? " (gRPC codes " : ", ") + code + ": " + std::to_string(count);
  }
  if (!codes.empty()) codes += ")";
  const std::string mode =
      options.rate > 0 ? "open loop at " + std::to_string(std::lround(options.rate)) + " articles/s"
                       : "closed loop, " + std::to_string(options.concurrency) + " in flight";
  // One key=value line for run.sh, then a readable one.
  std::printf(
      "RESULT label=%s mode=%s articles=%lld ok=%lld errors=%lld sentences=%lld "
      "publish_s=%.3f publish_per_s=%.1f publish_p50_ms=%.2f publish_p99_ms=%.2f "
      "expected_mentions=%lld with_events=%lld visible=%zu missing=%lld negative=%lld "
      "e2e_p50_ms=%.1f e2e_p90_ms=%.1f e2e_p99_ms=%.1f e2e_max_ms=%.1f pipeline_s=%.3f "
      "pipeline_per_s=%.1f pipeline_sentences_per_s=%.0f top_pair=%s",
      options.label.c_str(), options.rate > 0 ? "open" : "closed", static_cast<long long>(n),
      static_cast<long long>(ok), static_cast<long long>(errors), static_cast<long long>(sentences),
      publish_s, publish_s > 0 ? static_cast<double>(ok) / publish_s : 0.0,
      Percentile(publish_ms, 50), Percentile(publish_ms, 99), static_cast<long long>(expected),
      static_cast<long long>(with_events), e2e_ms.size(), static_cast<long long>(missing),
      static_cast<long long>(negative), Percentile(e2e_ms, 50), Percentile(e2e_ms, 90),
      Percentile(e2e_ms, 99),
      e2e_ms.empty() ? std::nan("") : *std::max_element(e2e_ms.begin(), e2e_ms.end()), pipeline_s,
      pipeline_s > 0 ? static_cast<double>(ok) / pipeline_s : 0.0,
      pipeline_s > 0 ? static_cast<double>(sentences) / pipeline_s : 0.0,
      top_pair.empty() ? "-" : std::string(top_pair).replace(top_pair.find(' '), 1, ">").c_str());
  for (std::size_t i = 0; i < watches.size(); ++i) {
    std::printf(" watch%zu_mentions=%lld watch%zu_dropped=%lld", i,
                static_cast<long long>(watches[i]->mentions()), i,
                static_cast<long long>(watches[i]->dropped()));
  }
  std::printf("\n");
  std::printf(
      "%s (%s): %lld articles published in %.1f s = %.0f articles/s (%lld errors%s), Publish p50 "
      "%.1f ms p99 %.1f ms; %zu of %lld articles with events visible in dyad-query, end-to-end "
      "p50 %.0f ms p90 %.0f ms p99 %.0f ms max %.0f ms; last visible %.1f s after the start = "
      "%.0f articles/s, %.0f sentences/s through the whole pipeline\n",
      options.label.c_str(), mode.c_str(), static_cast<long long>(ok), publish_s,
      publish_s > 0 ? static_cast<double>(ok) / publish_s : 0.0, static_cast<long long>(errors),
      codes.c_str(), Percentile(publish_ms, 50), Percentile(publish_ms, 99), e2e_ms.size(),
      static_cast<long long>(with_events), Percentile(e2e_ms, 50), Percentile(e2e_ms, 90),
      Percentile(e2e_ms, 99),
      e2e_ms.empty() ? std::nan("") : *std::max_element(e2e_ms.begin(), e2e_ms.end()), pipeline_s,
      pipeline_s > 0 ? static_cast<double>(ok) / pipeline_s : 0.0,
      pipeline_s > 0 ? static_cast<double>(sentences) / pipeline_s : 0.0);
  return errors == 0 && missing == 0 ? 0 : 1;
}

// --- monitor ----------------------------------------------------------------------------------

struct MonitorOptions {
  std::string brokers;
  std::string articles_topic = dyad::kafka::kArticlesTopic;
  std::string events_topic = dyad::kafka::kEventsTopic;
  std::string group = "dyad-extractor";
  std::vector<std::string> pids;  // name=pid
  std::string query;
  double interval = 1.0;
  double seconds = 0;  // 0 = until SIGINT/SIGTERM
  std::string out;
};

struct ProcSample {
  double cpu_s = std::nan("");
  double rss_mb = std::nan("");
};

ProcSample ReadProc(long pid) {
  ProcSample sample;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (std::getline(stat, text)) {
    // Fields after the command (which may hold spaces) start after the last ')'.
    const auto close = text.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(text.substr(close + 2));
      std::string field;
      std::vector<std::string> values;
      while (fields >> field) values.push_back(field);
      // values[0] is field 3 (state); utime and stime are fields 14 and 15.
      if (values.size() > 13) {
        sample.cpu_s = (std::stod(values[11]) + std::stod(values[12])) /
                       static_cast<double>(sysconf(_SC_CLK_TCK));
      }
    }
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, text)) {
    if (text.rfind("VmRSS:", 0) == 0) sample.rss_mb = std::atof(text.c_str() + 6) / 1024.0;
  }
  return sample;
}

int Monitor(const MonitorOptions& options) {
  dyad::kafka::ClientConfig client;
  client.brokers = options.brokers;
  client.client_id = "dyad-bench-e2e-monitor";
  std::vector<std::pair<std::string, long>> pids;
  for (const std::string& entry : options.pids) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "dyad-bench-e2e monitor: --pid %s is not NAME=PID\n", entry.c_str());
      return 1;
    }
    pids.emplace_back(entry.substr(0, eq), std::atol(entry.c_str() + eq + 1));
  }
  std::unique_ptr<Watch> watch;
  if (!options.query.empty()) {
    watch = std::make_unique<Watch>(options.query, false);
    if (!watch->WaitSubscribed(std::chrono::seconds(30))) {
      std::fprintf(stderr, "dyad-bench-e2e monitor: WatchEvents at %s did not start: %s\n",
                   options.query.c_str(), watch->error().c_str());
      watch->Stop();
      return 1;
    }
  }
  std::ofstream out(options.out, std::ios::trunc);
  if (!out) {
    std::fprintf(stderr, "dyad-bench-e2e monitor: cannot write %s\n", options.out.c_str());
    return 1;
  }
  out << "unix_s,t_s,load1,articles,extractor_lag,events,query_mentions";
  for (const auto& [name, pid] : pids) out << ',' << name << "_cpu_s," << name << "_rss_mb";
  out << '\n';
  out.flush();
  std::printf("dyad-bench-e2e monitor sampling\n");
  std::fflush(stdout);
  dyad::core::InstallShutdownHandlers();
  const auto start = Clock::now();
  const auto period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.interval));
  const auto timeout = std::chrono::milliseconds(2000);
  auto field = [](const absl::StatusOr<int64_t>& v) {
    return v.ok() ? std::to_string(*v) : std::string();
  };
  for (int64_t k = 0;; ++k) {
    const auto at = start + period * k;
    const auto t = Seconds(Clock::now() - start);
    const auto articles = dyad::kafka::TopicRecordCount(client, options.articles_topic, timeout);
    const auto lag =
        dyad::kafka::ConsumerGroupLag(client, options.group, options.articles_topic, timeout);
    const auto events = dyad::kafka::TopicRecordCount(client, options.events_topic, timeout);
    const double unix_s =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    double load1 = 0;
    std::ifstream("/proc/loadavg") >> load1;  // the machine's 1-minute load average
    out << std::fixed << std::setprecision(3) << unix_s << ',' << t << ',' << load1 << ','
        << field(articles) << ',' << field(lag) << ',' << field(events) << ','
        << (watch ? std::to_string(watch->mentions() + watch->dropped()) : std::string());
    for (const auto& [name, pid] : pids) {
      const ProcSample s = ReadProc(pid);
      out << ',';
      if (!std::isnan(s.cpu_s)) out << s.cpu_s;
      out << ',';
      if (!std::isnan(s.rss_mb)) out << s.rss_mb;
    }
    out << '\n';
    out.flush();
    if (options.seconds > 0 && Seconds(Clock::now() - start) >= options.seconds) break;
    const auto wake = at + period;
    if (wake > Clock::now() &&
        dyad::core::WaitForShutdown(
            std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now()))) {
      break;
    }
    if (dyad::core::ShutdownRequested()) break;
  }
  if (watch) watch->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dyad-bench-e2e: helpers of the end-to-end benchmark (bench/e2e/run.sh)"};
  app.require_subcommand(1);

  CorpusOptions corpus_options;
  auto* corpus = app.add_subcommand("corpus", "replay the VOA articles into a JSON Lines corpus");
  corpus->add_option("--news", corpus_options.news, "source articles (JSON Lines)")
      ->capture_default_str();
  corpus->add_option("--out", corpus_options.out, "corpus file to write")->required();
  corpus->add_option("--count", corpus_options.count, "articles to write")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}))
      ->capture_default_str();
  corpus->add_option("--seed", corpus_options.seed)->capture_default_str();
  corpus->add_option("--first-day", corpus_options.first_day, "first publication day")
      ->capture_default_str();
  corpus->add_option("--days", corpus_options.days, "days the publication dates spread over")
      ->check(CLI::Range(1, 36500))
      ->capture_default_str();

  int partitions = 6;
  auto* broker = app.add_subcommand("broker", "run an embedded Kafka broker with dyad's topics");
  broker->add_option("--partitions", partitions)->check(CLI::Range(1, 1000))->capture_default_str();
  std::vector<std::string> topics;
  broker->add_option("--topic", topics, "another topic to create (repeatable)");

  LoadOptions load_options;
  auto* load = app.add_subcommand("load", "publish through dyad-ingest, time WatchEvents");
  load->add_option("--ingest", load_options.ingest, "dyad-ingest address")->capture_default_str();
  load->add_option("--watch", load_options.watch,
                   "dyad-query address (repeatable; latency is timed on the first)");
  load->add_option("--corpus", load_options.corpus, "corpus file (corpus subcommand)")->required();
  load->add_option("--skip", load_options.skip, "corpus articles to skip (already published)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  load->add_option("--count", load_options.count, "articles to publish")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}))
      ->capture_default_str();
  load->add_option("--rate", load_options.rate, "articles/s on a fixed schedule (0: closed loop)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  load->add_option("--concurrency", load_options.concurrency, "calls in flight (closed loop)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  load->add_option("--idle-seconds", load_options.idle_seconds,
                   "stop waiting for mentions after this long without one")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  load->add_option("--out", load_options.out, "CSV of every article's times");
  load->add_option("--label", load_options.label)->capture_default_str();

  MonitorOptions monitor_options;
  auto* monitor = app.add_subcommand("monitor", "sample topics, lag, CPU and RSS every second");
  monitor->add_option("--brokers", monitor_options.brokers)->required();
  monitor->add_option("--articles-topic", monitor_options.articles_topic)->capture_default_str();
  monitor->add_option("--events-topic", monitor_options.events_topic)->capture_default_str();
  monitor->add_option("--group", monitor_options.group, "extractor consumer group")
      ->capture_default_str();
  monitor->add_option("--pid", monitor_options.pids, "NAME=PID of a process to sample");
  monitor->add_option("--query", monitor_options.query,
                      "dyad-query address: count the mentions it applies (WatchEvents)");
  monitor->add_option("--interval", monitor_options.interval, "seconds between samples")
      ->check(CLI::Range(0.05, 60.0))
      ->capture_default_str();
  monitor->add_option("--seconds", monitor_options.seconds, "stop after this long (0: at SIGTERM)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  monitor->add_option("--out", monitor_options.out, "CSV to write")->required();

  CLI11_PARSE(app, argc, argv);
  if (corpus->parsed()) return Corpus(corpus_options);
  if (load->parsed()) return Load(load_options);
  if (monitor->parsed()) return Monitor(monitor_options);
  return Broker(partitions, topics);
}
