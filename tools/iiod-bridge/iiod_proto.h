/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command lines of libiio 0.24's text protocol, as iub-iiod parses them
 * (checked against iiod/parser.y and iiod-client.c of libiio v0.24): split
 * into words, the command recognized, its arguments checked. No I/O here,
 * so that the unit test (tests/unit/iiod_proto.c) runs it on the host.
 */
#ifndef IIOD_PROTO_H
#define IIOD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum iiod_cmd {
	IIOD_BAD,	/* parse error: answered -EINVAL */
	IIOD_EMPTY,	/* an empty line: no answer */
	IIOD_VERSION,
	IIOD_PRINT,
	IIOD_ZPRINT,	/* no zstd here: answered -EINVAL, like iiod without it */
	IIOD_BINARY,	/* libiio 1.0's binary protocol: answered -EINVAL */
	IIOD_EXIT,
	IIOD_HELP,
	IIOD_TIMEOUT,
	IIOD_OPEN,
	IIOD_CLOSE,
	IIOD_READ,
	IIOD_WRITE,
	IIOD_READBUF,
	IIOD_WRITEBUF,
	IIOD_GETTRIG,
	IIOD_SETTRIG,
	IIOD_SET_BUFFERS_COUNT,
};

enum iiod_attr_kind {
	IIOD_ATTR_DEVICE,
	IIOD_ATTR_DEBUG,
	IIOD_ATTR_BUFFER,
	IIOD_ATTR_INPUT,	/* channel attribute, input channel */
	IIOD_ATTR_OUTPUT,	/* channel attribute, output channel */
};

#define IIOD_MASK_WORDS	8	/* up to 256 channels */

/**
 * struct iiod_req - one parsed command line
 * @cmd: the command
 * @dev: the device word (OPEN, CLOSE, READ, WRITE, READBUF, WRITEBUF,
 *	GETTRIG, SETTRIG, SET)
 * @kind: READ, WRITE: which attribute
 * @chn: READ, WRITE of a channel attribute: the channel id
 * @attr: READ, WRITE: the attribute, NULL for "all of them"
 * @trig: SETTRIG: the trigger, NULL for none
 * @num: TIMEOUT ms; OPEN samples; WRITE, READBUF, WRITEBUF bytes; SET count
 * @mask: OPEN: the channel mask, @mask[0] the least significant word
 * @mask_words: OPEN: how many words the mask had (8 hex digits each)
 * @cyclic: OPEN ... CYCLIC
 */
struct iiod_req {
	enum iiod_cmd cmd;
	const char *dev;
	enum iiod_attr_kind kind;
	const char *chn;
	const char *attr;
	const char *trig;
	uint64_t num;
	uint32_t mask[IIOD_MASK_WORDS];
	unsigned int mask_words;
	bool cyclic;
};

/*
 * iiod_parse() - parse one command line in place (words are NUL-terminated
 * in @line, which @req then points into); the line ends at "\n" or "\r\n",
 * which the caller has already cut off. Returns req->cmd.
 */
enum iiod_cmd iiod_parse(char *line, struct iiod_req *req);

/*
 * iiod_mask_format() - the mask as READBUF sends it: @words words of 8
 * lowercase hex digits, most significant first, then "\n"; @out holds
 * at least 8 * @words + 2 bytes. Returns the length (8 * @words + 1).
 */
size_t iiod_mask_format(const uint32_t *mask, unsigned int words, char *out);

#endif /* IIOD_PROTO_H */
