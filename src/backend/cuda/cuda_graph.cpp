// CudaGraph: stream capture, instantiation and launch; and CudaBackend::capture_graph, which checks the stream
// and hands it over.
#include "backend/cuda/cuda_graph.h"

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_util.h"
#include "backend/op_checks.h"

namespace fovea::backend::cuda {

base::Result<std::unique_ptr<CudaGraph>> CudaGraph::capture(CudaStream& stream,
                                                            const std::function<base::Status()>& record) {
  const int64_t generation = stream.num_scratch_growths();
  FOVEA_RETURN_IF_ERROR(cuda_status(cudaStreamBeginCapture(stream.handle(), cudaStreamCaptureModeThreadLocal),
                                    "starting a graph capture"));
  const base::Status recorded = record();
  cudaGraph_t graph = nullptr;
  // The capture must end whatever happened, or the stream stays in capture mode.
  const cudaError_t ended = cudaStreamEndCapture(stream.handle(), &graph);
  if (!recorded.ok() || ended != cudaSuccess || stream.num_scratch_growths() != generation) {
    if (graph != nullptr) cudaGraphDestroy(graph);
    cudaGetLastError();  // clear the (non-sticky) error a failed capture records, so the next op does not report it
    if (!recorded.ok()) return recorded.with_context("capturing a graph");
    if (ended != cudaSuccess) return cuda_status(ended, "capturing a graph");
    return base::make_error(base::StatusCode::kFailedPrecondition,
                            "graph capture: an op grew the stream's scratch memory; run the work once directly first");
  }
  cudaGraphExec_t exec = nullptr;
  const cudaError_t instantiated = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  FOVEA_RETURN_IF_ERROR(cuda_status(instantiated, "instantiating a captured graph"));
  return std::unique_ptr<CudaGraph>(new CudaGraph(&stream, exec, generation));
}

CudaGraph::~CudaGraph() { cudaGraphExecDestroy(exec_); }

base::Status CudaGraph::replay(Stream& stream) {
  if (&stream != stream_) {
    return base::invalid_argument("graph replay: a graph runs on the stream it was captured on");
  }
  if (stale()) {
    return base::make_error(base::StatusCode::kFailedPrecondition,
                            "graph replay: the stream's scratch memory was reallocated since the capture; capture again");
  }
  return cuda_status(cudaGraphLaunch(exec_, stream_->handle()), "launching a graph");
}

base::Result<std::unique_ptr<Graph>> CudaBackend::capture_graph(Stream& stream,
                                                                const std::function<base::Status()>& record) {
  FOVEA_RETURN_IF_ERROR(backend::check_stream("capture_graph", stream, device_));
  FOVEA_RETURN_IF_ERROR(use_device(device_.index));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<CudaGraph> graph, CudaGraph::capture(static_cast<CudaStream&>(stream), record));
  return std::unique_ptr<Graph>(std::move(graph));
}

}  // namespace fovea::backend::cuda
