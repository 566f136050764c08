// The HTTP layer's logger and access lines.
// Must not contain HTTP library types.
#include "serve/http_log.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace fovea::serve {
namespace {

constexpr size_t kMaxTargetBytes = 512;

spdlog::level::level_enum spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::kCritical:
      return spdlog::level::critical;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kWarning:
      return spdlog::level::warn;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kTrace:
      return spdlog::level::trace;
  }
  return spdlog::level::info;
}

// Client-sent text for one log line: bounded, printable ASCII only.
std::string printable(std::string_view text) {
  std::string out(text.substr(0, kMaxTargetBytes));
  for (char& c : out) {
    if (c < ' ' || c > '~') c = '?';
  }
  return out;
}

}  // namespace

const char* http_reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

std::string access_log_line(std::string_view remote_addr, int remote_port, std::string_view method,
                            std::string_view target, std::string_view version, int status) {
  const char* phrase = http_reason_phrase(status);
  return fmt::format("{}:{} - \"{} {} {}\" {}{}{}", printable(remote_addr), remote_port, printable(method),
                     printable(target), printable(version), status, *phrase != '\0' ? " " : "", phrase);
}

HttpLog::HttpLog(const ServeConfig& config)
    : logger_(spdlog::default_logger()->clone("http")),
      access_lines_(!config.disable_uvicorn_access_log),
      quiet_paths_(config.disable_access_log_for_endpoints) {
  logger_->set_level(spdlog_level(config.uvicorn_log_level));
}

HttpLog::~HttpLog() = default;

void HttpLog::access(std::string_view path, const std::string& line) {
  if (!access_lines_ || std::find(quiet_paths_.begin(), quiet_paths_.end(), path) != quiet_paths_.end()) return;
  logger_->info("{}", line);
}

void HttpLog::warning(const std::string& line) { logger_->warn("{}", line); }

void HttpLog::error(const std::string& line) { logger_->error("{}", line); }

}  // namespace fovea::serve
