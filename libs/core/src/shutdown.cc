#include "dyad/core/shutdown.h"

#include <atomic>
#include <csignal>
#include <thread>

namespace dyad::core {
namespace {

std::atomic<bool> g_requested{false};

extern "C" void HandleSignal(int /*signal*/) { g_requested.store(true); }

}  // namespace

void InstallShutdownHandlers() {
  struct sigaction action {};
  action.sa_handler = HandleSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool ShutdownRequested() { return g_requested.load(); }

void RequestShutdown() { g_requested.store(true); }

bool WaitForShutdown(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!g_requested.load()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace dyad::core
