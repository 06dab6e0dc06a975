// `blockgate keygen` and `blockgate sign` (SPEC §5).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "host/fd.h"
#include "host/signer.h"

namespace bg::cmd {
namespace {

absl::StatusOr<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(cat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct KeygenConfig {
  Scheme scheme = Scheme::kEd25519;
  std::optional<std::string> out;
};

absl::Status set_scheme(KeygenConfig& o, std::string_view name) {
  auto s = scheme_from_name(name);
  if (!s) return absl::InvalidArgumentError(cat("names no known scheme: '", name, "'"));
  o.scheme = *s;
  return absl::OkStatus();
}

const FlagTable<KeygenConfig>& keygen_flags() {
  static const FlagTable<KeygenConfig> table = [] {
    FlagTable<KeygenConfig> t("keygen", std::string(command_summary("keygen")));
    t.add_custom("scheme", "SCHEME", "scheme", "signature scheme: " + scheme_names(), set_scheme,
                 [](const KeygenConfig& o) { return std::string(scheme_name(o.scheme)); })
        .needed();
    t.add("out", &KeygenConfig::out, "write the key to FILE, owner-only (default: stdout)").value("FILE");
    return t;
  }();
  return table;
}

struct SignConfig {
  std::string key;
  std::optional<std::string> payload_hex;
  std::optional<std::string> payload_file;
};

const FlagTable<SignConfig>& sign_flags() {
  static const FlagTable<SignConfig> table = [] {
    FlagTable<SignConfig> t("sign", std::string(command_summary("sign")));
    t.add("key", &SignConfig::key, "key file written by `blockgate keygen`").value("FILE").needed();
    t.add("payload-hex", &SignConfig::payload_hex, "the payload as hex (or --payload-file)").value("HEX");
    t.add("payload-file", &SignConfig::payload_file, "the payload as a file's bytes (or --payload-hex)").value("FILE");
    return t;
  }();
  return table;
}

}  // namespace

int keygen(int argc, char** argv) {
  KeygenConfig cfg;
  ParsedFlags parsed;
  if (auto exit_code = parse_command_line(keygen_flags(), argc, argv, &cfg, &parsed)) return *exit_code;
  std::string json = key_to_json(generate_key(cfg.scheme)) + "\n";
  if (!cfg.out) {
    std::cout << json;
    return 0;
  }
  // The file holds a secret: write a new owner-only file beside the target,
  // make it durable, then rename it over the target. An existing file is
  // replaced (never reopened, so its old mode and owner do not carry over),
  // and a crash leaves either the old file or the whole new one.
  const std::string& path = *cfg.out;
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  bool ok = fd >= 0 && ::fchmod(fd, 0600) == 0 && ::write(fd, json.data(), json.size()) == ssize_t(json.size()) &&
            ::fsync(fd) == 0;
  int err = ok ? 0 : errno;
  if (fd >= 0 && ::close(fd) != 0 && ok) ok = false, err = errno;
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) ok = false, err = errno;
  if (!ok) {
    std::cerr << "blockgate keygen: cannot write " << path << ": " << errno_text(err) << "\n";
    if (fd >= 0) ::unlink(tmp.c_str());
    return 1;
  }
  return 0;
}

int sign(int argc, char** argv) {
  SignConfig cfg;
  ParsedFlags parsed;
  if (auto exit_code = parse_command_line(sign_flags(), argc, argv, &cfg, &parsed)) return *exit_code;
  if (cfg.payload_hex.has_value() == cfg.payload_file.has_value()) {
    std::cerr << "blockgate sign: needs exactly one of --payload-hex, --payload-file\n";
    return 2;
  }
  auto key_text = read_file(cfg.key);
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
  if (cfg.payload_hex) {
    auto p = from_hex(*cfg.payload_hex);
    if (!p) {
      std::cerr << "blockgate sign: --payload-hex is not valid hex\n";
      return 2;
    }
    payload = std::move(*p);
  } else {
    auto p = read_file(*cfg.payload_file);
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
