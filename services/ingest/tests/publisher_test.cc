#include "dyad/ingest/publisher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "dyad/ingest/ingest_files.h"
#include "dyad/ingest/service.h"
#include "test_util.h"

namespace dyad::ingest {
namespace {

using testing::TempDir;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2025, 9, 15, 12, 0, 0), absl::UTCTimeZone());

// Records what was written; can be told to fail or to take its time. Thread-safe.
class MemoryWriter final : public RecordWriter {
 public:
  struct State {
    std::mutex mu;
    std::vector<std::pair<std::string, std::string>> records;
    std::atomic<bool> fail{false};
    std::atomic<int> delay_ms{0};
    std::atomic<int> calls{0};
  };
  explicit MemoryWriter(std::shared_ptr<State> state) : state_(std::move(state)) {}
  absl::Status Write(std::string_view key, std::string_view value) override {
    state_->calls++;
    std::this_thread::sleep_for(std::chrono::milliseconds(state_->delay_ms.load()));
    if (state_->fail) return absl::UnavailableError("broker down");
    std::lock_guard lock(state_->mu);
    state_->records.emplace_back(key, value);
    return absl::OkStatus();
  }
  int Flush(std::chrono::milliseconds) override { return 0; }

 private:
  std::shared_ptr<State> state_;
};

dyad::v1::Article Article(std::string id) {
  dyad::v1::Article article;
  article.set_id(std::move(id));
  article.set_body("body");
  return article;
}

struct Fixture {
  std::shared_ptr<MemoryWriter::State> state = std::make_shared<MemoryWriter::State>();
  std::unique_ptr<Publisher> publisher;
  explicit Fixture(std::size_t capacity = 1000)
      : publisher(std::make_unique<Publisher>(std::make_unique<MemoryWriter>(state), capacity)) {}
  std::size_t written() {
    std::lock_guard lock(state->mu);
    return state->records.size();
  }
};

TEST(Publisher, WritesOnceAndReportsDuplicates) {
  Fixture f;
  auto first = f.publisher->Publish(Article("u-1"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->article_id, "u-1");
  EXPECT_FALSE(first->duplicate);
  auto again = f.publisher->Publish(Article("u-1"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  ASSERT_EQ(f.written(), 1u);
  EXPECT_EQ(f.state->records[0].first, "u-1");
  dyad::v1::Article parsed;
  ASSERT_TRUE(parsed.ParseFromString(f.state->records[0].second));
  EXPECT_EQ(parsed.id(), "u-1");
  EXPECT_EQ(parsed.body(), "body");
}

TEST(Publisher, FailureIsUnavailableAndNotRemembered) {
  Fixture f;
  f.state->fail = true;
  auto failed = f.publisher->Publish(Article("u-1"));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("retry"), std::string::npos);
  EXPECT_EQ(f.publisher->remembered(), 0u);
  f.state->fail = false;
  auto retried = f.publisher->Publish(Article("u-1"));
  ASSERT_TRUE(retried.ok());
  EXPECT_FALSE(retried->duplicate);
  EXPECT_EQ(f.written(), 1u);
}

TEST(Publisher, RejectsArticleWithoutId) {
  Fixture f;
  EXPECT_EQ(f.publisher->Publish(Article("")).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Publisher, DuplicateSetIsBoundedLru) {
  Fixture f(2);
  ASSERT_TRUE(f.publisher->Publish(Article("a")).ok());
  ASSERT_TRUE(f.publisher->Publish(Article("b")).ok());
  EXPECT_TRUE(f.publisher->Publish(Article("a"))->duplicate);  // a is now the most recent
  ASSERT_TRUE(f.publisher->Publish(Article("c")).ok());        // evicts b
  EXPECT_EQ(f.publisher->remembered(), 2u);
  EXPECT_TRUE(f.publisher->Publish(Article("a"))->duplicate);
  EXPECT_FALSE(f.publisher->Publish(Article("b"))->duplicate);  // forgotten: written again
  EXPECT_EQ(f.written(), 4u);
}

TEST(Publisher, ConcurrentSameIdWritesOnce) {
  Fixture f;
  f.state->delay_ms = 50;
  std::atomic<int> duplicates{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = f.publisher->Publish(Article("same"));
      ASSERT_TRUE(r.ok());
      if (r->duplicate) duplicates++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.written(), 1u);
  EXPECT_EQ(duplicates.load(), 7);
}

TEST(RequestFromInput, ServerBuildsTheSameArticleAsTheFileReader) {
  ArticleInput input;
  input.url = "https://arab.news/6r5g7";
  input.title = "Title";
  input.summary = {"first bullet", "second bullet"};
  input.text = "ISLAMABAD: The body.\nSecond paragraph.";
  input.published_at = absl::FromUnixSeconds(1757808000) + absl::Milliseconds(250);
  input.language = "en";
  auto direct = BuildArticle(input, {}, kNow);
  auto request = RequestFromInput(input);
  auto via_request = InputFromRequest(request);
  ASSERT_TRUE(via_request.ok());
  auto remote = BuildArticle(*via_request, {}, kNow);
  ASSERT_TRUE(direct.ok() && remote.ok());
  EXPECT_EQ(direct->SerializeAsString(), remote->SerializeAsString());
  EXPECT_EQ(remote->summary_size(), 2);
  EXPECT_EQ(remote->published_at().nanos(), 250000000);
}

TEST(InputFromRequest, RejectsInvalidTimestamp) {
  dyad::v1::PublishRequest request;
  request.set_text("x");
  request.mutable_published_at()->set_nanos(-1);
  EXPECT_EQ(InvalidField(InputFromRequest(request).status()), "published_at");
}

TEST(IngestFiles, CountsPublishedDuplicatesAndRejects) {
  TempDir dir;
  dir.Write("in/a.jsonl",
            "{\"url\":\"https://x.org/1\",\"text\":\"one\"}\n"
            "{\"url\":\"https://x.org/2\",\"text\":\"   \"}\n"
            "not json\n"
            "{\"url\":\"https://x.org/3\",\"text\":\"three\",\"published_at\":\"1850-01-01\"}\n"
            "{\"url\":\"https://x.org/4\",\"text\":\"four\"}\n");
  dir.Write("in/b/seed.txt", "https://X.org/1/\n- bullet\nSame URL as line 1 of a.jsonl.\n");
  dir.Write("in/c.txt", "");
  dir.Write("in/ignored.md", "# not an article");
  Fixture f;
  IngestFilesOptions options;
  options.now = [] { return kNow; };
  options.concurrency = 3;
  auto summary = IngestFiles({(dir.path() / "in").string(), (dir.path() / "nope").string()},
                             options, *f.publisher);
  EXPECT_TRUE(summary.status.ok()) << summary.status;
  EXPECT_EQ(summary.files, 3);
  EXPECT_EQ(summary.records, 6);
  EXPECT_EQ(summary.published, 2);
  EXPECT_EQ(summary.duplicates, 1);
  EXPECT_EQ(summary.rejected, 3);
  EXPECT_EQ(summary.file_errors, 2);
  ASSERT_EQ(summary.errors.size(), 5u);
  EXPECT_NE(summary.errors[0].find("nope: no such file"), std::string::npos) << summary.errors[0];
  EXPECT_NE(summary.errors[1].find("a.jsonl:2: text: is empty"), std::string::npos)
      << summary.errors[1];
  EXPECT_NE(summary.errors[2].find("a.jsonl:3: malformed JSON"), std::string::npos);
  EXPECT_NE(summary.errors[3].find("a.jsonl:4: published_at: 1850-01-01"), std::string::npos)
      << summary.errors[3];
  EXPECT_NE(summary.errors[4].find("c.txt: text: the file is empty"), std::string::npos)
      << summary.errors[4];
  EXPECT_EQ(f.written(), 2u);
}

// Progress: with progress_every zero, a report before every record but the first, each with
// the counts so far; never one after the last record.
TEST(IngestFiles, ReportsProgressWhileReading) {
  TempDir dir;
  std::string lines;
  for (int i = 0; i < 5; ++i) {
    lines += "{\"url\":\"https://x.org/p" + std::to_string(i) + "\",\"text\":\"text\"}\n";
  }
  dir.Write("in/a.jsonl", lines);
  Fixture f;
  IngestFilesOptions options;
  options.now = [] { return kNow; };
  options.concurrency = 1;
  options.progress_every = absl::ZeroDuration();
  std::vector<int64_t> records_seen;
  options.on_progress = [&](const IngestSummary& so_far) {
    records_seen.push_back(so_far.records);
    EXPECT_EQ(so_far.files, 1);
    EXPECT_TRUE(so_far.errors.empty());
  };
  const auto summary = IngestFiles({(dir.path() / "in").string()}, options, *f.publisher);
  EXPECT_EQ(summary.published, 5);
  EXPECT_EQ(records_seen, (std::vector<int64_t>{1, 2, 3, 4}));

  // The default interval (5 s) reports nothing for a quick run.
  options.progress_every = absl::Seconds(5);
  records_seen.clear();
  IngestFiles({(dir.path() / "in").string()}, options, *f.publisher);
  EXPECT_TRUE(records_seen.empty());
}

TEST(IngestFiles, RunningTwiceWritesNothingNew) {
  Fixture f;
  IngestFilesOptions options;
  const std::string voa = std::string(DYAD_SHARED_DIR) + "/reference/news/voa_articles.jsonl";
  auto first = IngestFiles({voa}, options, *f.publisher);
  EXPECT_EQ(first.published, 59);
  auto second = IngestFiles({voa}, options, *f.publisher);
  EXPECT_EQ(second.published, 0);
  EXPECT_EQ(second.duplicates, 59);
  EXPECT_EQ(f.written(), 59u);
}

TEST(IngestFiles, StopsWhenPublishingFails) {
  TempDir dir;
  std::string lines;
  for (int i = 0; i < 50; ++i) lines += "{\"text\":\"article " + std::to_string(i) + "\"}\n";
  dir.Write("many.jsonl", lines);
  dir.Write("more.jsonl", lines);
  Fixture f;
  f.state->fail = true;
  IngestFilesOptions options;
  options.concurrency = 2;
  auto summary = IngestFiles({dir.path().string()}, options, *f.publisher);
  EXPECT_EQ(summary.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(summary.published, 0);
  EXPECT_LT(f.state->calls.load(), 10);  // stopped early, did not try all 100
  EXPECT_EQ(summary.files, 1);
  // Every record read was counted as failed (those queued behind the failure were not tried).
  EXPECT_GE(summary.failed, 1);
  EXPECT_EQ(summary.failed, summary.records);
  EXPECT_GE(summary.failed, f.state->calls.load());
}

TEST(IngestFiles, CustomPublisherMayRejectRecords) {
  TempDir dir;
  dir.Write("a.jsonl", "{\"text\":\"keep\"}\n{\"text\":\"drop\"}\n");
  IngestFilesOptions options;
  auto summary = IngestFiles(
      {dir.path().string()}, options,
      [](const SourceRecord&, const dyad::v1::Article& article) -> absl::StatusOr<PublishResult> {
        if (article.body() == "drop") return FieldError("text", "refused by the server");
        return PublishResult{article.id(), false};
      });
  EXPECT_EQ(summary.published, 1);
  EXPECT_EQ(summary.rejected, 1);
  ASSERT_EQ(summary.errors.size(), 1u);
  EXPECT_NE(summary.errors[0].find("a.jsonl:2: text: refused by the server"), std::string::npos);
}

}  // namespace
}  // namespace dyad::ingest
