/*
 * redact.c - the diag redactor (see redact.h).
 *
 * Text goes through a small line machine: bytes are gathered into a line
 * (cut at HS_REDACT_LINE_MAX), the line is split at NUL bytes (binary data
 * passes through; regexec needs C strings), and each NUL-free segment is
 * first searched for PEM private key markers, then every other rule runs
 * over what is outside a key block, one rule after another.  A rule
 * replaces the part of its match that is the secret (a capture group, or
 * the whole match) with "***"; a value that already is "***" is left alone
 * and not counted, so rules never count each other's work.
 *
 * Memory: one line buffer of HS_REDACT_LINE_MAX bytes, two scratch buffers
 * for the rules' passes, and the read buffer of hs_redact_stream.  A PEM
 * block is dropped as it streams, never held.
 */
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

#define HS_REDACT_MASK "***"
#define HS_REDACT_CUT_WINDOW 4096 /* a long line is cut at a separator within this */

/* The keys whose values are secrets in key=value, key: value and "key": "value". */
#define HS_REDACT_KEY \
	"[A-Za-z0-9_.-]*(password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key)[A-Za-z0-9_.-]*"

/* The built-in rules' names in the report, in report order. */
static const char *const hs_redact_names[] = {
	"uri_credentials", "authorization_header", "jwt", "bearer_token", "key_value",
	"pem_private_key",
};
enum { HS_RULE_PEM = 5, HS_N_NAMES = 6 };

/*
 * Order matters: credentials in URIs first (the URI stays readable), whole
 * Authorization values before the bearer rule (which would leave the
 * scheme-less rest), JWTs before bearer (a JWT counts as a JWT), and the
 * key/value forms quoted before unquoted (a quoted value may hold spaces):
 * plain "..." (JSON: escapes inside), then \"...\" (JSON inside a JSON
 * string, or a log's escaped quotes: ends at the next \"), then '...'.
 * A built-in rule: its name (index into hs_redact_names), its regex, the
 * capture group that is the secret (0: the whole match) and a cheap
 * case-insensitive literal the text must contain for the regex to be worth
 * running (NULL: one of hs_redact_key_needles).
 */
static const struct {
	int name;
	const char *regex;
	int group;
	const char *needle;
} hs_redact_builtins[] = {
	{ 0, "[a-z][a-z0-9+.-]*://[^:/?#@ \t\"'<>]*:([^/ \t\"'<>]+)@", 1, "://" },
	{ 1, "(proxy-)?authorization\\\\?\"?[ \t]*[:=][ \t]*\\\\?\"?([^\"\\\\\r\n]+)", 2,
	       "authorization" },
	{ 2, "eyJ[A-Za-z0-9_-]+\\.eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*", 0, "eyj" },
	{ 3, "bearer[ \t]+([A-Za-z0-9._~+/=-]{8,})", 1, "bearer" },
	{ 4, HS_REDACT_KEY "\"?[ \t]*[:=][ \t]*\"(([^\"\\\\]|\\\\.)*)", 2, NULL },
	{ 4, HS_REDACT_KEY "(\\\\\")?[ \t]*[:=][ \t]*\\\\\"(([^\"\\\\]|\\\\[^\"])*)", 3, NULL },
	{ 4, HS_REDACT_KEY "'?[ \t]*[:=][ \t]*'([^']*)'", 2, NULL },
	{ 4, HS_REDACT_KEY "[ \t]*[:=][ \t]*([^\"' \t,;&{}()<>\r\n\\\\]+)", 2, NULL },
};
#define HS_N_BUILTINS (sizeof(hs_redact_builtins) / sizeof(hs_redact_builtins[0]))

/* Any of the keys (prefilter for the key/value rules). */
static const char *const hs_redact_key_needles[] = {
	"passw", "pwd", "token", "secret", "key", NULL
};

#define HS_PEM_BEGIN "-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"
#define HS_PEM_END "-----END [A-Z0-9 ]*PRIVATE KEY-----"

typedef struct hs_redact_rule {
	regex_t re;
	bool compiled;
	int group;
	const char *needle;
	bool key_needles;        /* prefilter on hs_redact_key_needles */
	size_t *count;           /* counter it adds to */
} hs_redact_rule;

struct hs_redactor {
	hs_redact_rule *rules;   /* built-ins then profile rules */
	size_t n_rules;
	size_t n_profile;
	regex_t pem_begin, pem_end;
	bool pem_compiled;
	size_t counts[HS_N_NAMES];
	size_t *profile_counts;
	hs_buf scratch[2];       /* the rules' passes over one segment */
};

/* Compile one regex (extended, case-insensitive) or say which and why. */
static int hs_redact_compile(regex_t *re, const char *src, const char *what, hs_error *e)
{
	int rc = regcomp(re, src, REG_EXTENDED | REG_ICASE);
	char msg[128];

	if (rc == 0)
		return 0;
	regerror(rc, re, msg, sizeof(msg));
	return hs_err(e, HS_EXIT_DATA, "cannot compile redaction rule '%s': %s", what, msg);
}

int hs_redactor_new(hs_redactor **out, const hs_strlist *extra, hs_error *e)
{
	hs_redactor *r = hs_xcalloc(1, sizeof(*r));
	size_t n_extra = extra ? extra->n : 0;
	int rc = -1;

	*out = NULL;
	hs_buf_init(&r->scratch[0]);
	hs_buf_init(&r->scratch[1]);
	r->rules = hs_xcalloc(HS_N_BUILTINS + n_extra + 1, sizeof(*r->rules));
	r->profile_counts = hs_xcalloc(n_extra + 1, sizeof(*r->profile_counts));
	if (hs_redact_compile(&r->pem_begin, HS_PEM_BEGIN, "pem_private_key", e) < 0)
		goto out;
	if (hs_redact_compile(&r->pem_end, HS_PEM_END, "pem_private_key", e) < 0) {
		regfree(&r->pem_begin);
		goto out;
	}
	r->pem_compiled = true;
	for (size_t i = 0; i < HS_N_BUILTINS; i++) {
		hs_redact_rule *rule = &r->rules[r->n_rules];
		int name = hs_redact_builtins[i].name;

		if (hs_redact_compile(&rule->re, hs_redact_builtins[i].regex,
				      hs_redact_names[name], e) < 0)
			goto out;
		rule->compiled = true;
		rule->group = hs_redact_builtins[i].group;
		rule->needle = hs_redact_builtins[i].needle;
		rule->key_needles = !rule->needle;
		rule->count = &r->counts[name];
		r->n_rules++;
	}
	for (size_t i = 0; i < n_extra; i++) {
		hs_redact_rule *rule = &r->rules[r->n_rules];
		char what[32];

		snprintf(what, sizeof(what), "profile:%zu", i);
		if (hs_redact_compile(&rule->re, extra->v[i], what, e) < 0)
			goto out;
		rule->compiled = true;
		rule->count = &r->profile_counts[i];
		r->n_rules++;
		r->n_profile++;
	}
	*out = r;
	r = NULL;
	rc = 0;
out:
	hs_redactor_free(r);
	return rc;
}

void hs_redactor_free(hs_redactor *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_rules; i++)
		if (r->rules[i].compiled)
			regfree(&r->rules[i].re);
	if (r->pem_compiled) {
		regfree(&r->pem_begin);
		regfree(&r->pem_end);
	}
	hs_buf_release(&r->scratch[0]);
	hs_buf_release(&r->scratch[1]);
	free(r->rules);
	free(r->profile_counts);
	free(r);
}

json_t *hs_redactor_report(const hs_redactor *r)
{
	json_t *rules = json_object();
	size_t total = 0;

	for (size_t i = 0; i < HS_N_NAMES; i++) {
		json_object_set_new(rules, hs_redact_names[i], json_integer((json_int_t)r->counts[i]));
		total += r->counts[i];
	}
	for (size_t i = 0; i < r->n_profile; i++) {
		char name[32];

		snprintf(name, sizeof(name), "profile:%zu", i);
		json_object_set_new(rules, name, json_integer((json_int_t)r->profile_counts[i]));
		total += r->profile_counts[i];
	}
	return json_pack("{s:o, s:I}", "rules", rules, "total", (json_int_t)total);
}

/* Whether the rule's literal prefilter lets text (a C string) through. */
static bool hs_redact_worth(const hs_redact_rule *rule, const char *text)
{
	if (rule->needle)
		return strcasestr(text, rule->needle) != NULL;
	if (rule->key_needles) {
		for (size_t i = 0; hs_redact_key_needles[i]; i++)
			if (strcasestr(text, hs_redact_key_needles[i]))
				return true;
		return false;
	}
	return true;
}

/*
 * One rule over the C string in (length len), the result into out.  Each
 * match's secret part (the rule's group, or the whole match when the
 * group did not take part) becomes "***" unless it is empty or already
 * "***".  An empty whole match moves on by one byte.
 */
static void hs_redact_rule_apply(hs_redact_rule *rule, const char *in, size_t len, hs_buf *out)
{
	regmatch_t m[10];
	size_t pos = 0;

	hs_buf_reset(out);
	while (pos < len) {
		size_t so, eo, mend;

		if (regexec(&rule->re, in + pos, 10, m, pos > 0 ? REG_NOTBOL : 0) != 0)
			break;
		so = (size_t)m[0].rm_so;
		eo = (size_t)m[0].rm_eo;
		mend = eo;
		if (rule->group > 0 && m[rule->group].rm_so >= 0) {
			so = (size_t)m[rule->group].rm_so;
			eo = (size_t)m[rule->group].rm_eo;
		}
		if (eo > so && !(eo - so == 3 && !memcmp(in + pos + so, HS_REDACT_MASK, 3))) {
			hs_buf_add(out, in + pos, so);
			hs_buf_adds(out, HS_REDACT_MASK);
			hs_buf_add(out, in + pos + eo, mend - eo);
			(*rule->count)++;
		} else {
			hs_buf_add(out, in + pos, mend);
		}
		if (mend == 0) {
			hs_buf_addc(out, in[pos]);
			mend = 1;
		}
		pos += mend;
	}
	if (pos < len)
		hs_buf_add(out, in + pos, len - pos);
}

/* Every rule but PEM over text[0..len) (no NUL inside), appended to out. */
static void hs_redact_rules(hs_redactor *r, const char *text, size_t len, hs_buf *out)
{
	hs_buf *cur = &r->scratch[0], *next = &r->scratch[1];

	if (len == 0)
		return;
	hs_buf_reset(cur);
	hs_buf_add(cur, text, len);
	for (size_t i = 0; i < r->n_rules; i++) {
		hs_buf *t;

		if (!hs_redact_worth(&r->rules[i], cur->data))
			continue;
		hs_redact_rule_apply(&r->rules[i], cur->data, cur->len, next);
		t = cur;
		cur = next;
		next = t;
	}
	hs_buf_add(out, cur->data, cur->len);
}

/* The streaming state of one document. */
typedef struct hs_redact_doc {
	hs_redactor *r;
	bool in_pem;             /* inside a private key block */
	bool pem_ate_newline;    /* a newline was dropped inside the open block */
	hs_buf line;             /* the line being gathered */
	hs_buf seg;              /* a NUL-free segment as a C string */
	hs_buf out;              /* redacted bytes of the current line */
} hs_redact_doc;

/*
 * One NUL-free segment: PEM blocks become "***" (what is before BEGIN and
 * after END goes through the other rules), the rest through the rules.
 */
static void hs_redact_segment(hs_redact_doc *d, const char *p, size_t n)
{
	hs_redactor *r = d->r;
	regmatch_t m[1];
	size_t pos = 0;

	hs_buf_reset(&d->seg);
	hs_buf_add(&d->seg, p, n);
	p = d->seg.data;
	while (pos < n) {
		const char *t = p + pos;
		int fl = pos > 0 ? REG_NOTBOL : 0;

		if (d->in_pem) {
			if (!strstr(t, "-----") || regexec(&r->pem_end, t, 1, m, fl) != 0)
				return;
			d->in_pem = false;
			d->pem_ate_newline = false;
			pos += (size_t)m[0].rm_eo;
			continue;
		}
		if (!strstr(t, "-----") || regexec(&r->pem_begin, t, 1, m, fl) != 0) {
			hs_redact_rules(r, t, n - pos, &d->out);
			return;
		}
		hs_redact_rules(r, t, (size_t)m[0].rm_so, &d->out);
		hs_buf_adds(&d->out, HS_REDACT_MASK);
		r->counts[HS_RULE_PEM]++;
		d->in_pem = true;
		pos += (size_t)m[0].rm_eo;
	}
}

/*
 * One line (or a piece of a long one): split at NULs, redact each
 * segment, and emit it with its newline (dropped inside a key block).
 */
static int hs_redact_line(hs_redact_doc *d, const char *p, size_t n, bool newline,
			  hs_redact_sink sink, void *arg, hs_error *e)
{
	size_t start = 0;

	hs_buf_reset(&d->out);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '\0')
			continue;
		if (i > start)
			hs_redact_segment(d, p + start, i - start);
		if (i < n && !d->in_pem)
			hs_buf_addc(&d->out, '\0');
		start = i + 1;
	}
	if (newline) {
		if (d->in_pem)
			d->pem_ate_newline = true;
		else
			hs_buf_addc(&d->out, '\n');
	}
	if (d->out.len == 0)
		return 0;
	return sink(arg, d->out.data, d->out.len, e);
}

/*
 * Where to cut a full line buffer: just after the last blank or
 * punctuation among its last HS_REDACT_CUT_WINDOW bytes, so that a value
 * is rarely split between two pieces; at the end when there is none.
 */
static size_t hs_redact_cut(const char *p, size_t len)
{
	size_t stop = len > HS_REDACT_CUT_WINDOW ? len - HS_REDACT_CUT_WINDOW : 0;

	for (size_t i = len; i > stop; i--)
		if (strchr(" \t,;&\"'{}<>\r", p[i - 1]) && p[i - 1] != '\0')
			return i;
	return len;
}

/* Feed bytes: whole lines (or full pieces) go out, the rest waits. */
static int hs_redact_feed(hs_redact_doc *d, const char *p, size_t n, hs_redact_sink sink,
			  void *arg, hs_error *e)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t room = HS_REDACT_LINE_MAX - d->line.len;
		size_t take = nl ? (size_t)(nl - p) : n;

		if (take >= room) {
			size_t cut;

			hs_buf_add(&d->line, p, room);
			p += room;
			n -= room;
			cut = hs_redact_cut(d->line.data, d->line.len);
			if (hs_redact_line(d, d->line.data, cut, false, sink, arg, e) < 0)
				return -1;
			memmove(d->line.data, d->line.data + cut, d->line.len - cut);
			d->line.len -= cut;
			d->line.data[d->line.len] = '\0';
			continue;
		}
		hs_buf_add(&d->line, p, take);
		p += take;
		n -= take;
		if (!nl)
			break;
		if (hs_redact_line(d, d->line.data, d->line.len, true, sink, arg, e) < 0)
			return -1;
		hs_buf_reset(&d->line);
		p++;
		n--;
	}
	return 0;
}

/* The end of the document: the last line without a newline, a key block left open. */
static int hs_redact_finish(hs_redact_doc *d, hs_redact_sink sink, void *arg, hs_error *e)
{
	if (d->line.len > 0 &&
	    hs_redact_line(d, d->line.data, d->line.len, false, sink, arg, e) < 0)
		return -1;
	hs_buf_reset(&d->line);
	if (d->in_pem && d->pem_ate_newline)
		return sink(arg, "\n", 1, e);
	return 0;
}

static void hs_redact_doc_init(hs_redact_doc *d, hs_redactor *r)
{
	memset(d, 0, sizeof(*d));
	d->r = r;
	hs_buf_init(&d->line);
	hs_buf_init(&d->seg);
	hs_buf_init(&d->out);
}

static void hs_redact_doc_release(hs_redact_doc *d)
{
	hs_buf_release(&d->line);
	hs_buf_release(&d->seg);
	hs_buf_release(&d->out);
}

int hs_redact_stream(hs_redactor *r, FILE *in, hs_redact_sink sink, void *arg, hs_error *e)
{
	hs_redact_doc d;
	char *chunk = hs_xmalloc(HS_REDACT_LINE_MAX);
	int rc = -1;

	hs_redact_doc_init(&d, r);
	for (;;) {
		size_t got = fread(chunk, 1, HS_REDACT_LINE_MAX, in);

		if (got > 0 && hs_redact_feed(&d, chunk, got, sink, arg, e) < 0)
			goto out;
		if (got < HS_REDACT_LINE_MAX) {
			if (ferror(in)) {
				hs_err(e, HS_EXIT_FAILURE, "cannot read text to redact: read error");
				goto out;
			}
			if (feof(in))
				break;
		}
	}
	if (hs_redact_finish(&d, sink, arg, e) < 0)
		goto out;
	rc = 0;
out:
	hs_redact_doc_release(&d);
	free(chunk);
	return rc;
}

/* The sink of hs_redact_buf: append to an hs_buf. */
static int hs_redact_to_buf(void *arg, const void *data, size_t len, hs_error *e)
{
	(void)e;
	hs_buf_add(arg, data, len);
	return 0;
}

void hs_redact_buf(hs_redactor *r, const char *in, size_t len, hs_buf *out)
{
	hs_redact_doc d;

	hs_redact_doc_init(&d, r);
	/* the buffer sink cannot fail */
	(void)hs_redact_feed(&d, in, len, hs_redact_to_buf, out, NULL);
	(void)hs_redact_finish(&d, hs_redact_to_buf, out, NULL);
	hs_redact_doc_release(&d);
}
