// Ingesting article files (the `dyad ingest PATH...` command): read, validate, publish, summarise.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "dyad/ingest/article.h"
#include "dyad/ingest/publisher.h"
#include "dyad/ingest/readers.h"

namespace dyad::ingest {

struct IngestSummary;

struct IngestFilesOptions {
  // read.max_record_bytes is raised to at least 2 × build.max_article_bytes + 64 KiB.
  ReadOptions read;
  BuildOptions build;
  // Records being published at once (each waits for its Kafka acknowledgement).
  int concurrency = 8;
  // Ingest time; empty = absl::Now (tests inject a fixed clock).
  std::function<absl::Time()> now;
  // Progress of a long ingest: called with the counts so far (`errors` left empty) from the
  // reading thread, at most once per `progress_every` of wall time (absl::ZeroDuration(): after
  // every record), never after the last record (the caller reports the final summary). Empty:
  // no progress.
  std::function<void(const IngestSummary& so_far)> on_progress;
  absl::Duration progress_every = absl::Seconds(5);
};

struct IngestSummary {
  // Files read.
  int64_t files = 0;
  // Records found in them, good and bad.
  int64_t records = 0;
  // Records written to Kafka.
  int64_t published = 0;
  // Records this process had already published (not written again).
  int64_t duplicates = 0;
  // Records that failed validation (each has a line in `errors`).
  int64_t rejected = 0;
  // Records not published because publishing failed (UNAVAILABLE...; see `status`), including
  // records already read when the first failure stopped ingest. Records after them are not read.
  int64_t failed = 0;
  // Paths or files that could not be used at all (missing, unsupported type, empty, too big).
  int64_t file_errors = 0;
  // "file:line: field: message" for each rejected record and each unusable file, in reading order
  // (rejections by a RecordPublisher as they come back).
  std::vector<std::string> errors;
  // OK, or why ingest stopped early (Kafka did not acknowledge: UNAVAILABLE). Records after the
  // failure were not published; running the same command again is safe (stable ids).
  absl::Status status;
};

// Publishes one built record somewhere and says what happened. INVALID_ARGUMENT rejects the record
// (counted, listed with its file and line, ingest goes on); any other error stops ingest. Called
// from up to IngestFilesOptions::concurrency threads at once.
using RecordPublisher = std::function<absl::StatusOr<PublishResult>(
    const SourceRecord& record, const dyad::v1::Article& article)>;

// Reads every file under `paths` (see ListArticleFiles and ReadArticleFile), builds each record
// into an Article (BuildArticle) and publishes it. A bad record or file is counted and listed and
// the rest goes on; a publishing failure stops everything (see IngestSummary::status). Blocks
// until done; uses up to `options.concurrency` threads.
IngestSummary IngestFiles(const std::vector<std::string>& paths, const IngestFilesOptions& options,
                          Publisher& publisher);

// The same with any destination, e.g. a dyad-ingest server over gRPC: `publish` gets the record
// (record.input converts to a PublishRequest with RequestFromInput) and the Article built from it.
IngestSummary IngestFiles(const std::vector<std::string>& paths, const IngestFilesOptions& options,
                          const RecordPublisher& publish);

}  // namespace dyad::ingest
