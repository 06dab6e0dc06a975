// blockgate: one binary, several subcommands (SPEC §5).
#include <cstring>
#include <iostream>

#include "cmd/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: blockgate <command> [flags]\n"
    "  serve    [--data DIR] [--listen HOST:PORT] [--backend auto|cpu|gpu|kernels-on-cpu]\n"
    "           [--max-body-bytes N] [--block-interval-ms N] [--max-block-txs N]\n"
    "           [--max-connections N] [--auth-token-file F]\n"
    "  verify   [--backend B] [--input FILE]\n"
    "  audit    --data DIR [--backend B]\n"
    "  keygen   --scheme ed25519|secp256k1|p256 [--out FILE]\n"
    "  sign     --key FILE (--payload-hex HEX | --payload-file F)\n"
    "  loadgen  --url URL [--scheme S|mixed] [--transactions N] [--batch B] [--connections C]\n"
    "           [--wait commit|verify] [--seed S] [--binary]   (blockgate loadgen --help for more)\n"
    "  bench    [--backend all|cpu|gpu|kernels-on-cpu] [--scheme ed25519|secp256k1|p256|mixed|all]\n"
    "           [--batch 64,1k,16k,256k,1M] [--variant SPEC] [--seconds S] [--json]\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const char* c = argv[1];
  int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  if (!std::strcmp(c, "serve")) return bg::cmd::serve(sub_argc, sub_argv);
  if (!std::strcmp(c, "verify")) return bg::cmd::verify(sub_argc, sub_argv);
  if (!std::strcmp(c, "audit")) return bg::cmd::audit(sub_argc, sub_argv);
  if (!std::strcmp(c, "keygen")) return bg::cmd::keygen(sub_argc, sub_argv);
  if (!std::strcmp(c, "sign")) return bg::cmd::sign(sub_argc, sub_argv);
  if (!std::strcmp(c, "loadgen")) return bg::cmd::loadgen(sub_argc, sub_argv);
  if (!std::strcmp(c, "bench")) return bg::cmd::bench(sub_argc, sub_argv);
  std::cerr << "blockgate: unknown command '" << c << "'\n" << kUsage;
  return 2;
}
