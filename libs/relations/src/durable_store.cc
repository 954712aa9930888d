#include "dyad/relations/durable_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <filesystem>
#include <system_error>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"

namespace dyad::relations {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFormatKey = "m:format";
constexpr std::string_view kTopicKey = "m:topic";
constexpr std::string_view kEventPrefix = "e:";
constexpr std::string_view kDayPrefix = "a:";
constexpr std::string_view kOffsetPrefix = "o:";
constexpr std::string_view kCounterPrefix = "c:";
constexpr uint8_t kTotalsVersion = 2;
// How often Open logs its progress while loading a large state.
constexpr auto kLoadLogEvery = std::chrono::seconds(5);

rocksdb::Slice AsSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view AsView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// --- Encodings ----------------------------------------------------------------------------------

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

void PutFixed64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool GetFixed64(std::string_view& in, uint64_t& v) {
  if (in.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[static_cast<size_t>(i)]);
  in.remove_prefix(8);
  return true;
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Value of an a: row: version byte, varint mentions, zigzag varints of the Goldstein and tone
// sums in millionths.
std::string EncodeTotals(const DayTotals& t) {
  std::string out;
  out.push_back(static_cast<char>(kTotalsVersion));
  PutVarint(out, static_cast<uint64_t>(t.mentions));
  PutVarint(out, ZigZag(t.goldstein_micros));
  PutVarint(out, ZigZag(t.tone_micros));
  return out;
}

bool DecodeTotals(std::string_view in, DayTotals& t) {
  if (in.empty() || static_cast<uint8_t>(in.front()) != kTotalsVersion) return false;
  in.remove_prefix(1);
  uint64_t v = 0;
  if (!GetVarint(in, v)) return false;
  t.mentions = static_cast<int64_t>(v);
  if (!GetVarint(in, v)) return false;
  t.goldstein_micros = UnZigZag(v);
  if (!GetVarint(in, v)) return false;
  t.tone_micros = UnZigZag(v);
  return in.empty();
}

std::string DayKey(const EventPlace& place) {
  std::string key(kDayPrefix);
  key += place.source;
  key.push_back('\0');
  key += place.target;
  key.push_back('\0');
  PutFixed64(key, static_cast<uint64_t>(place.day) ^ (uint64_t{1} << 63));
  return key;
}

bool DecodeDayKey(std::string_view key, EventPlace& place) {
  key.remove_prefix(kDayPrefix.size());
  const auto first = key.find('\0');
  if (first == std::string_view::npos) return false;
  const auto second = key.find('\0', first + 1);
  if (second == std::string_view::npos) return false;
  place.source = std::string(key.substr(0, first));
  place.target = std::string(key.substr(first + 1, second - first - 1));
  std::string_view day = key.substr(second + 1);
  uint64_t v = 0;
  if (!GetFixed64(day, v) || !day.empty()) return false;
  place.day = static_cast<int64_t>(v ^ (uint64_t{1} << 63));
  return true;
}

std::string OffsetPrefix(const std::string& topic) {
  return absl::StrCat(std::string(kOffsetPrefix), topic, std::string(1, '\0'));
}

bool ParseInt(std::string_view text, int64_t& out) {
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

std::string DescribeTotals(const DayTotals& t) {
  return absl::StrCat("mentions=", t.mentions, " goldstein_micros=", t.goldstein_micros,
                      " tone_micros=", t.tone_micros);
}

// What to do about a state directory that cannot be used as it is.
std::string RebuildHint(const std::string& dir, const std::string& topic) {
  return absl::StrCat("move ", dir,
                      " away (or delete it) and dyad-query rebuilds the state by "
                      "replaying ",
                      topic, " from the beginning");
}

absl::Status FromRocks(const rocksdb::Status& s, const std::string& what,
                       const DurableStoreOptions& options) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(what, " ", options.dir, ": ", s.ToString());
  if (s.IsCorruption()) {
    return absl::DataLossError(
        absl::StrCat(message, "; the state is corrupt: ", RebuildHint(options.dir, options.topic)));
  }
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat(message,
                     "; another process (a second dyad-query?) uses this state directory: give "
                     "each replica its own --state-dir"));
  }
  if (s.IsInvalidArgument() || s.IsNotSupported()) {
    return absl::FailedPreconditionError(
        absl::StrCat(message, "; this is not a state directory this version can open: ",
                     RebuildHint(options.dir, options.topic)));
  }
  return absl::UnavailableError(message);
}

}  // namespace

// --- Batch -------------------------------------------------------------------------------------

EventOutcome DurableStore::Batch::Add(const dyad::v1::Event& event, std::string* why) {
  Pending pending;
  auto place = PlaceEvent(event, &pending.bytes);
  if (!place.ok()) {
    if (why != nullptr) *why = std::string(place.status().message());
    Count(kCounterRejected);
    return EventOutcome::kRejected;
  }
  if (ids_.contains(event.id()) || store_->memory_.Contains(event.id())) {
    Count(kCounterDuplicate);
    return EventOutcome::kDuplicate;
  }
  ids_.insert(event.id());
  pending.event = event;
  pending.place = std::move(*place);
  events_.push_back(std::move(pending));
  Count(kCounterApplied);
  return EventOutcome::kNew;
}

void DurableStore::Batch::Count(std::string_view name, int64_t n) {
  auto it = counters_.find(name);
  if (it == counters_.end()) it = counters_.emplace(std::string(name), 0).first;
  it->second += n;
}

void DurableStore::Batch::SetNextOffset(int32_t partition, int64_t next_offset) {
  offsets_[partition] = next_offset;
}

// --- DurableStore ------------------------------------------------------------------------------

DurableStore::DurableStore(DurableStoreOptions options, RelationStore& memory)
    : options_(std::move(options)), memory_(memory) {}

DurableStore::~DurableStore() {
  if (db_ != nullptr) {
    db_->Close().PermitUncheckedError();
  }
}

absl::StatusOr<std::unique_ptr<DurableStore>> DurableStore::Open(const DurableStoreOptions& options,
                                                                 RelationStore& memory) {
  if (options.dir.empty()) {
    return absl::InvalidArgumentError("the state directory is empty; give --state-dir a path");
  }
  if (options.topic.empty()) return absl::InvalidArgumentError("the state's topic is empty");
  if (memory.Stats().events != 0) {
    return absl::InvalidArgumentError("DurableStore::Open needs an empty RelationStore");
  }

  // A directory with files but no RocksDB CURRENT file is someone else's: refuse to write in it.
  std::error_code ec;
  const fs::path dir(options.dir);
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat("state directory ", options.dir,
                       " exists and is not a directory; give --state-dir a "
                       "directory path"));
    }
    if (!fs::is_empty(dir, ec) && !fs::exists(dir / "CURRENT", ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat("state directory ", options.dir,
                       " holds files but no RocksDB state (no CURRENT file); "
                       "give --state-dir an empty or missing directory, or one dyad-query made"));
    }
  } else {
    fs::create_directories(dir, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot create state directory ", options.dir, ": ", ec.message()));
    }
  }

  std::unique_ptr<DurableStore> store(new DurableStore(options, memory));
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.paranoid_checks = true;
  // A torn last WAL record (kill -9 or power loss mid-write) is dropped: the state is the last
  // complete WriteBatch, which is consistent because each batch carries its own offsets.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.compression = rocksdb::kLZ4Compression;
  rocksdb::DB* raw = nullptr;
  if (auto status =
          FromRocks(rocksdb::DB::Open(db_options, options.dir, &raw), "cannot open", options);
      !status.ok()) {
    return status;
  }
  store->db_.reset(raw);
  if (auto status = store->Load(); !status.ok()) return status;
  return store;
}

absl::Status DurableStore::Load() {
  const auto started = std::chrono::steady_clock::now();
  const rocksdb::ReadOptions read;
  std::string format;
  std::string topic;
  auto s = db_->Get(read, AsSlice(kFormatKey), &format);
  if (s.IsNotFound()) {
    // A new database: it must be empty (not a RocksDB some other program made).
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
    it->SeekToFirst();
    if (it->Valid()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "state directory ", options_.dir,
          " holds a RocksDB without dyad's format row; it "
          "was not made by dyad-query: give --state-dir an empty or missing directory"));
    }
    rocksdb::WriteBatch batch;
    batch.Put(AsSlice(kFormatKey), std::to_string(kStateFormatVersion));
    batch.Put(AsSlice(kTopicKey), options_.topic);
    rocksdb::WriteOptions write;
    write.sync = true;
    if (auto status = FromRocks(db_->Write(write, &batch), "cannot write to", options_);
        !status.ok()) {
      return status;
    }
    load_info_.created = true;
    load_info_.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return absl::OkStatus();
  }
  if (auto status = FromRocks(s, "cannot read", options_); !status.ok()) return status;
  if (format != std::to_string(kStateFormatVersion)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "state directory ", options_.dir, " has format version ", format.substr(0, 16),
        " (made by ", format < std::to_string(kStateFormatVersion) ? "an older" : "another",
        " dyad-query); this dyad-query reads version ", kStateFormatVersion,
        " only, the state cannot be converted: ", RebuildHint(options_.dir, options_.topic)));
  }
  if (auto status = FromRocks(db_->Get(read, AsSlice(kTopicKey), &topic), "cannot read", options_);
      !status.ok()) {
    return status;
  }
  if (topic != options_.topic) {
    return absl::FailedPreconditionError(
        absl::StrCat("state directory ", options_.dir, " holds the state of topic ", topic,
                     ", not ", options_.topic,
                     "; give each topic its own --state-dir (or pass --events-topic ", topic, ")"));
  }

  const auto corrupt = [&](std::string_view what) {
    return absl::DataLossError(absl::StrCat("state directory ", options_.dir, ": ",
                                            std::string(what), "; ",
                                            RebuildHint(options_.dir, options_.topic)));
  };

  // Events: re-applied to the in-memory store, which recomputes the totals.
  auto last_log = started;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
  for (it->Seek(AsSlice(kEventPrefix)); it->Valid() && StartsWith(AsView(it->key()), kEventPrefix);
       it->Next()) {
    dyad::v1::Event event;
    const auto value = it->value();
    if (value.size() > static_cast<size_t>(INT32_MAX) ||
        !event.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
        event.id() != AsView(it->key()).substr(kEventPrefix.size())) {
      return corrupt(absl::StrCat("the stored event ",
                                  std::string(AsView(it->key()).substr(kEventPrefix.size())),
                                  " does not parse or has another id"));
    }
    auto applied = memory_.Apply(event);
    if (!applied.ok() || !*applied) {
      return corrupt(absl::StrCat("the stored event ", event.id(), " cannot be applied: ",
                                  applied.ok() ? "duplicate" : applied.status().ToString()));
    }
    ++load_info_.events;
    if (const auto now = std::chrono::steady_clock::now(); now - last_log >= kLoadLogEvery) {
      last_log = now;
      spdlog::info("relations: loading {}: {} events so far", options_.dir, load_info_.events);
    }
  }
  if (auto status = FromRocks(it->status(), "cannot read", options_); !status.ok()) return status;

  // Totals: each stored row must match the recomputed one, and every recomputed day have a row.
  for (it->Seek(AsSlice(kDayPrefix)); it->Valid() && StartsWith(AsView(it->key()), kDayPrefix);
       it->Next()) {
    EventPlace place;
    DayTotals stored;
    if (!DecodeDayKey(AsView(it->key()), place) || !DecodeTotals(AsView(it->value()), stored)) {
      return corrupt("a dyad-day row does not decode");
    }
    const auto computed = memory_.DayTotalsOf(place.source, place.target, place.day);
    if (!computed || stored != *computed) {
      return corrupt(absl::StrCat("the stored totals of ", place.source, " → ", place.target,
                                  " on day ", place.day, " (", DescribeTotals(stored),
                                  ") disagree with its stored events (",
                                  computed ? DescribeTotals(*computed) : "none", ")"));
    }
    ++load_info_.day_rows;
  }
  if (auto status = FromRocks(it->status(), "cannot read", options_); !status.ok()) return status;
  int64_t computed_days = 0;
  memory_.ForEachDay([&](const EventPlace&, const DayTotals&) { ++computed_days; });
  if (computed_days != load_info_.day_rows) {
    return corrupt(absl::StrCat(computed_days, " dyad-days have events but ", load_info_.day_rows,
                                " have stored totals"));
  }

  // Counters and offsets.
  std::lock_guard lock(mu_);
  for (it->Seek(AsSlice(kCounterPrefix));
       it->Valid() && StartsWith(AsView(it->key()), kCounterPrefix); it->Next()) {
    int64_t value = 0;
    if (!ParseInt(AsView(it->value()), value)) return corrupt("a counter row does not decode");
    counters_[std::string(AsView(it->key()).substr(kCounterPrefix.size()))] = value;
  }
  if (auto status = FromRocks(it->status(), "cannot read", options_); !status.ok()) return status;
  const auto applied = counters_.find(kCounterApplied);
  if ((applied == counters_.end() ? 0 : applied->second) != load_info_.events) {
    return corrupt(absl::StrCat(load_info_.events, " events are stored but the applied counter is ",
                                applied == counters_.end() ? 0 : applied->second));
  }
  const std::string offset_prefix = OffsetPrefix(options_.topic);
  for (it->Seek(offset_prefix); it->Valid() && StartsWith(AsView(it->key()), offset_prefix);
       it->Next()) {
    int64_t partition = 0;
    int64_t offset = 0;
    if (!ParseInt(AsView(it->key()).substr(offset_prefix.size()), partition) ||
        !ParseInt(AsView(it->value()), offset) || partition < 0 || partition > INT32_MAX) {
      return corrupt("an offset row does not decode");
    }
    offsets_[static_cast<int32_t>(partition)] = offset;
  }
  if (auto status = FromRocks(it->status(), "cannot read", options_); !status.ok()) return status;
  load_info_.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return absl::OkStatus();
}

absl::Status DurableStore::Commit(Batch batch) {
  if (batch.store_ != this) {
    return absl::InvalidArgumentError("DurableStore::Commit: the batch belongs to another store");
  }
  if (batch.empty()) return absl::OkStatus();
  rocksdb::WriteBatch write_batch;

  // The new totals of each dyad-day the batch touches: the committed totals plus the batch's
  // mentions (integer sums: exactly what the RelationStore computes, in any order).
  std::map<std::tuple<std::string_view, std::string_view, int64_t>,
           std::pair<const EventPlace*, DayTotals>>
      touched;
  for (const auto& pending : batch.events_) {
    const EventPlace& place = pending.place;
    auto key =
        std::make_tuple(std::string_view(place.source), std::string_view(place.target), place.day);
    auto it = touched.find(key);
    if (it == touched.end()) {
      it = touched
               .emplace(key, std::make_pair(
                                 &place, memory_.DayTotalsOf(place.source, place.target, place.day)
                                             .value_or(DayTotals{})))
               .first;
    }
    it->second.second.Add(pending.event);
    write_batch.Put(AsSlice(absl::StrCat(std::string(kEventPrefix), pending.event.id())),
                    AsSlice(pending.bytes));
  }
  for (const auto& [key, row] : touched) {
    write_batch.Put(AsSlice(DayKey(*row.first)), AsSlice(EncodeTotals(row.second)));
  }

  std::map<std::string, int64_t, std::less<>> counters;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, n] : batch.counters_) {
      const auto it = counters_.find(name);
      counters[name] = (it == counters_.end() ? 0 : it->second) + n;
    }
  }
  for (const auto& [name, value] : counters) {
    write_batch.Put(AsSlice(absl::StrCat(std::string(kCounterPrefix), name)),
                    std::to_string(value));
  }
  const std::string offset_prefix = OffsetPrefix(options_.topic);
  for (const auto& [partition, offset] : batch.offsets_) {
    write_batch.Put(AsSlice(absl::StrCat(offset_prefix, partition)), std::to_string(offset));
  }

  rocksdb::WriteOptions write;
  write.sync = options_.sync;
  if (auto status = FromRocks(db_->Write(write, &write_batch), "cannot write to", options_);
      !status.ok()) {
    return status;
  }

  for (const auto& pending : batch.events_) {
    auto applied = memory_.Apply(pending.event);
    if (!applied.ok() || !*applied) {
      return absl::InternalError(absl::StrCat(
          "event ", pending.event.id(), " is stored but the in-memory store refused it (",
          applied.ok() ? "duplicate" : applied.status().ToString(), "); this is a bug"));
    }
  }
  std::lock_guard lock(mu_);
  for (auto& [name, value] : counters) counters_[name] = value;
  for (const auto& [partition, offset] : batch.offsets_) offsets_[partition] = offset;
  return absl::OkStatus();
}

std::map<int32_t, int64_t> DurableStore::NextOffsets() const {
  std::lock_guard lock(mu_);
  return offsets_;
}

std::map<std::string, int64_t> DurableStore::Counters() const {
  std::lock_guard lock(mu_);
  return {counters_.begin(), counters_.end()};
}

int64_t DurableStore::Counter(std::string_view name) const {
  std::lock_guard lock(mu_);
  const auto it = counters_.find(name);
  return it == counters_.end() ? 0 : it->second;
}

int64_t DurableStore::LiveSstBytes() const {
  uint64_t bytes = 0;
  if (!db_->GetIntProperty("rocksdb.live-sst-files-size", &bytes)) return -1;
  return static_cast<int64_t>(bytes);
}

int64_t DurableStore::DiskBytes() const {
  // Every file RocksDB keeps there: SSTs, WAL, MANIFEST, OPTIONS, LOG.
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    if (entry.is_regular_file(ec)) bytes += entry.file_size(ec);
  }
  return static_cast<int64_t>(bytes);
}

}  // namespace dyad::relations
