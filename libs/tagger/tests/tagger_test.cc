#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dyad/tagger/conllu.h"
#include "dyad/tagger/pos_tagger.h"
#include "dyad/text/tokens.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model.h"  // internal: re-seals mutated model files with a valid checksum
#include "test_paths.h"

namespace dyad::tagger {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string TempPath(const std::string& name) { return ::testing::TempDir() + "/" + name; }

class PosTaggerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto tagger = PosTagger::Load(testing::ModelPath());
    ASSERT_TRUE(tagger.ok()) << tagger.status();
    tagger_ = new PosTagger(*std::move(tagger));
  }
  static void TearDownTestSuite() {
    delete tagger_;
    tagger_ = nullptr;
  }

  // Tokenises like the event coder (dyad::text::Tokenize) and tags.
  struct Tagged {
    std::vector<std::string> words;
    std::vector<PosTag> tags;
    // XPOS of the first occurrence of `word`, "?" if absent.
    std::string Xpos(std::string_view word) const {
      for (std::size_t i = 0; i < words.size(); ++i) {
        if (words[i] == word) return std::string(XposName(tags[i].xpos));
      }
      return "?";
    }
    std::string Upos(std::string_view word) const {
      for (std::size_t i = 0; i < words.size(); ++i) {
        if (words[i] == word) return std::string(UposName(tags[i].upos));
      }
      return "?";
    }
  };
  static Tagged TagText(std::string_view text) {
    Tagged out;
    for (const auto& tok : text::Tokenize(text)) out.words.push_back(tok.text);
    std::vector<std::string_view> views(out.words.begin(), out.words.end());
    out.tags = tagger_->Tag(views);
    return out;
  }

  static PosTagger* tagger_;
};

PosTagger* PosTaggerTest::tagger_ = nullptr;

TEST_F(PosTaggerTest, PassiveParticipleIsVbn) {
  const Tagged t = TagText("Pakistan was praised by the United States.");
  EXPECT_EQ(t.Xpos("Pakistan"), "NNP");
  EXPECT_EQ(t.Xpos("was"), "VBD");
  EXPECT_EQ(t.Upos("was"), "AUX");
  EXPECT_EQ(t.Xpos("praised"), "VBN");
  EXPECT_EQ(t.Upos("praised"), "VERB");
  EXPECT_EQ(t.Xpos("by"), "IN");
  EXPECT_EQ(t.Xpos("."), ".");
}

TEST_F(PosTaggerTest, PastTenseVerbAndPluralNoun) {
  const Tagged t = TagText("The US imposed tariffs on India.");
  EXPECT_EQ(t.Xpos("The"), "DT");
  EXPECT_EQ(t.Xpos("imposed"), "VBD");
  EXPECT_EQ(t.Xpos("tariffs"), "NNS");
  EXPECT_EQ(t.Upos("tariffs"), "NOUN");
  EXPECT_EQ(t.Xpos("India"), "NNP");
}

TEST_F(PosTaggerTest, PresentTenseAndCliticsInCoderTokenisation) {
  const Tagged t = TagText("Pakistan's prime minister says India didn't attend the talks.");
  ASSERT_EQ(t.words[1], "'s");
  EXPECT_EQ(t.Xpos("'s"), "POS");
  EXPECT_EQ(t.Xpos("says"), "VBZ");
  EXPECT_EQ(t.Xpos("did"), "VBD");
  EXPECT_EQ(t.Xpos("n't"), "RB");
  EXPECT_EQ(t.Xpos("attend"), "VB");
  EXPECT_EQ(t.Xpos("talks"), "NNS");
}

TEST_F(PosTaggerTest, HyphenatedWordsAsOneToken) {
  // dyad::text keeps "high-level" and "al-Qaeda" whole; the treebank splits them.
  const Tagged t = TagText("They held high-level talks with al-Qaeda leaders in the U.S. capital.");
  ASSERT_EQ(t.Xpos("high-level"), "JJ");
  EXPECT_EQ(t.Xpos("talks"), "NNS");
  EXPECT_EQ(t.Upos("al-Qaeda"), "PROPN");
  EXPECT_EQ(t.Xpos("leaders"), "NNS");
  EXPECT_EQ(t.Xpos("U.S."), "NNP");
  EXPECT_EQ(t.Xpos("held"), "VBD");
}

TEST_F(PosTaggerTest, CurlyQuotesAreNormalised) {
  const std::vector<std::string_view> curly = {"He", "said",         "\xE2\x80\x9C",
                                               "no", "\xE2\x80\x9D", "."};
  const std::vector<std::string_view> straight = {"He", "said", "\"", "no", "\"", "."};
  EXPECT_EQ(tagger_->Tag(curly), tagger_->Tag(straight));
}

TEST_F(PosTaggerTest, EmptyInput) { EXPECT_TRUE(tagger_->Tag({}).empty()); }

TEST_F(PosTaggerTest, TenThousandTokens) {
  const std::vector<std::string_view> sentence = {
      "The", "minister", "met", "the", "leaders", "of", "three", "countries", "and", "left", "."};
  std::vector<std::string_view> words;
  while (words.size() < 10000) words.insert(words.end(), sentence.begin(), sentence.end());
  words.resize(10000);
  const auto tags = tagger_->Tag(words);
  ASSERT_EQ(tags.size(), words.size());
  int determiners = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] == "The" || words[i] == "the") {
      EXPECT_EQ(tags[i].xpos, Xpos::kDT) << i;
      ++determiners;
    }
    if (words[i] == "countries") {
      EXPECT_EQ(tags[i].xpos, Xpos::kNNS) << i;
    }
  }
  EXPECT_GT(determiners, 1000);
}

TEST_F(PosTaggerTest, OddBytesAndHugeWordsGetATag) {
  const std::string huge(100000, 'x');
  const std::vector<std::string_view> words = {"\xFF\xFE", huge, "", "\xE2\x80", "ok"};
  const auto tags = tagger_->Tag(words);
  ASSERT_EQ(tags.size(), words.size());
  for (const PosTag& t : tags) EXPECT_LT(t.id, tagger_->tags().size());
}

TEST_F(PosTaggerTest, SameResultFromManyThreads) {
  const std::vector<std::string_view> words = {"Officials", "in",   "Islamabad", "rejected", "the",
                                               "claims",    "made", "by",        "Delhi",    "."};
  const auto expected = tagger_->Tag(words);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int r = 0; r < 200; ++r) mismatches[k] += tagger_->Tag(words) != expected;
    });
  }
  for (auto& t : threads) t.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST_F(PosTaggerTest, TagIdsIndexTheTagList) {
  const auto& tags = tagger_->tags();
  ASSERT_GT(tags.size(), 50u);
  for (std::size_t i = 0; i < tags.size(); ++i) EXPECT_EQ(tags[i].id, i);
  EXPECT_GT(tagger_->MemoryBytes(), 1000000u);
  EXPECT_THAT(tagger_->description(), HasSubstr("en_ewt-ud-train"));
}

// Load errors --------------------------------------------------------------------------------

TEST(PosTaggerLoadTest, MissingFileIsNotFound) {
  auto t = PosTagger::Load(TempPath("no-such-model.bin"));
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("no-such-model.bin"));
}

void ExpectInvalid(std::string_view bytes, const std::string& name, std::string_view why) {
  const std::string path = TempPath(name);
  WriteFile(path, bytes);
  auto t = PosTagger::Load(path);
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << name << ": " << t.status();
  EXPECT_THAT(std::string(t.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(t.status().message()), HasSubstr(why));
}

TEST(PosTaggerLoadTest, BadFilesAreInvalidArgument) {
  const std::string model = ReadFile(testing::ModelPath());
  ASSERT_GT(model.size(), 1000u);
  ExpectInvalid("", "empty.bin", "too short");
  ExpectInvalid(model.substr(0, model.size() / 2), "half.bin", "checksum");
  ExpectInvalid(model.substr(0, model.size() - 1), "minus-one-byte.bin", "checksum");
  ExpectInvalid(model.substr(0, 11), "header-only.bin", "too short");
  std::string wrong_magic = model;
  wrong_magic[0] = 'X';
  ExpectInvalid(wrong_magic, "wrong-magic.bin", "magic");
  std::string wrong_version = model;
  wrong_version[8] = static_cast<char>(wrong_version[8] + 1);
  ExpectInvalid(wrong_version, "wrong-version.bin", "version");
  std::string flipped = model;
  flipped[model.size() / 2] = static_cast<char>(flipped[model.size() / 2] ^ 0x10);
  ExpectInvalid(flipped, "flipped.bin", "checksum");
  std::mt19937 rng(7);
  std::string random(4096, '\0');
  for (char& c : random) c = static_cast<char>(rng() & 0xFF);
  ExpectInvalid(random, "random.bin", "magic");
  // Random bytes after a valid magic and version.
  ExpectInvalid(model.substr(0, 12) + random, "random-body.bin", "checksum");
}

// Training ----------------------------------------------------------------------------------

constexpr std::string_view kTiny = R"(# sent_id = a
1	The	the	DET	DT	_	2	det	_	_
2	dog	dog	NOUN	NN	_	3	nsubj	_	_
3	barked	bark	VERB	VBD	_	0	root	_	SpaceAfter=No
4	.	.	PUNCT	.	_	3	punct	_	_

# sent_id = b
1	The	the	DET	DT	_	2	det	_	_
2	cats	cat	NOUN	NNS	_	3	nsubj	_	_
3	slept	sleep	VERB	VBD	_	0	root	_	SpaceAfter=No
4	.	.	PUNCT	.	_	3	punct	_	_

# sent_id = c
1	A	a	DET	DT	_	2	det	_	_
2	dog	dog	NOUN	NN	_	3	nsubj	_	_
3	slept	sleep	VERB	VBD	_	0	root	_	SpaceAfter=No
4	.	.	PUNCT	.	_	3	punct	_	_
)";

TEST(TrainerTest, TrainsSavesAndReloadsDeterministically) {
  auto sentences = ParseConllu(kTiny, "tiny");
  ASSERT_TRUE(sentences.ok()) << sentences.status();
  TrainerOptions opt;
  opt.iterations = 5;
  opt.tag_dict_min_count = 1000;  // no tag dictionary: the perceptron must learn everything
  std::vector<int> iterations;
  Trainer trainer(opt);
  ASSERT_TRUE(trainer
                  .Train(*sentences, *sentences,
                         [&](const IterationReport& r) { iterations.push_back(r.iteration); })
                  .ok());
  EXPECT_EQ(iterations.size(), 5u);
  auto tagger = trainer.Tagger();
  ASSERT_TRUE(tagger.ok()) << tagger.status();
  const std::vector<std::string_view> words = {"The", "dog", "slept", "."};
  const auto tags = tagger->Tag(words);
  ASSERT_EQ(tags.size(), 4u);
  EXPECT_EQ(tags[0].xpos, Xpos::kDT);
  EXPECT_EQ(tags[1].xpos, Xpos::kNN);
  EXPECT_EQ(tags[2].xpos, Xpos::kVBD);
  EXPECT_EQ(tags[3].xpos, Xpos::kPeriod);

  const std::string path1 = TempPath("tiny1.bin");
  const std::string path2 = TempPath("tiny2.bin");
  ASSERT_TRUE(trainer.Save(path1, "tiny").ok());
  Trainer again(opt);
  ASSERT_TRUE(again.Train(*sentences, *sentences).ok());
  ASSERT_TRUE(again.Save(path2, "tiny").ok());
  EXPECT_EQ(ReadFile(path1), ReadFile(path2));

  auto loaded = PosTagger::Load(path1);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->Tag(words), tags);
  EXPECT_EQ(loaded->description(), "tiny");
}

TEST(TrainerTest, TwoPassModelRoundTrips) {
  auto sentences = ParseConllu(kTiny, "tiny");
  ASSERT_TRUE(sentences.ok());
  TrainerOptions opt;
  opt.iterations = 3;
  opt.two_pass = true;
  opt.jackknife_folds = 2;
  Trainer trainer(opt);
  std::vector<int> passes;
  ASSERT_TRUE(
      trainer.Train(*sentences, {}, [&](const IterationReport& r) { passes.push_back(r.pass); })
          .ok());
  EXPECT_EQ(passes, (std::vector<int>{1, 1, 1, 2, 2, 2}));
  const std::string path = TempPath("tiny-two-pass.bin");
  ASSERT_TRUE(trainer.Save(path, "").ok());
  auto loaded = PosTagger::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const std::vector<std::string_view> words = {"A", "dog", "barked", "."};
  EXPECT_EQ(loaded->Tag(words), trainer.Tagger()->Tag(words));
}

// Mutated or cut files whose checksum was recomputed reach the structural checks: each must load
// or fail with INVALID_ARGUMENT, never crash (run under ASan in the asan preset).
TEST(PosTaggerLoadTest, StructurallyBrokenFilesWithValidChecksum) {
  auto sentences = ParseConllu(kTiny, "tiny");
  ASSERT_TRUE(sentences.ok());
  TrainerOptions opt;
  opt.iterations = 2;
  opt.tag_dict_min_count = 2;
  Trainer trainer(opt);
  ASSERT_TRUE(trainer.Train(*sentences, {}).ok());
  const std::string path = TempPath("tiny-mutate.bin");
  ASSERT_TRUE(trainer.Save(path, "d").ok());
  const std::string model = ReadFile(path);
  auto reseal = [](std::string body) {
    std::uint64_t sum = internal::HashBytes(body, 99);
    for (int i = 0; i < 8; ++i) {
      body.push_back(static_cast<char>(sum & 0xFF));
      sum >>= 8;
    }
    return body;
  };
  ASSERT_EQ(reseal(model.substr(0, model.size() - 8)), model);
  const std::vector<std::string_view> words = {"The", "dog", "."};
  int loaded = 0;
  int rejected = 0;
  auto check = [&](const std::string& bytes) {
    auto t = PosTagger::FromBytes(bytes, "mutant");
    if (t.ok()) {
      ++loaded;
      EXPECT_EQ(t->Tag(words).size(), 3u);
    } else {
      ++rejected;
      EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << t.status();
    }
  };
  const std::string body = model.substr(0, model.size() - 8);
  for (std::size_t pos = 12; pos < body.size(); ++pos) {
    for (int delta : {1, 0x7F, 0xFF}) {
      std::string mutated = body;
      mutated[pos] = static_cast<char>(mutated[pos] + delta);
      check(reseal(mutated));
    }
  }
  for (std::size_t len = 12; len < body.size(); ++len) check(reseal(body.substr(0, len)));
  EXPECT_GT(rejected, 1000);
  EXPECT_GT(loaded, 0);  // weight bytes can change freely
}

TEST(TrainerTest, RejectsBadTrainingData) {
  Trainer empty({});
  EXPECT_EQ(empty.Train({}, {}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.Tagger().status().code(), absl::StatusCode::kFailedPrecondition);
  auto bad = ParseConllu("1\tx\tx\tNOPE\tNN\t_\t0\troot\t_\t_\n", "bad");
  ASSERT_TRUE(bad.ok());
  Trainer trainer({});
  const absl::Status status = trainer.Train(*bad, {});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("NOPE"));
}

}  // namespace
}  // namespace dyad::tagger
