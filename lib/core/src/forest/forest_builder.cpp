#include "anomstream/forest/forest_builder.hpp"

namespace anomstream::forest {

Result<ForestConfig> ForestBuilder::config() const {
  ForestConfig config = config_;
  config.time_decay = time_decay_.value_or(default_time_decay(config.sample_size));
  config.output_after = output_after_.value_or(default_output_after(config.sample_size));
  if (auto status = validate_config(config); !status) {
    return std::unexpected(status.error());
  }
  return config;
}

Result<RandomCutForest> ForestBuilder::build() const {
  auto validated = config();
  if (!validated) {
    return std::unexpected(validated.error());
  }
  return RandomCutForest::create(*validated, executor_);
}

}  // namespace anomstream::forest
