// Reading CoNLL-U treebanks (Universal Dependencies) for training and evaluating the tagger.
//
// Only syntactic words are kept: multiword-token ranges ("3-4") and empty nodes ("5.1") are
// skipped, so "don't" is "do" "n't" as in the treebank's word lines.
//
// Thread-safety: pure functions. Errors: a missing file is NOT_FOUND; a line that is not a comment,
// blank or 10 tab-separated columns is INVALID_ARGUMENT naming file and line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dyad::tagger {

struct ConlluWord {
  std::string form;
  std::string lemma;
  std::string upos;
  std::string xpos;
  std::string feats;  // "_" when empty; "Typo=Yes" marks misspellings
  std::string deprel;
  int head = 0;             // 0 = root; 1-based index into the sentence's words otherwise
  bool space_after = true;  // false when MISC has SpaceAfter=No
};

struct ConlluSentence {
  std::string id;  // "# sent_id = ..." if present
  std::vector<ConlluWord> words;
};

absl::StatusOr<std::vector<ConlluSentence>> ParseConllu(std::string_view text,
                                                        std::string_view name);
absl::StatusOr<std::vector<ConlluSentence>> ReadConllu(const std::string& path);

// The treebank splits hyphenated compounds ("high - level", "al - Qaeda") where dyad's tokeniser
// keeps one token ("high-level"). Returns a copy of `sentence` with every run "a - b [- c ...]"
// written without spaces joined into one word; the joined word takes the tag of the run's
// syntactic head, except that a common-noun or verb head modifying something as `amod` or
// `compound` becomes ADJ/JJ ("high-level talks", "US-based group"), the Penn Treebank convention.
// `merged` (optional) receives the number of runs joined.
ConlluSentence MergeHyphenated(const ConlluSentence& sentence, int* merged = nullptr);

}  // namespace dyad::tagger
