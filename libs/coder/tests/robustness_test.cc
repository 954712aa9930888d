// The coder on hostile input: huge, deeply nested, binary, invalid UTF-8, NUL bytes, very many
// sentences. Every case must return (no crash) with bounded output: at most 2000 events per call,
// offsets inside the text, every string valid UTF-8. Elapsed time is printed, never asserted.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dyad/coder/coder.h"
#include "dyad/core/dates.h"
#include "dyad/core/utf8.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"

namespace dyad::coder {
namespace {

constexpr std::size_t kMaxEvents = 2000;  // per call, as coder.h promises bounded output
constexpr std::size_t kMb = 1 << 20;
const core::CivilDate kDate{2025, 9, 14};

const Coder& SharedCoder() {
  static const Coder* coder = [] {
    auto loaded = Coder::Load(DefaultCoderOptions());
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? loaded->release() : nullptr;
  }();
  return *coder;
}

// Names of the string fields of `m` (recursively) that hold invalid UTF-8.
void InvalidUtf8Fields(const google::protobuf::Message& m, std::vector<std::string>* out) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    const bool is_string = f->type() == google::protobuf::FieldDescriptor::TYPE_STRING;
    const bool is_message = f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE;
    if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        if (is_string && core::FindInvalidUtf8(r->GetRepeatedString(m, f, k))) {
          out->push_back(f->full_name());
        }
        if (is_message) InvalidUtf8Fields(r->GetRepeatedMessage(m, f, k), out);
      }
    } else if (is_string && core::FindInvalidUtf8(r->GetString(m, f))) {
      out->push_back(f->full_name());
    } else if (is_message && r->HasField(m, f)) {
      InvalidUtf8Fields(r->GetMessage(m, f), out);
    }
  }
}

// `check_utf8`: the strings of the events must be valid UTF-8 (asserted when the input is).
void ExpectWellFormed(const std::vector<v1::Event>& events, std::string_view text,
                      bool check_utf8) {
  EXPECT_LE(events.size(), kMaxEvents);
  const auto size = static_cast<int64_t>(text.size());
  for (const auto& e : events) {
    EXPECT_LE(0, e.sentence_begin());
    EXPECT_LE(e.sentence_begin(), e.trigger_begin()) << e.ShortDebugString();
    EXPECT_LT(e.trigger_begin(), e.trigger_end()) << e.ShortDebugString();
    EXPECT_LE(e.trigger_end(), e.sentence_end()) << e.ShortDebugString();
    EXPECT_LE(e.sentence_end(), size) << e.ShortDebugString();
    for (const auto* a : {&e.source(), &e.target()}) {
      EXPECT_LE(0, a->begin());
      EXPECT_LE(a->begin(), a->end());
      EXPECT_LE(a->end(), size);
    }
    EXPECT_FALSE(e.source().country().empty());
    EXPECT_FALSE(e.target().country().empty());
    if (!check_utf8) continue;
    std::vector<std::string> bad;
    InvalidUtf8Fields(e, &bad);
    EXPECT_TRUE(bad.empty()) << "invalid UTF-8 in " << ::testing::PrintToString(bad) << ": "
                             << e.ShortDebugString().substr(0, 400);
  }
}

struct Counts {
  std::size_t one_sentence = 0;  // CodeText(..., split_sentences = false)
  std::size_t split = 0;         // CodeText(..., split_sentences = true)
  std::size_t article = 0;       // CodeArticle
};

// Codes `text` three ways, checks each output and prints the elapsed time of the case. The events'
// strings must be valid UTF-8 when `text` is, or when `require_utf8` (see
// InvalidUtf8NeverReachesTheEvents).
Counts CodeEveryWay(const std::string& name, const std::string& text, bool require_utf8 = false) {
  const auto start = std::chrono::steady_clock::now();
  const bool check_utf8 = require_utf8 || !core::FindInvalidUtf8(text).has_value();
  Counts c;
  const auto one = SharedCoder().CodeText("r", text, kDate, false);
  ExpectWellFormed(one, text, check_utf8);
  c.one_sentence = one.size();
  const auto split = SharedCoder().CodeText("r", text, kDate, true);
  ExpectWellFormed(split, text, check_utf8);
  c.split = split.size();
  v1::Article article;
  article.set_id("r");
  article.set_body(text);
  article.mutable_published_at()->set_seconds(core::DaysFromCivil(kDate) * 86400);
  const auto coded = SharedCoder().CodeArticle(article);
  ExpectWellFormed(coded, text, check_utf8);
  c.article = coded.size();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ robustness ] %-34s %9zu bytes  events %zu/%zu/%zu  %8.1f ms\n", name.c_str(),
              text.size(), c.one_sentence, c.split, c.article, ms);
  return c;
}

std::string Repeat(std::string_view unit, std::size_t min_bytes) {
  std::string s;
  s.reserve(min_bytes + unit.size());
  while (s.size() < min_bytes) s += unit;
  return s;
}

TEST(RobustnessTest, ControlSentenceIsCoded) {
  // The phrases used below do yield events, so the zero counts elsewhere mean something.
  const Counts c = CodeEveryWay("control", "Iran warned Israel.");
  EXPECT_EQ(c.one_sentence, 1u);
  EXPECT_EQ(c.article, 1u);
}

TEST(RobustnessTest, OneMegabyteSentenceWithoutPunctuation) {
  const Counts words = CodeEveryWay("1 MB lower-case words", Repeat("lorem ipsum dolor ", kMb));
  EXPECT_EQ(words.one_sentence, 0u);
  EXPECT_EQ(words.article, 0u);
  const Counts actors =
      CodeEveryWay("1 MB actor words, no punctuation", Repeat("Iran warned Israel and ", kMb));
  EXPECT_GE(actors.one_sentence, 1u);  // the sentence's first tokens are still coded
  EXPECT_GE(actors.article, 1u);
}

TEST(RobustnessTest, OneMegabyteWordWithoutSpaces) {
  const Counts c = CodeEveryWay("1 MB single word", std::string(kMb, 'x'));
  EXPECT_EQ(c.article, 0u);
}

TEST(RobustnessTest, DeepNestingOfBracketsAndQuotes) {
  constexpr std::size_t kDepth = 100000;
  std::string open, close;
  const std::string_view opens = "([{\"'";
  const std::string_view closes = ")]}\"'";
  for (std::size_t i = 0; i < kDepth; ++i) {
    open += opens[i % opens.size()];
    close += closes[(kDepth - 1 - i) % closes.size()];
  }
  CodeEveryWay("100,000 nested brackets/quotes", open + "Iran warned Israel." + close);
  CodeEveryWay("100,000 opening brackets only", open + " Iran warned Israel.");
  CodeEveryWay("100,000 quotes in sentences", Repeat("\"Iran warned Israel.\" ", 100000 * 2));
}

TEST(RobustnessTest, OneMegabyteOfRandomBytes) {
  std::mt19937 rng(20261127);
  std::string bytes(kMb, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
  CodeEveryWay("1 MB random bytes", bytes);
  // Random printable ASCII with spaces and sentence ends: many short "sentences".
  const std::string_view alphabet = "abcdefgIiIsrael .,!?\"'()-\n";
  for (auto& b : bytes) b = alphabet[rng() % alphabet.size()];
  CodeEveryWay("1 MB random printable", bytes);
}

const std::string kInvalidUtf8Cases[] = {
    "Iran \xff\xfe warned Israel \xc3 on Monday. \xed\xa0\x80 Israel \x80\x80 warned Iran "
    "\xf4\x90\x80\x80. \xc0\xaf Iran warned \xe2\x80 Israel.\xf0",
    // Invalid bytes inside the words of the trigger and the actors.
    "Ir\xff"
    "an warned Isr\xc3"
    "ael. Iran warn\x80"
    "ed Israel. Iran\xff warned Israel\xfe.",
    // A truncated multi-byte character at the end of the sentence.
    "Iran warned Israel \xe2\x80",
};

TEST(RobustnessTest, InvalidUtf8InputIsCodedWithinBounds) {
  for (const auto& text : kInvalidUtf8Cases) CodeEveryWay("invalid UTF-8", text);
}

// The coder replaces each invalid byte by '?' before coding (byte offsets unchanged), so every
// string of every event is valid UTF-8 and the event parses back as a proto3 message.
TEST(RobustnessTest, InvalidUtf8NeverReachesTheEvents) {
  for (const auto& text : kInvalidUtf8Cases) {
    CodeEveryWay("invalid UTF-8, strict", text, /*require_utf8=*/true);
  }
}

TEST(RobustnessTest, NulBytes) {
  const std::string text("Iran warned Israel.\0Israel\0warned\0Iran. \0\0\0 Iran warned Israel.",
                         64);
  ASSERT_EQ(text.size(), 64u);
  CodeEveryWay("NUL bytes", text);
  CodeEveryWay("1 MB of NUL bytes", std::string(kMb, '\0'));
}

TEST(RobustnessTest, FiftyThousandOneWordSentences) {
  const Counts c = CodeEveryWay("50,000 one-word sentences", Repeat("Yes. ", 50000 * 5));
  EXPECT_EQ(c.split, 0u);
  EXPECT_EQ(c.article, 0u);
  const Counts actors =
      CodeEveryWay("50,000 sentences with events", Repeat("Iran warned Israel. ", 50000 * 20));
  EXPECT_GE(actors.article, 1u);
}

TEST(RobustnessTest, TenMegabyteArticle) {
  const Counts c = CodeEveryWay(
      "10 MB article",
      Repeat("Iran warned Israel on Monday. The United Nations urged both countries to talk. ",
             10 * kMb));
  EXPECT_GE(c.article, 1u);
}

}  // namespace
}  // namespace dyad::coder
