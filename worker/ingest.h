/* ingest.h - the ingest pipeline: Maildir -> parser -> PostgreSQL -> Maildir
 *
 * scan -> claim -> read -> parse (all cores) -> batch -> store_write_batch
 * (one transaction) -> acknowledge.  The Maildir side is worker/maildir.h,
 * the database side worker/store.h; this module only moves work between
 * them, one batch per ingest_step(), so that the caller (bounced ingest, a
 * loop; bounced watch, a main loop) decides when to stop and how to wait.
 */
#pragma once

#include <glib.h>
#include "bounce.h"
#include "maildir.h"
#include "metrics.h"
#include "store.h"
#include "verp.h"

G_BEGIN_DECLS

#define INGEST_ERROR (ingest_error_quark ())

typedef enum {
  INGEST_ERROR_UNAVAILABLE,   /* the database is unreachable: retry later */
  INGEST_ERROR_FAILED,        /* the database refused a batch, or a Maildir
                               * operation failed: stop */
} IngestError;

GQuark ingest_error_quark (void);

/**
 * IngestSettings:
 * @conninfo: libpq connection string (borrowed).
 * @batch_size: messages per transaction.
 * @threads: parsing threads (0: one per core).
 * @parse: parser settings (borrowed; must outlive the Ingest).
 * @verp: (nullable): VERP return-path pattern for the campaign of bounces
 *   whose returned message names none (borrowed; must outlive the Ingest).
 * @retry_unreadable: seconds an unreadable file is held before it is tried
 *   again (0: the default, CONFIG_DEFAULT_RETRY_UNREADABLE).
 */
typedef struct {
  const char *conninfo;
  guint batch_size;
  guint threads;
  const BounceSettings *parse;
  const Verp *verp;
  guint retry_unreadable;
} IngestSettings;

/* What a run has done so far.  by_kind is indexed by BounceKind; reasons maps
 * a reason name (static string) to a count (GUINT_TO_POINTER) of recipient
 * outcomes. */
typedef struct {
  guint64 messages;       /* committed and acknowledged (or attempted) */
  guint64 batches;
  guint64 by_kind[BOUNCE_KIND_ERROR + 1];
  guint64 ack_failures;   /* committed, but left in the claim directory */
  guint64 stored_new;     /* messages stored for the first time (parsed) */
  guint64 already_stored; /* parsed messages whose content was stored before */
  guint64 unreadable;     /* files that could not be read: left in place */
  GHashTable *reasons;
  GHashTable *groups;         /* reason group (owned string) -> count of outcomes */
  guint64 batch_buckets[METRICS_N_BATCH_BUCKETS + 1];  /* batches per duration bucket */
  double batch_seconds_sum;
  double last_batch_seconds;  /* claim to acknowledgement of the last batch */
  gint64 last_batch_time;     /* wall clock (g_get_real_time) of its commit, or 0 */
  /* Work done, for the debug counters (BOUNCED_DEBUG_COUNTERS, bounced(1)
   * ENVIRONMENT): messages read and parsed (each once, however often its
   * batch is written: invariant 2 of ingest.c), and transactions tried
   * (a batch written again after a failed commit counts again). */
  guint64 parsed;
  guint64 write_attempts;
} IngestCounts;

typedef enum {
  INGEST_STEP_WORKED,      /* work was done: a batch handed to the database,
                            * or committed and acknowledged (only the latter
                            * increases IngestCounts.batches: progress) */
  INGEST_STEP_IDLE,        /* the pass is over: nothing left to claim */
  INGEST_STEP_FAILED,      /* see the error: INGEST_ERROR_UNAVAILABLE means
                            * nothing was lost and the caller may retry */
} IngestStep;

typedef struct _Ingest Ingest;

/**
 * ingest_new:
 * Returns: (transfer full) a pipeline with no Maildir yet and no database
 * connection (the first step connects and applies pending migrations).
 *
 *   g_autoptr(Ingest) in = ingest_new (&settings);
 *   ingest_add_maildir (in, g_steal_pointer (&md));
 *   while ((step = ingest_step (in, &error)) == INGEST_STEP_WORKED) ;
 */
Ingest *ingest_new (const IngestSettings *settings);

/* Adds a Maildir to the pipeline (transfer full). */
void ingest_add_maildir (Ingest *ingest, Maildir *md);

/* Starts a new pass over every Maildir (new mail, released claims), after
 * returning the claims of dead workers (maildir_recover()). */
void ingest_rewind (Ingest *ingest);

/**
 * ingest_step:
 * Moves the pipeline one batch on: acknowledges the batch the writer
 * thread committed, hands it the next parsed batch, claims another for the
 * parsing threads.  On INGEST_STEP_FAILED every claim in hand has been
 * released: the messages are back where they were.
 * Returns: the outcome; on INGEST_STEP_FAILED @error_out is set.
 */
IngestStep ingest_step (Ingest *ingest, GError **error_out);

/* Releases the claims of the batch parsed ahead (not yet written). */
void ingest_release (Ingest *ingest);

/**
 * ingest_finish:
 * At shutdown: waits for the batch being written and acknowledges it once
 * committed (or releases it), then releases the batch parsed ahead.
 * Returns: FALSE with @error_out set if the last write failed.
 */
gboolean ingest_finish (Ingest *ingest, GError **error_out);

const IngestCounts *ingest_get_counts (const Ingest *ingest);

/* The settings the pipeline was made with (borrowed). */
const IngestSettings *ingest_get_settings (const Ingest *ingest);

/* Counts a report stored outside the pipeline (an mbox message) into the
 * run's counts: messages, kinds, outcomes by reason and group. */
void ingest_count_report (Ingest *ingest, const BounceReport *report);

/* Work for the parsing threads: called on one of them for each item. */
typedef void (*IngestItemFunc) (gpointer item, gpointer user_data);

/**
 * ingest_parallel:
 * Runs @func on each of the @n items of @items (an array of elements of
 * @item_size bytes) on the pipeline's parsing threads, in chunks, and
 * returns when every call has returned; counts them as messages parsed.
 * Only while no batch of the pipeline is being parsed (the mboxes of
 * `bounced ingest` come after the Maildirs).  @func must be safe to run on
 * several items at once.
 */
void ingest_parallel (Ingest *ingest, gpointer items, gsize item_size, guint n,
                      IngestItemFunc func, gpointer user_data);

/* Counts a transaction of messages stored outside the pipeline: @attempts
 * transactions tried, and, unless @seconds is negative (nothing was
 * committed), one batch committed that took @seconds. */
void ingest_count_batch (Ingest *ingest, guint attempts, double seconds);

/**
 * IngestMboxCounts:
 * @read: messages read from the mbox.
 * @stored: of them, stored now.
 * @known: of them, stored before (by any run, from any source): skipped.
 */
typedef struct {
  guint64 read;
  guint64 stored;
  guint64 known;
} IngestMboxCounts;

/**
 * ingest_mbox:
 * Stores the messages of the mbox @path that the database does not hold
 * yet (by the SHA-256 of their bytes), @settings->batch_size per
 * transaction, each with the source "PATH#N".  The mbox is only read
 * (mbox.h): a second run over the same file stores nothing.  @ingest
 * (connected: after a first ingest_step()) lends its store and counts
 * what is stored (ingest_count_report()).
 * Returns: TRUE, or FALSE with @error_out set (STORE_ERROR_UNAVAILABLE:
 *   run it again later, what was committed stays committed; MBOX_ERROR).
 */
gboolean ingest_mbox (Ingest *ingest, const char *path, IngestMboxCounts *counts,
                      GError **error_out);

/* The connected store, for a summary query; NULL before the first
 * successful step.  (borrowed) */
Store *ingest_get_store (Ingest *ingest);

void ingest_free (Ingest *ingest);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ingest, ingest_free)

G_END_DECLS
