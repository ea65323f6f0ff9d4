/* SPDX-License-Identifier: MIT */
/*
 * Arena heap programs with their own `__arena` globals (issue 15), end to end (cmocka). Needs root and a kernel with
 * BPF arenas (>= 6.9).
 *   - tests/kernel/progs/arena_globals.bpf.c: libbpf writes its globals at load, before dm_arena_init; the heap is set up
 *     after a reader has touched it, twice; XDP pushes onto a list rooted in an `__arena` global and raw_tp walks it;
 *     this process reads the same globals through the skeleton, at the addresses the programs use, off the heap.
 *   - The same program built with a DM_ARENA_GLOBALS too small for its globals: dm_arena_setup refuses it.
 *   - Two objects sharing a pinned arena (DM_PIN), globals in each: one list, one heap, one set of globals.
 * The tests of a group run in order and share its loaded objects.
 */
#include "user/heap_reader.h"
#include "tests/kernel/progs/arena_globals.h"
#include "arena_globals.skel.h"
#include "arena_globals_pinned.skel.h"
#include "arena_globals_peer.skel.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <cmocka.h>
#include "tests/kernel/test_run.h"

#define PUSHES 300

static struct arena_globals_bpf *skel;
static struct arena_globals_pinned_bpf *pinned;
static struct arena_globals_peer_bpf *peer;
static char pin_root[64];
static const char *small_room_object; /* argv[1]: arena_globals.bpf.c built with DM_ARENA_GLOBALS=4096 */

/* ------------------------------------------------ one object ------------------------------------------------ */

static int load(void **state)
{
	(void)state;
	skel = arena_globals_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr,
			"cannot load arena_globals.bpf.o: %s (root and a kernel with BPF arenas, >= 6.9, are "
			"needed)\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

static int unload(void **state)
{
	(void)state;
	arena_globals_bpf__destroy(skel);
	return 0;
}

static void test_libbpf_wrote_the_globals_before_dm_arena_init(void **state)
{
	(void)state;
	assert_int_equal(run_program(skel->progs.globals_before_init), 1);
	assert_int_equal(skel->arena->init_byte, INIT_BYTE);
	assert_int_equal(skel->arena->init_half, INIT_HALF);
	assert_true(skel->arena->init_word == INIT_WORD);
	assert_int_equal(skel->arena->init_page_plus_one[4096], INIT_PAST_PAGE);
	assert_int_equal(skel->arena->zero_page_plus_one[4096], 0);
}

/* The globals, the heap and the arena as laid out: the globals inside the arena and off the heap; the programs see
 * them at the addresses this process does. */
static void test_globals_and_heap_do_not_overlap(void **state)
{
	struct bpf_map *arena = skel->maps.dm_arena;
	uintptr_t start = (uintptr_t)bpf_map__map_extra(arena), end = start + heap_reader_arena_bytes(arena);
	uintptr_t heap = (uintptr_t)heap_reader_arena(arena), globals = (uintptr_t)skel->arena;
	size_t globals_size = 0;

	(void)state;
	bpf_map__initial_value(arena, &globals_size);
	assert_true(globals_size > 2 * PAGE_PLUS_ONE && globals_size <= sizeof(*skel->arena));
	assert_true(heap && globals >= start && globals + globals_size <= end);
	assert_true(globals + globals_size <= heap || globals >= heap + sizeof(struct dm_heap));
	assert_true(heap + sizeof(struct dm_heap) <= end);
	assert_int_equal(run_program(skel->progs.where), 0);
	assert_true(skel->bss->places.head == (uintptr_t)&skel->arena->head);
	assert_true(skel->bss->places.count == (uintptr_t)&skel->arena->count);
	assert_true(skel->bss->places.page_plus_one_end == (uintptr_t)&skel->arena->zero_page_plus_one[4096]);
	assert_true(skel->bss->places.heap == heap);
}

/* A reader faults the heap's first page in before dm_arena_init (the arena has no BPF_F_SEGV_ON_FAULT); the setup
 * must still allocate the pool, and a second setup must change nothing. */
static void test_setup_after_a_read_and_twice(void **state)
{
	(void)state;
	assert_int_not_equal(heap_reader_arena(skel->maps.dm_arena)->magic, DM_MAGIC);
	assert_int_equal(dm_arena_setup(skel->obj), 0);
	assert_int_equal(heap_reader_arena(skel->maps.dm_arena)->magic, DM_MAGIC);
	assert_int_equal(dm_arena_setup(skel->obj), 0);
	assert_int_equal(heap_reader_arena(skel->maps.dm_arena)->c.used_blocks, 0);
	assert_true(skel->arena->init_word == INIT_WORD); /* the globals are untouched by the setup */
}

static void test_xdp_pushes_and_raw_tp_walks_from_the_arena_root(void **state)
{
	struct bpf_link *link;

	(void)state;
	for (int i = 0; i < PUSHES; i++)
		assert_int_equal(run_program(skel->progs.push), 2 /* XDP_PASS */);
	skel->bss->walker_pid = (__u32)getpid();
	link = bpf_program__attach(skel->progs.walk);
	assert_non_null(link);
	syscall(SYS_getpid);
	bpf_link__destroy(link);
	assert_true(skel->bss->walks >= 1);
	assert_int_equal(skel->bss->walked_items, PUSHES);
	assert_int_equal(skel->bss->walked_sum, PUSHES * (PUSHES + 1) / 2);
	assert_int_equal(heap_reader_arena(skel->maps.dm_arena)->c.used_blocks, PUSHES);
}

/* This process follows the same root and pointers, and sees the globals the programs wrote and those they did not. */
static void test_userspace_reads_the_same_globals(void **state)
{
	__u64 expected = PUSHES, items = 0;

	(void)state;
	assert_int_equal(skel->arena->count, PUSHES);
	assert_int_equal(skel->arena->zero_page_plus_one[4096], PUSHES % 256);
	for (struct item *it = skel->arena->head; it; it = it->next, expected--, items++)
		assert_int_equal(it->val, expected);
	assert_int_equal(items, PUSHES);
	assert_int_equal(skel->arena->init_byte, INIT_BYTE);
	assert_int_equal(skel->arena->init_page_plus_one[0], INIT_FIRST);
	assert_int_equal(skel->arena->init_page_plus_one[4095], INIT_LAST_OF_PAGE);
	assert_int_equal(skel->arena->zero_words[2], 0);
	assert_int_equal(heap_reader_arena(skel->maps.dm_arena)->c.corruptions, 0);
}

/* Globals larger than DM_ARENA_GLOBALS would lie on the heap: the setup says so and refuses. */
static void test_globals_larger_than_their_room_are_refused(void **state)
{
	struct bpf_object *obj = bpf_object__open_file(small_room_object, NULL);

	(void)state;
	if (!obj)
		fail_msg("cannot open %s: %s", small_room_object, strerror(errno));
	assert_int_equal(bpf_object__load(obj), 0);
	assert_int_equal(dm_arena_setup(obj), -E2BIG);
	bpf_object__close(obj);
}

/* ------------------------------------- two objects, one pinned arena ------------------------------------- */

static int load_pinned(void **state)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);
	struct statfs fs;

	(void)state;
	if (statfs("/sys/fs/bpf", &fs) || fs.f_type != BPF_FS_MAGIC)
		mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL);
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/dm_arena_globals_%d", (int)getpid());
	if (mkdir(pin_root, 0700)) {
		fprintf(stderr, "cannot create %s: %s\n", pin_root, strerror(errno));
		return -1;
	}
	pinned = arena_globals_pinned_bpf__open_opts(&opts);
	if (!pinned || arena_globals_pinned_bpf__load(pinned))
		return -1;
	peer = arena_globals_peer_bpf__open_opts(&opts);
	if (!peer || arena_globals_peer_bpf__load(peer))
		return -1;
	return 0;
}

static int unload_pinned(void **state)
{
	char map[96];

	(void)state;
	arena_globals_peer_bpf__destroy(peer);
	arena_globals_pinned_bpf__destroy(pinned);
	/* DM_PIN pins the heap's arena and the front-end caches beside it */
	for (const char **name = (const char *[]){ "dm_arena", "dm_cache", NULL }; *name; name++) {
		snprintf(map, sizeof(map), "%s/%s", pin_root, *name);
		unlink(map);
	}
	rmdir(pin_root);
	return 0;
}

static __u32 map_id(const struct bpf_map *map)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	assert_int_equal(bpf_map_get_info_by_fd(bpf_map__fd(map), &info, &len), 0);
	return info.id;
}

static void test_the_second_object_reuses_the_pinned_arena(void **state)
{
	(void)state;
	assert_int_equal(map_id(peer->maps.dm_arena), map_id(pinned->maps.dm_arena));
	assert_int_equal(dm_arena_setup(pinned->obj), 0);
	assert_int_equal(dm_arena_setup(peer->obj), 0); /* the heap is ready already */
	assert_int_equal(heap_reader_arena(pinned->maps.dm_arena)->c.allocations, 0);
}

/* libbpf puts both objects' globals at the same offsets: one set of globals, which the first load initialised. */
static void test_both_objects_see_the_globals_at_one_place(void **state)
{
	(void)state;
	assert_int_equal(run_program(pinned->progs.where), 1);
	assert_int_equal(run_program(peer->progs.peer_where), 1);
	assert_memory_equal(&pinned->bss->places, &peer->bss->places, sizeof(struct places));
	assert_true(pinned->bss->places.count == (uintptr_t)&pinned->arena->shared.count);
	assert_true(pinned->bss->places.heap == (uintptr_t)heap_reader_arena(pinned->maps.dm_arena));
}

static void test_one_list_one_heap(void **state)
{
	struct bpf_link *link;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(run_program(pinned->progs.push), 2 /* XDP_PASS */);
	for (int i = 0; i < 2; i++)
		assert_int_equal(run_program(peer->progs.peer_push), 1);
	assert_int_equal(run_program(peer->progs.peer_count), 5);
	pinned->bss->walker_pid = (__u32)getpid();
	link = bpf_program__attach(pinned->progs.walk);
	assert_non_null(link);
	syscall(SYS_getpid);
	bpf_link__destroy(link);
	assert_int_equal(pinned->bss->walked_items, 5);
	assert_int_equal(pinned->bss->walked_sum, 15);
	assert_int_equal(pinned->arena->shared.count, 5);
	assert_int_equal(pinned->arena->shared.zero_page_plus_one[4096], 5);
	/* Five blocks in use by the program; the heap's own count also has the blocks a refill parked beside them. */
	assert_int_equal(heap_reader_arena(peer->maps.dm_arena)->c.used_blocks -
				 heap_reader_cache_sums(bpf_map__fd(peer->maps.dm_cache),
							heap_reader_arena(peer->maps.dm_arena)->generation, -1)
					 .blocks,
			 5);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest one_object[] = {
		cmocka_unit_test(test_libbpf_wrote_the_globals_before_dm_arena_init),
		cmocka_unit_test(test_globals_and_heap_do_not_overlap),
		cmocka_unit_test(test_setup_after_a_read_and_twice),
		cmocka_unit_test(test_xdp_pushes_and_raw_tp_walks_from_the_arena_root),
		cmocka_unit_test(test_userspace_reads_the_same_globals),
		cmocka_unit_test(test_globals_larger_than_their_room_are_refused),
	};
	const struct CMUnitTest pinned_arena[] = {
		cmocka_unit_test(test_the_second_object_reuses_the_pinned_arena),
		cmocka_unit_test(test_both_objects_see_the_globals_at_one_place),
		cmocka_unit_test(test_one_list_one_heap),
	};
	int failures;

	if (argc != 2 || !strcmp(argv[1], "--help")) {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: %s SMALL_ROOM_OBJECT\n(build/bpf-arena/"
			"arena_globals_small_room.bpf.o: the test program with DM_ARENA_GLOBALS=4096)\n",
			argv[0]);
		return argc == 2 ? 0 : 2;
	}
	small_room_object = argv[1];
	failures = cmocka_run_group_tests_name("arena globals", one_object, load, unload);

	/* The one-object group maps its arena in this process at the same address: gone before the next one. */
	return failures |
	       cmocka_run_group_tests_name("two objects, one pinned arena", pinned_arena, load_pinned, unload_pinned);
}
