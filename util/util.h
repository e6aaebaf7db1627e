/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * util.h - small helpers shared by every ferry process: scope cleanup,
 * ownership transfer, checked number parsing.
 */
#ifndef FERRY_UTIL_H
#define FERRY_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Close an fd at end of scope, keeping errno as the caller left it. */
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void freep(void *p)
{
	free(*(void **)p);
}

#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_free_ _cleanup_(freep)

/* Hand an fd or pointer to a new owner; the scope's cleanup then skips it. */
static inline int steal_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

#define steal_ptr(p) ({ __typeof__(p) _stolen = (p); (p) = NULL; _stolen; })

void ferry_close_fds(int *fds, size_t n);

/* Cut XML white space (space, tab, CR, LF) from both ends of @s, in place. */
char *ferry_trim_xml_space(char *s);

/* Write the message into @err (when it has room) and return @r: "return ferry_err(...)". */
int ferry_err(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The only way ferry turns text into numbers: whole string, base 10, no
 * sign surprises, range checked. Return 0 or -EINVAL / -ERANGE.
 */
int ferry_parse_u64(const char *s, uint64_t max, uint64_t *out);
int ferry_parse_u32(const char *s, uint32_t *out);
int ferry_parse_int(const char *s, int min, int max, int *out);

/* "UID:GID" as given to a helper's --user. */
int ferry_parse_ids(const char *s, uint32_t *uid, uint32_t *gid);

/* Monotonic clock in nanoseconds. */
uint64_t ferry_now_ns(void);

/* Write all of buf, retrying on EINTR and short writes; 0 or -errno. */
int ferry_write_all(int fd, const void *buf, size_t len);

#endif
