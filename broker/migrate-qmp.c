/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migrate-qmp.c - the migration commands as the broker sends them to
 * ferry-monitor: typed requests, typed answers, never QMP text.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "migrate.h"
#include "monitor-proto.h"

#define MIGRATE_CMD_TIMEOUT_MS 10000
/* "Unlimited": QEMU caps a migration by default (128 MiB/s in Debian's 7.2), far below a real link. */
#define UNLIMITED_BANDWIDTH (UINT64_C(1) << 40)

int ferry_migrate_simple(struct ferry_vm *vm, uint32_t cmd, ferry_vm_mon_cb cb, void *data)
{
	struct ferry_mon_command mc = { .cmd = cmd, .timeout_ms = MIGRATE_CMD_TIMEOUT_MS };

	return ferry_vm_monitor(vm, &mc, cb, data);
}

int ferry_migrate_set_params(struct ferry_vm *vm, uint64_t bandwidth_mib, uint64_t downtime_ms,
			     ferry_vm_mon_cb cb, void *data)
{
	struct ferry_mon_command mc = { .cmd = FERRY_MON_MIGRATE_SET_PARAMETERS,
					.timeout_ms = MIGRATE_CMD_TIMEOUT_MS };
	struct ferry_mon_mig_params *p = &mc.args.params;

	/* UINT64_MAX leaves a parameter alone; a bandwidth of 0 means unlimited. */
	if (bandwidth_mib != UINT64_MAX) {
		p->present |= FERRY_MON_PARAM_MAX_BANDWIDTH;
		p->max_bandwidth = bandwidth_mib ? bandwidth_mib << 20 : UNLIMITED_BANDWIDTH;
	}
	if (downtime_ms != UINT64_MAX && downtime_ms) {
		p->present |= FERRY_MON_PARAM_DOWNTIME_LIMIT;
		p->downtime_limit = downtime_ms < FERRY_MON_DOWNTIME_LIMIT_MAX ? downtime_ms
									 : FERRY_MON_DOWNTIME_LIMIT_MAX;
	}
	if (!p->present)
		return ferry_migrate_simple(vm, FERRY_MON_QUERY_STATUS, cb, data);
	return ferry_vm_monitor(vm, &mc, cb, data);
}

struct multifd_call {
	uint32_t channels;
	ferry_vm_mon_cb cb;
	void *data;
};

static void on_multifd_cap(struct ferry_vm *vm, const struct ferry_mon_result *res,
			   const char *error, void *data)
{
	struct multifd_call *m = data;
	struct ferry_mon_command mc = { .cmd = FERRY_MON_MIGRATE_SET_PARAMETERS,
					.timeout_ms = MIGRATE_CMD_TIMEOUT_MS };
	ferry_vm_mon_cb cb = m->cb;
	void *cb_data = m->data;

	mc.args.params.present = FERRY_MON_PARAM_MULTIFD_CHANNELS;
	mc.args.params.multifd_channels = m->channels;
	free(m);
	if (error) {
		cb(vm, NULL, error, cb_data);
		return;
	}
	if (ferry_vm_monitor(vm, &mc, cb, cb_data) < 0)
		cb(vm, NULL, "the monitor is gone", cb_data);
}

int ferry_migrate_set_multifd(struct ferry_vm *vm, unsigned channels, ferry_vm_mon_cb cb, void *data)
{
	struct ferry_mon_command mc = { .cmd = FERRY_MON_MIGRATE_SET_CAPABILITIES,
					.timeout_ms = MIGRATE_CMD_TIMEOUT_MS };
	struct multifd_call *m;
	int r;

	if (channels == 0 || channels > FERRY_MON_MULTIFD_CHANNELS_MAX)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->channels = channels;
	m->cb = cb;
	m->data = data;
	mc.args.caps.count = 1;
	mc.args.caps.cap[0].name = "multifd";
	mc.args.caps.cap[0].state = 1;
	r = ferry_vm_monitor(vm, &mc, on_multifd_cap, m);
	if (r < 0)
		free(m);
	return r;
}

static int uri_command(struct ferry_vm *vm, uint32_t cmd, const char *uri, ferry_vm_mon_cb cb,
		       void *data)
{
	struct ferry_mon_command mc = { .cmd = cmd, .timeout_ms = MIGRATE_CMD_TIMEOUT_MS };

	mc.args.migrate.uri = uri;
	return ferry_vm_monitor(vm, &mc, cb, data);
}

int ferry_migrate_start(struct ferry_vm *vm, const char *uri, ferry_vm_mon_cb cb, void *data)
{
	return uri_command(vm, FERRY_MON_MIGRATE, uri, cb, data);
}

int ferry_migrate_incoming(struct ferry_vm *vm, const char *uri, ferry_vm_mon_cb cb, void *data)
{
	return uri_command(vm, FERRY_MON_MIGRATE_INCOMING, uri, cb, data);
}

int ferry_migrate_query(struct ferry_vm *vm, ferry_vm_mon_cb cb, void *data)
{
	return ferry_migrate_simple(vm, FERRY_MON_QUERY_MIGRATE, cb, data);
}

int ferry_migrate_cancel(struct ferry_vm *vm, ferry_vm_mon_cb cb, void *data)
{
	return ferry_migrate_simple(vm, FERRY_MON_MIGRATE_CANCEL, cb, data);
}

void ferry_migrate_stats_read(const struct ferry_mon_result *res, struct ferry_migration_stats *s)
{
	const struct ferry_mon_migration *m = &res->ret.migration;

	snprintf(s->status, sizeof(s->status), "%s", m->status);
	s->have_total_time = m->present & FERRY_MON_MIG_TOTAL_TIME;
	s->have_downtime = m->present & FERRY_MON_MIG_DOWNTIME;
	s->total_time_ms = m->total_time;
	s->downtime_ms = m->downtime;
	s->expected_downtime_ms = m->expected_downtime;
	s->setup_time_ms = m->setup_time;
	s->ram_total = m->ram_total;
	s->ram_transferred = m->ram_transferred;
	s->ram_remaining = m->ram_remaining;
	s->dirty_pages_rate = m->ram_dirty_pages_rate;
	s->iteration = m->ram_dirty_sync_count;
	s->mbps_milli = m->ram_mbps_milli;
	snprintf(s->error_desc, sizeof(s->error_desc), "%s", m->error_desc ? m->error_desc : "");
}
