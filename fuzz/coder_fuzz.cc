// libFuzzer entry point for dyad::coder: the input is coded as one sentence (CodeText) and as an
// article body (CodeArticle, with its first line also offered as Article.dateline). Besides
// crashes and hangs it checks the coder's output contract and aborts when it is broken: at most
// 2000 events, offsets inside the text, and, when the input is valid UTF-8 (as every Article.body
// in the pipeline is), every string valid UTF-8. Invalid input bytes are copied into
// Event.sentence today (see libs/coder/tests/robustness_test.cc, InvalidUtf8NeverReachesTheEvents).
//
// Built twice by fuzz/CMakeLists.txt: as dyad-fuzz-coder (clang, -fsanitize=fuzzer) and as
// coder_fuzz_replay (any compiler, replay_main.cc runs the checked-in corpus as a ctest test).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dyad/coder/coder.h"
#include "dyad/core/utf8.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace {

const dyad::coder::Coder& SharedCoder() {
  static const dyad::coder::Coder* coder = [] {
    auto loaded = dyad::coder::Coder::Load(dyad::coder::DefaultCoderOptions());
    if (!loaded.ok()) {
      std::fprintf(stderr, "coder_fuzz: cannot load the coder: %s\n",
                   std::string(loaded.status().message()).c_str());
      std::abort();
    }
    return loaded->release();
  }();
  return *coder;
}

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "coder_fuzz: contract broken: %s (%s)\n", what, detail.c_str());
  std::abort();
}

// Every string field of `m`, recursively, must be valid UTF-8.
void CheckStrings(const google::protobuf::Message& m) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->is_repeated()) {
      const int n = r->FieldSize(m, f);
      for (int k = 0; k < n; ++k) {
        if (f->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
          const std::string s = r->GetRepeatedString(m, f, k);
          if (dyad::core::FindInvalidUtf8(s).has_value()) Fail("invalid UTF-8", f->full_name());
        } else if (f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
          CheckStrings(r->GetRepeatedMessage(m, f, k));
        }
      }
    } else if (f->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      const std::string s = r->GetString(m, f);
      if (dyad::core::FindInvalidUtf8(s).has_value()) Fail("invalid UTF-8", f->full_name());
    } else if (f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE && r->HasField(m, f)) {
      CheckStrings(r->GetMessage(m, f));
    }
  }
}

void CheckEvents(const std::vector<dyad::v1::Event>& events, std::size_t text_size,
                 bool check_utf8) {
  if (events.size() > 2000) Fail("more than 2000 events", std::to_string(events.size()));
  const auto size = static_cast<int64_t>(text_size);
  for (const auto& e : events) {
    const int64_t sb = e.sentence_begin(), se = e.sentence_end();
    const int64_t tb = e.trigger_begin(), te = e.trigger_end();
    if (!(0 <= sb && sb <= tb && tb <= te && te <= se && se <= size)) {
      Fail("offsets outside the text", std::to_string(sb) + " " + std::to_string(tb) + " " +
                                           std::to_string(te) + " " + std::to_string(se) + " / " +
                                           std::to_string(size));
    }
    for (const auto* a : {&e.source(), &e.target()}) {
      if (a->begin() < 0 || a->begin() > a->end() || a->end() > size) {
        Fail("actor offsets outside the text",
             std::to_string(a->begin()) + " " + std::to_string(a->end()));
      }
    }
    if (check_utf8) CheckStrings(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const dyad::coder::Coder& coder = SharedCoder();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const dyad::core::CivilDate date{2025, 9, 14};
  const bool valid_utf8 = !dyad::core::FindInvalidUtf8(text).has_value();

  CheckEvents(coder.CodeText("fuzz", text, date, /*split_sentences=*/false), size, valid_utf8);

  dyad::v1::Article article;
  article.set_id("fuzz");
  article.set_body(std::string(text));
  article.mutable_published_at()->set_seconds(dyad::core::DaysFromCivil(date) * 86400);
  if (const auto nl = text.find('\n'); nl != std::string_view::npos && nl <= 64) {
    article.set_dateline(std::string(text.substr(0, nl)));
  }
  CheckEvents(coder.CodeArticle(article), size, valid_utf8);
  return 0;
}
