// Self-signed certificates for tests that run a TLS server (blockgate's
// HTTPS, nats-server's tls block), made with the OpenSSL API.
#pragma once

#include <string>

namespace bg::testing {

// A P-256 key and a self-signed CA certificate for CN=localhost with
// subjectAltName IP:127.0.0.1, DNS:localhost, written as PEM files. The
// certificate is its own CA: clients trust it with it as their CA file.
bool make_self_signed(const std::string& cert_path, const std::string& key_path);

}  // namespace bg::testing
