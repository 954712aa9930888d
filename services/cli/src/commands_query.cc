// dyad relation / partners / event / watch / actors / events / dyads: calls to dyad-query.
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <vector>

#include "commands.h"
#include "dyad/core/shutdown.h"
#include "dyad/rpc/server.h"
#include "query_args.h"
#include "query_client.h"
#include "views.h"

namespace dyad::cli {
namespace {

struct ServerArgs {
  std::string address = kDefaultQueryAddress;
  double timeout_seconds = 10;
  rpc::ClientTls tls;
};

void AddServerOptions(CLI::App* command, ServerArgs& server) {
  command->add_option("--server,--query", server.address, "dyad-query address host:port")
      ->envname("DYAD_QUERY_ADDR")
      ->capture_default_str();
  command->add_option("--timeout", server.timeout_seconds, "seconds to wait for an answer")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  command->add_flag("--tls", server.tls.enabled,
                    "connect with TLS, trusting the system's CAs (implied by --tls-ca)");
  command
      ->add_option("--tls-ca", server.tls.ca_file,
                   "PEM CA bundle the server's certificate must be signed by: connect with TLS")
      ->envname("DYAD_QUERY_TLS_CA");
  command
      ->add_option("--tls-cert", server.tls.cert_file,
                   "PEM client certificate for mutual TLS (with --tls-key)")
      ->envname("DYAD_QUERY_TLS_CERT");
  command->add_option("--tls-key", server.tls.key_file, "PEM private key of --tls-cert")
      ->envname("DYAD_QUERY_TLS_KEY");
}

void AddRangeOptions(CLI::App* command, std::string& from, std::string& to) {
  command->add_option("--from", from, "first event day, YYYY-MM-DD (inclusive)");
  command->add_option("--to", to, "last event day, YYYY-MM-DD (inclusive)");
}

void AddFilterOptions(CLI::App* command, FilterArgs& filter) {
  command
      ->add_option("--root-codes", filter.root_codes,
                   "only events with these CAMEO root codes, e.g. 04,19")
      ->delimiter(',');
  command
      ->add_option("--quad", filter.quad_classes,
                   "only these quad classes: 1 verbal / 2 material cooperation, 3 verbal / 4 "
                   "material conflict, e.g. 3,4")
      ->delimiter(',')
      ->check(CLI::Range(1, 4));
  command
      ->add_option("--min-confidence", filter.min_confidence,
                   "only mentions the coder is at least this confident of, 0..1")
      ->check(CLI::Range(0.0, 1.0));
}

// A client for --server with the TLS flags; INVALID_ARGUMENT for unusable TLS files.
absl::StatusOr<QueryClient> MakeClient(const ServerArgs& server) {
  rpc::ClientTls tls = server.tls;
  tls.enabled =
      tls.enabled || !tls.ca_file.empty() || !tls.cert_file.empty() || !tls.key_file.empty();
  auto credentials = rpc::MakeChannelCredentials(tls);
  if (!credentials.ok()) return credentials.status();
  return QueryClient(server.address, grpc::CreateChannel(server.address, *credentials),
                     std::chrono::milliseconds(static_cast<int64_t>(server.timeout_seconds * 1000)),
                     tls.enabled);
}

// Prints the error and returns the exit code: 2 when the request was refused as invalid (the
// arguments need changing), 1 otherwise.
int Fail(const absl::Status& status, const std::string& command) {
  std::cerr << "dyad " << command << ": " << status.message() << "\n";
  if (status.code() == absl::StatusCode::kInvalidArgument) return 2;
  return 1;
}

// Terminal width: --width, else the terminal's, else $COLUMNS, else 80.
int TerminalWidth(int flag) {
  if (flag > 0) return flag;
  winsize size{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  if (const char* columns = std::getenv("COLUMNS")) {
    const int value = std::atoi(columns);
    if (value > 0) return value;
  }
  return 80;
}

ChartStyle DetectChartStyle(bool ascii, int width, int height) {
  ChartStyle style;
  const char* term = std::getenv("TERM");
  const bool tty = isatty(STDOUT_FILENO) && !(term != nullptr && std::string(term) == "dumb");
  style.unicode = tty && !ascii;
  style.color = style.unicode && std::getenv("NO_COLOR") == nullptr;
  style.width = TerminalWidth(width);
  style.height = height;
  return style;
}

}  // namespace

void RegisterRelation(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "relation",
      "How two actors get on: a table per time bucket and a chart of cooperation against "
      "conflict");
  auto server = std::make_shared<ServerArgs>();
  auto args = std::make_shared<RelationArgs>();
  auto ascii = std::make_shared<bool>(false);
  auto no_chart = std::make_shared<bool>(false);
  auto no_table = std::make_shared<bool>(false);
  auto width = std::make_shared<int>(0);
  auto height = std::make_shared<int>(6);
  command->add_option("A", args->a, "source actor code or prefix, e.g. USA or PAKGOV")->required();
  command->add_option("B", args->b, "target actor code or prefix")->required();
  command->add_option("--bucket", args->bucket, "day|week|month|year")
      ->check(CLI::IsMember({"day", "week", "month", "year"}))
      ->capture_default_str();
  command->add_flag("--both", args->both, "count both directions (A -> B and B -> A)");
  AddRangeOptions(command, args->from, args->to);
  AddFilterOptions(command, args->filter);
  command->add_flag("--ascii", *ascii, "plain ASCII chart (the default when not a terminal)");
  command->add_flag("--no-chart", *no_chart, "the table only");
  command->add_flag("--no-table", *no_table, "the chart only");
  command->add_option("--width", *width, "chart width in columns (default: the terminal's)")
      ->check(CLI::Range(40, 1000));
  command->add_option("--chart-height", *height, "rows above and below the chart's axis")
      ->check(CLI::Range(1, 50))
      ->capture_default_str();
  AddServerOptions(command, *server);
  command->callback([=, &exit_code] {
    auto request = MakeRelationRequest(*args);
    if (!request.ok()) {
      exit_code = Fail(request.status(), "relation");
      return;
    }
    auto client = MakeClient(*server);
    if (!client.ok()) {
      exit_code = Fail(client.status(), "relation");
      return;
    }
    auto relation = client->GetRelation(*request);
    if (!relation.ok()) {
      exit_code = Fail(relation.status(), "relation");
      return;
    }
    std::cout << DescribeRelation(*request) << "\n";
    if (!*no_table) std::cout << RenderRelationTable(*relation);
    if (!*no_chart && relation->buckets_size() > 0) {
      if (!*no_table) std::cout << "\n";
      std::cout << RenderRelationChart(*relation, request->bucket(), request->from(), request->to(),
                                       DetectChartStyle(*ascii, *width, *height));
    }
    std::cout.flush();
    exit_code = 0;
  });
}

void RegisterPartners(CLI::App& app, int& exit_code) {
  auto* command =
      app.add_subcommand("partners",
                         "The actors an actor dealt with most: by volume, cooperation, conflict or "
                         "Goldstein");
  auto server = std::make_shared<ServerArgs>();
  auto args = std::make_shared<PartnersArgs>();
  command->add_option("ACTOR", args->actor, "actor code or prefix, e.g. PAK")->required();
  command->add_option("--order", args->order, "volume|cooperation|conflict|goldstein")
      ->check(CLI::IsMember({"volume", "cooperation", "conflict", "goldstein"}))
      ->capture_default_str();
  command->add_flag("--ascending", args->ascending,
                    "least first (with --order goldstein: the most hostile first)");
  command->add_option("--limit", args->limit, "partners to show, 1..1000")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command
      ->add_option("--code-length", args->code_length,
                   "group partners by this many code characters: 3 countries (default), 6 "
                   "keeps roles (USAGOV)")
      ->check(CLI::Range(0, 64));
  command->add_flag("--directed", args->directed, "only events where ACTOR is the source");
  AddRangeOptions(command, args->from, args->to);
  AddFilterOptions(command, args->filter);
  AddServerOptions(command, *server);
  command->callback([=, &exit_code] {
    auto request = MakePartnersRequest(*args);
    if (!request.ok()) {
      exit_code = Fail(request.status(), "partners");
      return;
    }
    auto client = MakeClient(*server);
    if (!client.ok()) {
      exit_code = Fail(client.status(), "partners");
      return;
    }
    auto partners = client->TopPartners(*request);
    if (!partners.ok()) {
      exit_code = Fail(partners.status(), "partners");
      return;
    }
    std::cout << DescribePartners(*request) << "\n" << RenderPartners(*partners);
    std::cout.flush();
    exit_code = 0;
  });
}

void RegisterEvent(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "event",
      "One event and its provenance: every article that reported it, with URL, sentence "
      "and offsets");
  auto server = std::make_shared<ServerArgs>();
  auto id = std::make_shared<std::string>();
  command->add_option("ID", *id, "event id (any of its mentions' ids), e.g. from `dyad events`")
      ->required();
  AddServerOptions(command, *server);
  command->callback([=, &exit_code] {
    auto request = MakeEventRequest(*id);
    if (!request.ok()) {
      exit_code = Fail(request.status(), "event");
      return;
    }
    auto client = MakeClient(*server);
    if (!client.ok()) {
      exit_code = Fail(client.status(), "event");
      return;
    }
    auto event = client->GetEvent(*request);
    if (!event.ok()) {
      exit_code = Fail(event.status(), "event");
      if (event.status().code() == absl::StatusCode::kNotFound) {
        std::cerr << "dyad event: ids are listed by `dyad events` and in a relation's exemplar "
                     "events\n";
      }
      return;
    }
    std::cout << RenderEvent(*event);
    std::cout.flush();
    exit_code = 0;
  });
}

void RegisterWatch(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "watch", "Print new events as dyad-query applies them, one line each, until Ctrl-C");
  auto server = std::make_shared<ServerArgs>();
  auto args = std::make_shared<WatchArgs>();
  auto count = std::make_shared<int64_t>(0);
  command->add_option("--actor", args->actor, "actor code prefix on either side");
  command->add_option("--source", args->source, "source actor code prefix");
  command->add_option("--target", args->target, "target actor code prefix");
  command->add_option("--code", args->code, "CAMEO code prefix, e.g. 04 or 042");
  command->add_option("--quad", args->quad_class, "quad class 1..4")->check(CLI::Range(1, 4));
  command->add_option("--min-confidence", args->min_confidence, "0..1")
      ->check(CLI::Range(0.0, 1.0));
  command
      ->add_option("--buffer", args->buffer,
                   "events the server buffers for this watcher before dropping the oldest "
                   "(default 1000)")
      ->check(CLI::Range(1, 100000));
  command->add_option("--count", *count, "stop after this many events (default: never)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 62));
  AddServerOptions(command, *server);
  command->callback([=, &exit_code] {
    auto request = MakeWatchRequest(*args);
    if (!request.ok()) {
      exit_code = Fail(request.status(), "watch");
      return;
    }
    auto client = MakeClient(*server);
    if (!client.ok()) {
      exit_code = Fail(client.status(), "watch");
      return;
    }
    core::InstallShutdownHandlers();
    std::cerr << "dyad watch: watching dyad-query at " << server->address
              << " for new events (Ctrl-C to stop)\n";
    int64_t seen = 0;
    int64_t dropped = 0;
    const auto status = client->Watch(
        *request,
        [&](const dyad::v1::WatchEventsResponse& message) {
          if (message.dropped() > 0) {
            dropped += message.dropped();
            std::cout.flush();
            std::cerr << fmt::format(
                "dyad watch: dyad-query dropped {} event{} for this watcher (it read too slowly); "
                "{} dropped so far\n",
                message.dropped(), message.dropped() == 1 ? "" : "s", dropped);
          }
          if (message.has_event() && (*count == 0 || seen < *count)) {
            ++seen;
            std::cout << FormatEventLine(message.event()) << "\n";
            std::cout.flush();
          }
        },
        [&] { return core::ShutdownRequested() || (*count > 0 && seen >= *count); });
    std::cout.flush();
    if (!status.ok()) {
      exit_code = Fail(status, "watch");
      return;
    }
    std::cerr << fmt::format("dyad watch: stopped after {} event{}{}\n", seen, seen == 1 ? "" : "s",
                             dropped > 0 ? fmt::format(" ({} dropped)", dropped) : "");
    exit_code = 0;
  });
}

void RegisterActors(CLI::App& app, int& exit_code) {
  auto* command =
      app.add_subcommand("actors", "Actor codes seen in events, by code or name prefix");
  auto server = std::make_shared<ServerArgs>();
  auto prefix = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(20);
  command->add_option("PREFIX", *prefix, "code or name prefix, e.g. PAK or paki");
  command->add_option("--limit", *limit, "actors to show, 1..1000")->check(CLI::Range(1, 1000));
  AddServerOptions(command, *server);
  command->callback([=, &exit_code] {
    dyad::v1::ListActorsRequest request;
    request.set_prefix(*prefix);
    request.set_limit(*limit);
    auto client = MakeClient(*server);
    if (!client.ok()) {
      exit_code = Fail(client.status(), "actors");
      return;
    }
    auto actors = client->ListActors(request);
    if (!actors.ok()) {
      exit_code = Fail(actors.status(), "actors");
      return;
    }
    if (actors->actors_size() == 0) std::cout << "no actors\n";
    for (const auto& actor : actors->actors()) {
      std::cout << fmt::format("{:<12} {:>9}  {}\n", Sanitize(actor.code()), actor.mentions(),
                               Sanitize(actor.name()));
    }
    exit_code = 0;
  });
}

void RegisterEvents(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("events", "List coded events (mentions), newest first");
  auto server = std::make_shared<ServerArgs>();
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto actor = std::make_shared<std::string>();
  auto source = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  auto code = std::make_shared<std::string>();
  auto quad = std::make_shared<int>(0);
  auto limit = std::make_shared<int>(20);
  auto min_confidence = std::make_shared<double>(0);
  command->add_option("--actor", *actor, "actor code prefix on either side");
  command->add_option("--source", *source, "source actor code prefix");
  command->add_option("--target", *target, "target actor code prefix");
  command->add_option("--code", *code, "CAMEO code prefix, e.g. 04 or 041");
  command->add_option("--quad-class,--quad", *quad, "1..4")->check(CLI::Range(0, 4));
  command->add_option("--min-confidence", *min_confidence, "0..1")->check(CLI::Range(0.0, 1.0));
  command->add_option("--limit", *limit, "events to show")->check(CLI::Range(1, 100000));
  AddRangeOptions(command, *from, *to);
  AddServerOptions(command, *server);
  command->callback([=, &exit_code] {
    dyad::v1::ListEventsRequest list;
    list.set_actor(*actor);
    list.set_source(*source);
    list.set_target(*target);
    list.set_code(*code);
    list.set_quad_class(*quad);
    list.set_from(*from);
    list.set_to(*to);
    list.set_min_confidence(*min_confidence);
    auto client = MakeClient(*server);
    if (!client.ok()) {
      exit_code = Fail(client.status(), "events");
      return;
    }
    int shown = 0;
    while (shown < *limit) {
      list.set_page_size(std::min(*limit - shown, 1000));
      auto page = client->ListEvents(list);
      if (!page.ok()) {
        exit_code = Fail(page.status(), "events");
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
  auto server = std::make_shared<ServerArgs>();
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(20);
  command->add_option("--limit", *limit, "dyads to show")->check(CLI::Range(1, 100000));
  AddRangeOptions(command, *from, *to);
  AddServerOptions(command, *server);
  command->callback([=, &exit_code] {
    dyad::v1::ListEventsRequest list;
    list.set_from(*from);
    list.set_to(*to);
    auto client = MakeClient(*server);
    if (!client.ok()) {
      exit_code = Fail(client.status(), "dyads");
      return;
    }
    auto counts = client->CountDyads(list);
    if (!counts.ok()) {
      exit_code = Fail(counts.status(), "dyads");
      return;
    }
    PrintDyads(std::cout, *counts, *limit);
    exit_code = 0;
  });
}

}  // namespace dyad::cli
