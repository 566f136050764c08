// HttpLog: the log of fovea's HTTP layer, in the role of vLLM's uvicorn loggers: a logger of its own over the
// process's log sinks whose level is --uvicorn-log-level (independent of --log-level, as uvicorn's is), carrying
// one access line per answered request at info (uvicorn's format: `127.0.0.1:5000 - "GET /v1/models HTTP/1.1" 200
// OK`; off with --disable-uvicorn-access-log, or per path with --disable-access-log-for-endpoints), 5xx answers at
// warning and handler failures at error. Must not contain HTTP library types.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "serve/serve_config.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace fovea::serve {

// "OK", "Not Found", ... ("" for codes without a common phrase).
const char* http_reason_phrase(int status);

// uvicorn's access line; client-sent parts are cut to 512 bytes and non-printable bytes become '?'.
std::string access_log_line(std::string_view remote_addr, int remote_port, std::string_view method,
                            std::string_view target, std::string_view version, int status);

class HttpLog {
 public:
  explicit HttpLog(const ServeConfig& config);
  ~HttpLog();
  HttpLog(const HttpLog&) = delete;
  HttpLog& operator=(const HttpLog&) = delete;

  // The access line of an answer to `path`, unless access lines are off for it.
  void access(std::string_view path, const std::string& line);
  void warning(const std::string& line);
  void error(const std::string& line);

 private:
  std::shared_ptr<spdlog::logger> logger_;
  bool access_lines_;
  std::vector<std::string> quiet_paths_;
};

}  // namespace fovea::serve
