#pragma once
// sd_notify(3) without libsystemd: sends a state string ("READY=1", "STOPPING=1") to the
// datagram socket named by $NOTIFY_SOCKET, as systemd's Type=notify services do. A no-op
// when the variable is unset (not started by systemd).

#include <string_view>

namespace anomstream::daemon {

bool systemd_notify(std::string_view state);

}  // namespace anomstream::daemon
