// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the bridge's stateless logic, built only against the debug
 * kernel (Debian's has no KUnit) by tools/debug-kernel/test.sh:
 *
 *   iub_range  how a transfer's range is walked over a buffer's DMA mapping
 *              (iub_xfer_segments(), iub_xfer_sgt()) and cut short
 *              (iub_sgt_trim()), against a hand-made mapping;
 *   iub_check  the checks of a transfer against its port (iub_xfer_check()):
 *              flags, alignment, size limit;
 *   iub_route  the route's state machine: what the first stage's outcome
 *              does to the second (iub_route_pass_on()) and the route's
 *              result and CQE word from both (iub_route_outcome()).
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/scatterlist.h>

#include "iub_compat.h"
#include "iub_priv.h"

/* a mapping of @n DMA segments of @len[i] bytes at distinct addresses */
static struct sg_table *fake_map(struct kunit *test, const u32 *len,
				 unsigned int n)
{
	struct sg_table *sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	struct scatterlist *sg;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, sgt);
	KUNIT_ASSERT_EQ(test, 0, sg_alloc_table(sgt, n, GFP_KERNEL));
	for_each_sgtable_sg(sgt, sg, i) {
		sg_dma_address(sg) = 0x100000ULL * (i + 1);
		sg_dma_len(sg) = len[i];
	}
	sgt->nents = n;
	return sgt;
}

static void free_map(void *sgt)
{
	sg_free_table(sgt);
}

static const u32 lens[] = { 4096, 8192, 4096, 65536 };	/* 80 KiB */

/* the port of xfer()'s transfers: a converter, no alignment, no limit */
static struct iub_port range_port = { .kind = IUB_PORT_CONVERTER, .align = 1 };

static struct iub_xfer *xfer(struct kunit *test, u32 offset, u32 length)
{
	struct iub_buf_map *map = kunit_kzalloc(test, sizeof(*map), GFP_KERNEL);
	struct iub_xfer *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, map);
	KUNIT_ASSERT_NOT_NULL(test, x);
	map->sgt = fake_map(test, lens, ARRAY_SIZE(lens));
	kunit_add_action(test, free_map, map->sgt);
	x->map = map;
	x->port = &range_port;
	x->offset = offset;
	x->length = length;
	return x;
}

static void segments_whole(struct kunit *test)
{
	struct iub_xfer *x = xfer(test, 0, 81920);
	struct dma_vec v[4];

	KUNIT_ASSERT_EQ(test, 4, iub_xfer_segments(x, NULL));
	KUNIT_ASSERT_EQ(test, 4, iub_xfer_segments(x, v));
	for (int i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, 0x100000ULL * (i + 1), v[i].addr);
		KUNIT_EXPECT_EQ(test, lens[i], v[i].len);
	}
}

static void segments_inside(struct kunit *test)
{
	/* from 1 KiB into the second segment, 10 KiB: ends in the third */
	struct iub_xfer *x = xfer(test, 4096 + 1024, 10240);
	struct dma_vec v[2];

	KUNIT_ASSERT_EQ(test, 2, iub_xfer_segments(x, v));
	KUNIT_EXPECT_EQ(test, 0x200000ULL + 1024, v[0].addr);
	KUNIT_EXPECT_EQ(test, 7168, v[0].len);
	KUNIT_EXPECT_EQ(test, 0x300000ULL, v[1].addr);
	KUNIT_EXPECT_EQ(test, 3072, v[1].len);
}

static void segments_boundaries(struct kunit *test)
{
	/* exactly the third segment */
	KUNIT_EXPECT_EQ(test, 1, iub_xfer_segments(xfer(test, 12288, 4096), NULL));
	/* one byte of the last */
	KUNIT_EXPECT_EQ(test, 1, iub_xfer_segments(xfer(test, 81919, 1), NULL));
	/* the last byte and one past the end: the mapping is too short */
	KUNIT_EXPECT_EQ(test, 0, iub_xfer_segments(xfer(test, 81919, 2), NULL));
	KUNIT_EXPECT_EQ(test, 0, iub_xfer_segments(xfer(test, 81920, 1), NULL));
	KUNIT_EXPECT_EQ(test, 0, iub_xfer_segments(xfer(test, U32_MAX, U32_MAX), NULL));
}

/* entries longer than the port's max_seg are split; alignment is kept */
static void segments_split_and_aligned(struct kunit *test)
{
	struct dma_vec v[24];

	range_port.max_seg = 4096;
	KUNIT_EXPECT_EQ(test, 20, iub_xfer_segments(xfer(test, 0, 81920), NULL));
	KUNIT_EXPECT_EQ(test, 20, iub_xfer_segments(xfer(test, 0, 81920), v));
	KUNIT_EXPECT_EQ(test, 0x200000 + 4096, v[2].addr);	/* the 2nd's 2nd half */
	KUNIT_EXPECT_EQ(test, 0x400000, v[4].addr);
	KUNIT_EXPECT_EQ(test, 4096, v[19].len);
	/* from 2 KiB into the second entry: 2, 4 (split at 4 KiB), ... */
	KUNIT_EXPECT_EQ(test, 3, iub_xfer_segments(xfer(test, 6144, 8192), v));
	KUNIT_EXPECT_EQ(test, 4096, v[0].len);
	KUNIT_EXPECT_EQ(test, 2048, v[1].len);
	range_port.max_seg = 0;

	/* a segment the engine cannot move (16-byte beats): refused */
	range_port.align = 16;
	KUNIT_EXPECT_EQ(test, 4, iub_xfer_segments(xfer(test, 0, 81920), NULL));
	KUNIT_EXPECT_EQ(test, 0, iub_xfer_segments(xfer(test, 8, 4096), NULL));
	range_port.align = 1;
}

static void sgt_of_range_and_trim(struct kunit *test)
{
	struct iub_xfer *x = xfer(test, 2048, 16384);
	struct scatterlist *sg;
	struct sg_table sgt;
	u32 total = 0;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, 0, iub_xfer_sgt(x, &sgt));
	KUNIT_EXPECT_EQ(test, 4, sgt.nents);	/* 2 KiB, 8, 4 and 2 KiB */
	for_each_sgtable_dma_sg(&sgt, sg, i)
		total += sg_dma_len(sg);
	KUNIT_EXPECT_EQ(test, 16384, total);
	/* a route's second stage cut to 1 KiB: the first entry, shortened */
	KUNIT_EXPECT_EQ(test, 1, iub_sgt_trim(&sgt, 1024));
	KUNIT_EXPECT_EQ(test, 1024, sg_dma_len(sgt.sgl));
	sg_free_table(&sgt);

	/* a range the mapping does not cover: refused */
	KUNIT_EXPECT_EQ(test, -EINVAL, iub_xfer_sgt(xfer(test, 81920, 4096), &sgt));
}

static struct kunit_case iub_range_cases[] = {
	KUNIT_CASE(segments_whole),
	KUNIT_CASE(segments_inside),
	KUNIT_CASE(segments_boundaries),
	KUNIT_CASE(segments_split_and_aligned),
	KUNIT_CASE(sgt_of_range_and_trim),
	{}
};

static struct kunit_suite iub_range_suite = {
	.name = "iub_range",
	.test_cases = iub_range_cases,
};

/* a converter capture port: 64-byte aligned, at most 1 MiB a transfer */
static const struct iub_port adc = {
	.kind = IUB_PORT_CONVERTER, .direction = IUB_DIR_TO_MEM,
	.align = 64, .max_transfer = SZ_1M,
};

/* a converter playback port that can repeat a buffer */
static const struct iub_port dac = {
	.kind = IUB_PORT_CONVERTER, .direction = IUB_DIR_FROM_MEM,
	.caps = IUB_PORT_F_CYCLIC, .align = 4, .max_transfer = SZ_16M,
};

/* a USB bulk IN port */
static const struct iub_port usb_in = {
	.kind = IUB_PORT_USB, .direction = IUB_DIR_FROM_MEM,
	.align = 1, .max_transfer = SZ_64M,
};

static int check(const struct iub_port *port, u32 flags, u32 offset,
		 u32 length)
{
	struct iub_transfer t = {
		.flags = flags, .offset = offset, .length = length,
	};

	return iub_xfer_check(&t, port);
}

static void check_alignment(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 0, check(&adc, 0, 0, 64));
	KUNIT_EXPECT_EQ(test, 0, check(&adc, 0, 4096, SZ_1M));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&adc, 0, 0, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&adc, 0, 32, 64));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&adc, 0, 0, 65));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&adc, 0, 0, 63));
	/* any length on a port with no alignment */
	KUNIT_EXPECT_EQ(test, 0, check(&usb_in, 0, 1, 1));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&usb_in, 0, 0, 0));
}

static void check_limits(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, -E2BIG, check(&adc, 0, 0, SZ_1M + 64));
	KUNIT_EXPECT_EQ(test, -E2BIG, check(&adc, 0, 0, U32_MAX - 63));
	KUNIT_EXPECT_EQ(test, 0, check(&usb_in, 0, 0, SZ_64M));
	KUNIT_EXPECT_EQ(test, -E2BIG, check(&usb_in, 0, 0, SZ_64M + 1));
	/* a misaligned length is EINVAL before it is too big */
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&adc, 0, 0, U32_MAX));
}

static void check_flags(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 0, check(&adc, IUB_XFER_NO_SYNC, 0, 64));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&adc, IUB_XFER_FLAGS + 1, 0, 64));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&adc, BIT(31), 0, 64));
	/* cyclic: only where the port says so */
	KUNIT_EXPECT_EQ(test, 0, check(&dac, IUB_XFER_CYCLIC, 0, 4096));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&adc, IUB_XFER_CYCLIC, 0, 4096));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&usb_in, IUB_XFER_CYCLIC, 0, 4096));
	/* a zero-length packet: USB bulk IN only */
	KUNIT_EXPECT_EQ(test, 0, check(&usb_in, IUB_XFER_ZLP, 0, 512));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&dac, IUB_XFER_ZLP, 0, 512));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&adc, IUB_XFER_ZLP, 0, 512));
}

static struct kunit_case iub_check_cases[] = {
	KUNIT_CASE(check_alignment),
	KUNIT_CASE(check_limits),
	KUNIT_CASE(check_flags),
	{}
};

static struct kunit_suite iub_check_suite = {
	.name = "iub_check",
	.test_cases = iub_check_cases,
};

static void route_pass_on(struct kunit *test)
{
	u32 len = 8192;

	/* all of it arrived: the second stage runs unchanged */
	KUNIT_EXPECT_EQ(test, 0, iub_route_pass_on(8192, 64, &len));
	KUNIT_EXPECT_EQ(test, 8192, len);
	/* a short first stage: the second sends what arrived, aligned down */
	KUNIT_EXPECT_EQ(test, 0, iub_route_pass_on(1000, 64, &len));
	KUNIT_EXPECT_EQ(test, 960, len);
	len = 8192;
	KUNIT_EXPECT_EQ(test, 0, iub_route_pass_on(1000, 1, &len));
	KUNIT_EXPECT_EQ(test, 1000, len);
	/* never longer than it was asked to be */
	len = 512;
	KUNIT_EXPECT_EQ(test, 0, iub_route_pass_on(4096, 1, &len));
	KUNIT_EXPECT_EQ(test, 512, len);
	/* less than one aligned unit, or nothing: the route ends with 0 */
	len = 8192;
	KUNIT_EXPECT_EQ(test, -ENODATA, iub_route_pass_on(63, 64, &len));
	KUNIT_EXPECT_EQ(test, -ENODATA, iub_route_pass_on(0, 1, &len));
	KUNIT_EXPECT_EQ(test, 8192, len);
	/* the first stage failed: the second is cancelled, whatever the error */
	KUNIT_EXPECT_EQ(test, -ECANCELED, iub_route_pass_on(-EIO, 64, &len));
	KUNIT_EXPECT_EQ(test, -ECANCELED, iub_route_pass_on(-ECANCELED, 1, &len));
	KUNIT_EXPECT_EQ(test, -ECANCELED, iub_route_pass_on(-ESHUTDOWN, 1, &len));
	KUNIT_EXPECT_EQ(test, 8192, len);
}

static void route_outcome(struct kunit *test)
{
	u64 info;

	/* both stages moved the data: the second stage's bytes */
	KUNIT_EXPECT_EQ(test, 4096, iub_route_outcome(4096, 4096, &info));
	KUNIT_EXPECT_EQ(test, 4096ULL, info);
	/* shortened second stage */
	KUNIT_EXPECT_EQ(test, 960, iub_route_outcome(1000, 960, &info));
	KUNIT_EXPECT_EQ(test, 1000ULL, info);
	/* the first stage failed: its errno, stage 1, no bytes */
	KUNIT_EXPECT_EQ(test, -EIO, iub_route_outcome(-EIO, -ECANCELED, &info));
	KUNIT_EXPECT_EQ(test, 1ULL << 32, info);
	/* the second stage failed: its errno, stage 2, the first's bytes */
	KUNIT_EXPECT_EQ(test, -ESHUTDOWN,
			iub_route_outcome(4096, -ESHUTDOWN, &info));
	KUNIT_EXPECT_EQ(test, 2ULL << 32 | 4096, info);
	/* too little arrived to pass on: 0, no stage failed */
	KUNIT_EXPECT_EQ(test, 0, iub_route_outcome(63, -ENODATA, &info));
	KUNIT_EXPECT_EQ(test, 63ULL, info);
	KUNIT_EXPECT_EQ(test, 0, iub_route_outcome(0, -ENODATA, &info));
	KUNIT_EXPECT_EQ(test, 0ULL, info);
	/* a cancel that hit both: the first stage is the one reported */
	KUNIT_EXPECT_EQ(test, -ECANCELED,
			iub_route_outcome(-ECANCELED, -ECANCELED, &info));
	KUNIT_EXPECT_EQ(test, 1ULL << 32, info);
}

static struct kunit_case iub_route_cases[] = {
	KUNIT_CASE(route_pass_on),
	KUNIT_CASE(route_outcome),
	{}
};

static struct kunit_suite iub_route_suite = {
	.name = "iub_route",
	.test_cases = iub_route_cases,
};

kunit_test_suites(&iub_range_suite, &iub_check_suite, &iub_route_suite);

IUB_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests of iio-usb-bridge's stateless logic");
MODULE_LICENSE("GPL");
