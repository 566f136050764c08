// vision::fetch_media over http against local servers (the loopback escape of MediaFetchPolicy is on): a fetch that
// works, the exact-target request line, redirects, error statuses, size caps by Content-Length and while streaming,
// a stalled server, a header drip and a body drip (total time cap), refused addresses and domains, a TLS handshake
// with a plain server. No error message may name the host or an address.
#include "vision/http_media_fetch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "vision/media_fetch.h"

namespace fovea::vision {
namespace {

using Clock = std::chrono::steady_clock;

int64_t elapsed_ms(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// A listening socket on 127.0.0.1 whose first connection runs `script` (given the connected socket and a flag set
// when the test ends); for servers that misbehave in ways httplib::Server cannot.
class ScriptedServer {
 public:
  using Script = std::function<void(int socket_fd, const std::atomic<bool>& stopping)>;

  explicit ScriptedServer(Script script) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(listen_fd_, 4) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this, script = std::move(script)] {
      pollfd waiting{listen_fd_, POLLIN, 0};
      while (!stopping_ && ::poll(&waiting, 1, 20) == 0) {
      }
      if (stopping_) return;
      const int connection_fd = ::accept(listen_fd_, nullptr, nullptr);
      if (connection_fd < 0) return;
      script(connection_fd, stopping_);
      ::close(connection_fd);
    });
  }
  ~ScriptedServer() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

bool send_text(int socket_fd, const std::string& text) {
  return ::send(socket_fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

void pause_ms(int num_ms) { std::this_thread::sleep_for(std::chrono::milliseconds(num_ms)); }

class HttpMediaFetch : public testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/image.png", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("PNGDATA", "image/png");
    });
    server_.Get("/echo", [](const httplib::Request& request, httplib::Response& response) {
      response.set_content(request.target, "text/plain");
    });
    server_.Get("/redirect",
                [](const httplib::Request&, httplib::Response& response) { response.set_redirect("/image.png"); });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(std::string(1000, 'x'), "image/png");
    });
    server_.Get("/big-chunked", [](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider("image/png", [](size_t offset, httplib::DataSink& sink) {
        if (offset >= 2000) {
          sink.done();
          return true;
        }
        const std::string piece(100, 'y');
        return sink.write(piece.data(), piece.size());
      });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) pause_ms(1);
    policy_.allowed_media_domains = {"localhost"};
    policy_.allow_loopback_for_tests = true;
    policy_.max_bytes = 500;
    policy_.timeout_ms = 5000;
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  std::string url(const std::string& target, int port = 0) const {
    return "http://localhost:" + std::to_string(port != 0 ? port : port_) + target;
  }

  void expect_refused(const std::string& url_text, const std::string& needle) {
    auto fetched = fetch_media(url_text, policy_);
    ASSERT_FALSE(fetched.ok()) << url_text;
    EXPECT_EQ(fetched.status().code(), base::StatusCode::kInvalidArgument);
    const std::string& message = fetched.status().message();
    EXPECT_NE(message.find(needle), std::string::npos) << url_text << ": " << message;
    for (const char* leak : {"127.0.0.1", "::1", "localhost", "10.0.0.1", "169.254", "fd00"}) {
      EXPECT_EQ(message.find(leak), std::string::npos) << url_text << " leaks " << leak << ": " << message;
    }
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  MediaFetchPolicy policy_;
};

TEST_F(HttpMediaFetch, FetchesFromAnAllowedDomain) {
  auto fetched = fetch_media(url("/image.png"), policy_);
  ASSERT_TRUE(fetched.ok()) << fetched.status().to_string();
  EXPECT_EQ(std::string(fetched->begin(), fetched->end()), "PNGDATA");
  policy_.allowed_media_domains = {"LOCALHOST."};
  EXPECT_TRUE(fetch_media(url("/image.png"), policy_).ok());
}

TEST_F(HttpMediaFetch, SendsTheEncodedTargetAsItIs) {
  auto fetched = fetch_media(url("/echo?a=b+c%2Fd e#fragment"), policy_);
  ASSERT_TRUE(fetched.ok()) << fetched.status().to_string();
  EXPECT_EQ(std::string(fetched->begin(), fetched->end()), "/echo?a=b+c%2Fd%20e");
}

TEST_F(HttpMediaFetch, RefusesRedirectsErrorStatusesAndLargeBodies) {
  expect_refused(url("/redirect"), "redirect (HTTP 302)");
  expect_refused(url("/missing"), "HTTP 404");
  expect_refused(url("/big"), "larger than the limit of 500 bytes");
  expect_refused(url("/big-chunked"), "larger than the limit of 500 bytes");
  policy_.max_bytes = 1000;
  EXPECT_TRUE(fetch_media(url("/big"), policy_).ok());
}

TEST_F(HttpMediaFetch, RefusesDomainsAddressesAndLoopbackWithoutTheTestEscape) {
  policy_.allowed_media_domains = {"images.example.com"};
  expect_refused(url("/image.png"), "not allowed");
  policy_.allowed_media_domains = {"localhost", "10.0.0.1", "169.254.169.254", "192.168.1.1", "100.64.0.1", "0.0.0.0"};
  for (const char* host : {"10.0.0.1", "169.254.169.254", "192.168.1.1", "100.64.0.1", "0.0.0.0"}) {
    expect_refused("http://" + std::string(host) + "/latest", "internal network address");
  }
  policy_.allow_loopback_for_tests = false;
  expect_refused(url("/image.png"), "internal network address");
  expect_refused("http://user:pw@localhost/image.png", "user name or password");
}

TEST_F(HttpMediaFetch, ReportsUnreachableServersAndFailedTlsHandshakes) {
  int closed_port = 0;
  {
    ScriptedServer unused([](int, const std::atomic<bool>&) {});
    closed_port = unused.port();
  }
  expect_refused(url("/image.png", closed_port), "could not be reached");
  expect_refused("https://localhost:" + std::to_string(port_) + "/image.png", "TLS connection");
}

TEST_F(HttpMediaFetch, AStalledServerFailsWithinTheTimeLimit) {
  policy_.timeout_ms = 300;
  const std::vector<ScriptedServer::Script> scripts = {
      // Accepts and never answers.
      [](int, const std::atomic<bool>& stopping) {
        while (!stopping) pause_ms(5);
      },
      // Drips header lines, each well inside a per-read timeout.
      [](int socket_fd, const std::atomic<bool>& stopping) {
        if (!send_text(socket_fd, "HTTP/1.1 200 OK\r\n")) return;
        while (!stopping && send_text(socket_fd, "X-Drip: 1\r\n")) pause_ms(20);
      },
      // Drips the body one byte at a time.
      [](int socket_fd, const std::atomic<bool>& stopping) {
        if (!send_text(socket_fd, "HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n")) return;
        while (!stopping && send_text(socket_fd, "z")) pause_ms(20);
      },
  };
  for (size_t script_idx = 0; script_idx < scripts.size(); ++script_idx) {
    ScriptedServer stalling(scripts[script_idx]);
    const Clock::time_point start = Clock::now();
    expect_refused(url("/image.png", stalling.port()), "longer than the limit of 300 ms");
    const int64_t took_ms = elapsed_ms(start);
    EXPECT_GE(took_ms, 250) << "script " << script_idx;
    EXPECT_LT(took_ms, 1500) << "script " << script_idx;  // the cap plus slack for a loaded CI machine
  }
}

}  // namespace
}  // namespace fovea::vision
