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
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) { release(); p_ = std::exchange(o.p_, nullptr); n_ = std::exchange(o.n_, 0); }
    return *this;
  }
  cudaError_t reserve(size_t n) {
    if (n <= n_) return cudaSuccess;
    release();
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, n * sizeof(T));
    if (e == cudaSuccess) { p_ = static_cast<T*>(p); n_ = n; }
    return e;
  }
  T* get() const { return p_; }
  size_t capacity() const { return n_; }

 private:
  void release() {
    if (p_) cudaFree(p_);
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
};

// Page-locked host memory: the only kind cudaMemcpyAsync copies without a
// hidden staging copy, and the only kind that overlaps with kernels.
template <typename T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { release(); }
  PinnedBuffer(PinnedBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) { release(); p_ = std::exchange(o.p_, nullptr); n_ = std::exchange(o.n_, 0); }
    return *this;
  }
  cudaError_t reserve(size_t n) {
    if (n <= n_) return cudaSuccess;
    release();
    void* p = nullptr;
    cudaError_t e = cudaMallocHost(&p, n * sizeof(T));
    if (e == cudaSuccess) { p_ = static_cast<T*>(p); n_ = n; }
    return e;
  }
  T* get() const { return p_; }
  size_t capacity() const { return n_; }

 private:
  void release() {
    if (p_) cudaFreeHost(p_);
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace bg::gpu
