/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferryd - the ferry broker.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "check.h"
#include "daemon.h"
#include "domains.h"
#include "privdrop.h"
#include "helper.h"
#include "log.h"
#include "migrate.h"
#include "vm.h"

struct options {
	const char *config, *helper_dir, *helper_user;
	bool check, json, verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ferryd [--config FILE] [-v]\n"
		"       ferryd --check-sandbox [--json] [--helper-dir DIR] [--helper-user USER]\n"
		"\n"
		"  --config FILE       configuration (default: the system or user ferryd.conf)\n"
		"  --check-sandbox     spawn every helper, show what the kernel says about its\n"
		"                      sandbox, and exit non-zero if one is not confined\n"
		"  --json              the check's report as JSON\n"
		"  --helper-dir DIR    where the helper executables are\n"
		"  --helper-user USER  who helpers run as when ferryd runs as root (default nobody)\n"
		"  -v, --verbose       log debug messages\n"
		"  -V, --version       print the version\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "check-sandbox", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "helper-dir", required_argument, NULL, 'd' },
		{ "helper-user", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "vVh", opts, NULL)) != -1) {
		switch (c) {
		case 'C': o->config = optarg; break;
		case 'c': o->check = true; break;
		case 'j': o->json = true; break;
		case 'd': o->helper_dir = optarg; break;
		case 'u': o->helper_user = optarg; break;
		case 'v': o->verbose = true; break;
		case 'V': printf("ferryd %s\n", FERRY_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
	}
	return optind == argc ? 0 : -EINVAL;
}

static void helper_opts(struct ferry_daemon *d, const struct options *o)
{
	const char *user = o->helper_user ? o->helper_user : d->cfg.helper_user;
	const char *dir = o->helper_dir ? o->helper_dir : d->cfg.helper_dir;
	char err[512];

	if (ferry_helper_opts_default(&d->hopts, user, err, sizeof(err)) < 0)
		ferry_die(1, "%s", err);
	if (dir && dir[0]) {
		if (dir[0] != '/' || strlen(dir) >= sizeof(d->hopts.dir))
			ferry_die(2, "helper dir '%s' must be an absolute path", dir);
		strcpy(d->hopts.dir, dir);
	}
}

static void on_signal(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_daemon *d = data;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %u: shutting down", si.ssi_signo);
		d->quit = true;
	}
}

static int signals(struct ferry_daemon *d)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	return ferry_loop_add(&d->loop, fd, EPOLLIN, on_signal, d);
}

/*
 * QEMU processes run on when the broker stops: a restarted broker takes
 * charge of them again (recover.c). Only the monitor helpers go.
 */
static void stop_domains(struct ferry_daemon *d)
{
	for (struct ferry_domain *dom = d->domains; dom; dom = dom->next)
		if (dom->vm)
			ferry_vm_detach(dom->vm);
}

static void on_client_gone(struct ferry_client *c, void *ctx)
{
	ferry_migrate_client_gone(ctx, c);
}

/*
 * ferry-label first, while its capabilities can still be handed over;
 * then ferryd becomes its configured user (broker/privdrop.c). Root with
 * no user configured stays root, and says so.
 */
static void drop_privileges(struct ferry_daemon *d)
{
	const char *dirs[] = { d->cfg.runtime_dir, d->cfg.state_dir, NULL };
	struct ferry_privdrop p = { d->cfg.user, d->cfg.group, dirs };
	char err[512], state[256];

	if (geteuid() == 0 && !d->cfg.user[0]) {
		log_warn("running as root: set 'user' in the configuration to drop privileges");
		return;
	}
	if (ferry_helper_start(&d->loop, FERRY_HELPER_LABEL, &d->hopts, &d->label, err, sizeof(err)) < 0)
		ferry_die(1, "ferry-label: %s", err);
	d->label_started = true;
	if (ferry_privdrop(&p, err, sizeof(err)) < 0)
		ferry_die(1, "dropping privileges: %s", err);
	/* Helpers now run as ferryd's own user: it can set no other. */
	d->hopts.set_ids = false;
	ferry_self_state(state, sizeof(state));
	log_info("privileges dropped: %s", state);
}

static int run_daemon(struct ferry_daemon *d)
{
	char rw[PATH_MAX], ro[PATH_MAX], err[1024];
	int r;

	if ((r = ferry_loop_init(&d->loop)) < 0 || (r = signals(d)) < 0)
		ferry_die(1, "event loop: %s", strerror(-r));
	if (ferry_domains_init(d, err, sizeof(err)) < 0)
		ferry_die(1, "%s", err);
	drop_privileges(d);
	ferry_domains_recover(d);
	ferry_config_socket(&d->cfg, false, rw, sizeof(rw));
	ferry_config_socket(&d->cfg, true, ro, sizeof(ro));
	if (ferry_server_open(&d->srv, &d->loop, rw, ro, &d->cfg.rw, &d->cfg.ro,
			      ferry_commands_dispatch, on_client_gone, d, err, sizeof(err)) < 0)
		ferry_die(1, "%s", err);
	log_info("ferryd %s listening on %s and %s (config %s, state %s)", FERRY_VERSION, rw, ro,
		 d->cfg.file[0] ? d->cfg.file : "defaults", d->cfg.state_dir);
	while (!d->quit) {
		r = ferry_loop_run_once(&d->loop, -1);
		if (r < 0)
			ferry_die(1, "event loop: %s", strerror(-r));
	}
	stop_domains(d);
	ferry_server_close(&d->srv);
	return 0;
}

int main(int argc, char **argv)
{
	static struct ferry_daemon d;
	struct options o = { 0 };
	char err[1024];
	int r;

	ferry_log_set_ident("ferryd");
	if (parse_options(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	if (o.verbose)
		ferry_log_set_level(FERRY_LOG_DEBUG);
	/* Channels are written with MSG_NOSIGNAL; a closed pipe must not kill us either. */
	signal(SIGPIPE, SIG_IGN);
	if (o.check) {
		if (ferry_config_defaults(&d.cfg, err, sizeof(err)) < 0)
			snprintf(d.cfg.helper_user, sizeof(d.cfg.helper_user), "nobody");
		helper_opts(&d, &o);
		r = ferry_check_sandbox(&d.hopts, o.json, stdout);
		if (r < 0)
			ferry_die(1, "check-sandbox: %s", strerror(-r));
		return r;
	}
	if (ferry_config_load(&d.cfg, o.config, err, sizeof(err)) < 0)
		ferry_die(1, "config: %s", err);
	if (!o.verbose)
		ferry_log_set_level(d.cfg.log_level);
	ferry_log_use_syslog(d.cfg.log_syslog);
	helper_opts(&d, &o);
	return run_daemon(&d);
}
