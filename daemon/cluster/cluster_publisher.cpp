#include "cluster/cluster_publisher.hpp"

#include <charconv>
#include <mutex>
#include <string_view>
#include <vector>

#include "anomstream/state/v1/cluster.pb.h"

namespace anomstream::daemon {
namespace {

class JetStreamPublishCall final : public PublishCall {
 public:
  JetStreamPublishCall(natsConnection* connection, const ClusterLayout& layout, std::int64_t timeout_ms,
                       std::uint64_t call)
      : layout_(layout), timeout_ms_(timeout_ms), id_prefix_(layout.instance + "-" + std::to_string(call) + "-") {
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = timeout_ms;
    options.PublishAsync.ErrHandler = &JetStreamPublishCall::on_error;
    options.PublishAsync.ErrHandlerClosure = this;
    // Disconnected (the client reconnects on its own): refused at once rather than
    // buffered until the timeout.
    if (natsConnection_Status(connection) != NATS_CONN_STATUS_CONNECTED) {
      setup_error_ = "not connected to the NATS server (reconnecting)";
      return;
    }
    jsCtx* js = nullptr;
    const natsStatus s = natsConnection_JetStream(&js, connection, &options);
    if (s != NATS_OK) setup_error_ = nats_error(s);
    js_.reset(js);
  }

  ~JetStreamPublishCall() override {
    if (!finished_) finish();
  }

  void add(const v1::Observation& o, bool update, std::int64_t received_ns) override {
    std::size_t ordinal = 0;
    {
      std::lock_guard lock(mutex_);  // the error callback runs on the client's thread
      ordinal = errors_.size();
      errors_.emplace_back(setup_error_);
    }
    if (!setup_error_.empty()) return;
    state::v1::ClusterObservation message;
    message.set_tenant(o.tenant());
    message.set_stream(o.stream());
    message.set_timestamp_ns(o.timestamp_ns());
    message.mutable_values()->CopyFrom(o.values());
    message.set_update(update);
    message.set_received_ns(received_ns);
    const std::string bytes = message.SerializeAsString();
    const std::string subject = layout_.subject(layout_.partition_of(o.tenant()));
    const std::string id = id_prefix_ + std::to_string(ordinal);
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MsgId = id.c_str();
    const natsStatus s =
        js_PublishAsync(js_.get(), subject.c_str(), bytes.data(), static_cast<int>(bytes.size()), &options);
    if (s != NATS_OK) {
      std::lock_guard lock(mutex_);
      errors_[ordinal] = "publish to " + subject + ": " + nats_error(s);
    }
  }

  [[nodiscard]] std::size_t size() const override {
    std::lock_guard lock(mutex_);
    return errors_.size();
  }

  std::vector<std::string> finish() override {
    finished_ = true;
    if (js_) {
      jsPubOptions options;
      jsPubOptions_Init(&options);
      options.MaxWait = timeout_ms_;
      if (js_PublishAsyncComplete(js_.get(), &options) != NATS_OK) {
        // Not acknowledged in time: refused (the client may send them again).
        natsMsgList pending{};
        if (js_PublishAsyncGetPendingList(&pending, js_.get()) == NATS_OK) {
          for (int i = 0; i < pending.Count; ++i) {
            record(pending.Msgs[i], "no acknowledgement within ingest.jetstream.publish_timeout_ms (" +
                                        std::to_string(timeout_ms_) + " ms)");
          }
          natsMsgList_Destroy(&pending);
        }
        // A callback already running for a message no longer pending ends before the
        // context (and this object) goes.
        jsPubOptions settle;
        jsPubOptions_Init(&settle);
        settle.MaxWait = 1000;
        js_PublishAsyncComplete(js_.get(), &settle);
      }
      js_.reset();  // no error callback after this
    }
    std::lock_guard lock(mutex_);
    return std::move(errors_);
  }

 private:
  static void on_error(jsCtx*, jsPubAckErr* error, void* closure) {
    auto* self = static_cast<JetStreamPublishCall*>(closure);
    self->record(error->Msg, std::string("refused by JetStream: ") +
                                 (error->ErrText != nullptr ? error->ErrText : natsStatus_GetText(error->Err)));
  }

  // The observation a message was: the ordinal at the end of its message id.
  void record(natsMsg* msg, std::string error) {
    const char* id = nullptr;
    if (msg == nullptr || natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK || id == nullptr) return;
    const std::string_view text(id);
    const auto dash = text.rfind('-');
    std::size_t ordinal = 0;
    const char* first = text.data() + dash + 1;
    if (dash == std::string_view::npos ||
        std::from_chars(first, text.data() + text.size(), ordinal).ec != std::errc()) {
      return;
    }
    std::lock_guard lock(mutex_);
    if (ordinal < errors_.size()) errors_[ordinal] = std::move(error);
  }

  const ClusterLayout& layout_;
  std::int64_t timeout_ms_;
  std::string id_prefix_;
  std::string setup_error_;
  JsContext js_;
  mutable std::mutex mutex_;
  std::vector<std::string> errors_;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<PublishCall> ClusterPublisher::begin() {
  return std::make_unique<JetStreamPublishCall>(connection_, layout_,
                                                timeout_ms_, next_call_.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace anomstream::daemon
