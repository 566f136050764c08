// TimedBackend: a Backend that forwards memory, streams and copies to another backend and hands out a TimedOps
// over its op table, for the CPU benchmark's --profile mode. Weights loaded through it are copied (the weight
// loader wraps mapped checkpoints only for a CpuBackend), which costs memory, not step time.
// Must not contain op implementations.
#pragma once

#include "backend/backend.h"
#include "timed_ops.h"

namespace fovea::bench {

class TimedBackend final : public backend::Backend {
 public:
  explicit TimedBackend(backend::Backend& inner) : inner_(&inner), ops_(inner.ops()) {}

  TimedOps& timed_ops() { return ops_; }

  backend::Device device() const override { return inner_->device(); }
  std::string_view name() const override { return inner_->name(); }
  base::Result<std::unique_ptr<backend::Buffer>> allocate(size_t size_bytes) override {
    return inner_->allocate(size_bytes);
  }
  backend::Stream& default_stream() override { return inner_->default_stream(); }
  base::Result<std::unique_ptr<backend::Stream>> create_stream() override { return inner_->create_stream(); }
  base::Status synchronize(backend::Stream& stream) override { return inner_->synchronize(stream); }
  base::Status copy_from_host(backend::Stream& stream, const void* src, const backend::Tensor& dst) override {
    return inner_->copy_from_host(stream, src, dst);
  }
  base::Status copy_to_host(backend::Stream& stream, const backend::Tensor& src, void* dst) override {
    return inner_->copy_to_host(stream, src, dst);
  }
  base::Status copy(backend::Stream& stream, const backend::Tensor& src, const backend::Tensor& dst) override {
    return inner_->copy(stream, src, dst);
  }
  backend::Ops& ops() override { return ops_; }

 private:
  backend::Backend* inner_;  // not owned
  TimedOps ops_;
};

}  // namespace fovea::bench
