/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domains.c - the registry of domains and what it keeps on disk.
 *
 * State dir:   domains/NAME.xml  persistent definitions
 *              status/NAME.json  state of each domain that has run
 *              log/NAME.log      QEMU's stdout and stderr
 *              host-uuid         this broker's identity, made once
 * Runtime dir: ferry-sock, ferry-sock-ro, domains/NAME/ (0700, private)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domains.h"
#include "hv/driver.h"
#include "log.h"
#include "util.h"
#include "vm.h"

const char *ferry_dom_state_name(enum ferry_dom_state s)
{
	switch (s) {
	case FERRY_DOM_RUNNING: return "running";
	case FERRY_DOM_PAUSED: return "paused";
	default: return "shutoff";
	}
}

void ferry_domain_path(struct ferry_daemon *d, const char *kind, const char *name,
		       char *buf, size_t len)
{
	if (strcmp(kind, "def") == 0)
		snprintf(buf, len, "%s/domains/%s.xml", d->cfg.state_dir, name);
	else if (strcmp(kind, "status") == 0)
		snprintf(buf, len, "%s/status/%s.json", d->cfg.state_dir, name);
	else if (strcmp(kind, "live") == 0)
		snprintf(buf, len, "%s/status/%s.xml", d->cfg.state_dir, name);
	else if (strcmp(kind, "log") == 0)
		snprintf(buf, len, "%s/log/%s.log", d->cfg.state_dir, name);
	else
		snprintf(buf, len, "%s/domains/%s", d->cfg.runtime_dir, name);
}

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	_cleanup_close_ int fd = -1;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

int ferry_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX + 8];
	_cleanup_close_ int fd = -1;
	int r;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = ferry_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	/* The rename itself is durable only once its directory is. */
	return fsync_dir(path);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return chmod(buf, mode) < 0 ? -errno : 0;
}

static int make_dirs(struct ferry_daemon *d, char *err, size_t errlen)
{
	const struct { const char *base, *leaf; mode_t mode; } dirs[] = {
		{ d->cfg.runtime_dir, "", 0755 },
		{ d->cfg.runtime_dir, "/domains", 0700 },
		{ d->cfg.state_dir, "", 0700 },
		{ d->cfg.state_dir, "/domains", 0700 },
		{ d->cfg.state_dir, "/status", 0700 },
		{ d->cfg.state_dir, "/log", 0700 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char path[PATH_MAX];
		int r;

		snprintf(path, sizeof(path), "%s%s", dirs[i].base, dirs[i].leaf);
		r = mkdir_p(path, dirs[i].mode);
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* The host UUID is made once and kept: the cookie's same-host check relies on it. */
static int host_uuid(struct ferry_daemon *d, char *err, size_t errlen)
{
	char path[PATH_MAX], buf[64];
	uint8_t u[16];
	ssize_t n;
	int fd, r;

	snprintf(path, sizeof(path), "%s/host-uuid", d->cfg.state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n >= 36) {
			memcpy(d->host_uuid, buf, 36);
			d->host_uuid[36] = '\0';
			return 0;
		}
	}
	if (getrandom(u, sizeof(u), 0) != sizeof(u))
		return -EIO;
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	ferry_uuid_format(u, d->host_uuid);
	snprintf(buf, sizeof(buf), "%s\n", d->host_uuid);
	r = ferry_write_file_atomic(path, buf, strlen(buf), 0600);
	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	return r;
}

static struct ferry_domain *add_domain(struct ferry_daemon *d, struct ferry_domain_def *def)
{
	struct ferry_domain *dom = calloc(1, sizeof(*dom));

	if (!dom)
		return NULL;
	dom->def = def;
	dom->state = FERRY_DOM_SHUTOFF;
	dom->reason = "unknown";
	dom->next = d->domains;
	d->domains = dom;
	return dom;
}

char *ferry_read_small_file(const char *path, size_t max, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t n;

	if (fd < 0 || !(buf = malloc(max + 1)))
		return NULL;
	n = read(fd, buf, max + 1);
	if (n < 0 || (size_t)n > max) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* A definition that no longer parses is reported and left on disk, untouched. */
static void load_one(struct ferry_daemon *d, const char *dir, const char *file)
{
	struct ferry_domain_def *def;
	char path[PATH_MAX], err[512];
	size_t len;
	_cleanup_free_ char *xml = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	xml = ferry_read_small_file(path, FERRY_DOMAIN_MAX_XML, &len);
	if (!xml) {
		log_warn("%s: unreadable: %s", path, strerror(errno));
		return;
	}
	if (ferry_domain_parse(xml, len, &def, err, sizeof(err)) < 0) {
		log_warn("%s: not loaded: %s", path, err);
		return;
	}
	if (ferry_domain_lookup(d, def->name)) {
		log_warn("%s: a domain named '%s' is already loaded", path, def->name);
		ferry_domain_free(def);
		return;
	}
	if (add_domain(d, def))
		d->domains->persistent = true;
	else
		ferry_domain_free(def);
}

static int load_all(struct ferry_daemon *d)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/domains", d->cfg.state_dir);
	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((e = readdir(dp))) {
		size_t n = strlen(e->d_name);

		if (n > 4 && strcmp(e->d_name + n - 4, ".xml") == 0)
			load_one(d, dir, e->d_name);
	}
	closedir(dp);
	return 0;
}

int ferry_domains_init(struct ferry_daemon *d, char *err, size_t errlen)
{
	int r = make_dirs(d, err, errlen);

	if (r < 0 || (r = host_uuid(d, err, errlen)) < 0)
		return r;
	if (gethostname(d->hostname, sizeof(d->hostname)) < 0)
		snprintf(d->hostname, sizeof(d->hostname), "localhost");
	r = load_all(d);
	if (r < 0)
		snprintf(err, errlen, "%s/domains: %s", d->cfg.state_dir, strerror(-r));
	return r;
}

void ferry_domains_free(struct ferry_daemon *d)
{
	while (d->domains) {
		struct ferry_domain *dom = d->domains;

		d->domains = dom->next;
		ferry_domain_free(dom->def);
		ferry_domain_free(dom->next_def);
		free(dom);
	}
}

struct ferry_domain *ferry_domain_lookup(struct ferry_daemon *d, const char *name)
{
	for (struct ferry_domain *dom = d->domains; dom; dom = dom->next)
		if (strcmp(dom->def->name, name) == 0)
			return dom;
	return NULL;
}

static int save_def(struct ferry_daemon *d, const struct ferry_domain_def *def,
		    char *err, size_t errlen)
{
	char path[PATH_MAX];
	_cleanup_free_ char *xml = NULL;
	int r = ferry_domain_format(def, &xml);

	if (r < 0) {
		snprintf(err, errlen, "formatting the definition: %s", strerror(-r));
		return r;
	}
	ferry_domain_path(d, "def", def->name, path, sizeof(path));
	r = ferry_write_file_atomic(path, xml, strlen(xml), 0600);
	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	return r;
}

int ferry_domain_define(struct ferry_daemon *d, const char *xml, size_t len,
			struct ferry_domain **out, char *err, size_t errlen)
{
	struct ferry_domain_def *def;
	struct ferry_domain *dom;
	int r = ferry_domain_parse(xml, len, &def, err, errlen);

	if (r < 0)
		return r;
	dom = ferry_domain_lookup(d, def->name);
	if (dom && memcmp(dom->def->uuid, def->uuid, 16) != 0) {
		snprintf(err, errlen, "domain '%s' already exists with another UUID", def->name);
		ferry_domain_free(def);
		return -EEXIST;
	}
	for (struct ferry_domain *o = d->domains; o; o = o->next)
		if (o != dom && memcmp(o->def->uuid, def->uuid, 16) == 0) {
			snprintf(err, errlen, "domain '%s' already has this UUID", o->def->name);
			ferry_domain_free(def);
			return -EEXIST;
		}
	if ((r = save_def(d, def, err, errlen)) < 0) {
		ferry_domain_free(def);
		return r;
	}
	if (!dom) {
		dom = add_domain(d, def);
		if (!dom) {
			ferry_domain_free(def);
			return -ENOMEM;
		}
	} else if (dom->vm) {
		ferry_domain_free(dom->next_def);
		dom->next_def = def;
	} else {
		ferry_domain_free(dom->def);
		dom->def = def;
	}
	dom->persistent = true;
	log_dom(FERRY_LOG_INFO, dom->def->name, "defined");
	*out = dom;
	return 0;
}

static void unlink_domain(struct ferry_daemon *d, struct ferry_domain *dom)
{
	struct ferry_domain **pp = &d->domains;

	while (*pp != dom)
		pp = &(*pp)->next;
	*pp = dom->next;
	ferry_domain_free(dom->def);
	ferry_domain_free(dom->next_def);
	free(dom);
}

int ferry_domain_undefine(struct ferry_daemon *d, struct ferry_domain *dom,
			  char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (!dom->persistent) {
		snprintf(err, errlen, "domain '%s' is not defined persistently", dom->def->name);
		return -EINVAL;
	}
	ferry_domain_path(d, "def", dom->def->name, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	log_dom(FERRY_LOG_INFO, dom->def->name, "undefined%s", dom->vm ? " (runs on, transient)" : "");
	dom->persistent = false;
	ferry_domain_free(dom->next_def);
	dom->next_def = NULL;
	if (!dom->vm) {
		ferry_domain_path(d, "status", dom->def->name, path, sizeof(path));
		unlink(path);
		unlink_domain(d, dom);
	}
	return 0;
}

void ferry_domain_write_status(struct ferry_daemon *d, struct ferry_domain *dom)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX], uuid[37];
	const char *s;
	size_t len;
	int r;

	ferry_uuid_format(dom->def->uuid, uuid);
	json_object_object_add(o, "name", json_object_new_string(dom->def->name));
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	json_object_object_add(o, "state", json_object_new_string(ferry_dom_state_name(dom->state)));
	json_object_object_add(o, "reason", json_object_new_string(dom->reason));
	if (dom->vm)
		ferry_vm_status(dom->vm, o);
	if (dom->job)
		json_object_object_add(o, "job", ferry_job_json(dom->job));
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PRETTY, &len);
	ferry_domain_path(d, "status", dom->def->name, path, sizeof(path));
	r = ferry_write_file_atomic(path, s, len, 0600);
	if (r < 0)
		log_dom(FERRY_LOG_ERR, dom->def->name, "status file %s: %s", path, strerror(-r));
	json_object_put(o);
}

void ferry_domain_set_state(struct ferry_daemon *d, struct ferry_domain *dom,
			    enum ferry_dom_state state, const char *reason)
{
	struct json_object *data;

	if (dom->state == state && strcmp(dom->reason, reason) == 0)
		return;
	dom->state = state;
	dom->reason = reason;
	ferry_domain_write_status(d, dom);
	log_dom(FERRY_LOG_INFO, dom->def->name, "%s (%s)", ferry_dom_state_name(state), reason);
	data = json_object_new_object();
	json_object_object_add(data, "name", json_object_new_string(dom->def->name));
	json_object_object_add(data, "state", json_object_new_string(ferry_dom_state_name(state)));
	json_object_object_add(data, "reason", json_object_new_string(reason));
	ferry_server_event(&d->srv, "DOMAIN_LIFECYCLE", data);
}

void ferry_domain_stopped(struct ferry_daemon *d, struct ferry_domain *dom)
{
	/* A job still refers to the domain; whoever ends it calls here again. */
	if (dom->job || dom->vm)
		return;
	if (dom->next_def) {
		ferry_domain_free(dom->def);
		dom->def = dom->next_def;
		dom->next_def = NULL;
	}
	if (!dom->persistent) {
		char path[PATH_MAX];

		ferry_domain_path(d, "status", dom->def->name, path, sizeof(path));
		unlink(path);
		unlink_domain(d, dom);
	}
}

struct ferry_job *ferry_job_start(struct ferry_daemon *d, struct ferry_domain *dom,
				  enum ferry_job_type type, enum ferry_job_phase phase, unsigned flags)
{
	struct ferry_job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	job->type = type;
	job->phase = phase;
	job->flags = flags;
	job->started_ns = ferry_now_ns();
	job->timer_fd = -1;
	job->d = d;
	dom->job = job;
	log_dom(FERRY_LOG_INFO, dom->def->name, "job %s: %s", ferry_job_type_name(type),
		ferry_job_phase_name(phase));
	ferry_domain_write_status(d, dom);
	return job;
}

void ferry_job_set_phase(struct ferry_daemon *d, struct ferry_domain *dom,
			 enum ferry_job_phase phase)
{
	dom->job->phase = phase;
	log_dom(FERRY_LOG_INFO, dom->def->name, "job %s: %s", ferry_job_type_name(dom->job->type),
		ferry_job_phase_name(phase));
	ferry_domain_write_status(d, dom);
}

void ferry_job_end(struct ferry_daemon *d, struct ferry_domain *dom)
{
	struct ferry_job *job = dom->job;

	if (!job)
		return;
	if (job->stats.status[0]) {
		dom->last_stats = job->stats;
		dom->have_last_stats = true;
	}
	log_dom(FERRY_LOG_INFO, dom->def->name, "job %s ended in phase %s%s%s",
		ferry_job_type_name(job->type), ferry_job_phase_name(job->phase),
		job->error[0] ? ": " : "", job->error);
	dom->job = NULL;
	if (job->timer_fd >= 0) {
		ferry_loop_del(&d->loop, job->timer_fd);
		close(job->timer_fd);
	}
	ferry_migrate_tunnel_free(d, job);
	free(job->cookie_in);
	free(job);
	ferry_domain_write_status(d, dom);
}

struct ferry_domain *ferry_domain_incoming(struct ferry_daemon *d, struct ferry_domain_def *def,
					   char *err, size_t errlen)
{
	struct ferry_domain *dom = ferry_domain_lookup(d, def->name);

	if (dom && memcmp(dom->def->uuid, def->uuid, 16) != 0) {
		snprintf(err, errlen, "domain '%s' exists here with another UUID", def->name);
		return NULL;
	}
	if (dom && (dom->vm || dom->job)) {
		snprintf(err, errlen, "domain '%s' is already %s here", def->name,
			 dom->job ? "in a job" : "running");
		return NULL;
	}
	for (struct ferry_domain *o = d->domains; o; o = o->next)
		if (o != dom && memcmp(o->def->uuid, def->uuid, 16) == 0) {
			snprintf(err, errlen, "domain '%s' here has the same UUID", o->def->name);
			return NULL;
		}
	if (!dom) {
		dom = add_domain(d, def);
		if (!dom)
			snprintf(err, errlen, "out of memory");
		return dom;
	}
	/* The incoming definition runs; the persistent one comes back when it stops. */
	ferry_domain_free(dom->next_def);
	dom->next_def = dom->def;
	dom->def = def;
	return dom;
}

int ferry_domain_persist(struct ferry_daemon *d, struct ferry_domain *dom, char *err, size_t errlen)
{
	int r = save_def(d, dom->def, err, errlen);

	if (r < 0)
		return r;
	ferry_domain_free(dom->next_def);
	dom->next_def = NULL;
	dom->persistent = true;
	return 0;
}
