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
      sorted_(config.members * config.history, 0.0),
      surprises_(config.members, 0.0) {}

Result<ScoreEnsemble> ScoreEnsemble::create(const ScoreEnsembleConfig& config) {
  if (auto ok = validate(config); !ok) return std::unexpected(ok.error());
  return ScoreEnsemble(config);
}

std::size_t ScoreEnsemble::held() const noexcept {
  return static_cast<std::size_t>(std::min<std::uint64_t>(seen_, config_.history));
}

std::span<const double> ScoreEnsemble::sorted_of(std::size_t member) const noexcept {
  return std::span<const double>(sorted_).subspan(member * config_.history, held());
}

double ScoreEnsemble::surprise(std::size_t member, double s) const noexcept {
  if (member >= config_.members) return 0.0;
  const auto recent = sorted_of(member);  // ascending
  const std::size_t n = recent.size();
  if (n < config_.min_history) return 0.0;
  const double total = static_cast<double>(n + 1);
  const auto tail = std::min<std::size_t>(
      n - 1, std::max<std::size_t>(
                 1, static_cast<std::size_t>(config_.tail_fraction * static_cast<double>(n))));
  if (tail > 0) {
    const double threshold = recent[n - 1 - tail];
    if (s > threshold) {
      // The scores above the threshold: the last `tail` ones, less any tied with it.
      const auto first = std::upper_bound(recent.end() - static_cast<std::ptrdiff_t>(tail),
                                          recent.end(), threshold);
      const auto above = static_cast<std::size_t>(recent.end() - first);
      double excess = 0.0;
      for (auto it = first; it != recent.end(); ++it) excess += *it - threshold;
      if (above > 0 && excess > 0.0) {
        const double sigma = excess / static_cast<double>(above);
        return (s - threshold) / sigma - std::log(static_cast<double>(above) / total);
      }
    }
  }
  const auto at_least =
      static_cast<std::size_t>(recent.end() - std::lower_bound(recent.begin(), recent.end(), s));
  return -std::log(static_cast<double>(at_least + 1) / total);
}

void ScoreEnsemble::learn(std::size_t member, double score) noexcept {
  const std::size_t n = held();
  double* ring = history_.data() + member * config_.history;
  double* sorted = sorted_.data() + member * config_.history;
  const auto slot = static_cast<std::size_t>(seen_ % config_.history);
  std::size_t size = n;
  if (n == config_.history) {
    // Drop the score that leaves the ring from the sorted copy.
    double* gone = std::lower_bound(sorted, sorted + size, ring[slot]);
    std::move(gone + 1, sorted + size, gone);
    --size;
  }
  double* at = std::upper_bound(sorted, sorted + size, score);
  std::move_backward(at, sorted + size, sorted + size + 1);
  *at = score;
  ring[slot] = score;
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
  for (std::size_t j = 0; j < config_.members; ++j) learn(j, scores[j]);
  ++seen_;
  return combined;
}

std::size_t ScoreEnsemble::memory_bytes() const noexcept {
  return sizeof(ScoreEnsemble) +
         (history_.capacity() + sorted_.capacity() + surprises_.capacity()) * sizeof(double);
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
    const auto from = snapshot.recent.begin() + static_cast<std::ptrdiff_t>(j * n);
    const auto sorted = out.sorted_.begin() + static_cast<std::ptrdiff_t>(j * h);
    std::copy(from, from + static_cast<std::ptrdiff_t>(n), sorted);
    std::sort(sorted, sorted + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

}  // namespace anomstream::stats
