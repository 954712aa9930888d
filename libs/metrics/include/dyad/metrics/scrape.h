// A scrape client for tests, benchmarks and tools: GET http://HOST:PORT/metrics over a plain
// socket, and a lookup of one sample in the text format.
//
// Thread-safety: free functions, no shared state. Not for production scraping (no keep-alive,
// no redirects, no TLS).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace dyad::metrics {

// GETs `path` from "host:port" (IPv4 or a name; [v6] too) and returns the body of a 200 answer.
// UNAVAILABLE when it cannot connect or the answer does not arrive within `timeout`; INTERNAL
// with the status line for another status code.
absl::StatusOr<std::string> HttpGet(const std::string& address,
                                    const std::string& path = "/metrics",
                                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

// The value of the sample whose series is exactly `series` (the name and its labels as written,
// e.g. `dyad_kafka_consumer_lag{topic="t",partition="0"}` or `process_open_fds`) in an exposition
// `text`; nullopt when there is no such line or its value does not parse.
std::optional<double> FindSample(std::string_view text, std::string_view series);

// A loopback TCP port that was free a moment ago (bound to port 0, then closed), for tests that
// must name a binary's --metrics-listen port in advance. Another process may take it meanwhile
// (rare); 0 when no socket could be bound.
int FreeLoopbackPort();

}  // namespace dyad::metrics
