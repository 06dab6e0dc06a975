// RawConn (see raw_conn.h).
#include "testing/raw_conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bg::testing {

RawConn::RawConn(const std::string& host, uint16_t port) {
  fd_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (!fd_.valid() || inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1 ||
      ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close_now();
    return;
  }
  int one = 1;
  setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool RawConn::send(std::string_view bytes) {
  while (fd_.valid() && !bytes.empty()) {
    const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(size_t(n));
  }
  return fd_.valid();
}

RawConn::Read RawConn::read(std::chrono::milliseconds timeout, std::string* out) {
  if (!fd_.valid()) return Read::kError;
  pollfd p{fd_.get(), POLLIN, 0};
  const int r = poll(&p, 1, int(timeout.count()));
  if (r == 0) return Read::kTimeout;
  if (r < 0) return Read::kError;
  char buf[16384];
  const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
  if (n == 0) return Read::kClosed;
  if (n < 0) return Read::kError;  // ECONNRESET counts as the server cutting us
  out->append(buf, size_t(n));
  return Read::kData;
}

bool RawConn::read_until_closed(std::chrono::milliseconds timeout, std::string* out) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    const Read r = read(left, out);
    if (r == Read::kClosed || r == Read::kError) return true;
    if (r == Read::kTimeout) return false;
  }
}

void RawConn::close_now() { fd_.reset(); }

}  // namespace bg::testing
