// Source locations in messages, relative to the repository root: __FILE__ is
// whatever path the build handed the compiler (absolute in a plain build,
// relative to the build directory under ccache), and a log line should name
// `host/gpu/gpu_backend.cc`, not a path on the machine that built it.
#pragma once

namespace bg {

// `file` (a __FILE__ of this build) without the build's path to the
// repository root: a pointer into `file`, which is returned unchanged when it
// does not start with that path.
const char* source_relative(const char* file);

}  // namespace bg
