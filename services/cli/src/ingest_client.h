// Feeding files to dyad from the `dyad` command.
#pragma once

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dyad/ingest/ingest_files.h"

namespace dyad::cli {

// Publishes each record with IngestService.Publish on the dyad-ingest server at `address`.
// INVALID_ARGUMENT from the server rejects the record; UNAVAILABLE stops the run.
ingest::RecordPublisher GrpcRecordPublisher(const std::string& address);

// "YYYY-MM-DD" or an RFC 3339 time → absl::Time (for --published-at).
absl::StatusOr<absl::Time> ParsePublishedAt(const std::string& text);

// Prints each error to stderr and a one-line summary to `out`; returns the exit code (0 when
// every record was published or was a duplicate).
int ReportIngest(const ingest::IngestSummary& summary, std::ostream& out);

}  // namespace dyad::cli
