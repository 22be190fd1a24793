/* Unit tests of hs_uri_redact: no credential survives, nothing else changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "uri.h"

static void check(const char *in, const char *want)
{
	char *got = hs_uri_redact_dup(in);

	if (strcmp(got, want) != 0)
		print_error("redact('%s')\n   got '%s'\n  want '%s'\n", in ? in : "NULL", got, want);
	assert_string_equal(got, want);
	free(got);
}

static void test_userinfo_password(void **state)
{
	(void)state;
	check("mongodb://admin:s3cr3t@127.0.0.1:27017/neural_hive",
	      "mongodb://admin:***@127.0.0.1:27017/neural_hive");
	check("mongodb+srv://u:p@cluster0.example.net/db?retryWrites=true",
	      "mongodb+srv://u:***@cluster0.example.net/db?retryWrites=true");
	check("redis://:hunter2@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0");
	check("rediss://default:pw@redis.example:6380", "rediss://default:***@redis.example:6380");
	check("http://bob:pw@prometheus:9090/api/v1/query", "http://bob:***@prometheus:9090/api/v1/query");
	check("https://x:y@h", "https://x:***@h");
}

static void test_host_lists_and_odd_passwords(void **state)
{
	(void)state;
	check("mongodb://u:p@h1:27017,h2:27017,h3:27017/db?replicaSet=rs0&authSource=admin",
	      "mongodb://u:***@h1:27017,h2:27017,h3:27017/db?replicaSet=rs0&authSource=admin");
	/* unescaped @ and / in the password: still hidden */
	check("mongodb://u:p@ss/w@rd@h1:27017/db", "mongodb://u:***@h1:27017/db");
	/* several URIs separated by commas */
	check("http://a:1@h1:2379,http://b:2@h2:2379", "http://a:***@h1:2379,http://b:***@h2:2379");
	/* no scheme */
	check("user:pass@broker:9092", "user:***@broker:9092");
	check("127.0.0.1:9092,10.0.0.2:9092", "127.0.0.1:9092,10.0.0.2:9092");
}

static void test_query_secrets(void **state)
{
	(void)state;
	check("https://h/x?token=abc&q=up", "https://h/x?token=***&q=up");
	check("mongodb://h/db?tlsCertificateKeyFilePassword=pw;appName=x",
	      "mongodb://h/db?tlsCertificateKeyFilePassword=***;appName=x");
	check("http://h/?Password=a&secret=b&access_token=c&api_key=d#frag",
	      "http://h/?Password=***&secret=***&access_token=***&api_key=***#frag");
	check("http://h/?a=1&flag&b", "http://h/?a=1&flag&b");
	/* AWS session tokens travel inside authMechanismProperties */
	check("mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:abc",
	      "mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=***");
}

static void test_nothing_to_redact(void **state)
{
	(void)state;
	check("mongodb://127.0.0.1:27017", "mongodb://127.0.0.1:27017");
	check("mongodb://user@h/?authMechanism=MONGODB-X509", "mongodb://user@h/?authMechanism=MONGODB-X509");
	check("http://127.0.0.1:8000/health", "http://127.0.0.1:8000/health");
	check("", "");
	check(NULL, "(none)");
}

static void test_appends(void **state)
{
	hs_buf b = HS_BUF_INIT;

	(void)state;
	hs_buf_adds(&b, "uri=");
	hs_uri_redact("redis://:x@h", &b);
	assert_string_equal(b.data, "uri=redis://:***@h");
	hs_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_userinfo_password),
		cmocka_unit_test(test_host_lists_and_odd_passwords),
		cmocka_unit_test(test_query_secrets),
		cmocka_unit_test(test_nothing_to_redact),
		cmocka_unit_test(test_appends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
