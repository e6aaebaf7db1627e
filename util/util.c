/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

void ferry_close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

char *ferry_trim_xml_space(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
			 s[n - 1] == '\r'))
		n--;
	s[n] = '\0';
	return s;
}

int ferry_err(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (!errlen)
		return r;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

int ferry_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ferry_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	int r = ferry_parse_u64(s, UINT32_MAX, &v);

	if (r == 0)
		*out = (uint32_t)v;
	return r;
}

int ferry_parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (int)v;
	return 0;
}

int ferry_parse_ids(const char *s, uint32_t *uid, uint32_t *gid)
{
	char buf[32];
	char *colon;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (ferry_parse_u32(buf, uid) < 0 || ferry_parse_u32(colon + 1, gid) < 0)
		return -EINVAL;
	/* (uid_t)-1 means "unchanged" to setresuid: never a real id. */
	if (*uid == UINT32_MAX || *gid == UINT32_MAX)
		return -ERANGE;
	return 0;
}

uint64_t ferry_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int ferry_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
