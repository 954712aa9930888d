// The event coder: article text → CAMEO-coded dyad.v1.Event records.
//
// Thread-safety: a loaded Coder is immutable; Code* may be called from many threads at once.
// Errors: Load returns INVALID_ARGUMENT / NOT_FOUND naming the file and line at fault. Code* never
// throws; any input (empty, huge, binary) yields a (possibly empty) list in bounded time.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dyad/core/dates.h"
#include "dyad/v1/article.pb.h"
#include "dyad/v1/event.pb.h"

namespace dyad::coder {

struct CoderOptions {
  // Directory of dictionaries (dyad's own format, or PETRARCH2's: detected from the files).
  std::string dictionaries_dir;
  // The pinned CAMEO event table (code, name, goldstein, quad_class, ...), TSV.
  std::string cameo_table_path;
  // The tone lexicon (VADER format); empty = no tone.
  std::string tone_lexicon_path;
  // Part-of-speech model (dyad-train-tagger) and lemma table; empty = no tagger: verb patterns
  // then match any word with a verb's form ("talks", "visit" as nouns too).
  std::string pos_model_path;
  std::string lemma_table_path;
  // Emit events whose trigger is negated ("did not discuss"), with Event.negated = true and a lower
  // confidence. False drops them.
  bool emit_negated = true;
};

// Per-call coding options, as PETRARCH2's unit tests set them (<Config> elements); values as
// written, keys case-sensitive. Read by the PETRARCH2 path: require_dyad ("false" in any case
// lets an event through without a target, coded "---"). Unknown keys are ignored.
struct CodingOverrides {
  std::map<std::string, std::string> values;
};

// Options pointing at core::DefaultDataDir()'s dictionaries, CAMEO table and tone lexicon
// ($DYAD_DATA_DIR, else the source tree's data/).
CoderOptions DefaultCoderOptions();

class Coder {
 public:
  static absl::StatusOr<std::unique_ptr<Coder>> Load(const CoderOptions& options);
  ~Coder();
  Coder(const Coder&) = delete;
  Coder& operator=(const Coder&) = delete;

  // Codes every sentence of `article` (body; the dateline and publication date are used to
  // resolve places and dates). Each Event has every field the text supports, a deterministic id,
  // and offsets into article.body.
  std::vector<dyad::v1::Event> CodeArticle(const dyad::v1::Article& article) const;

  // CodeArticle with a time limit, checked before each sentence: DEADLINE_EXCEEDED (no events)
  // once `deadline` has passed, naming how many sentences were coded. Otherwise the same events
  // as CodeArticle. A sentence's cost is bounded, so the overrun past `deadline` is too.
  absl::StatusOr<std::vector<dyad::v1::Event>> CodeArticle(
      const dyad::v1::Article& article, std::chrono::steady_clock::time_point deadline) const;

  // Codes `text` (one sentence, or many when `split_sentences`) published on `date`.
  std::vector<dyad::v1::Event> CodeText(std::string_view id, std::string_view text,
                                        const core::CivilDate& date, bool split_sentences) const;
  std::vector<dyad::v1::Event> CodeText(std::string_view id, std::string_view text,
                                        const core::CivilDate& date, bool split_sentences,
                                        const CodingOverrides* overrides) const;

  // "dyad-coder/<version>+<dictionary digest>", written into every Event.
  const std::string& version() const;

  class Impl;

 private:
  explicit Coder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dyad::coder
