// Fault tests (label `kafka`): the whole pipeline as real processes against a real 3-node Kafka
// cluster (tests/kafka/kafka.sh start --nodes 3), with a fault injected mid-stream. After each,
// the events that reached dyad.events (read_committed) and the relations dyad-query serves must
// equal a clean run's exactly: none lost, none doubled.
//
// Every scenario has its own topics, consumer groups and query state directory, and sends the
// same articles (same ids, so the same event ids): the expected events are those the coder
// produces for them in this process, and the first scenario (no fault) must match them too. The
// articles are built from the sentences of data/gold (real VOA news), three per article.
//
// The results table (fault, articles sent, events expected, counted, lost, doubled) is printed,
// written to fault-table.md in the build directory, and, when DYAD_FAULT_TABLE_README names a
// file (ctest sets it to tests/kafka/README.md), replaces the table between the markers there.
//
// Needs DYAD_TEST_KAFKA_BROKERS with three brokers (skipped otherwise, with a message) and the
// cluster started by tests/kafka/kafka.sh, which this test drives to stop and start nodes.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "dyad/coder/coder.h"
#include "dyad/core/subprocess.h"
#include "dyad/ingest/article.h"
#include "dyad/kafka/admin.h"
#include "dyad/kafka/consumer.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/testing.h"
#include "dyad/v1/ingest_service.grpc.pb.h"
#include "dyad/v1/relations_service.grpc.pb.h"

namespace dyad {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kPartitions = 6;
constexpr int kSentencesPerArticle = 3;
// How long a scenario may take to settle after its last article was sent.
constexpr auto kSettleLimit = seconds(240);

// For debugging one scenario: DYAD_FAULT_ONLY=name[,name...] runs the clean reference row and
// the named scenarios (names as passed to Run: kill-extractor, rebalance, kill-query,
// broker-stop, poison, ingest-broker-loss). DYAD_FAULT_LOG_DIR=dir writes each extractor's log
// (at info, or DYAD_FAULT_LOG_LEVEL) and dyad-query's (at info) to files there;
// DYAD_FAULT_EXTRACTOR_ARGS adds
// space-separated flags to the extractors (e.g. --kafka-config=debug=eos,msg,cgrp).
std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

bool ScenarioSelected(const std::string& name) {
  const std::string only = Env("DYAD_FAULT_ONLY");
  if (only.empty() || name == "clean") return true;
  std::stringstream names(only);
  std::string item;
  while (std::getline(names, item, ',')) {
    if (item == name) return true;
  }
  return false;
}

int ArticleCount() {
  const char* env = std::getenv("DYAD_FAULT_ARTICLES");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 1200;
}

// ---- The articles and the events they should give ----------------------------------------

struct Corpus {
  std::vector<v1::PublishRequest> requests;  // what a client sends to dyad-ingest
  std::vector<v1::Article> articles;         // what dyad-ingest makes of them (same ids)
  std::set<std::string> expected_ids;        // event ids the coder gives for them
  std::map<std::string, int64_t> events_of;  // article id → how many events it gives (if any)
  std::map<std::string, std::string> article_of;  // event id → its article id
  std::set<std::string> article_ids;
};

std::vector<std::pair<std::string, std::string>> GoldSentences() {
  std::vector<std::pair<std::string, std::string>> out;  // (text, yyyymmdd)
  for (const char* file : {"news-dev.jsonl", "news-test.jsonl"}) {
    std::ifstream in(std::string(DYAD_SOURCE_DIR) + "/data/gold/" + file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto record = nlohmann::json::parse(line);
      out.emplace_back(record.at("text").get<std::string>(), record.at("date").get<std::string>());
    }
  }
  return out;
}

const Corpus& TheCorpus() {
  static const Corpus corpus = [] {
    Corpus c;
    const auto sentences = GoldSentences();
    EXPECT_GT(sentences.size(), 100u);
    auto coder = coder::Coder::Load(coder::DefaultCoderOptions());
    EXPECT_TRUE(coder.ok()) << coder.status();
    if (sentences.empty() || !coder.ok()) return c;
    const int n = ArticleCount();
    for (int i = 0; i < n; ++i) {
      std::string text;
      std::string date;
      for (int k = 0; k < kSentencesPerArticle; ++k) {
        // Strides that are prime to the pool size: every article a different mix.
        const auto& [sentence, day] =
            sentences[(static_cast<size_t>(i) * 7 + static_cast<size_t>(k) * 31) %
                      sentences.size()];
        text += sentence + "\n\n";
        if (date.empty()) date = day;
      }
      v1::PublishRequest request;
      request.set_url("https://news.example/fault/" + std::to_string(i));
      request.set_title("Fault-test article " + std::to_string(i));
      request.set_text(text);
      absl::Time published;
      std::string error;
      const std::string iso = date.substr(0, 4) + "-" + date.substr(4, 2) + "-" + date.substr(6, 2);
      EXPECT_TRUE(absl::ParseTime("%Y-%m-%d", iso, &published, &error)) << date << ": " << error;
      request.mutable_published_at()->set_seconds(absl::ToUnixSeconds(published));
      ingest::ArticleInput input;
      input.url = request.url();
      input.title = request.title();
      input.text = request.text();
      input.published_at = published;
      auto article = ingest::BuildArticle(input, ingest::BuildOptions{}, absl::Now());
      EXPECT_TRUE(article.ok()) << article.status();
      if (!article.ok()) continue;
      for (const v1::Event& event : (*coder)->CodeArticle(*article)) {
        c.expected_ids.insert(event.id());
        c.article_of[event.id()] = article->id();
        ++c.events_of[article->id()];
      }
      c.article_ids.insert(article->id());
      c.requests.push_back(std::move(request));
      c.articles.push_back(*std::move(article));
    }
    return c;
  }();
  return corpus;
}

// ---- Results ------------------------------------------------------------------------------

struct Row {
  std::string fault;
  int64_t articles_sent = 0;
  int64_t poison_sent = 0;
  int64_t expected = 0;
  int64_t resent = 0;    // article records beyond the first per article id (client retries)
  int64_t in_topic = 0;  // event records in the events topic, read_committed
  int64_t expected_in_topic = 0;  // Σ over the article records of their events
  int64_t counted = 0;            // events dyad-query serves
  int64_t lost = 0;               // expected ids missing from the topic or from dyad-query
  int64_t doubled = 0;  // records beyond the first per id in the topic, plus dyad-query excess
  int64_t dead_lettered = 0;
  bool relations_equal = false;
  double seconds = 0;
};

std::vector<Row>& Rows() {
  static std::vector<Row> rows;
  return rows;
}

std::string FormatTable() {
  std::ostringstream out;
  out << "| fault | articles sent | article re-sends | events expected | events in topic | "
         "events counted by dyad-query | lost | doubled | relations = clean run | dead-lettered "
         "| time |\n";
  out << "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |\n";
  for (const Row& r : Rows()) {
    out << "| " << r.fault << " | " << r.articles_sent;
    if (r.poison_sent > 0) out << " + " << r.poison_sent << " poison";
    out << " | " << r.resent << " | " << r.expected << " | " << r.in_topic;
    if (r.in_topic != r.expected) out << " (" << r.expected_in_topic << " from the records)";
    out << " | " << r.counted << " | " << r.lost << " | " << r.doubled << " | "
        << (r.relations_equal ? "yes" : "**no**") << " | " << r.dead_lettered << " | "
        << static_cast<int>(r.seconds) << " s |\n";
  }
  return out.str();
}

void WriteTable() {
  const std::string table = FormatTable();
  std::cout << "\n" << table << std::endl;
  std::ofstream(std::string(DYAD_BINARY_DIR) + "/fault-table.md") << table;
  const char* readme = std::getenv("DYAD_FAULT_TABLE_README");
  // A partial run (DYAD_FAULT_ONLY) does not replace the full table.
  if (readme == nullptr || *readme == '\0' || !Env("DYAD_FAULT_ONLY").empty()) return;
  std::ifstream in(readme);
  std::stringstream text;
  text << in.rdbuf();
  std::string content = text.str();
  const std::string begin = "<!-- fault-table:begin -->\n";
  const std::string end = "<!-- fault-table:end -->";
  const auto b = content.find(begin);
  const auto e = content.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b) return;
  char when[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  const std::string body = std::string("Produced by `fault_test` on ") + when + " (" +
                           std::to_string(ArticleCount()) + " articles per row, " +
                           std::to_string(kPartitions) + " partitions, replication factor 3, " +
                           "min.insync.replicas 2):\n\n" + table;
  content.replace(b + begin.size(), e - b - begin.size(), body);
  std::ofstream(readme) << content;
}

// ---- The pipeline's processes ---------------------------------------------------------------

std::string Bin(const char* name) { return std::string(DYAD_BINARY_DIR) + "/" + name; }

// Reads lines until one contains " listening on " or " ready"; returns what follows "on ".
std::string AwaitReady(core::Subprocess& child, const std::string& what) {
  while (true) {
    auto line = child.ReadLine(seconds(90));
    if (!line.ok()) {
      ADD_FAILURE() << what << " did not become ready: " << line.status();
      return "";
    }
    if (auto at = line->find(" listening on "); at != std::string::npos) {
      return line->substr(at + 14);
    }
    if (line->find(" ready") != std::string::npos) return "ready";
  }
}

// Runs tests/kafka/kafka.sh with `args` (stop-node 2, start-node 2, ...).
void KafkaSh(const std::string& args) {
  const std::string command = std::string(DYAD_KAFKA_SH) + " " + args + " >/dev/null";
  std::cout << "[fault] kafka.sh " << args << std::endl;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

// The node (1-based) leading partition 0 of `topic`, from kafka.sh topics --describe.
int LeaderOf(const std::string& topic) {
  const std::string command =
      std::string(DYAD_KAFKA_SH) + " topics --describe --topic " + topic + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  pclose(pipe);
  const auto at = output.find("Partition: 0");
  const auto leader = output.find("Leader: ", at == std::string::npos ? 0 : at);
  if (leader == std::string::npos) return -1;
  return std::atoi(output.c_str() + leader + 8);
}

class Pipeline {
 public:
  Pipeline(std::string brokers, const std::string& name) : brokers_(std::move(brokers)) {
    std::random_device random;
    const std::string run = std::to_string(::getpid()) + "-" + std::to_string(random() % 100000);
    prefix_ = "dyad-fault-" + run + "-" + name;
    articles_ = prefix_ + ".articles";
    events_ = prefix_ + ".events";
    dlq_ = prefix_ + ".dlq";
    group_ = prefix_ + ".extractor";
    state_dir_ = fs::path(DYAD_BINARY_DIR) / "fault-state" / prefix_;
    fs::create_directories(state_dir_);
    for (const std::string& topic : {articles_, events_, dlq_}) {
      const auto status = kafka::EnsureTopic(Client(), {topic, kPartitions, 3}, seconds(60));
      EXPECT_TRUE(status.ok()) << status;
    }
  }
  ~Pipeline() {
    extractors_.clear();
    query_.reset();
    ingest_.reset();
    std::error_code ignored;
    fs::remove_all(state_dir_, ignored);
  }

  kafka::ClientConfig Client() const {
    kafka::ClientConfig client;
    client.brokers = brokers_;
    client.client_id = "dyad-fault-test";
    return client;
  }
  const std::string& articles_topic() const { return articles_; }
  const std::string& events_topic() const { return events_; }
  const std::string& dlq_topic() const { return dlq_; }
  const std::string& ingest_address() const { return ingest_address_; }

  // Extractor replica `n` (its transactional id is stable per n: a restart fences the old one).
  void StartExtractor(int n) {
    std::vector<std::string> argv = {
        Bin("services/extractor/dyad-extractor"), "--brokers=" + brokers_,
        "--articles-topic=" + articles_, "--events-topic=" + events_, "--dlq-topic=" + dlq_,
        "--group=" + group_, "--transactional-id=" + group_ + "-" + std::to_string(n),
        "--replication-factor=3", "--partitions=" + std::to_string(kPartitions),
        // A killed member leaves the group after 10 s instead of 45 s.
        "--kafka-config=session.timeout.ms=10000", "--kafka-config=heartbeat.interval.ms=1000"};
    std::stringstream extra(Env("DYAD_FAULT_EXTRACTOR_ARGS"));
    for (std::string arg; extra >> arg;) argv.push_back(arg);
    std::string log_level = "DYAD_LOG_LEVEL=warn";
    if (const std::string dir = Env("DYAD_FAULT_LOG_DIR"); !dir.empty()) {
      // exec keeps the pid; only stderr (the log) goes to the file.
      const std::string log = dir + "/" + prefix_ + "-extractor-" + std::to_string(n) + ".log";
      argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>>" + log});
      const std::string level = Env("DYAD_FAULT_LOG_LEVEL");
      log_level = "DYAD_LOG_LEVEL=" + (level.empty() ? std::string("info") : level);
    }
    auto child = core::Subprocess::Start(argv, {log_level});
    ASSERT_TRUE(child.ok()) << child.status();
    ASSERT_EQ(AwaitReady(**child, "dyad-extractor"), "ready");
    std::cout << "[fault] extractor " << n << " started (pid " << (*child)->pid() << ")"
              << std::endl;
    extractors_[n] = std::move(*child);
  }
  // SIGKILL (crash) or SIGTERM (clean stop, waits for the exit).
  void StopExtractor(int n, int signal) {
    auto it = extractors_.find(n);
    ASSERT_NE(it, extractors_.end());
    std::cout << "[fault] extractor " << n << (signal == SIGKILL ? " killed" : " stopped")
              << std::endl;
    it->second->Signal(signal);
    auto code = it->second->Wait(seconds(60));
    EXPECT_TRUE(code.ok()) << code.status();
    if (signal == SIGTERM && code.ok()) {
      EXPECT_EQ(*code, 0) << "extractor " << n;
    }
    extractors_.erase(it);
  }

  void StartQuery() {
    std::vector<std::string> argv = {Bin("services/query/dyad-query"),
                                     "--brokers=" + brokers_,
                                     "--events-topic=" + events_,
                                     "--state-dir=" + state_dir_.string(),
                                     "--listen=127.0.0.1:0",
                                     "--replication-factor=3",
                                     "--partitions=" + std::to_string(kPartitions)};
    std::string log_level = "DYAD_LOG_LEVEL=warn";
    if (const std::string dir = Env("DYAD_FAULT_LOG_DIR"); !dir.empty()) {
      const std::string log = dir + "/" + prefix_ + "-query.log";
      argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>>" + log});
      log_level = "DYAD_LOG_LEVEL=info";
    }
    auto child = core::Subprocess::Start(argv, {log_level});
    ASSERT_TRUE(child.ok()) << child.status();
    query_address_ = AwaitReady(**child, "dyad-query");
    ASSERT_FALSE(query_address_.empty());
    query_ = std::move(*child);
    relations_ = v1::RelationsService::NewStub(
        grpc::CreateChannel(query_address_, grpc::InsecureChannelCredentials()));
  }
  void KillQuery() {
    std::cout << "[fault] dyad-query killed" << std::endl;
    query_->Signal(SIGKILL);
    EXPECT_TRUE(query_->Wait(seconds(30)).ok());
    query_.reset();
  }

  void StartIngest() {
    auto child = core::Subprocess::Start(
        {Bin("services/ingest/dyad-ingest"), "--brokers=" + brokers_,
         "--articles-topic=" + articles_, "--listen=127.0.0.1:0", "--replication-factor=3",
         "--partitions=" + std::to_string(kPartitions)},
        {"DYAD_LOG_LEVEL=warn"});
    ASSERT_TRUE(child.ok()) << child.status();
    ingest_address_ = AwaitReady(**child, "dyad-ingest");
    ASSERT_FALSE(ingest_address_.empty());
    ingest_ = std::move(*child);
  }

  // What dyad-query serves: every event id with how often ListEvents listed it, and the
  // (source, target) country pairs of those events.
  struct Served {
    std::map<std::string, int> ids;
    std::set<std::pair<std::string, std::string>> pairs;
  };
  Served ListServed() {
    Pipeline::Served served;
    v1::ListEventsRequest request;
    request.set_page_size(1000);
    for (int page = 0; page < 10000; ++page) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + seconds(30));
      v1::ListEventsResponse response;
      const auto status = relations_->ListEvents(&context, request, &response);
      if (!status.ok()) {
        std::cout << "[fault] ListEvents: " << status.error_message() << std::endl;
        return {};
      }
      for (const auto& event : response.events()) {
        ++served.ids[event.id()];
        served.pairs.emplace(event.source().country(), event.target().country());
      }
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return served;
  }

  // GetRelation totals (without event ids) for each of `pairs`, as text, for comparison.
  std::map<std::string, std::string> Relations(
      const std::set<std::pair<std::string, std::string>>& pairs) {
    std::map<std::string, std::string> out;
    for (const auto& [source, target] : pairs) {
      if (source.empty() || target.empty()) continue;
      v1::GetRelationRequest request;
      request.set_source(source);
      request.set_target(target);
      request.set_from("1990-01-01");
      request.set_to("2039-12-31");
      request.set_bucket(v1::BUCKET_YEAR);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + seconds(30));
      v1::GetRelationResponse response;
      const auto status = relations_->GetRelation(&context, request, &response);
      if (!status.ok()) {
        out[source + ">" + target] = "error: " + status.error_message();
        continue;
      }
      v1::RelationBucket total = response.total();
      total.clear_event_ids();
      std::ostringstream text;
      text << total.events() << " events, quad " << total.verbal_cooperation() << "/"
           << total.material_cooperation() << "/" << total.verbal_conflict() << "/"
           << total.material_conflict() << ", goldstein " << total.goldstein_sum() << ", tone "
           << static_cast<int64_t>(total.tone_mean() * 1e6) << "e-6";
      for (const auto& [root, count] :
           std::map<std::string, int64_t>(total.root_codes().begin(), total.root_codes().end())) {
        text << " " << root << ":" << count;
      }
      out[source + ">" + target] = text.str();
    }
    return out;
  }

 private:
  std::string brokers_, prefix_, articles_, events_, dlq_, group_;
  fs::path state_dir_;
  std::map<int, std::unique_ptr<core::Subprocess>> extractors_;
  std::unique_ptr<core::Subprocess> query_, ingest_;
  std::string query_address_, ingest_address_;
  std::unique_ptr<v1::RelationsService::Stub> relations_;
};

// Reads a topic from the beginning with read_committed in a group of its own and counts the
// records per id: the event id parsed from the value (events), else the record key. A record is
// counted once by its (partition, offset): a rebalance of the counter's own group (its
// coordinator moved) delivers records again.
class TopicCounter {
 public:
  TopicCounter(const kafka::ClientConfig& client, const std::string& topic, bool events) {
    kafka::ConsumerOptions options;
    options.client = client;
    options.group_id = topic + ".counter";
    options.commit_offsets = false;
    options.auto_offset_reset = "earliest";
    auto consumer = kafka::Consumer::Create(options);
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    consumer_ = std::move(*consumer);
    EXPECT_TRUE(consumer_->Subscribe({topic}).ok());
    events_ = events;
  }
  // Polls for up to `budget`.
  void Drain(milliseconds budget) {
    const auto until = Clock::now() + budget;
    while (Clock::now() < until) {
      auto polled = consumer_->Poll(milliseconds(100));
      if (!polled.ok() || !polled->has_value()) continue;
      if (!seen_.emplace((*polled)->partition, (*polled)->offset).second) {
        ++redelivered_;
        continue;
      }
      ++records_;
      std::string id = (*polled)->key;
      if (events_) {
        v1::Event event;
        if (!event.ParseFromString((*polled)->value)) continue;
        id = event.id();
        article_of_[id] = event.article_id();
      }
      ++per_id_[id];
      where_[id].push_back(absl::StrCat((*polled)->partition, "@", (*polled)->offset));
    }
  }
  // Where the records with `id` are ("partition@offset", ...).
  std::string Where(const std::string& id) const {
    const auto it = where_.find(id);
    return it == where_.end() ? "nowhere" : absl::StrJoin(it->second, ", ");
  }
  // The article of an event id read from the topic ("" if never read).
  std::string ArticleOf(const std::string& id) const {
    const auto it = article_of_.find(id);
    return it == article_of_.end() ? "" : it->second;
  }
  int64_t redelivered() const { return redelivered_; }
  int64_t records() const { return records_; }
  const std::map<std::string, int>& per_id() const { return per_id_; }

 private:
  std::unique_ptr<kafka::Consumer> consumer_;
  bool events_ = true;
  int64_t records_ = 0;
  int64_t redelivered_ = 0;
  std::set<std::pair<int32_t, int64_t>> seen_;
  std::map<std::string, int> per_id_;
  std::map<std::string, std::vector<std::string>> where_;
  std::map<std::string, std::string> article_of_;
};

// ---- Scenarios --------------------------------------------------------------------------------

class FaultTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    if (!Rows().empty()) WriteTable();
  }

  void SetUp() override {
    const auto cluster = kafka::TestClusterFromEnv();
    if (!cluster) GTEST_SKIP() << kafka::kNoTestClusterMessage;
    if (cluster->brokers_count < 3) {
      GTEST_SKIP() << "the fault tests need a 3-node cluster started by tests/kafka/kafka.sh: "
                      "export DYAD_TEST_KAFKA_BROKERS=$(tests/kafka/kafka.sh start --nodes 3)";
    }
    brokers_ = cluster->brokers;
    ASSERT_FALSE(TheCorpus().expected_ids.empty());
  }

  // A fault action, run on the fault thread once `fraction` of the articles were sent (the
  // actions run in order; those not reached when sending ends run after it).
  struct Hook {
    double fraction;
    std::function<void()> action;
  };

  // How the articles reach Kafka: straight from a producer here, or through dyad-ingest's
  // Publish by a client that retries UNAVAILABLE.
  enum class Via { kKafka, kIngest };

  // Sends the corpus at about `per_second` while the fault thread runs `hooks`; every
  // `poison_every` articles (0 = never) a poison record follows. Returns the poison count.
  int64_t SendArticles(Pipeline& pipeline, std::vector<Hook> hooks, int poison_every, Via via,
                       int per_second = 100) {
    const auto& articles = TheCorpus().articles;
    std::atomic<size_t> sent{0};
    std::atomic<bool> done{false};
    std::thread faults([&] {
      for (Hook& hook : hooks) {
        while (!done.load() && static_cast<double>(sent.load()) <
                                   hook.fraction * static_cast<double>(articles.size())) {
          std::this_thread::sleep_for(milliseconds(20));
        }
        hook.action();
      }
    });
    kafka::ProducerOptions options;
    options.client = pipeline.Client();
    auto producer = kafka::Producer::Create(options);
    EXPECT_TRUE(producer.ok()) << producer.status();
    std::unique_ptr<v1::IngestService::Stub> ingest;
    if (via == Via::kIngest) {
      ingest = v1::IngestService::NewStub(
          grpc::CreateChannel(pipeline.ingest_address(), grpc::InsecureChannelCredentials()));
    }
    int64_t poison = 0;
    int64_t retries = 0;
    const auto start = Clock::now();
    for (size_t i = 0; i < articles.size() && producer.ok(); ++i) {
      if (via == Via::kKafka) {
        auto report = (*producer)->ProduceSync(pipeline.articles_topic(), articles[i].id(),
                                               articles[i].SerializeAsString(), seconds(120));
        EXPECT_TRUE(report.ok() && report->status.ok()) << "article " << i;
      } else {
        retries += PublishWithRetry(*ingest, TheCorpus().requests[i]);
      }
      if (poison_every > 0 && i % static_cast<size_t>(poison_every) == 0) {
        SendPoison(**producer, pipeline, poison++);
      }
      sent.store(i + 1);
      std::this_thread::sleep_until(start +
                                    milliseconds(1000 * static_cast<int64_t>(i + 1) / per_second));
    }
    done.store(true);
    faults.join();
    if (retries > 0) std::cout << "[fault] Publish retried " << retries << " times" << std::endl;
    return poison;
  }

  // Publish, retried on UNAVAILABLE / DEADLINE_EXCEEDED with capped backoff for up to 5 min, as
  // a client of dyad-ingest should. Returns the number of retries.
  static int64_t PublishWithRetry(v1::IngestService::Stub& ingest,
                                  const v1::PublishRequest& request) {
    int64_t retries = 0;
    auto backoff = milliseconds(200);
    const auto give_up = Clock::now() + std::chrono::minutes(5);
    while (true) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + seconds(60));
      v1::PublishResponse response;
      const grpc::Status status = ingest.Publish(&context, request, &response);
      if (status.ok()) return retries;
      const bool retryable = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                             status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
      if (!retryable || Clock::now() > give_up) {
        ADD_FAILURE() << "Publish " << request.url() << ": " << status.error_message();
        return retries;
      }
      ++retries;
      std::this_thread::sleep_for(backoff);
      backoff = std::min<milliseconds>(backoff * 2, seconds(5));
    }
  }

  // One of five kinds of poison, by `n`.
  static void SendPoison(kafka::Producer& producer, Pipeline& pipeline, int64_t n) {
    std::string key = "poison-" + std::to_string(n);
    std::string value;
    switch (n % 5) {
      case 0:  // not protobuf
        value = "\xff\xfe not a protobuf \x01\x02";
        break;
      case 1: {  // a protobuf of the wrong type
        v1::Event event;
        event.set_id("e-not-an-article");
        value = event.SerializeAsString();
        break;
      }
      case 2:  // empty value
        break;
      case 3:  // huge: 900 KB of junk
        value.assign(900 * 1024, 'x');
        break;
      case 4: {  // empty key, an Article without a body
        key.clear();
        v1::Article article;
        article.set_id("poison-empty-body-" + std::to_string(n));
        value = article.SerializeAsString();
        break;
      }
    }
    auto report = producer.ProduceSync(pipeline.articles_topic(), key, value, seconds(120));
    EXPECT_TRUE(report.ok() && report->status.ok()) << "poison " << n;
  }

  // Waits until the events topic and dyad-query hold every expected event (or kSettleLimit),
  // then records the row.
  // `client_retries`: the articles came through a client that retries (may re-send an article).
  void Settle(Pipeline& pipeline, Row row, Clock::time_point started, bool client_retries) {
    const auto& expected = TheCorpus().expected_ids;
    row.expected = static_cast<int64_t>(expected.size());
    TopicCounter events(pipeline.Client(), pipeline.events_topic(), true);
    Pipeline::Served served;
    const auto deadline = Clock::now() + kSettleLimit;
    while (Clock::now() < deadline) {
      events.Drain(seconds(2));
      if (events.per_id().size() < expected.size()) continue;
      served = pipeline.ListServed();
      if (served.ids.size() >= expected.size()) break;
    }
    events.Drain(seconds(3));  // anything late (a duplicate) shows up here
    served = pipeline.ListServed();
    row.in_topic = events.records();

    // The article records the extractors read: a client that retries after an ambiguous
    // failure (a timeout of a record the broker did append) re-sends an article. Its events
    // then rightly appear twice in the events topic (the extractor codes each record exactly
    // once); dyad-query counts them once, by event id.
    const auto& corpus = TheCorpus();
    TopicCounter articles(pipeline.Client(), pipeline.articles_topic(), false);
    for (int round = 0; round < 30 && articles.records() < row.articles_sent + row.poison_sent;
         ++round) {
      articles.Drain(seconds(1));
    }
    int64_t resent_events = 0;
    for (const auto& [key, n] : articles.per_id()) {
      const auto it = corpus.events_of.find(key);
      const int64_t events_of = it == corpus.events_of.end() ? 0 : it->second;
      if (corpus.article_ids.contains(key)) row.resent += n - 1;
      row.expected_in_topic += n * events_of;
      resent_events += (n - 1) * events_of;
    }
    row.counted = 0;
    for (const auto& [id, n] : served.ids) row.counted += n;
    for (const auto& id : expected) {
      const bool in_topic = events.per_id().contains(id);
      const bool in_query = served.ids.contains(id);
      if (in_topic && in_query) continue;
      ++row.lost;
      std::cout << "[fault] lost event " << id << " (article " << corpus.article_of.at(id)
                << ", its records at " << articles.Where(corpus.article_of.at(id))
                << "): " << (in_topic ? "in the events topic" : "NOT in the events topic") << ", "
                << (in_query ? "counted by dyad-query" : "NOT counted by dyad-query") << std::endl;
    }
    for (const auto& [key, n] : articles.per_id()) {
      if (n > 1)
        std::cout << "[fault] article " << key << " re-sent: " << articles.Where(key) << std::endl;
    }
    if (events.redelivered() + articles.redelivered() > 0) {
      std::cout << "[fault] the counters' own groups re-delivered " << events.redelivered()
                << " event and " << articles.redelivered() << " article records (not counted)"
                << std::endl;
    }
    // Doubled: a second record of an event id in the topic beyond those of re-sent articles, an
    // id listed twice by dyad-query, or an id nobody expected (in either).
    for (const auto& [id, n] : events.per_id()) {
      row.doubled += n - 1 + (expected.contains(id) ? 0 : 1);
    }
    row.doubled -= resent_events;
    // Name every event id the topic holds more often than its article's records explain.
    for (const auto& [id, n] : events.per_id()) {
      const auto article = corpus.article_of.find(id);
      if (article == corpus.article_of.end()) {
        std::cout << "[fault] unexpected event " << id << " at " << events.Where(id) << std::endl;
        continue;
      }
      const auto records = articles.per_id().find(article->second);
      const int from = records == articles.per_id().end() ? 0 : records->second;
      if (n > from) {
        std::cout << "[fault] event " << id << " is in the events topic " << n << " times ("
                  << events.Where(id) << ") from " << from << " record(s) of article "
                  << article->second << " (" << articles.Where(article->second) << ")" << std::endl;
      }
    }
    for (const auto& [id, n] : served.ids) row.doubled += n - 1 + (expected.contains(id) ? 0 : 1);
    const auto relations = pipeline.Relations(served.pairs);
    static std::map<std::string, std::string> clean;
    if (Rows().empty()) clean = relations;
    row.relations_equal = !relations.empty() && relations == clean;
    if (!row.relations_equal && !clean.empty()) {
      for (const auto& [pair, text] : clean) {
        auto it = relations.find(pair);
        if (it == relations.end() || it->second != text) {
          std::cout << "[fault] relation " << pair << ": clean " << text << ", here "
                    << (it == relations.end() ? "missing" : it->second) << std::endl;
        }
      }
    }
    TopicCounter dlq(pipeline.Client(), pipeline.dlq_topic(), false);
    dlq.Drain(seconds(row.poison_sent > 0 ? 5 : 2));
    row.dead_lettered = dlq.records();
    row.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    Rows().push_back(row);
    std::cout << "[fault] " << row.fault << ": expected " << row.expected << ", article re-sends "
              << row.resent << ", in topic " << row.in_topic << " (" << row.expected_in_topic
              << " from the records), counted " << row.counted << ", lost " << row.lost
              << ", doubled " << row.doubled << ", dead-lettered " << row.dead_lettered
              << std::endl;
    EXPECT_EQ(row.lost, 0) << row.fault;
    EXPECT_EQ(row.doubled, 0) << row.fault;
    EXPECT_EQ(row.in_topic, row.expected_in_topic) << row.fault;
    if (!client_retries) {
      EXPECT_EQ(row.resent, 0) << row.fault;
    }
    EXPECT_EQ(row.counted, row.expected) << row.fault;
    EXPECT_TRUE(row.relations_equal) << row.fault;
    EXPECT_EQ(row.dead_lettered, row.poison_sent) << row.fault;
  }

  void Run(const std::string& name, const std::string& fault, int extractors,
           std::vector<Hook> hooks, int poison_every = 0, Via via = Via::kKafka) {
    if (!ScenarioSelected(name)) return;
    const auto started = Clock::now();
    std::cout << "[fault] ---- " << fault << std::endl;
    Pipeline pipeline(brokers_, name);
    pipeline_ = &pipeline;
    pipeline.StartQuery();
    for (int n = 1; n <= extractors; ++n) pipeline.StartExtractor(n);
    if (via == Via::kIngest) pipeline.StartIngest();
    Row row;
    row.fault = fault;
    row.poison_sent = SendArticles(pipeline, std::move(hooks), poison_every, via);
    row.articles_sent = static_cast<int64_t>(TheCorpus().articles.size());
    Settle(pipeline, row, started, via == Via::kIngest);
    pipeline_ = nullptr;
  }

  std::string brokers_;
  Pipeline* pipeline_ = nullptr;
  int follower_ = 0;  // the nodes the broker scenarios stopped
  int leader_ = 0;
};

// One test runs every scenario in order: the first (no fault) is the reference for the others.
TEST_F(FaultTest, EveryFaultEndsWithTheCleanRunsEventsAndRelations) {
  Run("clean", "none (clean run)", 3, {});

  Run("kill-extractor", "kill -9 one of three extractors mid-stream, restart it", 3,
      {{0.4, [this] { pipeline_->StopExtractor(2, SIGKILL); }},
       {0.5, [this] { pipeline_->StartExtractor(2); }}});

  Run("rebalance", "add and remove extractor replicas mid-stream (1 → 2 → 3 → 2 → 1)", 1,
      {{0.2, [this] { pipeline_->StartExtractor(2); }},
       {0.4, [this] { pipeline_->StartExtractor(3); }},
       {0.6, [this] { pipeline_->StopExtractor(1, SIGTERM); }},
       {0.8, [this] { pipeline_->StopExtractor(2, SIGTERM); }}});

  Run("kill-query", "kill -9 dyad-query mid-apply, restart it on its state", 3,
      {{0.5, [this] { pipeline_->KillQuery(); }}, {0.6, [this] { pipeline_->StartQuery(); }}});

  Run("broker-stop", "stop one broker of three, then the events topic's leader; restart each", 3,
      {{0.2,
        [this] {
          const int leader = LeaderOf(pipeline_->events_topic());
          follower_ = leader == 3 ? 2 : 3;
          KafkaSh("stop-node " + std::to_string(follower_));
        }},
       {0.4, [this] { KafkaSh("start-node " + std::to_string(follower_)); }},
       {0.5,
        [this] {
          leader_ = LeaderOf(pipeline_->events_topic());
          EXPECT_GE(leader_, 1);
          KafkaSh("stop-node " + std::to_string(leader_));
        }},
       {0.7, [this] { KafkaSh("start-node " + std::to_string(leader_)); }}});

  Run("poison", "poison records mixed into the stream (5 kinds)", 3, {}, 20);

  Run("ingest-broker-loss",
      "ingest under broker loss: 2 of 3 brokers killed for 20 s, clients retry UNAVAILABLE", 3,
      {{0.3,
        [] {
          KafkaSh("kill-node 2");
          KafkaSh("kill-node 3");
          std::this_thread::sleep_for(seconds(20));
          KafkaSh("start-node 2");
          KafkaSh("start-node 3");
        }}},
      0, Via::kIngest);
}

}  // namespace
}  // namespace dyad
