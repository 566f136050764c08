// Address classification for media fetching, from the IANA special-purpose registries (RFC 6890 and successors).
// IPv6 is public only inside global unicast 2000::/3 and outside its special blocks. Must not contain networking.
#include "vision/ip_address_class.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>

namespace fovea::vision {
namespace {

struct Ipv4Range {
  uint32_t prefix;
  int num_bits;
  AddressClass address_class;
};

constexpr uint32_t ipv4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return (a << 24) | (b << 16) | (c << 8) | d; }

constexpr Ipv4Range kIpv4Ranges[] = {
    {ipv4(0, 0, 0, 0), 8, AddressClass::kUnspecified},     {ipv4(10, 0, 0, 0), 8, AddressClass::kPrivate},
    {ipv4(100, 64, 0, 0), 10, AddressClass::kSharedCgnat}, {ipv4(127, 0, 0, 0), 8, AddressClass::kLoopback},
    {ipv4(169, 254, 0, 0), 16, AddressClass::kLinkLocal},  {ipv4(172, 16, 0, 0), 12, AddressClass::kPrivate},
    {ipv4(192, 0, 0, 0), 24, AddressClass::kReserved},     {ipv4(192, 0, 2, 0), 24, AddressClass::kReserved},
    {ipv4(192, 88, 99, 0), 24, AddressClass::kReserved},   {ipv4(192, 168, 0, 0), 16, AddressClass::kPrivate},
    {ipv4(198, 18, 0, 0), 15, AddressClass::kReserved},    {ipv4(198, 51, 100, 0), 24, AddressClass::kReserved},
    {ipv4(203, 0, 113, 0), 24, AddressClass::kReserved},   {ipv4(224, 0, 0, 0), 4, AddressClass::kMulticast},
    {ipv4(240, 0, 0, 0), 4, AddressClass::kReserved},
};

AddressClass classify_ipv4(const uint8_t* bytes) {
  const uint32_t value = ipv4(bytes[0], bytes[1], bytes[2], bytes[3]);
  for (const Ipv4Range& range : kIpv4Ranges) {
    const uint32_t mask = ~uint32_t{0} << (32 - range.num_bits);
    if ((value & mask) == range.prefix) return range.address_class;
  }
  return AddressClass::kPublic;
}

bool has_prefix(const std::array<uint8_t, 16>& bytes, std::initializer_list<uint8_t> prefix, int num_bits) {
  int bit_idx = 0;
  for (const uint8_t byte : prefix) {
    const int num_bits_here = std::min(8, num_bits - bit_idx);
    if (num_bits_here <= 0) break;
    const auto mask = static_cast<uint8_t>(0xff << (8 - num_bits_here));
    if ((bytes[static_cast<size_t>(bit_idx / 8)] & mask) != (byte & mask)) return false;
    bit_idx += 8;
  }
  return true;
}

AddressClass classify_ipv6(const std::array<uint8_t, 16>& b) {
  const bool first_96_zero = std::all_of(b.begin(), b.begin() + 12, [](uint8_t x) { return x == 0; });
  if (first_96_zero) {
    const bool last_zero = b[12] == 0 && b[13] == 0 && b[14] == 0;
    if (last_zero && b[15] == 0) return AddressClass::kUnspecified;
    if (last_zero && b[15] == 1) return AddressClass::kLoopback;
    return AddressClass::kReserved;  // IPv4-compatible ::a.b.c.d, deprecated by RFC 4291
  }
  // ::ffff:a.b.c.d (IPv4-mapped) and 64:ff9b::a.b.c.d (NAT64 well-known prefix) reach the embedded IPv4 address.
  if (has_prefix(b, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96) ||
      has_prefix(b, {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) {
    return classify_ipv4(b.data() + 12);
  }
  if (has_prefix(b, {0x20, 0x02}, 16)) return classify_ipv4(b.data() + 2);  // 6to4 embeds its relay's IPv4
  if (has_prefix(b, {0xfc}, 7)) return AddressClass::kUniqueLocal;
  if (has_prefix(b, {0xfe, 0xc0}, 10)) return AddressClass::kUniqueLocal;  // site-local, deprecated
  if (has_prefix(b, {0xfe, 0x80}, 10)) return AddressClass::kLinkLocal;
  if (has_prefix(b, {0xff}, 8)) return AddressClass::kMulticast;
  if (has_prefix(b, {0x20, 0x01, 0x0d, 0xb8}, 32)) return AddressClass::kReserved;  // documentation
  if (has_prefix(b, {0x3f, 0xff, 0x00}, 20)) return AddressClass::kReserved;        // documentation (RFC 9637)
  if (has_prefix(b, {0x20, 0x01, 0x00}, 23)) return AddressClass::kReserved;        // IETF protocol assignments
  if (!has_prefix(b, {0x20}, 3)) return AddressClass::kReserved;                    // outside global unicast 2000::/3
  return AddressClass::kPublic;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(const std::string& text) {
  IpAddress out;
  if (inet_pton(AF_INET, text.c_str(), out.bytes.data()) == 1) return out;
  out.is_ipv6 = true;
  if (inet_pton(AF_INET6, text.c_str(), out.bytes.data()) == 1) return out;
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::from_sockaddr(const sockaddr* address) {
  IpAddress out;
  if (address->sa_family == AF_INET) {
    sockaddr_in ipv4_address{};
    std::memcpy(&ipv4_address, address, sizeof(ipv4_address));
    std::memcpy(out.bytes.data(), &ipv4_address.sin_addr, 4);
    return out;
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 ipv6_address{};
    std::memcpy(&ipv6_address, address, sizeof(ipv6_address));
    out.is_ipv6 = true;
    std::memcpy(out.bytes.data(), &ipv6_address.sin6_addr, 16);
    return out;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_ipv6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof(text));
  return text;
}

AddressClass classify_address(const IpAddress& address) {
  return address.is_ipv6 ? classify_ipv6(address.bytes) : classify_ipv4(address.bytes.data());
}

std::string_view address_class_name(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kSharedCgnat:
      return "shared (CGNAT)";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kUniqueLocal:
      return "unique-local";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "reserved";
}

}  // namespace fovea::vision
