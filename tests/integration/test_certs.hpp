#pragma once
// Certificates for TLS tests, made in-process with OpenSSL: a CA, a server certificate
// for 127.0.0.1 and localhost signed by it, a client certificate signed by it, and a
// client certificate from another CA. PEM text, ECDSA P-256 keys.

#include <string>

namespace anomstream::test {

struct Pem {
  std::string certificate;
  std::string key;
};

struct TestCertificates {
  Pem ca;
  Pem server;
  Pem client;
  Pem stranger;  // a client certificate signed by a CA the daemon does not trust
};

TestCertificates make_test_certificates();

}  // namespace anomstream::test
