// A scripted engine::Engine for the HTTP layer's unit tests: each submitted request replays the updates of its
// Script (with an optional delay per update, or holding until released), records what was submitted and which
// streams were cancelled, and reports configurable stats. Must not contain assertions.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "engine/runtime/engine.h"
#include "text/tokenizer.h"

namespace fovea::serve::testing {

struct Script {
  std::vector<engine::RequestUpdate> updates;  // the last one should have finished = true
  std::chrono::milliseconds delay{0};          // before each update
  bool hold = false;                           // wait for FakeEngine::release() before the first update
  bool endless = false;                        // repeat the first update until cancelled (disconnect tests)
};

// Text tokens "a", "b", ... as one choice's updates, then a finish.
inline Script text_script(const std::vector<std::string>& pieces, engine::FinishKind finish, int32_t n = 1) {
  Script script;
  int64_t num_tokens = 0;
  for (size_t idx = 0; idx < pieces.size(); ++idx) {
    engine::RequestUpdate update;
    for (int32_t choice_idx = 0; choice_idx < n; ++choice_idx) {
      engine::ChoiceUpdate choice;
      choice.index = choice_idx;
      choice.content_delta = pieces[idx];
      choice.token_ids = {static_cast<int32_t>(100 + idx)};
      choice.logprobs = {{static_cast<int32_t>(100 + idx), pieces[idx], -0.5f, {{7, pieces[idx], -0.5f}}}};
      if (idx + 1 == pieces.size()) choice.finish = finish;
      update.choices.push_back(choice);
      ++num_tokens;
    }
    update.usage = {5, num_tokens, 0};
    update.finished = idx + 1 == pieces.size();
    if (update.finished) update.timings = {0.01, 0.02, 0.0, 0.05};
    script.updates.push_back(update);
  }
  return script;
}

class FakeStream : public engine::RequestStream {
 public:
  FakeStream(Script script, std::shared_ptr<std::atomic<int>> num_cancelled, std::shared_ptr<std::mutex> mutex,
             std::shared_ptr<std::condition_variable> released_cv, std::shared_ptr<bool> released)
      : script_(std::move(script)),
        num_cancelled_(std::move(num_cancelled)),
        mutex_(std::move(mutex)),
        released_cv_(std::move(released_cv)),
        released_(std::move(released)) {}
  ~FakeStream() override { cancel(); }

  std::optional<engine::RequestUpdate> next(std::chrono::milliseconds timeout) override {
    if (cancelled_ || done_) return std::nullopt;
    if (script_.hold) {
      std::unique_lock<std::mutex> lock(*mutex_);
      if (!released_cv_->wait_for(lock, timeout, [&] { return *released_; })) return std::nullopt;
    }
    if (script_.delay.count() > 0) std::this_thread::sleep_for(std::min(script_.delay, timeout));
    if (script_.endless) return script_.updates.front();
    if (next_idx_ >= script_.updates.size()) return std::nullopt;
    engine::RequestUpdate update = script_.updates[next_idx_++];
    done_ = update.finished;
    return update;
  }

  void cancel() override {
    if (!cancelled_ && !done_) num_cancelled_->fetch_add(1);
    cancelled_ = true;
  }

 private:
  Script script_;
  size_t next_idx_ = 0;
  bool cancelled_ = false;
  bool done_ = false;
  std::shared_ptr<std::atomic<int>> num_cancelled_;
  std::shared_ptr<std::mutex> mutex_;
  std::shared_ptr<std::condition_variable> released_cv_;
  std::shared_ptr<bool> released_;
};

class FakeEngine : public engine::Engine {
 public:
  explicit FakeEngine(std::unique_ptr<text::Tokenizer> tokenizer) : tokenizer_(std::move(tokenizer)) {
    info_.architecture = "Qwen3VLForConditionalGeneration";
    info_.max_model_len = 4096;
    info_.supports_images = true;
  }

  // Scripts are used in order; the last one repeats.
  void push_script(Script script) {
    std::lock_guard<std::mutex> lock(*mutex_);
    scripts_.push_back(std::move(script));
  }
  void fail_next_submit(base::Status status) {
    std::lock_guard<std::mutex> lock(*mutex_);
    submit_error_ = std::move(status);
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(*mutex_);
      *released_ = true;
    }
    released_cv_->notify_all();
  }

  base::Result<std::unique_ptr<engine::RequestStream>> submit(engine::GenerateRequest request) override {
    std::lock_guard<std::mutex> lock(*mutex_);
    if (!submit_error_.ok()) {
      base::Status error = submit_error_;
      submit_error_ = base::Status();
      return error;
    }
    submitted_.push_back(std::move(request));
    Script script = scripts_.empty() ? text_script({"x"}, engine::FinishKind::kStop) : scripts_.front();
    if (scripts_.size() > 1) scripts_.pop_front();
    return std::unique_ptr<engine::RequestStream>(
        std::make_unique<FakeStream>(std::move(script), num_cancelled_, mutex_, released_cv_, released_));
  }
  void abort(const std::string&) override {}
  engine::EngineStats stats() const override { return stats_; }
  const engine::EngineInfo& info() const override { return info_; }
  const text::Tokenizer& tokenizer() const override { return *tokenizer_; }
  void shutdown(std::chrono::milliseconds) override {}

  std::vector<engine::GenerateRequest> submitted() const {
    std::lock_guard<std::mutex> lock(*mutex_);
    return submitted_;
  }
  int num_cancelled() const { return num_cancelled_->load(); }

  engine::EngineStats stats_;
  engine::EngineInfo info_;

 private:
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();
  std::shared_ptr<std::condition_variable> released_cv_ = std::make_shared<std::condition_variable>();
  std::shared_ptr<bool> released_ = std::make_shared<bool>(false);
  std::shared_ptr<std::atomic<int>> num_cancelled_ = std::make_shared<std::atomic<int>>(0);
  std::deque<Script> scripts_;
  base::Status submit_error_;
  std::vector<engine::GenerateRequest> submitted_;
};

}  // namespace fovea::serve::testing
