#pragma once
// Owning handles for the NATS C client's objects, and its errors as text.

#include <nats/nats.h>

#include <memory>
#include <string>

namespace anomstream::daemon {

template <class T, void (*Destroy)(T*)>
struct NatsDelete {
  void operator()(T* p) const noexcept {
    if (p != nullptr) Destroy(p);
  }
};
template <class T, void (*Destroy)(T*)>
using NatsPtr = std::unique_ptr<T, NatsDelete<T, Destroy>>;

using NatsOptions = NatsPtr<natsOptions, natsOptions_Destroy>;
using NatsConnection = NatsPtr<natsConnection, natsConnection_Destroy>;
using JsContext = NatsPtr<jsCtx, jsCtx_Destroy>;
using KvStore = NatsPtr<kvStore, kvStore_Destroy>;
using KvEntry = NatsPtr<kvEntry, kvEntry_Destroy>;
using NatsSubscription = NatsPtr<natsSubscription, natsSubscription_Destroy>;
using NatsMsg = NatsPtr<natsMsg, natsMsg_Destroy>;
using JsConsumerInfo = NatsPtr<jsConsumerInfo, jsConsumerInfo_Destroy>;
using JsStreamInfo = NatsPtr<jsStreamInfo, jsStreamInfo_Destroy>;
using JsPubAck = NatsPtr<jsPubAck, jsPubAck_Destroy>;
using JsMetaData = NatsPtr<jsMsgMetaData, jsMsgMetaData_Destroy>;

// "<status text>" plus the JetStream error code and the client's last error when set.
inline std::string nats_error(natsStatus status, jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string text = natsStatus_GetText(status);
  if (code != 0) text += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  if (const char* last = nats_GetLastError(nullptr); last != nullptr && *last != '\0' && text.find(last) == std::string::npos) {
    text += std::string(": ") + last;
  }
  return text;
}

}  // namespace anomstream::daemon
