#include "test_certs.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace anomstream::test {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

Key new_key() {
  Key key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  if (!key) throw std::runtime_error("test certificates: key generation failed");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw std::runtime_error("test certificates: bad extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `name` with `key`, signed by `issuer_key` (itself when issuer is null).
Cert make_cert(const char* name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca, long serial) {
  Cert cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : subject);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) throw std::runtime_error("test certificates: signing failed");
  return cert;
}

std::string pem_of(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

std::string pem_of(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

}  // namespace

TestCertificates make_test_certificates() {
  TestCertificates out;
  auto ca_key = new_key();
  auto ca = make_cert("anomstream test CA", ca_key.get(), nullptr, ca_key.get(), true, 1);
  auto server_key = new_key();
  auto server = make_cert("anomstreamd", server_key.get(), ca.get(), ca_key.get(), false, 2);
  auto client_key = new_key();
  auto client = make_cert("sensor", client_key.get(), ca.get(), ca_key.get(), false, 3);
  auto other_key = new_key();
  auto other_ca = make_cert("another CA", other_key.get(), nullptr, other_key.get(), true, 4);
  auto stranger_key = new_key();
  auto stranger = make_cert("stranger", stranger_key.get(), other_ca.get(), other_key.get(), false, 5);
  out.ca = {pem_of(ca.get()), pem_of(ca_key.get())};
  out.server = {pem_of(server.get()), pem_of(server_key.get())};
  out.client = {pem_of(client.get()), pem_of(client_key.get())};
  out.stranger = {pem_of(stranger.get()), pem_of(stranger_key.get())};
  return out;
}

}  // namespace anomstream::test
