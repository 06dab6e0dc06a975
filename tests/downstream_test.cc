// Feeding downstream nodes, with real processes only: blockgate servers, a
// real `nats-server -js` on free loopback ports with temp store directories,
// `blockgate loadgen` and `blockgate tail`. Covers the chain leader →
// JetStream → follower → HTTP follower under kill -9 of a follower and of
// nats-server, a malicious upstream, two leaders on one stream, the stream's
// formats, a consumer across a server restart, the payload-limit check, and
// publish / follow / tail over TLS.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "host/block.h"
#include "host/signer.h"
#include "server/http_client.h"
#include "server/jetstream.h"
#include "server/stream_codec.h"
#include "testing/process.h"
#include "testing/raw_conn.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"
#include "testing/tls_cert.h"

namespace bg::testing {
namespace {

using namespace std::chrono_literals;
const std::string kBin = blockgate_binary();

uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool port_open(uint16_t port) {
  RawConn c("127.0.0.1", port);
  return c.ok();
}

bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

// A real nats-server with JetStream, on a fixed port and store directory so
// that it can be killed and started again with the same state.
class NatsServer {
 public:
  explicit NatsServer(std::string store, std::string config = "") : store_(std::move(store)), config_(std::move(config)) {
    port_ = free_port();
  }
  ~NatsServer() { kill9(); }

  bool start() {
    std::vector<std::string> argv = {"/usr/sbin/nats-server", "-js", "-a", "127.0.0.1", "-p", std::to_string(port_),
                                     "-sd", store_};
    if (!config_.empty()) {
      const std::string conf = store_ + ".conf";
      std::ofstream(conf) << config_;
      argv.push_back("-c");
      argv.push_back(conf);
    }
    pid_ = spawn(argv, &fd_);
    drainer_ = std::thread([this] {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd_, buf, sizeof buf)) > 0) {
        std::lock_guard lk(mu_);
        if (log_.size() < (1 << 20)) log_.append(buf, size_t(n));
      }
    });
    return wait_for([this] { return port_open(port_); }, 20s);
  }
  std::string log() {
    std::lock_guard lk(mu_);
    return log_;
  }
  void kill9() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (drainer_.joinable()) drainer_.join();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  std::string tls_url() const { return "tls://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string store_, config_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::thread drainer_;
  std::mutex mu_;
  std::string log_;
};

// A background command (loadgen, tail) whose output is collected.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    pid_ = spawn(argv, &fd_);
    reader_ = std::thread([this] {
      char buf[65536];
      ssize_t n;
      while ((n = read(fd_, buf, sizeof buf)) > 0) {
        std::lock_guard lk(mu_);
        out_.append(buf, size_t(n));
      }
    });
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait(0s);
    }
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) close(fd_);
  }
  // Exit status, or -1 when still running after `timeout`.
  int wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        if (reader_.joinable()) reader_.join();
        return decode_wait_status(st);
      }
      if (std::chrono::steady_clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(20ms);
    }
  }
  std::string output() {
    std::lock_guard lk(mu_);
    return out_;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::string out_;
};

boost::json::object status_of(const std::string& host, uint16_t port) {
  HttpClientOptions o;
  o.timeout = 5s;
  HttpClient c(host, port, o);
  auto r = c.get("/v1/status");
  if (!r.ok() || r->status != 200) return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(r->body, ec);
  return !ec && v.is_object() ? v.as_object() : boost::json::object{};
}

uint64_t height_of(ServerProcess& s) {
  auto st = status_of(s.host(), s.port());
  return st.contains("height") ? st["height"].to_number<uint64_t>() : 0;
}

std::string tip_hash_of(ServerProcess& s) {
  auto st = status_of(s.host(), s.port());
  return st.contains("tip_hash") ? std::string(st["tip_hash"].as_string()) : "";
}

int readyz(ServerProcess& s, std::string* body = nullptr) {
  HttpClient c(s.host(), s.port());
  auto r = c.get("/readyz");
  if (!r.ok()) return 0;
  if (body) *body = r->body;
  return r->status;
}

int audit(const std::string& dir) {
  return run_command({kBin, "audit", "--data", dir, "--backend", "cpu"}, 120s).exit_code;
}

// Heights of `blockgate tail --format json` output, in order.
std::vector<uint64_t> heights_in(const std::string& ndjson) {
  std::vector<uint64_t> out;
  size_t pos = 0;
  while (pos < ndjson.size()) {
    size_t nl = ndjson.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string line = ndjson.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line[0] != '{') continue;
    Block b;
    if (decode_block_json_text(line, 1 << 20, &b).ok()) out.push_back(b.header.height);
  }
  return out;
}

std::vector<Transaction> signed_txs(int n, uint8_t seed) {
  Bytes secret(32, 0);
  secret[0] = seed;
  secret[31] = 1;
  const KeyPair key = *key_from_secret(Scheme::kEd25519, secret);
  std::vector<Transaction> txs;
  for (int i = 0; i < n; ++i) {
    Bytes payload(16, seed);
    payload[0] = uint8_t(i);
    payload[1] = uint8_t(i >> 8);
    txs.push_back(sign_transaction(key, payload));
  }
  return txs;
}

std::string txs_json(const std::vector<Transaction>& txs) {
  boost::json::array a;
  for (const Transaction& t : txs) a.push_back(tx_to_json(t));
  return boost::json::serialize(a);
}

// POSTs transactions and waits for their commit.
bool post_txs(ServerProcess& s, const std::vector<Transaction>& txs) {
  HttpClient c(s.host(), s.port());
  auto r = c.post("/v1/transactions?wait=commit", txs_json(txs));
  return r.ok() && r->status == 200 && r->body.find("\"committed\"") != std::string::npos;
}

// The blocks 0..tip of a server, binary, through GET /v1/blocks/{h}.
std::vector<Block> blocks_of(ServerProcess& s) {
  std::vector<Block> out;
  HttpClient c(s.host(), s.port());
  const uint64_t tip = height_of(s);
  for (uint64_t h = 0; h <= tip; ++h) {
    auto r = c.get("/v1/blocks/" + std::to_string(h), {{"Accept", "application/octet-stream"}});
    if (!r.ok() || r->status != 200) return {};
    Block b;
    if (!decode_block_binary(ByteSpan(reinterpret_cast<const uint8_t*>(r->body.data()), r->body.size()), 1 << 20, &b)
             .ok())
      return {};
    out.push_back(std::move(b));
  }
  return out;
}

TEST(Downstream, ChainThroughJetStreamAndHttpSurvivesKills) {
  TempDir tmp("bg-chain");
  NatsServer nats(tmp.sub("nats"));
  ASSERT_TRUE(nats.start());
  ServerProcess a, b, c;
  ASSERT_TRUE(a.start(tmp.sub("a"), {"--backend", "cpu", "--publish", nats.url(), "--max-block-bytes", "1000000"}))
      << a.log();
  const uint16_t b_port = free_port();
  const std::vector<std::string> b_args = {"--backend", "cpu", "--follow", nats.url(), "--listen",
                                           "127.0.0.1:" + std::to_string(b_port)};
  ASSERT_TRUE(b.start(tmp.sub("b"), b_args)) << b.log();
  ASSERT_TRUE(c.start(tmp.sub("c"), {"--backend", "cpu", "--follow", "http://127.0.0.1:" + std::to_string(b_port)}))
      << c.log();

  // A follower is read-only.
  {
    HttpClient hc(b.host(), b.port());
    auto r = hc.post("/v1/transactions", "[]");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 403);
    EXPECT_NE(r->body.find("read_only"), std::string::npos);
  }

  Child load({kBin, "loadgen", "--url", a.url(), "--scheme", "mixed", "--transactions", "6000", "--batch", "50",
              "--connections", "4", "--seed", "11"});
  ASSERT_TRUE(wait_for([&] { return height_of(b) >= 3; }, 60s)) << b.log();
  b.stop(SIGKILL);
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(b.start(tmp.sub("b"), b_args)) << b.log();
  ASSERT_TRUE(wait_for([&] { return height_of(b) >= 6; }, 60s)) << b.log();
  nats.kill9();
  std::this_thread::sleep_for(700ms);
  ASSERT_TRUE(nats.start());
  ASSERT_EQ(load.wait(240s), 0) << load.output();

  const uint64_t tip = height_of(a);
  ASSERT_GT(tip, 6u);
  EXPECT_TRUE(wait_for([&] { return height_of(b) == tip && height_of(c) == tip; }, 90s))
      << "A " << tip << " B " << height_of(b) << " C " << height_of(c) << "\nB:\n" << b.log() << "\nC:\n" << c.log();
  EXPECT_EQ(tip_hash_of(a), tip_hash_of(b));
  EXPECT_EQ(tip_hash_of(a), tip_hash_of(c));
  EXPECT_EQ(readyz(b), 200);
  EXPECT_EQ(readyz(c), 200);

  // The stream holds exactly heights 0..tip, once each, in order (tail checks
  // sequence = height + 1 and every link), and nothing past the tip.
  EXPECT_TRUE(wait_for(
      [&] {
        HttpClient hc(a.host(), a.port());
        auto r = hc.get("/metrics");
        return r.ok() && r->body.find("blockgate_publish_height " + std::to_string(tip) + "\n") != std::string::npos;
      },
      60s))
      << a.log();
  auto all = run_command({kBin, "tail", "--url", nats.url(), "--from", "0", "--until", std::to_string(tip),
                          "--idle-exit-s", "20"},
                         90s);
  EXPECT_EQ(all.exit_code, 0) << all.output.substr(0, 2000);
  std::vector<uint64_t> hs = heights_in(all.output);
  ASSERT_EQ(hs.size(), tip + 1);
  for (uint64_t h = 0; h <= tip; ++h) EXPECT_EQ(hs[h], h);
  auto beyond = run_command({kBin, "tail", "--url", nats.url(), "--from", std::to_string(tip + 1), "--idle-exit-s", "2"},
                            30s);
  EXPECT_TRUE(heights_in(beyond.output).empty()) << beyond.output;

  EXPECT_EQ(a.stop(SIGTERM), 0);
  EXPECT_EQ(b.stop(SIGTERM), 0);
  EXPECT_EQ(c.stop(SIGTERM), 0);
  EXPECT_EQ(audit(tmp.sub("a")), 0);
  EXPECT_EQ(audit(tmp.sub("b")), 0);
  EXPECT_EQ(audit(tmp.sub("c")), 0);
}

// Serves GET /v1/stream from a fixed list of binary blocks (a valid chain
// then one bad block) and /v1/status; the connection then stays open. With
// `hang_up`, each stream request gets its 200 head and then the connection
// is closed at once.
class FakeUpstream {
 public:
  explicit FakeUpstream(std::vector<Block> blocks, bool hang_up = false)
      : blocks_(std::move(blocks)), hang_up_(hang_up) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 16);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeUpstream() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    if (thread_.joinable()) thread_.join();
    for (int c : conns_) close(c);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int stream_requests() const { return stream_requests_.load(); }

 private:
  void serve() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      conns_.push_back(c);
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, size_t(n));
      }
      if (req.rfind("GET /v1/status", 0) == 0) {
        const uint64_t tip = blocks_.empty() ? 0 : blocks_.back().header.height;
        const std::string body = "{\"height\":" + std::to_string(tip) + "}";
        const std::string res = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
        (void)!write(c, res.data(), res.size());
        continue;
      }
      ++stream_requests_;
      if (hang_up_) {
        const std::string head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        (void)!write(c, head.data(), head.size());
        shutdown(c, SHUT_RDWR);
        continue;
      }
      uint64_t from = 0;
      if (auto at = req.find("from="); at != std::string::npos) from = std::stoull(req.substr(at + 5));
      StreamEncoder enc(StreamFormat{true, false});
      std::string body;
      for (const Block& b : blocks_)
        if (b.header.height >= from) {
          const Bytes bytes = b.encode();
          (void)enc.add_block(bytes, &body);
        }
      char size[32];
      snprintf(size, sizeof size, "%zx\r\n", body.size());
      const std::string res = std::string("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n") +
                              "Transfer-Encoding: chunked\r\n\r\n" + (body.empty() ? "" : size + body + "\r\n");
      (void)!write(c, res.data(), res.size());
    }
  }

  std::vector<Block> blocks_;
  const bool hang_up_;
  std::atomic<int> stream_requests_{0};
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<int> conns_;
};

enum class Damage { kSignature, kMerkleRoot, kPrevHash, kDuplicate };

class MaliciousUpstream : public ::testing::TestWithParam<std::pair<Damage, std::string>> {};

TEST_P(MaliciousUpstream, FollowerNeverAppendsTheBadBlock) {
  const auto [damage, code] = GetParam();
  TempDir tmp("bg-evil");
  // A valid chain from a real leader.
  std::vector<Block> chain;
  {
    ServerProcess leader;
    ASSERT_TRUE(leader.start(tmp.sub("leader"), {"--backend", "cpu"})) << leader.log();
    ASSERT_TRUE(post_txs(leader, signed_txs(20, 1)));
    ASSERT_TRUE(post_txs(leader, signed_txs(20, 2)));
    chain = blocks_of(leader);
    ASSERT_GE(chain.size(), 3u);
  }
  const BlockHeader& tip = chain.back().header;
  Block bad;
  bad.txs = signed_txs(8, 3);
  bad.header.height = tip.height + 1;
  bad.header.prev_hash = tip.hash();
  bad.header.timestamp_ms = tip.timestamp_ms + 1;
  bad.header.tx_count = uint32_t(bad.txs.size());
  if (damage == Damage::kSignature) bad.txs[5].signature[10] ^= 0x01;
  // A transaction of the block just before (still on its way to the ledger
  // while this one is checked, when both arrive in one burst).
  if (damage == Damage::kDuplicate) bad.txs[5] = chain.back().txs[0];
  bad.header.merkle_root = compute_merkle_root(bad.txs);
  if (damage == Damage::kMerkleRoot) bad.header.merkle_root[0] ^= 0x01;
  if (damage == Damage::kPrevHash) bad.header.prev_hash[31] ^= 0x01;
  chain.push_back(bad);
  // A well-formed block after the bad one: it may verify beside it (another
  // batch) but must never be appended either.
  Block after;
  after.txs = signed_txs(8, 4);
  after.header.height = bad.header.height + 1;
  after.header.prev_hash = bad.header.hash();
  after.header.timestamp_ms = bad.header.timestamp_ms + 1;
  after.header.tx_count = uint32_t(after.txs.size());
  after.header.merkle_root = compute_merkle_root(after.txs);
  chain.push_back(after);

  FakeUpstream upstream(chain);
  ServerProcess f;
  // One block a batch: the pipeline checks each block while the one before
  // it is still being verified (so a duplicate of it is found among the
  // batches in flight, not in the ledger).
  ASSERT_TRUE(f.start(tmp.sub("follower"), {"--backend", "cpu", "--follow", upstream.url(), "--max-batch", "8"}))
      << f.log();
  std::string why;
  ASSERT_TRUE(wait_for([&] { return readyz(f, &why) == 503; }, 30s)) << f.log();
  // The follower's own check names it (not the ledger's last-resort refusal).
  EXPECT_NE(why.find("height " + std::to_string(bad.header.height) + ": " + code), std::string::npos) << why;
  EXPECT_EQ(height_of(f), tip.height);
  EXPECT_EQ(tip_hash_of(f), to_hex(tip.hash()));
  EXPECT_NE(f.log().find(code), std::string::npos) << f.log();
  // Reads keep working.
  HttpClient hc(f.host(), f.port());
  auto r = hc.get("/v1/blocks/" + std::to_string(tip.height));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(f.stop(SIGTERM), 0);
  EXPECT_EQ(audit(tmp.sub("follower")), 0);
}

INSTANTIATE_TEST_SUITE_P(Cases, MaliciousUpstream,
                         ::testing::Values(std::make_pair(Damage::kSignature, std::string("invalid_signature")),
                                           std::make_pair(Damage::kMerkleRoot, std::string("bad_merkle_root")),
                                           std::make_pair(Damage::kPrevHash, std::string("not_extending_tip")),
                                           std::make_pair(Damage::kDuplicate, std::string("duplicate"))));

// An upstream that answers each stream request and hangs up at once: the
// follower's backoff keeps doubling (a connection that delivered nothing
// does not reset it), so it asks a handful of times in three seconds, not
// thirty.
TEST(Downstream, FollowerBacksOffFromAnUpstreamThatHangsUpAtOnce) {
  TempDir tmp("bg-hangup");
  FakeUpstream upstream({}, /*hang_up=*/true);
  ServerProcess f;
  ASSERT_TRUE(f.start(tmp.sub("follower"), {"--backend", "cpu", "--follow", upstream.url()})) << f.log();
  std::this_thread::sleep_for(3s);
  const int asked = upstream.stream_requests();
  EXPECT_GE(asked, 2) << f.log();
  EXPECT_LE(asked, 8) << f.log();
  EXPECT_EQ(f.stop(SIGTERM), 0) << f.log();
}

TEST(Downstream, SecondLeaderOnOneStreamIsRefused) {
  TempDir tmp("bg-two");
  NatsServer nats(tmp.sub("nats"));
  ASSERT_TRUE(nats.start());
  ServerProcess a, d;
  ASSERT_TRUE(a.start(tmp.sub("a"), {"--backend", "cpu", "--publish", nats.url(), "--max-block-bytes", "1000000"}))
      << a.log();
  ASSERT_TRUE(post_txs(a, signed_txs(10, 4)));
  ASSERT_TRUE(post_txs(a, signed_txs(10, 5)));
  ASSERT_TRUE(d.start(tmp.sub("d"), {"--backend", "cpu", "--publish", nats.url(), "--max-block-bytes", "1000000"}))
      << d.log();
  ASSERT_TRUE(post_txs(d, signed_txs(10, 6)));
  EXPECT_TRUE(wait_for([&] { return d.log().find("another writer") != std::string::npos; }, 30s)) << d.log();
  HttpClient hc(d.host(), d.port());
  auto m = hc.get("/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->body.find("blockgate_publish_stopped 1"), std::string::npos);
  // A goes on publishing.
  ASSERT_TRUE(post_txs(a, signed_txs(10, 7)));
  const uint64_t tip = height_of(a);
  auto all = run_command({kBin, "tail", "--url", nats.url(), "--from", "0", "--until", std::to_string(tip),
                          "--idle-exit-s", "20"},
                         60s);
  EXPECT_EQ(all.exit_code, 0) << all.output.substr(0, 2000);
  EXPECT_EQ(heights_in(all.output).size(), tip + 1);
}

// A stream that cannot be created (another stream already takes its subject)
// fails every session right after its connect: the publisher keeps doubling
// its backoff instead of retrying ten times a second, and publishes every
// block once the conflict is gone.
TEST(Downstream, PublisherBacksOffWhileItsStreamCannotBeCreated) {
  TempDir tmp("bg-pubbackoff");
  NatsServer nats(tmp.sub("nats"));
  ASSERT_TRUE(nats.start()) << nats.log();
  NatsConfig other;
  other.url = nats.url();
  other.stream = "OTHER";  // on the publisher's default subject, blockgate.blocks
  {
    auto js = JetStream::connect(other);
    ASSERT_TRUE(js.ok()) << js.status();
    auto last = (*js)->ensure_stream();
    ASSERT_TRUE(last.ok()) << last.status();
  }
  ServerProcess a;
  ASSERT_TRUE(a.start(tmp.sub("a"), {"--backend", "cpu", "--publish", nats.url(), "--max-block-bytes", "1000000"}))
      << a.log();
  auto metric = [&](const std::string& name) -> int64_t {
    HttpClient hc(a.host(), a.port());
    auto m = hc.get("/metrics");
    if (!m.ok()) return -2;
    const size_t at = m->body.find("\n" + name + " ");
    return at == std::string::npos ? -2 : std::stoll(m->body.substr(at + name.size() + 2));
  };
  std::this_thread::sleep_for(3s);
  // 100, 200, 400, 800, 1600 ms: about five failures in three seconds (the
  // fixed 100 ms of a backoff reset by every connect gave about thirty).
  const int64_t errors = metric("blockgate_publish_errors_total");
  EXPECT_GE(errors, 2) << a.log();
  EXPECT_LE(errors, 8) << a.log();
  EXPECT_NE(a.log().find("creating stream BLOCKGATE"), std::string::npos) << a.log();
  EXPECT_EQ(metric("blockgate_publish_height"), -1);
  // The conflict goes away (a fresh store): the publisher's next attempt
  // creates its stream and publishes the whole ledger.
  nats.kill9();
  std::filesystem::remove_all(tmp.sub("nats"));
  ASSERT_TRUE(nats.start()) << nats.log();
  ASSERT_TRUE(post_txs(a, signed_txs(10, 31)));
  const uint64_t tip = height_of(a);
  ASSERT_GE(tip, 1u);
  EXPECT_TRUE(wait_for([&] { return metric("blockgate_publish_height") == int64_t(tip); }, 30s)) << a.log();
}

// NATS over TLS: nats-server with a self-signed certificate; publish,
// follow and tail over tls:// with --nats-ca-file, and a client that does not
// trust the certificate refused.
TEST(Downstream, PublishAndFollowOverTls) {
  TempDir tmp("bg-natstls");
  const std::string cert = tmp.sub("cert.pem"), key = tmp.sub("key.pem");
  ASSERT_TRUE(make_self_signed(cert, key));
  NatsServer nats(tmp.sub("nats"), "tls {\n  cert_file: \"" + cert + "\"\n  key_file: \"" + key + "\"\n}\n");
  ASSERT_TRUE(nats.start()) << nats.log();
  ServerProcess a, b;
  ASSERT_TRUE(a.start(tmp.sub("a"), {"--backend", "cpu", "--publish", nats.tls_url(), "--nats-ca-file", cert,
                                     "--max-block-bytes", "1000000"}))
      << a.log();
  ASSERT_TRUE(b.start(tmp.sub("b"), {"--backend", "cpu", "--follow", nats.tls_url(), "--nats-ca-file", cert}))
      << b.log();
  // B is caught up (with genesis) before blocks come: those count towards its
  // seal-to-commit latency.
  ASSERT_TRUE(wait_for([&] { return b.log().find("caught up") != std::string::npos; }, 30s)) << b.log();
  ASSERT_TRUE(post_txs(a, signed_txs(20, 21)));
  ASSERT_TRUE(post_txs(a, signed_txs(20, 22)));
  const uint64_t tip = height_of(a);
  ASSERT_GE(tip, 2u);
  EXPECT_TRUE(wait_for([&] { return height_of(b) == tip; }, 30s)) << a.log() << "\nB:\n" << b.log();
  EXPECT_EQ(tip_hash_of(a), tip_hash_of(b));
  EXPECT_EQ(readyz(b), 200);
  auto st = status_of(b.host(), b.port());
  ASSERT_TRUE(st.contains("follower")) << boost::json::serialize(st);
  const auto& lat = st["follower"].as_object().at("seal_to_commit_ms").as_object();
  EXPECT_GE(lat.at("samples").to_number<uint64_t>(), 2u) << boost::json::serialize(st);
  EXPECT_GE(lat.at("p99").to_number<double>(), lat.at("p50").to_number<double>());
  auto all = run_command({kBin, "tail", "--url", nats.tls_url(), "--nats-ca-file", cert, "--from", "0", "--until",
                          std::to_string(tip), "--idle-exit-s", "20"},
                         60s);
  EXPECT_EQ(all.exit_code, 0) << all.output.substr(0, 2000);
  EXPECT_EQ(heights_in(all.output).size(), tip + 1);
  // Without the CA file the self-signed certificate is not trusted.
  auto untrusted = run_command({kBin, "tail", "--url", nats.tls_url(), "--from", "0", "--until", "0",
                                "--idle-exit-s", "2"},
                               60s);
  EXPECT_NE(untrusted.exit_code, 0) << untrusted.output.substr(0, 2000);
  EXPECT_NE(untrusted.output.find("certificate"), std::string::npos) << untrusted.output.substr(0, 2000);
  EXPECT_EQ(heights_in(untrusted.output).size(), 0u) << untrusted.output.substr(0, 2000);
}

TEST(Downstream, PublishRefusesANatsServerWithASmallerMaxPayload) {
  TempDir tmp("bg-payload");
  NatsServer nats(tmp.sub("nats"), "max_payload: 100000\n");
  ASSERT_TRUE(nats.start()) << nats.log();
  auto r = run_command({kBin, "serve", "--data", tmp.sub("a"), "--listen", "127.0.0.1:0", "--backend", "cpu",
                        "--publish", nats.url()},
                       30s);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("100000"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("16777216"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--max-block-bytes"), std::string::npos) << r.output;
}

// The four stream encodings carry the same blocks.
TEST(Downstream, StreamFormatsCarryTheSameBlocks) {
  TempDir tmp("bg-formats");
  ServerProcess a;
  ASSERT_TRUE(a.start(tmp.sub("a"), {"--backend", "cpu"})) << a.log();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(post_txs(a, signed_txs(30, uint8_t(10 + i))));
  const std::vector<Block> want = blocks_of(a);
  ASSERT_GE(want.size(), 5u);
  for (bool binary : {false, true})
    for (bool gzip : {false, true}) {
      HttpClient hc(a.host(), a.port());
      HttpHeaders h = {{"Accept", binary ? "application/octet-stream" : "application/x-ndjson"}};
      if (gzip) h.emplace_back("Accept-Encoding", "gzip");
      auto res = hc.open_stream("/v1/stream?from=0", h);
      ASSERT_TRUE(res.ok());
      ASSERT_EQ(res->status, 200);
      EXPECT_EQ(res->header("Content-Type"), binary ? "application/octet-stream" : "application/x-ndjson");
      EXPECT_EQ(res->header("Content-Encoding"), gzip ? "gzip" : "");
      StreamDecoder dec(StreamFormat{binary, gzip}, 1 << 20, 1 << 16);
      std::vector<Block> got;
      uint64_t wire_bytes = 0;
      while (got.size() < want.size()) {
        auto chunk = hc.read_stream(10s);
        ASSERT_TRUE(chunk.ok()) << chunk.status();
        wire_bytes += chunk->size();
        ASSERT_TRUE(dec.feed(*chunk).ok());
        for (;;) {
          auto b = dec.next();
          ASSERT_TRUE(b.ok()) << b.status();
          if (!*b) break;
          got.push_back(std::move(**b));
        }
      }
      EXPECT_EQ(got, want) << "binary " << binary << " gzip " << gzip;
      // Idle: a keep-alive arrives within a few seconds (a compressed one may
      // come in more than one read).
      const auto ka_deadline = std::chrono::steady_clock::now() + 12s;
      while (dec.keepalives() == 0 && std::chrono::steady_clock::now() < ka_deadline) {
        auto ka = hc.read_stream(8s);
        ASSERT_TRUE(ka.ok()) << ka.status();
        ASSERT_TRUE(dec.feed(*ka).ok());
        auto none = dec.next();
        ASSERT_TRUE(none.ok());
        EXPECT_FALSE(*none);
      }
      EXPECT_GE(dec.keepalives(), 1u);
    }
}

// A consumer across a server restart: no gap, no repeat.
TEST(Downstream, TailResumesAcrossARestartWithoutGapOrRepeat) {
  TempDir tmp("bg-tail");
  const uint16_t port = free_port();
  const std::vector<std::string> args = {"--backend", "cpu", "--listen", "127.0.0.1:" + std::to_string(port)};
  ServerProcess a;
  ASSERT_TRUE(a.start(tmp.sub("a"), args)) << a.log();
  ASSERT_TRUE(post_txs(a, signed_txs(10, 20)));
  Child tail({kBin, "tail", "--url", a.url(), "--from", "0", "--idle-exit-s", "12"});
  ASSERT_TRUE(post_txs(a, signed_txs(10, 21)));
  std::this_thread::sleep_for(500ms);
  a.stop(SIGKILL);
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(a.start(tmp.sub("a"), args)) << a.log();
  ASSERT_TRUE(post_txs(a, signed_txs(10, 22)));
  ASSERT_TRUE(post_txs(a, signed_txs(10, 23)));
  const uint64_t tip = height_of(a);
  EXPECT_EQ(tail.wait(60s), 1);  // gave up after the idle limit, as asked
  std::vector<uint64_t> hs = heights_in(tail.output());
  ASSERT_EQ(hs.size(), tip + 1) << tail.output();
  for (uint64_t h = 0; h <= tip; ++h) EXPECT_EQ(hs[h], h);
  EXPECT_NE(tail.output().find("resuming from height"), std::string::npos);
}

}  // namespace
}  // namespace bg::testing
