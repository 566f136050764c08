// SVG text of a bench sweep chart. Must not contain bench logic or file I/O.
#include "bench/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace fovea::bench {
namespace {

constexpr double kWidth = 640.0;
constexpr double kPanelHeight = 200.0;
constexpr double kTitleHeight = 40.0;
constexpr double kLeft = 80.0;
constexpr double kRight = 20.0;
constexpr double kTop = 30.0;     // inside a panel, above the plot
constexpr double kBottom = 40.0;  // inside a panel, below the plot (x labels)
constexpr double kInset = 40.0;   // between the y axis and the first/last x value, so edge labels stay clear
constexpr int kNumYTicks = 4;

// A round number at or above `value` (1, 2, 5 x 10^k) so the axis ticks read well.
double nice_ceiling(double value) {
  if (!(value > 0.0)) return 1.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 5.0, 10.0}) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10.0 * magnitude;
}

std::string format_tick(double value) { return fmt::format("{:.4g}", value); }

void render_panel(std::string& out, const ChartSpec& spec, const ChartPanel& panel, double top) {
  const double plot_top = top + kTop;
  const double plot_height = kPanelHeight - kTop - kBottom;
  const double plot_width = kWidth - kLeft - kRight;
  double max_value = 0.0;
  for (double value : panel.values) {
    if (std::isfinite(value)) max_value = std::max(max_value, value);
  }
  const double y_max = nice_ceiling(max_value);
  const size_t num_x = spec.x_values.size();
  auto x_at = [&](size_t idx) {
    return num_x <= 1 ? kLeft + plot_width / 2.0
                      : kLeft + kInset +
                            (plot_width - 2.0 * kInset) * static_cast<double>(idx) / static_cast<double>(num_x - 1);
  };
  auto y_at = [&](double value) { return plot_top + plot_height * (1.0 - value / y_max); };

  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"13\" font-weight=\"bold\">{}</text>\n", kLeft,
                     top + 18.0, xml_escape(panel.title));
  for (int tick_idx = 0; tick_idx <= kNumYTicks; ++tick_idx) {
    const double value = y_max * tick_idx / kNumYTicks;
    const double y = y_at(value);
    out += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", kLeft, y,
                       kLeft + plot_width, y);
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n", kLeft - 6.0,
                       y + 4.0, format_tick(value));
  }
  for (size_t idx = 0; idx < num_x; ++idx) {
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n", x_at(idx),
                       plot_top + plot_height + 16.0, xml_escape(spec.x_values[idx]));
  }
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
                     kLeft + plot_width / 2.0, plot_top + plot_height + 32.0, xml_escape(spec.x_label));
  std::string points;
  for (size_t idx = 0; idx < num_x && idx < panel.values.size(); ++idx) {
    const double value = panel.values[idx];
    if (!std::isfinite(value)) continue;
    points += fmt::format("{:.1f},{:.1f} ", x_at(idx), y_at(value));
    out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"#1f77b4\"/>\n", x_at(idx), y_at(value));
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#1f77b4\">{}</text>\n",
        x_at(idx), y_at(value) - 7.0, format_tick(value));
  }
  if (!points.empty()) {
    out += fmt::format("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{}\"/>\n", points);
  }
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string render_line_chart_svg(const ChartSpec& spec) {
  const double height = kTitleHeight + kPanelHeight * static_cast<double>(spec.panels.size());
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 {:.0f} {:.0f}\" "
      "font-family=\"sans-serif\">\n",
      kWidth, height, kWidth, height);
  out += fmt::format("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
  out += fmt::format("<text x=\"{:.1f}\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n", kWidth / 2.0,
                     xml_escape(spec.title));
  for (size_t panel_idx = 0; panel_idx < spec.panels.size(); ++panel_idx) {
    render_panel(out, spec, spec.panels[panel_idx], kTitleHeight + kPanelHeight * static_cast<double>(panel_idx));
  }
  out += "</svg>\n";
  return out;
}

}  // namespace fovea::bench
