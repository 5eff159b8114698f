# rdbkit make targets. `make test` is what CI runs (.ci/run).

GO       ?= go
FUZZTIME ?= 30s

.PHONY: all build test bench bench-data bench-compare bench-replay bench-estimate soak fuzz lint

all: build

build:
	$(GO) build ./...
	$(GO) build -o bin/rdbkit ./cmd/rdbkit

test:
	$(GO) test -timeout 30m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Builds three large RDBs with a real redis-server (needs redis-server and
# redis-tools): bench-data/small-strings.rdb (~20 M DEBUG POPULATE keys),
# bench-data/mixed.rdb (~2 M keys of every type and encoding with TTLs) and
# bench-data/shaped.rdb (1.94 M keys of another mix, `benchgen -shape shaped`).
# REDIS_SERVER/REDIS_CLI choose the server (the shaped file of the benchmarks
# is saved by Redis 7.4.1: REDIS_SERVER=$$RDBKIT_SERVERS/redis-7.4.1/redis-server
# REDIS_CLI=$$RDBKIT_SERVERS/redis-7.4.1/redis-cli ONLY=shaped make bench-data).
bench-data:
	scripts/bench-data.sh bench-data

# Times rdbkit verify (every core, and one core) against redis-check-rdb (the
# one on PATH, and 7.4.1 from $$RDBKIT_SERVERS when set) on the three bench-data
# files, side by side: wall, CPU, peak RSS (needs GNU time: apt-get install time).
bench-compare: build
	scripts/bench-compare.sh bench-data

# Replay vs the real servers' load (redis-server on PATH, and 7.4.1 built with libc
# malloc from $$RDBKIT_SERVERS when set) on bench-data/mixed.rdb, bench-data/shaped.rdb
# (RDBS overrides the list) and the AOF set of scripts/bench-aof.sh: wall, CPU, peak RSS
# vs used_memory, replay --digest vs load + DEBUG DIGEST (scripts/bench-replay.sh).
bench-replay: build
	scripts/bench-replay.sh

# The estimate model against a real server: builds thirteen RDB shapes and seven
# AOF sets at two sizes, measures load (CPU and wall), used_memory, fork and SAVE,
# fits the coefficients on the small sizes of the one-class shapes and predicts all,
# with the bench-data files (scripts/bench-estimate.sh; SCALE, RUNS, FORKS,
# REDIS_SERVER, BENCH_DATA tune it; docs/estimate.md, docs/benchmarks.md).
bench-estimate:
	scripts/bench-estimate.sh bench-data/estimate

# The differential matrix (engine/soak_test.go): the seeded workload against
# the installed redis-server and every release folder of SERVERS (one folder per
# release holding redis-server or valkey-server; RDBKIT_SERVERS), for SEEDS seeds
# from a random one (RDBKIT_SOAK_SEED=N reproduces a run), under every
# combination of #TS annotations, short TTLs and tiny listpack limits, each run
# compared at four AOF states (empty, RESP, RDB-preamble and RESP-alone bases)
# and after SAVE; SOAK_COMMANDS commands per run, SOAK_PARALLEL servers at a
# time. It ends with the table server x seed x options -> equal/DIFFERENT.
# Then TestDifferentialDirect executes the workload in the engine as it is sent.
SERVERS       ?=
SEEDS         ?= 8
SOAK_COMMANDS ?= 20000
SOAK_PARALLEL ?= 2
soak:
	RDBKIT_SERVERS=$(SERVERS) RDBKIT_SOAK_SEEDS=$(SEEDS) \
	RDBKIT_SOAK_SEED=$${RDBKIT_SOAK_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')} \
	RDBKIT_SOAK_COMMANDS=$(SOAK_COMMANDS) $(GO) test -count=1 -run 'TestDifferential' -v \
		-parallel $(SOAK_PARALLEL) -timeout 600m ./engine

# Runs every fuzz target of every package for $(FUZZTIME) each (a duration
# such as 60s, or a count such as 10000x); targets are discovered with
# `go test -list`, so new Fuzz functions are picked up. New inputs are
# minimised for at most $(FUZZMINIMIZETIME) (a count of runs or a duration;
# go's default of 60 s per new input leaves slow file-level targets idle,
# and a count scales with each target's speed). $(FUZZ_PARALLEL) sets
# -parallel (go's default: GOMAXPROCS workers). A failing target does not
# stop the run; the failures are listed at the end.
FUZZMINIMIZETIME ?= 100x
FUZZ_PARALLEL    ?=
fuzz:
	@failed=""; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) \
				-fuzzminimizetime $(FUZZMINIMIZETIME) $(if $(FUZZ_PARALLEL),-parallel $(FUZZ_PARALLEL)) $$pkg \
				|| failed="$$failed $$pkg.$$target"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz targets that failed:$$failed"; exit 1; fi

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l reports unformatted files:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
