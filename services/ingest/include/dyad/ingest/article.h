// Turning what a caller or a file says about an article into a dyad.v1.Article record: validation,
// normalisation, metadata (summary bullets, dateline, source) and the stable article id.
//
// Thread-safety: every function here is pure (no state); call from any thread.
// Errors: INVALID_ARGUMENT whose message starts with the field at fault ("text: ...") and says what
// to do; the field alone is available through InvalidField(status).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dyad/v1/article.pb.h"

namespace dyad::ingest {

// One article as a caller (gRPC PublishRequest) or a file record states it. Only `text` is
// required.
struct ArticleInput {
  std::string url;
  std::string title;
  std::string text;
  // When the article was published; nullopt: the ingest time stands in.
  std::optional<absl::Time> published_at;
  std::string source;
  std::string language;
  // Summary bullets stated separately (seed .txt files). When empty, leading "- " lines of `text`
  // followed by ordinary text are taken as the summary.
  std::vector<std::string> summary;
};

// Limits checked by BuildArticle. Defaults match dyad-ingest's flags.
struct BuildOptions {
  // --max-article-bytes: largest `text`, in bytes, before normalisation.
  std::size_t max_article_bytes = 1024 * 1024;
  std::size_t max_title_bytes = 1024;
  std::size_t max_url_bytes = 2048;
  std::size_t max_source_bytes = 256;
  std::size_t max_summary_bullets = 64;
  std::size_t max_summary_bullet_bytes = 4096;
  // published_at may be at most this far ahead of the ingest time (clock skew, time zones).
  absl::Duration max_future_skew = absl::Hours(24);
  // published_at before this is rejected (a typo or a zero timestamp).
  absl::Time earliest_published_at =
      absl::FromCivil(absl::CivilDay(1900, 1, 1), absl::UTCTimeZone());
};

// Validates and normalises `input` into an Article with id, content_hash and ingested_at = `now`.
// INVALID_ARGUMENT naming the field: text (empty or whitespace-only, invalid UTF-8 with its byte
// offset, over max_article_bytes), title (too long, invalid UTF-8), url (scheme not http/https,
// no host, user info, spaces, too long), published_at (before 1900 or more than max_future_skew
// after `now`), source, language (not a BCP 47 shape), summary (too many or too long bullets).
// Normalisation: body as NormalizeText; title and source have runs of whitespace (line breaks
// too) collapsed to one space; language defaults to "en"; source defaults to SourceFromUrl.
// published_at absent → `now` with origin INGEST_TIME, else origin STATED.
absl::StatusOr<dyad::v1::Article> BuildArticle(const ArticleInput& input,
                                               const BuildOptions& options, absl::Time now);

// The field named by an INVALID_ARGUMENT from BuildArticle ("text", "url", ...), or "" when the
// status carries none.
std::string InvalidField(const absl::Status& status);

// An INVALID_ARGUMENT status for `field`: message "<field>: <message>", field kept as payload.
absl::Status FieldError(std::string_view field, std::string_view message);

// Body normalisation: CR LF and CR → LF, a leading byte-order mark dropped, other control
// characters except tab dropped, each line trimmed, blank lines dropped (paragraphs are separated
// by one "\n"). Does not check UTF-8.
std::string NormalizeText(std::string_view text);

// The canonical form of an http(s) URL used for the article id: scheme and host lower-cased,
// default port dropped, fragment dropped, utm_* query parameters dropped, trailing '/' of the path
// dropped. INVALID_ARGUMENT (field "url") when it is not an absolute http(s) URL.
absl::StatusOr<std::string> CanonicalUrl(std::string_view url);

// The host of an http(s) URL, lower-cased, without a leading "www." and port ("arab.news").
std::string SourceFromUrl(std::string_view url);

// The stable article id: "u-" + StableId(canonical URL) when `canonical_url` is non-empty, else
// "c-" + StableId(normalised body).
std::string ArticleId(std::string_view canonical_url, std::string_view normalized_body);

// The dateline place a body opens with ("ISLAMABAD: ..." → "ISLAMABAD", "WASHINGTON (Reuters) — "
// → "WASHINGTON"), or "" when it has none. The place is upper-case letters (and spaces, '.', '\'',
// '-'), 2 to 40 bytes, followed by an optional ", ..." or "(Agency)" and ':' or a dash.
std::string FindDateline(std::string_view body);

}  // namespace dyad::ingest
