// cpp-httplib transport: routing, auth, limits, error bodies, SSE streaming.
// Must not contain route logic.
#include "serve/http_server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <functional>
#include <string_view>

#include "base/log.h"
#include "serve/http_log.h"
#include "serve/openai_routes.h"
#include "serve/request_id.h"

namespace fovea::serve {
namespace {

// Slow clients must not hold a worker forever; a streamed answer may pause between tokens much longer.
constexpr time_t kReadTimeoutS = 30;
constexpr time_t kWriteTimeoutS = 60;
constexpr size_t kMaxKeepAliveRequests = 1000;

enum class Method { kGet, kPost };

struct Route {
  std::string_view path;
  Method method;
  std::function<HttpReply(ServerContext&, std::string_view body, const HttpRequestInfo& info)> handle;
};

const std::array<Route, 9>& routes() {
  static const std::array<Route, 9> kRoutes = {{
      {"/v1/chat/completions", Method::kPost, handle_chat_completions},
      {"/v1/completions", Method::kPost, handle_completions},
      {"/v1/models", Method::kGet, [](ServerContext& c, std::string_view, auto&) { return handle_models(c); }},
      {"/tokenize", Method::kPost, [](ServerContext& c, std::string_view b, auto&) { return handle_tokenize(c, b); }},
      {"/detokenize", Method::kPost,
       [](ServerContext& c, std::string_view b, auto&) { return handle_detokenize(c, b); }},
      {"/health", Method::kGet, [](ServerContext& c, std::string_view, auto&) { return handle_health(c); }},
      {"/health/live", Method::kGet, [](ServerContext&, std::string_view, auto&) { return handle_health_live(); }},
      {"/metrics", Method::kGet, [](ServerContext& c, std::string_view, auto&) { return handle_metrics(c); }},
      {"/version", Method::kGet, [](ServerContext& c, std::string_view, auto&) { return handle_version(c); }},
  }};
  return kRoutes;
}

const Route* find_route(std::string_view path) {
  for (const Route& route : routes()) {
    if (route.path == path) return &route;
  }
  return nullptr;
}

// Worker threads: every streaming request holds one for its whole life, so enough for a full engine plus its queue.
size_t num_worker_threads(const ServerContext& context) {
  const int64_t queued = context.config().max_queue_len > 0 ? context.config().max_queue_len : 64;
  return static_cast<size_t>(std::clamp<int64_t>(context.options().max_num_seqs + queued + 8, 16, 1024));
}

void send_reply(const HttpReply& reply, httplib::Response& res) {
  res.status = reply.status;
  for (const auto& [name, value] : reply.headers) res.set_header(name, value);
  if (!reply.stream) {
    res.set_content(reply.body, reply.content_type.c_str());
    return;
  }
  auto stream = reply.stream;
  res.set_chunked_content_provider(reply.content_type.c_str(), [stream](size_t, httplib::DataSink& sink) {
    bool client_alive = true;
    const StreamWriter write = [&](std::string_view piece) {
      client_alive = client_alive && sink.write(piece.data(), piece.size());
      return client_alive;
    };
    stream(write);
    if (!client_alive) return false;
    sink.done();
    return true;
  });
}

// The route label of fovea:http_requests: known paths only, so a scanner cannot grow the label set.
std::string route_label(std::string_view path) { return find_route(path) != nullptr ? std::string(path) : "other"; }

// The client's X-Request-Id when fovea accepts it (request_id.h), else "".
std::string client_request_id(const httplib::Request& req) {
  if (!req.has_header("X-Request-Id")) return {};
  std::string id = req.get_header_value("X-Request-Id");
  return is_valid_client_request_id(id) ? id : std::string();
}

}  // namespace

class HttpServer::Impl {
 public:
  explicit Impl(ServerContext& context) : context_(context), http_log_(context.config()) {
    const size_t num_threads = num_worker_threads(context);
    server_.new_task_queue = [num_threads] { return new httplib::ThreadPool(num_threads); };
    server_.set_payload_max_length(static_cast<size_t>(context.config().max_request_body_bytes));
    server_.set_read_timeout(kReadTimeoutS, 0);
    server_.set_write_timeout(kWriteTimeoutS, 0);
    server_.set_keep_alive_max_count(kMaxKeepAliveRequests);
    server_.set_tcp_nodelay(true);
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return check_auth(req, res);
    });
    for (const Route& route : routes()) {
      auto handler = [this, &route](const httplib::Request& req, httplib::Response& res) {
        HttpRequestInfo info;
        info.client_request_id = client_request_id(req);
        HttpReply reply = route.handle(context_, req.body, info);
        // vLLM's --enable-request-id-headers: the client's id, else the one this answer carries.
        if (context_.config().enable_request_id_headers) {
          const std::string& id = !info.client_request_id.empty() ? info.client_request_id : reply.request_id;
          if (!id.empty()) reply.headers.emplace_back("X-Request-Id", id);
        }
        send_reply(reply, res);
      };
      if (route.method == Method::kGet) {
        server_.Get(std::string(route.path), handler);
      } else {
        server_.Post(std::string(route.path), handler);
      }
    }
    // Anything else: a known path with the wrong method (405), or an unknown route (404).
    const auto fallback = [](const httplib::Request& req, httplib::Response& res) {
      const Route* route = find_route(req.path);
      ApiError error = route == nullptr ? route_not_found()
                                        : method_not_allowed(route->method == Method::kGet ? "GET" : "POST");
      if (route != nullptr) res.set_header("Allow", route->method == Method::kGet ? "GET" : "POST");
      send_reply(error_reply(error), res);
    };
    server_.Get(".*", fallback);
    server_.Post(".*", fallback);
    server_.Put(".*", fallback);
    server_.Patch(".*", fallback);
    server_.Delete(".*", fallback);
    server_.Options(".*", fallback);
    server_.set_error_handler([this](const httplib::Request&, httplib::Response& res) { fill_error(res); });
    server_.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      http_log_.error("a request handler threw; answered 500");
      send_reply(error_reply(internal_server_error()), res);
    });
    // Runs on every answer just before its headers go out (routes, auth refusals, library errors): answers that
    // no route stamped get the client's X-Request-Id or a fresh one.
    server_.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!context_.config().enable_request_id_headers || res.has_header("X-Request-Id")) return;
      std::string id = client_request_id(req);
      res.set_header("X-Request-Id", id.empty() ? random_request_id() : id);
    });
    server_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      context_.metrics().http_requests(route_label(req.path), res.status).inc();
      if (res.status >= 500) {
        http_log_.warning(fmt::format("{} {} -> {}", req.method, route_label(req.path), res.status));
      }
      http_log_.access(req.path, access_log_line(req.remote_addr, req.remote_port, req.method, req.target,
                                                 req.version, res.status));
    });
  }

  httplib::Server::HandlerResponse check_auth(const httplib::Request& req, httplib::Response& res) {
    const std::string header = req.get_header_value("Authorization");
    std::optional<std::string_view> authorization;
    if (req.has_header("Authorization")) authorization = header;
    if (MaybeApiError error = context_.auth().check(req.path, authorization)) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_reply(error_reply(*error), res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  // Errors the library produces itself (too large, malformed request) get OpenAI bodies too.
  void fill_error(httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) return;
    ApiError error;
    switch (res.status) {
      case 404:
        error = route_not_found();
        break;
      case 413:
        error = request_too_large(context_.config().max_request_body_bytes);
        break;
      case 414:
      case 431:
        error = bad_request("The request line or headers are too long.");
        error.http_status = res.status;
        break;
      default:
        if (res.status >= 500) {
          error = internal_server_error();
        } else {
          error = bad_request("The HTTP request is malformed.");
          error.http_status = res.status;
        }
    }
    res.set_content(error.to_body(), "application/json");
  }

  ServerContext& context_;  // not owned; outlives the server
  HttpLog http_log_;
  httplib::Server server_;
};

HttpServer::HttpServer(ServerContext& context) : impl_(std::make_unique<Impl>(context)) {}

HttpServer::~HttpServer() = default;

base::Result<int> HttpServer::bind(const std::string& host, int port) {
  const std::string address = host.empty() ? "0.0.0.0" : host;
  if (port == 0) {
    const int bound = impl_->server_.bind_to_any_port(address);
    if (bound <= 0) return base::make_error(base::StatusCode::kUnavailable, "could not bind a free port on {}", address);
    return bound;
  }
  if (!impl_->server_.bind_to_port(address, port)) {
    return base::make_error(base::StatusCode::kUnavailable, "could not listen on {}:{}; is another server using the port? (--host, --port)",
                             address, port);
  }
  return port;
}

base::Status HttpServer::run() {
  // A client that goes away mid-answer must end that answer, not the process.
  std::signal(SIGPIPE, SIG_IGN);
  if (!impl_->server_.listen_after_bind()) return base::make_error(base::StatusCode::kUnavailable, "the HTTP server stopped with an error");
  return base::Status();
}

void HttpServer::stop() { impl_->server_.stop(); }

}  // namespace fovea::serve
