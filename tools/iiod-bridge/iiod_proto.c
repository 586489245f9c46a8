// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing of libiio 0.24's command lines (iiod_proto.h). The grammar is the
 * one of iiod/parser.y at v0.24: words separated by single spaces, keywords
 * in upper case; the client builds its lines with the formats of
 * iiod-client.c, which this parser accepts, and rejects anything else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiod_proto.h"

#define MAX_WORDS	8

static int split(char *line, char **w)
{
	int n = 0;
	char *p = line;

	while (*p) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == MAX_WORDS)
			return -1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

/* a decimal number, nothing else in the word */
static bool number(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !*end && !errno;
}

/* OPEN's mask: 8 hex digits per 32 channels, most significant word first */
static bool parse_mask(const char *s, struct iiod_req *req)
{
	size_t len = strlen(s), i;
	unsigned int words = len / 8;

	if (!len || len % 8 || words > IIOD_MASK_WORDS)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	memset(req->mask, 0, sizeof(req->mask));
	for (i = 0; i < words; i++) {
		char word[9];

		memcpy(word, s + 8 * i, 8);
		word[8] = '\0';
		req->mask[words - 1 - i] = strtoul(word, NULL, 16);
	}
	req->mask_words = words;
	return true;
}

/*
 * READ DEV [DEBUG|BUFFER|INPUT CHN|OUTPUT CHN] [ATTR]
 * WRITE DEV [DEBUG|BUFFER|INPUT CHN|OUTPUT CHN] [ATTR] BYTES
 * @w: the words after DEV; @n: how many; @write: the last word is BYTES
 */
static enum iiod_cmd parse_attr(char **w, int n, bool write, struct iiod_req *req)
{
	int i = 0;

	if (write) {
		if (n < 1 || !number(w[n - 1], &req->num))
			return IIOD_BAD;
		n--;
	}
	req->kind = IIOD_ATTR_DEVICE;
	if (i < n && !strcmp(w[i], "DEBUG")) {
		req->kind = IIOD_ATTR_DEBUG;
		i++;
	} else if (i < n && !strcmp(w[i], "BUFFER")) {
		req->kind = IIOD_ATTR_BUFFER;
		i++;
	} else if (i < n && (!strcmp(w[i], "INPUT") || !strcmp(w[i], "OUTPUT"))) {
		req->kind = w[i][0] == 'I' ? IIOD_ATTR_INPUT : IIOD_ATTR_OUTPUT;
		if (i + 1 >= n)
			return IIOD_BAD;
		req->chn = w[i + 1];
		i += 2;
	}
	if (i < n)
		req->attr = w[i++];
	if (i != n)
		return IIOD_BAD;
	return write ? IIOD_WRITE : IIOD_READ;
}

static enum iiod_cmd parse(char **w, int n, struct iiod_req *req)
{
	const char *c = w[0];

	if (n == 1) {
		if (!strcmp(c, "VERSION"))
			return IIOD_VERSION;
		if (!strcmp(c, "PRINT"))
			return IIOD_PRINT;
		if (!strcmp(c, "ZPRINT"))
			return IIOD_ZPRINT;
		if (!strcmp(c, "BINARY"))
			return IIOD_BINARY;
		if (!strcmp(c, "EXIT"))
			return IIOD_EXIT;
		if (!strcmp(c, "HELP"))
			return IIOD_HELP;
		return IIOD_BAD;
	}
	req->dev = w[1];
	if (!strcmp(c, "TIMEOUT")) {
		req->dev = NULL;
		return n == 2 && number(w[1], &req->num) ? IIOD_TIMEOUT : IIOD_BAD;
	}
	if (!strcmp(c, "OPEN")) {
		if (n == 5 && strcmp(w[4], "CYCLIC"))
			return IIOD_BAD;
		if (n != 4 && n != 5)
			return IIOD_BAD;
		req->cyclic = n == 5;
		if (!number(w[2], &req->num) || !parse_mask(w[3], req))
			return IIOD_BAD;
		return IIOD_OPEN;
	}
	if (!strcmp(c, "CLOSE"))
		return n == 2 ? IIOD_CLOSE : IIOD_BAD;
	if (!strcmp(c, "READ"))
		return parse_attr(w + 2, n - 2, false, req);
	if (!strcmp(c, "WRITE"))
		return parse_attr(w + 2, n - 2, true, req);
	if (!strcmp(c, "READBUF") || !strcmp(c, "WRITEBUF")) {
		if (n != 3 || !number(w[2], &req->num))
			return IIOD_BAD;
		return c[0] == 'R' ? IIOD_READBUF : IIOD_WRITEBUF;
	}
	if (!strcmp(c, "GETTRIG"))
		return n == 2 ? IIOD_GETTRIG : IIOD_BAD;
	if (!strcmp(c, "SETTRIG")) {
		if (n > 3)
			return IIOD_BAD;
		req->trig = n == 3 ? w[2] : NULL;
		return IIOD_SETTRIG;
	}
	if (!strcmp(c, "SET")) {
		if (n != 4 || strcmp(w[2], "BUFFERS_COUNT") || !number(w[3], &req->num))
			return IIOD_BAD;
		return IIOD_SET_BUFFERS_COUNT;
	}
	return IIOD_BAD;
}

enum iiod_cmd iiod_parse(char *line, struct iiod_req *req)
{
	char *w[MAX_WORDS];
	int n;

	memset(req, 0, sizeof(*req));
	n = split(line, w);
	if (n < 0)
		req->cmd = IIOD_BAD;
	else if (n == 0)
		req->cmd = IIOD_EMPTY;
	else
		req->cmd = parse(w, n, req);
	return req->cmd;
}

size_t iiod_mask_format(const uint32_t *mask, unsigned int words, char *out)
{
	unsigned int i;
	char *p = out;

	for (i = words; i > 0; i--, p += 8)
		snprintf(p, 9, "%08x", mask[i - 1]);
	*p++ = '\n';
	*p = '\0';
	return p - out;
}
