// vision::fetch_media's access rules: data: URLs, local files only inside the allowed folder (.., symbolic links
// and percent-escapes cannot leave it), size caps, http(s) refusals that need no network; no error echoes the path.
#include "vision/media_fetch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fovea::vision {
namespace {

namespace fs = std::filesystem;

class MediaFetch : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("fovea_media_fetch_" + std::to_string(::getpid()));
    fs::create_directories(root_ / "allowed");
    std::ofstream(root_ / "allowed" / "a b.png", std::ios::binary) << "PNGDATA";
    std::ofstream(root_ / "secret.png", std::ios::binary) << "SECRET";
    fs::create_symlink(root_ / "secret.png", root_ / "allowed" / "link.png");
    policy_.allowed_local_media_path = (root_ / "allowed").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  void expect_refused(const std::string& url, const std::string& needle) {
    auto fetched = fetch_media(url, policy_);
    ASSERT_FALSE(fetched.ok()) << url;
    EXPECT_EQ(fetched.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_NE(fetched.status().message().find(needle), std::string::npos) << fetched.status().message();
    EXPECT_EQ(fetched.status().message().find(root_.string()), std::string::npos) << fetched.status().message();
  }

  fs::path root_;
  MediaFetchPolicy policy_;
};

TEST_F(MediaFetch, ReadsAllowedFilesByPathAndFileUrl) {
  const std::string path = (root_ / "allowed" / "a b.png").string();
  for (const std::string& url : {path, "file://" + (root_ / "allowed").string() + "/a%20b.png"}) {
    auto fetched = fetch_media(url, policy_);
    ASSERT_TRUE(fetched.ok()) << url << ": " << fetched.status().to_string();
    EXPECT_EQ(std::string(fetched->begin(), fetched->end()), "PNGDATA");
  }
}

TEST_F(MediaFetch, RefusesEverythingOutsideTheFolder) {
  expect_refused((root_ / "secret.png").string(), "outside");
  expect_refused((root_ / "allowed" / ".." / "secret.png").string(), "outside");
  expect_refused("file://" + (root_ / "allowed").string() + "/%2e%2e/secret.png", "outside");
  expect_refused((root_ / "allowed" / "link.png").string(), "outside");
  expect_refused((root_ / "allowed" / "missing.png").string(), "not found");
  expect_refused("file://relative/x.png", "absolute");
  expect_refused("file://" + (root_ / "allowed").string() + "/%zz", "%-escape");
  policy_.max_bytes = 3;
  expect_refused((root_ / "allowed" / "a b.png").string(), "limit of 3");
  policy_.allowed_local_media_path.clear();
  expect_refused((root_ / "allowed" / "a b.png").string(), "not allowed");
}

TEST_F(MediaFetch, DataUrlsAndRefusedSchemes) {
  auto fetched = fetch_media("data:image/png;base64,UE5H", policy_);
  ASSERT_TRUE(fetched.ok()) << fetched.status().to_string();
  EXPECT_EQ(std::string(fetched->begin(), fetched->end()), "PNG");
  expect_refused("https://images.example.com/a.png", "not allowed");
  policy_.allowed_media_domains = {"images.example.com"};
  expect_refused("https://user@IMAGES.example.com:443/a.png", "user name or password");
  expect_refused("ftp://x/y.png", "data:");
  expect_refused("", "empty");
}

}  // namespace
}  // namespace fovea::vision
