/*
 * lock.c - flock(2) on DIR/.hivesnap.lock.  See lock.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "lock.h"

struct hs_lock {
	int fd;
	char *path;
};

/* Read what the holder wrote: "pid N" and "started T" into the buffers. */
static void hs_lock_holder(int fd, char *pid, size_t pidsz, char *started, size_t startsz)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *p;

	snprintf(pid, pidsz, "unknown");
	snprintf(started, startsz, "unknown");
	if (n <= 0)
		return;
	buf[n] = '\0';
	if ((p = strstr(buf, "pid ")) && sscanf(p + 4, "%15[0-9]", pid) != 1)
		snprintf(pid, pidsz, "unknown");
	if ((p = strstr(buf, "started ")) && sscanf(p + 8, "%31[0-9TZ:.-]", started) != 1)
		snprintf(started, startsz, "unknown");
}

/* Take the lock; see lock.h. */
int hs_lock_acquire(const char *dir, hs_lock **out, hs_error *e)
{
	hs_buf path = HS_BUF_INIT, body = HS_BUF_INIT;
	int fd = -1, rc = -1, tries;
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];

	*out = NULL;
	hs_buf_addf(&path, "%s%s.hivesnap.lock", dir, dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/");
	for (tries = 0;; tries++) {
		struct stat a, b;

		fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			hs_err(e, HS_EXIT_FAILURE, "cannot lock output folder '%s': %s", dir, strerror(errno));
			goto out;
		}
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			char pid[16], started[32];

			if (errno != EWOULDBLOCK) {
				hs_err(e, HS_EXIT_FAILURE, "cannot lock output folder '%s': %s", dir, strerror(errno));
				goto out;
			}
			hs_lock_holder(fd, pid, sizeof(pid), started, sizeof(started));
			hs_err(e, HS_EXIT_LOCKED,
			       "output folder '%s' is locked by hivesnap pid %s started %s (try again later)", dir,
			       pid, started);
			goto out;
		}
		/* locked; but a holder finishing meanwhile removes the file: then lock the new one */
		if (fstat(fd, &a) == 0 && stat(path.data, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			break;
		close(fd);
		fd = -1;
		if (tries == 10) {
			hs_err(e, HS_EXIT_LOCKED, "cannot lock output folder '%s': its lock file keeps changing", dir);
			goto out;
		}
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	hs_buf_addf(&body, "pid %ld\nstarted %s\n", (long)getpid(), stamp);
	if (ftruncate(fd, 0) || pwrite(fd, body.data, body.len, 0) != (ssize_t)body.len) {
		hs_err(e, HS_EXIT_FAILURE, "cannot write lock file '%s': %s", path.data, strerror(errno));
		goto out;
	}
	*out = hs_xmalloc(sizeof(**out));
	(*out)->fd = fd;
	(*out)->path = hs_buf_detach(&path, NULL);
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	hs_buf_release(&path);
	hs_buf_release(&body);
	return rc;
}

/* Remove the file while still holding the lock, then unlock. */
void hs_lock_release(hs_lock *l)
{
	if (!l)
		return;
	unlink(l->path);
	close(l->fd);
	free(l->path);
	free(l);
}
