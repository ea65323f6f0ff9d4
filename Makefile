# SPDX-License-Identifier: MIT
# dynamic_memory: `make help` lists the targets. Layers, each needing more of the machine than the one before:
#   make                 the header's native tests, libdynamic_memory.so and dm: a C compiler and libraries only
#                        (no root, no kernel, no bpftool)
#   make test-native     runs those
#   make kernel-programs the BPF objects, their runner and the examples (clang -target bpf, bpftool, the kernel's BTF)
#   make test-kernel     runs the in-kernel tests on KERNELS (root; qemu for the kernels other than the host's)
#   make lint            formatting, shellcheck, the header under -Wconversion -Wsign-conversion
#   make test            lint, then every test: native, dm's input checks and Csmith (root), in-kernel on KERNELS
# V=1 shows every command line in full.

PREFIX ?= /usr/local
BUILD := build
CC ?= cc
CLANG ?= clang-19
CLANG_FORMAT ?= clang-format
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
# The header compiles clean under these too: its native builds keep it so.
HEADER_WARN := -Wconversion -Wsign-conversion
NATIVE := -Dnative_executable -I.
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
DIFF_OPS ?= 1000000
FUZZ_SECONDS ?= 30
SEEDS ?= 100
# The kernels the in-kernel tests run on: host (this machine's) and Debian's, booted in qemu by tests/vm/vm-run.
KERNELS ?= host 6.1 6.12 6.18
VM_KERNELS = $(filter-out host,$(KERNELS))

V ?= 0
ifeq ($(V),1)
Q :=
say := @:
else
Q := @
say := @printf '  %-9s %s\n'
endif

# A target whose recipe fails is deleted, never left half-written for the next make to take as built.
.DELETE_ON_ERROR:
# Intermediate files (an example's object before its skeleton, the halves of a linked object) are kept.
.SECONDARY:
.DEFAULT_GOAL := all
.PHONY: all help deps kernels kernel-programs test test-native test-kernel lint lint-format lint-shell lint-header \
	demo bench install clean fuzz-port

# The one header users include, and the layers it includes (dynamic_memory/, README "Layout").
HEADER := dynamic_memory.h $(wildcard dynamic_memory/*.h)
MODEL := tests/native/heap_model.h
# The one userspace reader of a heap (user/heap_reader.h): dm, the loaders, the kernel tests and bench link it.
READER := user/heap_reader.c user/heap_reader.h user/stats_columns.h

# ------------------------------------------------------------------ flavours

# The allocator's configurations, by name: the flags each stands for. Targets name their flavour; recipes look its
# flags up here ($(POLICY_$*), or FLAVOUR set per target below), never parse them out of file names.
POLICY_seg :=
POLICY_ff := -DDM_POLICY=DM_POLICY_FIRST_FIT
CONFIG_seg := $(POLICY_seg)
CONFIG_ff := $(POLICY_ff)
CONFIG_seg16 := $(POLICY_seg) -DDM_ALIGN=16
CONFIG_ff16 := $(POLICY_ff) -DDM_ALIGN=16
CONFIGS := seg ff seg16 ff16
HEAP_shared :=
HEAP_arena := -DDM_HEAP_ARENA
CALLED := -DDM_INLINE_FAST_PATH=0

# bpf_variant OBJECT, FLAGS: OBJECT is built from its rule's source with FLAGS (a target-specific FLAVOUR).
define bpf_variant
$(1): FLAVOUR := $(2)
endef

# ------------------------------------------------------------------ native: make, make test-native

# Unit tests and the differential test per configuration, each also under ASan + UBSan; the 4 KiB pool; stress,
# fuzz, and the C allocation interface as libdynamic_memory.so serves it.
UNIT := $(foreach c,$(CONFIGS),$(BUILD)/unit-$(c) $(BUILD)/unit-$(c)-asan)
DIFF := $(foreach c,$(CONFIGS),$(BUILD)/differential-$(c) $(BUILD)/differential-$(c)-asan) \
	$(BUILD)/differential-seg-4k $(BUILD)/differential-ff-4k
PRELOAD_PROGRAMS := $(BUILD)/preload_api $(BUILD)/preload_fork
NATIVE_TESTS := $(UNIT) $(DIFF) $(BUILD)/stress $(BUILD)/fuzz_heap $(PRELOAD_PROGRAMS)
PRELOAD_LIB := $(BUILD)/libdynamic_memory.so

all: $(NATIVE_TESTS) $(BUILD)/native_demo $(PRELOAD_LIB) $(BUILD)/dm

$(BUILD) $(BUILD)/bpf $(BUILD)/bpf-arena $(BUILD)/examples $(BUILD)/bench:
	$(Q)mkdir -p $@

$(BUILD)/unit-%-asan: tests/native/unit.c $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(HEADER_WARN) $(NATIVE) $(SANITIZE) $(CONFIG_$*) $< -o $@ -lcmocka
$(BUILD)/unit-%: tests/native/unit.c $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(HEADER_WARN) $(NATIVE) $(CONFIG_$*) $< -o $@ -lcmocka

$(BUILD)/differential-%-4k: tests/native/differential.c $(MODEL) $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(HEADER_WARN) $(NATIVE) -DDM_POOL_SIZE=4096 $(CONFIG_$*) $< -o $@
$(BUILD)/differential-%-asan: tests/native/differential.c $(MODEL) $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(HEADER_WARN) $(NATIVE) $(SANITIZE) $(CONFIG_$*) $< -o $@
$(BUILD)/differential-%: tests/native/differential.c $(MODEL) $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(HEADER_WARN) $(NATIVE) $(CONFIG_$*) $< -o $@

$(BUILD)/stress: tests/native/stress.c user/stats_columns.h $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(HEADER_WARN) $(NATIVE) -pthread $< -o $@

$(BUILD)/fuzz_heap: tests/native/fuzz_heap.c $(MODEL) $(HEADER) | $(BUILD)
	$(say) CLANG $@
	$(Q)$(CLANG) -g -O1 $(NATIVE) -fsanitize=fuzzer,address,undefined $< -o $@

$(BUILD)/native_demo: user/native_demo.c user/stats_columns.h $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(HEADER_WARN) $(NATIVE) $< -o $@

# libdynamic_memory.so: the native heap as the malloc of any program (LD_PRELOAD). No builtin knowledge of the
# functions it defines: gcc would turn its calloc's malloc + memset into a call to calloc.
PRELOAD_SOURCES := user/preload.c user/preload_heap.h user/preload_stats.h $(HEADER)
PRELOAD_CFLAGS := -fPIC -shared -fvisibility=hidden -ftls-model=initial-exec -fno-builtin-malloc -fno-builtin-calloc \
	-fno-builtin-realloc -fno-builtin-free
$(PRELOAD_LIB): $(PRELOAD_SOURCES) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(HEADER_WARN) $(NATIVE) $(PRELOAD_CFLAGS) $< -o $@

# Programs run under LD_PRELOAD by tests/tools/preload.bats: the C allocation interface as the library serves it,
# and fork while threads allocate.
$(PRELOAD_PROGRAMS): $(BUILD)/%: tests/tools/%.c user/preload_stats.h $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(HEADER_WARN) $(NATIVE) -fno-builtin $< -o $@ -pthread

# The dm tool, a file per command (user/dm/). It finds dm port's front end and libdynamic_memory.so in the source
# tree, or beside itself once installed (user/dm/input.c, dm_data_file): make install installs this very binary.
DM_LIBS := -lbpf -lelf -lmicrohttpd -pthread
DM_SOURCES := $(wildcard user/dm/*.c) user/heap_reader.c user/preload_stats.c
$(BUILD)/dm: $(DM_SOURCES) $(wildcard user/dm/*.h) $(READER) user/preload_heap.h user/preload_stats.h \
		port/include/dm_port_records.h $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(NATIVE) -DDM_PORT_SCRIPT='"$(abspath port/port.py)"' \
		-DDM_PRELOAD_LIB='"$(abspath $(PRELOAD_LIB))"' $(DM_SOURCES) -o $@ $(DM_LIBS)

# ------------------------------------------------------------------ kernel: make kernel-programs, make test-kernel

# BPF objects whose programs state their expectations, and the runner that checks them.
# -idirafter: <linux/bpf.h> needs the multiarch asm/ headers, which clang -target bpf does not search.
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -I. -I$(BUILD) -Itests/kernel/progs -idirafter /usr/include/$(shell $(CC) -print-multiarch)
BPF_TESTS := $(addprefix $(BUILD)/bpf/,program_types.bpf.o verifier_rejects.bpf.o heap_features.bpf.o \
	heap_percpu.bpf.o linked.bpf.o include_uapi.bpf.o heap_features_not_preemptible.bpf.o)
# The same tests against the arena heap, and the tests only an arena heap can pass.
ARENA_TESTS := $(addprefix $(BUILD)/bpf-arena/,program_types.bpf.o heap_features.bpf.o linked.bpf.o)

# The one-malloc program (tests/kernel/progs/cost.bpf.c) per heap, policy, pool size, with the fast path inline
# (default) and called (DM_INLINE_FAST_PATH=0): cost-[arena-|called-]POLICY-POOLSIZE (bpf_runner --cost groups them
# by the name before the pool size). The ARRAY heap's load on every kernel of the matrix, the arena's need 6.9+
# (tests/kernel.sh).
COST_POOLS := 4096 65536 16777216 268435456
COST_ARRAY_OBJS := $(foreach p,seg ff,$(foreach s,$(COST_POOLS),$(BUILD)/bpf/cost-$(p)-$(s).bpf.o)) \
	$(foreach p,seg ff,$(foreach s,$(COST_POOLS),$(BUILD)/bpf/cost-called-$(p)-$(s).bpf.o))
COST_ARENA_OBJS := $(foreach p,seg ff,$(foreach s,$(COST_POOLS) 2147483648,$(BUILD)/bpf/cost-arena-$(p)-$(s).bpf.o))
COST_OBJS := $(COST_ARRAY_OBJS) $(COST_ARENA_OBJS)
$(foreach p,seg ff,$(foreach s,$(COST_POOLS), \
	$(eval $(call bpf_variant,$(BUILD)/bpf/cost-$(p)-$(s).bpf.o,$(POLICY_$(p)) -DDM_POOL_SIZE=$(s))) \
	$(eval $(call bpf_variant,$(BUILD)/bpf/cost-called-$(p)-$(s).bpf.o,$(POLICY_$(p)) -DDM_POOL_SIZE=$(s) $(CALLED)))))
$(foreach p,seg ff,$(foreach s,$(COST_POOLS) 2147483648, \
	$(eval $(call bpf_variant,$(BUILD)/bpf/cost-arena-$(p)-$(s).bpf.o,$(HEAP_arena) $(POLICY_$(p)) -DDM_POOL_SIZE=$(s)))))

STAT_FIXTURES := $(BUILD)/bpf/stat_fixture.bpf.o $(BUILD)/bpf/stat_fixture_percpu.bpf.o \
	$(BUILD)/bpf-arena/stat_fixture.bpf.o
KERNEL_TESTS := $(BUILD)/bpf_runner $(BPF_TESTS) $(ARENA_TESTS) $(BUILD)/bpf-arena/stress.bpf.o $(BUILD)/bpf/stress.bpf.o \
	$(BUILD)/arena $(BUILD)/arena_globals $(BUILD)/bpf-arena/arena_globals_small_room.bpf.o $(BUILD)/bpf/pinned.bpf.o \
	$(COST_OBJS) $(STAT_FIXTURES)

# Examples, libbpf-bootstrap style: examples/bpf/X.bpf.c + X.c (+ X.h, what both share), the loader built against
# X's skeleton.
EXAMPLES := linked_list packet_sizes percpu_scratch hash_table
EXAMPLE_BINS := $(addprefix $(BUILD)/,$(EXAMPLES))

kernel-programs: $(BUILD)/dm $(KERNEL_TESTS) $(EXAMPLE_BINS)

$(BUILD)/vmlinux.h: | $(BUILD)
	$(say) BPFTOOL $@
	$(Q)bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/bpf/cost-%.bpf.o: tests/kernel/progs/cost.bpf.c tests/kernel/progs/test_progs.h $(HEADER) $(BUILD)/vmlinux.h | $(BUILD)/bpf
	$(say) CLANG $@
	$(Q)$(CLANG) $(BPF_CFLAGS) $(FLAVOUR) -c $< -o $@
$(BUILD)/bpf/heap_features_not_preemptible.bpf.o: tests/kernel/progs/heap_features.bpf.c tests/kernel/progs/test_progs.h \
		$(HEADER) $(BUILD)/vmlinux.h | $(BUILD)/bpf
	$(say) CLANG $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -DDM_NOT_PREEMPTIBLE=1 -c $< -o $@
$(BUILD)/bpf/%.bpf.o: tests/kernel/progs/%.bpf.c tests/kernel/progs/test_progs.h $(HEADER) $(BUILD)/vmlinux.h | $(BUILD)/bpf
	$(say) CLANG $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/bpf-arena/%.bpf.o: tests/kernel/progs/%.bpf.c tests/kernel/progs/test_progs.h $(HEADER) $(BUILD)/vmlinux.h | $(BUILD)/bpf-arena
	$(say) CLANG $@
	$(Q)$(CLANG) $(BPF_CFLAGS) $(HEAP_arena) $(FLAVOUR) -c $< -o $@

# Two files, one heap: the weak heap map of both becomes one when linked.
$(BUILD)/%/linked.bpf.o: $(BUILD)/%/linked_build.bpf.o $(BUILD)/%/linked_check.bpf.o
	$(say) BPFTOOL $@
	$(Q)bpftool gen object $@ $^

$(BUILD)/bpf_runner: tests/kernel/bpf_runner.c $(READER) $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(NATIVE) $< user/heap_reader.c -o $@ -lbpf -pthread

$(BUILD)/bpf-arena/%.skel.h: $(BUILD)/bpf-arena/%.bpf.o
	$(say) BPFTOOL $@
	$(Q)bpftool gen skeleton $< > $@

$(BUILD)/arena: tests/kernel/arena.c tests/kernel/test_run.h tests/kernel/progs/arena_structures.h $(BUILD)/bpf-arena/arena_structures.skel.h \
		$(READER) $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(NATIVE) -I$(BUILD)/bpf-arena $< user/heap_reader.c -o $@ -lbpf -lcmocka
$(BUILD)/bpf-arena/arena_structures.bpf.o: tests/kernel/progs/arena_structures.h

# Programs with their own __arena globals (issue 15): arena_globals as it is and with DM_ARENA_GLOBALS too small for
# its globals (in another 4 GiB window: the test maps both at once); two objects on one pinned arena.
ARENA_GLOBALS_SKELS := $(addprefix $(BUILD)/bpf-arena/,arena_globals.skel.h arena_globals_pinned.skel.h \
	arena_globals_peer.skel.h)
$(BUILD)/arena_globals: tests/kernel/arena_globals.c tests/kernel/test_run.h tests/kernel/progs/arena_globals.h $(ARENA_GLOBALS_SKELS) \
		$(READER) $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(NATIVE) -I$(BUILD)/bpf-arena $< user/heap_reader.c -o $@ -lbpf -lcmocka
$(addprefix $(BUILD)/bpf-arena/,arena_globals.bpf.o arena_globals_pinned.bpf.o arena_globals_peer.bpf.o): \
	tests/kernel/progs/arena_globals.h
$(eval $(call bpf_variant,$(BUILD)/bpf-arena/arena_globals_small_room.bpf.o,\
	-DDM_ARENA_GLOBALS=4096 "-DDM_ARENA_WINDOW=(2ull << 44)"))
$(BUILD)/bpf-arena/arena_globals_small_room.bpf.o: tests/kernel/progs/arena_globals.bpf.c tests/kernel/progs/arena_globals.h $(HEADER) \
		$(BUILD)/vmlinux.h | $(BUILD)/bpf-arena
	$(say) CLANG $@
	$(Q)$(CLANG) $(BPF_CFLAGS) $(HEAP_arena) $(FLAVOUR) -c $< -o $@

$(BUILD)/examples/%.bpf.o: examples/bpf/%.bpf.c $(wildcard examples/bpf/*.h) $(HEADER) $(BUILD)/vmlinux.h | \
		$(BUILD)/examples
	$(say) CLANG $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/examples/%.skel.h: $(BUILD)/examples/%.bpf.o
	$(say) BPFTOOL $@
	$(Q)bpftool gen skeleton $< > $@
$(EXAMPLE_BINS): $(BUILD)/%: examples/bpf/%.c $(BUILD)/examples/%.skel.h $(wildcard examples/bpf/*.h) $(READER) \
		$(HEADER)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARN) $(NATIVE) -I$(BUILD)/examples $< user/heap_reader.c -o $@ -lbpf

# ------------------------------------------------------------------ tests

# Every test runs even when an earlier one fails; tests/run.sh prints the summary and sets the exit status.
# Everything is built on the host first: in a VM the tests only read build outputs (their writes are lost).
TEST_ARGS = $(BUILD) $(DIFF_OPS) $(FUZZ_SECONDS) "$(KERNELS)" "$(BPF_TESTS)" "$(ARENA_TESTS)" "$(COST_ARRAY_OBJS)" \
	"$(COST_ARENA_OBJS)"

test-native: all
	@tests/run.sh native $(TEST_ARGS)

test-kernel: kernels
	@$(MAKE) --no-print-directory kernel-programs
	@tests/run.sh kernel $(TEST_ARGS)

test: kernels
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory all kernel-programs
	@tests/run.sh all $(TEST_ARGS)

# The files clang-format keeps (.clang-format): every C file but the allocator's (dynamic_memory.h and dynamic_memory/
# keep their hand alignment: clang-format 14 would also take `(DM_POOL_SIZE) - 1` for a cast) and the test inputs of
# dm port and the rewriter (tests/tools/port/, tests/tools/modify/), whose text and line numbers the tests compare.
FORMATTED := $(wildcard user/*.[ch] user/dm/*.[ch] examples/bpf/*.[ch] bench/*.[ch] port/include/*.h \
	tests/native/*.[ch] tests/kernel/*.[ch] tests/kernel/progs/*.[ch] tests/tools/*.c)
SHELL_SCRIPTS := scripts/deps.sh scripts/demo.sh tests/vm/arenas-refused tests/vm/arena-kernel tests/run.sh tests/kernel.sh tests/harness.sh tests/tools/dm_stat_helpers.bash tests/tools/dm_run_kernel.bash \
	tests/vm/init tests/vm/vm-run tests/vm/prepare-kernels bench/run.sh bench/preload.sh modify/modify.sh .ci/run \
	$(wildcard tests/*.bats tests/tools/*.bats)

lint: lint-format lint-shell lint-header

lint-format:
	$(say) FORMAT "$(words $(FORMATTED)) files"
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $(FORMATTED)

lint-shell:
	$(say) SHELLCHK "$(words $(SHELL_SCRIPTS)) scripts"
	$(Q)shellcheck $(SHELL_SCRIPTS)

# The header alone, in every configuration, under HEADER_WARN: what its native builds and a user's -Wconversion see.
lint-header:
	$(say) HEADER "$(HEADER_WARN), $(CONFIGS)"
	$(Q)$(foreach c,$(CONFIGS),echo '#include "dynamic_memory.h"' | \
		$(CC) -x c -fsyntax-only $(WARN) $(HEADER_WARN) $(NATIVE) $(CONFIG_$(c)) - &&) true

# dm port's differential fuzzer on Csmith programs, longer than the fixed seeds of make test; failures are kept in
# $(BUILD)/csmith-failures. Its programs run where make test's do (tests/vm/arena-kernel): here, or on the oldest
# kernel of KERNELS with arenas, booted in qemu for each dm run, when this machine refuses arenas to root (that
# kernel is prepared first, as make kernels would).
fuzz-port: deps $(BUILD)/dm
	@kernel=$$(tests/vm/arena-kernel "$(KERNELS)") && \
	{ [ "$$kernel" = host ] || tests/vm/prepare-kernels $(BUILD)/kernels "$$kernel"; } && \
	python3 tests/tools/port_csmith.py --dm $(BUILD)/dm --first 1000 --seeds $(SEEDS) \
		--keep $(BUILD)/csmith-failures --run-kernel "$$kernel" --kernels $(BUILD)/kernels

# ------------------------------------------------------------------ demo, bench, install

# A plain C program that mallocs, run natively and in the kernel (dm port + dm run), side by side; then the heap.
DEMO := port/examples/linked_list.c
demo: deps $(BUILD)/dm
	@scripts/demo.sh $(BUILD) $(DEMO)

# Benchmarks: bench/heap_ops.bpf.c per heap and policy, the baselines, the drivers.
BENCH_HEAPS := shared percpu arena
BENCH_HEAP_shared := $(HEAP_shared) -DDM_POOL_SIZE=1048576
BENCH_HEAP_percpu := -DDM_HEAP_PERCPU -DDM_POOL_SIZE=16384
BENCH_HEAP_arena := $(HEAP_arena) -DDM_POOL_SIZE=1048576
BENCH_OBJS := $(foreach h,$(BENCH_HEAPS),$(foreach p,seg ff,$(BUILD)/bench/heap-$(h)-$(p).bpf.o)) \
	$(BUILD)/bench/heap-shared-seg-called.bpf.o $(BUILD)/bench/heap-shared-ff-called.bpf.o \
	$(BUILD)/bench/heap-shared-seg-not-preemptible.bpf.o $(BUILD)/bench/heap-arena-seg-inline.bpf.o
$(foreach h,$(BENCH_HEAPS),$(foreach p,seg ff, \
	$(eval $(call bpf_variant,$(BUILD)/bench/heap-$(h)-$(p).bpf.o,$(BENCH_HEAP_$(h)) $(POLICY_$(p))))))
$(foreach p,seg ff, \
	$(eval $(call bpf_variant,$(BUILD)/bench/heap-shared-$(p)-called.bpf.o,$(BENCH_HEAP_shared) $(POLICY_$(p)) $(CALLED))))
$(eval $(call bpf_variant,$(BUILD)/bench/heap-shared-seg-not-preemptible.bpf.o,$(BENCH_HEAP_shared) $(POLICY_seg) \
	-DDM_NOT_PREEMPTIBLE=1))
$(eval $(call bpf_variant,$(BUILD)/bench/heap-arena-seg-inline.bpf.o,$(BENCH_HEAP_arena) $(POLICY_seg) \
	-DDM_INLINE_FAST_PATH=1))
BENCH_BINS := $(BENCH_OBJS) $(BUILD)/bench/baselines.bpf.o $(BUILD)/bench_kernel $(BUILD)/bench_native \
	$(BUILD)/bench_fragmentation_seg $(BUILD)/bench_fragmentation_ff

$(BUILD)/bench/heap-%.bpf.o: bench/heap_ops.bpf.c $(HEADER) $(BUILD)/vmlinux.h | $(BUILD)/bench
	$(say) CLANG $@
	$(Q)$(CLANG) $(BPF_CFLAGS) $(FLAVOUR) -c $< -o $@
$(BUILD)/bench/baselines.bpf.o: bench/baselines.bpf.c $(BUILD)/vmlinux.h | $(BUILD)/bench
	$(say) CLANG $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
# The thread-safe build at plain -O2, as a user would build it.
$(BUILD)/bench_kernel: bench/kernel.c $(READER) $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) -O2 $(WARN) $(NATIVE) $< user/heap_reader.c -o $@ -lbpf -pthread
$(BUILD)/bench_native: bench/native.c $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) -O2 $(WARN) $(NATIVE) -DDM_POOL_SIZE=16777216 $< -o $@ -pthread -ljemalloc -lmimalloc
$(BUILD)/bench_fragmentation_%: bench/fragmentation.c bench/first_fit_reference.h $(HEADER) | $(BUILD)
	$(say) CC $@
	$(Q)$(CC) -O2 $(WARN) $(NATIVE) -Ibench $(POLICY_$*) $< -o $@

# Writes bench/RESULTS.md and bench/*.png (BENCH_QUICK=1: a short run). Needs root, like the in-kernel tests.
bench: deps
	@$(MAKE) --no-print-directory $(BENCH_BINS) $(COST_OBJS) $(PRELOAD_LIB)
	@bench/run.sh $(BUILD) "$(COST_OBJS)"

# Installs the dm and libdynamic_memory.so that make built and make test tested (dm finds the library and dm port's
# front end beside itself: lib/, share/dynamic_memory/), the header, and a pkg-config file.
SHARE := $(PREFIX)/share/dynamic_memory
install: $(HEADER) $(BUILD)/dm $(PRELOAD_LIB)
	install -d $(DESTDIR)$(PREFIX)/include/dynamic_memory $(DESTDIR)$(PREFIX)/share/pkgconfig \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SHARE)/dynamic_memory $(DESTDIR)$(SHARE)/port/include $(DESTDIR)$(SHARE)/modify \
		$(DESTDIR)$(PREFIX)/lib
	install -m 755 $(BUILD)/dm $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(PRELOAD_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 dynamic_memory.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 dynamic_memory/*.h $(DESTDIR)$(PREFIX)/include/dynamic_memory/
	install -m 644 dynamic_memory.h $(DESTDIR)$(SHARE)/
	install -m 644 dynamic_memory/*.h $(DESTDIR)$(SHARE)/dynamic_memory/
	install -m 755 modify/modify.sh $(DESTDIR)$(SHARE)/modify/
	install -m 755 port/port.py $(DESTDIR)$(SHARE)/port/
	install -m 644 modify/*.cocci $(DESTDIR)$(SHARE)/modify/
	install -m 644 port/include/*.h $(DESTDIR)$(SHARE)/port/include/
	sed 's|@PREFIX@|$(PREFIX)|' dynamic_memory.pc.in > $(DESTDIR)$(PREFIX)/share/pkgconfig/dynamic_memory.pc

# ------------------------------------------------------------------ the rest

help:
	@echo "make              build the header's native tests (every configuration, ASan + UBSan), the native demo,"
	@echo "                  libdynamic_memory.so and dm into $(BUILD)/ (no root, no kernel, no bpftool needed)"
	@echo "make test-native  run the native tests: unit, differential, sanitizers, fuzz, stress, the rewriter, preload"
	@echo "make kernel-programs  build the BPF test objects, their runner and the examples (clang, bpftool, kernel BTF)"
	@echo "make test-kernel  the in-kernel tests on KERNELS (e.g. make test-kernel KERNELS=6.1; root)"
	@echo "make lint         clang-format (FORMATTED files), shellcheck, the header under $(HEADER_WARN)"
	@echo "make test         lint, then every test: native, dm's input checks and Csmith (root), then the in-kernel"
	@echo "                  tests on each of KERNELS (host, and Debian's 6.1, 6.12 and 6.18 booted in qemu)"
	@echo "make deps         install the Debian packages the project needs (no-op when present)"
	@echo "make kernels      download and prepare Debian's kernels for the VM ($(BUILD)/kernels/; once)"
	@echo "make demo         port a C program that mallocs with dm port, run it natively and in the kernel"
	@echo "make fuzz-port    dm port against native on SEEDS=$(SEEDS) Csmith seeds (two programs each; needs root)"
	@echo "make bench        run the benchmarks, write bench/RESULTS.md and plots (BENCH_QUICK=1: about a minute)"
	@echo "make install      install dm, libdynamic_memory.so, the header and a pkg-config file under PREFIX ($(PREFIX))"
	@echo "make clean        remove $(BUILD)/"
	@echo "variables: DIFF_OPS=$(DIFF_OPS) (differential operations per configuration), FUZZ_SECONDS=$(FUZZ_SECONDS)"
	@echo "           KERNELS=\"$(KERNELS)\" (make test, make test-kernel), V=1 (full command lines)"

deps:
	@scripts/deps.sh

# Debian's linux-image packages, unpacked, never installed (tests/vm/prepare-kernels; a second run does nothing).
kernels: deps
	@$(if $(VM_KERNELS),tests/vm/prepare-kernels $(BUILD)/kernels $(VM_KERNELS))

clean:
	rm -rf $(BUILD)
