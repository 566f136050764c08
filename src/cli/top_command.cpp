// `fovea top --url URL [--api-key KEY] [--interval S] [--window S] [--once] [--json]`: a live view of a running
// server from its /metrics (requests, token rates, TTFT and inter-token latency percentiles over the last minute,
// KV cache, cache hit rates, per-GPU memory and utilisation), redrawn in place; --once prints one snapshot (two
// scrapes --interval apart, so rates exist), --json as one JSON object for scripts. Must not contain metric parsing
// or arithmetic (monitor/ has them).
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>

#include "cli/command_registry.h"
#include "monitor/http_probe.h"
#include "monitor/metrics_window.h"
#include "monitor/prometheus_text.h"
#include "monitor/top_view.h"

namespace fovea::cli {
namespace {

volatile std::sig_atomic_t g_stop_requested = 0;

void request_stop(int) { g_stop_requested = 1; }

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string wall_clock() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[16];
  std::strftime(text, sizeof(text), "%H:%M:%S", &local);
  return text;
}

int terminal_width() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 120;
}

// Sleeps up to `seconds`, waking early when a stop is requested.
void sleep_unless_stopped(double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (g_stop_requested == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

base::Result<monitor::MetricsSnapshot> scrape(const monitor::HttpProbe& probe) {
  FOVEA_ASSIGN_OR_RETURN(monitor::HttpAnswer answer, probe.get("/metrics"));
  if (answer.http_status != 200) {
    return base::make_error(base::StatusCode::kUnavailable,
                            "{}/metrics answered HTTP {}; check the URL (and --api-key when the server has one)",
                            probe.base_url(), answer.http_status);
  }
  FOVEA_ASSIGN_OR_RETURN(monitor::PrometheusText text, monitor::parse_prometheus_text(answer.body));
  return monitor::snapshot_from_text(text, steady_seconds());
}

class TopCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    app.add_option("--url", url_, "the server's base URL, e.g. http://127.0.0.1:8000")->required();
    app.add_option("--api-key", api_key_, "the server's API key, when it has one (--api-key of fovea serve)");
    app.add_option("--interval", interval_s_, "seconds between scrapes (default 1)")->check(CLI::Range(0.1, 3600.0));
    app.add_option("--window", window_s_, "seconds the rates and percentiles cover (default 60)")
        ->check(CLI::Range(1.0, 86400.0));
    app.add_flag("--once", once_, "print one snapshot (two scrapes --interval apart) and exit");
    app.add_flag("--json", json_, "with --once: print the snapshot as one JSON object");
  }

  int run() override {
    if (json_ && !once_) {
      return report_error(base::invalid_argument("--json prints one snapshot; pass --once with it"));
    }
    base::Result<monitor::HttpProbe> probe = monitor::HttpProbe::create(url_, api_key_, 5.0);
    if (!probe.ok()) return report_error(probe.status());
    return once_ ? run_once(*probe) : run_live(*probe);
  }

 private:
  int run_once(const monitor::HttpProbe& probe) {
    monitor::MetricsWindow window(window_s_);
    for (int scrape_idx = 0; scrape_idx < 2; ++scrape_idx) {
      if (scrape_idx > 0) sleep_unless_stopped(interval_s_);
      base::Result<monitor::MetricsSnapshot> snapshot = scrape(probe);
      if (!snapshot.ok()) return report_error(snapshot.status());
      window.add(std::move(*snapshot));
    }
    const monitor::TopFrame frame{url_, wall_clock(), *window.latest(), window.stats(), ""};
    const std::string text = json_ ? monitor::top_frame_to_json(frame) : monitor::render_top_screen(frame, 1000);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }

  int run_live(const monitor::HttpProbe& probe) {
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    const bool tty = isatty(STDOUT_FILENO) != 0;
    if (tty) std::fputs("\x1b[?25l", stdout);  // hide the cursor while redrawing
    monitor::MetricsWindow window(window_s_);
    monitor::TopFrame frame;
    frame.url = url_;
    while (g_stop_requested == 0) {
      base::Result<monitor::MetricsSnapshot> snapshot = scrape(probe);
      frame.problem = snapshot.ok() ? "" : snapshot.status().message();
      if (snapshot.ok()) window.add(std::move(*snapshot));
      if (const monitor::MetricsSnapshot* latest = window.latest()) frame.latest = *latest;
      frame.window = window.stats();
      frame.clock = wall_clock();
      const std::string screen = monitor::render_top_screen(frame, tty ? terminal_width() : 1000);
      // Home and clear, then the frame: a redraw in place on a terminal, plain frames in a pipe.
      if (tty) std::fputs("\x1b[H\x1b[2J", stdout);
      std::fwrite(screen.data(), 1, screen.size(), stdout);
      if (!tty) std::fputs("\n", stdout);
      std::fflush(stdout);
      sleep_unless_stopped(interval_s_);
    }
    if (tty) std::fputs("\x1b[?25h", stdout);
    std::fflush(stdout);
    return 0;
  }

  std::string url_;
  std::string api_key_;
  double interval_s_ = 1.0;
  double window_s_ = 60.0;
  bool once_ = false;
  bool json_ = false;
};

}  // namespace

FOVEA_REGISTER_COMMAND(TopCommand, "top",
                       "live view of a running server: requests, tokens/s, latency percentiles, KV cache, GPUs");

}  // namespace fovea::cli
