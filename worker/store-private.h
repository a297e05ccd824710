/* store-private.h - what the files of the store module share
 *
 * The store is one module (STYLE.md 13: all libpq calls live in it) in
 * several files: store.c (connecting, migrations, writing batches, and the
 * statement wrappers below), store-analytics.c (policy, send counts,
 * reprocessing) and store-report.c (the report).  This header is for them
 * only: nothing outside worker/store*.c includes it, so libpq types never
 * leave the module.
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

#include "store.h"
#include "pq-autoptr.h"

G_BEGIN_DECLS

struct _Store {
  PGconn *conn;
  gboolean staged;           /* staging tables exist on this connection */
  guint last_batch_new;      /* messages the last batch stored anew */
};

/**
 * store_exec:
 * @name: what the statement does, for error messages.
 * @expected: the one result status that means success.
 * @params: (nullable): @n_params text parameters ($1...); with none, @sql
 *   may hold several statements (then the last one's status counts).
 *
 * Runs @sql.  Returns: (transfer full): the result, or NULL with @error_out
 *   set (STORE_ERROR_UNAVAILABLE when a retry can succeed, else
 *   STORE_ERROR_FAILED naming @name).
 */
PGresult *store_exec (Store *store, const char *name, ExecStatusType expected,
                      const char *sql, int n_params, const char *const *params,
                      GError **error_out);

/* Runs @sql (no parameters) for its status only (PGRES_COMMAND_OK). */
gboolean store_command (Store *store, const char *name, const char *sql, GError **error_out);

/* store_exec() of @sql in a transaction of its own (BEGIN ... COMMIT,
 * rolled back on failure).  Returns: (transfer full) the result or NULL. */
PGresult *store_exec_in_transaction (Store *store, const char *name, ExecStatusType expected,
                                     const char *sql, int n_params,
                                     const char *const *params, GError **error_out);

/**
 * store_copy:
 * Sends @data (COPY text format) with @copy_sql ("COPY ... FROM STDIN"),
 * then reads results until none are left, as the protocol requires
 * (PostgreSQL docs, "Functions Associated with the COPY Command").
 */
gboolean store_copy (Store *store, const char *name, const char *copy_sql,
                     const GString *data, GError **error_out);

/* Leaves a failed transaction; harmless when none is open. */
void store_rollback (Store *store);

/* Appends @s as one COPY text-format field: backslash escapes for the
 * characters that delimit (PostgreSQL docs, COPY, "Text Format"), \N for
 * NULL.  Bytes that are not UTF-8 would fail the whole batch on the server,
 * so they are replaced.  store_copy_sep() puts a tab before it. */
void store_copy_text (GString *buf, const char *s);
void store_copy_sep (GString *buf, const char *s);

/* Column @col of row @row: a bigint (-1 for NULL), a numeric (-1 for NULL),
 * or text (NULL for NULL; borrowed from @res). */
gint64 store_get_int (const PGresult *res, int row, int col);
double store_get_double (const PGresult *res, int row, int col);
const char *store_get_text (const PGresult *res, int row, int col);

G_END_DECLS
