/*
 * mongo.c - restore MongoDB collections from an archive's mongo/ entries.
 *
 * plan() reads the collection list the capture recorded in the manifest
 * (sources.mongo.details.collections), applies --include/--exclude and
 * --map-ns, connects to the target and counts what is live there; it
 * changes nothing.  apply() streams the archive once: for each selected
 * collection the metadata entry (options, indexes) and then the documents,
 * in batches, in the chosen mode:
 *
 *   insert   insert; a document whose _id exists is skipped (counted)
 *   upsert   replace by _id, inserting what is missing
 *   replace  load into a temporary collection, then rename it over the
 *            target (atomic with dropTarget on MongoDB; FerretDB renames
 *            only without dropTarget, so there the target is dropped
 *            first and the plan says so)
 *
 * Indexes are created after the data, one by one (without "v" and "ns"), so
 * an index the server rejects is reported by name and costs no data.
 *
 * Before any of this, restore's verifying pass has checked every selected
 * collection's documents and metadata (restore/mongo_scan.c); the batches
 * themselves are written by restore/mongo_write.c.  Namespaces of admin,
 * local, config and system.* are refused in the plan without
 * --allow-system (exit 5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "sources/mongo/mongo_common.h"
#include "mongo_restore.h"
#include "uri.h"

#define HS_MONGO_TMP_PREFIX "hivesnap_restore_tmp_"
#define HS_MONGO_OLD_PREFIX "hivesnap_restore_old_"

static void hs_mongo_item_release(hs_mongo_item *it)
{
	free(it->src_db);
	free(it->src_coll);
	free(it->dst_db);
	free(it->dst_coll);
	free(it->type);
	if (it->have_meta) {
		bson_destroy(&it->options);
		bson_destroy(&it->indexes);
	}
	json_decref(it->index_errors);
	json_decref(it->refused);
}

void hs_mongo_restore_release(hs_restore *r)
{
	hs_mongo_rstate *st = r ? r->state : NULL;
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n_items; i++)
		hs_mongo_item_release(&st->items[i]);
	free(st->items);
	mongoc_client_pool_destroy(st->pool);
	free(st->red);
	free(st);
	r->state = NULL;
}

/* Whether a collection exists on the target; -1 on a server error. */
static int hs_mongo_coll_exists(hs_mongo_rstate *st, mongoc_client_t *client, const char *db,
				const char *coll, hs_error *e)
{
	mongoc_database_t *d = mongoc_client_get_database(client, db);
	bson_t *opts = BCON_NEW("filter", "{", "name", BCON_UTF8(coll), "}", "nameOnly", BCON_BOOL(true));
	mongoc_cursor_t *cur = mongoc_database_find_collections_with_opts(d, opts);
	const bson_t *doc;
	bson_error_t berr;
	int found = 0;

	while (mongoc_cursor_next(cur, &doc))
		found = 1;
	if (mongoc_cursor_error(cur, &berr))
		found = hs_mongo_err(e, HS_EXIT_FAILURE, &berr, st->uri,
				     "cannot list collections of mongo database '%s' on '%s'", db, st->red);
	mongoc_cursor_destroy(cur);
	bson_destroy(opts);
	mongoc_database_destroy(d);
	return found;
}

/* The words of the plan for one collection. */
static json_t *hs_mongo_plan_step(hs_mongo_rstate *st, const hs_mongo_item *it)
{
	hs_buf d = HS_BUF_INIT;
	json_t *step;
	const char *action = st->mode;

	if (!strcmp(it->type, "view")) {
		action = it->exists ? "skip" : "create-view";
		hs_buf_addf(&d, it->exists ? "view %s.%s exists: left as it is" : "create view %s.%s",
			    it->dst_db, it->dst_coll);
	} else if (!strcmp(st->mode, "insert")) {
		hs_buf_addf(&d, "insert %lld documents into %s.%s (%lld live now); documents whose _id exists are skipped",
			    (long long)it->docs_archive, it->dst_db, it->dst_coll, (long long)it->docs_live);
	} else if (!strcmp(st->mode, "upsert")) {
		hs_buf_addf(&d, "upsert %lld documents by _id into %s.%s (%lld live now); other live documents stay",
			    (long long)it->docs_archive, it->dst_db, it->dst_coll, (long long)it->docs_live);
		if (st->ferretdb)
			hs_buf_adds(&d, "; FerretDB: each batch's _ids are deleted and inserted again "
				    "(not atomic per document)");
	} else if (st->rename_atomic) {
		hs_buf_addf(&d, "load %lld documents into a temporary collection, then rename it over %s.%s "
			    "(replacing %lld live documents at once)",
			    (long long)it->docs_archive, it->dst_db, it->dst_coll, (long long)it->docs_live);
	} else {
		hs_buf_addf(&d, "load %lld documents into a temporary collection, then rename %s.%s (%lld live "
			    "documents) aside, rename the temporary one in its place and drop the old one: the "
			    "server cannot rename over a collection, so for a moment the collection is missing",
			    (long long)it->docs_archive, it->dst_db, it->dst_coll, (long long)it->docs_live);
	}
	step = json_pack("{s:s+++, s:s, s:s, s:s++, s:I, s:I, s:s}", "target", "mongo:", it->dst_db, ".",
			 it->dst_coll, "action", action, "detail", d.data, "source", it->src_db, ".",
			 it->src_coll, "documents_archive", (json_int_t)it->docs_archive, "documents_live",
			 (json_int_t)it->docs_live, "mode", st->mode);
	hs_buf_release(&d);
	return step;
}

int hs_mongo_restore_plan(hs_restore *r, hs_error *e)
{
	const hs_restore_opts *o = r->opts;
	hs_mongo_rstate *st = hs_xcalloc(1, sizeof(*st));
	mongoc_client_t *client = NULL;
	const json_t *colls, *jc;
	json_t *plan = json_array();
	bson_t *cmd = NULL;
	bson_t reply;
	bson_error_t berr;
	size_t i;
	int rc = -1;

	bson_init(&reply);
	r->state = st;
	st->mode = o && o->mongo_mode ? o->mongo_mode : "insert";
	if (strcmp(st->mode, "insert") && strcmp(st->mode, "upsert") && strcmp(st->mode, "replace")) {
		hs_err(e, HS_EXIT_USAGE, "--mongo-mode '%s': expected insert, upsert or replace", st->mode);
		goto out;
	}
	if (hs_mongo_ns_rules_check(o ? o->map_ns : NULL, e))
		goto out;
	st->uri = o && o->to_mongo ? o->to_mongo : r->profile && r->profile->mongo ? r->profile->mongo->uri : NULL;
	if (!st->uri) {
		hs_err(e, HS_EXIT_USAGE, "no mongo target: give --to-mongo URI or a profile with mongo.uri");
		goto out;
	}
	st->red = hs_uri_redact_dup(st->uri);
	colls = json_object_get(json_object_get(json_object_get(json_object_get(r->manifest, "sources"),
								"mongo"), "details"), "collections");
	if (!json_is_array(colls)) {
		hs_err(e, HS_EXIT_DATA, "archive '%s' has no mongo collection list in its manifest", r->archive_path);
		goto out;
	}
	st->items = hs_xcalloc(json_array_size(colls) + 1, sizeof(*st->items));
	json_array_foreach(colls, i, jc) {
		const char *db = json_string_value(json_object_get(jc, "db"));
		const char *coll = json_string_value(json_object_get(jc, "collection"));
		const char *type = json_string_value(json_object_get(jc, "type"));
		const char *status = json_string_value(json_object_get(jc, "status"));
		hs_mongo_item *it;
		hs_buf ns = HS_BUF_INIT;
		char *dst = NULL;

		if (!db || !coll || !type || !status) {
			hs_err(e, HS_EXIT_DATA, "archive '%s': malformed mongo collection list", r->archive_path);
			goto out;
		}
		if (strcmp(status, "ok"))
			continue;
		it = &st->items[st->n_items++];
		it->src_db = hs_xstrdup(db);
		it->src_coll = hs_xstrdup(coll);
		it->type = hs_xstrdup(type);
		it->docs_archive = json_integer_value(json_object_get(jc, "documents"));
		hs_buf_addf(&ns, "%s.%s", db, coll);
		it->selected = hs_mongo_ns_selected(ns.data, o ? o->include : NULL, o ? o->exclude : NULL);
		if (hs_mongo_ns_map(ns.data, o ? o->map_ns : NULL, &dst, e)) {
			hs_buf_release(&ns);
			goto out;
		}
		if (!hs_mongo_ns_split(dst, &it->dst_db, &it->dst_coll)) {
			hs_err(e, HS_EXIT_USAGE, "--map-ns maps '%s' to '%s', which is not a namespace db.coll",
			       ns.data, dst);
			free(dst);
			hs_buf_release(&ns);
			goto out;
		}
		free(dst);
		hs_buf_release(&ns);
	}

	/* system namespaces (users, roles, the oplog, sharding state): only when asked */
	for (i = 0; i < st->n_items && !(o && o->allow_system); i++) {
		hs_mongo_item *it = &st->items[i];

		if (it->selected && (hs_mongo_ns_system(it->src_db, it->src_coll) ||
				     hs_mongo_ns_system(it->dst_db, it->dst_coll))) {
			hs_err(e, HS_EXIT_PRECOND, "refusing to restore '%s.%s' into '%s.%s': a system namespace "
			       "(databases admin, local, config; collections system.*); --allow-system restores it",
			       it->src_db, it->src_coll, it->dst_db, it->dst_coll);
			goto out;
		}
	}
	if (hs_mongo_pool_new(st->uri, 2, &st->pool, NULL, e))
		goto out;
	client = mongoc_client_pool_pop(st->pool);
	cmd = BCON_NEW("buildInfo", BCON_INT32(1));
	if (!mongoc_client_command_simple(client, "admin", cmd, NULL, &reply, &berr)) {
		hs_mongo_err(e, HS_EXIT_FAILURE, &berr, st->uri, "cannot connect to mongo '%s'", st->red);
		goto out;
	}
	{
		bson_iter_t bi;

		/* FerretDB renames only without dropTarget */
		st->ferretdb = bson_iter_init_find(&bi, &reply, "ferretdbVersion");
		st->rename_atomic = !st->ferretdb;
	}
	for (i = 0; i < st->n_items; i++) {
		hs_mongo_item *it = &st->items[i];
		int ex;

		if (!it->selected)
			continue;
		ex = hs_mongo_coll_exists(st, client, it->dst_db, it->dst_coll, e);
		if (ex < 0)
			goto out;
		it->exists = ex > 0;
		if (it->exists && strcmp(it->type, "view")) {
			mongoc_collection_t *c = mongoc_client_get_collection(client, it->dst_db, it->dst_coll);
			bson_t filter = BSON_INITIALIZER;

			it->docs_live = mongoc_collection_count_documents(c, &filter, NULL, NULL, NULL, &berr);
			bson_destroy(&filter);
			mongoc_collection_destroy(c);
			if (it->docs_live < 0) {
				hs_mongo_err(e, HS_EXIT_FAILURE, &berr, st->uri, "cannot count documents of '%s.%s' on '%s'",
					     it->dst_db, it->dst_coll, st->red);
				goto out;
			}
		}
		json_array_append_new(plan, hs_mongo_plan_step(st, it));
	}
	r->plan = plan;
	plan = NULL;
	rc = 0;
out:
	if (client)
		mongoc_client_pool_push(st->pool, client);
	bson_destroy(&reply);
	if (cmd)
		bson_destroy(cmd);
	json_decref(plan);
	return rc;
}

/* Find the item of a source namespace; NULL when the archive's list lacks it. */
static hs_mongo_item *hs_mongo_item_find(hs_mongo_rstate *st, const char *db, const char *coll)
{
	size_t i;

	for (i = 0; i < st->n_items; i++)
		if (!strcmp(st->items[i].src_db, db) && !strcmp(st->items[i].src_coll, coll))
			return &st->items[i];
	return NULL;
}

/* The name of the temporary collection of a replace. */
static void hs_mongo_tmp_name(const hs_mongo_item *it, hs_buf *out)
{
	hs_buf_reset(out);
	hs_buf_addf(out, HS_MONGO_TMP_PREFIX "%s", it->dst_coll);
}

/* Run a command on db; -1 with e filled (prefixed with what) on failure. */
static int hs_mongo_run_cmd(hs_mongo_rstate *st, mongoc_client_t *client, const char *db, const bson_t *cmd,
			    bson_error_t *berr, hs_error *e, const char *what)
{
	bson_t reply;
	bool ok = mongoc_client_write_command_with_opts(client, db, cmd, NULL, &reply, berr);

	bson_destroy(&reply);
	if (!ok)
		return hs_mongo_err(e, HS_EXIT_FAILURE, berr, st->uri, "%s", what);
	return 0;
}

/* renameCollection db.from -> db.to (with dropTarget when asked). */
static int hs_mongo_rename(hs_mongo_rstate *st, mongoc_client_t *client, const char *db, const char *from,
			   const char *to, bool drop_target, hs_error *e)
{
	hs_buf f = HS_BUF_INIT, t = HS_BUF_INIT, what = HS_BUF_INIT;
	bson_error_t berr;
	bson_t *cmd;
	int rc;

	hs_buf_addf(&f, "%s.%s", db, from);
	hs_buf_addf(&t, "%s.%s", db, to);
	cmd = BCON_NEW("renameCollection", BCON_UTF8(f.data), "to", BCON_UTF8(t.data));
	if (drop_target)
		BSON_APPEND_BOOL(cmd, "dropTarget", true);
	hs_buf_addf(&what, "cannot rename '%s' to '%s'", f.data, t.data);
	rc = hs_mongo_run_cmd(st, client, "admin", cmd, &berr, e, what.data);
	bson_destroy(cmd);
	hs_buf_release(&f);
	hs_buf_release(&t);
	hs_buf_release(&what);
	return rc;
}

/* Create db.coll with the archive's options (views too).  Existing: nothing. */
static int hs_mongo_create(hs_mongo_rstate *st, mongoc_client_t *client, hs_mongo_item *it,
			   const char *coll, hs_error *e)
{
	bson_t cmd = BSON_INITIALIZER;
	bson_error_t berr;
	hs_buf what = HS_BUF_INIT;
	int rc;

	BSON_APPEND_UTF8(&cmd, "create", coll);
	if (it->have_meta)
		bson_concat(&cmd, &it->options);
	hs_buf_addf(&what, "cannot create collection '%s.%s'", it->dst_db, coll);
	rc = hs_mongo_run_cmd(st, client, it->dst_db, &cmd, &berr, e, what.data);
	/* 48 NamespaceExists: someone created it meanwhile, fine */
	if (rc && berr.code == 48)
		rc = 0;
	bson_destroy(&cmd);
	hs_buf_release(&what);
	return rc;
}

/* Drop db.coll; a missing collection is not an error. */
static void hs_mongo_drop(mongoc_client_t *client, const char *db, const char *coll)
{
	mongoc_collection_t *c = mongoc_client_get_collection(client, db, coll);
	bson_error_t berr;

	mongoc_collection_drop(c, &berr);
	mongoc_collection_destroy(c);
}

/* Create the archive's indexes (but _id_) on db.coll one by one; rejections are recorded. */
static void hs_mongo_make_indexes(hs_mongo_rstate *st, mongoc_client_t *client, hs_mongo_item *it)
{
	bson_iter_t ai;
	int64_t t0 = hs_mono_ms();

	if (!it->have_meta || !bson_iter_init(&ai, &it->indexes))
		return;
	while (bson_iter_next(&ai)) {
		const uint8_t *data;
		uint32_t len;
		bson_t listed, spec, cmd = BSON_INITIALIZER, arr, reply;
		bson_error_t berr;
		bson_iter_t ni;
		const char *name = "?";

		if (!BSON_ITER_HOLDS_DOCUMENT(&ai))
			continue;
		bson_iter_document(&ai, &len, &data);
		if (!bson_init_static(&listed, data, len))
			continue;
		if (bson_iter_init_find(&ni, &listed, "name") && BSON_ITER_HOLDS_UTF8(&ni))
			name = bson_iter_utf8(&ni, NULL);
		if (!strcmp(name, "_id_")) {
			bson_destroy(&cmd);
			continue;
		}
		hs_mongo_index_spec(&listed, &spec);
		BSON_APPEND_UTF8(&cmd, "createIndexes", it->dst_coll);
		BSON_APPEND_ARRAY_BEGIN(&cmd, "indexes", &arr);
		BSON_APPEND_DOCUMENT(&arr, "0", &spec);
		bson_append_array_end(&cmd, &arr);
		if (!mongoc_client_write_command_with_opts(client, it->dst_db, &cmd, NULL, &reply, &berr)) {
			char msg[sizeof(berr.message)];

			snprintf(msg, sizeof(msg), "%s", berr.message);
			hs_mongo_scrub(msg, sizeof(msg), st->uri);
			if (!it->index_errors)
				it->index_errors = json_array();
			json_array_append_new(it->index_errors, json_pack("{s:s, s:s}", "index", name, "error", msg));
			hs_warn("mongo", "index '%s' of '%s.%s' not created: %s", name, it->dst_db, it->dst_coll, msg);
		}
		bson_destroy(&reply);
		bson_destroy(&spec);
		bson_destroy(&cmd);
	}
	it->index_ms += hs_mono_ms() - t0;
}

/* Metadata of a collection: keep options and indexes; views are created here. */
static int hs_mongo_apply_meta(hs_mongo_rstate *st, mongoc_client_t *client, hs_reader *rd, hs_mongo_item *it,
			       const char *entry, hs_error *e)
{
	bson_t options, indexes;
	char type[64];
	int rc = -1;

	if (it->have_meta) {
		/* read (and checked) again; the first one counts */
		if (hs_mongo_meta_entry(rd, entry, &options, &indexes, type, sizeof(type), e))
			goto out;
		bson_destroy(&options);
		bson_destroy(&indexes);
		rc = 0;
		goto out;
	}
	if (hs_mongo_meta_entry(rd, entry, &it->options, &it->indexes, type, sizeof(type), e))
		goto out;
	it->have_meta = true;
	if (!strcmp(it->type, "view")) {
		hs_error ve;

		hs_error_init(&ve);
		if (!it->exists && hs_mongo_create(st, client, it, it->dst_coll, &ve)) {
			/* FerretDB has no views: report, keep going */
			it->failed++;
			snprintf(it->error, sizeof(it->error), "%s", ve.msg);
			hs_warn("mongo", "%s", ve.msg);
		}
		it->finished = true;
	} else if (it->data_done && !it->finished) {
		/* documents came first: indexes now */
		hs_mongo_make_indexes(st, client, it);
		it->finished = true;
	}
	rc = 0;
out:
	return rc;
}

/*
 * Documents of a collection, then its indexes; for replace, the
 * temporary collection is renamed over the target when every document
 * made it (else it is dropped and the target left as it was).
 */
static int hs_mongo_apply_data(hs_mongo_rstate *st, mongoc_client_t *client, hs_reader *rd, hs_mongo_item *it,
			       const char *entry, hs_progress *pg, hs_error *e)
{
	hs_buf tmp = HS_BUF_INIT;
	bool replace = !strcmp(st->mode, "replace");
	const char *coll = it->dst_coll;
	int64_t t0 = hs_mono_ms();
	int rc = -1;

	if (replace) {
		hs_mongo_tmp_name(it, &tmp);
		coll = tmp.data;
		hs_mongo_drop(client, it->dst_db, coll);
		if (hs_mongo_create(st, client, it, coll, e))
			goto out;
	} else if (!it->exists) {
		/*
		 * Create it first, with the archive's options: FerretDB 1.24
		 * hangs (and wedges the database) on a multi-document upsert
		 * into a collection that does not exist yet.
		 */
		if (hs_mongo_create(st, client, it, coll, e))
			goto out;
	}
	if (hs_mongo_load(st, client, rd, it, entry, coll, pg, e))
		goto out;
	it->data_ms += hs_mono_ms() - t0;
	it->data_done = true;
	if (replace) {
		if (it->failed) {
			hs_mongo_drop(client, it->dst_db, coll);
			hs_err(e, HS_EXIT_FAILURE, "'%s.%s' left as it was: %lld documents could not be loaded (%s)",
			       it->dst_db, it->dst_coll, (long long)it->failed,
			       it->error[0] ? it->error : "no reason given");
			goto out;
		}
		/* indexes on the temporary collection, so the renamed one has them at once */
		{
			char *keep = it->dst_coll;

			it->dst_coll = tmp.data;
			if (it->have_meta)
				hs_mongo_make_indexes(st, client, it);
			it->dst_coll = keep;
		}
		if (st->rename_atomic) {
			rc = hs_mongo_rename(st, client, it->dst_db, coll, it->dst_coll, true, e);
		} else if (!it->exists) {
			rc = hs_mongo_rename(st, client, it->dst_db, coll, it->dst_coll, false, e);
		} else {
			/*
			 * No dropTarget (FerretDB): move the live collection aside,
			 * move the new one in, then drop the old one; if the second
			 * rename fails, the old one goes back.
			 */
			hs_buf old = HS_BUF_INIT;

			hs_buf_addf(&old, HS_MONGO_OLD_PREFIX "%s", it->dst_coll);
			hs_mongo_drop(client, it->dst_db, old.data);
			rc = hs_mongo_rename(st, client, it->dst_db, it->dst_coll, old.data, false, e);
			if (!rc) {
				rc = hs_mongo_rename(st, client, it->dst_db, coll, it->dst_coll, false, e);
				if (rc) {
					hs_error e2;

					hs_error_init(&e2);
					if (hs_mongo_rename(st, client, it->dst_db, old.data, it->dst_coll, false, &e2))
						hs_err_prefix(e, "the live collection is kept as '%s.%s'", it->dst_db, old.data);
				} else {
					hs_mongo_drop(client, it->dst_db, old.data);
				}
			}
			hs_buf_release(&old);
		}
		if (rc) {
			hs_mongo_drop(client, it->dst_db, coll);
			goto out;
		}
		it->replaced = it->docs_live;
		it->finished = it->have_meta;
	} else if (it->have_meta) {
		hs_mongo_make_indexes(st, client, it);
		it->finished = true;
	}
	rc = 0;
out:
	hs_buf_release(&tmp);
	return rc;
}

/*
 * The result step of one collection, in the shape of a plan step
 * (target, action, detail) plus the counts.
 */
static json_t *hs_mongo_item_result(const hs_mongo_item *it, const char *mode)
{
	const char *status = it->failed_hard ? "failed" : it->failed ? "partial"
			     : it->data_done || it->finished ? "done" : "not-applied";
	hs_buf d = HS_BUF_INIT;
	json_t *o;
	size_t n = it->index_errors ? json_array_size(it->index_errors) : 0;

	hs_buf_addf(&d, "%lld inserted, %lld replaced, %lld skipped (_id exists), %lld failed",
		    (long long)it->inserted, (long long)it->replaced, (long long)it->skipped, (long long)it->failed);
	if (n) {
		size_t i;

		hs_buf_adds(&d, "; indexes not created:");
		for (i = 0; i < n; i++)
			hs_buf_addf(&d, "%s '%s'", i ? "," : "",
				    json_string_value(json_object_get(json_array_get(it->index_errors, i), "index")));
	}
	if (it->error[0])
		hs_buf_addf(&d, "; %s", it->error);
	o = json_pack("{s:s+++, s:s, s:s, s:s++, s:s, s:I, s:I, s:I, s:I, s:s}", "target", "mongo:", it->dst_db, ".",
		      it->dst_coll, "action", status, "detail", d.data, "source", it->src_db, ".", it->src_coll, "mode",
		      mode, "inserted", (json_int_t)it->inserted, "replaced", (json_int_t)it->replaced, "skipped",
		      (json_int_t)it->skipped, "failed", (json_int_t)it->failed, "status", status);
	json_object_set_new(o, "index_errors", it->index_errors ? json_incref(it->index_errors) : json_array());
	json_object_set_new(o, "refused", it->refused ? json_incref(it->refused) : json_array());
	if (it->error[0])
		json_object_set_new(o, "error", json_string(it->error));
	hs_buf_release(&d);
	return o;
}

int hs_mongo_restore_apply(hs_restore *r, hs_error *e)
{
	hs_mongo_rstate *st = r->state;
	hs_reader *rd = NULL;
	hs_reader_entry ent;
	mongoc_client_t *client = NULL;
	json_t *res = json_array();
	bool stop_on_error = r->opts && r->opts->stop_on_error;
	size_t i;
	int rc = -1, nx;

	if (!st)
		return hs_err(e, HS_EXIT_FAILURE, "mongo restore: apply without a plan");
	client = mongoc_client_pool_pop(st->pool);
	if (hs_reader_open(&rd, r->archive_path, e))
		goto out;
	while ((nx = hs_reader_next(rd, &ent, e)) == 1) {
		char *db = NULL, *coll = NULL;
		int kind;
		hs_mongo_item *it;
		int frc;

		if (!hs_mongo_entry_split(ent.name, &db, &coll, &kind))
			continue;
		it = hs_mongo_item_find(st, db, coll);
		free(db);
		free(coll);
		if (!it || !it->selected)
			continue;
		hs_progress_note(r->progress, it->dst_coll);
		if (kind == 1)
			frc = hs_mongo_apply_meta(st, client, rd, it, ent.name, e);
		else
			frc = hs_mongo_apply_data(st, client, rd, it, ent.name, r->progress, e);
		if (frc) {
			it->failed_hard = true;
			if (!it->error[0])
				snprintf(it->error, sizeof(it->error), "%s", e->msg);
			goto out;
		} else if (it->failed && stop_on_error) {
			hs_err(e, HS_EXIT_FAILURE, "%lld documents could not be written to '%s.%s' (%s); stopped (--stop-on-error)",
			       (long long)it->failed, it->dst_db, it->dst_coll, it->error[0] ? it->error : "no reason given");
			goto out;
		}
	}
	if (nx < 0)
		goto out;
	rc = 0;
out:
	for (i = 0; st && i < st->n_items; i++) {
		hs_mongo_item *it = &st->items[i];

		if (!it->selected)
			continue;
		if (rc == 0 && !it->finished && it->data_done && !it->have_meta)
			it->finished = true;
		json_array_append_new(res, hs_mongo_item_result(it, st->mode));
		hs_info("mongo", "%s.%s: %lld inserted, %lld replaced, %lld skipped, %lld failed "
			"(documents %.1f s, indexes %.1f s)", it->dst_db, it->dst_coll, (long long)it->inserted,
			(long long)it->replaced, (long long)it->skipped, (long long)it->failed, it->data_ms / 1000.0,
			it->index_ms / 1000.0);
	}
	r->result = res;
	hs_reader_free(rd);
	if (client)
		mongoc_client_pool_push(st->pool, client);
	return rc;
}
