/*
 * Unit tests of the diag runner and bundle with collectors made for the
 * test (no servers): every status (ok, warning, failed, timeout, a crash,
 * an odd exit), the kill at the budget keeping what the collector wrote,
 * the concurrency limit, the overall deadline, and the bundle read back:
 * entries redacted (a big one through the spool), a collector's attempt at
 * a core entry name refused with a warning, findings sorted with the core's
 * own, the manifest's sources.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "clock.h"
#include "buf.h"
#include "diag/bundle.h"
#include "diag/diag.h"
#include "diag/runner.h"

/* ------------------------------------------------------ test collectors */

static bool yes(const hs_profile *p)
{
	(void)p;
	return true;
}

static int c_ok(const hs_diag_ctx *c, hs_diag_out *o, hs_error *e)
{
	static const char text[] = "login ok\npassword=hunter2\nbye\n";

	(void)c;
	if (hs_diag_out_add(o, "diag/unit/a.txt", text, sizeof(text) - 1, e) ||
	    hs_diag_out_finding(o, HS_SEV_INFO, "all fine", NULL, NULL, e))
		return -1;
	return hs_diag_out_set_result(o, json_pack("{s:i, s:i}", "answer", 42, "api_token", 7), e);
}

static int c_warn(const hs_diag_ctx *c, hs_diag_out *o, hs_error *e)
{
	(void)c;
	/* a core entry name: the bundle refuses it with a warning */
	if (hs_diag_out_add(o, "diag/checks.json", "[]", 2, e))
		return -1;
	return hs_diag_out_warn(o, e, "only %d of %d read", 1, 2);
}

static int c_fail(const hs_diag_ctx *c, hs_diag_out *o, hs_error *e)
{
	(void)c;
	hs_diag_out_finding(o, HS_SEV_CRITICAL, "thing unreachable", json_pack("{s:s}", "k", "v"),
			    "Check Dependencies", e);
	return hs_err(e, HS_EXIT_FAILURE, "cannot reach 'thing': token=abc123secret");
}

/* Writes a finding and a big log, then hangs: killed at its budget. */
static int c_hang(const hs_diag_ctx *c, hs_diag_out *o, hs_error *e)
{
	FILE *f;

	(void)c;
	if (hs_diag_out_finding(o, HS_SEV_WARNING, "slow thing", NULL, "Check Service Health", e))
		return -1;
	f = hs_diag_out_begin(o, "k8s/ns/logs/pod/c.log", e);
	if (!f)
		return -1;
	for (int i = 0; i < 100000; i++)
		fprintf(f, "line %06d Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig%06d\n", i, i);
	fputs("last line\n", f);
	if (hs_diag_out_end(o, f, e))
		return -1;
	for (;;)
		pause();
	return 0;
}

static int c_exit7(const hs_diag_ctx *c, hs_diag_out *o, hs_error *e)
{
	(void)c;
	(void)o;
	(void)e;
	_exit(7);
}

static int c_killed(const hs_diag_ctx *c, hs_diag_out *o, hs_error *e)
{
	(void)c;
	(void)o;
	(void)e;
	raise(SIGKILL);
	return 0;
}

static int c_sleep(const hs_diag_ctx *c, hs_diag_out *o, hs_error *e)
{
	(void)c;
	(void)o;
	(void)e;
	usleep(300 * 1000);
	return 0;
}

static const hs_diag_collector col_ok = { "ok", "Fine", yes, c_ok, 5000 };
static const hs_diag_collector col_warn = { "warn", "Warns", yes, c_warn, 5000 };
static const hs_diag_collector col_fail = { "fail", "Fails", yes, c_fail, 5000 };
/* 4 s: writing the 7 MB log under ASan on a loaded 2-core machine must end well before the kill */
static const hs_diag_collector col_hang = { "hang", "Hangs", yes, c_hang, 4000 };
static const hs_diag_collector col_exit7 = { "exit7", "Exits 7", yes, c_exit7, 5000 };
static const hs_diag_collector col_killed = { "killed", "Dies", yes, c_killed, 5000 };
static const hs_diag_collector col_skip = { "skip", "Skipped", yes, c_ok, 5000 };
static const hs_diag_collector col_sleep1 = { "sleep1", "Sleeps", yes, c_sleep, 5000 };
static const hs_diag_collector col_sleep2 = { "sleep2", "Sleeps", yes, c_sleep, 5000 };
static const hs_diag_collector col_sleep3 = { "sleep3", "Sleeps", yes, c_sleep, 5000 };

/* ------------------------------------------------------------ helpers */

static hs_profile *profile(void)
{
	/* a crude profile rule that breaks JSON text ("api_token": 7 -> "api_***) */
	static const char y[] = "name: unit\ndiag:\n  redact: ['token\"?: *[0-9a-z]+']\n";
	hs_profile *p = NULL;
	hs_error e;

	hs_error_init(&e);
	if (hs_profile_parse(&p, y, sizeof(y) - 1, "unit.yaml", &e))
		fail_msg("profile: %s", e.msg);
	return p;
}

static char *workdir(void)
{
	char *d = NULL;
	hs_error e;

	hs_error_init(&e);
	if (hs_diag_workdir_new("/tmp", &d, &e))
		fail_msg("workdir: %s", e.msg);
	return d;
}

static void set_runs(hs_diag_run *runs, const hs_diag_collector *const *cols, size_t n)
{
	memset(runs, 0, n * sizeof(*runs));
	for (size_t i = 0; i < n; i++) {
		runs[i].col = cols[i];
		runs[i].budget_ms = cols[i]->timeout_ms;
	}
}

/* The whole content of one entry of the archive at path; NULL when absent. */
static char *entry(const char *path, const char *name, size_t *len)
{
	hs_reader *r = NULL;
	hs_reader_entry ent;
	hs_buf b = HS_BUF_INIT;
	hs_error e;
	char buf[65536];
	char *out = NULL;
	ssize_t k;
	int rc;

	hs_error_init(&e);
	if (hs_reader_open(&r, path, &e))
		fail_msg("reader: %s", e.msg);
	while ((rc = hs_reader_next(r, &ent, &e)) == 1) {
		if (strcmp(ent.name, name))
			continue;
		while ((k = hs_reader_read(r, buf, sizeof(buf), &e)) > 0)
			hs_buf_add(&b, buf, (size_t)k);
		assert_int_equal(k, 0);
		hs_buf_addc(&b, '\0');
		b.len--;
		*len = b.len;
		out = hs_buf_detach(&b, NULL);
		break;
	}
	if (rc < 0)
		fail_msg("reader: %s", e.msg);
	hs_reader_free(r);
	return out;
}

static const hs_diag_run *find(const hs_diag_run *runs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(runs[i].col->name, name))
			return &runs[i];
	fail_msg("no run %s", name);
	return NULL;
}

/* -------------------------------------------------------------- tests */

static void test_statuses_and_bundle(void **state)
{
	static const hs_diag_collector *const cols[] = { &col_ok, &col_warn, &col_fail, &col_hang,
							 &col_exit7, &col_killed, &col_skip };
	enum { N = sizeof(cols) / sizeof(cols[0]) };
	hs_diag_run runs[N];
	hs_diag_runner_opts ro = { NULL, 3600, 0, 0 };
	hs_diag_bundle_opts bo;
	hs_diag_bundle *b = NULL;
	hs_profile *p = profile();
	char *wd = workdir();
	char path[256];
	const hs_diag_run *r;
	json_t *j;
	hs_error e;
	int64_t t0;
	size_t len;
	char *s;

	(void)state;
	hs_error_init(&e);
	set_runs(runs, cols, N);
	runs[6].status = HS_DIAG_SKIPPED;
	runs[6].error = strdup("excluded by --skip");
	ro.profile = p;
	t0 = hs_mono_ms();
	assert_int_equal(hs_diag_runner_run(runs, N, wd, &ro, &e), 0);
	/* the hung one costs its budget, not more */
	assert_true(hs_mono_ms() - t0 < 4000 + 3000);

	r = find(runs, N, "ok");
	assert_int_equal(r->status, HS_DIAG_OK);
	assert_null(r->error);
	r = find(runs, N, "warn");
	assert_int_equal(r->status, HS_DIAG_WARNING);
	r = find(runs, N, "fail");
	assert_int_equal(r->status, HS_DIAG_FAILED);
	assert_string_equal(r->error, "cannot reach 'thing': token=abc123secret");
	r = find(runs, N, "hang");
	assert_int_equal(r->status, HS_DIAG_TIMEOUT);
	assert_string_equal(r->error, "timed out after 4 s");
	assert_true(r->ended_ms - r->started_ms >= 4000);
	r = find(runs, N, "exit7");
	assert_int_equal(r->status, HS_DIAG_FAILED);
	assert_string_equal(r->error, "the collector exited with status 7");
	r = find(runs, N, "killed");
	assert_int_equal(r->status, HS_DIAG_FAILED);
	assert_string_equal(r->error, "the collector crashed (signal 9)");
	r = find(runs, N, "skip");
	assert_int_equal(r->status, HS_DIAG_SKIPPED);
	assert_null(r->dir);

	/* the bundle, redacted */
	snprintf(path, sizeof(path), "%s/b.tar.zst", wd);
	memset(&bo, 0, sizeof(bo));
	bo.profile = p;
	bo.label = "diag";
	bo.since_s = 3600;
	bo.redact = true;
	if (hs_diag_bundle_open(&b, path, &bo, &e) || hs_diag_bundle_write(b, runs, N, &e))
		fail_msg("bundle: %s", e.msg);
	assert_int_equal(hs_archive_verify(path, &e), 0);

	s = entry(path, "diag/unit/a.txt", &len);
	assert_non_null(s);
	assert_null(strstr(s, "hunter2"));
	assert_non_null(strstr(s, "login ok\n"));
	free(s);
	/* the hung collector's big log (spooled), redacted line by line, whole */
	s = entry(path, "k8s/ns/logs/pod/c.log", &len);
	assert_non_null(s);
	assert_true(len > 2 * 1024 * 1024);
	assert_null(strstr(s, "eyJhbGciOiJIUzI1NiJ9"));
	assert_non_null(strstr(s, "line 099999 "));
	assert_non_null(strstr(s, "last line\n"));
	free(s);

	/* checks: the refused core name is a warning of its collector */
	j = json_deep_copy(hs_diag_bundle_checks(b));
	assert_int_equal(json_array_size(j), N);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "status")), "warning");
	s = json_dumps(json_object_get(json_array_get(j, 1), "warnings"), 0);
	assert_non_null(strstr(s, "entry 'diag/checks.json' left out"));
	assert_non_null(strstr(s, "only 1 of 2 read"));
	free(s);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(j, 0), "data"),
							 "answer")), 42);
	/* the error text is redacted in checks */
	s = json_dumps(j, 0);
	assert_null(strstr(s, "abc123secret"));
	free(s);
	json_decref(j);

	/* findings: critical first; the hung one's finding kept; the core's for each failure */
	j = (json_t *)hs_diag_bundle_findings(b);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "collector")), "fail");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, json_array_size(j) - 1),
							       "severity")), "info");
	s = json_dumps(j, 0);
	assert_non_null(strstr(s, "slow thing"));
	assert_non_null(strstr(s, "collector 'hang' (Hangs) was stopped: timed out after 4 s"));
	assert_non_null(strstr(s, "collector 'exit7' (Exits 7) failed"));
	assert_non_null(strstr(s, "collector 'killed' (Dies) failed"));
	assert_null(strstr(s, "collector 'warn'"));
	assert_null(strstr(s, "abc123secret"));
	free(s);
	assert_non_null(strstr(hs_diag_bundle_summary(b), "## Findings (7)"));

	/* the core's JSON entries stay JSON whatever the profile's rules do */
	s = entry(path, "diag/checks.json", &len);
	j = json_loads(s, 0, NULL);
	free(s);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(j, 0), "data"),
							      "api_token")), "***");
	json_decref(j);
	s = entry(path, "diag/redaction.json", &len);
	j = json_loads(s, 0, NULL);
	free(s);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "enabled")));
	assert_true(json_integer_value(json_object_get(json_object_get(j, "rules"), "profile:0")) >= 1);
	json_decref(j);

	/* the manifest: each collector by name */
	s = entry(path, "manifest.json", &len);
	j = json_loads(s, 0, NULL);
	free(s);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(j, "sources"), "hang"),
							      "status")), "failed");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(j, "sources"), "warn"),
							      "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(j, "sources"), "skip"),
							      "status")), "skipped");
	s = json_dumps(j, 0);
	assert_null(strstr(s, "abc123secret"));
	free(s);
	json_decref(j);

	hs_diag_bundle_free(b);
	for (size_t i = 0; i < N; i++)
		hs_diag_run_release(&runs[i]);
	hs_diag_workdir_remove(wd);
	assert_int_not_equal(access(wd, F_OK), 0);
	free(wd);
	hs_profile_free(p);
}

static void test_parallel_limit(void **state)
{
	static const hs_diag_collector *const cols[] = { &col_sleep1, &col_sleep2, &col_sleep3 };
	hs_diag_run runs[3];
	hs_diag_runner_opts ro = { NULL, 3600, 1, 0 };
	hs_profile *p = profile();
	char *wd = workdir();
	hs_error e;
	int64_t t0;

	(void)state;
	hs_error_init(&e);
	ro.profile = p;
	set_runs(runs, cols, 3);
	t0 = hs_mono_ms();
	assert_int_equal(hs_diag_runner_run(runs, 3, wd, &ro, &e), 0);
	/* one at a time: three 300 ms sleeps one after the other */
	assert_true(hs_mono_ms() - t0 >= 900);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(runs[i].status, HS_DIAG_OK);
		if (i)
			assert_true(runs[i].started_ms >= runs[i - 1].ended_ms - 20);
		hs_diag_run_release(&runs[i]);
	}
	hs_diag_workdir_remove(wd);
	free(wd);
	hs_profile_free(p);
}

static void test_overall_deadline(void **state)
{
	static const hs_diag_collector *const cols[] = { &col_hang, &col_ok };
	hs_diag_run runs[2];
	hs_diag_runner_opts ro = { NULL, 3600, 1, 1 };
	hs_profile *p = profile();
	char *wd = workdir();
	hs_error e;

	(void)state;
	hs_error_init(&e);
	ro.profile = p;
	set_runs(runs, cols, 2);
	runs[1].budget_ms = 1000;
	/* one slot, a deadline 1 ms past the longest budget (4 s): the second never starts */
	assert_int_equal(hs_diag_runner_run(runs, 2, wd, &ro, &e), 0);
	assert_int_equal(runs[0].status, HS_DIAG_TIMEOUT);
	assert_int_equal(runs[1].status, HS_DIAG_TIMEOUT);
	assert_non_null(strstr(runs[1].error, "not started before the overall deadline"));
	assert_null(runs[1].dir);
	for (int i = 0; i < 2; i++)
		hs_diag_run_release(&runs[i]);
	hs_diag_workdir_remove(wd);
	free(wd);
	hs_profile_free(p);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(hs_diag_status_name(HS_DIAG_OK), "ok");
	assert_string_equal(hs_diag_status_name(HS_DIAG_WARNING), "warning");
	assert_string_equal(hs_diag_status_name(HS_DIAG_FAILED), "failed");
	assert_string_equal(hs_diag_status_name(HS_DIAG_TIMEOUT), "timeout");
	assert_string_equal(hs_diag_status_name(HS_DIAG_SKIPPED), "skipped");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_statuses_and_bundle),
		cmocka_unit_test(test_parallel_limit),
		cmocka_unit_test(test_overall_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
