/*
 * runner.c - diag collectors in child processes (runner.h).
 *
 * Besides the hs_diag_out files (diag.h), a child that fails writes its
 * error text to <dir>/error.txt, which the parent reads back; a child
 * whose folder has no error.txt and that exited 1 failed before it could
 * say why.
 */
#include "runner.h"
#include "clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

static volatile sig_atomic_t hs_diag_signal;
static struct sigaction hs_diag_old_int, hs_diag_old_term;
static bool hs_diag_installed;

const char *hs_diag_status_name(enum hs_diag_status s)
{
	switch (s) {
	case HS_DIAG_OK:
		return "ok";
	case HS_DIAG_WARNING:
		return "warning";
	case HS_DIAG_FAILED:
		return "failed";
	case HS_DIAG_TIMEOUT:
		return "timeout";
	case HS_DIAG_SKIPPED:
	default:
		return "skipped";
	}
}

void hs_diag_run_release(hs_diag_run *r)
{
	if (!r)
		return;
	free(r->error);
	free(r->dir);
	r->error = NULL;
	r->dir = NULL;
}

static void hs_diag_on_signal(int sig)
{
	hs_diag_signal = sig;
}

void hs_diag_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hs_diag_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: waits return EINTR */
	hs_diag_signal = 0;
	sigaction(SIGINT, &sa, &hs_diag_old_int);
	sigaction(SIGTERM, &sa, &hs_diag_old_term);
	hs_diag_installed = true;
}

void hs_diag_signals_restore(void)
{
	if (!hs_diag_installed)
		return;
	sigaction(SIGINT, &hs_diag_old_int, NULL);
	sigaction(SIGTERM, &hs_diag_old_term, NULL);
	hs_diag_installed = false;
}

int hs_diag_interrupted(void)
{
	return hs_diag_signal;
}

int hs_diag_workdir_new(const char *near, char **out, hs_error *e)
{
	hs_buf b = HS_BUF_INIT;

	*out = NULL;
	hs_buf_addf(&b, "%s%s.hivesnap-diag-%ld-XXXXXX", near,
		    near[0] && near[strlen(near) - 1] == '/' ? "" : "/", (long)getpid());
	if (!mkdtemp(b.data)) {
		int err = errno;

		hs_buf_release(&b);
		return hs_err_errno(e, HS_EXIT_FAILURE, err, "cannot create a work folder in '%s'", near);
	}
	*out = hs_buf_detach(&b, NULL);
	return 0;
}

/* nftw callback: remove one file or (depth-first) folder. */
static int hs_diag_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void hs_diag_workdir_remove(const char *dir)
{
	if (!dir)
		return;
	nftw(dir, hs_diag_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

unsigned hs_diag_workdir_clean_stale(const char *dir)
{
	static const char prefix[] = ".hivesnap-diag-";
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		hs_buf full = HS_BUF_INIT;
		struct stat st;
		char *end;
		long pid;

		if (strncmp(de->d_name, prefix, sizeof(prefix) - 1))
			continue;
		pid = strtol(de->d_name + sizeof(prefix) - 1, &end, 10);
		if (pid <= 0 || *end != '-' || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		hs_buf_addf(&full, "%s/%s", dir, de->d_name);
		if (lstat(full.data, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid()) {
			hs_diag_workdir_remove(full.data);
			n++;
		}
		hs_buf_release(&full);
	}
	closedir(d);
	return n;
}

/* Write a child's error text into <dir>/error.txt (best effort). */
static void hs_diag_child_error(const char *dir, const char *msg)
{
	hs_buf p = HS_BUF_INIT;
	FILE *f;

	hs_buf_addf(&p, "%s/error.txt", dir);
	f = fopen(p.data, "w");
	if (f) {
		fputs(msg, f);
		fclose(f);
	}
	hs_buf_release(&p);
}

/*
 * The child: its own process group (so the kill reaches anything it
 * starts), killed if the parent dies, none of the parent's descriptors,
 * default signal handling, stdout on /dev/null (stdout is the parent's
 * report), run the collector, close the output, _exit.
 */
static void hs_diag_child(const hs_diag_run *r, const hs_diag_runner_opts *o, int64_t started_ms,
			  pid_t parent)
{
	hs_diag_ctx c;
	hs_diag_out *out = NULL;
	hs_error e;
	int rc = -1, fd;

	setpgid(0, 0);
	/* die with the parent (even kill -9): nobody would read what we write */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* the parent's descriptors (archive being written, folder lock) are not ours */
	close_range(3, ~0U, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	fd = open("/dev/null", O_WRONLY);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	memset(&c, 0, sizeof(c));
	c.profile = o->profile;
	c.since_s = o->since_s;
	c.timeout_ms = r->budget_ms;
	c.started_ms = started_ms;
	hs_error_init(&e);
	if (hs_diag_out_new(&out, r->dir, &e) == 0) {
		rc = r->col->run(&c, out, &e);
		if (rc && !e.msg[0])
			hs_err(&e, HS_EXIT_FAILURE, "collector '%s' failed without saying why", r->col->name);
		if (rc)
			hs_diag_child_error(r->dir, e.msg);
		hs_error_init(&e);
		if (hs_diag_out_close(out, &e) && rc == 0) {
			rc = -1;
			hs_diag_child_error(r->dir, e.msg);
		}
	} else {
		hs_diag_child_error(r->dir, e.msg);
	}
	_exit(rc ? 1 : 0);
}

/* Does <dir>/warnings.json hold at least one warning? */
static bool hs_diag_has_warnings(const char *dir)
{
	hs_buf p = HS_BUF_INIT;
	json_t *w;
	bool any;

	hs_buf_addf(&p, "%s/warnings.json", dir);
	w = json_load_file(p.data, 0, NULL);
	any = json_is_array(w) && json_array_size(w) > 0;
	json_decref(w);
	hs_buf_release(&p);
	return any;
}

/* <dir>/error.txt as a string (first line, at most 1 KiB), or NULL. */
static char *hs_diag_read_error(const char *dir)
{
	hs_buf p = HS_BUF_INIT;
	char line[1024];
	char *s = NULL;
	FILE *f;

	hs_buf_addf(&p, "%s/error.txt", dir);
	f = fopen(p.data, "r");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			s = hs_xstrdup(line);
		}
		fclose(f);
	}
	hs_buf_release(&p);
	return s;
}

/* "2 s" or "2.5 s" */
static void hs_diag_secs(hs_buf *b, int64_t ms)
{
	if (ms % 1000 == 0)
		hs_buf_addf(b, "%lld s", (long long)(ms / 1000));
	else
		hs_buf_addf(b, "%.1f s", (double)ms / 1000.0);
}

/* A child ended (status from waitpid): fill the run's outcome. */
static void hs_diag_finish(hs_diag_run *r, int wstatus, bool killed, int64_t ran_ms)
{
	hs_buf b = HS_BUF_INIT;

	r->ended_ms = hs_now_ms();
	r->done = true;
	r->pid = 0;
	if (killed) {
		r->status = HS_DIAG_TIMEOUT;
		hs_buf_adds(&b, "timed out after ");
		hs_diag_secs(&b, ran_ms);
		r->error = hs_buf_detach(&b, NULL);
		hs_debug(r->col->name, "collector killed: %s", r->error);
		return;
	}
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
		r->status = hs_diag_has_warnings(r->dir) ? HS_DIAG_WARNING : HS_DIAG_OK;
	} else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 1) {
		r->status = HS_DIAG_FAILED;
		r->error = hs_diag_read_error(r->dir);
		if (!r->error)
			r->error = hs_xstrdup("the collector failed without saying why");
	} else {
		r->status = HS_DIAG_FAILED;
		if (WIFSIGNALED(wstatus))
			hs_buf_addf(&b, "the collector crashed (signal %d)", WTERMSIG(wstatus));
		else
			hs_buf_addf(&b, "the collector exited with status %d", WEXITSTATUS(wstatus));
		r->error = hs_buf_detach(&b, NULL);
	}
	/* the error text may hold what only the bundle's redactor knows: the command logs it redacted */
	if (r->status == HS_DIAG_FAILED)
		hs_debug(r->col->name, "collector failed");
	else
		hs_info(r->col->name, "collector %s in %.1fs", hs_diag_status_name(r->status),
			(double)(r->ended_ms - r->started_ms) / 1000.0);
}

/* Kill a child's process group and reap it. */
static void hs_diag_kill(hs_diag_run *r)
{
	int st;

	kill(-r->pid, SIGKILL);
	kill(r->pid, SIGKILL);
	while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* Start one child.  Returns 0, or -1 with e set (fork failed). */
static int hs_diag_start(hs_diag_run *r, const char *workdir, const hs_diag_runner_opts *o,
			 int64_t deadline, hs_error *e)
{
	hs_buf b = HS_BUF_INIT;
	int64_t now = hs_mono_ms();
	pid_t pid, parent;

	hs_buf_addf(&b, "%s/%s", workdir, r->col->name);
	free(r->dir);
	r->dir = hs_buf_detach(&b, NULL);
	r->started_ms = hs_now_ms();
	r->started_mono = now;
	r->kill_at = now + r->budget_ms < deadline ? now + r->budget_ms : deadline;
	fflush(NULL);
	parent = getpid();
	pid = fork();
	if (pid < 0)
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot start collector '%s'", r->col->name);
	if (pid == 0)
		hs_diag_child(r, o, r->started_ms, parent);
	setpgid(pid, pid); /* also in the child: whichever runs first */
	r->pid = pid;
	hs_debug(r->col->name, "collector started (pid %d, budget %d ms)", (int)pid, r->budget_ms);
	return 0;
}

int hs_diag_runner_run(hs_diag_run *runs, size_t n, const char *workdir,
		       const hs_diag_runner_opts *o, hs_error *e)
{
	int parallel = o->parallel > 0 ? o->parallel : HS_DIAG_PARALLEL;
	int margin = o->margin_ms > 0 ? o->margin_ms : HS_DIAG_DEADLINE_MARGIN_MS;
	int64_t deadline, longest = 0;
	size_t next = 0, i;
	int running = 0, rc = -1;

	for (i = 0; i < n; i++) {
		runs[i].done = runs[i].status == HS_DIAG_SKIPPED;
		runs[i].pid = 0;
		if (!runs[i].done && runs[i].budget_ms > longest)
			longest = runs[i].budget_ms;
	}
	deadline = hs_mono_ms() + longest + margin;

	for (;;) {
		struct timespec pause = { 0, 10 * 1000 * 1000 };
		int64_t now;

		if (hs_diag_interrupted()) {
			hs_err(e, HS_EXIT_FAILURE, "interrupted by signal %d: collectors stopped, nothing written",
			       hs_diag_interrupted());
			goto out;
		}
		now = hs_mono_ms();
		/* start what the limit allows; past the deadline nothing starts */
		for (; next < n && running < parallel; next++) {
			hs_diag_run *r = &runs[next];

			if (r->done)
				continue;
			if (now >= deadline) {
				hs_buf b = HS_BUF_INIT;

				hs_buf_adds(&b, "not started before the overall deadline (");
				hs_diag_secs(&b, longest + margin);
				hs_buf_adds(&b, ")");
				r->status = HS_DIAG_TIMEOUT;
				r->error = hs_buf_detach(&b, NULL);
				r->done = true;
				continue;
			}
			if (hs_diag_start(r, workdir, o, deadline, e))
				goto out;
			running++;
		}
		if (!running && next >= n)
			break;
		for (i = 0; i < n; i++) {
			hs_diag_run *r = &runs[i];
			int st = 0;
			pid_t w;

			if (!r->pid)
				continue;
			w = waitpid(r->pid, &st, WNOHANG);
			if (w == r->pid) {
				hs_diag_finish(r, st, false, 0);
				running--;
			} else if (hs_mono_ms() >= r->kill_at) {
				/* the same clock as kill_at: a wall-clock 3999 ms said "4.0 s" for a 4 s budget */
				int64_t ran = hs_mono_ms() - r->started_mono;

				hs_diag_kill(r);
				hs_diag_finish(r, 0, true, ran < r->budget_ms ? ran : r->budget_ms);
				running--;
			}
		}
		nanosleep(&pause, NULL);
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		if (runs[i].pid) {
			hs_diag_kill(&runs[i]);
			runs[i].pid = 0;
		}
	}
	return rc;
}
