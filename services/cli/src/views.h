// Plain-text views of RelationsService answers for the `dyad` command: the relation table and the
// cooperation-against-conflict chart, partners, one event with its provenance, event lines for
// `dyad events` and `dyad watch`.
//
// Every function here is pure: it reads the response and the options it is given and returns the
// text (no terminal queries, no I/O), so tests assert on the exact output. Text that comes from
// the server (names, sentences, URLs) is passed through Sanitize: control characters (terminal
// escape sequences included) become spaces, so a hostile article cannot drive the terminal.
//
// Thread-safety: no state; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dyad/v1/relations_service.pb.h"

namespace dyad::cli {

// How the chart may draw.
struct ChartStyle {
  // Terminal columns the chart may use, the y-axis labels included (less than 40 is taken as 40).
  int width = 80;
  // Rows above the axis (cooperation) and as many below it (conflict), 1..50.
  int height = 6;
  // Block glyphs (█ ▄ cooperation, ▓ ▀ conflict, box-drawing axes); false: plain ASCII (+ .
  // cooperation, x ' conflict, | - axes), for logs and terminals that are not UTF-8.
  bool unicode = false;
  // ANSI colours: cooperation green, conflict red. Only with a terminal.
  bool color = false;
};

// One table row per bucket (bucket start, events, mentions, articles, sources, cooperation = quad
// classes 1+2, conflict = 3+4, Goldstein mean, tone mean, top codes as code:events) and a total
// row; then the total's top codes with names, events and mentions, and its exemplar event ids.
// "no events" when the total is empty.
std::string RenderRelationTable(const dyad::v1::GetRelationResponse& relation);

// Cooperation against conflict over time: time runs left to right, one column per bucket (or per
// group of consecutive buckets when there are more buckets than columns: their events summed),
// cooperation events as a bar up from the axis, conflict events down from it, both on one scale
// (half-row steps; a bucket with any event gets at least half a row). Buckets without events are
// drawn as gaps. The time axis spans `from`..`to` (ISO dates) when given, else the first to the
// last bucket with events. Ends with the peak bucket of each side. "no events to chart" when
// the relation is empty.
std::string RenderRelationChart(const dyad::v1::GetRelationResponse& relation,
                                dyad::v1::Bucket bucket, std::string_view from, std::string_view to,
                                const ChartStyle& style);

// One row per partner: rank, code, name, events, mentions, cooperation, conflict, Goldstein mean,
// tone mean, top codes. "no partners" when empty.
std::string RenderPartners(const dyad::v1::TopPartnersResponse& partners);

// The event (dyad, code, quad class, Goldstein, place, day), its provenance summary (mentions,
// articles, sources, first and last seen) and every mention: published time, publisher,
// confidence, code, URL, article id, byte offsets of the sentence and trigger, and the sentence
// with the trigger in [brackets] when the offsets agree with the sentence.
std::string RenderEvent(const dyad::v1::GetEventResponse& event);

// One line: event day, source -> target codes, code, Goldstein, event id, sentence (cut to about
// 90 characters at a UTF-8 boundary).
std::string FormatEventLine(const dyad::v1::Event& event);

// `text` with every control character (C0, DEL, C1) replaced by a space and invalid UTF-8 bytes
// by '?'.
std::string Sanitize(std::string_view text);

// Terminal columns `text` takes: its UTF-8 code points (every one counted as one column).
int DisplayWidth(std::string_view text);

// "day", "week", ... (the unit word of a bucket, for titles).
std::string BucketWord(dyad::v1::Bucket bucket);

}  // namespace dyad::cli
