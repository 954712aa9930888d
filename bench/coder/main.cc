// dyad-bench-coder: throughput and latency of dyad::coder::Coder::CodeArticle over a JSON-lines
// news file ({"id", "text", "published_at", ...} per line), plus the coder's load time and memory.
//
//   dyad-bench-coder [--news FILE] [--dictionaries DIR] [--repeat N] [--threads T]
//
// Sentences are counted with the splitter the coder uses (dyad/text/sentences.h, after the
// dateline), so sentences/s is the coder's own unit of work. Exit 0 on success, 1 when the news
// file or the coder cannot be loaded (the error is printed on stderr), 2 on a usage error.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "dyad/coder/coder.h"
#include "dyad/core/dates.h"
#include "dyad/core/ids.h"
#include "dyad/text/normalize.h"
#include "dyad/text/sentences.h"
#include "nlohmann/json.hpp"

#ifndef DYAD_SHARED_DIR
#define DYAD_SHARED_DIR "../shared"
#endif

namespace {

using Clock = std::chrono::steady_clock;

// The coder codes at most this many sentences per article (libs/coder/src/coder.cc).
constexpr std::size_t kCoderMaxSentences = 5000;

// A field of /proc/self/status in kB ("VmRSS", "VmHWM"); -1 when unavailable.
long ProcStatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Mb(long kb) { return static_cast<double>(kb) / 1024.0; }

// Sentences the coder sees in `body`: normalised, dateline skipped, split, capped.
std::size_t CountSentences(const std::string& body) {
  const dyad::text::NormalizedText norm = dyad::text::Normalize(body);
  std::size_t begin = 0;
  if (auto dl = dyad::text::FindDateline(norm.text)) begin = dl->body_begin;
  const std::size_t n =
      dyad::text::SplitSentences(std::string_view(norm.text).substr(begin)).size();
  return std::min(n, kCoderMaxSentences);
}

bool ReadArticles(const std::string& path, std::vector<dyad::v1::Article>* out,
                  std::string* error) {
  std::ifstream in(path);
  if (!in.good()) {
    *error = "cannot open " + path + " (pass --news FILE)";
    return false;
  }
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) {
      *error = path + ":" + std::to_string(line_no) + ": not a JSON object with a string \"text\"";
      return false;
    }
    dyad::v1::Article a;
    a.set_id(j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>()
                                                     : "line:" + std::to_string(line_no));
    a.set_body(j["text"].get<std::string>());
    if (j.contains("url") && j["url"].is_string()) a.set_url(j["url"].get<std::string>());
    if (j.contains("published_at") && j["published_at"].is_string()) {
      if (auto s = dyad::core::ParseTimestamp(j["published_at"].get<std::string>())) {
        a.mutable_published_at()->set_seconds(*s);
      }
    }
    out->push_back(std::move(a));
  }
  if (out->empty()) {
    *error = path + " holds no articles";
    return false;
  }
  return true;
}

// Total size of the regular files directly in `dir`, in bytes (0 when it cannot be read).
std::uintmax_t DirBytes(const std::string& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dyad-bench-coder: sentences/s of the event coder over real news"};
  std::string news = std::string(DYAD_SHARED_DIR) + "/reference/news/voa_articles.jsonl";
  std::string dictionaries;
  int repeat = 5;
  int threads = 1;
  app.add_option("--news", news, "JSON-lines news file (id, text, published_at)")
      ->capture_default_str();
  app.add_option("--dictionaries", dictionaries,
                 "dictionary directory (default: the coder's own, data/dictionaries)");
  app.add_option("--repeat", repeat, "timed passes over all articles (after one warm-up pass)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--threads", threads, "threads, each coding every pass (1 = one core)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::vector<dyad::v1::Article> articles;
  std::string error;
  if (!ReadArticles(news, &articles, &error)) {
    std::cerr << "dyad-bench-coder: " << error << "\n";
    return 1;
  }
  std::size_t sentences = 0;
  std::size_t bytes = 0;
  for (const auto& a : articles) {
    sentences += CountSentences(a.body());
    bytes += a.body().size();
  }

  dyad::coder::CoderOptions options = dyad::coder::DefaultCoderOptions();
  if (!dictionaries.empty()) options.dictionaries_dir = dictionaries;
  const long rss_before = ProcStatusKb("VmRSS");
  const auto load_start = Clock::now();
  auto coder = dyad::coder::Coder::Load(options);
  const double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();
  if (!coder.ok()) {
    std::cerr << "dyad-bench-coder: cannot load the coder with dictionaries "
              << options.dictionaries_dir << ": " << coder.status().ToString() << "\n";
    return 1;
  }
  const long rss_after = ProcStatusKb("VmRSS");

  std::printf("coder            %s\n", (*coder)->version().c_str());
  std::printf("dictionaries     %s (%.1f KB of files)\n", options.dictionaries_dir.c_str(),
              static_cast<double>(DirBytes(options.dictionaries_dir)) / 1024.0);
  std::printf("load             %.3f s, RSS %.1f MB -> %.1f MB (+%.1f MB)\n", load_s,
              Mb(rss_before), Mb(rss_after), Mb(rss_after - rss_before));

  // Warm-up pass: touches every code path once, counts the events of one pass and digests them
  // (ids, codes, actors), so a faster coder can be checked to give the same output.
  std::size_t events = 0;
  std::string digest_input;
  for (const auto& a : articles) {
    for (const auto& e : (*coder)->CodeArticle(a)) {
      ++events;
      digest_input +=
          e.id() + " " + e.code() + " " + e.source().code() + ">" + e.target().code() + "\n";
    }
  }

  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
  std::vector<std::size_t> thread_events(static_cast<std::size_t>(threads), 0);
  auto work = [&](std::size_t t) {
    auto& lat = latencies[t];
    lat.reserve(articles.size() * static_cast<std::size_t>(repeat));
    for (int r = 0; r < repeat; ++r) {
      for (const auto& a : articles) {
        const auto s = Clock::now();
        thread_events[t] += (*coder)->CodeArticle(a).size();
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
      }
    }
  };
  const double cpu_start = CpuSeconds();
  const auto start = Clock::now();
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(work, static_cast<std::size_t>(t));
    for (auto& th : pool) th.join();
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu_start;

  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::size_t coded_events = 0;
  for (auto e : thread_events) coded_events += e;
  const double passes = static_cast<double>(repeat) * threads;
  const double total_sentences = static_cast<double>(sentences) * passes;
  if (coded_events != events * static_cast<std::size_t>(passes)) {
    std::cerr << "dyad-bench-coder: the coder is not deterministic: " << coded_events
              << " events in the timed passes, expected " << events << " per pass\n";
    return 1;
  }

  std::printf("news             %s\n", news.c_str());
  std::printf("articles         %zu (%.1f KB)\n", articles.size(),
              static_cast<double>(bytes) / 1024.0);
  std::printf("sentences        %zu per pass\n", sentences);
  std::printf("events           %zu per pass (digest %s)\n", events,
              dyad::core::Sha256Hex(digest_input).substr(0, 16).c_str());
  std::printf("passes           %d x %d thread(s)\n", repeat, threads);
  std::printf("wall             %.3f s (CPU %.3f s)\n", wall, cpu);
  std::printf("sentences/s      %.0f (per CPU-second: %.0f)\n", total_sentences / wall,
              total_sentences / cpu);
  std::printf("articles/s       %.1f\n", static_cast<double>(articles.size()) * passes / wall);
  std::printf("MB/s             %.3f\n", static_cast<double>(bytes) * passes / wall / 1e6);
  std::printf("article latency  p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", Percentile(all, 0.50),
              Percentile(all, 0.99), *std::max_element(all.begin(), all.end()));
  std::printf("peak RSS         %.1f MB (VmHWM)\n", Mb(ProcStatusKb("VmHWM")));
  return 0;
}
