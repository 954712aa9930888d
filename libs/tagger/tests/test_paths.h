// Paths of the shipped model, lemma table and treebank, for tests.
#pragma once

#include <string>

namespace dyad::tagger::testing {

inline std::string ModelPath() {
  return std::string(DYAD_SOURCE_DIR) + "/data/models/pos-en-ewt.bin";
}
inline std::string LemmasPath() {
  return std::string(DYAD_SOURCE_DIR) + "/data/models/lemmas-en-ewt.tsv";
}
inline std::string TreebankPath(const std::string& split) {
  return std::string(DYAD_SHARED_DIR) + "/reference/ud-english-ewt/en_ewt-ud-" + split + ".conllu";
}

}  // namespace dyad::tagger::testing
