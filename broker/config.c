/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

static int home_based(char *buf, size_t len, const char *xdg, const char *fallback,
		      const char *leaf)
{
	const char *base = getenv(xdg);
	const char *home;

	if (base && base[0] == '/') {
		snprintf(buf, len, "%s/%s", base, leaf);
		return 0;
	}
	home = getenv("HOME");
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(geteuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return -ENOENT;
	snprintf(buf, len, "%s/%s/%s", home, fallback, leaf);
	return 0;
}

int ferry_config_defaults(struct ferry_config *c, char *err, size_t errlen)
{
	char own[16];
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(c->helper_user, sizeof(c->helper_user), "nobody");
	snprintf(c->qemu, sizeof(c->qemu), "/usr/bin/qemu-system-x86_64");
	snprintf(c->accel, sizeof(c->accel), "auto");
	c->log_level = FERRY_LOG_INFO;
	snprintf(c->migration_address, sizeof(c->migration_address), "127.0.0.1");
	c->migration_port_min = 49152;
	c->migration_port_max = 49215;
	c->migration_protocols = (1u << 2) | (1u << 3);
	if (geteuid() == 0) {
		snprintf(c->runtime_dir, sizeof(c->runtime_dir), "/run/ferry");
		snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/ferry");
		return ferry_access_parse(&c->rw, "0", err, errlen) ?:
		       ferry_access_parse(&c->ro, "0", err, errlen);
	}
	/* An ordinary user's broker serves that user alone, unless configured. */
	snprintf(own, sizeof(own), "%u", (unsigned)geteuid());
	if (!getenv("XDG_RUNTIME_DIR") || getenv("XDG_RUNTIME_DIR")[0] != '/') {
		snprintf(err, errlen, "XDG_RUNTIME_DIR is not set: set it or runtime_dir in the config");
		return -ENOENT;
	}
	snprintf(c->runtime_dir, sizeof(c->runtime_dir), "%s/ferry", getenv("XDG_RUNTIME_DIR"));
	r = home_based(c->state_dir, sizeof(c->state_dir), "XDG_STATE_HOME", ".local/state", "ferry");
	if (r < 0) {
		snprintf(err, errlen, "no home directory for the state dir: set state_dir");
		return r;
	}
	return ferry_access_parse(&c->rw, own, err, errlen) ?:
	       ferry_access_parse(&c->ro, own, err, errlen);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A value may be "quoted"; the quotes are not part of it. */
static char *unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v[n - 1] = '\0';
		return v + 1;
	}
	return v;
}

static int set_path(char *dst, size_t len, const char *v, char *why, size_t whylen)
{
	if (v[0] != '/' || strlen(v) >= len) {
		snprintf(why, whylen, "'%s' is not an absolute path", v);
		return -EINVAL;
	}
	strcpy(dst, v);
	return 0;
}

static int set_level(struct ferry_config *c, const char *v, char *why, size_t whylen)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(v, names[i]) == 0) {
			c->log_level = (enum ferry_log_level)i;
			return 0;
		}
	snprintf(why, whylen, "log_level '%s' is not one of error, warning, info, debug", v);
	return -EINVAL;
}

static int set_access(struct ferry_access *a, const char *v, char *why, size_t whylen)
{
	memset(a, 0, sizeof(*a));
	return ferry_access_parse(a, v, why, whylen);
}

/* "49152-49215" */
static int set_ports(struct ferry_config *c, const char *v, char *why, size_t wl)
{
	char buf[32], *dash;
	int lo, hi;

	/* Too long to be two ports is refused, not cut. */
	snprintf(buf, sizeof(buf), "%s", strlen(v) < sizeof(buf) ? v : "");
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (!dash || ferry_parse_int(buf, 1024, 65535, &lo) < 0 ||
	    ferry_parse_int(dash + 1, 1024, 65535, &hi) < 0 || hi < lo) {
		snprintf(why, wl, "migration_ports '%s' is not LOW-HIGH within 1024-65535", v);
		return -EINVAL;
	}
	c->migration_port_min = (unsigned)lo;
	c->migration_port_max = (unsigned)hi;
	return 0;
}

/* "2,3", "2" or "3": a comma-separated list of whole versions. */
static int set_protocols(struct ferry_config *c, const char *v, char *why, size_t wl)
{
	char buf[32], *save = NULL, *item;
	unsigned bits = 0;

	if (strlen(v) >= sizeof(buf))
		goto bad;
	strcpy(buf, v);
	/* strtok_r would skip an empty item: look for them first. */
	if (buf[0] == ',' || strstr(buf, ",,") || (buf[0] && buf[strlen(buf) - 1] == ','))
		goto bad;
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		item = trim(item);
		if (strcmp(item, "2") != 0 && strcmp(item, "3") != 0)
			goto bad;
		bits |= 1u << (item[0] - '0');
	}
	if (bits) {
		c->migration_protocols = bits;
		return 0;
	}
bad:
	snprintf(why, wl, "migration_protocols '%.40s' is not a list of 2 and 3", v);
	return -EINVAL;
}

/* The broker binds it and puts it in a tcp: URI: an address, never a name. */
static bool is_ip_literal(const char *v)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, v, &a4) == 1 || inet_pton(AF_INET6, v, &a6) == 1;
}

static int apply(struct ferry_config *c, const char *k, const char *v, char *why, size_t wl)
{
	if (!strcmp(k, "migration_ports"))
		return set_ports(c, v, why, wl);
	if (!strcmp(k, "migration_protocols"))
		return set_protocols(c, v, why, wl);
	if (!strcmp(k, "migration_address") && strlen(v) < sizeof(c->migration_address) &&
	    is_ip_literal(v)) {
		strcpy(c->migration_address, v);
		return 0;
	}
	if (!strcmp(k, "runtime_dir"))
		return set_path(c->runtime_dir, sizeof(c->runtime_dir), v, why, wl);
	if (!strcmp(k, "state_dir"))
		return set_path(c->state_dir, sizeof(c->state_dir), v, why, wl);
	if (!strcmp(k, "helper_dir"))
		return set_path(c->helper_dir, sizeof(c->helper_dir), v, why, wl);
	if (!strcmp(k, "qemu"))
		return set_path(c->qemu, sizeof(c->qemu), v, why, wl);
	if (!strcmp(k, "log_level"))
		return set_level(c, v, why, wl);
	if (!strcmp(k, "access"))
		return set_access(&c->rw, v, why, wl);
	if (!strcmp(k, "readonly_access"))
		return set_access(&c->ro, v, why, wl);
	if ((!strcmp(k, "user") || !strcmp(k, "group")) && v[0] && strlen(v) < sizeof(c->user) &&
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(v) &&
	    v[0] != '-') {
		strcpy(!strcmp(k, "user") ? c->user : c->group, v);
		return 0;
	}
	if (!strcmp(k, "helper_user") && v[0] && strlen(v) < sizeof(c->helper_user)) {
		strcpy(c->helper_user, v);
		return 0;
	}
	if (!strcmp(k, "accel") && (!strcmp(v, "auto") || !strcmp(v, "kvm") || !strcmp(v, "tcg"))) {
		strcpy(c->accel, v);
		return 0;
	}
	if (!strcmp(k, "selinux_labels") && (!strcmp(v, "auto") || !strcmp(v, "xattr") ||
					     !strcmp(v, "off"))) {
		c->selinux_labels = !strcmp(v, "auto") ? FERRY_LABELS_AUTO :
				    !strcmp(v, "xattr") ? FERRY_LABELS_XATTR : FERRY_LABELS_OFF;
		return 0;
	}
	if (!strcmp(k, "log_target") && (!strcmp(v, "stderr") || !strcmp(v, "syslog"))) {
		c->log_syslog = !strcmp(v, "syslog");
		return 0;
	}
	if (!strcmp(k, "helper_user") || !strcmp(k, "accel") || !strcmp(k, "log_target") ||
	    !strcmp(k, "migration_address") || !strcmp(k, "selinux_labels") ||
	    !strcmp(k, "user") || !strcmp(k, "group"))
		snprintf(why, wl, "'%s' is not a valid value for %s", v, k);
	else
		snprintf(why, wl, "unknown setting '%s'", k);
	return -EINVAL;
}

int ferry_config_parse(struct ferry_config *c, const char *text, char *err, size_t errlen)
{
	const char *p = text;
	unsigned lineno = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[2048], why[256], *eq, *k, *v;

		lineno++;
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "line %u: longer than %zu bytes", lineno, sizeof(line) - 1);
			return -EINVAL;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl ? 1 : 0);
		k = trim(line);
		if (k[0] == '\0' || k[0] == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			snprintf(err, errlen, "line %u: expected 'key = value'", lineno);
			return -EINVAL;
		}
		*eq = '\0';
		k = trim(k);
		v = unquote(trim(eq + 1));
		if (apply(c, k, v, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "line %u: %s", lineno, why);
			return -EINVAL;
		}
	}
	return 0;
}

static int default_file(char *buf, size_t len)
{
	if (geteuid() == 0) {
		snprintf(buf, len, "%s/ferry/ferryd.conf", FERRY_SYSCONFDIR);
		return 0;
	}
	return home_based(buf, len, "XDG_CONFIG_HOME", ".config", "ferry/ferryd.conf");
}

int ferry_config_load(struct ferry_config *c, const char *path, char *err, size_t errlen)
{
	char file[PATH_MAX], *text;
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int r = ferry_config_defaults(c, err, errlen);

	if (r < 0)
		return r;
	if (path)
		snprintf(file, sizeof(file), "%s", path);
	else if (default_file(file, sizeof(file)) < 0)
		return 0;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (!path && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -errno;
	}
	text = malloc(FERRY_CONFIG_MAX_FILE + 1);
	if (!text)
		return -ENOMEM;
	n = read(fd, text, FERRY_CONFIG_MAX_FILE + 1);
	if (n < 0 || n > FERRY_CONFIG_MAX_FILE) {
		snprintf(err, errlen, "%s: %s", file, n < 0 ? strerror(errno) : "larger than 64 KiB");
		free(text);
		return n < 0 ? -errno : -EFBIG;
	}
	text[n] = '\0';
	r = ferry_config_parse(c, text, err, errlen);
	free(text);
	if (r < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", file, why);
		return r;
	}
	snprintf(c->file, sizeof(c->file), "%s", file);
	return 0;
}

void ferry_config_socket(const struct ferry_config *c, bool readonly, char *buf, size_t len)
{
	snprintf(buf, len, "%s/ferry-sock%s", c->runtime_dir, readonly ? "-ro" : "");
}
