#include "nats_handles.hpp"

#include <string_view>

namespace anomstream::tools::nats {

std::string describe(natsStatus status) {
  std::string text = natsStatus_GetText(status);
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  // The detail often only repeats the status text after the source location.
  if (detail != nullptr && *detail != '\0' && std::string_view(detail).find(text) == std::string_view::npos) {
    text += ": ";
    text += detail;
  }
  return text;
}

std::expected<Session, std::string> connect(const ConnectOptions& options) {
  natsOptions* raw_options = nullptr;
  if (const natsStatus s = natsOptions_Create(&raw_options); s != NATS_OK) return std::unexpected(describe(s));
  Options owned_options(raw_options);
  natsStatus s = natsOptions_SetURL(raw_options, options.servers.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(raw_options, options.timeout.count());
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(raw_options, false);
  if (s == NATS_OK && !options.credentials_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(raw_options, options.credentials_file.c_str(), nullptr);
  }
  if (s != NATS_OK) return std::unexpected("NATS options for " + options.servers + ": " + describe(s));
  natsConnection* raw_connection = nullptr;
  if (s = natsConnection_Connect(&raw_connection, raw_options); s != NATS_OK) {
    return std::unexpected("cannot connect to " + options.servers + ": " + describe(s));
  }
  Session session{Connection(raw_connection), nullptr};
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = options.timeout.count();
  jsCtx* raw_js = nullptr;
  if (s = natsConnection_JetStream(&raw_js, raw_connection, &js_options); s != NATS_OK) {
    return std::unexpected("JetStream context on " + options.servers + ": " + describe(s));
  }
  session.jetstream.reset(raw_js);
  return session;
}

void close_library(std::chrono::milliseconds deadline) { nats_CloseAndWait(deadline.count()); }

}  // namespace anomstream::tools::nats
