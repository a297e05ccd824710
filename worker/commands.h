/* commands.h - the subcommands of bounced(1)
 *
 * Each takes the arguments after its name (argv[0] is the command name) and
 * returns the process exit status: 0 success, 1 failure of some input or of
 * the run, 2 bad usage.
 */
#pragma once

#include <glib.h>
#include "bounce.h"

G_BEGIN_DECLS

int cmd_parse (int argc, char **argv, const BounceSettings *settings);
int cmd_migrate (int argc, char **argv, const BounceSettings *settings);
int cmd_db (int argc, char **argv, const BounceSettings *settings);
int cmd_ingest (int argc, char **argv, const BounceSettings *settings);
int cmd_watch (int argc, char **argv, const BounceSettings *settings);
int cmd_status (int argc, char **argv, const BounceSettings *settings);

int cmd_suppress (int argc, char **argv, const BounceSettings *settings);
int cmd_unsuppress (int argc, char **argv, const BounceSettings *settings);
int cmd_recompute (int argc, char **argv, const BounceSettings *settings);
int cmd_sends (int argc, char **argv, const BounceSettings *settings);
int cmd_reprocess (int argc, char **argv, const BounceSettings *settings);
int cmd_report (int argc, char **argv, const BounceSettings *settings);
int cmd_suppression (int argc, char **argv, const BounceSettings *settings);
int cmd_classify (int argc, char **argv, const BounceSettings *settings);
int cmd_rules (int argc, char **argv, const BounceSettings *settings);
int cmd_show (int argc, char **argv, const BounceSettings *settings);
int cmd_retention (int argc, char **argv, const BounceSettings *settings);
G_END_DECLS
