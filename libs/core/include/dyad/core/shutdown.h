// Process shutdown on SIGINT/SIGTERM, for services' main loops.
//
// InstallShutdownHandlers() once from main(); loops check ShutdownRequested() or block in
// WaitForShutdown(). Thread-safe; the signal handler only sets an atomic flag.
#pragma once

#include <chrono>

namespace dyad::core {

void InstallShutdownHandlers();
bool ShutdownRequested();
// Asks for shutdown as a signal would (tests, fatal errors in worker threads).
void RequestShutdown();
// Blocks until shutdown is requested or `timeout` passes; true when requested.
bool WaitForShutdown(std::chrono::milliseconds timeout);

}  // namespace dyad::core
