/* commands.h - the handlers of the command table (src/cmd_*.c). */
#ifndef HS_COMMANDS_H
#define HS_COMMANDS_H

#include "cli.h"

int hs_cmd_version(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_version_usage[];

int hs_cmd_snapshot(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_snapshot_usage[];

int hs_cmd_restore(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_restore_usage[];

int hs_cmd_rollback(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_rollback_usage[];

int hs_cmd_profile(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_profile_usage[];

int hs_cmd_inspect(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_inspect_usage[];

int hs_cmd_ls(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_ls_usage[];

int hs_cmd_cat(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_cat_usage[];

int hs_cmd_verify(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_verify_usage[];

int hs_cmd_extract(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_extract_usage[];

int hs_cmd_diff(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_diff_usage[];
int hs_cmd_list(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_list_usage[];
int hs_cmd_prune(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_prune_usage[];
int hs_cmd_unsilence(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_unsilence_usage[];
int hs_cmd_diag(int argc, char **argv, hs_ctx *ctx, hs_error *e);
extern const char hs_cmd_diag_usage[];

#endif
