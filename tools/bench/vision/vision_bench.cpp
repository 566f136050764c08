// vision_bench: times the image path of a request on one core: decode (a 1280x720 JPEG made here with TurboJPEG,
// plus any files named on the command line), smart_resize + bicubic resize, normalise + patchify.
// Usage: vision_bench [IMAGE_FILE...]   Prints the median of 30 runs per step, in thread CPU time (so that other
// processes on a shared machine do not count) and in wall time.
#include <turbojpeg.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "vision/image_decoder.h"
#include "vision/image_preprocessor.h"
#include "vision/patchifier.h"

namespace {

using fovea::vision::PreprocessOptions;
using fovea::vision::RgbImage;

double thread_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) * 1e-6;
}

struct Timing {
  double cpu_ms = 0;
  double wall_ms = 0;
};

Timing median_ms(const std::function<void()>& step) {
  constexpr int kRuns = 30;
  std::vector<double> cpu;
  std::vector<double> wall;
  step();  // warm-up
  for (int i = 0; i < kRuns; ++i) {
    const double cpu_start = thread_cpu_ms();
    const auto wall_start = std::chrono::steady_clock::now();
    step();
    wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start).count());
    cpu.push_back(thread_cpu_ms() - cpu_start);
  }
  std::sort(cpu.begin(), cpu.end());
  std::sort(wall.begin(), wall.end());
  return {cpu[kRuns / 2], wall[kRuns / 2]};
}

RgbImage synthetic_photo(int width, int height) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &image.pixels[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(128 + 100 * std::sin(x / 37.0) * std::cos(y / 23.0));
      p[1] = static_cast<uint8_t>((x * 255) / width);
      p[2] = static_cast<uint8_t>(((x ^ y) & 31) * 8);
    }
  }
  return image;
}

std::vector<uint8_t> encode_jpeg(const RgbImage& image) {
  tjhandle handle = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long jpeg_size = 0;
  tjCompress2(handle, image.pixels.data(), static_cast<int>(image.width), 0, static_cast<int>(image.height), TJPF_RGB,
              &jpeg, &jpeg_size, TJSAMP_420, 90, 0);
  std::vector<uint8_t> out(jpeg, jpeg + jpeg_size);
  tjFree(jpeg);
  tjDestroy(handle);
  return out;
}

void bench_bytes(const std::string& label, const std::vector<uint8_t>& bytes, const PreprocessOptions& options) {
  auto decoded = fovea::vision::decode_image(bytes);
  if (!decoded.ok()) {
    std::printf("%s: %s\n", label.c_str(), decoded.status().to_string().c_str());
    return;
  }
  auto resized = fovea::vision::resize_for_model(*decoded, options);
  if (!resized.ok()) {
    std::printf("%s: %s\n", label.c_str(), resized.status().to_string().c_str());
    return;
  }
  const Timing decode = median_ms([&] { (void)fovea::vision::decode_image(bytes); });
  const Timing resize = median_ms([&] { (void)fovea::vision::resize_for_model(*decoded, options); });
  const Timing patchify = median_ms([&] { (void)fovea::vision::normalize_and_patchify(*resized, options); });
  const Timing total = median_ms([&] { (void)fovea::vision::preprocess_image_bytes(bytes, options); });
  std::printf(
      "%-26s %5ldx%-5ld -> %5ldx%-5ld ms cpu (wall): decode %6.2f (%6.2f)  resize %6.2f (%6.2f)  "
      "normalise+patchify %6.2f (%6.2f)  all %6.2f (%6.2f)\n",
      label.c_str(), static_cast<long>(decoded->width), static_cast<long>(decoded->height),
      static_cast<long>(resized->width), static_cast<long>(resized->height), decode.cpu_ms, decode.wall_ms,
      resize.cpu_ms, resize.wall_ms, patchify.cpu_ms, patchify.wall_ms, total.cpu_ms, total.wall_ms);
}

}  // namespace

int main(int argc, char** argv) {
  const PreprocessOptions options;  // Qwen3-VL checkpoint values
  const RgbImage photo = synthetic_photo(1280, 720);
  bench_bytes("synthetic 1280x720 JPEG", encode_jpeg(photo), options);
  bench_bytes("synthetic 1920x1080 JPEG", encode_jpeg(synthetic_photo(1920, 1080)), options);
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    bench_bytes(argv[i], {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()}, options);
  }
  return 0;
}
