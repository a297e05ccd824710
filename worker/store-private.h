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
  GByteArray *last_batch_stored;  /* per item of the last batch: stored by it */
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

/* ---- what ingest writes, shared with reprocess ------------------------
 *
 * Ingest (store.c) and reprocess (store-reprocess.c) must write the same
 * facts for the same file, so both stage a report with store_stage() and
 * make their rows with the column lists and expressions below. */

/* Columns of bounce.messages that come from the parse as staged, under the
 * same names in pg_temp.bounced_stage_messages. */
#define STORE_MESSAGE_COLUMNS                                                  \
  "kind, format, reporting_mta, dsn_gateway, received_from_mta,"              \
  " original_envelope_id, arrival_date, message_from, message_subject,"      \
  " message_date, original_message_id, original_from, original_to,"          \
  " original_subject, original_date, original_list_id, campaign, extensions," \
  " error, arrival_date_text, message_date_text"

/* Columns of bounce.recipient_outcomes: its key, the address, and the
 * rest; STORE_OUTCOME_COLUMNS is all of them, in the order of
 * STORE_OUTCOME_VALUES. */
#define STORE_OUTCOME_KEY_COLUMNS "message_id, ordinal, event_time"
#define STORE_OUTCOME_ADDRESS_COLUMNS "recipient, recipient_domain"
#define STORE_OUTCOME_FACT_COLUMNS                                             \
  "original_recipient, action, status, status_source, reply_code,"          \
  " diagnostic_type, diagnostic, remote_mta, last_attempt, will_retry_until," \
  " final_log_id, feedback_type, reason, hard_bounce, evidence, extensions,"  \
  " kind, campaign, last_attempt_text, will_retry_until_text, command,"      \
  " event_time_source"
#define STORE_OUTCOME_COLUMNS                                                  \
  STORE_OUTCOME_KEY_COLUMNS ", " STORE_OUTCOME_ADDRESS_COLUMNS ", "           \
  STORE_OUTCOME_FACT_COLUMNS

/* The values of STORE_OUTCOME_COLUMNS from a staged outcome o, its staged
 * message f (arrival_date, message_date, kind, campaign, delivered_at,
 * delivered_source) and its messages row n (id, ingested_at).  The event
 * time is the recipient's Last-Attempt-Date, else the report's
 * Arrival-Date, else the bounce's Date, else the delivery time of its file,
 * else the ingest time (sql/172_event_time.sql). */
#define STORE_OUTCOME_VALUES                                                   \
  "n.id, o.ordinal,\n"                                                        \
  "      COALESCE(o.last_attempt, f.arrival_date, f.message_date, f.delivered_at,\n" \
  "               n.ingested_at),\n"                                          \
  "      o.recipient, lower(NULLIF(substring(o.recipient FROM '@([^@]*)$'), '')),\n" \
  "      o.original_recipient, o.action, o.status, o.status_source, o.reply_code,\n" \
  "      o.diagnostic_type, o.diagnostic, o.remote_mta, o.last_attempt,\n"      \
  "      o.will_retry_until, o.final_log_id, o.feedback_type, o.reason,\n"      \
  "      o.hard_bounce, o.evidence, o.extensions, f.kind, f.campaign,\n"        \
  "      o.last_attempt_text, o.will_retry_until_text, o.command,\n"            \
  "      CASE WHEN o.last_attempt IS NOT NULL THEN 'last-attempt'\n"            \
  "           WHEN f.arrival_date IS NOT NULL THEN 'arrival-date'\n"            \
  "           WHEN f.message_date IS NOT NULL THEN 'message-date'\n"            \
  "           WHEN f.delivered_at IS NOT NULL THEN f.delivered_source\n"        \
  "           ELSE 'ingest' END"

/* The reason groups whose outcomes, when not hard, are soft bounces in the
 * counters of bounce.recipients (bounced-reasons(7)). */
#define STORE_SOFT_GROUPS "('mailbox', 'infrastructure', 'unknown')"

/* The SET list of an upsert of bounce.recipients AS r that adds the
 * counters of EXCLUDED to the stored ones. */
#define STORE_RECIPIENT_ADD_COUNTS                                             \
  "  outcomes = r.outcomes + EXCLUDED.outcomes,\n"                             \
  "  hard_bounces = r.hard_bounces + EXCLUDED.hard_bounces,\n"                 \
  "  soft_bounces = r.soft_bounces + EXCLUDED.soft_bounces,\n"                 \
  "  complaints = r.complaints + EXCLUDED.complaints,\n"                       \
  "  delivered = r.delivered + EXCLUDED.delivered,\n"                          \
  "  domain = COALESCE(r.domain, EXCLUDED.domain),\n"

/* Appends the COPY rows of @it to @messages (pg_temp.bounced_stage_messages,
 * numbered @item) and @outcomes (pg_temp.bounced_stage_outcomes). */
void store_stage (GString *messages, GString *outcomes, guint item, const StoreItem *it);

/* Creates the staging tables on this connection unless they exist (outside
 * a transaction: they outlive it). */
gboolean store_stage_tables (Store *store, GError **error_out);

/* COPYs what store_stage() appended into the staging tables (ON COMMIT
 * DELETE ROWS: inside the caller's transaction). */
gboolean store_copy_staged (Store *store, const GString *messages, const GString *outcomes,
                            GError **error_out);

G_END_DECLS
