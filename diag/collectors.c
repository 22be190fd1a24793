/*
 * collectors.c - the table of diag collectors, in the order summary.md
 * lists them.  Adding one: its own diag/collect_<name>.c defining
 * `const hs_diag_collector hs_diag_collector_<name>`, one extern line and
 * one table line here.
 */
#include <string.h>

#include "diag.h"

/* extern const hs_diag_collector hs_diag_collector_<name>; lines go here */
extern const hs_diag_collector hs_diag_collector_health;
extern const hs_diag_collector hs_diag_collector_deps;
extern const hs_diag_collector hs_diag_collector_prometheus;
extern const hs_diag_collector hs_diag_collector_redis;
extern const hs_diag_collector hs_diag_collector_mongo;
extern const hs_diag_collector hs_diag_collector_kafka;
extern const hs_diag_collector hs_diag_collector_k8s;

const hs_diag_collector *const hs_diag_collectors[] = {
	/* &hs_diag_collector_<name>, lines go here */
	&hs_diag_collector_health,
	&hs_diag_collector_deps,
	&hs_diag_collector_prometheus,
	&hs_diag_collector_redis,
	&hs_diag_collector_mongo,
	&hs_diag_collector_kafka,
	&hs_diag_collector_k8s,
	NULL
};

const hs_diag_collector *hs_diag_collector_find(const char *name)
{
	for (size_t i = 0; hs_diag_collectors[i]; i++)
		if (!strcmp(hs_diag_collectors[i]->name, name))
			return hs_diag_collectors[i];
	return NULL;
}
