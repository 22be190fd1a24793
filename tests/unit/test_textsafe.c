/*
 * Unit tests of the text-report escaper (src/textsafe.h): C0 controls, DEL,
 * C1 controls, invalid UTF-8, the backslash, valid multibyte text kept,
 * the printf wrapper's directives, and the logfmt values of src/log.c
 * (which use the same escaper for what they quote).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "textsafe.h"

/* s (len bytes) escaped with flags, compared with want. */
static void check_n(const char *s, size_t len, unsigned flags, const char *want)
{
	hs_buf b = HS_BUF_INIT;

	hs_text_escape(&b, s, len, flags);
	assert_string_equal(b.data, want);
	assert_int_equal(hs_text_is_clean(s, len, flags), strcmp(b.data, s) == 0 && strlen(s) == len);
	hs_buf_release(&b);
}

static void check(const char *s, const char *want)
{
	check_n(s, strlen(s), 0, want);
}

static void test_c0_controls(void **state)
{
	(void)state;
	check("group\nlevel=error msg=\"forged log line\"", "group\\nlevel=error msg=\"forged log line\"");
	check("a\tb\rc", "a\\tb\\rc");
	check("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07");
	check("\x01\x1f", "\\x01\\x1f");
	check_n("a\0b", 3, 0, "a\\x00b");
}

static void test_del(void **state)
{
	(void)state;
	check("rub\x7fout", "rub\\x7fout");
}

static void test_c1_controls(void **state)
{
	(void)state;
	/* U+0085 NEL, U+009B CSI, U+0080 and U+009F the ends of the range */
	check("a\xc2\x85" "b", "a\\u0085b");
	check("\xc2\x9b" "2J", "\\u009b2J");
	check("\xc2\x80\xc2\x9f", "\\u0080\\u009f");
	/* U+00A0 is the first code point after C1: kept */
	check("\xc2\xa0", "\xc2\xa0");
}

static void test_separators_and_bidi(void **state)
{
	(void)state;
	check("a\xe2\x80\xa8" "b\xe2\x80\xa9", "a\\u2028b\\u2029");
	check("\xe2\x80\xae" "txt.exe", "\\u202etxt.exe");
	check("\xe2\x81\xa6x\xe2\x81\xa9", "\\u2066x\\u2069");
	check("\xe2\x80\x8e\xe2\x80\x8f", "\\u200e\\u200f");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	check("\xff", "\\xff");
	check("a\x80z", "a\\x80z");                         /* stray continuation byte */
	check("\xc0\xaf", "\\xc0\\xaf");                    /* overlong '/' */
	check("\xe0\x80\xaf", "\\xe0\\x80\\xaf");           /* overlong, 3 bytes */
	check("\xed\xa0\x80", "\\xed\\xa0\\x80");           /* a surrogate */
	check("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");  /* beyond U+10FFFF */
	check("\xe2\x82", "\\xe2\\x82");                    /* cut short */
	check("\xc3" "A", "\\xc3A");                        /* lead byte then ASCII */
}

static void test_backslash(void **state)
{
	(void)state;
	/* a name holding the two characters '\' 'n' differs from one holding a newline */
	check("a\\nb", "a\\\\nb");
	check("\\", "\\\\");
}

static void test_valid_text_kept(void **state)
{
	(void)state;
	check("plain-name_1.2:3/4 \"quoted\" 'q'", "plain-name_1.2:3/4 \"quoted\" 'q'");
	check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac", /* é € 😀 日本 */
	      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac");
	check("", "");
}

static void test_flags(void **state)
{
	(void)state;
	check_n("say \"hi\"\n", 9, HS_TEXT_QUOTE, "say \\\"hi\\\"\\n");
	/* JSON text: its escapes stay, the controls jansson leaves raw become \u00NN */
	check_n("\"a\\nb\x7f\xc2\x85\"", 9, HS_TEXT_JSON, "\"a\\nb\\u007F\\u0085\"");
}

static void test_addf(void **state)
{
	hs_buf b = HS_BUF_INIT;
	const char *evil = "x\ny";

	(void)state;
	hs_text_addf(&b, "%-6s|%6s|%s\n", evil, evil, "ok");
	assert_string_equal(b.data, "x\\ny  |  x\\ny|ok\n");
	hs_buf_reset(&b);
	hs_text_addf(&b, "%.*s|%.2s|%*s|%-*s|", 3, "a\nbcd", "\x1b" "Z", 4, "\t", -3, "q");
	assert_string_equal(b.data, "a\\nb|\\x1bZ|  \\t|q  |");
	hs_buf_reset(&b);
	hs_text_addf(&b, "%d %5ld %-3u| %llx %zu %jd %+.2f %c%c %% %p", -7, 42L, 3u, 255ULL, (size_t)9,
		     (intmax_t)-1, 1.5, 'A', '\n', (void *)0x10);
	assert_string_equal(b.data, "-7    42 3  | ff 9 -1 +1.50 A\\n % 0x10");
	hs_buf_release(&b);
}

static void test_fprintf(void **state)
{
	char out[128];
	FILE *f = tmpfile();
	size_t n;

	(void)state;
	assert_non_null(f);
	assert_int_equal(hs_text_fprintf(f, "  %-6s %s\n", "kafka", "g\nlevel=error"), 24);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	assert_string_equal(out, "  kafka  g\\nlevel=error\n");
	fclose(f);
}

/* The log line that msg (and a field value) makes, read back from stderr. */
static void log_line(const char *msg, const char *val, char *out, size_t size)
{
	const char *kv[] = { "key", val, NULL };
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	hs_logkv(HS_LOG_ERROR, "src", msg, kv);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void test_logfmt_values(void **state)
{
	char line[512];

	(void)state;
	log_line("group 'g\nlevel=error msg=\"forged log line\"' refused", "k\x1b[31m\xc2\x9b\x7f", line,
		 sizeof(line));
	assert_string_equal(line, "level=error source=src msg=\"group 'g\\nlevel=error msg=\\\"forged log "
				  "line\\\"' refused\" key=\"k\\x1b[31m\\u009b\\x7f\"\n");
	log_line("plain", "caf\xc3\xa9", line, sizeof(line));
	assert_string_equal(line, "level=error source=src msg=\"plain\" key=\"caf\xc3\xa9\"\n");
	log_line("bad \xff byte", "a\\b", line, sizeof(line));
	assert_string_equal(line, "level=error source=src msg=\"bad \\xff byte\" key=\"a\\\\b\"\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c0_controls),
		cmocka_unit_test(test_del),
		cmocka_unit_test(test_c1_controls),
		cmocka_unit_test(test_separators_and_bidi),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_backslash),
		cmocka_unit_test(test_valid_text_kept),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_addf),
		cmocka_unit_test(test_fprintf),
		cmocka_unit_test(test_logfmt_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
