/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * recover.c - what a restarted broker finds.
 *
 * A stopping broker leaves its QEMU processes running (ferryd.c). Each
 * running domain's status file names its QEMU pid, and the definition it
 * runs from sits beside it. On start the broker checks that the pid is
 * still that QEMU (its command line carries the domain's UUID) and takes
 * charge of it again through the monitor socket in the private dir; a QEMU
 * that died meanwhile leaves its domain shut off (crashed). Jobs are not
 * resumed yet: an interrupted one is reported and dropped.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domains.h"
#include "log.h"
#include "util.h"
#include "vm.h"

#define STATUS_MAX (64 * 1024)

/* Whether @pid is a QEMU started for the domain with @uuid: "-uuid" UUID in its argv. */
static bool is_our_qemu(pid_t pid, const char *uuid)
{
	char path[64], buf[16384];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return false;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		if (strcmp(buf + i, "-uuid") == 0 && i + 6 < n && strcmp(buf + i + 6, uuid) == 0)
			return true;
	return false;
}

static const char *const reasons[] = {
	"booted", "unpaused", "migrated", "user", "starting", "guest", "migration",
};

/* The status file's reason as one of the constants the domain may point to. */
static const char *known_reason(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++)
		if (strcmp(reasons[i], s) == 0)
			return reasons[i];
	return "unpaused";
}

static void on_found(struct ferry_vm *vm, const char *error, void *data)
{
	if (error)
		log_warn("%s", error);
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : "";
}

/* The domain a status file speaks of: the defined one, or the running definition's. */
static struct ferry_domain *domain_of(struct ferry_daemon *d, const char *name)
{
	struct ferry_domain_def *def = NULL;
	struct ferry_domain *dom = ferry_domain_lookup(d, name);
	char path[PATH_MAX], err[512];
	_cleanup_free_ char *xml = NULL;
	size_t len;

	ferry_domain_path(d, "live", name, path, sizeof(path));
	xml = ferry_read_small_file(path, FERRY_DOMAIN_MAX_XML, &len);
	if (xml && ferry_domain_parse(xml, len, &def, err, sizeof(err)) < 0) {
		log_warn("%s: %s", path, err);
		def = NULL;
	}
	if (!def)
		return dom;
	if (dom && memcmp(dom->def->uuid, def->uuid, 16) != 0) {
		ferry_domain_free(def);
		return dom;
	}
	return ferry_domain_incoming(d, def, err, sizeof(err)) ?: (ferry_domain_free(def), NULL);
}

static void recover_one(struct ferry_daemon *d, struct json_object *st)
{
	const char *name = str_of(st, "name"), *state = str_of(st, "state");
	struct ferry_vm_start_opts o = { .done = on_found };
	struct ferry_vm_found found;
	struct ferry_domain *dom;
	struct json_object *pid_o, *job;
	pid_t pid;

	if (strcmp(state, "running") != 0 && strcmp(state, "paused") != 0)
		return;
	if (!json_object_object_get_ex(st, "qemu_pid", &pid_o) || !json_object_is_type(pid_o, json_type_int))
		return;
	pid = (pid_t)json_object_get_int(pid_o);
	dom = domain_of(d, name);
	if (!dom || dom->vm)
		return;
	if (json_object_object_get_ex(st, "job", &job))
		log_dom(FERRY_LOG_WARN, name, "job %s in phase %s was under way when the broker stopped: "
			"it is not resumed", str_of(job, "type"), str_of(job, "phase"));
	if (pid <= 1 || !is_our_qemu(pid, str_of(st, "uuid"))) {
		log_dom(FERRY_LOG_WARN, name, "its QEMU (pid %d) ended while no broker watched it",
			(int)pid);
		ferry_domain_set_state(d, dom, FERRY_DOM_SHUTOFF, "crashed");
		ferry_domain_stopped(d, dom);
		return;
	}
	found.state = strcmp(state, "running") == 0 ? FERRY_DOM_RUNNING : FERRY_DOM_PAUSED;
	found.reason = known_reason(str_of(st, "reason"));
	found.accel = strcmp(str_of(st, "accel"), "kvm") == 0 ? "kvm" : "tcg";
	dom->state = found.state;
	dom->reason = found.reason;
	ferry_vm_reattach(d, dom, pid, &found, &o);
}

void ferry_domains_recover(struct ferry_daemon *d)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/status", d->cfg.state_dir);
	dp = opendir(dir);
	if (!dp)
		return;
	while ((e = readdir(dp))) {
		size_t n = strlen(e->d_name), len;
		char path[PATH_MAX];
		_cleanup_free_ char *text = NULL;
		struct json_object *st;

		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		text = ferry_read_small_file(path, STATUS_MAX, &len);
		st = text ? json_tokener_parse(text) : NULL;
		if (st && json_object_is_type(st, json_type_object))
			recover_one(d, st);
		else
			log_warn("%s: not a status file", path);
		json_object_put(st);
	}
	closedir(dp);
}
