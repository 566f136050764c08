# fovea: the commands a newcomer runs. `make serve` and `make test` install what is missing, build and run.
BUILD_DIR ?= build
SANITIZE_BUILD_DIR ?= build-sanitize
FUZZ_BUILD_DIR ?= build-fuzz
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all deps configure build serve test test-fast test-sanitize fuzz clean format

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

SERVE_MODEL ?= models/fovea-demo-vl
SERVE_PORT ?= 8000

# Serves the demo model (a 2.9M-parameter Qwen3-VL trained on shape scenes; its README.md is the model card).
serve: build
	@echo "try: IMG=\$$(base64 -w0 models/fovea-demo-vl/examples/red-circle-blue-square.png)"
	@echo "     curl -s localhost:$(SERVE_PORT)/v1/chat/completions -H 'Content-Type: application/json' -d '{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,'\"\$$IMG\"'\"}},{\"type\":\"text\",\"text\":\"Describe the image.\"}]}],\"max_tokens\":24}'"
	$(BUILD_DIR)/src/cli/fovea serve $(SERVE_MODEL) --port $(SERVE_PORT) --served-model-name fovea-demo-vl

# The whole suite: the main build's tests, then unit and fuzz-replay tests again under ASan/UBSan.
test: test-fast test-sanitize

test-fast: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

test-sanitize: deps
	@cmake -S . -B $(SANITIZE_BUILD_DIR) -G Ninja -DFOVEA_SANITIZE=ON -DFOVEA_CUDA=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(SANITIZE_BUILD_DIR) -j $(JOBS) --target fovea_unit_and_fuzz_tests
	@cd $(SANITIZE_BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L 'unit|fuzz'

# Runs every libFuzzer target for FUZZ_SECONDS each (clang build with ASan/UBSan).
fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
	  -DFOVEA_FUZZ=ON -DFOVEA_CUDA=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS)
	@scripts/run-fuzzers.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

format:
	@git ls-files '*.h' '*.cpp' '*.cu' '*.cuh' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_BUILD_DIR) $(FUZZ_BUILD_DIR)
