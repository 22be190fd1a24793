/*
 * prefetch.c - the archive reader in a thread; see prefetch.h.
 *
 * The thread fills a ring of HS_PREFETCH_SLOTS messages, in archive order:
 * an entry's start (name, size, source), its data slices, its end; the
 * end of the archive or the reader's error last.  The consumer takes them
 * in the same order; a slice is given back to the ring once it is read
 * whole.  A mutex and two condition variables, nothing else shared.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "prefetch.h"

#define HS_PF_SLICE 65536

enum hs_pf_kind { HS_PF_ENTRY, HS_PF_DATA, HS_PF_END, HS_PF_EOF, HS_PF_ERROR };

typedef struct hs_pf_msg {
	enum hs_pf_kind kind;
	char *name, *source;        /* HS_PF_ENTRY: owned */
	uint64_t size;
	char *buf;                  /* HS_PF_DATA: HS_PF_SLICE bytes, the slot's own */
	size_t len;
	hs_error err;               /* HS_PF_ERROR */
} hs_pf_msg;

struct hs_prefetch {
	hs_reader *rd;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t filled, emptied;
	hs_pf_msg ring[HS_PREFETCH_SLOTS];
	size_t head, count;         /* consumer side: ring[head] is the oldest of count */
	bool stop;                  /* the consumer is done: the thread ends */
	/* consumer's own */
	hs_pf_msg *cur;             /* the slice being read, at offset off */
	size_t off;
	bool in_entry, done, failed;
	hs_error err;               /* the end or the error, sticky */
	char *name, *source;        /* the current entry's, for *ent */
	uint64_t size;
};

/* Thread: wait for a free slot (NULL when told to stop). */
static hs_pf_msg *hs_pf_slot(hs_prefetch *p)
{
	hs_pf_msg *m = NULL;

	pthread_mutex_lock(&p->mu);
	while (p->count == HS_PREFETCH_SLOTS && !p->stop)
		pthread_cond_wait(&p->emptied, &p->mu);
	if (!p->stop)
		m = &p->ring[(p->head + p->count) % HS_PREFETCH_SLOTS];
	pthread_mutex_unlock(&p->mu);
	return m;
}

/* Thread: hand the slot just filled to the consumer. */
static void hs_pf_publish(hs_prefetch *p)
{
	pthread_mutex_lock(&p->mu);
	p->count++;
	pthread_cond_signal(&p->filled);
	pthread_mutex_unlock(&p->mu);
}

/* The thread: read the archive through, slice by slice, into the ring. */
static void *hs_pf_main(void *arg)
{
	hs_prefetch *p = arg;
	hs_reader_entry ent;
	bool in_entry = false;

	for (;;) {
		hs_pf_msg *m = hs_pf_slot(p);
		int k;

		if (!m)
			break;
		hs_error_init(&m->err);
		if (!in_entry) {
			k = hs_reader_next(p->rd, &ent, &m->err);
			m->kind = k < 0 ? HS_PF_ERROR : k == 0 ? HS_PF_EOF : HS_PF_ENTRY;
			if (k > 0) {
				m->name = hs_xstrdup(ent.name);
				m->source = ent.source ? hs_xstrdup(ent.source) : NULL;
				m->size = ent.size;
				in_entry = true;
			}
		} else {
			ssize_t n = hs_reader_read(p->rd, m->buf, HS_PF_SLICE, &m->err);

			m->kind = n < 0 ? HS_PF_ERROR : n == 0 ? HS_PF_END : HS_PF_DATA;
			m->len = n > 0 ? (size_t)n : 0;
			if (n == 0)
				in_entry = false;
		}
		k = m->kind == HS_PF_ERROR || m->kind == HS_PF_EOF;
		hs_pf_publish(p);
		if (k)
			break;
	}
	return NULL;
}

int hs_prefetch_open(hs_prefetch **out, const char *path, hs_error *e)
{
	hs_prefetch *p = hs_xcalloc(1, sizeof(*p));
	size_t i;

	*out = NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->filled, NULL);
	pthread_cond_init(&p->emptied, NULL);
	for (i = 0; i < HS_PREFETCH_SLOTS; i++)
		p->ring[i].buf = hs_xmalloc(HS_PF_SLICE);
	if (hs_reader_open(&p->rd, path, e))
		goto fail;
	if (pthread_create(&p->thread, NULL, hs_pf_main, p)) {
		hs_err(e, HS_EXIT_FAILURE, "cannot read '%s': cannot start a thread", path);
		goto fail;
	}
	p->started = true;
	*out = p;
	return 0;
fail:
	hs_prefetch_free(p);
	return -1;
}

/* Consumer: the oldest message (waiting for one). */
static hs_pf_msg *hs_pf_take(hs_prefetch *p)
{
	hs_pf_msg *m;

	pthread_mutex_lock(&p->mu);
	while (!p->count)
		pthread_cond_wait(&p->filled, &p->mu);
	m = &p->ring[p->head];
	pthread_mutex_unlock(&p->mu);
	return m;
}

/* Consumer: give the oldest message's slot back. */
static void hs_pf_release(hs_prefetch *p)
{
	hs_pf_msg *m = &p->ring[p->head];

	if (m->kind == HS_PF_ENTRY) {
		free(p->name);
		free(p->source);
		p->name = m->name;       /* the entry's strings stay the consumer's */
		p->source = m->source;
		p->size = m->size;
		m->name = m->source = NULL;
	}
	pthread_mutex_lock(&p->mu);
	p->head = (p->head + 1) % HS_PREFETCH_SLOTS;
	p->count--;
	pthread_cond_signal(&p->emptied);
	pthread_mutex_unlock(&p->mu);
}

/* Consumer: the end of the archive or the error, once seen (sticky). */
static int hs_pf_final(hs_prefetch *p, const hs_pf_msg *m, hs_error *e)
{
	p->done = true;
	if (m->kind == HS_PF_ERROR) {
		p->failed = true;
		p->err = m->err;
	}
	hs_pf_release(p);
	if (p->failed) {
		*e = p->err;
		return -1;
	}
	return 0;
}

int hs_prefetch_next(hs_prefetch *p, hs_reader_entry *ent, hs_error *e)
{
	for (;;) {
		hs_pf_msg *m;

		if (p->done) {
			if (p->failed)
				*e = p->err;
			return p->failed ? -1 : 0;
		}
		m = p->cur ? p->cur : hs_pf_take(p);
		p->cur = NULL;
		p->off = 0;
		if (m->kind == HS_PF_EOF || m->kind == HS_PF_ERROR)
			return hs_pf_final(p, m, e) ? -1 : 0;
		if (m->kind != HS_PF_ENTRY) {   /* the rest of the entry before: read, and dropped */
			hs_pf_release(p);
			continue;
		}
		hs_pf_release(p);
		p->in_entry = true;
		ent->name = p->name;
		ent->size = p->size;
		ent->source = p->source;
		return 1;
	}
}

ssize_t hs_prefetch_read(hs_prefetch *p, void *buf, size_t n, hs_error *e)
{
	hs_pf_msg *m;
	size_t k;

	if (p->failed) {
		*e = p->err;
		return -1;
	}
	if (!p->in_entry || p->done)
		return 0;
	m = p->cur ? p->cur : hs_pf_take(p);
	if (m->kind == HS_PF_END) {
		p->in_entry = false;
		hs_pf_release(p);
		return 0;
	}
	if (m->kind == HS_PF_ERROR || m->kind == HS_PF_EOF)
		return hs_pf_final(p, m, e);
	k = m->len - p->off < n ? m->len - p->off : n;
	memcpy(buf, m->buf + p->off, k);
	p->off += k;
	p->cur = m;
	if (p->off == m->len) {
		p->cur = NULL;
		p->off = 0;
		hs_pf_release(p);
	}
	return (ssize_t)k;
}

void hs_prefetch_free(hs_prefetch *p)
{
	size_t i;

	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->stop = true;
		pthread_cond_signal(&p->emptied);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
	}
	for (i = 0; i < HS_PREFETCH_SLOTS; i++) {
		free(p->ring[i].buf);
		free(p->ring[i].name);
		free(p->ring[i].source);
	}
	free(p->name);
	free(p->source);
	hs_reader_free(p->rd);
	pthread_cond_destroy(&p->filled);
	pthread_cond_destroy(&p->emptied);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
