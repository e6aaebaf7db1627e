/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferryctl - command-line client of ferryd (docs/ferryctl.md).
 *
 * Every command is one row of a table: its name, the API command it runs,
 * how many positional arguments and which options it takes, and how it
 * prints the answer for humans. --json replaces that last step with the
 * answer itself, so scripts never parse the human output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "ctl.h"
#include "transport.h"
#include "util.h"

#define EXIT_USAGE 2
/* Same bound as the API's line: a bigger document could not travel. */
#define XML_MAX (1024u * 1024u)
#define TIMEOUT_MAX_SEC 86400

/* Options a command may take, as a mask in its table row. */
enum {
	OPT_ALL = 1 << 0,
	OPT_PAUSED = 1 << 1,
	OPT_REASON = 1 << 2,
	OPT_COUNT = 1 << 3,
	OPT_EVTIMEOUT = 1 << 4,
};

struct ctl {
	const char *uri;		/* NULL: the default */
	bool json;
	int timeout_ms;			/* -1: none */
	struct ferry_client *cl;
	/* The command line after option parsing. */
	const char *arg;		/* the one positional argument, if any */
	unsigned opts;			/* OPT_* given */
	int count;
	int ev_timeout_ms;
	char *xml;			/* define: the file's contents */
};

struct command {
	const char *name;
	const char *api;		/* NULL: no API call of its own */
	const char *arg_name;		/* the positional argument, NULL for none */
	unsigned opts;			/* OPT_* accepted */
	int (*run)(struct ctl *c, const struct command *cmd);
	const char *done;		/* simple actions: "Domain 'X' <done>" */
};



void ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("ferryctl: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ferryctl: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'ferryctl --help'.\n", stderr);
	return EXIT_USAGE;
}

static void usage(FILE *f)
{
	fputs("Usage: ferryctl [-c URI] [--json] [--timeout SEC] COMMAND [ARGS]\n"
	      "\n"
	      "Commands:\n"
	      "  define FILE               define a domain from an XML file (at most 1 MiB)\n"
	      "  undefine NAME             remove a shut-off domain's definition\n"
	      "  list [--all]              list running and paused domains; --all: all\n"
	      "  dominfo NAME              show a domain's details\n"
	      "  domstate NAME [--reason]  show a domain's state\n"
	      "  dumpxml NAME              print a domain's XML\n"
	      "  start NAME [--paused]     start a domain\n"
	      "  destroy NAME              stop a domain at once\n"
	      "  shutdown NAME             ask the guest to power off\n"
	      "  suspend NAME              pause a domain's vCPUs\n"
	      "  resume NAME               resume a paused domain\n"
	      "  version                   show client and broker versions\n"
	      "  events [--count N] [--timeout SEC]\n"
	      "                            print domain lifecycle events as they come\n"
	      "  migrate [--live] [--suspend] [--persistent] [--undefinesource] [--xml FILE]\n"
	      "          [--bandwidth MIB/S] [--max-downtime MS] [--timeout SEC] [--verbose]\n"
	      "          [--p2p [--tunnelled [--compressed]] [--migrateuri URI]] [--parallel N]\n"
	      "          NAME DEST_URI     migrate a domain to the broker at DEST_URI\n"
	      "  save NAME FILE [--compressed] [--running|--paused]\n"
	      "                            save a running domain to FILE and stop it\n"
	      "  restore FILE [--running|--paused]\n"
	      "                            start a domain from a save file\n"
	      "  domjobinfo NAME [--completed]\n"
	      "                            show the running (or last completed) job\n"
	      "  domjobabort NAME          abort a running migration\n"
	      "  migrate-setspeed NAME MIB/S\n"
	      "                            cap a migration's bandwidth (0: unlimited)\n"
	      "  migrate-setmaxdowntime NAME MS\n"
	      "                            the downtime a migration may take at its end\n"
	      "  proxy [--socket PATH]     relay stdin and stdout to a local broker socket\n"
	      "                            (what an ssh:// URI runs on the remote host)\n"
	      "\n"
	      "Options:\n"
	      "  -c, --connect URI   broker to talk to: unix:///path/to/socket or\n"
	      "                      ssh://[user@]host[:port][/socket][?keyfile=PATH&\n"
	      "                      known_hosts=PATH&ferryctl=PATH]\n"
	      "  --json              print the answer as JSON\n"
	      "  --timeout SEC       give up waiting for an answer after SEC seconds\n"
	      "  -h, --help          show this help\n"
	      "\n"
	      "Without -c: $FERRY_DEFAULT_URI if set, else unix:///run/ferry/ferry-sock\n"
	      "as root, else unix://$XDG_RUNTIME_DIR/ferry/ferry-sock.\n"
	      "Exit status: 0 success, 1 failure, 2 usage error.\n", f);
}

/* A scalar from the broker, printable: "-" for null or missing. */
static const char *show(struct json_object *o, char *buf, size_t len)
{
	const char *s;
	size_t i;

	switch (json_object_get_type(o)) {
	case json_type_null:
		return "-";
	case json_type_boolean:
		return json_object_get_boolean(o) ? "yes" : "no";
	case json_type_string:
		s = json_object_get_string(o);
		break;
	default:
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		break;
	}
	/* The broker's text reaches a terminal: no escape sequences. */
	for (i = 0; s && s[i] && i + 1 < len; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static const char *field(struct json_object *o, const char *key, char *buf, size_t len)
{
	return show(json_object_object_get(o, key), buf, len);
}

void ctl_print_json(struct json_object *o)
{
	if (json_object_is_type(o, json_type_object) && json_object_object_length(o) == 0) {
		puts("{}");
		return;
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
		JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Run the row's API command; NAME, when the row takes one, is "name". */
static int call(struct ctl *c, const char *api, struct json_object *args,
		struct json_object **ret)
{
	char err[1024];
	int r = ferry_client_call(c->cl, api, args, ret, err, sizeof(err));

	if (r < 0)
		ctl_err("%s", err);
	return r;
}

static struct json_object *name_args(const char *name)
{
	struct json_object *a = json_object_new_object();

	if (a)
		json_object_object_add(a, "name", json_object_new_string(name));
	return a;
}

/* undefine, destroy, shutdown, suspend, resume, start. */
static int run_action(struct ctl *c, const struct command *cmd)
{
	struct json_object *args = name_args(c->arg), *ret = NULL;
	int r;

	if (args && (c->opts & OPT_PAUSED))
		json_object_object_add(args, "paused", json_object_new_boolean(true));
	r = args ? call(c, cmd->api, args, &ret) : -ENOMEM;
	if (r == 0 && c->json)
		ctl_print_json(ret);
	else if (r == 0)
		printf("Domain '%s' %s\n", c->arg, cmd->done);
	json_object_put(args);
	json_object_put(ret);
	return r;
}

static int run_define(struct ctl *c, const struct command *cmd)
{
	struct json_object *args = json_object_new_object(), *ret = NULL;
	char name[256];
	int r = -ENOMEM;

	if (args) {
		json_object_object_add(args, "xml", json_object_new_string(c->xml));
		r = call(c, cmd->api, args, &ret);
	}
	if (r == 0 && c->json)
		ctl_print_json(ret);
	else if (r == 0)
		printf("Domain '%s' defined from %s\n", field(ret, "name", name, sizeof(name)),
		       c->arg);
	json_object_put(args);
	json_object_put(ret);
	return r;
}

/* The width of the widest value of @key among @list's entries. */
static int column_width(struct json_object *list, const char *key, int min)
{
	char buf[256];
	int w = min;

	for (size_t i = 0; i < json_object_array_length(list); i++) {
		int n = (int)strlen(field(json_object_array_get_idx(list, i), key, buf, sizeof(buf)));

		if (n > w)
			w = n;
	}
	return w;
}

static void print_list(struct json_object *list)
{
	int nw = column_width(list, "name", 4), iw = column_width(list, "qemu_pid", 2);
	int sw = column_width(list, "state", 5);
	char id[32], name[256], state[64];

	printf(" %-*s   %-*s   %s\n", iw, "Id", nw, "Name", "State");
	for (int i = 0; i < 1 + iw + 3 + nw + 3 + sw + 1; i++)
		putchar('-');
	putchar('\n');
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *d = json_object_array_get_idx(list, i);

		printf(" %-*s   %-*s   %s\n", iw, field(d, "qemu_pid", id, sizeof(id)),
		       nw, field(d, "name", name, sizeof(name)), field(d, "state", state, sizeof(state)));
	}
}

static int run_list(struct ctl *c, const struct command *cmd)
{
	struct json_object *args = NULL, *ret = NULL;
	int r;

	if (c->opts & OPT_ALL) {
		args = json_object_new_object();
		if (!args)
			return -ENOMEM;
		json_object_object_add(args, "all", json_object_new_boolean(true));
	}
	r = call(c, cmd->api, args, &ret);
	if (r == 0 && c->json) {
		ctl_print_json(ret);
	} else if (r == 0 && !json_object_is_type(ret, json_type_array)) {
		ctl_err("broker answered '%s' with something other than a list", cmd->api);
		r = -EPROTO;
	} else if (r == 0) {
		print_list(ret);
	}
	json_object_put(args);
	json_object_put(ret);
	return r;
}

struct info_row {
	const char *label;
	const char *key;
	const char *unit;
};

static const struct info_row info_rows[] = {
	{ "Name:", "name", NULL },
	{ "UUID:", "uuid", NULL },
	{ "State:", "state", NULL },
	{ "Reason:", "reason", NULL },
	{ "Persistent:", "persistent", NULL },
	{ "Memory:", "memory_kib", " KiB" },
	{ "Current memory:", "current_memory_kib", " KiB" },
	{ "vCPUs:", "vcpus", NULL },
	{ "Accelerator:", "accel", NULL },
	{ "QEMU version:", "qemu_version", NULL },
	{ "QEMU pid:", "qemu_pid", NULL },
	{ "Monitor pid:", "monitor_pid", NULL },
	{ "Monitor:", "monitor", NULL },
};

/* "Label:          value" lines, virsh-style, "-" for what is unknown. */
static void print_info(struct json_object *info)
{
	char buf[1024];

	for (size_t i = 0; i < ARRAY_SIZE(info_rows); i++) {
		const struct info_row *row = &info_rows[i];
		const char *v = field(info, row->key, buf, sizeof(buf));
		bool unit = row->unit && strcmp(v, "-");

		printf("%-15s %s%s\n", row->label, v, unit ? row->unit : "");
	}
}

/* dominfo, domstate, dumpxml: a query on one domain. */
static int run_query(struct ctl *c, const struct command *cmd)
{
	struct json_object *args = name_args(c->arg), *ret = NULL;
	char state[64], reason[64];
	const char *xml;
	int r = args ? call(c, cmd->api, args, &ret) : -ENOMEM;

	json_object_put(args);
	if (r < 0)
		return r;
	if (c->json) {
		ctl_print_json(ret);
	} else if (!strcmp(cmd->name, "dominfo")) {
		print_info(ret);
	} else if (!strcmp(cmd->name, "domstate")) {
		field(ret, "state", state, sizeof(state));
		if (c->opts & OPT_REASON)
			printf("%s (%s)\n", state, field(ret, "reason", reason, sizeof(reason)));
		else
			printf("%s\n", state);
	} else {
		/* The XML goes out as it came: it is the document, not a label. */
		xml = json_object_get_string(json_object_object_get(ret, "xml"));
		if (!xml) {
			ctl_err("broker answered '%s' without an xml string", cmd->api);
			r = -EPROTO;
		} else {
			fputs(xml, stdout);
			if (!*xml || xml[strlen(xml) - 1] != '\n')
				putchar('\n');
		}
	}
	json_object_put(ret);
	return r;
}

static int run_version(struct ctl *c, const struct command *cmd)
{
	struct json_object *ret = NULL;
	char buf[256];
	int r = call(c, cmd->api, NULL, &ret);

	if (r == 0 && c->json) {
		ctl_print_json(ret);
	} else if (r == 0) {
		printf("%-15s %s\n", "ferryctl:", FERRY_VERSION);
		printf("%-15s %s\n", "ferryd:", field(ret, "ferry", buf, sizeof(buf)));
		printf("%-15s %s\n", "Hostname:", field(ret, "hostname", buf, sizeof(buf)));
		printf("%-15s %s\n", "Host UUID:", field(ret, "host_uuid", buf, sizeof(buf)));
		printf("%-15s %s\n", "Read-only:", ferry_client_readonly(c->cl) ? "yes" : "no");
	}
	json_object_put(ret);
	return r;
}

/* One lifecycle event, as a JSON line or "event 'lifecycle' for ...". */
static void print_event(struct ctl *c, struct json_object *ev)
{
	struct json_object *data = json_object_object_get(ev, "data");
	char name[256], state[64], reason[64];

	if (c->json) {
		puts(json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		printf("event 'lifecycle' for domain '%s': %s (%s)\n",
		       field(data, "name", name, sizeof(name)),
		       field(data, "state", state, sizeof(state)),
		       field(data, "reason", reason, sizeof(reason)));
	}
	/* Whoever reads a pipe of events wants each one as it happens. */
	fflush(stdout);
}

static bool is_lifecycle(struct json_object *ev)
{
	const char *name = json_object_get_string(json_object_object_get(ev, "event"));

	return name && !strcmp(name, "DOMAIN_LIFECYCLE");
}

static int run_events(struct ctl *c, const struct command *cmd)
{
	int timeout_ms = (c->opts & OPT_EVTIMEOUT) ? c->ev_timeout_ms : c->timeout_ms;
	uint64_t deadline = timeout_ms < 0 ? 0 : ferry_now_ns() + (uint64_t)timeout_ms * 1000000u;
	char err[1024];
	int seen = 0;

	while (!(c->opts & OPT_COUNT) || seen < c->count) {
		struct json_object *ev = NULL;
		int wait = -1, r;

		if (deadline) {
			uint64_t now = ferry_now_ns();

			wait = now >= deadline ? 0 : (int)((deadline - now + 999999u) / 1000000u);
		}
		r = ferry_client_next_event(c->cl, wait, &ev, err, sizeof(err));
		if (r == -ETIMEDOUT && !(c->opts & OPT_COUNT))
			return 0;
		if (r == -ETIMEDOUT) {
			ctl_err("timed out after %d of %d events", seen, c->count);
			return r;
		}
		if (r < 0) {
			ctl_err("%s", err);
			return r;
		}
		if (is_lifecycle(ev)) {
			print_event(c, ev);
			seen++;
		}
		json_object_put(ev);
	}
	return 0;
}

static const struct command commands[] = {
	{ "define", "define-domain", "FILE", 0, run_define, NULL },
	{ "undefine", "undefine-domain", "NAME", 0, run_action, "has been undefined" },
	{ "list", "list-domains", NULL, OPT_ALL, run_list, NULL },
	{ "dominfo", "domain-info", "NAME", 0, run_query, NULL },
	{ "domstate", "domain-state", "NAME", OPT_REASON, run_query, NULL },
	{ "dumpxml", "domain-xml", "NAME", 0, run_query, NULL },
	{ "start", "start-domain", "NAME", OPT_PAUSED, run_action, "started" },
	{ "destroy", "destroy-domain", "NAME", 0, run_action, "destroyed" },
	{ "shutdown", "shutdown-domain", "NAME", 0, run_action, "is being shutdown" },
	{ "suspend", "suspend-domain", "NAME", 0, run_action, "suspended" },
	{ "resume", "resume-domain", "NAME", 0, run_action, "resumed" },
	{ "version", "version", NULL, 0, run_version, NULL },
	{ "events", NULL, NULL, OPT_COUNT | OPT_EVTIMEOUT, run_events, NULL },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* Whole seconds, 1 to a day, as milliseconds. */
static int parse_timeout(const char *s, int *ms)
{
	int sec;

	if (ferry_parse_int(s, 1, TIMEOUT_MAX_SEC, &sec) < 0)
		return usage_error("--timeout: '%s' is not a whole number of seconds from 1 to %d",
				   s, TIMEOUT_MAX_SEC);
	*ms = sec * 1000;
	return 0;
}

/*
 * The command's own options and its positional argument. Options may
 * come before or after the argument; --json is accepted here as well.
 */
static int parse_command(struct ctl *c, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ "paused", no_argument, NULL, OPT_PAUSED },
		{ "reason", no_argument, NULL, OPT_REASON },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "timeout", required_argument, NULL, OPT_EVTIMEOUT },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	optind = 0;	/* glibc: start over, and re-read the optstring's mode */
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (o == 'j') {
			c->json = true;
			continue;
		}
		if (o == '?' || o == ':')
			return usage_error("%s: bad or incomplete option '%s'", cmd->name,
					   argv[optind - 1]);
		if (!((unsigned)o & cmd->opts))
			return usage_error("%s: no such option '%s'", cmd->name, argv[optind - 1]);
		c->opts |= (unsigned)o;
		if (o == OPT_COUNT && ferry_parse_int(optarg, 1, 1000000, &c->count) < 0)
			return usage_error("%s: --count: '%s' is not a number from 1 to 1000000",
					   cmd->name, optarg);
		if (o == OPT_EVTIMEOUT && parse_timeout(optarg, &c->ev_timeout_ms))
			return EXIT_USAGE;
	}
	if (cmd->arg_name && optind >= argc)
		return usage_error("%s: missing %s", cmd->name, cmd->arg_name);
	if (cmd->arg_name)
		c->arg = argv[optind++];
	if (optind < argc)
		return usage_error("%s: unexpected argument '%s'", cmd->name, argv[optind]);
	return 0;
}

static int parse_global(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	/* '+': stop at the command; what follows is the command's. */
	while ((o = getopt_long(argc, argv, "+:c:h", longopts, NULL)) != -1) {
		switch (o) {
		case 'c':
			c->uri = optarg;
			break;
		case 'j':
			c->json = true;
			break;
		case 't':
			if (parse_timeout(optarg, &c->timeout_ms))
				return EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			return usage_error("bad or incomplete option '%s'", argv[optind - 1]);
		}
	}
	return 0;
}

/* define's FILE, read whole before connecting: at most XML_MAX bytes. */
int ctl_read_file(const char *path, char **out)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		ctl_err("%s: %s", path, strerror(errno));
		return -EIO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)XML_MAX) {
		ctl_err("%s: not a regular file of at most %u bytes", path, XML_MAX);
		return -EINVAL;
	}
	buf = malloc(XML_MAX + 2);
	if (!buf)
		return -ENOMEM;
	/* The file may grow while read: stop one byte past the limit. */
	while (len <= XML_MAX) {
		ssize_t n = read(fd, buf + len, XML_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ctl_err("%s: %s", path, strerror(errno));
			return -EIO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > XML_MAX || memchr(buf, '\0', len)) {
		ctl_err("%s: larger than %u bytes or holds a NUL byte", path, XML_MAX);
		return -EINVAL;
	}
	buf[len] = '\0';
	*out = steal_ptr(buf);
	return 0;
}

int ctl_connect(const char *uri, int timeout_ms, struct ferry_client **out)
{
	char buf[FERRY_URI_MAX + 1];
	char err[1024];

	if (!uri && ferry_default_uri(buf, sizeof(buf), err, sizeof(err)) < 0) {
		ctl_err("%s", err);
		return -1;
	}
	if (!uri)
		uri = buf;
	if (ferry_client_connect(uri, timeout_ms, out, err, sizeof(err)) < 0) {
		ctl_err("%s", err);
		return -1;
	}
	return 0;
}

/*
 * proxy [--socket PATH]: the remote end of an ssh:// URI. The socket is
 * PATH, else -c's unix URI, else the default one, never another ssh hop.
 */
static int run_proxy(const char *uri, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	char buf[FERRY_URI_MAX + 1], err[1024];
	struct ferry_uri u;
	int o, fd, r;
	pid_t pid;

	optind = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (o != 's')
			return usage_error("proxy: bad or incomplete option '%s'", argv[optind - 1]);
		if (optarg[0] != '/')
			return usage_error("proxy: --socket: '%s' is not an absolute path", optarg);
		snprintf(buf, sizeof(buf), "unix://%s", optarg);
		uri = buf;
	}
	if (optind < argc)
		return usage_error("proxy: unexpected argument '%s'", argv[optind]);
	if (!uri && ferry_default_uri(buf, sizeof(buf), err, sizeof(err)) == 0)
		uri = buf;
	r = uri ? ferry_uri_parse(uri, &u, err, sizeof(err)) : -ENOENT;
	if (r == 0 && u.scheme != FERRY_URI_UNIX)
		r = ferry_err(err, sizeof(err), -EINVAL, "'%s' is not a local socket", uri);
	if (r == 0)
		r = ferry_transport_connect(uri, &fd, &pid, err, sizeof(err));
	if (r < 0) {
		ctl_err("proxy: %s", err);
		return EXIT_FAILURE;
	}
	/* A side going away must be a message, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	r = ferry_proxy_pump(STDIN_FILENO, STDOUT_FILENO, fd, err, sizeof(err));
	close(fd);
	if (r < 0)
		ctl_err("proxy: %s", err);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	struct ctl c = { .timeout_ms = -1, .ev_timeout_ms = -1 };
	const struct command *cmd;
	int r;

	r = parse_global(&c, argc, argv);
	if (r)
		return r;
	if (optind >= argc)
		return usage_error("no command given");
	if (!strcmp(argv[optind], "proxy"))
		return run_proxy(c.uri, argc - optind, argv + optind);
	r = ctl_migration_main(c.uri, c.json, c.timeout_ms, argc - optind, argv + optind);
	if (r == -ENOENT)
		r = ctl_save_main(c.uri, c.json, c.timeout_ms, argc - optind, argv + optind);
	if (r != -ENOENT)
		return r;
	cmd = find_command(argv[optind]);
	if (!cmd)
		return usage_error("unknown command '%s'", argv[optind]);
	r = parse_command(&c, cmd, argc - optind, argv + optind);
	if (r)
		return r;
	if (cmd->run == run_define && ctl_read_file(c.arg, &c.xml) < 0)
		return EXIT_FAILURE;
	if (ctl_connect(c.uri, c.timeout_ms, &c.cl) < 0) {
		free(c.xml);
		return EXIT_FAILURE;
	}
	r = cmd->run(&c, cmd);
	ferry_client_free(c.cl);
	free(c.xml);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_err("writing output: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
