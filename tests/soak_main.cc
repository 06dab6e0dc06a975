// `make soak`: the real server under a mixed hostile workload for a while
// (default 60 s), next to honest clients. Pass: the server's RSS stays under
// the bound, honest transactions keep committing, the server exits 0 on
// SIGTERM, and `blockgate audit` accepts the ledger afterwards. Prints the
// honest requests' commit latency (p50/p99) and the peak RSS.
//
//   server_soak [SECONDS] [RSS_BOUND_MIB]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>

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
#include "testing/tx_factory.h"

namespace bg::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

uint64_t rss_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

int raw_connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, std::string_view b) {
  while (!b.empty()) {
    ssize_t n = ::send(fd, b.data(), b.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    b.remove_prefix(size_t(n));
  }
  return true;
}

void drain(int fd, milliseconds timeout) {
  char buf[65536];
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    if (recv(fd, buf, sizeof buf, 0) <= 0) return;
  }
}

int run(int seconds, uint64_t bound_mib) {
  TempDir dir("soak");
  const std::string data = dir.path() + "/data";
  auto server = std::make_unique<ServerProcess>(
      data, std::vector<std::string>{"--max-connections", "256", "--max-streams", "64", "--write-timeout-ms", "5000",
                                     "--header-timeout-ms", "3000", "--body-timeout-ms", "5000"});
  if (!server->started()) {
    std::cerr << "soak: server did not start: " << server->stderr_text() << "\n";
    return 1;
  }
  const uint16_t port = server->port();
  const pid_t pid = server->pid();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> honest_committed{0}, honest_failed{0}, slowloris{0}, floods{0}, amplifications{0},
      streams{0}, bad_blocks{0};
  std::mutex lat_mu;
  std::vector<double> latencies_ms;
  std::vector<std::thread> threads;

  // Honest clients: 20 transactions per request, wait=commit.
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      TxFactory txs(uint8_t(40 + t));
      HttpClient c("127.0.0.1", port);
      uint64_t n = 0;
      while (!stop) {
        std::vector<Transaction> batch;
        for (int i = 0; i < 20; ++i) batch.push_back(txs.tx(n++));
        const auto t0 = Clock::now();
        auto r = c.post("/v1/transactions", txs_json(batch));
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (r.ok() && r->status == 200) {
          honest_committed += batch.size();
          std::lock_guard lk(lat_mu);
          latencies_ms.push_back(ms);
        } else {
          ++honest_failed;
          std::this_thread::sleep_for(milliseconds(100));
        }
      }
    });
  }
  // Slowloris: headers one byte a second, 40 connections at a time.
  threads.emplace_back([&] {
    std::vector<int> fds;
    while (!stop) {
      while (fds.size() < 40) {
        int fd = raw_connect(port);
        if (fd < 0) break;
        send_all(fd, "POST /v1/transactions HTTP/1.1\r\n");
        fds.push_back(fd);
        ++slowloris;
      }
      for (size_t i = 0; i < fds.size();) {
        if (!send_all(fds[i], "X")) {
          close(fds[i]);
          fds[i] = fds.back();
          fds.pop_back();
        } else {
          ++i;
        }
      }
      std::this_thread::sleep_for(milliseconds(1000));
    }
    for (int fd : fds) close(fd);
  });
  // Chunk-extension floods.
  threads.emplace_back([&] {
    const std::string junk(1 << 20, 'a');
    while (!stop) {
      int fd = raw_connect(port);
      if (fd < 0) continue;
      send_all(fd, "POST /v1/transactions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;x=");
      for (int i = 0; i < 4 && send_all(fd, junk); ++i) {
      }
      drain(fd, milliseconds(500));
      close(fd);
      ++floods;
    }
  });
  // Amplification attempts: 2 MiB of "0," items.
  threads.emplace_back([&] {
    std::string body = "[0";
    while (body.size() < (2u << 20)) body += ",0";
    body += "]";
    HttpClient c("127.0.0.1", port);
    while (!stop) {
      auto r = c.post("/v1/transactions", body);
      ++amplifications;
      if (!r.ok()) std::this_thread::sleep_for(milliseconds(50));
    }
  });
  // Streams opened and dropped (far future and from the start).
  threads.emplace_back([&] {
    uint64_t i = 0;
    while (!stop) {
      int fd = raw_connect(port);
      if (fd < 0) continue;
      const std::string from = i++ % 2 ? "1" : "5000";
      send_all(fd, "GET /v1/stream?from=" + from + " HTTP/1.1\r\nHost: x\r\n\r\n");
      drain(fd, milliseconds(200));
      close(fd);
      ++streams;
    }
  });
  // Bad blocks: invalid signatures under a correct Merkle root.
  threads.emplace_back([&] {
    TxFactory txs(77);
    HttpClient c("127.0.0.1", port);
    uint64_t n = 0;
    while (!stop) {
      std::vector<Transaction> bad;
      for (int i = 0; i < 200; ++i) {
        Transaction t = txs.tx(n++);
        t.signature[5] ^= 1;
        bad.push_back(std::move(t));
      }
      Block b = block_on(latest_tip(c), std::move(bad));
      Bytes enc = b.encode();
      auto r = c.post("/v1/blocks", std::string(enc.begin(), enc.end()), "application/octet-stream");
      ++bad_blocks;
      if (!r.ok()) std::this_thread::sleep_for(milliseconds(50));
    }
  });

  uint64_t peak_kb = 0;
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < end) {
    peak_kb = std::max(peak_kb, rss_kb(pid));
    std::this_thread::sleep_for(milliseconds(250));
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  peak_kb = std::max(peak_kb, rss_kb(pid));
  server->signal(SIGTERM);
  const int exit_code = server->wait_exit(milliseconds(60000));
  const CommandResult audit = run_command({BLOCKGATE_BINARY, "audit", "--data", data, "--backend", "cpu"});
  const int audit_exit = audit.exit_code;
  const std::string& audit_out = audit.output;

  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double q) {
    return latencies_ms.empty() ? 0.0 : latencies_ms[std::min(latencies_ms.size() - 1, size_t(q * latencies_ms.size()))];
  };
  std::printf(
      "soak: %d s; honest: %llu committed, %llu failed requests, commit latency p50 %.1f ms p99 %.1f ms; "
      "hostile: %llu slowloris, %llu chunk floods, %llu amplifications, %llu streams, %llu bad blocks; "
      "peak RSS %.1f MiB (bound %llu MiB); exit %d; audit exit %d: %s\n",
      seconds, (unsigned long long)honest_committed.load(), (unsigned long long)honest_failed.load(), pct(0.5),
      pct(0.99), (unsigned long long)slowloris.load(), (unsigned long long)floods.load(),
      (unsigned long long)amplifications.load(), (unsigned long long)streams.load(),
      (unsigned long long)bad_blocks.load(), peak_kb / 1024.0, (unsigned long long)bound_mib, exit_code,
      audit_exit, audit_out.c_str());
  bool ok = true;
  if (peak_kb > bound_mib * 1024) ok = false, std::printf("soak: FAIL: RSS over the bound\n");
  if (honest_committed == 0) ok = false, std::printf("soak: FAIL: no honest transaction committed\n");
  if (exit_code != 0) ok = false, std::printf("soak: FAIL: server exit %d\n", exit_code);
  if (audit_exit != 0) ok = false, std::printf("soak: FAIL: audit\n");
  std::printf("soak: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace bg::testing

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 60;
  const uint64_t bound = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 512;
  return bg::testing::run(seconds, bound);
}
