// SPDX-License-Identifier: GPL-2.0
/*
 * The demo `make run` shows in the guest: a buffer moved between the two
 * NUMA nodes with move_pages(2), then to test_hmm's device-private memory
 * and back with migrate_vma, its contents checked after every move and the
 * kernel's migration counters printed before and after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/types.h>
#include "test_hmm_uapi.h"

#define NPAGES 512

static const char * const counters[] = {
	"pgmigrate_success", "pgmigrate_fail", "thp_migration_success",
	"numa_pages_migrated",
};

static void show_counters(const char *when)
{
	char name[64];
	unsigned long long value;
	FILE *f = fopen("/proc/vmstat", "r");
	size_t i;

	printf("  vmstat %s:", when);
	while (f && fscanf(f, "%63s %llu", name, &value) == 2)
		for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
			if (!strcmp(name, counters[i]))
				printf(" %s=%llu", name, value);
	printf("\n");
	if (f)
		fclose(f);
}

static int nodes_of(char *buf, long page, int *node)
{
	void *pages[NPAGES];
	int status[NPAGES], i;

	for (i = 0; i < NPAGES; i++)
		pages[i] = buf + i * page;
	if (syscall(SYS_move_pages, 0, NPAGES, pages, NULL, status, 0))
		return -errno;
	*node = status[0];
	for (i = 1; i < NPAGES; i++)
		if (status[i] != *node)
			*node = -1;
	return 0;
}

static int move_to(char *buf, long page, int node)
{
	void *pages[NPAGES];
	int nodes[NPAGES], status[NPAGES], i;

	for (i = 0; i < NPAGES; i++) {
		pages[i] = buf + i * page;
		nodes[i] = node;
	}
	if (syscall(SYS_move_pages, 0, NPAGES, pages, nodes, status, 0))
		return -errno;
	return 0;
}

static int check(const char *buf, size_t size, unsigned char seed)
{
	size_t i;

	for (i = 0; i < size; i++)
		if ((unsigned char)buf[i] != (unsigned char)(i * 7 + seed))
			return -1;
	return 0;
}

static int hmm_cmd(int fd, unsigned long request, void *buf, long npages)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)buf,
		.ptr = (uintptr_t)buf,
		.npages = npages,
	};

	return ioctl(fd, request, &cmd) ? -errno : (int)cmd.cpages;
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = NPAGES * page, i;
	int node, step, fd, ret;
	char *buf;

	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	for (i = 0; i < size; i++)
		buf[i] = (char)(i * 7 + 1);

	printf("demo: %d pages of %ld bytes\n", NPAGES, page);
	show_counters("before");
	for (step = 0; step < 4; step++) {
		ret = move_to(buf, page, step % 2 ? 0 : 1);
		nodes_of(buf, page, &node);
		printf("move_pages to node %d: %s, pages now on node %d, data %s\n",
		       step % 2 ? 0 : 1, ret ? strerror(-ret) : "ok", node,
		       check(buf, size, 1) ? "CORRUPT" : "intact");
	}
	show_counters("after move_pages");

	fd = open("/dev/hmm_dmirror1", O_RDWR);
	if (fd < 0) {
		perror("demo: /dev/hmm_dmirror1");
		return 1;
	}
	ret = hmm_cmd(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, NPAGES);
	printf("migrate_vma to device-private memory: %d pages moved\n", ret);
	ret = hmm_cmd(fd, HMM_DMIRROR_MIGRATE_TO_SYS, buf, NPAGES);
	printf("migrate_vma back to system memory: %d pages moved, data %s\n",
	       ret, check(buf, size, 1) ? "CORRUPT" : "intact");
	show_counters("after migrate_vma");
	close(fd);
	return check(buf, size, 1) ? 1 : 0;
}
