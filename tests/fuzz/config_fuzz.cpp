// Fuzz target: a YAML configuration file's text, through what the daemon does with it at
// start and on reload: load_config_document (YAML parse, schema validation, merge over
// the compiled-in defaults, cross-key rules, typed DaemonConfig), the error message a
// refused file produces, and for an accepted file what Daemon::reload derives from it
// (changed_keys against the defaults, keep_keys for the keys that need a restart, the
// pipeline settings and their fingerprint, the admission policy).
// Seeds: tests/fuzz/corpus/config (config/default.yaml, the example configs, and files that
// break the schema or the YAML).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/core/secret_key.hpp"
#include "app/daemon.hpp"
#include "config/config.hpp"
#include "pipeline/stream_pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace anomstream::daemon;
  static const LoadedConfig defaults = *load_config_document("", "defaults");

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = load_config_document(text, "fuzz.yaml");
  if (!loaded) {
    const std::string message = loaded.error().message();
    if (message.empty()) __builtin_trap();  // a refused file always says why
    return 0;
  }
  std::vector<std::string> restart_keys;
  for (const auto& change : changed_keys(defaults.document, loaded->document)) {
    if (!change.live) restart_keys.push_back(change.path);
  }
  keep_keys(restart_keys, defaults.document, loaded->document, loaded->config);
  const PipelineSettings settings = pipeline_settings(loaded->config);
  (void)model_fingerprint(settings);
  (void)admission_policy(loaded->config, [] { return anomstream::Result<anomstream::SipKey>(anomstream::key_from_seed(1)); });
  return 0;
}
