/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migrate.c - ferryctl's migration commands.
 *
 * `migrate` drives both brokers itself (managed direct), step by step:
 * v3 Begin (source) -> Prepare (destination) -> Perform (source) -> Finish
 * (destination) -> Confirm (source), each step's cookie handed to the
 * next; v2 (DumpXML, Prepare2, Perform2, Finish2) when the destination
 * speaks no v3. The first error is the one reported: a failure in
 * Perform is followed by Finish and Confirm with "cancelled", whose own
 * errors never replace it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

#define EXIT_USAGE 2

enum {
	MO_LIVE = 1, MO_SUSPEND, MO_PERSISTENT, MO_UNDEFINE, MO_XML, MO_BANDWIDTH, MO_DOWNTIME,
	MO_TIMEOUT, MO_VERBOSE, MO_JSON, MO_COMPLETED, MO_P2P, MO_TUNNELLED, MO_PARALLEL,
	MO_MIGRATEURI, MO_COMPRESSED,
};

struct mig {
	const char *src_uri, *dst_uri, *name, *xml_file, *data_uri;
	bool live, suspend, persistent, undefine, verbose, json, p2p, tunnelled, compressed;
	uint64_t bandwidth, downtime, parallel;
	int timeout_s;			/* suspend the guest after this long (0: never) */
	int call_timeout_ms;
	struct ferry_client *src, *dst, *src2;
	char first_err[1024];
	uint64_t suspended_at_ms;
	bool progress_shown;
};

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
	va_list ap;

	fputs("ferryctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	return EXIT_USAGE;
}

static struct json_object *flags_list(const struct mig *m)
{
	struct json_object *f = json_object_new_array();

	if (m->live)
		json_object_array_add(f, json_object_new_string("live"));
	if (m->suspend)
		json_object_array_add(f, json_object_new_string("paused"));
	if (m->persistent)
		json_object_array_add(f, json_object_new_string("persist-dest"));
	if (m->undefine)
		json_object_array_add(f, json_object_new_string("undefine-source"));
	if (m->p2p)
		json_object_array_add(f, json_object_new_string("p2p"));
	if (m->tunnelled)
		json_object_array_add(f, json_object_new_string("tunnelled"));
	if (m->parallel)
		json_object_array_add(f, json_object_new_string("parallel"));
	if (m->compressed)
		json_object_array_add(f, json_object_new_string("compressed"));
	return f;
}

/* One step; its error is kept when it is the first. */
static int step(struct mig *m, struct ferry_client *cl, const char *cmd, struct json_object *args,
		struct json_object **ret)
{
	char err[1024];
	int r = ferry_client_call(cl, cmd, args, ret, err, sizeof(err));

	json_object_put(args);
	if (r < 0 && !m->first_err[0])
		snprintf(m->first_err, sizeof(m->first_err), "%s", err);
	return r;
}

static struct json_object *named(const struct mig *m)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "name", json_object_new_string(m->name));
	return a;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static uint64_t get_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

/* Live progress on stderr, redrawn in place, from MIGRATION_PROGRESS events. */
static void show_progress(struct mig *m, struct json_object *data)
{
	uint64_t total = get_u64(data, "ram_total"), remaining = get_u64(data, "ram_remaining");
	struct json_object *mbps_o;
	double mbps = 0;
	unsigned pct = total ? (unsigned)((total - (remaining < total ? remaining : total)) * 100 / total) : 0;
	char bar[31];

	if (json_object_object_get_ex(data, "mbps", &mbps_o))
		mbps = json_object_get_double(mbps_o);
	for (unsigned i = 0; i < 30; i++)
		bar[i] = i < pct * 30 / 100 ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\rMigration: [%s] %3u %%  %7.1f MB/s  remaining %6" PRIu64 " MiB  "
		"dirty %6" PRIu64 " pages/s  iteration %" PRIu64 "   ", bar, pct, mbps / 8.0,
		remaining >> 20, get_u64(data, "dirty_pages_rate"), get_u64(data, "iteration"));
	m->progress_shown = true;
}

/* --timeout: a guest that dirties faster than the link carries is paused to converge. */
static void maybe_suspend(struct mig *m, struct json_object *data)
{
	struct json_object *ret = NULL;
	char err[512];

	if (!m->timeout_s || m->suspended_at_ms ||
	    get_u64(data, "elapsed_ms") < (uint64_t)m->timeout_s * 1000)
		return;
	m->suspended_at_ms = get_u64(data, "elapsed_ms");
	if (!m->src2 && ctl_connect(m->src_uri, m->call_timeout_ms, &m->src2) < 0)
		return;
	if (ferry_client_call(m->src2, "suspend-domain", named(m), &ret, err, sizeof(err)) < 0)
		ctl_err("--timeout: suspending the guest: %s", err);
	else if (m->verbose)
		fprintf(stderr, "\nMigration: %d s passed: guest suspended to let it converge\n",
			m->timeout_s);
	json_object_put(ret);
}

static void on_event(struct json_object *ev, void *data)
{
	struct mig *m = data;
	struct json_object *name, *d;

	if (strcmp(get_str(ev, "event"), "MIGRATION_PROGRESS") != 0 ||
	    !json_object_object_get_ex(ev, "data", &d) ||
	    !json_object_object_get_ex(d, "name", &name) ||
	    strcmp(json_object_get_string(name), m->name) != 0)
		return;
	if (m->verbose)
		show_progress(m, d);
	maybe_suspend(m, d);
}

static void summary(struct mig *m, struct json_object *stats, int protocol)
{
	if (m->progress_shown)
		fputc('\n', stderr);
	if (m->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "domain", json_object_new_string(m->name));
		json_object_object_add(o, "protocol", json_object_new_int(protocol));
		if (stats)
			json_object_object_add(o, "statistics", json_object_get(stats));
		ctl_print_json(o);
		json_object_put(o);
		return;
	}
	printf("Domain '%s' migrated (protocol v%d)\n", m->name, protocol);
	if (!stats)
		return;
	printf("  Total time:   %" PRIu64 " ms\n", get_u64(stats, "total_time_ms"));
	printf("  Downtime:     %" PRIu64 " ms\n", get_u64(stats, "downtime_ms"));
	printf("  Setup time:   %" PRIu64 " ms\n", get_u64(stats, "setup_time_ms"));
	printf("  Transferred:  %" PRIu64 " MiB of %" PRIu64 " MiB RAM\n",
	       get_u64(stats, "ram_transferred") >> 20, get_u64(stats, "ram_total") >> 20);
	printf("  Iterations:   %" PRIu64 "\n", get_u64(stats, "iteration"));
}

/*
 * Perform (or Perform2) on the source with the options every protocol
 * shares, showing progress while it runs.
 */
static int perform(struct mig *m, const char *cmd, struct json_object *a, struct json_object **ret)
{
	int r;

	json_object_object_add(a, "flags", flags_list(m));
	json_object_object_add(a, "bandwidth", json_object_new_int64((int64_t)m->bandwidth));
	json_object_object_add(a, "downtime", json_object_new_int64((int64_t)m->downtime));
	if (m->parallel)
		json_object_object_add(a, "parallel", json_object_new_int64((int64_t)m->parallel));
	ferry_client_set_event_hook(m->src, on_event, m);
	r = step(m, m->src, cmd, a, ret);
	ferry_client_set_event_hook(m->src, NULL, NULL);
	if (r < 0 && m->progress_shown)
		fputc('\n', stderr);
	return r;
}

/* Perform failed or Finish failed: undo both ends, keep the first error. */
static void cancel_both(struct mig *m, bool finish_too)
{
	struct json_object *a, *ret = NULL;

	if (finish_too) {
		a = named(m);
		json_object_object_add(a, "cancelled", json_object_new_boolean(true));
		step(m, m->dst, "migrate-finish", a, &ret);
		json_object_put(ret);
		ret = NULL;
	}
	a = named(m);
	json_object_object_add(a, "cancelled", json_object_new_boolean(true));
	step(m, m->src, "migrate-confirm", a, &ret);
	json_object_put(ret);
}

static int migrate_v3(struct mig *m, const char *xml)
{
	struct json_object *a, *begin = NULL, *prep = NULL, *perf = NULL, *fin = NULL, *conf = NULL;
	struct json_object *stats = NULL;
	int r;

	a = named(m);
	if (xml)
		json_object_object_add(a, "xml", json_object_new_string(xml));
	json_object_object_add(a, "flags", flags_list(m));
	if (step(m, m->src, "migrate-begin", a, &begin) < 0)
		return -1;

	a = json_object_new_object();
	json_object_object_add(a, "xml", json_object_new_string(get_str(begin, "xml")));
	json_object_object_add(a, "cookie", json_object_new_string(get_str(begin, "cookie")));
	json_object_object_add(a, "flags", flags_list(m));
	if (step(m, m->dst, "migrate-prepare", a, &prep) < 0) {
		cancel_both(m, false);
		r = -1;
		goto out;
	}

	a = named(m);
	json_object_object_add(a, "cookie", json_object_new_string(get_str(prep, "cookie")));
	json_object_object_add(a, "uri", json_object_new_string(get_str(prep, "uri")));
	r = perform(m, "migrate-perform", a, &perf);
	if (r < 0) {
		cancel_both(m, true);
		goto out;
	}
	/* The source's account of the transfer, read while its job still holds it. */
	step(m, m->src, "domain-job-info", named(m), &stats);

	a = named(m);
	json_object_object_add(a, "cookie", json_object_new_string(get_str(perf, "cookie")));
	json_object_object_add(a, "flags", flags_list(m));
	if (step(m, m->dst, "migrate-finish", a, &fin) < 0) {
		cancel_both(m, false);
		r = -1;
		goto out;
	}

	a = named(m);
	json_object_object_add(a, "cookie", json_object_new_string(get_str(fin, "cookie")));
	json_object_object_add(a, "flags", flags_list(m));
	r = step(m, m->src, "migrate-confirm", a, &conf);
	if (r == 0)
		summary(m, stats, 3);
out:
	json_object_put(begin);
	json_object_put(prep);
	json_object_put(perf);
	json_object_put(fin);
	json_object_put(conf);
	json_object_put(stats);
	return r;
}

static int migrate_v2(struct mig *m, const char *xml_in)
{
	struct json_object *a, *dump = NULL, *prep = NULL, *perf = NULL, *fin = NULL;
	const char *xml = xml_in;
	int r;

	if (!xml) {
		if (step(m, m->src, "domain-xml", named(m), &dump) < 0)
			return -1;
		xml = get_str(dump, "xml");
	}
	a = json_object_new_object();
	json_object_object_add(a, "xml", json_object_new_string(xml));
	json_object_object_add(a, "flags", flags_list(m));
	r = step(m, m->dst, "migrate-prepare2", a, &prep);
	if (r < 0)
		goto out;

	a = named(m);
	json_object_object_add(a, "uri", json_object_new_string(get_str(prep, "uri")));
	r = perform(m, "migrate-perform2", a, &perf);

	a = named(m);
	json_object_object_add(a, "flags", flags_list(m));
	json_object_object_add(a, "retcode", json_object_new_int(r < 0 ? 1 : 0));
	if (step(m, m->dst, "migrate-finish2", a, &fin) < 0)
		r = -1;
	if (r == 0)
		summary(m, NULL, 2);
out:
	json_object_put(dump);
	json_object_put(prep);
	json_object_put(perf);
	json_object_put(fin);
	return r;
}

/*
 * --p2p: one call; the source broker drives the destination itself and
 * answers once the source is gone (or runs again).
 */
static int migrate_p2p(struct mig *m, const char *xml)
{
	struct json_object *a = named(m), *ret = NULL, *stats = NULL, *proto;
	int r;

	if (xml)
		json_object_object_add(a, "xml", json_object_new_string(xml));
	json_object_object_add(a, "dconnuri", json_object_new_string(m->dst_uri));
	if (m->data_uri)
		json_object_object_add(a, "uri", json_object_new_string(m->data_uri));
	r = perform(m, "migrate-perform", a, &ret);
	if (r < 0)
		return r;
	json_object_object_get_ex(ret, "statistics", &stats);
	summary(m, stats, json_object_object_get_ex(ret, "protocol", &proto) ?
		json_object_get_int(proto) : 3);
	json_object_put(ret);
	return 0;
}

/* v3 when both ends speak it, else v2. */
static int peer_protocol(struct mig *m)
{
	struct json_object *ver = NULL, *list;
	int best = 2;

	if (step(m, m->dst, "version", NULL, &ver) < 0)
		return -1;
	if (json_object_object_get_ex(ver, "migration_protocols", &list)) {
		for (size_t i = 0; i < json_object_array_length(list); i++)
			if (json_object_get_int(json_object_array_get_idx(list, i)) == 3)
				best = 3;
	}
	json_object_put(ver);
	return best;
}

static int parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	if (ferry_parse_u64(s, max, out) < 0)
		return usage("%s: not a whole number in range", opt);
	return 0;
}

/* migrate's options that take a number. */
static int parse_number(struct mig *m, int o, const char *arg)
{
	uint64_t v;

	switch (o) {
	case MO_PARALLEL:
		if (parse_u64("--parallel", arg, 255, &m->parallel) || m->parallel < 1)
			return usage("--parallel: a number of connections from 1 to 255");
		return 0;
	case MO_BANDWIDTH:
		return parse_u64("--bandwidth", arg, 1u << 20, &m->bandwidth);
	case MO_DOWNTIME:
		return parse_u64("--max-downtime", arg, 2000000, &m->downtime);
	default:
		if (parse_u64("--timeout", arg, 86400, &v) || v == 0)
			return usage("%s: a whole number of seconds from 1 to 86400", "--timeout");
		m->timeout_s = (int)v;
		return 0;
	}
}

static int parse_migrate(struct mig *m, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "live", no_argument, NULL, MO_LIVE },
		{ "suspend", no_argument, NULL, MO_SUSPEND },
		{ "persistent", no_argument, NULL, MO_PERSISTENT },
		{ "undefinesource", no_argument, NULL, MO_UNDEFINE },
		{ "xml", required_argument, NULL, MO_XML },
		{ "bandwidth", required_argument, NULL, MO_BANDWIDTH },
		{ "max-downtime", required_argument, NULL, MO_DOWNTIME },
		{ "timeout", required_argument, NULL, MO_TIMEOUT },
		{ "verbose", no_argument, NULL, MO_VERBOSE },
		{ "json", no_argument, NULL, MO_JSON },
		{ "p2p", no_argument, NULL, MO_P2P },
		{ "tunnelled", no_argument, NULL, MO_TUNNELLED },
		{ "tunneled", no_argument, NULL, MO_TUNNELLED },
		{ "parallel", required_argument, NULL, MO_PARALLEL },
		{ "migrateuri", required_argument, NULL, MO_MIGRATEURI },
		{ "compressed", no_argument, NULL, MO_COMPRESSED },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (o) {
		case MO_LIVE: m->live = true; break;
		case MO_SUSPEND: m->suspend = true; break;
		case MO_PERSISTENT: m->persistent = true; break;
		case MO_UNDEFINE: m->undefine = true; break;
		case MO_XML: m->xml_file = optarg; break;
		case MO_VERBOSE: m->verbose = true; break;
		case MO_JSON: m->json = true; break;
		case MO_P2P: m->p2p = true; break;
		case MO_TUNNELLED: m->tunnelled = true; break;
		case MO_MIGRATEURI: m->data_uri = optarg; break;
		case MO_COMPRESSED: m->compressed = true; break;
		case MO_PARALLEL:
		case MO_BANDWIDTH:
		case MO_DOWNTIME:
		case MO_TIMEOUT:
			if (parse_number(m, o, optarg))
				return EXIT_USAGE;
			break;
		default:
			return usage("migrate: bad or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return usage("migrate: expected NAME DEST_URI");
	if (m->compressed && !m->tunnelled)
		return usage("migrate: --compressed needs --tunnelled: ferry-compress works on "
			     "the tunnel's streams");
	if (m->tunnelled && !m->p2p)
		return usage("migrate: --tunnelled needs --p2p: the data travels inside the "
			     "source broker's own connection to the destination");
	m->name = argv[optind];
	m->dst_uri = argv[optind + 1];
	return 0;
}

static int run_migrate(struct mig *m, int argc, char **argv)
{
	char *xml = NULL;
	int r = parse_migrate(m, argc, argv);

	if (r)
		return r;
	if (m->xml_file && ctl_read_file(m->xml_file, &xml) < 0)
		return EXIT_FAILURE;
	if (ctl_connect(m->src_uri, m->call_timeout_ms, &m->src) < 0 ||
	    (!m->p2p && ctl_connect(m->dst_uri, m->call_timeout_ms, &m->dst) < 0)) {
		free(xml);
		return EXIT_FAILURE;
	}
	r = m->p2p ? migrate_p2p(m, xml) : peer_protocol(m);
	if (r == 3)
		r = migrate_v3(m, xml);
	else if (r == 2)
		r = migrate_v2(m, xml);
	free(xml);
	if (r < 0)
		ctl_err("%s", m->first_err);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static void print_jobinfo(struct json_object *info)
{
	static const char *const keys[][2] = {
		{ "type", "Job type" }, { "phase", "Phase" }, { "status", "Status" },
		{ "elapsed_ms", "Time elapsed (ms)" }, { "ram_total", "Memory total (B)" },
		{ "ram_transferred", "Memory processed (B)" }, { "ram_remaining", "Memory remaining (B)" },
		{ "mbps", "Throughput (Mbit/s)" }, { "dirty_pages_rate", "Dirty rate (pages/s)" },
		{ "iteration", "Iteration" }, { "expected_downtime_ms", "Expected downtime (ms)" },
		{ "total_time_ms", "Total time (ms)" }, { "downtime_ms", "Downtime (ms)" },
		{ "setup_time_ms", "Setup time (ms)" }, { "tunnel_bytes", "Tunnel bytes (B)" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		struct json_object *v;

		if (json_object_object_get_ex(info, keys[i][0], &v) && v)
			printf("%-24s %s\n", keys[i][1], json_object_get_string(v));
	}
}

/* domjobinfo, domjobabort, migrate-setspeed, migrate-setmaxdowntime. */
static int run_job_cmd(struct mig *m, const char *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "completed", no_argument, NULL, MO_COMPLETED },
		{ "json", no_argument, NULL, MO_JSON },
		{ NULL, 0, NULL, 0 },
	};
	bool setter = strncmp(cmd, "migrate-set", 11) == 0;
	struct json_object *a, *ret = NULL;
	bool completed = false;
	uint64_t v = 0;
	int o, r;

	optind = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (o == MO_JSON)
			m->json = true;
		else if (o == MO_COMPLETED && strcmp(cmd, "domjobinfo") == 0)
			completed = true;
		else
			return usage("bad option '%s'", argv[optind - 1]);
	}
	if (argc - optind != (setter ? 2 : 1))
		return usage("%s: wrong number of arguments", cmd);
	m->name = argv[optind];
	if (setter && parse_u64(cmd, argv[optind + 1], 1u << 20, &v))
		return EXIT_USAGE;
	if (ctl_connect(m->src_uri, m->call_timeout_ms, &m->src) < 0)
		return EXIT_FAILURE;
	a = named(m);
	if (completed)
		json_object_object_add(a, "completed", json_object_new_boolean(true));
	if (setter)
		json_object_object_add(a, strcmp(cmd, "migrate-setspeed") == 0 ? "bandwidth" : "downtime",
				       json_object_new_int64((int64_t)v));
	r = step(m, m->src, strcmp(cmd, "domjobinfo") == 0 ? "domain-job-info" :
		 strcmp(cmd, "domjobabort") == 0 ? "domain-job-abort" :
		 strcmp(cmd, "migrate-setspeed") == 0 ? "migrate-set-speed" : "migrate-set-downtime",
		 a, &ret);
	if (r < 0)
		ctl_err("%s", m->first_err);
	else if (m->json)
		ctl_print_json(ret);
	else if (strcmp(cmd, "domjobinfo") == 0)
		print_jobinfo(ret);
	json_object_put(ret);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

int ctl_migration_main(const char *uri, bool json, int timeout_ms, int argc, char **argv)
{
	static const char *const job_cmds[] = {
		"domjobinfo", "domjobabort", "migrate-setspeed", "migrate-setmaxdowntime",
	};
	struct mig m = { .src_uri = uri, .json = json, .call_timeout_ms = timeout_ms };
	int r = -ENOENT;

	if (strcmp(argv[0], "migrate") == 0)
		r = run_migrate(&m, argc, argv);
	for (size_t i = 0; i < ARRAY_SIZE(job_cmds); i++)
		if (strcmp(argv[0], job_cmds[i]) == 0)
			r = run_job_cmd(&m, argv[0], argc, argv);
	if (m.src)
		ferry_client_free(m.src);
	if (m.dst)
		ferry_client_free(m.dst);
	if (m.src2)
		ferry_client_free(m.src2);
	return r;
}
