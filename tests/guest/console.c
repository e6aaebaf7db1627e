/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * COM1 output and the CMOS clock. Every port access leaves the VM, so the
 * callers keep them rare: a line or so per second, one clock read every few
 * milliseconds.
 */
#include "guest.h"

#define COM1		0x3f8
#define LSR_THRE	0x20

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define RTC_SECONDS	0x00
#define RTC_STATUS_B	0x0b
#define RTC_BINARY	0x04

static bool rtc_binary;

void console_init(void)
{
	outb(COM1 + 1, 0x00);	/* no UART interrupts: IF stays 0 anyway */
	outb(COM1 + 3, 0x80);	/* divisor latch */
	outb(COM1 + 0, 0x01);	/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 2, 0xc7);	/* FIFO on and cleared */
}

void con_char(char c)
{
	while (!(inb(COM1 + 5) & LSR_THRE))
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

void con_str(const char *s)
{
	while (*s)
		con_char(*s++);
}

void con_u64(uint64_t v)
{
	char buf[21];
	int i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	con_str(&buf[i]);
}

void con_hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[19];
	int i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = digits[v & 0xf];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	con_str(&buf[i]);
}

/* CRLF so that a raw terminal shows lines too; parsers strip the CR. */
void con_end(void)
{
	con_str("\r\n");
}

static uint8_t cmos_read(uint8_t reg)
{
	/* bit 7 of the index is NMI-disable: leave it clear */
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

void rtc_init(void)
{
	rtc_binary = cmos_read(RTC_STATUS_B) & RTC_BINARY;
}

/*
 * The RTC is the guest's wall clock: QEMU derives it from host time, so it
 * keeps counting across a pause or a migration, unlike the TSC.
 */
unsigned int rtc_seconds(void)
{
	uint8_t v = cmos_read(RTC_SECONDS);

	if (!rtc_binary)
		v = (uint8_t)((v >> 4) * 10 + (v & 0x0f));
	return v;
}
