#pragma once
// anomstreamd's typed configuration. Each member is filled from the schema entry that
// names it (config/schema.cpp binds every key to its member), so a key is declared once:
// schema entry, member, default in config/default.yaml, line in docs/operations.md.

#include <cstdint>
#include <string>
#include <vector>

namespace anomstream::daemon {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct DaemonConfig {
  struct Grpc {
    Endpoint listen;
    std::int64_t max_message_bytes = 0;
    struct Tls {
      std::string cert_file;
      std::string key_file;
      std::string client_ca_file;
      std::int64_t refresh_interval_s = 0;
    } tls;
    std::string tokens_file;
  } grpc;
  struct Udp {
    Endpoint listen;
    std::int64_t max_datagram_bytes = 0;
    std::string keys_file;
    std::int64_t replay_window_s = 0;
  } udp;
  Endpoint metrics_listen;
  std::string metrics_basic_auth_file;
  bool allow_insecure_remote = false;
  std::int64_t max_batch = 0;
  std::int64_t max_dimension = 0;
  std::int64_t worker_count = 0;
  std::int64_t queue_capacity = 0;
  struct Sampler {
    std::string mode;  // "every" or "keyed"
    std::int64_t every = 1;
    double rate = 1.0;
  } sampler;
  struct RateCap {
    bool enabled = false;
    std::int64_t per_window = 0;
    std::int64_t window_ms = 0;
  } rate_cap;
  struct Pipeline {
    std::int64_t dimension = 0;
    std::string normalizer;
    std::int64_t num_trees = 0;
    std::int64_t sample_size = 0;
    std::uint64_t seed = 0;
    double time_decay = 0;
    std::int64_t output_after = 0;
    double z_factor = 0;
    double min_score = 0;
    std::vector<double> severity_thresholds;
    std::int64_t top_features = 0;
    std::string detector;  // "forest", "kmeans" or "left_mp": the default of every stream
    struct Streams {      // streams that use another detector than the default
      std::vector<std::string> forest;
      std::vector<std::string> kmeans;
      std::vector<std::string> left_mp;
    } streams;
    struct KMeans {
      std::string normalizer;
      std::int64_t window = 0;
      std::int64_t clusters = 0;
      std::int64_t warmup = 0;
      std::int64_t reservoir = 0;
      std::int64_t max_count = 0;
      double newest_weight = 0;
    } kmeans;
    struct LeftMp {
      std::int64_t window = 0;
      std::int64_t history = 0;
      bool normalize = false;
    } left_mp;
  } pipeline;
  double max_abs_value = 0;
  // Scale-out through NATS JetStream (cluster/cluster_node.hpp); off while servers is empty.
  struct JetStream {
    std::string servers;           // comma-separated nats:// URLs
    std::string credentials_file;  // NATS credentials (JWT and seed); empty: none
    std::string stream;
    std::string subject_prefix;
    std::string group;
    std::string instance;          // empty: host name and process id
    std::int64_t partitions = 0;
    std::int64_t lease_ttl_ms = 0;
    std::int64_t snapshot_every = 0;
    std::int64_t fetch_batch = 0;
    std::int64_t publish_timeout_ms = 0;
    std::int64_t max_age_s = 0;      // the stream's retention when created; 0: unlimited
    bool score = true;
    std::string ledger;
  } jetstream;
  std::int64_t max_tenants = 0;
  std::int64_t max_streams = 0;
  std::int64_t max_tenant_bytes = 0;
  struct TenantLimits {
    double new_per_second = 0;
    std::int64_t new_burst = 0;
    double max_rate = 0;
    std::int64_t rate_burst = 0;
    std::int64_t max_streams = 0;
    std::int64_t max_bytes = 0;
  } per_tenant;
  std::string json_lines;
  std::string records;
  struct Sink {
    std::int64_t queue_capacity = 0;
    std::int64_t max_subscribers = 0;
    std::int64_t subscriber_capacity = 0;
  } sink;
  struct Triage {
    std::int64_t recent_alerts = 0;
    std::int64_t cluster_bits = 0;
    std::int64_t cluster_window_s = 0;
    bool cluster_probe = false;
    std::int64_t cluster_max_entries = 0;
    std::int64_t feedback_bits = 0;
    std::int64_t feedback_features = 0;
    std::int64_t feedback_max_entries = 0;
    std::int64_t false_positive_ttl_s = 0;
    std::int64_t benign_ttl_s = 0;
    std::int64_t true_positive_ttl_s = 0;
    double escalation = 0;
    double benign_factor = 0;
    std::int64_t explain_max_permutations = 0;
    std::int64_t explain_rows = 0;
    std::int64_t explain_background = 0;
    std::int64_t explain_max_concurrent = 0;
  } triage;
  std::string log_level;
  std::int64_t shutdown_deadline_ms = 0;
  struct Audit {
    std::string path;
    std::string key_file;
    std::string key_env;
    std::string previous_key_file;
    std::string fsync;  // "always", "interval" or "never"
    std::int64_t fsync_interval_ms = 0;
    std::int64_t rotate_bytes = 0;
  } audit;
  struct State {
    std::string dir;
    std::int64_t snapshot_interval_s = 0;
  } state;
};

}  // namespace anomstream::daemon
