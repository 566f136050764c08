// Status and Result<T>: how errors cross module boundaries in fovea.
// A user-caused error carries a message that says what went wrong and what to do; no exceptions cross modules.
// Must not contain logging or I/O.
#pragma once

#include <fmt/format.h>

#include <string>
#include <utility>
#include <variant>

namespace fovea::base {

enum class StatusCode {
  kOk,
  kInvalidArgument,     // bad input from a user or a request
  kNotFound,            // a file, tensor or key that should exist does not
  kUnsupported,         // valid but not supported by fovea (yet)
  kOutOfRange,          // a size or limit exceeded
  kDataLoss,            // a file is malformed or truncated
  kResourceExhausted,   // memory, KV blocks, queue
  kPermissionDenied,    // auth, path outside the allowed roots
  kFailedPrecondition,  // the system is not in a state to do this
  kUnavailable,         // loading, draining, network
  kInternal,            // a bug in fovea
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Adds context in front of the message ("reading model.safetensors: ...").
  Status with_context(std::string_view context) const;

  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename... Args>
Status make_error(StatusCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Status(code, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
Status invalid_argument(fmt::format_string<Args...> format, Args&&... args) {
  return make_error(StatusCode::kInvalidArgument, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status not_found(fmt::format_string<Args...> format, Args&&... args) {
  return make_error(StatusCode::kNotFound, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status unsupported(fmt::format_string<Args...> format, Args&&... args) {
  return make_error(StatusCode::kUnsupported, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status data_loss(fmt::format_string<Args...> format, Args&&... args) {
  return make_error(StatusCode::kDataLoss, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status out_of_range(fmt::format_string<Args...> format, Args&&... args) {
  return make_error(StatusCode::kOutOfRange, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status internal_error(fmt::format_string<Args...> format, Args&&... args) {
  return make_error(StatusCode::kInternal, format, std::forward<Args>(args)...);
}

// Result<T>: a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(state_);
  }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace fovea::base

#define FOVEA_CONCAT_INNER(a, b) a##b
#define FOVEA_CONCAT(a, b) FOVEA_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` (a Status) is not ok.
#define FOVEA_RETURN_IF_ERROR(expr)                      \
  do {                                                   \
    ::fovea::base::Status fovea_status_ = (expr);        \
    if (!fovea_status_.ok()) return fovea_status_;       \
  } while (false)

// `lhs = value of expr` (a Result<T>), or returns its Status from the enclosing function.
#define FOVEA_ASSIGN_OR_RETURN(lhs, expr) \
  FOVEA_ASSIGN_OR_RETURN_IMPL(FOVEA_CONCAT(fovea_result_, __LINE__), lhs, expr)
#define FOVEA_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                                \
  if (!result.ok()) return result.status();            \
  lhs = std::move(result).value()
