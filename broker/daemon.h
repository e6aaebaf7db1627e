/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daemon.h - ferryd's state: one struct passed down, no globals.
 */
#ifndef FERRY_DAEMON_H
#define FERRY_DAEMON_H

#include <stdbool.h>

#include "config.h"
#include "helper.h"
#include "loop.h"
#include "server.h"

struct ferry_domain;

struct ferry_daemon {
	struct ferry_config cfg;
	struct ferry_loop loop;
	struct ferry_server srv;
	struct ferry_helper_opts hopts;
	char host_uuid[37];
	char hostname[256];
	struct ferry_domain *domains;
	bool quit;
	/* Spawned before ferryd drops privileges, so that it keeps CAP_CHOWN/CAP_FOWNER. */
	struct ferry_helper label;
	bool label_started;
};

/* Handle one client request (broker/commands.c). */
void ferry_commands_dispatch(struct ferry_client *c, struct ferry_request *req, void *ctx);

#endif
