// The NVIDIA driver's GPU list read without CUDA: the Model line of an information file (the layout of the seed in
// tests/fuzz/plan/corpus), folders in PCI-address order, and a machine without the driver.
#include "plan/local_gpus.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "plan/gpu_catalog.h"

namespace fovea::plan {
namespace {

std::string seed_information() {
  std::ifstream in(std::string(FOVEA_SOURCE_DIR) + "/tests/fuzz/plan/corpus/seed_proc_gpu_information.txt");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(LocalGpus, ModelLineOfTheDriversInformationFile) {
  const std::optional<std::string> model = gpu_model_from_proc_information(seed_information());
  ASSERT_TRUE(model.has_value());
  EXPECT_EQ(*model, "NVIDIA GeForce RTX 4090");
  EXPECT_TRUE(find_gpu(*model).ok());  // the catalogue knows the driver's spelling
  EXPECT_FALSE(gpu_model_from_proc_information("IRQ: 186\nModel:   \t\n").has_value());
  EXPECT_FALSE(gpu_model_from_proc_information("").has_value());
}

TEST(LocalGpus, FoldersInAddressOrderAndNoDriverIsEmpty) {
  const std::filesystem::path root = std::filesystem::path(::testing::TempDir()) / "nvidia_gpus";
  std::filesystem::remove_all(root);
  for (const auto& [address, model] :
       {std::pair{"0000:41:00.0", "NVIDIA H100 80GB HBM3"}, std::pair{"0000:01:00.0", "NVIDIA GeForce RTX 4090"}}) {
    std::filesystem::create_directories(root / address);
    std::ofstream(root / address / "information") << "Model: \t\t " << model << "\nIRQ: 1\n";
  }
  std::filesystem::create_directories(root / "0000:81:00.0");  // no information file: skipped
  EXPECT_EQ(local_gpu_models(root.string()),
            (std::vector<std::string>{"NVIDIA GeForce RTX 4090", "NVIDIA H100 80GB HBM3"}));
  EXPECT_TRUE(local_gpu_models((root / "absent").string()).empty());
}

}  // namespace
}  // namespace fovea::plan
