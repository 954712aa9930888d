#include "dyad/metrics/process.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace dyad::metrics {
namespace {

// The fields of /proc/self/stat after the command name (which may hold spaces and parentheses):
// fields[0] is field 3 (state).
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  const auto close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

double Field(const std::vector<std::string>& fields, std::size_t stat_field) {
  const std::size_t index = stat_field - 3;
  if (index >= fields.size()) return -1;
  try {
    return std::stod(fields[index]);
  } catch (const std::exception&) {
    return -1;
  }
}

std::vector<Sample> One(double value) {
  if (value < 0) return {};
  return {Sample{{}, value}};
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return -1;
}

}  // namespace

void AddProcessMetrics(Registry& registry) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  registry.AddCallback("process_cpu_seconds_total",
                       "Total user and system CPU time spent in seconds.", MetricType::kCounter, {},
                       [ticks] {
                         const auto fields = StatFields();
                         const double user = Field(fields, 14), system = Field(fields, 15);
                         if (user < 0 || system < 0 || ticks <= 0) return std::vector<Sample>{};
                         return One((user + system) / ticks);
                       });
  registry.AddCallback("process_resident_memory_bytes", "Resident memory size in bytes.",
                       MetricType::kGauge, {}, [page] {
                         const double rss = Field(StatFields(), 24);
                         return One(rss < 0 ? -1 : rss * page);
                       });
  registry.AddCallback("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                       MetricType::kGauge, {}, [] { return One(Field(StatFields(), 23)); });
  registry.AddCallback("process_open_fds", "Number of open file descriptors.", MetricType::kGauge,
                       {}, [] {
                         DIR* dir = opendir("/proc/self/fd");
                         if (dir == nullptr) return std::vector<Sample>{};
                         double count = 0;
                         while (const dirent* entry = readdir(dir)) {
                           if (entry->d_name[0] != '.') ++count;
                         }
                         closedir(dir);
                         return One(count - 1);  // not the directory's own descriptor
                       });
  registry.AddCallback("process_start_time_seconds",
                       "Start time of the process since unix epoch in seconds.", MetricType::kGauge,
                       {}, [ticks] {
                         const double start = Field(StatFields(), 22);
                         double boot = -1;
                         try {
                           boot = BootTimeSeconds();
                         } catch (const std::exception&) {
                         }
                         if (start < 0 || boot < 0 || ticks <= 0) return std::vector<Sample>{};
                         return One(boot + start / ticks);
                       });
}

}  // namespace dyad::metrics
