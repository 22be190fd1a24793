/*
 * redis.c (restore) - replay redis/db<N>.jsonl into a Redis server.
 * Design and semantics: docs/redis.md "Restore".  The plan is made in
 * restore/redis_plan.c from the entries restore's verifying pass reads;
 * this file applies it.
 *
 * Apply walks the archive (hs_rrest_run): for each redis/db<N>.jsonl
 * entry, select the target db, and for each record decide: write it, or
 * skip it because its absolute expiry has passed (--redis-ttl absolute).
 * With --redis-mode replace the live keys of the db matching the capture's
 * patterns are first read into an external sorter; as the archive is
 * sorted by key bytes too, one merge pass finds the live keys the archive
 * does not hold, which are deleted.  Each key is written atomically as
 * MULTI, DEL, the type's writes, the expiry, EXEC (a string: one SET), in
 * pipelined batches.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "sources/redis/redis_common.h"
#include "redis_restore.h"
#include "sources/redis/redis_decode.h"
#include "sources/redis/redis_scan.h"
#include "uri.h"

#define HS_RREST_CHUNK 512      /* elements per HSET/RPUSH/SADD/ZADD */
#define HS_RREST_KEY_FLUSH 64   /* commands of one key formatted before they are written */
#define HS_RREST_AHEAD 64       /* batches written whose replies may still be unread */
#define HS_RREST_SORT_MEM ((size_t)8 << 20)

/* Counts of one db. */
typedef struct hs_rrest_db {
	int src, dst;
	uint64_t records, written, expired, deleted, filtered;
	/* apply: what redis confirmed (a key's EXEC, a SET, an UNLINK read back OK) */
	uint64_t acked_written, acked_deleted;
} hs_rrest_db;

/*
 * --include/--exclude globs apply to key names (fnmatch, no flags).  A
 * key holding a NUL byte is matched by its bytes before the NUL.
 */
bool hs_rrest_selected(const hs_restore_opts *o, const char *key, size_t klen)
{
	char stack[512], *k = klen < sizeof(stack) ? stack : hs_xmalloc(klen + 1);
	bool in = !o->include || !o->include[0];
	size_t i;

	memcpy(k, key, klen);
	k[klen] = '\0';
	for (i = 0; !in && o->include[i]; i++)
		if (!fnmatch(o->include[i], k, 0))
			in = true;
	for (i = 0; in && o->exclude && o->exclude[i]; i++)
		if (!fnmatch(o->exclude[i], k, 0))
			in = false;
	if (k != stack)
		free(k);
	return in;
}

/* The apply pass over the archive. */
typedef struct hs_rrest_pass {
	hs_restore *r;
	hs_rrest *st;
	redisContext *c;
	int64_t now_ms;
	int batch;
	hs_rrest_db *dbs;
	size_t ndbs;
	/*
	 * What was sent, in order, from queued[head] (whose first sub replies
	 * are read) on: a key's MULTI with that many commands, -1 for a key's
	 * single SET, -2 for an UNLINK.  queued[0..sent) are written.
	 */
	int *queued;
	size_t nqueued, capq, head, sub, sent;
	bool set_pxat;              /* server >= 6.2: SET ... PXAT */
	hs_ritems args;             /* arguments of the command being built */
	const char **argp;          /* argv of hs_rrest_send */
	size_t *argl;
	size_t argcap;
	hs_rdec *dec;               /* the record decoder's buffers */
	hs_buf resp;                /* commands formatted, not yet handed to hiredis */
} hs_rrest_pass;


/* The capture's watermark or details object in the manifest, or NULL. */
static const json_t *hs_rrest_manifest_src(const json_t *manifest, const char *what)
{
	return json_object_get(json_object_get(json_object_get(manifest, "sources"), "redis"), what);
}

static void hs_rrest_free(hs_rrest *st)
{
	if (!st)
		return;
	hs_redis_uri_release(&st->u);
	free(st->shown);
	hs_rplan_free(st->scan);
	free(st);
}

void hs_redis_restore_release(hs_restore *r)
{
	hs_rrest_free(r->state);
	r->state = NULL;
}

/* Parse the options and the target URI into a new state. */
int hs_rrest_setup(hs_restore *r, hs_rrest **out, hs_error *e)
{
	const hs_restore_opts *o = r->opts;
	const char *uri = o->to_redis;
	hs_rrest *st = hs_xcalloc(1, sizeof(*st));
	const json_t *wm;
	int ret = -1;

	*out = NULL;
	if (o->redis_mode && strcmp(o->redis_mode, "merge") && strcmp(o->redis_mode, "replace")) {
		hs_err(e, HS_EXIT_USAGE, "invalid --redis-mode '%s': expected merge or replace", o->redis_mode);
		goto out;
	}
	st->replace = o->redis_mode && !strcmp(o->redis_mode, "replace");
	if (!o->redis_ttl || !strcmp(o->redis_ttl, "absolute")) {
		st->ttl = HS_TTL_ABSOLUTE;
	} else if (!strcmp(o->redis_ttl, "relative")) {
		st->ttl = HS_TTL_RELATIVE;
	} else if (!strcmp(o->redis_ttl, "none")) {
		st->ttl = HS_TTL_NONE;
	} else {
		hs_err(e, HS_EXIT_USAGE, "invalid --redis-ttl '%s': expected absolute, relative or none", o->redis_ttl);
		goto out;
	}
	if (!uri && r->profile && r->profile->redis)
		uri = r->profile->redis->uri;
	if (!uri) {
		hs_err(e, HS_EXIT_USAGE, "no redis target: give --to-redis URI or configure redis in the profile");
		goto out;
	}
	if (hs_redis_uri_parse(uri, o->to_redis ? HS_EXIT_USAGE : HS_EXIT_DATA, &st->u, e))
		goto out;
	st->shown = hs_uri_redact_dup(uri);
	st->explicit_db = o->to_redis && st->u.has_db;
	wm = hs_rrest_manifest_src(r->manifest, "watermark");
	st->captured_ms = json_is_integer(json_object_get(wm, "time_start_ms")) ?
		(int64_t)json_integer_value(json_object_get(wm, "time_start_ms")) : -1;
	if (st->ttl == HS_TTL_RELATIVE && st->captured_ms < 0) {
		hs_err(e, HS_EXIT_DATA, "--redis-ttl relative: the archive does not record when redis was captured");
		goto out;
	}
	*out = st;
	st = NULL;
	ret = 0;
out:
	hs_rrest_free(st);
	return ret;
}

/* ------------------------------------------------------------- commands */

static void hs_rrest_arg(hs_rrest_pass *p, const char *s, size_t n)
{
	hs_ritems_add(&p->args, s, n);
}

static void hs_rrest_args(hs_rrest_pass *p, const char *s)
{
	hs_ritems_add(&p->args, s, strlen(s));
}

/* Append n in decimal. */
static void hs_rrest_num(hs_buf *b, size_t n)
{
	char d[24];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + n % 10);
	while ((n /= 10));
	hs_buf_add(b, d + i, sizeof(d) - i);
}

/*
 * Queue one command in RESP into p->resp (hs_rrest_write hands it to
 * hiredis): cheaper than hiredis's own formatting, which builds each
 * command in a fresh string.  lens NULL: the arguments are C strings.
 */
static void hs_rrest_appendv(hs_rrest_pass *p, int argc, const char **argv, const size_t *lens)
{
	hs_buf_addc(&p->resp, '*');
	hs_rrest_num(&p->resp, (size_t)argc);
	hs_buf_add(&p->resp, "\r\n", 2);
	for (int i = 0; i < argc; i++) {
		size_t n = lens ? lens[i] : strlen(argv[i]);

		hs_buf_addc(&p->resp, '$');
		hs_rrest_num(&p->resp, n);
		hs_buf_add(&p->resp, "\r\n", 2);
		hs_buf_add(&p->resp, argv[i], n);
		hs_buf_add(&p->resp, "\r\n", 2);
	}
}

/* Send the command built in p->args and clear it. */
static void hs_rrest_send(hs_rrest_pass *p)
{
	size_t i;

	if (p->args.n > p->argcap) {
		p->argcap = p->args.n * 2;
		p->argp = hs_xrealloc(p->argp, p->argcap * sizeof(*p->argp));
		p->argl = hs_xrealloc(p->argl, p->argcap * sizeof(*p->argl));
	}
	for (i = 0; i < p->args.n; i++) {
		p->argp[i] = hs_ritems_at(&p->args, i);
		p->argl[i] = p->args.len[i];
	}
	hs_rrest_appendv(p, (int)p->args.n, p->argp, p->argl);
	hs_ritems_reset(&p->args);
}

/* Begin a command with a binary key. */
static void hs_rrest_cmd(hs_rrest_pass *p, const char *cmd, const hs_buf *key)
{
	hs_ritems_reset(&p->args);
	hs_rrest_args(p, cmd);
	hs_rrest_arg(p, key->data, key->len);
}

/* Remember what was sent: a key's transaction (ncmd commands) or an UNLINK (-1). */
static void hs_rrest_push(hs_rrest_pass *p, int ncmd)
{
	if (p->nqueued == p->capq) {
		p->capq = p->capq ? p->capq * 2 : 256;
		p->queued = hs_xrealloc(p->queued, p->capq * sizeof(*p->queued));
	}
	p->queued[p->nqueued++] = ncmd;
}

/*
 * Write everything appended so far to the socket (blocking, with the
 * connection's I/O timeout), straight from p->resp: not through hiredis's
 * output buffer, which is empty here (the pass's other commands, SELECT and
 * SCAN, wait for their replies), so the bytes are not copied once more.
 */
static int hs_rrest_write(hs_rrest_pass *p, hs_error *e)
{
	size_t off = 0;

	while (off < p->resp.len) {
		ssize_t n = write(p->c->fd, p->resp.data + off, p->resp.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hs_err(e, HS_EXIT_FAILURE, "redis write failed: %s",
				      errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
		off += (size_t)n;
	}
	hs_buf_reset(&p->resp);
	return 0;
}

/* A reply refused a write: the error, with redis's text. */
static int hs_rrest_refused(const redisReply *r, hs_error *e)
{
	return hs_err(e, HS_EXIT_FAILURE, "redis refused a write: %.*s", (int)r->len, r->str);
}

/*
 * Check one reply, the next of queued[head], in the order sent; count in d
 * what redis confirmed (a SET, an UNLINK, a key's EXEC), so that a restore
 * cut short reports exactly the keys that were written.
 */
static int hs_rrest_reply(hs_rrest_pass *p, hs_rrest_db *d, const redisReply *r, hs_error *e)
{
	int q = p->queued[p->head];

	if (q >= 0 && p->sub < (size_t)q + 1) {   /* MULTI, then the queued commands */
		if (r->type == REDIS_REPLY_ERROR)
			return hs_rrest_refused(r, e);
		p->sub++;
		return 0;
	}
	if (q >= 0) {   /* EXEC */
		if (r->type != REDIS_REPLY_ARRAY)
			return hs_err(e, HS_EXIT_FAILURE, "redis transaction failed: %.*s",
				      r->type == REDIS_REPLY_ERROR ? (int)r->len : 0,
				      r->type == REDIS_REPLY_ERROR ? r->str : "");
		for (size_t j = 0; j < r->elements; j++)
			if (r->element[j]->type == REDIS_REPLY_ERROR)
				return hs_rrest_refused(r->element[j], e);
		d->acked_written++;
	} else {   /* one command: UNLINK, or SET of a string */
		if (r->type == REDIS_REPLY_ERROR)
			return hs_rrest_refused(r, e);
		if (q == -2)
			d->acked_deleted++;
		else
			d->acked_written++;
	}
	p->head++;
	p->sub = 0;
	if (p->head == p->nqueued || p->head >= 65536) {   /* forget what is confirmed */
		memmove(p->queued, p->queued + p->head, (p->nqueued - p->head) * sizeof(*p->queued));
		p->nqueued -= p->head;
		p->sent -= p->head;
		p->head = 0;
	}
	return 0;
}

/*
 * Read the replies of what was written: those already arrived, without
 * waiting (block false), or until at most keep items wait for theirs
 * (block true).  Replies are read as they come, not a batch at a time, so
 * Redis is never left without work while this side waits: it waits only
 * when the socket is full or too much is unconfirmed.  A big key's replies
 * that come before its transaction is queued wait in hiredis's reader.
 */
static int hs_rrest_replies(hs_rrest_pass *p, hs_rrest_db *d, bool block, size_t keep, hs_error *e)
{
	char buf[16384];

	for (;;) {
		void *rep = NULL;
		ssize_t n;
		int rc;

		if (p->head == p->nqueued || (block && p->nqueued - p->head <= keep))
			return 0;
		if (redisReaderGetReply(p->c->reader, &rep) != REDIS_OK)
			return hs_err(e, HS_EXIT_FAILURE, "redis reply unreadable: %s", p->c->reader->errstr);
		if (rep) {
			rc = hs_rrest_reply(p, d, rep, e);
			freeReplyObject(rep);
			if (rc)
				return -1;
			continue;
		}
		n = recv(p->c->fd, buf, sizeof(buf), block ? 0 : MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && !block && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return hs_err(e, HS_EXIT_FAILURE, "redis read failed: %s",
				      errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
		if (n == 0)
			return hs_err(e, HS_EXIT_FAILURE, "redis read failed: the server closed the connection");
		if (redisReaderFeed(p->c->reader, buf, (size_t)n) != REDIS_OK)
			return hs_err(e, HS_EXIT_FAILURE, "redis reply unreadable: %s", p->c->reader->errstr);
	}
}

/* ------------------------------------------------------------ the pass */

/* The patterns the capture used for db src (manifest details), else the profile's, else "*". */
int hs_rrest_live_keys(redisContext *c, const hs_restore *rs, int src, hs_rsort *live, hs_error *e)
{
	char num[16];
	const json_t *pats, *pv;
	const hs_profile_redis *cfg = rs->profile ? rs->profile->redis : NULL;
	hs_strlist fallback = { NULL, 0 };
	char *star[] = { (char *)"*" };
	size_t i;
	redisReply *r = NULL;
	int ret = -1;

	snprintf(num, sizeof(num), "%d", src);
	pats = json_object_get(json_object_get(json_object_get(hs_rrest_manifest_src(rs->manifest, "details"), "dbs"), num), "patterns");
	if (!json_is_array(pats) || !json_array_size(pats)) {
		pats = NULL;
		for (i = 0; cfg && i < cfg->n_dbs; i++)
			if (cfg->dbs[i].db == src)
				fallback = cfg->dbs[i].patterns;
		if (!fallback.n) {
			fallback.v = star;
			fallback.n = 1;
		}
	}
	for (i = 0; i < (pats ? json_array_size(pats) : fallback.n); i++) {
		char cursor[32] = "0";
		const char *pat;

		pv = pats ? json_array_get(pats, i) : NULL;
		pat = pats ? json_string_value(pv) : fallback.v[i];
		if (!pat)
			continue;
		do {
			const char *argv[] = { "SCAN", cursor, "MATCH", pat, "COUNT", "1000" };
			size_t k;

			if (!(r = hs_redis_cmd(c, e, 6, argv, NULL)))
				goto out;
			if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
			    r->element[0]->type != REDIS_REPLY_STRING ||
			    r->element[0]->len >= sizeof(cursor) || r->element[1]->type != REDIS_REPLY_ARRAY) {
				hs_err(e, HS_EXIT_FAILURE, "redis SCAN: unexpected reply");
				goto out;
			}
			memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
			for (k = 0; k < r->element[1]->elements; k++) {
				const redisReply *x = r->element[1]->element[k];

				if (hs_rsort_add(live, x->str, x->len, "", 0, e))
					goto out;
			}
			freeReplyObject(r);
			r = NULL;
		} while (strcmp(cursor, "0"));
	}
	ret = 0;
out:
	if (r)
		freeReplyObject(r);
	return ret;
}

/* A live key the archive does not hold: delete it (when selected). */
static void hs_rrest_extra(hs_rrest_pass *p, hs_rrest_db *d, const char *k, size_t kl)
{
	const char *argv[2] = { "UNLINK", k };
	size_t lens[2] = { 6, kl };

	if (!hs_rrest_selected(p->r->opts, k, kl))
		return;
	d->deleted++;
	hs_rrest_appendv(p, 2, argv, lens);
	hs_rrest_push(p, -2);
}

/*
 * When a batch is full (or always, with force): write it, read the
 * replies that have come, and wait only when more than HS_RREST_AHEAD
 * batches are unconfirmed; with force, wait for every reply.
 */
static int hs_rrest_maybe_flush(hs_rrest_pass *p, hs_rrest_db *d, bool force, hs_error *e)
{
	if (!force && p->nqueued - p->sent < (size_t)p->batch)
		return 0;
	if (hs_rrest_write(p, e))
		return -1;
	p->sent = p->nqueued;
	if (hs_rrest_replies(p, d, false, 0, e) ||
	    hs_rrest_replies(p, d, true, force ? 0 : (size_t)p->batch * HS_RREST_AHEAD, e))
		return -1;
	return 0;
}

/* Append one RESP bulk string: $n, the bytes. */
static void hs_rrest_bulk(hs_buf *b, const char *s, size_t n)
{
	hs_buf_addc(b, '$');
	hs_rrest_num(b, n);
	hs_buf_add(b, "\r\n", 2);
	hs_buf_add(b, s, n);
	hs_buf_add(b, "\r\n", 2);
}

/*
 * What one key's value becomes, as the decoder (redis_decode.h) hands it
 * out: the commands of its transaction, formatted into p->resp.
 */
typedef struct hs_rrest_key {
	hs_rrest_pass *p;
	hs_rrest_db *d;
	const hs_buf *key;
	const char *cmd;            /* HSET, RPUSH, SADD, ZADD; NULL for other types */
	int64_t exp_ms, rel_ms;     /* the expiry: PXAT / PEXPIREAT, PX / PEXPIRE; both < 0: none */
	size_t inchunk;             /* elements in the command being built */
	size_t unread;              /* the key's replies to come: MULTI's, DEL's, ... */
	size_t unflushed;           /* the key's commands formatted since the last write */
	hs_error *e;
} hs_rrest_key;

/*
 * In the middle of a big key's transaction: write what is formatted, so a
 * key of any size keeps the pipeline's memory bounded (Redis holds the
 * queued commands until EXEC), and read the earlier items' replies.
 */
static int hs_rrest_key_flush(hs_rrest_key *k)
{
	hs_rrest_pass *p = k->p;

	if (k->unflushed < HS_RREST_KEY_FLUSH)
		return 0;
	k->unflushed = 0;
	if (hs_rrest_write(p, k->e))
		return -1;
	p->sent = p->nqueued;
	return hs_rrest_replies(p, k->d, false, 0, k->e) ||
	       hs_rrest_replies(p, k->d, true, (size_t)p->batch * HS_RREST_AHEAD, k->e) ? -1 : 0;
}

/* Send the command built in p->args as one of the key's transaction. */
static void hs_rrest_key_send(hs_rrest_key *k)
{
	hs_rrest_send(k->p);
	k->unread++;
	k->unflushed++;
}

/*
 * A string as one SET (atomic alone; it replaces a key of any type), with
 * its expiry (SET ... PXAT/PX, Redis >= 6.2): most keys are strings, so it
 * is formatted straight into p->resp.
 */
static int hs_rrest_k_set(void *ctx, const hs_buf *v, const hs_buf *unused, const char *score)
{
	hs_rrest_key *k = ctx;
	hs_rrest_pass *p = k->p;
	bool ttl = k->exp_ms >= 0 || k->rel_ms >= 0;
	char num[24];
	size_t n = sizeof(num);
	uint64_t t = (uint64_t)(k->exp_ms >= 0 ? k->exp_ms : k->rel_ms);

	(void)unused;
	(void)score;
	hs_buf_add(&p->resp, ttl ? "*5\r\n$3\r\nSET\r\n" : "*3\r\n$3\r\nSET\r\n", 13);
	hs_rrest_bulk(&p->resp, k->key->data, k->key->len);
	hs_rrest_bulk(&p->resp, v->data, v->len);
	if (ttl) {
		do
			num[--n] = (char)('0' + t % 10);
		while ((t /= 10));
		hs_rrest_bulk(&p->resp, k->exp_ms >= 0 ? "PXAT" : "PX", k->exp_ms >= 0 ? 4 : 2);
		hs_rrest_bulk(&p->resp, num + n, sizeof(num) - n);
	}
	hs_rrest_push(p, -1);
	return 0;
}

/* A string inside MULTI (servers without SET PXAT), or one element of a collection, chunked. */
static int hs_rrest_k_elem(void *ctx, const hs_buf *a, const hs_buf *b, const char *score)
{
	hs_rrest_key *k = ctx;
	hs_rrest_pass *p = k->p;

	if (!k->cmd) {
		hs_rrest_cmd(p, "SET", k->key);
		hs_rrest_arg(p, a->data, a->len);
		hs_rrest_key_send(k);
		return 0;
	}
	if (!k->inchunk) {
		if (hs_rrest_key_flush(k))
			return -1;
		hs_rrest_cmd(p, k->cmd, k->key);
	}
	if (score)
		hs_rrest_args(p, score);
	hs_rrest_arg(p, a->data, a->len);
	if (b)
		hs_rrest_arg(p, b->data, b->len);
	if (++k->inchunk == HS_RREST_CHUNK / (score || b ? 2 : 1)) {
		hs_rrest_key_send(k);
		k->inchunk = 0;
	}
	return 0;
}

/* A stream entry: XADD key id f v ... */
static int hs_rrest_k_xentry(void *ctx, const char *id, const hs_ritems *fv)
{
	hs_rrest_key *k = ctx;
	hs_rrest_pass *p = k->p;

	if (hs_rrest_key_flush(k))
		return -1;
	hs_rrest_cmd(p, "XADD", k->key);
	hs_rrest_args(p, id);
	for (size_t i = 0; i < fv->n; i++)
		hs_rrest_arg(p, hs_ritems_at(fv, i), fv->len[i]);
	hs_rrest_key_send(k);
	return 0;
}

/* After the entries: an empty stream made through a group dropped again; XSETID with the counters. */
static int hs_rrest_k_xmeta(void *ctx, const hs_rdec_xmeta *m)
{
	hs_rrest_key *k = ctx;
	hs_rrest_pass *p = k->p;
	char num[32];

	if (!m->entries) {
		hs_ritems_reset(&p->args);
		hs_rrest_args(p, "XGROUP");
		hs_rrest_args(p, "CREATE");
		hs_rrest_arg(p, k->key->data, k->key->len);
		hs_rrest_args(p, "hivesnap-restore-tmp");
		hs_rrest_args(p, "0");
		hs_rrest_args(p, "MKSTREAM");
		hs_rrest_key_send(k);
		hs_rrest_args(p, "XGROUP");
		hs_rrest_args(p, "DESTROY");
		hs_rrest_arg(p, k->key->data, k->key->len);
		hs_rrest_args(p, "hivesnap-restore-tmp");
		hs_rrest_key_send(k);
	}
	if (m->last_id) {
		hs_rrest_cmd(p, "XSETID", k->key);
		hs_rrest_args(p, m->last_id);
		if (m->entries_added >= 0) {
			snprintf(num, sizeof(num), "%lld", (long long)m->entries_added);
			hs_rrest_args(p, "ENTRIESADDED");
			hs_rrest_args(p, num);
			if (m->max_deleted_id) {
				hs_rrest_args(p, "MAXDELETEDID");
				hs_rrest_args(p, m->max_deleted_id);
			}
		}
		hs_rrest_key_send(k);
	}
	return 0;
}

/* A stream group: XGROUP CREATE key name id [ENTRIESREAD n]. */
static int hs_rrest_k_xgroup(void *ctx, const hs_buf *name, const char *ld, int64_t entries_read)
{
	hs_rrest_key *k = ctx;
	hs_rrest_pass *p = k->p;
	char num[32];

	if (hs_rrest_key_flush(k))
		return -1;
	hs_ritems_reset(&p->args);
	hs_rrest_args(p, "XGROUP");
	hs_rrest_args(p, "CREATE");
	hs_rrest_arg(p, k->key->data, k->key->len);
	hs_rrest_arg(p, name->data, name->len);
	hs_rrest_args(p, ld);
	if (entries_read >= 0) {
		snprintf(num, sizeof(num), "%lld", (long long)entries_read);
		hs_rrest_args(p, "ENTRIESREAD");
		hs_rrest_args(p, num);
	}
	hs_rrest_key_send(k);
	return 0;
}

/* A module type: RESTORE key 0 payload REPLACE. */
static int hs_rrest_k_dump(void *ctx, const hs_buf *payload)
{
	hs_rrest_key *k = ctx;
	hs_rrest_pass *p = k->p;

	hs_rrest_cmd(p, "RESTORE", k->key);
	hs_rrest_args(p, "0");
	hs_rrest_arg(p, payload->data, payload->len);
	hs_rrest_args(p, "REPLACE");
	hs_rrest_key_send(k);
	return 0;
}

/*
 * Apply one record whose head is read: the decoder streams its value into
 * commands.  A string is one SET; any other key a transaction MULTI, DEL,
 * the type's writes (HSET/RPUSH/SADD/ZADD of HS_RREST_CHUNK arguments
 * each, XADD, XSETID, XGROUP CREATE, RESTORE), the expiry, EXEC.  1 when
 * the record is malformed (a bad archive; the verifying pass has read it
 * the same way, so only an archive changed since then gets here), -1 with
 * e set on a redis error, 0 done.
 */
static int hs_rrest_apply_key(hs_rrest_pass *p, hs_rrest_db *d, hs_rscan *sc, const hs_rscan_rec *h,
			      int64_t exp_ms, int64_t rel_ms, hs_error *e)
{
	const char *multi[] = { "MULTI" }, *exec[] = { "EXEC" };
	const char *t = h->type;
	hs_rrest_key k = { p, d, &h->key, NULL, exp_ms, rel_ms, 0, 2, 2, e };
	hs_rdec_sink sink = { &k, hs_rrest_k_elem, hs_rrest_k_xentry, hs_rrest_k_xmeta, hs_rrest_k_xgroup,
			      hs_rrest_k_dump };
	char num[32];
	int rc;

	if (!strcmp(t, "string") && p->set_pxat) {
		sink.elem = hs_rrest_k_set;
		rc = hs_rdec_value(p->dec, sc, h, &sink);
		return rc == HS_RDEC_STOPPED ? -1 : rc ? 1 : 0;
	}
	k.cmd = !strcmp(t, "hash") ? "HSET" : !strcmp(t, "list") ? "RPUSH" : !strcmp(t, "set") ? "SADD" :
		!strcmp(t, "zset") ? "ZADD" : NULL;
	hs_rrest_appendv(p, 1, multi, NULL);
	hs_rrest_cmd(p, "DEL", &h->key);
	hs_rrest_send(p);
	rc = hs_rdec_value(p->dec, sc, h, &sink);
	if (rc)
		return rc == HS_RDEC_STOPPED ? -1 : 1;
	if (k.inchunk)
		hs_rrest_key_send(&k);
	if (exp_ms >= 0 || rel_ms >= 0) {
		hs_rrest_cmd(p, exp_ms >= 0 ? "PEXPIREAT" : "PEXPIRE", &h->key);
		snprintf(num, sizeof(num), "%lld", (long long)(exp_ms >= 0 ? exp_ms : rel_ms));
		hs_rrest_args(p, num);
		hs_rrest_key_send(&k);
	}
	hs_rrest_appendv(p, 1, exec, NULL);
	/* MULTI's reply, then the queued commands' ones, then EXEC's */
	hs_rrest_push(p, (int)k.unread - 1);
	hs_ritems_reset(&p->args);
	return 0;
}

/* One redis/db<N>.jsonl entry. */
static int hs_rrest_db_entry(hs_rrest_pass *p, hs_reader *rd, hs_rrest_db *d, hs_error *e)
{
	hs_rscan_rec h = HS_RSCAN_REC_INIT;
	hs_rscan *sc = hs_rscan_new(rd, e);
	hs_rsort *live = NULL;
	const char *lk = NULL, *lr;
	size_t lkl = 0, lrl;
	int lhave = 0, ret = -1, n;
	uint64_t at0;

	if (hs_redis_select(p->c, d->dst, e))
		goto out;
	if (p->st->replace) {
		live = hs_rsort_new(HS_RREST_SORT_MEM, true);
		if (hs_rrest_live_keys(p->c, p->r, d->src, live, e))
			goto out;
		if ((lhave = hs_rsort_next(live, &lk, &lkl, &lr, &lrl, e)) < 0)
			goto out;
	}
	for (;;) {
		int64_t exp_ms = -1, rel_ms = -1;
		bool skip = false;

		at0 = hs_rscan_offset(sc);
		if ((n = hs_rscan_head(sc, &h)) == 0)
			break;
		if (n < 0)
			goto bad;
		d->records++;
		/* live keys before this one are not in the archive */
		while (lhave > 0 && hs_keycmp(lk, lkl, h.key.data, h.key.len) < 0) {
			hs_rrest_extra(p, d, lk, lkl);
			if ((lhave = hs_rsort_next(live, &lk, &lkl, &lr, &lrl, e)) < 0)
				goto out;
		}
		if (lhave > 0 && !hs_keycmp(lk, lkl, h.key.data, h.key.len) &&
		    (lhave = hs_rsort_next(live, &lk, &lkl, &lr, &lrl, e)) < 0)
			goto out;
		if (!hs_rrest_selected(p->r->opts, h.key.data, h.key.len)) {
			d->filtered++;
			skip = true;
		} else if (h.has_exp) {
			if (p->st->ttl == HS_TTL_ABSOLUTE) {
				if (h.exp_ms <= p->now_ms) {
					d->expired++;
					skip = true;
				}
				exp_ms = h.exp_ms;
			} else if (p->st->ttl == HS_TTL_RELATIVE) {
				rel_ms = h.exp_ms - p->st->captured_ms;
				if (rel_ms < 1)
					rel_ms = 1;
			}
		}
		if (skip) {
			/* read as the verifying pass read it, though not written */
			if (hs_rdec_value(p->dec, sc, &h, NULL))
				goto bad;
			continue;
		}
		n = hs_rrest_apply_key(p, d, sc, &h, exp_ms, rel_ms, e);
		if (n < 0)
			goto out;
		if (n > 0)
			goto bad;
		d->written++;
		hs_progress_add(p->r->progress, 1, hs_rscan_offset(sc) - at0);
		if (hs_rrest_maybe_flush(p, d, false, e))
			goto out;
	}
	while (lhave > 0) {
		hs_rrest_extra(p, d, lk, lkl);
		if ((lhave = hs_rsort_next(live, &lk, &lkl, &lr, &lrl, e)) < 0)
			goto out;
		if (hs_rrest_maybe_flush(p, d, false, e))
			goto out;
	}
	if (hs_rrest_maybe_flush(p, d, true, e))
		goto out;
	ret = 0;
	goto out;
bad:
	if (!hs_rscan_ioerr(sc))
		hs_err(e, HS_EXIT_DATA, "redis/db%d.jsonl line %zu: %s", d->src, hs_rscan_lineno(sc), hs_rscan_why(sc));
out:
	hs_rscan_free(sc);
	hs_rsort_free(live);
	hs_rscan_rec_release(&h);
	return ret;
}

int hs_rrest_entry_db(const char *name)
{
	const char *p = name;
	int n = 0;

	if (strncmp(p, "redis/db", 8))
		return -1;
	p += 8;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9' && n < 1000000)
		n = n * 10 + (*p++ - '0');
	return strcmp(p, ".jsonl") ? -1 : n;
}

/* Walk the archive once, applying. */
static int hs_rrest_run(hs_restore *r, hs_rrest_pass *p, hs_error *e)
{
	hs_rrest *st = r->state;
	hs_reader *rd = NULL;
	hs_reader_entry ent;
	const char *tm[] = { "TIME" };
	redisReply *t = NULL;
	int ret = -1, n;

	memset(p, 0, sizeof(*p));
	p->r = r;
	p->st = st;
	p->batch = r->profile && r->profile->redis && r->profile->redis->batch > 0 ? r->profile->redis->batch : 500;
	p->dec = hs_rdec_new();
	if (hs_redis_connect(&st->u, st->shown, 0, &p->c, e))
		goto out;
	if (!(t = hs_redis_cmd(p->c, e, 1, tm, NULL)))
		goto out;
	if (t->type != REDIS_REPLY_ARRAY || t->elements != 2) {
		hs_err(e, HS_EXIT_FAILURE, "redis TIME: unexpected reply");
		goto out;
	}
	p->now_ms = strtoll(t->element[0]->str, NULL, 10) * 1000 + strtoll(t->element[1]->str, NULL, 10) / 1000;
	freeReplyObject(t);
	{
		const char *info[] = { "INFO", "server" };
		const char *v;

		if (!(t = hs_redis_cmd(p->c, e, 2, info, NULL)))
			goto out;
		v = t->type == REDIS_REPLY_STRING ? strstr(t->str, "redis_version:") : NULL;
		if (v) {
			int major = atoi(v + 14), minor = 0;
			const char *dot = strchr(v + 14, '.');

			if (dot)
				minor = atoi(dot + 1);
			p->set_pxat = major > 6 || (major == 6 && minor >= 2);
		}
	}
	if (hs_reader_open(&rd, r->archive_path, e))
		goto out;
	while ((n = hs_reader_next(rd, &ent, e)) > 0) {
		int src = hs_rrest_entry_db(ent.name);
		hs_rrest_db *d;

		if (src < 0)
			continue;
		if (st->explicit_db && p->ndbs) {
			hs_err(e, HS_EXIT_USAGE, "--to-redis names db %d but the archive holds more than one redis db; give a URI without a db to restore each into its own",
			       st->u.db);
			goto out;
		}
		p->dbs = hs_xrealloc(p->dbs, (p->ndbs + 1) * sizeof(*p->dbs));
		d = &p->dbs[p->ndbs++];
		memset(d, 0, sizeof(*d));
		d->src = src;
		d->dst = st->explicit_db ? st->u.db : src;
		hs_progress_note(r->progress, ent.name);
		if (hs_rrest_db_entry(p, rd, d, e)) {
			hs_err_prefix(e, "redis '%s' db %d", st->shown, d->dst);
			goto out;
		}
	}
	if (n < 0)
		goto out;
	ret = 0;
out:
	if (t)
		freeReplyObject(t);
	hs_reader_free(rd);
	if (p->c)
		redisFree(p->c);
	p->c = NULL;
	free(p->queued);
	free(p->argp);
	free(p->argl);
	hs_ritems_release(&p->args);
	hs_rdec_free(p->dec);
	hs_buf_release(&p->resp);
	return ret;
}

json_t *hs_rrest_step(const hs_rrest *st, int db, const char *action, const char *fmt, ...)
{
	hs_buf target = HS_BUF_INIT, detail = HS_BUF_INIT;
	va_list ap;
	json_t *j;

	hs_buf_addf(&target, "redis://%s%s%s:%d/%d", strchr(st->u.host, ':') ? "[" : "", st->u.host,
		    strchr(st->u.host, ':') ? "]" : "", st->u.port, db);
	va_start(ap, fmt);
	hs_buf_vaddf(&detail, fmt, ap);
	va_end(ap);
	j = json_pack("{s:s, s:s, s:s}", "target", target.data, "action", action, "detail", detail.data);
	hs_buf_release(&target);
	hs_buf_release(&detail);
	return j;
}

/*
 * Apply: result is an array of steps like the
 * plan's, one per db, with the counts as numbers too.  After a failure the
 * last db's step is "failed" ("complete": false) and says exactly what
 * redis confirmed ("written", "deleted") and how many more were sent but
 * never confirmed ("unconfirmed": they may or may not have been applied);
 * every other key of the db was not written.  Writes are whole keys, so
 * running the same restore again finishes the job.
 */
int hs_redis_restore_apply(hs_restore *r, hs_error *e)
{
	hs_rrest_pass p;
	json_t *res = json_array();
	size_t i;
	int ret;

	if (!r->state) {
		json_decref(res);
		return hs_err(e, HS_EXIT_FAILURE, "redis restore: apply without a plan");
	}
	ret = hs_rrest_run(r, &p, e);
	for (i = 0; i < p.ndbs; i++) {
		const hs_rrest_db *d = &p.dbs[i];
		bool complete = !(ret && i + 1 == p.ndbs);
		uint64_t unconfirmed = d->written + d->deleted - d->acked_written - d->acked_deleted;
		json_t *step;

		if (complete)
			step = hs_rrest_step(r->state, d->dst, "wrote",
				"%llu keys of db %d written, %llu expired skipped, %llu extra deleted",
				(unsigned long long)d->written, d->src, (unsigned long long)d->expired,
				(unsigned long long)d->deleted);
		else
			step = hs_rrest_step(r->state, d->dst, "failed",
				"stopped: %llu keys of db %d written and %llu extra deleted (confirmed), "
				"%llu more sent but not confirmed, the rest not written; "
				"run the same restore again to finish",
				(unsigned long long)d->acked_written, d->src, (unsigned long long)d->acked_deleted,
				(unsigned long long)unconfirmed);
		json_object_set_new(step, "from_db", json_integer(d->src));
		json_object_set_new(step, "written",
				    json_integer((json_int_t)(complete ? d->written : d->acked_written)));
		json_object_set_new(step, "skipped_expired", json_integer((json_int_t)d->expired));
		json_object_set_new(step, "deleted",
				    json_integer((json_int_t)(complete ? d->deleted : d->acked_deleted)));
		if (!complete)
			json_object_set_new(step, "unconfirmed", json_integer((json_int_t)unconfirmed));
		json_object_set_new(step, "complete", json_boolean(complete));
		json_array_append_new(res, step);
		hs_info("redis", "db %d: wrote %llu keys, skipped %llu expired, deleted %llu", d->dst,
			(unsigned long long)(complete ? d->written : d->acked_written), (unsigned long long)d->expired,
			(unsigned long long)(complete ? d->deleted : d->acked_deleted));
	}
	r->result = res;
	free(p.dbs);
	return ret;
}
