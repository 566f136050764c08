// Fuzzes parse_prometheus_text and, on success, snapshot_from_text and the window arithmetic over it (the whole
// path of bytes from a /metrics answer to the `fovea top` screen and JSON).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "monitor/metrics_window.h"
#include "monitor/prometheus_text.h"
#include "monitor/top_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fovea::base::Result<fovea::monitor::PrometheusText> parsed = fovea::monitor::parse_prometheus_text(text);
  if (!parsed.ok()) return 0;
  fovea::monitor::MetricsWindow window(60.0);
  window.add(fovea::monitor::snapshot_from_text(*parsed, 0.0));
  window.add(fovea::monitor::snapshot_from_text(*parsed, 1.0));
  fovea::monitor::TopFrame frame;
  frame.latest = *window.latest();
  frame.window = window.stats();
  fovea::monitor::render_top_screen(frame, 80);
  fovea::monitor::top_frame_to_json(frame);
  return 0;
}
