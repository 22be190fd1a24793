/*
 * sources.c - the table of data sources.  Order matters: it is the capture
 * order and the SPEC's restore order (kafka, redis, mongo, k8s) is derived
 * from each source's own position in its restore table.
 */
#include <string.h>

#include "buf.h"
#include "source.h"

extern const hs_source_ops hs_source_mongo;   /* snapshot/mongo.c */
extern const hs_source_ops hs_source_redis;   /* snapshot/redis.c */
extern const hs_source_ops hs_source_kafka;   /* snapshot/kafka.c */
extern const hs_source_ops hs_source_k8s;     /* snapshot/k8s.c */

const hs_source_ops *const hs_sources[] = {
	&hs_source_mongo,
	&hs_source_redis,
	&hs_source_kafka,
	&hs_source_k8s,
	NULL
};

const hs_source_ops *hs_source_find(const char *name)
{
	size_t i;

	for (i = 0; hs_sources[i]; i++)
		if (!strcmp(hs_sources[i]->name, name))
			return hs_sources[i];
	return NULL;
}

int hs_source_parse_list(const char *list, unsigned *mask, hs_error *e)
{
	const char *p = list;
	unsigned m = 0;

	while (*p) {
		size_t n = strcspn(p, ",");
		size_t i;
		int found = 0;

		for (i = 0; hs_sources[i]; i++) {
			if (strlen(hs_sources[i]->name) == n && !strncmp(hs_sources[i]->name, p, n)) {
				m |= 1u << i;
				found = 1;
			}
		}
		if (!found) {
			hs_buf known = HS_BUF_INIT;

			for (i = 0; hs_sources[i]; i++)
				hs_buf_addf(&known, "%s%s", i ? "," : "", hs_sources[i]->name);
			hs_err(e, HS_EXIT_USAGE, "unknown source '%.*s' (known: %s)", (int)n, p,
			       known.len ? known.data : "none in this build");
			hs_buf_release(&known);
			return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (!m)
		return hs_err(e, HS_EXIT_USAGE, "empty source list");
	*mask = m;
	return 0;
}
