// dyad: the command-line front door. Each subcommand lives in src/commands_*.cc.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "dyad/core/config.h"
#include "dyad/core/logging.h"
#include "src/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"dyad: news articles in, coded political events and relations out"};
  app.require_subcommand(1);
  std::string log_level = dyad::core::EnvOr("DYAD_LOG_LEVEL", "warn");
  if (auto status = dyad::core::InitLogging(log_level); !status.ok()) {
    std::fprintf(stderr, "dyad: DYAD_LOG_LEVEL: %s\n", std::string(status.message()).c_str());
    return 2;
  }
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off (DYAD_LOG_LEVEL)")
      ->check([](const std::string& level) {
        auto status = dyad::core::InitLogging(level);
        return status.ok() ? std::string() : std::string(status.message());
      });
  int exit_code = 0;
  dyad::cli::RegisterUp(app, exit_code);
  dyad::cli::RegisterDemo(app, exit_code);
  dyad::cli::RegisterBroker(app, exit_code);
  dyad::cli::RegisterIngest(app, exit_code);
  dyad::cli::RegisterRelation(app, exit_code);
  dyad::cli::RegisterPartners(app, exit_code);
  dyad::cli::RegisterEvent(app, exit_code);
  dyad::cli::RegisterWatch(app, exit_code);
  dyad::cli::RegisterActors(app, exit_code);
  dyad::cli::RegisterEvents(app, exit_code);
  dyad::cli::RegisterDyads(app, exit_code);
  dyad::cli::RegisterCode(app, exit_code);
  dyad::cli::RegisterEval(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version are "errors" with exit code 0; every real usage error exits 2.
    return app.exit(error) == 0 ? 0 : 2;
  }
  return exit_code;
}
