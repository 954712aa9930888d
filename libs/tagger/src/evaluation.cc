#include "dyad/tagger/evaluation.h"

#include <algorithm>

namespace dyad::tagger {

std::unordered_set<std::string> Vocabulary(const std::vector<ConlluSentence>& sentences) {
  std::unordered_set<std::string> out;
  for (const auto& s : sentences) {
    for (const auto& w : s.words) out.insert(w.form);
  }
  return out;
}

TagAccuracy Evaluate(const PosTagger& tagger, const std::vector<ConlluSentence>& sentences,
                     const std::unordered_set<std::string>* known_forms) {
  TagAccuracy acc;
  std::vector<std::string_view> words;
  std::vector<PosTag> tags;
  for (const auto& s : sentences) {
    words.clear();
    for (const auto& w : s.words) words.push_back(w.form);
    tagger.Tag(std::span<const std::string_view>(words), &tags);
    for (std::size_t i = 0; i < s.words.size(); ++i) {
      const ConlluWord& gold = s.words[i];
      const bool upos_ok = UposName(tags[i].upos) == gold.upos;
      const bool xpos_ok = XposName(tags[i].xpos) == gold.xpos;
      ++acc.words;
      acc.upos_correct += upos_ok;
      acc.xpos_correct += xpos_ok;
      acc.both_correct += upos_ok && xpos_ok;
      if (known_forms != nullptr && !known_forms->contains(gold.form)) {
        ++acc.unknown_words;
        acc.unknown_upos_correct += upos_ok;
        acc.unknown_xpos_correct += xpos_ok;
      }
    }
  }
  return acc;
}

LemmaAccuracy EvaluateLemmas(const Lemmatizer& lemmatizer,
                             const std::vector<ConlluSentence>& sentences, std::string_view upos,
                             const PosTagger* tagger) {
  LemmaAccuracy acc;
  std::vector<std::string_view> words;
  std::vector<PosTag> tags;
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  };
  for (const auto& s : sentences) {
    if (tagger != nullptr) {
      words.clear();
      for (const auto& w : s.words) words.push_back(w.form);
      tagger->Tag(std::span<const std::string_view>(words), &tags);
    }
    for (std::size_t i = 0; i < s.words.size(); ++i) {
      const ConlluWord& gold = s.words[i];
      if (gold.upos != upos) continue;
      ++acc.words;
      const std::string form = lower(gold.form);
      const std::string lemma = tagger != nullptr ? lemmatizer.Lemma(form, tags[i].xpos)
                                                  : lemmatizer.Lemma(form, gold.xpos);
      acc.correct += lemma == lower(gold.lemma);
    }
  }
  return acc;
}

}  // namespace dyad::tagger
