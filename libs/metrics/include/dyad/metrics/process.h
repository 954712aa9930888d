// The standard process metrics of Prometheus client libraries, read from /proc/self at scrape
// time (Linux): process_cpu_seconds_total (user + system), process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_start_time_seconds.
//
// Thread-safety: as Registry. Errors: a /proc file that cannot be read leaves its metric out of
// that scrape (never an error).
#pragma once

#include "dyad/metrics/registry.h"

namespace dyad::metrics {

// Adds the process_* families to `registry` (once per registry: a second call throws
// std::invalid_argument, the names being taken).
void AddProcessMetrics(Registry& registry);

}  // namespace dyad::metrics
