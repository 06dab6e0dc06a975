// Test harness for the server suites: scratch directories, the real
// `blockgate serve` binary spawned on 127.0.0.1:0 (its listening line parsed),
// deterministic signed transactions, and small JSON helpers.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "host/block.h"
#include "host/signer.h"
#include "host/transaction.h"
#include "ledger/ledger.h"
#include "server/http_client.h"

namespace bg::testing {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag = "server") {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/bg-" + tag + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back(0);
    if (mkdtemp(buf.data()) == nullptr) std::abort();
    path_ = buf.data();
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The real binary as a child process. Its stdout is a pipe (the listening
// line), its stderr a file in the data directory's parent.
class ServerProcess {
 public:
  // Starts `blockgate serve --data DIR --listen 127.0.0.1:0 --backend cpu ARGS`
  // and waits (up to 30 s) for the listening line.
  ServerProcess(const std::string& data_dir, std::vector<std::string> extra = {}) : data_dir_(data_dir) {
    std::vector<std::string> argv = {BLOCKGATE_BINARY, "serve",        "--data", data_dir, "--listen",
                                     "127.0.0.1:0",    "--backend", "cpu"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    int out[2];
    if (pipe(out) != 0) std::abort();
    stderr_path_ = data_dir + ".stderr";
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (err >= 0) dup2(err, 2);
      close(out[0]);
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    out_fd_ = out[0];
    line_ = read_line(std::chrono::seconds(30));
    for (const std::string prefix : {"blockgate listening on http://127.0.0.1:", "blockgate listening on https://127.0.0.1:"})
      if (line_.rfind(prefix, 0) == 0) port_ = uint16_t(std::stoi(line_.substr(prefix.size())));
  }
  ~ServerProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
    std::error_code ec;
    std::filesystem::remove(stderr_path_, ec);
  }

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& listening_line() const { return line_; }
  std::string stderr_text() const {
    std::ifstream f(stderr_path_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  // Everything else the child wrote on stdout after the listening line.
  std::string rest_of_stdout() {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = read(out_fd_, buf, sizeof(buf))) > 0) s.append(buf, size_t(n));
    return s;
  }

  void signal(int sig) { kill(pid_, sig); }
  // Exit status (or 128+signal), or -1 when it did not exit within `timeout`.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

  HttpClient client(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) const {
    HttpClientOptions o;
    o.timeout = timeout;
    return HttpClient("127.0.0.1", port_, o);
  }

 private:
  std::string read_line(std::chrono::milliseconds timeout) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char c;
      if (read(out_fd_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line.push_back(c);
    }
    return line;
  }

  std::string data_dir_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool exited_ = false;
  std::string line_;
  uint16_t port_ = 0;
};

// Deterministic keys (fixed secrets) and unique payloads per (tag, n).
class TxFactory {
 public:
  explicit TxFactory(uint8_t seed = 7) {
    const Scheme schemes[3] = {Scheme::kEd25519, Scheme::kSecp256k1, Scheme::kP256};
    for (int s = 0; s < 3; ++s) {
      Bytes secret(32, 0);
      secret[0] = seed;
      secret[31] = uint8_t(s + 1);
      keys_.push_back(*key_from_secret(schemes[s], secret));
    }
  }
  // Transaction number `n` of this factory; the scheme rotates with n.
  Transaction tx(uint64_t n, size_t payload_bytes = 24) {
    Bytes payload(std::max<size_t>(payload_bytes, 8), 0xab);
    for (int i = 0; i < 8; ++i) payload[i] = uint8_t(n >> (8 * i));
    return sign_transaction(keys_[n % keys_.size()], std::move(payload));
  }

 private:
  std::vector<KeyPair> keys_;
};

inline std::string tx_json(const Transaction& tx) { return boost::json::serialize(tx_to_json(tx)); }

inline std::string txs_json(const std::vector<Transaction>& txs) {
  boost::json::array a;
  for (const Transaction& t : txs) a.push_back(tx_to_json(t));
  return boost::json::serialize(a);
}

inline std::string txs_binary(const std::vector<Transaction>& txs) {
  Bytes out;
  for (const Transaction& t : txs) t.append_encoding(out);
  return std::string(out.begin(), out.end());
}

inline boost::json::value parse_json(const std::string& s) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(s, ec);
  if (ec) return boost::json::value(nullptr);
  return v;
}

// The JSON "results" array of a POST /v1/transactions answer.
inline boost::json::array results_of(const std::string& body) {
  boost::json::value v = parse_json(body);
  if (!v.is_object() || !v.as_object().contains("results")) return {};
  return v.as_object()["results"].as_array();
}

inline std::string str(const boost::json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : std::string();
}

// The durable tip, from GET /v1/blocks/latest.
inline TipInfo latest_tip(HttpClient& c) {
  TipInfo t;
  auto r = c.get("/v1/blocks/latest");
  if (!r.ok() || r->status != 200) return t;
  boost::json::object b = parse_json(r->body).as_object();
  const boost::json::object& h = b["header"].as_object();
  t.height = h.at("height").to_number<uint64_t>();
  t.timestamp_ms = h.at("timestamp_ms").to_number<uint64_t>();
  t.hash = *hash_from_hex(str(b["hash"]));
  return t;
}

// A valid block extending `t` with `txs`.
inline Block block_on(const TipInfo& t, std::vector<Transaction> txs) {
  Block b;
  b.header.height = t.height + 1;
  b.header.prev_hash = t.hash;
  b.header.timestamp_ms = t.timestamp_ms + 1;
  b.header.tx_count = uint32_t(txs.size());
  b.txs = std::move(txs);
  b.header.merkle_root = compute_merkle_root(b.txs);
  return b;
}

}  // namespace bg::testing
