// Which kind of network an IPv4/IPv6 address belongs to, so media fetching connects only to public addresses
// (no loopback, private, CGNAT, link-local, unique-local, multicast, unspecified or reserved ranges, also when
// embedded in IPv4-mapped, NAT64 or 6to4 IPv6 addresses). Must not contain DNS resolution or networking.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sockaddr;

namespace fovea::vision {

struct IpAddress {
  bool is_ipv6 = false;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4

  // From a numeric address text ("192.0.2.1", "2001:db8::1"); nullopt for anything else.
  static std::optional<IpAddress> parse(const std::string& text);
  // From an AF_INET/AF_INET6 socket address; nullopt for other families.
  static std::optional<IpAddress> from_sockaddr(const sockaddr* address);
  // The numeric text, for the server log and for connecting (never for a client-facing message).
  std::string to_string() const;
};

enum class AddressClass : uint8_t {
  kPublic,
  kUnspecified,  // 0.0.0.0/8 ("this network"), ::
  kLoopback,     // 127.0.0.0/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16
  kSharedCgnat,  // 100.64/10
  kLinkLocal,    // 169.254/16, fe80::/10
  kUniqueLocal,  // fc00::/7 (and the deprecated site-local fec0::/10)
  kMulticast,    // 224/4, ff00::/8
  kReserved,     // documentation, benchmarking, protocol-assignment, 240/4, broadcast, IPv4-compatible ::/96, ...
};

AddressClass classify_address(const IpAddress& address);
std::string_view address_class_name(AddressClass address_class);

}  // namespace fovea::vision
