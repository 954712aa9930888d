#include "dyad/tagger/pos_tagger.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <fstream>

#include "model.h"
#include "text_util.h"

namespace dyad::tagger {

using internal::kMaxClasses;
using internal::kMaxFeatures;
using internal::Model;
using internal::TokenInfo;

namespace {

struct Scratch {
  std::vector<TokenInfo> infos;
  std::string text;
  std::vector<int> first_pass;
  std::vector<std::int32_t> margins;
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
  std::uint64_t feats[kMaxFeatures];
  std::int32_t scores[kMaxClasses];
  const std::int32_t min_margin = model.second_pass_margin();
  // One greedy left-to-right pass. The first (next == nullptr) records each word's score margin;
  // the second re-tags only the words whose first-pass margin is below `min_margin`.
  auto pass = [&](const int* next, std::vector<int>* tags) {
    tags->resize(words.size());
    if (next == nullptr) s.margins.resize(words.size());
    int prev = internal::kStartTag;
    int prev2 = internal::kStartTag2;
    for (int i = 0; i < n; ++i) {
      int cls = model.DictLookup(t[i].word);
      if (cls < 0) {
        if (next == nullptr) {
          const int nf = internal::ExtractFeatures(t, i, prev, prev2, nullptr, feats);
          cls = model.Predict(feats, nf, scores, &s.margins[i]);
        } else if (s.margins[i] >= min_margin) {
          cls = next[i];
        } else {
          const int nf = internal::ExtractFeatures(t, i, prev, prev2, next + i + 1, feats);
          cls = model.Predict(feats, nf, scores);
        }
      }
      (*tags)[i] = cls;
      prev2 = prev;
      prev = cls;
    }
  };
  if (!model.two_pass()) {
    pass(nullptr, out);
    return;
  }
  // The first pass's tags, then two end markers: word i sees first_pass[i + 1], [i + 2].
  pass(nullptr, &s.first_pass);
  s.first_pass.push_back(internal::kEndTag);
  s.first_pass.push_back(internal::kEndTag2);
  pass(s.first_pass.data(), out);
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
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return absl::NotFoundError(internal::Cat(
        "cannot open tagger model ", path,
        "; the shipped model is data/models/pos-en-ewt.bin (see data/models/README.md)"));
  }
  const std::streamoff size = in.tellg();
  if (size < 0) return absl::DataLossError(internal::Cat("cannot size tagger model ", path));
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  in.read(bytes.data(), size);
  if (!in) return absl::DataLossError(internal::Cat("error reading tagger model ", path));
  auto tagger = FromBytes(bytes, path);
#ifdef __GLIBC__
  // The file and its parsed copy were freed; hand that memory back instead of keeping it resident.
  bytes = std::string();
  malloc_trim(0);
#endif
  return tagger;
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

}  // namespace dyad::tagger
