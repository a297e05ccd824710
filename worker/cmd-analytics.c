/* cmd-analytics.c - bounced suppress, unsuppress, recompute, sends import,
 * reprocess and report
 *
 * The commands that work on what is stored rather than on a Maildir.  Each
 * reads the configuration file like ingest does (--config, BOUNCED_CONFIG,
 * else SYSCONFDIR/bounced/bounced.conf; then BOUNCED_DB / DATABASE_URL; then
 * the command line), connects, applies pending migrations, and does one
 * thing.  Exit status: 0 done, 1 a failure of the data or the database, 2
 * bad usage or configuration.
 */
#include "commands.h"
#include "cli.h"
#include "config.h"
#include "input-walk.h"
#include "maildir.h"
#include "mbox.h"
#include "msgfile.h"
#include "parser-options.h"
#include "progress.h"
#include "report-data.h"
#include "report-html.h"
#include "report-json.h"
#include "sends-csv.h"
#include "store.h"
#include "verp.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Messages per reprocessing transaction. */
#define REPROCESS_BATCH 500

/* ---- common -------------------------------------------------------------- */

/* The options every command here takes.  The configuration file is read
 * through ParserOptions, as parse and ingest read it; only a command that
 * parses mail (reprocess) offers the rest of the parser options, the others
 * just --config. */
typedef struct {
  ParserOptions parser;
  gboolean parses_mail;
  char *db;
} CommonOptions;

static void
common_options_init (CommonOptions *o, gboolean parses_mail)
{
  parser_options_init (&o->parser);
  o->parses_mail = parses_mail;
  o->db = NULL;
}

static void
common_options_clear (CommonOptions *o)
{
  parser_options_clear (&o->parser);
  g_clear_pointer (&o->db, g_free);
}

static void
common_entries (GOptionContext *ctx, CommonOptions *o)
{
  GOptionEntry config_entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->parser.config_path,
      "Configuration file (default $BOUNCED_CONFIG, else " "the system bounced.conf)", "FILE" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionEntry entries[] = {
    { "db", 'd', 0, G_OPTION_ARG_STRING, &o->db,
      "Database connection string or URI (default BOUNCED_DB, DATABASE_URL, PG*, "
      "else the private cluster)", "CONNINFO" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  if (o->parses_mail)
    parser_options_add (&o->parser, ctx);
  else
    cli_add_entries (ctx, config_entries);
  cli_add_entries (ctx, entries);
}

/* Parses the options of @entries plus the common ones; returns FALSE (after
 * printing why) on bad usage. */
static gboolean
parse_options (const char *name, const char *params, const char *summary,
               GOptionEntry *entries, CommonOptions *common, int *argc, char ***argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (params);

  cli_set_command (name);
  g_option_context_set_summary (ctx, summary);
  common_entries (ctx, common);
  if (entries != NULL)
    cli_add_entries (ctx, entries);
  return cli_parse (ctx, argc, argv);
}

/* Loads the configuration (file, environment, the parser options, --db). */
static Config *
load_config (const char *name, const CommonOptions *common)
{
  g_autoptr(Config) config = config_new ();
  g_autoptr(GError) error = NULL;

  if (!parser_options_configure (&common->parser, config, &error))
    {
      g_printerr ("bounced %s: %s\n", name, error->message);
      return NULL;
    }
  if (common->db != NULL)
    config_set_db (config, common->db, "--db");
  return g_steal_pointer (&config);
}

/* Connects and migrates; prints why not and sets *status_out.  @admin:
 * the command changes the policy or the schema (on the private cluster, as
 * its superuser: the worker's role may not). */
static Store *
open_store_as (const char *name, const Config *config, gboolean admin, int *status_out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *conninfo = admin
    ? store_resolve_admin_conninfo_from (config->db, config->db_origin, &origin, &error)
    : store_resolve_conninfo_from (config->db, config->db_origin, &origin, &error);
  g_autoptr(Store) store = NULL;

  if (conninfo == NULL)
    {
      *status_out = cli_database_error (error, config->db_origin);
      return NULL;
    }
  store = store_open (conninfo, &error);
  if (store == NULL || store_migrate (store, &error) < 0)
    {
      *status_out = cli_database_error (error, origin);
      return NULL;
    }
  return g_steal_pointer (&store);
}

static Store *
open_store (const char *name, const Config *config, int *status_out)
{
  return open_store_as (name, config, FALSE, status_out);
}

/* Connects for a command that only reads (report, suppression export,
 * show): nothing is created or migrated; a database without the schema,
 * or with an older one, is an error that says what to run. */
static Store *
open_store_readonly (const char *name, const Config *config, int *status_out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *conninfo = store_resolve_conninfo_existing (config->db, config->db_origin,
                                                               &origin, &error);
  g_autoptr(Store) store = NULL;

  if (conninfo == NULL)
    {
      *status_out = cli_database_error (error, config->db_origin);
      return NULL;
    }
  store = store_open (conninfo, &error);
  if (store == NULL || !store_check_schema (store, &error))
    {
      *status_out = cli_database_error (error, origin);
      return NULL;
    }
  return g_steal_pointer (&store);
}

/* Whether @s is a calendar date YYYY-MM-DD. */
static gboolean
valid_day (const char *s)
{
  guint y, m, d;
  char tail;

  if (s == NULL || strlen (s) != 10 || sscanf (s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3)
    return FALSE;
  return g_ascii_isdigit (s[0]) && s[4] == '-' && s[7] == '-' && y >= 1
         && g_date_valid_dmy (d, m, y);
}

/* Whether the day @s (valid, YYYY-MM-DD) is after today, UTC: a --since
 * there selects nothing, which is a mistake, not a question. */
static gboolean
day_in_future (const char *s)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

  return strcmp (s, today) > 0;
}

/* ---- suppress / unsuppress ------------------------------------------------ */

static int
operator_command (int argc, char **argv, const char *action)
{
  CommonOptions common;
  g_autofree char *reason = NULL;
  g_autoptr(Config) config = NULL;
  g_autoptr(Store) store = NULL;
  gboolean unsuppress = strcmp (action, "unsuppress") == 0;
  const char *name = action;
  int status = 0;
  GOptionEntry entries[] = {
    { "reason", 'r', 0, G_OPTION_ARG_STRING, &reason,
      unsuppress ? "Why the address may receive mail again (required)"
                 : "Why the address is suppressed", "TEXT" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  common_options_init (&common, FALSE);
  if (!parse_options (name, "ADDRESS...",
                      unsuppress ? "Lifts the suppression of each address; only outcomes after "
                                   "this moment count for it from now on."
                                 : "Suppresses each address, whatever its outcomes say, "
                                   "until bounced unsuppress.",
                      entries, &common, &argc, &argv))
    {
      common_options_clear (&common);
      return 2;
    }
  if (argc < 2 || (unsuppress && (reason == NULL || *reason == '\0')))
    {
      g_printerr (unsuppress ? "bounced %s: give the addresses and --reason TEXT\n"
                             : "bounced %s: no address given\n", name);
      common_options_clear (&common);
      return 2;
    }
  for (int i = 1; i < argc; i++)
    {
      const char *at = strrchr (argv[i], '@');
      if (at == NULL || at == argv[i] || at[1] == '\0' || strpbrk (argv[i], " \t<>,") != NULL)
        {
          g_printerr ("bounced %s: \"%s\" is not an address\n", name, argv[i]);
          common_options_clear (&common);
          return 2;
        }
    }
  config = load_config (name, &common);
  common_options_clear (&common);
  if (config == NULL)
    return 2;
  store = open_store (name, config, &status);
  if (store == NULL)
    return status;

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GError) error = NULL;
      int changed = store_operator_set (store, argv[i], action, reason, &error);

      if (changed < 0)
        {
          g_printerr ("bounced %s: could not %s \"%s\": %s\n", name, action, argv[i],
                      error->message);
          status = 1;
          continue;
        }
      g_print ("%s: %s\n", argv[i],
               changed ? (unsuppress ? "unsuppressed" : "suppressed")
                       : (unsuppress ? "not suppressed (unchanged)"
                                     : "already suppressed (unchanged)"));
    }
  return status;
}

int
cmd_suppress (int argc, char **argv, const BounceSettings *settings)
{
  return operator_command (argc, argv, "suppress");
}

int
cmd_unsuppress (int argc, char **argv, const BounceSettings *settings)
{
  return operator_command (argc, argv, "unsuppress");
}

/* ---- recompute ----------------------------------------------------------- */

static void
progress_cb (guint64 done, guint64 total, gpointer user_data)
{
  progress_set_total (user_data, total);
  progress_update (user_data, done);
}

int
cmd_recompute (int argc, char **argv, const BounceSettings *settings)
{
  CommonOptions common;
  gint64 soft_count = -1, soft_days = -1;
  gboolean quiet = FALSE;
  g_autoptr(Config) config = NULL;
  g_autoptr(Store) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Progress) progress = NULL;
  ProgressSettings ps;
  StorePolicy policy;
  int version = 0, status = 0;
  gboolean changed = FALSE;
  gint64 addresses;
  GOptionEntry entries[] = {
    { "soft-bounce-count", 0, 0, G_OPTION_ARG_INT64, &soft_count,
      "Soft outcomes from distinct messages that suppress (default: configuration, else 3)", "N" },
    { "soft-bounce-days", 0, 0, G_OPTION_ARG_INT64, &soft_days,
      "The span they must exceed, in days (default: configuration, else 14)", "DAYS" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress output", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  common_options_init (&common, FALSE);
  if (!parse_options ("recompute", NULL,
                      "Stores the suppression thresholds of the configuration as the policy in "
                      "force and brings every address in line with it.",
                      entries, &common, &argc, &argv))
    {
      common_options_clear (&common);
      return 2;
    }
  config = load_config ("recompute", &common);
  common_options_clear (&common);
  if (config == NULL)
    return 2;
  if (argc > 1 || soft_count == 0 || soft_count < -1 || soft_days < -1
      || soft_count > G_MAXINT32 || soft_days > 36500)
    {
      g_printerr ("bounced recompute: --soft-bounce-count must be 1 or more and "
                  "--soft-bounce-days 0 to 36500; no arguments\n");
      return 2;
    }
  policy.soft_count = soft_count > 0 ? (guint) soft_count : config->soft_bounce_count;
  policy.soft_days = soft_days >= 0 ? (guint) soft_days : config->soft_bounce_days;
  store = open_store_as ("recompute", config, TRUE, &status);
  if (store == NULL)
    return status;
  if (!store_policy_set (store, &policy, &version, &changed, &error))
    {
      g_printerr ("bounced recompute: could not store the policy: %s\n", error->message);
      return 1;
    }
  g_print ("policy version %d%s: soft-bounce-count=%u soft-bounce-days=%u\n", version,
           changed ? " (new)" : "", policy.soft_count, policy.soft_days);

  progress_settings_init (&ps);
  ps.label = "recompute";
  ps.mode = quiet ? PROGRESS_MODE_QUIET : PROGRESS_MODE_AUTO;
  progress = progress_new (&ps);
  addresses = store_recompute (store, "bounced recompute", progress_cb, progress, &error);
  progress_finish (progress);
  if (addresses < 0)
    {
      g_printerr ("bounced recompute: %s\n", error->message);
      return 1;
    }
  g_print ("%" G_GINT64_FORMAT " address%s changed suppression state\n", addresses,
           addresses == 1 ? "" : "es");
  return 0;
}

/* ---- sends import -------------------------------------------------------- */

int
cmd_sends (int argc, char **argv, const BounceSettings *settings)
{
  CommonOptions common;
  gboolean skip_bad = FALSE;
  g_autoptr(Config) config = NULL;
  g_autoptr(Store) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SendsCsv) csv = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;
  guint64 inserted = 0, replaced = 0;
  int status = 0;
  GOptionEntry entries[] = {
    { "skip-bad", 0, 0, G_OPTION_ARG_NONE, &skip_bad,
      "Import the good rows even when some are bad (default: import nothing then)", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  common_options_init (&common, FALSE);
  if (!parse_options ("sends", "import FILE.csv",
                      "Imports send counts (CSV with the header " SENDS_CSV_HEADER
                      "), the denominator of bounce rates.  A row for a day, campaign and "
                      "domain already stored replaces its count.",
                      entries, &common, &argc, &argv))
    {
      common_options_clear (&common);
      return 2;
    }
  if (argc != 3 || strcmp (argv[1], "import") != 0)
    {
      cli_usage_error (argc < 2 ? "no action given (use: bounced sends import FILE.csv)"
                       : strcmp (argv[1], "import") != 0
                       ? "unknown action (use: bounced sends import FILE.csv)"
                       : "expected one file (use: bounced sends import FILE.csv)");
      common_options_clear (&common);
      return 2;
    }
  cli_set_command ("sends import");
  if (strcmp (argv[2], "-") == 0)
    {
      GString *in = g_string_new (NULL);
      char buf[65536];
      size_t n;

      while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
        g_string_append_len (in, buf, n);
      length = in->len;
      data = g_string_free (in, FALSE);
    }
  else if (!g_file_get_contents (argv[2], &data, &length, &error))
    {
      g_printerr ("bounced sends import: could not read \"%s\": %s\n", argv[2], error->message);
      common_options_clear (&common);
      return 1;
    }
  csv = sends_csv_parse (data, length, &error);
  if (csv == NULL)
    {
      g_printerr ("bounced sends import: %s: %s\n", argv[2], error->message);
      common_options_clear (&common);
      return 1;
    }
  for (guint i = 0; i < csv->problems->len; i++)
    {
      const SendsCsvProblem *p = g_ptr_array_index (csv->problems, i);
      g_printerr ("bounced sends import: %s:%u: %s\n", argv[2], p->line, p->message);
    }
  if (csv->n_problems > csv->problems->len)
    g_printerr ("bounced sends import: %s: %u more bad rows\n", argv[2],
                csv->n_problems - csv->problems->len);
  if (csv->n_problems > 0 && !skip_bad)
    {
      g_printerr ("bounced sends import: %s: %u bad row%s, nothing imported "
                  "(--skip-bad imports the good rows)\n", argv[2], csv->n_problems,
                  csv->n_problems == 1 ? "" : "s");
      common_options_clear (&common);
      return 1;
    }

  config = load_config ("sends import", &common);
  common_options_clear (&common);
  if (config == NULL)
    return 2;
  store = open_store ("sends import", config, &status);
  if (store == NULL)
    return status;
  if (!store_sends_import (store, csv->rows, &inserted, &replaced, &error))
    {
      g_printerr ("bounced sends import: could not import \"%s\": %s\n", argv[2], error->message);
      return 1;
    }
  g_print ("%s: %" G_GUINT64_FORMAT " rows imported (%" G_GUINT64_FORMAT " new, %"
           G_GUINT64_FORMAT " replaced), %u bad rows skipped\n", argv[2], inserted + replaced,
           inserted, replaced, csv->n_problems);
  return csv->n_problems > 0 ? 1 : 0;
}

/* ---- reprocess ----------------------------------------------------------- */

/* One message read again, owned until its batch is written. */
typedef struct {
  char *sha256;
  char *source;           /* absolute: where the file is now (PATH or PATH#N) */
  gsize size;
  BounceReport *report;
  gint64 delivered_at;
  const char *delivered_source;
  gboolean relocate;      /* FALSE for an mbox's messages: they keep their source */
} ReprocessItem;

/* What the callbacks of a run print. */
typedef struct {
  gboolean print_diff;
  const StoreReprocessItem *last;   /* the message whose lines were printed last */
  Progress *progress;
} ReprocessOutput;

static int
compare_transitions (gconstpointer a, gconstpointer b, gpointer user_data)
{
  GHashTable *t = user_data;
  gsize ca = GPOINTER_TO_SIZE (g_hash_table_lookup (t, *(const char *const *) a));
  gsize cb = GPOINTER_TO_SIZE (g_hash_table_lookup (t, *(const char *const *) b));

  if (ca != cb)
    return ca > cb ? -1 : 1;
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The difference, message by message:
 *
 *   /archive/cur/1700000000.M1P2.host:2,S
 *     ~ message format: null -> "postfix"
 *     + new@example.org: failed 5.1.1 userunknown (hard)
 *     - sender@example.com: failed 5.1.1 userunknown (hard)
 *     ~ user@example.org reason: "mailboxfull" -> "userunknown"
 */
static void
reprocess_print_line (const StoreReprocessItem *item, const StoreDiffLine *line,
                      gpointer user_data)
{
  ReprocessOutput *out = user_data;
  const char *who = line->recipient ? line->recipient : "(no recipient)";

  if (!out->print_diff)
    return;
  if (item != out->last)
    {
      g_print ("%s\n", item->item.source);
      out->last = item;
    }
  switch (line->kind)
    {
    case STORE_DIFF_MESSAGE:
      g_print ("  ~ message %s: %s -> %s\n", line->field, line->old_value, line->new_value);
      break;
    case STORE_DIFF_ADDED:
      g_print ("  + %s: %s\n", who, line->new_value);
      break;
    case STORE_DIFF_REMOVED:
      g_print ("  - %s: %s\n", who, line->old_value);
      break;
    case STORE_DIFF_CHANGED:
      g_print ("  ~ %s %s: %s -> %s\n", who, line->field, line->old_value, line->new_value);
      break;
    }
}

static void
reprocess_print_problem (const StoreReprocessItem *item, const char *why, gpointer user_data)
{
  cli_error ("message \"%s\": %s", item->item.source, why);
}

static void
reprocess_item_clear (ReprocessItem *it)
{
  g_free (it->sha256);
  g_free (it->source);
  bounce_report_free (it->report);
}

/* Writes the batch in hand and empties it, whatever the outcome. */
static gboolean
reprocess_flush (StoreReprocess *rp, GArray *items, ReprocessOutput *out, GError **error_out)
{
  g_autofree StoreReprocessItem *batch = g_new0 (StoreReprocessItem, items->len + 1);
  gboolean ok;

  for (guint i = 0; i < items->len; i++)
    {
      const ReprocessItem *it = &g_array_index (items, ReprocessItem, i);

      batch[i].item = (StoreItem) { it->source, it->sha256, it->size, it->report,
                                    it->delivered_at, it->delivered_source };
      batch[i].relocate = it->relocate;
    }
  out->last = NULL;
  ok = store_reprocess_batch (rp, batch, items->len, error_out);
  out->last = NULL;
  for (guint i = 0; i < items->len; i++)
    reprocess_item_clear (&g_array_index (items, ReprocessItem, i));
  g_array_set_size (items, 0);
  return ok;
}

/* Parses @len bytes into a new item of @items. */
static void
reprocess_add (GArray *items, const guint8 *data, gsize len, const BounceSettings *settings,
               char *source, gboolean relocate, const struct stat *st)
{
  g_autoptr(GError) error = NULL;
  ReprocessItem it = { 0 };
  char sha[65];

  msgfile_sha256 (data, len, sha);
  it.sha256 = g_strdup (sha);
  it.source = source;
  it.size = len;
  it.relocate = relocate;
  it.report = bounce_report_parse ((const char *) data, len, settings, &error);
  if (it.report == NULL)
    it.report = bounce_report_new_error (error ? error->message : "could not parse");
  /* The delivery time as ingest reads it: the Maildir name, else the
   * modification time (the store keeps the one it knows already). */
  if (st != NULL)
    {
      g_autofree char *base = g_path_get_basename (source);

      it.delivered_at = maildir_name_time (base);
      it.delivered_source = "maildir-name";
      if (it.delivered_at == 0 && st->st_mtime > 0)
        {
          it.delivered_at = st->st_mtime;
          it.delivered_source = "file-mtime";
        }
      if (it.delivered_at == 0)
        it.delivered_source = NULL;
    }
  g_array_append_val (items, it);
}

int
cmd_reprocess (int argc, char **argv, const BounceSettings *base_settings)
{
  CommonOptions common;
  gboolean dry_run = FALSE, quiet = FALSE, print_diff = FALSE;
  g_autofree char *since = NULL;
  g_autofree char *progress_mode = NULL;
  gint64 batch_size = REPROCESS_BATCH;
  g_autoptr(Config) config = NULL;
  g_autoptr(Store) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BounceRules) rules = NULL;
  g_autoptr(Progress) progress = NULL;
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  g_autoptr(GArray) items = g_array_new (FALSE, TRUE, sizeof (ReprocessItem));
  g_autoptr(GPtrArray) keys = NULL;
  BounceSettings settings = *base_settings;
  StoreReprocessStats stats;
  StoreReprocess *rp;
  ReprocessOutput out = { 0 };
  ProgressSettings ps;
  gint64 since_time = 0;
  guint64 total = 0, done = 0, read_failures = 0, skipped_old = 0, too_large = 0;
  int status = 0;
  GOptionEntry entries[] = {
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
      "Change nothing; print what would change, message by message", NULL },
    { "diff", 0, 0, G_OPTION_ARG_NONE, &print_diff,
      "Print what changes, message by message (as --dry-run does)", NULL },
    { "since", 0, 0, G_OPTION_ARG_STRING, &since,
      "Only files modified on or after this day (YYYY-MM-DD, UTC)", "DATE" },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT64, &batch_size,
      "Messages per transaction (default 500)", "N" },
    { "progress", 0, 0, G_OPTION_ARG_STRING, &progress_mode,
      "auto (default: a bar on a terminal, log lines otherwise), bar, log or none", "MODE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Same as --progress=none", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  common_options_init (&common, TRUE);
  if (!parse_options ("reprocess", "PATH...",
                      "Re-reads archived bounces (Maildir folders, directories of .eml "
                      "files, mbox files, files) and brings what is stored of each up to "
                      "the current parser: outcomes added, removed or changed in any "
                      "column, the message row, and the counters and suppression of the "
                      "addresses touched, one transaction per batch of messages.  Messages "
                      "never ingested are left alone.  Safe to run again and again.",
                      entries, &common, &argc, &argv))
    {
      common_options_clear (&common);
      return 2;
    }
  if (argc < 2)
    {
      cli_usage_error ("no path given");
      common_options_clear (&common);
      return 2;
    }
  if (batch_size < 1 || batch_size > CONFIG_MAX_BATCH_SIZE)
    {
      cli_usage_error ("invalid value of --batch-size: %" G_GINT64_FORMAT
                       " (expected 1 to %d)", batch_size, CONFIG_MAX_BATCH_SIZE);
      common_options_clear (&common);
      return 2;
    }
  if (since != NULL)
    {
      g_autofree char *iso = g_strconcat (since, "T00:00:00Z", NULL);
      g_autoptr(GDateTime) dt = valid_day (since) ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;

      if (dt == NULL || day_in_future (since))
        {
          cli_usage_error (dt == NULL ? "invalid value of --since: \"%s\" (expected YYYY-MM-DD)"
                                      : "invalid value of --since: \"%s\" is in the future",
                           since);
          common_options_clear (&common);
          return 2;
        }
      since_time = g_date_time_to_unix (dt);
    }
  out.print_diff = dry_run || print_diff;
  progress_settings_init (&ps);
  ps.label = dry_run ? "reprocess (dry run)" : "reprocess";
  if (quiet || g_strcmp0 (progress_mode, "none") == 0)
    ps.mode = PROGRESS_MODE_QUIET;
  else if (g_strcmp0 (progress_mode, "bar") == 0)
    ps.mode = PROGRESS_MODE_BAR;
  else if (g_strcmp0 (progress_mode, "log") == 0)
    ps.mode = PROGRESS_MODE_LOG;
  else if (progress_mode != NULL && strcmp (progress_mode, "auto") != 0)
    {
      g_printerr ("bounced reprocess: invalid --progress \"%s\" (auto, bar, log or none)\n",
                  progress_mode);
      common_options_clear (&common);
      return 2;
    }
  /* A bar on the terminal the difference is printed on would cut its
   * lines: by default, none then. */
  else if (out.print_diff && isatty (STDOUT_FILENO) && isatty (STDERR_FILENO))
    ps.mode = PROGRESS_MODE_QUIET;

  config = load_config ("reprocess", &common);
  common_options_clear (&common);
  if (config == NULL)
    return 2;
  if (!config_parse_settings (config, &settings, &rules, &error))
    {
      g_printerr ("bounced reprocess: %s\n", error->message);
      return 2;
    }
  store = open_store ("reprocess", config, &status);
  if (store == NULL)
    return status;

  /* A first walk counts the files, so that the progress has an ETA; it
   * reads directories only, which costs little next to parsing. */
  {
    g_autoptr(InputWalk) walk = input_walk_new (argv + 1);
    char *path;

    while ((path = input_walk_next (walk)) != NULL)
      {
        total++;
        g_free (path);
      }
  }

  store_reprocess_stats_init (&stats);
  stats.diff_func = reprocess_print_line;
  stats.problem_func = reprocess_print_problem;
  stats.user_data = &out;
  rp = store_reprocess_begin (store, dry_run, &stats, &error);
  if (rp == NULL)
    {
      status = cli_database_error (error, NULL);
      store_reprocess_stats_clear (&stats);
      return status;
    }
  ps.total = total;
  progress = progress_new (&ps);
  out.progress = progress;
  {
    g_autoptr(InputWalk) walk = input_walk_new (argv + 1);
    char *path;

    while (error == NULL && (path = input_walk_next (walk)) != NULL)
      {
        g_autoptr(GError) read_error = NULL;
        g_autofree char *absolute = g_canonicalize_filename (path, NULL);
        struct stat st;
        gboolean have_stat = stat (path, &st) == 0;

        done++;
        if (since_time > 0 && have_stat && st.st_mtime < since_time)
          {
            skipped_old++;
            g_free (path);
            progress_update (progress, done);
            continue;
          }
        /* An mbox: each of its messages, as ingest stored them (PATH#N,
         * no delivery time). */
        if (mbox_sniff (path))
          {
            g_autoptr(Mbox) mbox = mbox_open (path, &read_error);
            MboxNext next = MBOX_NEXT_END;
            guint ordinal = 0;

            while (mbox != NULL && error == NULL
                   && (next = mbox_next (mbox, settings.max_message_size, buffer, &ordinal,
                                         &read_error)) != MBOX_NEXT_END
                   && next != MBOX_NEXT_FAILED)
              {
                if (next == MBOX_NEXT_TOO_LARGE)
                  {
                    cli_error ("message \"%s#%u\": %s", absolute, ordinal,
                               read_error ? read_error->message : "too large");
                    g_clear_error (&read_error);
                    too_large++;
                    continue;
                  }
                reprocess_add (items, buffer->data, buffer->len, &settings,
                               g_strdup_printf ("%s#%u", path, ordinal), FALSE, NULL);
                if (items->len >= (guint) batch_size)
                  reprocess_flush (rp, items, &out, &error);
              }
            if (mbox == NULL || next == MBOX_NEXT_FAILED)
              {
                cli_error ("%s", read_error->message);
                read_failures++;
              }
            g_free (path);
            progress_update (progress, done);
            continue;
          }
        if (!msgfile_read (path, settings.max_message_size, buffer, &read_error))
          {
            g_printerr ("\nbounced reprocess: could not read \"%s\": %s\n", path,
                        read_error->message);
            read_failures++;
            g_free (path);
            progress_update (progress, done);
            continue;
          }
        g_free (path);
        reprocess_add (items, buffer->data, buffer->len, &settings, g_steal_pointer (&absolute),
                       TRUE, have_stat ? &st : NULL);
        if (items->len >= (guint) batch_size)
          reprocess_flush (rp, items, &out, &error);
        progress_update (progress, done);
      }
  }
  /* A failed flush has emptied its batch; what is left is the last one. */
  if (error == NULL && items->len > 0)
    reprocess_flush (rp, items, &out, &error);
  for (guint i = 0; i < items->len; i++)
    reprocess_item_clear (&g_array_index (items, ReprocessItem, i));
  if (!store_reprocess_end (rp, error == NULL ? &error : NULL))
    status = 1;
  progress_finish (progress);
  if (error != NULL)
    {
      status = cli_database_error (error, NULL);
      store_reprocess_stats_clear (&stats);
      return status;
    }

  g_print ("%s%" G_GUINT64_FORMAT " files: %" G_GUINT64_FORMAT " messages read, %"
           G_GUINT64_FORMAT " stored before, %" G_GUINT64_FORMAT " never ingested (left alone), %"
           G_GUINT64_FORMAT " older than --since, %" G_GUINT64_FORMAT " unreadable\n",
           dry_run ? "dry run, nothing changed: " : "", total, stats.read + too_large,
           stats.known, stats.unknown, skipped_old, read_failures + too_large);
  g_print ("messages: %" G_GUINT64_FORMAT " changed, %" G_GUINT64_FORMAT " unchanged, %"
           G_GUINT64_FORMAT " read twice, %" G_GUINT64_FORMAT " unparseable now (left alone), %"
           G_GUINT64_FORMAT " refused by the database (left alone)\n",
           stats.changed, stats.unchanged, stats.duplicates, stats.unparseable, stats.refused);
  g_print ("outcomes: %" G_GUINT64_FORMAT " added, %" G_GUINT64_FORMAT " removed, %"
           G_GUINT64_FORMAT " changed, %" G_GUINT64_FORMAT " unchanged, %" G_GUINT64_FORMAT
           " of months dropped by retention (left out)\n",
           stats.added, stats.removed, stats.outcomes_changed, stats.outcomes_unchanged,
           stats.dropped);
  g_print ("addresses: %" G_GUINT64_FORMAT " re-evaluated, %" G_GUINT64_FORMAT " suppressed, %"
           G_GUINT64_FORMAT " lifted\n", stats.addresses, stats.suppressed, stats.lifted);
  keys = g_ptr_array_new ();
  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, stats.transitions);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (keys, key);
  }
  g_ptr_array_sort_with_data (keys, compare_transitions, stats.transitions);
  if (keys->len > 0)
    g_print ("reasons (old -> new):\n");
  for (guint i = 0; i < keys->len; i++)
    g_print ("  %8" G_GSIZE_FORMAT "  %s\n",
             GPOINTER_TO_SIZE (g_hash_table_lookup (stats.transitions, keys->pdata[i])),
             (const char *) keys->pdata[i]);
  if (read_failures > 0 || too_large > 0 || stats.unparseable > 0 || stats.refused > 0)
    status = 1;
  store_reprocess_stats_clear (&stats);
  return status;
}

/* ---- report -------------------------------------------------------------- */

int
cmd_report (int argc, char **argv, const BounceSettings *settings)
{
  CommonOptions common;
  g_autofree char *since = NULL;
  g_autofree char *until = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *campaign = NULL;
  g_autofree char *format = NULL;
  g_autofree char *output = NULL;
  /* Negative: not given; then the configuration's (or the default). */
  double bounce_pct = -1, complaint_pct = -1;
  g_autoptr(Config) config = NULL;
  g_autoptr(Store) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ReportData) data = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  StoreReportFilter filter = { 0 };
  int status = 0;
  GOptionEntry entries[] = {
    { "since", 0, 0, G_OPTION_ARG_STRING, &since,
      "First day covered (YYYY-MM-DD, UTC; default: everything stored)", "DATE" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &until,
      "Last day covered (YYYY-MM-DD, UTC; default: the last day with data)", "DATE" },
    { "domain", 0, 0, G_OPTION_ARG_STRING, &domain,
      "Only this recipient domain", "DOMAIN" },
    { "campaign", 0, 0, G_OPTION_ARG_STRING, &campaign,
      "Only this campaign", "CAMPAIGN" },
    { "bounce-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &bounce_pct,
      "Hard bounce rate, in percent of sends, above which the verdict says so (default: "
      "bounce-threshold of the configuration, else 2)", "PCT" },
    { "complaint-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &complaint_pct,
      "Complaint rate limit in percent (default: complaint-threshold of the configuration, "
      "else 0.3, Google's and Yahoo's)", "PCT" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      "table (default), json, html or csv (the daily figures)", "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Write to FILE instead of standard output", "FILE" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  common_options_init (&common, FALSE);
  if (!parse_options ("report", NULL,
                      "Summarises what is stored: verdicts against the published limits, "
                      "messages by kind, outcomes by reason, hard/soft/complaint rates, top "
                      "failing domains and providers, sender-side incidents, parse failures, "
                      "the suppression list.  Exit status 4 while an incident is open.",
                      entries, &common, &argc, &argv))
    {
      common_options_clear (&common);
      return 2;
    }
  {
    const char *bad = NULL;

    if (argc > 1)
      bad = "argument";
    else if ((since != NULL && !valid_day (since)) || (until != NULL && !valid_day (until)))
      bad = "day";
    else if (since != NULL && day_in_future (since))
      bad = "future";
    else if (since != NULL && until != NULL && strcmp (since, until) > 0)
      bad = "order";
    else if (format != NULL && strcmp (format, "table") != 0 && strcmp (format, "json") != 0
             && strcmp (format, "html") != 0 && strcmp (format, "csv") != 0)
      bad = "format";
    else if ((bounce_pct != -1 && !(bounce_pct > 0 && bounce_pct <= 100))
             || (complaint_pct != -1 && !(complaint_pct > 0 && complaint_pct <= 100)))
      bad = "threshold";
    if (bad != NULL)
      {
        if (strcmp (bad, "argument") == 0)
          cli_usage_error ("unexpected argument \"%s\"", argv[1]);
        else if (strcmp (bad, "day") == 0)
          cli_usage_error ("invalid value of --%s: \"%s\" (expected YYYY-MM-DD)",
                           since != NULL && !valid_day (since) ? "since" : "until",
                           since != NULL && !valid_day (since) ? since : until);
        else if (strcmp (bad, "future") == 0)
          cli_usage_error ("invalid value of --since: \"%s\" is in the future", since);
        else if (strcmp (bad, "order") == 0)
          cli_usage_error ("--since %s is after --until %s", since, until);
        else if (strcmp (bad, "threshold") == 0)
          cli_usage_error ("thresholds are percentages above 0 and at most 100");
        else
          cli_usage_error ("invalid value of --format: \"%s\" (use table, json, html or csv)",
                           format);
        common_options_clear (&common);
        return 2;
      }
  }
  filter.since = since;
  filter.until = until;
  filter.domain = domain;
  filter.campaign = campaign;
  config = load_config ("report", &common);
  common_options_clear (&common);
  if (config == NULL)
    return 2;
  store = open_store_readonly ("report", config, &status);
  if (store == NULL)
    return status;
  data = store_report (store, &filter, &error);
  if (data == NULL)
    {
      g_printerr ("bounced report: %s\n", error->message);
      return 1;
    }
  /* The command line over the configuration file (bounce-threshold,
   * complaint-threshold) over the defaults. */
  data->bounce_threshold = (bounce_pct > 0 ? bounce_pct : config->bounce_threshold) / 100.0;
  data->complaint_threshold
    = (complaint_pct > 0 ? complaint_pct : config->complaint_threshold) / 100.0;
  if (g_strcmp0 (format, "csv") == 0)
    report_data_append_csv (out, data);
  else if (g_strcmp0 (format, "json") == 0)
    report_data_append_json (out, data);
  else if (g_strcmp0 (format, "html") == 0)
    report_html_append (out, data);
  else
    report_data_append_table (out, data);

  if (output != NULL)
    {
      if (!g_file_set_contents (output, out->str, out->len, &error))
        {
          g_printerr ("bounced report: could not write \"%s\": %s\n", output, error->message);
          return 1;
        }
    }
  else if (fwrite (out->str, 1, out->len, stdout) != out->len || fflush (stdout) != 0)
    {
      g_printerr ("bounced report: could not write the report\n");
      return 1;
    }
  /* For cron and monitoring: an open sender-side incident (bounced(1),
   * INCIDENTS). */
  if (data->open_incidents > 0)
    return CLI_EXIT_INCIDENT;
  return 0;
}

/* ---- suppression export ----------------------------------------------------- */

/* A time given on the command line: YYYY-MM-DD (midnight UTC) or ISO 8601
 * (UTC unless it names a zone).  Returns: (transfer full) or NULL. */
static GDateTime *
parse_time_arg (const char *s)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();

  if (valid_day (s))
    {
      g_autofree char *iso = g_strconcat (s, "T00:00:00Z", NULL);
      return g_date_time_new_from_iso8601 (iso, NULL);
    }
  return g_date_time_new_from_iso8601 (s, utc);
}

typedef enum { EXPORT_CSV, EXPORT_JSON, EXPORT_POSTFIX } ExportFormat;

typedef struct {
  ExportFormat format;
  FILE *out;
  gboolean changes;
  guint64 rows;
  guint64 added;
  guint64 lifted;
  guint64 skipped;      /* postfix: addresses that cannot be a table key */
  GString *line;
} Export;

/* A CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break; empty for NULL. */
static void
csv_field (GString *line, const char *v, gboolean first)
{
  if (!first)
    g_string_append_c (line, ',');
  if (v == NULL)
    return;
  if (strpbrk (v, ",\"\r\n") == NULL)
    {
      g_string_append (line, v);
      return;
    }
  g_string_append_c (line, '"');
  for (const char *p = v; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (line, '"');
      g_string_append_c (line, *p);
    }
  g_string_append_c (line, '"');
}

/* An access(5) table key must be one word without control characters, and
 * a line starting with '#' is a comment (postmap(1), "INPUT FILE FORMAT"). */
static gboolean
postfix_key_valid (const char *address)
{
  if (address[0] == '\0' || address[0] == '#')
    return FALSE;
  for (const char *p = address; *p; p++)
    if ((unsigned char) *p <= ' ' || *p == 0x7f)
      return FALSE;
  return TRUE;
}

/* The text of the REJECT action: printable ASCII only, as it becomes part
 * of an SMTP reply (RFC 5321 4.2: text is printable US-ASCII). */
static void
postfix_text (GString *line, const char *reason)
{
  gsize start = line->len;

  g_string_append (line, "suppressed by bounced");
  if (reason == NULL)
    return;
  g_string_append (line, ": ");
  for (const char *p = reason; *p && line->len - start < 200; p++)
    g_string_append_c (line, (*p >= ' ' && *p < 0x7f) ? *p : '?');
}

static gboolean
export_row (const StoreSuppression *r, gpointer user_data)
{
  Export *x = user_data;
  GString *line = x->line;

  g_string_truncate (line, 0);
  switch (x->format)
    {
    case EXPORT_CSV:
      csv_field (line, r->address, TRUE);
      if (x->changes)
        csv_field (line, r->change, FALSE);
      csv_field (line, r->domain, FALSE);
      csv_field (line, r->suppressed_at, FALSE);
      csv_field (line, r->reason, FALSE);
      csv_field (line, r->source, FALSE);
      csv_field (line, r->changed_at, FALSE);
      g_string_append (line, "\r\n");
      break;
    case EXPORT_JSON:
      g_string_append (line, x->rows == 0 ? "\n  " : ",\n  ");
      g_string_append (line, "{\"address\": ");
      report_json_string (line, r->address);
      if (x->changes)
        {
          g_string_append (line, ", \"change\": ");
          report_json_string (line, r->change);
        }
      g_string_append (line, ", \"domain\": ");
      report_json_string (line, r->domain);
      g_string_append (line, ", \"suppressed_at\": ");
      report_json_string (line, r->suppressed_at);
      g_string_append (line, ", \"reason\": ");
      report_json_string (line, r->reason);
      g_string_append (line, ", \"source\": ");
      report_json_string (line, r->source);
      g_string_append (line, ", \"changed_at\": ");
      report_json_string (line, r->changed_at);
      g_string_append_c (line, '}');
      break;
    case EXPORT_POSTFIX:
    default:
      if (!postfix_key_valid (r->address))
        {
          x->skipped++;
          return TRUE;
        }
      g_string_append (line, r->address);
      g_string_append (line, " REJECT ");
      postfix_text (line, r->reason);
      g_string_append_c (line, '\n');
      break;
    }
  x->rows++;
  if (g_strcmp0 (r->change, "added") == 0)
    x->added++;
  else if (g_strcmp0 (r->change, "lifted") == 0)
    x->lifted++;
  return fwrite (line->str, 1, line->len, x->out) == line->len;
}

int
cmd_suppression (int argc, char **argv, const BounceSettings *settings)
{
  CommonOptions common;
  g_autofree char *format = NULL;
  g_autofree char *since = NULL;
  g_autofree char *output = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *as_of = NULL;
  g_autofree char *since_iso = NULL;
  gboolean quiet = FALSE;
  g_autoptr(Config) config = NULL;
  g_autoptr(Store) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) line = g_string_new (NULL);
  Export x = { 0 };
  gint64 n;
  int status = 0;
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      "csv (default), json, or postfix (an access(5) table for postmap)", "FORMAT" },
    { "since", 0, 0, G_OPTION_ARG_STRING, &since,
      "Only what changed at or after TIME (added and lifted; ISO 8601 or YYYY-MM-DD, UTC)",
      "TIME" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Write to FILE (replaced at once when complete) instead of standard output", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No summary on standard error", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  common_options_init (&common, FALSE);
  if (!parse_options ("suppression", "export",
                      "Prints the suppression list for a mailer (csv, json, or a Postfix "
                      "access table), or with --since what changed since then.",
                      entries, &common, &argc, &argv))
    {
      common_options_clear (&common);
      return 2;
    }
  if (argc != 2 || strcmp (argv[1], "export") != 0)
    {
      g_printerr ("bounced suppression: usage: bounced suppression export "
                  "[--format=csv|json|postfix] [--since TIME] [-o FILE]\n");
      common_options_clear (&common);
      return 2;
    }
  if (format == NULL || strcmp (format, "csv") == 0)
    x.format = EXPORT_CSV;
  else if (strcmp (format, "json") == 0)
    x.format = EXPORT_JSON;
  else if (strcmp (format, "postfix") == 0)
    x.format = EXPORT_POSTFIX;
  else
    {
      g_printerr ("bounced suppression export: unknown format \"%s\" (csv, json or postfix)\n",
                  format);
      common_options_clear (&common);
      return 2;
    }
  if (since != NULL)
    {
      g_autoptr(GDateTime) dt = parse_time_arg (since);

      if (dt == NULL)
        {
          g_printerr ("bounced suppression export: invalid --since \"%s\": expected "
                      "YYYY-MM-DD or an ISO 8601 time such as 2026-11-20T10:00:00Z\n", since);
          common_options_clear (&common);
          return 2;
        }
      if (x.format == EXPORT_POSTFIX)
        {
          g_printerr ("bounced suppression export: a postfix table is the whole list: "
                      "--since needs --format=csv or json\n");
          common_options_clear (&common);
          return 2;
        }
      since_iso = g_date_time_format_iso8601 (dt);
    }
  x.changes = since != NULL;
  config = load_config ("suppression export", &common);
  common_options_clear (&common);
  if (config == NULL)
    return 2;
  store = open_store_readonly ("suppression export", config, &status);
  if (store == NULL)
    return status;

  if (output != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (output);
      g_autofree char *base = g_path_get_basename (output);
      g_autofree char *tmpl = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
      int fd = g_mkstemp_full (tmpl, O_WRONLY | O_CLOEXEC, 0644);

      if (fd < 0 || (x.out = fdopen (fd, "w")) == NULL)
        {
          g_printerr ("bounced suppression export: could not write \"%s\": %s\n", output,
                      g_strerror (errno));
          if (fd >= 0)
            close (fd);
          return 1;
        }
      tmp_path = g_steal_pointer (&tmpl);
    }
  else
    x.out = stdout;
  x.line = line;

  if (x.format == EXPORT_CSV)
    fputs (x.changes ? "address,change,domain,suppressed_at,reason,source,changed_at\r\n"
                     : "address,domain,suppressed_at,reason,source,changed_at\r\n", x.out);
  else if (x.format == EXPORT_JSON)
    {
      g_autoptr(GString) head = g_string_new ("{\"since\": ");

      report_json_string (head, since_iso);
      g_string_append (head, ",\n \"addresses\": [");
      fputs (head->str, x.out);
    }
  n = store_suppression_export (store, since_iso, export_row, &x, &as_of, &error);
  if (n >= 0 && x.format == EXPORT_JSON)
    {
      /* as_of is known once the snapshot is read: it follows the array. */
      g_autoptr(GString) tail = g_string_new (x.rows ? "\n ],\n \"as_of\": " : "],\n \"as_of\": ");

      report_json_string (tail, as_of);
      g_string_append_printf (tail, ",\n \"count\": %" G_GUINT64_FORMAT "}\n", x.rows);
      fwrite (tail->str, 1, tail->len, x.out);
    }
  if (n < 0 || fflush (x.out) != 0 || ferror (x.out)
      || (tmp_path != NULL && fsync (fileno (x.out)) != 0))
    {
      if (error != NULL)
        g_printerr ("bounced suppression export: %s\n", error->message);
      else
        g_printerr ("bounced suppression export: could not write %s%s%s: %s\n",
                    output ? "\"" : "", output ? output : "the export", output ? "\"" : "",
                    g_strerror (errno));
      if (tmp_path != NULL)
        {
          fclose (x.out);
          g_unlink (tmp_path);
        }
      return 1;
    }
  if (tmp_path != NULL)
    {
      if (fclose (x.out) != 0 || g_rename (tmp_path, output) != 0)
        {
          g_printerr ("bounced suppression export: could not write \"%s\": %s\n", output,
                      g_strerror (errno));
          g_unlink (tmp_path);
          return 1;
        }
    }
  if (!quiet)
    {
      if (x.changes)
        g_printerr ("bounced suppression export: %" G_GUINT64_FORMAT " added, %" G_GUINT64_FORMAT
                    " lifted since %s; as of %s (next time, --since a few minutes before it)\n",
                    x.added, x.lifted, since_iso, as_of);
      else
        g_printerr ("bounced suppression export: %" G_GUINT64_FORMAT " suppressed address%s as "
                    "of %s\n", x.rows, x.rows == 1 ? "" : "es", as_of);
      if (x.skipped > 0)
        g_printerr ("bounced suppression export: %" G_GUINT64_FORMAT " address%s left out of the "
                    "postfix table (white space or control characters cannot be a key)\n",
                    x.skipped, x.skipped == 1 ? "" : "es");
    }
  return status;
}

/* ---- show ------------------------------------------------------------------- */

static void
show_fields (GString *out, GPtrArray *fields, const char *indent)
{
  for (guint i = 0; i + 1 < fields->len; i += 2)
    {
      const char *v = g_ptr_array_index (fields, i + 1);

      if (v != NULL)
        g_string_append_printf (out, "%s%-20s %s\n", indent,
                                (const char *) g_ptr_array_index (fields, i), v);
    }
}

/* The columns of `bounced show` that JSON gives as numbers or booleans
 * (PostgreSQL's text form: digits, t or f); the others are strings. */
static void
show_json_value (GString *out, const char *name, const char *v)
{
  if (v == NULL)
    g_string_append (out, "null");
  else if ((strcmp (name, "size") == 0 || strcmp (name, "ordinal") == 0)
           && v[0] != '\0' && strspn (v, "0123456789") == strlen (v))
    g_string_append (out, v);
  else if (strcmp (name, "hard_bounce") == 0 && (strcmp (v, "t") == 0 || strcmp (v, "f") == 0))
    g_string_append (out, v[0] == 't' ? "true" : "false");
  else
    report_json_string (out, v);
}

/* Appends the name/value pairs of @fields as members of an object being
 * written (every column, null when absent), each after ", " but the first. */
static void
show_json_fields (GString *out, GPtrArray *fields)
{
  for (guint i = 0; i + 1 < fields->len; i += 2)
    {
      const char *name = g_ptr_array_index (fields, i);

      if (i > 0)
        g_string_append (out, ", ");
      report_json_string (out, name);
      g_string_append (out, ": ");
      show_json_value (out, name, g_ptr_array_index (fields, i + 1));
    }
}

/* --format=json: one array, one object per message: its columns, whether
 * its file is still at its source, and its outcomes. */
static void
show_json (GString *out, GPtrArray *messages)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < messages->len; i++)
    {
      const StoreShownMessage *m = g_ptr_array_index (messages, i);

      g_string_append (out, i > 0 ? ",\n {" : "{");
      show_json_fields (out, m->fields);
      g_string_append_printf (out, ", \"file_present\": %s, \"outcomes\": [",
                              g_file_test (m->source, G_FILE_TEST_EXISTS) ? "true" : "false");
      for (guint k = 0; k < m->outcomes->len; k++)
        {
          g_string_append (out, k > 0 ? ",\n  {" : "\n  {");
          show_json_fields (out, g_ptr_array_index (m->outcomes, k));
          g_string_append_c (out, '}');
        }
      g_string_append (out, "]}");
    }
  g_string_append (out, "]\n");
}

int
cmd_show (int argc, char **argv, const BounceSettings *settings)
{
  CommonOptions common;
  gboolean raw = FALSE, json;
  g_autofree char *format = NULL;
  g_autoptr(Config) config = NULL;
  g_autoptr(Store) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  int status = 0;
  gint n;
  GOptionEntry entries[] = {
    { "raw", 0, 0, G_OPTION_ARG_NONE, &raw,
      "Print the raw message itself (from where it is stored), not what is stored of it", NULL },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      "text (default) or json (an array, one object per message with its outcomes)", "FORMAT" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  common_options_init (&common, FALSE);
  if (!parse_options ("show", "SHA256|MESSAGE-ID",
                      "Prints a stored message (by the SHA-256 of its content, or the "
                      "Message-ID of the returned message): its row, its recipient outcomes "
                      "and where its file is; with --raw, the file.",
                      entries, &common, &argc, &argv))
    {
      common_options_clear (&common);
      return 2;
    }
  if (argc != 2 || argv[1][0] == '\0')
    {
      common_options_clear (&common);
      return cli_usage_error ("give one SHA-256 or Message-ID");
    }
  if (format != NULL && strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    {
      common_options_clear (&common);
      return cli_usage_error ("invalid format: text or json");
    }
  if (raw && g_strcmp0 (format, "json") == 0)
    {
      common_options_clear (&common);
      return cli_usage_error ("--raw prints the file itself: it has no --format");
    }
  json = g_strcmp0 (format, "json") == 0;
  config = load_config ("show", &common);
  common_options_clear (&common);
  if (config == NULL)
    return 2;
  store = open_store_readonly ("show", config, &status);
  if (store == NULL)
    return status;
  messages = g_ptr_array_new_with_free_func ((GDestroyNotify) store_shown_message_free);
  n = store_show (store, argv[1], messages, &error);
  if (n < 0)
    {
      g_printerr ("bounced show: %s\n", error->message);
      return 1;
    }
  if (n == 0)
    {
      g_printerr ("bounced show: no stored message has the SHA-256 or Message-ID \"%s\"\n",
                  argv[1]);
      return 1;
    }
  if (json)
    show_json (out, messages);
  for (guint i = 0; !json && i < messages->len; i++)
    {
      const StoreShownMessage *m = g_ptr_array_index (messages, i);

      if (raw)
        {
          g_autoptr(GByteArray) buffer = g_byte_array_new ();
          g_autoptr(GError) read_error = NULL;
          char sha[65];

          if (!msgfile_read (m->source, G_MAXSIZE - 1, buffer, &read_error))
            {
              g_printerr ("bounced show: message %s: %s (bounced reprocess records where "
                          "archived files are)\n", m->sha256, read_error->message);
              status = 1;
              continue;
            }
          msgfile_sha256 (buffer->data, buffer->len, sha);
          if (strcmp (sha, m->sha256) != 0)
            {
              g_printerr ("bounced show: \"%s\" is no longer message %s (its content "
                          "changed)\n", m->source, m->sha256);
              status = 1;
              continue;
            }
          g_string_append_len (out, (const char *) buffer->data, buffer->len);
          continue;
        }
      if (i > 0)
        g_string_append_c (out, '\n');
      g_string_append_printf (out, "message %s\n", m->sha256);
      show_fields (out, m->fields, "  ");
      if (!g_file_test (m->source, G_FILE_TEST_EXISTS))
        g_string_append (out, "  (the file is no longer at its source)\n");
      for (guint k = 0; k < m->outcomes->len; k++)
        {
          g_string_append_printf (out, "  outcome %u\n", k);
          show_fields (out, g_ptr_array_index (m->outcomes, k), "    ");
        }
    }
  if (fwrite (out->str, 1, out->len, stdout) != out->len || fflush (stdout) != 0)
    {
      g_printerr ("bounced show: could not write the output\n");
      return 1;
    }
  return status;
}

/* ---- retention -------------------------------------------------------------- */

int
cmd_retention (int argc, char **argv, const BounceSettings *settings)
{
  CommonOptions common;
  gint64 older_than = -1;
  gboolean drop = FALSE;
  g_autoptr(Config) config = NULL;
  g_autoptr(Store) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) months = g_ptr_array_new_with_free_func ((GDestroyNotify) store_month_free);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) first = NULL;
  g_autoptr(GDateTime) cutoff = NULL;
  g_autofree char *before = NULL;
  gint64 total = 0;
  int status = 0;
  GOptionEntry entries[] = {
    { "older-than", 0, 0, G_OPTION_ARG_INT64, &older_than,
      "Months to keep before the current one: older months are listed (or dropped)", "N" },
    { "drop", 0, 0, G_OPTION_ARG_NONE, &drop,
      "Detach and drop them (default: only say what would be dropped)", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  common_options_init (&common, FALSE);
  if (!parse_options ("retention", NULL,
                      "Drops the month partitions of recipient_outcomes older than N months "
                      "before the current one; without --drop it only says what it would drop.",
                      entries, &common, &argc, &argv))
    {
      common_options_clear (&common);
      return 2;
    }
  if (argc > 1 || older_than < 0 || older_than > 1200)
    {
      common_options_clear (&common);
      return cli_usage_error ("give --older-than N (months to keep before the current one, "
                              "0 to 1200)");
    }
  first = g_date_time_new_utc (g_date_time_get_year (now), g_date_time_get_month (now), 1, 0, 0, 0);
  cutoff = g_date_time_add_months (first, -(int) older_than);
  before = g_date_time_format (cutoff, "%Y-%m-%d");
  config = load_config ("retention", &common);
  common_options_clear (&common);
  if (config == NULL)
    return 2;
  store = open_store_as ("retention", config, TRUE, &status);
  if (store == NULL)
    return status;
  if (!store_retention (store, before, drop, months, &error))
    {
      g_printerr ("bounced retention: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < months->len; i++)
    {
      const StoreMonth *m = g_ptr_array_index (months, i);
      g_autofree char *n = report_data_format_int (m->outcomes);

      g_print ("%s %s (%s, %s outcomes)\n", drop ? "dropped" : "would drop", m->month,
               m->partition, n);
      total += m->outcomes;
    }
  {
    g_autofree char *n = report_data_format_int (total);

    g_print ("%s%u month%s before %s, %s outcomes%s\n", drop ? "dropped " : "dry run: ",
             months->len, months->len == 1 ? "" : "s", before, n,
             drop || months->len == 0 ? "" : " (--drop drops them)");
  }
  return 0;
}
