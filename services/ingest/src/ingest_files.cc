#include "dyad/ingest/ingest_files.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "absl/time/clock.h"
#include "worker_pool.h"

namespace dyad::ingest {

IngestSummary IngestFiles(const std::vector<std::string>& paths, const IngestFilesOptions& options,
                          Publisher& publisher) {
  return IngestFiles(paths, options,
                     [&publisher](const SourceRecord&, const dyad::v1::Article& article) {
                       return publisher.Publish(article);
                     });
}

IngestSummary IngestFiles(const std::vector<std::string>& paths, const IngestFilesOptions& options,
                          const RecordPublisher& publish) {
  IngestSummary summary;
  std::mutex mu;  // guards summary once workers run
  // A record already counted in `records` was rejected.
  auto reject = [&](const RecordError& error) {
    std::lock_guard lock(mu);
    summary.rejected++;
    summary.errors.push_back(error.ToString());
  };
  // From the readers: a bad record (line > 0) or an unusable file or path (line 0).
  auto on_error = [&](const RecordError& error) {
    std::lock_guard lock(mu);
    if (error.line > 0) {
      summary.records++;
      summary.rejected++;
    } else {
      summary.file_errors++;
    }
    summary.errors.push_back(error.ToString());
  };
  const auto files = ListArticleFiles(paths, on_error);
  // A record may carry a text up to the limit plus metadata and JSON escapes.
  ReadOptions read = options.read;
  read.max_record_bytes =
      std::max(read.max_record_bytes, options.build.max_article_bytes * 2 + 64 * 1024);
  auto now = options.now ? options.now : [] { return absl::Now(); };

  WorkerPool pool(options.concurrency,
                  static_cast<std::size_t>(std::max(options.concurrency, 1)) * 2);
  absl::Time last_progress = absl::Now();
  auto on_record = [&](SourceRecord record) -> absl::Status {
    IngestSummary so_far;
    bool report = false;
    {
      std::lock_guard lock(mu);
      if (!summary.status.ok()) return summary.status;
      if (options.on_progress && summary.records > 0 &&
          absl::Now() - last_progress >= options.progress_every) {
        last_progress = absl::Now();
        so_far = summary;
        so_far.errors.clear();
        report = true;
      }
      summary.records++;
    }
    if (report) options.on_progress(so_far);
    auto article = BuildArticle(record.input, options.build, now());
    if (!article.ok()) {
      const std::string field = InvalidField(article.status());
      const int line = field == "text" ? record.text_line : record.line;
      reject(RecordError{record.file, line, article.status()});
      return absl::OkStatus();
    }
    auto shared = std::make_shared<std::pair<SourceRecord, dyad::v1::Article>>(std::move(record),
                                                                               *std::move(article));
    pool.Submit([&, shared] {
      {
        std::lock_guard lock(mu);
        if (!summary.status.ok()) {  // ingest stopped: do not start another publish
          summary.failed++;
          return;
        }
      }
      auto result = publish(shared->first, shared->second);
      if (!result.ok() && result.status().code() == absl::StatusCode::kInvalidArgument) {
        reject(RecordError{shared->first.file, shared->first.line, result.status()});
        return;
      }
      std::lock_guard lock(mu);
      if (!result.ok()) {
        summary.failed++;
        if (summary.status.ok()) summary.status = result.status();
        spdlog::debug("ingest: {}:{}: {}", shared->first.file, shared->first.line,
                      std::string(result.status().message()));
        return;
      }
      (result->duplicate ? summary.duplicates : summary.published)++;
    });
    return absl::OkStatus();
  };

  for (const auto& file : files) {
    {
      std::lock_guard lock(mu);
      if (!summary.status.ok()) break;
      summary.files++;
    }
    spdlog::debug("ingest: reading {}", file.string());
    if (!ReadArticleFile(file, read, on_record, on_error).ok()) break;
  }
  pool.Drain();
  pool.Shutdown();
  return summary;
}

}  // namespace dyad::ingest
