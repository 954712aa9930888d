#include "dyad/ingest/readers.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "dyad/core/dates.h"
#include "dyad/core/utf8.h"
#include "strings.h"

namespace dyad::ingest {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kBom = "\xEF\xBB\xBF";
// Deeper JSON is rejected before parsing (keeps the parser's and destructor's stacks small).
constexpr int kMaxJsonDepth = 32;

std::string_view Trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool IsUrlLine(std::string_view line) {
  return line.find("://") != std::string_view::npos &&
         line.find_first_of(" \t") == std::string_view::npos;
}

std::string Extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return ext;
}

bool Supported(const fs::path& path) {
  const std::string ext = Extension(path);
  return ext == ".txt" || ext == ".jsonl";
}

// Depth of nested arrays/objects, ignoring brackets inside strings.
int JsonDepth(std::string_view text) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

// Reads lines of at most `max_line` bytes; longer lines are skipped and flagged, never held whole.
class LineReader {
 public:
  LineReader(std::istream& in, std::size_t max_line) : in_(in), max_line_(max_line) {}

  // False at end of input. On true, `*line` holds the line without "\n" (or "" and `*too_long`).
  bool Next(std::string* line, bool* too_long) {
    line->clear();
    *too_long = false;
    bool any = false;
    while (true) {
      if (pos_ == len_) {
        if (!Fill()) return any;
      }
      any = true;
      const char* start = buffer_ + pos_;
      const char* nl = static_cast<const char*>(std::memchr(start, '\n', len_ - pos_));
      const std::size_t n = nl ? static_cast<std::size_t>(nl - start) : len_ - pos_;
      if (!*too_long) {
        if (line->size() + n > max_line_) {
          *too_long = true;
          line->clear();
          line->shrink_to_fit();
        } else {
          line->append(start, n);
        }
      }
      pos_ += n;
      if (nl) {
        ++pos_;
        return true;
      }
    }
  }

 private:
  bool Fill() {
    in_.read(buffer_, sizeof buffer_);
    len_ = static_cast<std::size_t>(in_.gcount());
    pos_ = 0;
    return len_ > 0;
  }

  std::istream& in_;
  std::size_t max_line_;
  char buffer_[64 * 1024] = {};
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
};

absl::StatusOr<std::string> OptionalString(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return FieldError(key, Cat("must be a string, not ", it->type_name()));
  }
  return it->get<std::string>();
}

}  // namespace

std::string RecordError::ToString() const {
  return line > 0 ? Cat(file, ":", line, ": ", status.message())
                  : Cat(file, ": ", status.message());
}

absl::StatusOr<ArticleInput> ParseSeedText(std::string_view content, const ReadOptions& options,
                                           int* first_text_line) {
  if (auto bad = core::FindInvalidUtf8(content)) {
    const auto line =
        1 + std::count(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(*bad), '\n');
    return FieldError("text", Cat("invalid UTF-8 on line ", line, " (byte offset ", *bad,
                                  " of the file); re-encode the file as UTF-8"));
  }
  if (content.substr(0, kBom.size()) == kBom) content.remove_prefix(kBom.size());
  if (Trim(content).empty()) {
    return FieldError("text",
                      "the file is empty; it should hold the URL, summary bullets and body");
  }
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= content.size();) {
    const auto nl = content.find('\n', start);
    const auto end = nl == std::string_view::npos ? content.size() : nl;
    lines.push_back(content.substr(start, end - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  ArticleInput input;
  input.published_at = options.published_at;
  std::size_t i = 0;
  while (i < lines.size() && Trim(lines[i]).empty()) ++i;
  if (i < lines.size() && IsUrlLine(Trim(lines[i]))) {
    input.url = std::string(Trim(lines[i]));
    ++i;
  }
  while (i < lines.size()) {
    const std::string_view line = Trim(lines[i]);
    if (line.empty()) {
      ++i;
    } else if (line.size() > 2 && line.substr(0, 2) == "- ") {
      input.summary.emplace_back(Trim(line.substr(2)));
      ++i;
    } else {
      break;
    }
  }
  if (first_text_line != nullptr) *first_text_line = static_cast<int>(i + 1);
  for (std::size_t k = i; k < lines.size(); ++k) {
    if (k > i) input.text.push_back('\n');
    input.text.append(lines[k]);
  }
  return input;
}

absl::StatusOr<ArticleInput> ParseJsonRecord(std::string_view line, const ReadOptions& options) {
  if (auto bad = core::FindInvalidUtf8(line)) {
    return absl::InvalidArgumentError(
        Cat("invalid UTF-8 at byte offset ", *bad, " of the line; re-encode the file as UTF-8"));
  }
  if (line.substr(0, kBom.size()) == kBom) line.remove_prefix(kBom.size());
  if (JsonDepth(line) > kMaxJsonDepth) {
    return absl::InvalidArgumentError(
        Cat("JSON nested deeper than ", kMaxJsonDepth, " levels; expected a flat object"));
  }
  const nlohmann::json record = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                                      /*allow_exceptions=*/false);
  if (record.is_discarded()) {
    return absl::InvalidArgumentError(
        "malformed JSON; each line must be one JSON object such as "
        "{\"url\": ..., \"title\": ..., \"published_at\": ..., \"text\": ...}");
  }
  if (!record.is_object()) {
    return absl::InvalidArgumentError(
        Cat("the line is a JSON ", record.type_name(), ", expected an object"));
  }
  ArticleInput input;
  auto text = record.find("text");
  if (text == record.end() || text->is_null()) {
    return FieldError("text", "is missing; each record needs the article body in \"text\"");
  }
  if (!text->is_string()) {
    return FieldError("text", Cat("must be a string, not ", text->type_name()));
  }
  input.text = text->get<std::string>();
  for (auto [key, target] :
       {std::pair{"url", &input.url}, std::pair{"title", &input.title},
        std::pair{"source", &input.source}, std::pair{"language", &input.language}}) {
    auto value = OptionalString(record, key);
    if (!value.ok()) return value.status();
    *target = *std::move(value);
  }
  if (auto published = record.find("published_at");
      published != record.end() && !published->is_null()) {
    if (published->is_string()) {
      const auto& s = published->get_ref<const std::string&>();
      const auto seconds = core::ParseTimestamp(s);
      if (!seconds) {
        return FieldError(
            "published_at",
            Cat("'", s.substr(0, 40), "' is not an RFC 3339 time such as 2025-03-14T20:30:26Z"));
      }
      input.published_at = absl::FromUnixSeconds(*seconds);
    } else if (published->is_number_integer()) {
      input.published_at = absl::FromUnixSeconds(published->get<int64_t>());
    } else {
      return FieldError(
          "published_at",
          Cat("must be an RFC 3339 string or integer epoch seconds, not ", published->type_name()));
    }
  } else {
    input.published_at = options.published_at;
  }
  if (auto summary = record.find("summary"); summary != record.end() && !summary->is_null()) {
    if (!summary->is_array()) return FieldError("summary", "must be an array of strings");
    for (const auto& bullet : *summary) {
      if (!bullet.is_string()) return FieldError("summary", "must be an array of strings");
      input.summary.push_back(bullet.get<std::string>());
    }
  }
  return input;
}

absl::Status ReadArticleFile(const fs::path& file, const ReadOptions& options,
                             const RecordCallback& on_record, const ErrorCallback& on_error) {
  const std::string name = file.string();
  auto file_error = [&](absl::Status status) {
    on_error(RecordError{name, 0, std::move(status)});
    return absl::OkStatus();
  };
  const std::string ext = Extension(file);
  if (ext != ".txt" && ext != ".jsonl") {
    return file_error(absl::InvalidArgumentError(
        "unsupported file type; use .txt (seed format) or .jsonl (JSON Lines)"));
  }
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return file_error(absl::NotFoundError("not a readable regular file"));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return file_error(absl::PermissionDeniedError("cannot open the file for reading"));

  if (ext == ".txt") {
    const auto size = fs::file_size(file, ec);
    if (ec) return file_error(absl::PermissionDeniedError("cannot read the file size"));
    if (size > options.max_record_bytes) {
      return file_error(absl::InvalidArgumentError(
          Cat("the file is ", size, " bytes, over the limit of ", options.max_record_bytes,
              " bytes for one article; split it or raise --max-article-bytes")));
    }
    std::string content(static_cast<std::size_t>(size), '\0');
    in.read(content.data(), static_cast<std::streamsize>(size));
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (auto bad = core::FindInvalidUtf8(content)) {
      const auto line = 1 + std::count(content.begin(),
                                       content.begin() + static_cast<std::ptrdiff_t>(*bad), '\n');
      on_error(RecordError{name, static_cast<int>(line),
                           FieldError("text", Cat("invalid UTF-8 at byte offset ", *bad,
                                                  " of the file; re-encode it as UTF-8"))});
      return absl::OkStatus();
    }
    int text_line = 1;
    auto input = ParseSeedText(content, options, &text_line);
    if (!input.ok()) return file_error(input.status());
    return on_record(SourceRecord{name, 1, *std::move(input), text_line});
  }

  LineReader reader(in, options.max_record_bytes);
  std::string line;
  bool too_long = false;
  int number = 0;
  int records = 0;
  while (reader.Next(&line, &too_long)) {
    ++number;
    if (too_long) {
      ++records;
      on_error(
          RecordError{name, number,
                      absl::InvalidArgumentError(Cat(
                          "the line is over the limit of ", options.max_record_bytes,
                          " bytes; skipped (split the article or raise --max-article-bytes)"))});
      continue;
    }
    if (Trim(line).empty()) continue;
    ++records;
    auto input = ParseJsonRecord(line, options);
    if (!input.ok()) {
      on_error(RecordError{name, number, input.status()});
      continue;
    }
    if (auto status = on_record(SourceRecord{name, number, *std::move(input), number});
        !status.ok()) {
      return status;
    }
  }
  if (in.bad()) return file_error(absl::DataLossError("read error in the middle of the file"));
  if (records == 0) {
    return file_error(absl::InvalidArgumentError("the file holds no records (it is empty)"));
  }
  return absl::OkStatus();
}

std::vector<fs::path> ListArticleFiles(const std::vector<std::string>& paths,
                                       const ErrorCallback& on_error) {
  std::vector<fs::path> out;
  for (const auto& given : paths) {
    const fs::path path(given);
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      on_error(RecordError{given, 0, absl::NotFoundError("no such file or directory")});
      continue;
    }
    if (fs::is_directory(status)) {
      std::vector<fs::path> found;
      fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
      for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const fs::path& entry = it->path();
        if (entry.filename().string().rfind('.', 0) == 0) {
          if (it->is_directory(ec)) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file(ec) && Supported(entry)) found.push_back(entry);
      }
      if (ec) {
        on_error(RecordError{
            given, 0, absl::PermissionDeniedError("cannot list the directory: " + ec.message())});
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (!Supported(path)) {
      on_error(RecordError{given, 0,
                           absl::InvalidArgumentError("unsupported file type; use .txt (seed "
                                                      "format) or .jsonl (JSON Lines)")});
    } else {
      out.push_back(path);
    }
  }
  return out;
}

}  // namespace dyad::ingest
