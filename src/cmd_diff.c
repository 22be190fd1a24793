/*
 * cmd_diff.c - `hivesnap diff A B [--only SOURCES] [--details] [--limit N] [--json]`.
 *
 * What changed from archive A (older) to archive B (newer).  Both archives
 * are read through and verified in full (one pass each, during which the
 * entries are compared) before anything is printed, so nothing is ever
 * printed as a diff of a corrupt archive (exit 4).  Then:
 *
 *  1. entry level, from the two manifests: entries only in B (added), only
 *     in A (removed), in both with a different sha256 (changed).  Entries
 *     that change at every capture and carry no data of their own are
 *     left out: hivesnap.json (creation time, host) and redis/server.json
 *     (replication offset and times at the scan);
 *  2. record level, for changed entries a module understands (src/diff.h):
 *     redis/db<N>.jsonl key by key, mongo/<db>/<coll>.bson document by
 *     document (_id) and their .metadata.json (options, indexes by name),
 *     kafka/groups/<group>.json partition by partition,
 *     k8s ConfigMaps key by key and Deployments / HPAs field by field.
 *     Both archives are read once, in step, and a changed entry is merged
 *     straight from the two readers as it comes (an entry whose partner
 *     comes later in the other archive waits in an unlinked temporary
 *     file), so memory stays bounded whatever the sizes.
 *
 * The text report is a summary table (one line per changed entry: a
 * collection, a Redis db, a group, an object), then with --details the
 * changed records, at most --limit per entry.  --json prints one object,
 * schemas/diff.schema.json.  Exit 0 equal, 1 different.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "commands.h"
#include "diff.h"
#include "linereader.h"
#include "log.h"
#include "profile.h"
#include "textsafe.h"

#define HS_DIFF_DEFAULT_LIMIT 20
#define HS_DIFF_DEFAULT_TTL_TOLERANCE_MS 1000
#define HS_DIFF_CHUNK (64 * 1024)
/*
 * The line readers' window for Redis dbs and MongoDB collections: the merge
 * decompresses A and B in turn, a window at a time, and each switch from
 * one zstd context (2 MiB window) to the other costs the caches: on the
 * large seed's Redis pair, 4 MiB windows cut the CPU time by 8-14 % against
 * 256 KiB ones (docs/BENCHMARKS.md).
 */
#define HS_DIFF_WINDOW (4 * 1024 * 1024)

const char hs_cmd_diff_usage[] =
	"usage: hivesnap diff A (B | --live [-p PROFILE]) [--only SOURCES] [--details]\n"
	"                     [--limit N] [--ttl-tolerance DURATION] [--json]\n\n"
	"Show what changed from archive A (the older) to archive B.  Both archives\n"
	"are verified in full first.  The report starts with a summary table, one\n"
	"line per entry that was added, removed or changed (a MongoDB collection,\n"
	"a Redis db, a Kafka group, a Kubernetes object), with counts of added,\n"
	"removed and changed records where the entry's format is understood\n"
	"(Redis: keys; MongoDB: documents by _id, with the top-level fields that\n"
	"changed, and options and indexes; Kafka groups: partitions, with offset and lag deltas, and the\n"
	"group's state; Kubernetes: ConfigMap keys with a unified diff of changed\n"
	"values, Deployment and HPA spec fields such as images, env, resources and\n"
	"replicas, with a 'what' line in operator terms; revisions by number;\n"
	"others: whole entries).  Redis changes are also counted per pattern of\n"
	"the profile (-p, else the built-in one), '(other)' for keys none matches.\n\n"
	"  --only SOURCES  comma-separated: mongo, redis, kafka, k8s, diag\n"
	"  --details       list the changed records (keys, _ids) under the table\n"
	"  --limit N       at most N records per entry with --details (default 20)\n"
	"  --ttl-tolerance DURATION\n"
	"                  Redis expiries this close are equal: 250ms, 2s, 1m;\n"
	"                  default 1s, since an expiry is captured as TIME + PTTL\n"
	"  --json          print one JSON object (schemas/diff.schema.json)\n\n"
	"A changed entry whose records are all equal (within the tolerance) is\n"
	"not reported.\n\n"
	"hivesnap.json and redis/server.json, which differ at every capture, are\n"
	"not compared.\n\n"
	"  --live          B is the live state: the profile's sources (those of\n"
	"                  --only) are captured into a temporary archive under\n"
	"                  $TMPDIR, diffed against, and removed\n\n"
	"Exit: 0 equal, 1 different, 3 cannot read a file, 4 an archive is not a\n"
	"hivesnap archive or is corrupt, 64 usage, 65 newer format version or a\n"
	"malformed record.\n";

static const char *const hs_diff_sources[] = { "mongo", "redis", "kafka", "k8s", "diag", NULL };

/*
 * A changed entry whose records are compared; off and len say where a
 * side's bytes are in its spool file when they had to wait for the other
 * side's (hs_diff_merge).
 */
typedef struct hs_diff_spool {
	const char *name;    /* borrowed from the manifest */
	json_t *change;      /* borrowed: its object in the changes array */
	off_t off[2], len[2];/* where A's and B's bytes are in the side's spool file */
	bool seen[2];        /* the side's reader has reached the entry */
} hs_diff_spool;

/*
 * One part of a spool file: the modules read their input to its end, so
 * all entries of a side share one temporary file (and one descriptor)
 * however many changed.
 */
typedef struct hs_diff_part {
	int fd;
	off_t off, len, pos;
} hs_diff_part;

/* Up to n bytes of the part with pread: > 0, 0 at its end, -1 with errno. */
static ssize_t hs_diff_part_pread(hs_diff_part *pt, void *buf, size_t n)
{
	ssize_t got;

	if ((off_t)n > pt->len - pt->pos)
		n = (size_t)(pt->len - pt->pos);
	if (!n)
		return 0;
	got = pread(pt->fd, buf, n, pt->off + pt->pos);
	if (got > 0)
		pt->pos += got;
	return got;
}

/* hs_diff_part_pread as a line reader's read function (linereader.h). */
static ssize_t hs_diff_part_lr_read(void *ctx, void *buf, size_t n, hs_error *e)
{
	ssize_t got = hs_diff_part_pread(ctx, buf, n);

	if (got < 0)
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot read the temporary file");
	return got;
}

/* A part read as a stream (fopencookie), for the modules that take a FILE. */
typedef struct hs_diff_slice {
	hs_diff_part part;
	char buf[HS_DIFF_CHUNK * 4]; /* the stream's buffer: big reads */
} hs_diff_slice;

static ssize_t hs_diff_slice_read(void *cookie, char *buf, size_t n)
{
	return hs_diff_part_pread(&((hs_diff_slice *)cookie)->part, buf, n);
}

static int hs_diff_slice_close(void *cookie)
{
	free(cookie);
	return 0;
}

/* A read-only stream over len bytes of fd at off; NULL on failure. */
static FILE *hs_diff_slice_open(FILE *spool, off_t off, off_t len)
{
	static const cookie_io_functions_t fns = { .read = hs_diff_slice_read,
						    .close = hs_diff_slice_close };
	hs_diff_slice *sl = hs_xcalloc(1, sizeof(*sl));
	FILE *f;

	sl->part.fd = fileno(spool);
	sl->part.off = off;
	sl->part.len = len;
	f = fopencookie(sl, "r", fns);
	if (!f)
		free(sl);
	/* big reads: glibc's default buffer makes one pread per 8 KiB (1M keys: 24k preads) */
	else
		setvbuf(f, sl->buf, _IOFBF, sizeof(sl->buf));
	return f;
}

/*
 * Parse --only into a mask over hs_diff_sources (bit i); 0 with an error
 * naming the unknown source.
 */
static int hs_diff_parse_only(const char *arg, unsigned *mask, hs_error *e)
{
	const char *p = arg;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; hs_diff_sources[i]; i++)
			if (strlen(hs_diff_sources[i]) == n && !strncmp(p, hs_diff_sources[i], n))
				break;
		if (!hs_diff_sources[i])
			return hs_err(e, HS_EXIT_USAGE, "diff: unknown source '%.*s' in --only", (int)n, p);
		*mask |= 1u << i;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask)
		return hs_err(e, HS_EXIT_USAGE, "diff: --only needs at least one source");
	return 0;
}

/* A tolerance: "<digits>ms", or a duration hs_duration_parse() reads. */
static int hs_diff_parse_tolerance(const char *arg, long long *ms)
{
	int64_t secs;
	char *end;
	unsigned long long v;

	if (arg[0] >= '0' && arg[0] <= '9') {
		errno = 0;
		v = strtoull(arg, &end, 10);
		if (!errno && !strcmp(end, "ms") && v <= 1000000000000ULL) {
			*ms = (long long)v;
			return 0;
		}
	}
	if (hs_duration_parse(arg, &secs) || secs < 0 || secs > 1000000000LL)
		return -1;
	*ms = (long long)secs * 1000;
	return 0;
}

/* True when an entry of this source is in scope (mask 0: all). */
static bool hs_diff_in_scope(const char *source, unsigned mask)
{
	size_t i;

	if (!mask)
		return true;
	if (!source)
		return false;
	for (i = 0; hs_diff_sources[i]; i++)
		if (!strcmp(source, hs_diff_sources[i]))
			return (mask >> i) & 1u;
	return false;
}

/* Entries never compared: they differ at every capture. */
static bool hs_diff_volatile(const char *name)
{
	return !strcmp(name, "hivesnap.json") || !strcmp(name, "redis/server.json");
}

/* True when name ends with suffix. */
static bool hs_diff_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n >= m && !strcmp(name + n - m, suffix);
}

/* k8s/<ns>/{configmaps,deployments,hpa}/<name>.json (not revisions). */
static bool hs_diff_k8s_object(const char *name)
{
	static const char *const kinds[] = { "configmaps", "deployments", "hpa" };
	const char *p, *q;
	size_t i, n = strlen(name);

	if (strncmp(name, "k8s/", 4) || n < 5 || strcmp(name + n - 5, ".json"))
		return false;
	p = strchr(name + 4, '/');
	if (!p)
		return false;
	p++;
	q = strchr(p, '/');
	if (!q || strchr(q + 1, '/'))
		return false;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((size_t)(q - p) == strlen(kinds[i]) && !strncmp(p, kinds[i], (size_t)(q - p)))
			return true;
	return false;
}

/*
 * k8s/<ns>/deployments/<name>/revisions/<rev>.json: a revision is compared
 * by its number only (present in A, in B, or both).  Its document changes
 * without the revision changing (the "current" flag moves to the newer
 * one at a rollout), and a revision's template never changes: a new
 * template, or a rollback to an old one, is a new revision number.
 */
static bool hs_diff_k8s_revision(const char *name)
{
	const char *p = strstr(name, "/revisions/");

	return !strncmp(name, "k8s/", 4) && p && strstr(name, "/deployments/") &&
	       !strchr(p + 11, '/') && hs_diff_has_suffix(name, ".json");
}

/* True for entries compared record by record. */
static bool hs_diff_has_records(const char *name)
{
	size_t n = strlen(name);

	return (!strncmp(name, "redis/db", 8) && n > 6 && !strcmp(name + n - 6, ".jsonl")) ||
	       (!strncmp(name, "mongo/", 6) && n > 5 && !strcmp(name + n - 5, ".bson")) ||
	       (!strncmp(name, "mongo/", 6) && n > 14 && !strcmp(name + n - 14, ".metadata.json")) ||
	       (!strncmp(name, "kafka/groups/", 13) && n > 5 && !strcmp(name + n - 5, ".json")) ||
	       hs_diff_k8s_object(name);
}

/*
 * The manifest's entries of path as an object name -> entry (borrowed
 * from *manifest, which the caller frees).
 */
static int hs_diff_load(const char *path, json_t **manifest, json_t **byname, hs_error *e)
{
	json_t *header = NULL, *entries, *ent;
	size_t i;

	*byname = NULL;
	if (hs_archive_manifest(path, manifest, &header, e))
		return -1;
	json_decref(header);
	entries = json_object_get(*manifest, "entries");
	if (!json_is_array(entries))
		return hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': manifest has no entry list", path);
	*byname = json_object();
	json_array_foreach(entries, i, ent) {
		const char *name = json_string_value(json_object_get(ent, "name"));

		if (!name || !json_is_string(json_object_get(ent, "sha256")))
			return hs_err(e, HS_EXIT_INTEGRITY,
				      "cannot read '%s': manifest entry %zu has no name or sha256", path, i);
		json_object_set(*byname, name, ent);
	}
	return 0;
}

/* One change record: {"entry", "source", "change", "added", "removed", "changed"}. */
static json_t *hs_diff_change(const char *name, const json_t *ent, const char *change)
{
	const json_t *src = json_object_get(ent, "source");
	json_int_t items = json_integer_value(json_object_get(ent, "items"));
	/* the manifest's item count is records for a db and a collection */
	bool counted = hs_diff_has_records(name) && !hs_diff_has_suffix(name, ".metadata.json") &&
		       (!strncmp(name, "redis/", 6) || !strncmp(name, "mongo/", 6));

	return json_pack("{s:s, s:O, s:s, s:o, s:o, s:o}", "entry", name, "source",
			 src ? src : json_null(), "change", change,
			 "added", counted && !strcmp(change, "added") ? json_integer(items) : json_null(),
			 "removed", counted && !strcmp(change, "removed") ? json_integer(items) : json_null(),
			 "changed", json_null());
}

/*
 * One archive, read once from start to end while the changed entries are
 * merged: its reader, its current entry to compare (or the end), the
 * spool for entries whose partner in the other archive comes later, and
 * the error the reader stopped on.
 */
typedef struct hs_diff_side {
	const char *path;
	hs_reader *r;
	hs_reader_entry ent;
	size_t cur;          /* ent's position in the spool table */
	int more;            /* 1: ent is current; 0: read to its end and verified; -1: failed */
	FILE *spool;         /* NULL until an entry must wait for its partner */
	off_t spool_len;
	hs_error err;        /* why the reader failed (more == -1) */
} hs_diff_side;

/* The current entry of a side read as a stream, straight from its reader. */
typedef struct hs_diff_stream {
	hs_diff_side *side;
	char buf[HS_DIFF_CHUNK * 4]; /* the stream's buffer */
} hs_diff_stream;

static ssize_t hs_diff_live_read(void *cookie, char *buf, size_t n)
{
	hs_diff_side *s = ((hs_diff_stream *)cookie)->side;
	ssize_t got;

	if (s->more < 0)
		return -1;
	got = hs_reader_read(s->r, buf, n, &s->err);
	if (got < 0)
		s->more = -1;
	return got;
}

/* The side's current entry as a line reader's read function (linereader.h). */
static ssize_t hs_diff_live_lr_read(void *ctx, void *buf, size_t n, hs_error *e)
{
	hs_diff_side *s = ctx;
	ssize_t got = s->more < 0 ? -1 : hs_reader_read(s->r, buf, n, &s->err);

	if (got < 0) {
		s->more = -1;
		return hs_err(e, s->err.code ? s->err.code : HS_EXIT_INTEGRITY, "%s", s->err.msg);
	}
	return got;
}

static int hs_diff_live_close(void *cookie)
{
	free(cookie);
	return 0;
}

/* A read-only stream over the side's current entry; NULL on failure. */
static FILE *hs_diff_live_open(hs_diff_side *s)
{
	static const cookie_io_functions_t fns = { .read = hs_diff_live_read,
						    .close = hs_diff_live_close };
	hs_diff_stream *lv = hs_xcalloc(1, sizeof(*lv));
	FILE *f;

	lv->side = s;
	f = fopencookie(lv, "r", fns);
	if (!f)
		free(lv);
	else
		setvbuf(f, lv->buf, _IOFBF, sizeof(lv->buf));
	return f;
}

/*
 * Move a side to its next entry to compare (one in index: entry name ->
 * position in the spool table), reading and verifying what lies between;
 * at the archive's end the reader has checked it whole (more == 0).
 */
static void hs_diff_advance(hs_diff_side *s, const json_t *index, hs_diff_spool *sp, int side)
{
	const json_t *at;

	while (s->more >= 0 && (s->more = hs_reader_next(s->r, &s->ent, &s->err)) == 1)
		if ((at = json_object_get(index, s->ent.name))) {
			s->cur = (size_t)json_integer_value(at);
			sp[s->cur].seen[side] = true;
			return;
		}
}

/*
 * Copy the side's current entry to its spool file (created on first use),
 * for a partner that comes later in the other archive.  A reader failure
 * is left in s (more == -1); e gets a write failure.
 */
static int hs_diff_spool_entry(hs_diff_side *s, hs_diff_spool *sp, int side, hs_error *e)
{
	char *chunk = NULL;
	ssize_t n;
	int rc = -1;

	if (!s->spool && !(s->spool = tmpfile())) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "diff: cannot create a temporary file");
		goto out;
	}
	chunk = hs_xmalloc(HS_DIFF_CHUNK);
	sp->off[side] = s->spool_len;
	while ((n = hs_reader_read(s->r, chunk, HS_DIFF_CHUNK, &s->err)) > 0) {
		if (fwrite(chunk, 1, (size_t)n, s->spool) != (size_t)n) {
			hs_err_errno(e, HS_EXIT_FAILURE, errno,
				     "cannot diff '%s': cannot write the temporary file", s->ent.name);
			goto out;
		}
		s->spool_len += n;
	}
	if (n < 0) {
		s->more = -1;
		hs_err(e, s->err.code, "%s", s->err.msg);
		goto out;
	}
	sp->len[side] = s->spool_len - sp->off[side];
	if (fflush(s->spool)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno,
			     "cannot diff '%s': cannot write the temporary file", s->ent.name);
		goto out;
	}
	rc = 0;
out:
	free(chunk);
	return rc;
}

/*
 * After the merge stopped, early or not: read both archives to their end
 * so each is verified whole, then say which error wins, in the order of
 * checking them one after the other: A corrupt, B corrupt, then err (a
 * record or write error of the merge, when failed).  Returns 0 when both
 * verified and nothing failed.
 */
static int hs_diff_settle(hs_diff_side side[2], bool failed, hs_error *e)
{
	hs_reader_entry ent;
	int k;

	for (k = 0; k < 2; k++)
		while (side[k].more == 1)
			side[k].more = hs_reader_next(side[k].r, &ent, &side[k].err);
	for (k = 0; k < 2; k++)
		if (side[k].more < 0)
			return hs_err(e, side[k].err.code ? side[k].err.code : HS_EXIT_INTEGRITY, "%s",
				      side[k].err.msg);
	return failed ? -1 : 0;
}

/*
 * An item's key (key true) or value as the text report shows it, appended
 * to out, escaped (textsafe.h): "topic[partition]" for a Kafka item key,
 * else the JSON text of v.
 */
static void hs_diff_item_text(hs_buf *out, const json_t *v, bool key)
{
	char *j;

	if (key && json_is_object(v) && json_object_get(v, "topic")) {
		hs_text_addf(out, "%s[%" JSON_INTEGER_FORMAT "]",
			     json_string_value(json_object_get(v, "topic")),
			     json_integer_value(json_object_get(v, "partition")));
		return;
	}
	j = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (j)
		hs_text_escape(out, j, strlen(j), HS_TEXT_JSON);
	else
		hs_buf_adds(out, "?");
	free(j);
}

/*
 * The profile's Redis patterns for entry redis/db<N>.jsonl, borrowed;
 * NULL when the profile does not capture db N (every key is "(other)").
 */
static const hs_strlist *hs_diff_redis_patterns(const hs_profile *p, const char *name)
{
	const hs_profile_redis *r = p ? p->redis : NULL;
	char *end;
	long db = strtol(name + 8, &end, 10);
	size_t i;

	for (i = 0; r && strcmp(end, ".jsonl") == 0 && i < r->n_dbs; i++)
		if (r->dbs[i].db == db)
			return &r->dbs[i].patterns;
	return NULL;
}

/* A count column: the number, or "-" when not known. */
static void hs_diff_col(FILE *out, const json_t *v)
{
	if (json_is_integer(v))
		fprintf(out, " %8" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		fprintf(out, " %8s", "-");
}

/* The text report: summary table, then the records with --details. */
static void hs_diff_print_text(FILE *out, const char *a, const char *b, const json_t *changes,
			       bool details)
{
	const json_t *ch, *it;
	size_t i, j;

	if (!json_array_size(changes)) {
		hs_text_fprintf(out, "equal: '%s' and '%s' hold the same data\n", a, b);
		return;
	}
	fprintf(out, "%-6s %-8s %8s %8s %8s  %s\n", "SOURCE", "CHANGE", "ADDED", "REMOVED", "CHANGED",
		"ENTRY");
	json_array_foreach(changes, i, ch) {
		const char *src = json_string_value(json_object_get(ch, "source"));

		hs_text_fprintf(out, "%-6s %-8s", src ? src : "-",
			json_string_value(json_object_get(ch, "change")));
		hs_diff_col(out, json_object_get(ch, "added"));
		hs_diff_col(out, json_object_get(ch, "removed"));
		hs_diff_col(out, json_object_get(ch, "changed"));
		hs_text_fprintf(out, "  %s\n", json_string_value(json_object_get(ch, "entry")));
		if (json_is_string(json_object_get(ch, "what")))
			hs_text_fprintf(out, "%-6s %-8s %s\n", "", "what",
					json_string_value(json_object_get(ch, "what")));
		json_array_foreach(json_object_get(ch, "patterns"), j, it) {
			fprintf(out, "%-6s %-8s", "", "pattern");
			hs_diff_col(out, json_object_get(it, "added"));
			hs_diff_col(out, json_object_get(it, "removed"));
			hs_diff_col(out, json_object_get(it, "changed"));
			hs_text_fprintf(out, "    %s\n", json_string_value(json_object_get(it, "pattern")));
		}
	}
	if (!details)
		return;
	json_array_foreach(changes, i, ch) {
		const json_t *items = json_object_get(ch, "items");
		json_int_t total = 0;

		if (!json_array_size(items))
			continue;
		hs_text_fprintf(out, "\n%s:\n", json_string_value(json_object_get(ch, "entry")));
		json_array_foreach(items, j, it) {
			const char *c = json_string_value(json_object_get(it, "change"));
			hs_buf key = HS_BUF_INIT;
			const json_t *fields = json_object_get(it, "fields");
			const json_t *delta = json_object_get(it, "delta");

			hs_diff_item_text(&key, json_object_get(it, "key"), true);
			fprintf(out, "  %c %s", c[0] == 'a' ? '+' : c[0] == 'r' ? '-' : '~', key.data);
			if (json_is_array(fields)) {
				const json_t *f;
				size_t k;

				fputs(" (", out);
				json_array_foreach(fields, k, f)
					hs_text_fprintf(out, "%s%s", k ? ", " : "", json_string_value(f));
				fputc(')', out);
			}
			if (delta)
				fprintf(out, " offset %+" JSON_INTEGER_FORMAT ", lag %+" JSON_INTEGER_FORMAT,
					json_integer_value(json_object_get(delta, "offset")),
					json_integer_value(json_object_get(delta, "lag")));
			if (json_object_get(it, "from") || json_object_get(it, "to")) {
				const json_t *jf = json_object_get(it, "from"), *jt = json_object_get(it, "to");

				hs_buf_reset(&key);
				if (jf)
					hs_diff_item_text(&key, jf, false);
				if (jf && jt)
					hs_buf_adds(&key, " -> ");
				if (jt)
					hs_diff_item_text(&key, jt, false);
				fprintf(out, " %s", key.data);
			}
			fputc('\n', out);
			if (json_is_string(json_object_get(it, "diff"))) {
				const char *d = json_string_value(json_object_get(it, "diff"));

				while (*d) {
					size_t ln = strcspn(d, "\n");

					hs_text_fprintf(out, "      %.*s\n", (int)ln, d);
					d += ln + (d[ln] == '\n');
				}
			}
			hs_buf_release(&key);
		}
		total = json_integer_value(json_object_get(ch, "added")) +
			json_integer_value(json_object_get(ch, "removed")) +
			json_integer_value(json_object_get(ch, "changed"));
		if (total > (json_int_t)json_array_size(items))
			fprintf(out, "  ... %" JSON_INTEGER_FORMAT " more\n",
				total - (json_int_t)json_array_size(items));
	}
}

/*
 * --live: capture the profile's sources (those of --only) with the snapshot
 * command into a fresh private folder under $TMPDIR (or /tmp); fills dir
 * and path.  The archive is then diffed like any B.
 */
static int hs_diff_live(hs_ctx *ctx, unsigned mask, hs_buf *dir, hs_buf *path, hs_error *e)
{
	const char *tmpdir = getenv("TMPDIR");
	hs_buf only = HS_BUF_INIT;
	hs_ctx sctx = *ctx;
	char *argv[6];
	int argc = 0, rc = -1, src;
	size_t i;

	if (hs_cli_load_profile(ctx, e))
		goto out;
	sctx.profile = ctx->profile;
	/* without --only, the snapshot captures what the profile configures */
	for (i = 0; mask && hs_diff_sources[i]; i++)
		if (((mask >> i) & 1u) && strcmp(hs_diff_sources[i], "diag"))
			hs_buf_addf(&only, "%s%s", only.len ? "," : "", hs_diff_sources[i]);
	if (mask && !only.len) {
		hs_err(e, HS_EXIT_USAGE, "diff: --live captures mongo, redis, kafka or k8s, not only diag");
		goto out;
	}
	hs_buf_addf(dir, "%s/hivesnap-diff-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir->data)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "diff: cannot create a folder in '%s'",
			     tmpdir && *tmpdir ? tmpdir : "/tmp");
		hs_buf_reset(dir);
		goto out;
	}
	hs_buf_addf(path, "%s/live.tar.zst", dir->data);
	sctx.out = fopen("/dev/null", "w");
	if (!sctx.out) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "diff: cannot open '/dev/null'");
		goto out;
	}
	sctx.json = false;
	sctx.quiet = true;
	argv[argc++] = (char *)"snapshot";
	argv[argc++] = (char *)"-o";
	argv[argc++] = path->data;
	if (only.len) {
		argv[argc++] = (char *)"--only";
		argv[argc++] = only.data;
	}
	argv[argc] = NULL;
	optind = 0; /* glibc: full reinitialisation of getopt */
	src = hs_cmd_snapshot(argc, argv, &sctx, e);
	fclose(sctx.out);
	if (src < 0) {
		hs_err_prefix(e, "diff: live capture failed");
		goto out;
	}
	if (src != 0) {
		hs_err(e, HS_EXIT_FAILURE, "diff: live capture failed with exit %d", src);
		goto out;
	}
	rc = 0;
out:
	hs_buf_release(&only);
	return rc;
}

/* Remove what --live left in its folder: the archive, the lock file, the folder. */
static void hs_diff_live_cleanup(hs_buf *dir, hs_buf *path)
{
	hs_buf lock = HS_BUF_INIT;

	if (path->len)
		unlink(path->data);
	if (dir->len) {
		hs_buf_addf(&lock, "%s/.hivesnap.lock", dir->data);
		unlink(lock.data);
		if (rmdir(dir->data))
			hs_log(HS_LOG_WARN, "diff", "cannot remove the live capture folder '%s'", dir->data);
	}
	hs_buf_release(&lock);
	hs_buf_release(dir);
	hs_buf_release(path);
}

/*
 * Compare one changed entry with the module for its kind (diff.h) and put
 * the counts, items, patterns and "what" into its change record.  Side k
 * is read straight from its reader when live[k], else from its part of
 * the side's spool file.  Redis dbs and MongoDB collections (the big
 * entries) go through line readers, which hand the merge the bytes where
 * they lie; the rest through FILE streams.  Redis counts per pattern need
 * the profile, loaded the first time (-p, else the built-in one).
 */
static int hs_diff_compare(hs_diff_spool *sp, hs_diff_side side[2], const bool live[2], hs_ctx *ctx,
			   const hs_diff_opts *dopts, hs_error *e)
{
	int (*fn)(FILE *, FILE *, const char *, const hs_diff_opts *, json_t *, hs_error *) =
		!strncmp(sp->name, "redis/", 6) ? hs_diff_redis :
		!strncmp(sp->name, "kafka/", 6) ? hs_diff_kafka :
		!strncmp(sp->name, "k8s/", 4) ? hs_diff_k8s :
		hs_diff_has_suffix(sp->name, ".metadata.json") ? hs_diff_mongo_metadata : hs_diff_mongo;
	hs_diff_part part[2];
	hs_linereader *lr[2] = { NULL, NULL };
	FILE *f[2] = { NULL, NULL };
	const hs_strlist *pats = NULL;
	json_t *res = NULL;
	int k, rc = -1;

	for (k = 0; k < 2; k++) {
		part[k].fd = side[k].spool ? fileno(side[k].spool) : -1;
		part[k].off = sp->off[k];
		part[k].len = sp->len[k];
		part[k].pos = 0;
		if (fn == hs_diff_redis || fn == hs_diff_mongo)
			lr[k] = live[k] ? hs_lr_new(hs_diff_live_lr_read, &side[k], HS_DIFF_WINDOW)
					: hs_lr_new(hs_diff_part_lr_read, &part[k], HS_DIFF_WINDOW);
		else if (!(f[k] = live[k] ? hs_diff_live_open(&side[k])
					  : hs_diff_slice_open(side[k].spool, sp->off[k], sp->len[k]))) {
			hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot diff '%s': cannot open a stream",
				     sp->name);
			goto out;
		}
	}
	res = json_object();
	if (fn == hs_diff_redis) {
		if (hs_cli_load_profile(ctx, e))
			goto out;
		pats = hs_diff_redis_patterns(ctx->profile, sp->name);
		if (hs_diff_redis_lr(lr[0], lr[1], sp->name, dopts, pats ? pats->v : NULL,
				     pats ? pats->n : 0, res, e))
			goto out;
	} else if (fn == hs_diff_mongo) {
		if (hs_diff_mongo_lr(lr[0], lr[1], sp->name, dopts, res, e))
			goto out;
	} else if (fn(f[0], f[1], sp->name, dopts, res, e)) {
		goto out;
	}
	json_object_set(sp->change, "added", json_object_get(res, "added"));
	json_object_set(sp->change, "removed", json_object_get(res, "removed"));
	json_object_set(sp->change, "changed", json_object_get(res, "changed"));
	if (dopts->details)
		json_object_set(sp->change, "items", json_object_get(res, "items"));
	if (json_object_get(res, "patterns"))
		json_object_set(sp->change, "patterns", json_object_get(res, "patterns"));
	if (json_object_get(res, "what"))
		json_object_set(sp->change, "what", json_object_get(res, "what"));
	rc = 0;
out:
	for (k = 0; k < 2; k++) {
		hs_lr_free(lr[k]);
		if (f[k])
			fclose(f[k]);
	}
	json_decref(res);
	return rc;
}

/*
 * Read both archives once each, in step, and compare the changed entries
 * (sp, nsp; index: name -> position in sp) as they come.  When both are at
 * the same entry (two snapshots of one profile keep one order), it is
 * merged straight from the two readers; otherwise the entry whose partner
 * is not read yet is spooled to a temporary file and merged from there
 * when the partner comes.  Both archives are always read to their end
 * (verified whole) before this returns, and an integrity error wins over
 * any other (hs_diff_settle).
 */
static int hs_diff_merge(const char *pa, const char *pb, hs_diff_spool *sp, size_t nsp,
			 const json_t *index, hs_ctx *ctx, const hs_diff_opts *dopts, hs_error *e)
{
	static const bool both[2] = { true, true }, only_a[2] = { true, false }, only_b[2] = { false, true };
	hs_diff_side side[2];
	bool failed = true;
	size_t i;
	int k, rc = -1;

	memset(side, 0, sizeof(side));
	side[0].path = pa;
	side[1].path = pb;
	for (k = 0; k < 2; k++) {
		hs_error_init(&side[k].err);
		side[k].more = -1;
		if (hs_reader_open(&side[k].r, side[k].path, &side[k].err))
			goto settle;
		side[k].more = 1;
		hs_diff_advance(&side[k], index, sp, k);
	}
	for (;;) {
		hs_diff_side *a = &side[0], *b = &side[1];

		if (a->more < 0 || b->more < 0)
			goto settle;
		if (a->more == 0 && b->more == 0)
			break;
		if (a->more == 1 && b->more == 1 && a->cur == b->cur) {
			if (hs_diff_compare(&sp[a->cur], side, both, ctx, dopts, e))
				goto settle;
			hs_diff_advance(a, index, sp, 0);
			hs_diff_advance(b, index, sp, 1);
		} else if (a->more == 1 && sp[a->cur].seen[1]) {
			if (hs_diff_compare(&sp[a->cur], side, only_a, ctx, dopts, e))
				goto settle;
			hs_diff_advance(a, index, sp, 0);
		} else if (b->more == 1 && sp[b->cur].seen[0]) {
			if (hs_diff_compare(&sp[b->cur], side, only_b, ctx, dopts, e))
				goto settle;
			hs_diff_advance(b, index, sp, 1);
		} else {
			k = a->more == 1 ? 0 : 1;
			if (hs_diff_spool_entry(&side[k], &sp[side[k].cur], k, e))
				goto settle;
			hs_diff_advance(&side[k], index, sp, k);
		}
	}
	for (k = 0; k < 2; k++)
		for (i = 0; i < nsp; i++)
			if (!sp[i].seen[k]) {
				hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': entry '%s' is missing",
				       side[k].path, sp[i].name);
				goto settle;
			}
	failed = false;
settle:
	rc = hs_diff_settle(side, failed, e);
	for (k = 0; k < 2; k++) {
		if (side[k].spool)
			fclose(side[k].spool);
		hs_reader_free(side[k].r);
	}
	return rc;
}

/* See hs_cmd_diff_usage. */
int hs_cmd_diff(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	enum { OPT_ONLY = 1, OPT_DETAILS, OPT_LIMIT, OPT_LIVE, OPT_TTL_TOL };
	static const struct option opts[] = {
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "details", no_argument, NULL, OPT_DETAILS },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "live", no_argument, NULL, OPT_LIVE },
		{ "ttl-tolerance", required_argument, NULL, OPT_TTL_TOL },
		{ NULL, 0, NULL, 0 }
	};
	json_t *ma = NULL, *mb = NULL, *ea = NULL, *eb = NULL, *changes = NULL, *report = NULL;
	hs_diff_spool *sp = NULL;
	json_t *spindex = NULL;
	size_t nsp = 0, i;
	hs_diff_opts dopts = { .details = false, .limit = HS_DIFF_DEFAULT_LIMIT,
			       .ttl_tolerance_ms = HS_DIFF_DEFAULT_TTL_TOLERANCE_MS };
	const char *a, *b, *name;
	json_t *ent;
	unsigned mask = 0;
	unsigned long long l;
	bool live = false;
	hs_buf livedir = HS_BUF_INIT, livepath = HS_BUF_INIT;
	char what[160], *end;
	int c, rc = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ONLY:
			if (hs_diff_parse_only(optarg, &mask, e))
				return -1;
			break;
		case OPT_DETAILS:
			dopts.details = true;
			break;
		case OPT_LIMIT:
			errno = 0;
			l = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || l > 1000000000ULL)
				return hs_err(e, HS_EXIT_USAGE, "diff: --limit needs a number, not '%s'",
					      optarg);
			dopts.limit = (size_t)l;
			break;
		case OPT_TTL_TOL:
			if (hs_diff_parse_tolerance(optarg, &dopts.ttl_tolerance_ms))
				return hs_err(e, HS_EXIT_USAGE,
					      "diff: --ttl-tolerance needs a duration such as 500ms or 2s, not '%s'",
					      optarg);
			break;
		case OPT_LIVE:
			live = true;
			break;
		case ':':
			snprintf(what, sizeof(what), "option '%s' needs a value", argv[optind - 1]);
			return hs_cli_usage_error(e, "diff", what);
		default:
			snprintf(what, sizeof(what), "unknown option '%s'", argv[optind - 1]);
			return hs_cli_usage_error(e, "diff", what);
		}
	}
	if (live ? argc - optind != 1 : argc - optind != 2)
		return hs_cli_usage_error(e, "diff", live ? "--live needs one archive A"
							  : "needs two archives A and B");
	a = argv[optind];
	b = live ? NULL : argv[optind + 1];

	/*
	 * Nothing is printed before both archives have been read through and
	 * verified whole: by hs_diff_merge(), which compares the entries on the
	 * same pass.  With --live, A is verified before anything is captured.
	 */
	if (live) {
		if (hs_archive_verify(a, e) || hs_diff_live(ctx, mask, &livedir, &livepath, e))
			goto out;
		b = livepath.data;
	}
	if (hs_diff_load(a, &ma, &ea, e) || hs_diff_load(b, &mb, &eb, e))
		goto out;

	changes = json_array();
	sp = hs_xcalloc(json_object_size(ea) + 1, sizeof(*sp));
	json_array_foreach(json_object_get(ma, "entries"), i, ent) {
		const json_t *other;
		json_t *ch;

		name = json_string_value(json_object_get(ent, "name"));
		if (hs_diff_volatile(name) ||
		    !hs_diff_in_scope(json_string_value(json_object_get(ent, "source")), mask))
			continue;
		other = json_object_get(eb, name);
		if (!other) {
			json_array_append_new(changes, hs_diff_change(name, ent, "removed"));
			continue;
		}
		if (json_equal(json_object_get(ent, "sha256"), json_object_get(other, "sha256")) ||
		    hs_diff_k8s_revision(name))
			continue;
		ch = hs_diff_change(name, other, "changed");
		json_array_append_new(changes, ch);
		if (hs_diff_has_records(name)) {
			sp[nsp].name = name;
			sp[nsp].change = ch;
			nsp++;
		}
	}
	json_array_foreach(json_object_get(mb, "entries"), i, ent) {
		name = json_string_value(json_object_get(ent, "name"));
		if (hs_diff_volatile(name) || json_object_get(ea, name) ||
		    !hs_diff_in_scope(json_string_value(json_object_get(ent, "source")), mask))
			continue;
		json_array_append_new(changes, hs_diff_change(name, ent, "added"));
	}

	spindex = json_object();
	for (i = 0; i < nsp; i++)
		json_object_set_new(spindex, sp[i].name, json_integer((json_int_t)i));
	if (hs_diff_merge(a, b, sp, nsp, spindex, ctx, &dopts, e))
		goto out;
	/* an entry whose records are all equal (expiry jitter) is no change */
	for (i = json_array_size(changes); i-- > 0;) {
		ent = json_array_get(changes, i);
		if (!strcmp(json_string_value(json_object_get(ent, "change")), "changed") &&
		    json_is_integer(json_object_get(ent, "added")) &&
		    json_integer_value(json_object_get(ent, "added")) +
				    json_integer_value(json_object_get(ent, "removed")) +
				    json_integer_value(json_object_get(ent, "changed")) == 0)
			json_array_remove(changes, i);
	}

	if (ctx->json) {
		json_int_t n[3] = { 0, 0, 0 };

		json_array_foreach(changes, i, ent) {
			const char *chg = json_string_value(json_object_get(ent, "change"));

			n[chg[0] == 'a' ? 0 : chg[0] == 'r' ? 1 : 2]++;
		}
		report = json_pack("{s:s, s:s, s:b, s:{s:I, s:I, s:I}, s:O}", "a", a, "b", b, "equal",
				   json_array_size(changes) == 0, "entries", "added", n[0], "removed",
				   n[1], "changed", n[2], "changes", changes);
		if (!report) {
			hs_err(e, HS_EXIT_FAILURE, "diff: archive paths must be valid UTF-8 for --json");
			goto out;
		}
		if (json_dumpf(report, ctx->out, JSON_INDENT(2) | JSON_SORT_KEYS) == 0)
			fputc('\n', ctx->out);
	} else {
		hs_diff_print_text(ctx->out, a, b, changes, dopts.details);
	}
	rc = json_array_size(changes) ? HS_EXIT_DIFFER : HS_EXIT_OK;
out:
	json_decref(spindex);
	free(sp);
	json_decref(report);
	json_decref(changes);
	json_decref(ea);
	json_decref(eb);
	json_decref(ma);
	json_decref(mb);
	hs_diff_live_cleanup(&livedir, &livepath);
	return rc;
}
