// Graph: a recorded sequence of work on one stream that can be launched again with the same arguments (a CUDA
// graph), so a decode step costs one launch instead of a thousand. Backends without graphs never make one.
// Must not contain capture code (Backend::capture_graph) or any model knowledge.
#pragma once

#include "backend/stream.h"
#include "base/status.h"

namespace fovea::backend {

class Graph {
 public:
  virtual ~Graph() = default;
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // Enqueues the recorded work again on the stream it was captured on. The buffers it read and wrote (by address)
  // must still be allocated; their contents at launch time are what the work sees.
  virtual base::Status replay(Stream& stream) = 0;
  // True when memory the recorded work uses was released since the capture (a stream's scratch grew): replaying
  // would touch freed memory, so the owner must capture again.
  virtual bool stale() const = 0;
};

}  // namespace fovea::backend
