#include "cluster/jetstream.hpp"

#include <unistd.h>

#include <array>
#include <charconv>
#include <cstring>
#include <vector>

namespace anomstream::daemon {
namespace {

constexpr std::int64_t NS_PER_MS = 1'000'000;
constexpr char HEX[] = "0123456789abcdef";

std::string key_hex(const SipKey& key) {
  std::string out;
  for (const std::uint64_t half : {key.k0, key.k1}) {
    for (int shift = 60; shift >= 0; shift -= 4) out += HEX[(half >> shift) & 15];
  }
  return out;
}

std::optional<SipKey> parse_key_hex(std::string_view text) {
  if (text.size() != 32) return std::nullopt;
  SipKey key{};
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t v = 0;
    const char* first = text.data() + half * 16;
    auto [ptr, ec] = std::from_chars(first, first + 16, v, 16);
    if (ec != std::errc() || ptr != first + 16) return std::nullopt;
    (half == 0 ? key.k0 : key.k1) = v;
  }
  return key;
}

// The value stored under `key`, or `value` stored there first (compare-and-set on
// creation, so concurrent first instances agree on one).
std::expected<std::string, std::string> create_or_get(kvStore* kv, const std::string& key, const std::string& value) {
  std::uint64_t revision = 0;
  natsStatus s = kvStore_CreateString(&revision, kv, key.c_str(), value.c_str());
  if (s == NATS_OK) return value;
  kvEntry* raw = nullptr;
  s = kvStore_Get(&raw, kv, key.c_str());
  KvEntry entry(raw);
  if (s != NATS_OK) return std::unexpected("key \"" + key + "\": " + nats_error(s));
  return std::string(static_cast<const char*>(kvEntry_Value(entry.get())), static_cast<std::size_t>(kvEntry_ValueLen(entry.get())));
}

}  // namespace

std::array<std::uint8_t, 16> ClusterLayout::alert_id(std::string_view tenant, std::string_view stream,
                                                     std::uint64_t sequence) const {
  std::string text;
  text.reserve(tenant.size() + stream.size() + 10);
  text.append(tenant);
  text += '\0';
  text.append(stream);
  text += '\0';
  for (int shift = 56; shift >= 0; shift -= 8) text += static_cast<char>((sequence >> shift) & 0xff);
  const std::uint64_t tag = siphash24(key, text);
  std::array<std::uint8_t, 16> id{};
  for (int i = 0; i < 8; ++i) {
    id[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(sequence >> (56 - 8 * i));
    id[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(tag >> (56 - 8 * i));
  }
  return id;
}

std::string default_instance_name() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) std::strcpy(host.data(), "host");
  std::string name;
  for (const char c : std::string_view(host.data())) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    name += ok ? c : '_';
  }
  return name.substr(0, 48) + "-" + std::to_string(::getpid());
}

std::expected<JetStreamLink, std::string> connect_jetstream(const DaemonConfig::JetStream& config) {
  natsOptions* raw_options = nullptr;
  if (natsOptions_Create(&raw_options) != NATS_OK) return std::unexpected("ingest.jetstream: out of memory");
  NatsOptions options(raw_options);
  std::vector<std::string> urls;
  for (std::size_t start = 0; start <= config.servers.size();) {
    auto comma = config.servers.find(',', start);
    if (comma == std::string::npos) comma = config.servers.size();
    std::string url = config.servers.substr(start, comma - start);
    while (!url.empty() && url.front() == ' ') url.erase(url.begin());
    while (!url.empty() && url.back() == ' ') url.pop_back();
    if (!url.empty()) urls.push_back(std::move(url));
    start = comma + 1;
  }
  std::vector<const char*> pointers;
  for (const auto& url : urls) pointers.push_back(url.c_str());
  natsStatus s = natsOptions_SetServers(options.get(), pointers.data(), static_cast<int>(pointers.size()));
  if (s == NATS_OK) s = natsOptions_SetTimeout(options.get(), 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(options.get(), -1);  // forever: the server may restart
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(options.get(), 250);
  if (s == NATS_OK) s = natsOptions_SetNoRandomize(options.get(), false);
  if (s == NATS_OK && !config.credentials_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(options.get(), config.credentials_file.c_str(), nullptr);
    if (s != NATS_OK) return std::unexpected("ingest.jetstream.credentials_file: " + nats_error(s));
  }
  if (s != NATS_OK) return std::unexpected("ingest.jetstream.servers: " + nats_error(s));
  natsConnection* connection = nullptr;
  s = natsConnection_Connect(&connection, options.get());
  JetStreamLink link{NatsConnection(connection), {}};
  if (s != NATS_OK) return std::unexpected("ingest.jetstream.servers: cannot connect to " + config.servers + ": " + nats_error(s));
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = config.publish_timeout_ms;
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, link.connection.get(), &js_options);
  if (s != NATS_OK) return std::unexpected("ingest.jetstream: JetStream context: " + nats_error(s));
  link.js.reset(js);
  return link;
}

std::expected<KvStore, std::string> open_bucket(jsCtx* js, const std::string& bucket, std::int64_t ttl_ms,
                                                std::int32_t max_value) {
  kvStore* raw = nullptr;
  natsStatus s = js_KeyValue(&raw, js, bucket.c_str());
  if (s == NATS_OK) return KvStore(raw);
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = bucket.c_str();
  config.History = 1;
  config.TTL = ttl_ms * NS_PER_MS;  // the client takes nanoseconds here
  config.MaxValueSize = max_value;
  config.StorageType = js_FileStorage;
  s = js_CreateKeyValue(&raw, js, &config);
  if (s != NATS_OK) {
    // Another instance may have created it between the two calls.
    if (js_KeyValue(&raw, js, bucket.c_str()) == NATS_OK) return KvStore(raw);
    return std::unexpected("key-value bucket \"" + bucket + "\": " + nats_error(s));
  }
  return KvStore(raw);
}

std::expected<ClusterLayout, std::string> prepare_cluster(JetStreamLink& link, const DaemonConfig::JetStream& config,
                                                          const SecretKeyDrawer& draw_key) {
  ClusterLayout layout;
  layout.stream = config.stream;
  layout.prefix = config.subject_prefix;
  layout.group = config.group;
  layout.instance = config.instance.empty() ? default_instance_name() : config.instance;

  jsStreamInfo* raw_info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw_info, link.js.get(), config.stream.c_str(), nullptr, &code);
  JsStreamInfo info(raw_info);
  if (s == NATS_NOT_FOUND) {
    const std::string subjects = config.subject_prefix + ".obs.*";
    const char* subject_list[] = {subjects.c_str()};
    jsStreamConfig stream;
    jsStreamConfig_Init(&stream);
    stream.Name = config.stream.c_str();
    stream.Subjects = subject_list;
    stream.SubjectsLen = 1;
    stream.Retention = js_LimitsPolicy;
    stream.Storage = js_FileStorage;
    stream.Duplicates = 120'000 * NS_PER_MS;
    stream.MaxAge = config.max_age_s * 1000 * NS_PER_MS;
    s = js_AddStream(&raw_info, link.js.get(), &stream, nullptr, &code);
    info.reset(raw_info);
  }
  if (s != NATS_OK) return std::unexpected("ingest.jetstream.stream \"" + config.stream + "\": " + nats_error(s, code));

  auto meta = open_bucket(link.js.get(), layout.meta_bucket(), 0, 1024);
  if (!meta) return std::unexpected("ingest.jetstream: " + meta.error());
  auto partitions = create_or_get(meta->get(), "partitions", std::to_string(config.partitions));
  if (!partitions) return std::unexpected("ingest.jetstream: " + partitions.error());
  if (*partitions != std::to_string(config.partitions)) {
    return std::unexpected("ingest.jetstream.partitions: " + std::to_string(config.partitions) + ", but stream \"" +
                           config.stream + "\" was created with " + *partitions +
                           " (the partition count is fixed with the stream)");
  }
  layout.partitions = static_cast<std::uint32_t>(config.partitions);
  auto drawn = draw_key();
  if (!drawn) return std::unexpected("ingest.jetstream: secret key: " + drawn.error().message());
  auto stored = create_or_get(meta->get(), "key", key_hex(*drawn));
  if (!stored) return std::unexpected("ingest.jetstream: " + stored.error());
  auto key = parse_key_hex(*stored);
  if (!key) return std::unexpected("ingest.jetstream: bucket \"" + layout.meta_bucket() + "\" key \"key\" is not 32 hex digits");
  layout.key = *key;
  return layout;
}

}  // namespace anomstream::daemon
