/*
 * runner.h - run diag collectors, each in a fork()ed child of its own.
 *
 * Every collector that is to run gets a folder <workdir>/<name> (an
 * hs_diag_out, see diag.h) and a child process in a process group of its
 * own.  At most `parallel` children run at once; the parent polls them and
 * SIGKILLs a child's whole process group when its budget is spent, or when
 * the overall deadline (the longest budget plus HS_DIAG_DEADLINE_MARGIN_MS)
 * passes.  Whatever a killed child had written stays in its folder and is
 * still used.  The child never returns: it closes its output and _exit()s
 * (no atexit handlers, no stdio flush of the parent's buffers, and no leak
 * report from LeakSanitizer, which runs only on exit()).
 *
 * The parent must not have initialised libcurl, librdkafka or mongoc
 * before calling hs_diag_runner_run(): the children initialise what they
 * use, each for itself.
 *
 * The work folder is created with hs_diag_workdir_new() next to the
 * output and removed with hs_diag_workdir_remove() whatever happens; the
 * command installs hs_diag_signals_install() first so that SIGINT and
 * SIGTERM only set a flag, the runner kills its children, and the command
 * cleans up and returns (nothing is left behind).
 */
#ifndef HS_DIAG_RUNNER_H
#define HS_DIAG_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "error.h"

#define HS_DIAG_PARALLEL 4
#define HS_DIAG_DEADLINE_MARGIN_MS 5000

enum hs_diag_status {
	HS_DIAG_OK = 0,   /* run returned 0, no warnings */
	HS_DIAG_WARNING,  /* run returned 0 with warnings */
	HS_DIAG_FAILED,   /* run returned -1 (error), or the child crashed */
	HS_DIAG_TIMEOUT,  /* killed at its budget or at the overall deadline */
	HS_DIAG_SKIPPED   /* not configured, or excluded by --only/--skip */
};

/* "ok" | "warning" | "failed" | "timeout" | "skipped" */
const char *hs_diag_status_name(enum hs_diag_status s);

/*
 * One collector's run.  The caller fills col, budget_ms and, for a
 * collector that is not to run, status = HS_DIAG_SKIPPED and error (the
 * reason, owned by the run).  The runner fills the rest.  Release with
 * hs_diag_run_release().
 */
typedef struct hs_diag_run {
	const hs_diag_collector *col;
	int budget_ms;               /* its timeout */
	enum hs_diag_status status;
	char *error;                 /* failed/timeout/skipped: why (owned); else NULL */
	char *dir;                   /* its output folder (owned); NULL when it did not run */
	int64_t started_ms, ended_ms; /* unix ms; 0 when it did not run */
	/* runner state */
	pid_t pid;
	int64_t started_mono;        /* monotonic ms at the start */
	int64_t kill_at;             /* monotonic ms */
	bool done;
} hs_diag_run;

void hs_diag_run_release(hs_diag_run *r);

typedef struct hs_diag_runner_opts {
	const hs_profile *profile;
	int64_t since_s;
	int parallel;                /* 0: HS_DIAG_PARALLEL */
	int margin_ms;               /* overall deadline past the longest budget;
	                                0: HS_DIAG_DEADLINE_MARGIN_MS (tests set it) */
} hs_diag_runner_opts;

/*
 * Run every run whose status is not HS_DIAG_SKIPPED, in their folders under
 * workdir, and fill their outcome.  Returns 0 when every child ended (in
 * whatever status), or -1 with e set when it could not go on (fork failed,
 * or a signal arrived: then every child has been killed and reaped).
 */
int hs_diag_runner_run(hs_diag_run *runs, size_t n, const char *workdir,
		       const hs_diag_runner_opts *o, hs_error *e);

/*
 * Create a private (0700) work folder "<near>/.hivesnap-diag-<pid>-XXXXXX".
 * *out is the caller's (free it after hs_diag_workdir_remove()).
 */
int hs_diag_workdir_new(const char *near, char **out, hs_error *e);
/*
 * Remove the work folders that runs killed with SIGKILL left in dir: those
 * named as above, owned by this user, whose pid is not a live process.
 * Callers hold the folder's lock.  Returns how many were removed.
 */
unsigned hs_diag_workdir_clean_stale(const char *dir);
/* Remove dir and everything under it; NULL is a no-op. */
void hs_diag_workdir_remove(const char *dir);

/*
 * SIGINT/SIGTERM set a flag instead of ending the process (no SA_RESTART,
 * so a blocking call returns EINTR); restore puts the old handlers back.
 */
void hs_diag_signals_install(void);
void hs_diag_signals_restore(void);
/* The signal that arrived since install, or 0. */
int hs_diag_interrupted(void);


#endif
