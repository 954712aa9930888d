// The `dyad` command as a user runs it: a process, stdin and stdout, exit codes.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "dyad/core/subprocess.h"

namespace dyad {
namespace {

using std::chrono::seconds;
namespace fs = std::filesystem;

const std::string kDyad = std::string(DYAD_BINARY_DIR) + "/services/cli/dyad";

struct RunResult {
  int exit_code = -1;
  std::vector<std::string> lines;  // stdout and stderr, merged
  std::string Joined() const {
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    return all;
  }
};

// Runs a shell command line (for redirections) to completion.
RunResult Shell(const std::string& command) {
  RunResult run;
  auto child = core::Subprocess::Start({"/bin/sh", "-c", command + " 2>&1"});
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return run;
  while (true) {
    auto line = (*child)->ReadLine(seconds(120));
    if (!line.ok()) break;
    run.lines.push_back(*line);
  }
  run.exit_code = (*child)->Wait(seconds(30)).value_or(-1);
  return run;
}

fs::path TempDir(const std::string& name) {
  fs::path dir =
      fs::temp_directory_path() / ("dyad-cli-test-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void Write(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

TEST(DyadCode, CodesGoodLinesAndAnswersBadOnesWithErrors) {
  const fs::path dir = TempDir("code");
  Write(dir / "in.jsonl",
        "{\"id\": \"s1\", \"text\": \"Pakistan praised Trump.\", \"date\": \"2025-09-14\"}\n"
        "this is not json\n"
        "{\"id\": \"s3\"}\n"
        "{\"id\": \"s4\", \"text\": \"x\", \"date\": \"2025-13-40\"}\n"
        "{\"id\": \"s5\", \"text\": \"bad \xff\xfe bytes\"}\n"
        "\n"
        "{\"id\": \"s7\", \"text\": \"Washington slapped additional tariffs on India.\", "
        "\"date\": \"2025-08-07\"}\n");
  const RunResult run = Shell(kDyad + " code < " + (dir / "in.jsonl").string());
  ASSERT_EQ(run.exit_code, 0) << run.Joined();
  ASSERT_EQ(run.lines.size(), 6u) << run.Joined();  // the blank line gets no answer
  EXPECT_NE(run.lines[0].find("\"id\":\"s1\""), std::string::npos) << run.lines[0];
  EXPECT_NE(run.lines[0].find("\"code\":\"051\""), std::string::npos) << run.lines[0];
  EXPECT_NE(run.lines[0].find("\"target\":\"USAGOV\""), std::string::npos) << run.lines[0];
  for (int i = 1; i <= 4; ++i) {
    EXPECT_NE(run.lines[i].find("\"error\""), std::string::npos) << run.lines[i];
  }
  EXPECT_NE(run.lines[1].find("line:2"), std::string::npos) << run.lines[1];
  EXPECT_NE(run.lines[5].find("\"id\":\"s7\""), std::string::npos) << run.lines[5];
  EXPECT_NE(run.lines[5].find("\"code\":\"163\""), std::string::npos) << run.lines[5];
}

TEST(DyadCode, MissingDictionariesIsAClearError) {
  const RunResult run = Shell("echo '{}' | " + kDyad + " code --dictionaries /nonexistent/dicts");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.Joined().find("/nonexistent/dicts"), std::string::npos) << run.Joined();
}

TEST(DyadCli, BadUsageExitsTwo) {
  EXPECT_EQ(Shell(kDyad + " relation PAK").exit_code, 2);
  EXPECT_EQ(Shell(kDyad + " no-such-command").exit_code, 2);
  EXPECT_EQ(Shell(kDyad + " relation PAK USA --bucket fortnight --query 127.0.0.1:1").exit_code, 2);
}

// Nothing listens on port 1: with --retry-for 0 the article fails at once and is reported failed,
// with a short --retry-for it is retried until that passes and then reported failed.
TEST(DyadIngest, UnreachableIngestIsReportedFailedAfterRetries) {
  const fs::path dir = TempDir("ingest-unreachable");
  Write(dir / "a.txt", "https://news.example/a\nPakistan praised the United States.\n");
  RunResult run =
      Shell(kDyad + " ingest --to 127.0.0.1:1 --retry-for 0 " + (dir / "a.txt").string());
  EXPECT_EQ(run.exit_code, 1) << run.Joined();
  EXPECT_NE(run.Joined().find("failed 1"), std::string::npos) << run.Joined();

  const auto start = std::chrono::steady_clock::now();
  run = Shell(kDyad + " ingest --to 127.0.0.1:1 --retry-for 2s " + (dir / "a.txt").string());
  EXPECT_EQ(run.exit_code, 1) << run.Joined();
  EXPECT_NE(run.Joined().find("failed 1"), std::string::npos) << run.Joined();
  EXPECT_NE(run.Joined().find("retry round"), std::string::npos) << run.Joined();
  EXPECT_GE(std::chrono::steady_clock::now() - start, seconds(2));
}

// dyad up, then the user's commands against it, then Ctrl-C.
TEST(DyadUp, IngestQueryAndStop) {
  auto up = core::Subprocess::Start(
      {kDyad, "up", "--ingest-listen=127.0.0.1:0", "--query-listen=127.0.0.1:0"},
      {"DYAD_LOG_LEVEL=warn"});
  ASSERT_TRUE(up.ok()) << up.status();
  std::string ingest, query;
  while (ingest.empty() || query.empty()) {
    auto line = (*up)->ReadLine(seconds(90));
    ASSERT_TRUE(line.ok()) << line.status();
    std::istringstream words(*line);
    std::string name, address;
    words >> name >> address;
    if (name == "ingest") ingest = address;
    if (name == "query") query = address;
  }

  const fs::path dir = TempDir("up");
  std::ifstream seed(std::string(DYAD_SHARED_DIR) + "/examples/000_5447edb819e78dad.txt");
  std::stringstream seed_text;
  seed_text << seed.rdbuf();
  Write(dir / "seed.txt", seed_text.str());
  Write(dir / "more.jsonl",
        "{\"url\": \"https://example.org/a\", \"text\": \"Russia and Ukraine held talks in "
        "Istanbul on Monday.\", \"published_at\": \"2025-05-20T10:00:00Z\"}\n"
        "{\"url\": \"https://example.org/b\"}\n"
        "{broken\n");
  Write(dir / "empty.txt", "");

  const RunResult ingested =
      Shell(kDyad + " ingest --ingest " + ingest + " --published-at 2025-09-14 " + dir.string());
  EXPECT_EQ(ingested.exit_code, 1) << ingested.Joined();  // some records were rejected
  const std::string out = ingested.Joined();
  EXPECT_NE(out.find("more.jsonl:2"), std::string::npos) << out;
  EXPECT_NE(out.find("more.jsonl:3"), std::string::npos) << out;
  EXPECT_NE(out.find("empty.txt"), std::string::npos) << out;
  EXPECT_NE(out.find("published 2"), std::string::npos) << out;  // the good ones still went in

  // The relation appears once the extractor and query have caught up.
  RunResult relation;
  for (int attempt = 0; attempt < 100; ++attempt) {
    relation = Shell(kDyad + " relation PAK USA --both --query " + query);
    if (relation.Joined().find("total") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_EQ(relation.exit_code, 0) << relation.Joined();
  EXPECT_NE(relation.Joined().find("2025-09-01"), std::string::npos) << relation.Joined();

  const RunResult events = Shell(kDyad + " events --source USA --target IND --query " + query);
  EXPECT_NE(events.Joined().find("163"), std::string::npos) << events.Joined();
  const RunResult dyads = Shell(kDyad + " dyads --query " + query);
  EXPECT_NE(dyads.Joined().find("USA" + std::string(8, ' ') + "PAK"), std::string::npos)
      << dyads.Joined();

  (*up)->Signal(SIGINT);
  EXPECT_EQ(*(*up)->Wait(seconds(60)), 0);
  // Everything it started is gone: the query port refuses connections.
  const RunResult after = Shell(kDyad + " dyads --query " + query);
  EXPECT_EQ(after.exit_code, 1) << after.Joined();
}

}  // namespace
}  // namespace dyad
