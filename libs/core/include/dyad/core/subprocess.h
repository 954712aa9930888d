// A child process with its stdout on a pipe, for `dyad up` and the end-to-end tests.
//
// Lifecycle: Start() → ReadLine()/Signal()/Wait(). The destructor sends SIGTERM to a child still
// running, waits up to 5 s, then SIGKILLs it: no child outlives its Subprocess.
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dyad::core {

class Subprocess {
 public:
  // Starts argv[0] (a path) with `argv`; stdin is /dev/null, stdout a pipe, stderr inherited.
  // `env` entries ("K=V") are added to this process's environment.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // The next line of the child's stdout (without '\n'); DEADLINE_EXCEEDED after `timeout`,
  // OUT_OF_RANGE at end of output (the child closed stdout or exited).
  absl::StatusOr<std::string> ReadLine(std::chrono::milliseconds timeout);

  void Signal(int signal);
  // Waits for exit up to `timeout`; the exit code (128 + signal when killed by one), or
  // DEADLINE_EXCEEDED.
  absl::StatusOr<int> Wait(std::chrono::milliseconds timeout);
  bool running();
  int pid() const { return pid_; }

 private:
  Subprocess(int pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}
  int pid_;
  int stdout_fd_;
  std::string buffer_;
  std::optional<int> exit_code_;
};

// Directory of the running executable (from /proc/self/exe), to find sibling binaries.
std::string ExecutableDir();

}  // namespace dyad::core
