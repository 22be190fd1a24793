/*
 * clock.h - the two clocks every module reads: the wall clock in unix
 * milliseconds (timestamps written to archives, manifests and reports) and
 * the monotonic clock in milliseconds (durations and deadlines).
 */
#ifndef HS_CLOCK_H
#define HS_CLOCK_H

#include <stdint.h>

/* Unix time in milliseconds (CLOCK_REALTIME). */
int64_t hs_now_ms(void);
/* Milliseconds on CLOCK_MONOTONIC: only differences mean anything. */
int64_t hs_mono_ms(void);

#endif
