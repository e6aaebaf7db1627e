/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferryd - the ferry broker.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "helper.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ferryd --check-sandbox [--json] [--helper-dir DIR] [--helper-user USER]\n"
		"\n"
		"  --check-sandbox     spawn every helper, show what the kernel says about its\n"
		"                      sandbox, and exit non-zero if one is not confined\n"
		"  --json              the same report as JSON\n"
		"  --helper-dir DIR    where the helper executables are\n"
		"  --helper-user USER  who helpers run as when ferryd runs as root (default nobody)\n"
		"  -v, --verbose       log debug messages\n"
		"  -V, --version       print the version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check-sandbox", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "helper-dir", required_argument, NULL, 'd' },
		{ "helper-user", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ferry_helper_opts hopts;
	const char *dir = NULL, *user = NULL;
	bool check = false, json = false;
	char err[512];
	int c, r;

	ferry_log_set_ident("ferryd");
	while ((c = getopt_long(argc, argv, "vVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': check = true; break;
		case 'j': json = true; break;
		case 'd': dir = optarg; break;
		case 'u': user = optarg; break;
		case 'v': ferry_log_set_level(FERRY_LOG_DEBUG); break;
		case 'V': printf("ferryd %s\n", FERRY_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !check) {
		usage(stderr);
		return 2;
	}
	/* Channels are written with MSG_NOSIGNAL; a closed pipe must not kill us either. */
	signal(SIGPIPE, SIG_IGN);
	if (ferry_helper_opts_default(&hopts, user, err, sizeof(err)) < 0)
		ferry_die(1, "%s", err);
	if (dir) {
		if (dir[0] != '/' || strlen(dir) >= sizeof(hopts.dir))
			ferry_die(2, "--helper-dir must be an absolute path");
		strcpy(hopts.dir, dir);
	}
	r = ferry_check_sandbox(&hopts, json, stdout);
	if (r < 0)
		ferry_die(1, "check-sandbox: %s", strerror(-r));
	return r;
}
