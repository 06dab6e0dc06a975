// The subcommands of the one `blockgate` binary (SPEC §5). Each returns the
// process exit code; argv[0] is the subcommand name.
#pragma once

namespace bg::cmd {

int serve(int argc, char** argv);
int verify(int argc, char** argv);
int audit(int argc, char** argv);
int keygen(int argc, char** argv);
int sign(int argc, char** argv);
int loadgen(int argc, char** argv);
int bench(int argc, char** argv);

}  // namespace bg::cmd
