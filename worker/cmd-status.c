/* cmd-status.c - `bounced status [MAILDIR...]`: is the pipeline healthy?
 *
 * For health checks (a monitoring agent, a load balancer, `systemctl`'s
 * ExecCondition=): it reads, never writes.  It tells whether the database
 * (the one ingest would use) answers and has every migration of this
 * binary, and for each Maildir the backlog (new/ and the unflagged mail of
 * cur/), the claims held by running workers and left by dead ones, and the
 * last batch recorded (maildir_record_batch()) with its age.
 *
 * Unhealthy (exit 1): migrations pending; a Maildir that cannot be read;
 * mail waiting while no batch was stored for --max-age seconds (or ever);
 * claims of dead workers while no worker runs to return them.  The
 * database unreachable: exit 3 (bounced(1), EXIT STATUS).
 */
#include "commands.h"
#include "cli.h"
#include "config.h"
#include "maildir.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

/* Mail waiting longer than this without a batch means nobody stores it. */
#define STATUS_DEFAULT_MAX_AGE 300

static char *
format_time (gint64 unix_time)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (unix_time);

  return t ? g_date_time_format (t, "%Y-%m-%d %H:%M:%S UTC") : g_strdup ("?");
}

int
cmd_status (int argc, char **argv, const BounceSettings *settings)
{
  g_autofree char *db = NULL;
  g_autofree char *config_path = NULL;
  g_auto(GStrv) maildirs = NULL;
  gint64 max_age = STATUS_DEFAULT_MAX_AGE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Configuration file (default $BOUNCED_CONFIG, else the system bounced.conf, if it exists)",
      "FILE" },
    { "db", 'd', 0, G_OPTION_ARG_STRING, &db,
      "PostgreSQL connection string or URI (default: as for ingest)", "CONNINFO" },
    { "max-age", 0, 0, G_OPTION_ARG_INT64, &max_age,
      "Unhealthy when mail waits and the last batch is older than this (default 300)",
      "SECONDS" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &maildirs, NULL, "MAILDIR..." },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[MAILDIR...] - is bounced healthy?");
  g_autoptr(GError) error = NULL;
  g_autoptr(Config) config = config_new ();
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *conninfo = NULL;
  g_autofree char *origin = NULL;
  g_autoptr(Store) store = NULL;
  const char *env = g_getenv ("BOUNCED_CONFIG");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  int status = CLI_EXIT_OK;

  cli_add_entries (context, entries);
  g_option_context_set_summary (context,
    "Tells whether the database answers and is migrated, and for each MAILDIR\n"
    "the backlog, the claims of the workers and the last batch.  Exit status:\n"
    "0 healthy, 1 unhealthy (the reasons are printed), 2 bad usage,\n"
    "3 the database cannot be reached.  See bounced(1).");
  if (!cli_parse (context, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (max_age < 0)
    return cli_usage_error ("invalid value of --max-age: %" G_GINT64_FORMAT
                            " (0 or more seconds)", max_age);
  {
    gboolean explicit = config_path != NULL || (env != NULL && *env != '\0');
    g_autofree char *path = config_path ? g_strdup (config_path) : config_default_file ();

    if (!config_load_file (config, path, explicit, &error))
      {
        cli_error ("%s", error->message);
        return CLI_EXIT_USAGE;
      }
  }
  config_apply_environment (config);
  if (db != NULL)
    config_set_db (config, db, "--db");

  /* Maildirs first: a path that is not one is the caller's mistake. */
  for (guint i = 0; maildirs != NULL && maildirs[i] != NULL; i++)
    if (!g_file_test (maildirs[i], G_FILE_TEST_IS_DIR))
      return cli_usage_error ("could not open Maildir \"%s\": not a directory", maildirs[i]);

  /* The database. */
  conninfo = store_resolve_conninfo_from (config->db, config->db_origin, &origin, &error);
  if (conninfo != NULL)
    store = store_open (conninfo, &error);
  if (store == NULL)
    {
      printf ("database: unreachable (%s)\n", error->message);
      g_ptr_array_add (problems, g_strdup ("the database cannot be reached"));
      status = cli_exit_status_of (error) == CLI_EXIT_UNAVAILABLE ? CLI_EXIT_UNAVAILABLE
                                                                   : CLI_EXIT_USAGE;
    }
  else
    {
      int pending = store_pending_migrations (store, &error);

      if (pending < 0)
        {
          printf ("database: reachable (from %s), schema unknown: %s\n", origin,
                  error->message);
          g_ptr_array_add (problems, g_strdup ("the schema cannot be read"));
          status = CLI_EXIT_FAILED;
        }
      else if (pending > 0)
        {
          printf ("database: reachable (from %s), %d migration%s pending\n", origin, pending,
                  pending == 1 ? "" : "s");
          g_ptr_array_add (problems, g_strdup_printf ("%d migration%s pending (bounced migrate "
                                                      "applies them)", pending,
                                                      pending == 1 ? "" : "s"));
          status = CLI_EXIT_FAILED;
        }
      else
        printf ("database: reachable (from %s), schema up to date\n", origin);
    }

  for (guint i = 0; maildirs != NULL && maildirs[i] != NULL; i++)
    {
      MaildirInspection seen;
      g_autoptr(GError) md_error = NULL;
      guint64 backlog;

      printf ("%s:\n", maildirs[i]);
      if (!maildir_inspect (maildirs[i], &seen, &md_error))
        {
          printf ("  error: %s\n", md_error->message);
          g_ptr_array_add (problems, g_strdup_printf ("%s: %s", maildirs[i], md_error->message));
          /* Not a Maildir: the caller named the wrong path (2). */
          if (g_error_matches (md_error, MAILDIR_ERROR, MAILDIR_ERROR_NOT_MAILDIR))
            {
              cli_error ("%s", md_error->message);
              status = MAX (status, CLI_EXIT_USAGE);
            }
          status = MAX (status, CLI_EXIT_FAILED);
          continue;
        }
      backlog = seen.backlog_new + seen.backlog_cur;
      printf ("  backlog: %" G_GUINT64_FORMAT " message%s (new/ %" G_GUINT64_FORMAT
              ", unflagged in cur/ %" G_GUINT64_FORMAT ")\n", backlog, backlog == 1 ? "" : "s",
              seen.backlog_new, seen.backlog_cur);
      printf ("  workers: %u running, %" G_GUINT64_FORMAT " message%s claimed; %"
              G_GUINT64_FORMAT " left by stopped workers\n", seen.workers, seen.claims_live,
              seen.claims_live == 1 ? "" : "s", seen.claims_stale);
      if (seen.last_batch > 0)
        {
          g_autofree char *when = format_time (seen.last_batch);

          printf ("  last batch: %u message%s at %s, %" G_GINT64_FORMAT " s ago\n",
                  seen.last_batch_messages, seen.last_batch_messages == 1 ? "" : "s", when,
                  MAX (now - seen.last_batch, 0));
        }
      else
        printf ("  last batch: none recorded\n");

      if (backlog > 0 && seen.last_batch == 0)
        g_ptr_array_add (problems, g_strdup_printf ("%s: %" G_GUINT64_FORMAT " message%s "
                                                    "waiting and no batch ever stored",
                                                    maildirs[i], backlog,
                                                    backlog == 1 ? "" : "s"));
      else if (backlog > 0 && now - seen.last_batch > max_age)
        g_ptr_array_add (problems, g_strdup_printf ("%s: %" G_GUINT64_FORMAT " message%s "
                                                    "waiting and the last batch is %"
                                                    G_GINT64_FORMAT " s old (--max-age %"
                                                    G_GINT64_FORMAT ")", maildirs[i], backlog,
                                                    backlog == 1 ? "" : "s",
                                                    now - seen.last_batch, max_age));
      if (seen.claims_stale > 0 && seen.workers == 0)
        g_ptr_array_add (problems, g_strdup_printf ("%s: %" G_GUINT64_FORMAT " message%s left "
                                                    "in the claims of stopped workers, and no "
                                                    "worker runs to return them", maildirs[i],
                                                    seen.claims_stale,
                                                    seen.claims_stale == 1 ? "" : "s"));
    }

  if (problems->len == 0)
    printf ("status: healthy\n");
  else
    {
      printf ("status: unhealthy\n");
      for (guint i = 0; i < problems->len; i++)
        printf ("  %s\n", (const char *) g_ptr_array_index (problems, i));
      status = MAX (status, CLI_EXIT_FAILED);
    }
  if (fflush (stdout) != 0)
    return CLI_EXIT_FAILED;
  return status;
}
