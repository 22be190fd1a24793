/*
 * error.h - the one error type of hivesnap.
 *
 * Modelled on mongo-c-driver's bson_error_t: a small struct on the caller's
 * stack, passed as the last parameter, filled by the callee on failure.
 * Functions return 0 on success and -1 on failure, so that
 *
 *     return hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': checksum mismatch", name);
 *
 * reads naturally.  Messages are lowercase, one line, no full stop, the
 * subject quoted.  They never contain credentials: callers pass redacted
 * URIs (see hs_uri_redact in uri.h).  A name quoted in a message may come
 * from an archive, so it may hold any byte: messages are kept raw and
 * escaped where they are printed as text (textsafe.h; the final
 * "hivesnap: ..." line of src/cli.c stays one line).
 *
 * The code is the process exit code the error maps to (SPEC "Exit codes").
 * Exit codes never change meaning once released.
 */
#ifndef HS_ERROR_H
#define HS_ERROR_H

#include <stddef.h>

enum hs_exit {
	HS_EXIT_OK = 0,
	HS_EXIT_DIFFER = 1,     /* diff: archives differ */
	HS_EXIT_PARTIAL = 2,    /* archive written, a source failed */
	HS_EXIT_FAILURE = 3,    /* nothing usable written / did not happen */
	HS_EXIT_INTEGRITY = 4,  /* not hivesnap, corrupt, truncated, tampered, unsafe */
	HS_EXIT_PRECOND = 5,    /* precondition refused */
	HS_EXIT_USAGE = 64,     /* bad flags */
	HS_EXIT_DATA = 65,      /* bad input data, newer format version */
	HS_EXIT_LOCKED = 75     /* output folder locked by another hivesnap */
};

#define HS_ERROR_MSG_MAX 512

typedef struct hs_error {
	int code;                    /* an enum hs_exit value; 0 when unset */
	char msg[HS_ERROR_MSG_MAX];
} hs_error;

#if defined(__GNUC__)
#define HS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HS_PRINTF(a, b)
#endif

/* Clear an error before use. */
void hs_error_init(hs_error *e);

/*
 * Fill e (which may be NULL) with code and a formatted message.
 * Always returns -1.
 */
int hs_err(hs_error *e, int code, const char *fmt, ...) HS_PRINTF(3, 4);

/*
 * Prefix the message already in e with "<formatted>: ", keeping its code.
 * Used to add context as an error travels up.  Always returns -1.
 */
int hs_err_prefix(hs_error *e, const char *fmt, ...) HS_PRINTF(2, 3);

/* Fill e from errno: "<formatted>: <strerror(errnum)>". Returns -1. */
int hs_err_errno(hs_error *e, int code, int errnum, const char *fmt, ...) HS_PRINTF(4, 5);

#endif
