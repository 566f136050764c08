// vision::classify_address on both ends and the middle of every refused range, both families, and the IPv4 ranges
// as embedded in IPv4-mapped, NAT64 and 6to4 IPv6 addresses; public addresses next to each range stay public.
#include "vision/ip_address_class.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>
#include <vector>

namespace fovea::vision {
namespace {

AddressClass class_of(const std::string& text) {
  const std::optional<IpAddress> address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address ? classify_address(*address) : AddressClass::kPublic;
}

using Cases = std::vector<std::pair<std::string, AddressClass>>;

void expect_classes(const Cases& cases) {
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(class_of(text), expected) << text << " is " << address_class_name(class_of(text)) << ", expected "
                                        << address_class_name(expected);
  }
}

TEST(IpAddressClass, Ipv4Ranges) {
  expect_classes({
      {"0.0.0.0", AddressClass::kUnspecified},
      {"0.255.255.255", AddressClass::kUnspecified},
      {"10.0.0.0", AddressClass::kPrivate},
      {"10.255.255.255", AddressClass::kPrivate},
      {"9.255.255.255", AddressClass::kPublic},
      {"11.0.0.0", AddressClass::kPublic},
      {"100.64.0.0", AddressClass::kSharedCgnat},
      {"100.127.255.255", AddressClass::kSharedCgnat},
      {"100.63.255.255", AddressClass::kPublic},
      {"100.128.0.0", AddressClass::kPublic},
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.255.255.254", AddressClass::kLoopback},
      {"169.254.169.254", AddressClass::kLinkLocal},
      {"169.254.0.0", AddressClass::kLinkLocal},
      {"169.253.255.255", AddressClass::kPublic},
      {"169.255.0.0", AddressClass::kPublic},
      {"172.16.0.0", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      {"172.15.255.255", AddressClass::kPublic},
      {"172.32.0.0", AddressClass::kPublic},
      {"192.168.0.1", AddressClass::kPrivate},
      {"192.168.255.255", AddressClass::kPrivate},
      {"192.167.255.255", AddressClass::kPublic},
      {"192.169.0.0", AddressClass::kPublic},
      {"192.0.0.8", AddressClass::kReserved},
      {"192.0.2.1", AddressClass::kReserved},
      {"198.51.100.1", AddressClass::kReserved},
      {"203.0.113.1", AddressClass::kReserved},
      {"198.18.0.1", AddressClass::kReserved},
      {"198.19.255.255", AddressClass::kReserved},
      {"198.20.0.0", AddressClass::kPublic},
      {"192.88.99.1", AddressClass::kReserved},
      {"224.0.0.1", AddressClass::kMulticast},
      {"239.255.255.255", AddressClass::kMulticast},
      {"240.0.0.1", AddressClass::kReserved},
      {"255.255.255.255", AddressClass::kReserved},
      {"1.1.1.1", AddressClass::kPublic},
      {"8.8.8.8", AddressClass::kPublic},
      {"223.255.255.255", AddressClass::kPublic},
  });
}

TEST(IpAddressClass, Ipv6Ranges) {
  expect_classes({
      {"::", AddressClass::kUnspecified},
      {"::1", AddressClass::kLoopback},
      {"::2", AddressClass::kReserved},
      {"::8.8.8.8", AddressClass::kReserved},  // IPv4-compatible, deprecated
      {"fe80::1", AddressClass::kLinkLocal},
      {"febf:ffff::1", AddressClass::kLinkLocal},
      {"fc00::1", AddressClass::kUniqueLocal},
      {"fdff:ffff::1", AddressClass::kUniqueLocal},
      {"fec0::1", AddressClass::kUniqueLocal},
      {"ff02::1", AddressClass::kMulticast},
      {"ff0e::1", AddressClass::kMulticast},
      {"2001:db8::1", AddressClass::kReserved},
      {"2001::1", AddressClass::kReserved},  // Teredo, inside the IETF protocol-assignment block
      {"100::1", AddressClass::kReserved},
      {"64:ff9b:1::1", AddressClass::kReserved},
      {"3fff::1", AddressClass::kReserved},
      {"3fff:fff::1", AddressClass::kReserved},
      {"2a00:1450::1", AddressClass::kPublic},
      {"2606:4700:4700::1111", AddressClass::kPublic},
      {"2001:4860:4860::8888", AddressClass::kPublic},
      {"2001:200::1", AddressClass::kPublic},
      {"4000::1", AddressClass::kReserved},
      {"fb00::1", AddressClass::kReserved},
  });
}

TEST(IpAddressClass, EmbeddedIpv4FollowsItsOwnRange) {
  expect_classes({
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:10.1.2.3", AddressClass::kPrivate},
      {"::ffff:172.16.0.1", AddressClass::kPrivate},
      {"::ffff:192.168.1.1", AddressClass::kPrivate},
      {"::ffff:100.64.0.1", AddressClass::kSharedCgnat},
      {"::ffff:169.254.169.254", AddressClass::kLinkLocal},
      {"::ffff:0.0.0.0", AddressClass::kUnspecified},
      {"::ffff:224.0.0.1", AddressClass::kMulticast},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      {"64:ff9b::127.0.0.1", AddressClass::kLoopback},
      {"64:ff9b::169.254.169.254", AddressClass::kLinkLocal},
      {"64:ff9b::8.8.8.8", AddressClass::kPublic},
      {"2002:7f00:1::1", AddressClass::kLoopback},
      {"2002:a00:1::1", AddressClass::kPrivate},
      {"2002:808:808::1", AddressClass::kPublic},
  });
}

TEST(IpAddressClass, ParsesAndPrintsBothFamilies) {
  EXPECT_FALSE(IpAddress::parse("localhost").has_value());
  EXPECT_FALSE(IpAddress::parse("127.1").has_value());
  EXPECT_FALSE(IpAddress::parse("").has_value());
  EXPECT_EQ(IpAddress::parse("192.0.2.1")->to_string(), "192.0.2.1");
  EXPECT_EQ(IpAddress::parse("2001:DB8:0::1")->to_string(), "2001:db8::1");

  sockaddr_in6 ipv6{};
  ipv6.sin6_family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "fe80::2", &ipv6.sin6_addr), 1);
  std::optional<IpAddress> from_ipv6 = IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ipv6));
  ASSERT_TRUE(from_ipv6.has_value());
  EXPECT_EQ(classify_address(*from_ipv6), AddressClass::kLinkLocal);

  sockaddr_in ipv4{};
  ipv4.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "10.9.8.7", &ipv4.sin_addr), 1);
  std::optional<IpAddress> from_ipv4 = IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ipv4));
  ASSERT_TRUE(from_ipv4.has_value());
  EXPECT_EQ(from_ipv4->to_string(), "10.9.8.7");

  sockaddr other{};
  other.sa_family = AF_UNIX;
  EXPECT_FALSE(IpAddress::from_sockaddr(&other).has_value());
}

}  // namespace
}  // namespace fovea::vision
