// dyad-train-tagger: trains the POS tagger on a CoNLL-U treebank, reports dev accuracy per
// iteration and test accuracy, writes the model (and optionally the lemma table).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "dyad/tagger/conllu.h"
#include "dyad/tagger/evaluation.h"
#include "dyad/tagger/lemmatizer.h"
#include "dyad/tagger/pos_tagger.h"

namespace {

using dyad::tagger::ConlluSentence;

int Fail(const std::string& message) {
  std::cerr << "dyad-train-tagger: " << message << "\n";
  return 1;
}

std::vector<ConlluSentence> Merged(const std::vector<ConlluSentence>& in) {
  std::vector<ConlluSentence> out;
  out.reserve(in.size());
  for (const auto& s : in) out.push_back(dyad::tagger::MergeHyphenated(s));
  return out;
}

std::string Basename(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train dyad's part-of-speech tagger on CoNLL-U data"};
  std::string train_path, dev_path, test_path, out_path, lemmas_out;
  dyad::tagger::TrainerOptions opt;
  bool no_merge = false;
  std::string dump_path;
  app.add_option("--train", train_path, "training CoNLL-U file")->required();
  app.add_option("--dev", dev_path, "development CoNLL-U file (picks the best iteration)")
      ->required();
  app.add_option("--test", test_path, "test CoNLL-U file (reported only)")->required();
  app.add_option("--out", out_path, "model file to write")->required();
  app.add_option("--iterations", opt.iterations, "training iterations")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--lemmas-out", lemmas_out, "also write the lemma table built from --train");
  app.add_option("--seed", opt.seed, "shuffle seed")->capture_default_str();
  app.add_option("--tag-dict-min-count", opt.tag_dict_min_count)->capture_default_str();
  app.add_option("--tag-dict-min-ratio", opt.tag_dict_min_ratio)->capture_default_str();
  app.add_option("--min-feature-count", opt.min_feature_count,
                 "drop features seen fewer times in training")
      ->capture_default_str();
  app.add_option("--min-weight-ratio", opt.min_weight_ratio,
                 "drop weights below this fraction of the largest")
      ->capture_default_str();
  app.add_option("--rare-word-dropout", opt.rare_word_dropout,
                 "probability of hiding a rare training word's identity")
      ->capture_default_str();
  app.add_option("--rare-word-max-count", opt.rare_word_max_count)->capture_default_str();
  app.add_flag("--two-pass", opt.two_pass,
               "add a second pass that sees the first pass's tags of the next two words");
  app.add_option("--folds", opt.jackknife_folds, "jackknife folds for --two-pass")
      ->capture_default_str();
  app.add_option("--second-pass-tolerance", opt.second_pass_tolerance,
                 "dev UPOS+XPOS accuracy the second-pass margin may cost (speed)")
      ->capture_default_str();
  app.add_flag("--no-merge-hyphens", no_merge,
               "do not add hyphen-joined copies of training sentences");
  app.add_option("--dump-test", dump_path,
                 "write the test words with gold and predicted tags (form, gold UPOS, gold XPOS, "
                 "predicted UPOS, predicted XPOS; a blank line after each sentence)");
  CLI11_PARSE(app, argc, argv);
  opt.merge_hyphens = !no_merge;

  auto train = dyad::tagger::ReadConllu(train_path);
  if (!train.ok()) return Fail(std::string(train.status().message()));
  auto dev = dyad::tagger::ReadConllu(dev_path);
  if (!dev.ok()) return Fail(std::string(dev.status().message()));
  auto test = dyad::tagger::ReadConllu(test_path);
  if (!test.ok()) return Fail(std::string(test.status().message()));
  std::printf("train %zu sentences, dev %zu, test %zu\n", train->size(), dev->size(), test->size());

  const auto start = std::chrono::steady_clock::now();
  dyad::tagger::Trainer trainer(opt);
  auto status = trainer.Train(*train, *dev, [](const dyad::tagger::IterationReport& r) {
    std::printf("pass %d iteration %2d  train %.4f  dev UPOS %.4f  XPOS %.4f  features %zu\n",
                r.pass, r.iteration, r.train_accuracy, r.dev_upos, r.dev_xpos, r.features);
    std::fflush(stdout);
  });
  if (!status.ok()) return Fail(std::string(status.message()));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto tagger = trainer.Tagger();
  if (!tagger.ok()) return Fail(std::string(tagger.status().message()));

  for (const auto& m : trainer.margin_choices()) {
    std::printf("second pass for first-pass margin < %10d: dev UPOS %.4f  XPOS %.4f%s\n", m.margin,
                m.dev_upos, m.dev_xpos, m.margin == trainer.second_pass_margin() ? "  (kept)" : "");
  }
  const auto vocab = dyad::tagger::Vocabulary(*train);
  const auto dev_acc = dyad::tagger::Evaluate(*tagger, *dev, &vocab);
  const auto test_acc = dyad::tagger::Evaluate(*tagger, *test, &vocab);
  const auto test_merged = dyad::tagger::Evaluate(*tagger, Merged(*test), &vocab);
  std::printf("kept iteration %d of the last pass (best dev UPOS+XPOS); trained in %.1f s\n",
              trainer.best_iteration(), seconds);
  std::printf("dev   UPOS %.4f  XPOS %.4f  both %.4f  unknown words %lld: UPOS %.4f XPOS %.4f\n",
              dev_acc.upos(), dev_acc.xpos(), dev_acc.both(),
              static_cast<long long>(dev_acc.unknown_words), dev_acc.unknown_upos(),
              dev_acc.unknown_xpos());
  std::printf("test  UPOS %.4f  XPOS %.4f  both %.4f  unknown words %lld: UPOS %.4f XPOS %.4f\n",
              test_acc.upos(), test_acc.xpos(), test_acc.both(),
              static_cast<long long>(test_acc.unknown_words), test_acc.unknown_upos(),
              test_acc.unknown_xpos());
  std::printf("test with hyphenated compounds joined (%lld words): UPOS %.4f  XPOS %.4f\n",
              static_cast<long long>(test_merged.words), test_merged.upos(), test_merged.xpos());

  if (!dump_path.empty()) {
    std::ofstream dump(dump_path, std::ios::binary | std::ios::trunc);
    std::vector<std::string_view> words;
    for (const auto& s : *test) {
      words.clear();
      for (const auto& w : s.words) words.push_back(w.form);
      const auto tags = tagger->Tag(words);
      for (std::size_t i = 0; i < words.size(); ++i) {
        dump << s.words[i].form << '\t' << s.words[i].upos << '\t' << s.words[i].xpos << '\t'
             << dyad::tagger::UposName(tags[i].upos) << '\t' << dyad::tagger::XposName(tags[i].xpos)
             << '\t' << (vocab.contains(s.words[i].form) ? "known" : "unknown") << '\n';
      }
      dump << '\n';
    }
    if (!dump) return Fail("cannot write " + dump_path);
  }

  const std::string description = absl::StrFormat(
      "dyad POS tagger; trained on %s (%zu sentences), %d iterations, kept %d; seed %d; "
      "test %s: UPOS %.4f XPOS %.4f",
      Basename(train_path), train->size(), opt.iterations, trainer.best_iteration(), opt.seed,
      Basename(test_path), test_acc.upos(), test_acc.xpos());
  status = trainer.Save(out_path, description);
  if (!status.ok()) return Fail(std::string(status.message()));
  auto reloaded = dyad::tagger::PosTagger::Load(out_path);
  if (!reloaded.ok()) return Fail(std::string(reloaded.status().message()));
  std::ifstream written(out_path, std::ios::binary | std::ios::ate);
  std::printf("wrote %s: %lld bytes on disk, %zu bytes in memory\n", out_path.c_str(),
              static_cast<long long>(written.tellg()), reloaded->MemoryBytes());

  if (!lemmas_out.empty()) {
    const std::string table = dyad::tagger::BuildLemmaTable(
        *train, "# Lemma table for dyad::tagger::Lemmatizer, built by dyad-train-tagger from " +
                    Basename(train_path) +
                    " (UD English EWT, CC BY-SA 4.0; see README.md).\n"
                    "# irregular<TAB>XPOS<TAB>form<TAB>lemma: forms the suffix rules get wrong.\n"
                    "# base<TAB>V|N<TAB>lemma: verb and noun base forms seen in the treebank.\n");
    std::ofstream out(lemmas_out, std::ios::binary | std::ios::trunc);
    out << table;
    out.close();
    if (!out) return Fail("cannot write " + lemmas_out);
    auto lemmatizer = dyad::tagger::Lemmatizer::Load(lemmas_out);
    if (!lemmatizer.ok()) return Fail(std::string(lemmatizer.status().message()));
    const auto gold = dyad::tagger::EvaluateLemmas(*lemmatizer, *test, "VERB");
    const auto predicted = dyad::tagger::EvaluateLemmas(*lemmatizer, *test, "VERB", &*tagger);
    const dyad::tagger::Lemmatizer rules_only;
    const auto rules = dyad::tagger::EvaluateLemmas(rules_only, *test, "VERB");
    std::printf("wrote %s: %zu irregular forms, %zu base forms\n", lemmas_out.c_str(),
                lemmatizer->irregular_count(), lemmatizer->base_count());
    std::printf(
        "test VERB lemmas (%lld words): %.4f with gold XPOS, %.4f with predicted XPOS, "
        "%.4f rules only\n",
        static_cast<long long>(gold.words), gold.accuracy(), predicted.accuracy(),
        rules.accuracy());
  }
  return 0;
}
