/* SPDX-License-Identifier: MIT */
/*
 * In-kernel benchmarks (BPF_PROG_TEST_RUN): malloc + free pairs on every heap against the kernel's own answers, cost
 * across occupancy and sizes, pointer chasing, 2-CPU throughput, verifier cost. Every figure is the median of RUNS
 * runs; within a table, each run measures every row once, in turn, so that rows are compared side by side. Prints
 * Markdown for bench/RESULTS.md and writes gnuplot data files into OUT_DIR.
 *
 *   bench_kernel [--pairs] OUT_DIR RUNS REPEAT OBJECT_DIR [COST_OBJECT...]
 *
 * --pairs: the pair table alone (bench/run.sh measures the arena heaps that way in a VM where this machine refuses
 * arenas).
 *
 * OBJECT_DIR holds baselines.bpf.o and heap-{shared,percpu,arena}-{seg,ff}.bpf.o, heap-shared-{seg,ff}-called.bpf.o
 * (DM_INLINE_FAST_PATH=0), heap-shared-seg-not-preemptible.bpf.o (DM_NOT_PREEMPTIBLE=1) and
 * heap-arena-seg-inline.bpf.o (DM_INLINE_FAST_PATH=1, the arena heap's default being 0), all from
 * bench/heap_ops.bpf.c.
 */
#define _GNU_SOURCE
#include "user/heap_reader.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 32

static int runs, repeat;
static const char *out_dir;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_RUNS];

	memcpy(s, v, sizeof(*v) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ns per run of an XDP program repeated `times` times in the kernel: the kernel's own average, which leaves out
 * the time the test run spends rescheduled (wall clock here advances in ~4 ms steps under test runs). */
static double xdp_ns(int fd, int times)
{
	char packet[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof(packet), .repeat = times);

	if (bpf_prog_test_run_opts(fd, &opts)) {
		perror("bench: BPF_PROG_TEST_RUN");
		exit(1);
	}
	return opts.duration;
}

static int run_syscall(int fd)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(fd, &opts)) {
		perror("bench: BPF_PROG_TEST_RUN (syscall)");
		exit(1);
	}
	return (int)opts.retval;
}

/* A benchmark object, or NULL when this kernel refuses it (say, arena heaps before 6.9): its rows then say so. */
static struct bpf_object *load(const char *dir, const char *name)
{
	char path[512];
	struct bpf_object *obj;

	snprintf(path, sizeof(path), "%s/%s.bpf.o", dir, name);
	obj = bpf_object__open_file(path, NULL);
	if (!obj || bpf_object__load(obj) || dm_arena_setup(obj)) {
		fprintf(stderr,
			"bench: %s did not load here: its rows are not measured (root is needed; arena heaps need "
			"a kernel with BPF arenas and the right to create them)\n",
			path);
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}
#define NOT_MEASURED "not measured (did not load here)"

/* The baselines; without their arena page program (and its arena) where this kernel refuses arenas. */
static int arena_baseline = 1;
static struct bpf_object *load_baselines(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/baselines.bpf.o", dir);
	for (int with_arena = 1; with_arena >= 0; with_arena--) {
		struct bpf_object *obj = bpf_object__open_file(path, NULL);

		if (!obj)
			break;
		bpf_map__set_autocreate(bpf_object__find_map_by_name(obj, "page_arena"), with_arena);
		bpf_program__set_autoload(bpf_object__find_program_by_name(obj, "arena_page"), with_arena);
		if (!bpf_object__load(obj)) {
			arena_baseline = with_arena;
			return obj;
		}
		bpf_object__close(obj);
	}
	fprintf(stderr, "bench: %s does not load, even without its arena (root is needed)\n", path);
	return NULL;
}

static int prog(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	if (!p) {
		fprintf(stderr, "bench: no program %s\n", name);
		exit(1);
	}
	return bpf_program__fd(p);
}

/* The heap objects' parameters, in their own mmapped map (.data.params). */
struct params {
	__u64 pair_size, fill_target;
};
static struct params *params(struct bpf_object *obj)
{
	size_t size = 0;

	return bpf_map__initial_value(bpf_object__find_map_by_name(obj, ".data.params"), &size);
}

#define HEAPS 10
static const char *heap_names[HEAPS] = { "shared-seg",        "shared-ff",        "percpu-seg",
					 "percpu-ff",         "arena-seg",        "arena-ff",
					 "shared-seg-called", "shared-ff-called", "shared-seg-not-preemptible",
					 "arena-seg-inline" };
static const char *heap_labels[HEAPS] = {
	"shared heap, segregated",
	"shared heap, first fit",
	"per-CPU heap, segregated",
	"per-CPU heap, first fit",
	"arena heap, segregated",
	"arena heap, first fit",
	"shared heap, segregated, fast path called",
	"shared heap, first fit, fast path called",
	"shared heap, segregated, DM_NOT_PREEMPTIBLE",
	"arena heap, segregated, fast path inline",
};
static struct bpf_object *heap[HEAPS], *baselines;
static const __u64 heap_capacity[HEAPS] = { 1 << 20, 1 << 20, 16384,   16384,   1 << 20,
					    1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20 };

static FILE *data_file(const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	return f;
}

/* 1. The pair against the kernel's own answers. */
#define BASES 6
static void pair_table(void)
{
	static const char *base_prog[] = { "empty", "cas_lock", "spin_lock", "obj_new", "queue_slot", "ten_calls" };
	static const char *base_label[] = { "empty XDP program",
					    "map lookup + CAS try-lock/release",
					    "map lookup + bpf_spin_lock/unlock",
					    "bpf_obj_new + bpf_obj_drop (64 B)",
					    "fixed slot from a QUEUE map (pop + push)",
					    "10 calls of an empty global subprogram" };
	double ns[BASES + HEAPS][MAX_RUNS], page[MAX_RUNS], net_obj[MAX_RUNS], net_cas[MAX_RUNS];
	int page_fd = arena_baseline ? prog(baselines, "arena_page") : -1;
	FILE *dat = data_file("pair.dat");

	for (__u32 slot = 0; slot < 1024; slot++)
		bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(baselines, "free_slots")), NULL, &slot, 0);
	for (int h = 0; h < HEAPS; h++)
		if (heap[h])
			params(heap[h])->pair_size = 64;
	for (int r = 0; r < runs; r++) {
		for (int b = 0; b < BASES; b++)
			ns[b][r] = xdp_ns(prog(baselines, base_prog[b]), repeat);
		for (int h = 0; h < HEAPS; h++)
			ns[BASES + h][r] = heap[h] ? xdp_ns(prog(heap[h], "pair"), repeat) : 0;
		page[r] = 1e30;
		for (int i = 0; i < 100 && arena_baseline; i++) { /* the fastest of 100: a syscall program runs once */
			int ns_taken = run_syscall(page_fd);

			if (ns_taken > 0 && ns_taken < page[r])
				page[r] = ns_taken;
		}
		net_obj[r] = ns[3][r] - ns[0][r];
		net_cas[r] = ns[1][r] - ns[0][r];
	}
	printf("### malloc(64) + free pair, XDP, %d repeats per run, median of %d runs\n\n", repeat, runs);
	printf("| program | ns per run | ns above empty | bpf_obj_new pair / this | this / CAS lock |\n");
	printf("|---|---|---|---|---|\n");
	for (int i = 0; i < BASES + HEAPS; i++) {
		double net[MAX_RUNS], vs_obj[MAX_RUNS], vs_cas[MAX_RUNS];
		const char *label = i < BASES ? base_label[i] : heap_labels[i - BASES];

		for (int r = 0; r < runs; r++) {
			net[r] = ns[i][r] - ns[0][r];
			vs_obj[r] = net_obj[r] / (net[r] > 0.05 ? net[r] : 0.05);
			vs_cas[r] = net[r] / (net_cas[r] > 0.05 ? net_cas[r] : 0.05);
		}
		if (!i) {
			printf("| %s | %.0f | — | — | — |\n", label, median(ns[i], runs));
			continue;
		}
		if (i >= BASES && !heap[i - BASES]) {
			printf("| **%s** | " NOT_MEASURED " | — | — | — |\n", label);
			continue;
		}
		printf("| %s%s%s | %.0f | %.0f | %.1f | %.1f |\n", i >= BASES ? "**" : "", label,
		       i >= BASES ? "**" : "", median(ns[i], runs), median(net, runs), median(vs_obj, runs),
		       median(vs_cas, runs));
		fprintf(dat, "\"%s\" %.2f\n", label, median(net, runs));
	}
	if (arena_baseline)
		printf("| arena page alloc + free (syscall program only; timed inside, fastest of 100 per run) | %.0f | "
		       "— | — | — |\n\n",
		       median(page, runs));
	else
		printf("| arena page alloc + free | " NOT_MEASURED " | — | — | — |\n\n");
	fclose(dat);
}

/* 2. Pair cost as the heap fills up with random sizes (8..512 B, filled a quarter over, thinned by random frees). */
static void occupancy_table(void)
{
	static const int occupancy[] = { 0, 25, 50, 75, 95 };
	static const int which[] = { 0, 1, 4, 5 };
	double ns[4][5][MAX_RUNS], empty[MAX_RUNS];
	FILE *dat = data_file("occupancy.dat");

	for (int r = 0; r < runs; r++) {
		empty[r] = xdp_ns(prog(baselines, "empty"), repeat);
		for (int w = 0; w < 4; w++)
			for (int o = 0; o < 5 && heap[which[w]]; o++) {
				struct bpf_object *obj = heap[which[w]];

				params(obj)->fill_target = heap_capacity[which[w]] * (__u64)occupancy[o] / 100;
				if (run_syscall(prog(obj, "prefill"))) {
					fprintf(stderr, "bench: prefill left an inconsistent heap\n");
					exit(1);
				}
				ns[w][o][r] = xdp_ns(prog(obj, "pair"), repeat) - empty[r];
			}
	}
	printf("### Pair cost (ns above empty) by occupancy, 1 MiB heap filled with random sizes 8..512 B, "
	       "median of %d runs\n\n| heap | 0%% | 25%% | 50%% | 75%% | 95%% | max / min |\n|---|---|---|---|---|---|---|\n",
	       runs);
	for (int w = 0; w < 4; w++) {
		double lo = 1e30, hi = 0;

		if (!heap[which[w]]) {
			printf("| %s | " NOT_MEASURED " | | | | | |\n", heap_labels[which[w]]);
			continue;
		}
		printf("| %s |", heap_labels[which[w]]);
		for (int o = 0; o < 5; o++) {
			double m = median(ns[w][o], runs);

			printf(" %.1f |", m);
			lo = m < lo ? m : lo, hi = m > hi ? m : hi;
		}
		printf(" %.2f |\n", hi / (lo > 0.05 ? lo : 0.05));
	}
	for (int o = 0; o < 5; o++) {
		fprintf(dat, "%d", occupancy[o]);
		for (int w = 0; w < 4; w++)
			fprintf(dat, heap[which[w]] ? " %.2f" : " NaN", median(ns[w][o], runs));
		fprintf(dat, "\n");
	}
	printf("\n");
	fclose(dat);
}

/* 3. Pair cost by size, 8 B to 4 KiB, on an empty heap. */
static void size_table(void)
{
	static const int which[] = { 0, 1, 4, 5 };
	double ns[4][10][MAX_RUNS], empty[MAX_RUNS];
	FILE *dat = data_file("sizes.dat");

	for (int w = 0; w < 4; w++) {
		if (!heap[which[w]])
			continue;
		params(heap[which[w]])->fill_target = 0;
		run_syscall(prog(heap[which[w]], "prefill")); /* an empty heap */
	}
	for (int r = 0; r < runs; r++) {
		empty[r] = xdp_ns(prog(baselines, "empty"), repeat);
		for (int w = 0; w < 4; w++)
			for (int s = 0; s < 10 && heap[which[w]]; s++) {
				params(heap[which[w]])->pair_size = 8u << s;
				ns[w][s][r] = xdp_ns(prog(heap[which[w]], "pair"), repeat) - empty[r];
			}
	}
	printf("### Pair cost (ns above empty) by request size, median of %d runs\n\n| heap |", runs);
	for (int s = 0; s < 10; s++)
		printf(" %u B |", 8u << s);
	printf("\n|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (int w = 0; w < 4; w++) {
		printf("| %s |", heap_labels[which[w]]);
		for (int s = 0; s < 10; s++)
			printf(heap[which[w]] ? " %.1f |" : " — |", median(ns[w][s], runs));
		printf("\n");
	}
	for (int s = 0; s < 10; s++) {
		fprintf(dat, "%u", 8u << s);
		for (int w = 0; w < 4; w++)
			fprintf(dat, heap[which[w]] ? " %.2f" : " NaN", median(ns[w][s], runs));
		fprintf(dat, "\n");
	}
	for (int w = 0; w < 4; w++)
		if (heap[which[w]])
			params(heap[which[w]])->pair_size = 64;
	printf("\n");
	fclose(dat);
}

/* 4. Pointer chasing: ns per node of a 1000-node list walk, DM_PTR on the ARRAY heap against plain arena pointers. */
static void walk_table(void)
{
	static const int which[] = { 0, 4 };
	double per_node[2][MAX_RUNS];

	for (int w = 0; w < 2; w++)
		if (heap[which[w]])
			run_syscall(prog(heap[which[w]], "build_list"));
	for (int r = 0; r < runs; r++) {
		double empty = xdp_ns(prog(baselines, "empty"), repeat / 10);

		for (int w = 0; w < 2; w++)
			per_node[w][r] =
				heap[which[w]] ? (xdp_ns(prog(heap[which[w]], "walk"), repeat / 10) - empty) / 1000 : 0;
	}
	printf("### Pointer chasing: a 1000-node list walked with can_loop, median of %d runs\n\n"
	       "| heap | ns per node | vs arena |\n|---|---|---|\n",
	       runs);
	for (int w = 0; w < 2; w++) {
		printf("| %s (%s) | ", heap_labels[which[w]], w ? "plain pointers" : "DM_PTR re-derivation");
		if (!heap[which[w]])
			printf(NOT_MEASURED " | — |\n");
		else if (!heap[which[1]])
			printf("%.2f | — |\n", median(per_node[w], runs));
		else
			printf("%.2f | %.2f |\n", median(per_node[w], runs),
			       median(per_node[w], runs) / median(per_node[1], runs));
	}
	printf("\n");
}

/* 4b. The random workload: one operation per run (a malloc of 8..512 B into an empty slot of 512, or the free of
 * a full one), against the empty program. */
static void random_table(void)
{
	double ns[HEAPS][MAX_RUNS];
	FILE *dat = data_file("random.dat");

	for (int r = 0; r < runs; r++) {
		double empty = xdp_ns(prog(baselines, "empty"), repeat);

		for (int h = 0; h < HEAPS; h++)
			ns[h][r] = heap[h] ? xdp_ns(prog(heap[h], "random_op"), repeat) - empty : 0;
	}
	for (int h = 0; h < HEAPS; h++) /* what the workload left would weigh on the tables after this one */
		if (heap[h]) {
			params(heap[h])->fill_target = 0;
			run_syscall(prog(heap[h], "prefill"));
		}
	printf("### Random workload: one malloc (8..512 B) or free per run over 512 slots, ns above the empty program, "
	       "median of %d runs\n\n| heap | ns per operation |\n|---|---|\n",
	       runs);
	for (int h = 0; h < HEAPS; h++) {
		if (!heap[h]) {
			printf("| %s | " NOT_MEASURED " |\n", heap_labels[h]);
			continue;
		}
		printf("| %s | %.1f |\n", heap_labels[h], median(ns[h], runs));
		fprintf(dat, "\"%s\" %.2f\n", heap_labels[h], median(ns[h], runs));
	}
	printf("\n");
	fclose(dat);
}

/* 5. Throughput with both CPUs allocating at once, against one CPU alone. */
struct cpu_job {
	int fd, cpu, times;
	pthread_barrier_t *start;
};
static void *on_cpu(void *arg)
{
	struct cpu_job *job = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(job->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(job->start);
	xdp_ns(job->fd, job->times);
	return NULL;
}
static double pairs_per_us(int fd, int cpus)
{
	pthread_barrier_t start;
	struct cpu_job job[2];
	pthread_t thread[2];
	double begin;

	pthread_barrier_init(&start, NULL, (unsigned)cpus + 1);
	for (int c = 0; c < cpus; c++) {
		job[c] = (struct cpu_job){ fd, c, repeat, &start };
		pthread_create(&thread[c], NULL, on_cpu, &job[c]);
	}
	pthread_barrier_wait(&start);
	begin = now_ns();
	for (int c = 0; c < cpus; c++)
		pthread_join(thread[c], NULL);
	pthread_barrier_destroy(&start);
	return (double)cpus * repeat / ((now_ns() - begin) / 1e3);
}
static void throughput_table(void)
{
	double one[HEAPS][MAX_RUNS], two[HEAPS][MAX_RUNS];
	FILE *dat = data_file("throughput.dat");

	for (int r = 0; r < runs; r++)
		for (int h = 0; h < HEAPS; h++) {
			one[h][r] = heap[h] ? pairs_per_us(prog(heap[h], "pair"), 1) : 0;
			two[h][r] = heap[h] ? pairs_per_us(prog(heap[h], "pair"), 2) : 0;
		}
	printf("### Throughput, million malloc(64) + free pairs per second, median of %d runs\n\n"
	       "| heap | 1 CPU | 2 CPUs at once | scaling |\n|---|---|---|---|\n",
	       runs);
	for (int h = 0; h < HEAPS; h++) {
		double scaling = heap[h] ? median(two[h], runs) / median(one[h], runs) : 0;

		if (!heap[h]) {
			printf("| %s | " NOT_MEASURED " | | |\n", heap_labels[h]);
			continue;
		}
		printf("| %s | %.1f | %.1f | %.2fx |\n", heap_labels[h], median(one[h], runs), median(two[h], runs),
		       scaling);
		fprintf(dat, "\"%s\" %.2f\n", heap_labels[h], scaling);
	}
	printf("\n");
	fclose(dat);
}

/* 6. The verifier's cost of a one-malloc program (tests/kernel/progs/cost.bpf.c), and load time. */
static void cost_table(int n, char **paths)
{
	printf("### Verifier cost of a one-malloc program by pool size (tests/kernel/progs/cost.bpf.c), load time median of "
	       "%d loads\n\n| object | verified_insns | load ms |\n|---|---|---|\n",
	       runs);
	for (int i = 0; i < n; i++) {
		const char *name = strrchr(paths[i], '/') ? strrchr(paths[i], '/') + 1 : paths[i];
		double ms[MAX_RUNS];
		unsigned insns = 0;
		int r;

		for (r = 0; r < runs; r++) {
			struct bpf_object *obj = bpf_object__open_file(paths[i], NULL);
			struct bpf_prog_info info = { 0 };
			__u32 len = sizeof(info);
			double start = now_ns();

			if (!obj || bpf_object__load(obj)) {
				fprintf(stderr, "bench: %s did not load here: not measured\n", paths[i]);
				bpf_object__close(obj);
				break;
			}
			ms[r] = (now_ns() - start) / 1e6;
			if (!bpf_prog_get_info_by_fd(prog(obj, "one_malloc"), &info, &len))
				insns = info.verified_insns;
			bpf_object__close(obj);
		}
		if (r < runs)
			printf("| %s | " NOT_MEASURED " | — |\n", name);
		else
			printf("| %s | %u | %.1f |\n", name, insns, median(ms, runs));
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *self = argv[0];
	int pairs_only = argc > 1 && !strcmp(argv[1], "--pairs");

	argc -= pairs_only, argv += pairs_only;
	if (argc < 5 || atoi(argv[2]) < 1 || atoi(argv[2]) > MAX_RUNS || atoi(argv[3]) < 1000) {
		fprintf(stderr, "usage: %s [--pairs] OUT_DIR RUNS(1..%d) REPEAT(>=1000) OBJECT_DIR [COST_OBJECT...]\n",
			self, MAX_RUNS);
		return argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	out_dir = argv[1], runs = atoi(argv[2]), repeat = atoi(argv[3]);
	baselines = load_baselines(argv[4]);
	if (!baselines)
		return 1;
	for (int h = 0; h < HEAPS; h++) {
		char name[64];

		snprintf(name, sizeof(name), "heap-%s", heap_names[h]);
		heap[h] = load(argv[4], name);
	}
	fprintf(stderr, "bench: pair costs\n");
	pair_table();
	if (pairs_only)
		return 0;
	fprintf(stderr, "bench: occupancy\n");
	occupancy_table();
	fprintf(stderr, "bench: sizes\n");
	size_table();
	fprintf(stderr, "bench: pointer chasing\n");
	walk_table();
	fprintf(stderr, "bench: 2-CPU throughput\n");
	throughput_table();
	fprintf(stderr, "bench: random workload\n");
	random_table(); /* last: on a per-CPU heap it leaves other CPUs' copies as it found them, full */
	/* The cost objects' arenas sit where the heap objects' arena is mapped in this process: unload those first. */
	for (int h = 0; h < HEAPS; h++)
		bpf_object__close(heap[h]);
	bpf_object__close(baselines);
	fprintf(stderr, "bench: verifier cost\n");
	cost_table(argc - 5, argv + 5);
	return 0;
}
