// The one timing routine shared by `blockgate bench` (cmd/bench_cmd.cc) and
// the device check (tools/gpu_check): one warm-up run, then as many timed runs
// as fit a budget, and the median. Header-only, standard C++ only, so the
// nvcc-only gpu_check build uses it unchanged. What a "run" is and how it is
// clocked (steady_clock on the host, CUDA events on the device) is the
// caller's `once` function, which returns the run's milliseconds. The rate
// table both print (RateTable, human_rate) is here too.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
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

// A rate: "3.10 M" for 3.1e6 per second (G, M, k; plain below a thousand).
inline std::string human_rate(double per_s) {
  char buf[32];
  if (per_s >= 1e9) std::snprintf(buf, sizeof buf, "%.2f G", per_s / 1e9);
  else if (per_s >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", per_s / 1e6);
  else if (per_s >= 1e3) std::snprintf(buf, sizeof buf, "%.1f k", per_s / 1e3);
  else std::snprintf(buf, sizeof buf, "%.1f", per_s);
  return buf;
}

// printf("%.*f") as a string, for table cells.
inline std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The rate table of `blockgate bench` and gpu_check: a header and rows of
// text cells, printed with every column as wide as its widest cell, the first
// `left_columns` columns left-aligned (names) and the rest right-aligned
// (numbers), two spaces apart.
struct RateTable {
  std::vector<std::string> header;
  size_t left_columns = 1;
  std::vector<std::vector<std::string>> rows;

  void add(std::vector<std::string> row) { rows.push_back(std::move(row)); }

  void print(FILE* out) const {
    std::vector<size_t> width(header.size(), 0);
    auto widen = [&](const std::vector<std::string>& r) {
      for (size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], r[c].size());
    };
    widen(header);
    for (const auto& r : rows) widen(r);
    auto line = [&](const std::vector<std::string>& r) {
      std::string s;
      for (size_t c = 0; c < width.size(); ++c) {
        const std::string cell = c < r.size() ? r[c] : "";
        const std::string pad(width[c] - cell.size(), ' ');
        if (c) s += "  ";
        s += c < left_columns ? cell + pad : pad + cell;
      }
      while (!s.empty() && s.back() == ' ') s.pop_back();
      std::fprintf(out, "%s\n", s.c_str());
    };
    line(header);
    for (const auto& r : rows) line(r);
  }
};

}  // namespace bg::timing
