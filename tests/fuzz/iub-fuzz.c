// SPDX-License-Identifier: GPL-2.0
/*
 * iub-fuzz: a UAPI fuzzer for /dev/iio-usb-bridge.
 *
 * Several threads issue random sequences of every command (GET_FEATURES,
 * NOP, BUF_ATTACH/DETACH, GET_PORTS, PORT_CLAIM/RELEASE/CANCEL/EVENT, TRANSFER,
 * ROUTE, and unknown numbers) through ioctl() and IORING_OP_URING_CMD,
 * with random and boundary values in every field, on a few shared open
 * files, with rings recycled now and then (plain, SQE128, CQE32, fixed
 * files, IOSQE_ASYNC). Meanwhile the main thread forks submitters and
 * kills them, replaces DMABUFs and, on the simulated board, injects DMA
 * errors, delays and stalls.
 *
 * Every result is checked against the errno table of
 * Documentation/uapi.rst (and successful results for sanity); anything
 * else is reported and makes the run fail. At the end it prints how many
 * commands it issued.
 *
 *   iub-fuzz [-t SECONDS] [-j THREADS] [-s SEED] [-c CMD,...] [-m ioctl|uring]
 *            [-F] [-q]
 *
 * -c limits the commands to those named (e.g. -c NOP,TRANSFER), -m to one
 * path, -F turns off the main thread's forks and injected faults: for
 * narrowing down a report. The seed is printed; the same seed and options
 * give the same sequences per thread (timing aside).
 *
 * Exit status: 0 no unexpected result, 1 some, 2 usage or setup error,
 * 4 no device (skip).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../vm/dmabuf_util.h"
#include "../vm/iub_test.h"

#define MAX_THREADS	16
#define NFILES		3	/* shared bridge files */
#define NBUFS		12	/* shared DMABUFs */
#define SLOTS		1024	/* io_uring commands tracked per thread */
#define SIM_DBG		"/sys/kernel/debug/iub-sim-dma"

enum cmd {
	C_FEATURES, C_NOP, C_ATTACH, C_DETACH, C_PORTS, C_CLAIM, C_RELEASE,
	C_CANCEL, C_TRANSFER, C_ROUTE, C_EVENT, C_STREAM, C_UNKNOWN, NCMD
};

static const char *const cmd_name[NCMD] = {
	"GET_FEATURES", "NOP", "BUF_ATTACH", "BUF_DETACH", "GET_PORTS",
	"PORT_CLAIM", "PORT_RELEASE", "PORT_CANCEL", "TRANSFER", "ROUTE",
	"PORT_EVENT", "STREAM", "(unknown)",
};

static const unsigned int cmd_op[NCMD] = {
	IUB_IOC_GET_FEATURES, IUB_IOC_NOP, IUB_IOC_BUF_ATTACH,
	IUB_IOC_BUF_DETACH, IUB_IOC_GET_PORTS, IUB_IOC_PORT_CLAIM,
	IUB_IOC_PORT_RELEASE, IUB_IOC_PORT_CANCEL, IUB_IOC_TRANSFER,
	IUB_IOC_ROUTE, IUB_IOC_PORT_EVENT, IUB_IOC_STREAM, 0,
};

/*
 * The documented errnos of each command (Documentation/uapi.rst, Errors).
 * Asynchronous commands (NOP with flags, TRANSFER, ROUTE) may also end
 * with ECANCELED (any cancel) and, through a blocking ioctl, EINTR.
 */
static const int allowed[NCMD][16] = {
	[C_FEATURES] = { EINVAL, EFAULT },
	[C_NOP] = { EINVAL, EBUSY, ENOMEM },
	[C_ATTACH] = { EINVAL, EBADF, EEXIST, ENOSPC, ENOMEM },
	[C_DETACH] = { EINVAL, ENOENT },
	[C_PORTS] = { EINVAL, EFAULT },
	[C_CLAIM] = { EINVAL, ENODEV, ENXIO, EALREADY, EBUSY },
	[C_RELEASE] = { EINVAL, ENODEV, EPERM, EBUSY },
	[C_CANCEL] = { EINVAL, ENODEV, EPERM, ESHUTDOWN },
	[C_TRANSFER] = { EINVAL, ENOENT, ENODEV, EPERM, EBUSY, E2BIG, EIO,
			 ESHUTDOWN, EFAULT, ENOMEM },
	[C_ROUTE] = { EINVAL, ENOENT, ENODEV, EPERM, EBUSY, E2BIG, EIO,
		      ESHUTDOWN, EFAULT, ENOMEM },
	/* always with IUB_EVENT_NOWAIT: nothing here makes events */
	[C_EVENT] = { EINVAL, ENODEV, EPERM, EOPNOTSUPP, EAGAIN, ESHUTDOWN,
		      EBUSY, ENOMEM },
	[C_STREAM] = { EINVAL, ENOENT, ENODEV, EPERM, EBUSY, E2BIG, EIO,
		       ESHUTDOWN, EFAULT, ENOMEM },
	[C_UNKNOWN] = { ENOTTY },
};

static bool is_async(enum cmd c)
{
	return c == C_NOP || c == C_TRANSFER || c == C_ROUTE || c == C_STREAM;
}

/* --- shared state ---------------------------------------------------------- */

static int nthreads = 4, quiet, only_path = -1, no_faults;
static bool cmd_on[NCMD] = { [0 ... NCMD - 1] = true };
static double duration = 60;
static unsigned long long seed;
static double t_end;
static int files[NFILES];
static struct iub_features feat;
static struct iub_port_info ports[64];
static int nports;
static atomic_int buf_fd[NBUFS];
static size_t buf_size[NBUFS];
static pthread_mutex_t buf_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int handles[NFILES][8];	/* handles recently returned */
static bool have_sim;

static atomic_ullong count[NCMD][2];	/* [cmd][0 ioctl, 1 io_uring] */
static atomic_ullong errcount[NCMD][140];
static atomic_ullong unexpected, forks, injections;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*, one state per thread */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static unsigned int pick(uint64_t *s, unsigned int n)
{
	return rnd(s) % n;
}

/* a 32-bit value: boundaries, small, or random */
static uint32_t val32(uint64_t *s)
{
	static const uint32_t b[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 95, 96, 97, 255,
		256, 511, 512, 4095, 4096, 4097, 65535, 65536, 65537, 1 << 20,
		(1 << 20) + 4, 0x7ffffffc, 0x7fffffff, 0x80000000, 0xfffffffc,
		0xffffffff,
	};

	switch (pick(s, 4)) {
	case 0: return rnd(s);
	case 1: return pick(s, 256);
	default: return b[pick(s, sizeof(b) / sizeof(b[0]))];
	}
}

/* flags: 0 mostly, valid bits, or anything */
static uint32_t flags32(uint64_t *s, uint32_t valid)
{
	switch (pick(s, 8)) {
	case 0: return rnd(s);
	case 1: return 1u << pick(s, 32);
	case 2: case 3: return rnd(s) & valid;
	default: return 0;
	}
}

static uint64_t reserved64(uint64_t *s)
{
	return pick(s, 16) ? 0 : (pick(s, 2) ? 1ULL << pick(s, 64) : rnd(s));
}

static void report(const char *path, enum cmd c, unsigned int op,
		   const void *blk, long res, const char *why)
{
	const unsigned char *b = blk;

	atomic_fetch_add(&unexpected, 1);
	if (atomic_load(&unexpected) > 30)
		return;
	pthread_mutex_lock(&report_lock);
	printf("UNEXPECTED: %s %s (op 0x%08x) -> %ld (%s): %s; block",
	       path, cmd_name[c], op, res, res < 0 ? strerror(-res) : "ok", why);
	for (int i = 0; i < 16; i++)
		printf(" %02x", b[i]);
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&report_lock);
}

/* the command a number names, or C_UNKNOWN */
static enum cmd classify(unsigned int op)
{
	for (int c = 0; c < C_UNKNOWN; c++)
		if (cmd_op[c] == op)
			return c;
	return C_UNKNOWN;
}

/* --- one thread ------------------------------------------------------------- */

struct slot {
	bool used;
	enum cmd cmd;
	unsigned int op;
	unsigned char blk[16];
	int file;
};

struct thr {
	int id;
	uint64_t rs;
	struct io_uring ring;
	bool ring_ok, sqe128, fixed;
	struct slot slot[SLOTS];
	int outstanding;
	unsigned char *scratch;	/* SCRATCH RW bytes, then HOLE PROT_NONE */
	double last_progress;
	timer_t timer;
};

#define SCRATCH (4 * 4096)
/* inaccessible pages after the scratch area: the only "bad" user addresses
 * the fuzzer makes up, so that the kernel never writes into a mapping of
 * ours (a ring!) that happens to lie beyond */
#define HOLE (16 * 4096)

/*
 * A user pointer for a query: good, straddling into the hole, or bad. Never
 * one before the scratch area: the kernel would write into whatever
 * mapping lies there (a ring).
 */
static uint64_t query_ptr(struct thr *t, uint32_t size)
{
	unsigned char *end = t->scratch + SCRATCH;

	switch (pick(&t->rs, 10)) {
	case 0: return 0;
	case 1:	/* the last 8 bytes fall into the hole */
		if (size > SCRATCH || size < 8)
			return (uint64_t)(unsigned long)(end - 8);
		return (uint64_t)(unsigned long)(end - size + 8);
	case 2: return 0xffffffff81000000ULL;
	case 3: return rnd(&t->rs) | 1ULL << 63;	/* never a user address */
	case 4: return (uint64_t)(unsigned long)(end + 4096 * pick(&t->rs, HOLE / 4096));
	default:
		if (size > SCRATCH)
			return (uint64_t)(unsigned long)t->scratch;
		return (uint64_t)(unsigned long)(end - size);
	}
}

static uint32_t query_size(struct thr *t, enum cmd c)
{
	static const uint32_t f[] = { 0, 1, 23, 24, 31, 32, 33, 64, 4095, 4096,
				      4097, 8192 };

	if (pick(&t->rs, 4) == 0)
		return val32(&t->rs);
	if (c == C_FEATURES)
		return f[pick(&t->rs, sizeof(f) / sizeof(f[0]))];
	switch (pick(&t->rs, 4)) {
	case 0: return pick(&t->rs, 300) * sizeof(struct iub_port_info);
	case 1: return 256 * sizeof(struct iub_port_info) + pick(&t->rs, 200);
	default: return pick(&t->rs, 40) * sizeof(struct iub_port_info);
	}
}

static uint16_t pick_handle(struct thr *t, int file)
{
	switch (pick(&t->rs, 6)) {
	case 0: return val32(&t->rs);
	case 1: return pick(&t->rs, 70);
	default: return atomic_load(&handles[file][pick(&t->rs, 8)]);
	}
}

static uint32_t pick_port(struct thr *t)
{
	if (!nports || !pick(&t->rs, 8))
		return pick(&t->rs, 2) ? val32(&t->rs) : pick(&t->rs, nports + 4);
	return ports[pick(&t->rs, nports)].id;
}

/* offset and length: aligned ranges inside a buffer, or boundaries */
static void pick_range(struct thr *t, uint32_t *off, uint32_t *len)
{
	uint32_t size = buf_size[pick(&t->rs, NBUFS)];
	uint32_t a = 1u << pick(&t->rs, 4);

	switch (pick(&t->rs, 6)) {
	case 0:
		*off = val32(&t->rs);
		*len = val32(&t->rs);
		break;
	case 1:
		*off = size - a;
		*len = a * (1 + pick(&t->rs, 2));
		break;
	default:
		*off = pick(&t->rs, 4) ? 0 : (pick(&t->rs, size / 4096) * 4096);
		*len = size - *off;
		if (pick(&t->rs, 2))
			*len = (*len / 2) & ~(a - 1);
		if (!*len)
			*len = a;
	}
}

/*
 * Any DMABUF of the set, through any file: the module imports a DMABUF
 * once, so files share its mappings, and a file attaches it once (EEXIST).
 */
static int pick_dmabuf_fd(struct thr *t)
{
	switch (pick(&t->rs, 12)) {
	case 0: return -1;
	case 1: return files[pick(&t->rs, NFILES)];	/* not a DMABUF */
	case 2: return pick(&t->rs, 3);
	case 3: return 1 << 20;
	case 4: return val32(&t->rs);
	default:
		return atomic_load(&buf_fd[pick(&t->rs, NBUFS)]);
	}
}

/* fill the block of a random command; returns the command */
static enum cmd gen(struct thr *t, int file, bool uring, unsigned int *op,
		    unsigned char blk[16])
{
	enum cmd c;

	do
		c = pick(&t->rs, NCMD);
	while (!cmd_on[c]);
	memset(blk, 0, 16);
	*op = cmd_op[c];
	switch (c) {
	case C_FEATURES:
	case C_PORTS: {
		struct iub_query q = { .size = query_size(t, c) };

		q.data = query_ptr(t, q.size);
		q.flags = flags32(&t->rs, 0);
		memcpy(blk, &q, sizeof(q));
		break;
	}
	case C_NOP: {
		struct iub_nop n = { .flags = flags32(&t->rs, IUB_NOP_FLAGS),
				     .value = val32(&t->rs),
				     .reserved = reserved64(&t->rs) };

		/* a parked NOP through ioctl waits for a signal: keep it rare */
		if (!uring && (n.flags & IUB_NOP_PARK) && pick(&t->rs, 8))
			n.flags &= ~IUB_NOP_PARK;
		memcpy(blk, &n, sizeof(n));
		break;
	}
	case C_ATTACH: {
		struct iub_buf_attach a = { .fd = pick_dmabuf_fd(t),
					    .flags = flags32(&t->rs, 0),
					    .reserved = reserved64(&t->rs) };

		memcpy(blk, &a, sizeof(a));
		break;
	}
	case C_DETACH: {
		struct iub_buf_detach d = { .handle = pick_handle(t, file),
					    .flags = flags32(&t->rs, 0),
					    .reserved = reserved64(&t->rs) };

		if (!pick(&t->rs, 8))
			d.handle = val32(&t->rs);
		memcpy(blk, &d, sizeof(d));
		break;
	}
	case C_CLAIM:
	case C_RELEASE:
	case C_CANCEL: {
		struct iub_port_claim p = { .port = pick_port(t),
					    .flags = flags32(&t->rs, 0),
					    .reserved = reserved64(&t->rs) };

		memcpy(blk, &p, sizeof(p));
		break;
	}
	case C_EVENT: {
		/* never one that waits: no USB host makes events here */
		struct iub_port_claim p = { .port = pick_port(t),
					    .flags = flags32(&t->rs, 0) |
						     IUB_EVENT_NOWAIT,
					    .reserved = reserved64(&t->rs) };

		memcpy(blk, &p, sizeof(p));
		break;
	}
	case C_TRANSFER: {
		struct iub_transfer x = { .handle = pick_handle(t, file),
					  .port = pick_port(t),
					  .flags = flags32(&t->rs, IUB_XFER_FLAGS) };

		pick_range(t, &x.offset, &x.length);
		/* cyclic runs until a cancel: keep it rare */
		if ((x.flags & IUB_XFER_CYCLIC) && pick(&t->rs, 4))
			x.flags &= ~IUB_XFER_CYCLIC;
		memcpy(blk, &x, sizeof(x));
		break;
	}
	case C_ROUTE: {
		struct iub_route r = { .handle = pick_handle(t, file),
				       .flags = flags32(&t->rs, IUB_ROUTE_FLAGS),
				       .from = pick_port(t), .to = pick_port(t) };

		pick_range(t, &r.offset, &r.length);
		memcpy(blk, &r, sizeof(r));
		break;
	}
	case C_STREAM: {
		/*
		 * The description in the scratch area, now and then running
		 * into the hole after it (EFAULT). Always a byte count: a
		 * stream without one runs until a cancel.
		 */
		struct {
			struct iub_stream s;
			struct iub_stream_range r[6];
		} d = { 0 };
		unsigned int nr = 1 + pick(&t->rs, 6);
		size_t size = sizeof(d.s) + nr * sizeof(d.r[0]);
		size_t off = pick(&t->rs, 8) ? 0 : SCRATCH - size / 2;
		struct iub_stream_cmd sc = { 0 };

		d.s.from = pick_port(t);
		d.s.to = pick_port(t);
		d.s.flags = flags32(&t->rs, IUB_ROUTE_FLAGS);
		d.s.nr_ranges = pick(&t->rs, 8) ? nr : pick(&t->rs, 80);
		d.s.reserved0 = reserved64(&t->rs);
		d.s.bytes = pick(&t->rs, 8) ? 4096ULL * (1 + pick(&t->rs, 64)) :
					       1 + val32(&t->rs);
		for (unsigned int i = 0; i < nr; i++) {
			d.r[i].handle = pick_handle(t, file);
			pick_range(t, &d.r[i].offset, &d.r[i].length);
			d.r[i].reserved0 = pick(&t->rs, 16) ? 0 : val32(&t->rs);
		}
		memcpy(t->scratch + off, &d, size < SCRATCH - off ? size : SCRATCH - off);
		sc.stream = (uint64_t)(uintptr_t)(t->scratch + off);
		sc.size = pick(&t->rs, 8) ? size : val32(&t->rs);
		sc.flags = flags32(&t->rs, 0);
		memcpy(blk, &sc, sizeof(sc));
		break;
	}
	default: {
		/* a number that is not a command of ours: another type, a
		 * number past the table, or a known number with another size
		 * or direction. Through ioctl(), avoid the types the VFS
		 * answers itself (FIONBIO, FIFREEZE, FS_IOC_*...). */
		unsigned int nr = pick(&t->rs, 2) ? pick(&t->rs, 10) : pick(&t->rs, 256);
		unsigned int size = pick(&t->rs, 2) ? 16 : pick(&t->rs, 64);
		unsigned int dir = pick(&t->rs, 4);
		unsigned int type = IUB_IOC_MAGIC;

		if (!pick(&t->rs, 4)) {
			type = pick(&t->rs, 256);
			if (!uring && (type == 0 || type == 0x15 || type == 'T' ||
				       type == 'X' || type == 'f' || type == 0x94))
				type = IUB_IOC_MAGIC;
		}
		*op = _IOC(dir, type, nr, size);
		if (uring && !pick(&t->rs, 4))
			*op = rnd(&t->rs);
		for (int i = 0; i < 16; i++)
			blk[i] = rnd(&t->rs);
		c = classify(*op);
		/* a PORT_EVENT drawn here must not wait either */
		if (c == C_EVENT)
			blk[offsetof(struct iub_port_claim, flags)] |=
				IUB_EVENT_NOWAIT;
		break;
	}
	}
	return c;
}

static bool allowed_err(enum cmd c, int err, bool uring)
{
	for (int i = 0; i < 16 && allowed[c][i]; i++)
		if (allowed[c][i] == err)
			return true;
	if (is_async(c) && err == ECANCELED)
		return true;
	if (is_async(c) && !uring && err == EINTR)
		return true;
	return false;
}

/* check a result; remember handles */
static void check(struct thr *t, enum cmd c, unsigned int op, int file,
		  const unsigned char blk[16], long res, bool uring)
{
	const char *path = uring ? "io_uring" : "ioctl";

	atomic_fetch_add(&count[c][uring], 1);
	if (res < 0) {
		if (-res < 140)
			atomic_fetch_add(&errcount[c][-res], 1);
		if (!allowed_err(c, -res, uring))
			report(path, c, op, blk, res, "errno not documented for it");
		return;
	}
	switch (c) {
	case C_FEATURES:
		if (res != (long)sizeof(struct iub_features))
			report(path, c, op, blk, res, "not the structure's size");
		break;
	case C_NOP: {
		struct iub_nop n;

		memcpy(&n, blk, sizeof(n));
		if (res != n.value)
			report(path, c, op, blk, res, "not the NOP's value");
		break;
	}
	case C_ATTACH:
		if (res >= feat.max_buffers)
			report(path, c, op, blk, res, "handle past max_buffers");
		else
			atomic_store(&handles[file][pick(&t->rs, 8)], res);
		break;
	case C_PORTS:
		if (res > 256)
			report(path, c, op, blk, res, "more ports than can exist");
		break;
	case C_TRANSFER: {
		struct iub_transfer x;

		memcpy(&x, blk, sizeof(x));
		if (res > x.length)
			report(path, c, op, blk, res, "more bytes than asked");
		break;
	}
	case C_ROUTE: {
		struct iub_route r;

		memcpy(&r, blk, sizeof(r));
		if (res > r.length)
			report(path, c, op, blk, res, "more bytes than asked");
		break;
	}
	case C_UNKNOWN:
		report(path, c, op, blk, res, "unknown command succeeded");
		break;
	case C_EVENT:
		break;		/* an event that was queued: any value */
	default:
		if (res != 0 && c != C_CANCEL)
			report(path, c, op, blk, res, "nonzero result");
	}
}

static void ring_setup(struct thr *t)
{
	unsigned int flags = 0;

	if (pick(&t->rs, 3) == 0)
		flags |= IORING_SETUP_SQE128;
	if (pick(&t->rs, 2))
		flags |= IORING_SETUP_CQE32;
	t->ring_ok = !io_uring_queue_init(64, &t->ring, flags);
	t->sqe128 = flags & IORING_SETUP_SQE128;
	t->fixed = false;
	if (t->ring_ok && pick(&t->rs, 3) == 0)
		t->fixed = !io_uring_register_files(&t->ring, files, NFILES);
	memset(t->slot, 0, sizeof(t->slot));
	t->outstanding = 0;
}

/* ring exit: io_uring cancels what is left (parked NOPs, stalls) */
static void ring_recycle(struct thr *t)
{
	if (t->ring_ok)
		io_uring_queue_exit(&t->ring);
	ring_setup(t);
}

static void reap(struct thr *t, unsigned int wait_ms)
{
	struct io_uring_cqe *cqe;
	int budget = 4 * SLOTS;

	while (t->outstanding && budget--) {
		if (wait_ms) {
			struct __kernel_timespec ts = {
				.tv_nsec = wait_ms * 1000000L };

			if (io_uring_wait_cqe_timeout(&t->ring, &cqe, &ts))
				return;
			wait_ms = 0;
		} else if (io_uring_peek_cqe(&t->ring, &cqe)) {
			return;
		}
		if (cqe->user_data < SLOTS && t->slot[cqe->user_data].used) {
			struct slot *s = &t->slot[cqe->user_data];

			check(t, s->cmd, s->op, s->file, s->blk, cqe->res, true);
			s->used = false;
			t->outstanding--;
			t->last_progress = now();
		} else {
			unsigned char none[16] = { 0 };
			char why[96];

			/* every command completes once: a second CQE is a bug */
			snprintf(why, sizeof(why),
				 "a CQE for no command in flight (user_data %llu)",
				 (unsigned long long)cqe->user_data);
			report("io_uring", C_UNKNOWN, 0, none, cqe->res, why);
		}
		io_uring_cqe_seen(&t->ring, cqe);
	}
}

static int free_slot(struct thr *t)
{
	for (int n = 0; n < 8; n++) {
		int i = pick(&t->rs, SLOTS);

		if (!t->slot[i].used)
			return i;
	}
	for (int i = 0; i < SLOTS; i++)
		if (!t->slot[i].used)
			return i;
	return -1;
}

static void uring_batch(struct thr *t)
{
	unsigned int n = 1 + pick(&t->rs, 8), queued = 0;

	for (unsigned int i = 0; i < n && t->outstanding + queued < 48; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
		int file = pick(&t->rs, NFILES), si = free_slot(t);
		struct slot *s;

		if (!sqe || si < 0)
			break;
		s = &t->slot[si];
		s->file = file;
		s->cmd = gen(t, file, true, &s->op, s->blk);
		if (iub_prep_cmd(sqe, files[file], s->op, s->blk, 16))
			abort();	/* 16 bytes always fit */
		if (t->fixed && pick(&t->rs, 2)) {
			sqe->fd = file;
			sqe->flags |= IOSQE_FIXED_FILE;
		}
		if (!pick(&t->rs, 6))
			sqe->flags |= IOSQE_ASYNC;
		if (t->sqe128 && pick(&t->rs, 2)) {
			/* bytes after the block are ignored on SQE128 rings */
			unsigned char *extra = (unsigned char *)sqe->cmd + 16;

			for (int k = 0; k < 64; k++)
				extra[k] = rnd(&t->rs);
		}
		sqe->user_data = si;
		s->used = true;
		queued++;
	}
	if (!queued)
		return;
	if (io_uring_submit(&t->ring) != (int)queued) {
		/* io_uring itself refused (e.g. no memory): forget them */
		ring_recycle(t);
		return;
	}
	t->outstanding += queued;
}

static void on_timer(int sig)
{
	(void)sig;
}

/* one blocking ioctl; a timer interrupts it after 2 s at most */
static void one_ioctl(struct thr *t)
{
	struct itimerspec its = { .it_value = { .tv_sec = 2 } };
	struct itimerspec off = { 0 };
	unsigned char blk[16];
	unsigned int op;
	int file = pick(&t->rs, NFILES);
	enum cmd c = gen(t, file, false, &op, blk);
	void *arg = blk;
	long res;

	/* the ioctl copies _IOC_SIZE(op) bytes: room for any size */
	static __thread unsigned char big[1 << 14];

	if (_IOC_SIZE(op) > 16) {
		memcpy(big, blk, 16);
		arg = big;
	}
	if (!pick(&t->rs, 50))
		arg = pick(&t->rs, 2) ? NULL : (void *)0xffffffff81000000UL;
	timer_settime(t->timer, 0, &its, NULL);
	res = ioctl(files[file], op, arg);
	res = res < 0 ? -errno : res;
	timer_settime(t->timer, 0, &off, NULL);
	if (arg != blk && arg != big && c != C_UNKNOWN) {
		atomic_fetch_add(&count[c][0], 1);
		if (res != -EFAULT)
			report("ioctl", c, op, blk, res, "bad block pointer not EFAULT");
		return;
	}
	if (c == C_UNKNOWN && arg != blk && arg != big) {
		atomic_fetch_add(&count[c][0], 1);
		if (res != -ENOTTY)
			report("ioctl", c, op, blk, res, "unknown command not ENOTTY");
		return;
	}
	check(t, c, op, file, blk, res, false);
	t->last_progress = now();
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID,
				.sigev_signo = SIGUSR1 };

	sev._sigev_un._tid = syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &t->timer))
		return NULL;
	t->scratch = mmap(NULL, SCRATCH + HOLE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->scratch == MAP_FAILED)
		return NULL;
	mprotect(t->scratch + SCRATCH, HOLE, PROT_NONE);
	ring_setup(t);
	t->last_progress = now();

	while (now() < t_end) {
		unsigned int r = pick(&t->rs, 1000);

		if (r == 0 || !t->ring_ok) {
			ring_recycle(t);
		} else if (r < 8) {
			/* cancel every port, through some file */
			struct iub_port_claim c = { 0 };

			for (int i = 0; i < nports; i++) {
				c.port = ports[i].id;
				for (int f = 0; f < NFILES; f++)
					ioctl(files[f], IUB_IOC_PORT_CANCEL, &c);
			}
		}
		if (only_path == 1 || (only_path < 0 && pick(&t->rs, 2)))
			uring_batch(t);
		else
			one_ioctl(t);
		reap(t, t->outstanding > 32 ? 50 : 0);
		/* stuck (a stall, a cyclic transfer, parked NOPs): recycle */
		if (t->outstanding && now() - t->last_progress > 3) {
			ring_recycle(t);
			t->last_progress = now();
		}
	}
	/* what is still in flight completes or is cancelled by ring exit */
	reap(t, 200);
	if (t->ring_ok)
		io_uring_queue_exit(&t->ring);
	timer_delete(t->timer);
	munmap(t->scratch, SCRATCH + HOLE);
	return NULL;
}

/* --- the main thread: DMABUFs, forks, injected faults ------------------------ */

static int new_dmabuf(int i, uint64_t *rs)
{
	static const size_t sizes[] = { 4096, 65536, 1 << 20 };
	struct dmabuf b;
	size_t size = sizes[i % 3];
	int ret = dmabuf_create(&b, pick(rs, 2) ? DMABUF_HEAP : DMABUF_UDMABUF, size);

	if (ret)
		return ret;
	munmap(b.map, b.size);
	buf_size[i] = size;
	return b.fd;
}

static void replace_dmabuf(uint64_t *rs)
{
	int i = pick(rs, NBUFS), fd;

	pthread_mutex_lock(&buf_lock);
	fd = new_dmabuf(i, rs);
	if (fd >= 0)
		close(atomic_exchange(&buf_fd[i], fd));
	pthread_mutex_unlock(&buf_lock);
}

/* a child submits transfers, routes and parked NOPs, and is killed */
static void fork_and_kill(uint64_t *rs)
{
	pid_t pid = fork();

	if (pid < 0)
		return;
	if (!pid) {
		struct io_uring ring;
		uint64_t s = rnd(rs);

		if (io_uring_queue_init(32, &ring, 0))
			_exit(0);
		for (int i = 0; i < 16; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			int f = s % NFILES, p = nports ? ports[s % nports].id : 0;

			rnd(&s);
			if (i % 4 == 0)
				iub_prep_nop(sqe, files[f], IUB_NOP_PARK, 0);
			else if (i % 4 == 1)
				iub_prep_route(sqe, files[f], handles[f][s % 8],
					       p, ports[(s >> 8) % (nports ? nports : 1)].id,
					       0, 4096, 0);
			else
				iub_prep_transfer(sqe, files[f], handles[f][s % 8],
						  p, 0, 4096, 0);
		}
		io_uring_submit(&ring);
		pause();
		_exit(0);
	}
	usleep(1000 * pick(rs, 50));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	atomic_fetch_add(&forks, 1);
}

static void sim_knob(unsigned int chan, const char *knob, unsigned long v)
{
	char path[128];

	snprintf(path, sizeof(path), SIM_DBG "/chan%u/%s", chan, knob);
	iub_test_write_file(path, v);
}

static void inject(uint64_t *rs)
{
	unsigned int chan = pick(rs, 3);

	switch (pick(rs, 4)) {
	case 0: sim_knob(chan, "fail_next", 1 + pick(rs, 3)); break;
	case 1: sim_knob(chan, "delay_us", pick(rs, 2000)); break;
	case 2: sim_knob(chan, "stall", 1); break;
	default:
		for (chan = 0; chan < 3; chan++) {
			sim_knob(chan, "stall", 0);
			sim_knob(chan, "delay_us", 0);
		}
	}
	atomic_fetch_add(&injections, 1);
}

static void usage(void)
{
	fprintf(stderr, "usage: iub-fuzz [-t SECONDS] [-j THREADS] [-s SEED] [-c CMD,...] [-m ioctl|uring] [-F] [-q]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct thr thr[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	struct sigaction sa = { .sa_handler = on_timer };
	struct iub_query q = { .data = (uint64_t)(unsigned long)&feat,
			       .size = sizeof(feat) };
	unsigned long long total = 0, per_path[2] = { 0 };
	uint64_t rs;
	double t0;
	int opt;

	seed = time(NULL) ^ getpid();
	while ((opt = getopt(argc, argv, "t:j:s:c:m:Fq")) != -1) {
		switch (opt) {
		case 't': duration = atof(optarg); break;
		case 'j': nthreads = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'q': quiet = 1; break;
		case 'F': no_faults = 1; break;
		case 'm':
			only_path = !strcmp(optarg, "uring") ? 1 :
				    !strcmp(optarg, "ioctl") ? 0 : -2;
			if (only_path == -2)
				usage();
			break;
		case 'c': {
			char *list = strdup(optarg), *tok, *save;

			memset(cmd_on, 0, sizeof(cmd_on));
			for (tok = strtok_r(list, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				int c;

				for (c = 0; c < NCMD; c++)
					if (!strcmp(tok, cmd_name[c]) ||
					    (c == C_UNKNOWN && !strcmp(tok, "UNKNOWN")))
						break;
				if (c == NCMD)
					usage();
				cmd_on[c] = true;
			}
			free(list);
			break;
		}
		default: usage();
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS || duration <= 0)
		usage();
	rs = seed | 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGUSR1, &sa, NULL);	/* interrupts blocking ioctls */
	signal(SIGPIPE, SIG_IGN);

	for (int f = 0; f < NFILES; f++) {
		files[f] = iub_test_open();
		if (files[f] < 0) {
			printf("# SKIP: %s: %s\n", IUB_DEVICE_PATH, strerror(errno));
			return 4;
		}
	}
	if (ioctl(files[0], IUB_IOC_GET_FEATURES, &q) < 0) {
		perror("GET_FEATURES");
		return 2;
	}
	q.data = (uint64_t)(unsigned long)ports;
	q.size = sizeof(ports);
	nports = ioctl(files[0], IUB_IOC_GET_PORTS, &q);
	if (nports < 0 || nports > 64) {
		perror("GET_PORTS");
		return 2;
	}
	for (int i = 0; i < NBUFS; i++) {
		int fd = new_dmabuf(i, &rs);

		if (fd < 0) {
			printf("cannot create DMABUFs: %s\n", strerror(-fd));
			return 2;
		}
		atomic_store(&buf_fd[i], fd);
	}
	have_sim = !access(SIM_DBG, F_OK);
	/* paced channels: an unpaced cyclic transfer would spin a CPU */
	for (unsigned int chan = 0; have_sim && chan < 3; chan++)
		sim_knob(chan, "rate", 64 << 20);
	printf("iub-fuzz: seed 0x%llx, %d threads, %.0f s, %d ports, %d files, %d DMABUFs%s\n",
	       seed, nthreads, duration, nports, NFILES, NBUFS,
	       have_sim ? ", simulated board faults" : "");

	t0 = now();
	t_end = t0 + duration;
	for (int i = 0; i < nthreads; i++) {
		thr[i].id = i;
		thr[i].rs = (seed + 0x9e3779b97f4a7c15ULL * (i + 1)) | 1;
		if (pthread_create(&th[i], NULL, thread_main, &thr[i])) {
			perror("pthread_create");
			return 2;
		}
	}
	for (double next = t0 + 10; now() < t_end;) {
		usleep(100000);
		switch (no_faults ? 9 : pick(&rs, 10)) {
		case 0: replace_dmabuf(&rs); break;
		case 1: fork_and_kill(&rs); break;
		case 2: case 3: if (have_sim) inject(&rs); break;
		default: break;
		}
		if (!quiet && now() >= next) {
			unsigned long long n = 0;

			for (int c = 0; c < NCMD; c++)
				n += count[c][0] + count[c][1];
			printf("iub-fuzz: %.0f s, %llu commands\n", now() - t0, n);
			next += 10;
		}
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	if (have_sim)
		for (unsigned int chan = 0; chan < 3; chan++) {
			sim_knob(chan, "stall", 0);
			sim_knob(chan, "delay_us", 0);
			sim_knob(chan, "fail_next", 0);
			sim_knob(chan, "rate", 0);
		}
	for (int f = 0; f < NFILES; f++)
		close(files[f]);
	for (int i = 0; i < NBUFS; i++)
		close(buf_fd[i]);

	printf("%-14s %10s %10s  errnos\n", "command", "ioctl", "io_uring");
	for (int c = 0; c < NCMD; c++) {
		printf("%-14s %10llu %10llu ", cmd_name[c],
		       (unsigned long long)count[c][0],
		       (unsigned long long)count[c][1]);
		for (int e = 1; e < 140; e++)
			if (errcount[c][e])
				printf(" %s:%llu", strerrorname_np(e) ? strerrorname_np(e) : "?",
				       (unsigned long long)errcount[c][e]);
		printf("\n");
		per_path[0] += count[c][0];
		per_path[1] += count[c][1];
	}
	total = per_path[0] + per_path[1];
	printf("iub-fuzz: %llu commands (%llu ioctl, %llu io_uring) in %.0f s, %llu killed submitters, %llu injected faults, %llu unexpected results\n",
	       total, per_path[0], per_path[1], now() - t0,
	       (unsigned long long)forks, (unsigned long long)injections,
	       (unsigned long long)unexpected);
	return unexpected ? 1 : 0;
}
