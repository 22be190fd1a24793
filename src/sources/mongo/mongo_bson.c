/*
 * mongo_bson.c - the one reading of a .bson entry; see mongo_bson.h.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mongo_bson.h"

/* Nesting levels kept on the stack; deeper ones grow a heap array. */
#define HS_BSON_STACK 64

static uint32_t hs_bson_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * The walk: p is the next element (its type byte), end the offset of the
 * NUL that ends the document p is in; ends[] holds the ends of the
 * documents around it.  Every offset is checked against end before it is
 * read, and a nested document's end lies before its parent's, so no read
 * leaves [0, len).
 */
int hs_bson_check(const uint8_t *d, size_t len, const char **why, size_t *at)
{
	size_t local[HS_BSON_STACK], *ends = local, cap = HS_BSON_STACK, depth = 0;
	size_t p = 0, end, q, avail;
	const char *bad = NULL;
	uint32_t l, l2;

	if (len < 5) {
		bad = "shorter than 5 bytes";
		goto out;
	}
	if (hs_bson_u32(d) != len) {
		bad = "its length field does not match its size";
		goto out;
	}
	end = len - 1;
	if (d[end]) {
		p = end;
		bad = "it does not end with a NUL byte";
		goto out;
	}
	p = 4;
	for (;;) {
		const uint8_t *k;
		uint8_t t;

		if (p == end) {
			/* the NUL that ends the current document */
			if (!depth)
				break;
			p = end + 1;
			end = ends[--depth];
			continue;
		}
		t = d[p];
		if (!t) {
			bad = "a NUL type byte before the end of its document";
			goto out;
		}
		/* keys are short: a loop beats a memchr() call */
		for (q = p + 1; q < end && d[q]; q++)
			;
		if (q == end) {
			bad = "an element's key does not end inside its document";
			goto out;
		}
		q++;                       /* the value */
		avail = end - q;           /* bytes the value may take */
		switch (t) {
		case 0x06: /* undefined */
		case 0x0A: /* null */
		case 0x7F: /* maxkey */
		case 0xFF: /* minkey */
			break;
		case 0x08: /* bool */
			if (avail < 1) {
				bad = "a bool is cut short";
				goto out;
			}
			if (d[q] > 1) {
				bad = "a bool is neither 0 nor 1";
				goto out;
			}
			q += 1;
			break;
		case 0x10: /* int32 */
			if (avail < 4) {
				bad = "an int32 is cut short";
				goto out;
			}
			q += 4;
			break;
		case 0x01: /* double */
		case 0x09: /* datetime */
		case 0x11: /* timestamp */
		case 0x12: /* int64 */
			if (avail < 8) {
				bad = "an 8-byte value is cut short";
				goto out;
			}
			q += 8;
			break;
		case 0x07: /* ObjectId */
			if (avail < 12) {
				bad = "an ObjectId is cut short";
				goto out;
			}
			q += 12;
			break;
		case 0x13: /* decimal128 */
			if (avail < 16) {
				bad = "a decimal128 is cut short";
				goto out;
			}
			q += 16;
			break;
		case 0x02: /* string */
		case 0x0D: /* code */
		case 0x0E: /* symbol */
		case 0x0C: /* DBPointer: a string, then an ObjectId */
			if (avail < 4) {
				bad = "a string's length is cut short";
				goto out;
			}
			l = hs_bson_u32(d + q);
			if (l < 1 || l > avail - 4) {
				bad = "a string's length does not fit in its document";
				goto out;
			}
			if (d[q + 4 + l - 1]) {
				bad = "a string does not end with a NUL byte";
				goto out;
			}
			q += 4 + (size_t)l;
			if (t == 0x0C) {
				if (end - q < 12) {
					bad = "a DBPointer's ObjectId is cut short";
					goto out;
				}
				q += 12;
			}
			break;
		case 0x0B: /* regex: pattern and options, two C strings */
			k = memchr(d + q, 0, avail);
			if (k)
				k = memchr(k + 1, 0, end - (size_t)(k + 1 - d));
			if (!k) {
				bad = "a regex does not end inside its document";
				goto out;
			}
			q = (size_t)(k - d) + 1;
			break;
		case 0x05: /* binary: length, subtype, bytes */
			if (avail < 5) {
				bad = "a binary's header is cut short";
				goto out;
			}
			l = hs_bson_u32(d + q);
			if (l > avail - 5) {
				bad = "a binary's length does not fit in its document";
				goto out;
			}
			if (d[q + 4] == 0x02) {
				/* the old binary subtype repeats the length inside */
				if (l < 4 || hs_bson_u32(d + q + 5) != l - 4) {
					bad = "an old binary (subtype 2) has a wrong inner length";
					goto out;
				}
			}
			q += 5 + (size_t)l;
			break;
		case 0x03: /* document */
		case 0x04: /* array */
		case 0x0F: /* code with scope: total length, string, scope document */
			if (t == 0x0F) {
				if (avail < 14) {
					bad = "a code with scope is cut short";
					goto out;
				}
				l = hs_bson_u32(d + q);      /* total */
				if (l < 14 || l > avail) {
					bad = "a code with scope's length does not fit in its document";
					goto out;
				}
				l2 = hs_bson_u32(d + q + 4); /* its string */
				if (l2 < 1 || l2 > l - 13) {
					bad = "a code with scope's string does not fit in it";
					goto out;
				}
				if (d[q + 8 + l2 - 1]) {
					bad = "a code with scope's string does not end with a NUL byte";
					goto out;
				}
				if (hs_bson_u32(d + q + 8 + l2) != l - 8 - l2) {
					bad = "a code with scope's scope does not fill it exactly";
					goto out;
				}
				q += 8 + (size_t)l2;
				l -= 8 + l2;
			} else {
				if (avail < 5) {
					bad = "an embedded document is cut short";
					goto out;
				}
				l = hs_bson_u32(d + q);
				if (l < 5 || l > avail) {
					bad = "an embedded document's length does not fit in its parent";
					goto out;
				}
			}
			if (d[q + l - 1]) {
				p = q + l - 1;
				bad = "an embedded document does not end with a NUL byte";
				goto out;
			}
			if (depth == cap) {
				size_t *n = hs_xmalloc(2 * cap * sizeof(*n));

				memcpy(n, ends, depth * sizeof(*n));
				if (ends != local)
					free(ends);
				ends = n;
				cap *= 2;
			}
			ends[depth++] = end;
			end = q + l - 1;
			p = q + 4;
			continue;
		default:
			bad = "unknown element type";
			goto out;
		}
		p = q;
	}
out:
	if (ends != local)
		free(ends);
	if (bad) {
		if (why)
			*why = bad;
		if (at)
			*at = p;
		return -1;
	}
	return 0;
}

void hs_bson_stream_init(hs_bson_stream *s, hs_linereader *lr, const char *name)
{
	s->lr = lr;
	s->name = name;
	s->docno = 0;
	s->off = 0;
}

int hs_bson_stream_next(hs_bson_stream *s, const uint8_t **doc, uint32_t *len, hs_error *e)
{
	const char *p, *why;
	size_t got, at;
	uint32_t l;

	*doc = NULL;
	*len = 0;
	if (hs_lr_peek(s->lr, 4, &p, &got, e))
		return -1;
	if (!got)
		return 0;
	s->docno++;
	if (got < 4)
		return hs_err(e, HS_EXIT_DATA, "bad BSON in '%s': document %llu at byte %llu: the entry ends %zu bytes into its length",
			      s->name, (unsigned long long)s->docno, (unsigned long long)s->off, got);
	l = hs_bson_u32((const uint8_t *)p);
	if (l < 5 || l > HS_BSON_DOC_MAX)
		return hs_err(e, HS_EXIT_DATA, "bad BSON in '%s': document %llu at byte %llu: length %u is %s",
			      s->name, (unsigned long long)s->docno, (unsigned long long)s->off, l,
			      l < 5 ? "less than 5" : "over the 16 MiB + 16 KiB document limit");
	if (hs_lr_take(s->lr, l, &p, &got, e))
		return -1;
	if (got < l)
		return hs_err(e, HS_EXIT_DATA, "bad BSON in '%s': document %llu at byte %llu: truncated: the entry ends after %zu of its %u bytes",
			      s->name, (unsigned long long)s->docno, (unsigned long long)s->off, got, l);
	if (hs_bson_check((const uint8_t *)p, l, &why, &at))
		return hs_err(e, HS_EXIT_DATA, "bad BSON in '%s': document %llu at byte %llu: %s (its byte %zu)", s->name,
			      (unsigned long long)s->docno, (unsigned long long)s->off, why, at);
	s->off += l;
	*doc = (const uint8_t *)p;
	*len = l;
	return 1;
}

ssize_t hs_bson_entry_read(void *ctx, void *buf, size_t n, hs_error *e)
{
	return hs_reader_read(ctx, buf, n, e);
}

int hs_bson_entry_check(hs_reader *rd, const char *name, uint64_t *ndocs, hs_error *e)
{
	hs_linereader *lr = hs_lr_new(hs_bson_entry_read, rd, 0);
	hs_bson_stream s;
	const uint8_t *doc;
	uint32_t len;
	int k;

	hs_bson_stream_init(&s, lr, name);
	while ((k = hs_bson_stream_next(&s, &doc, &len, e)) == 1)
		;
	if (ndocs)
		*ndocs = k ? s.docno - 1 : s.docno;
	hs_lr_free(lr);
	return k ? -1 : 0;
}
