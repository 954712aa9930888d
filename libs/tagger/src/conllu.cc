#include "dyad/tagger/conllu.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "text_util.h"

namespace dyad::tagger {
namespace {

bool IsWordId(std::string_view id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<ConlluSentence>> ParseConllu(std::string_view text,
                                                        std::string_view name) {
  std::vector<ConlluSentence> out;
  ConlluSentence current;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (!current.words.empty()) out.push_back(std::move(current));
      current = ConlluSentence();
      continue;
    }
    if (line[0] == '#') {
      constexpr std::string_view kSentId = "# sent_id = ";
      if (line.substr(0, kSentId.size()) == kSentId) {
        current.id = std::string(line.substr(kSentId.size()));
      }
      continue;
    }
    std::vector<std::string_view> cols = internal::Split(line, '\t');
    if (cols.size() != 10) {
      return absl::InvalidArgumentError(internal::Cat(name, ":", line_no,
                                                      ": expected 10 tab-separated columns, found ",
                                                      cols.size(), "; is this a CoNLL-U file?"));
    }
    if (!IsWordId(cols[0])) continue;  // "3-4" multiword token or "5.1" empty node
    ConlluWord w;
    w.form = std::string(cols[1]);
    w.lemma = std::string(cols[2]);
    w.upos = std::string(cols[3]);
    w.xpos = std::string(cols[4]);
    w.feats = std::string(cols[5]);
    w.deprel = std::string(cols[7]);
    int head = 0;
    const auto [ptr, ec] = std::from_chars(cols[6].data(), cols[6].data() + cols[6].size(), head);
    w.head = (ec == std::errc() && ptr == cols[6].data() + cols[6].size()) ? head : 0;
    w.space_after = cols[9].find("SpaceAfter=No") == std::string_view::npos;
    if (w.form.empty()) {
      return absl::InvalidArgumentError(internal::Cat(name, ":", line_no, ": empty FORM column"));
    }
    current.words.push_back(std::move(w));
  }
  if (!current.words.empty()) out.push_back(std::move(current));
  return out;
}

absl::StatusOr<std::vector<ConlluSentence>> ReadConllu(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(internal::Cat("cannot open CoNLL-U file ", path));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return absl::DataLossError(internal::Cat("error reading ", path));
  return ParseConllu(buf.str(), path);
}

ConlluSentence MergeHyphenated(const ConlluSentence& sentence, int* merged) {
  const auto& w = sentence.words;
  const int n = static_cast<int>(w.size());
  // A run starts at i and ends at j (inclusive) when w[i+1], w[i+3], ... are HYPH "-" with no
  // spaces on either side.
  std::vector<int> run_end(w.size(), -1);
  int runs = 0;
  for (int i = 0; i < n;) {
    int j = i;
    while (j + 2 < n && w[j + 1].form == "-" && w[j + 1].xpos == "HYPH" && !w[j].space_after &&
           !w[j + 1].space_after) {
      j += 2;
    }
    if (j > i) {
      run_end[i] = j;
      ++runs;
      i = j + 1;
    } else {
      ++i;
    }
  }
  if (merged != nullptr) *merged = runs;
  if (runs == 0) return sentence;

  ConlluSentence out;
  out.id = sentence.id;
  std::vector<int> new_index(w.size(), 0);  // old 0-based index -> new 1-based index
  for (int i = 0; i < n;) {
    const int j = run_end[i] >= 0 ? run_end[i] : i;
    for (int k = i; k <= j; ++k) new_index[k] = static_cast<int>(out.words.size()) + 1;
    if (j == i) {
      out.words.push_back(w[i]);
    } else {
      // The run's head: its first word whose head lies outside the run.
      int head = i;
      for (int k = i; k <= j; ++k) {
        if (w[k].head - 1 < i || w[k].head - 1 > j) {
          head = k;
          break;
        }
      }
      ConlluWord m = w[head];
      m.form.clear();
      m.lemma.clear();
      for (int k = i; k <= j; ++k) {
        m.form += w[k].form;
        m.lemma += w[k].lemma;
      }
      m.space_after = w[j].space_after;
      const std::string rel = m.deprel.substr(0, m.deprel.find(':'));
      if ((m.upos == "NOUN" || m.upos == "VERB") && (rel == "amod" || rel == "compound")) {
        m.upos = "ADJ";
        m.xpos = "JJ";
      }
      out.words.push_back(std::move(m));
    }
    i = j + 1;
  }
  for (auto& word : out.words) {
    if (word.head > 0 && word.head <= n) word.head = new_index[word.head - 1];
  }
  return out;
}

}  // namespace dyad::tagger
