/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * save.c - ferryctl save and restore (docs/ferryctl.md): one call each to
 * the broker, which does the work (broker/save.c, broker/restore.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

#define EXIT_USAGE 2

enum { SO_COMPRESSED = 1, SO_RUNNING, SO_PAUSED, SO_JSON };

struct save_opts {
	bool restore, compressed, running, paused, json;
};

/* A relative FILE is taken from the current directory, as virsh does. */
static char *absolute(const char *file)
{
	char cwd[4096], *out;

	if (file[0] == '/')
		return strdup(file);
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&out, "%s/%s", cwd, file) < 0)
		return NULL;
	return out;
}

static int parse(struct save_opts *so, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "compressed", no_argument, NULL, SO_COMPRESSED },
		{ "running", no_argument, NULL, SO_RUNNING },
		{ "paused", no_argument, NULL, SO_PAUSED },
		{ "json", no_argument, NULL, SO_JSON },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (o == SO_COMPRESSED && !so->restore)
			so->compressed = true;
		else if (o == SO_RUNNING)
			so->running = true;
		else if (o == SO_PAUSED)
			so->paused = true;
		else if (o == SO_JSON)
			so->json = true;
		else {
			ctl_err("%s: bad option '%s'", argv[0], argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != (so->restore ? 1 : 2)) {
		ctl_err(so->restore ? "restore: expected FILE" : "save: expected NAME FILE");
		return EXIT_USAGE;
	}
	if (so->running && so->paused) {
		ctl_err("%s: --running and --paused exclude each other", argv[0]);
		return EXIT_USAGE;
	}
	return 0;
}

static int run(const struct save_opts *so, struct ferry_client *cl, const char *name, const char *file)
{
	struct json_object *a = json_object_new_object(), *ret = NULL, *v;
	char err[1024];
	int r;

	if (name)
		json_object_object_add(a, "name", json_object_new_string(name));
	json_object_object_add(a, "file", json_object_new_string(file));
	if (so->compressed)
		json_object_object_add(a, "compressed", json_object_new_boolean(true));
	if (so->running || so->paused)
		json_object_object_add(a, so->running ? "running" : "paused", json_object_new_boolean(true));
	r = ferry_client_call(cl, so->restore ? "restore-domain" : "save-domain", a, &ret, err, sizeof(err));
	json_object_put(a);
	if (r < 0)
		ctl_err("%s", err);
	else if (so->json)
		ctl_print_json(ret);
	else if (so->restore)
		printf("Domain '%s' restored from %s\n", json_object_object_get_ex(ret, "name", &v) ?
		       json_object_get_string(v) : "?", file);
	else
		printf("Domain '%s' saved to %s\n", name, file);
	json_object_put(ret);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

int ctl_save_main(const char *uri, bool json, int timeout_ms, int argc, char **argv)
{
	struct save_opts so = { .json = json };
	struct ferry_client *cl = NULL;
	_cleanup_free_ char *file = NULL;
	int r;

	if (strcmp(argv[0], "save") != 0 && strcmp(argv[0], "restore") != 0)
		return -ENOENT;
	so.restore = argv[0][0] == 'r';
	r = parse(&so, argc, argv);
	if (r)
		return r;
	file = absolute(argv[argc - 1]);
	if (!file || ctl_connect(uri, timeout_ms, &cl) < 0)
		return EXIT_FAILURE;
	r = run(&so, cl, so.restore ? NULL : argv[argc - 2], file);
	ferry_client_free(cl);
	return r;
}
