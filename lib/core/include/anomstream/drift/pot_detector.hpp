#pragma once
// SPOT / DSPOT: streaming peaks-over-threshold alarms with a generalised Pareto tail.

#include <cstdint>
#include <limits>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/drift/gpd_fit.hpp"

namespace anomstream::drift {

enum class PotTail : std::uint8_t { upper, lower, two_sided };

// Which reference implementation's conventions the detector reproduces.
enum class PotReference : std::uint8_t {
  libspot,     // libspot 2 (C): P2 initial threshold, moments vs Grimshaw fit
  spot_paper,  // the authors' original Python SPOT/DSPOT code
  libspot1,    // libspot 1.3.1 (C++) DSPOT: sorted-batch threshold, exponential tail
};

struct PotConfig {
  double q = 1e-4;               // risk: alarm probability per point, in (0, 1 - level)
  std::uint64_t n_init = 1000;   // initial batch (including the DSPOT warm-up of `depth`)
  double level = 0.98;           // quantile of the batch that sets the peaks threshold, [0.5, 0.9999]
  std::uint64_t depth = 0;       // DSPOT moving-average window; 0 = SPOT, at most 100000
  std::uint64_t max_excess = 200;  // excesses kept per tail (most recent), [10, 1000000]
  PotTail tail = PotTail::upper;
  bool discard_anomalies = true;   // alarms are not added to the model
  PotReference reference = PotReference::libspot;

  friend bool operator==(const PotConfig&, const PotConfig&) = default;
};

enum class PotStatus : std::uint8_t {
  calibrating,  // part of the initial batch; no decision yet
  normal,
  excess,       // a peak above the peaks threshold: the tail was refitted
  alarm,        // beyond z_q (added to the model only when discard_anomalies is off)
};

// Which tail an alarm or excess concerns.
enum class PotDirection : std::int8_t { none = 0, up = 1, down = -1 };

// Outcome of one observation. Thresholds are z_q after the point was processed, in the
// units of the input (DSPOT: including the moving average the point was judged
// against); NaN for an unused side and while calibrating.
struct PotVerdict {
  PotStatus status = PotStatus::calibrating;
  PotDirection direction = PotDirection::none;  // set for excess and alarm
  double upper_threshold = std::numeric_limits<double>::quiet_NaN();
  double lower_threshold = std::numeric_limits<double>::quiet_NaN();

  [[nodiscard]] bool alarm() const noexcept { return status == PotStatus::alarm; }
};

// One tail's state in signed units (the lower tail works on -x).
struct PotSideSnapshot {
  double excess_threshold = 0.0;   // t
  double anomaly_threshold = 0.0;  // z_q
  double gamma = 0.0;
  double sigma = 0.0;
  std::uint64_t n = 0;             // points counted in the model (alarms excluded when discarded)
  std::uint64_t nt = 0;            // excesses counted (including those the ring forgot)
  std::vector<double> excesses;    // ring slots in slot order, at most max_excess
  std::uint64_t cursor = 0;        // next slot to write
  double sum = 0.0;                // running sums over the ring, as libspot keeps them
  double sum_squares = 0.0;

  friend bool operator==(const PotSideSnapshot&, const PotSideSnapshot&) = default;
};

struct PotSnapshot {
  PotConfig config;
  bool calibrated = false;
  std::vector<double> batch;       // the initial batch so far (empty once calibrated)
  PotSideSnapshot upper;           // meaningful for the configured tails once calibrated
  PotSideSnapshot lower;
  std::vector<double> window;      // DSPOT: the last `depth` modelled values, ring order
  std::uint64_t window_cursor = 0;
  double window_sum = 0.0;
  double window_mean = 0.0;        // libspot1: the running mean as that code updates it
  std::uint64_t alarms = 0;
  std::uint64_t refits = 0;

  friend bool operator==(const PotSnapshot&, const PotSnapshot&) = default;
};

namespace detail {
// One tail of a PotDetector: the peaks threshold, the GPD fit and the excess ring.
struct PotSide {
  PotSideSnapshot state;  // `excesses` is the ring, sized max_excess at calibration
  std::uint64_t size = 0; // ring slots in use
  double min = 0.0;       // extremes of the ring (derived)
  double max = 0.0;
};
}  // namespace detail

// SPOT and DSPOT (Siffer, Fouque, Termier & Largouet, "Anomaly Detection in Streams with
// Extreme Value Theory", KDD 2017). The first n_init points calibrate: the peaks
// threshold t is a high quantile (`level`) of the batch, the excesses over t are fitted
// with a generalised Pareto tail (gpd_fit.hpp) and z_q = t + the GPD quantile at
// q n / Nt. Each later point beyond z_q is an alarm; one beyond t is an excess that is
// stored and refits the tail; DSPOT (depth > 0) applies all this to x minus the mean
// of the last `depth` modelled points. `reference` selects whose conventions are
// reproduced (each checked against its golden outputs):
//  - libspot 2 (C): t from the P2 quantile estimator (lower tail: its (1 - level)
//    quantile of x), excesses are values > t in the batch and >= t afterwards, the fit
//    is the better likelihood of moments and Grimshaw, and the ring's sum of squares
//    keeps libspot's rescan quirk (see push_excess);
//  - the original SPOT/DSPOT code: t = sorted batch[floor(level n)], excesses > t,
//    Grimshaw fit with that code's brackets and likelihood (fit_gpd_spot_paper), the
//    DSPOT window seeded with the batch's last `depth` points;
//  - libspot 1.3.1 (C++) DSPOT: the first `depth` points only fill the moving-average
//    window, which then keeps moving through the batch (each batch value is x minus
//    the mean before it); t = sorted batch[floor(level n)] (lower:
//    [floor((1 - level) n)]) and the calibration excesses enter the ring in sorted
//    order, Nt = the ring's size; the tail is exponential (fit_gpd_libspot1: that
//    code's root finder never leaves t = 0); the window mean is a running mean
//    (m += (x - x_erased) / depth), never re-summed; an upper excess ends the step
//    before the lower tail is looked at.
// All refit after every excess, keep the `max_excess` most recent excesses in a ring
// (libspot's bound; the original keeps all) while Nt and n count every excess and
// modelled point, and do not model an alarm (n unchanged, window unchanged) when
// discard_anomalies is set; when it is not, an alarm is modelled like an excess.
// Discarding truncates the stored tail at z_q - t, which biases the scale down: on
// stationary Exp(1) with q = 1e-3 the alarm rate is ~2.3-4 q with discarding and ~q
// without (see the tests). Two-sided runs two tails; an alarm on either is not
// modelled on both. Thresholds are reported in input units.
// Memory: 8 (max_excess per tail + depth) bytes plus the 408-byte object once
// calibrated; 8 n_init more (16 for spot_paper) while calibrating.
// Time: O(1) per point outside refits; a refit costs O(max_excess) per likelihood
// evaluation, tens of them (one for libspot1).
// Errors: non-finite input is rejected (ErrorCode::non_finite, state unchanged); a
// batch without an excess (ties) or with a non-finite fit is dropped and calibration
// starts again; a refit giving a non-finite threshold keeps the previous fit.
class PotDetector {
 public:
  static Result<PotDetector> create(const PotConfig& config);
  static Result<PotDetector> restore(const PotSnapshot& snapshot);

  Result<PotVerdict> update(double x) noexcept;

  [[nodiscard]] bool calibrated() const noexcept { return calibrated_; }
  [[nodiscard]] double upper_threshold() const noexcept;
  [[nodiscard]] double lower_threshold() const noexcept;
  // Peaks threshold t of a side, in input units (NaN when unused or calibrating).
  [[nodiscard]] double upper_excess_threshold() const noexcept;
  [[nodiscard]] double lower_excess_threshold() const noexcept;
  // The DSPOT moving average subtracted from the input (0 for SPOT; libspot1: the
  // running mean, also while the window fills).
  [[nodiscard]] double drift() const noexcept { return window_mean(); }
  [[nodiscard]] GpdFit upper_fit() const noexcept;
  [[nodiscard]] GpdFit lower_fit() const noexcept;
  [[nodiscard]] std::uint64_t alarms() const noexcept { return alarms_; }
  [[nodiscard]] std::uint64_t refits() const noexcept { return refits_; }
  [[nodiscard]] const PotConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  [[nodiscard]] PotSnapshot snapshot() const;

 private:
  explicit PotDetector(const PotConfig& config);

  [[nodiscard]] bool uses_upper() const noexcept { return config_.tail != PotTail::lower; }
  [[nodiscard]] bool uses_lower() const noexcept { return config_.tail != PotTail::upper; }
  [[nodiscard]] double window_mean() const noexcept;
  void allocate();
  static void reset_side(detail::PotSide& side) noexcept;
  bool calibrate() noexcept;
  bool calibrate_side(detail::PotSide& side, double sign, std::uint64_t n_model) noexcept;
  void refit(detail::PotSide& side) noexcept;
  void push_excess(detail::PotSide& side, double excess) noexcept;
  void push_window(double x) noexcept;
  Result<PotVerdict> update_libspot1(double x) noexcept;
  PotVerdict step_libspot1(double v) noexcept;
  bool calibrate_libspot1() noexcept;
  void push_window_libspot1(double x) noexcept;
  [[nodiscard]] PotVerdict verdict(PotStatus status, double offset,
                                   PotDirection direction = PotDirection::none) const noexcept;

  PotConfig config_;
  bool calibrated_ = false;
  std::vector<double> batch_;    // capacity n_init until calibrated
  std::vector<double> scratch_;  // spot_paper: sorted copy of the batch
  detail::PotSide upper_;
  detail::PotSide lower_;
  std::vector<double> window_;   // capacity depth
  std::uint64_t window_cursor_ = 0;
  double window_sum_ = 0.0;
  double window_mean_ = 0.0;     // libspot1 only
  std::uint64_t alarms_ = 0;
  std::uint64_t refits_ = 0;
};

}  // namespace anomstream::drift
