/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "job.h"
#include "util.h"

const char *ferry_job_type_name(enum ferry_job_type t)
{
	switch (t) {
	case FERRY_JOB_MIGRATION_OUT: return "migration-out";
	case FERRY_JOB_MIGRATION_IN: return "migration-in";
	case FERRY_JOB_SAVE: return "save";
	case FERRY_JOB_RESTORE: return "restore";
	default: return "none";
	}
}

const char *ferry_job_phase_name(enum ferry_job_phase p)
{
	static const char *const names[] = {
		[FERRY_PHASE_NONE] = "none",
		[FERRY_PHASE_PERFORM2] = "perform2",
		[FERRY_PHASE_BEGIN3] = "begin3",
		[FERRY_PHASE_PERFORM3] = "perform3",
		[FERRY_PHASE_PERFORM3_DONE] = "perform3_done",
		[FERRY_PHASE_CONFIRM3_CANCELLED] = "confirm3_cancelled",
		[FERRY_PHASE_CONFIRM3] = "confirm3",
		[FERRY_PHASE_PREPARE] = "prepare",
		[FERRY_PHASE_FINISH2] = "finish2",
		[FERRY_PHASE_FINISH3] = "finish3",
		[FERRY_PHASE_SAVE] = "save",
		[FERRY_PHASE_RESTORE] = "restore",
	};

	return (size_t)p < ARRAY_SIZE(names) ? names[p] : "unknown";
}

static const struct { const char *name; unsigned bit; } flag_names[] = {
	{ "live", FERRY_MIGRATE_LIVE },
	{ "paused", FERRY_MIGRATE_PAUSED },
	{ "persist-dest", FERRY_MIGRATE_PERSIST_DEST },
	{ "undefine-source", FERRY_MIGRATE_UNDEFINE_SOURCE },
	{ "abort-on-error", FERRY_MIGRATE_ABORT_ON_ERROR },
	{ "p2p", FERRY_MIGRATE_P2P },
	{ "tunnelled", FERRY_MIGRATE_TUNNELLED },
	{ "parallel", FERRY_MIGRATE_PARALLEL },
	{ "compressed", FERRY_MIGRATE_COMPRESSED },
};

struct json_object *ferry_migrate_flags_json(unsigned flags)
{
	struct json_object *list = json_object_new_array();

	for (size_t k = 0; k < ARRAY_SIZE(flag_names); k++)
		if (flags & flag_names[k].bit)
			json_object_array_add(list, json_object_new_string(flag_names[k].name));
	return list;
}

int ferry_migrate_flags_parse(struct json_object *list, unsigned *flags, char *err, size_t errlen)
{
	size_t n;

	*flags = 0;
	if (!list)
		return 0;
	if (!json_object_is_type(list, json_type_array)) {
		snprintf(err, errlen, "'flags' must be an array of flag names");
		return -EINVAL;
	}
	n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(list, i);
		const char *name = json_object_get_string(f);
		size_t k;

		if (!json_object_is_type(f, json_type_string)) {
			snprintf(err, errlen, "migration flag %zu is not a string", i);
			return -EINVAL;
		}
		for (k = 0; k < ARRAY_SIZE(flag_names); k++)
			if (strcmp(flag_names[k].name, name) == 0)
				break;
		if (k == ARRAY_SIZE(flag_names)) {
			snprintf(err, errlen, "unknown migration flag '%.64s'", name);
			return -EINVAL;
		}
		*flags |= flag_names[k].bit;
	}
	return 0;
}

void ferry_job_error(struct ferry_job *job, const char *fmt, ...)
{
	va_list ap;

	if (job->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(job->error, sizeof(job->error), fmt, ap);
	va_end(ap);
}

static struct json_object *flags_json(unsigned flags)
{
	struct json_object *a = json_object_new_array();

	for (size_t k = 0; k < ARRAY_SIZE(flag_names); k++)
		if (flags & flag_names[k].bit)
			json_object_array_add(a, json_object_new_string(flag_names[k].name));
	return a;
}

struct json_object *ferry_stats_json(const struct ferry_migration_stats *s)
{
	struct json_object *o = json_object_new_object();

#define PUT(k, v) json_object_object_add(o, k, json_object_new_int64((int64_t)(v)))
	json_object_object_add(o, "status", json_object_new_string(s->status[0] ? s->status : "none"));
	PUT("elapsed_ms", s->elapsed_ms);
	json_object_object_add(o, "total_time_ms", s->have_total_time ?
			       json_object_new_int64((int64_t)s->total_time_ms) : NULL);
	json_object_object_add(o, "downtime_ms", s->have_downtime ?
			       json_object_new_int64((int64_t)s->downtime_ms) : NULL);
	PUT("expected_downtime_ms", s->expected_downtime_ms);
	PUT("setup_time_ms", s->setup_time_ms);
	PUT("ram_total", s->ram_total);
	PUT("ram_transferred", s->ram_transferred);
	PUT("ram_remaining", s->ram_remaining);
	PUT("dirty_pages_rate", s->dirty_pages_rate);
	PUT("iteration", s->iteration);
	json_object_object_add(o, "mbps", json_object_new_double((double)s->mbps_milli / 1000.0));
#undef PUT
	return o;
}

struct json_object *ferry_job_json(const struct ferry_job *job)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(ferry_job_type_name(job->type)));
	json_object_object_add(o, "phase", json_object_new_string(ferry_job_phase_name(job->phase)));
	json_object_object_add(o, "protocol", json_object_new_int(job->protocol));
	json_object_object_add(o, "flags", flags_json(job->flags));
	json_object_object_add(o, "was_running", json_object_new_boolean(job->was_running));
	if (job->peer_host[0])
		json_object_object_add(o, "peer_host", json_object_new_string(job->peer_host));
	if (job->error[0])
		json_object_object_add(o, "error", json_object_new_string(job->error));
	return o;
}
