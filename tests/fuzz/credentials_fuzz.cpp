// Fuzz target: the credential files and headers an operator or a client hands the daemon.
// The first byte picks the parser, the rest is its input:
//   0  a tokens file (server.grpc.auth.tokens_file): TokenTable::parse, then lookups
//   1  a UDP keys file (server.udp.auth.keys_file): UdpKeyTable::parse, then every
//      parsed key seals and opens one datagram
//   2  a basic-auth file (server.metrics.auth.basic_file): BasicCredentials::parse
//   3  an Authorization header value presented to /metrics: BasicCredentials::accepts
//      against a fixed file holding user "prom" with password "secret"
// Checked beyond "no crash": a refused file always says why and names its source; a
// parsed table never grants a token, key or header that is not in it; a datagram sealed
// with a parsed key opens with that key and is then refused as a replay.
// Seeds: tests/fuzz/corpus/credentials (the files of deploy/ and the tests' shapes).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/access_control.hpp"
#include "ingest/udp_auth.hpp"
#include "metrics/http_endpoint.hpp"

namespace {

using namespace anomstream::daemon;

constexpr std::string_view SOURCE = "fuzz.yaml";
// "prom:" + SHA-256("secret")
constexpr std::string_view BASIC_FILE = "prom:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b\n";

void check(bool ok) {
  if (!ok) std::abort();
}

template <class T>
void check_refusal(const std::expected<T, std::string>& parsed) {
  if (!parsed) check(!parsed.error().empty() && parsed.error().find(SOURCE) != std::string::npos);
}

void tokens(std::string_view text) {
  const auto table = TokenTable::parse(text, SOURCE);
  check_refusal(table);
  if (!table) return;
  check(table->find("") == nullptr);
  // A token is 32+ bytes of anything; none of these were hashed into the file by a seed.
  check(table->find("not-a-token-of-any-seed-0123456789abcdef") == nullptr);
  (void)table->find(text);
}

void udp_keys(std::string_view text) {
  const auto table = UdpKeyTable::parse(text, SOURCE);
  check_refusal(table);
  if (!table) return;
  check(table->find("") == nullptr);
  for (std::string_view id : {"sensor-1", "a", "k"}) {
    const UdpKey* key = table->find(id);
    if (key == nullptr) continue;
    check(key->id == id && key->secret.size() >= MIN_UDP_SECRET_BYTES);
    UdpAuthenticator authenticator(*table, std::chrono::seconds(60), 1);
    const std::string sealed = seal_datagram(*key, 1'000'000, "payload");
    const auto opened = authenticator.open(sealed, 1'000'000);
    check(opened.has_value() && opened->payload == "payload" && opened->key != nullptr && opened->key->id == id);
    check(!authenticator.open(sealed, 1'000'000).has_value());  // the same sequence again
  }
}

void basic_file(std::string_view text) {
  const auto credentials = BasicCredentials::parse(text, SOURCE);
  check_refusal(credentials);
  if (!credentials) return;
  check(!credentials->accepts(""));
  check(!credentials->accepts("Basic "));
}

void authorization(std::string_view header) {
  static const auto credentials = BasicCredentials::parse(BASIC_FILE, SOURCE);
  check(credentials.has_value());
  // Base64 has more than one spelling of "prom:secret" (the unused bits of the last
  // character), so acceptance is only checked to need the scheme.
  if (credentials->accepts(header)) check(header.starts_with("Basic "));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: tokens(rest); break;
    case 1: udp_keys(rest); break;
    case 2: basic_file(rest); break;
    default: authorization(rest); break;
  }
  return 0;
}
