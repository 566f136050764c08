// The bench's HTTP client on cpp-httplib: keep-alive connection, bearer auth, streamed bodies through a content
// receiver into ChatStreamReader, error bodies kept for the report. Must not contain metrics or datasets.
#include "bench/openai_client.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "bench/chat_stream_reader.h"
#include "vision/http_url.h"

namespace fovea::bench {
namespace {

constexpr size_t kMaxErrorBodyBytes = 1024;
// A non-streaming JSON answer (/tokenize of a long prompt, /v1/models) is small; this bounds a hostile one.
constexpr size_t kMaxJsonBodyBytes = 64u << 20;
constexpr time_t kConnectTimeoutS = 10;

using Clock = std::chrono::steady_clock;

std::string clipped(std::string text) {
  if (text.size() > kMaxErrorBodyBytes) {
    text.resize(kMaxErrorBodyBytes);
    text += "...";
  }
  return text;
}

// The message of an OpenAI error body, else the body itself (clipped).
std::string server_message(const std::string& body) {
  try {
    nlohmann::json value = nlohmann::json::parse(body);
    if (value.is_object() && value.contains("error") && value["error"].is_object() &&
        value["error"].contains("message") && value["error"]["message"].is_string()) {
      return clipped(value["error"]["message"].get<std::string>());
    }
  } catch (const nlohmann::json::exception&) {
  }
  return clipped(body);
}

}  // namespace

base::Result<ServerAddress> parse_server_address(std::string_view base_url, std::string api_key) {
  base::Result<vision::HttpUrl> url = vision::parse_http_url(base_url);
  if (!url.ok()) {
    // vision's message speaks of image URLs; the rules are the same (no credentials, spaces or non-ASCII hosts).
    return base::invalid_argument(
        "--base-url '{}' is not an http(s) URL like http://127.0.0.1:8000 (without user names, spaces or non-ASCII "
        "host names)",
        base_url);
  }
  ServerAddress address;
  const std::string host = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  address.scheme_host_port = (url->is_https ? "https://" : "http://") + host + ":" + std::to_string(url->port);
  std::string prefix = url->target.substr(0, url->target.find('?'));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix.size() >= 3 && prefix.compare(prefix.size() - 3, 3, "/v1") == 0) prefix.resize(prefix.size() - 3);
  address.path_prefix = prefix;
  address.api_key = std::move(api_key);
  return address;
}

OpenAiClient::OpenAiClient(const ServerAddress& address, double request_timeout_s)
    : address_(address), client_(std::make_unique<httplib::Client>(address.scheme_host_port)) {
  client_->set_keep_alive(true);
  // Headers and body go out as separate writes; with Nagle on, the body waits for the server's delayed ACK
  // (~40 ms on Linux) and every TTFT would carry it.
  client_->set_tcp_nodelay(true);
  client_->set_connection_timeout(kConnectTimeoutS, 0);
  const auto timeout_us = static_cast<int64_t>(std::max(1.0, request_timeout_s) * 1e6);
  client_->set_read_timeout(static_cast<time_t>(timeout_us / 1000000), static_cast<time_t>(timeout_us % 1000000));
  client_->set_write_timeout(static_cast<time_t>(timeout_us / 1000000), static_cast<time_t>(timeout_us % 1000000));
  if (!address_.api_key.empty()) client_->set_bearer_token_auth(address_.api_key);
}

OpenAiClient::~OpenAiClient() = default;

RequestRecord OpenAiClient::stream(std::string_view route, const std::string& body, RequestRecord seed) {
  httplib::Request request;
  request.method = "POST";
  request.path = address_.path_prefix + std::string(route);
  request.body = body;
  request.set_header("Content-Type", "application/json");
  request.set_header("Accept", "text/event-stream");

  int status = 0;
  std::string error_body;
  ChatStreamReader reader(std::move(seed));
  const Clock::time_point sent = Clock::now();
  request.response_handler = [&](const httplib::Response& response) {
    status = response.status;
    return true;
  };
  request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    if (status != 200) {
      error_body.append(data, std::min(size, kMaxErrorBodyBytes + 1 - std::min(error_body.size(), kMaxErrorBodyBytes)));
      return error_body.size() <= kMaxErrorBodyBytes;
    }
    return reader.on_bytes(std::string_view(data, size), std::chrono::duration<double>(Clock::now() - sent).count());
  };
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  const bool ok = client_->send(request, response, error);
  if (status != 200 && status != 0) {
    RequestRecord record = reader.finish("");
    record.success = false;
    record.http_status = status;
    record.error = "HTTP " + std::to_string(status) + ": " + server_message(error_body);
    return record;
  }
  if (!ok && status == 0) {
    RequestRecord record = reader.finish("");
    record.success = false;
    record.error = "no answer from " + address_.scheme_host_port + ": " + httplib::to_string(error);
    return record;
  }
  const bool canceled_by_reader = !ok && error == httplib::Error::Canceled;
  RequestRecord record = reader.finish(ok || canceled_by_reader ? "" : httplib::to_string(error));
  record.http_status = status;
  return record;
}

base::Result<nlohmann::json> OpenAiClient::post_json(std::string_view route, const nlohmann::json& body) {
  const std::string path = address_.path_prefix + std::string(route);
  httplib::Result result = client_->Post(path, body.dump(), "application/json");
  if (!result) return finish_json_call(route, false, 0, "", httplib::to_string(result.error()));
  return finish_json_call(route, true, result->status, result->body, "");
}

base::Result<nlohmann::json> OpenAiClient::get_json(std::string_view route) {
  const std::string path = address_.path_prefix + std::string(route);
  httplib::Result result = client_->Get(path);
  if (!result) return finish_json_call(route, false, 0, "", httplib::to_string(result.error()));
  return finish_json_call(route, true, result->status, result->body, "");
}

base::Result<nlohmann::json> OpenAiClient::finish_json_call(std::string_view route, bool transport_ok, int status,
                                                            const std::string& body,
                                                            const std::string& transport_error) {
  if (!transport_ok) {
    return base::make_error(base::StatusCode::kUnavailable, "{}{} failed: {}; is the server running at that URL?",
                            address_.scheme_host_port, route, transport_error);
  }
  if (status != 200) {
    return base::make_error(base::StatusCode::kUnavailable, "{} answered HTTP {}: {}", route, status,
                            server_message(body));
  }
  if (body.size() > kMaxJsonBodyBytes)
    return base::data_loss("{} answered more than {} bytes", route, kMaxJsonBodyBytes);
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& error) {
    return base::data_loss("{} answered something that is not JSON: {}", route, error.what());
  }
}

}  // namespace fovea::bench
