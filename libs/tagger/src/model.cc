#include "model.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/status/status.h"
#include "text_util.h"

namespace dyad::tagger::internal {
namespace {

constexpr char kMagic[8] = {'D', 'Y', 'A', 'D', 'P', 'O', 'S', '\n'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

enum Flag : std::uint32_t {
  kHyphen = 1u << 0,
  kDigit = 1u << 1,
  kInitUpper = 1u << 2,
  kAllUpper = 1u << 3,
  kPeriod = 1u << 4,
  kStartsDigit = 1u << 5,
  kNonAscii = 1u << 6,
  kHasLower = 1u << 7,
  // bits 8-10: length bucket
};

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::uint64_t Feat(std::uint64_t tmpl, std::uint64_t a) {
  const std::uint64_t h = Fmix(a + (tmpl + 1) * kGolden);
  return h == 0 ? 1 : h;
}

std::uint64_t Feat(std::uint64_t tmpl, std::uint64_t a, std::uint64_t b) {
  const std::uint64_t h = Fmix(Fmix(a + (tmpl + 1) * kGolden) ^ (b * 0xC2B2AE3D27D4EB4FULL + 1));
  return h == 0 ? 1 : h;
}

std::uint64_t TagValue(int tag) { return static_cast<std::uint64_t>(tag) * 0x165667B19E3779F9ULL; }

}  // namespace

std::uint64_t Fmix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t HashBytes(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t h = 0xCBF29CE484222325ULL ^ (seed * kGolden);
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return Fmix(h ^ bytes.size());
}

void NormalizeWord(std::string_view word, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < word.size(); ++i) {
    const auto c = static_cast<unsigned char>(word[i]);
    if (c == 0xE2 && i + 2 < word.size() && static_cast<unsigned char>(word[i + 1]) == 0x80) {
      const auto d = static_cast<unsigned char>(word[i + 2]);
      const char* rep = nullptr;
      switch (d) {
        case 0x98:  // ‘
        case 0x99:  // ’
          rep = "'";
          break;
        case 0x9C:  // “
        case 0x9D:  // ”
          rep = "\"";
          break;
        case 0x93:  // –
        case 0x94:  // —
          rep = "-";
          break;
        case 0xA6:  // …
          rep = "...";
          break;
        default:
          break;
      }
      if (rep != nullptr) {
        out->append(rep);
        i += 2;
        continue;
      }
    }
    out->push_back(static_cast<char>(c));
  }
}

std::uint64_t WordKey(std::string_view word, std::string* scratch) {
  NormalizeWord(word, scratch);
  return HashBytes(*scratch, 1);
}

void PrepareTokens(std::span<const std::string_view> words, std::vector<TokenInfo>* infos,
                   std::string* scratch) {
  infos->resize(words.size() + 4);
  auto pad = [](TokenInfo* t, std::uint64_t v) {
    t->word = t->lower = t->shape = v;
    for (auto& s : t->suffix) s = v;
    for (auto& p : t->prefix) p = v;
    t->flags = static_cast<std::uint32_t>(v & 0xFFFF) | 0x10000u;
  };
  pad(&(*infos)[0], 0x51A27);
  pad(&(*infos)[1], 0x51A28);
  pad(&(*infos)[words.size() + 2], 0xE4D1);
  pad(&(*infos)[words.size() + 3], 0xE4D2);
  char shape[16];
  int letter_words = 0;
  int init_upper_words = 0;
  int all_upper_words = 0;
  for (std::size_t k = 0; k < words.size(); ++k) {
    TokenInfo& t = (*infos)[k + 2];
    NormalizeWord(words[k], scratch);
    std::string& s = *scratch;
    t.word = HashBytes(s, 1);
    std::uint32_t flags = 0;
    std::size_t shape_len = 0;
    char last_shape = 0;
    bool all_upper = true;
    bool any_letter = false;
    for (std::size_t j = 0; j < s.size(); ++j) {
      char c = s[j];
      char sc;
      if (IsUpper(c)) {
        sc = 'X';
        any_letter = true;
        if (j == 0) flags |= kInitUpper;
        s[j] = static_cast<char>(c - 'A' + 'a');
      } else if (IsLower(c)) {
        sc = 'x';
        any_letter = true;
        all_upper = false;
        flags |= kHasLower;
      } else if (IsDigit(c)) {
        sc = 'd';
        flags |= kDigit;
        if (j == 0) flags |= kStartsDigit;
      } else if (static_cast<unsigned char>(c) >= 0x80) {
        sc = 'u';
        flags |= kNonAscii;
      } else {
        sc = c;
        if (c == '-') flags |= kHyphen;
        if (c == '.') flags |= kPeriod;
      }
      if (sc != last_shape && shape_len < sizeof(shape)) shape[shape_len++] = sc;
      last_shape = sc;
    }
    if (any_letter && all_upper && s.size() > 1) flags |= kAllUpper;
    if (any_letter) {
      ++letter_words;
      init_upper_words += (flags & kInitUpper) != 0;
      all_upper_words += (flags & kAllUpper) != 0;
    }
    const std::uint32_t len_bucket = s.size() <= 1   ? 0
                                     : s.size() == 2 ? 1
                                     : s.size() == 3 ? 2
                                     : s.size() <= 6 ? 3
                                                     : 4;
    flags |= len_bucket << 8;
    t.flags = flags;
    t.shape = HashBytes(std::string_view(shape, shape_len), 2);
    t.lower = HashBytes(s, 3);
    const std::string_view lower(s);
    for (std::size_t n = 1; n <= 5; ++n) {
      t.suffix[n - 1] = n <= lower.size() ? HashBytes(lower.substr(lower.size() - n), 10 + n)
                                          : HashBytes(lower, 10 + n);
    }
    for (std::size_t n = 1; n <= 3; ++n) {
      t.prefix[n - 1] = HashBytes(lower.substr(0, n), 20 + n);
    }
  }
  // Headline or title style ("Parts and Camera Telephone") and all-capitals sentences change what
  // a capital letter says about a word.
  std::uint32_t style = 0;
  if (letter_words >= 3) {
    if (all_upper_words * 10 >= letter_words * 6) {
      style = 2;
    } else if (init_upper_words * 10 >= letter_words * 6) {
      style = 1;
    }
  }
  for (std::size_t k = 0; k < words.size(); ++k) (*infos)[k + 2].flags |= style << 12;
}

int ExtractFeatures(const TokenInfo* t, int i, int prev, int prev2, const int* next,
                    std::uint64_t* out) {
  const TokenInfo& w = t[i];
  const TokenInfo& p1 = t[i - 1];
  const TokenInfo& p2 = t[i - 2];
  const TokenInfo& n1 = t[i + 1];
  const TokenInfo& n2 = t[i + 2];
  const std::uint64_t tp1 = TagValue(prev);
  const std::uint64_t tp2 = TagValue(prev2);
  // The second pass has its own weights for every feature: template ids offset by 64.
  const std::uint64_t b = next != nullptr ? 64 : 0;
  int n = 0;
  out[n++] = Feat(b + 0, 0);
  out[n++] = Feat(b + 1, w.word);
  out[n++] = Feat(b + 2, w.lower);
  for (int k = 0; k < 4; ++k) out[n++] = Feat(b + 3 + static_cast<std::uint64_t>(k), w.suffix[k]);
  for (int k = 0; k < 3; ++k) out[n++] = Feat(b + 7 + static_cast<std::uint64_t>(k), w.prefix[k]);
  out[n++] = Feat(b + 10, w.shape);
  out[n++] = Feat(b + 11, w.flags | (i == 0 ? 0x8000u : 0u));
  out[n++] = Feat(b + 12, tp1);
  out[n++] = Feat(b + 13, tp2);
  out[n++] = Feat(b + 14, tp1, tp2);
  out[n++] = Feat(b + 15, tp1, w.lower);
  out[n++] = Feat(b + 16, p1.lower);
  out[n++] = Feat(b + 17, p1.suffix[2]);
  out[n++] = Feat(b + 18, p2.lower);
  out[n++] = Feat(b + 19, n1.lower);
  out[n++] = Feat(b + 20, n1.suffix[2]);
  out[n++] = Feat(b + 21, n2.lower);
  out[n++] = Feat(b + 22, n1.shape);
  out[n++] = Feat(b + 23, w.lower, n1.lower);
  out[n++] = Feat(b + 24, p1.lower, w.lower);
  out[n++] = Feat(b + 25, tp1, w.suffix[2]);
  out[n++] = Feat(b + 26, tp1, n1.lower);
  out[n++] = Feat(b + 27, n1.lower, n2.lower);
  out[n++] = Feat(b + 28, tp1, w.shape);
  constexpr std::uint32_t kCase = kInitUpper | kAllUpper | kHasLower | kDigit;
  const std::uint64_t caps = w.flags & kCase;
  out[n++] = Feat(
      b + 29, ((p1.flags & 0xFFFFF) & kCase) | caps << 8 | ((n1.flags & 0xFFFFF) & kCase) << 16);
  out[n++] = Feat(b + 30, (w.flags >> 12 & 3) | caps << 4 | (i == 0 ? 0x1000u : 0u));
  out[n++] = Feat(b + 31, w.flags >> 12 & 3, w.suffix[2]);
  out[n++] = Feat(b + 32, caps | (i == 0 ? 0x1000u : 0u), w.suffix[2]);
  out[n++] = Feat(b + 33, w.suffix[4]);
  if (next != nullptr) {
    const std::uint64_t tn1 = TagValue(next[0]);
    const std::uint64_t tn2 = TagValue(next[1]);
    out[n++] = Feat(b + 40, tn1);
    out[n++] = Feat(b + 41, tn1, tn2);
    out[n++] = Feat(b + 42, tn1, w.lower);
    out[n++] = Feat(b + 43, tn1, tp1);
    out[n++] = Feat(b + 44, tn1, w.suffix[2]);
    out[n++] = Feat(b + 45, tn1, caps);
    out[n++] = Feat(b + 46, tn1, n1.lower);
    // The first pass's own tag for this word (stacking): the second pass learns when to overrule
    // it.
    const std::uint64_t t0 = TagValue(next[-1]);
    out[n++] = Feat(b + 47, t0);
    out[n++] = Feat(b + 48, t0, tn1);
    out[n++] = Feat(b + 49, t0, tp1);
    out[n++] = Feat(b + 50, tn2);
  }
  return n;
}

absl::StatusOr<std::shared_ptr<const Model>> Model::Build(const ModelData& data) {
  auto m = std::make_shared<Model>();
  m->description_ = data.description;
  m->two_pass_ = data.two_pass;
  m->second_pass_margin_ = data.second_pass_margin;
  if (data.classes.empty() || data.classes.size() > kMaxClasses) {
    return absl::InvalidArgumentError(
        Cat("model has ", data.classes.size(), " classes; expected 1 to ", kMaxClasses));
  }
  for (std::size_t c = 0; c < data.classes.size(); ++c) {
    const auto upos = ParseUpos(data.classes[c].first);
    const auto xpos = ParseXpos(data.classes[c].second);
    if (!upos || !xpos) {
      return absl::InvalidArgumentError(Cat("model class ", c, " has unknown tags '",
                                            data.classes[c].first, "'/'", data.classes[c].second,
                                            "'"));
    }
    m->classes_.push_back(PosTag{*upos, *xpos, static_cast<std::uint8_t>(c)});
  }
  const std::size_t num_features = data.keys.size();
  const std::size_t num_entries = data.entry_class.size();
  if (data.offsets.size() != num_features + 1 || data.offsets.front() != 0 ||
      data.offsets.back() != num_entries || data.entry_weight.size() != num_entries) {
    return absl::InvalidArgumentError("model feature tables have inconsistent sizes");
  }
  for (std::size_t f = 0; f < num_features; ++f) {
    if (data.offsets[f] > data.offsets[f + 1]) {
      return absl::InvalidArgumentError("model feature offsets are not increasing");
    }
    if (data.keys[f] == 0 || (f > 0 && data.keys[f] <= data.keys[f - 1])) {
      return absl::InvalidArgumentError("model feature keys are not sorted and unique");
    }
  }
  for (std::uint8_t c : data.entry_class) {
    if (c >= data.classes.size()) {
      return absl::InvalidArgumentError("model weight refers to a class that does not exist");
    }
  }
  if (num_entries >= (std::size_t{1} << 24)) {
    return absl::InvalidArgumentError("model has more weights than the tagger can index (2^24)");
  }
  // Feature table at most 2/3 full: short probe sequences.
  const std::uint64_t cap = std::bit_ceil(std::max<std::uint64_t>(16, num_features * 3 / 2 + 1));
  m->slots_.assign(cap, Slot{0, 0});
  m->slot_mask_ = cap - 1;
  for (std::size_t f = 0; f < num_features; ++f) {
    const std::uint32_t count = data.offsets[f + 1] - data.offsets[f];
    if (count > 255) return absl::InvalidArgumentError("model feature has too many weights");
    std::uint64_t s = data.keys[f] & m->slot_mask_;
    while (m->slots_[s].check != 0) s = (s + 1) & m->slot_mask_;
    m->slots_[s] = Slot{Check(data.keys[f]), data.offsets[f] << 8 | count};
  }
  m->entries_.resize(num_entries);
  for (std::size_t e = 0; e < num_entries; ++e) {
    m->entries_[e] = (static_cast<std::uint32_t>(data.entry_class[e]) << 16) |
                     static_cast<std::uint16_t>(data.entry_weight[e]);
  }
  const std::uint64_t dict_cap =
      std::bit_ceil(std::max<std::uint64_t>(16, data.tag_dict.size() * 2));
  m->dict_.assign(dict_cap, DictSlot{0, -1});
  m->dict_mask_ = dict_cap - 1;
  std::string scratch;
  for (const auto& [word, cls] : data.tag_dict) {
    if (cls >= data.classes.size()) {
      return absl::InvalidArgumentError(
          "model tag dictionary refers to a class that does not exist");
    }
    std::uint64_t key = WordKey(word, &scratch);
    if (key == 0) key = 1;
    std::uint64_t s = key & m->dict_mask_;
    while (m->dict_[s].key != 0 && m->dict_[s].key != key) s = (s + 1) & m->dict_mask_;
    m->dict_[s] = DictSlot{key, cls};
  }
  return std::shared_ptr<const Model>(std::move(m));
}

std::size_t Model::MemoryBytes() const {
  std::size_t b = sizeof(*this) + description_.capacity();
  b += classes_.capacity() * sizeof(PosTag);
  b += slots_.capacity() * sizeof(Slot);
  b += entries_.capacity() * sizeof(std::uint32_t);
  b += dict_.capacity() * sizeof(DictSlot);
  return b;
}

int Model::DictLookup(std::uint64_t word_key) const {
  if (word_key == 0) word_key = 1;
  std::uint64_t s = word_key & dict_mask_;
  while (true) {
    const DictSlot& d = dict_[s];
    if (d.key == word_key) return d.cls;
    if (d.key == 0) return -1;
    s = (s + 1) & dict_mask_;
  }
}

int Model::Predict(const std::uint64_t* features, int n, std::int32_t* scores,
                   std::int32_t* margin) const {
  // The tables are far larger than the caches, so every lookup is a likely cache miss: prefetch
  // all slots first and all weight lists next, so the misses overlap instead of queueing.
  n = std::min(n, kMaxFeatures);
  for (int f = 0; f < n; ++f) __builtin_prefetch(&slots_[features[f] & slot_mask_]);
  const std::uint32_t* found[kMaxFeatures];
  std::uint32_t counts[kMaxFeatures];
  int num_found = 0;
  for (int f = 0; f < n; ++f) {
    const std::uint64_t key = features[f];
    const std::uint32_t check = Check(key);
    std::uint64_t s = key & slot_mask_;
    while (true) {
      const Slot& slot = slots_[s];
      if (slot.check == check) {
        found[num_found] = entries_.data() + (slot.entries >> 8);
        counts[num_found] = slot.entries & 0xFF;
        __builtin_prefetch(found[num_found]);
        ++num_found;
        break;
      }
      if (slot.check == 0) break;
      s = (s + 1) & slot_mask_;
    }
  }
  const std::size_t num_classes = classes_.size();
  std::fill(scores, scores + num_classes, 0);
  for (int f = 0; f < num_found; ++f) {
    const std::uint32_t* e = found[f];
    for (std::uint32_t k = 0; k < counts[f]; ++k) {
      scores[e[k] >> 16] += static_cast<std::int16_t>(e[k] & 0xFFFF);
    }
  }
  int best = 0;
  for (std::size_t c = 1; c < num_classes; ++c) {
    if (scores[c] > scores[best]) best = static_cast<int>(c);
  }
  if (margin != nullptr) {
    std::int32_t second = std::numeric_limits<std::int32_t>::min();
    for (std::size_t c = 0; c < num_classes; ++c) {
      if (static_cast<int>(c) != best) second = std::max(second, scores[c]);
    }
    *margin = num_classes > 1 ? scores[best] - second : std::numeric_limits<std::int32_t>::max();
  }
  return best;
}

namespace {

class Writer {
 public:
  void Bytes(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  template <typename T>
  void Int(T v) {
    using U = std::make_unsigned_t<T>;
    auto u = static_cast<U>(v);
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      out_.push_back(static_cast<char>(static_cast<unsigned char>(u & 0xFF)));
      if constexpr (sizeof(T) > 1) u = static_cast<U>(u >> 8);
    }
  }
  void Str8(std::string_view s) {
    Int<std::uint8_t>(static_cast<std::uint8_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  void Str16(std::string_view s) {
    Int<std::uint16_t>(static_cast<std::uint16_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  void Str32(std::string_view s) {
    Int<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::size_t remaining() const { return data_.size() - pos_; }
  bool Bytes(std::size_t n, std::string_view* out) {
    if (n > remaining()) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  template <typename T>
  bool Int(T* v) {
    if (sizeof(T) > remaining()) return false;
    using U = std::make_unsigned_t<T>;
    U u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      u = static_cast<U>(u |
                         (static_cast<U>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i)));
    }
    pos_ += sizeof(T);
    *v = static_cast<T>(u);
    return true;
  }
  template <typename Len>
  bool Str(std::string* out) {
    Len n = 0;
    std::string_view s;
    if (!Int(&n) || !Bytes(n, &s)) return false;
    *out = std::string(s);
    return true;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string SerializeModel(const ModelData& data) {
  Writer w;
  w.Bytes(kMagic, sizeof(kMagic));
  w.Int<std::uint32_t>(kVersion);
  w.Int<std::uint32_t>(data.two_pass ? 1u : 0u);
  w.Int<std::int32_t>(data.second_pass_margin);
  w.Str32(data.description);
  w.Int<std::uint32_t>(static_cast<std::uint32_t>(data.classes.size()));
  for (const auto& [upos, xpos] : data.classes) {
    w.Str8(upos);
    w.Str8(xpos);
  }
  w.Int<std::uint32_t>(static_cast<std::uint32_t>(data.tag_dict.size()));
  for (const auto& [word, cls] : data.tag_dict) {
    w.Str16(word);
    w.Int<std::uint8_t>(cls);
  }
  w.Int<std::uint32_t>(static_cast<std::uint32_t>(data.keys.size()));
  w.Int<std::uint32_t>(static_cast<std::uint32_t>(data.entry_class.size()));
  for (std::uint64_t k : data.keys) w.Int<std::uint64_t>(k);
  for (std::size_t f = 0; f < data.keys.size(); ++f) {
    w.Int<std::uint8_t>(static_cast<std::uint8_t>(data.offsets[f + 1] - data.offsets[f]));
  }
  w.Bytes(data.entry_class.data(), data.entry_class.size());
  for (std::int16_t v : data.entry_weight) w.Int<std::int16_t>(v);
  const std::uint64_t checksum = HashBytes(w.out(), 99);
  w.Int<std::uint64_t>(checksum);
  return std::move(w.out());
}

absl::StatusOr<ModelData> ParseModel(std::string_view bytes, std::string_view name) {
  auto bad = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        Cat("tagger model ", name, ": ", what,
            "; re-create it with dyad-train-tagger or restore data/models/"));
  };
  if (bytes.size() < sizeof(kMagic) + 4 + 8) return bad("file too short to be a model");
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return bad("not a dyad tagger model (wrong magic)");
  }
  Reader header(bytes.substr(sizeof(kMagic)));
  std::uint32_t version = 0;
  header.Int(&version);
  if (version != kVersion) {
    return bad(
        Cat("unsupported model version ", version, " (this build reads version ", kVersion, ")"));
  }
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  Reader tail(bytes.substr(bytes.size() - 8));
  std::uint64_t checksum = 0;
  tail.Int(&checksum);
  if (checksum != HashBytes(body, 99)) return bad("checksum mismatch (truncated or corrupted)");

  Reader r(body.substr(sizeof(kMagic) + 4));
  ModelData d;
  std::uint32_t flags = 0;
  if (!r.Int(&flags) || !r.Int(&d.second_pass_margin) || !r.Str<std::uint32_t>(&d.description)) {
    return bad("truncated header");
  }
  d.two_pass = (flags & 1u) != 0;
  std::uint32_t num_classes = 0;
  if (!r.Int(&num_classes) || num_classes == 0 || num_classes > kMaxClasses) {
    return bad("bad class count");
  }
  d.classes.resize(num_classes);
  for (auto& [upos, xpos] : d.classes) {
    if (!r.Str<std::uint8_t>(&upos) || !r.Str<std::uint8_t>(&xpos)) return bad("truncated classes");
  }
  std::uint32_t dict_size = 0;
  if (!r.Int(&dict_size) || dict_size > r.remaining() / 3) return bad("bad tag dictionary size");
  d.tag_dict.resize(dict_size);
  for (auto& [word, cls] : d.tag_dict) {
    if (!r.Str<std::uint16_t>(&word) || !r.Int(&cls)) return bad("truncated tag dictionary");
  }
  std::uint32_t num_features = 0;
  std::uint32_t num_entries = 0;
  if (!r.Int(&num_features) || !r.Int(&num_entries)) return bad("truncated feature header");
  const std::uint64_t need = std::uint64_t{num_features} * 9 + std::uint64_t{num_entries} * 3;
  if (need != r.remaining()) return bad("feature table size does not match the file size");
  d.keys.resize(num_features);
  for (auto& k : d.keys) r.Int(&k);
  d.offsets.resize(num_features + 1);
  d.offsets[0] = 0;
  std::uint64_t total = 0;
  for (std::uint32_t f = 0; f < num_features; ++f) {
    std::uint8_t count = 0;
    r.Int(&count);
    total += count;
    if (total > num_entries) return bad("feature entry counts exceed the entry table");
    d.offsets[f + 1] = static_cast<std::uint32_t>(total);
  }
  if (total != num_entries) return bad("feature entry counts do not add up");
  d.entry_class.resize(num_entries);
  for (auto& c : d.entry_class) r.Int(&c);
  d.entry_weight.resize(num_entries);
  for (auto& v : d.entry_weight) r.Int(&v);
  return d;
}

}  // namespace dyad::tagger::internal
