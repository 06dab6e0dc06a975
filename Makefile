# blockgate entry points (SPEC §6). `make test` is what CI runs.
BUILD_DIR ?= build
FUZZ_DIR  ?= build-fuzz
JOBS      ?= $(shell nproc)
BUILD_TYPE ?= Release
FUZZ_SECONDS ?= 20

.PHONY: all deps configure build test run bench fuzz fuzz-build clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build fuzz-build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900
	@bash scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

run: build
	./$(BUILD_DIR)/blockgate serve

bench: build
	./$(BUILD_DIR)/bench/blockgate_bench

fuzz-build: deps
	@cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DBLOCKGATE_FUZZ=ON -DBLOCKGATE_CUDA=OFF >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_targets

fuzz: fuzz-build
	@bash scripts/fuzz.sh $(FUZZ_DIR) 600

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_DIR)
