// Feeding files to dyad from the `dyad` command.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dyad/ingest/ingest_files.h"

namespace dyad::cli {

// Publishes each record with IngestService.Publish on the dyad-ingest server at `address`
// (60 s deadline per call). INVALID_ARGUMENT from the server rejects the record; any other error
// is returned as is (wrap with WithRetry to ride out outages).
ingest::RecordPublisher GrpcRecordPublisher(const std::string& address);

struct RetryOptions {
  // A record is given up (its last error returned) once this long has passed since its first
  // failure; 0 = no retries.
  std::chrono::milliseconds retry_for{std::chrono::seconds(120)};
  // Wait before the first retry round; doubles each round up to max_backoff.
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(10)};
};

// `publish` with retries: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and ABORTED are
// retried with capped exponential backoff (the article id is stable, so a retry does not add an
// article). Concurrent callers share the retry rounds: the first failure of a round schedules the
// next one and prints one line to `log`:
//   dyad ingest: retry round N in S s: MESSAGE (T s into the outage; an article fails after
//   retrying for R s)
// and the first success after an outage prints `dyad ingest: publishing works again after N retry
// rounds (T s)`. Other errors are returned at once. `log` must outlive the returned publisher.
ingest::RecordPublisher WithRetry(ingest::RecordPublisher publish, const RetryOptions& options,
                                  std::ostream& log);

// "120s", "2m", "500ms", "1h" or a bare number of seconds ("90") → milliseconds (for
// --retry-for). INVALID_ARGUMENT otherwise.
absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text);

// "YYYY-MM-DD" or an RFC 3339 time → absl::Time (for --published-at).
absl::StatusOr<absl::Time> ParsePublishedAt(const std::string& text);

// Prints each error to stderr and one summary line to `out`, always in this form (counts are
// integers; the line is meant to be parsed):
//   files F, records R: published P, duplicates D, rejected J, failed X, unusable files U
// published + duplicates = articles that are in Kafka; failed = records not published because
// publishing failed after the retries (ingest stops at the first such record, so records after it
// are not read: run the same command again). Returns the exit code: 0 when every record was
// published or was a duplicate, 1 otherwise.
int ReportIngest(const ingest::IngestSummary& summary, std::ostream& out);

}  // namespace dyad::cli
