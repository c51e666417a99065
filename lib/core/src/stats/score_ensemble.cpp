#include "anomstream/stats/score_ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace anomstream::stats {
namespace {

Status validate(const ScoreEnsembleConfig& config) {
  if (auto ok = require_in_range<std::size_t>(config.members, 1, ScoreEnsemble::MAX_MEMBERS,
                                              "members");
      !ok) {
    return ok;
  }
  if (auto ok = require_in_range<std::size_t>(config.history, 2, ScoreEnsemble::MAX_HISTORY,
                                              "history");
      !ok) {
    return ok;
  }
  if (auto ok = require_in_range<std::size_t>(config.min_history, 1, config.history,
                                              "min_history");
      !ok) {
    return ok;
  }
  if (!(config.tail_fraction > 0.0 && config.tail_fraction <= 0.5)) {
    return fail(ErrorCode::invalid_config, "tail_fraction",
                "must be in (0, 0.5] (got " + format_number(config.tail_fraction) + ")");
  }
  if (config.rule != EnsembleRule::max && config.rule != EnsembleRule::sum) {
    return fail(ErrorCode::invalid_config, "rule", "must be max or sum");
  }
  return {};
}

}  // namespace

std::string_view to_string(EnsembleRule rule) noexcept {
  return rule == EnsembleRule::sum ? "sum" : "max";
}

ScoreEnsemble::ScoreEnsemble(const ScoreEnsembleConfig& config)
    : config_(config),
      history_(config.members * config.history, 0.0),
      scratch_(config.history, 0.0),
      surprises_(config.members, 0.0) {}

Result<ScoreEnsemble> ScoreEnsemble::create(const ScoreEnsembleConfig& config) {
  if (auto ok = validate(config); !ok) return std::unexpected(ok.error());
  return ScoreEnsemble(config);
}

std::size_t ScoreEnsemble::held() const noexcept {
  return static_cast<std::size_t>(std::min<std::uint64_t>(seen_, config_.history));
}

std::span<const double> ScoreEnsemble::history_of(std::size_t member) const noexcept {
  // The ring's order does not matter to the calibration; the first held() slots are used.
  return std::span<const double>(history_).subspan(member * config_.history, held());
}

double ScoreEnsemble::surprise(std::size_t member, double s) const noexcept {
  if (member >= config_.members) return 0.0;
  const auto recent = history_of(member);
  const std::size_t n = recent.size();
  if (n < config_.min_history) return 0.0;
  const auto tail = std::min<std::size_t>(
      n - 1, std::max<std::size_t>(
                 1, static_cast<std::size_t>(config_.tail_fraction * static_cast<double>(n))));
  double threshold = 0.0;
  if (tail > 0) {
    std::copy(recent.begin(), recent.end(), scratch_.begin());
    const auto at = scratch_.begin() + static_cast<std::ptrdiff_t>(n - 1 - tail);
    std::nth_element(scratch_.begin(), at, scratch_.begin() + static_cast<std::ptrdiff_t>(n));
    threshold = *at;
  }
  std::size_t at_least = 0, above = 0;
  double excess = 0.0;
  for (const double v : recent) {
    at_least += v >= s ? 1 : 0;
    if (tail > 0 && v > threshold) {
      ++above;
      excess += v - threshold;
    }
  }
  const double total = static_cast<double>(n + 1);
  if (tail > 0 && s > threshold && above > 0 && excess > 0.0) {
    const double sigma = excess / static_cast<double>(above);
    return (s - threshold) / sigma - std::log(static_cast<double>(above) / total);
  }
  return -std::log(static_cast<double>(at_least + 1) / total);
}

Result<double> ScoreEnsemble::process(std::span<const double> scores) noexcept {
  if (scores.size() != config_.members) [[unlikely]] {
    return std::unexpected(require_dimension(scores.size(), config_.members, "scores").error());
  }
  if (auto ok = require_finite(scores, "scores"); !ok) [[unlikely]] {
    return std::unexpected(ok.error());
  }
  double combined = 0.0;
  for (std::size_t j = 0; j < config_.members; ++j) {
    surprises_[j] = surprise(j, scores[j]);
    combined = config_.rule == EnsembleRule::max ? std::max(combined, surprises_[j])
                                                 : combined + surprises_[j];
  }
  const auto slot = static_cast<std::size_t>(seen_ % config_.history);
  for (std::size_t j = 0; j < config_.members; ++j) {
    history_[j * config_.history + slot] = scores[j];
  }
  ++seen_;
  return combined;
}

std::size_t ScoreEnsemble::memory_bytes() const noexcept {
  return sizeof(ScoreEnsemble) +
         (history_.capacity() + scratch_.capacity() + surprises_.capacity()) * sizeof(double);
}

ScoreEnsembleSnapshot ScoreEnsemble::snapshot() const {
  ScoreEnsembleSnapshot out;
  out.config = config_;
  out.seen = seen_;
  const std::size_t n = held();
  out.recent.reserve(config_.members * n);
  for (std::size_t j = 0; j < config_.members; ++j) {
    for (std::size_t k = 0; k < n; ++k) {
      const auto slot = static_cast<std::size_t>((seen_ - n + k) % config_.history);
      out.recent.push_back(history_[j * config_.history + slot]);
    }
  }
  return out;
}

Result<ScoreEnsemble> ScoreEnsemble::restore(const ScoreEnsembleSnapshot& snapshot) {
  if (auto ok = validate(snapshot.config); !ok) {
    return fail(ErrorCode::corrupt_snapshot, "config." + ok.error().field, ok.error().bound);
  }
  ScoreEnsemble out(snapshot.config);
  out.seen_ = snapshot.seen;
  const std::size_t n = out.held();
  const std::size_t expected = snapshot.config.members * n;
  if (snapshot.recent.size() != expected) {
    return fail(ErrorCode::corrupt_snapshot, "recent",
                "length must be members * min(seen, history) = " + std::to_string(expected) +
                    " (got " + std::to_string(snapshot.recent.size()) + ")");
  }
  if (!std::all_of(snapshot.recent.begin(), snapshot.recent.end(),
                   [](double v) { return std::isfinite(v); })) {
    return fail(ErrorCode::corrupt_snapshot, "recent", "must be finite");
  }
  const std::size_t h = snapshot.config.history;
  for (std::size_t j = 0; j < snapshot.config.members; ++j) {
    for (std::size_t k = 0; k < n; ++k) {
      const auto slot = static_cast<std::size_t>((snapshot.seen - n + k) % h);
      out.history_[j * h + slot] = snapshot.recent[j * n + k];
    }
  }
  return out;
}

}  // namespace anomstream::stats
