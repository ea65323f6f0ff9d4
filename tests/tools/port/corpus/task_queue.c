/* task_queue: a binary min-heap of tasks with random priorities (count and seed from the command line), each task
 * with a heap-allocated name; pops them in priority order, re-queuing some with a new priority, and reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct task {
	unsigned priority;
	unsigned id;
	char *name;
};

struct queue {
	struct task **items;
	unsigned count;
	unsigned capacity;
};

static int queue_push(struct queue *q, struct task *t)
{
	unsigned i;

	if (q->count == q->capacity) {
		unsigned capacity = q->capacity ? q->capacity * 2 : 4;
		struct task **items = realloc(q->items, capacity * sizeof(struct task *));

		if (!items)
			return -1;
		q->items = items;
		q->capacity = capacity;
	}
	i = q->count++;
	while (i > 0) {
		unsigned parent = (i - 1) / 2;

		if (q->items[parent]->priority < t->priority ||
		    (q->items[parent]->priority == t->priority && q->items[parent]->id < t->id))
			break;
		q->items[i] = q->items[parent];
		i = parent;
	}
	q->items[i] = t;
	return 0;
}

static int earlier(struct task *a, struct task *b)
{
	return a->priority < b->priority || (a->priority == b->priority && a->id < b->id);
}

static struct task *queue_pop(struct queue *q)
{
	struct task *top, *last;
	unsigned i = 0;

	if (q->count == 0)
		return NULL;
	top = q->items[0];
	last = q->items[--q->count];
	while (2 * i + 1 < q->count) {
		unsigned child = 2 * i + 1;

		if (child + 1 < q->count && earlier(q->items[child + 1], q->items[child]))
			child++;
		if (!earlier(q->items[child], last))
			break;
		q->items[i] = q->items[child];
		i = child;
	}
	q->items[i] = last;
	return top;
}

static const char *verb_of(unsigned id)
{
	switch (id % 6) {
	case 0:
		return "build";
	case 1:
		return "test";
	case 2:
		return "deploy";
	case 3:
		return "review";
	case 4:
		return "merge";
	default:
		return "benchmark";
	}
}

static struct task *task_new(unsigned id, unsigned priority)
{
	struct task *t = malloc(sizeof(*t));
	const char *verb = verb_of(id);

	if (!t)
		return NULL;
	t->name = malloc(strlen(verb) + 12);
	if (!t->name) {
		free(t);
		return NULL;
	}
	strcpy(t->name, verb);
	strcat(t->name, "-");
	t->name[strlen(verb) + 1] = (char)('a' + id % 26);
	t->name[strlen(verb) + 2] = 0;
	t->id = id;
	t->priority = priority;
	return t;
}

int main(int argc, char **argv)
{
	struct queue *q = calloc(1, sizeof(*q));
	unsigned count, i, popped = 0, requeued = 0;
	struct task *t;

	if (argc < 3) {
		fprintf(stderr, "usage: %s COUNT SEED\n", argv[0]);
		return 2;
	}
	count = (unsigned)atoi(argv[1]);
	srand((unsigned)atoi(argv[2]));
	if (!q)
		return 1;
	for (i = 0; i < count; i++) {
		t = task_new(i, (unsigned)rand() % 100);
		if (!t || queue_push(q, t)) {
			fprintf(stderr, "%s: out of memory at task %u\n", argv[0], i);
			exit(EXIT_FAILURE);
		}
	}
	printf("queued %u tasks, capacity %u\n", q->count, q->capacity);
	while ((t = queue_pop(q)) != NULL) {
		popped++;
		if (t->priority % 7 == 3 && requeued < 5) {
			t->priority += 50;
			requeued++;
			printf("requeue %-12s id %3u -> priority %u\n", t->name, t->id, t->priority);
			queue_push(q, t);
			continue;
		}
		if (popped % 5 == 1)
			printf("run %-12s id %3u priority %2u\n", t->name, t->id, t->priority);
		free(t->name);
		free(t);
	}
	printf("popped %u times, %u requeued\n", popped, requeued);
	free(q->items);
	free(q);
	return 0;
}
