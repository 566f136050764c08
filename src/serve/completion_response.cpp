// Completion response and chunk JSON.
// Must not contain SSE framing or HTTP transport.
#include "serve/completion_response.h"

namespace fovea::serve {
namespace {

nlohmann::ordered_json logprobs_json(const CompletionLogprobs& logprobs) {
  nlohmann::ordered_json token_logprobs = nlohmann::ordered_json::array();
  for (const std::optional<double>& logprob : logprobs.token_logprobs) {
    token_logprobs.push_back(logprob ? nlohmann::ordered_json(json_safe_logprob(*logprob))
                                     : nlohmann::ordered_json(nullptr));
  }
  nlohmann::ordered_json top = nlohmann::ordered_json::array();
  for (const std::vector<TopLogprob>& alternatives : logprobs.top_logprobs) {
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    for (const TopLogprob& alternative : alternatives)
      entry[alternative.token] = json_safe_logprob(alternative.logprob);
    top.push_back(std::move(entry));
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["text_offset"] = logprobs.text_offset;
  out["token_logprobs"] = std::move(token_logprobs);
  out["tokens"] = logprobs.tokens;
  out["top_logprobs"] = std::move(top);
  return out;
}

nlohmann::ordered_json choices_json(const std::vector<CompletionChoice>& choices) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const CompletionChoice& choice : choices) {
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["index"] = choice.index;
    entry["text"] = choice.text;
    entry["logprobs"] = choice.logprobs ? logprobs_json(*choice.logprobs) : nlohmann::ordered_json(nullptr);
    entry["finish_reason"] = choice.finish_reason ? nlohmann::ordered_json(finish_reason_name(*choice.finish_reason))
                                                  : nlohmann::ordered_json(nullptr);
    entry["stop_reason"] = stop_reason_to_json(choice.stop_reason);
    if (choice.token_ids) entry["token_ids"] = *choice.token_ids;
    out.push_back(std::move(entry));
  }
  return out;
}

nlohmann::ordered_json header(const ResponseIdentity& identity) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["id"] = identity.id;
  out["object"] = "text_completion";
  out["created"] = identity.created;
  out["model"] = identity.model;
  return out;
}

}  // namespace

nlohmann::ordered_json build_completion(const ResponseIdentity& identity, const std::vector<CompletionChoice>& choices,
                                        const Usage& usage) {
  nlohmann::ordered_json out = header(identity);
  out["choices"] = choices_json(choices);
  out["usage"] = usage_to_json(usage);
  return out;
}

nlohmann::ordered_json build_completion_chunk(const ResponseIdentity& identity,
                                              const std::vector<CompletionChoice>& choices,
                                              const std::optional<Usage>& usage) {
  nlohmann::ordered_json out = header(identity);
  out["choices"] = choices_json(choices);
  if (usage) out["usage"] = usage_to_json(*usage);
  return out;
}

nlohmann::ordered_json build_completion_usage_chunk(const ResponseIdentity& identity, const Usage& usage) {
  nlohmann::ordered_json out = header(identity);
  out["choices"] = nlohmann::ordered_json::array();
  out["usage"] = usage_to_json(usage);
  return out;
}

}  // namespace fovea::serve
