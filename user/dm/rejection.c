/* SPDX-License-Identifier: MIT */
/* A verifier rejection of a ported program, explained the same way by dm port (which loads the object it wrote) and
 * dm run (which loads an object ported elsewhere, with dm port --no-load). */
#include "user/dm/dm.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void explain_rejection(FILE *out, const char *command, const char *what, const char *log, const char *program)
{
	const char *name = strrchr(program, '/') ? strrchr(program, '/') + 1 : program, *at = NULL, *p;
	char marker[300], line_text[512] = "";
	int line = 0, shown = 0;
	FILE *source;

	snprintf(marker, sizeof(marker), " @ %s:", name); /* the program's own lines, not the runtime's */
	for (p = log; (p = strstr(p, marker)); p += strlen(marker))
		at = p;
	if (at)
		line = atoi(at + strlen(marker));
	fprintf(out, "%s: %s: the verifier rejects the ported program", command, what);
	if (line) {
		source = fopen(program, "r");
		for (int n = 1; source && fgets(line_text, sizeof(line_text), source) && n < line; n++)
			;
		if (source)
			fclose(source);
		fprintf(out, " at %s:%d:\n", program, line);
		if (line_text[0]) /* dm run may run where the source is not */
			fprintf(out, "  %s%s", line_text, strchr(line_text, '\n') ? "" : "\n");
	} else {
		fprintf(out, ":\n");
	}
	/* the last lines of the log, where the reason is */
	for (p = log + strlen(log); p > log && shown < 8; p--)
		if (p[-1] == '\n' && p[0])
			shown++;
	fprintf(out, "verifier log (last lines):\n%s", p);
}

int explain_load_failure(FILE *out, const char *command, const char *what, const char *object, const char *program,
			 int err)
{
	static char log[1 << 24];
	LIBBPF_OPTS(bpf_object_open_opts, opts, .kernel_log_buf = log, .kernel_log_size = sizeof(log),
		    .kernel_log_level = 1);
	struct bpf_object *obj = bpf_object__open_file(object, &opts);

	log[0] = 0;
	if (obj && bpf_object__load(obj) && log[0] && program) {
		explain_rejection(out, command, what, log, program);
	} else {
		fprintf(out, "%s: %s: the kernel refuses to load it: %s\n", command, what, libbpf_error(err));
	}
	bpf_object__close(obj);
	return EXIT_KERNEL;
}
