// SPDX-License-Identifier: GPL-2.0
/*
 * unit/iiod-proto: iub-iiod's parser of libiio 0.24's command lines, with
 * the lines the 0.24 client builds (the formats of iiod-client.c at v0.24)
 * and lines it must reject with -EINVAL. TAP output.
 */
#include <stdio.h>
#include <string.h>

#include "iiod_proto.h"

static int failed, n;

static void ok(int cond, const char *what)
{
	n++;
	if (!cond)
		failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n, what);
}

static enum iiod_cmd parse(const char *s, struct iiod_req *r)
{
	static char line[512];

	snprintf(line, sizeof(line), "%s", s);
	return iiod_parse(line, r);
}

int main(void)
{
	struct iiod_req r;
	char mask[64];

	ok(parse("VERSION", &r) == IIOD_VERSION, "VERSION");
	ok(parse("PRINT", &r) == IIOD_PRINT, "PRINT");
	ok(parse("BINARY", &r) == IIOD_BINARY, "BINARY (libiio 1.0) is recognized, to be refused");
	ok(parse("", &r) == IIOD_EMPTY, "an empty line");
	ok(parse("TIMEOUT 2500", &r) == IIOD_TIMEOUT && r.num == 2500, "TIMEOUT 2500");
	ok(parse("TIMEOUT -1", &r) == IIOD_BAD, "TIMEOUT -1 is refused");

	ok(parse("OPEN iio:device0 256 00000003", &r) == IIOD_OPEN &&
	   !strcmp(r.dev, "iio:device0") && r.num == 256 && r.mask_words == 1 &&
	   r.mask[0] == 3 && !r.cyclic, "OPEN iio:device0 256 00000003");
	ok(parse("OPEN iio:device2 1024 0000000100000003 CYCLIC", &r) == IIOD_OPEN &&
	   r.mask_words == 2 && r.mask[1] == 1 && r.mask[0] == 3 && r.cyclic,
	   "OPEN with a two-word mask, most significant first, CYCLIC");
	ok(parse("OPEN iio:device0 256 0003", &r) == IIOD_BAD, "a mask of 4 digits is refused");
	ok(parse("OPEN iio:device0 256 0000000g", &r) == IIOD_BAD, "a mask with a non-hex digit is refused");
	ok(parse("OPEN iio:device0 256 00000003 LOOP", &r) == IIOD_BAD, "OPEN ... LOOP is refused");
	ok(parse("CLOSE iio:device0", &r) == IIOD_CLOSE, "CLOSE");

	ok(parse("READ iio:device0 sampling_frequency", &r) == IIOD_READ &&
	   r.kind == IIOD_ATTR_DEVICE && !strcmp(r.attr, "sampling_frequency"),
	   "READ of a device attribute");
	ok(parse("READ iio:device0 INPUT voltage0 raw", &r) == IIOD_READ &&
	   r.kind == IIOD_ATTR_INPUT && !strcmp(r.chn, "voltage0") &&
	   !strcmp(r.attr, "raw"), "READ of an input channel's attribute");
	ok(parse("READ iio:device1 OUTPUT voltage1 scale", &r) == IIOD_READ &&
	   r.kind == IIOD_ATTR_OUTPUT, "READ of an output channel's attribute");
	ok(parse("READ iio:device0 DEBUG direct_reg_access", &r) == IIOD_READ &&
	   r.kind == IIOD_ATTR_DEBUG, "READ DEBUG");
	ok(parse("READ iio:device0 BUFFER length", &r) == IIOD_READ &&
	   r.kind == IIOD_ATTR_BUFFER && !strcmp(r.attr, "length"), "READ BUFFER");
	ok(parse("READ iio:device0", &r) == IIOD_READ && !r.attr, "READ of all attributes");
	ok(parse("READ iio:device0 INPUT", &r) == IIOD_BAD, "READ INPUT without a channel is refused");
	ok(parse("WRITE iio:device0 INPUT voltage0 sim_seed 3", &r) == IIOD_WRITE &&
	   r.num == 3 && !strcmp(r.attr, "sim_seed"), "WRITE of a channel attribute");
	ok(parse("WRITE iio:device0 sampling_frequency 6", &r) == IIOD_WRITE &&
	   r.kind == IIOD_ATTR_DEVICE && r.num == 6, "WRITE of a device attribute");
	ok(parse("WRITE iio:device0 sampling_frequency", &r) == IIOD_BAD,
	   "WRITE without a byte count is refused");

	ok(parse("READBUF iio:device0 2048", &r) == IIOD_READBUF && r.num == 2048, "READBUF");
	ok(parse("WRITEBUF iio:device3 4096", &r) == IIOD_WRITEBUF && r.num == 4096, "WRITEBUF");
	ok(parse("READBUF iio:device0 0x10", &r) == IIOD_BAD, "READBUF with a hex count is refused");
	ok(parse("GETTRIG iio:device0", &r) == IIOD_GETTRIG, "GETTRIG");
	ok(parse("SETTRIG iio:device0 trigger0", &r) == IIOD_SETTRIG &&
	   !strcmp(r.trig, "trigger0"), "SETTRIG with a trigger");
	ok(parse("SETTRIG iio:device0", &r) == IIOD_SETTRIG && !r.trig, "SETTRIG without one");
	ok(parse("SET iio:device0 BUFFERS_COUNT 4", &r) == IIOD_SET_BUFFERS_COUNT &&
	   r.num == 4, "SET BUFFERS_COUNT");
	ok(parse("EXIT", &r) == IIOD_EXIT, "EXIT");
	ok(parse("FROB iio:device0", &r) == IIOD_BAD, "an unknown command is refused");
	ok(parse("print", &r) == IIOD_BAD, "keywords are upper case");

	r.mask[0] = 0x3;
	r.mask[1] = 0xdeadbeef;
	ok(iiod_mask_format(r.mask, 2, mask) == 17 &&
	   !strcmp(mask, "deadbeef00000003\n"), "READBUF's mask line, most significant word first");
	printf("1..%d\n", n);
	return failed != 0;
}
