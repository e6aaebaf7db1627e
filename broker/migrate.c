/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migrate.c - what both ends of a migration share: protocol versions, URI
 * checks, cookies, progress events, the poll timer, and autodestroy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "hv/domain.h"
#include "log.h"
#include "migrate.h"
#include "monitor-proto.h"
#include "tunnel.h"
#include "monitor-proto.h"
#include "util.h"

bool ferry_migrate_speaks(const struct ferry_daemon *d, int version)
{
	return d->cfg.migration_protocols & (1u << version);
}

/*
 * What ferry-monitor would accept, less fd: (the broker hands QEMU no
 * migration fd on the native path): tcp:HOST:PORT and unix:/PATH.
 */
int ferry_migrate_check_uri(const char *uri, char *err, size_t errlen)
{
	int r = ferry_mon_uri_check(uri, err, errlen);

	if (r == 0 && strncmp(uri, "fd:", 3) == 0) {
		snprintf(err, errlen, "migration URI '%.64s': fd: is not for clients", uri);
		return -EINVAL;
	}
	/* The monitor's refusal of a scheme lists fd:, which clients may not use. */
	if (r < 0 && errlen && strstr(err, "only tcp:, unix: and fd:"))
		snprintf(err, errlen, "migration URI '%.64s' is not allowed: only tcp:HOST:PORT and "
			 "unix:/PATH", uri);
	return r;
}

void ferry_migrate_cookie_base(struct ferry_daemon *d, struct ferry_domain *dom,
			       struct ferry_cookie *ck)
{
	ferry_cookie_init(ck);
	snprintf(ck->name, sizeof(ck->name), "%s", dom->def->name);
	memcpy(ck->uuid, dom->def->uuid, 16);
	snprintf(ck->hostname, sizeof(ck->hostname), "%s", d->hostname);
	ferry_uuid_parse(d->host_uuid, ck->host_uuid);
}

int ferry_migrate_cookie_put(const struct ferry_cookie *ck, struct json_object *ret)
{
	char *xml = NULL;
	int r = ferry_cookie_format(ck, &xml);

	if (r < 0)
		return r;
	json_object_object_add(ret, "cookie", json_object_new_string(xml));
	free(xml);
	return 0;
}

int ferry_migrate_cookie_get(struct ferry_daemon *d, const char *text, const char *name,
			     const uint8_t uuid[16], struct ferry_cookie *ck,
			     char *err, size_t errlen)
{
	uint8_t self[16];
	int r;

	if (!text) {
		snprintf(err, errlen, "a cookie is required");
		return -EINVAL;
	}
	r = ferry_cookie_parse(text, strlen(text), ck, err, errlen);
	if (r < 0)
		return r;
	ferry_uuid_parse(d->host_uuid, self);
	return ferry_cookie_check_peer(ck, self, name, uuid, err, errlen);
}

void ferry_migrate_stats_to_cookie(const struct ferry_migration_stats *s, struct ferry_cookie *ck)
{
	struct ferry_cookie_stats *cs = &ck->stats;

	ck->features |= FERRY_COOKIE_STATISTICS;
	cs->present = FERRY_COOKIE_STAT_SETUP_TIME | FERRY_COOKIE_STAT_RAM_TRANSFERRED |
		      FERRY_COOKIE_STAT_RAM_REMAINING | FERRY_COOKIE_STAT_RAM_TOTAL |
		      FERRY_COOKIE_STAT_DIRTY_SYNC_COUNT | FERRY_COOKIE_STAT_MBPS;
	if (s->have_total_time)
		cs->present |= FERRY_COOKIE_STAT_TOTAL_TIME;
	if (s->have_downtime)
		cs->present |= FERRY_COOKIE_STAT_DOWNTIME;
	cs->total_time_ms = s->total_time_ms;
	cs->downtime_ms = s->downtime_ms;
	cs->setup_time_ms = s->setup_time_ms;
	cs->ram_transferred = s->ram_transferred;
	cs->ram_remaining = s->ram_remaining;
	cs->ram_total = s->ram_total;
	cs->dirty_sync_count = s->iteration;
	cs->mbps = (double)s->mbps_milli / 1000.0;
}

void ferry_migrate_stats_from_cookie(const struct ferry_cookie *ck, struct ferry_migration_stats *s)
{
	const struct ferry_cookie_stats *cs = &ck->stats;

	if (!(ck->features & FERRY_COOKIE_STATISTICS))
		return;
	snprintf(s->status, sizeof(s->status), "completed");
	s->have_total_time = cs->present & FERRY_COOKIE_STAT_TOTAL_TIME;
	s->have_downtime = cs->present & FERRY_COOKIE_STAT_DOWNTIME;
	s->total_time_ms = cs->total_time_ms;
	s->downtime_ms = cs->downtime_ms;
	s->setup_time_ms = cs->setup_time_ms;
	s->ram_transferred = cs->ram_transferred;
	s->ram_remaining = cs->ram_remaining;
	s->ram_total = cs->ram_total;
	s->iteration = cs->dirty_sync_count;
	s->mbps_milli = (uint64_t)(cs->mbps * 1000.0);
}

void ferry_migrate_progress_event(struct ferry_daemon *d, struct ferry_domain *dom)
{
	struct json_object *data = ferry_stats_json(&dom->job->stats);

	json_object_object_add(data, "name", json_object_new_string(dom->def->name));
	ferry_server_event(&d->srv, "MIGRATION_PROGRESS", data);
}

int ferry_migrate_timer_start(struct ferry_daemon *d, int *fd, unsigned interval_ms,
			      ferry_loop_cb cb, void *data)
{
	struct itimerspec its = {
		.it_value = { .tv_nsec = (long)interval_ms * 1000000L },
		.it_interval = { .tv_nsec = (long)interval_ms * 1000000L },
	};
	int r;

	*fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (*fd < 0)
		return -errno;
	if (timerfd_settime(*fd, 0, &its, NULL) < 0)
		r = -errno;
	else
		r = ferry_loop_add(&d->loop, *fd, EPOLLIN, cb, data);
	if (r < 0) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

void ferry_migrate_timer_stop(struct ferry_daemon *d, int *fd)
{
	if (*fd < 0)
		return;
	ferry_loop_del(&d->loop, *fd);
	close(*fd);
	*fd = -1;
}

bool ferry_migrate_flags_arg(struct ferry_client *c, struct json_object *a, unsigned *flags)
{
	struct json_object *list = NULL;
	char err[256];

	json_object_object_get_ex(a, "flags", &list);
	if (ferry_migrate_flags_parse(list, flags, err, sizeof(err)) < 0) {
		ferry_client_error(c, "InvalidArgument", "%s", err);
		return false;
	}
	return true;
}

bool ferry_migrate_parallel_arg(struct ferry_client *c, struct json_object *a, unsigned flags,
				unsigned *n)
{
	uint64_t v = ferry_arg_u64(a, "parallel", 2);
	unsigned max = (flags & FERRY_MIGRATE_TUNNELLED) ? FERRY_TUNNEL_MAX_STREAMS - 1
							 : FERRY_MON_MULTIFD_CHANNELS_MAX;

	*n = 0;
	if (!(flags & FERRY_MIGRATE_PARALLEL))
		return true;
	if (v < 1 || v > max) {
		ferry_client_error(c, "InvalidArgument", "parallel: %llu connections; %s takes 1 to %u",
				   (unsigned long long)v, (flags & FERRY_MIGRATE_TUNNELLED) ?
				   "a tunnelled migration" : "QEMU", max);
		return false;
	}
	*n = (unsigned)v;
	return true;
}
