// Training: greedy averaged perceptron (Collins 2002), optionally with a second pass whose
// right-context tags come from jackknifed first-pass models.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "dyad/tagger/evaluation.h"
#include "dyad/tagger/pos_tagger.h"
#include "model.h"
#include "text_util.h"

namespace dyad::tagger {

using internal::kMaxClasses;
using internal::kMaxFeatures;
using internal::Model;
using internal::ModelData;
using internal::TokenInfo;

namespace {

struct Entry {
  std::uint8_t cls;
  std::int32_t weight;
  std::int64_t total;  // sum of weight over all steps up to `stamp`
  std::int64_t stamp;
};

struct Feature {
  std::uint64_t key = 0;
  std::uint32_t count = 0;  // tokens it fired on in the first iteration
  std::vector<Entry> entries;
};

struct Example {
  std::vector<std::string> words;
  std::vector<int> gold;
  std::vector<TokenInfo> infos;
  std::vector<bool> rare;
  // Jackknifed first-pass tags plus two end markers (second pass only).
  std::vector<int> first_pass;
};

// Averaged weights: feature key -> (class, weight), and the largest magnitude.
struct Averaged {
  std::vector<std::pair<std::uint64_t, std::vector<std::pair<int, double>>>> features;
  double max_abs = 0;
};

// Perceptron weights for one pass.
class Weights {
 public:
  explicit Weights(int num_classes) : num_classes_(num_classes) {}

  int Score(const std::uint64_t* feats, int n, std::int64_t* scores) const {
    std::fill(scores, scores + num_classes_, 0);
    for (int f = 0; f < n; ++f) {
      auto it = index_.find(feats[f]);
      if (it == index_.end()) continue;
      for (const Entry& e : features_[it->second].entries) scores[e.cls] += e.weight;
    }
    int best = 0;
    for (int c = 1; c < num_classes_; ++c) {
      if (scores[c] > scores[best]) best = c;
    }
    return best;
  }

  void Count(const std::uint64_t* feats, int n) {
    for (int f = 0; f < n; ++f) ++features_[Index(feats[f])].count;
  }

  void Update(const std::uint64_t* feats, int n, int gold, int guess) {
    for (int f = 0; f < n; ++f) {
      const std::uint32_t fi = Index(feats[f]);
      Add(fi, gold, 1);
      Add(fi, guess, -1);
    }
  }

  void Tick() { ++step_; }

  // Averaged weights of features seen at least `min_count` times.
  Averaged Average(int min_count) const {
    Averaged result;
    auto* out = &result.features;
    double* max_abs = &result.max_abs;
    const double steps = static_cast<double>(std::max<std::int64_t>(step_, 1));
    for (const Feature& feat : features_) {
      if (feat.entries.empty() || feat.count < static_cast<std::uint32_t>(min_count)) continue;
      std::vector<std::pair<int, double>> weights;
      for (const Entry& e : feat.entries) {
        const double avg = static_cast<double>(e.total + (step_ - e.stamp) * e.weight) / steps;
        if (avg == 0) continue;
        weights.emplace_back(e.cls, avg);
        *max_abs = std::max(*max_abs, std::abs(avg));
      }
      if (!weights.empty()) out->emplace_back(feat.key, std::move(weights));
    }
    return result;
  }

 private:
  std::uint32_t Index(std::uint64_t key) {
    auto [it, inserted] = index_.try_emplace(key, static_cast<std::uint32_t>(features_.size()));
    if (inserted) features_.push_back(Feature{key, 0, {}});
    return it->second;
  }

  void Add(std::uint32_t f, int cls, int delta) {
    auto& entries = features_[f].entries;
    auto it = std::find_if(entries.begin(), entries.end(),
                           [cls](const Entry& e) { return e.cls == cls; });
    if (it == entries.end()) {
      entries.push_back(Entry{static_cast<std::uint8_t>(cls), 0, 0, step_});
      it = entries.end() - 1;
    }
    it->total += (step_ - it->stamp) * it->weight;
    it->stamp = step_;
    it->weight += delta;
  }

  int num_classes_;
  absl::flat_hash_map<std::uint64_t, std::uint32_t> index_;
  std::vector<Feature> features_;
  std::int64_t step_ = 0;
};

}  // namespace

struct Trainer::State {
  TrainerOptions options;
  std::vector<std::pair<std::string, std::string>> classes;
  std::vector<std::pair<std::string, std::uint8_t>> tag_dict;
  absl::flat_hash_map<std::uint64_t, int> dict;  // word key -> class
  std::vector<Example> examples;
  bool trained = false;
  ModelData best;
  int best_iteration = 0;
  std::vector<MarginChoice> margins;

  // One greedy pass over `ex` (`t` is its token infos, possibly masked). With `update`, trains on
  // it; with `count`, counts feature occurrences; `second` selects the second pass. Returns the
  // number of correct tags.
  int Run(Weights& weights, const Example& ex, const TokenInfo* t, bool second, bool update,
          bool count, std::vector<int>* tags) const {
    std::uint64_t feats[kMaxFeatures];
    std::int64_t scores[kMaxClasses];
    int prev = internal::kStartTag;
    int prev2 = internal::kStartTag2;
    int correct = 0;
    tags->resize(ex.words.size());
    for (std::size_t i = 0; i < ex.words.size(); ++i) {
      const int gold = ex.gold[i];
      int guess;
      auto d = dict.find(t[i].word);
      if (d != dict.end()) {
        guess = d->second;
      } else {
        const int nf =
            internal::ExtractFeatures(t, static_cast<int>(i), prev, prev2,
                                      second ? ex.first_pass.data() + i + 1 : nullptr, feats);
        if (count) weights.Count(feats, nf);
        guess = weights.Score(feats, nf, scores);
        if (update) {
          weights.Tick();
          if (guess != gold) weights.Update(feats, nf, gold, guess);
        }
      }
      correct += guess == gold;
      (*tags)[i] = guess;
      prev2 = prev;
      prev = guess;
    }
    return correct;
  }

  // Trains `weights` on the examples in `subset` for `iterations`; after each iteration calls
  // `after(iteration, train_accuracy)`.
  void TrainPass(Weights& weights, const std::vector<std::size_t>& subset, int iterations,
                 bool second, std::uint64_t seed,
                 const std::function<void(int, double)>& after) const {
    const TrainerOptions& opt = options;
    std::vector<std::size_t> order = subset;
    std::mt19937_64 rng(seed);
    std::mt19937_64 dropout_rng(seed + 1);
    const auto dropout_threshold = static_cast<std::uint64_t>(
        std::clamp(opt.rare_word_dropout, 0.0, 1.0) * 18446744073709551615.0);
    std::vector<TokenInfo> masked;
    std::vector<int> tags;
    for (int iter = 1; iter <= iterations; ++iter) {
      // Fisher-Yates with the raw generator: identical on every standard library.
      for (std::size_t i = order.size(); i > 1; --i) {
        const std::size_t j = static_cast<std::size_t>(rng() % i);
        std::swap(order[i - 1], order[j]);
      }
      std::int64_t seen = 0;
      std::int64_t correct = 0;
      for (std::size_t idx : order) {
        const Example& ex = examples[idx];
        const TokenInfo* t = ex.infos.data() + 2;
        if (opt.rare_word_dropout > 0) {
          masked = ex.infos;
          for (std::size_t i = 0; i < ex.words.size(); ++i) {
            if (ex.rare[i] && dropout_rng() < dropout_threshold) {
              masked[i + 2].word = 0x0A11CE;
              masked[i + 2].lower = 0x0A11CF;
            }
          }
          t = masked.data() + 2;
        }
        correct += Run(weights, ex, t, second, true, iter == 1, &tags);
        seen += static_cast<std::int64_t>(ex.words.size());
      }
      if (after) after(iter, static_cast<double>(correct) / static_cast<double>(seen));
    }
  }

  // Averaged, pruned and quantised weights of one or two passes.
  ModelData Snapshot(const Averaged& first, const Averaged* second) const {
    ModelData d;
    d.classes = classes;
    d.tag_dict = tag_dict;
    d.two_pass = second != nullptr;
    auto all = first.features;
    double max_abs = first.max_abs;
    if (second != nullptr) {
      all.insert(all.end(), second->features.begin(), second->features.end());
      max_abs = std::max(max_abs, second->max_abs);
    }
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    const double scale = max_abs > 0 ? 32767.0 / max_abs : 1.0;
    const double min_abs = options.min_weight_ratio * max_abs;
    d.offsets.push_back(0);
    for (auto& [key, weights] : all) {
      if (!d.keys.empty() && d.keys.back() == key) continue;  // 64-bit collision: keep one
      std::sort(weights.begin(), weights.end());
      const std::size_t before = d.entry_class.size();
      for (const auto& [cls, avg] : weights) {
        const long q = std::lround(avg * scale);
        if (q == 0 || std::abs(avg) < min_abs) continue;
        d.entry_class.push_back(static_cast<std::uint8_t>(cls));
        d.entry_weight.push_back(static_cast<std::int16_t>(std::clamp(q, -32767L, 32767L)));
      }
      if (d.entry_class.size() == before) continue;
      d.keys.push_back(key);
      d.offsets.push_back(static_cast<std::uint32_t>(d.entry_class.size()));
    }
    return d;
  }
};

Trainer::Trainer(TrainerOptions options) : state_(std::make_unique<State>()) {
  state_->options = options;
}
Trainer::~Trainer() = default;

absl::Status Trainer::Train(const std::vector<ConlluSentence>& train,
                            const std::vector<ConlluSentence>& dev,
                            const std::function<void(const IterationReport&)>& on_iteration) {
  State& st = *state_;
  const TrainerOptions& opt = st.options;
  if (train.empty()) return absl::InvalidArgumentError("no training sentences");
  if (st.trained) return absl::FailedPreconditionError("Trainer::Train called twice");
  if (opt.two_pass && opt.jackknife_folds < 2) {
    return absl::InvalidArgumentError("two_pass needs jackknife_folds >= 2");
  }

  std::vector<const ConlluSentence*> sentences;
  std::vector<ConlluSentence> merged_copies;
  merged_copies.reserve(train.size());
  for (const auto& s : train) {
    sentences.push_back(&s);
    if (opt.merge_hyphens) {
      int merged = 0;
      ConlluSentence m = MergeHyphenated(s, &merged);
      if (merged > 0) merged_copies.push_back(std::move(m));
    }
  }
  for (const auto& m : merged_copies) sentences.push_back(&m);

  // Classes in a fixed order (sorted names), so the model does not depend on data order.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto* s : sentences) {
    for (const auto& w : s->words) {
      if (!ParseUpos(w.upos) || !ParseXpos(w.xpos)) {
        return absl::InvalidArgumentError(
            internal::Cat("unknown tag pair ", w.upos, "/", w.xpos, " in sentence ", s->id));
      }
      pairs.emplace_back(w.upos, w.xpos);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  if (pairs.size() > static_cast<std::size_t>(kMaxClasses)) {
    return absl::InvalidArgumentError(
        internal::Cat(pairs.size(), " tag pairs; the model format holds ", kMaxClasses));
  }
  st.classes = pairs;
  const int num_classes = static_cast<int>(pairs.size());
  absl::flat_hash_map<std::string, int> class_id;
  for (std::size_t c = 0; c < pairs.size(); ++c) {
    class_id[internal::Cat(pairs[c].first, "\t", pairs[c].second)] = static_cast<int>(c);
  }

  // Examples and the tag dictionary (counts per normalised word).
  std::string scratch;
  absl::flat_hash_map<std::string, std::vector<int>> word_counts;
  for (const auto* s : sentences) {
    Example ex;
    std::vector<std::string_view> views;
    for (const auto& w : s->words) {
      ex.words.push_back(w.form);
      const int cls = class_id[internal::Cat(w.upos, "\t", w.xpos)];
      ex.gold.push_back(cls);
      internal::NormalizeWord(w.form, &scratch);
      auto& counts = word_counts[scratch];
      counts.resize(pairs.size());
      ++counts[cls];
    }
    for (const auto& w : ex.words) views.push_back(w);
    internal::PrepareTokens(views, &ex.infos, &scratch);
    st.examples.push_back(std::move(ex));
  }
  absl::flat_hash_map<std::uint64_t, int> lower_counts;
  for (const auto& ex : st.examples) {
    for (std::size_t i = 0; i < ex.words.size(); ++i) ++lower_counts[ex.infos[i + 2].lower];
  }
  for (auto& ex : st.examples) {
    ex.rare.resize(ex.words.size());
    for (std::size_t i = 0; i < ex.words.size(); ++i) {
      ex.rare[i] = lower_counts[ex.infos[i + 2].lower] <= opt.rare_word_max_count;
    }
  }
  for (const auto& [word, counts] : word_counts) {
    int total = 0;
    int best = 0;
    for (std::size_t c = 0; c < counts.size(); ++c) {
      total += counts[c];
      if (counts[c] > counts[best]) best = static_cast<int>(c);
    }
    if (total >= opt.tag_dict_min_count &&
        static_cast<double>(counts[best]) / total >= opt.tag_dict_min_ratio) {
      st.tag_dict.emplace_back(word, static_cast<std::uint8_t>(best));
    }
  }
  std::sort(st.tag_dict.begin(), st.tag_dict.end());
  for (const auto& [word, cls] : st.tag_dict) {
    st.dict[internal::WordKey(word, &scratch)] = cls;
  }

  std::vector<std::size_t> all(st.examples.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;

  // Dev accuracy of a snapshot; `score` is UPOS + XPOS accuracy.
  auto evaluate = [&](const ModelData& snapshot, IterationReport* report,
                      double* score) -> absl::Status {
    if (dev.empty()) return absl::OkStatus();
    auto model = Model::Build(snapshot);
    if (!model.ok()) return model.status();
    const TagAccuracy acc = Evaluate(PosTagger(*model), dev);
    report->dev_upos = acc.upos();
    report->dev_xpos = acc.xpos();
    *score = acc.upos() + acc.xpos();
    return absl::OkStatus();
  };

  // First pass on all training data; the best iteration on dev is kept.
  Weights first(num_classes);
  double best_score = -1;
  absl::Status status;
  ModelData best_first;
  Averaged best_first_weights;
  int best_first_iteration = opt.iterations;
  st.TrainPass(first, all, opt.iterations, false, opt.seed, [&](int iter, double train_acc) {
    if (!status.ok()) return;
    IterationReport report;
    report.pass = 1;
    report.iteration = iter;
    report.train_accuracy = train_acc;
    Averaged averaged = first.Average(opt.min_feature_count);
    ModelData snapshot = st.Snapshot(averaged, nullptr);
    report.features = snapshot.keys.size();
    double score = iter;  // without dev data the last iteration wins
    status = evaluate(snapshot, &report, &score);
    if (score > best_score) {
      best_score = score;
      best_first = std::move(snapshot);
      best_first_weights = std::move(averaged);
      best_first_iteration = iter;
    }
    if (on_iteration) on_iteration(report);
  });
  if (!status.ok()) return status;
  st.best = best_first;
  st.best_iteration = best_first_iteration;
  if (!opt.two_pass) {
    st.trained = true;
    return absl::OkStatus();
  }

  // Jackknifed first-pass tags for the training data: fold k is tagged by a first pass trained
  // on the other folds, so the second pass learns how far to trust first-pass tags on new text.
  const int folds = opt.jackknife_folds;
  std::vector<int> tags;
  for (int k = 0; k < folds; ++k) {
    std::vector<std::size_t> rest;
    std::vector<std::size_t> held;
    for (std::size_t i : all) (static_cast<int>(i % folds) == k ? held : rest).push_back(i);
    Weights fold(num_classes);
    st.TrainPass(fold, rest, best_first_iteration, false, opt.seed + 100 + k, {});
    // Tag with the fold's averaged weights, as a loaded model would.
    auto model = Model::Build(st.Snapshot(fold.Average(opt.min_feature_count), nullptr));
    if (!model.ok()) return model.status();
    const PosTagger fold_tagger(*model);
    std::vector<PosTag> predicted;
    for (std::size_t i : held) {
      Example& ex = st.examples[i];
      std::vector<std::string_view> views(ex.words.begin(), ex.words.end());
      fold_tagger.Tag(std::span<const std::string_view>(views), &predicted);
      ex.first_pass.clear();
      for (const PosTag& p : predicted) ex.first_pass.push_back(p.id);
      ex.first_pass.push_back(internal::kEndTag);
      ex.first_pass.push_back(internal::kEndTag2);
    }
  }

  // Second pass on all training data, evaluated (both passes) on dev.
  Weights second(num_classes);
  best_score = -1;
  st.TrainPass(second, all, opt.iterations, true, opt.seed + 7, [&](int iter, double train_acc) {
    if (!status.ok()) return;
    IterationReport report;
    report.pass = 2;
    report.iteration = iter;
    report.train_accuracy = train_acc;
    const Averaged averaged = second.Average(opt.min_feature_count);
    ModelData snapshot = st.Snapshot(best_first_weights, &averaged);
    report.features = snapshot.keys.size();
    double score = iter;
    status = evaluate(snapshot, &report, &score);
    if (score > best_score) {
      best_score = score;
      st.best = std::move(snapshot);
      st.best_iteration = iter;
    }
    if (on_iteration) on_iteration(report);
  });
  if (!status.ok()) return status;

  // The second pass only for words the first pass is unsure of: the smallest margin that keeps
  // dev accuracy within the tolerance of re-tagging everything.
  if (!dev.empty()) {
    const std::int32_t kAll = std::numeric_limits<std::int32_t>::max();
    double full = -1;
    std::int32_t chosen = kAll;
    for (std::int32_t margin : {kAll, 256000, 128000, 64000, 32000, 16000, 8000, 4000, 2000}) {
      ModelData candidate = st.best;
      candidate.second_pass_margin = margin;
      IterationReport report;
      double score = 0;
      status = evaluate(candidate, &report, &score);
      if (!status.ok()) return status;
      st.margins.push_back(MarginChoice{margin, report.dev_upos, report.dev_xpos});
      if (margin == kAll) full = score;
      if (score >= full - opt.second_pass_tolerance) chosen = margin;
    }
    st.best.second_pass_margin = chosen;
  }
  st.trained = true;
  return absl::OkStatus();
}

absl::StatusOr<PosTagger> Trainer::Tagger() const {
  if (!state_->trained) return absl::FailedPreconditionError("Trainer::Train has not run");
  auto model = Model::Build(state_->best);
  if (!model.ok()) return model.status();
  return PosTagger(*std::move(model));
}

absl::Status Trainer::Save(const std::string& path, const std::string& description) const {
  if (!state_->trained) return absl::FailedPreconditionError("Trainer::Train has not run");
  ModelData d = state_->best;
  d.description = description;
  const std::string bytes = internal::SerializeModel(d);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::PermissionDeniedError(internal::Cat("cannot write ", path));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::DataLossError(internal::Cat("error writing ", path));
  return absl::OkStatus();
}

int Trainer::best_iteration() const { return state_->best_iteration; }
const std::vector<MarginChoice>& Trainer::margin_choices() const { return state_->margins; }
std::int32_t Trainer::second_pass_margin() const { return state_->best.second_pass_margin; }

}  // namespace dyad::tagger
