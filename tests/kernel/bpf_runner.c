/* SPDX-License-Identifier: MIT */
/*
 * Runs in-kernel tests: loads BPF objects, checks the expectations their programs state (tests/kernel/progs/test_progs.h),
 * runs them, and prints one line per check and "N passed, N failed" at the end. Nothing is ever skipped: a program
 * that cannot load, attach or run is a failure.
 *
 *   bpf_runner OBJECT...            every program's expectations
 *   bpf_runner --stress OBJECT RUNS the 2-CPU stress (tests/kernel/progs/stress.bpf.c), RUNS test_runs per CPU
 *   bpf_runner --cost OBJECT...     verified_insns per object; within 5% across the objects of each policy
 *   bpf_runner --pin OBJECT         two loads of a DM_PIN object share one heap; bpftool shows its named fields
 */
#include "user/heap_reader.h" /* the heap as userspace reads it, arena setup */

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;

static void verdict(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	ok ? passed++ : failed++;
}

struct expectation {
	int failure, has_retval, runs;
	long long retval;
	char msg[256];
};

/* Reads the decl tags (tests/kernel/progs/test_progs.h) of the program's function from the object's BTF. */
static struct expectation expectation_of(struct bpf_object *obj, struct bpf_program *prog)
{
	struct expectation e = { .runs = 1 };
	const struct btf *btf = bpf_object__btf(obj);
	int func = btf ? btf__find_by_name_kind(btf, bpf_program__name(prog), BTF_KIND_FUNC) : -1;

	for (unsigned id = 1; func > 0 && id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *tag;

		if (!btf_is_decl_tag(t) || t->type != (unsigned)func || btf_decl_tag(t)->component_idx != -1)
			continue;
		tag = btf__name_by_offset(btf, t->name_off);
		if (!strcmp(tag, "comment:dm_expect_failure"))
			e.failure = 1;
		else if (!strncmp(tag, "comment:dm_expect_msg=", 22))
			snprintf(e.msg, sizeof(e.msg), "%s", tag + 22);
		else if (!strncmp(tag, "comment:dm_expect_retval=", 25))
			e.has_retval = 1, e.retval = strtoll(tag + 25, NULL, 0);
		else if (!strncmp(tag, "comment:dm_runs=", 16))
			e.runs = atoi(tag + 16);
	}
	return e;
}

static struct bpf_object *open_object(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj)
		verdict(0, "%s: cannot open: %s", path, strerror(errno));
	return obj;
}

static int io_fd(struct bpf_object *obj)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "dm_test_io");

	return map ? bpf_map__fd(map) : -1;
}

static void io_set(int fd, __u32 key, __u64 value)
{
	bpf_map_update_elem(fd, &key, &value, BPF_ANY);
}
static __u64 io_get(int fd, __u32 key)
{
	__u64 value = 0;

	bpf_map_lookup_elem(fd, &key, &value);
	return value;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int perf_trigger(struct bpf_program *prog, struct bpf_link **link)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_TASK_CLOCK,
		.sample_period = 100000, /* every 100 us of this task's CPU time */
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);

	if (fd < 0)
		return -errno;
	*link = bpf_program__attach_perf_event(prog, fd);
	return *link ? 0 : -errno;
}

/* Runs the program once; *value gets test_run's return value, or what a triggered program reported. */
static int run_once(struct bpf_object *obj, struct bpf_program *prog, long long *value)
{
	char packet[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct bpf_link *link = NULL;
	int io = io_fd(obj), err = 0;

	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_XDP:
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SOCKET_FILTER:
		opts.data_in = packet;
		opts.data_size_in = sizeof(packet);
		/* fallthrough */
	case BPF_PROG_TYPE_SYSCALL:
		err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
		*value = (int)opts.retval;
		return err ? -errno : 0;
	default:
		break;
	}
	/* Attached and triggered: the program reports through dm_test_io. */
	if (io < 0)
		return -ENOENT;
	io_set(io, 0, (__u64)getpid());
	io_set(io, 1, 0);
	if (bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT) {
		err = perf_trigger(prog, &link);
	} else {
		link = bpf_program__attach(prog);
		err = link ? 0 : -errno;
	}
	if (!err && bpf_program__expected_attach_type(prog) == BPF_TRACE_ITER) {
		char buf[4096];
		int fd = bpf_iter_create(bpf_link__fd(link));

		if (fd < 0)
			err = -errno;
		while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
			;
		if (fd >= 0)
			close(fd);
	}
	/* Syscalls trigger the tracepoints; a millisecond of CPU time between them triggers perf_event. 2 s at most. */
	for (int i = 0; !err && i < 2000 && !io_get(io, 1); i++) {
		double until = now_ms() + 1;

		syscall(SYS_getpid);
		while (now_ms() < until)
			;
	}
	bpf_link__destroy(link);
	*value = (long long)io_get(io, 1);
	return err;
}

/* Whether the verifier's log contains the expected message, or one of them: "a|b" lists what different kernels say
 * for the same rejection. */
static int log_says(const char *log, const char *expected)
{
	char alternatives[256], *next = alternatives;

	snprintf(alternatives, sizeof(alternatives), "%s", expected);
	for (char *one = strsep(&next, "|"); one; one = strsep(&next, "|"))
		if (strstr(log, one))
			return 1;
	return 0;
}

static void check_rejection(const char *path, const char *name, const struct expectation *e)
{
	static char log[1 << 20];
	struct bpf_object *obj = open_object(path);
	struct bpf_program *prog, *p;
	int err;

	if (!obj)
		return;
	bpf_object__for_each_program (p, obj)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), name));
	prog = bpf_object__find_program_by_name(obj, name);
	log[0] = 0;
	bpf_program__set_log_buf(prog, log, sizeof(log));
	bpf_program__set_log_level(prog, 1);
	err = bpf_object__load(obj);
	if (!err)
		verdict(0, "%s: loaded, but the verifier should have rejected it", name);
	else
		verdict(log_says(log, e->msg), "%s: rejected, log %s \"%s\"", name,
			log_says(log, e->msg) ? "says" : "does NOT say", e->msg);
	bpf_object__close(obj);
}

static unsigned verified_insns(struct bpf_program *prog)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	return bpf_prog_get_info_by_fd(bpf_program__fd(prog), &info, &len) ? 0 : info.verified_insns;
}

static void run_object(const char *path)
{
	struct bpf_object *obj = open_object(path);
	struct bpf_program *prog;
	int err;

	if (!obj)
		return;
	bpf_object__for_each_program (prog, obj) {
		struct expectation e = expectation_of(obj, prog);

		if (e.failure) {
			check_rejection(path, bpf_program__name(prog), &e);
			bpf_program__set_autoload(prog, false);
		}
	}
	err = bpf_object__load(obj);
	if (err) {
		verdict(0, "%s: load failed: %s", path, strerror(-err));
		bpf_object__close(obj);
		return;
	}
	if (bpf_object__find_program_by_name(obj, "dm_arena_init")) {
		err = dm_arena_setup(obj);
		verdict(!err, "%s: dm_arena_init made the arena heap ready (%d)", path, err);
	}
	bpf_object__for_each_program (prog, obj) {
		struct expectation e = expectation_of(obj, prog);
		long long value = 0;

		if (e.failure)
			continue;
		if (!e.has_retval) {
			verdict(1, "%s: loads (%u verified insns)", bpf_program__name(prog), verified_insns(prog));
			continue;
		}
		for (int i = 0; i < e.runs && !err; i++)
			err = run_once(obj, prog, &value);
		if (err)
			verdict(0, "%s: could not run: %s", bpf_program__name(prog), strerror(-err));
		else
			verdict(value == e.retval, "%s: %s, %d run%s, result %lld (expected %lld), %u verified insns",
				bpf_program__name(prog), libbpf_bpf_prog_type_str(bpf_program__type(prog)), e.runs,
				e.runs > 1 ? "s" : "", value, e.retval, verified_insns(prog));
	}
	bpf_object__close(obj);
}

struct stress_cpu {
	int prog_fd, cpu, runs, errors;
};

static void *stress_on_cpu(void *arg)
{
	struct stress_cpu *s = arg;

	for (int i = 0; i < s->runs; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = (__u32)s->cpu);

		s->errors += bpf_prog_test_run_opts(s->prog_fd, &opts) != 0;
	}
	return NULL;
}

static int run_program_on(struct bpf_object *obj, const char *name, int cpu)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = cpu >= 0 ? BPF_F_TEST_RUN_ON_CPU : 0,
		    .cpu = cpu >= 0 ? (__u32)cpu : 0);
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);

	if (!prog || bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
		return -1;
	return (int)opts.retval;
}

static void stress(const char *path, int runs)
{
	struct bpf_object *obj = open_object(path);
	struct stress_cpu cpu[2];
	pthread_t thread[2];
	struct heap_reader reader;
	struct heap_walk heap = { 0 };
	int ncpu = libbpf_num_possible_cpus(), errors = 0, requests, unread;

	if (!obj)
		return;
	if (bpf_object__load(obj) || dm_arena_setup(obj)) {
		verdict(0, "%s: load failed", path);
		return;
	}
	verdict(ncpu >= 2, "stress: %d CPUs possible (2 needed)", ncpu);
	for (int c = 0; c < 2; c++) {
		cpu[c] = (struct stress_cpu){ bpf_program__fd(bpf_object__find_program_by_name(obj, "stress_ops")), c,
					      runs, 0 };
		pthread_create(&thread[c], NULL, stress_on_cpu, &cpu[c]);
	}
	for (int c = 0; c < 2; c++) {
		pthread_join(thread[c], NULL);
		errors += cpu[c].errors;
		errors += run_program_on(obj, "stress_drain", c) != 0;
	}
	verdict(!errors, "stress: %d x 5000 operations on each of CPUs 0 and 1 at once, %d test_run errors", runs,
		errors);
	unread = heap_reader_open_object(&reader, obj) || heap_reader_snapshot(&reader) ||
		 heap_reader_walk(&reader, 0, &heap, NULL);
	requests = run_program_on(obj, "stress_requests", -1);
	if (!unread)
		printf("     requests %d, of which served by the heap itself %llu, lock failures %llu\n", requests,
		       (unsigned long long)heap.ctl->c.allocations + heap.ctl->c.failed_allocations,
		       (unsigned long long)heap.stats.lock_failures);
	else
		printf("     %s%s\n", reader.error, heap.error);
	/* A malloc that gave up on the lock is neither an allocation nor a failed one: it counts in lock_failures. */
	verdict(!unread && requests + heap.stats.lock_failures >= (unsigned long long)runs * 5000,
		"stress: at least half of the %d operations were allocations", 2 * runs * 5000);
	verdict(run_program_on(obj, "stress_verdict", -1) == 1,
		"stress: afterwards, in-kernel static_check() == 0, every block freed (allocations == frees, 0 used), "
		"no block overwritten");
	heap_reader_close(&reader);
	bpf_object__close(obj);
}

/* Loads the object twice with one pin root: the second load must reuse the first's heap (pinned by name). */
static void pin(const char *path)
{
	static const char root[] = "/sys/fs/bpf/dm_test_pin", map[] = "/sys/fs/bpf/dm_test_pin/dm_heap",
			  caches[] = "/sys/fs/bpf/dm_test_pin/dm_cache";
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = root);
	struct bpf_object *obj[2] = { NULL, NULL };
	char line[512], command[128];
	int allocations[2] = { -1, -1 }, named = 0;
	FILE *dump;

	mkdir(root, 0700); /* may exist already */
	unlink(map);
	unlink(caches);
	for (int i = 0; i < 2; i++) {
		obj[i] = bpf_object__open_file(path, &opts);
		if (!obj[i] || bpf_object__load(obj[i])) {
			verdict(0, "pin: load %d of %s failed: %s", i + 1, path, strerror(errno));
			goto out;
		}
		allocations[i] = run_program_on(obj[i], "pinned_alloc", -1);
	}
	verdict(allocations[0] == 1 && allocations[1] == 2,
		"pin: two loads share the heap pinned at %s (allocations seen: %d, then %d)", map, allocations[0],
		allocations[1]);
	snprintf(command, sizeof(command), "bpftool map dump pinned %s 2>&1", map);
	dump = popen(command, "r");
	while (dump && fgets(line, sizeof(line), dump))
		named += strstr(line, "\"generation\": 1,") != NULL || strstr(line, "\"lock_failures\": 0,") != NULL;
	if (dump)
		pclose(dump);
	verdict(named == 2,
		"pin: bpftool map dump shows the heap's named fields (\"generation\": 1, formatted once; \"lock_failures\")");
out:
	for (int i = 0; i < 2; i++)
		bpf_object__close(obj[i]);
	unlink(map);
	unlink(caches);
	rmdir(root);
}

/* Objects named GROUP-POOLSIZE.bpf.o (cost-seg-4096.bpf.o, cost-arena-ff-65536.bpf.o): within a group (a heap and
 * policy), verified_insns may differ by at most 5% across pool sizes. */
#define COST_GROUPS 8
static void cost(int n, char **paths)
{
	char group[COST_GROUPS][64] = { { 0 } };
	unsigned lo[COST_GROUPS], hi[COST_GROUPS] = { 0 };
	int groups = 0;

	printf("| object | verified_insns | load ms |\n|---|---|---|\n");
	for (int i = 0; i < n; i++) {
		const char *name = strrchr(paths[i], '/') ? strrchr(paths[i], '/') + 1 : paths[i];
		struct bpf_object *obj = open_object(paths[i]);
		int g = 0, len = (int)(strrchr(name, '-') ? strrchr(name, '-') - name : 0);
		unsigned insns;

		while (g < groups && (strlen(group[g]) != (size_t)len || strncmp(group[g], name, (size_t)len)))
			g++;
		if (!obj || g == COST_GROUPS)
			continue;
		if (g == groups) {
			snprintf(group[groups++], sizeof(group[g]), "%.*s", len, name);
			lo[g] = ~0u;
		}
		double t0 = now_ms(), t1;

		if (bpf_object__load(obj)) {
			verdict(0, "%s: load failed", paths[i]);
			continue;
		}
		t1 = now_ms();
		insns = verified_insns(bpf_object__find_program_by_name(obj, "one_malloc"));
		printf("| %s | %u | %.1f |\n", name, insns, t1 - t0);
		lo[g] = insns < lo[g] ? insns : lo[g];
		hi[g] = insns > hi[g] ? insns : hi[g];
		bpf_object__close(obj);
	}
	for (int g = 0; g < groups; g++)
		verdict(hi[g] && hi[g] * 100 <= lo[g] * 105,
			"cost: %s, verified_insns %u..%u across pool sizes (within 5%%)", group[g], lo[g], hi[g]);
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	struct statfs fs;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: %s OBJECT...              check every program's expectations\n"
			"       %s --stress OBJECT RUNS   2-CPU stress of the shared heap\n"
			"       %s --cost OBJECT...       verified_insns across pool sizes\n"
			"       %s --pin OBJECT           two loads share one pinned heap\n",
			argv[0], argv[0], argv[0], argv[0]);
		return argc < 2 ? 2 : 0;
	}
	libbpf_set_print(print_libbpf);
	/* Tracepoints are found through tracefs and pinned maps live in bpffs: a fresh machine may have neither. */
	if (access("/sys/kernel/tracing/events", F_OK))
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	if (statfs("/sys/fs/bpf", &fs) || fs.f_type != BPF_FS_MAGIC)
		mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL);
	if (!strcmp(argv[1], "--stress") && argc == 4)
		stress(argv[2], atoi(argv[3]));
	else if (!strcmp(argv[1], "--cost"))
		cost(argc - 2, argv + 2);
	else if (!strcmp(argv[1], "--pin") && argc == 3)
		pin(argv[2]);
	else
		for (int i = 1; i < argc; i++)
			run_object(argv[i]);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
