// dyad's topic names: one place, so services and tests agree.
#pragma once

namespace dyad::kafka {

// dyad.v1.Article records, key = article id.
inline constexpr char kArticlesTopic[] = "dyad.articles.v1";
// dyad.v1.Event records, key = directed country dyad "USA>PAK".
inline constexpr char kEventsTopic[] = "dyad.events.v1";
// Articles the extractor could not handle, with error headers.
inline constexpr char kArticlesDlqTopic[] = "dyad.articles.dlq.v1";

}  // namespace dyad::kafka
