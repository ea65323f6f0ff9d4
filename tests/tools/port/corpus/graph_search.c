/* graph_search: reads an undirected graph from standard input ("N" then edges "U V"), stores it as adjacency lists
 * on the heap, and walks it breadth first and depth first from the vertex given on the command line, calling a
 * visitor callback for each vertex; the visitors are chosen by name (print, count, degree). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct edge {
	int to;
	struct edge *next;
};

struct graph {
	int vertices;
	struct edge **adjacent;
	int *degree;
};

typedef void (*visitor)(struct graph *g, int vertex, int depth, long *state);

static void visit_print(struct graph *g, int vertex, int depth, long *state)
{
	(void)g;
	printf("  visit %d at depth %d\n", vertex, depth);
	(*state)++;
}

static void visit_count(struct graph *g, int vertex, int depth, long *state)
{
	(void)g;
	(void)vertex;
	*state += depth;
}

static void visit_degree(struct graph *g, int vertex, int depth, long *state)
{
	(void)depth;
	if (g->degree[vertex] > *state)
		*state = g->degree[vertex];
}

static void add_edge(struct graph *g, int from, int to)
{
	struct edge *e = malloc(sizeof(*e));

	if (!e) {
		fprintf(stderr, "graph_search: out of memory\n");
		exit(1);
	}
	e->to = to;
	e->next = g->adjacent[from];
	g->adjacent[from] = e;
	g->degree[from]++;
}

static long breadth_first(struct graph *g, int start, visitor visit)
{
	int *queue = malloc((size_t)g->vertices * sizeof(int));
	int *depth = malloc((size_t)g->vertices * sizeof(int));
	int head = 0, tail = 0, i;
	long state = 0;

	if (!queue || !depth)
		exit(1);
	for (i = 0; i < g->vertices; i++)
		depth[i] = -1;
	depth[start] = 0;
	queue[tail++] = start;
	while (head < tail) {
		int v = queue[head++];

		visit(g, v, depth[v], &state);
		for (struct edge *e = g->adjacent[v]; e; e = e->next)
			if (depth[e->to] < 0) {
				depth[e->to] = depth[v] + 1;
				queue[tail++] = e->to;
			}
	}
	free(queue);
	free(depth);
	return state;
}

static void depth_first(struct graph *g, int v, int depth, char *seen, visitor visit, long *state)
{
	seen[v] = 1;
	visit(g, v, depth, state);
	for (struct edge *e = g->adjacent[v]; e; e = e->next)
		if (!seen[e->to])
			depth_first(g, e->to, depth + 1, seen, visit, state);
}

int main(int argc, char **argv)
{
	struct graph g;
	int from, to, start, edges = 0;
	char *seen;
	long state = 0;
	visitor chosen;

	if (argc != 3) {
		fprintf(stderr, "usage: %s START print|count|degree < GRAPH\n", argv[0]);
		return 2;
	}
	start = atoi(argv[1]);
	chosen = strcmp(argv[2], "print") == 0 ? visit_print : strcmp(argv[2], "count") == 0 ? visit_count
		 : visit_degree;
	if (scanf("%d", &g.vertices) != 1 || g.vertices <= 0 || start < 0 || start >= g.vertices) {
		fprintf(stderr, "%s: bad vertex count or start\n", argv[0]);
		return 1;
	}
	g.adjacent = calloc((size_t)g.vertices, sizeof(struct edge *));
	g.degree = calloc((size_t)g.vertices, sizeof(int));
	seen = calloc((size_t)g.vertices, 1);
	if (!g.adjacent || !g.degree || !seen)
		return 1;
	while (scanf("%d %d", &from, &to) == 2) {
		if (from < 0 || to < 0 || from >= g.vertices || to >= g.vertices) {
			fprintf(stderr, "%s: edge %d-%d outside the graph\n", argv[0], from, to);
			exit(1);
		}
		add_edge(&g, from, to);
		add_edge(&g, to, from);
		edges++;
	}
	printf("%d vertices, %d edges\n", g.vertices, edges);
	printf("breadth first from %d: %ld\n", start, breadth_first(&g, start, chosen));
	depth_first(&g, start, 0, seen, chosen, &state);
	printf("depth first from %d: %ld\n", start, state);
	return 0;
}
