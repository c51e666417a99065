#pragma once
// Owning handles for the NATS C client's objects, each released by the client's own
// destroy function, and a connection to a JetStream server with a bounded wait.
// Errors: every failure is a text naming what was attempted and the client's reason.

#include <nats/nats.h>

#include <chrono>
#include <expected>
#include <memory>
#include <string>

namespace anomstream::tools::nats {

template <auto Destroy>
struct Destroyer {
  template <typename T>
  void operator()(T* object) const noexcept {
    Destroy(object);
  }
};

using Options = std::unique_ptr<natsOptions, Destroyer<natsOptions_Destroy>>;
using Connection = std::unique_ptr<natsConnection, Destroyer<natsConnection_Destroy>>;
using JetStream = std::unique_ptr<jsCtx, Destroyer<jsCtx_Destroy>>;
using KeyValue = std::unique_ptr<kvStore, Destroyer<kvStore_Destroy>>;
using Entry = std::unique_ptr<kvEntry, Destroyer<kvEntry_Destroy>>;
using StreamInfo = std::unique_ptr<jsStreamInfo, Destroyer<jsStreamInfo_Destroy>>;
using ConsumerInfo = std::unique_ptr<jsConsumerInfo, Destroyer<jsConsumerInfo_Destroy>>;

// The client's text for `status`, with the detail of the calling thread's last error
// when it has one.
std::string describe(natsStatus status);

// A connection and its JetStream context; the context is destroyed first.
struct Session {
  Connection connection;
  JetStream jetstream;
};

struct ConnectOptions {
  std::string servers{};           // nats:// URLs, comma-separated
  std::string credentials_file{};  // "" for none
  std::chrono::milliseconds timeout{2000};  // connecting, and each JetStream request
};

// Connects once (no reconnection: a tool's question is answered or refused now).
std::expected<Session, std::string> connect(const ConnectOptions& options);

// Releases the client library's threads and memory; every handle must be gone first.
// A process that used the client calls it once before it exits.
void close_library(std::chrono::milliseconds deadline = std::chrono::seconds(1));

}  // namespace anomstream::tools::nats
