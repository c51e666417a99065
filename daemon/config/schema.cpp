#include "config/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <type_traits>
#include <cmath>
#include <limits>

namespace anomstream::daemon {
namespace {

// An accessor from the config root to one member: at<&DaemonConfig::grpc,
// &DaemonConfig::Grpc::listen>(c) is c.grpc.listen.
template <auto... Members>
constexpr auto at = [](DaemonConfig& c) -> auto& { return (c.*....*Members); };

Endpoint parse_endpoint(const std::string& text) {
  const auto colon = text.rfind(':');
  Endpoint e;
  e.host = text.substr(0, colon);
  if (e.host.size() >= 2 && e.host.front() == '[') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  e.port = static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)));
  return e;
}

bool parse_integer(const std::string& text, long long& out);
bool parse_number(const std::string& text, double& out);

// How a validated YAML scalar (or list) becomes the member's type. Numbers are read by
// the parsers validate() checked them with, not by yaml-cpp's as<>, which reads a leading
// 0 as octal: "0999" passed validation and then threw, "0777" became 511.
template <class T>
T convert(const YAML::Node& node) {
  if constexpr (std::is_same_v<T, Endpoint>) {
    return parse_endpoint(node.as<std::string>());
  } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
    return node.as<T>();
  } else if constexpr (std::is_same_v<T, double>) {
    double v = 0;
    parse_number(node.Scalar(), v);
    return v;
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    std::vector<std::string> out(node.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = node[i].Scalar();
    return out;
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    std::vector<double> out(node.size());
    for (std::size_t i = 0; i < out.size(); ++i) parse_number(node[i].Scalar(), out[i]);
    return out;
  } else {
    static_assert(std::is_integral_v<T>);
    long long v = 0;
    parse_integer(node.Scalar(), v);
    return static_cast<T>(v);
  }
}

template <class Get>
Field leaf(std::string name, FieldKind kind, double min, double max, std::vector<std::string> choices,
           std::string help, Get get, bool live) {
  Field f{std::move(name), kind, min, max, std::move(choices), {}, std::move(help), {}, live};
  f.assign = [get](const YAML::Node& node, DaemonConfig& c) {
    auto& member = get(c);
    member = convert<std::remove_reference_t<decltype(member)>>(node);
  };
  return f;
}

enum Reload : bool { restart = false, live = true };

Field map(std::string name, std::vector<Field> children, std::string help = "") {
  return Field{std::move(name), FieldKind::map, 0, 0, {}, std::move(children), std::move(help), {}, false};
}
template <class Get>
Field integer(std::string name, double min, double max, std::string help, Get get, Reload r = restart) {
  return leaf(std::move(name), FieldKind::integer, min, max, {}, std::move(help), get, r);
}
template <class Get>
Field string(std::string name, std::string help, Get get, Reload r = restart) {
  return leaf(std::move(name), FieldKind::string, 0, 0, {}, std::move(help), get, r);
}
template <class Get>
Field choice(std::string name, std::vector<std::string> choices, std::string help, Get get,
             Reload r = restart) {
  return leaf(std::move(name), FieldKind::choice, 0, 0, std::move(choices), std::move(help), get, r);
}
template <class Get>
Field number(std::string name, double min, double max, std::string help, Get get, Reload r = restart) {
  return leaf(std::move(name), FieldKind::number, min, max, {}, std::move(help), get, r);
}
template <class Get>
Field boolean(std::string name, std::string help, Get get, Reload r = restart) {
  return leaf(std::move(name), FieldKind::boolean, 0, 0, {}, std::move(help), get, r);
}
template <class Get>
Field number_list(std::string name, double min, double max, std::string help, Get get,
                  Reload r = restart) {
  return leaf(std::move(name), FieldKind::number_list, min, max, {}, std::move(help), get, r);
}
// A list of stream names, each exact or a prefix ending in '*'.
template <class Get>
Field stream_list(std::string name, std::string help, Get get, Reload r = restart) {
  return leaf(std::move(name), FieldKind::stream_list, 0, 0, {}, std::move(help), get, r);
}
template <class Get>
Field endpoint(std::string name, std::string help, Get get, Reload r = restart) {
  return leaf(std::move(name), FieldKind::endpoint, 0, 0, {}, std::move(help), get, r);
}

using C = DaemonConfig;

Field build_schema() {
  return map("", {
      map("server", {
          map("grpc", {
              endpoint("listen", "gRPC listen address, host:port (port 0 picks a free port)",
                       at<&C::grpc, &C::Grpc::listen>),
              integer("max_message_bytes", 1024, 64 * 1024 * 1024, "largest gRPC message accepted",
                      at<&C::grpc, &C::Grpc::max_message_bytes>),
              map("tls", {
                  string("cert_file", "server certificate chain (PEM); set with key_file to serve TLS",
                         at<&C::grpc, &C::Grpc::tls, &C::Grpc::Tls::cert_file>),
                  string("key_file", "server private key (PEM), readable by its owner only",
                         at<&C::grpc, &C::Grpc::tls, &C::Grpc::Tls::key_file>),
                  string("client_ca_file", "CA bundle (PEM) that client certificates must chain to (mutual TLS)",
                         at<&C::grpc, &C::Grpc::tls, &C::Grpc::Tls::client_ca_file>),
                  integer("refresh_interval_s", 1, 86400, "how often the certificate files are re-read",
                          at<&C::grpc, &C::Grpc::tls, &C::Grpc::Tls::refresh_interval_s>),
              }),
              map("auth", {
                  string("tokens_file", "hashed bearer tokens with their tenants and actions; empty: no tokens",
                         at<&C::grpc, &C::Grpc::tokens_file>),
              }),
          }),
          map("udp", {
              endpoint("listen", "UDP listen address, host:port (port 0 picks a free port)",
                       at<&C::udp, &C::Udp::listen>),
              integer("max_datagram_bytes", 64, 65507, "largest datagram accepted",
                      at<&C::udp, &C::Udp::max_datagram_bytes>),
              map("auth", {
                  string("keys_file", "per-tenant HMAC keys datagrams must be signed with; empty: unsigned",
                         at<&C::udp, &C::Udp::keys_file>),
                  integer("replay_window_s", 1, 3600, "a signed datagram's time stamp must be this close to now",
                          at<&C::udp, &C::Udp::replay_window_s>),
              }),
          }),
          map("metrics", {
              endpoint("listen", "HTTP address for /metrics, /healthz and /readyz, host:port", at<&C::metrics_listen>),
              map("auth", {
                  string("basic_file", "user:sha256(password) lines for basic auth on /metrics; empty: none",
                         at<&C::metrics_basic_auth_file>),
              }),
          }),
          boolean("allow_insecure_remote",
                  "let a listener on a non-loopback address run without TLS, tokens or keys (warned)",
                  at<&C::allow_insecure_remote>),
      }),
      map("ingest", {
          integer("max_batch", 1, 65536, "observations per batch or datagram", at<&C::max_batch>),
          integer("max_dimension", 1, 10000, "values per observation", at<&C::max_dimension>),
          number("max_abs_value", 1, 1e300, "values of larger magnitude are rejected out_of_range",
                 at<&C::max_abs_value>),
          map("jetstream", {
              string("servers", "NATS server URLs, comma-separated; empty: single host, no JetStream",
                     at<&C::jetstream, &C::JetStream::servers>),
              string("credentials_file", "NATS credentials file (JWT and NKey seed); empty: none",
                     at<&C::jetstream, &C::JetStream::credentials_file>),
              string("stream", "JetStream stream holding the observations (created if absent)",
                     at<&C::jetstream, &C::JetStream::stream>),
              string("subject_prefix", "observations go to <subject_prefix>.obs.<partition>",
                     at<&C::jetstream, &C::JetStream::subject_prefix>),
              string("group", "scoring group: names its consumers and key-value buckets",
                     at<&C::jetstream, &C::JetStream::group>),
              string("instance", "this instance's name in leases and the ledger; empty: host:pid",
                     at<&C::jetstream, &C::JetStream::instance>),
              integer("partitions", 1, 1024, "partitions P: tenant -> keyed hash mod P; fixed when the stream is created",
                      at<&C::jetstream, &C::JetStream::partitions>),
              integer("lease_ttl_ms", 1000, 600000, "a partition's lease expires this long after its last renewal",
                      at<&C::jetstream, &C::JetStream::lease_ttl_ms>),
              integer("snapshot_every", 1, 100000000, "a partition's hand-off snapshot is written after this many messages",
                      at<&C::jetstream, &C::JetStream::snapshot_every>),
              integer("fetch_batch", 1, 4096, "messages per fetch from a partition's consumer",
                      at<&C::jetstream, &C::JetStream::fetch_batch>),
              integer("publish_timeout_ms", 100, 60000, "longest wait for JetStream's publish acknowledgement",
                      at<&C::jetstream, &C::JetStream::publish_timeout_ms>),
              integer("max_age_s", 0, 315360000, "observations are kept this long when the stream is created; 0: unlimited",
                      at<&C::jetstream, &C::JetStream::max_age_s>),
              boolean("score", "also own partitions and score them (false: ingest only)",
                      at<&C::jetstream, &C::JetStream::score>),
              string("ledger", "JSON lines of every scored message and lease change; empty: off",
                     at<&C::jetstream, &C::JetStream::ledger>),
          }),
      }),
      map("workers", {
          integer("count", 1, 256, "scoring worker threads", at<&C::worker_count>),
          integer("queue_capacity", 1, 1 << 20, "bounded queue length per worker", at<&C::queue_capacity>),
      }),
      map("hotpath", {
          map("sampler", {
              choice("mode", {"every", "keyed"}, "which observations also update the model",
                     at<&C::sampler, &C::Sampler::mode>, live),
              integer("every", 1, 1000000, "mode every: every n-th observation updates",
                      at<&C::sampler, &C::Sampler::every>, live),
              number("rate", 0, 1, "mode keyed: fraction of flows whose observations update",
                     at<&C::sampler, &C::Sampler::rate>, live),
          }),
          map("rate_cap", {
              boolean("enabled", "cap observations per tenant bucket per window",
                      at<&C::rate_cap, &C::RateCap::enabled>, live),
              integer("per_window", 1, 4294967295.0, "observations admitted per bucket per window",
                      at<&C::rate_cap, &C::RateCap::per_window>, live),
              integer("window_ms", 1, 3600000, "window length", at<&C::rate_cap, &C::RateCap::window_ms>, live),
          }),
      }),
      map("pipeline", {
          integer("dimension", 0, 10000, "values per observation; 0 learns it per stream",
                  at<&C::pipeline, &C::Pipeline::dimension>),
          choice("normalizer", {"z_score", "min_max", "none"}, "per-feature scaling before the forest",
                 at<&C::pipeline, &C::Pipeline::normalizer>),
          map("forest", {
              integer("num_trees", 50, 1000, "trees per forest", at<&C::pipeline, &C::Pipeline::num_trees>),
              integer("sample_size", 16, 2048, "points sampled per tree",
                      at<&C::pipeline, &C::Pipeline::sample_size>),
              integer("seed", 0, 9007199254740991.0, "random seed (per stream it is mixed with the stream name)",
                      at<&C::pipeline, &C::Pipeline::seed>),
              number("time_decay", 0, 1, "weight decay per update; 0 selects 0.1/sample_size",
                     at<&C::pipeline, &C::Pipeline::time_decay>),
              integer("output_after", 0, 100000, "updates before scores are reported; 0 selects sample_size/4",
                      at<&C::pipeline, &C::Pipeline::output_after>),
          }),
          map("threshold", {
              number("z_factor", 0.5, 20, "adaptive threshold: score mean + z_factor standard deviations",
                     at<&C::pipeline, &C::Pipeline::z_factor>, live),
              number("min_score", 0, 100, "scores below this never alert", at<&C::pipeline, &C::Pipeline::min_score>,
                     live),
          }),
          number_list("severity_thresholds", 0, 1000,
                      "grade thresholds for low, medium, high, critical (strictly increasing)",
                      at<&C::pipeline, &C::Pipeline::severity_thresholds>, live),
          integer("top_features", 1, 64, "attributed features reported per alert",
                  at<&C::pipeline, &C::Pipeline::top_features>, live),
          choice("detector", {"forest", "kmeans", "left_mp"},
                 "the detector of every stream that pipeline.streams does not name",
                 at<&C::pipeline, &C::Pipeline::detector>),
          map("streams", {
              stream_list("forest", "streams scored by the forest whatever pipeline.detector says",
                          at<&C::pipeline, &C::Pipeline::streams, &C::Pipeline::Streams::forest>),
              stream_list("kmeans", "streams scored by subsequence k-means",
                          at<&C::pipeline, &C::Pipeline::streams, &C::Pipeline::Streams::kmeans>),
              stream_list("left_mp", "univariate streams scored by the left matrix profile",
                          at<&C::pipeline, &C::Pipeline::streams, &C::Pipeline::Streams::left_mp>),
          }),
          map("kmeans", {
              choice("normalizer", {"none", "z_score", "min_max"}, "per-feature scaling before the windows",
                     at<&C::pipeline, &C::Pipeline::kmeans, &C::Pipeline::KMeans::normalizer>),
              integer("window", 2, 4096, "rows per window (with the stream's dimension d: d * window <= 65536)",
                      at<&C::pipeline, &C::Pipeline::kmeans, &C::Pipeline::KMeans::window>),
              integer("clusters", 1, 256, "centroids k", at<&C::pipeline, &C::Pipeline::kmeans, &C::Pipeline::KMeans::clusters>),
              integer("warmup", 1, 1e9, "windows the first fits learn from (at least clusters)",
                      at<&C::pipeline, &C::Pipeline::kmeans, &C::Pipeline::KMeans::warmup>),
              integer("reservoir", 1, 1 << 20, "warm-up windows kept for the fits (at least clusters)",
                      at<&C::pipeline, &C::Pipeline::kmeans, &C::Pipeline::KMeans::reservoir>),
              integer("max_count", 1, 1e9, "a centroid's memory in windows after warm-up",
                      at<&C::pipeline, &C::Pipeline::kmeans, &C::Pipeline::KMeans::max_count>),
              number("newest_weight", 0, 1e6, "extra weight of the window's newest row in the score (0: the plain distance)",
                     at<&C::pipeline, &C::Pipeline::kmeans, &C::Pipeline::KMeans::newest_weight>),
          }),
          map("left_mp", {
              integer("window", 3, 4096, "values per subsequence m",
                      at<&C::pipeline, &C::Pipeline::left_mp, &C::Pipeline::LeftMp::window>),
              integer("history", 1, 1 << 20, "subsequences kept as candidate neighbours (about 64 bytes each)",
                      at<&C::pipeline, &C::Pipeline::left_mp, &C::Pipeline::LeftMp::history>),
              boolean("normalize", "z-normalised distances (the matrix profile) instead of raw ones",
                      at<&C::pipeline, &C::Pipeline::left_mp, &C::Pipeline::LeftMp::normalize>),
          }),
      }),
      map("tenants", {
          integer("max_tenants", 1, 1000000, "tenant states kept in memory (LRU eviction beyond)",
                  at<&C::max_tenants>),
          integer("max_streams", 1, 10000000, "streams whose dimension ingest remembers", at<&C::max_streams>),
          integer("max_bytes", 1 << 20, 1099511627776.0,
                  "detector-state bytes across all tenants (LRU eviction beyond)", at<&C::max_tenant_bytes>),
          number("new_per_second", 0.001, 1e9, "tenants never seen before admitted per second (beyond: tenant_limit)",
                 at<&C::per_tenant, &C::TenantLimits::new_per_second>),
          integer("new_burst", 1, 1e9, "new tenants admitted at once before new_per_second applies",
                  at<&C::per_tenant, &C::TenantLimits::new_burst>),
          number("max_rate_per_tenant", 0, 1e12, "observations per second one tenant may send; 0: unlimited",
                 at<&C::per_tenant, &C::TenantLimits::max_rate>),
          integer("rate_burst_per_tenant", 1, 1e12, "observations one tenant may send at once above its rate",
                  at<&C::per_tenant, &C::TenantLimits::rate_burst>),
          integer("max_streams_per_tenant", 1, 10000000,
                  "streams one tenant keeps in memory; its least recently used beyond (persisted first)",
                  at<&C::per_tenant, &C::TenantLimits::max_streams>),
          integer("max_bytes_per_tenant", 1 << 16, 1099511627776.0,
                  "detector-state bytes one tenant may hold; its least recently used streams beyond",
                  at<&C::per_tenant, &C::TenantLimits::max_bytes>),
      }),
      map("sinks", {
          string("json_lines", "alerts as JSON lines: \"-\" for stdout, a file path, or empty for off",
                 at<&C::json_lines>, live),
          string("records", "every alert as a strict AlertRecord JSON line (docs/alert-record.schema.json), or empty for off",
                 at<&C::records>),
          integer("queue_capacity", 1, 1048576, "alerts between the workers and the sink thread (lost, counted, beyond)",
                  at<&C::sink, &C::Sink::queue_capacity>),
          map("watch", {
              integer("max_subscribers", 0, 4096, "WatchAlerts streams open at once (RESOURCE_EXHAUSTED beyond)",
                      at<&C::sink, &C::Sink::max_subscribers>),
              integer("queue_capacity", 1, 1048576, "alerts buffered per subscriber (lost for it, counted, beyond)",
                      at<&C::sink, &C::Sink::subscriber_capacity>),
          }),
      }),
      map("triage", {
          integer("recent_alerts", 1, 1 << 20, "alerts per tenant that feedback can still name (NOT_FOUND beyond)",
                  at<&C::triage, &C::Triage::recent_alerts>),
          map("cluster", {
              integer("bits", 1, 64, "attribution signature bits: more, finer incidents",
                      at<&C::triage, &C::Triage::cluster_bits>),
              integer("window_s", 1, 31536000, "an incident stays open this long after its last alert (observation time)",
                      at<&C::triage, &C::Triage::cluster_window_s>),
              boolean("probe", "also join an open incident whose signature differs in one bit (multi-probe LSH)",
                      at<&C::triage, &C::Triage::cluster_probe>),
              integer("max_entries", 1, 1 << 20, "open incidents remembered per tenant (least recently seen evicted)",
                      at<&C::triage, &C::Triage::cluster_max_entries>),
          }),
          map("feedback", {
              integer("bits", 1, 64, "signature bits a verdict is keyed by: fewer, broader reach",
                      at<&C::triage, &C::Triage::feedback_bits>),
              integer("features", 1, 64, "attributed features (largest first) a verdict is keyed by",
                      at<&C::triage, &C::Triage::feedback_features>),
              integer("max_entries", 1, 65536, "verdicts remembered per tenant (least recently used evicted)",
                      at<&C::triage, &C::Triage::feedback_max_entries>),
              integer("false_positive_ttl_s", 1, 1000000000, "how long a false-positive verdict suppresses",
                      at<&C::triage, &C::Triage::false_positive_ttl_s>),
              integer("benign_ttl_s", 1, 1000000000, "how long a benign verdict damps",
                      at<&C::triage, &C::Triage::benign_ttl_s>),
              integer("true_positive_ttl_s", 1, 1000000000, "how long a true-positive verdict holds",
                      at<&C::triage, &C::Triage::true_positive_ttl_s>),
              number("escalation", 0, 100,
                     "near a false positive, raised only past the dismissed alert's ln(score/threshold) by this",
                     at<&C::triage, &C::Triage::escalation>),
              number("benign_factor", 0, 1, "near a benign verdict: suppressed when score * factor < threshold",
                     at<&C::triage, &C::Triage::benign_factor>),
          }),
          map("explain", {
              integer("max_permutations", 2, 100000, "SAGE permutations per ExplainAlert at most",
                      at<&C::triage, &C::Triage::explain_max_permutations>),
              integer("rows", 1, 4096, "model sample points explained", at<&C::triage, &C::Triage::explain_rows>),
              integer("background", 1, 256, "sample points absent features are drawn from",
                      at<&C::triage, &C::Triage::explain_background>),
              integer("max_concurrent", 1, 64, "ExplainAlert calls running at once (RESOURCE_EXHAUSTED beyond)",
                      at<&C::triage, &C::Triage::explain_max_concurrent>),
          }),
      }),
      map("logging", {
          choice("level", {"trace", "debug", "info", "warn", "error", "critical", "off"},
                 "log level", at<&C::log_level>, live),
      }),
      map("shutdown", {
          integer("deadline_ms", 1, 600000, "drain-and-flush budget on SIGINT/SIGTERM",
                  at<&C::shutdown_deadline_ms>, live),
      }),
      map("audit", {
          string("path", "audit log file; empty disables the audit log", at<&C::audit, &C::Audit::path>),
          string("key_file", "file holding the HMAC-SHA256 key", at<&C::audit, &C::Audit::key_file>),
          string("key_env", "environment variable holding the HMAC-SHA256 key", at<&C::audit, &C::Audit::key_env>),
          string("previous_key_file", "file holding the key the existing log was written under (key rotation)",
                 at<&C::audit, &C::Audit::previous_key_file>),
          choice("fsync", {"always", "interval", "never"}, "when written entries are forced to disk",
                 at<&C::audit, &C::Audit::fsync>),
          integer("fsync_interval_ms", 1, 3600000, "fsync interval: longest time an entry stays unsynced",
                  at<&C::audit, &C::Audit::fsync_interval_ms>),
          integer("rotate_bytes", 0, 1099511627776.0, "rotate the log before it would exceed this; 0 never",
                  at<&C::audit, &C::Audit::rotate_bytes>),
      }),
      map("state", {
          string("dir", "tenant state files (models survive restarts); empty: not persisted",
                 at<&C::state, &C::State::dir>),
          integer("snapshot_interval_s", 1, 86400, "each changed tenant's state is written this often",
                  at<&C::state, &C::State::snapshot_interval_s>),
      }),
  });
}

std::string format_bound(double v) {
  if (std::abs(v) < 1e15 && v == std::floor(v)) {
    return fmt::format("{}", static_cast<long long>(v));
  }
  return fmt::format("{}", v);
}

std::string join_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

void problem(const YAML::Node& node, const std::string& path, std::string expected,
             std::string found, std::vector<ConfigProblem>& out) {
  const YAML::Mark mark = node.Mark();
  out.push_back(ConfigProblem{path, mark.line >= 0 ? mark.line + 1 : 0,
                              mark.column >= 0 ? mark.column + 1 : 0, std::move(expected),
                              std::move(found)});
}

std::string scalar_text(const YAML::Node& node) {
  if (node.IsScalar()) {
    return "\"" + node.Scalar() + "\"";
  }
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "nothing";
}

bool parse_integer(const std::string& text, long long& out) {
  const char* first = text.data();
  const char* last = first + text.size();
  auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && ptr == last && !text.empty();
}

bool parse_number(const std::string& text, double& out) {
  const char* first = text.data();
  const char* last = first + text.size();
  auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && ptr == last && !text.empty() && std::isfinite(out);
}

bool valid_endpoint(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return false;
  }
  long long port = 0;
  if (!parse_integer(text.substr(colon + 1), port) || port < 0 || port > 65535) {
    return false;
  }
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    return host.back() == ']' && host.size() > 2;
  }
  return host.find(':') == std::string::npos;
}

bool valid_stream_pattern(const std::string& text) {
  const auto star = text.find('*');
  return !text.empty() && text.size() <= MAX_STREAM_PATTERN_BYTES &&
         (star == std::string::npos || star + 1 == text.size());
}

void collect_paths(const Field& field, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& child : field.children) {
    const std::string path = join_path(prefix, child.name);
    if (child.kind == FieldKind::map) {
      collect_paths(child, path, out);
    } else {
      out.push_back(path);
    }
  }
}

}  // namespace

void assign(const YAML::Node& node, const Field& schema, DaemonConfig& config) {
  for (const auto& child : schema.children) {
    const YAML::Node value = node[child.name];
    if (child.kind == FieldKind::map) {
      assign(value, child, config);
    } else {
      child.assign(value, config);
    }
  }
}

std::vector<std::string> leaf_paths(const Field& schema) {
  std::vector<std::string> out;
  collect_paths(schema, "", out);
  return out;
}

const Field& config_schema() {
  static const Field schema = build_schema();
  return schema;
}

std::string describe_expected(const Field& field) {
  switch (field.kind) {
    case FieldKind::map: return "a map";
    case FieldKind::integer:
      return fmt::format("an integer in [{}, {}]", format_bound(field.min), format_bound(field.max));
    case FieldKind::number:
      return fmt::format("a number in [{}, {}]", format_bound(field.min), format_bound(field.max));
    case FieldKind::string: return "a string";
    case FieldKind::boolean: return "true or false";
    case FieldKind::choice: return fmt::format("one of {}", fmt::join(field.choices, ", "));
    case FieldKind::endpoint: return "host:port with port in [0, 65535] (IPv6 as [addr]:port)";
    case FieldKind::number_list:
      return fmt::format("a list of numbers in [{}, {}]", format_bound(field.min), format_bound(field.max));
    case FieldKind::stream_list:
      return fmt::format("a list of stream names of 1 to {} bytes, each exact or a prefix ending in *",
                         MAX_STREAM_PATTERN_BYTES);
  }
  return "?";
}

std::string ConfigProblem::message(std::string_view source) const {
  std::string where = line > 0 ? fmt::format("{}:{}:{}", source, line, column) : std::string(source);
  return fmt::format("{}: {}: expected {}, found {}", where, path.empty() ? "(document)" : path,
                     expected, found);
}

void validate(const YAML::Node& node, const Field& schema, const std::string& path,
              std::vector<ConfigProblem>& problems) {
  if (schema.kind == FieldKind::map) {
    if (node.IsNull()) {
      return;  // an empty section keeps every default
    }
    if (!node.IsMap()) {
      problem(node, path, "a map", scalar_text(node), problems);
      return;
    }
    std::vector<std::string> seen;
    for (const auto& entry : node) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      // YAML forbids repeated keys; a parser that keeps the last would hide the first.
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        problem(entry.first, join_path(path, key), "each key once in its map", fmt::format("\"{}\" again", key),
                problems);
        continue;
      }
      seen.push_back(key);
      const Field* child = nullptr;
      for (const auto& candidate : schema.children) {
        if (candidate.name == key) {
          child = &candidate;
          break;
        }
      }
      if (child == nullptr) {
        std::vector<std::string> names;
        for (const auto& candidate : schema.children) names.push_back(candidate.name);
        problem(entry.first, join_path(path, key),
                fmt::format("a known key ({})", fmt::join(names, ", ")),
                fmt::format("unknown key \"{}\"", key), problems);
        continue;
      }
      validate(entry.second, *child, join_path(path, key), problems);
    }
    return;
  }

  if (schema.kind == FieldKind::stream_list) {
    if (!node.IsSequence()) {
      problem(node, path, describe_expected(schema), scalar_text(node), problems);
      return;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      const bool ok = item.IsScalar() && valid_stream_pattern(item.Scalar());
      if (!ok) problem(item, fmt::format("{}[{}]", path, i), describe_expected(schema), scalar_text(item), problems);
    }
    return;
  }
  if (schema.kind == FieldKind::number_list) {
    if (!node.IsSequence()) {
      problem(node, path, describe_expected(schema), scalar_text(node), problems);
      return;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      double v = 0;
      const YAML::Node item = node[i];
      if (!item.IsScalar() || !parse_number(item.Scalar(), v) || v < schema.min || v > schema.max) {
        problem(item, fmt::format("{}[{}]", path, i), describe_expected(schema), scalar_text(item), problems);
      }
    }
    return;
  }
  if (!node.IsScalar()) {
    problem(node, path, describe_expected(schema), scalar_text(node), problems);
    return;
  }
  const std::string& text = node.Scalar();
  bool ok = false;
  switch (schema.kind) {
    case FieldKind::integer: {
      long long v = 0;
      ok = parse_integer(text, v) && static_cast<double>(v) >= schema.min &&
           static_cast<double>(v) <= schema.max;
      break;
    }
    case FieldKind::number: {
      double v = 0;
      ok = parse_number(text, v) && v >= schema.min && v <= schema.max;
      break;
    }
    case FieldKind::string: ok = true; break;
    case FieldKind::boolean: ok = text == "true" || text == "false"; break;
    case FieldKind::choice:
      for (const auto& c : schema.choices) ok = ok || c == text;
      break;
    case FieldKind::endpoint: ok = valid_endpoint(text); break;
    case FieldKind::map:
    case FieldKind::number_list:
    case FieldKind::stream_list: break;
  }
  if (!ok) {
    problem(node, path, describe_expected(schema), scalar_text(node), problems);
  }
}

}  // namespace anomstream::daemon
