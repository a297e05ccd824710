/* store.c - the PostgreSQL store: the one module that calls libpq
 *
 * Everything bounced writes to PostgreSQL passes through store_exec() (one
 * statement, exact expected result status, failures named after the
 * statement) or store_copy() (COPY FROM STDIN: send, end, then read results
 * until none are left).  No result is ever left unread on the connection.
 *
 * Writing a batch (store_write_batch), in one transaction:
 *
 *   BEGIN
 *   COPY pg_temp.bounced_stage_messages  FROM STDIN   one row per item
 *   COPY pg_temp.bounced_stage_outcomes  FROM STDIN   one row per recipient
 *   WITH new_messages AS (INSERT INTO bounce.messages ... ON CONFLICT
 *                         (sha256) DO NOTHING RETURNING ...),
 *        new_outcomes AS (INSERT INTO bounce.recipient_outcomes
 *                         ... only for new_messages ... RETURNING ...)
 *   INSERT INTO bounce.recipients ... aggregated from new_outcomes
 *     ON CONFLICT (address) DO UPDATE (add counters, keep the latest)
 *     -> trigger apply_policy, at the end of the statement: the batch's
 *        outcomes folded into each address's suppression state
 *        (sql/150_policy_fold.sql)
 *   COMMIT
 *
 * Invariants:
 *  1. Outcomes and recipient counters change only for messages that this
 *     transaction inserted, so the same file written twice, in one batch or
 *     in two, by one worker or by two at once, counts once: a concurrent
 *     insert of the same sha256 waits for the other transaction and then
 *     does nothing (or inserts, if the other rolled back).
 *  2. Rows are inserted in key order (sha256, address), so that two writers
 *     with overlapping batches wait for each other instead of deadlocking.
 *  3. The staging tables are temporary (per connection), ON COMMIT DELETE
 *     ROWS, created once per connection before the first batch; after a
 *     reconnect they are created again.
 *  4. Errors come back as STORE_ERROR_UNAVAILABLE when retrying later can
 *     succeed (connection lost, server shutting down or starting, deadlock,
 *     serialization failure, out of connections), STORE_ERROR_FAILED for a
 *     statement that failed (a bug or a schema problem), STORE_ERROR_CONFIG
 *     for connection settings that cannot work.
 *
 * Every string is passed through COPY's text format (tab-separated,
 * backslash escapes, \N for NULL) after checking it is UTF-8 (the client
 * encoding); file names that are not are repaired rather than failing the
 * batch.
 */
#include "bounced-config.h"
#include "store.h"
#include "store-private.h"
#include "pgcluster.h"
#include "report-json.h"

#include <gmime/gmime.h>
#include <string.h>

/* The migrations of sql/, embedded at build time by
 * sql/embed-migrations.py (which writes the same struct). */
struct sql_migration { int version; const char *name; const char *sql; };
extern const struct sql_migration sql_migrations[];
extern const unsigned sql_migrations_count;

/* Key of the advisory lock that serialises migrations
 * ("bounced" in ASCII, so that it is recognisable in pg_locks). */
#define STORE_MIGRATE_LOCK_KEY "27707097871508836"

/* The oldest server the migrations run on (PQserverVersion's form). */
#define STORE_MIN_SERVER_VERSION 150000

/* Seconds to wait for a connection (libpq's connect_timeout), unless the
 * connection string says otherwise. */
#define STORE_CONNECT_TIMEOUT "10"

/* COPY data is sent in pieces of at most this size. */
#define STORE_COPY_CHUNK (256u * 1024u)

G_DEFINE_QUARK (store-error-quark, store_error)

/* ---- errors ---------------------------------------------------------- */

/* libpq messages end with a newline and may span lines: one line each,
 * runs of white space collapsed. */
static char *
one_line (const char *message)
{
  GString *s = g_string_new (NULL);
  gboolean space = FALSE;

  for (const char *p = message ? message : "unknown error"; *p; p++)
    {
      if (g_ascii_isspace (*p))
        space = s->len > 0;
      else
        {
          if (space)
            g_string_append_c (s, ' ');
          g_string_append_c (s, *p);
          space = FALSE;
        }
    }
  return g_string_free (s, FALSE);
}

/* SQLSTATEs after which a retry can succeed (PostgreSQL Appendix A):
 * connection exceptions (class 08), serialization failure and deadlock
 * (class 40), insufficient resources (class 53, e.g. too many
 * connections), operator intervention (57P01 admin shutdown, 57P02 crash
 * shutdown, 57P03 cannot connect now). */
static gboolean
sqlstate_is_transient (const char *sqlstate)
{
  if (sqlstate == NULL || strlen (sqlstate) != 5)
    return FALSE;
  return g_str_has_prefix (sqlstate, "08") || g_str_has_prefix (sqlstate, "40")
         || g_str_has_prefix (sqlstate, "53") || strcmp (sqlstate, "57P01") == 0
         || strcmp (sqlstate, "57P02") == 0 || strcmp (sqlstate, "57P03") == 0;
}

/* Sets @error_out for statement @name that failed with @res (nullable). */
static void
store_set_error (Store *store, GError **error_out, const char *name, const PGresult *res)
{
  const char *sqlstate = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  const char *detail = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_DETAIL) : NULL;
  g_autofree char *text = NULL;
  StoreError code = STORE_ERROR_FAILED;

  if (PQstatus (store->conn) == CONNECTION_BAD || sqlstate_is_transient (sqlstate))
    code = STORE_ERROR_UNAVAILABLE;
  if (primary != NULL)
    text = detail ? g_strdup_printf ("%s (%s)", primary, detail) : g_strdup (primary);
  else if (res != NULL && PQresultErrorMessage (res)[0] != '\0')
    text = one_line (PQresultErrorMessage (res));
  else
    text = one_line (PQerrorMessage (store->conn));
  if (sqlstate != NULL)
    g_set_error (error_out, STORE_ERROR, code, "could not run statement \"%s\": %s (SQLSTATE %s)",
                 name, text, sqlstate);
  else
    g_set_error (error_out, STORE_ERROR, code, "could not run statement \"%s\": %s", name, text);
}

/* ---- statements ------------------------------------------------------ */

PGresult *
store_exec (Store *store, const char *name, ExecStatusType expected, const char *sql,
            int n_params, const char *const *params, GError **error_out)
{
  g_autoptr(PGresult) res = NULL;

  if (n_params > 0)
    res = PQexecParams (store->conn, sql, n_params, NULL, params, NULL, NULL, 0);
  else
    res = PQexec (store->conn, sql);
  if (res == NULL || PQresultStatus (res) != expected)
    {
      if (res != NULL && PQresultStatus (res) != PGRES_FATAL_ERROR
          && PQresultStatus (res) != PGRES_NONFATAL_ERROR)
        g_set_error (error_out, STORE_ERROR, STORE_ERROR_FAILED,
                     "could not run statement \"%s\": result %s instead of %s", name,
                     PQresStatus (PQresultStatus (res)), PQresStatus (expected));
      else
        store_set_error (store, error_out, name, res);
      /* A COPY that was not expected would hold the connection. */
      if (res != NULL && PQresultStatus (res) == PGRES_COPY_IN)
        PQputCopyEnd (store->conn, "unexpected COPY");
      while (res != NULL && (PQresultStatus (res) == PGRES_COPY_IN
                             || PQresultStatus (res) == PGRES_COPY_OUT))
        {
          g_clear_pointer (&res, PQclear);
          res = PQgetResult (store->conn);
        }
      return NULL;
    }
  return g_steal_pointer (&res);
}

gboolean
store_command (Store *store, const char *name, const char *sql, GError **error_out)
{
  g_autoptr(PGresult) res = store_exec (store, name, PGRES_COMMAND_OK, sql, 0, NULL, error_out);

  return res != NULL;
}

gboolean
store_copy (Store *store, const char *name, const char *copy_sql, const GString *data,
            GError **error_out)
{
  g_autoptr(PGresult) res = store_exec (store, name, PGRES_COPY_IN, copy_sql, 0, NULL, error_out);
  gboolean sent = TRUE, ok = TRUE;
  PGresult *r;

  if (res == NULL)
    return FALSE;
  for (gsize off = 0; off < data->len; off += STORE_COPY_CHUNK)
    {
      gsize n = MIN (STORE_COPY_CHUNK, data->len - off);

      if (PQputCopyData (store->conn, data->str + off, (int) n) != 1)
        {
          sent = FALSE;
          break;
        }
    }
  if (PQputCopyEnd (store->conn, sent ? NULL : "could not send data") != 1)
    sent = FALSE;
  if (!sent)
    {
      store_set_error (store, error_out, name, NULL);
      ok = FALSE;
    }
  while ((r = PQgetResult (store->conn)) != NULL)
    {
      if (ok && PQresultStatus (r) != PGRES_COMMAND_OK)
        {
          store_set_error (store, error_out, name, r);
          ok = FALSE;
        }
      PQclear (r);
      /* A connection that broke mid-COPY returns the same error forever. */
      if (PQstatus (store->conn) == CONNECTION_BAD)
        break;
    }
  if (ok && PQstatus (store->conn) == CONNECTION_BAD)
    {
      store_set_error (store, error_out, name, NULL);
      ok = FALSE;
    }
  return ok;
}

void
store_rollback (Store *store)
{
  if (PQstatus (store->conn) != CONNECTION_OK
      || PQtransactionStatus (store->conn) == PQTRANS_IDLE)
    return;
  g_autoptr(PGresult) res = PQexec (store->conn, "ROLLBACK");
}

PGresult *
store_exec_in_transaction (Store *store, const char *name, ExecStatusType expected,
                           const char *sql, int n_params, const char *const *params,
                           GError **error_out)
{
  g_autoptr(PGresult) res = NULL;

  if (!store_command (store, "begin", "BEGIN", error_out))
    return NULL;
  res = store_exec (store, name, expected, sql, n_params, params, error_out);
  if (res == NULL || !store_command (store, "commit", "COMMIT", error_out))
    {
      store_rollback (store);
      return NULL;
    }
  return g_steal_pointer (&res);
}

gint64
store_get_int (const PGresult *res, int row, int col)
{
  if (PQgetisnull (res, row, col))
    return -1;
  return g_ascii_strtoll (PQgetvalue (res, row, col), NULL, 10);
}

double
store_get_double (const PGresult *res, int row, int col)
{
  if (PQgetisnull (res, row, col))
    return -1.0;
  return g_ascii_strtod (PQgetvalue (res, row, col), NULL);
}

const char *
store_get_text (const PGresult *res, int row, int col)
{
  return PQgetisnull (res, row, col) ? NULL : PQgetvalue (res, row, col);
}

/* ---- connecting ------------------------------------------------------ */

/* Server notices (e.g. "relation already exists, skipping") are for
 * debugging, not for the terminal libpq would print them on. */
static void
store_notice (void *arg, const char *message)
{
  g_autofree char *line = one_line (message);

  g_debug ("server: %s", line);
}

/* Keyword/value pairs for PQconnectdbParams and PQpingParams.  The
 * connection string is expanded in place of dbname, so it overrides the
 * defaults before it and is overridden by what follows.  Before: a bound
 * on connecting and TCP keepalives, so that a server that vanished from
 * the network is noticed (libpq waits forever by default; a worker must
 * get to its retry loop).  After: the client encoding, the one of our
 * strings.  The application name shows in pg_stat_activity. */
#define STORE_CONNECT_PARAMS(conninfo)                                        \
  const char *const keys[] = { "connect_timeout", "keepalives_idle",          \
                               "keepalives_interval", "keepalives_count",     \
                               "dbname", "fallback_application_name",         \
                               "client_encoding", NULL };                     \
  const char *const values[] = { STORE_CONNECT_TIMEOUT, "60", "10", "6",      \
                                 conninfo, "bounced", "UTF8", NULL }

static gboolean
conninfo_check (const char *conninfo, const char *what, GError **error_out)
{
  char *message = NULL;
  g_autoptr(PQconninfoOption) options = PQconninfoParse (conninfo, &message);

  if (options == NULL)
    {
      g_autofree char *line = one_line (message ? message : "out of memory");

      PQfreemem (message);
      g_set_error (error_out, STORE_ERROR, STORE_ERROR_CONFIG,
                   "invalid connection string in %s: %s", what, line);
      return FALSE;
    }
  return TRUE;
}

/* Whether libpq's environment names a server or database (PGHOST,
 * PGHOSTADDR, PGPORT, PGDATABASE, PGUSER, PGSERVICE); options such as
 * PGSSLMODE alone do not. */
static gboolean
libpq_environment_set (void)
{
  static const char *const targets[] = { "host", "hostaddr", "port", "dbname", "user",
                                         "service" };
  g_autoptr(PQconninfoOption) defaults = PQconndefaults ();

  for (PQconninfoOption *o = defaults; o != NULL && o->keyword != NULL; o++)
    for (gsize i = 0; i < G_N_ELEMENTS (targets); i++)
      if (strcmp (o->keyword, targets[i]) == 0 && o->envvar != NULL)
        {
          const char *v = g_getenv (o->envvar);

          if (v != NULL && v[0] != '\0')
            return TRUE;
        }
  return FALSE;
}

char *
store_resolve_conninfo (const char *db_option, GError **error_out)
{
  return store_resolve_conninfo_from (db_option, "--db", NULL, error_out);
}

/* The private cluster, ready for its worker: migrated by its superuser,
 * and bounced_ingest (created by the first migration) allowed to log in,
 * so that the worker's sessions are no superuser's (pgcluster.c,
 * invariant 1). */
static gboolean
private_setup (GError **error_out)
{
  g_autofree char *admin = pgcluster_admin_conninfo ();
  g_autoptr(Store) store = store_open (admin, error_out);

  if (store == NULL || store_migrate (store, error_out) < 0)
    return FALSE;
  return store_command (store, "let the worker role log in",
                        "DO $$ BEGIN\n"
                        "  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_ingest'\n"
                        "             AND NOT rolcanlogin) THEN\n"
                        "    ALTER ROLE bounced_ingest LOGIN;\n"
                        "  END IF;\n"
                        "END $$", error_out);
}

gboolean
store_prepare_private (GError **error_out)
{
  return private_setup (error_out);
}

static char *resolve (const char *db, const char *db_origin, char **origin_out,
                      gboolean admin, GError **error_out);

char *
store_resolve_conninfo_from (const char *db, const char *db_origin, char **origin_out,
                             GError **error_out)
{
  return resolve (db, db_origin, origin_out, FALSE, error_out);
}

char *
store_resolve_admin_conninfo_from (const char *db, const char *db_origin, char **origin_out,
                                   GError **error_out)
{
  return resolve (db, db_origin, origin_out, TRUE, error_out);
}

static char *
resolve (const char *db, const char *db_origin, char **origin_out, gboolean admin,
         GError **error_out)
{
  const char *url = g_getenv ("DATABASE_URL");
  g_autoptr(GError) error = NULL;
  g_autofree char *origin = NULL;
  char *conninfo = NULL;

  if (db != NULL)
    {
      origin = g_strdup (db_origin ? db_origin : "--db");
      if (conninfo_check (db, origin, error_out))
        conninfo = g_strdup (db);
    }
  else if (url != NULL && url[0] != '\0')
    {
      origin = g_strdup ("$DATABASE_URL");
      if (conninfo_check (url, origin, error_out))
        conninfo = g_strdup (url);
    }
  /* The empty connection string means libpq's defaults, its environment
   * and service file included. */
  else if (libpq_environment_set ())
    {
      origin = g_strdup ("the PG* environment variables");
      conninfo = g_strdup ("");
    }
  else
    {
      g_autofree char *dir = pgcluster_data_dir ();

      origin = g_strdup_printf ("the private cluster in %s", dir);
      conninfo = pgcluster_ensure (&error);
      if (conninfo == NULL)
        g_set_error (error_out, STORE_ERROR, STORE_ERROR_CONFIG,
                     "could not use the private database cluster: %s", error->message);
      else if (admin)
        {
          g_free (conninfo);
          conninfo = pgcluster_admin_conninfo ();
        }
      else if (!private_setup (&error))
        {
          g_set_error (error_out, STORE_ERROR, STORE_ERROR_CONFIG,
                       "could not prepare the private database cluster: %s", error->message);
          g_clear_pointer (&conninfo, g_free);
        }
    }
  if (conninfo != NULL && origin_out != NULL)
    *origin_out = g_steal_pointer (&origin);
  return conninfo;
}

char *
store_resolve_conninfo_existing (const char *db, const char *db_origin, char **origin_out,
                                 GError **error_out)
{
  const char *url = g_getenv ("DATABASE_URL");
  g_autoptr(GError) error = NULL;
  PgclusterState state = PGCLUSTER_ABSENT;

  if (db != NULL || (url != NULL && url[0] != '\0') || libpq_environment_set ())
    return store_resolve_conninfo_from (db, db_origin, origin_out, error_out);
  if (!pgcluster_status (&state, &error))
    {
      g_set_error (error_out, STORE_ERROR, STORE_ERROR_CONFIG,
                   "could not use the private database cluster: %s", error->message);
      return NULL;
    }
  if (state == PGCLUSTER_ABSENT)
    {
      g_autofree char *dir = pgcluster_data_dir ();

      g_set_error (error_out, STORE_ERROR, STORE_ERROR_SCHEMA,
                   "no database is configured and there is no private cluster in \"%s\" "
                   "yet: nothing is stored (run bounced ingest, or give --db)", dir);
      return NULL;
    }
  return store_resolve_conninfo_from (NULL, NULL, origin_out, error_out);
}

/* Why a connection attempt failed: a server that does not answer, or
 * answers that it is starting or stopping, may answer later; a server that
 * answers and still refuses us (authentication, missing database or role)
 * will go on refusing. */
static StoreError
connect_failure_code (const char *conninfo)
{
  STORE_CONNECT_PARAMS (conninfo);

  switch (PQpingParams (keys, values, 1))
    {
    case PQPING_NO_RESPONSE:
    case PQPING_REJECT:
      return STORE_ERROR_UNAVAILABLE;
    case PQPING_OK:
    case PQPING_NO_ATTEMPT:
    default:
      return STORE_ERROR_CONFIG;
    }
}

Store *
store_open (const char *conninfo, GError **error_out)
{
  g_autoptr(PGconn) conn = NULL;
  Store *store;

  g_return_val_if_fail (conninfo != NULL, NULL);

  if (!conninfo_check (conninfo, "the connection string", error_out))
    return NULL;
  {
    STORE_CONNECT_PARAMS (conninfo);
    conn = PQconnectdbParams (keys, values, 1);
  }
  if (conn == NULL)
    {
      g_set_error (error_out, STORE_ERROR, STORE_ERROR_UNAVAILABLE,
                   "could not connect to the database: out of memory");
      return NULL;
    }
  if (PQstatus (conn) != CONNECTION_OK)
    {
      g_autofree char *line = one_line (PQerrorMessage (conn));

      g_set_error (error_out, STORE_ERROR, connect_failure_code (conninfo),
                   "could not connect to the database: %s", line);
      return NULL;
    }
  PQsetNoticeProcessor (conn, store_notice, NULL);
  store = g_new0 (Store, 1);
  store->conn = g_steal_pointer (&conn);
  store->last_batch_stored = g_byte_array_new ();
  return store;
}

void
store_free (Store *store)
{
  if (store == NULL)
    return;
  g_clear_pointer (&store->conn, PQfinish);
  g_byte_array_unref (store->last_batch_stored);
  g_free (store);
}

/* Reconnects with the same parameters; the session state (staging tables)
 * is gone afterwards. */
static gboolean
store_reconnect (Store *store, GError **error_out)
{
  store->staged = FALSE;
  PQreset (store->conn);
  if (PQstatus (store->conn) != CONNECTION_OK)
    {
      g_autofree char *line = one_line (PQerrorMessage (store->conn));

      g_set_error (error_out, STORE_ERROR, STORE_ERROR_UNAVAILABLE,
                   "could not reconnect to the database: %s", line);
      return FALSE;
    }
  PQsetNoticeProcessor (store->conn, store_notice, NULL);
  return TRUE;
}

gboolean
store_check (Store *store, GError **error_out)
{
  g_return_val_if_fail (store != NULL, FALSE);

  if (PQstatus (store->conn) == CONNECTION_OK)
    {
      /* The status only changes when the connection is used: a server
       * that restarted while we were idle shows up on the next statement.
       * An empty query is the cheapest round trip there is. */
      g_autoptr(PGresult) res = NULL;

      store_rollback (store);
      res = PQexec (store->conn, "");
      if (res != NULL && PQresultStatus (res) == PGRES_EMPTY_QUERY)
        return TRUE;
    }
  return store_reconnect (store, error_out);
}

/* ---- migrations ------------------------------------------------------ */

/* The table the runner itself needs, created before the first migration. */
static const char migrations_bootstrap_sql[] =
  "CREATE SCHEMA IF NOT EXISTS bounce;\n"
  "CREATE TABLE IF NOT EXISTS bounce.schema_migrations (\n"
  "  version    integer PRIMARY KEY,\n"
  "  name       text NOT NULL,\n"
  "  checksum   text NOT NULL,\n"
  "  applied_at timestamptz NOT NULL DEFAULT now()\n"
  ");\n"
  "COMMENT ON TABLE bounce.schema_migrations IS "
  "'Migrations of sql/ applied to this database, one row each (bounced migrate).';\n"
  "COMMENT ON COLUMN bounce.schema_migrations.version IS 'Number of the migration (NNN of NNN_name.sql).';\n"
  "COMMENT ON COLUMN bounce.schema_migrations.name IS 'File name of the migration.';\n"
  "COMMENT ON COLUMN bounce.schema_migrations.checksum IS 'SHA-256 of the migration text as applied.';\n"
  "COMMENT ON COLUMN bounce.schema_migrations.applied_at IS 'When it was applied.';\n";

/* Fills @applied_out with the versions recorded; FALSE if the table is
 * missing (@exists_out) or on error. */
static gboolean
migrations_applied (Store *store, GHashTable *applied_out, gboolean *exists_out,
                    GError **error_out)
{
  g_autoptr(PGresult) exists = NULL;
  g_autoptr(PGresult) res = NULL;

  exists = store_exec (store, "find schema_migrations", PGRES_TUPLES_OK,
                       "SELECT to_regclass('bounce.schema_migrations') IS NOT NULL", 0, NULL,
                       error_out);
  if (exists == NULL)
    return FALSE;
  *exists_out = strcmp (PQgetvalue (exists, 0, 0), "t") == 0;
  if (!*exists_out)
    return TRUE;
  res = store_exec (store, "read schema_migrations", PGRES_TUPLES_OK,
                    "SELECT version FROM bounce.schema_migrations", 0, NULL, error_out);
  if (res == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (res); i++)
    g_hash_table_add (applied_out, GINT_TO_POINTER (atoi (PQgetvalue (res, i, 0))));
  return TRUE;
}

static guint
migrations_pending (GHashTable *applied)
{
  guint n = 0;

  for (guint i = 0; i < sql_migrations_count; i++)
    if (!g_hash_table_contains (applied, GINT_TO_POINTER (sql_migrations[i].version)))
      n++;
  return n;
}

int
store_pending_migrations (Store *store, GError **error_out)
{
  g_autoptr(GHashTable) applied = g_hash_table_new (NULL, NULL);
  gboolean exists = FALSE;

  g_return_val_if_fail (store != NULL, -1);
  if (!migrations_applied (store, applied, &exists, error_out))
    return -1;
  return (int) migrations_pending (applied);
}

static int
store_migrate_locked (Store *store, GError **error_out)
{
  g_autoptr(GHashTable) applied = g_hash_table_new (NULL, NULL);
  gboolean exists = FALSE;
  int count = 0;

  /* Another worker may have migrated while we waited for the lock. */
  if (!migrations_applied (store, applied, &exists, error_out))
    return -1;
  if (!exists && !store_command (store, "create schema_migrations", migrations_bootstrap_sql,
                                 error_out))
    return -1;
  for (guint i = 0; i < sql_migrations_count; i++)
    {
      const struct sql_migration *m = &sql_migrations[i];
      g_autofree char *checksum = NULL;
      g_autofree char *version = NULL;
      g_autoptr(PGresult) res = NULL;
      const char *params[3];

      if (g_hash_table_contains (applied, GINT_TO_POINTER (m->version)))
        continue;
      if (!store_command (store, m->name, m->sql, error_out))
        return -1;
      checksum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, m->sql, -1);
      version = g_strdup_printf ("%d", m->version);
      params[0] = version;
      params[1] = m->name;
      params[2] = checksum;
      res = store_exec (store, "record migration", PGRES_COMMAND_OK,
                        "INSERT INTO bounce.schema_migrations (version, name, checksum) "
                        "VALUES ($1, $2, $3)", 3, params, error_out);
      if (res == NULL)
        return -1;
      count++;
    }
  return count;
}

int
store_migrate (Store *store, GError **error_out)
{
  g_autoptr(GHashTable) applied = g_hash_table_new (NULL, NULL);
  gboolean exists = FALSE;
  int count;

  g_return_val_if_fail (store != NULL, -1);

  /* The schema uses UNIQUE NULLS NOT DISTINCT (PostgreSQL 15). */
  if (PQserverVersion (store->conn) < STORE_MIN_SERVER_VERSION)
    {
      int v = PQserverVersion (store->conn);

      g_set_error (error_out, STORE_ERROR, STORE_ERROR_CONFIG,
                   "PostgreSQL %d.%d is too old: the bounce schema needs %d or later",
                   v / 10000, v % 10000, STORE_MIN_SERVER_VERSION / 10000);
      return -1;
    }
  /* Up to date is the common case at every start: answer it without
   * locking, and without needing the right to create anything (a worker
   * may run as bounced_ingest). */
  if (!migrations_applied (store, applied, &exists, error_out))
    return -1;
  if (exists && migrations_pending (applied) == 0)
    return 0;

  /* All pending migrations in one transaction, under an advisory lock, so
   * that two workers starting at once apply each migration once and a
   * failed migration leaves no trace.  The lock is taken before the
   * transaction begins, not inside it: a transaction that began before
   * another one's migration committed would look the new tables up in its
   * stale catalog caches and try to create them again. */
  {
    g_autoptr(PGresult) res = store_exec (store, "lock migrations", PGRES_TUPLES_OK,
                                          "SELECT pg_advisory_lock(" STORE_MIGRATE_LOCK_KEY ")",
                                          0, NULL, error_out);
    if (res == NULL)
      return -1;
  }
  if (!store_command (store, "begin migration", "BEGIN", error_out))
    count = -1;
  else
    {
      count = store_migrate_locked (store, error_out);
      if (count < 0 || !store_command (store, "commit migration", "COMMIT", error_out))
        {
          store_rollback (store);
          count = -1;
        }
    }
  /* Released with the session anyway, should the connection be lost. */
  {
    g_autoptr(PGresult) res = store_exec (store, "unlock migrations", PGRES_TUPLES_OK,
                                          "SELECT pg_advisory_unlock(" STORE_MIGRATE_LOCK_KEY ")",
                                          0, NULL, count < 0 ? NULL : error_out);
    if (res == NULL && count >= 0)
      return -1;
  }
  return count;
}

gboolean
store_check_schema (Store *store, GError **error_out)
{
  g_autoptr(GHashTable) applied = g_hash_table_new (NULL, NULL);
  g_autoptr(PGresult) res = NULL;
  const char *db;
  guint pending;

  g_return_val_if_fail (store != NULL, FALSE);
  db = PQdb (store->conn);
  res = store_exec (store, "find bounce schema", PGRES_TUPLES_OK,
                    "SELECT to_regnamespace('bounce') IS NOT NULL,\n"
                    "       to_regclass('bounce.schema_migrations') IS NOT NULL\n"
                    "       AND has_table_privilege('bounce.schema_migrations', 'SELECT')",
                    0, NULL, error_out);
  if (res == NULL)
    return FALSE;
  if (strcmp (PQgetvalue (res, 0, 0), "t") != 0)
    {
      g_set_error (error_out, STORE_ERROR, STORE_ERROR_SCHEMA,
                   "database \"%s\" has no bounce schema: nothing is stored there "
                   "(run bounced migrate or bounced ingest first)", db);
      return FALSE;
    }
  if (strcmp (PQgetvalue (res, 0, 1), "t") != 0)
    return TRUE;
  {
    gboolean exists = FALSE;

    if (!migrations_applied (store, applied, &exists, error_out))
      return FALSE;
  }
  pending = migrations_pending (applied);
  if (pending > 0)
    {
      g_set_error (error_out, STORE_ERROR, STORE_ERROR_SCHEMA,
                   "the bounce schema of database \"%s\" lacks %u migration%s of this "
                   "bounced: run bounced migrate first", db, pending, pending == 1 ? "" : "s");
      return FALSE;
    }
  return TRUE;
}

gint
store_prepare_partitions (Store *store, GError **error_out)
{
  g_autoptr(PGresult) res = NULL;

  g_return_val_if_fail (store != NULL, -1);
  res = store_exec_in_transaction (store, "prepare outcome months", PGRES_TUPLES_OK,
                                   "SELECT count(*) FROM bounce.prepare_outcome_months()",
                                   0, NULL, error_out);
  return res == NULL ? -1 : (gint) store_get_int (res, 0, 0);
}

/* ---- writing --------------------------------------------------------- */

static const char stage_sql[] =
  "CREATE TEMP TABLE IF NOT EXISTS bounced_stage_messages (\n"
  "  item int NOT NULL, sha256 text COLLATE \"C\" NOT NULL, source text NOT NULL,\n"
  "  size bigint NOT NULL,\n"
  "  kind text NOT NULL, format text, reporting_mta text, dsn_gateway text,\n"
  "  received_from_mta text, original_envelope_id text, arrival_date timestamptz,\n"
  "  message_from text, message_subject text, message_date timestamptz,\n"
  "  original_message_id text, original_from text, original_to text,\n"
  "  original_subject text, original_date text, original_list_id text, campaign text,\n"
  "  extensions jsonb, error text, arrival_date_text text, message_date_text text,\n"
  "  delivered_at timestamptz, delivered_source text\n"
  ") ON COMMIT DELETE ROWS;\n"
  "CREATE TEMP TABLE IF NOT EXISTS bounced_stage_outcomes (\n"
  "  item int NOT NULL, ordinal int NOT NULL, recipient text, original_recipient text,\n"
  "  action text, status text, status_source text, reply_code text, diagnostic_type text,\n"
  "  diagnostic text,\n"
  "  remote_mta text, last_attempt timestamptz, will_retry_until timestamptz,\n"
  "  final_log_id text, feedback_type text, reason text NOT NULL, hard_bounce boolean NOT NULL,\n"
  "  evidence text, extensions jsonb, last_attempt_text text, will_retry_until_text text,\n"
  "  command text\n"
  ") ON COMMIT DELETE ROWS;\n";

static const char copy_messages_sql[] =
  "COPY pg_temp.bounced_stage_messages (item, sha256, source, size, kind, format,"
  " reporting_mta, dsn_gateway, received_from_mta, original_envelope_id, arrival_date,"
  " message_from, message_subject, message_date, original_message_id, original_from,"
  " original_to, original_subject, original_date, original_list_id, campaign, extensions,"
  " error, arrival_date_text, message_date_text, delivered_at, delivered_source) FROM STDIN";

static const char copy_outcomes_sql[] =
  "COPY pg_temp.bounced_stage_outcomes (item, ordinal, recipient, original_recipient,"
  " action, status, status_source, reply_code, diagnostic_type, diagnostic, remote_mta,"
  " last_attempt,"
  " will_retry_until, final_log_id, feedback_type, reason, hard_bounce, evidence,"
  " extensions, last_attempt_text, will_retry_until_text, command) FROM STDIN";

/* $1 parser version, $2 classifier version.  Soft bounces are the groups
 * REASONS.md counts towards suppression (mailbox, infrastructure, unknown);
 * the latest outcome is the one with the greatest (event time, message id,
 * ordinal), an order every writer agrees on.  A new address has no history
 * and no operator decision, so its empty policy state is that of the
 * policy in force: the row says so (policy_version), and the trigger folds
 * the batch into it without a full recomputation. */
static const char write_sql[] =
  "WITH firsts AS (\n"
  "  SELECT DISTINCT ON (sha256) * FROM pg_temp.bounced_stage_messages ORDER BY sha256, item\n"
  "), new_messages AS (\n"
  "  INSERT INTO bounce.messages (sha256, source, size, " STORE_MESSAGE_COLUMNS ",\n"
  "      parser_version, classifier_version, delivered_at)\n"
  "  SELECT sha256, source, size, " STORE_MESSAGE_COLUMNS ",\n"
  "      $1, $2, delivered_at\n"
  "    FROM firsts ORDER BY sha256\n"
  "  ON CONFLICT (sha256) DO NOTHING\n"
  "  RETURNING id, sha256, ingested_at, kind\n"
  "), new_outcomes AS (\n"
  "  INSERT INTO bounce.recipient_outcomes (" STORE_OUTCOME_COLUMNS ")\n"
  "  SELECT " STORE_OUTCOME_VALUES "\n"
  "    FROM new_messages n\n"
  "    JOIN firsts f ON f.sha256 = n.sha256\n"
  "    JOIN pg_temp.bounced_stage_outcomes o ON o.item = f.item\n"
  "  RETURNING message_id, ordinal, event_time, recipient, recipient_domain, reason,\n"
  "      status, hard_bounce\n"
  "), per_address AS (\n"
  "  SELECT lower(n.recipient) COLLATE \"C\" AS address, min(n.recipient_domain) AS domain,\n"
  "      count(*) AS outcomes,\n"
  "      count(*) FILTER (WHERE n.hard_bounce) AS hard_bounces,\n"
  "      count(*) FILTER (WHERE NOT n.hard_bounce\n"
  "                       AND g.grp IN " STORE_SOFT_GROUPS ") AS soft_bounces,\n"
  "      count(*) FILTER (WHERE n.reason = 'feedback') AS complaints,\n"
  "      count(*) FILTER (WHERE n.reason = 'delivered') AS delivered,\n"
  "      min(n.event_time) AS first_event_time,\n"
  "      max(n.event_time) AS last_event_time,\n"
  "      (array_agg(n.message_id ORDER BY n.event_time DESC, n.message_id DESC,\n"
  "                 n.ordinal DESC))[1] AS last_message_id,\n"
  "      (array_agg(n.reason ORDER BY n.event_time DESC, n.message_id DESC,\n"
  "                 n.ordinal DESC))[1] AS last_reason,\n"
  "      (array_agg(n.status ORDER BY n.event_time DESC, n.message_id DESC,\n"
  "                 n.ordinal DESC))[1] AS last_status,\n"
  "      (array_agg(n.hard_bounce ORDER BY n.event_time DESC, n.message_id DESC,\n"
  "                 n.ordinal DESC))[1] AS last_hard_bounce,\n"
  "      max(n.event_time) FILTER (WHERE n.reason = 'delivered') AS last_delivered_at\n"
  "    FROM new_outcomes n LEFT JOIN bounce.reasons g ON g.reason = n.reason\n"
  "   WHERE n.recipient IS NOT NULL\n"
  "   GROUP BY 1\n"
  "), counted AS (\n"
  "INSERT INTO bounce.recipients AS r (address, domain, outcomes, hard_bounces, soft_bounces,\n"
  "    complaints, delivered, first_event_time, last_event_time, last_message_id,\n"
  "    last_reason, last_status, last_hard_bounce, last_delivered_at, policy_version)\n"
  "SELECT address, domain, outcomes, hard_bounces, soft_bounces, complaints, delivered,\n"
  "    first_event_time, last_event_time, last_message_id, last_reason, last_status,\n"
  "    last_hard_bounce, last_delivered_at, (SELECT version FROM bounce.policy)\n"
  "  FROM per_address ORDER BY address\n"
  "ON CONFLICT (address) DO UPDATE SET\n"
  STORE_RECIPIENT_ADD_COUNTS
  "  first_event_time = LEAST(r.first_event_time, EXCLUDED.first_event_time),\n"
  "  last_event_time = GREATEST(r.last_event_time, EXCLUDED.last_event_time),\n"
  "  last_message_id = CASE WHEN (EXCLUDED.last_event_time, EXCLUDED.last_message_id)\n"
  "      > (r.last_event_time, r.last_message_id) THEN EXCLUDED.last_message_id\n"
  "      ELSE r.last_message_id END,\n"
  "  last_reason = CASE WHEN (EXCLUDED.last_event_time, EXCLUDED.last_message_id)\n"
  "      > (r.last_event_time, r.last_message_id) THEN EXCLUDED.last_reason\n"
  "      ELSE r.last_reason END,\n"
  "  last_status = CASE WHEN (EXCLUDED.last_event_time, EXCLUDED.last_message_id)\n"
  "      > (r.last_event_time, r.last_message_id) THEN EXCLUDED.last_status\n"
  "      ELSE r.last_status END,\n"
  "  last_hard_bounce = CASE WHEN (EXCLUDED.last_event_time, EXCLUDED.last_message_id)\n"
  "      > (r.last_event_time, r.last_message_id) THEN EXCLUDED.last_hard_bounce\n"
  "      ELSE r.last_hard_bounce END,\n"
  "  last_delivered_at = GREATEST(r.last_delivered_at, EXCLUDED.last_delivered_at),\n"
  "  updated_at = now()\n"
  ")\n"
  "SELECT f.item, n.kind <> 'error' FROM new_messages n JOIN firsts f ON f.sha256 = n.sha256";

void
store_copy_text (GString *buf, const char *s)
{
  g_autofree char *valid = NULL;

  if (s == NULL)
    {
      g_string_append (buf, "\\N");
      return;
    }
  if (!g_utf8_validate (s, -1, NULL))
    s = valid = g_utf8_make_valid (s, -1);
  for (const char *p = s; *p; p++)
    switch (*p)
      {
      case '\\': g_string_append (buf, "\\\\"); break;
      case '\t': g_string_append (buf, "\\t"); break;
      case '\n': g_string_append (buf, "\\n"); break;
      case '\r': g_string_append (buf, "\\r"); break;
      default: g_string_append_c (buf, *p);
      }
}

void
store_copy_sep (GString *buf, const char *s)
{
  g_string_append_c (buf, '\t');
  store_copy_text (buf, s);
}

/* A time the server reads without fail: GLib's ISO 8601 reading is the
 * check, and it is written in UTC (the parser gives UTC already; a zone
 * offset of 16 hours or more, legal in RFC 5322, is out of timestamptz's
 * range and would fail the whole COPY).  Unreadable times, and years
 * before 1000, become NULL (absent), not a failed batch. */
static void
copy_time (GString *buf, GDateTime *dt)
{
  g_autoptr(GDateTime) utc = dt ? g_date_time_to_utc (dt) : NULL;
  g_autofree char *s = NULL;

  g_string_append_c (buf, '\t');
  if (utc == NULL || g_date_time_get_year (utc) < 1000)
    {
      g_string_append (buf, "\\N");
      return;
    }
  s = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S+00:00");
  store_copy_text (buf, s);
}

static void
copy_iso_time (GString *buf, const char *iso)
{
  g_autoptr(GDateTime) dt = iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;

  copy_time (buf, dt);
}

/* Extension fields as a JSON object, or NULL when there are none. */
static void
copy_fields_json (GString *buf, const GPtrArray *fields)
{
  g_autoptr(GString) json = NULL;

  g_string_append_c (buf, '\t');
  if (fields == NULL || fields->len == 0)
    {
      g_string_append (buf, "\\N");
      return;
    }
  /* The object bounced parse prints: a repeated field is an array of its
   * values (jsonb keeps only the last of duplicate keys). */
  json = g_string_new (NULL);
  report_json_fields (json, fields);
  store_copy_text (buf, json->str);
}

void
store_stage (GString *messages, GString *outcomes, guint item, const StoreItem *it)
{
  const BounceReport *r = it->report;
  const BounceOriginal *o = &r->original;

  g_string_append_printf (messages, "%u", item);
  store_copy_sep (messages, it->sha256);
  store_copy_sep (messages, it->source);
  g_string_append_printf (messages, "\t%" G_GSIZE_FORMAT, it->size);
  store_copy_sep (messages, bounce_kind_to_string (r->kind));
  store_copy_sep (messages, r->format);
  store_copy_sep (messages, r->reporting_mta);
  store_copy_sep (messages, r->dsn_gateway);
  store_copy_sep (messages, r->received_from_mta);
  store_copy_sep (messages, r->original_envelope_id);
  copy_iso_time (messages, r->arrival_date);
  store_copy_sep (messages, r->message_from);
  store_copy_sep (messages, r->message_subject);
  copy_iso_time (messages, r->message_date);
  store_copy_sep (messages, o->message_id);
  store_copy_sep (messages, o->from);
  store_copy_sep (messages, o->to);
  store_copy_sep (messages, o->subject);
  store_copy_sep (messages, o->date);
  store_copy_sep (messages, o->list_id);
  store_copy_sep (messages, o->campaign);
  copy_fields_json (messages, r->extensions);
  /* Invariant 4 of a report says kind error comes with an error text; a
   * report breaking it still gets a row. */
  store_copy_sep (messages, r->error ? r->error
                      : r->kind == BOUNCE_KIND_ERROR ? "unknown error" : NULL);
  store_copy_sep (messages, r->arrival_date_text);
  store_copy_sep (messages, r->message_date_text);
  /* When the file was delivered, the last witness of an undated notice. */
  if (it->delivered_at > 0)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (it->delivered_at);

      copy_time (messages, dt);
      store_copy_sep (messages, it->delivered_source);
    }
  else
    g_string_append (messages, "\t\\N\t\\N");
  g_string_append_c (messages, '\n');

  for (guint i = 0; i < r->recipients->len; i++)
    {
      const BounceRecipient *rc = g_ptr_array_index (r->recipients, i);

      g_string_append_printf (outcomes, "%u\t%u", item, i);
      store_copy_sep (outcomes, rc->recipient);
      store_copy_sep (outcomes, rc->original_recipient);
      store_copy_sep (outcomes, rc->action);
      store_copy_sep (outcomes, rc->status);
      store_copy_sep (outcomes, rc->status_source);
      store_copy_sep (outcomes, rc->reply_code);
      store_copy_sep (outcomes, rc->diagnostic_type);
      store_copy_sep (outcomes, rc->diagnostic);
      store_copy_sep (outcomes, rc->remote_mta);
      copy_iso_time (outcomes, rc->last_attempt);
      copy_iso_time (outcomes, rc->will_retry_until);
      store_copy_sep (outcomes, rc->final_log_id);
      store_copy_sep (outcomes, rc->feedback_type);
      store_copy_sep (outcomes, rc->reason ? rc->reason : "undefined");
      g_string_append (outcomes, rc->hard_bounce ? "\tt" : "\tf");
      store_copy_sep (outcomes, rc->evidence);
      copy_fields_json (outcomes, rc->extensions);
      store_copy_sep (outcomes, rc->last_attempt_text);
      store_copy_sep (outcomes, rc->will_retry_until_text);
      store_copy_sep (outcomes, rc->command);
      g_string_append_c (outcomes, '\n');
    }
}

gboolean
store_stage_tables (Store *store, GError **error_out)
{
  if (!store->staged)
    {
      if (!store_command (store, "create staging tables", stage_sql, error_out))
        return FALSE;
      store->staged = TRUE;
    }
  return TRUE;
}

gboolean
store_copy_staged (Store *store, const GString *messages, const GString *outcomes,
                   GError **error_out)
{
  return store_copy (store, "copy messages", copy_messages_sql, messages, error_out)
         && store_copy (store, "copy outcomes", copy_outcomes_sql, outcomes, error_out);
}

/* One attempt at the whole batch; the caller rolls back on failure. */
static gboolean
write_batch_once (Store *store, const GString *messages, const GString *outcomes, guint n,
                  GError **error_out)
{
  const char *params[2] = { BOUNCED_VERSION, bounce_classifier_version () };
  g_autoptr(PGresult) res = NULL;

  if (!store_stage_tables (store, error_out)
      || !store_command (store, "begin batch", "BEGIN", error_out)
      || !store_copy_staged (store, messages, outcomes, error_out))
    return FALSE;
  /* It returns the items it stored (of copies of one content, the first),
   * and whether each is a report, for the summary's "new" and "already
   * stored". */
  res = store_exec (store, "insert messages", PGRES_TUPLES_OK, write_sql, 2, params,
                    error_out);
  if (res == NULL)
    return FALSE;
  g_byte_array_set_size (store->last_batch_stored, 0);
  g_byte_array_set_size (store->last_batch_stored, n);
  memset (store->last_batch_stored->data, 0, n);
  store->last_batch_new = 0;
  for (int row = 0; row < PQntuples (res); row++)
    {
      gint64 item = store_get_int (res, row, 0);

      if (item >= 0 && item < (gint64) n)
        store->last_batch_stored->data[item] = 1;
      if (strcmp (PQgetvalue (res, row, 1), "t") == 0)
        store->last_batch_new++;
    }
  return store_command (store, "commit batch", "COMMIT", error_out);
}

guint
store_last_batch_new (const Store *store)
{
  g_return_val_if_fail (store != NULL, 0);
  return store->last_batch_new;
}

gboolean
store_last_batch_stored (const Store *store, guint i)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return i < store->last_batch_stored->len && store->last_batch_stored->data[i] != 0;
}

gboolean
store_relocate (Store *store, const char *const *sha256s, const char *const *paths, guint n,
                GError **error_out)
{
  g_autoptr(GString) shas = g_string_new ("{");
  g_autoptr(GString) where = g_string_new ("{");
  g_autoptr(PGresult) res = NULL;
  const char *params[2];

  g_return_val_if_fail (store != NULL, FALSE);
  if (n == 0)
    return TRUE;
  /* Array literals: every element quoted, quotes and backslashes escaped. */
  for (guint i = 0; i < n; i++)
    {
      GString *arrays[2] = { shas, where };
      const char *values[2] = { sha256s[i], paths[i] };

      for (int a = 0; a < 2; a++)
        {
          g_autofree char *valid = g_utf8_make_valid (values[a], -1);

          g_string_append (arrays[a], i > 0 ? ",\"" : "\"");
          for (const char *p = valid; *p; p++)
            {
              if (*p == '"' || *p == '\\')
                g_string_append_c (arrays[a], '\\');
              g_string_append_c (arrays[a], *p);
            }
          g_string_append_c (arrays[a], '"');
        }
    }
  g_string_append_c (shas, '}');
  g_string_append_c (where, '}');
  params[0] = shas->str;
  params[1] = where->str;
  res = store_exec_in_transaction (store, "record message paths", PGRES_COMMAND_OK,
                                   "UPDATE bounce.messages m SET source = v.path\n"
                                   "  FROM unnest($1::text[], $2::text[]) AS v(sha256, path)\n"
                                   " WHERE m.sha256 = v.sha256 AND m.source IS DISTINCT FROM v.path",
                                   2, params, error_out);
  return res != NULL;
}

gboolean
store_write_batch (Store *store, const StoreItem *items, guint n, GError **error_out)
{
  g_autoptr(GString) messages = NULL;
  g_autoptr(GString) outcomes = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (items != NULL || n == 0, FALSE);

  if (n == 0)
    return TRUE;
  messages = g_string_sized_new (n * 512);
  outcomes = g_string_sized_new (n * 512);
  for (guint i = 0; i < n; i++)
    {
      g_return_val_if_fail (items[i].sha256 != NULL && items[i].source != NULL
                            && items[i].report != NULL, FALSE);
      store_stage (messages, outcomes, i, &items[i]);
    }

  /* A connection found broken (the server restarted since the last
   * batch, or during this one) is reset and the batch tried once more:
   * whether a lost COMMIT happened or not, the content hash makes the
   * second attempt harmless.  Past that, retrying is the caller's. */
  if (PQstatus (store->conn) != CONNECTION_OK && !store_reconnect (store, error_out))
    return FALSE;
  if (write_batch_once (store, messages, outcomes, n, &error))
    return TRUE;
  store_rollback (store);
  if (error->code == STORE_ERROR_UNAVAILABLE && PQstatus (store->conn) == CONNECTION_BAD
      && store_reconnect (store, NULL))
    {
      g_clear_error (&error);
      if (write_batch_once (store, messages, outcomes, n, &error))
        return TRUE;
      store_rollback (store);
    }
  g_propagate_error (error_out, g_steal_pointer (&error));
  return FALSE;
}

/* ---- administration -------------------------------------------------- */

gboolean
store_run_sql (Store *store, const char *sql, GError **error_out)
{
  g_autoptr(PGresult) res = NULL;

  g_return_val_if_fail (store != NULL && sql != NULL, FALSE);

  res = PQexec (store->conn, sql);
  if (res != NULL && (PQresultStatus (res) == PGRES_COMMAND_OK
                      || PQresultStatus (res) == PGRES_TUPLES_OK
                      || PQresultStatus (res) == PGRES_EMPTY_QUERY))
    return TRUE;
  if (res != NULL && PQresultStatus (res) == PGRES_COPY_IN)
    {
      g_set_error (error_out, STORE_ERROR, STORE_ERROR_FAILED,
                   "could not run statement \"sql\": COPY is not supported here");
      g_clear_pointer (&res, PQclear);
      PQputCopyEnd (store->conn, "not supported");
      while ((res = PQgetResult (store->conn)) != NULL)
        g_clear_pointer (&res, PQclear);
      return FALSE;
    }
  store_set_error (store, error_out, "sql", res);
  return FALSE;
}

char *
store_query_value (Store *store, const char *sql, GError **error_out)
{
  g_autoptr(PGresult) res = NULL;

  g_return_val_if_fail (store != NULL && sql != NULL, NULL);

  res = store_exec (store, "query", PGRES_TUPLES_OK, sql, 0, NULL, error_out);
  if (res == NULL || PQntuples (res) == 0 || PQnfields (res) == 0
      || PQgetisnull (res, 0, 0))
    return NULL;
  return g_strdup (PQgetvalue (res, 0, 0));
}
