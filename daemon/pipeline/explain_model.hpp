#pragma once
// What an explanation of a stream's model needs, copied so it can run off the worker
// thread (StreamPipeline::explain_model): the score as a function of a row in the model's
// own space, rows of the model's sample to explain, and rows to draw absent features from.

#include <functional>
#include <span>
#include <vector>

namespace anomstream::daemon {

struct ExplainModel {
  std::size_t dimension = 1;
  std::function<double(std::span<const double>)> score;
  std::vector<double> rows;        // n x dimension, row-major
  std::vector<double> background;  // m x dimension
};

}  // namespace anomstream::daemon
