#pragma once
// An analyst's verdict on its way from SubmitFeedback to the worker that owns the alert's
// tenant (the desk lives there, see triage_desk.hpp), and the worker's answer.

#include <array>
#include <cstdint>
#include <future>
#include <optional>
#include <string>

#include "anomstream/triage/feedback_store.hpp"
#include "pipeline/explain_model.hpp"
#include "triage/triage_desk.hpp"

namespace anomstream::daemon {

struct FeedbackOutcome {
  enum class Kind : std::uint8_t { recorded, not_found, failed };
  Kind kind = Kind::not_found;
  TriageDesk::Verdict verdict;
  std::string error;  // failed: why
};

struct FeedbackRequest {
  std::array<std::uint8_t, 16> key{};  // the alert id's random part
  triage::FeedbackLabel label = triage::FeedbackLabel::benign;
  std::int64_t now_ns = 0;  // wall clock when the verdict arrived
  std::promise<FeedbackOutcome> done;
};

struct ExplainOutcome {
  enum class Kind : std::uint8_t { found, not_found, unsupported, failed };
  Kind kind = Kind::not_found;
  std::string stream;
  std::string detector;
  std::optional<ExplainModel> model;
  std::string error;
};

// A request for the model of an alert's stream (ExplainAlert); the explanation itself
// runs on the caller's thread, on the copy.
struct ExplainRequest {
  std::array<std::uint8_t, 16> key{};
  std::size_t rows = 256;
  std::size_t background = 16;
  std::promise<ExplainOutcome> done;
};

}  // namespace anomstream::daemon
