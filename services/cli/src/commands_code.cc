// dyad code: offline coding, JSON Lines on stdin → JSON Lines on stdout, no Kafka.
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "dyad/coder/coder.h"
#include "dyad/coder/json_lines.h"

namespace dyad::cli {
namespace {

// The longest input line read; longer lines get an error line and are skipped.
constexpr std::size_t kMaxLineBytes = 16 * 1024 * 1024;

}  // namespace

void RegisterCode(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "code",
      "Code text offline: JSON Lines {\"id\",\"text\",\"date\"} on stdin, one result line each on "
      "stdout");
  auto options = std::make_shared<coder::CoderOptions>(coder::DefaultCoderOptions());
  auto articles = std::make_shared<bool>(false);
  command
      ->add_option("--dictionaries", options->dictionaries_dir,
                   "dictionary directory (dyad's format or PETRARCH2's, detected)")
      ->envname("DYAD_DICTIONARIES");
  command->add_flag("--articles", *articles,
                    "each text is a whole article (many sentences), not one sentence");
  command->callback([=, &exit_code] {
    auto coder = coder::Coder::Load(*options);
    if (!coder.ok()) {
      std::cerr << "dyad code: " << coder.status().message() << "\n";
      exit_code = 1;
      return;
    }
    const core::CivilDate today =
        core::CivilFromDays(std::chrono::duration_cast<std::chrono::days>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
    std::string line;
    int64_t line_number = 0;
    while (std::getline(std::cin, line)) {
      ++line_number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string fallback_id = "line:" + std::to_string(line_number);
      if (line.size() > kMaxLineBytes) {
        std::cout << coder::FormatCodeError(fallback_id, "line longer than 16 MiB") << "\n";
        continue;
      }
      auto request = coder::ParseCodeRequest(line);
      if (!request.ok()) {
        std::cout << coder::FormatCodeError(fallback_id, std::string(request.status().message()))
                  << "\n";
        continue;
      }
      const std::string id = request->id.empty() ? fallback_id : request->id;
      const auto events = (*coder)->CodeText(id, request->text,
                                             request->has_date ? request->date : today, *articles);
      std::cout << coder::FormatCodeResult(id, events) << "\n";
    }
    std::cout.flush();
    exit_code = 0;
  });
}

}  // namespace dyad::cli
