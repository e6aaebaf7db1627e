/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fake-qemu.h - the test plays QEMU: it holds the other end of the QMP
 * socket of a real ferry-monitor (started through mon-harness.h) and
 * writes what QEMU would, or what a compromised QEMU might.
 */
#ifndef FERRY_FAKE_QEMU_H
#define FERRY_FAKE_QEMU_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "mon-harness.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, " \
	"\"major\": 7}, \"package\": \"Debian\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define TS "\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 250000}"
#define TS_US 1700000000250000ull
/* The helper's exit status for a protocol failure (helpers/common.h). */
#define EXIT_PROTOCOL 4

/* The test's end of the QMP socket: it plays QEMU. */
struct fake {
	int fd;
	size_t len;
	char buf[8192];
};

/* The monitor under test; a second one proves the broker carries on. */
extern struct ferry_helper helpers[2];
extern struct ferry_helper *helper;
extern struct fake qemu;

void fake_write(struct fake *f, const void *p, size_t n);
/* Write what the monitor takes before it hangs up on us. */
void fake_write_lossy(struct fake *f, const void *p, size_t n);
void fake_printf(struct fake *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The next command the monitor sent, as a JSON object (the caller puts it). */
struct json_object *fake_read(struct fake *f);
/* Read one command, check its name, keep its id. */
void fake_expect(struct fake *f, const char *execute, char *id, size_t idlen);
/* Read one command: apart from its id (kept), it must equal the JSON @expected. */
void fake_expect_json(struct fake *f, const char *expected, char *id, size_t idlen);

/* Check fixture: a fresh monitor in `helper`; no fd may leak. */
void fake_setup(void);
void fake_teardown(void);
/* Hand the monitor a socketpair end and play QEMU through the handshake. */
void fake_attach(void);
/* Wait for MON_CLOSED (the last event) and the exit that follows it. */
void expect_closed(uint32_t kind, const char *reason, int status);
/* The broker's side carries on: a fresh monitor attaches and answers. */
void broker_still_works(void);

#endif
