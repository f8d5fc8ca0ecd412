// SPDX-License-Identifier: GPL-2.0
/*
 * What `make run` shows in the guest: the series at work, as a report read
 * top to bottom.
 *
 * 1. The kernel and the state of the copy offload (/sys/kernel/mm/migrate_copy).
 * 2. Anonymous memory, in 4K pages and in 2M THPs, moved from node 0 to
 *    node 1 with move_pages(2) on the base path, with the mt engine and with
 *    the dma engine (on the test_dma_memcpy provider): throughput, vmstat
 *    counters and the mm_migrate_copy_batch tracepoint.
 * 3. The no-copy device path: test_hmm copies a batch of pages to the other
 *    node itself, and migrate_vma_pages() moves the rest of each page's state,
 *    through the mapping's callback in MIGRATE_NO_COPY for a file page.  A
 *    block device's callback refuses the mode: its pages stay.
 * 4. A round trip through test_hmm's device-private memory.
 *
 * Every step checks the data it moved, fails loudly if it differs, and the
 * program then exits 1.  With --ktap, the steps are KTAP results for
 * make check, and the report their diagnostic lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/mempolicy.h>
#include <linux/types.h>
#include "test_hmm_uapi.h"

/* The base's test_hmm has no such command: the demo says so and goes on */
#ifndef HMM_DMIRROR_MIGRATE_TO_NODE
#define HMM_DMIRROR_MIGRATE_TO_NODE	_IOWR('H', 0x08, struct hmm_dmirror_cmd)
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MiB		(1UL << 20)
#define SZ_4K		4096UL
#define SZ_2M		(2 * MiB)
/* Small enough that TCG moves it in about a second on the debug kernel */
#define MOVE_BYTES	(32 * MiB)
#define MOVE_REPS	5
#define NODE_PAGES	64
#define BDEV_PAGES	16
#define DEV_PAGES	256
#define NR_STEPS	11
#define WHY_LEN		160

#define MC_DIR		"/sys/kernel/mm/migrate_copy/"
#define TEST_DMA_PARAMS	"/sys/module/test_dma_memcpy/parameters/"
#define MC_THRESHOLDS	MC_DIR "syscall_or_cpuset/"
#define NUMA_BALANCING	"/proc/sys/kernel/numa_balancing"
#define TRACE_EVENT	"events/migrate/mm_migrate_copy_batch/enable"

static bool ktap;

/* One line of the report; with --ktap, a KTAP diagnostic line */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	fputs(ktap ? "# " : "", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void blank(void)
{
	puts(ktap ? "#" : "");
}

/* The step being run, and the tally of all of them */
static struct {
	const char *name;
	char *why;		/* its first failure, "" while it passes */
	int nr, nr_failed;
	char failed[256];
} step;

/* Go on with step @name, whose first failure is kept in @why */
static void step_switch(const char *name, char *why)
{
	step.name = name;
	step.why = why;
}

static void step_start(const char *name)
{
	static char why[WHY_LEN];

	why[0] = '\0';
	step_switch(name, why);
}

/* A check of the current step failed: say so, and keep the first reason */
static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char why[WHY_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	say("FAILED %s: %s", step.name, why);
	if (!step.why[0])
		snprintf(step.why, WHY_LEN, "%s", why);
}

static void step_result(const char *directive)
{
	step.nr++;
	if (!ktap)
		return;
	if (step.why[0])
		printf("not ok %d %s # %s\n", step.nr, step.name, step.why);
	else
		printf("ok %d %s%s\n", step.nr, step.name, directive);
	fflush(stdout);
}

/* Close the current step */
static void step_end(void)
{
	if (step.why[0]) {
		step.nr_failed++;
		snprintf(step.failed + strlen(step.failed),
			 sizeof(step.failed) - strlen(step.failed), " %s",
			 step.name);
	}
	step_result("");
}

/* Steps that cannot run on this kernel (the base has no series) */
static void step_skip(const char *name, const char *why)
{
	char directive[128];

	step_start(name);
	snprintf(directive, sizeof(directive), " # SKIP %s", why);
	step_result(directive);
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Write @val to @path, truncating it (which clears a trace buffer) */
static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The counters of /proc/vmstat the report shows or checks */
enum {
	VM_BATCHES, VM_COPIED, VM_FALLBACK_ENGINE, VM_FALLBACK_CALLBACK,
	VM_MIGRATED, VM_MIGRATE_FAIL, VM_THP_MIGRATED, VM_THP_ALLOC, NR_VM
};

static const char * const vm_names[NR_VM] = {
	[VM_BATCHES] = "migrate_copy_batches",
	[VM_COPIED] = "migrate_copy_bytes",
	[VM_FALLBACK_ENGINE] = "migrate_copy_fallback_engine",
	[VM_FALLBACK_CALLBACK] = "migrate_copy_fallback_callback",
	[VM_MIGRATED] = "pgmigrate_success",
	[VM_MIGRATE_FAIL] = "pgmigrate_fail",
	[VM_THP_MIGRATED] = "thp_migration_success",
	[VM_THP_ALLOC] = "thp_fault_alloc",
};

struct vm {
	unsigned long v[NR_VM];
};

static void read_vm(struct vm *vm)
{
	FILE *f = fopen("/proc/vmstat", "r");
	unsigned long val;
	char name[64];
	int i;

	memset(vm, 0, sizeof(*vm));
	while (f && fscanf(f, "%63s %lu", name, &val) == 2)
		for (i = 0; i < NR_VM; i++)
			if (!strcmp(name, vm_names[i]))
				vm->v[i] = val;
	if (f)
		fclose(f);
}

/* @sum += @after - @before */
static void add_delta(struct vm *sum, const struct vm *before,
		      const struct vm *after)
{
	int i;

	for (i = 0; i < NR_VM; i++)
		sum->v[i] += after->v[i] - before->v[i];
}

/* What the demo changes, put back when it is done */
static const char * const saved_paths[] = {
	NUMA_BALANCING, MC_DIR "engine", MC_DIR "reasons",
	MC_THRESHOLDS "min_folio_bytes", MC_THRESHOLDS "max_folio_bytes",
	MC_THRESHOLDS "min_batch_bytes",
};

static char saved[ARRAY_SIZE(saved_paths)][128];

/* "engine" reads "[active] others": the active engine is what to write */
static const char *active_engine(char *list)
{
	char *active = strchr(list, '[');

	if (!active || !strchr(active, ']'))
		return list;
	*strchr(active, ']') = '\0';
	return active + 1;
}

static void save_settings(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(saved_paths); i++)
		read_line(saved_paths[i], saved[i], sizeof(saved[i]));
}

static void restore_settings(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(saved_paths); i++)
		if (saved[i][0])
			write_str(saved_paths[i], active_engine(saved[i]));
}

/* Load /lib/modules/@name.ko: 0, or a negative errno */
static int load_module(const char *name)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/lib/modules/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
		ret = -errno;
	close(fd);
	return ret;
}

/* Whether @engine is in the engine list of MC_DIR */
static bool engine_registered(const char *engine)
{
	char list[128], *tok, *save;

	read_line(MC_DIR "engine", list, sizeof(list));
	for (tok = strtok_r(list, " []", &save); tok;
	     tok = strtok_r(NULL, " []", &save))
		if (!strcmp(tok, engine))
			return true;
	return false;
}

/* 1. The kernel: release, base, the series' patches (in /etc/series) */
static void show_kernel(void)
{
	char line[160], nodes[32];
	struct utsname u;
	int nr = 0;
	FILE *f;

	uname(&u);
	read_line("/sys/devices/system/node/has_memory", nodes, sizeof(nodes));
	say("1. Kernel");
	say("   release   %s%s, %ld CPUs, memory on nodes %s", u.release,
	    access("/proc/lockdep", F_OK) ? "" : " (debug build)",
	    sysconf(_SC_NPROCESSORS_ONLN), nodes);
	f = fopen("/etc/series", "r");
	if (!f) {
		say("   series    unknown (no /etc/series in the initramfs)");
		return;
	}
	/* Its first line is the base, the others the patches in order */
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!nr++)
			say("   base      %s", line);
		else
			say("   %-9s %2d %s", nr == 2 ? "series" : "", nr - 1,
			    line);
	}
	fclose(f);
	if (nr < 2)
		say("   series    none: this is the base");
}

/* 1. The offload as found (at boot, for make run), then with its modules */
static void offload_state(void)
{
	static const char * const modules[] = {
		"migrate_copy_mt", "test_dma_memcpy", "migrate_copy_dma",
	};
	char engines[128], reasons[128], folio[32], ceiling[32], batch[32];
	size_t i;
	int ret;

	step_start("offload_state");
	read_line(MC_DIR "engine", engines, sizeof(engines));
	read_line(MC_DIR "reasons", reasons, sizeof(reasons));
	read_line(MC_THRESHOLDS "min_folio_bytes", folio, sizeof(folio));
	read_line(MC_THRESHOLDS "max_folio_bytes", ceiling, sizeof(ceiling));
	read_line(MC_THRESHOLDS "min_batch_bytes", batch, sizeof(batch));
	blank();
	say("   Copy offload, %s", MC_DIR);
	say("   found     engines %s (active in brackets), reasons %s",
	    engines, reasons);
	say("             syscall_or_cpuset thresholds: min_folio_bytes %s, max_folio_bytes %s,",
	    folio, ceiling);
	say("             min_batch_bytes %s", batch);
	for (i = 0; i < ARRAY_SIZE(modules); i++) {
		ret = load_module(modules[i]);
		if (ret)
			fail("loading %s: %s", modules[i], strerror(-ret));
	}
	/* A suite before this one may have left the provider slow or failing */
	write_str(TEST_DMA_PARAMS "delay_us", "0");
	write_str(TEST_DMA_PARAMS "fail_permille", "0");
	read_line(MC_DIR "engine", engines, sizeof(engines));
	say("   loaded    migrate_copy_mt, test_dma_memcpy (DMA memcpy provider), migrate_copy_dma");
	say("   now       engines %s", engines);
	if (!engine_registered("mt") || !engine_registered("dma"))
		fail("the mt and dma engines are not both registered");
	step_end();
}

/*
 * 2. move_pages(2) on each path.  The buffer is faulted afresh for every
 * move, as make bench does, so that each move starts from the same folios.
 */
struct run {
	const char *name;	/* of its step */
	const char *path;
	const char *engine;	/* NULL: the base path, reasons=none */
	size_t folio;
	char why[WHY_LEN];	/* its step's first failure */
	double gbps;		/* median of MOVE_REPS moves */
	struct vm delta;	/* summed over MOVE_REPS moves */
	unsigned long thps;	/* fewest THPs a buffer got */
	unsigned long events;	/* of the tracepoint */
	char event[160];	/* the first one */
};

static struct run runs[] = {
	{ "move_pages_4k_base", "base path", NULL, SZ_4K },
	{ "move_pages_4k_mt", "mt engine", "mt", SZ_4K },
	{ "move_pages_4k_dma", "dma engine", "dma", SZ_4K },
	{ "move_pages_thp_base", "base path", NULL, SZ_2M },
	{ "move_pages_thp_mt", "mt engine", "mt", SZ_2M },
	{ "move_pages_thp_dma", "dma engine", "dma", SZ_2M },
};

static char trace_dir[64];

/* Find tracefs, mounting it if need be; returns whether the event is there */
static bool trace_setup(void)
{
	static const char * const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	size_t i;

	if (access("/sys/kernel/tracing/events", F_OK))
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/" TRACE_EVENT, dirs[i]);
		if (!access(path, W_OK)) {
			snprintf(trace_dir, sizeof(trace_dir), "%s", dirs[i]);
			return true;
		}
	}
	return false;
}

static void trace_write(const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", trace_dir, file);
	write_str(path, val);
}

/* Count the events in the trace buffer and keep the first one */
static void trace_read(struct run *r)
{
	char path[128], line[512], *event;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", trace_dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		event = strstr(line, "mm_migrate_copy_batch: ");
		if (!event)
			continue;
		if (!r->events++)
			snprintf(r->event, sizeof(r->event), "%s",
				 event + strlen("mm_migrate_copy_batch: "));
	}
	if (f)
		fclose(f);
	r->event[strcspn(r->event, "\n")] = '\0';
}

/*
 * The base path copies in each folio's callback; an engine path hands every
 * batch of move_pages(2) to the engine, the 4K folios too (thresholds 0:
 * no floor and no ceiling).
 */
static int select_path(const char *engine)
{
	int ret;

	if (!engine)
		return write_str(MC_DIR "reasons", "none");
	ret = write_str(MC_DIR "engine", engine);
	ret = ret ?: write_str(MC_DIR "reasons", "syscall_or_cpuset");
	ret = ret ?: write_str(MC_THRESHOLDS "min_folio_bytes", "0");
	ret = ret ?: write_str(MC_THRESHOLDS "max_folio_bytes", "0");
	return ret ?: write_str(MC_THRESHOLDS "min_batch_bytes", "0");
}

static void fill(void *p, size_t len, unsigned long seed)
{
	unsigned long *w = p;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		w[i] = seed * 0x9e3779b97f4a7c15UL + i;
}

/* Returns the offset of the first word that differs, or -1 */
static long check(const void *p, size_t len, unsigned long seed)
{
	const unsigned long *w = p;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		if (w[i] != seed * 0x9e3779b97f4a7c15UL + i)
			return i * sizeof(*w);
	return -1;
}

/*
 * The node of each 4K page of [@p, @p + @len) in @nodes: move_pages(2)
 * without target nodes only asks.  Returns 0 or a negative errno.
 */
static int query_nodes(char *p, size_t len, int *nodes)
{
	size_t i, nr = len / SZ_4K;
	void **pages = malloc(nr * sizeof(*pages));
	int ret = 0;

	if (!pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		pages[i] = p + i * SZ_4K;
	if (syscall(SYS_move_pages, 0, nr, pages, NULL, nodes, 0))
		ret = -errno;
	free(pages);
	return ret;
}

/* How many 4K pages of [@p, @p + @len) are not on @node */
static long pages_off_node(char *p, size_t len, int node)
{
	size_t i, nr = len / SZ_4K;
	int *nodes = malloc(nr * sizeof(*nodes));
	long off = 0;

	if (!nodes || query_nodes(p, len, nodes))
		off = nr;
	else
		for (i = 0; i < nr; i++)
			off += nodes[i] != node;
	free(nodes);
	return off;
}

/* MOVE_BYTES of anonymous memory aligned to 2M, THPs when @folio is 2M */
static char *map_buffer(size_t folio)
{
	char *p = mmap(NULL, MOVE_BYTES + SZ_2M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q;

	if (p == MAP_FAILED)
		return NULL;
	q = (char *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
	if (q > p)
		munmap(p, q - p);
	munmap(q + MOVE_BYTES, p + SZ_2M - q);
	madvise(q, MOVE_BYTES, folio > SZ_4K ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return q;
}

/*
 * Move @p to node 1 with one move_pages(2) entry per @stride bytes and
 * return the seconds it took, or -1 if the call failed or left pages behind.
 */
static double timed_move(char *p, size_t stride, struct vm *delta)
{
	size_t i, nr = MOVE_BYTES / stride;
	void **pages = malloc(nr * sizeof(*pages));
	int *nodes = malloc(nr * sizeof(*nodes));
	int *status = malloc(nr * sizeof(*status));
	struct vm before, after;
	double t = -1;
	long ret;

	if (!pages || !nodes || !status) {
		fail("no memory for move_pages(2)'s arrays");
		goto out;
	}
	for (i = 0; i < nr; i++) {
		pages[i] = p + i * stride;
		nodes[i] = 1;
	}
	read_vm(&before);
	t = now();
	ret = syscall(SYS_move_pages, 0, nr, pages, nodes, status,
		      MPOL_MF_MOVE);
	t = now() - t;
	read_vm(&after);
	add_delta(delta, &before, &after);
	if (ret) {
		/* It returns how many pages it could not move, or fails */
		if (ret < 0)
			fail("move_pages(2) to node 1: %s", strerror(errno));
		else
			fail("move_pages(2) left %ld pages behind", ret);
		t = -1;
	}
out:
	free(pages);
	free(nodes);
	free(status);
	return t;
}

/* One move of a fresh buffer: its GB/s, or 0 if a check failed */
static double move_once(struct run *r, unsigned long seed)
{
	const unsigned long nr_thps = MOVE_BYTES / SZ_2M;
	struct vm before, after;
	unsigned long thps;
	double secs;
	long bad;
	char *p;

	p = map_buffer(r->folio);
	if (!p) {
		fail("mmap: %s", strerror(errno));
		return 0;
	}
	read_vm(&before);
	fill(p, MOVE_BYTES, seed);
	read_vm(&after);
	thps = r->folio > SZ_4K ? after.v[VM_THP_ALLOC] -
				  before.v[VM_THP_ALLOC] : 0;
	if (thps < r->thps)
		r->thps = thps;
	/* A THP moves by its first page; with fewer THPs, every page asks */
	secs = timed_move(p, thps == nr_thps ? SZ_2M : SZ_4K, &r->delta);
	bad = pages_off_node(p, MOVE_BYTES, 1);
	if (bad)
		fail("%ld pages not on node 1 after the move", bad);
	bad = check(p, MOVE_BYTES, seed);
	if (bad >= 0)
		fail("data differs at byte %ld after the move", bad);
	munmap(p, MOVE_BYTES);
	return secs > 0 ? MOVE_BYTES / secs / 1e9 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The counters must say that the path taken is the one asked for */
static void check_counters(const struct run *r)
{
	const struct vm *d = &r->delta;
	unsigned long moved = MOVE_REPS * MOVE_BYTES;

	if (d->v[VM_MIGRATED] < moved / SZ_4K)
		fail("pgmigrate_success grew by %lu, not %lu",
		     d->v[VM_MIGRATED], moved / SZ_4K);
	if (d->v[VM_THP_MIGRATED] < MOVE_REPS * r->thps)
		fail("thp_migration_success grew by %lu, not %lu",
		     d->v[VM_THP_MIGRATED], MOVE_REPS * r->thps);
	if (!r->engine && d->v[VM_BATCHES])
		fail("%lu batches went to an engine with reasons=none",
		     d->v[VM_BATCHES]);
	if (r->engine && d->v[VM_COPIED] < moved)
		fail("the engine copied %lu MiB, not %lu",
		     d->v[VM_COPIED] / MiB, moved / MiB);
	if (r->engine && d->v[VM_FALLBACK_ENGINE])
		fail("the engine failed to copy %lu folios",
		     d->v[VM_FALLBACK_ENGINE]);
}

/* One move on the path of @r, its tracepoint events counted: its GB/s */
static double measure(struct run *r, unsigned long seed)
{
	double gbps;
	int ret;

	step_switch(r->name, r->why);
	ret = select_path(r->engine);
	if (ret) {
		fail("selecting the %s: %s", r->path, strerror(-ret));
		return 0;
	}
	if (r->engine && trace_dir[0])
		trace_write("trace", "");
	gbps = move_once(r, seed);
	if (r->engine && trace_dir[0])
		trace_read(r);
	return gbps;
}

/* The median GB/s of each run and its counters' checks end its step */
static void end_run(struct run *r, double *gbps)
{
	step_switch(r->name, r->why);
	qsort(gbps, MOVE_REPS, sizeof(gbps[0]), cmp_double);
	r->gbps = gbps[MOVE_REPS / 2];
	if (r->folio > SZ_4K && !r->thps)
		fail("no THP at all: nothing to show");
	check_counters(r);
	step_end();
}

/*
 * Each round moves once on every path, so that a change of the host's load
 * weighs on all of them alike.
 */
static void move_pages_runs(bool series)
{
	double gbps[ARRAY_SIZE(runs)][MOVE_REPS];
	size_t i;
	int rep;

	for (i = 0; i < ARRAY_SIZE(runs); i++)
		runs[i].thps = runs[i].folio > SZ_4K ? MOVE_BYTES / SZ_2M : 0;
	for (rep = 0; rep < MOVE_REPS; rep++)
		for (i = 0; i < ARRAY_SIZE(runs); i++)
			if (series || !runs[i].engine)
				gbps[i][rep] = measure(&runs[i], rep + 1);
	for (i = 0; i < ARRAY_SIZE(runs); i++) {
		if (series || !runs[i].engine)
			end_run(&runs[i], gbps[i]);
		else
			step_skip(runs[i].name, "no migrate_copy in this kernel");
	}
}

static const char *folio_name(size_t folio)
{
	return folio > SZ_4K ? "2M THP" : "4K";
}

static void show_runs(void)
{
	const struct run *base = NULL, *r;
	unsigned long thps = MOVE_BYTES / SZ_2M;
	size_t i;

	blank();
	say("   %-7s %-10s %7s %7s %8s %8s %9s %10s %5s %14s", "folios",
	    "path", "GB/s", "x base", "batches", "copied", "fallback",
	    "pgmigrate", "fail", "thp_migration");
	for (i = 0; i < ARRAY_SIZE(runs); i++) {
		r = &runs[i];
		if (!r->engine)
			base = r;
		if (r->folio > SZ_4K && r->thps < thps)
			thps = r->thps;
		say("   %-7s %-10s %7.3f %7.2f %8lu %4lu MiB %9lu %10lu %5lu %14lu%s",
		    folio_name(r->folio), r->path, r->gbps,
		    base && base->gbps ? r->gbps / base->gbps : 0,
		    r->delta.v[VM_BATCHES] / MOVE_REPS,
		    r->delta.v[VM_COPIED] / MOVE_REPS / MiB,
		    (r->delta.v[VM_FALLBACK_ENGINE] +
		     r->delta.v[VM_FALLBACK_CALLBACK]) / MOVE_REPS,
		    r->delta.v[VM_MIGRATED] / MOVE_REPS,
		    r->delta.v[VM_MIGRATE_FAIL] / MOVE_REPS,
		    r->delta.v[VM_THP_MIGRATED] / MOVE_REPS,
		    r->why[0] ? "  FAILED" : "");
	}
	say("   GB/s = 10^9 bytes/s, the median of %d moves, the paths taking turns.  The other",
	    MOVE_REPS);
	say("   columns are per move, from /proc/vmstat:");
	say("   batches, copied, fallback: migrate_copy_batches, _bytes, _fallback_engine + _callback;");
	say("   pgmigrate, fail: pgmigrate_success, _fail (4K pages); thp_migration: its _success.");
	say("   2M THP buffers got at least %lu of %lu THPs (MADV_HUGEPAGE).", thps,
	    MOVE_BYTES / SZ_2M);
	say("   QEMU's TCG and the debug kernel distort absolute figures: compare the ratios.  The mt");
	say("   engine's helpers run on other vCPUs: it gains only when the host has idle cores.");
}

static void show_trace(void)
{
	size_t i;

	blank();
	if (!trace_dir[0]) {
		say("   No tracefs with migrate:mm_migrate_copy_batch: no trace.");
		return;
	}
	say("   Tracepoint mm_migrate_copy_batch (%s), first event of each run:",
	    trace_dir);
	for (i = 0; i < ARRAY_SIZE(runs); i++)
		if (runs[i].engine)
			say("   %-6s %-3s %3lu events in %d moves, first: %s",
			    folio_name(runs[i].folio), runs[i].engine,
			    runs[i].events, MOVE_REPS,
			    runs[i].event[0] ? runs[i].event : "none");
}

static void move_pages_demo(bool series)
{
	blank();
	say("2. move_pages(2): %lu MiB of anonymous memory, node 0 -> node 1",
	    MOVE_BYTES / MiB);
	say("   base path: reasons=none, each folio's callback copies it.  mt, dma: that engine,");
	say("   reasons=syscall_or_cpuset, its thresholds 0 so that 4K and 2M folios go too.");
	if (series && trace_setup())
		trace_write(TRACE_EVENT, "1");
	move_pages_runs(series);
	if (trace_dir[0])
		trace_write(TRACE_EVENT, "0");
	show_runs();
	if (series)
		show_trace();
}

/*
 * 3. The no-copy device path: HMM_DMIRROR_MIGRATE_TO_NODE, one batched copy
 * by the "device", then migrate_vma_pages() moves the state without copying.
 */
struct range {
	const char *name;	/* of its step */
	char what[40];
	const char *how;	/* what moves its state */
	bool moves;		/* whether its pages must move */
	char result[96];	/* where they went */
};

/* The range's line of the table, with its checks' verdict; ends its step */
static void range_end(const struct range *rg)
{
	say("   %-24s %-28s %-28s %s", rg->what, rg->how, rg->result,
	    step.why[0] ? "FAILED" : "intact");
	step_end();
}

/* "64 -> node 1", "16 stayed on node 0 (EBUSY)", or both, for @npages */
static void summarise(char *buf, size_t size, const int *from,
		      const int *status, long npages)
{
	long i, nr, len = 0;
	int node, err = 0, on = 0;

	for (node = 0; node < 8; node++) {
		for (i = nr = 0; i < npages; i++)
			nr += status[i] == node;
		if (nr)
			len += snprintf(buf + len, size - len, "%s%ld -> node %d",
					len ? ", " : "", nr, node);
	}
	for (i = nr = 0; i < npages; i++) {
		if (status[i] < 0) {
			nr++;
			err = -status[i];
			on = from[i];
		}
	}
	if (nr)
		snprintf(buf + len, size - len, "%s%ld stayed on node %d (%s)",
			 len ? ", " : "", nr, on, strerrorname_np(err));
}

/*
 * Move the @npages at @p to the node they are not on with test_hmm, and
 * check that each page is where its status says.
 */
static void move_range(int fd, struct range *rg, char *p, long npages)
{
	int from[NODE_PAGES], status[NODE_PAGES], now_on[NODE_PAGES];
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)p,
		.ptr = (uintptr_t)status,
		.npages = npages,
	};
	long moved = 0, stayed = 0, i;

	if (query_nodes(p, npages * SZ_4K, from))
		fail("cannot tell the pages' nodes");
	for (i = 0; i < npages; i++)
		status[i] = !from[i];
	if (ioctl(fd, HMM_DMIRROR_MIGRATE_TO_NODE, &cmd)) {
		fail("HMM_DMIRROR_MIGRATE_TO_NODE: %s", strerror(errno));
		return;
	}
	query_nodes(p, npages * SZ_4K, now_on);
	for (i = 0; i < npages; i++) {
		if (status[i] >= 0 && status[i] == now_on[i])
			moved++;
		else if (status[i] < 0 && now_on[i] == from[i])
			stayed++;
	}
	if (moved + stayed != npages)
		fail("%ld pages are not where their status says",
		     npages - moved - stayed);
	if (moved != (rg->moves ? npages : 0) || moved != (long)cmd.cpages)
		fail("%ld of %ld pages moved, %llu reported", moved, npages,
		     cmd.cpages);
	summarise(rg->result, sizeof(rg->result), from, status, npages);
}

/* Anonymous memory: no mapping, folio_migrate_mapping() moves its state */
static void no_copy_anon(int fd)
{
	struct range rg = {
		"no_copy_anon", "anonymous, 64 pages", "no mapping: the page only",
		true,
	};
	size_t len = NODE_PAGES * SZ_4K;
	char *p;

	step_start(rg.name);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		range_end(&rg);
		return;
	}
	madvise(p, len, MADV_NOHUGEPAGE);
	fill(p, len, 11);
	move_range(fd, &rg, p, NODE_PAGES);
	if (check(p, len, 11) >= 0)
		fail("the data differs after the move");
	munmap(p, len);
	range_end(&rg);
}

/*
 * An ext4 file: half written with write(2) and mapped clean, half written
 * through the mapping.  buffer_migrate_folio() moves each page cache slot and
 * its buffer heads; after fsync() and dropping the cache, the file must read
 * back what was written: the dirty state moved too.
 */
static void no_copy_ext4(int fd)
{
	struct range rg = {
		"no_copy_ext4", "ext4 file, 64 pages", "buffer_migrate_folio",
		true,
	};
	size_t len = NODE_PAGES * SZ_4K, i;
	char *p = MAP_FAILED, *buf = malloc(len);
	int file;

	step_start(rg.name);
	file = open("/mnt/ext4", O_TMPFILE | O_RDWR, 0600);
	if (file < 0 || !buf || ftruncate(file, len)) {
		fail("an ext4 file at /mnt/ext4: %s", strerror(errno));
		goto out;
	}
	fill(buf, len, 12);
	/* Page by page, so that the page cache has small folios */
	for (i = 0; i < len / 2; i += SZ_4K)
		if (pwrite(file, buf + i, SZ_4K, i) != SZ_4K)
			fail("write: %s", strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	if (p == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		goto out;
	}
	/* migrate_vma skips large folios: no read-around */
	madvise(p, len, MADV_RANDOM);
	if (memcmp(p, buf, len / 2))
		fail("the file reads back wrong before the move");
	memcpy(p + len / 2, buf + len / 2, len / 2);
	move_range(fd, &rg, p, NODE_PAGES);
	if (memcmp(p, buf, len))
		fail("the data differs after the move");
	memset(buf, 0, len);
	if (fsync(file) || posix_fadvise(file, 0, len, POSIX_FADV_DONTNEED) ||
	    pread(file, buf, len, 0) != len || check(buf, len, 12) >= 0)
		fail("the file differs once written back and read from disk");
out:
	if (p != MAP_FAILED)
		munmap(p, len);
	if (file >= 0)
		close(file);
	free(buf);
	range_end(&rg);
}

/* The block device /mnt/ext4 is on, opened read-only, and its name */
static int open_bdev_of(const char *dir, char *dev, size_t size)
{
	char sys[128], line[128];
	struct stat st;
	FILE *f;

	dev[0] = '\0';
	if (stat(dir, &st))
		return -1;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/uevent",
		 major(st.st_dev), minor(st.st_dev));
	f = fopen(sys, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "DEVNAME=", 8))
			snprintf(dev, size, "/dev/%s", strtok(line + 8, "\n"));
	if (f)
		fclose(f);
	return dev[0] ? open(dev, O_RDONLY) : -1;
}

/*
 * A block device's pages with buffer heads: buffer_migrate_folio_norefs()
 * refuses MIGRATE_NO_COPY, since buffers are written without the page lock
 * and the device's copy could be stale.  The pages must stay, intact.  The
 * last pages of the disk under /mnt/ext4 are read through a mapping without
 * read-ahead, which reads them with buffers.
 */
static void no_copy_blockdev(int fd)
{
	struct range rg = {
		"no_copy_blockdev_refused", "block device",
		"buffer_migrate_folio_norefs", false,
	};
	size_t len = BDEV_PAGES * SZ_4K;
	char dev[64], *p = MAP_FAILED, *copy = malloc(len);
	off_t offset;
	int bdev;

	step_start(rg.name);
	bdev = open_bdev_of("/mnt/ext4", dev, sizeof(dev));
	offset = bdev < 0 ? -1 : lseek(bdev, 0, SEEK_END) - len;
	if (offset >= 0) {
		posix_fadvise(bdev, offset, len, POSIX_FADV_DONTNEED);
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, bdev, offset);
	}
	if (p == MAP_FAILED || !copy) {
		fail("mapping the end of the disk under /mnt/ext4 (%s): %s",
		     dev, strerror(errno));
		goto out;
	}
	madvise(p, len, MADV_RANDOM);
	memcpy(copy, p, len);
	snprintf(rg.what, sizeof(rg.what), "block dev %s, %d pages",
		 strrchr(dev, '/') + 1, BDEV_PAGES);
	move_range(fd, &rg, p, BDEV_PAGES);
	if (memcmp(p, copy, len))
		fail("the data differs after the attempt");
out:
	if (p != MAP_FAILED)
		munmap(p, len);
	if (bdev >= 0)
		close(bdev);
	free(copy);
	range_end(&rg);
}

static void no_copy_demo(bool series)
{
	int fd;

	blank();
	say("3. No-copy device path: test_hmm (/dev/hmm_dmirror0) moves a range to the other node with");
	say("   HMM_DMIRROR_MIGRATE_TO_NODE: it copies each batch of 64 pages itself, as one DMA would,");
	say("   then migrate_vma_pages() moves the rest of each page's state, calling the mapping's");
	say("   callback in MIGRATE_NO_COPY.  Data checked through the CPU after the move.");
	if (!series) {
		step_skip("no_copy_anon", "no HMM_DMIRROR_MIGRATE_TO_NODE");
		step_skip("no_copy_ext4", "no HMM_DMIRROR_MIGRATE_TO_NODE");
		step_skip("no_copy_blockdev_refused",
			  "no HMM_DMIRROR_MIGRATE_TO_NODE");
		say("   Skipped: this kernel has no HMM_DMIRROR_MIGRATE_TO_NODE.");
		return;
	}
	fd = open("/dev/hmm_dmirror0", O_RDWR);
	say("   %-24s %-28s %-28s %s", "range", "state moved by", "pages",
	    "data");
	no_copy_anon(fd);
	no_copy_ext4(fd);
	no_copy_blockdev(fd);
	say("   The ext4 file's data is also checked on disk, after fsync() and dropping the cache.");
	if (fd >= 0)
		close(fd);
}

/* Count the pages the device's page table maps in its own private memory */
static long on_device(int fd, char *p, long npages)
{
	unsigned char prot[DEV_PAGES];
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)p,
		.ptr = (uintptr_t)prot,
		.npages = npages,
	};
	long i, nr = 0;

	if (ioctl(fd, HMM_DMIRROR_SNAPSHOT, &cmd))
		return -errno;
	for (i = 0; i < npages; i++)
		nr += (prot[i] & 0xf0) == HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL;
	return nr;
}

/*
 * 4. To device-private memory and back.  A CPU access to a page on the
 * device faults it back to system memory, which would leave nothing for
 * HMM_DMIRROR_MIGRATE_TO_SYS to move: the data is checked through the
 * device while it is there, and by the CPU once it is back.
 */
static void device_private_demo(void)
{
	size_t len = DEV_PAGES * SZ_4K;
	char *p, *mirror = malloc(len);
	struct hmm_dmirror_cmd cmd = {
		.ptr = (uintptr_t)mirror,
		.npages = DEV_PAGES,
	};
	long dev, home;
	bool intact;
	int fd;

	step_start("device_private_round_trip");
	blank();
	say("4. Device-private round trip, %d pages through test_hmm's device memory", DEV_PAGES);
	fd = open("/dev/hmm_dmirror0", O_RDWR);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || p == MAP_FAILED || !mirror) {
		fail("/dev/hmm_dmirror0 and a buffer: %s", strerror(errno));
		goto out;
	}
	madvise(p, len, MADV_NOHUGEPAGE);
	fill(p, len, 21);
	cmd.addr = (uintptr_t)p;
	if (ioctl(fd, HMM_DMIRROR_MIGRATE_TO_DEV, &cmd))
		fail("HMM_DMIRROR_MIGRATE_TO_DEV: %s", strerror(errno));
	dev = on_device(fd, p, DEV_PAGES);
	if (dev != DEV_PAGES)
		fail("%ld of %d pages on the device", dev, DEV_PAGES);
	intact = check(mirror, len, 21) < 0;
	if (!intact)
		fail("the device reads back other data");
	say("   HMM_DMIRROR_MIGRATE_TO_DEV  %3ld pages in device-private memory; the device reads them: %s",
	    dev, intact ? "intact" : "DIFFERENT");
	cmd.cpages = 0;
	if (ioctl(fd, HMM_DMIRROR_MIGRATE_TO_SYS, &cmd))
		fail("HMM_DMIRROR_MIGRATE_TO_SYS: %s", strerror(errno));
	if (cmd.cpages != DEV_PAGES)
		fail("%llu of %d pages moved back", cmd.cpages, DEV_PAGES);
	home = DEV_PAGES - pages_off_node(p, len, 0);
	intact = check(p, len, 21) < 0;
	if (!intact)
		fail("the data differs back in system memory");
	say("   HMM_DMIRROR_MIGRATE_TO_SYS  %3llu pages moved back, %ld on node 0; the CPU reads them: %s",
	    cmd.cpages, home, intact ? "intact" : "DIFFERENT");
	say("   (The device checks the data while it holds it: a CPU access would fault the pages");
	say("   back one by one and leave HMM_DMIRROR_MIGRATE_TO_SYS nothing to move.)");
out:
	if (p != MAP_FAILED)
		munmap(p, len);
	if (fd >= 0)
		close(fd);
	free(mirror);
	step_end();
}

/*
 * The fastest run that passed of those in folios of @folio, against the
 * base path's run, which comes first: "mt engine, 0.033 GB/s, x1.41"
 */
static void fastest(char *buf, size_t size, size_t folio)
{
	const struct run *base = NULL, *best = NULL, *r;

	for (r = runs; r < runs + ARRAY_SIZE(runs); r++) {
		if (r->folio != folio)
			continue;
		if (!base)
			base = r;
		if (!r->why[0] && r->gbps > 0 && (!best || r->gbps > best->gbps))
			best = r;
	}
	if (best)
		snprintf(buf, size, "%s, %.3f GB/s, x%.2f", best->path,
			 best->gbps, base->gbps ? best->gbps / base->gbps : 0);
	else
		snprintf(buf, size, "none passed");
}

/* 5. The verdict, and the fastest path of each folio size */
static void summary(double start)
{
	char small[64], thp[64];

	fastest(small, sizeof(small), SZ_4K);
	fastest(thp, sizeof(thp), SZ_2M);
	blank();
	if (step.nr_failed)
		say("5. FAILED: %d of %d steps:%s (%.0f s)", step.nr_failed,
		    step.nr, step.failed, now() - start);
	else
		say("5. All %d steps checked their data: intact (%.0f s).",
		    step.nr, now() - start);
	say("   Fastest: 4K pages: %s; 2M THPs: %s.", small, thp);
}

int main(int argc, char **argv)
{
	unsigned long node0 = 1;
	double start = now();
	bool series;

	ktap = argc > 1 && !strcmp(argv[1], "--ktap");
	if (argc > 1 && !ktap) {
		fprintf(stderr, "usage: %s [--ktap]\n", argv[0]);
		return 2;
	}
	if (ktap)
		printf("TAP version 13\n1..%d\n", NR_STEPS);
	/* Everything starts on node 0: the buffers, the file's page cache */
	syscall(SYS_set_mempolicy, MPOL_PREFERRED, &node0, 8 * sizeof(node0));
	series = !access(MC_DIR, F_OK);
	save_settings();
	/* NUMA balancing would move pages behind the demo's back */
	write_str(NUMA_BALANCING, "0");

	say("The series at work: batched, copy-offloaded page migration");
	blank();
	show_kernel();
	if (series)
		offload_state();
	else
		step_skip("offload_state", "no migrate_copy in this kernel");
	move_pages_demo(series);
	no_copy_demo(series);
	device_private_demo();
	restore_settings();
	summary(start);
	return step.nr_failed ? 1 : 0;
}
