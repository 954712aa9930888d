// Reading articles from files: the seed plain-text format (.txt) and JSON Lines (.jsonl).
//
// Seed .txt (one article per file, UTF-8):
//   line 1      the article's URL, when it contains "://" and no spaces (otherwise the file has
//               no URL and line 1 is body text);
//   then        summary bullets, each line starting with "- ";
//   then        the body; its first paragraph may open with a dateline ("ISLAMABAD: ...").
//   It carries no date: ReadOptions::published_at (--published-at) states one, else the ingest time
//   stands in.
// JSON Lines (.jsonl, one JSON object per line, UTF-8): "text" (required string); optional "url",
//   "title", "source", "language" (strings), "published_at" (RFC 3339 string such as
//   "2025-03-14T20:30:26Z", or integer seconds since the epoch), "summary" (array of strings).
//   null counts as absent; other keys are ignored. Blank lines are skipped.
//
// A bad record is reported through the error callback (file and line) and reading goes on with
// the next one; nothing already accepted is lost. Thread-safety: no shared state; call from any
// thread. No exceptions escape.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dyad/ingest/article.h"

namespace dyad::ingest {

struct ReadOptions {
  // Publication time for records that state none (--published-at); nullopt: ingest time.
  std::optional<absl::Time> published_at;
  // Largest .txt file and largest .jsonl line read; bigger ones are rejected without being held in
  // memory. Set it a little above BuildOptions::max_article_bytes (JSON escapes, metadata).
  std::size_t max_record_bytes = 2 * 1024 * 1024;
};

// One record read from a file.
struct SourceRecord {
  std::string file;
  // 1-based line the record starts on (.jsonl: its line; .txt: 1).
  int line = 0;
  ArticleInput input;
  // Line of the body's first line (.txt; equal to `line` for .jsonl), to place errors in `text`.
  int text_line = 0;
};

// A record or a file that could not be used.
struct RecordError {
  std::string file;
  // 1-based line, or 0 when the whole file is at fault (unreadable, empty, too big).
  int line = 0;
  // INVALID_ARGUMENT (InvalidField names the field, when there is one) or NOT_FOUND /
  // PERMISSION_DENIED / FAILED_PRECONDITION for files.
  absl::Status status;
  // "file:line: message" (or "file: message").
  std::string ToString() const;
};

// Called for each good record. Returning non-OK stops reading (e.g. Kafka is down): the reader
// returns that status.
using RecordCallback = std::function<absl::Status(SourceRecord record)>;
using ErrorCallback = std::function<void(RecordError error)>;

// Parses one seed-format article held in memory. `first_text_line` (may be null) receives the
// 1-based line where the body starts. INVALID_ARGUMENT for invalid UTF-8 (naming line and byte
// offset) or an empty document.
absl::StatusOr<ArticleInput> ParseSeedText(std::string_view content, const ReadOptions& options,
                                           int* first_text_line = nullptr);

// Parses one JSON Lines record (without its line break). INVALID_ARGUMENT naming the field:
// malformed JSON, not an object, "text" missing or not a string, a field of the wrong type, an
// unparseable published_at, invalid UTF-8.
absl::StatusOr<ArticleInput> ParseJsonRecord(std::string_view line, const ReadOptions& options);

// Reads one .txt or .jsonl file, calling `on_record` for each good record and `on_error` for each
// bad one (and for an unreadable, empty or oversized file). Returns OK, or the first non-OK status
// `on_record` returned.
absl::Status ReadArticleFile(const std::filesystem::path& file, const ReadOptions& options,
                             const RecordCallback& on_record, const ErrorCallback& on_error);

// Expands `paths` into the files to read: a file is taken as given (it must end in .txt or
// .jsonl); a directory is walked recursively for *.txt and *.jsonl files, skipping names that
// start with '.', in sorted order. A missing path or unsupported file goes to `on_error`.
std::vector<std::filesystem::path> ListArticleFiles(const std::vector<std::string>& paths,
                                                    const ErrorCallback& on_error);

}  // namespace dyad::ingest
