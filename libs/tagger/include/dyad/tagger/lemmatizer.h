// Lemmas of English verbs and plural nouns: "took"/VBD → "take", "imposing"/VBG → "impose",
// "slapped"/VBD → "slap", "countries"/NNS → "country".
//
// A table loaded at run time (data/models/lemmas-en-ewt.tsv, built from the UD English Web
// Treebank's LEMMA column by dyad-train-tagger --lemmas-out) gives the irregular forms and the
// known base forms; suffix rules do the rest (-s/-es/-ies, -ed/-ied, -ing; consonant doubling,
// silent e restored when the table knows the base form or the stem's ending calls for it).
//
// File format: UTF-8 text, '#' comments, tab-separated lines
//   irregular <TAB> XPOS <TAB> form <TAB> lemma  (VB* or NNS; a form the rules get wrong)
//   base <TAB> V|N <TAB> lemma                    (a verb or noun base form seen in the treebank)
//
// Thread-safety: immutable after Load; Lemma() may be called from any thread. Errors: Load gives
// NOT_FOUND for a missing file, INVALID_ARGUMENT naming file and line for a malformed line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "dyad/tagger/conllu.h"
#include "dyad/tagger/tags.h"

namespace dyad::tagger {

std::string BuildLemmaTable(const std::vector<ConlluSentence>& sentences,
                            std::string_view header_comment);

class Lemmatizer {
 public:
  // A lemmatiser with rules only (no table).
  Lemmatizer() = default;
  static absl::StatusOr<Lemmatizer> Load(const std::string& path);
  static absl::StatusOr<Lemmatizer> FromText(std::string_view text, std::string_view name);

  // `lower_word` is the lower-cased word. Verbs (VB, VBD, VBG, VBN, VBP, VBZ) give their base
  // form, NNS the singular; any other tag returns the word unchanged.
  std::string Lemma(std::string_view lower_word, Xpos xpos) const;
  // The same with the tag's name ("VBD"); an unknown name returns the word unchanged.
  std::string Lemma(std::string_view lower_word, std::string_view xpos) const;

  // What the suffix rules alone give (with the base-form list, without the irregular table).
  std::string RuleLemma(std::string_view lower_word, Xpos xpos) const;

  std::size_t irregular_count() const { return irregular_.size(); }
  std::size_t base_count() const { return verb_bases_.size() + noun_bases_.size(); }

 private:
  friend std::string BuildLemmaTable(const std::vector<ConlluSentence>& sentences,
                                     std::string_view header_comment);

  // Key: the XPOS name, a tab, the form.
  absl::flat_hash_map<std::string, std::string> irregular_;
  absl::flat_hash_set<std::string> verb_bases_;
  absl::flat_hash_set<std::string> noun_bases_;
};

// Builds the table text from treebank sentences: base forms are the lemmas of VERB/AUX words and
// of NOUN words; irregulars are the (lower-cased) forms tagged VB*/NNS whose most frequent gold
// lemma differs from what the rules give with those base forms.
std::string BuildLemmaTable(const std::vector<ConlluSentence>& sentences,
                            std::string_view header_comment);

}  // namespace dyad::tagger
