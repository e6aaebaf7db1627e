/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * commands.c - the client API, command by command (docs/api.md).
 *
 * One table: name, whether the read-only socket may use it, the argument
 * names it takes, and its handler. Arguments are checked against the
 * table before the handler runs, so a handler sees only what it expects.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "domains.h"
#include "hv/domain.h"
#include "job.h"
#include "migrate.h"
#include "save.h"
#include "log.h"
#include "commands.h"
#include "util.h"
#include "vm.h"


const char *ferry_arg_str(struct json_object *args, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(args, key, &v) ? json_object_get_string(v) : NULL;
}

bool ferry_arg_bool(struct json_object *args, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(args, key, &v) && json_object_get_boolean(v);
}

uint64_t ferry_arg_u64(struct json_object *args, const char *key, uint64_t dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(args, key, &v) ? (uint64_t)json_object_get_int64(v) : dflt;
}

struct ferry_domain *ferry_cmd_domain(struct ferry_daemon *d, struct ferry_client *c,
				       struct json_object *args)
{
	const char *name = ferry_arg_str(args, "name");
	struct ferry_domain *dom = ferry_domain_lookup(d, name);

	if (!dom)
		ferry_client_error(c, "DomainNotFound", "no domain named '%s'", name);
	return dom;
}

/* A domain with a job accepts only what the job allows: refuse the rest, naming it. */
bool ferry_cmd_busy(struct ferry_domain *dom, struct ferry_client *c)
{
	if (!dom->job)
		return false;
	ferry_client_error(c, "OperationInvalid", "domain %s is busy with job %s (phase %s)",
			   dom->def->name, ferry_job_type_name(dom->job->type),
			   ferry_job_phase_name(dom->job->phase));
	return true;
}

struct ferry_domain *ferry_cmd_running_domain(struct ferry_daemon *d, struct ferry_client *c,
					struct json_object *args)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, args);
	char why[512];

	if (!dom || ferry_cmd_busy(dom, c))
		return NULL;
	if (!dom->vm || dom->state == FERRY_DOM_SHUTOFF) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' is not running", dom->def->name);
		return NULL;
	}
	if (!ferry_vm_monitor_ok(dom->vm, why, sizeof(why))) {
		ferry_client_error(c, "OperationInvalid", "domain '%s': %s", dom->def->name, why);
		return NULL;
	}
	return dom;
}

static void cmd_version(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct json_object *r = json_object_new_object(), *protocols;

	json_object_object_add(r, "ferry", json_object_new_string(FERRY_VERSION));
	json_object_object_add(r, "host_uuid", json_object_new_string(d->host_uuid));
	json_object_object_add(r, "hostname", json_object_new_string(d->hostname));
	protocols = json_object_new_array();
	for (int v = 2; v <= 3; v++)
		if (ferry_migrate_speaks(d, v))
			json_object_array_add(protocols, json_object_new_int(v));
	json_object_object_add(r, "migration_protocols", protocols);
	ferry_client_return(c, r);
}

static void cmd_list(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct json_object *list = json_object_new_array();
	bool all = ferry_arg_bool(args, "all");
	char uuid[37];

	for (struct ferry_domain *dom = d->domains; dom; dom = dom->next) {
		struct json_object *o;

		if (!all && dom->state == FERRY_DOM_SHUTOFF)
			continue;
		o = json_object_new_object();
		ferry_uuid_format(dom->def->uuid, uuid);
		json_object_object_add(o, "name", json_object_new_string(dom->def->name));
		json_object_object_add(o, "uuid", json_object_new_string(uuid));
		json_object_object_add(o, "state", json_object_new_string(ferry_dom_state_name(dom->state)));
		json_object_array_add(list, o);
	}
	ferry_client_return(c, list);
}

static void cmd_define(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct json_object *v, *r;
	struct ferry_domain *dom;
	char err[1024], uuid[37];

	json_object_object_get_ex(args, "xml", &v);
	if (ferry_domain_define(d, json_object_get_string(v), (size_t)json_object_get_string_len(v),
				&dom, err, sizeof(err)) < 0) {
		ferry_client_error(c, "InvalidArgument", "%s", err);
		return;
	}
	r = json_object_new_object();
	ferry_uuid_format(dom->def->uuid, uuid);
	json_object_object_add(r, "name", json_object_new_string(dom->def->name));
	json_object_object_add(r, "uuid", json_object_new_string(uuid));
	ferry_client_return(c, r);
}

static void cmd_undefine(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, args);
	char err[512];

	if (!dom || ferry_cmd_busy(dom, c))
		return;
	if (ferry_domain_undefine(d, dom, err, sizeof(err)) < 0)
		ferry_client_error(c, "OperationInvalid", "%s", err);
	else
		ferry_client_return(c, NULL);
}

static void cmd_info(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, args);
	struct json_object *r;
	char uuid[37];

	if (!dom)
		return;
	r = json_object_new_object();
	ferry_uuid_format(dom->def->uuid, uuid);
	json_object_object_add(r, "name", json_object_new_string(dom->def->name));
	json_object_object_add(r, "uuid", json_object_new_string(uuid));
	json_object_object_add(r, "state", json_object_new_string(ferry_dom_state_name(dom->state)));
	json_object_object_add(r, "reason", json_object_new_string(dom->reason));
	json_object_object_add(r, "persistent", json_object_new_boolean(dom->persistent));
	json_object_object_add(r, "memory_kib", json_object_new_int64((int64_t)dom->def->memory_kib));
	json_object_object_add(r, "current_memory_kib", json_object_new_int64((int64_t)
		(dom->def->current_memory_kib ? dom->def->current_memory_kib : dom->def->memory_kib)));
	json_object_object_add(r, "vcpus", json_object_new_int((int)dom->def->vcpus));
	if (dom->vm) {
		ferry_vm_status(dom->vm, r);
	} else {
		json_object_object_add(r, "accel", NULL);
		json_object_object_add(r, "qemu_pid", NULL);
		json_object_object_add(r, "monitor_pid", NULL);
		json_object_object_add(r, "monitor", NULL);
		json_object_object_add(r, "qemu_version", NULL);
	}
	ferry_client_return(c, r);
}

static void cmd_state(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, args);
	struct json_object *r;

	if (!dom)
		return;
	r = json_object_new_object();
	json_object_object_add(r, "state", json_object_new_string(ferry_dom_state_name(dom->state)));
	json_object_object_add(r, "reason", json_object_new_string(dom->reason));
	ferry_client_return(c, r);
}

static void cmd_xml(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, args);
	struct json_object *r;
	char *xml = NULL;

	if (!dom)
		return;
	if (ferry_domain_format(dom->def, &xml) < 0) {
		ferry_client_error(c, "InternalError", "domain '%s': cannot format its XML", dom->def->name);
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "xml", json_object_new_string(xml));
	free(xml);
	ferry_client_return(c, r);
}

/* Answer the client that waited on a start or a kill. */
static void answer_done(struct ferry_vm *vm, const char *error, void *data)
{
	struct ferry_client *c = data;

	if (error)
		ferry_client_error(c, "InternalError", "%s", error);
	else
		ferry_client_return(c, NULL);
	ferry_client_unref(c);
}

static void cmd_start(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, args);
	struct ferry_vm_start_opts o = { .paused = ferry_arg_bool(args, "paused"), .done = answer_done,
					 .data = c };

	if (!dom || ferry_cmd_busy(dom, c))
		return;
	if (dom->vm) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' is already %s", dom->def->name,
				   dom->state == FERRY_DOM_SHUTOFF ? "starting" : ferry_dom_state_name(dom->state));
		return;
	}
	ferry_client_ref(c);
	ferry_vm_start(d, dom, &o);
}

static void cmd_destroy(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, args);

	if (!dom || ferry_cmd_busy(dom, c))
		return;
	if (!dom->vm) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' is not running", dom->def->name);
		return;
	}
	ferry_client_ref(c);
	if (ferry_vm_kill(dom->vm, "destroyed", answer_done, c) < 0) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' is already being destroyed",
				   dom->def->name);
		ferry_client_unref(c);
	}
}

static void run_op(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args,
		   enum ferry_vm_op op)
{
	struct ferry_domain *dom = ferry_cmd_running_domain(d, c, args);

	if (!dom)
		return;
	if (op == FERRY_VM_OP_SUSPEND && dom->state == FERRY_DOM_PAUSED) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' is already paused", dom->def->name);
		return;
	}
	if (op == FERRY_VM_OP_RESUME && dom->state == FERRY_DOM_RUNNING) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' is already running", dom->def->name);
		return;
	}
	ferry_vm_command(dom->vm, op, c);
}

/*
 * A migration out may suspend its guest, so that one dirtying memory
 * faster than the link carries converges (ferryctl migrate --timeout).
 */
static void cmd_suspend(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, args);
	char why[512] = "it is not running";

	if (dom && dom->job && dom->job->type == FERRY_JOB_MIGRATION_OUT &&
	    (dom->job->phase == FERRY_PHASE_PERFORM3 || dom->job->phase == FERRY_PHASE_PERFORM2)) {
		if (dom->vm && ferry_vm_monitor_ok(dom->vm, why, sizeof(why)))
			ferry_vm_command(dom->vm, FERRY_VM_OP_SUSPEND, c);
		else
			ferry_client_error(c, "OperationInvalid", "domain '%s': %s", dom->def->name, why);
		return;
	}
	if (dom)
		run_op(d, c, args, FERRY_VM_OP_SUSPEND);
}

static void cmd_resume(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	run_op(d, c, args, FERRY_VM_OP_RESUME);
}

static void cmd_shutdown(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	run_op(d, c, args, FERRY_VM_OP_POWERDOWN);
}

/*
 * Arguments are "name:T", T one of s (string), b (boolean), i (integer
 * >= 0), a (array of strings). A handler sees only arguments of its table
 * row, of the declared types.
 */
static const struct command commands[] = {
	{ "version", true, NONE, NONE, cmd_version },
	{ "list-domains", true, ARGS("all:b"), NONE, cmd_list },
	{ "define-domain", false, ARGS("xml:s"), ARGS("xml"), cmd_define },
	{ "undefine-domain", false, ARGS("name:s"), ARGS("name"), cmd_undefine },
	{ "domain-info", true, ARGS("name:s"), ARGS("name"), cmd_info },
	{ "domain-state", true, ARGS("name:s"), ARGS("name"), cmd_state },
	{ "domain-xml", true, ARGS("name:s"), ARGS("name"), cmd_xml },
	{ "start-domain", false, ARGS("name:s", "paused:b"), ARGS("name"), cmd_start },
	{ "destroy-domain", false, ARGS("name:s"), ARGS("name"), cmd_destroy },
	{ "shutdown-domain", false, ARGS("name:s"), ARGS("name"), cmd_shutdown },
	{ "suspend-domain", false, ARGS("name:s"), ARGS("name"), cmd_suspend },
	{ "resume-domain", false, ARGS("name:s"), ARGS("name"), cmd_resume },
	FERRY_MIGRATE_COMMANDS
	FERRY_SAVE_COMMANDS
};

/* The argument's declared type, or 0 when @cmd takes no such argument. */
static char arg_type(const struct command *cmd, const char *key)
{
	size_t klen = strlen(key);

	for (const char *const *a = cmd->args; *a; a++)
		if (strncmp(*a, key, klen) == 0 && (*a)[klen] == ':')
			return (*a)[klen + 1];
	return 0;
}

static bool type_ok(char t, struct json_object *v)
{
	switch (t) {
	case 's': return json_object_is_type(v, json_type_string);
	case 'b': return json_object_is_type(v, json_type_boolean);
	case 'i': return json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0;
	case 'a': return json_object_is_type(v, json_type_array);
	default: return false;
	}
}

/* Unknown, missing and ill-typed arguments never reach a handler. */
static bool check_args(const struct command *cmd, struct ferry_client *c, struct json_object *args)
{
	static const char *const type_words[] = { "a string", "a boolean", "an integer >= 0", "an array" };

	for (const char *const *r = cmd->required; *r; r++) {
		if (!args || !json_object_object_get_ex(args, *r, NULL)) {
			ferry_client_error(c, "InvalidArgument", "%s: missing argument '%s'", cmd->name, *r);
			return false;
		}
	}
	if (!args)
		return true;
	json_object_object_foreach(args, key, val) {
		char t = arg_type(cmd, key);

		if (!t) {
			ferry_client_error(c, "InvalidArgument", "%s: unknown argument '%s'", cmd->name, key);
			return false;
		}
		if (!type_ok(t, val)) {
			ferry_client_error(c, "InvalidArgument", "%s: argument '%s' must be %s",
					   cmd->name, key, type_words[strchr("sbia", t) - "sbia"]);
			return false;
		}
	}
	return true;
}

void ferry_commands_dispatch(struct ferry_client *c, struct ferry_request *req, void *ctx)
{
	struct ferry_daemon *d = ctx;

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct command *cmd = &commands[i];

		if (strcmp(cmd->name, req->cmd) != 0)
			continue;
		if (c->readonly && !cmd->readonly) {
			log_warn("client %u (uid %u): %s refused on the read-only socket", c->id,
				 (unsigned)c->peer.uid, cmd->name);
			ferry_client_error(c, "PermissionDenied", "%s is not allowed on the read-only socket",
					   cmd->name);
			return;
		}
		if (check_args(cmd, c, req->args))
			cmd->fn(d, c, req->args);
		return;
	}
	ferry_client_error(c, "CommandNotFound", "no command '%s'", req->cmd);
}
