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
#include "log.h"
#include "util.h"
#include "vm.h"

typedef void (*command_fn)(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args);

struct command {
	const char *name;
	bool readonly;			/* a query: the read-only socket may use it */
	const char *const *args;	/* names it takes */
	const char *const *required;	/* names it needs */
	command_fn fn;
};

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE ((const char *const[]){ NULL })

static const char *arg_str(struct json_object *args, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(args, key, &v) ? json_object_get_string(v) : NULL;
}

static bool arg_bool(struct json_object *args, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(args, key, &v) && json_object_get_boolean(v);
}

static void uuid_str(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
}

/* The domain named in @args, or NULL after answering DomainNotFound. */
static struct ferry_domain *domain_arg(struct ferry_daemon *d, struct ferry_client *c,
				       struct json_object *args)
{
	const char *name = arg_str(args, "name");
	struct ferry_domain *dom = ferry_domain_lookup(d, name);

	if (!dom)
		ferry_client_error(c, "DomainNotFound", "no domain named '%s'", name);
	return dom;
}

/* The running domain named in @args with a usable monitor, or NULL after answering. */
static struct ferry_domain *running_arg(struct ferry_daemon *d, struct ferry_client *c,
					struct json_object *args)
{
	struct ferry_domain *dom = domain_arg(d, c, args);
	char why[512];

	if (!dom)
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
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "ferry", json_object_new_string(FERRY_VERSION));
	json_object_object_add(r, "host_uuid", json_object_new_string(d->host_uuid));
	json_object_object_add(r, "hostname", json_object_new_string(d->hostname));
	ferry_client_return(c, r);
}

static void cmd_list(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct json_object *list = json_object_new_array();
	bool all = arg_bool(args, "all");
	char uuid[37];

	for (struct ferry_domain *dom = d->domains; dom; dom = dom->next) {
		struct json_object *o;

		if (!all && dom->state == FERRY_DOM_SHUTOFF)
			continue;
		o = json_object_new_object();
		uuid_str(dom->def->uuid, uuid);
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
	uuid_str(dom->def->uuid, uuid);
	json_object_object_add(r, "name", json_object_new_string(dom->def->name));
	json_object_object_add(r, "uuid", json_object_new_string(uuid));
	ferry_client_return(c, r);
}

static void cmd_undefine(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct ferry_domain *dom = domain_arg(d, c, args);
	char err[512];

	if (!dom)
		return;
	if (ferry_domain_undefine(d, dom, err, sizeof(err)) < 0)
		ferry_client_error(c, "OperationInvalid", "%s", err);
	else
		ferry_client_return(c, NULL);
}

static void cmd_info(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct ferry_domain *dom = domain_arg(d, c, args);
	struct json_object *r;
	char uuid[37];

	if (!dom)
		return;
	r = json_object_new_object();
	uuid_str(dom->def->uuid, uuid);
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
	struct ferry_domain *dom = domain_arg(d, c, args);
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
	struct ferry_domain *dom = domain_arg(d, c, args);
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

static void cmd_start(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct ferry_domain *dom = domain_arg(d, c, args);

	if (!dom)
		return;
	if (dom->vm) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' is already %s", dom->def->name,
				   dom->state == FERRY_DOM_SHUTOFF ? "starting" : ferry_dom_state_name(dom->state));
		return;
	}
	ferry_vm_start(d, dom, arg_bool(args, "paused"), c);
}

static void cmd_destroy(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
	struct ferry_domain *dom = domain_arg(d, c, args);

	if (!dom)
		return;
	if (!dom->vm) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' is not running", dom->def->name);
		return;
	}
	ferry_vm_destroy(dom->vm, c);
}

static void run_op(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args,
		   enum ferry_vm_op op)
{
	struct ferry_domain *dom = running_arg(d, c, args);

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

static void cmd_suspend(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args)
{
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

static const struct command commands[] = {
	{ "version", true, NONE, NONE, cmd_version },
	{ "list-domains", true, ARGS("all"), NONE, cmd_list },
	{ "define-domain", false, ARGS("xml"), ARGS("xml"), cmd_define },
	{ "undefine-domain", false, ARGS("name"), ARGS("name"), cmd_undefine },
	{ "domain-info", true, ARGS("name"), ARGS("name"), cmd_info },
	{ "domain-state", true, ARGS("name"), ARGS("name"), cmd_state },
	{ "domain-xml", true, ARGS("name"), ARGS("name"), cmd_xml },
	{ "start-domain", false, ARGS("name", "paused"), ARGS("name"), cmd_start },
	{ "destroy-domain", false, ARGS("name"), ARGS("name"), cmd_destroy },
	{ "shutdown-domain", false, ARGS("name"), ARGS("name"), cmd_shutdown },
	{ "suspend-domain", false, ARGS("name"), ARGS("name"), cmd_suspend },
	{ "resume-domain", false, ARGS("name"), ARGS("name"), cmd_resume },
};

static bool listed(const char *const *names, const char *key)
{
	for (; *names; names++)
		if (strcmp(*names, key) == 0)
			return true;
	return false;
}

/* Unknown, missing and ill-typed arguments never reach a handler. */
static bool check_args(const struct command *cmd, struct ferry_client *c, struct json_object *args)
{
	for (const char *const *r = cmd->required; *r; r++) {
		if (!args || !json_object_object_get_ex(args, *r, NULL)) {
			ferry_client_error(c, "InvalidArgument", "%s: missing argument '%s'", cmd->name, *r);
			return false;
		}
	}
	if (!args)
		return true;
	json_object_object_foreach(args, key, val) {
		bool want_bool = !strcmp(key, "paused") || !strcmp(key, "all");

		if (!listed(cmd->args, key)) {
			ferry_client_error(c, "InvalidArgument", "%s: unknown argument '%s'", cmd->name, key);
			return false;
		}
		if (!json_object_is_type(val, want_bool ? json_type_boolean : json_type_string)) {
			ferry_client_error(c, "InvalidArgument", "%s: argument '%s' must be a %s",
					   cmd->name, key, want_bool ? "boolean" : "string");
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
