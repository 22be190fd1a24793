/*
 * extsort.c - external sort of (key, record) pairs by key bytes, so that
 * redis/db<N>.jsonl comes out sorted with bounded memory whatever the size
 * of the keyspace (SCAN returns keys in hash-slot order).
 *
 * Pairs go into one arena; when it passes the memory limit its pairs are
 * sorted and written as a run ([u32 klen][u32 rlen][key][record]...) to an
 * unlinked temporary file (tmpfile(3): $TMPDIR is not consulted by glibc,
 * it uses P_tmpdir).  Reading merges the runs with a binary heap ordered
 * by (key, run number), so equal keys come out in the order they were
 * added and dedup keeps the first.  Runs have levels: a spilled run is level
 * 0, and whenever the newest HS_RSORT_FANIN runs share a level they are
 * merged into one run of the next level in their place (the same order,
 * nothing dropped).  So the open temporary files stay few (HS_RSORT_FANIN
 * per level) however much is sorted, and each pair is rewritten once per
 * level: O(n log n) in all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "extsort.h"

#define HS_RSORT_FANIN 16

int hs_keycmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

typedef struct hs_rsort_run {
	FILE *f;
	hs_buf cur;        /* current pair: key then record */
	size_t klen, rlen;
	bool live;
	unsigned level;    /* 0: spilled from memory; n + 1: HS_RSORT_FANIN level-n runs merged */
} hs_rsort_run;

struct hs_rsort {
	size_t limit;
	bool dedup;
	hs_buf arena;      /* [u32 klen][u32 rlen][key][rec]... */
	size_t *idx;       /* offsets of pairs in arena */
	size_t n, cap;
	uint64_t count, dups;
	hs_rsort_run *runs;
	size_t nruns;
	size_t spills;     /* runs written, merged ones included */
	/* reading */
	bool reading;
	size_t pos;        /* in-memory reading: next index */
	size_t *heap;      /* run numbers */
	size_t nheap;
	hs_buf last;       /* last key returned (dedup) */
	bool have_last;
	hs_buf out;        /* the pair handed out (runs) */
};

hs_rsort *hs_rsort_new(size_t mem_limit, bool dedup)
{
	hs_rsort *s = hs_xcalloc(1, sizeof(*s));

	s->limit = mem_limit ? mem_limit : 1;
	s->dedup = dedup;
	return s;
}

void hs_rsort_free(hs_rsort *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nruns; i++) {
		if (s->runs[i].f)
			fclose(s->runs[i].f);
		hs_buf_release(&s->runs[i].cur);
	}
	free(s->runs);
	free(s->heap);
	free(s->idx);
	hs_buf_release(&s->arena);
	hs_buf_release(&s->last);
	hs_buf_release(&s->out);
	free(s);
}

static void hs_rsort_pair(const hs_rsort *s, size_t off, const char **k, size_t *kl,
			  const char **r, size_t *rl)
{
	uint32_t a, b;

	memcpy(&a, s->arena.data + off, 4);
	memcpy(&b, s->arena.data + off + 4, 4);
	*k = s->arena.data + off + 8;
	*kl = a;
	*r = *k + a;
	*rl = b;
}

static _Thread_local const hs_rsort *hs_rsort_cur;

static int hs_rsort_cmp(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	const char *ka, *kb, *r;
	size_t la, lb, rl;
	int c;

	hs_rsort_pair(hs_rsort_cur, a, &ka, &la, &r, &rl);
	hs_rsort_pair(hs_rsort_cur, b, &kb, &lb, &r, &rl);
	c = hs_keycmp(ka, la, kb, lb);
	if (c)
		return c;
	return a < b ? -1 : a > b;   /* offsets grow with insertion: stable */
}

static void hs_rsort_sort_mem(hs_rsort *s)
{
	if (s->n < 2)
		return;
	hs_rsort_cur = s;
	qsort(s->idx, s->n, sizeof(*s->idx), hs_rsort_cmp);
	hs_rsort_cur = NULL;
}

static int hs_rsort_compact(hs_rsort *s, hs_error *e);

/* Sort the arena and write it out as a new run; the arena is emptied. */
static int hs_rsort_spill(hs_rsort *s, hs_error *e)
{
	FILE *f = tmpfile();
	size_t i;

	if (!f)
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create a temporary file for sorting redis keys");
	hs_rsort_sort_mem(s);
	for (i = 0; i < s->n; i++) {
		const char *k, *r;
		size_t kl, rl;

		hs_rsort_pair(s, s->idx[i], &k, &kl, &r, &rl);
		if (fwrite(s->arena.data + s->idx[i], 1, 8 + kl + rl, f) != 8 + kl + rl) {
			int err = errno;

			fclose(f);
			return hs_err_errno(e, HS_EXIT_FAILURE, err, "cannot write a sort run of redis keys");
		}
	}
	if (fflush(f) || fseek(f, 0, SEEK_SET)) {
		int err = errno;

		fclose(f);
		return hs_err_errno(e, HS_EXIT_FAILURE, err, "cannot write a sort run of redis keys");
	}
	s->runs = hs_xrealloc(s->runs, (s->nruns + 1) * sizeof(*s->runs));
	memset(&s->runs[s->nruns], 0, sizeof(s->runs[0]));
	s->runs[s->nruns].f = f;
	s->nruns++;
	s->spills++;
	s->n = 0;
	hs_buf_reset(&s->arena);     /* keep the capacity: one allocation for all runs */
	return hs_rsort_compact(s, e);
}

int hs_rsort_add(hs_rsort *s, const void *key, size_t klen, const void *rec, size_t rlen,
		 hs_error *e)
{
	uint32_t a = (uint32_t)klen, b = (uint32_t)rlen;

	if (s->reading)
		return hs_err(e, HS_EXIT_FAILURE, "redis key sorter: add after reading began");
	if (klen > UINT32_MAX || rlen > UINT32_MAX)
		return hs_err(e, HS_EXIT_FAILURE, "redis record larger than 4 GiB");
	if (!s->arena.cap)
		hs_buf_grow(&s->arena, s->limit + 65536);   /* sized once, never doubled past the limit */
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->idx = hs_xrealloc(s->idx, s->cap * sizeof(*s->idx));
	}
	s->idx[s->n++] = s->arena.len;
	hs_buf_grow(&s->arena, 8 + klen + rlen);
	hs_buf_add(&s->arena, &a, 4);
	hs_buf_add(&s->arena, &b, 4);
	hs_buf_add(&s->arena, key, klen);
	hs_buf_add(&s->arena, rec, rlen);
	s->count++;
	if (s->arena.len + s->n * sizeof(size_t) >= s->limit)
		return hs_rsort_spill(s, e);
	return 0;
}

/* Load the next pair of run i into its buffer; live=false at its end. */
static int hs_rsort_load(hs_rsort_run *run, hs_error *e)
{
	uint32_t hdr[2];
	size_t got = fread(hdr, 1, 8, run->f);

	if (got == 0 && feof(run->f)) {
		run->live = false;
		return 0;
	}
	if (got != 8)
		return hs_err(e, HS_EXIT_FAILURE, "cannot read a sort run of redis keys: truncated");
	run->klen = hdr[0];
	run->rlen = hdr[1];
	hs_buf_reset(&run->cur);
	hs_buf_grow(&run->cur, run->klen + run->rlen);
	if (fread(run->cur.data, 1, run->klen + run->rlen, run->f) != run->klen + run->rlen)
		return hs_err(e, HS_EXIT_FAILURE, "cannot read a sort run of redis keys: truncated");
	run->cur.len = run->klen + run->rlen;
	run->cur.data[run->cur.len] = '\0';
	run->live = true;
	return 0;
}

static bool hs_rsort_less(const hs_rsort *s, size_t a, size_t b)
{
	const hs_rsort_run *x = &s->runs[a], *y = &s->runs[b];
	int c = hs_keycmp(x->cur.data, x->klen, y->cur.data, y->klen);

	return c < 0 || (c == 0 && a < b);
}

static void hs_rsort_sift_down(hs_rsort *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < s->nheap && hs_rsort_less(s, s->heap[l], s->heap[m]))
			m = l;
		if (r < s->nheap && hs_rsort_less(s, s->heap[r], s->heap[m]))
			m = r;
		if (m == i)
			return;
		t = s->heap[i];
		s->heap[i] = s->heap[m];
		s->heap[m] = t;
		i = m;
	}
}

/* Load the first pair of runs from.. and heapify them (s->heap, s->nheap). */
static int hs_rsort_heap_init(hs_rsort *s, size_t from, hs_error *e)
{
	size_t i;

	free(s->heap);
	s->heap = hs_xmalloc((s->nruns - from) * sizeof(*s->heap));
	s->nheap = 0;
	for (i = from; i < s->nruns; i++) {
		if (hs_rsort_load(&s->runs[i], e))
			return -1;
		if (s->runs[i].live)
			s->heap[s->nheap++] = i;
	}
	for (i = s->nheap / 2; i-- > 0;)
		hs_rsort_sift_down(s, i);
	return 0;
}

/*
 * Merge runs from.. (the newest, contiguous) into one new run in their
 * place, in (key, run number) order, so that for equal keys the merged run
 * still comes after the older runs and before none.
 */
static int hs_rsort_merge_tail(hs_rsort *s, size_t from, unsigned level, hs_error *e)
{
	FILE *f = tmpfile();
	size_t i;
	int rc = -1;

	if (!f)
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create a temporary file for sorting redis keys");
	if (hs_rsort_heap_init(s, from, e))
		goto out;
	while (s->nheap) {
		hs_rsort_run *run = &s->runs[s->heap[0]];
		uint32_t hdr[2] = { (uint32_t)run->klen, (uint32_t)run->rlen };

		if (fwrite(hdr, 1, 8, f) != 8 || fwrite(run->cur.data, 1, run->cur.len, f) != run->cur.len) {
			hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write a sort run of redis keys");
			goto out;
		}
		if (hs_rsort_load(run, e))
			goto out;
		if (!run->live)
			s->heap[0] = s->heap[--s->nheap];
		hs_rsort_sift_down(s, 0);
	}
	if (fflush(f) || fseek(f, 0, SEEK_SET)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write a sort run of redis keys");
		goto out;
	}
	for (i = from; i < s->nruns; i++) {
		fclose(s->runs[i].f);
		hs_buf_release(&s->runs[i].cur);
	}
	memset(&s->runs[from], 0, sizeof(s->runs[from]));
	s->runs[from].f = f;
	s->runs[from].level = level;
	f = NULL;
	s->nruns = from + 1;
	s->spills++;
	rc = 0;
out:
	if (f)
		fclose(f);
	free(s->heap);
	s->heap = NULL;
	s->nheap = 0;
	return rc;
}

/* While the newest HS_RSORT_FANIN runs share a level, merge them one level up. */
static int hs_rsort_compact(hs_rsort *s, hs_error *e)
{
	for (;;) {
		unsigned level = s->runs[s->nruns - 1].level;
		size_t n = 0;

		while (n < s->nruns && s->runs[s->nruns - 1 - n].level == level)
			n++;
		if (n < HS_RSORT_FANIN)
			return 0;
		if (hs_rsort_merge_tail(s, s->nruns - n, level + 1, e))
			return -1;
	}
}

/* Switch to reading: sort in memory, or spill the rest and build the heap. */
static int hs_rsort_start(hs_rsort *s, hs_error *e)
{
	s->reading = true;
	if (!s->nruns) {
		hs_rsort_sort_mem(s);
		return 0;
	}
	if (s->n && hs_rsort_spill(s, e))
		return -1;
	return hs_rsort_heap_init(s, 0, e);
}

/* The next pair before dedup. */
static int hs_rsort_next_raw(hs_rsort *s, const char **k, size_t *kl, const char **r, size_t *rl,
			     hs_error *e)
{
	hs_rsort_run *run;

	if (!s->nruns) {
		if (s->pos >= s->n)
			return 0;
		hs_rsort_pair(s, s->idx[s->pos++], k, kl, r, rl);
		return 1;
	}
	if (!s->nheap)
		return 0;
	run = &s->runs[s->heap[0]];
	hs_buf_reset(&s->out);
	hs_buf_add(&s->out, run->cur.data, run->cur.len);
	*k = s->out.data;
	*kl = run->klen;
	*r = s->out.data + run->klen;
	*rl = run->rlen;
	if (hs_rsort_load(run, e))
		return -1;
	if (!run->live)
		s->heap[0] = s->heap[--s->nheap];
	hs_rsort_sift_down(s, 0);
	return 1;
}

int hs_rsort_next(hs_rsort *s, const char **key, size_t *klen, const char **rec, size_t *rlen,
		  hs_error *e)
{
	if (!s->reading && hs_rsort_start(s, e))
		return -1;
	for (;;) {
		int rc = hs_rsort_next_raw(s, key, klen, rec, rlen, e);

		if (rc <= 0)
			return rc;
		if (s->dedup && s->have_last &&
		    !hs_keycmp(*key, *klen, s->last.data, s->last.len)) {
			s->dups++;
			continue;
		}
		if (s->dedup) {
			hs_buf_reset(&s->last);
			hs_buf_add(&s->last, *key, *klen);
			s->have_last = true;
		}
		return 1;
	}
}

uint64_t hs_rsort_count(const hs_rsort *s)
{
	return s->count;
}

uint64_t hs_rsort_dups(const hs_rsort *s)
{
	return s->dups;
}

size_t hs_rsort_runs(const hs_rsort *s)
{
	return s->spills;
}
