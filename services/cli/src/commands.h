// The `dyad` command's subcommands. Each Register* adds one CLI11 subcommand whose callback runs
// it; the callback sets `exit_code` (0 ok, 1 failure, 2 bad usage).
#pragma once

#include <CLI/CLI.hpp>

namespace dyad::cli {

void RegisterBroker(CLI::App& app, int& exit_code);
void RegisterUp(CLI::App& app, int& exit_code);
void RegisterDemo(CLI::App& app, int& exit_code);
void RegisterIngest(CLI::App& app, int& exit_code);
void RegisterRelation(CLI::App& app, int& exit_code);
void RegisterPartners(CLI::App& app, int& exit_code);
void RegisterEvent(CLI::App& app, int& exit_code);
void RegisterWatch(CLI::App& app, int& exit_code);
void RegisterActors(CLI::App& app, int& exit_code);
void RegisterEvents(CLI::App& app, int& exit_code);
void RegisterDyads(CLI::App& app, int& exit_code);
void RegisterCode(CLI::App& app, int& exit_code);
void RegisterEval(CLI::App& app, int& exit_code);

}  // namespace dyad::cli
