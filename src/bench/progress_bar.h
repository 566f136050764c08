// Progress of a bench run on stderr: a redrawn bar with rate and elapsed time when stderr is a terminal, else one
// quiet line per tenth of the run (logs and CI stay readable). Thread-safe. Must not contain bench logic.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace fovea::bench {

class ProgressBar {
 public:
  // `enabled` false prints nothing (--disable-tqdm); `interactive` chooses the redrawn bar.
  ProgressBar(std::string label, int64_t num_total, bool enabled, bool interactive, std::FILE* out = stderr);

  void update(int64_t num_done);
  // Ends the bar's line (interactive) so later output starts clean.
  void finish();

  // Whether stderr is a terminal.
  static bool stderr_is_terminal();

 private:
  std::string label_;
  int64_t num_total_;
  bool enabled_;
  bool interactive_;
  std::FILE* out_;
  std::mutex mutex_;
  int64_t last_tenth_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace fovea::bench
