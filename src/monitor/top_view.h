// TopFrame and its two forms: the `fovea top` screen (plain lines sized to the terminal; the caller moves the
// cursor) and the `fovea top --once --json` object. Must not contain scraping, timing or terminal control.
#pragma once

#include <string>

#include "monitor/metrics_snapshot.h"
#include "monitor/metrics_window.h"

namespace fovea::monitor {

struct TopFrame {
  std::string url;
  std::string clock;  // wall-clock time of the scrape, "HH:MM:SS"
  MetricsSnapshot latest;
  WindowStats window;
  std::string problem;  // the last scrape's error, shown on the screen ("" when it worked)
};

// The screen: one line per field, at most `width` columns each.
std::string render_top_screen(const TopFrame& frame, int width);

// One JSON object (pretty, one trailing newline) with the same values as the screen, in SI units (seconds, bytes,
// ratios 0..1); a value the server does not export is null.
std::string top_frame_to_json(const TopFrame& frame);

}  // namespace fovea::monitor
