// Internal: feature extraction, the inference-time model and its binary file format. Shared by
// PosTagger (inference) and Trainer (training, which must extract exactly the same features).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "dyad/tagger/tags.h"

namespace dyad::tagger::internal {

inline constexpr int kMaxFeatures = 64;
inline constexpr int kMaxClasses = 250;
// Tag values for the context before the first word.
inline constexpr int kStartTag = 251;
inline constexpr int kStartTag2 = 252;
// Tag values for the context after the last word (second pass only).
inline constexpr int kEndTag = 253;
inline constexpr int kEndTag2 = 254;

std::uint64_t Fmix(std::uint64_t x);
std::uint64_t HashBytes(std::string_view bytes, std::uint64_t seed);

// Curly quotes and apostrophes become ' and ", en/em dashes '-', the ellipsis "...": the same
// normalisation as dyad::text, so treebank text and news text look alike to the model.
void NormalizeWord(std::string_view word, std::string* out);
// Hash of the normalised word (case kept): the tag dictionary's key.
std::uint64_t WordKey(std::string_view word, std::string* scratch);

struct TokenInfo {
  std::uint64_t word = 0;  // normalised form, case kept
  std::uint64_t lower = 0;
  std::uint64_t suffix[5] = {};  // last 1..5 bytes of lower
  std::uint64_t prefix[3] = {};  // first 1..3 bytes of lower
  std::uint64_t shape = 0;       // "Xx", "X.X.", "d,d", "x-x"
  std::uint32_t flags = 0;
};

// Fills `infos` with words.size() + 4 entries: two sentence-start pads, the words, two end pads.
void PrepareTokens(std::span<const std::string_view> words, std::vector<TokenInfo>* infos,
                   std::string* scratch);

// Writes the feature keys of word `i` (0-based) to `out` and returns how many (<= kMaxFeatures).
// `t` points at the first word's TokenInfo (infos.data() + 2). prev/prev2 are the predicted class
// ids of the two previous words (kStartTag/kStartTag2 at the start). When `next` is non-null
// (second pass), next[-1] is the first pass's tag of word i and next[0]/next[1] those of the two
// following words.
int ExtractFeatures(const TokenInfo* t, int i, int prev, int prev2, const int* next,
                    std::uint64_t* out);

// What a model file holds, as the trainer produces it.
struct ModelData {
  std::string description;
  bool two_pass = false;
  // Words whose first-pass score margin (best minus runner-up, in weight units) is at least this
  // keep the first pass's tag; the second pass re-tags the others. Max = re-tag all.
  std::int32_t second_pass_margin = std::numeric_limits<std::int32_t>::max();
  std::vector<std::pair<std::string, std::string>> classes;    // (UPOS, XPOS) per class id
  std::vector<std::pair<std::string, std::uint8_t>> tag_dict;  // frequent unambiguous words
  // Features sorted by key; feature f owns entries [offsets[f], offsets[f+1]).
  std::vector<std::uint64_t> keys;
  std::vector<std::uint32_t> offsets;  // keys.size() + 1
  std::vector<std::uint8_t> entry_class;
  std::vector<std::int16_t> entry_weight;
};

// The loaded model: open-addressing tables, weights quantised to int16.
class Model {
 public:
  static absl::StatusOr<std::shared_ptr<const Model>> Build(const ModelData& data);

  const std::vector<PosTag>& classes() const { return classes_; }
  bool two_pass() const { return two_pass_; }
  std::int32_t second_pass_margin() const { return second_pass_margin_; }
  const std::string& description() const { return description_; }
  std::size_t MemoryBytes() const;

  // Class of a tag-dictionary word, or -1.
  int DictLookup(std::uint64_t word_key) const;
  // Best class for the features; `scores` must hold classes().size() values. `margin` (optional)
  // receives the best score minus the runner-up's.
  int Predict(const std::uint64_t* features, int n, std::int32_t* scores,
              std::int32_t* margin = nullptr) const;

 private:
  // A feature's slot is found from the low bits of its 64-bit key and recognised by the high 32
  // bits (`check`, never 0; 0 marks an empty slot): 8 bytes a slot.
  struct Slot {
    std::uint32_t check;
    std::uint32_t entries;  // first entry << 8 | number of entries
  };
  static std::uint32_t Check(std::uint64_t key) {
    const auto c = static_cast<std::uint32_t>(key >> 32);
    return c == 0 ? 1 : c;
  }
  struct DictSlot {
    std::uint64_t key;
    std::int32_t cls;
  };

  std::string description_;
  bool two_pass_ = false;
  std::int32_t second_pass_margin_ = 0;
  std::vector<PosTag> classes_;
  std::vector<Slot> slots_;
  std::uint64_t slot_mask_ = 0;
  std::vector<std::uint32_t> entries_;  // class << 16 | uint16 weight
  std::vector<DictSlot> dict_;
  std::uint64_t dict_mask_ = 0;
};

std::string SerializeModel(const ModelData& data);
// Errors: INVALID_ARGUMENT naming `name` for a wrong magic, version, size or checksum.
absl::StatusOr<ModelData> ParseModel(std::string_view bytes, std::string_view name);

}  // namespace dyad::tagger::internal
