// The one timing routine shared by `blockgate bench` (cmd/bench_cmd.cc) and
// the device check (tools/gpu_check): one warm-up run, then as many timed runs
// as fit a budget, and the median. Header-only, standard C++ only, so the
// nvcc-only gpu_check build uses it unchanged. What a "run" is and how it is
// clocked (steady_clock on the host, CUDA events on the device) is the
// caller's `once` function, which returns the run's milliseconds.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace bg::timing {

// Medians over `reps` timed runs after one warm-up. kernel_ms: the work alone
// (for the GPU: kernels with inputs already on the device); total_ms: end to
// end (for the GPU: copies from pinned memory, kernels, results back).
struct Timing {
  double kernel_ms = 0;
  double total_ms = 0;
  int reps = 0;
};

inline double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Timed runs wanted after a warm-up run of first_ms: as many as fit the
// budget, at most max_reps; 3 at least unless one run alone is over a third
// of the budget (then as many as fit, at least 1), so a slow configuration
// cannot push a whole check past its time on the device.
inline int reps_for(double first_ms, int max_reps, double budget_ms) {
  int r = first_ms > 0 ? int(budget_ms / first_ms) : max_reps;
  if (r > max_reps) r = max_reps;
  if (r < 3 && first_ms * 3 <= budget_ms) r = 3;
  return r < 1 ? 1 : r;
}

// once() runs the work one time and returns its milliseconds. Returns the
// median of the timed runs; *reps_out (if given) receives their number.
template <typename F>
double median_ms(F once, int max_reps, double budget_ms, int* reps_out = nullptr) {
  const double first = once();
  const int reps = reps_for(first, max_reps, budget_ms);
  std::vector<double> ms;
  ms.reserve(size_t(reps));
  for (int r = 0; r < reps; ++r) ms.push_back(once());
  std::sort(ms.begin(), ms.end());
  if (reps_out) *reps_out = reps;
  return ms[ms.size() / 2];
}

// median_ms for host work clocked with steady_clock.
template <typename F>
double median_host_ms(F run, int max_reps, double budget_ms, int* reps_out = nullptr) {
  return median_ms(
      [&] {
        const double t0 = now_ms();
        run();
        return now_ms() - t0;
      },
      max_reps, budget_ms, reps_out);
}

}  // namespace bg::timing
