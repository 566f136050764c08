// A small dependency-free SVG line chart for bench sweeps: the swept values along x (evenly spaced, labelled as
// given, so "512x512" and "text" work as well as numbers) and one panel per metric stacked vertically, each with
// its own y axis from zero. Must not contain bench logic or file I/O.
#pragma once

#include <string>
#include <vector>

namespace fovea::bench {

struct ChartPanel {
  std::string title;           // "mean_ttft_ms"
  std::vector<double> values;  // one per x label; NaN leaves a gap
};

struct ChartSpec {
  std::string title;                  // "fovea bench: sweep of concurrency"
  std::string x_label;                // "concurrency"
  std::vector<std::string> x_values;  // "1", "2", "4"
  std::vector<ChartPanel> panels;
};

std::string render_line_chart_svg(const ChartSpec& spec);

// Text made safe for SVG/XML content and attribute values.
std::string xml_escape(std::string_view text);

}  // namespace fovea::bench
