/*
 * Unit tests of the diag redactor: every built-in rule, profile rules,
 * streaming across chunk and line-length boundaries, PEM blocks, binary
 * input, and the report's counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag/redact.h"

/* A redactor with the given profile regexes (NULL-terminated; NULL for none). */
static hs_redactor *new_redactor(const char *const *extra)
{
	hs_strlist l = { NULL, 0 };
	hs_redactor *r = NULL;
	hs_error e;

	hs_error_init(&e);
	while (extra && extra[l.n])
		l.n++;
	l.v = (char **)extra;
	if (hs_redactor_new(&r, &l, &e) < 0)
		fail_msg("hs_redactor_new: %s", e.msg);
	return r;
}

/* The count of one rule in r's report. */
static json_int_t count_of(const hs_redactor *r, const char *rule)
{
	json_t *rep = hs_redactor_report(r);
	json_t *v = json_object_get(json_object_get(rep, "rules"), rule);
	json_int_t n;

	if (!json_is_integer(v))
		fail_msg("no rule '%s' in the report", rule);
	n = json_integer_value(v);
	json_decref(rep);
	return n;
}

static json_int_t total_of(const hs_redactor *r)
{
	json_t *rep = hs_redactor_report(r);
	json_int_t n = json_integer_value(json_object_get(rep, "total"));

	json_decref(rep);
	return n;
}

/* Redact a C string with a fresh built-in redactor; compare; check the rule counted n. */
static void check_rule(const char *in, const char *want, const char *rule, json_int_t n)
{
	hs_redactor *r = new_redactor(NULL);
	hs_buf out = HS_BUF_INIT;

	hs_redact_buf(r, in, strlen(in), &out);
	if (!out.data || strcmp(out.data, want) != 0)
		print_error("redact('%s')\n   got '%s'\n  want '%s'\n", in,
			    out.data ? out.data : "", want);
	assert_non_null(out.data);
	assert_string_equal(out.data, want);
	if (rule)
		assert_int_equal(count_of(r, rule), n);
	assert_int_equal(total_of(r), n);
	hs_buf_release(&out);
	hs_redactor_free(r);
}

static void test_uri_credentials(void **state)
{
	(void)state;
	check_rule("connecting to mongodb://app:s3cr3t@db:27017/neural_hive\n",
		   "connecting to mongodb://app:***@db:27017/neural_hive\n", "uri_credentials", 1);
	check_rule("url=\"redis://:hunter2@127.0.0.1:6379/0\"",
		   "url=\"redis://:***@127.0.0.1:6379/0\"", "uri_credentials", 1);
	check_rule("http://user:p@ss@host/x", "http://user:***@host/x", "uri_credentials", 1);
	/* a port is not a password */
	check_rule("GET http://127.0.0.1:8000/health 200\n",
		   "GET http://127.0.0.1:8000/health 200\n", NULL, 0);
}

static void test_authorization_header(void **state)
{
	(void)state;
	check_rule("Authorization: Basic dXNlcjpwYXNz\r\n", "Authorization: ***\r\n",
		   "authorization_header", 1);
	check_rule("{\"headers\": {\"authorization\": \"Bearer abcdefghijkl\", \"x\": 1}}",
		   "{\"headers\": {\"authorization\": \"***\", \"x\": 1}}", "authorization_header", 1);
	check_rule("proxy-authorization: Digest qwerty\n", "proxy-authorization: ***\n",
		   "authorization_header", 1);
}

static void test_bearer_token(void **state)
{
	(void)state;
	check_rule("curl -H 'X: Bearer 0123456789abcdef' http://h/\n",
		   "curl -H 'X: Bearer ***' http://h/\n", "bearer_token", 1);
	/* too short to be a token: prose stays */
	check_rule("uses bearer auth\n", "uses bearer auth\n", NULL, 0);
}

static void test_jwt(void **state)
{
	(void)state;
	check_rule("sa token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl end\n",
		   "sa token *** end\n", "jwt", 1);
}

static void test_key_value(void **state)
{
	(void)state;
	check_rule("login user=bob password=hunter2 ok\n", "login user=bob password=*** ok\n",
		   "key_value", 1);
	check_rule("passwd=a pwd=b token=c secret=d api_key=e apikey=f access_key=g\n",
		   "passwd=*** pwd=*** token=*** secret=*** api_key=*** apikey=*** access_key=***\n",
		   "key_value", 7);
	check_rule("GET /x?access_token=abc&y=1", "GET /x?access_token=***&y=1", "key_value", 1);
	check_rule("{\"password\": \"two words\", \"user\": \"bob\"}",
		   "{\"password\": \"***\", \"user\": \"bob\"}", "key_value", 1);
	check_rule("{\"client_secret\":\"a\\nb\"}", "{\"client_secret\":\"***\"}", "key_value", 1);
	check_rule("log: {\\\"api_key\\\": \\\"k1\\\"}", "log: {\\\"api_key\\\": \\\"***\\\"}",
		   "key_value", 1);
	check_rule("password='a b'", "password='***'", "key_value", 1);
	/* an escaped quote inside a JSON value; escaped quotes around a log's value */
	check_rule("{\"password\": \"a\\\"b\", \"u\": 1}", "{\"password\": \"***\", \"u\": 1}",
		   "key_value", 1);
	check_rule("msg=\"login password=\\\"abc\\\" ok\"", "msg=\"login password=\\\"***\\\" ok\"",
		   "key_value", 1);
	check_rule("db_password: hunter2\n", "db_password: ***\n", "key_value", 1);
	/* empty values are not secrets; counts in JSON reports are not values */
	check_rule("password=\"\" {\"bearer_token\": 0}", "password=\"\" {\"bearer_token\": 0}",
		   NULL, 0);
}

static void test_several_in_one_line(void **state)
{
	hs_redactor *r = new_redactor(NULL);
	const char *in = "a=mongodb://u:pw1@h password=pw2 Authorization: Basic pw3\n";
	hs_buf out = HS_BUF_INIT;

	(void)state;
	hs_redact_buf(r, in, strlen(in), &out);
	assert_null(strstr(out.data, "pw1"));
	assert_null(strstr(out.data, "pw2"));
	assert_null(strstr(out.data, "pw3"));
	assert_string_equal(out.data, "a=mongodb://u:***@h password=*** Authorization: ***\n");
	assert_int_equal(count_of(r, "uri_credentials"), 1);
	assert_int_equal(count_of(r, "key_value"), 1);
	assert_int_equal(count_of(r, "authorization_header"), 1);
	assert_int_equal(total_of(r), 3);
	hs_buf_release(&out);
	hs_redactor_free(r);
}

static void redact_str(hs_redactor *r, const char *s, hs_buf *out)
{
	hs_redact_buf(r, s, strlen(s), out);
}

static void test_pem_many_lines(void **state)
{
	hs_redactor *r = new_redactor(NULL);
	hs_buf in = HS_BUF_INIT, out = HS_BUF_INIT;

	(void)state;
	hs_buf_adds(&in, "before\nkey: -----BEGIN RSA PRIVATE KEY-----\n");
	for (int i = 0; i < 200; i++)
		hs_buf_adds(&in, "MIIEowIBAAKCAQEAsecretsecretsecretsecret\n");
	hs_buf_adds(&in, "-----END RSA PRIVATE KEY----- tail\nafter\n");
	hs_redact_buf(r, in.data, in.len, &out);
	assert_string_equal(out.data, "before\nkey: *** tail\nafter\n");
	assert_int_equal(count_of(r, "pem_private_key"), 1);

	/* on one line (JSON string), and a public certificate is left alone */
	hs_buf_reset(&out);
	redact_str(r, "{\"k\": \"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n\"}",
		   &out);
	assert_string_equal(out.data, "{\"k\": \"***\\n\"}");
	hs_buf_reset(&out);
	redact_str(r, "-----BEGIN CERTIFICATE-----\nAAAA\n", &out);
	assert_string_equal(out.data, "-----BEGIN CERTIFICATE-----\nAAAA\n");

	/* a block never closed swallows the rest, keeping one line */
	hs_buf_reset(&out);
	redact_str(r, "x\n-----BEGIN EC PRIVATE KEY-----\nAAAA\nBBBB\n", &out);
	assert_string_equal(out.data, "x\n***\n");
	assert_int_equal(count_of(r, "pem_private_key"), 3);
	hs_buf_release(&in);
	hs_buf_release(&out);
	hs_redactor_free(r);
}

/* Sink for hs_redact_stream tests. */
static int to_buf(void *arg, const void *data, size_t len, hs_error *e)
{
	(void)e;
	hs_buf_add(arg, data, len);
	return 0;
}

/* Redact in[0..len) through hs_redact_stream (a FILE on memory). */
static void stream(hs_redactor *r, const char *in, size_t len, hs_buf *out)
{
	FILE *f = fmemopen((void *)in, len, "r");
	hs_error e;

	hs_error_init(&e);
	assert_non_null(f);
	if (hs_redact_stream(r, f, to_buf, out, &e) < 0)
		fail_msg("hs_redact_stream: %s", e.msg);
	fclose(f);
}

/*
 * A secret straddling hs_redact_stream's read size (HS_REDACT_LINE_MAX
 * bytes per read) inside one line shorter than the cut: found whole.
 */
static void test_chunk_boundary(void **state)
{
	hs_redactor *r = new_redactor(NULL);
	hs_buf in = HS_BUF_INIT, out = HS_BUF_INIT;
	size_t first;

	(void)state;
	for (int i = 0; i < 40000; i++)
		hs_buf_addc(&in, 'a');
	hs_buf_addc(&in, '\n');
	first = in.len;
	/* the second line starts at 40001; the value crosses 65536 */
	for (size_t i = first; i < 65520; i++)
		hs_buf_addc(&in, 'b');
	hs_buf_adds(&in, " password=topsecretvalue end\n");
	stream(r, in.data, in.len, &out);
	assert_null(memmem(out.data, out.len, "topsecret", 9));
	assert_non_null(strstr(out.data, " password=*** end\n"));
	assert_int_equal(out.len, in.len - strlen("topsecretvalue") + 3);
	assert_int_equal(count_of(r, "key_value"), 1);
	hs_buf_release(&in);
	hs_buf_release(&out);
	hs_redactor_free(r);
}

/* A line longer than the cut: each piece is redacted alone, nothing lost. */
static void test_long_line(void **state)
{
	hs_redactor *r = new_redactor(NULL);
	hs_buf in = HS_BUF_INIT, out = HS_BUF_INIT;
	size_t pieces = 5;

	(void)state;
	for (size_t p = 0; p < pieces; p++) {
		hs_buf_adds(&in, "token=abcdef ");
		while (in.len < (p + 1) * HS_REDACT_LINE_MAX)
			hs_buf_addc(&in, 'x');
	}
	hs_buf_addc(&in, '\n');
	stream(r, in.data, in.len, &out);
	assert_null(memmem(out.data, out.len, "abcdef", 6));
	assert_int_equal(count_of(r, "key_value"), (json_int_t)pieces);
	assert_int_equal(out.len, in.len - pieces * 3);
	assert_int_equal(out.data[out.len - 1], '\n');
	hs_buf_release(&in);
	hs_buf_release(&out);
	hs_redactor_free(r);
}

/*
 * A value across the HS_REDACT_LINE_MAX cut of a long line: the piece ends
 * at the blank before it, so the value is found whole.
 */
static void test_long_line_cut_at_blank(void **state)
{
	hs_redactor *r = new_redactor(NULL);
	hs_buf in = HS_BUF_INIT, out = HS_BUF_INIT;

	(void)state;
	while (in.len < HS_REDACT_LINE_MAX - 20)
		hs_buf_adds(&in, "field=value ");
	while (in.len < HS_REDACT_LINE_MAX - 8)
		hs_buf_addc(&in, 'x');
	hs_buf_adds(&in, " secret=straddling-the-cut-value and more\n");
	stream(r, in.data, in.len, &out);
	assert_null(memmem(out.data, out.len, "straddling", 10));
	assert_int_equal(count_of(r, "key_value"), 1);
	assert_int_equal(out.len, in.len - strlen("straddling-the-cut-value") + 3);
	hs_buf_release(&in);
	hs_buf_release(&out);
	hs_redactor_free(r);
}

/* Nothing to redact: the same bytes, with or without a final newline. */
static void test_unchanged(void **state)
{
	hs_redactor *r = new_redactor(NULL);
	const char *texts[] = {
		"", "\n", "plain text", "two\nlines without final newline",
		"{\"status\": \"ok\", \"latency_ms\": 12}\n\n\n",
		"\t tabs and  spaces \r\n=:\"'@://\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		hs_buf out = HS_BUF_INIT;

		hs_redact_buf(r, texts[i], strlen(texts[i]), &out);
		assert_int_equal(out.len, strlen(texts[i]));
		if (out.len)
			assert_memory_equal(out.data, texts[i], out.len);
		hs_buf_reset(&out);
		stream(r, texts[i], strlen(texts[i]), &out);
		assert_int_equal(out.len, strlen(texts[i]));
		if (out.len)
			assert_memory_equal(out.data, texts[i], out.len);
		hs_buf_release(&out);
	}
	assert_int_equal(total_of(r), 0);
	hs_redactor_free(r);
}

/* Binary input with NULs: passes through, secrets between NULs still go. */
static void test_binary(void **state)
{
	hs_redactor *r = new_redactor(NULL);
	unsigned char bin[4096];
	const char mixed[] = "a\0password=xyz\0\xff\xfe\n";
	const char want[] = "a\0password=***\0\xff\xfe\n";
	hs_buf out = HS_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + 3);
	hs_redact_buf(r, (const char *)bin, sizeof(bin), &out);
	assert_int_equal(out.len, sizeof(bin));
	assert_memory_equal(out.data, bin, sizeof(bin));
	hs_buf_reset(&out);
	hs_redact_buf(r, mixed, sizeof(mixed) - 1, &out);
	assert_int_equal(out.len, sizeof(want) - 1);
	assert_memory_equal(out.data, want, sizeof(want) - 1);
	hs_buf_release(&out);
	hs_redactor_free(r);
}

static void test_profile_rules(void **state)
{
	const char *const extra[] = { "customer-[0-9]{4}", "INTERNAL_[a-z]+", NULL };
	hs_redactor *r = new_redactor(extra);
	const char *in = "customer-1234 saw internal_thing and customer-99\n";
	hs_buf out = HS_BUF_INIT;
	json_t *rep;

	(void)state;
	hs_redact_buf(r, in, strlen(in), &out);
	assert_string_equal(out.data, "*** saw *** and customer-99\n");
	assert_int_equal(count_of(r, "profile:0"), 1);
	assert_int_equal(count_of(r, "profile:1"), 1);
	/* every rule is in the report, zeros included, and never the regex text */
	rep = hs_redactor_report(r);
	assert_int_equal(json_object_size(json_object_get(rep, "rules")), 8);
	assert_int_equal(json_integer_value(json_object_get(rep, "total")), 2);
	{
		char *s = json_dumps(rep, 0);

		assert_null(strstr(s, "customer"));
		free(s);
	}
	json_decref(rep);
	hs_buf_release(&out);
	hs_redactor_free(r);
}

static void test_bad_profile_regex(void **state)
{
	char *bad[] = { "ok", "(unclosed" };
	hs_strlist l = { bad, 2 };
	hs_redactor *r = NULL;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_redactor_new(&r, &l, &e), -1);
	assert_null(r);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_non_null(strstr(e.msg, "profile:1"));
	hs_redactor_free(NULL);
}

/* A sink that fails: the error comes back from hs_redact_stream. */
static int failing_sink(void *arg, const void *data, size_t len, hs_error *e)
{
	(void)arg;
	(void)data;
	(void)len;
	return hs_err(e, HS_EXIT_FAILURE, "cannot write 'x': disk full");
}

static void test_sink_error(void **state)
{
	hs_redactor *r = new_redactor(NULL);
	FILE *f = fmemopen((void *)"line\n", 5, "r");
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_redact_stream(r, f, failing_sink, NULL, &e), -1);
	assert_string_equal(e.msg, "cannot write 'x': disk full");
	fclose(f);
	hs_redactor_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_credentials),
		cmocka_unit_test(test_authorization_header),
		cmocka_unit_test(test_bearer_token),
		cmocka_unit_test(test_jwt),
		cmocka_unit_test(test_key_value),
		cmocka_unit_test(test_several_in_one_line),
		cmocka_unit_test(test_pem_many_lines),
		cmocka_unit_test(test_chunk_boundary),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_long_line_cut_at_blank),
		cmocka_unit_test(test_unchanged),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_profile_rules),
		cmocka_unit_test(test_bad_profile_regex),
		cmocka_unit_test(test_sink_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
