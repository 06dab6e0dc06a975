// Owning wrappers for CUDA streams, events, device and pinned host buffers.
// Creation returns the cudaError_t (no Abseil: tools/gpu_check uses these
// too); destruction releases quietly, since a destructor has nowhere to
// report and the driver reclaims everything at process exit anyway.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

namespace bg::gpu {

class Stream {
 public:
  Stream() = default;
  ~Stream() { reset(); }
  Stream(Stream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stream& operator=(Stream&& o) noexcept {
    if (this != &o) { reset(); s_ = std::exchange(o.s_, nullptr); }
    return *this;
  }
  // Non-blocking: never implicitly synchronizes with the legacy default stream.
  cudaError_t create() {
    reset();
    return cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking);
  }
  cudaStream_t get() const { return s_; }

 private:
  void reset() {
    if (s_) cudaStreamDestroy(s_);
    s_ = nullptr;
  }
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  Event() = default;
  ~Event() { reset(); }
  Event(Event&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  Event& operator=(Event&& o) noexcept {
    if (this != &o) { reset(); e_ = std::exchange(o.e_, nullptr); }
    return *this;
  }
  // timing == false makes record/sync cheaper (no timestamp).
  cudaError_t create(bool timing = false) {
    reset();
    return cudaEventCreateWithFlags(&e_, timing ? cudaEventDefault : cudaEventDisableTiming);
  }
  cudaEvent_t get() const { return e_; }

 private:
  void reset() {
    if (e_) cudaEventDestroy(e_);
    e_ = nullptr;
  }
  cudaEvent_t e_ = nullptr;
};

// Grow-only buffers: reserve() reallocates only when asked for more than it
// holds (old contents are not kept), so steady-state batches never allocate.
// One template; the allocator pair says which memory it is.
template <typename T, cudaError_t (*Alloc)(void**, size_t), cudaError_t (*Free)(void*)>
class GrowBuffer {
 public:
  GrowBuffer() = default;
  ~GrowBuffer() { release(); }
  GrowBuffer(GrowBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  GrowBuffer& operator=(GrowBuffer&& o) noexcept {
    if (this != &o) { release(); p_ = std::exchange(o.p_, nullptr); n_ = std::exchange(o.n_, 0); }
    return *this;
  }
  cudaError_t reserve(size_t n) {
    if (n <= n_) return cudaSuccess;
    release();
    void* p = nullptr;
    cudaError_t e = Alloc(&p, n * sizeof(T));
    if (e == cudaSuccess) { p_ = static_cast<T*>(p); n_ = n; }
    return e;
  }
  T* get() const { return p_; }
  size_t capacity() const { return n_; }

 private:
  void release() {
    if (p_) Free(p_);
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
};

namespace detail {
inline cudaError_t device_alloc(void** p, size_t bytes) { return cudaMalloc(p, bytes); }
inline cudaError_t pinned_alloc(void** p, size_t bytes) { return cudaMallocHost(p, bytes); }
inline cudaError_t device_free(void* p) { return cudaFree(p); }
inline cudaError_t pinned_free(void* p) { return cudaFreeHost(p); }
}  // namespace detail

template <typename T>
using DeviceBuffer = GrowBuffer<T, detail::device_alloc, detail::device_free>;
// Page-locked host memory: the only kind cudaMemcpyAsync copies without a
// hidden staging copy, and the only kind that overlaps with kernels.
template <typename T>
using PinnedBuffer = GrowBuffer<T, detail::pinned_alloc, detail::pinned_free>;

}  // namespace bg::gpu
