/* SPDX-License-Identifier: MIT */
/*
 * fork while threads allocate, on libdynamic_memory.so (tests/tools/preload.bats): THREADS threads malloc, fill,
 * check and free without pause while the main thread forks FORKS times. Each child (one thread: the one that forked)
 * allocates, checks and frees blocks of every size class the threads use, then exits normally (exit: its atexit
 * handlers run, and the library writes its report). A child that deadlocks on a lock another thread held at the fork
 * never exits: the test's timeout ends it.
 *
 *   preload_fork [THREADS [FORKS]]     defaults: 4 threads, 20 forks
 *
 * Prints "N forks: every child allocated and exited 0" and exits 0, else says which child failed and exits 1.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLOTS 32

static atomic_int stop;

/* Allocates `rounds` times SLOTS blocks of sizes from 1 B to 64 KiB, each filled with its own byte, and checks them
 * before freeing. Returns the number of blocks that were NULL or damaged. */
static unsigned churn(unsigned seed, unsigned rounds)
{
	unsigned char *block[SLOTS];
	size_t size[SLOTS];
	unsigned bad = 0;

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned s = 0; s < SLOTS; s++) {
			seed = seed * 1103515245u + 12345u;
			size[s] = 1 + (seed >> 8) % (s % 4 == 3 ? 65536 : 512);
			block[s] = malloc(size[s]);
			if (block[s])
				memset(block[s], (int)(s + r), size[s]);
		}
		for (unsigned s = 0; s < SLOTS; s++) {
			if (!block[s] || block[s][0] != (unsigned char)(s + r) ||
			    block[s][size[s] - 1] != (unsigned char)(s + r))
				bad++;
			free(block[s]);
		}
	}
	return bad;
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(size_t)arg, bad = 0;

	while (!atomic_load(&stop))
		bad += churn(seed++, 1);
	return (void *)(size_t)bad;
}

int main(int argc, char **argv)
{
	unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 4, forks = argc > 2 ? (unsigned)atoi(argv[2]) : 20;
	pthread_t thread[64];
	unsigned failed = 0;

	if (threads < 1 || threads > 64 || forks < 1) {
		fprintf(stderr, "usage: %s [THREADS (1..64) [FORKS]]\n", argv[0]);
		return 2;
	}
	for (unsigned t = 0; t < threads; t++)
		if (pthread_create(&thread[t], NULL, worker, (void *)(size_t)(t + 1))) {
			fprintf(stderr, "cannot start thread %u\n", t);
			return 1;
		}
	for (unsigned f = 0; f < forks; f++) {
		int status;
		pid_t child;

		usleep(2000); /* let the threads get into the heap */
		child = fork();
		if (child == 0)
			exit(churn(1000 + f, 50) ? 3 : 0);
		if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("fork %u: the child %s\n", f,
			       child < 0           ? "could not be made"
			       : WIFEXITED(status) ? "found NULL or damaged blocks"
						   : "did not exit normally");
			failed++;
		}
	}
	atomic_store(&stop, 1);
	for (unsigned t = 0; t < threads; t++) {
		void *bad;

		pthread_join(thread[t], &bad);
		if (bad) {
			printf("thread %u: %zu NULL or damaged blocks\n", t, (size_t)bad);
			failed++;
		}
	}
	if (failed)
		return 1;
	printf("%u forks: every child allocated and exited 0\n", forks);
	return 0;
}
