# blockgate entry points (SPEC §6). `make test` is what CI runs.
BUILD_DIR ?= build
FUZZ_DIR  ?= build-fuzz
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
BUILD_TYPE ?= Release
FUZZ_SECONDS ?= 20

.PHONY: all deps configure build test test-asan asan-build soak run bench fuzz fuzz-build clean

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
	@$(MAKE) --no-print-directory test-asan

# The blockgate binary and the server suites that drive its request, stream
# and shutdown paths, built with AddressSanitizer + UndefinedBehaviorSanitizer
# (BG_SANITIZE_TESTS in CMakeLists.txt); part of `make test`. -O1 -g1 keeps
# the build of the Beast-heavy sources short and the reports readable. Any
# report fails the run: the server exits non-zero, which the suites check.
asan-build: deps
	@cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
	  -DBLOCKGATE_CUDA=OFF -DBLOCKGATE_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_DIR) -j $(JOBS) --target sanitize_tests

test-asan: asan-build
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=86 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900

# A minute of hostile and honest load against the real server; prints the
# honest p99 and the peak RSS (docs/SERVER.md "Soak"). SOAK_SECONDS, SOAK_RSS_MIB.
SOAK_SECONDS ?= 60
SOAK_RSS_MIB ?= 512
soak: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target server_soak blockgate
	./$(BUILD_DIR)/tests/server_soak $(SOAK_SECONDS) $(SOAK_RSS_MIB)

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
	rm -rf $(BUILD_DIR) $(FUZZ_DIR) $(ASAN_DIR)
