/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * config.h - ferryd's configuration: defaults for root and for an ordinary
 * user, overridden by a file of "key = value" lines (docs/ferryd.conf.md).
 */
#ifndef FERRY_CONFIG_H
#define FERRY_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "access.h"
#include "log.h"

#define FERRY_CONFIG_MAX_FILE (64 * 1024)

/* selinux_labels: what a domain's files (save files) are given. */
enum ferry_selinux_labels {
	FERRY_LABELS_AUTO,	/* the image label when SELinux is enabled; else owner only */
	FERRY_LABELS_XATTR,	/* security.selinux written even when SELinux is disabled */
	FERRY_LABELS_OFF,	/* owner only */
};

struct ferry_config {
	char file[PATH_MAX];		/* the file read, "" when none */
	char runtime_dir[PATH_MAX];	/* sockets, per-domain private dirs */
	char state_dir[PATH_MAX];	/* definitions, status, logs, host UUID */
	char helper_dir[PATH_MAX];	/* "" = next to ferryd or the install prefix */
	char helper_user[64];		/* helpers' user when ferryd runs as root */
	char user[64], group[64];	/* who ferryd becomes when started as root; "": stays */
	char qemu[PATH_MAX];
	char accel[8];			/* "auto", "kvm" or "tcg" */
	enum ferry_log_level log_level;
	bool log_syslog;
	struct ferry_access rw, ro;	/* who may use each socket */
	char migration_address[64];	/* where incoming QEMU listens, as the URI says it */
	unsigned migration_port_min, migration_port_max;
	unsigned migration_protocols;	/* bit v set: protocol v is spoken */
	enum ferry_selinux_labels selinux_labels;	/* what files and fds get */
};

/* Defaults: system paths for root, XDG paths for anyone else. 0 or -errno. */
int ferry_config_defaults(struct ferry_config *c, char *err, size_t errlen);

/*
 * ferry_config_parse - apply the text of a config file on top of @c.
 * Return 0, or -EINVAL with @err as "line N: what is wrong".
 */
int ferry_config_parse(struct ferry_config *c, const char *text, char *err, size_t errlen);

/*
 * ferry_config_load - defaults, then @path (NULL: the default file, which
 * may be absent; a named file must exist). Return 0 or -errno with @err.
 */
int ferry_config_load(struct ferry_config *c, const char *path, char *err, size_t errlen);

/* Where the read-write and read-only sockets live. */
void ferry_config_socket(const struct ferry_config *c, bool readonly, char *buf, size_t len);

#endif
