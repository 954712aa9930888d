// A statistical part-of-speech tagger for English: a greedy averaged perceptron (Collins 2002)
// over hashed word, affix, shape and tag-context features, with a tag dictionary for frequent
// unambiguous words. Each word gets a UPOS/XPOS pair (one joint class), so the Penn Treebank
// distinctions the event coder needs (VBD vs VBN vs VBZ, NN vs NNS) come with the universal tag.
//
// Input is one sentence as words in dyad::text::Tokenize's tokenisation ("Pakistan" "'s",
// "did" "n't", "U.S.", "high-level"); curly quotes and dashes are normalised internally.
//
// Lifecycle: Load() a model file (data/models/pos-en-ewt.bin is the shipped one), then Tag() from
// any number of threads: a PosTagger is immutable after loading and cheap to copy (the model is
// shared). Errors: Load returns NOT_FOUND for a missing file and INVALID_ARGUMENT naming the file
// for an empty, truncated, corrupted or wrong-version file; Tag never fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dyad/tagger/conllu.h"
#include "dyad/tagger/tags.h"

namespace dyad::tagger {

namespace internal {
class Model;
struct ModelData;
}  // namespace internal

class PosTagger {
 public:
  // Reads a model file written by Trainer::Save / dyad-train-tagger.
  static absl::StatusOr<PosTagger> Load(const std::string& path);
  // The same from the file's bytes; `name` is used in error messages.
  static absl::StatusOr<PosTagger> FromBytes(std::string_view bytes, std::string_view name);

  // One tag per word, in order; an empty input gives an empty result. Linear in the input size,
  // no per-word allocation. Thread-safe.
  std::vector<PosTag> Tag(const std::vector<std::string_view>& words) const;
  // The same into `out` (resized), for callers that reuse the vector.
  void Tag(std::span<const std::string_view> words, std::vector<PosTag>* out) const;

  // All classes the model can predict; PosTag::id indexes this.
  const std::vector<PosTag>& tags() const;
  // Free text stored by the trainer (training data, settings, accuracy).
  const std::string& description() const;
  // Heap bytes held by the loaded model.
  std::size_t MemoryBytes() const;

 private:
  explicit PosTagger(std::shared_ptr<const internal::Model> model) : model_(std::move(model)) {}
  friend class Trainer;

  std::shared_ptr<const internal::Model> model_;
};

struct TrainerOptions {
  int iterations = 10;
  std::uint64_t seed = 20250515;  // sentence shuffle; fixed so re-runs give the same model
  // Tag dictionary: words seen at least this often whose most frequent class covers at least
  // `tag_dict_min_ratio` of their occurrences are tagged without the model.
  int tag_dict_min_count = 20;
  double tag_dict_min_ratio = 0.97;
  // Also train on a copy of each sentence with hyphenated compounds joined (MergeHyphenated), so
  // that both "high - level" and "high-level" are tagged well.
  bool merge_hyphens = true;
  // Word dropout: in each iteration, each occurrence of a word seen at most `rare_word_max_count`
  // times in training has its identity (word and lower-case features) hidden with this
  // probability, so the model learns to tag unknown words from affixes, shape and context.
  // (Tried at 0.25 and 0.5 on EWT: no gain on dev, so off by default.)
  double rare_word_dropout = 0.0;
  int rare_word_max_count = 1;
  // A second left-to-right pass that also sees the first pass's tags of the next two words
  // (right context). Its training data gets first-pass tags from `jackknife_folds` models, each
  // trained without the fold it tags. Training takes about 7 times as long.
  bool two_pass = false;
  int jackknife_folds = 5;
  // Speed: words the first pass tags with a clear margin keep that tag. The trainer picks the
  // smallest margin whose dev UPOS + XPOS accuracy is within this of re-tagging every word
  // (without dev data every word is re-tagged).
  double second_pass_tolerance = 0.0005;
  // Pruning at save time: features seen fewer times in training are dropped, and averaged weights
  // whose magnitude is below this fraction of the largest weight.
  int min_feature_count = 1;
  double min_weight_ratio = 0.0;
};

// Dev accuracy of a two-pass model when only words with a first-pass margin below `margin` are
// re-tagged (INT32_MAX: all).
struct MarginChoice {
  std::int32_t margin = 0;
  double dev_upos = 0;
  double dev_xpos = 0;
};

struct IterationReport {
  int pass = 1;               // 1, or 2 for the second pass of a two-pass model
  int iteration = 0;          // 1-based
  double train_accuracy = 0;  // joint class accuracy while training (not averaged)
  double dev_upos = 0;
  double dev_xpos = 0;
  std::size_t features = 0;
};

// Trains a PosTagger on CoNLL-U sentences. Not thread-safe; one Train() per Trainer.
class Trainer {
 public:
  explicit Trainer(TrainerOptions options);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Runs all iterations (of each pass). After each, the averaged model is evaluated on `dev` (if
  // non-empty) and `on_iteration` (if set) is called. Each pass keeps the iteration with the best
  // dev UPOS + XPOS accuracy (the last one without dev). Errors: INVALID_ARGUMENT for empty
  // training data, an unknown UPOS/XPOS name, or more tag pairs than the model format holds.
  absl::Status Train(const std::vector<ConlluSentence>& train,
                     const std::vector<ConlluSentence>& dev,
                     const std::function<void(const IterationReport&)>& on_iteration = {});

  // The kept model, ready to tag. FAILED_PRECONDITION before Train.
  absl::StatusOr<PosTagger> Tagger() const;
  // Writes the kept model file; `description` is stored in it.
  absl::Status Save(const std::string& path, const std::string& description) const;
  // The kept iteration (1-based) of the last pass.
  int best_iteration() const;
  // Two-pass models: the margins tried on dev, and the one kept.
  const std::vector<MarginChoice>& margin_choices() const;
  std::int32_t second_pass_margin() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dyad::tagger
