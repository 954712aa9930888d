// DurableStore on a real RocksDB in a temporary directory: reopen, duplicates, refusals of
// foreign or damaged directories, and batches that are all-or-nothing when the writing process
// is killed with SIGKILL.
#include "dyad/relations/durable_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "dyad/core/subprocess.h"

namespace dyad::relations {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kTopic[] = "dyad.events.test";
constexpr char kWriterEnv[] = "DYAD_DURABLE_WRITER_DIR";
constexpr int kWriterBatch = 100;

dyad::v1::Event MakeEvent(int64_t i) {
  static const char* const kSources[] = {"USAGOV", "PAKGOV", "INDMIL", "CHN", "RUSGOV"};
  static const char* const kTargets[] = {"PAKMIL", "USAGOV", "CHNGOV", "IND"};
  dyad::v1::Event e;
  e.set_id("e-" + std::to_string(i));
  e.mutable_source()->set_code(kSources[i % 5]);
  e.mutable_target()->set_code(kTargets[(i / 5) % 4]);
  char date[16];
  std::snprintf(date, sizeof date, "2025-%02d-%02d", static_cast<int>(1 + (i / 7) % 12),
                static_cast<int>(1 + (i / 3) % 28));
  e.mutable_date()->set_date(date);
  e.set_quad_class(static_cast<int32_t>(1 + i % 4));
  e.set_goldstein(static_cast<double>(i % 21 - 10) * 0.7);
  e.set_tone(static_cast<double>(i % 13) * 0.31 - 2.0);
  e.set_code(i % 2 == 0 ? "041" : "190");
  e.set_sentence("sentence " + std::to_string(i));
  e.set_article_id("a" + std::to_string(i / 4));
  e.set_publisher("p" + std::to_string(i % 7));
  e.mutable_place()->set_country("PAK");
  e.mutable_place()->set_name(i % 3 == 0 ? "Islamabad" : "");
  e.set_confidence(static_cast<double>(i % 10) / 10);
  e.mutable_published_at()->set_seconds(1735689600 + i * 60);
  return e;
}

class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = fs::temp_directory_path() /
            ("dyad-durable-test-" + std::to_string(getpid()) + "-" + std::to_string(random()));
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

absl::StatusOr<std::unique_ptr<DurableStore>> OpenAt(const std::string& dir, RelationStore& memory,
                                                     const std::string& topic = kTopic) {
  return DurableStore::Open({.dir = dir, .topic = topic}, memory);
}

// Commits events [from, to) in batches of `batch_size`, event i at offset i of partition i % 3.
void CommitRange(DurableStore& store, int64_t from, int64_t to, int64_t batch_size) {
  for (int64_t start = from; start < to; start += batch_size) {
    auto batch = store.NewBatch();
    for (int64_t i = start; i < std::min(to, start + batch_size); ++i) {
      ASSERT_EQ(batch.Add(MakeEvent(i)), EventOutcome::kNew) << i;
      batch.Count("records");
      batch.SetNextOffset(static_cast<int32_t>(i % 3), i + 1);
    }
    ASSERT_TRUE(store.Commit(std::move(batch)).ok());
  }
}

std::string Relation(const RelationStore& store, const std::string& source,
                     const std::string& target) {
  dyad::v1::GetRelationRequest request;
  request.set_source(source);
  request.set_target(target);
  request.set_bucket(dyad::v1::BUCKET_MONTH);
  request.set_both_directions(true);
  auto response = store.GetRelation(request);
  EXPECT_TRUE(response.ok()) << response.status();
  // Every field, sums included: they are integers inside, so equal in any order of loading.
  return response.ok() && response->buckets_size() > 0 ? response->DebugString() : std::string();
}

std::vector<std::string> AllIds(const RelationStore& store) {
  std::vector<std::string> ids;
  dyad::v1::ListEventsRequest request;
  request.set_page_size(kMaxPageSize);
  while (true) {
    auto page = store.ListEvents(request);
    EXPECT_TRUE(page.ok()) << page.status();
    for (const auto& e : page->events()) ids.push_back(e.id());
    if (page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  return ids;
}

TEST(DurableStore, ReopenGivesTheSameStateOffsetsAndCounters) {
  TempDir dir;
  RelationStore first;
  {
    auto store = OpenAt(dir.str(), first);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_TRUE((*store)->load_info().created);
    CommitRange(**store, 0, 1000, 64);
    auto batch = (*store)->NewBatch();
    batch.Count("unparseable", 2);
    batch.SetNextOffset(7, 42);
    ASSERT_TRUE((*store)->Commit(std::move(batch)).ok());
  }
  RelationStore second;
  auto store = OpenAt(dir.str(), second);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_FALSE((*store)->load_info().created);
  EXPECT_EQ((*store)->load_info().events, 1000);
  EXPECT_GT((*store)->load_info().day_rows, 0);
  EXPECT_EQ(second.Stats().events, 1000);
  EXPECT_EQ(second.Stats().dyads, first.Stats().dyads);
  EXPECT_EQ(AllIds(second), AllIds(first));
  for (const auto& [s, t] : std::vector<std::pair<std::string, std::string>>{
           {"USA", "PAK"}, {"IND", "CHN"}, {"RUS", "USA"}, {"CHN", "IND"}}) {
    EXPECT_EQ(Relation(second, s, t), Relation(first, s, t)) << s << t;
    EXPECT_FALSE(Relation(second, s, t).empty()) << s << t;
  }
  const std::map<int32_t, int64_t> offsets{{0, 999 + 1}, {1, 997 + 1}, {2, 998 + 1}, {7, 42}};
  EXPECT_EQ((*store)->NextOffsets(), offsets);
  EXPECT_EQ((*store)->Counter(kCounterApplied), 1000);
  EXPECT_EQ((*store)->Counter("records"), 1000);
  EXPECT_EQ((*store)->Counter("unparseable"), 2);
  EXPECT_EQ((*store)->Counter(kCounterDuplicate), 0);
  EXPECT_GT((*store)->DiskBytes(), 0);
}

// Every other query of the read model answers after a reopen exactly as before it.
TEST(DurableStore, ReopenAnswersEveryQueryAsBefore) {
  TempDir dir;
  RelationStore first;
  {
    auto store = OpenAt(dir.str(), first);
    ASSERT_TRUE(store.ok()) << store.status();
    CommitRange(**store, 0, 1500, 100);
  }
  EXPECT_LT(first.Stats().deduplicated_events, first.Stats().events);  // mentions were grouped
  RelationStore second;
  auto store = OpenAt(dir.str(), second);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(second.Stats().deduplicated_events, first.Stats().deduplicated_events);
  EXPECT_EQ(second.Stats().actors, first.Stats().actors);
  const auto same = [](const auto& a, const auto& b) {
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(a->DebugString(), b->DebugString());
  };
  for (const char* actor : {"USA", "PAK", "IND"}) {
    dyad::v1::TopPartnersRequest request;
    request.set_actor(actor);
    request.set_order(dyad::v1::PARTNER_ORDER_GOLDSTEIN);
    same(first.TopPartners(request), second.TopPartners(request));
    dyad::v1::GetRelationRequest relation;
    relation.set_source(actor);
    relation.set_target("USA");
    relation.set_bucket(dyad::v1::BUCKET_DAY);
    relation.mutable_filter()->set_min_confidence(0.5);
    same(first.GetRelation(relation), second.GetRelation(relation));
  }
  dyad::v1::GetGraphRequest graph;
  graph.set_node_code_length(6);
  same(first.GetGraph(graph), second.GetGraph(graph));
  same(first.ListActors({}), second.ListActors({}));
  for (int i = 0; i < 1500; i += 37) {
    dyad::v1::GetEventRequest request;
    request.set_id("e-" + std::to_string(i));
    same(first.GetEvent(request), second.GetEvent(request));
  }
}

TEST(DurableStore, DuplicateIdsAreCountedNotApplied) {
  TempDir dir;
  RelationStore memory;
  {
    auto store = OpenAt(dir.str(), memory);
    ASSERT_TRUE(store.ok()) << store.status();
    auto batch = (*store)->NewBatch();
    EXPECT_EQ(batch.Add(MakeEvent(1)), EventOutcome::kNew);
    EXPECT_EQ(batch.Add(MakeEvent(1)), EventOutcome::kDuplicate);  // twice in one batch
    EXPECT_EQ(batch.Add(MakeEvent(2)), EventOutcome::kNew);
    EXPECT_EQ(batch.new_events(), 2);
    ASSERT_TRUE((*store)->Commit(std::move(batch)).ok());
    auto again = (*store)->NewBatch();
    auto changed = MakeEvent(2);
    changed.set_goldstein(10.0);  // a re-coded version of a stored event: the first one wins
    EXPECT_EQ(again.Add(changed), EventOutcome::kDuplicate);
    ASSERT_TRUE((*store)->Commit(std::move(again)).ok());
    EXPECT_EQ(memory.Stats().events, 2);
  }
  RelationStore reloaded;
  auto store = OpenAt(dir.str(), reloaded);
  ASSERT_TRUE(store.ok()) << store.status();
  auto batch = (*store)->NewBatch();
  EXPECT_EQ(batch.Add(MakeEvent(1)), EventOutcome::kDuplicate);  // stored before the restart
  EXPECT_EQ(batch.Add(MakeEvent(3)), EventOutcome::kNew);
  ASSERT_TRUE((*store)->Commit(std::move(batch)).ok());
  EXPECT_EQ(reloaded.Stats().events, 3);
  EXPECT_EQ((*store)->Counter(kCounterApplied), 3);
  EXPECT_EQ((*store)->Counter(kCounterDuplicate), 3);
  auto list = reloaded.ListEvents({});
  ASSERT_TRUE(list.ok());
  for (const auto& e : list->events()) {
    if (e.id() == "e-2") {
      EXPECT_DOUBLE_EQ(e.goldstein(), MakeEvent(2).goldstein());
    }
  }
}

TEST(DurableStore, RejectedEventsAreCountedWithAReason) {
  TempDir dir;
  RelationStore memory;
  auto store = OpenAt(dir.str(), memory);
  ASSERT_TRUE(store.ok()) << store.status();
  auto batch = (*store)->NewBatch();
  auto no_date = MakeEvent(5);
  no_date.clear_date();
  no_date.clear_published_at();
  std::string why;
  EXPECT_EQ(batch.Add(no_date, &why), EventOutcome::kRejected);
  EXPECT_THAT(why, HasSubstr("no usable date"));
  ASSERT_TRUE((*store)->Commit(std::move(batch)).ok());
  EXPECT_EQ(memory.Stats().events, 0);
  EXPECT_EQ((*store)->Counter(kCounterRejected), 1);
}

TEST(DurableStore, RefusesTheStateOfAnotherTopic) {
  TempDir dir;
  {
    RelationStore memory;
    auto store = OpenAt(dir.str(), memory, "dyad.events.v1");
    ASSERT_TRUE(store.ok()) << store.status();
    CommitRange(**store, 0, 10, 10);
  }
  RelationStore memory;
  auto store = OpenAt(dir.str(), memory, "dyad.events.other");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("holds the state of topic dyad.events.v1"));
  EXPECT_EQ(memory.Stats().events, 0);
}

// Makes a state directory in `dir`, then overwrites its stored format version with `format`.
void MakeStateOfFormat(const TempDir& dir, const std::string& format) {
  {
    RelationStore memory;
    ASSERT_TRUE(OpenAt(dir.str(), memory).ok());
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Options options;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir.str(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "m:format", format).ok());
}

TEST(DurableStore, RefusesAnotherFormatVersion) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(MakeStateOfFormat(dir, "99"));
  RelationStore memory;
  auto store = OpenAt(dir.str(), memory);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("format version 99"));
}

TEST(DurableStore, AnOlderFormatSaysToDeleteTheDirectoryToReplay) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(MakeStateOfFormat(dir, "1"));
  RelationStore memory;
  auto store = OpenAt(dir.str(), memory);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("format version 1 (made by an older"));
  EXPECT_THAT(store.status().message(), HasSubstr("delete it"));
  EXPECT_THAT(store.status().message(), HasSubstr("replaying"));
  EXPECT_EQ(memory.Stats().events, 0);
}

TEST(DurableStore, RefusesDirectoriesItDidNotMake) {
  TempDir dir;
  fs::create_directories(dir.path());
  { std::ofstream(dir.path() / "notes.txt") << "someone's files\n"; }
  RelationStore memory;
  auto store = OpenAt(dir.str(), memory);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("no CURRENT file"));
  EXPECT_TRUE(fs::exists(dir.path() / "notes.txt"));

  TempDir file;
  { std::ofstream(file.path()) << "a file\n"; }
  store = OpenAt(file.str(), memory);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("is not a directory"));

  // A RocksDB some other program made.
  TempDir foreign;
  {
    rocksdb::DB* raw = nullptr;
    rocksdb::Options options;
    options.create_if_missing = true;
    ASSERT_TRUE(rocksdb::DB::Open(options, foreign.str(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "user:1", "x").ok());
  }
  store = OpenAt(foreign.str(), memory);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("was not made by dyad-query"));
}

TEST(DurableStore, CorruptDirectoryIsAClearError) {
  TempDir dir;
  {
    RelationStore memory;
    auto store = OpenAt(dir.str(), memory);
    ASSERT_TRUE(store.ok()) << store.status();
    CommitRange(**store, 0, 50, 50);
  }
  { std::ofstream(dir.path() / "CURRENT", std::ios::trunc) << "garbage\n"; }
  RelationStore memory;
  auto store = OpenAt(dir.str(), memory);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(dir.str()));
  EXPECT_THAT(store.status().message(), HasSubstr("replaying"));
  EXPECT_EQ(memory.Stats().events, 0);
}

TEST(DurableStore, TotalsThatDisagreeWithTheEventsAreDataLoss) {
  TempDir dir;
  {
    RelationStore memory;
    auto store = OpenAt(dir.str(), memory);
    ASSERT_TRUE(store.ok()) << store.status();
    CommitRange(**store, 0, 20, 20);
  }
  {
    // Delete one stored event behind the store's back: its day's totals no longer match.
    rocksdb::DB* raw = nullptr;
    rocksdb::Options options;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.str(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), "e:e-7").ok());
  }
  RelationStore memory;
  auto store = OpenAt(dir.str(), memory);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("disagree with its stored events"));
}

TEST(DurableStore, ASecondProcessOnTheSameDirectoryIsRefused) {
  TempDir dir;
  RelationStore memory;
  auto store = OpenAt(dir.str(), memory);
  ASSERT_TRUE(store.ok()) << store.status();
  RelationStore other;
  auto second = OpenAt(dir.str(), other);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("own --state-dir"));
}

// The child of CommitsAreAllOrNothingUnderSigkill: commits batches of kWriterBatch events on
// partition 0 from the stored offset on, printing "committed N" after each, until it is killed.
TEST(DurableStoreWriter, CommitsUntilKilled) {
  const char* dir = std::getenv(kWriterEnv);
  if (dir == nullptr)
    GTEST_SKIP() << "runs only as the child of CommitsAreAllOrNothingUnderSigkill";
  RelationStore memory;
  auto store = OpenAt(dir, memory);
  ASSERT_TRUE(store.ok()) << store.status();
  int64_t next = (*store)->NextOffsets()[0];
  while (true) {
    auto batch = (*store)->NewBatch();
    for (int i = 0; i < kWriterBatch; ++i, ++next) {
      ASSERT_EQ(batch.Add(MakeEvent(next)), EventOutcome::kNew);
      batch.SetNextOffset(0, next + 1);
    }
    ASSERT_TRUE((*store)->Commit(std::move(batch)).ok());
    std::printf("committed %lld\n", static_cast<long long>(next));
    std::fflush(stdout);
  }
}

TEST(DurableStore, CommitsAreAllOrNothingUnderSigkill) {
  TempDir dir;
  std::mt19937 random(std::random_device{}());
  int64_t last_seen = 0;
  for (int round = 0; round < 4; ++round) {
    auto child = core::Subprocess::Start(
        {"/proc/self/exe", "--gtest_filter=DurableStoreWriter.CommitsUntilKilled"},
        {std::string(kWriterEnv) + "=" + dir.str()});
    ASSERT_TRUE(child.ok()) << child.status();
    // Wait until it has committed a few batches in this round, then kill it at a random moment.
    int64_t committed = -1;
    int lines = 0;
    while (lines < 5) {
      auto line = (*child)->ReadLine(std::chrono::seconds(60));
      ASSERT_TRUE(line.ok()) << line.status();
      if (line->rfind("committed ", 0) == 0) {
        committed = std::stoll(line->substr(10));
        ++lines;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 20000));
    (*child)->Signal(SIGKILL);
    auto code = (*child)->Wait(std::chrono::seconds(20));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 128 + SIGKILL);

    RelationStore memory;
    auto store = OpenAt(dir.str(), memory);  // checks totals against events, applied counter
    ASSERT_TRUE(store.ok()) << store.status();
    const int64_t events = memory.Stats().events;
    // Everything printed as committed is there; whole batches only; offsets match the events.
    EXPECT_GE(events, committed);
    EXPECT_GT(events, last_seen);
    EXPECT_EQ(events % kWriterBatch, 0) << events;
    EXPECT_EQ((*store)->NextOffsets()[0], events);
    EXPECT_EQ((*store)->Counter(kCounterApplied), events);
    EXPECT_TRUE(memory.Contains("e-" + std::to_string(events - 1)));
    EXPECT_FALSE(memory.Contains("e-" + std::to_string(events)));
    last_seen = events;
  }
}

}  // namespace
}  // namespace dyad::relations
