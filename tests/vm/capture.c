// SPDX-License-Identifier: GPL-2.0
/*
 * capture: the simulated ADC fills DMABUFs through the bridge, several
 * transfers in flight, completed in order; every byte verified against the
 * stream format (sim/iub_sim_stream.h), continuous across buffers.
 * IUB_EXPECT_PATH=vec|sg makes the test check which dmaengine path the
 * port uses (the bridge's dma_vec parameter chooses).
 */
#include <stdlib.h>

#include "iub_harness.h"
#include "iub_test.h"
#include "dmabuf_util.h"
#include "sim_util.h"
#include "../../sim/iub_sim_stream.h"

#define ADC "iub-sim-adc.0:rx"
#define MiB (1024 * 1024)

struct stream {
	int fd;
	int port;
	struct io_uring ring;
	struct dmabuf bufs[16];
	int handles[16];
	unsigned int nbufs;
	struct iub_sim_stream_check check;
};

static void stream_open(struct __test_metadata *_metadata, struct stream *s,
			enum dmabuf_kind kind, unsigned int nbufs, size_t size)
{
	struct iub_port_info info;
	const char *path = getenv("IUB_EXPECT_PATH");

	memset(s, 0, sizeof(*s));
	s->nbufs = nbufs;
	s->fd = iub_test_open();
	ASSERT_LE(0, s->fd);
	ASSERT_LE(0, iub_test_find_port(s->fd, ADC, &info));
	EXPECT_EQ(IUB_DIR_TO_MEM, info.direction);
	EXPECT_EQ(IUB_PORT_CONVERTER, info.kind);
	EXPECT_EQ(4, info.align);
	if (path && !strcmp(path, "sg"))
		EXPECT_TRUE(info.flags & IUB_PORT_F_SLAVE_SG);
	if (path && !strcmp(path, "vec"))
		EXPECT_TRUE(info.flags & IUB_PORT_F_DMA_VEC);
	s->port = iub_test_claim(s->fd, ADC);
	ASSERT_LE(0, s->port);
	ASSERT_EQ(0, io_uring_queue_init(64, &s->ring, 0));
	for (unsigned int i = 0; i < nbufs; i++) {
		ASSERT_EQ(0, dmabuf_create(&s->bufs[i], kind, size))
			TH_LOG("%s of %zu bytes", dmabuf_kind_name(kind), size);
		s->handles[i] = iub_test_attach(s->fd, s->bufs[i].fd);
		ASSERT_LE(0, s->handles[i]);
	}
	iub_sim_stream_check_init(&s->check);
}

static void stream_close(struct stream *s)
{
	io_uring_queue_exit(&s->ring);
	for (unsigned int i = 0; i < s->nbufs; i++)
		dmabuf_destroy(&s->bufs[i]);
	close(s->fd);
}

/* verify buffer i as the next part of the stream */
static void verify(struct __test_metadata *_metadata, struct stream *s,
		   unsigned int i, size_t len)
{
	ASSERT_EQ(0, dmabuf_sync(&s->bufs[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(0, iub_sim_stream_check_buf(&s->check, s->bufs[i].map, len))
		TH_LOG("buffer %u: word %llu expected 0x%08x got 0x%08x", i,
		       (unsigned long long)s->check.first_bad,
		       s->check.first_expected, s->check.first_got);
	memset(s->bufs[i].map, 0, len);		/* stale data cannot pass */
	ASSERT_EQ(0, dmabuf_sync(&s->bufs[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
}

/* stream @total bytes through io_uring, all buffers in flight */
static void capture_uring(struct __test_metadata *_metadata,
			  enum dmabuf_kind kind, unsigned int nbufs,
			  size_t size, size_t total)
{
	struct stream s;
	size_t done = 0, submitted = 0;
	unsigned int expect = 0, i;

	stream_open(_metadata, &s, kind, nbufs, size);
	for (i = 0; i < nbufs && submitted < total; i++, submitted += size)
		ASSERT_EQ(0, iub_test_queue_xfer(&s.ring, s.fd, s.handles[i],
						 s.port, 0, size, 0, i));
	ASSERT_EQ((int)i, io_uring_submit(&s.ring));

	while (done < total) {
		__u64 ud = ~0ULL;
		int res = iub_test_wait_cqe(&s.ring, 10000, &ud);

		ASSERT_EQ((int)size, res) TH_LOG("after %zu bytes", done);
		/* completions come in submission order */
		ASSERT_EQ(expect, ud);
		verify(_metadata, &s, ud, size);
		done += size;
		expect = (expect + 1) % nbufs;
		if (submitted < total) {
			ASSERT_EQ(0, iub_test_queue_xfer(&s.ring, s.fd, s.handles[ud],
							 s.port, 0, size, 0, ud));
			ASSERT_EQ(1, io_uring_submit(&s.ring));
			submitted += size;
		}
	}
	EXPECT_EQ(total / 4, s.check.words);
	EXPECT_EQ(0, s.check.mismatches);
	TH_LOG("%s: %zu MiB verified, %u x %zu KiB in flight",
	       dmabuf_kind_name(kind), total / MiB, nbufs, size / 1024);
	stream_close(&s);
}

TEST(udmabuf_uring_256m)
{
	capture_uring(_metadata, DMABUF_UDMABUF, 8, 1 * MiB, 256 * MiB);
}

TEST(heap_uring_256m)
{
	size_t size = dmabuf_heap_max() < MiB ? dmabuf_heap_max() : MiB;

	capture_uring(_metadata, DMABUF_HEAP, 8, size, 256 * MiB);
}

TEST(small_buffers_16_in_flight)
{
	capture_uring(_metadata, DMABUF_UDMABUF, 16, 4096, 16 * MiB);
}

/* the blocking ioctl: the same transfer, one at a time */
TEST(ioctl_32m)
{
	struct stream s;
	size_t done;

	stream_open(_metadata, &s, DMABUF_UDMABUF, 2, 1 * MiB);
	for (done = 0; done < 32 * MiB; done += MiB) {
		unsigned int i = (done / MiB) % 2;
		struct iub_transfer t = { .handle = s.handles[i], .port = s.port,
					  .length = MiB };

		ASSERT_EQ((int)MiB, iub_test_ioctl(s.fd, IUB_IOC_TRANSFER, &t));
		verify(_metadata, &s, i, MiB);
	}
	EXPECT_EQ(0, s.check.mismatches);
	stream_close(&s);
}

/* a range inside the buffer: exactly that range is written */
TEST(range_only)
{
	const size_t size = 256 * 1024, off = 4096 + 12, len = 65536 + 20;
	unsigned char *p;
	struct stream s;
	struct iub_transfer t;
	size_t i;

	stream_open(_metadata, &s, DMABUF_UDMABUF, 1, size);
	p = s.bufs[0].map;
	memset(p, 0xa5, size);
	t = (struct iub_transfer){ .handle = s.handles[0], .port = s.port,
				   .offset = off, .length = len };
	ASSERT_EQ((int)len, iub_test_uring_cmd(&s.ring, s.fd, IUB_IOC_TRANSFER,
					       &t, sizeof(t)));
	ASSERT_EQ(0, dmabuf_sync(&s.bufs[0], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	for (i = 0; i < off; i++)
		ASSERT_EQ(0xa5, p[i]) TH_LOG("byte %zu before the range", i);
	for (i = off + len; i < size; i++)
		ASSERT_EQ(0xa5, p[i]) TH_LOG("byte %zu after the range", i);
	EXPECT_EQ(0, iub_sim_stream_check_buf(&s.check, p + off, len));
	dmabuf_sync(&s.bufs[0], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	stream_close(&s);
}

/*
 * A converter that ends a capture early (the simulated ADC's short_next,
 * like TLAST on axi-dmac): the transfer completes with the bytes moved
 * (length minus the engine's residue), through io_uring and the ioctl,
 * and the stream goes on from there without a gap.
 */
TEST(short_capture_reports_the_bytes_moved)
{
	const size_t size = 65536, shortfall = 4096 + 1024;
	struct stream s;
	struct iub_transfer t;
	size_t i;

	sim_restore(SIM_CH_ADC0);
	stream_open(_metadata, &s, DMABUF_UDMABUF, 2, size);
	t = (struct iub_transfer){ .handle = s.handles[0], .port = s.port,
				   .length = size };
	/* the engine must not write past what it reports */
	memset(s.bufs[0].map, 0xa5, size);
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "short_next", shortfall));
	EXPECT_EQ((int)(size - shortfall),
		  iub_test_uring_cmd(&s.ring, s.fd, IUB_IOC_TRANSFER, &t, sizeof(t)));
	for (i = size - shortfall; i < size; i++)
		if (((unsigned char *)s.bufs[0].map)[i] != 0xa5)
			break;
	EXPECT_EQ(size, i) TH_LOG("byte %zu past the bytes reported was written", i);
	verify(_metadata, &s, 0, size - shortfall);
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "short_next", shortfall));
	t.handle = s.handles[1];
	EXPECT_EQ((int)(size - shortfall), iub_test_ioctl(s.fd, IUB_IOC_TRANSFER, &t));
	verify(_metadata, &s, 1, size - shortfall);
	/* the knob is spent: the whole length again */
	t.handle = s.handles[0];
	EXPECT_EQ((int)size, iub_test_ioctl(s.fd, IUB_IOC_TRANSFER, &t));
	verify(_metadata, &s, 0, size);
	EXPECT_EQ(0, s.check.mismatches);
	sim_restore(SIM_CH_ADC0);
	stream_close(&s);
}

TEST_HARNESS_MAIN
