#include "dyad/tagger/pos_tagger.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "dyad/tagger/evaluation.h"
#include "model.h"
#include "strings.h"

namespace dyad::tagger {

using internal::kMaxClasses;
using internal::kMaxFeatures;
using internal::Model;
using internal::ModelData;
using internal::TokenInfo;

namespace {

struct Scratch {
  std::vector<TokenInfo> infos;
  std::string text;
  std::vector<int> first_pass;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Greedy left-to-right decoding; the second pass (if the model has one) re-tags with the first
// pass's tags of the following words as extra context.
void Decode(const Model& model, std::span<const std::string_view> words, std::vector<int>* out) {
  Scratch& s = ThreadScratch();
  internal::PrepareTokens(words, &s.infos, &s.text);
  const TokenInfo* t = s.infos.data() + 2;
  const int n = static_cast<int>(words.size());
  out->resize(words.size());
  std::uint64_t feats[kMaxFeatures];
  std::int32_t scores[kMaxClasses];
  int prev = internal::kStartTag;
  int prev2 = internal::kStartTag2;
  for (int i = 0; i < n; ++i) {
    int cls = model.DictLookup(t[i].word);
    if (cls < 0) {
      const int nf = internal::ExtractFeatures(t, i, prev, prev2, nullptr, feats);
      cls = model.Predict(feats, nf, scores);
    }
    (*out)[i] = cls;
    prev2 = prev;
    prev = cls;
  }
}

}  // namespace

absl::StatusOr<PosTagger> PosTagger::FromBytes(std::string_view bytes, std::string_view name) {
  auto data = internal::ParseModel(bytes, name);
  if (!data.ok()) return data.status();
  auto model = Model::Build(*data);
  if (!model.ok()) {
    return absl::InvalidArgumentError(
        internal::Cat("tagger model ", name, ": ", std::string(model.status().message())));
  }
  return PosTagger(*std::move(model));
}

absl::StatusOr<PosTagger> PosTagger::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(internal::Cat(
        "cannot open tagger model ", path,
        "; the shipped model is data/models/pos-en-ewt.bin (see data/models/README.md)"));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return absl::DataLossError(internal::Cat("error reading tagger model ", path));
  return FromBytes(buf.str(), path);
}

std::vector<PosTag> PosTagger::Tag(const std::vector<std::string_view>& words) const {
  std::vector<PosTag> out;
  Tag(std::span<const std::string_view>(words), &out);
  return out;
}

void PosTagger::Tag(std::span<const std::string_view> words, std::vector<PosTag>* out) const {
  thread_local std::vector<int> classes;
  Decode(*model_, words, &classes);
  out->resize(words.size());
  const auto& tags = model_->classes();
  for (std::size_t i = 0; i < words.size(); ++i) (*out)[i] = tags[classes[i]];
}

const std::vector<PosTag>& PosTagger::tags() const { return model_->classes(); }
const std::string& PosTagger::description() const { return model_->description(); }
std::size_t PosTagger::MemoryBytes() const { return model_->MemoryBytes(); }

// ---------------------------------------------------------------------------------------------
// Training.

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
};

}  // namespace

struct Trainer::State {
  TrainerOptions options;
  std::vector<std::pair<std::string, std::string>> classes;
  std::vector<std::pair<std::string, std::uint8_t>> tag_dict;
  absl::flat_hash_map<std::uint64_t, int> dict;  // word key -> class
  absl::flat_hash_map<std::uint64_t, std::uint32_t> index;
  std::vector<Feature> features;
  std::int64_t step = 0;
  bool trained = false;
  ModelData best;
  int best_iteration = 0;
  std::size_t best_bytes = 0;

  int Score(const std::uint64_t* feats, int n, std::int64_t* scores) const {
    const std::size_t num_classes = classes.size();
    std::fill(scores, scores + num_classes, 0);
    for (int f = 0; f < n; ++f) {
      auto it = index.find(feats[f]);
      if (it == index.end()) continue;
      for (const Entry& e : features[it->second].entries) scores[e.cls] += e.weight;
    }
    int best_cls = 0;
    for (std::size_t c = 1; c < num_classes; ++c) {
      if (scores[c] > scores[best_cls]) best_cls = static_cast<int>(c);
    }
    return best_cls;
  }

  void Update(std::uint32_t f, int cls, int delta) {
    auto& entries = features[f].entries;
    auto it = std::find_if(entries.begin(), entries.end(),
                           [cls](const Entry& e) { return e.cls == cls; });
    if (it == entries.end()) {
      entries.push_back(Entry{static_cast<std::uint8_t>(cls), 0, 0, step});
      it = entries.end() - 1;
    }
    it->total += (step - it->stamp) * it->weight;
    it->stamp = step;
    it->weight += delta;
  }

  std::uint32_t FeatureIndex(std::uint64_t key) {
    auto [it, inserted] = index.try_emplace(key, static_cast<std::uint32_t>(features.size()));
    if (inserted) features.push_back(Feature{key, 0, {}});
    return it->second;
  }

  // Averaged, pruned and quantised weights.
  ModelData Snapshot() const {
    ModelData d;
    d.classes = classes;
    d.tag_dict = tag_dict;
    const double steps = static_cast<double>(std::max<std::int64_t>(step, 1));
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
    double max_abs = 0;
    for (std::uint32_t f = 0; f < features.size(); ++f) {
      const Feature& feat = features[f];
      if (feat.entries.empty() ||
          feat.count < static_cast<std::uint32_t>(options.min_feature_count)) {
        continue;
      }
      for (const Entry& e : feat.entries) {
        const double avg = static_cast<double>(e.total + (step - e.stamp) * e.weight) / steps;
        max_abs = std::max(max_abs, std::abs(avg));
      }
      order.emplace_back(feat.key, f);
    }
    std::sort(order.begin(), order.end());
    const double scale = max_abs > 0 ? 32767.0 / max_abs : 1.0;
    const double min_abs = options.min_weight_ratio * max_abs;
    d.offsets.push_back(0);
    for (const auto& [key, f] : order) {
      const std::size_t before = d.entry_class.size();
      std::vector<Entry> entries = features[f].entries;
      std::sort(entries.begin(), entries.end(),
                [](const Entry& a, const Entry& b) { return a.cls < b.cls; });
      for (const Entry& e : entries) {
        const double avg = static_cast<double>(e.total + (step - e.stamp) * e.weight) / steps;
        const long q = std::lround(avg * scale);
        if (q == 0 || std::abs(avg) < min_abs) continue;
        d.entry_class.push_back(e.cls);
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
  absl::flat_hash_map<std::string, int> class_id;
  for (std::size_t c = 0; c < pairs.size(); ++c) {
    class_id[internal::Cat(pairs[c].first, "\t", pairs[c].second)] = static_cast<int>(c);
  }

  // Examples and the tag dictionary (counts per normalised word).
  std::vector<Example> examples;
  examples.reserve(sentences.size());
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
    examples.push_back(std::move(ex));
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

  std::vector<std::size_t> order(examples.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(opt.seed);
  std::uint64_t feats[kMaxFeatures];
  std::vector<std::int64_t> scores(pairs.size());
  double best_score = -1;
  for (int iter = 1; iter <= opt.iterations; ++iter) {
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
      int prev = internal::kStartTag;
      int prev2 = internal::kStartTag2;
      for (std::size_t i = 0; i < ex.words.size(); ++i) {
        const int gold = ex.gold[i];
        int guess;
        auto d = st.dict.find(t[i].word);
        if (d != st.dict.end()) {
          guess = d->second;
        } else {
          const int nf =
              internal::ExtractFeatures(t, static_cast<int>(i), prev, prev2, nullptr, feats);
          if (iter == 1) {
            for (int f = 0; f < nf; ++f) ++st.features[st.FeatureIndex(feats[f])].count;
          }
          guess = st.Score(feats, nf, scores.data());
          ++st.step;
          if (guess != gold) {
            for (int f = 0; f < nf; ++f) {
              const std::uint32_t fi = st.FeatureIndex(feats[f]);
              st.Update(fi, gold, 1);
              st.Update(fi, guess, -1);
            }
          }
        }
        ++seen;
        if (guess == gold) ++correct;
        prev2 = prev;
        prev = guess;
      }
    }
    IterationReport report;
    report.iteration = iter;
    report.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    ModelData snapshot = st.Snapshot();
    report.features = snapshot.keys.size();
    double score = iter;  // without dev data the last iteration wins
    if (!dev.empty()) {
      auto model = Model::Build(snapshot);
      if (!model.ok()) return model.status();
      const TagAccuracy acc = Evaluate(PosTagger(*model), dev);
      report.dev_upos = acc.upos();
      report.dev_xpos = acc.xpos();
      score = acc.upos() + acc.xpos();
    }
    if (score > best_score) {
      best_score = score;
      st.best = std::move(snapshot);
      st.best_iteration = iter;
    }
    if (on_iteration) on_iteration(report);
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
  state_->best_bytes = bytes.size();
  return absl::OkStatus();
}

int Trainer::best_iteration() const { return state_->best_iteration; }

std::size_t Trainer::ModelFileBytes() const {
  return internal::SerializeModel(state_->best).size();
}

}  // namespace dyad::tagger
