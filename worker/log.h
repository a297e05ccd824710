/* log.h - the worker's log: journal fields, one voice on standard error
 *
 * Under systemd (standard error connected to the journal) every line goes
 * to the journal with its fields; elsewhere it is printed as
 *
 *   bounced watch: /var/mail/bounces: stored 1000 messages (...)
 *
 * Every line names its Maildir: the MAILDIR field of the line, else the
 * Maildirs the worker serves (log_setup()).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * log_setup:
 * @verbose: show info lines (one per batch); warnings and errors always show.
 * @maildirs: (nullable): the Maildirs of the worker (copied), named by lines
 *   that carry no MAILDIR field of their own.
 * Installs the log writer (once per process).
 */
void log_setup (gboolean verbose, const char *const *maildirs);

/* log_setup() without installing the writer (for tests). */
void log_configure (gboolean verbose, const char *const *maildirs);

/**
 * LogBatch:
 * One committed batch, or the share of one Maildir in it.
 * @maildir: the Maildir (borrowed).
 * @messages: messages stored and acknowledged.
 * @bounces, @not_bounces: of them, bounces (DSN, legacy, auto-reply,
 *   feedback) and other mail.
 * @failed: of them, unparseable (gone to the failed folder).
 * @seconds: from claim to acknowledgement.
 * @db_seconds: of it, in the database.
 */
typedef struct {
  const char *maildir;
  guint messages;
  guint bounces;
  guint not_bounces;
  guint failed;
  double seconds;
  double db_seconds;
} LogBatch;

/* Logs the batch line (info) with the journal fields MAILDIR=,
 * BATCH_MESSAGES=, BATCH_FAILED=, BATCH_SECONDS=. */
void log_batch (const LogBatch *batch);

/**
 * log_format_line:
 * The line printed on standard error for a log entry of @level with
 * @fields: "bounced COMMAND: [MAILDIR: ][warning: |error: ]MESSAGE".
 * Returns: (transfer full).
 */
char *log_format_line (GLogLevelFlags level, const GLogField *fields, gsize n_fields);

G_END_DECLS
