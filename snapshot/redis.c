/*
 * redis.c - the Redis source: capture of the keys the profile names into
 * redis/db<N>.jsonl (one record per key, sorted by key bytes) and
 * redis/server.json.  Design: docs/redis.md.
 *
 * Per db and pattern, SCAN ... MATCH ... COUNT feeds batches of keys; per
 * batch one pipeline asks TIME and each key's TYPE and PTTL, a second one
 * reads each value (GET, the first page of HSCAN/SSCAN/LRANGE/ZRANGE, XINFO
 * and the first XRANGE page of a stream, DUMP for module types).  A
 * collection bigger than one page is then read page by page.  Records go
 * to an external sorter (extsort.c), which also drops the keys SCAN
 * returned twice, and are streamed into the archive in key order.
 *
 * A SCAN capture is not a point-in-time image: each key is read as it was
 * at some moment between the start and the end of the scan; the manifest's
 * details say so and record the window (server time and replication
 * offset at both ends).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "sources/redis/redis_common.h"
#include "uri.h"

#define HS_REDIS_PAGE 1000
#define HS_REDIS_PAGE_S "1000"
#define HS_REDIS_SORT_MEM ((size_t)8 << 20)
#define HS_REDIS_BIG_BYTES ((size_t)1 << 20)

/* What one key's phase-1 replies said. */
typedef struct hs_rkey {
	char type[64];
	int64_t pttl;
	bool gone;
	bool done;          /* recorded, or counted as vanished */
	int nreplies;       /* replies of phase 2 */
	redisReply *pre;    /* a string's value, read by the GET of phase 1 */
} hs_rkey;

typedef struct hs_rcap {
	redisContext *c;
	const hs_profile_redis *cfg;
	hs_capture *cap;
	hs_rsort *sort;
	hs_rbig *big;       /* records of keys past big_bytes, on disk */
	size_t big_bytes;
	uint64_t rec_len;   /* the record just built (line holds a reference for a big key) */
	hs_buf line;
	hs_buf tmp;
	hs_ritems items;
	hs_ritems batch;    /* keys waiting for the next pipeline */
	int64_t now_ms;     /* server time of the current batch */
	uint64_t keys, vanished, retried, bytes;
} hs_rcap;

/* The value of "field:" in an INFO reply, as a new string or NULL. */
static char *hs_redis_info_field(const char *info, const char *field)
{
	size_t fl = strlen(field);
	const char *p = info;

	while (p && *p) {
		if (!strncmp(p, field, fl) && p[fl] == ':') {
			const char *v = p + fl + 1;

			return hs_xstrndup(v, strcspn(v, "\r\n"));
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* Server time in unix ms from a TIME reply; -1 when malformed. */
static int64_t hs_redis_time_ms(const redisReply *r)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
		return -1;
	return strtoll(r->element[0]->str, NULL, 10) * 1000 + strtoll(r->element[1]->str, NULL, 10) / 1000;
}

/* Server time and replication offset now (one INFO, one TIME). */
static int hs_rcap_mark(hs_rcap *rc, json_t *into, char **version, char **role, hs_error *e)
{
	const char *info[] = { "INFO" };
	const char *tm[] = { "TIME" };
	redisReply *r = NULL;
	char *off = NULL;
	int64_t ms;
	int ret = -1;

	r = hs_redis_cmd(rc->c, e, 1, info, NULL);
	if (!r)
		goto out;
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		hs_err(e, HS_EXIT_FAILURE, "redis INFO: unexpected reply");
		goto out;
	}
	off = hs_redis_info_field(r->str, "master_repl_offset");
	if (version && !*version)
		*version = hs_redis_info_field(r->str, "redis_version");
	if (role && !*role)
		*role = hs_redis_info_field(r->str, "role");
	freeReplyObject(r);
	r = hs_redis_cmd(rc->c, e, 1, tm, NULL);
	if (!r)
		goto out;
	ms = hs_redis_time_ms(r);
	json_object_set_new(into, "time_ms", ms >= 0 ? json_integer(ms) : json_null());
	json_object_set_new(into, "master_repl_offset",
			    off ? json_integer(strtoll(off, NULL, 10)) : json_null());
	ret = 0;
out:
	free(off);
	if (r)
		freeReplyObject(r);
	return ret;
}

/* Send a command in argv form with one binary key at argv[1]. */
static void hs_rcap_append(redisContext *c, const char *cmd, const char *key, size_t klen,
			   int nextra, const char *const *extra)
{
	const char *argv[8];
	size_t lens[8];
	int i, argc = 0;

	argv[argc] = cmd;
	lens[argc++] = strlen(cmd);
	argv[argc] = key;
	lens[argc++] = klen;
	for (i = 0; i < nextra && argc < 8; i++) {
		argv[argc] = extra[i];
		lens[argc++] = strlen(extra[i]);
	}
	redisAppendCommandArgv(c, argc, argv, lens);
}

/* Run one command with a binary key synchronously; NULL with e set. */
static redisReply *hs_rcap_call(hs_rcap *rc, const char *cmd, const char *key, size_t klen,
				int nextra, const char *const *extra, hs_error *e)
{
	hs_rcap_append(rc->c, cmd, key, klen, nextra, extra);
	return hs_redis_get_reply(rc->c, e);
}

/* Add the string elements of an array reply to the items. */
static int hs_rcap_add_strings(hs_rcap *rc, const redisReply *arr)
{
	size_t i;

	if (arr->type != REDIS_REPLY_ARRAY)
		return -1;
	for (i = 0; i < arr->elements; i++) {
		const redisReply *x = arr->element[i];

		if (x->type != REDIS_REPLY_STRING)
			return -1;
		hs_ritems_add(&rc->items, x->str, x->len);
	}
	return 0;
}

/*
 * A collection being read that passed big_bytes in memory: move what was
 * read to disk (redis_big.c), now and after every further page.
 */
static int hs_rcap_spill(hs_rcap *rc, const char *type, hs_error *e)
{
	if (!hs_rbig_active(rc->big)) {
		if (rc->items.data.len < rc->big_bytes)
			return 0;
		if (hs_rbig_begin(rc->big, type, e))
			return -1;
	}
	return hs_rbig_add(rc->big, &rc->items, e);
}

/*
 * Read the rest of a hash or set after its first HSCAN/SSCAN page (first
 * is that page's reply).  1: done, 0: the key vanished or changed type
 * (the caller retries), -1: connection error.
 */
static int hs_rcap_scan_coll(hs_rcap *rc, const char *cmd, const char *key, size_t klen,
			     redisReply *first, hs_error *e)
{
	redisReply *r = first;
	char cursor[32];
	int ret = 0;

	for (;;) {
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len >= sizeof(cursor) ||
		    hs_rcap_add_strings(rc, r->element[1]))
			goto out;
		if (hs_rcap_spill(rc, cmd[0] == 'H' ? "hash" : "set", e)) {
			ret = -1;
			goto out;
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len);
		cursor[r->element[0]->len] = '\0';
		if (r != first)
			freeReplyObject(r);
		r = first;
		if (!strcmp(cursor, "0"))
			break;
		{
			const char *extra[] = { cursor, "COUNT", HS_REDIS_PAGE_S };

			r = hs_rcap_call(rc, cmd, key, klen, 3, extra, e);
		}
		if (!r)
			return -1;
	}
	ret = 1;
out:
	if (r && r != first)
		freeReplyObject(r);
	return ret;
}

/* Read the rest of a list (LRANGE) or zset (ZRANGE WITHSCORES) by index pages. */
static int hs_rcap_range_coll(hs_rcap *rc, bool zset, const char *key, size_t klen,
			      redisReply *first, hs_error *e)
{
	redisReply *r = first;
	size_t per = zset ? 2 : 1;
	long long start = 0;
	int ret = 0;

	for (;;) {
		size_t got;

		if (r->type != REDIS_REPLY_ARRAY || r->elements % per || hs_rcap_add_strings(rc, r))
			goto out;
		if (hs_rcap_spill(rc, zset ? "zset" : "list", e)) {
			ret = -1;
			goto out;
		}
		got = r->elements / per;
		if (r != first)
			freeReplyObject(r);
		r = first;
		if (got < HS_REDIS_PAGE)
			break;
		start += HS_REDIS_PAGE;
		{
			char a[32], b[32];
			const char *extra[] = { a, b, "WITHSCORES" };

			snprintf(a, sizeof(a), "%lld", start);
			snprintf(b, sizeof(b), "%lld", start + HS_REDIS_PAGE - 1);
			r = hs_rcap_call(rc, zset ? "ZRANGE" : "LRANGE", key, klen, zset ? 3 : 2, extra, e);
		}
		if (!r)
			return -1;
	}
	ret = 1;
out:
	if (r && r != first)
		freeReplyObject(r);
	return ret;
}

/* Value of name in a flat [name, value, ...] reply, or NULL. */
static const redisReply *hs_redis_map_get(const redisReply *m, const char *name)
{
	size_t i;

	if (!m || m->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < m->elements; i += 2)
		if (m->element[i]->type == REDIS_REPLY_STRING && !strcmp(m->element[i]->str, name))
			return m->element[i + 1];
	return NULL;
}

/*
 * Append a stream's value: {"last_id", "entries_added", "max_deleted_id",
 * "entries": [[id, [f, v, ...]], ...], "groups": [...]} from its XINFO
 * STREAM, XINFO GROUPS and first XRANGE replies, reading further pages.
 */
static int hs_rcap_stream(hs_rcap *rc, const char *key, size_t klen, redisReply **rep,
			  hs_error *e)
{
	const redisReply *info = rep[0], *groups = rep[1], *x;
	redisReply *r = rep[2];
	hs_buf *o = &rc->tmp;
	char last[64] = "";
	bool firstent = true;
	size_t i;
	int ret = 0;

	if (info->type != REDIS_REPLY_ARRAY || groups->type != REDIS_REPLY_ARRAY)
		return 0;
	hs_buf_reset(o);
	x = hs_redis_map_get(info, "last-generated-id");
	hs_buf_adds(o, "{\"last_id\":");
	if (x && x->type == REDIS_REPLY_STRING)
		hs_redis_json_bytes(o, x->str, x->len);
	else
		hs_buf_adds(o, "null");
	x = hs_redis_map_get(info, "entries-added");
	if (x && x->type == REDIS_REPLY_INTEGER)
		hs_buf_addf(o, ",\"entries_added\":%lld", x->integer);
	x = hs_redis_map_get(info, "max-deleted-entry-id");
	if (x && x->type == REDIS_REPLY_STRING) {
		hs_buf_adds(o, ",\"max_deleted_id\":");
		hs_redis_json_bytes(o, x->str, x->len);
	}
	hs_buf_adds(o, ",\"entries\":[");
	for (;;) {
		if (r->type != REDIS_REPLY_ARRAY)
			goto out;
		for (i = 0; i < r->elements; i++) {
			const redisReply *en = r->element[i];
			size_t j;

			if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 ||
			    en->element[0]->type != REDIS_REPLY_STRING ||
			    en->element[1]->type != REDIS_REPLY_ARRAY || en->element[0]->len >= sizeof(last))
				goto out;
			if (!firstent)
				hs_buf_addc(o, ',');
			firstent = false;
			hs_buf_addc(o, '[');
			hs_redis_json_bytes(o, en->element[0]->str, en->element[0]->len);
			hs_buf_adds(o, ",[");
			for (j = 0; j < en->element[1]->elements; j++) {
				const redisReply *fv = en->element[1]->element[j];

				if (fv->type != REDIS_REPLY_STRING)
					goto out;
				if (j)
					hs_buf_addc(o, ',');
				hs_redis_json_bytes(o, fv->str, fv->len);
			}
			hs_buf_adds(o, "]]");
			memcpy(last, en->element[0]->str, en->element[0]->len);
			last[en->element[0]->len] = '\0';
		}
		{
			size_t got = r->elements;

			if (r != rep[2])
				freeReplyObject(r);
			r = rep[2];
			if (got < HS_REDIS_PAGE)
				break;
		}
		{
			char from[80];
			const char *extra[] = { from, "+", "COUNT", HS_REDIS_PAGE_S };

			snprintf(from, sizeof(from), "(%s", last);
			r = hs_rcap_call(rc, "XRANGE", key, klen, 4, extra, e);
		}
		if (!r)
			return -1;
	}
	hs_buf_adds(o, "],\"groups\":[");
	for (i = 0; i < groups->elements; i++) {
		const redisReply *g = groups->element[i];
		const redisReply *name = hs_redis_map_get(g, "name");
		const redisReply *ld = hs_redis_map_get(g, "last-delivered-id");
		const redisReply *er = hs_redis_map_get(g, "entries-read");

		if (!name || name->type != REDIS_REPLY_STRING || !ld || ld->type != REDIS_REPLY_STRING)
			goto out;
		if (i)
			hs_buf_addc(o, ',');
		hs_buf_adds(o, "{\"name\":");
		hs_redis_json_bytes(o, name->str, name->len);
		hs_buf_adds(o, ",\"last_delivered_id\":");
		hs_redis_json_bytes(o, ld->str, ld->len);
		if (er && er->type == REDIS_REPLY_INTEGER)
			hs_buf_addf(o, ",\"entries_read\":%lld", er->integer);
		else
			hs_buf_adds(o, ",\"entries_read\":null");
		hs_buf_addc(o, '}');
	}
	hs_buf_adds(o, "]}");
	hs_buf_add(&rc->line, o->data, o->len);
	ret = 1;
out:
	if (r && r != rep[2])
		freeReplyObject(r);
	return ret;
}

/* Append the phase-2 commands of one key; returns how many replies they give. */
static int hs_rcap_append_read(hs_rcap *rc, const hs_rkey *k, const char *key, size_t klen)
{
	static const char *const scan0[] = { "0", "COUNT", HS_REDIS_PAGE_S };
	static const char *const xr0[] = { "-", "+", "COUNT", HS_REDIS_PAGE_S };
	char last[16];
	const char *range[3] = { "0", last, "WITHSCORES" };

	snprintf(last, sizeof(last), "%d", HS_REDIS_PAGE - 1);
	if (!strcmp(k->type, "string")) {
		hs_rcap_append(rc->c, "GET", key, klen, 0, NULL);
	} else if (!strcmp(k->type, "hash")) {
		hs_rcap_append(rc->c, "HSCAN", key, klen, 3, scan0);
	} else if (!strcmp(k->type, "set")) {
		hs_rcap_append(rc->c, "SSCAN", key, klen, 3, scan0);
	} else if (!strcmp(k->type, "list")) {
		hs_rcap_append(rc->c, "LRANGE", key, klen, 2, range);
	} else if (!strcmp(k->type, "zset")) {
		hs_rcap_append(rc->c, "ZRANGE", key, klen, 3, range);
	} else if (!strcmp(k->type, "stream")) {
		size_t l1[] = { 5, 6, klen };
		const char *argv1[] = { "XINFO", "STREAM", key };
		const char *argv2[] = { "XINFO", "GROUPS", key };

		redisAppendCommandArgv(rc->c, 3, argv1, l1);
		redisAppendCommandArgv(rc->c, 3, argv2, l1);
		hs_rcap_append(rc->c, "XRANGE", key, klen, 4, xr0);
		return 3;
	} else {
		hs_rcap_append(rc->c, "DUMP", key, klen, 0, NULL);
	}
	return 1;
}

/* A big key read whole: its record goes to disk, rc->line gets the reference (1), or -1. */
static int hs_rcap_big_record(hs_rcap *rc, const char *key, size_t klen, const char *type, int64_t exp,
			      hs_error *e)
{
	if (rc->items.n && hs_rbig_add(rc->big, &rc->items, e))
		return -1;
	if (hs_rbig_finish(rc->big, key, klen, type, exp, &rc->line, &rc->rec_len, e))
		return -1;
	return 1;
}

/*
 * Build the record of one key from its phase-2 replies (rep, k->nreplies
 * of them) into rc->line.  1: built, 0: the key vanished or changed under
 * us (retry or count), -1: connection error.
 */
static int hs_rcap_build(hs_rcap *rc, const hs_rkey *k, const char *key, size_t klen,
			 redisReply **rep, hs_error *e)
{
	/* an expiry past HS_REDIS_EXPIRE_MAX (restore could not send it) is written as that */
	int64_t exp = k->pttl < 0 ? -1 : k->pttl > HS_REDIS_EXPIRE_MAX - rc->now_ms ? HS_REDIS_EXPIRE_MAX :
		      rc->now_ms + k->pttl;
	const char *t = k->type;
	int r;

	hs_buf_reset(&rc->line);
	rc->rec_len = 0;
	hs_rbig_abort(rc->big);
	for (int i = 0; i < k->nreplies; i++)
		if (rep[i]->type == REDIS_REPLY_ERROR || rep[i]->type == REDIS_REPLY_NIL)
			return 0;       /* WRONGTYPE or gone since TYPE */
	hs_ritems_reset(&rc->items);
	if (!strcmp(t, "string")) {
		if (rep[0]->type != REDIS_REPLY_STRING)
			return 0;
		hs_redis_record_begin(&rc->line, key, klen, t, exp);
		hs_redis_json_bytes(&rc->line, rep[0]->str, rep[0]->len);
	} else if (!strcmp(t, "hash") || !strcmp(t, "set")) {
		r = hs_rcap_scan_coll(rc, t[0] == 'h' ? "HSCAN" : "SSCAN", key, klen, rep[0], e);
		if (r <= 0)
			return r;
		if (hs_rbig_active(rc->big))
			return hs_rcap_big_record(rc, key, klen, t, exp, e);
		if (!rc->items.n)
			return 0;       /* emptied: the key is gone */
		hs_redis_record_begin(&rc->line, key, klen, t, exp);
		if (hs_redis_json_items(&rc->line, t, &rc->items))
			return 0;
	} else if (!strcmp(t, "list") || !strcmp(t, "zset")) {
		r = hs_rcap_range_coll(rc, t[0] == 'z', key, klen, rep[0], e);
		if (r <= 0)
			return r;
		if (hs_rbig_active(rc->big))
			return hs_rcap_big_record(rc, key, klen, t, exp, e);
		if (!rc->items.n)
			return 0;
		hs_redis_record_begin(&rc->line, key, klen, t, exp);
		if (hs_redis_json_items(&rc->line, t, &rc->items))
			return hs_err(e, HS_EXIT_FAILURE, "redis key of type zset: a score is not a number");
	} else if (!strcmp(t, "stream")) {
		hs_redis_record_begin(&rc->line, key, klen, t, exp);
		r = hs_rcap_stream(rc, key, klen, rep, e);
		if (r <= 0)
			return r;
	} else {
		if (rep[0]->type != REDIS_REPLY_STRING)
			return 0;
		hs_redis_record_begin(&rc->line, key, klen, t, exp);
		hs_buf_adds(&rc->line, "{\"$dump\":\"");
		hs_redis_b64_encode(&rc->line, rep[0]->str, rep[0]->len);
		hs_buf_adds(&rc->line, "\"}");
	}
	hs_buf_adds(&rc->line, "}\n");
	rc->rec_len = rc->line.len;
	return 1;
}

/*
 * Capture the keys in rc->batch: pipeline 1 (TIME, TYPE, PTTL and GET of
 * every key: strings are done then), pipeline 2 (the first read of every
 * other value), then build records,
 * paging through big collections.  A key that changed type or vanished
 * between the pipelines is asked again once; one still gone is counted.
 */
static int hs_rcap_flush(hs_rcap *rc, hs_error *e)
{
	size_t n = rc->batch.n, i, nrep = 0, ri;
	hs_rkey *ks = NULL;
	redisReply **rep = NULL, *r = NULL;
	int ret = -1, attempt;

	if (!n)
		return 0;
	ks = hs_xcalloc(n, sizeof(*ks));
	for (attempt = 0; attempt < 2; attempt++) {
		const char *tm[] = { "TIME" };
		bool again = false;

		redisAppendCommandArgv(rc->c, 1, tm, NULL);
		for (i = 0; i < n; i++) {
			if (ks[i].done)
				continue;
			hs_rcap_append(rc->c, "TYPE", hs_ritems_at(&rc->batch, i), rc->batch.len[i], 0, NULL);
			hs_rcap_append(rc->c, "PTTL", hs_ritems_at(&rc->batch, i), rc->batch.len[i], 0, NULL);
			/* most keys are strings: read them now, saving the second round trip */
			hs_rcap_append(rc->c, "GET", hs_ritems_at(&rc->batch, i), rc->batch.len[i], 0, NULL);
		}
		if (!(r = hs_redis_get_reply(rc->c, e)))
			goto out;
		rc->now_ms = hs_redis_time_ms(r);
		freeReplyObject(r);
		r = NULL;
		if (rc->now_ms < 0) {
			hs_err(e, HS_EXIT_FAILURE, "redis TIME: unexpected reply");
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (ks[i].done)
				continue;
			if (!(r = hs_redis_get_reply(rc->c, e)))
				goto out;
			if (r->type != REDIS_REPLY_STATUS || r->len >= sizeof(ks[i].type)) {
				hs_err(e, HS_EXIT_FAILURE, "redis TYPE: unexpected reply");
				goto out;
			}
			memcpy(ks[i].type, r->str, r->len + 1);
			freeReplyObject(r);
			if (!(r = hs_redis_get_reply(rc->c, e)))
				goto out;
			ks[i].pttl = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
			ks[i].gone = !strcmp(ks[i].type, "none") || ks[i].pttl == -2;
			freeReplyObject(r);
			if (!(r = hs_redis_get_reply(rc->c, e)))
				goto out;
			if (!strcmp(ks[i].type, "string") && r->type == REDIS_REPLY_STRING) {
				ks[i].pre = r;
			} else {
				freeReplyObject(r);   /* WRONGTYPE for other types, or gone */
			}
			r = NULL;
			ks[i].nreplies = 0;
			if (ks[i].gone) {
				rc->vanished++;
				ks[i].done = true;
			}
		}
		/* phase 2 */
		nrep = 0;
		for (i = 0; i < n; i++) {
			if (ks[i].done || ks[i].pre)
				continue;
			ks[i].nreplies = hs_rcap_append_read(rc, &ks[i], hs_ritems_at(&rc->batch, i),
							     rc->batch.len[i]);
			nrep += (size_t)ks[i].nreplies;
		}
		rep = hs_xcalloc(nrep ? nrep : 1, sizeof(*rep));
		for (ri = 0; ri < nrep; ri++)
			if (!(rep[ri] = hs_redis_get_reply(rc->c, e)))
				goto out;
		ri = 0;
		for (i = 0; i < n; i++) {
			int b;

			if (ks[i].done)
				continue;
			if (ks[i].pre) {
				ks[i].nreplies = 1;
				b = hs_rcap_build(rc, &ks[i], hs_ritems_at(&rc->batch, i), rc->batch.len[i],
						  &ks[i].pre, e);
				freeReplyObject(ks[i].pre);
				ks[i].pre = NULL;
			} else {
				b = hs_rcap_build(rc, &ks[i], hs_ritems_at(&rc->batch, i), rc->batch.len[i],
						  rep + ri, e);
				ri += (size_t)ks[i].nreplies;
			}
			if (b < 0)
				goto out;
			if (b == 0) {
				if (attempt) {
					rc->vanished++;
					ks[i].done = true;
				} else {
					rc->retried++;
					again = true;
				}
				continue;
			}
			ks[i].done = true;
			if (hs_rsort_add(rc->sort, hs_ritems_at(&rc->batch, i), rc->batch.len[i],
					 rc->line.data, rc->line.len, e))
				goto out;
			rc->keys++;
			rc->bytes += rc->rec_len;
			hs_progress_add(rc->cap->progress, 1, rc->rec_len);
		}
		for (ri = 0; ri < nrep; ri++)
			freeReplyObject(rep[ri]);
		free(rep);
		rep = NULL;
		nrep = 0;
		if (!again)
			break;
	}
	ret = 0;
out:
	if (r)
		freeReplyObject(r);
	for (i = 0; rep && i < nrep; i++)
		if (rep[i])
			freeReplyObject(rep[i]);
	free(rep);
	for (i = 0; ks && i < n; i++)
		if (ks[i].pre)
			freeReplyObject(ks[i].pre);
	free(ks);
	hs_ritems_reset(&rc->batch);
	return ret;
}

/* SCAN one pattern of the selected db, flushing batches of keys. */
static int hs_rcap_pattern(hs_rcap *rc, const char *pattern, hs_error *e)
{
	char cursor[32] = "0", count[16];
	redisReply *r = NULL;
	int ret = -1;

	snprintf(count, sizeof(count), "%d", rc->cfg->scan_count > 0 ? rc->cfg->scan_count : 1000);
	do {
		const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", count };
		size_t i;

		r = hs_redis_cmd(rc->c, e, 6, argv, NULL);
		if (!r)
			goto out;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len >= sizeof(cursor) ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			hs_err(e, HS_EXIT_FAILURE, "redis SCAN: unexpected reply");
			goto out;
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
		for (i = 0; i < r->element[1]->elements; i++) {
			const redisReply *k = r->element[1]->element[i];

			if (k->type != REDIS_REPLY_STRING)
				continue;
			hs_ritems_add(&rc->batch, k->str, k->len);
			if (rc->batch.n >= (size_t)(rc->cfg->batch > 0 ? rc->cfg->batch : 500) &&
			    hs_rcap_flush(rc, e))
				goto out;
		}
		freeReplyObject(r);
		r = NULL;
	} while (strcmp(cursor, "0"));
	ret = hs_rcap_flush(rc, e);
out:
	if (r)
		freeReplyObject(r);
	return ret;
}

/*
 * A size from the environment (bytes, at least 1024; tests use them to
 * force the disk paths with little data), or def.
 * HIVESNAP_REDIS_SORT_MEM: the key sorter's memory (8 MiB);
 * HIVESNAP_REDIS_BIG_BYTES: a key's bytes held in memory before its record
 * is built on disk (1 MiB).
 */
static size_t hs_rcap_env_size(const char *name, size_t def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n < 1024)
		return def;
	return (size_t)n;
}

/*
 * Capture one db: scan every pattern, then stream the sorted records into
 * the archive.  Returns 0, -1 with e set, or 1 when the connection was lost
 * during the scan under --allow-partial: the keys read so far are written
 * (the db's details say "complete": false), e holds the cause and the
 * capture stops there as partial.
 */
static int hs_rcap_db(hs_rcap *rc, const hs_profile_redis_db *db, json_t *dbs, hs_error *e)
{
	char name[64], num[16];
	hs_entry *en = NULL;
	json_t *d = json_object(), *pats = json_array();
	uint64_t keys0 = rc->keys, van0 = rc->vanished, written = 0;
	const char *dbsz[] = { "DBSIZE" };
	redisReply *r = NULL;
	hs_error scan_err;
	bool lost = false;
	size_t i;
	int ret = -1;

	hs_error_init(&scan_err);
	snprintf(num, sizeof(num), "%d", db->db);
	snprintf(name, sizeof(name), "redis/db%d.jsonl", db->db);
	hs_progress_note(rc->cap->progress, name);
	if (hs_redis_select(rc->c, db->db, e))
		goto out;
	rc->sort = hs_rsort_new(hs_rcap_env_size("HIVESNAP_REDIS_SORT_MEM", HS_REDIS_SORT_MEM), true);
	rc->big = hs_rbig_new();
	for (i = 0; i < (db->patterns.n ? db->patterns.n : 1); i++) {
		const char *pat = db->patterns.n ? db->patterns.v[i] : "*";

		json_array_append_new(pats, json_string(pat));
		if (hs_rcap_pattern(rc, pat, &scan_err)) {
			hs_err_prefix(&scan_err, "db %d pattern '%s'", db->db, pat);
			if (!rc->cap->opts || !rc->cap->opts->allow_partial || !rc->c->err) {
				*e = scan_err;
				goto out;
			}
			lost = true;   /* keep what was read: partial */
			hs_warn("redis", "connection lost in db %d after %llu keys: writing them as a partial capture",
				db->db, (unsigned long long)(rc->keys - keys0));
			break;
		}
	}
	if (hs_entry_begin(rc->cap->aw, name, "redis", &en, e))
		goto out;
	for (;;) {
		const char *k, *rec;
		size_t kl, rl;
		int n = hs_rsort_next(rc->sort, &k, &kl, &rec, &rl, e);

		if (n < 0)
			goto out;
		if (!n)
			break;
		if (hs_rbig_is_ref(rec, rl) ? hs_rbig_copy(rc->big, rec, en, e) : hs_entry_write(en, rec, rl, e))
			goto out;
		written++;
	}
	if (hs_entry_commit(en, written, e)) {
		en = NULL;
		goto out;
	}
	en = NULL;
	if (!lost) {
		r = hs_redis_cmd(rc->c, e, 1, dbsz, NULL);
		if (!r)
			goto out;
	}
	json_object_set_new(d, "patterns", pats);
	pats = NULL;
	json_object_set_new(d, "complete", json_boolean(!lost));
	json_object_set_new(d, "keys", json_integer((json_int_t)written));
	json_object_set_new(d, "vanished", json_integer((json_int_t)(rc->vanished - van0)));
	json_object_set_new(d, "duplicates", json_integer((json_int_t)hs_rsort_dups(rc->sort)));
	json_object_set_new(d, "sort_runs", json_integer((json_int_t)hs_rsort_runs(rc->sort)));
	json_object_set_new(d, "dbsize", r && r->type == REDIS_REPLY_INTEGER ? json_integer(r->integer) : json_null());
	json_object_set_new(dbs, num, d);
	d = NULL;
	hs_info("redis", "captured db %d: %llu keys (%llu read, %llu vanished during the scan)%s",
		db->db, (unsigned long long)written, (unsigned long long)(rc->keys - keys0),
		(unsigned long long)(rc->vanished - van0), lost ? ", incomplete" : "");
	if (lost) {
		*e = scan_err;
		ret = 1;
	} else {
		ret = 0;
	}
out:
	if (r)
		freeReplyObject(r);
	hs_entry_abort(en);
	hs_rsort_free(rc->sort);
	rc->sort = NULL;
	hs_rbig_free(rc->big);
	rc->big = NULL;
	json_decref(d);
	json_decref(pats);
	return ret;
}

static int64_t hs_rcap_json_int(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* A JSON integer, or null when v < 0 (unknown). */
static json_t *hs_rcap_jint(int64_t v)
{
	return v >= 0 ? json_integer((json_int_t)v) : json_null();
}

/* The source's capture (source.h). */
static int hs_redis_capture(hs_capture *cap, hs_error *e)
{
	const hs_profile_redis *cfg = cap->profile->redis;
	hs_redis_uri u;
	hs_rcap rc;
	char *shown = NULL, *version = NULL, *role = NULL;
	json_t *start = json_object(), *end = json_object(), *dbs = json_object();
	json_t *server = NULL;
	hs_profile_redis_db def = { 0, { NULL, 0 } };
	size_t i;
	int ret = -1;

	memset(&rc, 0, sizeof(rc));
	memset(&u, 0, sizeof(u));
	rc.cfg = cfg;
	rc.big_bytes = hs_rcap_env_size("HIVESNAP_REDIS_BIG_BYTES", HS_REDIS_BIG_BYTES);
	rc.cap = cap;
	if (hs_redis_uri_parse(cfg->uri, HS_EXIT_DATA, &u, e))
		goto out;
	shown = hs_uri_redact_dup(cfg->uri);
	if (hs_redis_connect(&u, shown, 0, &rc.c, e))
		goto out;
	if (hs_rcap_mark(&rc, start, &version, &role, e))
		goto out;
	for (i = 0; i < (cfg->n_dbs ? cfg->n_dbs : 1); i++) {
		int d = hs_rcap_db(&rc, cfg->n_dbs ? &cfg->dbs[i] : &def, dbs, e);

		if (d < 0)
			goto out;
		if (d > 0) {
			cap->partial = true;
			snprintf(cap->warning, sizeof(cap->warning), "redis '%.150s': %.300s; later dbs not captured",
				 shown, e->msg);
			hs_error_init(e);
			break;
		}
	}
	if (!cap->partial && hs_rcap_mark(&rc, end, NULL, NULL, e))
		goto out;

	server = json_pack("{s:s?, s:s?, s:O, s:O, s:{}}", "version", version, "role", role,
			   "scan_start", start, "scan_end", end, "dbsize");
	for (i = 0; i < (cfg->n_dbs ? cfg->n_dbs : 1); i++) {
		char num[16];
		int dbn = cfg->n_dbs ? cfg->dbs[i].db : 0;

		snprintf(num, sizeof(num), "%d", dbn);
		if (json_object_get(json_object_get(dbs, num), "dbsize"))
			json_object_set(json_object_get(server, "dbsize"), num,
					json_object_get(json_object_get(dbs, num), "dbsize"));
	}
	if (hs_aw_add_json(cap->aw, "redis/server.json", "redis", server, 0, e))
		goto out;

	{
		int64_t t0 = hs_rcap_json_int(start, "time_ms"), t1 = hs_rcap_json_int(end, "time_ms");
		int64_t o0 = hs_rcap_json_int(start, "master_repl_offset");
		int64_t o1 = hs_rcap_json_int(end, "master_repl_offset");

		cap->watermark = json_pack("{s:o, s:o, s:o, s:o}",
					   "master_repl_offset_start", hs_rcap_jint(o0),
					   "master_repl_offset_end", hs_rcap_jint(o1),
					   "time_start_ms", hs_rcap_jint(t0), "time_end_ms", hs_rcap_jint(t1));
		cap->details = json_pack("{s:s, s:b, s:s, s:{s:o, s:o, s:o, s:o, s:o}, s:I, s:I, s:I, s:O}",
					 "consistency", "scan",
					 "point_in_time", 0,
					 "note", "SCAN-based capture: not a point-in-time image; each key is as it was at some moment within the window",
					 "window",
					 "start_ms", hs_rcap_jint(t0), "end_ms", hs_rcap_jint(t1),
					 "duration_ms", hs_rcap_jint(t0 >= 0 && t1 >= 0 ? t1 - t0 : -1),
					 "master_repl_offset_start", hs_rcap_jint(o0),
					 "master_repl_offset_end", hs_rcap_jint(o1),
					 "keys", (json_int_t)rc.keys,
					 "vanished", (json_int_t)rc.vanished,
					 "reread", (json_int_t)rc.retried,
					 "dbs", dbs);
	}
	ret = 0;
out:
	/* name the server, unless the error already does (a failed connect) */
	if (ret && shown && !strstr(e->msg, shown))
		hs_err_prefix(e, "server '%s'", shown);
	if (rc.c)
		redisFree(rc.c);
	hs_buf_release(&rc.line);
	hs_buf_release(&rc.tmp);
	hs_ritems_release(&rc.items);
	hs_ritems_release(&rc.batch);
	hs_redis_uri_release(&u);
	json_decref(server);
	json_decref(start);
	json_decref(end);
	json_decref(dbs);
	free(shown);
	free(version);
	free(role);
	return ret;
}

static bool hs_redis_configured(const hs_profile *p)
{
	return p->redis != NULL && p->redis->uri != NULL;
}

const hs_source_ops hs_source_redis = {
	.name = "redis",
	.configured = hs_redis_configured,
	.capture = hs_redis_capture,
	.restore_plan = hs_redis_restore_plan,
	.restore_apply = hs_redis_restore_apply,
	.restore_scan = hs_redis_restore_scan,
	.restore_release = hs_redis_restore_release,
	.entry_check = hs_redis_entry_check,
};
