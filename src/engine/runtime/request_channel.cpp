// RequestChannel and ChannelStream: a mutex-guarded queue between the engine thread and one reader.
// Must not contain generation logic.
#include "engine/runtime/request_channel.h"

namespace fovea::engine {

void RequestChannel::push(RequestUpdate update) {
  {
    std::lock_guard lock(mutex_);
    if (finish_pushed_) return;
    finish_pushed_ = update.finished;
    updates_.push_back(std::move(update));
  }
  ready_.notify_all();
}

std::optional<RequestUpdate> RequestChannel::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, timeout, [&] { return !updates_.empty(); })) return std::nullopt;
  RequestUpdate update = std::move(updates_.front());
  updates_.pop_front();
  return update;
}

bool RequestChannel::finished() const {
  std::lock_guard lock(mutex_);
  return finish_pushed_;
}

std::optional<RequestUpdate> ChannelStream::next(std::chrono::milliseconds timeout) {
  if (ended_) return std::nullopt;
  std::optional<RequestUpdate> update = channel_->pop(timeout);
  if (update && update->finished) ended_ = true;
  return update;
}

void ChannelStream::cancel() {
  std::call_once(cancel_once_, [&] {
    if (!ended_ && !channel_->finished() && on_cancel_) on_cancel_();
  });
}

}  // namespace fovea::engine
