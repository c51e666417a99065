#pragma once
// A tenant's triage desk: every alert of the tenant passes through it on its way from the
// pipeline to the sinks, and every analyst verdict on one of its alerts lands in it. One
// desk per tenant, owned by the worker that owns the tenant (no locks), persisted with
// the tenant's state and evicted with it, so one tenant's feedback never reaches another.
//
// For an alert, in this order:
//   1. id        "<tenant>/<32 hex digits>": 128 bits from getrandom(2), unguessable and
//                unique across restarts;
//   2. signature the alert's attribution as a vector of SIGNATURE_DIMENSION values: each
//                attributed feature adds its share, negated for a low direction, at its
//                index mod SIGNATURE_DIMENSION (exact for streams of up to 64 values);
//   3. cluster   LshAlertClusterer over the signature, scoped by stream, in the
//                observations' own time: alerts of one incident share the id;
//   4. feedback  the tenant's live verdict on a similar alert of the stream (FeedbackStore:
//                same stream, same signature at feedback_bits, within the TTL). Under a
//                false positive the alert is suppressed unless its margin ln(score /
//                threshold) exceeds the dismissed alert's (the largest dismissed, when
//                several) by more than `escalation`; under a benign verdict, when its score
//                times benign_factor falls below the threshold; a true positive never
//                suppresses. Suppressed: not raised, still audited and counted;
//   5. probability PlattCalibrator (one per detector) over the margin ln(score/threshold),
//                refitted at each verdict on the labelled alerts the desk remembers (true
//                positive or benign: 1, false positive: 0); 0.5 until the first verdict;
//   6. remembered in a bounded least-recently-used table of recent alerts, which a verdict
//                names (an alert that has left it is NOT_FOUND).
// Memory: fixed at creation by the settings (memory_bytes(); the recent alerts' stream
// names and attributions are counted at their bound, 64 bytes of name and top_features).

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/secret_key.hpp"
#include "anomstream/state/v1/state.pb.h"
#include "anomstream/triage/detail/lru_table.hpp"
#include "anomstream/triage/feedback_store.hpp"
#include "anomstream/triage/lsh_alert_clusterer.hpp"
#include "anomstream/triage/platt_calibrator.hpp"
#include "anomstream/v1/alert.pb.h"

namespace anomstream::daemon {

inline constexpr std::size_t SIGNATURE_DIMENSION = 64;

struct TriageSettings {
  std::size_t recent_alerts = 1024;  // per tenant: alerts a verdict can still name
  std::size_t top_features = 3;      // attributed features per alert (pipeline.top_features)
  std::size_t cluster_bits = 12;
  std::int64_t cluster_window_ns = 300'000'000'000;
  bool cluster_probe = true;
  std::size_t cluster_entries = 256;
  std::size_t feedback_bits = 16;
  std::size_t feedback_features = 1;  // the attributed features a verdict is keyed by
  std::size_t feedback_entries = 4096;
  std::int64_t false_positive_ttl_ns = 7 * 86'400'000'000'000LL;
  std::int64_t benign_ttl_ns = 7 * 86'400'000'000'000LL;
  std::int64_t true_positive_ttl_ns = 30 * 86'400'000'000'000LL;
  double escalation = 0.25;  // margin past a dismissed alert's at which a similar one is raised again
  double benign_factor = 0.8;
  std::string model_version{};  // written into every alert
};

// The part of an alert id after "<tenant>/", as hex; false when `text` is not 32 hex digits.
bool parse_alert_key(std::string_view text, std::array<std::uint8_t, 16>& out);
// The tenant an alert id names ("" when the id is malformed) and its random part.
std::pair<std::string_view, std::string_view> split_alert_id(std::string_view alert_id);

class TriageDesk {
 public:
  struct Verdict {
    bool first = true;            // the alert had no verdict before
    std::uint64_t cluster_id = 0;
    double probability = 0.5;     // the calibrator's answer for the alert's margin, after the verdict
    std::string stream;
  };

  // Fails only when the secret keys cannot be drawn.
  [[nodiscard]] static Result<std::unique_ptr<TriageDesk>> create(
      const TriageSettings& settings, const SecretKeyDrawer& drawer = draw_secret_key);
  // A desk persisted under other settings keeps what still means the same: TTLs, factors,
  // the cluster window and the calibration carry over; a changed signature width drops
  // the clusters or verdicts it keyed (cluster ids still only grow), a smaller table keeps
  // its most recent entries.
  [[nodiscard]] static Result<std::unique_ptr<TriageDesk>> restore(const TriageSettings& settings,
                                                                   const state::v1::TriageState& state);

  // Sets the alert's id, cluster id, probability, model version, the verdict that applied
  // and, when that verdict covers it, `suppressed`. `now_ns`: the wall clock, which
  // verdict TTLs are measured in. Fails (the alert unchanged but for its id) only when
  // the id's random bits cannot be drawn.
  // `id`: the alert's 16-byte id (scale-out names alerts by their message); nullptr: drawn.
  // `position`: the stream's observations applied, this one included (0: unknown). An
  // alert on the observation right after one that alerted on the same stream joins that
  // alert's incident whatever it blames: an unbroken run of alerting observations is one
  // incident (the attribution of a long anomaly drifts as the model sees more of it).
  // Otherwise the incident is found by the attribution's signature.
  [[nodiscard]] Status triage(v1::Alert& alert, std::int64_t now_ns, const std::array<std::uint8_t, 16>* id = nullptr,
                              std::uint64_t position = 0);
  // An analyst's verdict on the alert `key` (the id's random part); nullopt when this
  // tenant has no such alert among its recent ones.
  [[nodiscard]] Result<std::optional<Verdict>> verdict(const std::array<std::uint8_t, 16>& key,
                                                       triage::FeedbackLabel label, std::int64_t now_ns);

  // The stream and detector of a recent alert, nullopt when the desk has no such alert.
  [[nodiscard]] std::optional<std::pair<std::string, std::string>> lookup(
      const std::array<std::uint8_t, 16>& key) const;

  void snapshot(state::v1::TriageState& out) const;
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::size_t recent_alerts() const noexcept { return recent_.size(); }

 private:
  struct Recent {
    std::array<std::uint8_t, 16> id{};
    std::string stream;
    std::string detector;
    double margin = 0;
    std::vector<std::pair<std::uint32_t, double>> features;  // index, signed share
    std::int64_t raised_ns = 0;
    std::uint64_t cluster_id = 0;
    std::uint8_t verdict = 0;  // 0: none, else FeedbackLabel + 1
    std::uint64_t position = 0;  // the stream's observations applied at the alert; 0: unknown
  };

  TriageDesk(const TriageSettings& settings, triage::LshAlertClusterer clusterer, SecretKeyDrawer drawer);
  [[nodiscard]] triage::PlattCalibrator& calibrator(const std::string& detector);
  [[nodiscard]] Result<triage::FeedbackStore*> feedback();
  void remember(Recent recent);
  // The incident of the stream's alert at `position` - 1 among the recent ones; 0: none.
  [[nodiscard]] std::uint64_t run_cluster(const std::string& stream, std::uint64_t position) const;

  TriageSettings settings_;
  SecretKeyDrawer drawer_;
  triage::LshAlertClusterer clusterer_;
  std::optional<triage::FeedbackStore> feedback_;
  std::vector<std::pair<std::string, triage::PlattCalibrator>> calibrators_;
  triage::detail::LruTable<Recent> recent_;
  std::size_t bytes_ = 0;
};

}  // namespace anomstream::daemon
