/*
 * diff_kafka.c - the partition-level diff of two kafka/groups/<group>.json
 * entries.
 *
 * A group document is small (one object per committed partition), so both
 * are loaded whole.  Their "offsets" arrays are sorted by topic then
 * partition (docs/kafka.md) and merged: partitions only in A (removed),
 * only in B (added), and in both with another offset, metadata, log start,
 * log end or lag (changed, with the offset and lag deltas).  A change of
 * the group's state or of its number of members is one more changed item.
 * offsets_time_ms and member ids, which differ at every capture, are not
 * compared.
 */
#include <string.h>

#include "diff.h"

/* Order two offset records by topic, then partition. */
static int hs_kdiff_cmp(const json_t *x, const json_t *y)
{
	const char *tx = json_string_value(json_object_get(x, "topic"));
	const char *ty = json_string_value(json_object_get(y, "topic"));
	json_int_t px = json_integer_value(json_object_get(x, "partition"));
	json_int_t py = json_integer_value(json_object_get(y, "partition"));
	int c = strcmp(tx ? tx : "", ty ? ty : "");

	if (c)
		return c < 0 ? -1 : 1;
	return px < py ? -1 : px > py;
}

/* Count a change and, with details and room left, keep its item (stolen). */
static void hs_kdiff_item(json_t *out, const hs_diff_opts *opts, const char *change, json_t *it)
{
	json_t *items = json_object_get(out, "items");

	json_object_set_new(out, change, json_integer(json_integer_value(json_object_get(out, change)) + 1));
	if (!opts->details || json_array_size(items) >= opts->limit) {
		json_decref(it);
		return;
	}
	json_object_set_new(it, "change", json_string(change));
	json_array_append_new(items, it);
}

/* The item's key for a partition: {"topic", "partition"}. */
static json_t *hs_kdiff_key(const json_t *rec)
{
	return json_pack("{s:O, s:O}", "topic", json_object_get(rec, "topic"), "partition",
			 json_object_get(rec, "partition"));
}

/* A changed partition's item, or NULL when nothing compared differs. */
static json_t *hs_kdiff_changed(const json_t *x, const json_t *y)
{
	static const char *const keys[] = { "offset", "metadata", "log_start", "log_end", "lag" };
	json_t *fields = json_array(), *it;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const json_t *vx = json_object_get(x, keys[i]), *vy = json_object_get(y, keys[i]);

		if ((vx == NULL) != (vy == NULL) || (vx && !json_equal(vx, vy)))
			json_array_append_new(fields, json_string(keys[i]));
	}
	if (!json_array_size(fields)) {
		json_decref(fields);
		return NULL;
	}
	it = json_pack("{s:o, s:o}", "key", hs_kdiff_key(y), "fields", fields);
	json_object_set_new(it, "delta", json_pack("{s:I, s:I}",
		"offset", json_integer_value(json_object_get(y, "offset")) -
			  json_integer_value(json_object_get(x, "offset")),
		"lag", json_integer_value(json_object_get(y, "lag")) -
		       json_integer_value(json_object_get(x, "lag"))));
	return it;
}

/* Load a group document; HS_EXIT_DATA when it is not one. */
static json_t *hs_kdiff_load(FILE *f, const char *name, const char *which, hs_error *e)
{
	json_error_t jerr;
	json_t *doc = json_loadf(f, 0, &jerr);

	if (!json_is_object(doc) || !json_is_array(json_object_get(doc, "offsets"))) {
		json_decref(doc);
		hs_err(e, HS_EXIT_DATA, "cannot diff '%s' of %s: not a Kafka group document", name, which);
		return NULL;
	}
	return doc;
}

/* See diff.h. */
int hs_diff_kafka(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts, json_t *out,
		  hs_error *e)
{
	json_t *da = NULL, *db = NULL, *oa, *ob;
	const json_t *sa, *sb;
	size_t i = 0, j = 0, ma, mb;
	int rc = -1;

	json_object_set_new(out, "added", json_integer(0));
	json_object_set_new(out, "removed", json_integer(0));
	json_object_set_new(out, "changed", json_integer(0));
	json_object_set_new(out, "items", json_array());
	if (!(da = hs_kdiff_load(a, name, "A", e)) || !(db = hs_kdiff_load(b, name, "B", e)))
		goto out;

	sa = json_object_get(da, "state");
	sb = json_object_get(db, "state");
	if (!json_equal(sa ? sa : json_null(), sb ? sb : json_null()))
		hs_kdiff_item(out, opts, "changed",
			      json_pack("{s:s, s:O, s:O}", "key", "state", "from", sa ? sa : json_null(),
					"to", sb ? sb : json_null()));
	ma = json_array_size(json_object_get(da, "members"));
	mb = json_array_size(json_object_get(db, "members"));
	if (ma != mb)
		hs_kdiff_item(out, opts, "changed",
			      json_pack("{s:s, s:I, s:I}", "key", "members", "from", (json_int_t)ma, "to",
					(json_int_t)mb));

	oa = json_object_get(da, "offsets");
	ob = json_object_get(db, "offsets");
	while (i < json_array_size(oa) || j < json_array_size(ob)) {
		const json_t *x = json_array_get(oa, i), *y = json_array_get(ob, j);
		int c = !x ? 1 : !y ? -1 : hs_kdiff_cmp(x, y);

		if (c < 0) {
			hs_kdiff_item(out, opts, "removed", json_pack("{s:o}", "key", hs_kdiff_key(x)));
			i++;
		} else if (c > 0) {
			hs_kdiff_item(out, opts, "added", json_pack("{s:o}", "key", hs_kdiff_key(y)));
			j++;
		} else {
			json_t *it = hs_kdiff_changed(x, y);

			if (it)
				hs_kdiff_item(out, opts, "changed", it);
			i++;
			j++;
		}
	}
	rc = 0;
out:
	json_decref(da);
	json_decref(db);
	return rc;
}
