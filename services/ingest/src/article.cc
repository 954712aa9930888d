#include "dyad/ingest/article.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "absl/strings/cord.h"
#include "dyad/core/ids.h"
#include "dyad/core/utf8.h"
#include "strings.h"

namespace dyad::ingest {
namespace {

constexpr char kFieldPayload[] = "type.dyad.dev/dyad.ingest.field";
constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return IsUpper(c) || IsLower(c); }
bool IsHighByte(char c) { return static_cast<unsigned char>(c) >= 0x80; }
char Lower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), Lower);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Runs of whitespace (including line breaks) become one space; ends trimmed.
std::string CollapseWhitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : Trim(s)) {
    if (IsSpace(c)) {
      space = true;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) continue;
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

absl::Status CheckUtf8(std::string_view field, std::string_view value) {
  if (auto bad = core::FindInvalidUtf8(value)) {
    return FieldError(field,
                      Cat("invalid UTF-8 at byte offset ", *bad, "; re-encode the input as UTF-8"));
  }
  return absl::OkStatus();
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  out->set_seconds(seconds);
  out->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
}

struct UrlParts {
  std::string scheme;  // lower-case
  std::string host;    // lower-case
  std::string port;    // empty when absent
  std::string_view path;
  std::string_view query;
};

absl::StatusOr<UrlParts> ParseUrl(std::string_view url) {
  for (char c : url) {
    if (IsSpace(c) || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return FieldError("url", "contains whitespace or control characters; percent-encode them");
    }
  }
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return FieldError("url", Cat("'", url.substr(0, 64),
                                 "' is not an absolute URL; give it as https://host/path"));
  }
  UrlParts parts;
  parts.scheme = ToLower(url.substr(0, sep));
  if (parts.scheme != "http" && parts.scheme != "https") {
    return FieldError("url", Cat("scheme '", url.substr(0, std::min<size_t>(sep, 32)),
                                 "' is not supported; use http or https"));
  }
  std::string_view rest = url.substr(sep + 3);
  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  rest = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    return FieldError("url", "contains user information (user@host); remove it");
  }
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return FieldError("url", "unterminated IPv6 host");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return FieldError("url", "malformed host");
      parts.port = std::string(after.substr(1));
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    parts.port = std::string(authority.substr(colon + 1));
  }
  if (host.empty()) return FieldError("url", "has no host; give it as https://host/path");
  for (char c : host) {
    if (!(IsAlpha(c) || IsDigit(c) || c == '.' || c == '-' || c == '_' || c == '[' || c == ']' ||
          c == ':' || c == '%' || IsHighByte(c))) {
      return FieldError("url", Cat("host '", host.substr(0, 64),
                                   "' contains a character not allowed in a host name"));
    }
  }
  if (!std::all_of(parts.port.begin(), parts.port.end(), IsDigit) || parts.port.size() > 5) {
    return FieldError("url", Cat("port '", parts.port.substr(0, 16), "' is not a number"));
  }
  parts.host = ToLower(host);
  if ((parts.scheme == "http" && parts.port == "80") ||
      (parts.scheme == "https" && parts.port == "443")) {
    parts.port.clear();
  }
  rest = rest.substr(0, rest.find('#'));
  const auto q = rest.find('?');
  parts.path = rest.substr(0, q);
  parts.query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
  return parts;
}

// A summary bullet line of the seed format: "- text".
bool IsBullet(std::string_view line) { return line.size() > 2 && line.substr(0, 2) == "- "; }

// Skips an upper-case place name at the start of `s`; returns its length (0 when none).
size_t PlaceLength(std::string_view s) {
  size_t i = 0;
  size_t letters = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (IsUpper(c) || IsHighByte(c)) {
      ++letters;
      ++i;
    } else if ((c == '.' || c == '\'') && i > 0) {
      ++i;
    } else if (c == '-' && i > 0 && i + 1 < s.size() && IsUpper(s[i + 1]) && s[i - 1] != ' ') {
      ++i;  // hyphenated name (PORT-AU-PRINCE), not a " - " separator
    } else if (c == ' ' && i > 0 && i + 1 < s.size() &&
               (IsUpper(s[i + 1]) || IsHighByte(s[i + 1]))) {
      ++i;
    } else {
      break;
    }
  }
  return letters >= 2 ? i : 0;
}

}  // namespace

absl::Status FieldError(std::string_view field, std::string_view message) {
  absl::Status status = absl::InvalidArgumentError(Cat(field, ": ", message));
  status.SetPayload(kFieldPayload, absl::Cord(std::string(field)));
  return status;
}

std::string InvalidField(const absl::Status& status) {
  if (auto payload = status.GetPayload(kFieldPayload)) return std::string(*payload);
  return "";
}

std::string NormalizeText(std::string_view text) {
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  std::string out;
  out.reserve(text.size());
  std::string line;
  auto end_line = [&] {
    std::string_view trimmed = Trim(line);
    if (!trimmed.empty()) {
      if (!out.empty()) out.push_back('\n');
      out.append(trimmed);
    }
    line.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_line();
    } else if (c == '\n') {
      end_line();
    } else if (c == '\t' || c == '\f' || c == '\v') {
      line.push_back(' ');
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      continue;
    } else {
      line.push_back(c);
    }
  }
  end_line();
  return out;
}

absl::StatusOr<std::string> CanonicalUrl(std::string_view url) {
  auto parts = ParseUrl(url);
  if (!parts.ok()) return parts.status();
  std::string out = Cat(parts->scheme, "://", parts->host);
  if (!parts->port.empty()) out += Cat(":", parts->port);
  std::string_view path = parts->path;
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out += path;
  std::vector<std::string_view> kept;
  for (std::string_view param : Split(parts->query, '&')) {
    if (param.empty()) continue;
    const std::string name = ToLower(param.substr(0, param.find('=')));
    if (name.rfind("utm_", 0) == 0) continue;
    kept.push_back(param);
  }
  if (!kept.empty()) out += Cat("?", Join(kept, "&"));
  return out;
}

std::string SourceFromUrl(std::string_view url) {
  auto parts = ParseUrl(url);
  if (!parts.ok()) return "";
  std::string host = parts->host;
  if (host.rfind("www.", 0) == 0) host.erase(0, 4);
  return host;
}

std::string ArticleId(std::string_view canonical_url, std::string_view normalized_body) {
  if (!canonical_url.empty()) return core::StableId("u-", canonical_url);
  return core::StableId("c-", normalized_body);
}

std::string FindDateline(std::string_view body) {
  body = body.substr(0, body.find('\n'));
  const size_t place_len = PlaceLength(body);
  if (place_len < 2 || place_len > 40) return "";
  const std::string_view place = Trim(body.substr(0, place_len));
  size_t i = place_len;
  auto skip_spaces = [&] {
    while (i < body.size() && body[i] == ' ') ++i;
  };
  skip_spaces();
  // ", Afghanistan" / ", Sept 14" before the separator.
  if (i < body.size() && body[i] == ',') {
    const size_t limit = std::min(body.size(), i + 40);
    size_t j = i + 1;
    while (j < limit && body[j] != ':' && body[j] != '(' && body.substr(j, 2) != " -" &&
           body.substr(j, 4) != " \xE2\x80\x94" && body.substr(j, 4) != " \xE2\x80\x93") {
      ++j;
    }
    if (j >= limit) return "";
    i = j;
    skip_spaces();
  }
  // "(Reuters)"
  if (i < body.size() && body[i] == '(') {
    const auto close = body.find(')', i);
    if (close == std::string_view::npos || close - i > 32) return "";
    i = close + 1;
    skip_spaces();
  }
  std::string_view rest = body.substr(i);
  size_t sep = 0;
  if (rest.substr(0, 1) == ":") {
    sep = 1;
  } else if (rest.substr(0, 3) == "\xE2\x80\x94" || rest.substr(0, 3) == "\xE2\x80\x93") {
    sep = 3;  // em or en dash
  } else if (rest.substr(0, 2) == "--") {
    sep = 2;
  } else if (rest.substr(0, 1) == "-" && i > 0 && body[i - 1] == ' ') {
    sep = 1;
  }
  if (sep == 0 || rest.size() <= sep || rest[sep] != ' ') return "";
  return std::string(place);
}

absl::StatusOr<dyad::v1::Article> BuildArticle(const ArticleInput& input,
                                               const BuildOptions& options, absl::Time now) {
  dyad::v1::Article article;

  // text: size first (cheap, and protects the rest), then UTF-8, then content.
  if (input.text.size() > options.max_article_bytes) {
    return FieldError(
        "text", Cat(input.text.size(), " bytes is over the limit of ", options.max_article_bytes,
                    " bytes (--max-article-bytes); split the article or "
                    "raise the limit"));
  }
  if (auto status = CheckUtf8("text", input.text); !status.ok()) return status;
  std::string normalized = NormalizeText(input.text);
  if (normalized.empty()) {
    return FieldError("text", "is empty or whitespace-only; send the article body");
  }

  // summary: stated, or leading "- " lines of the text followed by ordinary text.
  std::vector<std::string> summary;
  std::string body;
  if (!input.summary.empty()) {
    if (input.summary.size() > options.max_summary_bullets) {
      return FieldError("summary", Cat(input.summary.size(), " bullets is over the limit of ",
                                       options.max_summary_bullets));
    }
    for (const auto& bullet : input.summary) {
      if (auto status = CheckUtf8("summary", bullet); !status.ok()) return status;
      std::string_view b = Trim(bullet);
      if (IsBullet(b)) b = Trim(b.substr(2));
      if (!b.empty()) summary.push_back(CollapseWhitespace(b));
    }
    body = std::move(normalized);
  } else {
    std::vector<std::string_view> lines = Split(normalized, '\n');
    size_t first_body = 0;
    while (first_body < lines.size() && IsBullet(lines[first_body])) ++first_body;
    if (first_body > 0 && first_body < lines.size() && first_body <= options.max_summary_bullets) {
      for (size_t k = 0; k < first_body; ++k)
        summary.push_back(CollapseWhitespace(lines[k].substr(2)));
      body = Join(std::vector<std::string_view>(
                      lines.begin() + static_cast<std::ptrdiff_t>(first_body), lines.end()),
                  "\n");
    } else {
      body = std::move(normalized);
    }
  }
  for (const auto& bullet : summary) {
    if (bullet.size() > options.max_summary_bullet_bytes) {
      return FieldError("summary",
                        Cat("a bullet of ", bullet.size(), " bytes is over the limit of ",
                            options.max_summary_bullet_bytes));
    }
  }

  // title
  if (auto status = CheckUtf8("title", input.title); !status.ok()) return status;
  std::string title = CollapseWhitespace(input.title);
  if (title.size() > options.max_title_bytes) {
    return FieldError("title", Cat(title.size(), " bytes is over the limit of ",
                                   options.max_title_bytes, " bytes; shorten it"));
  }

  // url
  const std::string_view url = Trim(input.url);
  std::string canonical;
  if (!url.empty()) {
    if (url.size() > options.max_url_bytes) {
      return FieldError(
          "url", Cat(url.size(), " bytes is over the limit of ", options.max_url_bytes, " bytes"));
    }
    if (auto status = CheckUtf8("url", url); !status.ok()) return status;
    auto c = CanonicalUrl(url);
    if (!c.ok()) return c.status();
    canonical = *std::move(c);
  }

  // source
  if (auto status = CheckUtf8("source", input.source); !status.ok()) return status;
  std::string source = CollapseWhitespace(input.source);
  if (source.size() > options.max_source_bytes) {
    return FieldError("source", Cat(source.size(), " bytes is over the limit of ",
                                    options.max_source_bytes, " bytes"));
  }
  if (source.empty() && !url.empty()) source = SourceFromUrl(url);

  // language
  std::string language(Trim(input.language));
  if (language.empty()) language = "en";
  {
    bool ok = language.size() <= 35;
    size_t k = 0;
    size_t primary = 0;
    while (ok && k < language.size() && IsAlpha(language[k])) ++k, ++primary;
    ok = ok && primary >= 2 && primary <= 8;
    while (ok && k < language.size()) {
      if (language[k] != '-') {
        ok = false;
        break;
      }
      size_t len = 0;
      ++k;
      while (k < language.size() && (IsAlpha(language[k]) || IsDigit(language[k]))) ++k, ++len;
      ok = len >= 1 && len <= 8;
    }
    if (!ok) {
      return FieldError("language", Cat("'", language.substr(0, 40),
                                        "' is not a BCP 47 tag; use e.g. en or en-GB"));
    }
  }

  // published_at
  if (input.published_at.has_value()) {
    const absl::Time t = *input.published_at;
    if (t < options.earliest_published_at) {
      return FieldError("published_at",
                        Cat(FormatUtc(t), " is before ", FormatUtc(options.earliest_published_at),
                            "; send the publication time in UTC"));
    }
    if (t > now + options.max_future_skew) {
      return FieldError(
          "published_at",
          Cat(FormatUtc(t), " is more than ", absl::FormatDuration(options.max_future_skew),
              " after the ingest time ", FormatUtc(now), "; check the time zone"));
    }
    SetTimestamp(t, article.mutable_published_at());
    article.set_published_at_origin(dyad::v1::PUBLISHED_AT_ORIGIN_STATED);
  } else {
    SetTimestamp(now, article.mutable_published_at());
    article.set_published_at_origin(dyad::v1::PUBLISHED_AT_ORIGIN_INGEST_TIME);
  }

  article.set_id(ArticleId(canonical, body));
  article.set_url(std::string(url));
  article.set_source(std::move(source));
  article.set_title(std::move(title));
  article.set_dateline(FindDateline(body));
  article.set_content_hash(core::Sha256Hex(body));
  article.set_body(std::move(body));
  SetTimestamp(now, article.mutable_ingested_at());
  article.set_language(std::move(language));
  for (auto& bullet : summary) article.add_summary(std::move(bullet));
  return article;
}

}  // namespace dyad::ingest
