// The `gpu` backend: signature checks, batched SHA-256 and Merkle roots on a
// CUDA device. Buffers are allocated once (grow-only). A call takes one of
// `lanes` lanes (so that many callers — the server's batches in flight —
// use the device at once); a lane has two buffer sets, each with its own
// stream, that pipeline pack → H2D → kernels → D2H across chunks, and the
// kernels of a chunk's schemes run concurrently on per-scheme streams.
// Merkle roots (for sealing) have their own stream and buffers, so they never
// wait behind a large verify. After a sticky device fault (e.g. an illegal
// address) every later call returns Internal; the server's fallback wrapper
// (host/backend.h) then re-runs the work on cpu and re-creates the backend.
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <vector>
#include <mutex>

#include "host/backend.h"
#include "host/kernel_variants.h"
#include "host/gpu/batch_plan.h"
#include "host/gpu/cuda_raii.h"
#include "host/gpu/cuda_status.h"
#include "host/gpu/gpu_backend.h"
#include "host/gpu/launch.h"
#include "kernels/sha256.h"

namespace bg::gpu {
namespace {

// One pipeline stage's worth of memory: records, payload blob and results,
// each on the host (pinned) and on the device, plus the stream that owns them
// and one stream per scheme for that chunk's kernels.
struct BufferSet {
  Stream stream;
  std::array<Stream, kSchemeCount> scheme_streams;
  Event copied;                                   // on `stream`: inputs are on the device
  std::array<Event, kSchemeCount> scheme_done;    // on scheme_streams[k]: its kernel is done
  PinnedBuffer<uint8_t> h_recs, h_blob, h_out;
  DeviceBuffer<uint8_t> d_recs, d_blob, d_out;
  // Set before the first operation is enqueued, so even a chunk that failed
  // half-way is waited for before its pinned memory is reused.
  bool busy = false;
};

// What one caller holds for the duration of a verify or hash call.
struct Lane {
  std::mutex mu;
  std::array<BufferSet, 2> sets;
};

class GpuBackend final : public VerifyBackend {
 public:
  GpuBackend(const GpuOptions& opts, std::unique_ptr<VerifyBackend> cpu)
      : opts_(opts), cpu_(std::move(cpu)) {}

  absl::Status init() {
    if (absl::Status st = check_kernel_variants(opts_.verify_variant); !st.ok()) return st;
    if (opts_.lanes < 1) opts_.lanes = 1;
    lanes_ = std::vector<Lane>(size_t(opts_.lanes));
    int count = 0;
    if (cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess) {
      absl::Status st = cuda_status(e, "cudaGetDeviceCount(&count)", __FILE__, __LINE__);
      // No device or no driver, the common case on a CPU machine: the
      // driver's words say it all, the call site adds nothing.
      if (absl::IsUnavailable(st)) return absl::UnavailableError(cudaGetErrorString(e));
      return st;
    }
    if (count == 0) return absl::UnavailableError("no CUDA device found");
    if (opts_.device < 0 || opts_.device >= count)
      return absl::UnavailableError(absl::StrCat("CUDA device ", opts_.device, " requested but only ", count,
                                                 " present"));
    BG_CUDA_TRY(cudaSetDevice(opts_.device));
    // Re-created after a fault: the old context is unusable until reset.
    if (opts_.reset_device) BG_CUDA_TRY(cudaDeviceReset());
    cudaDeviceProp prop{};
    BG_CUDA_TRY(cudaGetDeviceProperties(&prop, opts_.device));
    // The build embeds sm_90 code and compute_90 PTX: nothing older can run it.
    if (prop.major < 9)
      return absl::UnavailableError(absl::StrFormat(
          "CUDA device %d (%s) has compute capability %d.%d; this build needs 9.0 or newer", opts_.device,
          prop.name, prop.major, prop.minor));
    description_ = absl::StrFormat(
        "gpu: %s (cc %d.%d, %d SMs, %.1f GiB), %d lanes of 2 streams (+1 per scheme), chunks of %zu items, "
        "cpu below %zu signatures, kernels %s",
        prop.name, prop.major, prop.minor, prop.multiProcessorCount, double(prop.totalGlobalMem) / (1 << 30),
        opts_.lanes, opts_.chunk_items, opts_.min_verify_batch, format_kernel_variants(opts_.verify_variant));
    opts_.chunk_items = std::max<size_t>(opts_.chunk_items, 1);
    BG_CUDA_TRY(merkle_stream_.create());
    for (Lane& lane : lanes_)
      for (BufferSet& set : lane.sets) {
        BG_CUDA_TRY(set.stream.create());
        BG_CUDA_TRY(set.copied.create());
        for (size_t k = 0; k < kSchemeCount; ++k) {
          BG_CUDA_TRY(set.scheme_streams[k].create());
          BG_CUDA_TRY(set.scheme_done[k].create());
        }
        // Records: SigRecord (112 B) is the larger of the two record kinds;
        // results: 32 B per hash is the larger of the two result kinds.
        BG_CUDA_TRY(set.h_recs.reserve(opts_.chunk_items * sizeof(SigRecord)));
        BG_CUDA_TRY(set.d_recs.reserve(opts_.chunk_items * sizeof(SigRecord)));
        BG_CUDA_TRY(set.h_out.reserve(opts_.chunk_items * 32));
        BG_CUDA_TRY(set.d_out.reserve(opts_.chunk_items * 32));
        BG_CUDA_TRY(set.h_blob.reserve(opts_.chunk_blob_bytes));
        BG_CUDA_TRY(set.d_blob.reserve(opts_.chunk_blob_bytes));
      }
    return self_test();
  }

  std::string_view name() const override { return "gpu"; }
  std::string description() const override { return description_; }

  absl::Status verify_batch(std::span<const SigItem> items, std::span<uint8_t> valid) override {
    if (items.size() != valid.size()) return absl::InvalidArgumentError("verify_batch: size mismatch");
    if (items.size() < opts_.min_verify_batch) return cpu_->verify_batch(items, valid);
    // Planned before taking a lane: packing is host work that overlaps the
    // device's work for other callers.
    VerifyPlan plan = plan_verify(items, opts_.chunk_items, opts_.chunk_blob_bytes);
    Lane& lane = take_lane();
    std::lock_guard<std::mutex> lock(lane.mu, std::adopt_lock);
    auto& sets = lane.sets;
    BG_CUDA_TRY(cudaSetDevice(opts_.device));  // the current device is per host thread
    std::fill(valid.begin(), valid.end(), 0);  // unknown schemes stay 0
    std::array<const VerifyChunk*, 2> held = {nullptr, nullptr};
    absl::Status st;
    for (size_t c = 0; c < plan.chunks.size() && st.ok(); ++c) {
      BufferSet& set = sets[c % 2];
      st = collect_verify(set, plan, held[c % 2], valid);
      if (!st.ok()) break;
      st = enqueue_verify(set, items, plan, plan.chunks[c]);
      held[c % 2] = &plan.chunks[c];
    }
    // Drain both sets even after an error, so no copy into pinned memory is
    // still in flight when the next call reuses it.
    for (int s = 0; s < 2; ++s) {
      absl::Status drained = collect_verify(sets[s], plan, held[s], valid);
      if (st.ok()) st = drained;
    }
    return st;
  }

  absl::Status hash_batch(std::span<const ByteSpan> messages, std::span<Hash32> out) override {
    if (messages.size() != out.size()) return absl::InvalidArgumentError("hash_batch: size mismatch");
    if (messages.size() < opts_.min_hash_batch) return cpu_->hash_batch(messages, out);
    Lane& lane = take_lane();
    std::lock_guard<std::mutex> lock(lane.mu, std::adopt_lock);
    auto& sets = lane.sets;
    BG_CUDA_TRY(cudaSetDevice(opts_.device));
    std::vector<HashChunk> chunks = plan_hash(messages, opts_.chunk_items, opts_.chunk_blob_bytes);
    std::array<const HashChunk*, 2> held = {nullptr, nullptr};
    absl::Status st;
    for (size_t c = 0; c < chunks.size() && st.ok(); ++c) {
      BufferSet& set = sets[c % 2];
      st = collect_hash(set, held[c % 2], out);
      if (!st.ok()) break;
      st = enqueue_hash(set, messages, chunks[c]);
      held[c % 2] = &chunks[c];
    }
    for (int s = 0; s < 2; ++s) {
      absl::Status drained = collect_hash(sets[s], held[s], out);
      if (st.ok()) st = drained;
    }
    return st;
  }

  absl::StatusOr<Hash32> merkle_root(std::span<const Hash32> ids) override {
    if (ids.size() < std::max<size_t>(opts_.min_merkle_leaves, 2)) return cpu_->merkle_root(ids);
    if (ids.size() > UINT32_MAX) return absl::InvalidArgumentError("merkle_root: too many ids");
    // Its own lock, stream and buffers: sealing never waits behind a verify.
    std::lock_guard<std::mutex> lock(merkle_mu_);
    BG_CUDA_TRY(cudaSetDevice(opts_.device));
    size_t bytes = ids.size() * 32;
    BG_CUDA_TRY(merkle_h_.reserve(std::max<size_t>(bytes, 32)));
    BG_CUDA_TRY(merkle_in_.reserve(bytes));
    BG_CUDA_TRY(merkle_a_.reserve(bytes));
    BG_CUDA_TRY(merkle_b_.reserve((ids.size() + 1) / 2 * 32));
    std::memcpy(merkle_h_.get(), ids.data(), bytes);
    cudaStream_t s = merkle_stream_.get();
    BG_CUDA_TRY(cudaMemcpyAsync(merkle_in_.get(), merkle_h_.get(), bytes, cudaMemcpyHostToDevice, s));
    uint32_t n = uint32_t(ids.size());
    BG_CUDA_TRY(launch_merkle_leaves(merkle_in_.get(), n, merkle_a_.get(), s));
    uint8_t* in = merkle_a_.get();
    uint8_t* out = merkle_b_.get();
    // One launch per level: ~log2(n) launches of a few microseconds each.
    for (; n > 1; n = (n + 1) / 2) {
      BG_CUDA_TRY(launch_merkle_level(in, n, out, s));
      std::swap(in, out);
    }
    BG_CUDA_TRY(cudaMemcpyAsync(merkle_h_.get(), in, 32, cudaMemcpyDeviceToHost, s));
    BG_CUDA_TRY(cudaStreamSynchronize(s));
    Hash32 root;
    std::memcpy(root.data(), merkle_h_.get(), 32);
    return root;
  }

 private:
  // A free lane if there is one, else waits for one in turn. Returns it locked.
  Lane& take_lane() {
    const size_t n = lanes_.size(), start = next_lane_.fetch_add(1) % n;
    for (size_t i = 0; i < n; ++i) {
      Lane& lane = lanes_[(start + i) % n];
      if (lane.mu.try_lock()) return lane;
    }
    lanes_[start].mu.lock();
    return lanes_[start];
  }

  absl::Status enqueue_verify(BufferSet& set, std::span<const SigItem> items, const VerifyPlan& plan,
                              const VerifyChunk& chunk) {
    // A payload bigger than the blob gets a chunk of its own (batch_plan.h);
    // grow for it. The set is idle here: collect_verify synchronized it.
    BG_CUDA_TRY(set.h_blob.reserve(chunk.blob_bytes));
    BG_CUDA_TRY(set.d_blob.reserve(chunk.blob_bytes));
    auto* recs = reinterpret_cast<SigRecord*>(set.h_recs.get());
    pack_verify_chunk(items, plan, chunk, recs, set.h_blob.get());
    cudaStream_t s = set.stream.get();
    size_t n = chunk.size();
    set.busy = true;
    BG_CUDA_TRY(cudaMemcpyAsync(set.d_recs.get(), recs, n * sizeof(SigRecord), cudaMemcpyHostToDevice, s));
    if (chunk.blob_bytes > 0)
      BG_CUDA_TRY(cudaMemcpyAsync(set.d_blob.get(), set.h_blob.get(), chunk.blob_bytes, cudaMemcpyHostToDevice, s));
    auto* d_recs = reinterpret_cast<const SigRecord*>(set.d_recs.get());
    // Each scheme's kernel on its own stream, after the copies: a mixed chunk
    // runs its curves concurrently; the copy back waits for all of them.
    BG_CUDA_TRY(cudaEventRecord(set.copied.get(), s));
    for (const SchemeInfo& scheme : kSchemes) {
      const size_t k = scheme_index(scheme.id);
      uint32_t off = chunk.offset(scheme.id), cnt = chunk.count[k];
      if (cnt == 0) continue;
      cudaStream_t ks = set.scheme_streams[k].get();
      BG_CUDA_TRY(cudaStreamWaitEvent(ks, set.copied.get(), 0));
      BG_CUDA_TRY(launch_verify(scheme.id, d_recs + off, set.d_blob.get(), cnt, set.d_out.get() + off, ks,
                                opts_.verify_threads_per_block, opts_.verify_variant[size_t(scheme.id)]));
      BG_CUDA_TRY(cudaEventRecord(set.scheme_done[k].get(), ks));
      BG_CUDA_TRY(cudaStreamWaitEvent(s, set.scheme_done[k].get(), 0));
    }
    BG_CUDA_TRY(cudaMemcpyAsync(set.h_out.get(), set.d_out.get(), n, cudaMemcpyDeviceToHost, s));
    return absl::OkStatus();
  }

  // Waits for the set's chunk (if any) and scatters its verdicts to input order.
  absl::Status collect_verify(BufferSet& set, const VerifyPlan& plan, const VerifyChunk* chunk,
                              std::span<uint8_t> valid) {
    if (!set.busy) return absl::OkStatus();
    set.busy = false;
    BG_CUDA_TRY(cudaStreamSynchronize(set.stream.get()));
    const uint8_t* res = set.h_out.get();
    for (size_t k = chunk->begin; k < chunk->end; ++k) valid[plan.order[k]] = res[k - chunk->begin];
    return absl::OkStatus();
  }

  absl::Status enqueue_hash(BufferSet& set, std::span<const ByteSpan> messages, const HashChunk& chunk) {
    BG_CUDA_TRY(set.h_blob.reserve(chunk.blob_bytes));
    BG_CUDA_TRY(set.d_blob.reserve(chunk.blob_bytes));
    auto* recs = reinterpret_cast<MsgRecord*>(set.h_recs.get());
    pack_hash_chunk(messages, chunk, recs, set.h_blob.get());
    cudaStream_t s = set.stream.get();
    size_t n = chunk.size();
    set.busy = true;
    BG_CUDA_TRY(cudaMemcpyAsync(set.d_recs.get(), recs, n * sizeof(MsgRecord), cudaMemcpyHostToDevice, s));
    if (chunk.blob_bytes > 0)
      BG_CUDA_TRY(cudaMemcpyAsync(set.d_blob.get(), set.h_blob.get(), chunk.blob_bytes, cudaMemcpyHostToDevice, s));
    BG_CUDA_TRY(launch_sha256(reinterpret_cast<const MsgRecord*>(set.d_recs.get()), set.d_blob.get(), uint32_t(n),
                              set.d_out.get(), s));
    BG_CUDA_TRY(cudaMemcpyAsync(set.h_out.get(), set.d_out.get(), n * 32, cudaMemcpyDeviceToHost, s));
    return absl::OkStatus();
  }

  absl::Status collect_hash(BufferSet& set, const HashChunk* chunk, std::span<Hash32> out) {
    if (!set.busy) return absl::OkStatus();
    set.busy = false;
    BG_CUDA_TRY(cudaStreamSynchronize(set.stream.get()));
    std::memcpy(out.data() + chunk->begin, set.h_out.get(), chunk->size() * 32);
    return absl::OkStatus();
  }

  // Proves the module loads and runs on this device (a build for the wrong
  // architecture fails here, at start, not at the first batch): SHA-256("abc").
  absl::Status self_test() {
    static const uint8_t kAbc[3] = {'a', 'b', 'c'};
    BufferSet& set = lanes_[0].sets[0];
    auto* rec = reinterpret_cast<MsgRecord*>(set.h_recs.get());
    *rec = MsgRecord{0, 3, 0};
    std::memcpy(set.h_blob.get(), kAbc, 3);
    cudaStream_t s = set.stream.get();
    BG_CUDA_TRY(cudaMemcpyAsync(set.d_recs.get(), rec, sizeof(MsgRecord), cudaMemcpyHostToDevice, s));
    BG_CUDA_TRY(cudaMemcpyAsync(set.d_blob.get(), set.h_blob.get(), 3, cudaMemcpyHostToDevice, s));
    BG_CUDA_TRY(launch_sha256(reinterpret_cast<const MsgRecord*>(set.d_recs.get()), set.d_blob.get(), 1,
                              set.d_out.get(), s));
    BG_CUDA_TRY(cudaMemcpyAsync(set.h_out.get(), set.d_out.get(), 32, cudaMemcpyDeviceToHost, s));
    BG_CUDA_TRY(cudaStreamSynchronize(s));
    uint8_t want[32];
    k::sha256(kAbc, 3, want);
    if (std::memcmp(want, set.h_out.get(), 32) != 0)
      return absl::InternalError("GPU self-test: SHA-256(\"abc\") on the device differs from the host's");
    return absl::OkStatus();
  }

  GpuOptions opts_;
  std::unique_ptr<VerifyBackend> cpu_;
  std::string description_;
  std::vector<Lane> lanes_;
  std::atomic<size_t> next_lane_{0};
  std::mutex merkle_mu_;
  Stream merkle_stream_;
  PinnedBuffer<uint8_t> merkle_h_;
  DeviceBuffer<uint8_t> merkle_in_, merkle_a_, merkle_b_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<VerifyBackend>> make_gpu_backend(const GpuOptions& opts) {
  BackendOptions cpu_opts;
  cpu_opts.cpu_threads = opts.cpu_threads;
  auto backend = std::make_unique<GpuBackend>(opts, make_cpu_backend(cpu_opts));
  absl::Status st = backend->init();
  if (!st.ok()) {
    return absl::Status(st.code(), absl::StrCat("gpu backend unavailable: ", st.message()));
  }
  return std::unique_ptr<VerifyBackend>(std::move(backend));
}

}  // namespace bg::gpu

namespace bg {

absl::StatusOr<std::unique_ptr<VerifyBackend>> make_gpu_backend(const BackendOptions& opts) {
  gpu::GpuOptions g;
  g.cpu_threads = opts.cpu_threads;
  g.verify_variant = opts.kernel_variant;
  g.verify_threads_per_block = opts.gpu_threads_per_block;
  g.reset_device = opts.gpu_reset_device;
  return gpu::make_gpu_backend(g);
}

}  // namespace bg
