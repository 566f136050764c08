// Encode and decode throughput of fovea's tokenizer on one thread, on the corpus that hf_tokenizer_bench.py
// writes (a JSON list of documents), so the two numbers compare like for like. Pass 0 starts with a cold word
// cache; later passes are warm. Must not contain correctness checks beyond a token count.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "text/tokenizer.h"

namespace {

double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int usage() {
  std::fprintf(stderr, "usage: tokenizer_bench --corpus CORPUS.json --tokenizer tokenizer.json [--passes N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus_path;
  std::string tokenizer_path;
  int num_passes = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--corpus") == 0) {
      corpus_path = argv[i + 1];
    } else if (std::strcmp(argv[i], "--tokenizer") == 0) {
      tokenizer_path = argv[i + 1];
    } else if (std::strcmp(argv[i], "--passes") == 0) {
      num_passes = std::atoi(argv[i + 1]);
    } else {
      return usage();
    }
  }
  if (corpus_path.empty() || tokenizer_path.empty()) return usage();

  auto corpus_text = fovea::base::read_file(corpus_path);
  if (!corpus_text.ok()) {
    std::fprintf(stderr, "%s\n", corpus_text.status().message().c_str());
    return 1;
  }
  std::vector<std::string> documents;
  try {
    documents = nlohmann::json::parse(*corpus_text).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& error) {
    std::fprintf(stderr, "%s: %s\n", corpus_path.c_str(), error.what());
    return 1;
  }
  size_t total_bytes = 0;
  for (const std::string& document : documents) total_bytes += document.size();

  double load_start = wall_seconds();
  double load_cpu_start = cpu_seconds();
  auto tokenizer = fovea::text::Tokenizer::load_file(tokenizer_path);
  if (!tokenizer.ok()) {
    std::fprintf(stderr, "%s\n", tokenizer.status().message().c_str());
    return 1;
  }
  std::printf("fovea: loaded in %.3f s (%.3f s cpu); corpus %zu documents, %.2f MB\n", wall_seconds() - load_start,
              cpu_seconds() - load_cpu_start, documents.size(), static_cast<double>(total_bytes) / 1e6);

  std::vector<std::vector<int32_t>> encoded(documents.size());
  for (int pass_idx = 0; pass_idx < num_passes; ++pass_idx) {
    double wall_start = wall_seconds();
    double cpu_start = cpu_seconds();
    size_t num_tokens = 0;
    for (size_t doc_idx = 0; doc_idx < documents.size(); ++doc_idx) {
      auto ids = (*tokenizer)->encode(documents[doc_idx], false);
      if (!ids.ok()) {
        std::fprintf(stderr, "document %zu: %s\n", doc_idx, ids.status().message().c_str());
        return 1;
      }
      num_tokens += ids->size();
      encoded[doc_idx] = std::move(ids).value();
    }
    double wall = wall_seconds() - wall_start;
    double cpu = cpu_seconds() - cpu_start;
    std::printf("pass %d (%s): %zu tokens, %.2f MB/s wall, %.2f MB/s cpu\n", pass_idx, pass_idx == 0 ? "cold" : "warm",
                num_tokens, static_cast<double>(total_bytes) / 1e6 / wall,
                static_cast<double>(total_bytes) / 1e6 / cpu);
  }
  double decode_cpu_start = cpu_seconds();
  size_t decoded_bytes = 0;
  for (const std::vector<int32_t>& ids : encoded) decoded_bytes += (*tokenizer)->decode(ids, false)->size();
  std::printf("decode: %.2f MB/s cpu\n", static_cast<double>(decoded_bytes) / 1e6 / (cpu_seconds() - decode_cpu_start));
  return 0;
}
