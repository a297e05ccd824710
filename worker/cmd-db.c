/* cmd-db.c - `bounced migrate` and `bounced db start|stop|status`
 *
 * migrate applies the pending schema migrations to the database ingest and
 * watch would use (--db, BOUNCED_DB, DATABASE_URL, the configuration file,
 * PG* variables, else the private cluster); db manages the private cluster
 * of pgcluster.h.
 */
#include "commands.h"
#include "cli.h"
#include "config.h"
#include "pgcluster.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

int
cmd_migrate (int argc, char **argv, const BounceSettings *settings)
{
  g_autofree char *db = NULL;
  g_autofree char *config_path = NULL;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Configuration file (default $BOUNCED_CONFIG, else the system bounced.conf, if it exists)",
      "FILE" },
    { "db", 'd', 0, G_OPTION_ARG_STRING, &db,
      "PostgreSQL connection string or URI (default: $BOUNCED_DB, $DATABASE_URL, PG* "
      "variables, else the private cluster)", "CONNINFO" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- apply pending schema migrations");
  g_autoptr(GError) error = NULL;
  g_autoptr(Config) config = config_new ();
  g_autofree char *conninfo = NULL;
  g_autofree char *origin = NULL;
  g_autoptr(Store) store = NULL;
  const char *env = g_getenv ("BOUNCED_CONFIG");
  int applied, months = 0;

  cli_add_entries (context, entries);
  if (!cli_parse (context, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc > 1)
    return cli_usage_error ("unexpected argument \"%s\"", argv[1]);
  /* The database of ingest and watch: the configuration file's, then
   * BOUNCED_DB and DATABASE_URL, then --db (see config.h). */
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
  conninfo = store_resolve_admin_conninfo_from (config->db, config->db_origin, &origin, &error);
  if (conninfo == NULL)
    return cli_database_error (error, config->db_origin);
  store = store_open (conninfo, &error);
  if (store == NULL || (applied = store_migrate (store, &error)) < 0
      || (months = store_prepare_partitions (store, &error)) < 0)
    return cli_database_error (error, origin);
  if (applied == 0)
    printf ("database schema is up to date\n");
  else
    printf ("applied %d migration%s\n", applied, applied == 1 ? "" : "s");
  if (months > 0)
    printf ("created %d month partition%s of recipient_outcomes\n", months,
            months == 1 ? "" : "s");
  return 0;
}

static int
db_usage (FILE *to)
{
  fprintf (to,
           "Usage: bounced db start|stop|status\n"
           "\n"
           "Manages the private PostgreSQL cluster that bounced uses when no\n"
           "database is configured (no --db, DATABASE_URL or PG* variables).\n"
           "\n"
           "  start   create it if needed and start it (it is left running)\n"
           "  stop    stop it\n"
           "  status  show where it is, whether it runs, and how to connect\n");
  return to == stdout ? 0 : 2;
}

int
cmd_db (int argc, char **argv, const BounceSettings *settings)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = pgcluster_data_dir ();
  g_autofree char *conninfo = pgcluster_conninfo ();

  if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    return db_usage (stdout);
  if (argc < 2)
    return cli_usage_error ("no action given (use start, stop or status)");
  if (argc > 2)
    return cli_usage_error ("unexpected argument \"%s\"", argv[2]);

  if (strcmp (argv[1], "start") == 0)
    {
      g_autofree char *started = pgcluster_ensure (&error);

      /* Ready for a worker too (a login as bounced_ingest), as every
       * command that writes makes it. */
      if (started != NULL && !store_prepare_private (&error))
        g_clear_pointer (&started, g_free);
      if (started == NULL)
        {
          g_printerr ("bounced db start: %s\n", error->message);
          return 1;
        }
      printf ("private cluster running in %s\nconnect with: psql \"%s\"\n", data_dir, started);
      return 0;
    }
  if (strcmp (argv[1], "stop") == 0)
    {
      gboolean was_running = FALSE;

      if (!pgcluster_stop (&was_running, &error))
        {
          g_printerr ("bounced db stop: %s\n", error->message);
          return 1;
        }
      printf (was_running ? "private cluster in %s stopped\n"
                          : "private cluster in %s was not running\n", data_dir);
      return 0;
    }
  if (strcmp (argv[1], "status") == 0)
    {
      PgclusterState state;

      if (!pgcluster_status (&state, &error))
        {
          g_printerr ("bounced db status: %s\n", error->message);
          return 1;
        }
      printf ("data directory: %s\n", data_dir);
      printf ("state: %s\n", state == PGCLUSTER_RUNNING ? "running"
                             : state == PGCLUSTER_STOPPED ? "stopped" : "not created");
      printf ("connection: %s\n", conninfo);
      /* Like pg_ctl status: 3 means not running. */
      return state == PGCLUSTER_RUNNING ? 0 : 3;
    }
  return cli_usage_error ("unknown action \"%s\" (use start, stop or status)", argv[1]);
}
