/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * report.c - what the kernel says about a running process's sandbox.
 *
 * A helper's own account of its sandbox is only a claim; this file asks
 * the kernel instead. /proc gives the seccomp mode, capabilities, ids,
 * rlimits and namespaces. The seccomp filter itself comes out through
 * PTRACE_SECCOMP_GET_FILTER and is run here, by a small classic-BPF
 * interpreter, for every x86_64 syscall number, so the report counts
 * what the filter really allows rather than what its author meant.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


#if WITH_SELINUX
#include <selinux/selinux.h>
#endif

#include "report.h"
#include "util.h"
#include "wire.h"

/* /proc files read here are a few KiB; anything near this is not one of them. */
#define PROC_FILE_MAX 16384
/* Longest status or limits line we look at; longer ones are never ours. */
#define LINE_MAX_LEN 256

static const char *const ns_names[FERRY_REPORT_NS] = {
	"user", "net", "ipc", "mnt", "pid", "uts", "cgroup", "time",
};

/* ---- text parsing ---- */

/*
 * Copy the line at *pos into @buf and advance past it. A line too long
 * for @buf comes back empty, so it can never match half a key.
 * Return false at the end of the text.
 */
static bool next_line(const char **pos, char *buf, size_t size)
{
	const char *p = *pos;
	size_t len;

	if (*p == '\0')
		return false;
	len = strcspn(p, "\n");
	*pos = p[len] ? p + len + 1 : p + len;
	if (len >= size)
		len = 0;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return true;
}

static char *skip_blanks(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Cut @s at its first blank and return what follows, blanks skipped. */
static char *cut_word(char *s)
{
	char *end = s + strcspn(s, " \t");

	if (*end == '\0')
		return end;
	*end = '\0';
	return skip_blanks(end + 1);
}

/* The kernel prints capability sets as hex; ferry_parse_u64 is base 10 only. */
static int parse_hex_u64(const char *s, uint64_t *out)
{
	static const char digits[] = "0123456789abcdef";
	uint64_t v = 0;
	size_t n;

	for (n = 0; s[n]; n++) {
		const char *d = strchr(digits, tolower((unsigned char)s[n]));

		if (!d || n >= 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)(d - digits);
	}
	if (n == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

enum status_kind { ST_INT, ST_CAP, ST_ID };

struct status_key {
	const char *name;
	enum status_kind kind;
	size_t off;		/* of the field in struct ferry_proc_report */
	unsigned cap_bit;	/* ST_CAP: which of the five sets */
};

#define FIELD(f) offsetof(struct ferry_proc_report, f)

static const struct status_key status_keys[] = {
	{ "Seccomp", ST_INT, FIELD(seccomp), 0 },
	{ "Seccomp_filters", ST_INT, FIELD(seccomp_filters), 0 },
	{ "NoNewPrivs", ST_INT, FIELD(no_new_privs), 0 },
	{ "CapInh", ST_CAP, FIELD(cap_inh), 1u << 0 },
	{ "CapPrm", ST_CAP, FIELD(cap_prm), 1u << 1 },
	{ "CapEff", ST_CAP, FIELD(cap_eff), 1u << 2 },
	{ "CapBnd", ST_CAP, FIELD(cap_bnd), 1u << 3 },
	{ "CapAmb", ST_CAP, FIELD(cap_amb), 1u << 4 },
	{ "Uid", ST_ID, FIELD(uid), 0 },
	{ "Gid", ST_ID, FIELD(gid), 0 },
};

#define ALL_CAPS 0x1fu

/* Parse one known value into its field; 0 or -errno. */
static int status_value(const struct status_key *k, char *value, struct ferry_proc_report *r,
			unsigned *caps_seen)
{
	char *field = (char *)r + k->off;
	uint64_t cap;
	uint32_t id;
	int v;

	switch (k->kind) {
	case ST_INT:
		if (ferry_parse_int(value, 0, INT_MAX, &v) < 0)
			return -EINVAL;
		memcpy(field, &v, sizeof(v));
		return 0;
	case ST_CAP:
		if (parse_hex_u64(value, &cap) < 0)
			return -EINVAL;
		memcpy(field, &cap, sizeof(cap));
		*caps_seen |= k->cap_bit;
		return 0;
	case ST_ID:
		/* "Uid:\treal\teffective\tsaved\tfs": the real one is asked for. */
		cut_word(value);
		if (ferry_parse_u32(value, &id) < 0 || id == UINT32_MAX)
			return -EINVAL;
		memcpy(field, &id, sizeof(id));
		return 0;
	}
	return -EINVAL;
}

static void status_reset(struct ferry_proc_report *r)
{
	r->seccomp = r->seccomp_filters = r->no_new_privs = -1;
	r->cap_inh = r->cap_prm = r->cap_eff = r->cap_bnd = r->cap_amb = 0;
	r->caps_valid = false;
	r->uid = r->gid = UINT32_MAX;
}

int ferry_proc_status_parse(const char *text, struct ferry_proc_report *r)
{
	char line[LINE_MAX_LEN];
	unsigned caps_seen = 0;
	bool found = false;

	status_reset(r);
	if (!text)
		return -EINVAL;
	while (next_line(&text, line, sizeof(line))) {
		char *colon = strchr(line, ':');
		char *value;

		if (!colon)
			continue;
		*colon = '\0';
		value = skip_blanks(colon + 1);
		/* Trailing blanks would make the whole-string number parsers refuse. */
		for (size_t n = strlen(value); n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'); n--)
			value[n - 1] = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(status_keys); i++)
			if (strcmp(line, status_keys[i].name) == 0 &&
			    status_value(&status_keys[i], value, r, &caps_seen) == 0)
				found = true;
	}
	/* A capability set that did not parse would read as "no capabilities". */
	if (caps_seen == ALL_CAPS)
		r->caps_valid = true;
	else
		r->cap_inh = r->cap_prm = r->cap_eff = r->cap_bnd = r->cap_amb = 0;
	return found ? 0 : -EINVAL;
}

static int parse_rlim_word(const char *w, bool *unlimited, uint64_t *v)
{
	if (strcmp(w, "unlimited") == 0) {
		*unlimited = true;
		*v = 0;
		return 0;
	}
	*unlimited = false;
	return ferry_parse_u64(w, UINT64_MAX, v);
}

/* In the order of rlim_of(). */
static const struct {
	const char *proc_name, *name;
} rlims[] = {
	{ "Max open files", "NOFILE" },
	{ "Max processes", "NPROC" },
	{ "Max core file size", "CORE" },
	{ "Max file size", "FSIZE" },
};

static struct ferry_rlim_value *rlim_of(struct ferry_proc_report *r, size_t i)
{
	struct ferry_rlim_value *v[] = { &r->nofile, &r->nproc, &r->core, &r->fsize };

	return v[i];
}

static const struct ferry_rlim_value *rlim_of_const(const struct ferry_proc_report *r, size_t i)
{
	const struct ferry_rlim_value *v[] = { &r->nofile, &r->nproc, &r->core, &r->fsize };

	return v[i];
}

/* "Max open files            1024                 524288               files" */
static int limits_line(char *line, struct ferry_proc_report *r)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlims); i++) {
		size_t len = strlen(rlims[i].proc_name);
		struct ferry_rlim_value v = { .valid = true };
		char *soft, *hard;

		/* The blank after the name keeps "Max file size" from matching "Max file sizes". */
		if (strncmp(line, rlims[i].proc_name, len) != 0 || (line[len] != ' ' && line[len] != '\t'))
			continue;
		soft = skip_blanks(line + len);
		hard = cut_word(soft);
		cut_word(hard);
		if (parse_rlim_word(soft, &v.soft_unlimited, &v.soft) < 0 ||
		    parse_rlim_word(hard, &v.hard_unlimited, &v.hard) < 0)
			return -EINVAL;
		*rlim_of(r, i) = v;
		return 0;
	}
	return -ENOENT;
}

int ferry_proc_limits_parse(const char *text, struct ferry_proc_report *r)
{
	char line[LINE_MAX_LEN];
	bool found = false;

	for (size_t i = 0; i < ARRAY_SIZE(rlims); i++)
		memset(rlim_of(r, i), 0, sizeof(struct ferry_rlim_value));
	if (!text)
		return -EINVAL;
	while (next_line(&text, line, sizeof(line)))
		if (limits_line(line, r) == 0)
			found = true;
	return found ? 0 : -EINVAL;
}

/* ---- the whole report ---- */

/* /proc files are generated on read, so their size is only known at EOF. */
static int read_proc_file(pid_t pid, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	char path[64];
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	for (;;) {
		ssize_t k;

		if (n + 1 >= size)
			return -EFBIG;
		k = read(fd, buf + n, size - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno == ENOENT ? -ESRCH : -errno;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	return 0;
}

/* 1 when @pid's namespace differs from ours, 0 when shared, -1 unreadable. */
static int ns_compare(pid_t pid, const char *name)
{
	char path[64], mine[64], theirs[64];
	ssize_t a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	b = readlink(path, theirs, sizeof(theirs));
	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	a = readlink(path, mine, sizeof(mine));
	if (a <= 0 || b <= 0 || a >= (ssize_t)sizeof(mine) || b >= (ssize_t)sizeof(theirs))
		return -1;
	return a != b || memcmp(mine, theirs, (size_t)a) != 0;
}

static void report_filter(pid_t pid, int helper_filter_syscalls, struct ferry_proc_report *r)
{
	int n;

	if (r->seccomp == 0) {
		r->filter_source = "kernel";
		snprintf(r->filter_note, sizeof(r->filter_note), "no seccomp filter");
		return;
	}
	if (r->seccomp == 1) {
		/* Strict mode has no filter to read: its list is fixed (read, write, exit, rt_sigreturn). */
		r->filter_syscalls = 4;
		r->filter_source = "kernel";
		snprintf(r->filter_note, sizeof(r->filter_note), "strict mode");
		return;
	}
	n = ferry_seccomp_count_allowed(pid, r->filter_note, sizeof(r->filter_note));
	if (n >= 0) {
		r->filter_syscalls = n;
		r->filter_source = "kernel";
		r->filter_note[0] = '\0';
	} else if (helper_filter_syscalls >= 0) {
		r->filter_syscalls = helper_filter_syscalls;
		r->filter_source = "helper";
	}
}

static void report_context(pid_t pid, struct ferry_proc_report *r)
{
#if WITH_SELINUX
	char *con = NULL;

	if (is_selinux_enabled() <= 0)
		return;
	if (getpidcon(pid, &con) == 0 && con)
		snprintf(r->context, sizeof(r->context), "%s", con);
	freecon(con);
#else
	(void)pid;
	(void)r;
#endif
}

int ferry_proc_report_read(pid_t pid, int helper_filter_syscalls, struct ferry_proc_report *r)
{
	_cleanup_free_ char *buf = NULL;
	int ret;

	memset(r, 0, sizeof(*r));
	r->pid = pid;
	status_reset(r);
	r->filter_syscalls = -1;
	for (size_t i = 0; i < FERRY_REPORT_NS; i++) {
		r->ns_names[i] = ns_names[i];
		r->ns_new[i] = -1;
	}
	if (pid <= 0)
		return -ESRCH;
	buf = malloc(PROC_FILE_MAX);
	if (!buf)
		return -ENOMEM;
	ret = read_proc_file(pid, "status", buf, PROC_FILE_MAX);
	if (ret < 0)
		return ret;
	ret = ferry_proc_status_parse(buf, r);
	if (ret < 0)
		return ret;
	/* A report without limits is still worth having: a failure here leaves them unknown. */
	if (read_proc_file(pid, "limits", buf, PROC_FILE_MAX) == 0)
		ferry_proc_limits_parse(buf, r);
	/* A non-dumpable process hides these from a non-root reader: that stays -1. */
	for (size_t i = 0; i < FERRY_REPORT_NS; i++)
		r->ns_new[i] = ns_compare(pid, ns_names[i]);
	r->ns_source = "kernel";
	report_filter(pid, helper_filter_syscalls, r);
	report_context(pid, r);
	return 0;
}

void ferry_proc_report_ns_fallback(struct ferry_proc_report *r, uint32_t claimed)
{
	static const struct { const char *name; uint32_t bit; } bits[] = {
		{ "user", FERRY_NS_USER }, { "net", FERRY_NS_NET },
		{ "ipc", FERRY_NS_IPC }, { "mnt", FERRY_NS_MNT },
	};
	bool used = false;

	for (size_t i = 0; i < FERRY_REPORT_NS; i++) {
		if (r->ns_new[i] != -1)
			continue;
		r->ns_new[i] = 0;
		for (size_t b = 0; b < ARRAY_SIZE(bits); b++)
			if (strcmp(ns_names[i], bits[b].name) == 0)
				r->ns_new[i] = !!(claimed & bits[b].bit);
		used = true;
	}
	if (used)
		r->ns_source = "helper";
}

/* ---- output ---- */

static const char *int_str(int v, char *buf, size_t len)
{
	if (v < 0)
		return "?";
	snprintf(buf, len, "%d", v);
	return buf;
}

static const char *id_str(uint32_t v, char *buf, size_t len)
{
	if (v == UINT32_MAX)
		return "?";
	snprintf(buf, len, "%" PRIu32, v);
	return buf;
}

static const char *ns_word(int v)
{
	return v > 0 ? "new" : v == 0 ? "shared" : "unknown";
}

static const char *ns_name(const struct ferry_proc_report *r, size_t i)
{
	return r->ns_names[i] ? r->ns_names[i] : ns_names[i];
}

static const char *rlim_str(bool unlimited, uint64_t v, char *buf, size_t len)
{
	if (unlimited)
		return "unlimited";
	snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

static void print_filter(FILE *out, const struct ferry_proc_report *r)
{
	const char *src = r->filter_source ? r->filter_source : "";
	const char *note = r->filter_note;

	if (r->filter_syscalls < 0 && r->seccomp == 0)
		fputs("  seccomp filter: none\n", out);
	else if (r->filter_syscalls < 0)
		fprintf(out, "  seccomp filter: unknown%s%s%s\n", note[0] ? " (" : "", note, note[0] ? ")" : "");
	else if (strcmp(src, "helper") == 0)
		fprintf(out, "  seccomp filter allows %d syscalls (helper's own account: %s)\n",
			r->filter_syscalls, note[0] ? note : "kernel's copy not read");
	else
		fprintf(out, "  seccomp filter allows %d syscalls (read from the kernel%s%s)\n",
			r->filter_syscalls, note[0] ? ": " : "", note);
}

void ferry_proc_report_print(FILE *out, const char *name, const struct ferry_proc_report *r)
{
	char b1[24], b2[24], b3[24];

	fprintf(out, "%s (pid %d)\n", name, (int)r->pid);
	fprintf(out, "  Seccomp: %s  Seccomp_filters: %s  NoNewPrivs: %s\n",
		int_str(r->seccomp, b1, sizeof(b1)), int_str(r->seccomp_filters, b2, sizeof(b2)),
		int_str(r->no_new_privs, b3, sizeof(b3)));
	if (r->caps_valid) {
		fprintf(out, "  CapInh: %016" PRIx64 "  CapPrm: %016" PRIx64 "  CapEff: %016" PRIx64 "\n",
			r->cap_inh, r->cap_prm, r->cap_eff);
		fprintf(out, "  CapBnd: %016" PRIx64 "  CapAmb: %016" PRIx64 "\n", r->cap_bnd, r->cap_amb);
	} else {
		fputs("  capabilities: unknown\n", out);
	}
	fprintf(out, "  uid/gid: %s/%s\n", id_str(r->uid, b1, sizeof(b1)), id_str(r->gid, b2, sizeof(b2)));
	fputs("  namespaces:", out);
	for (size_t i = 0; i < FERRY_REPORT_NS; i++)
		fprintf(out, "%s %s %s", i ? "," : "", ns_name(r, i), ns_word(r->ns_new[i]));
	if (r->ns_source && strcmp(r->ns_source, "helper") == 0)
		fputs(" (helper's own account: /proc/PID/ns needs ptrace access)", out);
	fputs("\n  rlimits:", out);
	for (size_t i = 0; i < ARRAY_SIZE(rlims); i++) {
		const struct ferry_rlim_value *v = rlim_of_const(r, i);

		fprintf(out, "%s%s ", i ? "  " : " ", rlims[i].name);
		if (v->valid)
			fprintf(out, "%s/%s", rlim_str(v->soft_unlimited, v->soft, b1, sizeof(b1)),
				rlim_str(v->hard_unlimited, v->hard, b2, sizeof(b2)));
		else
			fputc('?', out);
	}
	fputc('\n', out);
	print_filter(out, r);
	if (r->context[0])
		fprintf(out, "  SELinux context: %s\n", r->context);
}

static struct json_object *json_int_or_null(int v)
{
	return v < 0 ? NULL : json_object_new_int(v);
}

static struct json_object *json_limit(bool unlimited, uint64_t v)
{
	return unlimited ? json_object_new_string("unlimited") : json_object_new_uint64(v);
}

static struct json_object *json_caps(const struct ferry_proc_report *r)
{
	static const char *const names[] = { "inh", "prm", "eff", "bnd", "amb" };
	const uint64_t caps[] = { r->cap_inh, r->cap_prm, r->cap_eff, r->cap_bnd, r->cap_amb };
	struct json_object *o;
	char buf[24];

	if (!r->caps_valid || !(o = json_object_new_object()))
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(caps); i++) {
		snprintf(buf, sizeof(buf), "%016" PRIx64, caps[i]);
		json_object_object_add(o, names[i], json_object_new_string(buf));
	}
	return o;
}

static struct json_object *json_rlimits(const struct ferry_proc_report *r)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; o && i < ARRAY_SIZE(rlims); i++) {
		const struct ferry_rlim_value *v = rlim_of_const(r, i);
		struct json_object *l = v->valid ? json_object_new_object() : NULL;

		if (l) {
			json_object_object_add(l, "soft", json_limit(v->soft_unlimited, v->soft));
			json_object_object_add(l, "hard", json_limit(v->hard_unlimited, v->hard));
		}
		json_object_object_add(o, rlims[i].name, l);
	}
	return o;
}

struct json_object *ferry_proc_report_json(const char *name, const struct ferry_proc_report *r)
{
	struct json_object *o = json_object_new_object(), *ns = json_object_new_object();

	for (size_t i = 0; ns && i < FERRY_REPORT_NS; i++)
		json_object_object_add(ns, ns_name(r, i), json_object_new_string(ns_word(r->ns_new[i])));
	if (!o) {
		json_object_put(ns);
		return NULL;
	}
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "pid", json_object_new_int(r->pid));
	json_object_object_add(o, "seccomp", json_int_or_null(r->seccomp));
	json_object_object_add(o, "seccomp_filters", json_int_or_null(r->seccomp_filters));
	json_object_object_add(o, "no_new_privs", json_int_or_null(r->no_new_privs));
	json_object_object_add(o, "caps", json_caps(r));
	json_object_object_add(o, "uid", r->uid == UINT32_MAX ? NULL : json_object_new_int64(r->uid));
	json_object_object_add(o, "gid", r->gid == UINT32_MAX ? NULL : json_object_new_int64(r->gid));
	json_object_object_add(o, "namespaces", ns);
	json_object_object_add(o, "rlimits", json_rlimits(r));
	json_object_object_add(o, "filter_syscalls", json_int_or_null(r->filter_syscalls));
	json_object_object_add(o, "filter_source",
			       r->filter_source ? json_object_new_string(r->filter_source) : NULL);
	json_object_object_add(o, "filter_note", json_object_new_string(r->filter_note));
	json_object_object_add(o, "selinux_context", json_object_new_string(r->context));
	return o;
}
