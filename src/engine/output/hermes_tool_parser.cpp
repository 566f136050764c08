// The hermes tool-call parser (see hermes_tool_parser.h), following vLLM's Hermes2ProToolParser: the streaming side
// re-reads the whole content text each step and sends what is new. Must not contain reasoning parsing.
#include "engine/output/hermes_tool_parser.h"

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "engine/output/python_json.h"

namespace fovea::engine {
namespace {

constexpr std::string_view kCallStart = "<tool_call>";
constexpr std::string_view kCallEnd = "</tool_call>";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view strip(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

size_t skip_spaces(std::string_view text, size_t pos) {
  while (pos < text.size() && is_space(text[pos])) ++pos;
  return pos;
}

// Longest suffix of `text` that is a proper prefix of `tag`.
size_t partial_tag_overlap(std::string_view text, std::string_view tag) {
  for (size_t len = std::min(text.size(), tag.size() - 1); len > 0; --len) {
    if (text.substr(text.size() - len) == tag.substr(0, len)) return len;
  }
  return 0;
}

std::optional<nlohmann::ordered_json> parse_json(std::string_view text) {
  nlohmann::ordered_json value = nlohmann::ordered_json::parse(text, nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

// vLLM's regex "name"\s*:\s*"([^"]+)": the first place where it matches.
std::optional<std::string> find_tool_name(std::string_view json_text) {
  constexpr std::string_view kKey = "\"name\"";
  for (size_t pos = json_text.find(kKey); pos != std::string_view::npos; pos = json_text.find(kKey, pos + 1)) {
    size_t at = skip_spaces(json_text, pos + kKey.size());
    if (at >= json_text.size() || json_text[at] != ':') continue;
    at = skip_spaces(json_text, at + 1);
    if (at >= json_text.size() || json_text[at] != '"') continue;
    size_t close = json_text.find('"', at + 1);
    if (close == std::string_view::npos || close == at + 1) continue;
    return std::string(json_text.substr(at + 1, close - at - 1));
  }
  return std::nullopt;
}

// vLLM's _extract_tool_args: the text of the "arguments" value, cut where its braces or brackets balance (strings
// skipped), or as far as it goes; a scalar value is the rest of the text (less a trailing '}' once complete).
std::optional<std::string> find_tool_arguments(std::string_view json_text, bool is_complete) {
  constexpr std::string_view kKey = "\"arguments\"";
  for (size_t pos = json_text.find(kKey); pos != std::string_view::npos; pos = json_text.find(kKey, pos + 1)) {
    size_t at = skip_spaces(json_text, pos + kKey.size());
    if (at >= json_text.size() || json_text[at] != ':') continue;
    std::string_view raw = json_text.substr(skip_spaces(json_text, at + 1));
    if (raw.empty() || (raw[0] != '{' && raw[0] != '[')) {
      if (is_complete) {
        while (!raw.empty() && is_space(raw.back())) raw.remove_suffix(1);
        if (!raw.empty() && raw.back() == '}') raw.remove_suffix(1);
        while (!raw.empty() && is_space(raw.back())) raw.remove_suffix(1);
      }
      return std::string(raw);
    }
    char open = raw[0];
    char close = open == '{' ? '}' : ']';
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (size_t idx = 0; idx < raw.size(); ++idx) {
      char c = raw[idx];
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == open) {
        ++depth;
      } else if (c == close && --depth == 0) {
        return std::string(raw.substr(0, idx + 1));
      }
    }
    return std::string(raw);
  }
  return std::nullopt;
}

struct CallRegion {
  std::string json_text;
  bool is_complete = false;
};

// vLLM's _extract_tool_call_jsons: each <tool_call> region's stripped body, complete when closed (or when the
// unclosed body already parses).
std::vector<CallRegion> call_regions(std::string_view text) {
  std::vector<CallRegion> regions;
  size_t pos = 0;
  while (true) {
    size_t start = text.find(kCallStart, pos);
    if (start == std::string_view::npos) break;
    size_t body = start + kCallStart.size();
    size_t end = text.find(kCallEnd, body);
    if (end != std::string_view::npos) {
      regions.push_back({std::string(strip(text.substr(body, end - body))), true});
      pos = end + kCallEnd.size();
      continue;
    }
    std::string_view raw = text.substr(body);
    raw.remove_suffix(partial_tag_overlap(raw, kCallEnd));
    std::string_view body_text = strip(raw);
    regions.push_back({std::string(body_text), !body_text.empty() && parse_json(body_text).has_value()});
    break;
  }
  return regions;
}

}  // namespace

std::string make_tool_call_id() {
  static std::mutex mutex;
  static std::mt19937_64 generator{std::random_device{}()};
  uint64_t high = 0;
  uint64_t low = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    high = generator();
    low = generator();
  }
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%016llx%016llx", static_cast<unsigned long long>(high),
                static_cast<unsigned long long>(low));
  return std::string("chatcmpl-tool-") + hex;
}

ExtractedToolCalls HermesToolParser::extract(std::string_view text) {
  ExtractedToolCalls result;
  result.content = std::string(text);
  size_t first = text.find(kCallStart);
  if (first == std::string_view::npos) return result;
  std::vector<ToolCall> calls;
  size_t pos = 0;
  while (true) {
    size_t start = text.find(kCallStart, pos);
    if (start == std::string_view::npos) break;
    size_t body = start + kCallStart.size();
    size_t end = text.find(kCallEnd, body);
    std::string_view body_text = end == std::string_view::npos ? text.substr(body) : text.substr(body, end - body);
    pos = end == std::string_view::npos ? text.size() : end + kCallEnd.size();
    std::optional<nlohmann::ordered_json> call = parse_json(body_text);
    // As vLLM: one bad block (not an object with a string name and some arguments) leaves everything content.
    if (!call.has_value() || !call->is_object()) return result;
    auto name = call->find("name");
    auto arguments = call->find("arguments");
    if (name == call->end() || !name->is_string() || arguments == call->end()) return result;
    calls.push_back({make_tool_call_id(), name->get<std::string>(), python_json_dumps(*arguments)});
  }
  result.tools_called = true;
  result.tool_calls = std::move(calls);
  result.content = std::string(text.substr(0, first));
  return result;
}

HermesToolParser::Delta HermesToolParser::push(std::string_view text, bool finished) {
  Delta delta;
  text_.append(text);
  if (first_call_pos_ == std::string::npos) {
    // Search only the new text (and a tag split across the boundary): long answers without tools stay linear.
    size_t from = num_searched_bytes_ >= kCallStart.size() ? num_searched_bytes_ - kCallStart.size() + 1 : 0;
    first_call_pos_ = text_.find(kCallStart, from);
    num_searched_bytes_ = text_.size();
  }

  std::vector<CallRegion> regions;
  if (first_call_pos_ != std::string::npos) {
    regions = call_regions(std::string_view(text_).substr(first_call_pos_));
  }
  for (size_t call_idx = 0; call_idx < regions.size(); ++call_idx) {
    if (call_idx >= calls_.size()) calls_.emplace_back();
    StreamedCall& call = calls_[call_idx];
    if (call.name.empty()) {
      std::optional<std::string> name = find_tool_name(regions[call_idx].json_text);
      if (!name.has_value()) break;  // a later call cannot start before this one has its name
      call.name = *name;
      delta.tool_calls.push_back({static_cast<int32_t>(call_idx), make_tool_call_id(), call.name, ""});
    }
    std::optional<std::string> arguments =
        find_tool_arguments(regions[call_idx].json_text, regions[call_idx].is_complete);
    if (arguments.has_value() && arguments->size() > call.arguments.size()) {
      delta.tool_calls.push_back({static_cast<int32_t>(call_idx), "", "", arguments->substr(call.arguments.size())});
      call.arguments = std::move(*arguments);
    }
  }

  // Content: the text before the first <tool_call>; a partial tag at the end waits. At the end of a stream in
  // which no call got a name, everything left is content.
  size_t sendable =
      first_call_pos_ != std::string::npos ? first_call_pos_ : text_.size() - partial_tag_overlap(text_, kCallStart);
  if (finished && !tools_called()) sendable = text_.size();
  if (sendable > num_sent_content_bytes_) {
    delta.content = text_.substr(num_sent_content_bytes_, sendable - num_sent_content_bytes_);
    num_sent_content_bytes_ = sendable;
  }
  return delta;
}

}  // namespace fovea::engine
