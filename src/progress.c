#include "progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "textsafe.h"

struct hs_progress {
	char source[32];
	char note[96];
	uint64_t items;
	uint64_t bytes;
	double started;
	double drawn;
	pthread_mutex_t lock;
};

static bool hs_progress_on;

void hs_progress_enable(bool on)
{
	hs_progress_on = on;
}

bool hs_progress_enabled(void)
{
	return hs_progress_on;
}

static double hs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hs_human(char *out, size_t n, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void hs_progress_draw(hs_progress *p, bool final)
{
	char bytes[32], rate[32];
	double el = hs_now() - p->started;

	hs_human(bytes, sizeof(bytes), (double)p->bytes);
	hs_human(rate, sizeof(rate), el > 0 ? (double)p->bytes / el : 0);
	/* the note may name a collection or key: escaped, the line stays one line */
	hs_text_fprintf(stderr, "\r\033[K%-6s %12llu items  %10s  %10s/s  %s", p->source,
			(unsigned long long)p->items, bytes, rate, p->note);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

hs_progress *hs_progress_new(const char *source)
{
	hs_progress *p = hs_xcalloc(1, sizeof(*p));

	snprintf(p->source, sizeof(p->source), "%s", source ? source : "");
	p->started = hs_now();
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void hs_progress_add(hs_progress *p, uint64_t items, uint64_t bytes)
{
	double now;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->items += items;
	p->bytes += bytes;
	if (hs_progress_on) {
		now = hs_now();
		if (now - p->drawn >= 0.2) {
			p->drawn = now;
			hs_progress_draw(p, false);
		}
	}
	pthread_mutex_unlock(&p->lock);
}

void hs_progress_note(hs_progress *p, const char *note)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	snprintf(p->note, sizeof(p->note), "%s", note ? note : "");
	pthread_mutex_unlock(&p->lock);
}

void hs_progress_done(hs_progress *p)
{
	if (!p)
		return;
	if (hs_progress_on)
		hs_progress_draw(p, true);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
