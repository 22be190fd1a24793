/*
 * cleanup.c - remove registered temporary files on SIGINT/SIGTERM.  See
 * cleanup.h.
 *
 * The slots are plain static arrays: a slot's path is written once, before
 * its flag is set (an atomic store), and never again, so the handler reads
 * either nothing or a whole path, whichever thread it runs on.
 */
#include "cleanup.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

#define HS_CLEANUP_SLOTS 16

static char hs_cleanup_paths[HS_CLEANUP_SLOTS][PATH_MAX];
static atomic_int hs_cleanup_used[HS_CLEANUP_SLOTS];
static int hs_cleanup_next;
static pthread_mutex_t hs_cleanup_lock = PTHREAD_MUTEX_INITIALIZER;

int hs_cleanup_add(const char *path)
{
	size_t n = strlen(path);
	int slot = -1;

	if (n >= PATH_MAX)
		return -1;
	pthread_mutex_lock(&hs_cleanup_lock);
	if (hs_cleanup_next < HS_CLEANUP_SLOTS) {
		slot = hs_cleanup_next++;
		memcpy(hs_cleanup_paths[slot], path, n + 1);
		atomic_store(&hs_cleanup_used[slot], 1);
	}
	pthread_mutex_unlock(&hs_cleanup_lock);
	return slot;
}

void hs_cleanup_remove(int slot)
{
	if (slot >= 0 && slot < HS_CLEANUP_SLOTS)
		atomic_store(&hs_cleanup_used[slot], 0);
}

/* Async-signal-safe only: unlink, write, _exit. */
static void hs_cleanup_handler(int sig)
{
	static const char msg_int[] = "hivesnap: stopped by SIGINT (temporary files removed)\n";
	static const char msg_term[] = "hivesnap: stopped by SIGTERM (temporary files removed)\n";
	ssize_t k;
	int i;

	for (i = 0; i < HS_CLEANUP_SLOTS; i++)
		if (atomic_load(&hs_cleanup_used[i]))
			unlink(hs_cleanup_paths[i]);
	if (sig == SIGINT)
		k = write(STDERR_FILENO, msg_int, sizeof(msg_int) - 1);
	else
		k = write(STDERR_FILENO, msg_term, sizeof(msg_term) - 1);
	(void)k;
	_exit(HS_EXIT_FAILURE);
}

void hs_cleanup_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hs_cleanup_handler;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
