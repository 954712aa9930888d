// dyad relation / events / dyads: read-only calls to dyad-query.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <vector>

#include "commands.h"
#include "dyad/core/dates.h"
#include "query_client.h"

namespace dyad::cli {
namespace {

struct Filter {
  std::string query_address = "127.0.0.1:50052";
  std::string from;
  std::string to;
};

void AddQueryOptions(CLI::App* command, Filter& filter) {
  command->add_option("--query", filter.query_address, "dyad-query address host:port")
      ->envname("DYAD_QUERY_ADDR");
  command->add_option("--from", filter.from, "first event date, YYYY-MM-DD");
  command->add_option("--to", filter.to, "last event date, YYYY-MM-DD");
}

int Fail(const absl::Status& status) {
  std::cerr << "dyad: " << status.message() << "\n";
  if (status.code() == absl::StatusCode::kUnavailable) {
    std::cerr << "dyad: is dyad-query running? Start the pipeline with `dyad up`, or pass "
                 "--query host:port\n";
  }
  return 1;
}

}  // namespace

void RegisterRelation(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("relation", "How two actors get on: events per time bucket");
  auto filter = std::make_shared<Filter>();
  auto a = std::make_shared<std::string>();
  auto b = std::make_shared<std::string>();
  auto bucket = std::make_shared<std::string>("month");
  command->add_option("A", *a, "actor code or prefix, e.g. PAK or PAKGOV")->required();
  command->add_option("B", *b, "actor code or prefix, e.g. USA")->required();
  command->add_option("--bucket", *bucket, "day|week|month|year");
  AddQueryOptions(command, *filter);
  command->callback([=, &exit_code] {
    auto parsed_bucket = ParseBucket(*bucket);
    if (!parsed_bucket.ok()) {
      exit_code = Fail(parsed_bucket.status());
      return;
    }
    QueryClient client(filter->query_address);
    struct View {
      std::string title;
      std::string source, target;
      bool both;
    };
    const std::vector<View> views = {
        {fmt::format("{} <-> {} (both directions)", *a, *b), *a, *b, true},
        {fmt::format("{} -> {}", *a, *b), *a, *b, false},
        {fmt::format("{} -> {}", *b, *a), *b, *a, false},
    };
    for (const auto& view : views) {
      dyad::v1::GetRelationRequest request;
      request.set_source(view.source);
      request.set_target(view.target);
      request.set_from(filter->from);
      request.set_to(filter->to);
      request.set_bucket(*parsed_bucket);
      request.set_both_directions(view.both);
      auto relation = client.GetRelation(request);
      if (!relation.ok()) {
        exit_code = Fail(relation.status());
        return;
      }
      PrintRelation(std::cout, view.title, *relation);
      std::cout << "\n";
    }
    exit_code = 0;
  });
}

void RegisterEvents(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("events", "List coded events, newest first");
  auto filter = std::make_shared<Filter>();
  auto request = std::make_shared<dyad::v1::ListEventsRequest>();
  auto actor = std::make_shared<std::string>();
  auto source = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  auto code = std::make_shared<std::string>();
  auto quad = std::make_shared<int>(0);
  auto limit = std::make_shared<int>(20);
  command->add_option("--actor", *actor, "actor code prefix on either side");
  command->add_option("--source", *source, "source actor code prefix");
  command->add_option("--target", *target, "target actor code prefix");
  command->add_option("--code", *code, "CAMEO code prefix, e.g. 04 or 041");
  command->add_option("--quad-class", *quad, "1..4")->check(CLI::Range(0, 4));
  command->add_option("--limit", *limit, "events to show")->check(CLI::Range(1, 100000));
  AddQueryOptions(command, *filter);
  command->callback([=, &exit_code] {
    dyad::v1::ListEventsRequest list;
    list.set_actor(*actor);
    list.set_source(*source);
    list.set_target(*target);
    list.set_code(*code);
    list.set_quad_class(*quad);
    list.set_from(filter->from);
    list.set_to(filter->to);
    QueryClient client(filter->query_address);
    int shown = 0;
    while (shown < *limit) {
      list.set_page_size(std::min(*limit - shown, 1000));
      auto page = client.ListEvents(list);
      if (!page.ok()) {
        exit_code = Fail(page.status());
        return;
      }
      PrintEvents(std::cout, *page);
      shown += page->events_size();
      if (page->next_page_token().empty()) break;
      list.set_page_token(page->next_page_token());
    }
    if (shown == 0) std::cout << "no events\n";
    exit_code = 0;
  });
}

void RegisterDyads(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("dyads", "Country pairs with events, most events first");
  auto filter = std::make_shared<Filter>();
  auto limit = std::make_shared<int>(20);
  command->add_option("--limit", *limit, "dyads to show")->check(CLI::Range(1, 100000));
  AddQueryOptions(command, *filter);
  command->callback([=, &exit_code] {
    dyad::v1::ListEventsRequest list;
    list.set_from(filter->from);
    list.set_to(filter->to);
    auto counts = QueryClient(filter->query_address).CountDyads(list);
    if (!counts.ok()) {
      exit_code = Fail(counts.status());
      return;
    }
    PrintDyads(std::cout, *counts, *limit);
    exit_code = 0;
  });
}

}  // namespace dyad::cli
