// SPDX-License-Identifier: GPL-2.0
/*
 * sim-adc-dmabuf: the upstream IIO DMABUF interface (Linux 6.11) on the
 * simulated ADC with the IIO DMA buffer: attach DMABUFs from udmabuf and
 * from the system dma-heap, enqueue them, wait with poll() on the DMABUF,
 * check the data (continuous across buffers, in enqueue order), detach.
 */
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "iub_harness.h"
#include "sim-iio.h"

#define ADC_LABEL	"iub-sim-adc-dmabuf.0"
#define ADC_NCHAN	2
#define MIB		(1024 * 1024)
#define NBUF		4
#define BUF_SIZE	(4 * MIB)
#define ROUNDS		4

enum buf_kind { KIND_UDMABUF, KIND_HEAP };

struct dmabuf {
	int fd;
	int memfd;
	void *map;
	size_t size;
};

/* A DMABUF from udmabuf: a sealed memfd turned into a dma-buf. */
static int make_udmabuf(struct dmabuf *b, size_t size)
{
	struct udmabuf_create create = { 0 };
	int dev;

	b->memfd = memfd_create("sim-adc-dmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (b->memfd < 0 || ftruncate(b->memfd, size) ||
	    fcntl(b->memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return -errno;
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	create.memfd = b->memfd;
	create.flags = UDMABUF_FLAGS_CLOEXEC;
	create.offset = 0;
	create.size = size;
	b->fd = ioctl(dev, UDMABUF_CREATE, &create);
	close(dev);
	return b->fd < 0 ? -errno : 0;
}

/* A DMABUF from the system heap. */
static int make_heap_buf(struct dmabuf *b, size_t size)
{
	struct dma_heap_allocation_data alloc = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int heap;

	b->memfd = -1;
	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	if (heap < 0)
		return -errno;
	b->fd = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc) ? -1 : (int)alloc.fd;
	close(heap);
	return b->fd < 0 ? -errno : 0;
}

static int make_buf(struct dmabuf *b, enum buf_kind kind, size_t size)
{
	int err;

	memset(b, 0, sizeof(*b));
	b->fd = b->memfd = -1;
	b->size = size;
	err = kind == KIND_UDMABUF ? make_udmabuf(b, size) :
				     make_heap_buf(b, size);
	if (err)
		return err;
	b->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	return b->map == MAP_FAILED ? -errno : 0;
}

static void free_buf(struct dmabuf *b)
{
	if (b->map && b->map != MAP_FAILED)
		munmap(b->map, b->size);
	if (b->fd >= 0)
		close(b->fd);
	if (b->memfd >= 0)
		close(b->memfd);
}

static int dmabuf_sync(int fd, __u64 flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) ? -errno : 0;
}

FIXTURE(dmabuf) {
	char dir[256];
	char dev[64];
	int devfd;
	int bfd;
	struct dmabuf bufs[NBUF];
	int nbufs;
	int attached[NBUF];
};

FIXTURE_SETUP(dmabuf)
{
	int n, idx = 0;

	self->devfd = self->bfd = -1;
	self->nbufs = 0;
	memset(self->attached, 0, sizeof(self->attached));
	n = sim_iio_find(ADC_LABEL, self->dir, sizeof(self->dir));
	if (n < 0)
		SKIP(return, "no IIO device labelled " ADC_LABEL);
	snprintf(self->dev, sizeof(self->dev), "/dev/iio:device%d", n);
	ASSERT_EQ(0, sim_iio_setup(self->dir, ADC_NCHAN, 4096));
	self->devfd = open(self->dev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->devfd);
	/* The DMABUF ioctls work on a buffer's own file descriptor. */
	ASSERT_EQ(0, ioctl(self->devfd, IIO_BUFFER_GET_FD_IOCTL, &idx));
	self->bfd = idx;
	ASSERT_LE(0, self->bfd);
}

FIXTURE_TEARDOWN(dmabuf)
{
	int i;

	sim_iio_enable(self->dir, 0);
	for (i = 0; i < self->nbufs; i++) {
		if (self->attached[i])
			ioctl(self->bfd, IIO_BUFFER_DMABUF_DETACH_IOCTL,
			      &self->bufs[i].fd);
		free_buf(&self->bufs[i]);
	}
	if (self->bfd >= 0)
		close(self->bfd);
	if (self->devfd >= 0)
		close(self->devfd);
}

/*
 * Attach NBUF buffers of the given kinds, enable the buffer, then ROUNDS
 * times: enqueue all, and for each in order wait with poll(), check it with
 * the CPU between DMA_BUF_SYNC_START and _END.
 */
static void run_capture(struct __test_metadata *_metadata,
			FIXTURE_DATA(dmabuf) *self, const enum buf_kind *kinds)
{
	struct iub_sim_stream_check chk;
	struct iio_dmabuf req;
	struct pollfd pfd;
	double t0, s;
	int i, r, err;

	for (i = 0; i < NBUF; i++) {
		err = make_buf(&self->bufs[i], kinds[i], BUF_SIZE);
		self->nbufs = i + 1;
		if (err == -ENOENT)
			SKIP(return, "no %s in the guest",
			     kinds[i] == KIND_UDMABUF ? "/dev/udmabuf" :
			     "/dev/dma_heap/system");
		ASSERT_EQ(0, err);
		/* Poison, so that a transfer that did nothing shows. */
		memset(self->bufs[i].map, 0xa5, BUF_SIZE);
		ASSERT_EQ(0, ioctl(self->bfd, IIO_BUFFER_DMABUF_ATTACH_IOCTL,
				   &self->bufs[i].fd)) TH_LOG("attach %d: %s", i,
							    strerror(errno));
		self->attached[i] = 1;
	}
	ASSERT_EQ(0, sim_iio_enable(self->dir, 1));

	iub_sim_stream_check_init(&chk);
	t0 = sim_now();
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NBUF; i++) {
			req = (struct iio_dmabuf){
				.fd = self->bufs[i].fd,
				.flags = 0,
				.bytes_used = BUF_SIZE,
			};
			ASSERT_EQ(0, ioctl(self->bfd,
					   IIO_BUFFER_DMABUF_ENQUEUE_IOCTL, &req))
				TH_LOG("enqueue %d: %s", i, strerror(errno));
		}
		for (i = 0; i < NBUF; i++) {
			/* POLLIN: the device's write fence has signalled. */
			pfd = (struct pollfd){ .fd = self->bufs[i].fd,
					       .events = POLLIN };
			ASSERT_EQ(1, poll(&pfd, 1, 10000))
				TH_LOG("round %d buffer %d not done", r, i);
			ASSERT_EQ(0, dmabuf_sync(self->bufs[i].fd,
						 DMA_BUF_SYNC_START |
						 DMA_BUF_SYNC_READ));
			iub_sim_stream_check_buf(&chk, self->bufs[i].map,
						 BUF_SIZE);
			ASSERT_EQ(0, dmabuf_sync(self->bufs[i].fd,
						 DMA_BUF_SYNC_END |
						 DMA_BUF_SYNC_READ));
			ASSERT_EQ(0, chk.mismatches) {
				TH_LOG("round %d buffer %d: word %llu expected 0x%08x got 0x%08x",
				       r, i, (unsigned long long)chk.first_bad,
				       chk.first_expected, chk.first_got);
			}
		}
	}
	s = sim_now() - t0;
	EXPECT_EQ((unsigned long long)ROUNDS * NBUF * BUF_SIZE / 4, chk.words);
	TH_LOG("%d MiB in DMABUFs verified, %.1f MiB/s",
	       ROUNDS * NBUF * BUF_SIZE / MIB, ROUNDS * NBUF * BUF_SIZE / MIB / s);

	ASSERT_EQ(0, sim_iio_enable(self->dir, 0));
	for (i = 0; i < NBUF; i++) {
		ASSERT_EQ(0, ioctl(self->bfd, IIO_BUFFER_DMABUF_DETACH_IOCTL,
				   &self->bufs[i].fd));
		self->attached[i] = 0;
	}
	/* Detached: a second detach fails. */
	EXPECT_EQ(-1, ioctl(self->bfd, IIO_BUFFER_DMABUF_DETACH_IOCTL,
			    &self->bufs[0].fd));
}

TEST_F(dmabuf, udmabuf)
{
	static const enum buf_kind k[NBUF] = {
		KIND_UDMABUF, KIND_UDMABUF, KIND_UDMABUF, KIND_UDMABUF,
	};

	run_capture(_metadata, self, k);
}

TEST_F(dmabuf, dma_heap)
{
	static const enum buf_kind k[NBUF] = {
		KIND_HEAP, KIND_HEAP, KIND_HEAP, KIND_HEAP,
	};

	run_capture(_metadata, self, k);
}

TEST_F(dmabuf, mixed)
{
	static const enum buf_kind k[NBUF] = {
		KIND_UDMABUF, KIND_HEAP, KIND_UDMABUF, KIND_HEAP,
	};

	run_capture(_metadata, self, k);
}

/* Upstream refuses the cyclic flag on a capture buffer. */
TEST_F(dmabuf, cyclic_refused_on_capture)
{
	struct iio_dmabuf req;

	ASSERT_EQ(0, make_buf(&self->bufs[0], KIND_HEAP, MIB));
	self->nbufs = 1;
	ASSERT_EQ(0, ioctl(self->bfd, IIO_BUFFER_DMABUF_ATTACH_IOCTL,
			   &self->bufs[0].fd));
	self->attached[0] = 1;
	req = (struct iio_dmabuf){ .fd = self->bufs[0].fd,
				   .flags = IIO_BUFFER_DMABUF_CYCLIC,
				   .bytes_used = MIB };
	EXPECT_EQ(-1, ioctl(self->bfd, IIO_BUFFER_DMABUF_ENQUEUE_IOCTL, &req));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
