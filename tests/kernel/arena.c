/* SPDX-License-Identifier: MIT */
/*
 * The arena heap end to end (cmocka): tests/kernel/progs/arena_structures.bpf.c refuses allocations before dm_arena_init,
 * builds a list and a hash table in XDP, walks them in raw_tp, deletes from the table in a syscall program; this
 * process walks the same structures through the mmapped arena, with the same types, following stored pointers as
 * they are. The tests run in order and share one loaded object. Needs root and a kernel with BPF arenas (>= 6.9).
 */
#include "user/heap_reader.h"
#include "tests/kernel/progs/arena_structures.h"
#include "arena_structures.skel.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>
#include "tests/kernel/test_run.h"

static struct arena_structures_bpf *skel;
static struct bpf_object *obj;
/* The object's globals, mmapped by libbpf: the same variables the programs use. */
#define globals (skel->bss)

static int load(void **state)
{
	(void)state;
	skel = arena_structures_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr,
			"cannot load arena_structures.bpf.o: %s (root and a kernel with BPF arenas, >= 6.9, "
			"are needed)\n",
			strerror(errno));
		return -1;
	}
	obj = skel->obj;
	return 0;
}

static int unload(void **state)
{
	(void)state;
	arena_structures_bpf__destroy(skel);
	return 0;
}

static int run(const char *name)
{
	return run_program(bpf_object__find_program_by_name(obj, name));
}

static const struct dm_control *control(void)
{
	return heap_reader_arena(skel->maps.dm_arena);
}

static void test_allocation_before_init_fails_and_is_counted(void **state)
{
	(void)state;
	assert_int_equal(run("malloc_before_init"), 1);
}

static void test_dm_arena_setup_readies_the_heap_once(void **state)
{
	(void)state;
	assert_int_equal(dm_arena_setup(obj), 0);
	assert_int_equal(control()->magic, DM_MAGIC);
	assert_int_equal(dm_arena_setup(obj), 0); /* again: nothing changes */
	assert_int_equal(control()->c.used_blocks, 0);
}

static void test_xdp_builds_and_raw_tp_walks(void **state)
{
	(void)state;
	assert_int_equal(run("build"), 2 /* XDP_PASS */);
	assert_int_equal(control()->c.used_blocks, LIST_ITEMS + 1 + TABLE_KEYS);
	globals->walker_pid = (__u32)getpid();
	struct bpf_link *link = bpf_program__attach(skel->progs.walk);
	assert_non_null(link);
	syscall(SYS_getpid);
	bpf_link__destroy(link);
	assert_true(globals->walks >= 1);
	assert_int_equal(globals->list_items, LIST_ITEMS);
	assert_int_equal(globals->list_sum, LIST_ITEMS * (LIST_ITEMS + 1) / 2);
	assert_int_equal(globals->keys_found, TABLE_KEYS);
	assert_int_equal(globals->keys_wrong, 0);
}

static __u64 userspace_lookup(__u64 key)
{
	for (struct entry *e = globals->table[table_hash(key)]; e; e = e->next)
		if (e->key == key)
			return e->value;
	return 0;
}

static void test_userspace_walks_the_same_pointers(void **state)
{
	__u64 sum = 0, items = 0;

	(void)state;
	for (struct item *it = globals->list_head; it; it = it->next)
		sum += it->value, items++;
	assert_int_equal(items, LIST_ITEMS);
	assert_int_equal(sum, LIST_ITEMS * (LIST_ITEMS + 1) / 2);
	for (__u64 key = 1; key <= TABLE_KEYS; key++)
		assert_int_equal(userspace_lookup(key), key * key);
	assert_int_equal(userspace_lookup(TABLE_KEYS + 1), 0);
}

/* The heap's live blocks as static_stats counts them, by the reader dm stat uses (blocks parked in the front-end
 * caches are free to the program). */
static __u64 live_blocks(void)
{
	struct heap_reader reader;
	struct heap_walk walk;
	__u64 blocks;

	assert_int_equal(heap_reader_open_object(&reader, skel->obj), HEAP_READ_OK);
	assert_int_equal(heap_reader_snapshot(&reader), HEAP_READ_OK);
	assert_int_equal(heap_reader_walk(&reader, 0, &walk, NULL), HEAP_READ_OK);
	blocks = walk.stats.used_blocks;
	heap_reader_close(&reader);
	return blocks;
}

static void test_deletions_are_seen_by_userspace(void **state)
{
	(void)state;
	assert_int_equal(run("delete_even_keys"), TABLE_KEYS / 2);
	for (__u64 key = 1; key <= TABLE_KEYS; key++)
		assert_int_equal(userspace_lookup(key), key % 2 ? key * key : 0);
	assert_int_equal(live_blocks(), LIST_ITEMS + 1 + TABLE_KEYS / 2);
}

static void test_bad_pointers_are_refused(void **state)
{
	(void)state;
	assert_int_equal(run("bad_pointers_refused"), 1);
	assert_int_equal(control()->c.corruptions, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocation_before_init_fails_and_is_counted),
		cmocka_unit_test(test_dm_arena_setup_readies_the_heap_once),
		cmocka_unit_test(test_xdp_builds_and_raw_tp_walks),
		cmocka_unit_test(test_userspace_walks_the_same_pointers),
		cmocka_unit_test(test_deletions_are_seen_by_userspace),
		cmocka_unit_test(test_bad_pointers_are_refused),
	};

	return cmocka_run_group_tests_name("arena heap", tests, load, unload);
}
