/*
 * redis_plan.c - the Redis restore's plan, in two steps.
 *
 * Scan (hs_redis_restore_scan, during restore's verifying pass, before the
 * archive is known good, so without a connection): every record of each
 * redis/db<N>.jsonl entry is parsed as apply will parse it (a malformed one
 * fails here, before anything is written), and what the plan needs of it
 * is kept in a spool: its key, whether --include/--exclude select it, its
 * expiry.  The spool holds HS_RPLAN_MEM bytes in memory, the rest in an
 * unlinked temporary file, so any number of keys fits.
 *
 * Plan (hs_redis_restore_plan, once the archive is verified): connect, and
 * replay the spool against the target: keys whose absolute expiry has
 * passed are skipped, EXISTS in pipelined batches counts the keys that
 * would be overwritten (none are when the db is empty: DBSIZE 0), and with
 * --redis-mode replace a merge with the live keys (as apply does it)
 * counts those that would be deleted.  Nothing is changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "redis_restore.h"
#include "sources/redis/redis_decode.h"
#include "sources/redis/redis_scan.h"

#define HS_RPLAN_MEM ((size_t)8 << 20)
#define HS_RPLAN_SORT_MEM ((size_t)8 << 20)

enum { HS_RPLAN_SELECTED = 1, HS_RPLAN_EXP = 2 };

/* One db entry of the archive: its records are spooled one after the other. */
typedef struct hs_rplan_db {
	int src, dst;
	uint64_t records, filtered;
} hs_rplan_db;

struct hs_rplan {
	hs_rplan_db *dbs;
	size_t ndbs;
	hs_buf mem;                 /* spooled records not in the file */
	FILE *file;                 /* spooled records past HS_RPLAN_MEM, or NULL */
	uint64_t file_len;
	hs_rscan_rec h;
	hs_rdec *dec;               /* the record decoder's buffers */
	hs_buf key;                 /* reading back */
};

/* Reading the spool back from its start. */
typedef struct hs_rplan_cur {
	uint64_t file_pos;
	size_t mem_pos;
} hs_rplan_cur;

void hs_rplan_free(hs_rplan *p)
{
	if (!p)
		return;
	free(p->dbs);
	hs_buf_release(&p->mem);
	if (p->file)
		fclose(p->file);
	hs_rscan_rec_release(&p->h);
	hs_rdec_free(p->dec);
	hs_buf_release(&p->key);
	free(p);
}

/* Spool one record: flags, expiry when it has one, key length, key. */
static int hs_rplan_put(hs_rplan *p, unsigned flags, int64_t exp_ms, const hs_buf *key, hs_error *e)
{
	unsigned char f = (unsigned char)flags;
	uint32_t kl = (uint32_t)key->len;

	if (key->len > UINT32_MAX)
		return hs_err(e, HS_EXIT_DATA, "a redis key of %zu bytes is larger than restore takes", key->len);
	hs_buf_add(&p->mem, &f, 1);
	if (flags & HS_RPLAN_EXP)
		hs_buf_add(&p->mem, &exp_ms, sizeof(exp_ms));
	hs_buf_add(&p->mem, &kl, sizeof(kl));
	hs_buf_add(&p->mem, key->data, key->len);
	if (p->mem.len < HS_RPLAN_MEM)
		return 0;
	if (!p->file && !(p->file = tmpfile()))
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create a temporary file for the redis plan");
	if (fwrite(p->mem.data, 1, p->mem.len, p->file) != p->mem.len || fflush(p->file))
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write the redis plan's temporary file");
	p->file_len += p->mem.len;
	hs_buf_reset(&p->mem);
	return 0;
}

/* n bytes of the spool at the cursor (records never straddle the file and the memory). */
static int hs_rplan_read(hs_rplan *p, hs_rplan_cur *c, void *dst, size_t n, hs_error *e)
{
	if (c->file_pos < p->file_len) {
		if (!c->file_pos && fseeko(p->file, 0, SEEK_SET))
			return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot read the redis plan's temporary file");
		if (fread(dst, 1, n, p->file) != n)
			return hs_err(e, HS_EXIT_FAILURE, "cannot read the redis plan's temporary file: short read");
		c->file_pos += n;
		return 0;
	}
	if (c->mem_pos + n > p->mem.len)
		return hs_err(e, HS_EXIT_FAILURE, "redis plan: the spool ends early");
	memcpy(dst, p->mem.data + c->mem_pos, n);
	c->mem_pos += n;
	return 0;
}

/* The next spooled record: its flags, expiry and key (into p->key). */
static int hs_rplan_get(hs_rplan *p, hs_rplan_cur *c, unsigned *flags, int64_t *exp_ms, hs_error *e)
{
	unsigned char f;
	uint32_t kl;

	if (hs_rplan_read(p, c, &f, 1, e))
		return -1;
	*flags = f;
	*exp_ms = -1;
	if ((f & HS_RPLAN_EXP) && hs_rplan_read(p, c, exp_ms, sizeof(*exp_ms), e))
		return -1;
	if (hs_rplan_read(p, c, &kl, sizeof(kl), e))
		return -1;
	hs_buf_reset(&p->key);
	hs_buf_grow(&p->key, (size_t)kl + 1);
	if (hs_rplan_read(p, c, p->key.data, kl, e))
		return -1;
	p->key.len = kl;
	return 0;
}

/* What hs_rplan_record needs of the entry being scanned. */
typedef struct hs_rplan_ctx {
	hs_restore *r;
	hs_rplan *p;
	hs_rplan_db *d;
} hs_rplan_ctx;

/* One good record of the entry: count it and spool what the plan needs of it. */
static int hs_rplan_record(void *ctx, const hs_rscan_rec *h, hs_error *e)
{
	hs_rplan_ctx *c = ctx;
	unsigned flags = 0;

	c->d->records++;
	if (hs_rrest_selected(c->r->opts, h->key.data, h->key.len))
		flags |= HS_RPLAN_SELECTED;
	else
		c->d->filtered++;
	if (h->has_exp)
		flags |= HS_RPLAN_EXP;
	return hs_rplan_put(c->p, flags, h->exp_ms, &h->key, e);
}

/*
 * Scan one redis/db<N>.jsonl entry: read every record whole through the
 * one decoder (redis_decode.h: hs_rdec_entry, as `verify` reads it too),
 * as apply reads it, so that a malformed one is refused here, before
 * anything is written; spool what the plan needs.
 */
static int hs_rplan_db_entry(hs_restore *r, hs_rplan *p, hs_reader *rd, const char *name, hs_rplan_db *d,
			     hs_error *e)
{
	hs_rplan_ctx c = { r, p, d };

	return hs_rdec_entry(p->dec, rd, name, &p->h, hs_rplan_record, &c, e);
}

int hs_redis_restore_scan(hs_restore *r, hs_reader *rd, const hs_reader_entry *ent, hs_error *e)
{
	hs_rrest *st = r->state;
	hs_rplan *p;
	hs_rplan_db *d;
	int src = hs_rrest_entry_db(ent->name);

	if (!st) {
		if (hs_rrest_setup(r, &st, e))
			return -1;
		r->state = st;
		st->scan = hs_xcalloc(1, sizeof(*st->scan));
	}
	p = st->scan;
	if (src < 0)
		return 0;
	if (!p->dec)
		p->dec = hs_rdec_new();
	if (st->explicit_db && p->ndbs)
		return hs_err(e, HS_EXIT_USAGE, "--to-redis names db %d but the archive holds more than one redis db; give a URI without a db to restore each into its own",
			      st->u.db);
	p->dbs = hs_xrealloc(p->dbs, (p->ndbs + 1) * sizeof(*p->dbs));
	d = &p->dbs[p->ndbs++];
	memset(d, 0, sizeof(*d));
	d->src = src;
	d->dst = st->explicit_db ? st->u.db : src;
	if (hs_rplan_db_entry(r, p, rd, ent->name, d, e)) {
		/* the reader's error is the archive's, reported as it is */
		if (e->code != HS_EXIT_INTEGRITY)
			hs_err_prefix(e, "redis '%s' db %d", st->shown, d->dst);
		return -1;
	}
	return 0;
}

/* `verify`: every record of every db entry, as the scan above reads them (nothing spooled). */
int hs_redis_entry_check(const char *archive, hs_reader *rd, const hs_reader_entry *ent, hs_error *e)
{
	hs_rscan_rec h = HS_RSCAN_REC_INIT;
	hs_rdec *dec;
	int rc;

	(void)archive;
	if (hs_rrest_entry_db(ent->name) < 0)
		return 0;
	dec = hs_rdec_new();
	rc = hs_rdec_entry(dec, rd, ent->name, &h, NULL, NULL, e);
	hs_rdec_free(dec);
	hs_rscan_rec_release(&h);
	return rc;
}

/* ------------------------------------------------------------ the plan */

/* The plan's counts of one db. */
typedef struct hs_rplan_count {
	uint64_t written, expired, existing, deleted;
} hs_rplan_count;

/* EXISTS of the keys gathered in args (nargs of them), pipelined: two in flight. */
typedef struct hs_rplan_exists {
	redisContext *c;
	hs_buf args, cmd;
	size_t nargs, pending;
	int batch;
} hs_rplan_exists;

/* Read one EXISTS reply and count the keys it found. */
static int hs_rplan_exists_read(hs_rplan_exists *x, hs_rplan_count *n, hs_error *e)
{
	redisReply *rep = hs_redis_get_reply(x->c, e);

	if (!rep)
		return -1;
	if (rep->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(rep);
		return hs_err(e, HS_EXIT_FAILURE, "redis EXISTS: unexpected reply");
	}
	n->existing += (uint64_t)rep->integer;
	freeReplyObject(rep);
	x->pending--;
	return 0;
}

/* Send the gathered keys as one EXISTS; with last, read every reply outstanding. */
static int hs_rplan_exists_send(hs_rplan_exists *x, hs_rplan_count *n, bool last, hs_error *e)
{
	if (x->nargs) {
		hs_buf_reset(&x->cmd);
		hs_buf_addf(&x->cmd, "*%zu\r\n$6\r\nEXISTS\r\n", x->nargs + 1);
		hs_buf_add(&x->cmd, x->args.data, x->args.len);
		if (redisAppendFormattedCommand(x->c, x->cmd.data, x->cmd.len) != REDIS_OK)
			return hs_err(e, HS_EXIT_FAILURE, "redis write failed: out of memory");
		hs_buf_reset(&x->args);
		x->nargs = 0;
		x->pending++;
	}
	while (x->pending > (last ? 0u : 1u))
		if (hs_rplan_exists_read(x, n, e))
			return -1;
	return 0;
}

/* A key for the next EXISTS, in RESP. */
static int hs_rplan_exists_add(hs_rplan_exists *x, hs_rplan_count *n, const hs_buf *key, hs_error *e)
{
	hs_buf_addf(&x->args, "$%zu\r\n", key->len);
	hs_buf_add(&x->args, key->data, key->len);
	hs_buf_add(&x->args, "\r\n", 2);
	if (++x->nargs < (size_t)x->batch)
		return 0;
	return hs_rplan_exists_send(x, n, false, e);
}

/*
 * Replay db d's spooled records against the target (its db selected):
 * the counts apply would make, and EXISTS for the keys it would write
 * unless the db is empty.
 */
static int hs_rplan_db_count(hs_restore *r, hs_rplan_exists *x, hs_rplan_cur *cur, const hs_rplan_db *d,
			     int64_t now_ms, hs_rplan_count *n, hs_error *e)
{
	hs_rrest *st = r->state;
	hs_rplan *p = st->scan;
	hs_rsort *live = NULL;
	const char *lk = NULL, *lr;
	size_t lkl = 0, lrl;
	const char *dbsize[] = { "DBSIZE" };
	redisReply *rep = NULL;
	bool empty;
	int lhave = 0, ret = -1;
	uint64_t i;

	if (!(rep = hs_redis_cmd(x->c, e, 1, dbsize, NULL)))
		goto out;
	empty = rep->type == REDIS_REPLY_INTEGER && rep->integer == 0;
	if (st->replace && !empty) {
		live = hs_rsort_new(HS_RPLAN_SORT_MEM, true);
		if (hs_rrest_live_keys(x->c, r, d->src, live, e))
			goto out;
		if ((lhave = hs_rsort_next(live, &lk, &lkl, &lr, &lrl, e)) < 0)
			goto out;
	}
	for (i = 0; i < d->records; i++) {
		unsigned flags;
		int64_t exp_ms;

		if (hs_rplan_get(p, cur, &flags, &exp_ms, e))
			goto out;
		/* live keys before this one are not in the archive */
		while (lhave > 0 && hs_keycmp(lk, lkl, p->key.data, p->key.len) < 0) {
			if (hs_rrest_selected(r->opts, lk, lkl))
				n->deleted++;
			if ((lhave = hs_rsort_next(live, &lk, &lkl, &lr, &lrl, e)) < 0)
				goto out;
		}
		if (lhave > 0 && !hs_keycmp(lk, lkl, p->key.data, p->key.len) &&
		    (lhave = hs_rsort_next(live, &lk, &lkl, &lr, &lrl, e)) < 0)
			goto out;
		if (!(flags & HS_RPLAN_SELECTED))
			continue;
		if ((flags & HS_RPLAN_EXP) && st->ttl == HS_TTL_ABSOLUTE && exp_ms <= now_ms) {
			n->expired++;
			continue;
		}
		n->written++;
		if (!empty && hs_rplan_exists_add(x, n, &p->key, e))
			goto out;
	}
	while (lhave > 0) {
		if (hs_rrest_selected(r->opts, lk, lkl))
			n->deleted++;
		if ((lhave = hs_rsort_next(live, &lk, &lkl, &lr, &lrl, e)) < 0)
			goto out;
	}
	if (hs_rplan_exists_send(x, n, true, e))
		goto out;
	ret = 0;
out:
	if (rep)
		freeReplyObject(rep);
	hs_rsort_free(live);
	return ret;
}

/* The target's clock, unix ms (expiries are judged by it, as apply does). */
static int hs_rplan_now(redisContext *c, int64_t *now_ms, hs_error *e)
{
	const char *tm[] = { "TIME" };
	redisReply *t = hs_redis_cmd(c, e, 1, tm, NULL);

	if (!t)
		return -1;
	if (t->type != REDIS_REPLY_ARRAY || t->elements != 2 || t->element[0]->type != REDIS_REPLY_STRING ||
	    t->element[1]->type != REDIS_REPLY_STRING) {
		freeReplyObject(t);
		return hs_err(e, HS_EXIT_FAILURE, "redis TIME: unexpected reply");
	}
	*now_ms = strtoll(t->element[0]->str, NULL, 10) * 1000 + strtoll(t->element[1]->str, NULL, 10) / 1000;
	freeReplyObject(t);
	return 0;
}

int hs_redis_restore_plan(hs_restore *r, hs_error *e)
{
	hs_rrest *st = r->state;
	hs_rplan *p;
	hs_rplan_exists x;
	hs_rplan_cur cur = { 0, 0 };
	json_t *plan = NULL;
	int64_t now_ms = 0;
	size_t i;
	int ret = -1;

	memset(&x, 0, sizeof(x));
	if (!st) {   /* the scan saw no entry (it sees at least the manifest): set up here */
		if (hs_rrest_setup(r, &st, e))
			goto out;
		r->state = st;
		st->scan = hs_xcalloc(1, sizeof(*st->scan));
	}
	p = st->scan;
	x.batch = r->profile && r->profile->redis && r->profile->redis->batch > 0 ? r->profile->redis->batch : 500;
	if (hs_redis_connect(&st->u, st->shown, 0, &x.c, e) || hs_rplan_now(x.c, &now_ms, e))
		goto out;
	plan = json_array();
	for (i = 0; i < p->ndbs; i++) {
		const hs_rplan_db *d = &p->dbs[i];
		hs_rplan_count n = { 0, 0, 0, 0 };

		if (hs_redis_select(x.c, d->dst, e) || hs_rplan_db_count(r, &x, &cur, d, now_ms, &n, e)) {
			hs_err_prefix(e, "redis '%s' db %d", st->shown, d->dst);
			goto out;
		}
		json_array_append_new(plan, hs_rrest_step(st, d->dst, "write",
			"write %llu keys of db %d (%llu exist and will be replaced whole), mode %s, ttl %s",
			(unsigned long long)n.written, d->src, (unsigned long long)n.existing,
			st->replace ? "replace" : "merge", r->opts->redis_ttl ? r->opts->redis_ttl : "absolute"));
		if (n.expired)
			json_array_append_new(plan, hs_rrest_step(st, d->dst, "skip",
				"skip %llu keys whose expiry has passed since the snapshot",
				(unsigned long long)n.expired));
		if (d->filtered)
			json_array_append_new(plan, hs_rrest_step(st, d->dst, "skip",
				"skip %llu keys not selected by --include/--exclude",
				(unsigned long long)d->filtered));
		if (st->replace)
			json_array_append_new(plan, hs_rrest_step(st, d->dst, "delete",
				"delete %llu live keys matching the capture's patterns that the archive does not hold",
				(unsigned long long)n.deleted));
	}
	if (!p->ndbs)
		json_array_append_new(plan, hs_rrest_step(st, st->u.db, "none", "the archive holds no redis keys"));
	r->plan = plan;
	plan = NULL;
	ret = 0;
out:
	json_decref(plan);
	if (x.c)
		redisFree(x.c);
	hs_buf_release(&x.args);
	hs_buf_release(&x.cmd);
	return ret;
}
