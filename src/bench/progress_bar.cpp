// The bench's progress display. Must not contain bench logic.
#include "bench/progress_bar.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

namespace fovea::bench {
namespace {

constexpr int kBarWidth = 30;

}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t num_total, bool enabled, bool interactive, std::FILE* out)
    : label_(std::move(label)),
      num_total_(std::max<int64_t>(num_total, 1)),
      enabled_(enabled),
      interactive_(interactive),
      out_(out),
      start_(std::chrono::steady_clock::now()) {}

bool ProgressBar::stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

void ProgressBar::update(int64_t num_done) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed_s > 0.0 ? static_cast<double>(num_done) / elapsed_s : 0.0;
  if (interactive_) {
    const auto filled = static_cast<int>(kBarWidth * std::min(num_done, num_total_) / num_total_);
    const std::string bar = std::string(static_cast<size_t>(filled), '#') + std::string(kBarWidth - filled, ' ');
    // "\033[K" clears what a longer previous line left behind.
    fmt::print(out_, "\r{} [{}] {}/{} {:.1f}s {:.2f} req/s\033[K", label_, bar, num_done, num_total_, elapsed_s, rate);
    std::fflush(out_);
    return;
  }
  const int64_t tenth = num_done * 10 / num_total_;
  if (tenth > last_tenth_) {
    last_tenth_ = tenth;
    fmt::print(out_, "{}: {}/{} requests done, {:.1f}s, {:.2f} req/s\n", label_, num_done, num_total_, elapsed_s, rate);
    std::fflush(out_);
  }
}

void ProgressBar::finish() {
  if (!enabled_ || !interactive_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  fmt::print(out_, "\n");
  std::fflush(out_);
}

}  // namespace fovea::bench
