// Accuracy of a PosTagger (and a Lemmatizer) against a CoNLL-U treebank's gold columns.
//
// Thread-safety: pure functions (the tagger is only read). Errors: none.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "dyad/tagger/conllu.h"
#include "dyad/tagger/lemmatizer.h"
#include "dyad/tagger/pos_tagger.h"

namespace dyad::tagger {

struct TagAccuracy {
  std::int64_t words = 0;
  std::int64_t upos_correct = 0;
  std::int64_t xpos_correct = 0;
  std::int64_t both_correct = 0;
  // Words whose form is not in the training vocabulary (when one is given).
  std::int64_t unknown_words = 0;
  std::int64_t unknown_upos_correct = 0;
  std::int64_t unknown_xpos_correct = 0;

  double upos() const { return Ratio(upos_correct, words); }
  double xpos() const { return Ratio(xpos_correct, words); }
  double both() const { return Ratio(both_correct, words); }
  double unknown_upos() const { return Ratio(unknown_upos_correct, unknown_words); }
  double unknown_xpos() const { return Ratio(unknown_xpos_correct, unknown_words); }

 private:
  static double Ratio(std::int64_t a, std::int64_t b) {
    return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
  }
};

// The forms (as written) of all words in `sentences`.
std::unordered_set<std::string> Vocabulary(const std::vector<ConlluSentence>& sentences);

// Tags every sentence and counts agreement with the gold UPOS and XPOS columns.
TagAccuracy Evaluate(const PosTagger& tagger, const std::vector<ConlluSentence>& sentences,
                     const std::unordered_set<std::string>* known_forms = nullptr);

struct LemmaAccuracy {
  std::int64_t words = 0;
  std::int64_t correct = 0;
  double accuracy() const {
    return words == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(words);
  }
};

// Lemma accuracy on the words whose gold UPOS is `upos` (e.g. "VERB"): the lemmatiser gets the
// lower-cased form and the gold XPOS, or the tagger's XPOS when `tagger` is given. Gold lemmas are
// compared lower-cased.
LemmaAccuracy EvaluateLemmas(const Lemmatizer& lemmatizer,
                             const std::vector<ConlluSentence>& sentences, std::string_view upos,
                             const PosTagger* tagger = nullptr);

}  // namespace dyad::tagger
