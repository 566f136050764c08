// One `fovea bench` invocation: resolves the model, builds each run's dataset, checks the endpoint once, warms
// up, runs, prints the table, then writes the result JSON and, for a sweep, its SVG chart.
// Must not contain CLI parsing, metric definitions or HTTP details.
#pragma once

#include "base/status.h"
#include "bench/bench_options.h"

namespace fovea::bench {

// Prints tables to stdout and progress/notes to stderr. A run whose requests all fail is still a finished run
// (its failures are in the table and the JSON); errors are for what stops the bench itself.
base::Status run_bench(const BenchOptions& options);

}  // namespace fovea::bench
