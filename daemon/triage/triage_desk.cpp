#include "triage/triage_desk.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace anomstream::daemon {

namespace pb = state::v1;

namespace {

constexpr char HEX[] = "0123456789abcdef";
// Heap bytes a recent alert may hold beyond its node: a stream name and a detector name
// past the small-string buffer, and its attribution.
constexpr std::size_t RECENT_HEAP_BOUND = 64 + 16;

std::uint64_t key_of(const std::array<std::uint8_t, 16>& id) noexcept {
  std::uint64_t key = 0;
  std::memcpy(&key, id.data(), sizeof key);
  return key;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The calibrator's input: how far the score went past the threshold, in log ratio where
// both are positive (the detectors' scores are), else the difference.
double margin_of(double score, double threshold) noexcept {
  if (score > 0 && threshold > 0) return std::log(score / threshold);
  return score - threshold;
}

// What an alert's incident is found by: each attributed feature weighed by its share
// squared (signed by direction), so the features that carry the alert decide its
// incident and a minor one (a third feature at a tenth of the share, which changes from
// row to row of one incident) barely turns the vector.
std::array<double, SIGNATURE_DIMENSION> signature_vector(
    const std::vector<std::pair<std::uint32_t, double>>& features) noexcept {
  std::array<double, SIGNATURE_DIMENSION> v{};
  for (const auto& [index, weight] : features) v[index % SIGNATURE_DIMENSION] += weight * std::abs(weight);
  return v;
}

// What a verdict is keyed by: the first `count` attributed features only (their signed
// shares), so a verdict on an alert that blamed one feature in one direction reaches the
// stream's later alerts that blame it first the same way, whatever else they blame.
std::array<double, SIGNATURE_DIMENSION> verdict_vector(const std::vector<std::pair<std::uint32_t, double>>& features,
                                                       std::size_t count) noexcept {
  std::array<double, SIGNATURE_DIMENSION> v{};
  for (std::size_t i = 0; i < std::min(count, features.size()); ++i) {
    v[features[i].first % SIGNATURE_DIMENSION] += features[i].second;
  }
  return v;
}

bool nonzero(const std::array<double, SIGNATURE_DIMENSION>& v) noexcept {
  return std::any_of(v.begin(), v.end(), [](double x) { return x != 0.0; });
}

pb::SipKeyState key_to_proto(const SipKey& key) {
  pb::SipKeyState out;
  out.set_k0(key.k0);
  out.set_k1(key.k1);
  return out;
}

SipKey key_from_proto(const pb::SipKeyState& key) { return SipKey{key.k0(), key.k1()}; }

triage::FeedbackStoreConfig feedback_config(const TriageSettings& s) {
  return {.dimension = SIGNATURE_DIMENSION,
          .bits = s.feedback_bits,
          .max_entries = s.feedback_entries,
          .false_positive_ttl_ns = s.false_positive_ttl_ns,
          .benign_ttl_ns = s.benign_ttl_ns,
          .true_positive_ttl_ns = s.true_positive_ttl_ns,
          .false_positive_factor = triage::FeedbackStoreConfig{}.false_positive_factor,
          .benign_factor = s.benign_factor,
          .true_positive_factor = triage::FeedbackStoreConfig{}.true_positive_factor,
          .key = std::nullopt};
}

triage::LshAlertClustererConfig cluster_config(const TriageSettings& s) {
  return {.dimension = SIGNATURE_DIMENSION,
          .bits = s.cluster_bits,
          .window_ns = s.cluster_window_ns,
          .max_entries = s.cluster_entries,
          .probe = s.cluster_probe,
          .key = std::nullopt};
}

std::unexpected<Error> corrupt(std::string field, std::string bound) {
  return fail(ErrorCode::corrupt_snapshot, "triage." + field, std::move(bound));
}

}  // namespace

bool parse_alert_key(std::string_view text, std::array<std::uint8_t, 16>& out) {
  if (text.size() != 32) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

std::pair<std::string_view, std::string_view> split_alert_id(std::string_view alert_id) {
  const auto slash = alert_id.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return {{}, alert_id};
  return {alert_id.substr(0, slash), alert_id.substr(slash + 1)};
}

TriageDesk::TriageDesk(const TriageSettings& settings, triage::LshAlertClusterer clusterer, SecretKeyDrawer drawer)
    : settings_(settings),
      drawer_(std::move(drawer)),
      clusterer_(std::move(clusterer)),
      recent_(std::max<std::size_t>(1, settings.recent_alerts)) {
  // Fixed parts, and each table at its bound.
  bytes_ = sizeof(*this) + clusterer_.memory_bytes() + recent_.memory_bytes() +
           recent_.capacity() * (RECENT_HEAP_BOUND + settings.top_features * sizeof(std::pair<std::uint32_t, double>));
  // The feedback store is created at the first verdict; counted at its bound from the start,
  // so a verdict never pushes a tenant over its budget unannounced.
  bytes_ += settings.feedback_entries * 40 + std::bit_ceil(settings.feedback_entries * 2) * 4 +
            8 * SIGNATURE_DIMENSION * settings.feedback_bits;
}

Result<std::unique_ptr<TriageDesk>> TriageDesk::create(const TriageSettings& settings,
                                                       const SecretKeyDrawer& drawer) {
  auto clusterer = triage::LshAlertClusterer::create(cluster_config(settings), drawer);
  if (!clusterer) return std::unexpected(clusterer.error());
  return std::unique_ptr<TriageDesk>(new TriageDesk(settings, std::move(*clusterer), drawer));
}

triage::PlattCalibrator& TriageDesk::calibrator(const std::string& detector) {
  for (auto& [name, calibrator] : calibrators_) {
    if (name == detector) return calibrator;
  }
  // The default configuration is valid by construction.
  calibrators_.emplace_back(detector, *triage::PlattCalibrator::create({}));
  return calibrators_.back().second;
}

Result<triage::FeedbackStore*> TriageDesk::feedback() {
  if (!feedback_) {
    auto store = triage::FeedbackStore::create(feedback_config(settings_), drawer_);
    if (!store) return std::unexpected(store.error());
    feedback_.emplace(std::move(*store));
  }
  return &*feedback_;
}

std::uint64_t TriageDesk::run_cluster(const std::string& stream, std::uint64_t position) const {
  if (position < 2) return 0;
  std::uint64_t cluster = 0;
  recent_.for_each([&](const auto& node) {
    const Recent& r = node.value;
    if (r.position == position - 1 && r.cluster_id != 0 && r.stream == stream) cluster = r.cluster_id;
  });
  return cluster;
}

void TriageDesk::remember(Recent recent) {
  const std::uint64_t key = key_of(recent.id);
  if (auto* node = recent_.find(key); node != nullptr) {
    node->value = std::move(recent);
    recent_.touch(*node);
    return;
  }
  recent_.insert(key, std::move(recent));
}

Status TriageDesk::triage(v1::Alert& alert, std::int64_t now_ns, const std::array<std::uint8_t, 16>* id_bytes,
                          std::uint64_t position) {
  Recent recent;
  if (id_bytes != nullptr) {
    std::memcpy(recent.id.data(), id_bytes->data(), 16);
  } else {
    auto drawn = drawer_();
    if (!drawn) return std::unexpected(drawn.error());
    std::memcpy(recent.id.data(), &drawn->k0, 8);
    std::memcpy(recent.id.data() + 8, &drawn->k1, 8);
  }
  std::string id = alert.tenant();
  id += '/';
  for (const std::uint8_t byte : recent.id) {
    id += HEX[byte >> 4];
    id += HEX[byte & 15];
  }
  alert.set_alert_id(std::move(id));
  alert.set_model_version(settings_.model_version);

  recent.stream = alert.stream();
  recent.detector = alert.detector();
  recent.margin = margin_of(alert.score(), alert.threshold());
  recent.raised_ns = now_ns;
  for (const auto& f : alert.top_features()) {
    const double sign = f.direction() == v1::DIRECTION_LOW ? -1.0 : 1.0;
    if (std::isfinite(f.share())) recent.features.emplace_back(f.index(), sign * f.share());
  }
  recent.position = position;
  const auto vector = signature_vector(recent.features);
  bool suppressed = false;
  if (nonzero(vector)) {
    const std::int64_t event_ns = std::max<std::int64_t>(0, alert.timestamp_ns());
    if (const std::uint64_t run = run_cluster(recent.stream, position); run != 0) {
      recent.cluster_id = run;
    } else if (auto assigned = clusterer_.assign(alert.stream(), vector, event_ns)) {
      recent.cluster_id = assigned->cluster_id;
    }
    const auto key_vector = verdict_vector(recent.features, settings_.feedback_features);
    if (feedback_ && nonzero(key_vector)) {
      if (auto found = feedback_->match(alert.stream(), key_vector, now_ns); found && *found) {
        const auto& verdict = **found;
        alert.set_feedback(std::string(triage::to_string(verdict.label)));
        if (verdict.label == triage::FeedbackLabel::false_positive) {
          suppressed = recent.margin <= verdict.reference + settings_.escalation;
        } else if (verdict.label == triage::FeedbackLabel::benign) {
          suppressed = alert.score() * verdict.factor < alert.threshold();
        }
      }
    }
  }
  alert.set_cluster_id(recent.cluster_id);
  alert.set_suppressed(suppressed);
  const auto probability = calibrator(recent.detector).probability(recent.margin);
  alert.set_probability(probability ? *probability : 0.5);
  remember(std::move(recent));
  return {};
}

Result<std::optional<TriageDesk::Verdict>> TriageDesk::verdict(const std::array<std::uint8_t, 16>& key,
                                                               triage::FeedbackLabel label, std::int64_t now_ns) {
  auto* node = recent_.find(key_of(key));
  if (node == nullptr || node->value.id != key) return std::optional<Verdict>{};
  recent_.touch(*node);
  Recent& recent = node->value;
  const auto vector = verdict_vector(recent.features, settings_.feedback_features);
  if (nonzero(vector)) {
    auto store = feedback();
    if (!store) return std::unexpected(store.error());
    if (auto recorded = (*store)->record(recent.stream, vector, label, now_ns, recent.margin); !recorded) {
      return std::unexpected(recorded.error());
    }
  }
  Verdict out;
  out.first = recent.verdict == 0;
  out.cluster_id = recent.cluster_id;
  out.stream = recent.stream;
  recent.verdict = static_cast<std::uint8_t>(static_cast<int>(label) + 1);
  const double margin = recent.margin;
  const std::string detector = recent.detector;
  // Refit on every labelled alert the desk remembers of this detector (Newton, Platt's
  // smoothed targets): a few dozen verdicts calibrate far better this way than by online
  // steps, and a changed verdict simply counts as its latest.
  std::vector<double> margins;
  std::vector<std::uint8_t> labels;
  recent_.for_each([&](const auto& node) {
    if (node.value.verdict == 0 || node.value.detector != detector) return;
    margins.push_back(node.value.margin);
    labels.push_back(node.value.verdict - 1 == static_cast<int>(triage::FeedbackLabel::false_positive) ? 0 : 1);
  });
  auto& calibration = calibrator(detector);
  if (auto fitted = calibration.fit(margins, labels); !fitted) return std::unexpected(fitted.error());
  const auto probability = calibration.probability(margin);
  out.probability = probability ? *probability : 0.5;
  return std::optional<Verdict>{std::move(out)};
}

std::optional<std::pair<std::string, std::string>> TriageDesk::lookup(const std::array<std::uint8_t, 16>& key) const {
  const auto* node = const_cast<triage::detail::LruTable<Recent>&>(recent_).find(key_of(key));
  if (node == nullptr || node->value.id != key) return std::nullopt;
  return std::pair{node->value.stream, node->value.detector};
}

void TriageDesk::snapshot(pb::TriageState& out) const {
  out.Clear();
  for (const auto& [detector, calibrator] : calibrators_) {
    const auto s = calibrator.snapshot();
    auto* c = out.add_calibrators();
    c->set_detector(detector);
    c->set_learning_rate(s.config.learning_rate);
    c->set_decay_updates(s.config.decay_updates);
    c->set_max_iterations(s.config.max_iterations);
    c->set_gradient_tolerance(s.config.gradient_tolerance);
    c->set_a(s.a);
    c->set_b(s.b);
    c->set_average_a(s.average_a);
    c->set_average_b(s.average_b);
    c->set_positives(s.positives);
    c->set_negatives(s.negatives);
    c->set_steps(s.steps);
    c->set_averaged(s.averaged);
    c->set_score_count(s.score_count);
    c->set_score_mean(s.score_mean);
    c->set_score_m2(s.score_m2);
  }
  {
    const auto s = clusterer_.snapshot();
    auto* c = out.mutable_clusterer();
    c->set_dimension(s.config.dimension);
    c->set_bits(s.config.bits);
    c->set_window_ns(s.config.window_ns);
    c->set_max_entries(s.config.max_entries);
    *c->mutable_key() = key_to_proto(*s.config.key);
    c->set_next_id(s.next_id);
    c->set_newest_ns(s.newest_ns);
    c->set_evictions(s.evictions);
    for (const auto& e : s.entries) {
      auto* entry = c->add_entries();
      entry->set_signature(e.signature);
      entry->set_scope(e.scope);
      entry->set_id(e.id);
      entry->set_first_ns(e.first_ns);
      entry->set_last_ns(e.last_ns);
      entry->set_size(e.size);
    }
  }
  if (feedback_) {
    const auto s = feedback_->snapshot();
    auto* f = out.mutable_feedback();
    f->set_dimension(s.config.dimension);
    f->set_bits(s.config.bits);
    f->set_max_entries(s.config.max_entries);
    f->set_false_positive_ttl_ns(s.config.false_positive_ttl_ns);
    f->set_benign_ttl_ns(s.config.benign_ttl_ns);
    f->set_true_positive_ttl_ns(s.config.true_positive_ttl_ns);
    f->set_benign_factor(s.config.benign_factor);
    *f->mutable_key() = key_to_proto(*s.config.key);
    f->set_evictions(s.evictions);
    for (const auto& e : s.entries) {
      auto* entry = f->add_entries();
      entry->set_key(e.key);
      entry->set_label(static_cast<std::uint32_t>(e.label));
      entry->set_labelled_at_ns(e.labelled_at_ns);
      entry->set_reference(e.reference);
    }
  }
  recent_.for_each([&](const auto& node) {
    const Recent& r = node.value;
    auto* recent = out.add_recent();
    recent->set_id(std::string(reinterpret_cast<const char*>(r.id.data()), r.id.size()));
    recent->set_stream(r.stream);
    recent->set_detector(r.detector);
    recent->set_margin(r.margin);
    for (const auto& [index, weight] : r.features) {
      recent->add_feature_index(index);
      recent->add_feature_weight(weight);
    }
    recent->set_raised_ns(r.raised_ns);
    recent->set_cluster_id(r.cluster_id);
    recent->set_position(r.position);
    recent->set_verdict(r.verdict);
  });
}

Result<std::unique_ptr<TriageDesk>> TriageDesk::restore(const TriageSettings& settings,
                                                        const pb::TriageState& state) {
  if (!state.has_clusterer()) return corrupt("clusterer", "present");
  const auto& c = state.clusterer();
  triage::LshAlertClustererSnapshot clusters;
  clusters.config = cluster_config(settings);
  clusters.config.key = key_from_proto(c.key());
  clusters.next_id = c.next_id();
  clusters.newest_ns = c.newest_ns();
  clusters.evictions = c.evictions();
  // A changed signature width or dimension keys no entry alike: they go, ids keep growing.
  if (c.bits() == settings.cluster_bits && c.dimension() == SIGNATURE_DIMENSION) {
    const int keep = std::min(c.entries_size(), static_cast<int>(settings.cluster_entries));
    for (int i = c.entries_size() - keep; i < c.entries_size(); ++i) {
      const auto& e = c.entries(i);
      clusters.entries.push_back({e.signature(), e.scope(), e.id(), e.first_ns(), e.last_ns(), e.size()});
    }
  }
  auto clusterer = triage::LshAlertClusterer::restore(clusters);
  if (!clusterer) return corrupt("clusterer." + clusterer.error().field, clusterer.error().bound);
  std::unique_ptr<TriageDesk> desk(new TriageDesk(settings, std::move(*clusterer), draw_secret_key));

  for (const auto& c : state.calibrators()) {
    triage::PlattCalibratorSnapshot s;
    s.config = triage::PlattCalibratorConfig{};
    s.a = c.a();
    s.b = c.b();
    s.average_a = c.average_a();
    s.average_b = c.average_b();
    s.positives = c.positives();
    s.negatives = c.negatives();
    s.steps = c.steps();
    s.averaged = c.averaged();
    s.score_count = c.score_count();
    s.score_mean = c.score_mean();
    s.score_m2 = c.score_m2();
    auto calibrator = triage::PlattCalibrator::restore(s);
    if (!calibrator) return corrupt("calibrators." + calibrator.error().field, calibrator.error().bound);
    if (c.detector().empty() || c.detector().size() > 64) return corrupt("calibrators.detector", "1 to 64 bytes");
    for (const auto& [name, unused] : desk->calibrators_) {
      if (name == c.detector()) return corrupt("calibrators.detector", "unique");
    }
    desk->calibrators_.emplace_back(c.detector(), std::move(*calibrator));
  }

  if (state.has_feedback()) {
    const auto& f = state.feedback();
    triage::FeedbackStoreSnapshot s;
    s.config = feedback_config(settings);
    s.config.key = key_from_proto(f.key());
    s.evictions = f.evictions();
    if (f.bits() == settings.feedback_bits && f.dimension() == SIGNATURE_DIMENSION) {
      const int keep = std::min(f.entries_size(), static_cast<int>(settings.feedback_entries));
      for (int i = f.entries_size() - keep; i < f.entries_size(); ++i) {
        const auto& e = f.entries(i);
        if (e.label() > static_cast<std::uint32_t>(triage::FeedbackLabel::true_positive)) {
          return corrupt("feedback.entries.label", "0, 1 or 2");
        }
        s.entries.push_back({e.key(), static_cast<triage::FeedbackLabel>(e.label()), e.labelled_at_ns(), e.reference()});
      }
    }
    auto store = triage::FeedbackStore::restore(s);
    if (!store) return corrupt("feedback." + store.error().field, store.error().bound);
    desk->feedback_.emplace(std::move(*store));
  }

  const int keep = std::min(state.recent_size(), static_cast<int>(desk->recent_.capacity()));
  for (int i = state.recent_size() - keep; i < state.recent_size(); ++i) {
    const auto& r = state.recent(i);
    Recent recent;
    if (r.id().size() != 16) return corrupt("recent.id", "16 bytes");
    std::memcpy(recent.id.data(), r.id().data(), 16);
    if (r.stream().empty() || r.stream().size() > triage::FeedbackStore::MAX_STREAM_BYTES) {
      return corrupt("recent.stream", "1 to 1024 bytes");
    }
    if (r.detector().size() > 64) return corrupt("recent.detector", "at most 64 bytes");
    if (!std::isfinite(r.margin())) return corrupt("recent.margin", "finite");
    if (r.feature_index_size() != r.feature_weight_size() || r.feature_index_size() > 64) {
      return corrupt("recent.feature_weight", "one per feature_index, at most 64");
    }
    if (r.verdict() > 3) return corrupt("recent.verdict", "0 to 3");
    if (desk->recent_.find(key_of(recent.id)) != nullptr) return corrupt("recent.id", "unique");
    recent.stream = r.stream();
    recent.detector = r.detector();
    recent.margin = r.margin();
    for (int k = 0; k < r.feature_index_size(); ++k) {
      if (!std::isfinite(r.feature_weight(k))) return corrupt("recent.feature_weight", "finite");
      recent.features.emplace_back(r.feature_index(k), r.feature_weight(k));
    }
    recent.raised_ns = r.raised_ns();
    recent.cluster_id = r.cluster_id();
    recent.position = r.position();
    recent.verdict = static_cast<std::uint8_t>(r.verdict());
    desk->recent_.insert(key_of(recent.id), recent);
  }
  return desk;
}

}  // namespace anomstream::daemon
