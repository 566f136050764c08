// apply_generation_defaults: request over generation-config defaults over vLLM's neutral values, and vLLM's checks.
#include "engine/sampling/generation_defaults.h"

#include <gtest/gtest.h>

namespace fovea::engine {
namespace {

TEST(GenerationDefaults, RequestWinsOverDefaultsWhichWinOverNeutral) {
  GenerationDefaults defaults;
  defaults.temperature = 0.6;
  defaults.top_p = 0.95;
  defaults.top_k = 20;
  SamplingRequest request;
  request.temperature = 0.3;
  auto params = apply_generation_defaults(request, defaults);
  ASSERT_TRUE(params.ok()) << params.status().message();
  EXPECT_DOUBLE_EQ(params->temperature, 0.3);
  EXPECT_DOUBLE_EQ(params->top_p, 0.95);
  EXPECT_EQ(params->top_k, 20);
  EXPECT_DOUBLE_EQ(params->min_p, 0.0);
  EXPECT_DOUBLE_EQ(params->repetition_penalty, 1.0);
  EXPECT_TRUE(params->skip_special_tokens);
}

TEST(GenerationDefaults, GreedyClearsFiltersAndNeedsOneChoice) {
  SamplingRequest request;
  request.temperature = 0.0;
  request.top_k = 5;
  request.top_p = 0.5;
  auto params = apply_generation_defaults(request, {});
  ASSERT_TRUE(params.ok());
  EXPECT_TRUE(params->is_greedy());
  EXPECT_EQ(params->top_k, kTopKOff);
  EXPECT_DOUBLE_EQ(params->top_p, 1.0);
  request.n = 2;
  EXPECT_FALSE(apply_generation_defaults(request, {}).ok());
}

TEST(GenerationDefaults, SmallTemperaturesAreRaisedAndTopKZeroIsOff) {
  SamplingRequest request;
  request.temperature = 0.001;
  request.top_k = 0;
  auto params = apply_generation_defaults(request, {});
  ASSERT_TRUE(params.ok());
  EXPECT_DOUBLE_EQ(params->temperature, kMinRandomTemperature);
  EXPECT_EQ(params->top_k, kTopKOff);
}

TEST(GenerationDefaults, BadDefaultsNameTheirSource) {
  GenerationDefaults defaults;
  defaults.top_p = 0.0;
  auto params = apply_generation_defaults(SamplingRequest{}, defaults);
  ASSERT_FALSE(params.ok());
  EXPECT_NE(params.status().message().find("generation defaults"), std::string::npos);
}

TEST(GenerationDefaults, MaxTokensCapAndSeedsAndStops) {
  GenerationDefaults defaults;
  defaults.max_tokens = 100;
  defaults.max_tokens_cap = 50;
  SamplingRequest request;
  request.max_tokens = 80;
  request.seed = 7;
  request.stop = {"a", "a", "b"};
  request.stop_token_ids = {5, 5, 6};
  request.logit_bias = {{3, 500.0}, {1, -1.0}, {3, 2.0}};
  auto params = apply_generation_defaults(request, defaults);
  ASSERT_TRUE(params.ok()) << params.status().message();
  EXPECT_EQ(params->max_tokens, 50);
  EXPECT_TRUE(params->max_tokens_requested);
  EXPECT_EQ(params->generator_seed, 7u);
  EXPECT_EQ(params->sequence_seed(2), 9u);
  EXPECT_EQ(params->stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(params->stop_token_ids, (std::vector<int32_t>{5, 6}));
  ASSERT_EQ(params->logit_bias.size(), 2u);
  EXPECT_EQ(params->logit_bias[1].first, 3);
  EXPECT_FLOAT_EQ(params->logit_bias[1].second, 2.0f);  // the later entry for id 3 wins
  request.seed = -1;
  params = apply_generation_defaults(request, defaults);
  EXPECT_FALSE(params->seed.has_value());
}

TEST(GenerationDefaults, RejectsOutOfRangeValues) {
  SamplingRequest request;
  request.min_p = 1.5;
  EXPECT_FALSE(apply_generation_defaults(request, {}).ok());
  request = {};
  request.repetition_penalty = 0.0;
  EXPECT_FALSE(apply_generation_defaults(request, {}).ok());
  request = {};
  request.logprobs = kMaxTopLogprobs + 1;
  EXPECT_FALSE(apply_generation_defaults(request, {}).ok());
  request = {};
  request.stop = {""};
  EXPECT_FALSE(apply_generation_defaults(request, {}).ok());
}

}  // namespace
}  // namespace fovea::engine
