# SPDX-License-Identifier: MIT
# dynamic_memory: `make help` lists the targets.

PREFIX ?= /usr/local
BUILD := build
CC ?= cc
CLANG ?= clang-19
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
NATIVE := -Dnative_executable -I.
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
DIFF_OPS ?= 1000000
FUZZ_SECONDS ?= 30
SEEDS ?= 100

HEADER := dynamic_memory.h
MODEL := tests/heap_model.h

# Native test binaries: unit tests and the differential test per configuration, each also under ASan + UBSan.
CONFIGS := seg ff seg16 ff16
config_flags = $(strip \
	$(if $(findstring ff,$(1)),-DDM_POLICY=DM_POLICY_FIRST_FIT) \
	$(if $(findstring 16,$(1)),-DDM_ALIGN=16))
UNIT := $(foreach c,$(CONFIGS),$(BUILD)/unit-$(c) $(BUILD)/unit-$(c)-asan)
DIFF := $(foreach c,$(CONFIGS),$(BUILD)/differential-$(c) $(BUILD)/differential-$(c)-asan) \
	$(BUILD)/differential-seg-4k $(BUILD)/differential-ff-4k
NATIVE_TESTS := $(UNIT) $(DIFF) $(BUILD)/stress $(BUILD)/fuzz_heap $(BUILD)/preload_api

# In-kernel tests: BPF objects whose programs state their expectations, and the runner that checks them.
# -idirafter: <linux/bpf.h> needs the multiarch asm/ headers, which clang -target bpf does not search.
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -I. -I$(BUILD) -Itests/bpf -idirafter /usr/include/$(shell $(CC) -print-multiarch)
BPF_TESTS := $(addprefix $(BUILD)/bpf/,program_types.bpf.o verifier_rejects.bpf.o heap_features.bpf.o \
	heap_percpu.bpf.o linked.bpf.o include_uapi.bpf.o)
# The same tests against the arena heap, and the tests only an arena heap can pass.
ARENA_TESTS := $(addprefix $(BUILD)/bpf-arena/,program_types.bpf.o heap_features.bpf.o linked.bpf.o)
COST_POOLS := 4096 65536 16777216 268435456
# The ARRAY heap's cost objects load on every kernel of the matrix, the arena's need 6.9+ (tests/kernel.sh).
COST_ARRAY_OBJS := $(foreach p,seg ff,$(foreach s,$(COST_POOLS),$(BUILD)/bpf/cost-$(p)-$(s).bpf.o)) \
	$(foreach p,seg ff,$(foreach s,$(COST_POOLS),$(BUILD)/bpf/cost-inline-$(p)-$(s).bpf.o))
COST_ARENA_OBJS := $(foreach p,seg ff,$(foreach s,$(COST_POOLS) 2147483648,$(BUILD)/bpf/cost-arena-$(p)-$(s).bpf.o))
COST_OBJS := $(COST_ARRAY_OBJS) $(COST_ARENA_OBJS)
KERNEL_TESTS := $(BUILD)/bpf_runner $(BPF_TESTS) $(ARENA_TESTS) $(BUILD)/bpf-arena/stress.bpf.o $(BUILD)/bpf/stress.bpf.o \
	$(BUILD)/arena $(BUILD)/arena_globals $(BUILD)/bpf-arena/arena_globals_small_room.bpf.o $(BUILD)/bpf/pinned.bpf.o \
	$(COST_OBJS) \
	$(BUILD)/bpf/stat_fixture.bpf.o $(BUILD)/bpf/stat_fixture_percpu.bpf.o $(BUILD)/bpf-arena/stat_fixture.bpf.o

# Benchmarks (make bench): bench/heap_ops.bpf.c per heap and policy, the baselines, the drivers.
BENCH_BINS := $(foreach h,shared percpu arena,$(foreach p,seg ff,$(BUILD)/bench/heap-$(h)-$(p).bpf.o)) \
	$(BUILD)/bench/heap-shared-seg-inline.bpf.o $(BUILD)/bench/heap-shared-ff-inline.bpf.o \
	$(BUILD)/bench/baselines.bpf.o $(BUILD)/bench_kernel $(BUILD)/bench_native $(BUILD)/bench_fragmentation_seg \
	$(BUILD)/bench_fragmentation_ff
heap_flags = $(if $(filter percpu,$(1)),-DDM_HEAP_PERCPU -DDM_POOL_SIZE=16384,$(if $(filter arena,$(1)),-DDM_HEAP_ARENA) \
	-DDM_POOL_SIZE=1048576)

# libdynamic_memory.so (its rule below); defined here, before `all` names it as a prerequisite.
PRELOAD_LIB := $(BUILD)/libdynamic_memory.so

# Examples, libbpf-bootstrap style: bpf/X.bpf.c + user/X.c, the loader built against X's skeleton.
EXAMPLES := linked_list packet_sizes percpu_scratch hash_table
EXAMPLE_BINS := $(addprefix $(BUILD)/,$(EXAMPLES))

# The kernels the in-kernel tests run on: host (this machine's) and Debian's, booted in qemu by tests/vm/vm-run.
KERNELS ?= host 6.1 6.12
VM_KERNELS = $(filter-out host,$(KERNELS))

.PHONY: all deps kernels test test-kernel kernel-test-programs demo bench install clean help fuzz-port
.DEFAULT_GOAL := all

help:
	@echo "make            build the native demo and test programs into $(BUILD)/"
	@echo "make deps       install the Debian packages the project needs (no-op when present)"
	@echo "make demo       port a C program that mallocs with dm port, run it natively and in the kernel"
	@echo "make test       run every test: native (unit, differential, sanitizers, fuzz, stress), then the in-kernel"
	@echo "                tests on each of KERNELS (host, and Debian's 6.1 and 6.12 booted in qemu)"
	@echo "make test-kernel  only the in-kernel tests, on KERNELS (e.g. make test-kernel KERNELS=6.1)"
	@echo "make kernels    download and prepare Debian's kernels for the VM ($(BUILD)/kernels/; once)"
	@echo "make fuzz-port  dm port against native on SEEDS=$(SEEDS) Csmith seeds (two programs each; needs root)"
	@echo "make bench      run the benchmarks, write bench/RESULTS.md and plots (BENCH_QUICK=1: about a minute)"
	@echo "make install    install the header, the dm tool, libdynamic_memory.so and a pkg-config file under PREFIX ($(PREFIX))"
	@echo "make clean      remove $(BUILD)/"
	@echo "variables: DIFF_OPS=$(DIFF_OPS) (differential operations per configuration), FUZZ_SECONDS=$(FUZZ_SECONDS)"
	@echo "           KERNELS=\"$(KERNELS)\" (make test, make test-kernel)"

all: $(BUILD)/native_demo $(BUILD)/dm $(PRELOAD_LIB) $(NATIVE_TESTS) $(KERNEL_TESTS) $(EXAMPLE_BINS) $(BENCH_BINS)

deps:
	@scripts/deps.sh

# Debian's linux-image packages, unpacked, never installed (tests/vm/prepare-kernels; a second run does nothing).
kernels: deps
	@$(if $(VM_KERNELS),tests/vm/prepare-kernels $(BUILD)/kernels $(VM_KERNELS))

$(BUILD) $(BUILD)/bpf $(BUILD)/bpf-arena $(BUILD)/examples $(BUILD)/bench:
	@mkdir -p $@

$(BUILD)/examples/%.bpf.o: bpf/%.bpf.c $(HEADER) $(BUILD)/vmlinux.h | $(BUILD)/examples
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/examples/%.skel.h: $(BUILD)/examples/%.bpf.o
	bpftool gen skeleton $< > $@.tmp && mv $@.tmp $@

$(EXAMPLE_BINS): $(BUILD)/%: user/%.c $(BUILD)/examples/%.skel.h user/heap_view.h $(HEADER)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) -I$(BUILD)/examples $< -o $@ -lbpf

$(BUILD)/vmlinux.h: | $(BUILD)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: tests/bpf/%.bpf.c tests/bpf/test_progs.h $(HEADER) $(BUILD)/vmlinux.h | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf-arena/%.bpf.o: tests/bpf/%.bpf.c tests/bpf/test_progs.h $(HEADER) $(BUILD)/vmlinux.h | $(BUILD)/bpf-arena
	$(CLANG) $(BPF_CFLAGS) -DDM_HEAP_ARENA -c $< -o $@

# Two files, one heap: the weak heap map of both becomes one when linked.
$(BUILD)/%/linked.bpf.o: $(BUILD)/%/linked_build.bpf.o $(BUILD)/%/linked_check.bpf.o
	bpftool gen object $@ $^

# cost-[arena-|inline-]POLICY-POOLSIZE: the same one-malloc program per heap, policy and pool size (inline:
# DM_INLINE_FAST_PATH).
$(BUILD)/bpf/cost-%.bpf.o: tests/bpf/cost.bpf.c tests/bpf/test_progs.h $(HEADER) $(BUILD)/vmlinux.h | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) $(call config_flags,$(filter seg ff,$(subst -, ,$*))) \
		$(if $(findstring arena-,$*),-DDM_HEAP_ARENA) $(if $(findstring inline-,$*),-DDM_INLINE_FAST_PATH=1) \
		-DDM_POOL_SIZE=$(lastword $(subst -, ,$*)) -c $< -o $@

# libdynamic_memory.so: the native heap as the malloc of any program (LD_PRELOAD). No builtin knowledge of the
# functions it defines: gcc would turn its calloc's malloc + memset into a call to calloc.
PRELOAD_SOURCES := user/preload.c user/preload_heap.h user/preload_stats.h $(HEADER)
PRELOAD_CFLAGS := -fPIC -shared -fvisibility=hidden -ftls-model=initial-exec -fno-builtin-malloc -fno-builtin-calloc -fno-builtin-realloc \
	-fno-builtin-free
$(PRELOAD_LIB): $(PRELOAD_SOURCES) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) $(PRELOAD_CFLAGS) $< -o $@

# The C allocation interface as the library serves it (run under LD_PRELOAD by tests/preload.bats).
$(BUILD)/preload_api: tests/preload_api.c user/preload_stats.h $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) -fno-builtin $< -o $@ -pthread

# The dm tool: dm stat (pinned heaps, processes on libdynamic_memory.so; /metrics on libmicrohttpd), arena-init,
# port, run, preload.
DM_LIBS := -lbpf -lmicrohttpd -pthread
DM_SOURCES := user/dm.c user/preload_stats.c
$(BUILD)/dm: $(DM_SOURCES) user/heap_view.h user/preload_heap.h user/preload_stats.h \
		modify/port_include/dm_port_records.h $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) -DDM_PORT_SCRIPT='"$(abspath modify/port.py)"' \
		-DDM_PRELOAD_LIB='"$(abspath $(PRELOAD_LIB))"' $(DM_SOURCES) -o $@ $(DM_LIBS)

$(BUILD)/bpf_runner: tests/bpf_runner.c $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) $< -o $@ -lbpf -pthread

$(BUILD)/arena: tests/arena.c tests/test_run.h tests/bpf/arena_structures.h $(BUILD)/bpf-arena/arena_structures.skel.h \
		user/heap_view.h $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) -I$(BUILD)/bpf-arena $< -o $@ -lbpf -lcmocka

$(BUILD)/bpf-arena/arena_structures.bpf.o: tests/bpf/arena_structures.h

# Programs with their own __arena globals (issue 15): arena_globals as it is and with DM_ARENA_GLOBALS too small for
# its globals (in another 4 GiB window: the test maps both at once); two objects on one pinned arena.
ARENA_GLOBALS_SKELS := $(addprefix $(BUILD)/bpf-arena/,arena_globals.skel.h arena_globals_pinned.skel.h \
	arena_globals_peer.skel.h)
$(BUILD)/arena_globals: tests/arena_globals.c tests/test_run.h tests/bpf/arena_globals.h $(ARENA_GLOBALS_SKELS) \
		user/heap_view.h $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) -I$(BUILD)/bpf-arena $< -o $@ -lbpf -lcmocka
$(addprefix $(BUILD)/bpf-arena/,arena_globals.bpf.o arena_globals_pinned.bpf.o arena_globals_peer.bpf.o): \
	tests/bpf/arena_globals.h
$(BUILD)/bpf-arena/arena_globals_small_room.bpf.o: tests/bpf/arena_globals.bpf.c tests/bpf/arena_globals.h $(HEADER) \
		$(BUILD)/vmlinux.h | $(BUILD)/bpf-arena
	$(CLANG) $(BPF_CFLAGS) -DDM_HEAP_ARENA -DDM_ARENA_GLOBALS=4096 "-DDM_ARENA_WINDOW=(2ull << 44)" -c $< -o $@
$(BUILD)/bpf-arena/%.skel.h: $(BUILD)/bpf-arena/%.bpf.o
	bpftool gen skeleton $< > $@.tmp && mv $@.tmp $@

$(BUILD)/native_demo: user/native_demo.c $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) $< -o $@

$(BUILD)/unit-%-asan: tests/unit.c $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) $(SANITIZE) $(call config_flags,$*) $< -o $@ -lcmocka
$(BUILD)/unit-%: tests/unit.c $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) $(call config_flags,$*) $< -o $@ -lcmocka

$(BUILD)/differential-%-4k: tests/differential.c $(MODEL) $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) -DDM_POOL_SIZE=4096 $(call config_flags,$*) $< -o $@
$(BUILD)/differential-%-asan: tests/differential.c $(MODEL) $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) $(SANITIZE) $(call config_flags,$*) $< -o $@
$(BUILD)/differential-%: tests/differential.c $(MODEL) $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) $(call config_flags,$*) $< -o $@

$(BUILD)/stress: tests/stress.c $(HEADER) | $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) -pthread $< -o $@

$(BUILD)/fuzz_heap: tests/fuzz_heap.c $(MODEL) $(HEADER) | $(BUILD)
	$(CLANG) -g -O1 $(NATIVE) -fsanitize=fuzzer,address,undefined $< -o $@

$(BUILD)/bench/heap-%.bpf.o: bench/heap_ops.bpf.c $(HEADER) $(BUILD)/vmlinux.h | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) $(call config_flags,$(filter seg ff,$(subst -, ,$*))) \
		$(call heap_flags,$(word 1,$(subst -, ,$*))) $(if $(findstring inline,$*),-DDM_INLINE_FAST_PATH=1) -c $< -o $@
$(BUILD)/bench/baselines.bpf.o: bench/baselines.bpf.c $(BUILD)/vmlinux.h | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
# The thread-safe build at plain -O2, as a user would build it.
$(BUILD)/bench_kernel: bench/kernel.c user/heap_view.h $(HEADER) | $(BUILD)
	$(CC) -O2 $(WARN) $(NATIVE) $< -o $@ -lbpf -pthread
$(BUILD)/bench_native: bench/native.c $(HEADER) | $(BUILD)
	$(CC) -O2 $(WARN) $(NATIVE) -DDM_POOL_SIZE=1048576 $< -o $@ -pthread -ljemalloc -lmimalloc
$(BUILD)/bench_fragmentation_%: bench/fragmentation.c bench/first_fit_reference.h $(HEADER) | $(BUILD)
	$(CC) -O2 $(WARN) $(NATIVE) -Ibench $(call config_flags,$*) $< -o $@

# Every test runs even when an earlier one fails; tests/run.sh prints the summary and sets the exit status.
# Everything is built on the host first: in a VM the tests only read build outputs (their writes are lost).
TEST_ARGS = $(BUILD) $(DIFF_OPS) $(FUZZ_SECONDS) "$(KERNELS)" "$(BPF_TESTS)" "$(ARENA_TESTS)" "$(COST_ARRAY_OBJS)" \
	"$(COST_ARENA_OBJS)"
test: kernels
	@$(MAKE) --no-print-directory all
	@tests/run.sh all $(TEST_ARGS)

test-kernel: kernels
	@$(MAKE) --no-print-directory kernel-test-programs
	@tests/run.sh kernel $(TEST_ARGS)

kernel-test-programs: $(BUILD)/dm $(KERNEL_TESTS) $(EXAMPLE_BINS)

# dm port's differential fuzzer on Csmith programs, longer than the fixed seeds of make test; failures are kept in
# $(BUILD)/csmith-failures.
fuzz-port: deps
	@$(MAKE) --no-print-directory $(BUILD)/dm
	@python3 tests/port_csmith.py --dm $(BUILD)/dm --first 1000 --seeds $(SEEDS) --keep $(BUILD)/csmith-failures

# A plain C program that mallocs, run natively and in the kernel (dm port + dm run), side by side; then the heap.
DEMO := examples/linked_list.c
demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/dm
	@mkdir -p $(BUILD)/demo
	@$(CC) -O2 $(DEMO) -o $(BUILD)/demo/native
	@echo "== dm port $(DEMO) -o $(BUILD)/demo/program.bpf.o"
	@$(BUILD)/dm port $(DEMO) -o $(BUILD)/demo/program.bpf.o
	@$(BUILD)/demo/native > $(BUILD)/demo/native.out; echo "exit status $$?" >> $(BUILD)/demo/native.out
	@$(BUILD)/dm run --stats $(BUILD)/demo/program.bpf.o > $(BUILD)/demo/kernel.out 2> $(BUILD)/demo/stats.out; \
		echo "exit status $$?" >> $(BUILD)/demo/kernel.out
	@awk 'NR == FNR { left[FNR] = $$0; n = FNR; next } { right[FNR] = $$0; m = FNR } \
		END { printf "%-44s| %s\n", "== natively (cc)", "in the kernel (dm run)"; \
		      for (i = 1; i <= (n > m ? n : m); i++) printf "%-44s| %s\n", left[i], right[i] }' \
		$(BUILD)/demo/native.out $(BUILD)/demo/kernel.out
	@cmp -s $(BUILD)/demo/native.out $(BUILD)/demo/kernel.out && echo "== identical output and exit status" || \
		{ echo "== the outputs DIFFER"; exit 1; }
	@echo "== the arena heap afterwards (dm run --stats):"
	@cat $(BUILD)/demo/stats.out

# Writes bench/RESULTS.md and bench/*.png (BENCH_QUICK=1: a short run). Needs root, like the in-kernel tests.
bench: deps
	@$(MAKE) --no-print-directory $(BENCH_BINS) $(COST_OBJS) $(PRELOAD_LIB)
	@bench/run.sh $(BUILD) "$(COST_OBJS)"

# dm port's front end and runtime go to share/dynamic_memory/, which the installed dm is built to use.
SHARE := $(PREFIX)/share/dynamic_memory
install: $(HEADER) $(BUILD)/dm $(PRELOAD_LIB)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/pkgconfig $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(SHARE)/modify/port_include $(DESTDIR)$(PREFIX)/lib
	install -m 755 $(PRELOAD_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(HEADER) $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(HEADER) $(DESTDIR)$(SHARE)/
	install -m 755 modify/modify.sh modify/port.py $(DESTDIR)$(SHARE)/modify/
	install -m 644 modify/*.cocci $(DESTDIR)$(SHARE)/modify/
	install -m 644 modify/port_include/*.h $(DESTDIR)$(SHARE)/modify/port_include/
	$(CC) $(CFLAGS) $(WARN) $(NATIVE) -DDM_PORT_SCRIPT='"$(SHARE)/modify/port.py"' \
		-DDM_PRELOAD_LIB='"$(PREFIX)/lib/libdynamic_memory.so"' $(DM_SOURCES) -o $(DESTDIR)$(PREFIX)/bin/dm $(DM_LIBS)
	sed 's|@PREFIX@|$(PREFIX)|' dynamic_memory.pc.in > $(DESTDIR)$(PREFIX)/share/pkgconfig/dynamic_memory.pc

clean:
	rm -rf $(BUILD)
