/* SPDX-License-Identifier: MIT */
/* The checks every dm command makes of its input files before doing any work: each failure says in one line what the
 * file is and what was expected, and returns the status of the exit status table (user/dm/dm.h) that fits. */
#define _GNU_SOURCE /* asprintf */
#include "user/dm/dm.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

int fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("dm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* What a path that exists is, for messages. */
const char *file_kind(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return st->st_size ? "a regular file" : "an empty regular file";
	return S_ISDIR(st->st_mode)                           ? "a directory"
	       : S_ISFIFO(st->st_mode)                        ? "a FIFO"
	       : S_ISSOCK(st->st_mode)                        ? "a socket"
	       : S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? "a device"
							      : "a special file";
}

/* The path exists and is not a directory. */
int check_exists(const char *path, const char *expected, struct stat *st)
{
	if (stat(path, st)) {
		if (errno == EACCES)
			return fail(EXIT_PERMISSION,
				    "%s: permission denied: uid %u may not search a directory on its path", path,
				    geteuid());
		return fail(EXIT_BAD_INPUT, "%s: %s, expected %s", path,
			    errno == ENOENT || errno == ENOTDIR ? "no such file" : strerror(errno), expected);
	}
	if (S_ISDIR(st->st_mode))
		return fail(EXIT_BAD_INPUT, "%s: a directory, expected %s", path, expected);
	return EXIT_OK;
}

int permission_denied(const char *path, const struct stat *st, const char *what)
{
	return fail(EXIT_PERMISSION, "%s: permission denied: mode %04o, owner uid %u: uid %u may not %s it", path,
		    st->st_mode & 07777, st->st_uid, geteuid(), what);
}

/* An input file a command reads (a C program, a BPF object): a readable, non-empty regular file. Its first bytes go
 * to head (size bytes at most, *got of them read). */
int read_input_head(const char *path, const char *expected, struct stat *st, unsigned char *head, size_t size,
		    size_t *got)
{
	int status = check_exists(path, expected, st), fd;
	ssize_t n;

	if (status)
		return status;
	if (!S_ISREG(st->st_mode))
		return fail(EXIT_BAD_INPUT, "%s: %s, expected %s", path, file_kind(st), expected);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno == EACCES ? permission_denied(path, st, "read")
				       : fail(EXIT_BAD_INPUT, "%s: cannot read: %s", path, strerror(errno));
	n = read(fd, head, size);
	close(fd);
	if (n < 0)
		return fail(EXIT_BAD_INPUT, "%s: cannot read: %s", path, strerror(errno));
	if (n == 0)
		return fail(EXIT_BAD_INPUT, "%s: empty (0 bytes), expected %s", path, expected);
	*got = (size_t)n;
	return EXIT_OK;
}

/* An input that must be an ELF object, its first `got` bytes read into elf: the magic, then a whole header. */
int check_elf_header(const char *path, const char *expected, const struct stat *st, const Elf64_Ehdr *elf, size_t got)
{
	unsigned long long size = (unsigned long long)st->st_size;

	if (got < SELFMAG || memcmp(elf->e_ident, ELFMAG, SELFMAG))
		return fail(EXIT_BAD_INPUT,
			    "%s: not an ELF object (%llu bytes, not starting with \\177ELF); expected %s", path, size,
			    expected);
	if (got < sizeof(*elf))
		return fail(EXIT_BAD_INPUT, "%s: truncated: %llu bytes, less than an ELF header (%zu); expected %s",
			    path, size, sizeof(*elf), expected);
	return EXIT_OK;
}

/* What a pinned object is: /proc/self/fdinfo says map_type for maps, prog_type for programs, link_type for links. */
static const char *pinned_kind(int fd)
{
	static const char *const kinds[][2] = { { "map_type:", "map" },
						{ "prog_type:", "program" },
						{ "link_type:", "link" } };
	const char *kind = "BPF object";
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (!strncmp(line, kinds[i][0], strlen(kinds[i][0])))
				kind = kinds[i][1];
	if (f)
		fclose(f);
	return kind;
}

/* Opens a pinned BPF object of the given kind ("map": read-only, "program"). Permission is blamed on root only when
 * the kernel refused BPF itself (EPERM), not when the file's mode did (EACCES). */
int open_pinned(const char *path, const char *kind, const char *expected, int *fd)
{
	LIBBPF_OPTS(bpf_obj_get_opts, read_only, .file_flags = BPF_F_RDONLY);
	struct statfs fs;
	struct stat st;
	int status = check_exists(path, expected, &st);

	if (status)
		return status;
	/* bpf_obj_get answers EPERM for a path outside bpffs: tell that apart from a real permission problem */
	if (statfs(path, &fs) || fs.f_type != BPF_FS_MAGIC)
		return fail(EXIT_BAD_INPUT,
			    "%s: %s, not a pinned BPF object (not on a BPF filesystem such as /sys/fs/bpf); "
			    "expected %s",
			    path, file_kind(&st), expected);
	*fd = strcmp(kind, "map") ? bpf_obj_get(path) : bpf_obj_get_opts(path, &read_only);
	if (*fd < 0) {
		if (errno == EACCES)
			return permission_denied(path, &st, "open");
		if (errno == EPERM)
			return fail(EXIT_PERMISSION, "%s: permission denied: %s", path,
				    geteuid() ? "opening a pinned BPF object needs root or CAP_BPF"
					      : "the kernel refuses BPF to root (lockdown or a security module)");
		return fail(EXIT_BAD_INPUT, "%s: not a pinned BPF object: %s; expected %s", path, strerror(errno),
			    expected);
	}
	if (strcmp(pinned_kind(*fd), kind)) {
		fail(EXIT_BAD_INPUT, "%s: a pinned %s, expected %s", path, pinned_kind(*fd), expected);
		close(*fd);
		return EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

/* libbpf's message for one of its error codes (its own, from 4000, or an errno). */
const char *libbpf_error(int err)
{
	static char text[128];

	libbpf_strerror(err, text, sizeof(text));
	return text;
}

int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

const char *dm_data_file(const char *installed, const char *built)
{
	char self[PATH_MAX], *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return built;
	self[n] = 0;
	/* bin/dm -> PREFIX */
	if (asprintf(&path, "%s/%s", dirname(dirname(self)), installed) < 0)
		return built;
	if (!access(path, R_OK))
		return path;
	free(path);
	return built;
}
