/* SPDX-License-Identifier: MIT */
/* dm stat --prometheus: /metrics in the Prometheus text format, a metric per field of DM_STATS_FIELDS
 * (dynamic_memory.h), served by libmicrohttpd. */
#include "user/dm/stat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void write_metrics(FILE *out, const struct stat_target *t)
{
#define PROMETHEUS_FIELD(member, unit, type, column, meaning)                                                          \
	fprintf(out, "# HELP dm_" #member "%s%s " meaning "\n# TYPE dm_" #member "%s%s " type "\n", *unit ? "_" : "",  \
		unit, *unit ? "_" : "", unit);                                                                         \
	for (int i = 0; i < t->copies; i++) {                                                                          \
		char cpu[16];                                                                                          \
		if (t->walks[i].used)                                                                                  \
			fprintf(out, "dm_" #member "%s%s{heap=\"%s\",path=\"%s\",cpu=\"%s\"} %llu\n",                  \
				*unit ? "_" : "", unit, t->name, t->path, stat_cpu_label(t, i, cpu),                   \
				(unsigned long long)t->walks[i].stats.member);                                         \
	}
	DM_STATS_FIELDS(PROMETHEUS_FIELD)
#undef PROMETHEUS_FIELD
}

/* The exporter: libmicrohttpd's one polling thread answers every connection in turn without blocking on any, so a
 * slow or silent client holds a connection slot until its timeout, never the others' scrapes. */
enum { SCRAPE_TIMEOUT_SECONDS = 10, SCRAPE_CONNECTIONS = 256 };

/* Called once per request by the polling thread, so the heap snapshot needs no lock. */
static enum MHD_Result answer_scrape(void *context, struct MHD_Connection *connection, const char *url,
				     const char *method, const char *version, const char *upload_data,
				     size_t *upload_data_size, void **request)
{
	struct stat_target *t = context;
	struct MHD_Response *response;
	unsigned status = MHD_HTTP_OK;
	enum MHD_Result queued;
	char *body = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&body, &size);

	(void)version, (void)upload_data, (void)upload_data_size, (void)request;
	if (!out)
		return MHD_NO; /* out of memory: close the connection */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		fprintf(out, "only GET /metrics is served\n");
	} else if (strcmp(url, "/metrics")) {
		status = MHD_HTTP_NOT_FOUND;
		fprintf(out, "only /metrics is served\n");
	} else if (stat_snapshot(t, out)) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR; /* the body says what is wrong with the heap */
	} else {
		write_metrics(out, t);
	}
	fclose(out);
	response = MHD_create_response_from_buffer(size, body, MHD_RESPMEM_MUST_FREE);
	if (!response) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? "text/plain; version=0.0.4" : "text/plain");
	queued = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return queued;
}

/* Serves /metrics on [ADDR:]PORT until SIGINT or SIGTERM. */
int serve_prometheus(const char *listen_on, struct stat_target *t)
{
	const char *colon = strrchr(listen_on, ':');
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct MHD_Daemon *daemon;
	char host[64] = "127.0.0.1", *end;
	long port = strtol(colon ? colon + 1 : listen_on, &end, 10);
	int one = 1, server, signal_number;
	sigset_t stop_signals;

	if (colon)
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_on), listen_on);
	if (*end || port <= 0 || port > 65535 || inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		return fail(EXIT_USAGE, "stat: --prometheus %s: expected [ADDR:]PORT, e.g. 9464 or 127.0.0.1:9464",
			    listen_on);
	addr.sin_port = htons((unsigned short)port);
	server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (server < 0)
		return fail(EXIT_INTERNAL, "stat: cannot make a socket: %s", strerror(errno));
	setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(server, (struct sockaddr *)&addr, sizeof(addr)) || listen(server, SCRAPE_CONNECTIONS)) {
		int bind_errno = errno;

		close(server);
		return fail(bind_errno == EACCES ? EXIT_PERMISSION : EXIT_USAGE, "stat: cannot listen on %s:%ld: %s",
			    host, port, strerror(bind_errno));
	}
	/* the server's thread inherits the blocked signals: they reach sigwait below, not it */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, answer_scrape, t,
				  MHD_OPTION_LISTEN_SOCKET, server, MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned)SCRAPE_TIMEOUT_SECONDS, MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned)SCRAPE_CONNECTIONS, MHD_OPTION_END);
	if (!daemon) {
		close(server);
		return fail(EXIT_INTERNAL, "stat: libmicrohttpd cannot serve on %s:%ld", host, port);
	}
	fprintf(stderr, "dm: serving http://%s:%ld/metrics for %s\n", host, port, t->path);
	sigwait(&stop_signals, &signal_number);
	MHD_stop_daemon(daemon);
	close(server);
	return EXIT_OK;
}
