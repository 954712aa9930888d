// dyad-bench-tagger: single-thread tagging speed over the UD English EWT test split, model load
// time and the process memory the model adds (VmRSS from /proc/self/status).
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "CLI/CLI.hpp"
#include "dyad/tagger/conllu.h"
#include "dyad/tagger/pos_tagger.h"

namespace {

// Resident set size in kB, or -1.
long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// CPU time of this thread: on a shared machine wall time also counts other processes' turns.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Benchmark dyad's POS tagger on one core"};
  std::string model_path = std::string(DYAD_SOURCE_DIR) + "/data/models/pos-en-ewt.bin";
  std::string treebank =
      std::string(DYAD_SHARED_DIR) + "/reference/ud-english-ewt/en_ewt-ud-test.conllu";
  int repeat = 20;
  app.add_option("--model", model_path, "model file")->capture_default_str();
  app.add_option("--treebank", treebank, "CoNLL-U file whose sentences are tagged")
      ->capture_default_str();
  app.add_option("--repeat", repeat, "passes over the sentences")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  CLI11_PARSE(app, argc, argv);

  auto sentences = dyad::tagger::ReadConllu(treebank);
  if (!sentences.ok()) {
    std::cerr << "dyad-bench-tagger: " << sentences.status().message() << "\n";
    return 1;
  }
  std::vector<std::vector<std::string_view>> inputs;
  std::size_t tokens = 0;
  for (const auto& s : *sentences) {
    auto& words = inputs.emplace_back();
    for (const auto& w : s.words) words.push_back(w.form);
    tokens += words.size();
  }

  const long rss_before = RssKb();
  const auto load_start = std::chrono::steady_clock::now();
  auto tagger = dyad::tagger::PosTagger::Load(model_path);
  const double load_seconds = Seconds(load_start);
  if (!tagger.ok()) {
    std::cerr << "dyad-bench-tagger: " << tagger.status().message() << "\n";
    return 1;
  }
  const long rss_after = RssKb();
  std::ifstream model_file(model_path, std::ios::binary | std::ios::ate);
  const auto file_bytes = static_cast<long long>(model_file.tellg());

  std::vector<dyad::tagger::PosTag> out;
  for (const auto& words : inputs) tagger->Tag(words, &out);  // warm-up
  std::size_t checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  for (int r = 0; r < repeat; ++r) {
    for (const auto& words : inputs) {
      tagger->Tag(words, &out);
      if (!out.empty()) checksum += out.back().id;
    }
  }
  const double seconds = Seconds(start);
  const double cpu_seconds = ThreadCpuSeconds() - cpu_start;
  const double total_tokens = static_cast<double>(tokens) * repeat;
  const double total_sentences = static_cast<double>(inputs.size()) * repeat;

  std::printf("model            %s (%lld bytes)\n", model_path.c_str(), file_bytes);
  std::printf("model load       %.1f ms\n", load_seconds * 1000);
  std::printf(
      "model memory     %.1f MB (PosTagger::MemoryBytes), RSS %ld kB -> %ld kB (+%.1f MB)\n",
      static_cast<double>(tagger->MemoryBytes()) / 1e6, rss_before, rss_after,
      static_cast<double>(rss_after - rss_before) / 1024.0);
  std::printf("input            %zu sentences, %zu tokens, x%d\n", inputs.size(), tokens, repeat);
  std::printf("per wall second   %.0f tokens/s, %.0f sentences/s (one thread, %.2f s)\n",
              total_tokens / seconds, total_sentences / seconds, seconds);
  std::printf("per CPU second    %.0f tokens/s, %.0f sentences/s (thread CPU time %.2f s)\n",
              total_tokens / cpu_seconds, total_sentences / cpu_seconds, cpu_seconds);
  std::printf("checksum         %zu\n", checksum);
  return 0;
}
