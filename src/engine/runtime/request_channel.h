// RequestChannel: the hand-over of one request's updates from the engine thread to the HTTP thread reading its
// RequestStream, and the stream itself (destroying or cancelling it asks the engine to abort the request).
// Must not contain generation logic.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/runtime/engine.h"
#include "engine/runtime/request_update.h"

namespace fovea::engine {

class RequestChannel {
 public:
  // Engine side: queue an update (the finished one last); updates after the finished one are dropped.
  void push(RequestUpdate update);
  // Reader side.
  std::optional<RequestUpdate> pop(std::chrono::milliseconds timeout);
  bool finished() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<RequestUpdate> updates_;
  bool finish_pushed_ = false;
};

// The RequestStream handed to the caller; `on_cancel` runs once, on cancel() or destruction before the end.
class ChannelStream final : public RequestStream {
 public:
  ChannelStream(std::shared_ptr<RequestChannel> channel, std::function<void()> on_cancel)
      : channel_(std::move(channel)), on_cancel_(std::move(on_cancel)) {}
  ~ChannelStream() override { cancel(); }

  std::optional<RequestUpdate> next(std::chrono::milliseconds timeout) override;
  void cancel() override;

 private:
  std::shared_ptr<RequestChannel> channel_;
  std::function<void()> on_cancel_;
  std::once_flag cancel_once_;
  bool ended_ = false;  // the finished update was returned
};

}  // namespace fovea::engine
