/* metrics.h - the worker's metrics in the OpenMetrics text format
 *
 * `bounced ingest` and `bounced watch` with --metrics-file PATH write, after
 * each batch, a file that Prometheus can read (node_exporter's textfile
 * collector: the file is replaced by rename(), so that a reader never sees
 * half of it).  The families, documented in bounced(1), METRICS:
 *
 *   bounced_messages_total{kind}                 counter
 *   bounced_outcomes_total{group}                counter
 *   bounced_failures_total{stage}                counter (parse, acknowledge)
 *   bounced_batch_duration_seconds               histogram
 *   bounced_backlog_messages{maildir}            gauge
 *   bounced_database_retries_total               counter
 *   bounced_last_success_timestamp_seconds       gauge
 */
#pragma once

#include <glib.h>
#include "bounce.h"

G_BEGIN_DECLS

/* Upper bounds of the batch duration histogram, in seconds (+Inf follows). */
#define METRICS_BATCH_BUCKETS { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0 }
#define METRICS_N_BATCH_BUCKETS 11

/**
 * MetricsSnapshot:
 * What the worker has done since it started (counters) and how things
 * stand (gauges).  Strings and tables are borrowed.
 * @by_kind: messages stored, indexed by BounceKind.
 * @groups: (element-type utf8 guint): outcomes by reason group (the
 *   group name to GUINT_TO_POINTER (count)).
 * @parse_failures: messages that could not be parsed (kind error).
 * @ack_failures: messages committed but left in the claim directory.
 * @buckets: batches whose duration was at most each bound (not cumulative:
 *   one count per bucket; the last is +Inf).
 * @batch_seconds_sum, @batches: sum and number of batch durations.
 * @maildirs, @backlog: per Maildir, the messages waiting (-1: unknown).
 * @db_retries: database attempts that failed and were retried.
 * @last_success: Unix time of the last step that reached the database
 *   (a batch committed or a pass that found nothing), 0 for never.
 */
typedef struct {
  guint64 by_kind[BOUNCE_KIND_ERROR + 1];
  GHashTable *groups;
  guint64 parse_failures;
  guint64 ack_failures;
  guint64 buckets[METRICS_N_BATCH_BUCKETS + 1];
  double batch_seconds_sum;
  guint64 batches;
  const char *const *maildirs;
  const gint64 *backlog;
  guint64 db_retries;
  double last_success;
} MetricsSnapshot;

/* The bucket of the batch duration histogram that @seconds falls in. */
guint metrics_bucket_of (double seconds);

/* Appends the exposition of @snapshot, "# EOF" line included. */
void metrics_render (GString *out, const MetricsSnapshot *snapshot);

/**
 * metrics_write_file:
 * Writes the exposition to @path atomically (a temporary file beside it,
 * fsync'ed, then renamed over it), mode 0644 whatever the umask, so that
 * the collector's user can read it.
 * Returns: TRUE, or FALSE with @error_out set (G_FILE_ERROR) naming the file.
 */
gboolean metrics_write_file (const char *path, const MetricsSnapshot *snapshot,
                             GError **error_out);

G_END_DECLS
