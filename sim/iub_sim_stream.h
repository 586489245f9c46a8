/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The sample stream of the simulated board: the one contract shared by the
 * simulated dmaengine provider and by every verifier in the project, in the
 * kernel and in user space.
 *
 * A device-to-memory channel writes a sequence of little-endian 32-bit words.
 * Word i (counted from 0 since the channel's stream was last reset) has the
 * value (seed + i) mod 2^32, where the seed is per channel (default: channel
 * index << 24). A verifier therefore resynchronizes from any word it sees
 * (value - seed = index) and must then check continuity across buffers.
 * A memory-to-device channel checks the same format: the first word it
 * consumes sets the expected value, every further word must be the previous
 * one plus one.
 *
 * Everything here is static inline and uses only __u32/__u64/size_t, so the
 * header builds in a module and in a statically linked test program alike.
 * See Documentation/simulated-board.rst.
 */
#ifndef _IUB_SIM_STREAM_H
#define _IUB_SIM_STREAM_H

#include <linux/types.h>
#ifndef __KERNEL__
#include <stddef.h>
#endif

/* Bytes per stream word. */
#define IUB_SIM_STREAM_WORD_SIZE	4u

/* The default seed of channel n is n << IUB_SIM_STREAM_SEED_SHIFT. */
#define IUB_SIM_STREAM_SEED_SHIFT	24

/**
 * iub_sim_stream_default_seed() - default seed of a simulated DMA channel
 * @channel: index of the channel on the simulated provider
 *
 * Return: the seed a channel starts with until debugfs sets another one.
 */
static inline __u32 iub_sim_stream_default_seed(__u32 channel)
{
	return channel << IUB_SIM_STREAM_SEED_SHIFT;
}

/**
 * iub_sim_stream_word() - value of a word of the stream
 * @seed: seed of the channel
 * @index: index of the word since the stream was reset
 *
 * Return: (@seed + @index) mod 2^32.
 */
static inline __u32 iub_sim_stream_word(__u32 seed, __u64 index)
{
	return seed + (__u32)index;
}

/**
 * iub_sim_stream_get_le32() - load one little-endian word, any alignment
 * @p: address of the word
 *
 * Return: the word in CPU byte order. Compilers turn this into one load on
 * little-endian machines.
 */
static inline __u32 iub_sim_stream_get_le32(const void *p)
{
	const unsigned char *b = (const unsigned char *)p;

	return (__u32)b[0] | (__u32)b[1] << 8 | (__u32)b[2] << 16 |
	       (__u32)b[3] << 24;
}

/**
 * iub_sim_stream_put_le32() - store one little-endian word, any alignment
 * @p: address of the word
 * @v: value in CPU byte order
 */
static inline void iub_sim_stream_put_le32(void *p, __u32 v)
{
	unsigned char *b = (unsigned char *)p;

	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

/**
 * iub_sim_stream_fill() - write consecutive words of the stream
 * @buf: destination
 * @words: number of words to write
 * @first: value of the first word; the following ones count up from it
 *
 * Return: the value of the word that would come next.
 */
static inline __u32 iub_sim_stream_fill(void *buf, size_t words, __u32 first)
{
	unsigned char *p = (unsigned char *)buf;
	size_t i;

	for (i = 0; i < words; i++, first++)
		iub_sim_stream_put_le32(p + i * IUB_SIM_STREAM_WORD_SIZE, first);
	return first;
}

/**
 * struct iub_sim_stream_check - state of a stream verifier
 * @next: value the next word must have; valid once @synced is set
 * @synced: 0 until the first word was seen, then 1
 * @words: words checked so far
 * @mismatches: words that differed from the expected value
 * @first_bad: position (in words checked) of the first mismatch
 * @first_expected: value expected at @first_bad
 * @first_got: value found at @first_bad
 *
 * The verifier synchronizes on the first word it sees. After a mismatch it
 * resynchronizes on the word it found, so a gap in the stream costs one
 * mismatch and a single corrupted word costs two (the word and its
 * successor). Initialize with iub_sim_stream_check_init(); reset by
 * initializing again.
 */
struct iub_sim_stream_check {
	__u32 next;
	__u32 synced;
	__u64 words;
	__u64 mismatches;
	__u64 first_bad;
	__u32 first_expected;
	__u32 first_got;
};

/**
 * iub_sim_stream_check_init() - reset a verifier
 * @c: verifier
 */
static inline void iub_sim_stream_check_init(struct iub_sim_stream_check *c)
{
	c->next = 0;
	c->synced = 0;
	c->words = 0;
	c->mismatches = 0;
	c->first_bad = 0;
	c->first_expected = 0;
	c->first_got = 0;
}

/**
 * iub_sim_stream_check_buf() - verify a buffer against the stream
 * @c: verifier, carries continuity from the previous buffer
 * @buf: data
 * @len: length of @buf in bytes; a trailing partial word is ignored
 *
 * Return: the number of mismatching words found in @buf.
 */
static inline __u64 iub_sim_stream_check_buf(struct iub_sim_stream_check *c,
					     const void *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t words = len / IUB_SIM_STREAM_WORD_SIZE;
	__u64 bad = 0;
	size_t i = 0;
	__u32 next = c->next;
	__u32 v;

	if (!words)
		return 0;
	if (!c->synced) {
		next = iub_sim_stream_get_le32(p);
		c->synced = 1;
	}
	for (; i < words; i++, next++) {
		v = iub_sim_stream_get_le32(p + i * IUB_SIM_STREAM_WORD_SIZE);
		if (v == next)
			continue;
		if (!c->mismatches && !bad) {
			c->first_bad = c->words + i;
			c->first_expected = next;
			c->first_got = v;
		}
		bad++;
		next = v;
	}
	c->next = next;
	c->words += words;
	c->mismatches += bad;
	return bad;
}

#endif /* _IUB_SIM_STREAM_H */
