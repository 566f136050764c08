// GPU catalogue lookup (names, aliases, case and punctuation), errors naming the closest GPUs, memory sizes.
#include "plan/gpu_catalog.h"

#include <gtest/gtest.h>

#include <set>

namespace fovea::plan {
namespace {

TEST(GpuCatalog, NamesAndAliasesFindTheSameGpu) {
  for (const char* name : {"4090", "rtx4090", "RTX 4090", "rtx-4090", "NVIDIA GeForce RTX 4090", "Rtx_4090"}) {
    base::Result<GpuSpec> gpu = find_gpu(name);
    ASSERT_TRUE(gpu.ok()) << name << ": " << gpu.status().message();
    EXPECT_EQ(gpu->name, "NVIDIA GeForce RTX 4090") << name;
  }
  EXPECT_EQ(find_gpu("h100")->name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(find_gpu("A100-80GB")->name, "NVIDIA A100 80GB");
  EXPECT_EQ(find_gpu("a100 40gb")->name, "NVIDIA A100 40GB");
  EXPECT_EQ(find_gpu("H100 PCIe")->name, "NVIDIA H100 PCIe");
  EXPECT_EQ(find_gpu("L40S")->name, "NVIDIA L40S");
}

TEST(GpuCatalog, MeasuredEntriesKeepTheirBytes) {
  // Read with cudaMemGetInfo on the lent machines (docs/PLAN.md).
  EXPECT_EQ(find_gpu("h100")->memory_bytes, 85017493504u);
  EXPECT_EQ(find_gpu("h200")->memory_bytes, 150109880320u);
  EXPECT_NE(find_gpu("h200")->memory_source.find("measured"), std::string::npos);
}

TEST(GpuCatalog, EveryEntryHasMemoryASourceAndUniqueKeys) {
  std::set<std::string> keys;
  for (const GpuSpec& gpu : gpu_catalog()) {
    EXPECT_GT(gpu.memory_bytes, uint64_t{8} << 30) << gpu.name;
    EXPECT_FALSE(gpu.memory_source.empty()) << gpu.name;
    for (const std::string& alias : gpu.aliases) {
      EXPECT_TRUE(keys.insert(alias).second) << "alias used twice: " << alias;
      EXPECT_EQ(find_gpu(alias)->name, gpu.name) << alias;
    }
  }
}

TEST(GpuCatalog, UnknownGpuNamesTheClosest) {
  base::Result<GpuSpec> gpu = find_gpu("rtx 4080");
  ASSERT_FALSE(gpu.ok());
  EXPECT_EQ(gpu.status().code(), base::StatusCode::kNotFound);
  const std::string& message = gpu.status().message();
  EXPECT_NE(message.find("NVIDIA GeForce RTX 4090"), std::string::npos) << message;
  EXPECT_NE(message.find("--gpu-memory"), std::string::npos) << message;
  EXPECT_NE(find_gpu("h10").status().message().find("H100"), std::string::npos);
}

TEST(GpuCatalog, MemorySizes) {
  EXPECT_EQ(*parse_memory_size("24GiB", "--gpu-memory"), uint64_t{24} << 30);
  EXPECT_EQ(*parse_memory_size("24 gib", "--gpu-memory"), uint64_t{24} << 30);
  EXPECT_EQ(*parse_memory_size("81559MiB", "--gpu-memory"), uint64_t{81559} << 20);
  EXPECT_EQ(*parse_memory_size("48GB", "--gpu-memory"), uint64_t{48'000'000'000});
  EXPECT_EQ(*parse_memory_size("23.65GiB", "--gpu-memory"), static_cast<uint64_t>(23.65 * (1 << 30)));
  EXPECT_EQ(*parse_memory_size("16G", "--gpu-memory"), uint64_t{16} << 30);
  EXPECT_EQ(*parse_memory_size("16g", "--gpu-memory"), uint64_t{16'000'000'000});
  EXPECT_EQ(*parse_memory_size("25393692672", "--gpu-memory"), uint64_t{25393692672});
  for (const char* bad : {"", "GiB", "24 parsecs", "1.2.3GiB", "0", "-5GiB", "2048TiB"}) {
    base::Result<uint64_t> size = parse_memory_size(bad, "--gpu-memory");
    ASSERT_FALSE(size.ok()) << bad;
    EXPECT_NE(size.status().message().find("--gpu-memory"), std::string::npos);
  }
  EXPECT_EQ(format_gib(uint64_t{24217} << 20), "23.65 GiB");
}

}  // namespace
}  // namespace fovea::plan
