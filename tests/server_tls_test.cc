// HTTPS (--tls-cert/--tls-key) against the real binary: a self-signed
// certificate made here with the OpenSSL API, the API's main paths over TLS
// (HttpClient and `blockgate loadgen` with --ca-file), TLS 1.2 as the floor,
// and a plaintext client on the TLS port closed at once rather than left
// hanging.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/json.h"
#include "testing/process.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"
#include "testing/tls_cert.h"
#include "testing/tx_factory.h"

namespace bg::testing {
namespace {

using std::chrono::milliseconds;

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = dir_.path() + "/cert.pem";
    key_ = dir_.path() + "/key.pem";
    ASSERT_TRUE(make_self_signed(cert_, key_));
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/data",
                                              std::vector<std::string>{"--tls-cert", cert_, "--tls-key", key_});
    ASSERT_TRUE(server_->started()) << server_->log();
    ASSERT_EQ(server_->listening_line().rfind("blockgate listening on https://", 0), 0u);
  }
  HttpClient tls_client(milliseconds timeout = milliseconds(10000)) {
    HttpClientOptions o;
    o.timeout = timeout;
    o.tls = true;
    o.ca_file = cert_;
    return HttpClient("127.0.0.1", server_->port(), o);
  }

  TempDir dir_{"tls"};
  std::string cert_, key_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(Tls, ApiOverTls) {
  HttpClient c = tls_client();
  auto r = c.get("/healthz");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  TxFactory txs;
  std::vector<Transaction> batch;
  for (int i = 0; i < 6; ++i) batch.push_back(txs.tx(i));
  r = c.post("/v1/transactions", txs_json(batch));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->status, 200);
  for (const auto& res : results_of(r->body)) EXPECT_EQ(str(res.as_object().at("status")), "committed");
  r = c.get("/v1/transactions/" + to_hex(batch[0].id()));
  EXPECT_EQ(r->status, 200);
  r = c.get("/v1/blocks/1", {{"Accept", "application/octet-stream"}});
  EXPECT_EQ(r->status, 200);
  // The stream, over TLS.
  HttpClient s = tls_client();
  auto head = s.open_stream("/v1/stream?from=1");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, 200);
  auto chunk = s.read_stream(milliseconds(5000));
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_NE(chunk->find("\"height\":1"), std::string::npos) << *chunk;
  // loadgen with https:// and --ca-file.
  const CommandResult lg = run_command({BLOCKGATE_BINARY, "loadgen", "--url",
                                        "https://127.0.0.1:" + std::to_string(server_->port()), "--ca-file", cert_,
                                        "--transactions", "200", "--batch", "50", "--connections", "2"});
  EXPECT_EQ(lg.exit_code, 0) << lg.output;
}

TEST_F(Tls, UntrustedCertificateIsRefusedByTheClient) {
  HttpClientOptions o;
  o.tls = true;
  o.ca_file = dir_.path() + "/none.pem";
  HttpClient c("127.0.0.1", server_->port(), o);
  EXPECT_FALSE(c.get("/healthz").ok());
}

TEST_F(Tls, PlaintextClientIsClosedNotLeftHanging) {
  HttpClient plain = server_->client(milliseconds(5000));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = plain.get("/healthz");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(absl::IsDeadlineExceeded(r.status())) << r.status();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(3000));
  // And the server still serves TLS clients.
  HttpClient c = tls_client();
  EXPECT_EQ(c.get("/healthz")->status, 200);
}

TEST_F(Tls, Tls11IsRefused) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(server_->port());
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  EXPECT_NE(SSL_connect(ssl), 1) << "a TLS 1.1 handshake must fail";
  SSL_free(ssl);
  close(fd);
  SSL_CTX_free(ctx);
}

}  // namespace
}  // namespace bg::testing
