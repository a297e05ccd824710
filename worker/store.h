/* store.h - the PostgreSQL store: the one module that calls libpq
 *
 * Everything bounced writes to or reads from PostgreSQL goes through here
 * (STYLE.md 13).  libpq memory never leaves this module; errors come back as
 * GError in STORE_ERROR, whose codes say what the caller can do.
 */
#pragma once

#include <glib.h>
#include "bounce.h"
#include "report-data.h"

G_BEGIN_DECLS

#define STORE_ERROR (store_error_quark ())

typedef enum {
  STORE_ERROR_UNAVAILABLE,  /* cannot connect / connection lost: retry later */
  STORE_ERROR_FAILED,       /* a statement failed: a bug or a schema problem */
  STORE_ERROR_CONFIG,       /* bad connection settings, private cluster
                             * could not be set up */
  STORE_ERROR_SCHEMA,       /* no bounce schema, or one older than this
                             * program: bounced migrate first */
} StoreError;

GQuark store_error_quark (void);

typedef struct _Store Store;

/**
 * StoreItem:
 * One ingested message, as the worker hands it to the store.
 * @source: the path its messages row names (where it came from, or where
 *   the worker is to put it once committed), borrowed.
 * @sha256: hex SHA-256 of the raw bytes (the idempotency key), borrowed.
 * @size: size in bytes.
 * @report: the parse result (kind error for unparseable mail), borrowed.
 * @delivered_at: when the file was delivered (Unix time), 0 if unknown:
 *   the event time of outcomes whose report carries no date at all.
 * @delivered_source: (nullable): how @delivered_at is known,
 *   "maildir-name" or "file-mtime" (recorded as event_time_source).
 */
typedef struct {
  const char *source;
  const char *sha256;
  gsize size;
  const BounceReport *report;
  gint64 delivered_at;
  const char *delivered_source;
} StoreItem;

/**
 * store_resolve_conninfo:
 * @db_option: (nullable): the --db value.
 *
 * Chooses the database: @db_option, else DATABASE_URL, else libpq's own
 * environment (PGHOST, PGDATABASE, PGSERVICE, ... when any is set), else the
 * private cluster under the user's data directory, which is created and
 * started on demand (see pgcluster.h).  Returns: (transfer full) a libpq
 * connection string, or NULL with @error_out set (STORE_ERROR_CONFIG).
 */
char *store_resolve_conninfo (const char *db_option, GError **error_out);

/**
 * store_resolve_conninfo_from:
 * @db: (nullable): the connection string chosen by the configuration.
 * @db_origin: (nullable): where @db came from ("--db", "$BOUNCED_DB",
 *   "configuration file \"/etc/bounced/bounced.conf\""), for messages.
 * @origin_out: (out) (optional): where the result came from: @db_origin,
 *   "$DATABASE_URL", "the PG* environment variables" or "the private
 *   cluster in DIR" (transfer full).
 *
 * store_resolve_conninfo(), saying where the connection string came from,
 * so that a connection error can tell the operator what to fix.
 */
char *store_resolve_conninfo_from (const char *db, const char *db_origin, char **origin_out,
                                   GError **error_out);

/* store_resolve_conninfo_from() for the commands that change the schema or
 * the policy (migrate, recompute, retention): the same, except that the
 * private cluster is reached as its superuser (the worker's role,
 * bounced_ingest, may not do those). */
char *store_resolve_admin_conninfo_from (const char *db, const char *db_origin,
                                         char **origin_out, GError **error_out);

/**
 * store_resolve_conninfo_existing:
 * Like store_resolve_conninfo_from(), for commands that only read: the private
 * cluster is started when it exists but never created.  Returns: (transfer
 * full) a connection string, or NULL with @error_out set
 * (STORE_ERROR_SCHEMA when no database is configured and there is no
 * private cluster, STORE_ERROR_CONFIG).
 */
char *store_resolve_conninfo_existing (const char *db, const char *db_origin, char **origin_out,
                                       GError **error_out);

/**
 * store_open:
 * Connects to @conninfo.  Returns: (transfer full) the store, or NULL with
 * STORE_ERROR_UNAVAILABLE (server unreachable) or STORE_ERROR_CONFIG.
 *
 *   g_autofree char *conninfo = store_resolve_conninfo (db, &error);
 *   g_autoptr(Store) store = conninfo ? store_open (conninfo, &error) : NULL;
 *   if (store == NULL || store_migrate (store, &error) < 0 || ...)
 */
Store *store_open (const char *conninfo, GError **error_out);

/* Applies the pending migrations of sql/ (under an advisory lock, so that
 * concurrent workers never race); returns how many were applied, or -1 with
 * @error_out set: STORE_ERROR_FAILED naming the migration that failed (it
 * and the others of this call are rolled back), STORE_ERROR_UNAVAILABLE,
 * or STORE_ERROR_CONFIG for a server older than PostgreSQL 15. */
int store_migrate (Store *store, GError **error_out);

/* How many migrations built into the program the database has not applied
 * (all of them for an empty database), without applying any; -1 with
 * @error_out set on failure. */
int store_pending_migrations (Store *store, GError **error_out);

/**
 * store_prepare_partitions:
 * Creates the recipient_outcomes partitions of the current and next month
 * and moves the rows of the default partition into partitions of their
 * months (bounce.prepare_outcome_months).  Returns: how many partitions
 * were created, or -1 with @error_out set.
 */
gint store_prepare_partitions (Store *store, GError **error_out);

/**
 * store_check_schema:
 * For commands that only read (report, suppression export, show): checks
 * that the bounce schema exists and that every migration of this program
 * is applied, without creating or changing anything.  A role that may not
 * read bounce.schema_migrations (bounced_mailer) gets the benefit of the
 * doubt once the schema exists.  Returns: FALSE with @error_out set
 * (STORE_ERROR_SCHEMA, saying what to run; STORE_ERROR_UNAVAILABLE).
 */
gboolean store_check_schema (Store *store, GError **error_out);

/**
 * store_write_batch:
 * Writes @n items in one transaction: COPY into a staging table, then
 * INSERT ... ON CONFLICT DO NOTHING on the content hash, so that an item
 * already stored is a no-op (ingest is idempotent).  Recipient outcomes and
 * the recipients table are updated for newly stored messages only.
 * Returns TRUE once COMMIT succeeded; on FALSE nothing of the batch is
 * stored and @error_out says whether to retry (STORE_ERROR_UNAVAILABLE).
 */
gboolean store_write_batch (Store *store, const StoreItem *items, guint n,
                            GError **error_out);

/* How many messages of the last successful store_write_batch() were stored
 * anew, not counting those of kind error (the others were stored before:
 * same content). */
guint store_last_batch_new (const Store *store);

/* Whether item @i of the last successful store_write_batch() got its
 * messages row from it (kind error included): the first of its content in
 * the batch, and not stored before.  Its row names the item's @source. */
gboolean store_last_batch_stored (const Store *store, guint i);

/**
 * store_relocate:
 * Records where @n messages (by content hash) are now (@paths), after the
 * Maildir moved them, so that bounce.messages.source leads to the file.
 * Returns: FALSE with @error_out set on failure.
 */
gboolean store_relocate (Store *store, const char *const *sha256s, const char *const *paths,
                         guint n, GError **error_out);

/* Whether the connection is usable; tries one reconnect if it is not. */
gboolean store_check (Store *store, GError **error_out);

/**
 * store_run_sql:
 * Runs @sql (one or more statements without parameters, outside of any
 * batch), for administration and tests.  Returns FALSE with @error_out set
 * (STORE_ERROR_FAILED or STORE_ERROR_UNAVAILABLE) when a statement fails.
 */
gboolean store_run_sql (Store *store, const char *sql, GError **error_out);

/**
 * store_query_value:
 * Runs the query @sql and returns the first column of its first row as text.
 * Returns: (transfer full) (nullable): the value; NULL with @error_out set on
 *   failure, NULL without an error for SQL NULL or no row.
 */
char *store_query_value (Store *store, const char *sql, GError **error_out);

void store_free (Store *store);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Store, store_free)

/* Policy, send counts, reprocessing (store-analytics.c) and the report
 * (store-report.c): the same module, in files of their own. */
#include "store-analytics.h"

/* The private cluster (running) made ready for its workers: migrated, and
 * bounced_ingest allowed to log in (`bounced db start`).  Returns FALSE
 * with @error_out set on failure. */
gboolean store_prepare_private (GError **error_out);

G_END_DECLS
