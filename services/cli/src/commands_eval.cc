// dyad eval: scores the coder against a gold JSON Lines file (PETRARCH2 unit-test format).
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "dyad/coder/coder.h"
#include "dyad/eval/eval.h"

namespace dyad::cli {

void RegisterEval(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "eval",
      "Score the coder on a gold file (JSON Lines: id, text, date, expected "
      "[{source,target,code}]); prints L1/L2/L3 scores, per-category and per-root tables");
  auto options = std::make_shared<coder::CoderOptions>(coder::DefaultCoderOptions());
  auto gold_path = std::make_shared<std::string>();
  auto show_wrong = std::make_shared<int>(20);
  auto as_json = std::make_shared<bool>(false);
  command->add_option("--gold", *gold_path, "gold JSON Lines file")->required();
  command
      ->add_option("--dictionaries", options->dictionaries_dir,
                   "dictionary directory (dyad's format or PETRARCH2's)")
      ->envname("DYAD_DICTIONARIES");
  command->add_option("--show-wrong", *show_wrong, "wrong records to list")
      ->check(CLI::NonNegativeNumber);
  command->add_flag("--json", *as_json, "print the report as one JSON object");
  command->callback([=, &exit_code] {
    auto gold = eval::LoadGold(*gold_path);
    if (!gold.ok()) {
      std::cerr << "dyad eval: " << gold.status().message() << "\n";
      exit_code = 1;
      return;
    }
    auto coder = coder::Coder::Load(*options);
    if (!coder.ok()) {
      std::cerr << "dyad eval: " << coder.status().message() << "\n";
      exit_code = 1;
      return;
    }
    const eval::Report report = eval::Evaluate(**coder, *gold);
    if (*as_json) {
      std::cout << eval::ReportJson(report, *show_wrong) << "\n";
    } else {
      std::cout << eval::FormatReport(report, *show_wrong);
    }
    std::cout.flush();
    exit_code = 0;
  });
}

}  // namespace dyad::cli
