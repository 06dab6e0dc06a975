// `blockgate keygen` and `blockgate sign` (SPEC §5).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cmd/args.h"
#include "cmd/commands.h"
#include "host/signer.h"

namespace bg::cmd {
namespace {

absl::StatusOr<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int keygen(int argc, char** argv) {
  auto args = Args::parse(argc, argv, {"scheme", "out"});
  if (!args.ok()) {
    std::cerr << "blockgate keygen: " << args.status().message() << "\n";
    return 2;
  }
  auto scheme = scheme_from_name(args->get("scheme"));
  if (!scheme) {
    std::cerr << "blockgate keygen: --scheme must be ed25519, secp256k1 or p256\n";
    return 2;
  }
  std::string json = key_to_json(generate_key(*scheme)) + "\n";
  if (!args->has("out")) {
    std::cout << json;
    return 0;
  }
  // The file holds a secret: write a new owner-only file beside the target,
  // make it durable, then rename it over the target. An existing file is
  // replaced (never reopened, so its old mode and owner do not carry over),
  // and a crash leaves either the old file or the whole new one.
  const std::string path = args->get("out");
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  bool ok = fd >= 0 && ::fchmod(fd, 0600) == 0 && ::write(fd, json.data(), json.size()) == ssize_t(json.size()) &&
            ::fsync(fd) == 0;
  const int saved = errno;
  if (fd >= 0 && ::close(fd) != 0) ok = false;
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) ok = false;
  if (!ok) {
    std::cerr << "blockgate keygen: cannot write " << path << ": " << std::strerror(errno ? errno : saved) << "\n";
    if (fd >= 0) ::unlink(tmp.c_str());
    return 1;
  }
  return 0;
}

int sign(int argc, char** argv) {
  auto args = Args::parse(argc, argv, {"key", "payload-hex", "payload-file"});
  if (!args.ok()) {
    std::cerr << "blockgate sign: " << args.status().message() << "\n";
    return 2;
  }
  if (!args->has("key") || args->has("payload-hex") == args->has("payload-file")) {
    std::cerr << "blockgate sign: needs --key FILE and exactly one of --payload-hex, --payload-file\n";
    return 2;
  }
  auto key_text = read_file(args->get("key"));
  if (!key_text.ok()) {
    std::cerr << "blockgate sign: " << key_text.status().message() << "\n";
    return 1;
  }
  auto key = key_from_json(*key_text);
  if (!key.ok()) {
    std::cerr << "blockgate sign: " << key.status().message() << "\n";
    return 1;
  }
  Bytes payload;
  if (args->has("payload-hex")) {
    auto p = from_hex(args->get("payload-hex"));
    if (!p) {
      std::cerr << "blockgate sign: --payload-hex is not valid hex\n";
      return 2;
    }
    payload = std::move(*p);
  } else {
    auto p = read_file(args->get("payload-file"));
    if (!p.ok()) {
      std::cerr << "blockgate sign: " << p.status().message() << "\n";
      return 1;
    }
    payload.assign(p->begin(), p->end());
  }
  std::cout << boost::json::serialize(tx_to_json(sign_transaction(*key, std::move(payload)))) << "\n";
  return 0;
}

}  // namespace bg::cmd
