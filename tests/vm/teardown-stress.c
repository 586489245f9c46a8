// SPDX-License-Identifier: GPL-2.0
/*
 * teardown-stress: many short-lived sessions (processes) with transfers,
 * routes, cyclic playback and cancels in flight on every kind of port
 * (converter ADC and DAC, the bridge's USB function on dummy_hcd and on the
 * simulated SG UDC), through io_uring rings of every kind (plain, CQE32,
 * COOP_TASKRUN, SINGLE_ISSUER|DEFER_TASKRUN; CQEs reaped at once, late or
 * never; IOSQE_ASYNC submissions raced with port cancels) and through
 * blocking ioctls, each session ended at a random moment by SIGKILL, ring
 * exit, task exit, close() from another thread, a signal to a blocking
 * ROUTE/TRANSFER followed by close(), or port cancels (then every command
 * must have completed exactly once, with a documented result). Meanwhile,
 * at random moments: UDC unbind, the host going away (dummy_hcd's device
 * deauthorized, the simulated host disconnected), the function unlinked
 * from its configuration, the function instances removed and
 * usb_f_iio_usb_bridge unloaded, rmmod of the bridge (refusal is fine; when
 * it succeeds the modules are loaded again and the run goes on), converter
 * removal, DMA stalls and errors. A few times per run everything is killed,
 * both modules are unloaded (sometimes while DMABUFs the bridge wrote are
 * still open: closing them afterwards must be safe) and loaded again.
 *
 * Afterwards: the DMABUF count, the modules' reference counts and the
 * objects the bridge's modules allocated (slab allocation traces with
 * slub_debug=U, else the kmalloc caches' counts with a tolerance) are back
 * to their baseline, no session was left pinned, and the kernel log shows
 * no report (scanned as the run goes, so that the report is tied to what
 * happened just before it; with slub_debug=FZPU every cache is validated
 * at the end, which catches writes to freed objects).
 *
 * Environment (all optional):
 *   IUB_STRESS_SECONDS   length of the stress phase (default 100)
 *   IUB_STRESS_SEED      the seed (default: from the clock); printed at
 *                        start: the same seed replays the same choices
 *   IUB_STRESS_SESSIONS  sessions alive at once (default 5)
 *   IUB_STRESS_ENDS      how sessions end, a subset of
 *                        kill,ring-exit,exit,close-thread,cancel,eintr-close
 *   IUB_STRESS_EVENTS    what happens around them, a subset of
 *                        knobs,unbind,unlink,host,fmod,rmmod,unplug,cycle,
 *                        fence-unload (the cycles' unload while DMABUFs
 *                        the bridge wrote are open)
 *   IUB_STRESS_PORTS     the ports sessions may claim: comma-separated
 *                        prefixes of port names (e.g. iub-sim-dac,sd:)
 *   IUB_STRESS_KEEP_GOING=1  go on after a kernel report (to see more than
 *                        the first defect; the kernel may be in a bad state)
 *   IUB_STRESS_HANG_MS   a session that has not exited this long after it
 *                        was killed or ended counts as pinned (15000)
 *   IUB_STRESS_VERBOSE=1 print every event and every session
 */
#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/usbdevice_fs.h>

#include "dmabuf_util.h"
#include "iub_test.h"
#include "sim_util.h"
#include "udc_util.h"

#define BRIDGE		"iio_usb_bridge"
#define USBF		"usb_f_iio_usb_bridge"
#define CONVERTERS	"converters=iub-sim-adc.0:rx,iub-sim-adc.1:rx,iub-sim-dac.0:tx,iub-sim-adc.7:rx"
#define GADGETS		"/sys/kernel/config/usb_gadget"
#define SIM_UDC_DBG	"/sys/kernel/debug/iub-sim-udc"
#define NCHAN		3	/* simulated DMA channels: adc0, adc1, dac0 */
#define NSHARED		3	/* DMABUFs every session may attach */
#define MAX_SESS	16
#define NSLOTS		64
#define KSZ		4096	/* lengths and offsets: multiples of this */
#define NOP_VALUE	4242
#define EXIT_NODEV	3	/* a session found no bridge to open */

/* ---- small helpers --------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	/* a signal may cut it short: that is fine */
	nanosleep(&ts, NULL);
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rnd(uint64_t *s, unsigned int n)
{
	return n ? splitmix(s) % n : 0;
}

static bool chance(uint64_t *s, unsigned int pct)
{
	return rnd(s, 100) < pct;
}

static const char *src_dir(void)
{
	const char *s = getenv("IUB_GUEST_SRC");

	return s ? s : ".";
}

/* where the modules of the guest's architecture are (driver/, sim/) */
static const char *kmod_dir(void)
{
	const char *s = getenv("IUB_GUEST_KMOD");

	return s ? s : src_dir();
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

/* whether @word is in the comma-separated @list (NULL: everything is) */
static bool in_list(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p; p += strcspn(p, ","), p += !!*p)
		if (!strncmp(p, word, n) && (p[n] == ',' || !p[n]))
			return true;
	return !list || !*list;
}

/* ---- the shared record of what sessions saw ------------------------- */

#define NERRNO 160

/**
 * struct slot - what one session reports, in memory shared with the
 *	orchestrator (a session may die at any moment: only plain stores)
 */
struct slot {
	int used;
	int phase;		/* what the session is doing, for hang reports */
	long submitted, completed, ioctls;
	int unexpected;		/* results outside the documented set */
	int left;		/* cancel ending: commands that never completed */
	char what[200];		/* the first unexpected result */
};

struct shared {
	struct slot slot[NSLOTS];
	long res_ok;		/* results >= 0 */
	long res_err[NERRNO];	/* -errno results, by errno */
	long ioctl_eintr;
};

static struct shared *sh;

static const char * const phase_name[] = {
	"starting", "claiming", "attaching", "ring setup", "submitting",
	"reaping", "sleeping", "blocking ioctl", "closing the file",
	"ring exit", "cancelling ports", "reaping after cancel", "exiting",
};

enum {
	PH_START, PH_CLAIM, PH_ATTACH, PH_RING, PH_SUBMIT, PH_REAP, PH_SLEEP,
	PH_IOCTL, PH_CLOSE, PH_RING_EXIT, PH_CANCEL, PH_CANCEL_REAP, PH_EXIT,
};

static void count_result(int res)
{
	if (res >= 0)
		__atomic_fetch_add(&sh->res_ok, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&sh->res_err[-res < NERRNO ? -res : 0], 1,
				   __ATOMIC_RELAXED);
}

/* ---- sessions ---------------------------------------------------------- */

/* how a session ends */
enum {
	END_KILL,		/* SIGKILL from the orchestrator */
	END_RING_EXIT,		/* io_uring_queue_exit() with commands in flight */
	END_EXIT,		/* _exit(): the kernel tears it all down */
	END_CLOSE_THREAD,	/* close() of the bridge from another thread */
	END_CANCEL,		/* port cancels; every CQE reaped and checked */
	END_EINTR_CLOSE,	/* a signal ends a blocking ROUTE; then close() */
	END_NR,
};

static const char * const end_name[END_NR] = {
	"kill", "ring-exit", "exit", "close-thread", "cancel", "eintr-close",
};

static const unsigned int end_weight[END_NR] = { 30, 14, 10, 14, 16, 16 };

/* rings of every kind the brief names */
static const struct {
	const char *name;
	unsigned int flags;
} ring_modes[] = {
	{ "plain", 0 },
	{ "cqe32", IORING_SETUP_CQE32 },
	{ "coop", IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG },
	{ "defer", IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN },
	{ "defer-cqe32", IORING_SETUP_SINGLE_ISSUER |
			 IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQE32 },
};
#define NMODES (sizeof(ring_modes) / sizeof(ring_modes[0]))

enum { REAP_EAGER, REAP_LATE, REAP_NEVER, REAP_NR };
static const char * const reap_name[REAP_NR] = { "eager", "late", "never" };

struct sess_cfg {
	uint64_t seed;
	int end;
	int ioctl_mode;		/* blocking ioctls instead of a ring */
	int mode;		/* ring_modes[] */
	int reap;
	int async_pct;		/* SQEs with IOSQE_ASYNC */
	unsigned int life_ms;
	int slot;
	int shared_fd[NSHARED];
	size_t shared_size[NSHARED];
};

struct port_ref {
	int id;
	char name[IUB_PORT_NAME_LEN];
	unsigned int kind, dir, flags, align, max;
};

enum { K_XFER, K_ROUTE, K_NOP, K_PARK };

struct cmd {
	uint64_t ud;
	int live;
	int kind;
	unsigned int len;
};

#define NCMD 256
#define MAX_INFLIGHT 24

struct sess {
	struct sess_cfg c;
	uint64_t rng;
	struct slot *slot;
	int fd;
	struct io_uring ring;
	struct port_ref port[6];
	int nport;
	struct dmabuf own[6];
	int nown;
	int handle[6 + NSHARED];
	int hfd[6 + NSHARED];	/* the DMABUF fd of each handle */
	size_t hsize[6 + NSHARED];
	int nh;
	bool closing;		/* another thread closes the file */
	struct cmd cmd[NCMD];
	uint64_t next_ud;
	int inflight;
	int gone;		/* ENODEV, EPERM results: ports that went */
};

static void sess_unexpected(struct sess *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->slot->unexpected++) {
		va_start(ap, fmt);
		vsnprintf(s->slot->what, sizeof(s->slot->what), fmt, ap);
		va_end(ap);
	}
}

/* the documented results of an asynchronous command, and for the ioctl */
static bool result_ok(int kind, unsigned int len, int res, bool ioctl)
{
	if (res >= 0) {
		if (kind == K_NOP)
			return res == NOP_VALUE;
		return kind != K_PARK && (unsigned int)res <= len;
	}
	if (kind == K_PARK)
		return res == -ECANCELED || res == -EBADF;
	switch (-res) {
	case ECANCELED:	/* port cancel, ring or task exit */
	case ESHUTDOWN:	/* USB disconnect, unbind; converter removal */
	case EIO:	/* injected DMA errors */
	case EPERM:	/* the port went and its number now names another */
	case ENODEV:	/* the port went */
	case ENOENT:	/* IOSQE_ASYNC: issued after the session detached
			 * its handle (sess_reattach()) */
	case EBUSY:	/* max_inflight (not expected with our budget) */
	case ENOMEM:
		return true;
	case EBADF:	/* io_uring: the file was closed by another thread */
		return !ioctl;
	case EINTR:
		return ioctl;
	}
	return false;
}

static int sess_get_ports(struct sess *s, struct iub_port_info *p, int max)
{
	struct iub_query q = { .data = (__u64)(unsigned long)p,
			       .size = max * sizeof(*p) };
	int n = ioctl(s->fd, IUB_IOC_GET_PORTS, &q);

	return n < 0 ? 0 : (n < max ? n : max);
}

/* IUB_STRESS_PORTS: prefixes of the names of the ports to use */
static bool port_allowed(const char *name)
{
	const char *list = getenv("IUB_STRESS_PORTS");

	for (const char *p = list; p && *p; p += strcspn(p, ","), p += !!*p)
		if (!strncmp(name, p, strcspn(p, ",")))
			return true;
	return !list || !*list;
}

/* claim a random subset of the ports nobody holds */
static void sess_claim(struct sess *s)
{
	struct iub_port_info p[32];
	int n = sess_get_ports(s, p, 32), order[32], want = 1 + rnd(&s->rng, 3);

	s->slot->phase = PH_CLAIM;
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = rnd(&s->rng, i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	if (chance(&s->rng, 50)) {
		/* USB ports first (stable): their teardown has more to it */
		int k = 0;

		for (int i = 0; i < n; i++) {
			if (p[order[i]].kind == IUB_PORT_USB) {
				int t = order[i];

				memmove(&order[k + 1], &order[k], (i - k) * sizeof(int));
				order[k++] = t;
			}
		}
	}
	s->nport = 0;
	for (int k = 0; k < n && s->nport < want; k++) {
		struct iub_port_info *pi = &p[order[k]];
		struct iub_port_claim cl = { .port = pi->id };
		struct port_ref *r = &s->port[s->nport];

		if (pi->flags & (IUB_PORT_F_ABSENT | IUB_PORT_F_BUSY) ||
		    !port_allowed(pi->name))
			continue;
		if (ioctl(s->fd, IUB_IOC_PORT_CLAIM, &cl))
			continue;	/* someone was faster, or it went */
		r->id = pi->id;
		snprintf(r->name, sizeof(r->name), "%s", pi->name);
		r->kind = pi->kind;
		r->dir = pi->direction;
		r->flags = pi->flags;
		r->align = pi->align ? pi->align : 1;
		r->max = pi->max_transfer;
		s->nport++;
	}
}

static void sess_attach(struct sess *s)
{
	static const size_t sizes[] = { 16384, 65536, 262144 };

	s->slot->phase = PH_ATTACH;
	s->nown = 2 + rnd(&s->rng, 4);
	for (int i = 0; i < s->nown; i++) {
		if (dmabuf_create(&s->own[i], rnd(&s->rng, 2) ? DMABUF_HEAP :
				  DMABUF_UDMABUF, sizes[rnd(&s->rng, 3)])) {
			s->nown = i;
			break;
		}
	}
	s->nh = 0;
	for (int i = 0; i < s->nown + NSHARED; i++) {
		int fd = i < s->nown ? s->own[i].fd : s->c.shared_fd[i - s->nown];
		int h;

		if (fd < 0 || (i >= s->nown && chance(&s->rng, 50)))
			continue;
		h = iub_test_attach(s->fd, fd);
		if (h < 0)
			continue;
		s->handle[s->nh] = h;
		s->hfd[s->nh] = fd;
		s->hsize[s->nh] = i < s->nown ? s->own[i].size :
				  s->c.shared_size[i - s->nown];
		s->nh++;
	}
}

/* a random aligned range of handle @h, at most @max bytes */
static void sess_range(struct sess *s, int h, unsigned int max,
		       unsigned int *off, unsigned int *len)
{
	size_t pages = s->hsize[h] / KSZ;
	unsigned int n = 1 + rnd(&s->rng, pages);

	if (max && n * KSZ > max)
		n = max / KSZ ? max / KSZ : 1;
	*len = n * KSZ;
	*off = KSZ * rnd(&s->rng, pages - n + 1);
}

static struct port_ref *sess_pick(struct sess *s, unsigned int dir)
{
	int cand[6], n = 0;

	for (int i = 0; i < s->nport; i++)
		if (!dir || s->port[i].dir == dir)
			cand[n++] = i;
	return n ? &s->port[cand[rnd(&s->rng, n)]] : NULL;
}

static struct cmd *sess_new_cmd(struct sess *s, int kind, unsigned int len)
{
	uint64_t ud = ++s->next_ud;
	struct cmd *c = &s->cmd[ud % NCMD];

	if (c->live)
		return NULL;	/* cannot happen with MAX_INFLIGHT < NCMD */
	c->ud = ud;
	c->live = 1;
	c->kind = kind;
	c->len = len;
	return c;
}

/*
 * Queue one random command (not submitted). Returns false when there is
 * nothing to queue it on.
 */
static bool sess_queue_one(struct sess *s)
{
	struct io_uring_sqe *sqe;
	struct port_ref *p, *from, *to;
	unsigned int off, len, flags = 0;
	struct cmd *c;
	int h, what = rnd(&s->rng, 100);

	if (!s->nh || !s->nport)
		return false;
	sqe = io_uring_get_sqe(&s->ring);
	if (!sqe)
		return false;
	h = rnd(&s->rng, s->nh);
	from = sess_pick(s, IUB_DIR_TO_MEM);
	to = sess_pick(s, IUB_DIR_FROM_MEM);
	if (what < 40 && from && to) {
		unsigned int max = from->max < to->max ? from->max : to->max;

		sess_range(s, h, max, &off, &len);
		if (to->kind == IUB_PORT_USB && chance(&s->rng, 20))
			flags = IUB_ROUTE_ZLP;
		iub_prep_route(sqe, s->fd, s->handle[h], from->id, to->id, off,
			       len, flags);
		c = sess_new_cmd(s, K_ROUTE, len);
	} else if (what < 94) {
		p = sess_pick(s, 0);
		sess_range(s, h, p->max, &off, &len);
		if ((p->flags & IUB_PORT_F_CYCLIC) && chance(&s->rng, 15))
			flags |= IUB_XFER_CYCLIC;
		if (p->kind == IUB_PORT_USB && p->dir == IUB_DIR_FROM_MEM &&
		    chance(&s->rng, 30))
			flags |= IUB_XFER_ZLP;
		if (chance(&s->rng, 5))
			flags |= IUB_XFER_NO_SYNC;
		iub_prep_transfer(sqe, s->fd, s->handle[h], p->id, off, len, flags);
		c = sess_new_cmd(s, K_XFER, len);
	} else if (what < 97 || s->c.end == END_CANCEL) {
		/* the cancel ending checks every CQE: no parked NOPs there */
		iub_prep_nop(sqe, s->fd, IUB_NOP_ASYNC, NOP_VALUE);
		c = sess_new_cmd(s, K_NOP, 0);
	} else {
		iub_prep_nop(sqe, s->fd, IUB_NOP_PARK, 0);
		c = sess_new_cmd(s, K_PARK, 0);
	}
	if (!c) {
		io_uring_prep_nop(sqe);	/* keep the SQ consistent */
		sqe->user_data = 0;
		return false;
	}
	sqe->user_data = c->ud;
	if (chance(&s->rng, s->c.async_pct))
		sqe->flags |= IOSQE_ASYNC;
	s->inflight++;
	s->slot->submitted++;
	return true;
}

static void sess_cqe(struct sess *s, struct io_uring_cqe *cqe)
{
	struct cmd *c = &s->cmd[cqe->user_data % NCMD];
	int res = cqe->res;

	if (!cqe->user_data)
		return;		/* our filler NOP */
	if (!c->live || c->ud != cqe->user_data) {
		sess_unexpected(s, "a CQE (user_data %llu, res %d) for no command in flight",
				(unsigned long long)cqe->user_data, res);
		return;
	}
	c->live = 0;
	s->inflight--;
	s->gone += res == -ENODEV || res == -EPERM;
	s->slot->completed++;
	count_result(res);
	if (!result_ok(c->kind, c->len, res, false))
		sess_unexpected(s, "%s of %u bytes completed with %d (%s)",
				c->kind == K_ROUTE ? "route" : c->kind == K_XFER ?
				"transfer" : "NOP", c->len, res,
				res < 0 ? strerror(-res) : "too many bytes");
}

/* reap what is there; wait up to @ms for the first (this runs task work) */
static void sess_reap(struct sess *s, unsigned int ms)
{
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;

	s->slot->phase = PH_REAP;
	if (!io_uring_wait_cqe_timeout(&s->ring, &cqe, &ts)) {
		sess_cqe(s, cqe);
		io_uring_cqe_seen(&s->ring, cqe);
	}
	while (!io_uring_peek_cqe(&s->ring, &cqe)) {
		sess_cqe(s, cqe);
		io_uring_cqe_seen(&s->ring, cqe);
	}
}

static int sess_cancel_port(struct sess *s, struct port_ref *p)
{
	struct iub_port_claim cl = { .port = p->id };
	int n = iub_test_ioctl(s->fd, IUB_IOC_PORT_CANCEL, &cl);

	/* the port may have gone (ENODEV), its number reused (EPERM), its
	 * converter removed (ESHUTDOWN) */
	if (n < 0 && n != -ENODEV && n != -EPERM && n != -ESHUTDOWN &&
	    !(n == -EBADF && s->closing))
		sess_unexpected(s, "PORT_CANCEL of %s: %d", p->name, n);
	return n;
}

/* detach a handle with transfers in flight and attach its DMABUF again */
static void sess_reattach(struct sess *s)
{
	int i = rnd(&s->rng, s->nh), h;
	struct iub_buf_detach d = { .handle = s->handle[i] };

	if (iub_test_ioctl(s->fd, IUB_IOC_BUF_DETACH, &d)) {
		if (errno != EBADF || !s->closing)
			sess_unexpected(s, "BUF_DETACH of handle %d: %s",
					s->handle[i], strerror(errno));
		return;
	}
	h = iub_test_attach(s->fd, s->hfd[i]);
	if (h < 0) {
		/* the handle is gone: forget it */
		s->handle[i] = s->handle[--s->nh];
		s->hfd[i] = s->hfd[s->nh];
		s->hsize[i] = s->hsize[s->nh];
		return;
	}
	s->handle[i] = h;
}

static void sess_ring_work(struct sess *s, uint64_t until)
{
	uint64_t next_reap = 0;

	while (now_ms() < until) {
		int n = 1 + rnd(&s->rng, 8), queued = 0;

		s->slot->phase = PH_SUBMIT;
		while (queued < n && s->inflight < MAX_INFLIGHT && sess_queue_one(s))
			queued++;
		if (queued && io_uring_submit(&s->ring) < 0)
			sess_unexpected(s, "io_uring_submit: %s", strerror(errno));
		if (s->gone > 16) {
			/* its ports went: do not spin on ENODEV */
			s->gone = 0;
			sleep_ms(100);
		}
		if (chance(&s->rng, 10) && s->nport)
			sess_cancel_port(s, &s->port[rnd(&s->rng, s->nport)]);
		if (chance(&s->rng, 3) && s->nh)
			sess_reattach(s);
		switch (s->c.reap) {
		case REAP_EAGER:
			sess_reap(s, rnd(&s->rng, 20));
			break;
		case REAP_LATE:
			if (now_ms() >= next_reap) {
				sess_reap(s, 0);
				next_reap = now_ms() + 100 + rnd(&s->rng, 1500);
			}
			s->slot->phase = PH_SLEEP;
			sleep_ms(5 + rnd(&s->rng, 40));
			break;
		default:
			s->slot->phase = PH_SLEEP;
			sleep_ms(s->inflight < MAX_INFLIGHT ? 5 + rnd(&s->rng, 30) : 50);
			break;
		}
	}
}

/*
 * Right before the session exits: transfers that never end by themselves
 * (cyclic playback; USB, which waits for the host), issued from io-wq
 * (IOSQE_ASYNC), so that their issue races with the exit's cancel.
 */
static void sess_burst(struct sess *s)
{
	int n = 0;

	s->slot->phase = PH_SUBMIT;
	for (int i = 0; i < 8 && s->nh && s->nport && s->inflight < MAX_INFLIGHT; i++) {
		struct port_ref *p = sess_pick(s, 0);
		struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
		unsigned int off, len, flags = 0;
		int h = rnd(&s->rng, s->nh);
		struct cmd *c;

		if (!sqe)
			break;
		sess_range(s, h, p->max, &off, &len);
		if (p->flags & IUB_PORT_F_CYCLIC)
			flags = IUB_XFER_CYCLIC;
		iub_prep_transfer(sqe, s->fd, s->handle[h], p->id, off, len, flags);
		c = sess_new_cmd(s, K_XFER, len);
		sqe->user_data = c ? c->ud : 0;
		sqe->flags |= IOSQE_ASYNC;
		s->inflight++;
		s->slot->submitted++;
		n++;
	}
	if (n)
		io_uring_submit(&s->ring);
	/* up to a few milliseconds: io-wq is issuing them right now */
	if (chance(&s->rng, 50)) {
		for (uint64_t t0 = now_us(), d = rnd(&s->rng, 300); now_us() - t0 < d;)
			;
	} else {
		struct timespec ts = { 0, 1000L * rnd(&s->rng, 3000) };

		nanosleep(&ts, NULL);
	}
}

static void on_signal(int sig)
{
	(void)sig;
}

/* a repeating timer: the first signal after @first_ms, then every 50 ms */
static void sess_timer(unsigned int first_ms)
{
	struct itimerval it = {
		.it_value = { first_ms / 1000, (first_ms % 1000) * 1000 + 1 },
		.it_interval = { 0, 50000 },
	};

	setitimer(ITIMER_REAL, first_ms ? &it : &(struct itimerval){ 0 }, NULL);
}

/*
 * One blocking ROUTE (preferably converter -> USB IN, whose second stage
 * waits for the first one's fence) or TRANSFER, interrupted by a signal
 * after @ms unless it ends first.
 */
static int sess_blocking(struct sess *s, unsigned int ms)
{
	struct port_ref *from = sess_pick(s, IUB_DIR_TO_MEM), *to = NULL, *p;
	unsigned int off, len;
	int h, ret, kind;

	if (!s->nh || !s->nport)
		return 0;
	h = rnd(&s->rng, s->nh);
	for (int i = 0; i < s->nport; i++)
		if (s->port[i].dir == IUB_DIR_FROM_MEM &&
		    (!to || s->port[i].kind == IUB_PORT_USB))
			to = &s->port[i];
	s->slot->phase = PH_IOCTL;
	s->slot->ioctls++;
	if (from && to && chance(&s->rng, 75)) {
		struct iub_route r = { .handle = s->handle[h], .from = from->id,
				       .to = to->id };

		sess_range(s, h, from->max < to->max ? from->max : to->max, &off, &len);
		r.offset = off;
		r.length = len;
		kind = K_ROUTE;
		sess_timer(ms);
		ret = iub_test_ioctl(s->fd, IUB_IOC_ROUTE, &r);
	} else {
		struct iub_transfer t = { .handle = s->handle[h] };

		p = sess_pick(s, 0);
		sess_range(s, h, p->max, &off, &len);
		t.port = p->id;
		t.offset = off;
		t.length = len;
		if ((p->flags & IUB_PORT_F_CYCLIC) && chance(&s->rng, 20))
			t.flags = IUB_XFER_CYCLIC;	/* only a signal ends it */
		kind = K_XFER;
		sess_timer(ms);
		ret = iub_test_ioctl(s->fd, IUB_IOC_TRANSFER, &t);
	}
	sess_timer(0);
	count_result(ret);
	if (ret == -EINTR)
		__atomic_fetch_add(&sh->ioctl_eintr, 1, __ATOMIC_RELAXED);
	if (!result_ok(kind, len, ret, true) && ret != -EBADF)
		sess_unexpected(s, "blocking %s of %u bytes: %d (%s)",
				kind == K_ROUTE ? "ROUTE" : "TRANSFER", len, ret,
				ret < 0 ? strerror(-ret) : "too many bytes");
	return ret;
}

struct closer {
	int fd;
	unsigned int delay_ms;
};

static void *close_thread(void *arg)
{
	struct closer *cl = arg;

	sleep_ms(cl->delay_ms);
	close(cl->fd);
	return NULL;
}

static bool sess_open(struct sess *s)
{
	s->fd = iub_test_open();
	if (s->fd < 0)
		return false;
	sess_claim(s);
	sess_attach(s);
	return true;
}

static void sess_close_fd(struct sess *s)
{
	s->slot->phase = PH_CLOSE;
	close(s->fd);
	s->fd = -1;
}

/* blocking ioctls until @until; some EINTRs are followed by close() */
static void sess_ioctl_work(struct sess *s, uint64_t until)
{
	while (now_ms() < until) {
		int ret = sess_blocking(s, 5 + rnd(&s->rng, 300));

		if (ret == -EINTR && chance(&s->rng, 30)) {
			sess_close_fd(s);
			for (int i = 0; i < s->nown; i++)
				dmabuf_destroy(&s->own[i]);
			if (!sess_open(s))
				_exit(EXIT_NODEV);
		} else if (!s->nport || !s->nh || ret == -ENODEV ||
			   ret == -EPERM || ret == -ESHUTDOWN) {
			/* nothing to do, or its port went: do not spin */
			s->slot->phase = PH_SLEEP;
			sleep_ms(20);
		}
	}
}

static void sess_end_cancel(struct sess *s)
{
	uint64_t t0 = now_ms(), last = 0;

	while (s->inflight && now_ms() - t0 < 10000) {
		if (now_ms() - last >= 300) {
			s->slot->phase = PH_CANCEL;
			/* again and again: an IOSQE_ASYNC submission may
			 * reach its port after a cancel */
			for (int i = 0; i < s->nport; i++)
				sess_cancel_port(s, &s->port[i]);
			last = now_ms();
		}
		sess_reap(s, 100);
		s->slot->phase = PH_CANCEL_REAP;
	}
	s->slot->left = s->inflight;
	if (s->inflight)
		sess_unexpected(s, "%d commands still in flight 10 s after cancelling their ports",
				s->inflight);
	sess_reap(s, 50);
	s->slot->phase = PH_RING_EXIT;
	io_uring_queue_exit(&s->ring);
	sess_close_fd(s);
}

static void sess_main(const struct sess_cfg *cfg)
{
	static struct sess sess;
	struct sess *s = &sess;
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	uint64_t until;

	s->c = *cfg;
	s->rng = cfg->seed;
	s->slot = &sh->slot[cfg->slot];
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	until = now_ms() + cfg->life_ms;
	if (cfg->end == END_KILL)
		until += 3600 * 1000;	/* the orchestrator ends it */

	if (!sess_open(s))
		_exit(EXIT_NODEV);

	if (cfg->ioctl_mode) {
		sess_ioctl_work(s, until);
		switch (cfg->end) {
		case END_CLOSE_THREAD: {
			struct closer cl = { s->fd, rnd(&s->rng, 100) };
			pthread_t th;

			s->closing = true;
			if (!pthread_create(&th, NULL, close_thread, &cl)) {
				sess_blocking(s, 150 + rnd(&s->rng, 200));
				pthread_join(th, NULL);
			}
			break;
		}
		case END_EINTR_CLOSE:
			/* the moment a signal ended a blocking ROUTE */
			for (int i = 0; i < 20; i++)
				if (sess_blocking(s, 5 + rnd(&s->rng, 200)) == -EINTR)
					break;
			sess_close_fd(s);
			break;
		default:	/* END_EXIT: the kernel closes the file */
			break;
		}
		s->slot->phase = PH_EXIT;
		_exit(0);
	}

	s->slot->phase = PH_RING;
	if (io_uring_queue_init(64, &s->ring, ring_modes[cfg->mode].flags) &&
	    io_uring_queue_init(64, &s->ring, 0)) {
		sess_unexpected(s, "io_uring_queue_init failed");
		_exit(1);
	}
	sess_ring_work(s, until);
	if ((cfg->end == END_EXIT || cfg->end == END_RING_EXIT) &&
	    chance(&s->rng, 60))
		sess_burst(s);

	switch (cfg->end) {
	case END_RING_EXIT:
		/* rings exit one after another, each right after a burst */
		for (int i = rnd(&s->rng, 16); i > 0; i--) {
			s->slot->phase = PH_RING_EXIT;
			io_uring_queue_exit(&s->ring);
			memset(s->cmd, 0, sizeof(s->cmd));
			s->inflight = 0;
			if (io_uring_queue_init(64, &s->ring, ring_modes[cfg->mode].flags) &&
			    io_uring_queue_init(64, &s->ring, 0))
				_exit(0);
			sess_burst(s);
		}
		s->slot->phase = PH_RING_EXIT;
		io_uring_queue_exit(&s->ring);
		if (chance(&s->rng, 50))
			sess_close_fd(s);
		break;
	case END_CLOSE_THREAD: {
		struct closer cl = { s->fd, rnd(&s->rng, 20) };
		pthread_t th;

		s->closing = true;
		if (pthread_create(&th, NULL, close_thread, &cl))
			break;
		/* more commands race with the close; EBADF after it */
		sess_ring_work(s, now_ms() + rnd(&s->rng, 60));
		pthread_join(th, NULL);
		if (chance(&s->rng, 50)) {
			s->slot->phase = PH_RING_EXIT;
			io_uring_queue_exit(&s->ring);
		}
		break;
	}
	case END_CANCEL:
		sess_end_cancel(s);
		break;
	default:	/* END_EXIT, END_EINTR_CLOSE (no ioctls here): exit */
		break;
	}
	s->slot->phase = PH_EXIT;
	_exit(s->slot->unexpected ? 1 : 0);
}

/* ---- the USB host side of dummy_hcd ----------------------------------- */

/*
 * Find the gadget on dummy_hcd's host side: its usbfs node and the bulk
 * endpoints of interface 0. Returns 0 or -ENOENT.
 */
static int host_find(char *node, size_t size, int *in, int *nin, int *out,
		     int *nout)
{
	DIR *d = opendir("/sys/bus/usb/devices");
	char path[300], v[32], p[32], bus[16], dev[16];
	struct dirent *e;
	int ret = -ENOENT;

	if (!d)
		return ret;
	while ((e = readdir(d)) && ret) {
		DIR *id;
		struct dirent *ep;

		if (e->d_name[0] == '.' || strchr(e->d_name, ':'))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/idVendor", e->d_name);
		udc_read_str(path, v, sizeof(v));
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/idProduct", e->d_name);
		udc_read_str(path, p, sizeof(p));
		if (strncmp(v, "1d6b", 4) || strncmp(p, "0104", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/busnum", e->d_name);
		udc_read_str(path, bus, sizeof(bus));
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/devnum", e->d_name);
		udc_read_str(path, dev, sizeof(dev));
		snprintf(node, size, "/dev/bus/usb/%03d/%03d", atoi(bus), atoi(dev));
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s:1.0", e->d_name);
		id = opendir(path);
		if (!id)
			continue;
		*nin = *nout = 0;
		while ((ep = readdir(id))) {
			char f[700], dir[16], type[16];

			if (strncmp(ep->d_name, "ep_", 3))
				continue;
			snprintf(f, sizeof(f), "%s/%s/type", path, ep->d_name);
			udc_read_str(f, type, sizeof(type));
			snprintf(f, sizeof(f), "%s/%s/direction", path, ep->d_name);
			udc_read_str(f, dir, sizeof(dir));
			if (strncmp(type, "Bulk", 4))
				continue;
			if (!strncmp(dir, "in", 2) && *nin < 4)
				in[(*nin)++] = strtol(ep->d_name + 3, NULL, 16);
			else if (!strncmp(dir, "out", 3) && *nout < 4)
				out[(*nout)++] = strtol(ep->d_name + 3, NULL, 16);
		}
		closedir(id);
		ret = *nin || *nout ? 0 : -ENOENT;
	}
	closedir(d);
	return ret;
}

/* reads the bulk IN and writes the bulk OUT endpoints, now and then */
static void host_main(uint64_t seed)
{
	static unsigned char buf[65536];
	uint64_t rng = seed;

	for (;;) {
		int in[4], out[4], nin = 0, nout = 0, fd;
		unsigned int intf = 0;
		char node[64];

		if (host_find(node, sizeof(node), in, &nin, out, &nout)) {
			sleep_ms(100);
			continue;
		}
		fd = open(node, O_RDWR | O_CLOEXEC);
		if (fd < 0 || ioctl(fd, USBDEVFS_CLAIMINTERFACE, &intf)) {
			if (fd >= 0)
				close(fd);
			sleep_ms(100);
			continue;
		}
		for (int i = 0; i < 300; i++) {
			bool rd = nin && (!nout || rnd(&rng, 2));
			struct usbdevfs_bulktransfer b = {
				.timeout = 20 + rnd(&rng, 200),
				.data = buf,
			};

			if (rd) {
				b.ep = in[rnd(&rng, nin)];
				b.len = 512 * (1 + rnd(&rng, 128));
			} else {
				b.ep = out[rnd(&rng, nout)];
				/* mostly whole packets; some short ones */
				b.len = chance(&rng, 80) ? 1024 * (1 + rnd(&rng, 64)) :
							   1 + rnd(&rng, 3000);
			}
			if (ioctl(fd, USBDEVFS_BULK, &b) < 0 && errno != ETIMEDOUT &&
			    errno != EPIPE && errno != EOVERFLOW)
				break;	/* the device went away */
			if (chance(&rng, 10))
				sleep_ms(rnd(&rng, 300));	/* stop reading a while */
		}
		ioctl(fd, USBDEVFS_RELEASEINTERFACE, &intf);
		close(fd);
	}
}

/* ---- the orchestrator ---------------------------------------------------- */

static uint64_t R;		/* the orchestrator's random state */
static uint64_t t_start;
static int verbose;
static int failures;
static unsigned long hang_ms;
static int keep_going;
static const char *ends_list, *events_list;

static char evlog[24][200];
static unsigned int nev;

static double secs(void)
{
	return (now_ms() - t_start) / 1000.0;
}

static void kmsg_write(const char *s)
{
	char line[200];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	snprintf(line, sizeof(line), "teardown-stress: %s\n", s);
	/* a marker that cannot be written is no failure */
	if (write(fd, line, strlen(line)) < 0)
		line[0] = 0;
	close(fd);
}

/* an event: remembered for failure reports, marked in the kernel log */
static void __attribute__((format(printf, 2, 3))) event(bool mark, const char *fmt, ...)
{
	char s[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	snprintf(evlog[nev++ % 24], sizeof(evlog[0]), "%8.3f %s", secs(), s);
	if (mark)
		kmsg_write(s);
	if (verbose)
		printf("# %8.3f %s\n", secs(), s);
}

static void __attribute__((format(printf, 1, 2))) failure(const char *fmt, ...)
{
	char s[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	printf("# FAIL at %.3f s: %s\n", secs(), s);
	if (!failures++ || strstr(s, "kernel reported")) {
		printf("# the events before it:\n");
		for (unsigned int i = nev > 24 ? nev - 24 : 0; i < nev; i++)
			printf("#   %s\n", evlog[i % 24]);
	}
	fflush(stdout);
}

/* ---- the kernel log, read as the run goes ---- */

static int kmsg_fd = -1;
static regex_t bad_re;
static int kreports, kcontext;

/* the harness's list (tests/vm/harness.sh), slub_debug's reports included */
static const char bad_pattern[] =
	"WARNING:|BUG:|BUG [^ ]+ \\((Not t|T)ainted|Oops|KASAN|UBSAN|kmemleak|"
	"INFO: possible|INFO: task .* blocked|inconsistent lock state|"
	"possible recursive locking|circular locking|lockdep|"
	"general protection fault|Kernel panic|list_add corruption|"
	"list_del corruption|refcount_t:|DMA-API|stack-protector|RCU stall|"
	"rcu_sched self-detected|kernel BUG at|Unable to handle|usercopy:|"
	"KFENCE:|Poison overwritten|Redzone overwritten|Padding overwritten|"
	"Freepointer corrupt|Object already free|Objects remaining|"
	"Invalid object pointer|pagealloc: (memory corruption|single bit error)|"
	"Bad page (state|map)";

static void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	if (regcomp(&bad_re, bad_pattern, REG_EXTENDED | REG_NOSUB))
		abort();
}

static void kmsg_poll(void)
{
	char buf[8192];

	while (kmsg_fd >= 0) {
		ssize_t n = read(kmsg_fd, buf, sizeof(buf) - 1);
		char *msg, *nl;

		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten */
		if (n <= 0)
			break;
		buf[n] = 0;
		msg = strchr(buf, ';');
		msg = msg ? msg + 1 : buf;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (!regexec(&bad_re, msg, 0, NULL, 0)) {
			if (!kreports++ || (keep_going && kcontext <= 0))
				failure("the kernel reported a problem (below)");
			kcontext = 80;
		}
		if (kcontext > 0) {
			printf("# kernel: %s\n", msg);
			kcontext--;
		}
	}
	fflush(stdout);
}

/* ---- modules ---- */

static bool mod_loaded(const char *name)
{
	char line[512], want[80];
	FILE *f = fopen("/proc/modules", "r");
	bool found = false;

	if (!f)
		return false;
	snprintf(want, sizeof(want), "%s ", name);
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, want, strlen(want));
	fclose(f);
	return found;
}

static long mod_refcnt(const char *name)
{
	char path[128], s[32];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return udc_read_str(path, s, sizeof(s)) > 0 ? strtol(s, NULL, 0) : -1;
}

static int mod_insmod(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int mod_rmmod(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/* ---- bounded operations: anything that may block runs in a child ---- */

static void dump_task(pid_t pid)
{
	char path[320], buf[4096];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (udc_read_str(path, buf, sizeof(buf)) > 0) {
		char *st = strstr(buf, "State:");

		if (st)
			printf("#   %.*s\n", (int)strcspn(st, "\n"), st);
	}
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, e->d_name);
		if (udc_read_str(path, buf, sizeof(buf)) <= 0)
			continue;
		printf("#   thread %s:\n", e->d_name);
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			printf("#     %s\n", l);
	}
	if (d)
		closedir(d);
}

/*
 * Every task in uninterruptible sleep (kernel threads too): whoever holds
 * what a pinned task waits for is usually among them. Also to the kernel
 * log (sysrq w).
 */
static void dump_blocked(void)
{
	DIR *d = opendir("/proc"), *t;
	struct dirent *e, *te;
	char path[600], buf[4096];

	printf("# tasks in uninterruptible sleep:\n");
	while (d && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", e->d_name);
		t = opendir(path);
		while (t && (te = readdir(t))) {
			char *st, *comm;

			if (!isdigit((unsigned char)te->d_name[0]))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/stat",
				 e->d_name, te->d_name);
			if (udc_read_str(path, buf, sizeof(buf)) <= 0)
				continue;
			st = strrchr(buf, ')');
			if (!st || st[2] != 'D')
				continue;
			comm = strchr(buf, '(');
			printf("#   %s/%s %.*s:\n", e->d_name, te->d_name,
			       (int)(st - comm + 1), comm);
			snprintf(path, sizeof(path), "/proc/%s/task/%s/stack",
				 e->d_name, te->d_name);
			if (udc_read_str(path, buf, sizeof(buf)) <= 0)
				continue;
			for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
				printf("#     %s\n", l);
		}
		if (t)
			closedir(t);
	}
	if (d)
		closedir(d);
	udc_write_str("/proc/sysrq-trigger", "w");
}

typedef int (*op_fn)(const void *arg);

static int bounded(const char *what, op_fn fn, const void *arg,
		   unsigned int ms)
{
	uint64_t t0 = now_ms();
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fn(arg);
	if (!pid) {
		int r = fn(arg);

		_exit(r < 0 ? (-r & 0xff) : 0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ms() - t0 > ms) {
			failure("%s did not return within %u ms", what, ms);
			dump_task(pid);
			dump_blocked();
			return -ETIMEDOUT;
		}
		sleep_ms(5);
	}
	if (WIFSIGNALED(status)) {
		failure("%s: the process doing it died from signal %d",
			what, WTERMSIG(status));
		return -EINTR;
	}
	return -WEXITSTATUS(status);
}

static int op_write(const void *arg)
{
	const char * const *a = arg;

	return udc_write_str(a[0], a[1]);
}

/* write @val to @path in a child, at most 20 s */
static int bwrite(const char *path, const char *val)
{
	const char *a[2] = { path, val };
	char what[600];

	snprintf(what, sizeof(what), "writing \"%s\" to %s", val, path);
	return bounded(what, op_write, a, 20000);
}

static int op_rmmod(const void *arg)
{
	return mod_rmmod(arg);
}

static int brmmod(const char *name)
{
	char what[100];

	snprintf(what, sizeof(what), "rmmod %s", name);
	return bounded(what, op_rmmod, name, 30000);
}

static int op_system(const void *arg)
{
	int r = system(arg);

	return r ? -EIO : 0;
}

static int bsystem(const char *cmd)
{
	return bounded(cmd, op_system, cmd, 60000);
}

static int load_bridge(void)
{
	char path[300];
	int r = 0;

	if (!mod_loaded(BRIDGE)) {
		snprintf(path, sizeof(path), "%s/driver/%s.ko", kmod_dir(), BRIDGE);
		r = mod_insmod(path, CONVERTERS);
		if (r)
			failure("insmod %s: %s", BRIDGE, strerror(-r));
	}
	if (!r && !mod_loaded(USBF)) {
		snprintf(path, sizeof(path), "%s/driver/%s.ko", kmod_dir(), USBF);
		r = mod_insmod(path, "");
		if (r)
			failure("insmod %s: %s", USBF, strerror(-r));
	}
	return r;
}

/* ---- the simulated board ---- */

static uint64_t unstall_at[NCHAN], unpause_at;

static void sim_all_restore(void)
{
	for (int c = 0; c < NCHAN; c++) {
		sim_restore(c);
		unstall_at[c] = 0;
	}
	if (!access(SIM_UDC_DBG, F_OK)) {
		for (int i = 1; i <= 4; i++) {
			char p[128];

			snprintf(p, sizeof(p), SIM_UDC_DBG "/ep%din/pause", i);
			udc_write_str(p, "0");
			snprintf(p, sizeof(p), SIM_UDC_DBG "/ep%dout/pause", i);
			udc_write_str(p, "0");
		}
	}
	unpause_at = 0;
}

static void udc_ep_set_value(const char *ep, const char *file, long v)
{
	char p[128], val[32];

	snprintf(p, sizeof(p), SIM_UDC_DBG "/%s/%s", ep, file);
	snprintf(val, sizeof(val), "%ld", v);
	udc_write_str(p, val);
}

/* the converters go away (their driver unloads) and come back */
static int unplug_converters(void)
{
	int r = 0;

	if (mod_loaded("iub_sim_adc_dmabuf"))
		r = brmmod("iub_sim_adc_dmabuf");
	if (!r)
		r = brmmod("iub_sim_iio");
	return r;
}

static int replug_converters(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "sh %s/sim/iub-sim-load.sh", src_dir());
	return bsystem(cmd);
}

/* ---- gadgets ---- */

struct gadget {
	const char *name;	/* configfs directory */
	const char *udc;
	const char *inst;	/* function instance, the ports' prefix */
	const char *in_eps, *out_eps;
	bool created, func, linked, bound;
	bool host_away;
	uint64_t restore_at;	/* relink and rebind then */
};

static struct gadget gadgets[2] = {
	{ .name = "iub-stress-d", .udc = "dummy_udc.0", .inst = "sd",
	  .in_eps = "2", .out_eps = "1" },
	{ .name = "iub-stress-s", .udc = "iub-sim-udc.0", .inst = "ss",
	  .in_eps = "1", .out_eps = "1" },
};

static void gpath(char *buf, size_t size, const struct gadget *g,
		  const char *rel)
{
	snprintf(buf, size, GADGETS "/%s%s%s", g->name, *rel ? "/" : "", rel);
}

static void gfunc(char *buf, size_t size, const struct gadget *g, bool link)
{
	snprintf(buf, size, GADGETS "/%s/%s/iio_usb_bridge.%s", g->name,
		 link ? "configs/c.1" : "functions", g->inst);
}

static int g_unbind(struct gadget *g)
{
	char p[256];
	int r = 0;

	if (g->bound) {
		gpath(p, sizeof(p), g, "UDC");
		r = bwrite(p, "\n");
		event(true, "%s: UDC unbound (%d)", g->name, r);
	}
	g->bound = false;
	return r;
}

static int op_unlink(const void *path)
{
	return unlink(path) ? -errno : 0;
}

static int g_unlink(struct gadget *g)
{
	char p[256];
	int r = 0;

	if (g->linked) {
		gfunc(p, sizeof(p), g, true);
		r = bounded("unlink of the function", op_unlink, p, 20000);
		event(true, "%s: function removed from the configuration (%d)", g->name, r);
	}
	g->linked = false;
	g->bound = false;	/* configfs unbinds the gadget first */
	return r;
}

static int g_func_del(struct gadget *g)
{
	char p[256];
	int r = 0;

	g_unlink(g);
	if (g->func) {
		gfunc(p, sizeof(p), g, false);
		r = rmdir(p) ? -errno : 0;
		event(true, "%s: function instance removed (%d)", g->name, r);
	}
	g->func = false;
	return r;
}

static void g_destroy(struct gadget *g)
{
	char p[256];

	g_unbind(g);
	g_func_del(g);
	if (g->created) {
		gpath(p, sizeof(p), g, "configs/c.1");
		rmdir(p);
		gpath(p, sizeof(p), g, "");
		rmdir(p);
	}
	g->created = false;
	g->restore_at = 0;
}

static bool udc_present(const struct gadget *g)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/class/udc/%s", g->udc);
	return !access(p, F_OK);
}

/* bring a gadget up to created, function, linked, bound */
static int g_up(struct gadget *g)
{
	char p[300], f[256];
	int r;

	if (!g->created) {
		gpath(p, sizeof(p), g, "");
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		gpath(p, sizeof(p), g, "idVendor");
		udc_write_str(p, "0x1d6b");
		gpath(p, sizeof(p), g, "idProduct");
		udc_write_str(p, "0x0104");
		gpath(p, sizeof(p), g, "configs/c.1");
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		g->created = true;
	}
	if (!g->func) {
		if (!mod_loaded(USBF))
			return -ENOENT;
		gfunc(f, sizeof(f), g, false);
		if (mkdir(f, 0755) && errno != EEXIST)
			return -errno;
		snprintf(p, sizeof(p), "%s/in_eps", f);
		udc_write_str(p, g->in_eps);
		snprintf(p, sizeof(p), "%s/out_eps", f);
		udc_write_str(p, g->out_eps);
		g->func = true;
		event(true, "%s: function instance created", g->name);
	}
	if (!g->linked) {
		gfunc(f, sizeof(f), g, false);
		gfunc(p, sizeof(p), g, true);
		if (symlink(f, p) && errno != EEXIST)
			return -errno;
		g->linked = true;
	}
	if (!g->bound && udc_present(g)) {
		gpath(p, sizeof(p), g, "UDC");
		r = bwrite(p, g->udc);
		if (r)
			return r;
		g->bound = true;
		event(true, "%s: bound to %s", g->name, g->udc);
	}
	return 0;
}

/* the host side goes away (or comes back): deconfigures the function */
static void host_away(struct gadget *g, bool away)
{
	char p[300], v[16];
	DIR *d;
	struct dirent *e;

	if (g == &gadgets[1]) {
		if (access(SIM_UDC_DBG, F_OK))
			return;
		bwrite(away ? SIM_UDC_DBG "/disconnect" : SIM_UDC_DBG "/connect", "1");
	} else {
		d = opendir("/sys/bus/usb/devices");
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.' || strchr(e->d_name, ':'))
				continue;
			snprintf(p, sizeof(p), "/sys/bus/usb/devices/%s/idProduct", e->d_name);
			if (udc_read_str(p, v, sizeof(v)) <= 0 || strncmp(v, "0104", 4))
				continue;
			snprintf(p, sizeof(p), "/sys/bus/usb/devices/%s/authorized", e->d_name);
			bwrite(p, away ? "0" : "1");
		}
		if (d)
			closedir(d);
	}
	g->host_away = away;
	event(true, "%s: the host %s", g->name, away ? "went away" : "came back");
}

/* ---- DMABUFs shared by all sessions of a cycle ---- */

static struct dmabuf shared_buf[NSHARED];
static int dmabuf_base;

static void shared_create(void)
{
	for (int i = 0; i < NSHARED; i++)
		if (dmabuf_create(&shared_buf[i], i == 1 ? DMABUF_HEAP : DMABUF_UDMABUF,
				  i == 2 ? 262144 : 65536))
			shared_buf[i].fd = -1;
}

/*
 * Close the shared DMABUFs. Done by a child that holds the last
 * references, so that a crash in their release (a fence of an unloaded
 * module) kills the child, not the orchestrator.
 */
static void shared_close(const char *why)
{
	int p[2], status;
	char c = 0;
	pid_t pid;

	if (shared_buf[0].fd < 0 && shared_buf[1].fd < 0 && shared_buf[2].fd < 0)
		return;
	event(true, "closing the shared DMABUFs (%s)", why);
	fflush(stdout);
	if (pipe(p))
		abort();
	pid = fork();
	if (!pid) {
		close(p[1]);
		if (read(p[0], &c, 1) < 0)
			_exit(2);
		for (int i = 0; i < NSHARED; i++)
			dmabuf_destroy(&shared_buf[i]);
		_exit(0);
	}
	close(p[0]);
	for (int i = 0; i < NSHARED; i++)
		dmabuf_destroy(&shared_buf[i]);
	if (write(p[1], &c, 1) < 0)
		abort();
	close(p[1]);
	for (uint64_t t0 = now_ms(); waitpid(pid, &status, WNOHANG) == 0; sleep_ms(10)) {
		if (now_ms() - t0 > 20000) {
			failure("closing the shared DMABUFs (%s) did not return", why);
			dump_task(pid);
			return;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		failure("closing the shared DMABUFs (%s) killed the process (status 0x%x): "
			"a fence or buffer of the bridge outlived it", why, status);
	kmsg_poll();
}

/* ---- slab objects of our modules ---- */

#define SLAB_DBG "/sys/kernel/debug/slab"

struct site {
	char key[300];
	long count;
};

struct census {
	long ours;		/* objects allocated in our modules' call chains */
	long kmalloc;		/* all kmalloc-N objects (slabinfo) */
	int nsite;
	struct site site[256];
};

static bool slab_traces;	/* slub_debug=U: allocation traces */

/*
 * Whether an allocation trace is the bridge's: its allocation site is in
 * one of our modules (objects that the kernel allocates on our behalf go
 * with ours: a DMABUF attachment with our buffer, a USB request with our
 * port). Frames deeper in the stack are not used: stacks are symbolized
 * when read, and a frame in a module's init code, freed after loading,
 * names whatever module occupies that memory now. For the same reason
 * allocations made while a module loads are left out (ours are part of the
 * baseline).
 */
static bool trace_ours(const char *lines)
{
	size_t n = strcspn(lines, "\n");

	if (strstr(lines, "do_init_module") || strstr(lines, "do_one_initcall"))
		return false;
	return memmem(lines, n, "[" BRIDGE "]", strlen(BRIDGE) + 2) ||
	       memmem(lines, n, "[" USBF "]", strlen(USBF) + 2);
}

static void census_add(struct census *c, const char *key, long n)
{
	for (int i = 0; i < c->nsite; i++) {
		if (!strcmp(c->site[i].key, key)) {
			c->site[i].count += n;
			return;
		}
	}
	if (c->nsite < 256) {
		snprintf(c->site[c->nsite].key, sizeof(c->site[0].key), "%s", key);
		c->site[c->nsite++].count = n;
	}
}

/* one entry of alloc_traces */
static void census_entry(struct census *c, const char *cache, long count,
			 const char *lines)
{
	char key[300];

	if (!trace_ours(lines))
		return;
	snprintf(key, sizeof(key), "%s: %.*s", cache,
		 (int)strcspn(lines, " \n"), lines);
	census_add(c, key, count);
	c->ours += count;
}

/* one cache's alloc_traces */
static void census_cache(struct census *c, const char *cache)
{
	static char lines[65536];
	char path[300], line[512];
	size_t len = 0;
	long count = 0;
	FILE *f;

	snprintf(path, sizeof(path), SLAB_DBG "/%s/alloc_traces", cache);
	f = fopen(path, "r");
	if (!f)
		return;
	for (;;) {
		char *l = fgets(line, sizeof(line), f);
		const char *p = l ? l + strspn(l, " ") : NULL;
		bool head = p && isdigit((unsigned char)*p) &&
			    p[strspn(p, "0123456789")] == ' ';

		if (!l || head) {
			if (len)
				census_entry(c, cache, count, lines);
			if (!l)
				break;
			count = strtol(p, NULL, 10);
			p += strspn(p, "0123456789 ");
			len = 0;
		}
		len += snprintf(lines + len, sizeof(lines) - len, "%s", p);
		if (len >= sizeof(lines))
			len = sizeof(lines) - 1;
	}
	fclose(f);
}

static void census_take(struct census *c)
{
	char line[512], name[64];
	long active;
	FILE *f;

	memset(c, 0, sizeof(*c));
	f = fopen("/proc/slabinfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", name, &active) == 2 &&
		    !strncmp(name, "kmalloc-", 8) && isdigit((unsigned char)name[8]))
			c->kmalloc += active;
	if (f)
		fclose(f);
	if (slab_traces) {
		DIR *d = opendir(SLAB_DBG);
		struct dirent *e;

		while (d && (e = readdir(d)))
			if (!strncmp(e->d_name, "kmalloc-", 8) &&
			    isdigit((unsigned char)e->d_name[8]))
				census_cache(c, e->d_name);
		if (d)
			closedir(d);
	}
}

static void census_diff(const struct census *base, const struct census *now)
{
	for (int i = 0; i < now->nsite; i++) {
		long b = 0;

		for (int j = 0; j < base->nsite; j++)
			if (!strcmp(base->site[j].key, now->site[i].key))
				b = base->site[j].count;
		if (b != now->site[i].count)
			printf("#   %6ld (baseline %ld) %s\n", now->site[i].count, b,
			       now->site[i].key);
	}
	for (int j = 0; j < base->nsite; j++) {
		bool found = false;

		for (int i = 0; i < now->nsite; i++)
			found |= !strcmp(base->site[j].key, now->site[i].key);
		if (!found)
			printf("#   %6d (baseline %ld) %s\n", 0, base->site[j].count,
			       base->site[j].key);
	}
}

/* at the start; and right after the modules were last loaded */
static struct census base_census, inst_census, cur_census;

/*
 * Our modules' objects back to @want (allocation traces) or fewer, within
 * a few seconds (RCU frees, release workers). Fewer: objects of an earlier
 * instance at the same addresses, still on their way out (kfree_rcu()),
 * were counted in @want. Returns true if so.
 */
static bool census_settle(const struct census *want, const char *when)
{
	for (int i = 0; i < 10; i++) {
		census_take(&cur_census);
		if (!slab_traces || cur_census.ours <= want->ours)
			break;
		sleep_ms(500);
	}
	if (!slab_traces)
		return true;
	if (cur_census.ours > want->ours) {
		failure("%s: %ld objects allocated by the bridge's modules are alive, %ld expected",
			when, cur_census.ours, want->ours);
		census_diff(want, &cur_census);
		return false;
	}
	return true;
}

/* the kmalloc caches without allocation traces: a loose check */
static bool kmalloc_close(const struct census *base, const struct census *now)
{
	long d = now->kmalloc - base->kmalloc, tol = base->kmalloc / 10 + 2000;

	printf("# kmalloc-* objects: %ld at start, %ld now (difference %ld, tolerance %ld)\n",
	       base->kmalloc, now->kmalloc, d, tol);
	return d <= tol;
}

/* ---- the children ---- */

struct kid {
	pid_t pid;
	int slot;
	struct sess_cfg cfg;
	uint64_t t_spawn, t_end;	/* planned end, or the kill */
	bool killed, stuck;
};

static struct kid kids[MAX_SESS];
static int nkids_max;
static pid_t host_pid;
static long spawned[END_NR], finished[END_NR], nodev, sess_unexpected_total;
static long ioctl_sessions, mode_count[NMODES], reap_count[REAP_NR];
static long pinned;
static bool stop_spawning;

static int pick_end(void)
{
	unsigned int total = 0, r;

	for (int e = 0; e < END_NR; e++)
		if (in_list(ends_list, end_name[e]))
			total += end_weight[e];
	if (!total)
		return END_KILL;
	r = rnd(&R, total);
	for (int e = 0; e < END_NR; e++) {
		if (!in_list(ends_list, end_name[e]))
			continue;
		if (r < end_weight[e])
			return e;
		r -= end_weight[e];
	}
	return END_KILL;
}

static void spawn_session(struct kid *k)
{
	struct sess_cfg *c = &k->cfg;
	int slot = -1;
	pid_t pid;

	for (int i = 0; i < NSLOTS && slot < 0; i++)
		if (!sh->slot[i].used)
			slot = i;
	if (slot < 0)
		return;
	memset(&sh->slot[slot], 0, sizeof(sh->slot[slot]));
	sh->slot[slot].used = 1;
	memset(c, 0, sizeof(*c));
	c->seed = splitmix(&R);
	c->end = pick_end();
	c->ioctl_mode = c->end == END_EINTR_CLOSE ||
			((c->end == END_KILL || c->end == END_CLOSE_THREAD ||
			  c->end == END_EXIT) && chance(&R, 25));
	c->mode = rnd(&R, NMODES);
	c->reap = rnd(&R, REAP_NR);
	c->async_pct = (int[]){ 0, 30, 100 }[rnd(&R, 3)];
	c->life_ms = chance(&R, 50) ? 30 + rnd(&R, 300) : 300 + rnd(&R, 2500);
	c->slot = slot;
	for (int i = 0; i < NSHARED; i++) {
		c->shared_fd[i] = shared_buf[i].fd;
		c->shared_size[i] = shared_buf[i].size;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		sh->slot[slot].used = 0;
		return;
	}
	if (!pid) {
		close(kmsg_fd);
		sess_main(c);
		_exit(0);
	}
	k->pid = pid;
	k->slot = slot;
	k->t_spawn = now_ms();
	k->t_end = k->t_spawn + c->life_ms;
	k->killed = k->stuck = false;
	spawned[c->end]++;
	if (c->ioctl_mode)
		ioctl_sessions++;
	else {
		mode_count[c->mode]++;
		reap_count[c->reap]++;
	}
	if (verbose)
		printf("# %8.3f session %d: %s, %s, reap %s, %d%% async, %u ms\n", secs(),
		       pid, end_name[c->end], c->ioctl_mode ? "ioctl" :
		       ring_modes[c->mode].name, reap_name[c->reap], c->async_pct,
		       c->life_ms);
}

static void kid_done(struct kid *k, int status)
{
	struct slot *s = &sh->slot[k->slot];

	if (k->stuck)
		printf("# session %d (pinned) exited after all, %.1f s after its end\n",
		       k->pid, (now_ms() - k->t_end) / 1000.0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_NODEV) {
		nodev++;
	} else if (WIFSIGNALED(status) && !(k->killed && WTERMSIG(status) == SIGKILL)) {
		failure("session %d (%s, %s) died from signal %d while %s", k->pid,
			end_name[k->cfg.end], k->cfg.ioctl_mode ? "ioctl" :
			ring_modes[k->cfg.mode].name, WTERMSIG(status),
			phase_name[s->phase]);
	} else {
		finished[k->cfg.end]++;
	}
	if (s->unexpected) {
		sess_unexpected_total += s->unexpected;
		failure("session %d (%s, %s, reap %s): %d unexpected results; the first: %s",
			k->pid, end_name[k->cfg.end], k->cfg.ioctl_mode ? "ioctl" :
			ring_modes[k->cfg.mode].name, reap_name[k->cfg.reap],
			s->unexpected, s->what);
	}
	s->used = 0;
	k->pid = 0;
}

static void reap_kids(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == host_pid) {
			host_pid = 0;
			continue;
		}
		for (int i = 0; i < MAX_SESS; i++)
			if (kids[i].pid == pid)
				kid_done(&kids[i], status);
	}
}

static void unplug_everything(void);

/* sessions past their end (or killed) that do not go away */
static void check_hangs(void)
{
	uint64_t t = now_ms();

	for (int i = 0; i < MAX_SESS; i++) {
		struct kid *k = &kids[i];
		uint64_t limit = hang_ms + (k->cfg.end == END_CANCEL ? 12000 : 1000);

		if (!k->pid || k->stuck || (!k->killed && k->cfg.end == END_KILL))
			continue;
		if (t < k->t_end + limit)
			continue;
		k->stuck = true;
		pinned++;
		failure("session %d (%s, %s, reap %s, %d%% IOSQE_ASYNC) is pinned: still there %.1f s after it %s, while %s",
			k->pid, end_name[k->cfg.end], k->cfg.ioctl_mode ? "ioctl" :
			ring_modes[k->cfg.mode].name, reap_name[k->cfg.reap],
			k->cfg.async_pct, (t - k->t_end) / 1000.0,
			k->killed ? "was killed" : "was to end", phase_name[sh->slot[k->slot].phase]);
		dump_task(k->pid);
		if (pinned == 1)
			dump_blocked();
		kill(k->pid, SIGKILL);
		k->killed = true;
	}
}

static void kill_due(void)
{
	uint64_t t = now_ms();

	for (int i = 0; i < MAX_SESS; i++) {
		struct kid *k = &kids[i];

		if (k->pid && !k->killed && k->cfg.end == END_KILL && t >= k->t_end) {
			kill(k->pid, SIGKILL);
			k->killed = true;
			k->t_end = t;
		}
	}
}

static int alive_kids(void)
{
	int n = 0;

	for (int i = 0; i < MAX_SESS; i++)
		n += kids[i].pid && !kids[i].stuck;
	return n;
}

static void spawn_kids(void)
{
	if (stop_spawning || access(IUB_DEVICE_PATH, F_OK))
		return;
	for (int i = 0, n = alive_kids(); i < MAX_SESS && n < nkids_max; i++) {
		if (!kids[i].pid) {
			spawn_session(&kids[i]);
			n++;
		}
	}
}

static int live_pids(void)
{
	int n = 0;

	for (int i = 0; i < MAX_SESS; i++)
		n += !!kids[i].pid;
	return n;
}

/*
 * Kill every session and wait for them. A session that does not go is
 * pinned (reported by check_hangs()); then every plug is pulled once
 * (converters removed, UDCs unbound), which ends whatever it waits for.
 * Returns false if one is still there after that.
 */
static bool kill_all(const char *why)
{
	uint64_t t0 = now_ms();
	bool recovered = false;

	for (int i = 0; i < MAX_SESS; i++) {
		if (kids[i].pid && !kids[i].killed) {
			kill(kids[i].pid, SIGKILL);
			kids[i].killed = true;
			kids[i].t_end = t0;
		}
	}
	for (;;) {
		reap_kids();
		kmsg_poll();
		if (!live_pids())
			return true;
		check_hangs();
		if (!recovered && live_pids() && !alive_kids()) {
			printf("# %s: pinned sessions: removing the converters and unbinding the UDCs\n",
			       why);
			unplug_everything();
			recovered = true;
			t0 = now_ms();
		}
		if (recovered && now_ms() - t0 > hang_ms)
			return false;
		sleep_ms(20);
	}
}

/* ---- what happens around the sessions ---- */

enum { EV_KNOBS, EV_UNBIND, EV_UNLINK, EV_HOST, EV_FMOD, EV_RMMOD, EV_UNPLUG, EV_NR };

static const char * const ev_name[EV_NR] = {
	"knobs", "unbind", "unlink", "host", "fmod", "rmmod", "unplug",
};

/* mean time between two events of a kind */
static const unsigned int ev_mean_ms[EV_NR] = {
	400, 4000, 6000, 5000, 12000, 3000, 40000,
};

static uint64_t ev_next[EV_NR], host_back_at[2], fmod_restore_at, replug_at;
static uint64_t drain_until;	/* no new sessions: the bridge is to go */
static long ev_count[EV_NR], usbf_unloads, bridge_unloads, rmmod_refused;
static long cycles, cycles_kept;

static void ev_schedule(int e)
{
	unsigned int m = ev_mean_ms[e];

	ev_next[e] = now_ms() + m / 2 + rnd(&R, m);
}

static void knobs(void)
{
	int c = rnd(&R, NCHAN);

	switch (rnd(&R, 5)) {
	case 0: {
		static const unsigned int rates[] = { 0, 1 << 20, 4 << 20, 16 << 20 };
		unsigned int r = rates[rnd(&R, 4)];

		sim_set(c, "rate", r);
		event(false, "chan%d: rate %u", c, r);
		break;
	}
	case 1:
		sim_set(c, "stall", 1);
		unstall_at[c] = now_ms() + 100 + rnd(&R, 1500);
		event(false, "chan%d: stalled", c);
		break;
	case 2:
		sim_set(c, "fail_next", 1);
		event(false, "chan%d: the next transfer fails", c);
		break;
	case 3:
		sim_set(c, "delay_us", (unsigned int[]){ 0, 200, 2000 }[rnd(&R, 3)]);
		break;
	default:
		if (!access(SIM_UDC_DBG, F_OK)) {
			char p[128];

			snprintf(p, sizeof(p), SIM_UDC_DBG "/ep1%s/pause",
				 rnd(&R, 2) ? "in" : "out");
			udc_write_str(p, "1");
			unpause_at = now_ms() + 100 + rnd(&R, 1500);
			event(false, "sim UDC: %s paused", p);
		}
		break;
	}
}

static void apply_due(void)
{
	uint64_t t = now_ms();

	for (int c = 0; c < NCHAN; c++) {
		if (unstall_at[c] && t >= unstall_at[c]) {
			sim_set(c, "stall", 0);
			unstall_at[c] = 0;
		}
	}
	if (unpause_at && t >= unpause_at)
		sim_all_restore();
	if (replug_at && t >= replug_at) {
		replug_at = 0;
		event(true, "the converters come back");
		if (replug_converters())
			failure("the converters did not load again");
	}
	if (fmod_restore_at && t >= fmod_restore_at) {
		fmod_restore_at = 0;
		if (!mod_loaded(BRIDGE) || !mod_loaded(USBF))
			event(true, "loading the modules again");
		load_bridge();
		for (int i = 0; i < 2; i++)
			gadgets[i].restore_at = t;
		if (shared_buf[0].fd < 0)
			shared_create();
	}
	for (int i = 0; i < 2; i++) {
		struct gadget *g = &gadgets[i];

		if (host_back_at[i] && t >= host_back_at[i]) {
			host_back_at[i] = 0;
			if (g->host_away)
				host_away(g, false);
		}
		if (g->restore_at && t >= g->restore_at && !fmod_restore_at) {
			int r = g_up(g);

			g->restore_at = r ? t + 500 : 0;
			if (r && r != -ENOENT)
				event(false, "%s: bringing it up: %s", g->name, strerror(-r));
		}
	}
}

static void unplug_everything(void)
{
	event(true, "pulling every plug");
	unplug_converters();
	for (int i = 0; i < 2; i++) {
		g_unbind(&gadgets[i]);
		gadgets[i].restore_at = now_ms() + 500;
	}
	sim_all_restore();
	replug_at = now_ms() + 500;
}

static struct gadget *pick_gadget(bool need_bound)
{
	struct gadget *g = &gadgets[rnd(&R, 2)];

	if (need_bound && !g->bound)
		g = g == &gadgets[0] ? &gadgets[1] : &gadgets[0];
	return !need_bound || g->bound ? g : NULL;
}

static void rmmod_event(const char *name, bool in_use_ok)
{
	int r;

	if (!mod_loaded(name))
		return;
	r = brmmod(name);
	if (r == -EWOULDBLOCK || r == -EBUSY) {
		rmmod_refused++;
		event(false, "rmmod %s: refused, in use", name);
		return;
	}
	if (r) {
		failure("rmmod %s: %s", name, strerror(-r));
		return;
	}
	if (!strcmp(name, USBF))
		usbf_unloads++;
	else
		bridge_unloads++;
	event(true, "rmmod %s: unloaded%s", name, in_use_ok ? "" : " (at a random moment)");
	kmsg_poll();
	/* it is loaded again soon; configfs needs the function module */
	if (!fmod_restore_at)
		fmod_restore_at = now_ms() + 100 + rnd(&R, 900);
	for (int i = 0; i < 2; i++) {
		gadgets[i].restore_at = 0;
		if (!strcmp(name, USBF))
			gadgets[i].func = gadgets[i].linked = gadgets[i].bound = false;
	}
}

static void run_event(int e)
{
	struct gadget *g;
	uint64_t t = now_ms();

	ev_count[e]++;
	switch (e) {
	case EV_KNOBS:
		knobs();
		break;
	case EV_UNBIND:
		g = pick_gadget(true);
		if (g && !fmod_restore_at) {
			g_unbind(g);
			g->restore_at = t + 50 + rnd(&R, 1000);
		}
		break;
	case EV_UNLINK:
		g = pick_gadget(false);
		if (g->linked && !fmod_restore_at) {
			g_unlink(g);
			g->restore_at = t + 50 + rnd(&R, 1000);
		}
		break;
	case EV_HOST:
		g = pick_gadget(true);
		if (g && !g->host_away) {
			host_away(g, true);
			host_back_at[g - gadgets] = t + 100 + rnd(&R, 1500);
		}
		break;
	case EV_FMOD:
		if (fmod_restore_at || drain_until)
			break;
		/* the function instances go, then the module, whatever the
		 * sessions still hold or have yet to reap */
		for (int i = 0; i < 2; i++) {
			g_func_del(&gadgets[i]);
			gadgets[i].restore_at = 0;
		}
		rmmod_event(USBF, true);
		if (!mod_loaded(USBF) && chance(&R, 50)) {
			/*
			 * No new sessions for a while: the bridge goes at the
			 * first moment nobody holds it, while the teardown of
			 * its last users may still be under way
			 */
			stop_spawning = true;
			drain_until = t + 4000;
			fmod_restore_at = 0;
			event(false, "no new sessions: the bridge is to unload");
			/* our fences in them hold the module */
			shared_close("the bridge is to unload");
			break;
		}
		if (!fmod_restore_at)
			fmod_restore_at = t + 100 + rnd(&R, 1400);
		break;
	case EV_RMMOD:
		if (chance(&R, 30))
			rmmod_event(USBF, false);
		rmmod_event(BRIDGE, false);
		break;
	case EV_UNPLUG:
		if (replug_at)
			break;
		event(true, "the converters go away");
		unplug_converters();
		replug_at = t + 300 + rnd(&R, 1000);
		break;
	}
}

static void drain_tick(void)
{
	uint64_t t = now_ms();
	int r = mod_loaded(BRIDGE) ? brmmod(BRIDGE) : 0;

	if (r && t < drain_until) {
		if (r != -EWOULDBLOCK && r != -EBUSY)
			failure("rmmod %s: %s", BRIDGE, strerror(-r));
		return;
	}
	if (!r) {
		bridge_unloads++;
		event(true, "rmmod %s: unloaded (with %d sessions still exiting)",
		      BRIDGE, live_pids());
		kmsg_poll();
	} else {
		rmmod_refused++;
		event(false, "rmmod %s: still in use after 4 s without new sessions",
		      BRIDGE);
	}
	drain_until = 0;
	stop_spawning = false;
	fmod_restore_at = t + 100 + rnd(&R, 900);
}

/* ---- a cycle: everything stops, both modules unload, and load again ---- */

static bool unload_within(const char *name, unsigned int ms)
{
	uint64_t t0 = now_ms();

	while (mod_loaded(name)) {
		int r = brmmod(name);

		if (r && r != -EWOULDBLOCK && r != -EBUSY && r != -ENOENT) {
			failure("rmmod %s: %s", name, strerror(-r));
			return false;
		}
		if (!r)
			break;
		if (now_ms() - t0 > ms)
			return false;
		sleep_ms(50);
	}
	return true;
}

static bool dmabufs_back(const char *when)
{
	int n = dmabuf_count_settle(dmabuf_base, 5000);

	if (n != dmabuf_base) {
		failure("%s: %d DMABUFs alive, %d at start", when, n, dmabuf_base);
		return false;
	}
	return true;
}

static void resolve_ports(void)
{
	struct iub_port_info p[32];
	struct iub_query q = { .data = (__u64)(unsigned long)p, .size = sizeof(p) };
	int fd = iub_test_open();

	if (fd >= 0) {
		ioctl(fd, IUB_IOC_GET_PORTS, &q);
		close(fd);
	}
}

static bool cycle(bool final)
{
	bool keep = chance(&R, 50) && in_list(events_list, "fence-unload");
	bool gone, open_dmabufs;

	cycles++;
	drain_until = 0;
	if (slab_traces && cycles == 1) {
		/* the count sees the bridge's objects: not 0 under load */
		census_take(&cur_census);
		printf("# with %d sessions running: %ld objects of the bridge's modules\n",
		       alive_kids(), cur_census.ours);
	}
	event(true, "cycle %ld: every session is killed", cycles);
	stop_spawning = true;
	if (!kill_all("cycle")) {
		failure("a pinned session is still there after every plug was pulled: the modules cannot unload");
		return false;
	}
	sim_all_restore();
	for (int i = 0; i < 2; i++) {
		host_back_at[i] = 0;
		if (gadgets[i].host_away)
			host_away(&gadgets[i], false);
	}
	if (replug_at || !mod_loaded("iub_sim_iio")) {
		replug_at = 0;
		if (replug_converters())
			failure("the converters did not load again");
	}
	fmod_restore_at = 0;
	if (!keep)
		shared_close("before the modules unload");
	open_dmabufs = keep && shared_buf[0].fd >= 0;
	cycles_kept += open_dmabufs;
	for (int i = 0; i < 2; i++)
		g_destroy(&gadgets[i]);
	/*
	 * Idle, as at the start: what the bridge's modules allocated is back
	 * to the baseline. (Not while the shared DMABUFs are open: our fences
	 * are in them, as they may be.)
	 */
	resolve_ports();
	if (!open_dmabufs)
		census_settle(&inst_census, "every session gone, both modules idle");
	if (!unload_within(USBF, 5000))
		failure("%s still in use 5 s after its last user went (refcnt %ld)",
			USBF, mod_refcnt(USBF));
	gone = mod_loaded(USBF) ? false : unload_within(BRIDGE, 5000);
	if (!gone && open_dmabufs && !mod_loaded(USBF)) {
		event(true, "rmmod %s refused while DMABUFs it wrote are open (refcnt %ld)",
		      BRIDGE, mod_refcnt(BRIDGE));
		shared_close("rmmod was refused while they were open");
		open_dmabufs = false;
		gone = unload_within(BRIDGE, 5000);
	}
	if (!gone)
		failure("%s still in use 5 s after its last user went (refcnt %ld)",
			BRIDGE, mod_refcnt(BRIDGE));
	else
		event(true, "both modules unloaded");
	if (gone && open_dmabufs)
		shared_close("after the bridge that wrote them was unloaded");
	kmsg_poll();
	if (kreports && !keep_going)
		return false;
	dmabufs_back("both modules unloaded");
	if (load_bridge())
		return false;
	resolve_ports();
	/*
	 * What the new instance of our modules holds when idle. Not the
	 * baseline of the start: allocation stacks are symbolized when read,
	 * and another module's freed init code that ours now occupies makes
	 * some older objects look like ours.
	 */
	census_take(&inst_census);
	for (int i = 0; i < 20 && inst_census.ours > base_census.ours; i++) {
		/* the old instance's fences, freed with kfree_rcu() */
		sleep_ms(500);
		census_take(&inst_census);
	}
	if (inst_census.ours != base_census.ours) {
		printf("# loaded again, idle, the bridge's modules hold %ld objects (%ld at the start):\n",
		       inst_census.ours, base_census.ours);
		census_diff(&base_census, &inst_census);
	}
	event(true, "cycle %ld: the modules are loaded again", cycles);
	if (!final) {
		for (int i = 0; i < 2; i++)
			if (g_up(&gadgets[i]))
				gadgets[i].restore_at = now_ms() + 500;
		shared_create();
		stop_spawning = false;
	}
	return true;
}

/* ---- main ---- */

static bool loaded_dummy, loaded_sim_udc;

static void udc_setup(void)
{
	char path[300];

	if (!mod_loaded("dummy_hcd")) {
		loaded_dummy = !system("modprobe dummy_hcd");
		if (!loaded_dummy)
			printf("# modprobe dummy_hcd failed: no USB ports on dummy_hcd\n");
	}
	if (!mod_loaded("iub_sim_udc")) {
		snprintf(path, sizeof(path), "%s/sim/udc/iub_sim_udc.ko", kmod_dir());
		loaded_sim_udc = !mod_insmod(path, "");
		if (!loaded_sim_udc)
			printf("# insmod iub_sim_udc failed: no USB ports on the SG UDC\n");
	}
	/* the sessions' IN data is no stream: count it, do not check it */
	for (int i = 1; i <= 4 && !access(SIM_UDC_DBG, F_OK); i++) {
		char ep[16];

		snprintf(ep, sizeof(ep), "ep%din", i);
		udc_ep_set_value(ep, "verify", 0);
		udc_ep_set_value(ep, "rate", 64 << 20);
		snprintf(ep, sizeof(ep), "ep%dout", i);
		udc_ep_set_value(ep, "rate", 64 << 20);
	}
}

static void udc_teardown(void)
{
	if (loaded_dummy && !unload_within("dummy_hcd", 5000))
		failure("rmmod dummy_hcd refused 5 s after the gadget went");
	if (loaded_sim_udc && !unload_within("iub_sim_udc", 5000))
		failure("rmmod iub_sim_udc refused 5 s after the gadget went");
}

/* with slub_debug: check every object of the kmalloc caches, free ones too */
static void slab_validate(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	char p[300];
	int n = 0;

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "kmalloc-", 8) ||
		    !isdigit((unsigned char)e->d_name[8]))
			continue;
		snprintf(p, sizeof(p), "/sys/kernel/slab/%s/validate", e->d_name);
		n += !udc_write_str(p, "1");
	}
	if (d)
		closedir(d);
	printf("# validated %d kmalloc caches (slub_debug)\n", n);
}

static void summary(void)
{
	long total = 0;

	printf("# sessions by ending (spawned/finished):");
	for (int e = 0; e < END_NR; e++) {
		printf(" %s %ld/%ld", end_name[e], spawned[e], finished[e]);
		total += spawned[e];
	}
	printf("; %ld in all, %ld found no bridge to open\n", total, nodev);
	printf("# rings:");
	for (unsigned int m = 0; m < NMODES; m++)
		printf(" %s %ld", ring_modes[m].name, mode_count[m]);
	printf("; reaping:");
	for (int r = 0; r < REAP_NR; r++)
		printf(" %s %ld", reap_name[r], reap_count[r]);
	printf("; blocking-ioctl sessions %ld (%ld ioctls ended by a signal)\n",
	       ioctl_sessions, sh->ioctl_eintr);
	printf("# results: %ld successful", sh->res_ok);
	for (int i = 1; i < NERRNO; i++)
		if (sh->res_err[i])
			printf(", %ld %s", sh->res_err[i], strerror(i));
	printf("\n# events:");
	for (int e = 0; e < EV_NR; e++)
		printf(" %s %ld", ev_name[e], ev_count[e]);
	printf("; %s unloaded %ld times, %s %ld times (at random moments), rmmod refused %ld times\n",
	       USBF, usbf_unloads, BRIDGE, bridge_unloads, rmmod_refused);
	printf("# cycles (both modules unloaded and loaded again): %ld, %ld of them with DMABUFs the bridge wrote still open\n",
	       cycles, cycles_kept);
}

int main(void)
{
	unsigned long seconds = env_ul("IUB_STRESS_SECONDS", 100);
	uint64_t seed = env_ul("IUB_STRESS_SEED", 0), t_stop, cycle_at[4] = { 0 };
	long ref_bridge, ref_usbf;
	int ncycles, next_cycle = 0;
	bool cycles_on, ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!seed)
		seed = (uint64_t)time(NULL) * 1000003 ^ getpid();
	R = seed;
	t_start = now_ms();
	nkids_max = env_ul("IUB_STRESS_SESSIONS", 5);
	if (nkids_max < 1 || nkids_max > MAX_SESS)
		nkids_max = 5;
	hang_ms = env_ul("IUB_STRESS_HANG_MS", 15000);
	verbose = env_ul("IUB_STRESS_VERBOSE", 0);
	keep_going = env_ul("IUB_STRESS_KEEP_GOING", 0);
	ends_list = getenv("IUB_STRESS_ENDS");
	events_list = getenv("IUB_STRESS_EVENTS");
	cycles_on = in_list(events_list, "cycle");

	printf("TAP version 13\n1..6\n");
	printf("# teardown-stress: seed %llu (replay with IUB_STRESS_SEED=%llu), %lu s, %d sessions at once\n",
	       (unsigned long long)seed, (unsigned long long)seed, seconds, nkids_max);
	if (access(IUB_DEVICE_PATH, F_OK) || !mod_loaded(USBF)) {
		printf("# SKIP: the bridge and its function module are not loaded\n");
		return 4;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	kmsg_open();
	slab_traces = !access(SLAB_DBG "/kmalloc-64/alloc_traces", R_OK);
	printf("# slab objects of the bridge: %s\n", slab_traces ?
	       "counted exactly (slub_debug allocation traces)" :
	       "no allocation traces (boot with slub_debug=FZPU): kmalloc caches compared with a tolerance");

	/* the baseline: the modules as the harness loaded them, idle */
	dmabuf_base = dmabuf_count();
	if (dmabuf_base < 0) {
		printf("# SKIP: debugfs dma_buf/bufinfo is not readable\n");
		return 4;
	}
	ref_bridge = mod_refcnt(BRIDGE);
	ref_usbf = mod_refcnt(USBF);
	sim_all_restore();
	resolve_ports();
	census_take(&base_census);
	inst_census = base_census;
	if (verbose)
		for (int i = 0; i < base_census.nsite; i++)
			printf("#   %6ld %s\n", base_census.site[i].count,
			       base_census.site[i].key);
	printf("# baseline: %d DMABUFs, refcnt %s %ld, %s %ld, %ld objects of the bridge's modules, %ld kmalloc objects\n",
	       dmabuf_base, BRIDGE, ref_bridge, USBF, ref_usbf, base_census.ours,
	       base_census.kmalloc);

	udc_setup();
	for (int i = 0; i < 2; i++)
		if (g_up(&gadgets[i]))
			gadgets[i].restore_at = now_ms() + 500;
	shared_create();
	fflush(stdout);
	host_pid = fork();
	if (!host_pid) {
		/* only the orchestrator may hold the shared DMABUFs */
		close(kmsg_fd);
		for (int i = 0; i < NSHARED; i++)
			dmabuf_destroy(&shared_buf[i]);
		host_main(splitmix(&R) | 1);
		_exit(0);
	}

	for (int e = 0; e < EV_NR; e++)
		ev_schedule(e);
	ncycles = !cycles_on ? 0 : seconds >= 60 ? 2 : seconds >= 20 ? 1 : 0;
	for (int k = 0; k < ncycles; k++)
		cycle_at[k] = t_start + seconds * 1000 * (k + 1) / (ncycles + 1);
	t_stop = t_start + seconds * 1000;

	while (now_ms() < t_stop && (!kreports || keep_going) && !pinned) {
		uint64_t t;

		kmsg_poll();
		reap_kids();
		check_hangs();
		kill_due();
		apply_due();
		if (drain_until)
			drain_tick();
		spawn_kids();
		t = now_ms();
		if (next_cycle < ncycles && t >= cycle_at[next_cycle]) {
			next_cycle++;
			if (!cycle(false))
				break;
			continue;
		}
		for (int e = 0; e < EV_NR; e++) {
			if (t < ev_next[e])
				continue;
			if (in_list(events_list, ev_name[e]))
				run_event(e);
			ev_schedule(e);
		}
		sleep_ms(20);
	}
	printf("# stress phase over after %.1f s\n", secs());

	if (host_pid) {
		kill(host_pid, SIGKILL);
		waitpid(host_pid, NULL, 0);
		host_pid = 0;
	}
	if (kreports && !keep_going) {
		/* after a kernel report, module operations may hang: stop */
		stop_spawning = true;
		kill_all("kernel report");
		/* leave no gadget behind for the next tests, if it can be done */
		for (int i = 0; i < 2; i++)
			g_destroy(&gadgets[i]);
		udc_teardown();
		kmsg_poll();
		summary();
		printf("not ok 1 - the kernel log stayed clean (seed %llu)\n",
		       (unsigned long long)seed);
		return 1;
	}
	ok = cycle(true);
	summary();
	printf("%sok 1 - sessions ended by every mechanism, no unexpected result, none pinned\n",
	       sess_unexpected_total || pinned ? "not " : "");
	if (!ok) {
		for (int i = 0; i < 2; i++)
			g_destroy(&gadgets[i]);
		udc_teardown();
		printf("not ok 2 - the final unload (seed %llu)\n", (unsigned long long)seed);
		return 1;
	}
	printf("ok 2 - both modules unloaded and loaded again\n");
	for (int i = 0; i < 2; i++)
		g_destroy(&gadgets[i]);
	udc_teardown();

	/* everything back to the baseline */
	for (int i = 0; i < 100 && (mod_refcnt(BRIDGE) != ref_bridge ||
				    mod_refcnt(USBF) != ref_usbf); i++)
		sleep_ms(50);
	if (mod_refcnt(BRIDGE) != ref_bridge || mod_refcnt(USBF) != ref_usbf)
		failure("module reference counts: %s %ld (%ld at start), %s %ld (%ld at start)",
			BRIDGE, mod_refcnt(BRIDGE), ref_bridge, USBF, mod_refcnt(USBF), ref_usbf);
	printf("%sok 3 - module reference counts back to the baseline\n",
	       mod_refcnt(BRIDGE) != ref_bridge || mod_refcnt(USBF) != ref_usbf ? "not " : "");
	printf("%sok 4 - DMABUF count back to the baseline\n",
	       dmabufs_back("at the end") ? "" : "not ");
	ok = census_settle(&inst_census, "at the end");
	ok &= kmalloc_close(&base_census, &cur_census);
	if (slab_traces)
		printf("%sok 5 - the bridge's slab objects back to the baseline (%ld now, %ld when last loaded)\n",
		       ok ? "" : "not ", cur_census.ours, inst_census.ours);
	else
		printf("%sok 5 - the kmalloc caches back to the baseline, within the tolerance (no allocation traces)\n",
		       ok ? "" : "not ");
	if (slab_traces)
		slab_validate();
	sleep_ms(200);
	kmsg_poll();
	printf("%sok 6 - the kernel log stayed clean\n", kreports ? "not " : "");
	if (failures)
		printf("# %d failures; replay with IUB_STRESS_SEED=%llu\n", failures,
		       (unsigned long long)seed);
	return failures ? 1 : 0;
}
