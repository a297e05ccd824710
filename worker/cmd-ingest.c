/* cmd-ingest.c - `bounced ingest` and `bounced watch`
 *
 * ingest: one pass over each Maildir (what is there now), then a summary and
 *   exit.  Status 0 when every message was stored and acknowledged, 1 when
 *   some message could not be parsed (it went to the failed folder), the
 *   database stayed unavailable longer than --max-wait, or a Maildir
 *   operation failed; 2 on bad usage or configuration.
 * watch: runs until SIGTERM or SIGINT.  New mail is noticed through
 *   GFileMonitor (inotify) on each new/, plus a full rescan every
 *   --rescan-interval seconds in case an event was lost.  Work happens one
 *   batch per main-loop iteration, so a signal is handled between batches:
 *   the batch in hand is committed and acknowledged, then the worker exits.
 *
 * Database down, or refusing writes for want of resources (a full disk):
 * the batches parsed already are kept and written again with exponential
 * backoff, not parsed again (ingest.c, invariant 2).  Only a committed batch
 * is progress: it alone ends the unavailable state (one log line when the
 * database goes away, one when a batch is committed again) and resets the
 * --max-wait clock.  Handing a batch to the writer is not progress: with a
 * full disk every hand-off succeeds and every commit fails.
 */
#include "commands.h"
#include "cli.h"
#include "bounced-config.h"
#include "config.h"
#include "parser-options.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "progress.h"
#include "maildir.h"
#include "mbox.h"
#include "store.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Backoff while the database is unavailable: from the first to the last
 * delay, doubling. */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

typedef enum { MODE_INGEST, MODE_WATCH } Mode;

typedef struct {
  Mode mode;
  const char *name;
  const char *db_origin;    /* where the connection string came from */
  Ingest *ingest;
  GMainLoop *loop;
  gboolean stop;            /* SIGTERM/SIGINT seen */
  gboolean unavailable;     /* the database is (believed) down */
  gint64 unavailable_since;
  guint backoff_ms;
  guint work_source;        /* idle source doing batches (watch) */
  gboolean event_pending;   /* mail arrived during a pass (watch) */
  int status;

  /* Monitoring: metrics file, service manager, progress. */
  char **maildirs;          /* borrowed */
  const char *metrics_path; /* or NULL */
  gboolean metrics_warned;  /* the metrics file could not be written (said once) */
  gint64 *backlog;          /* per Maildir, -1 unknown */
  gint64 backlog_time;      /* monotonic time of the last count */
  guint64 db_retries;
  double last_success;      /* Unix time */
  Progress *progress;       /* or NULL */
} Run;

/* The backlog is counted (a read of new/ and cur/) at most this often. */
#define BACKLOG_INTERVAL_US (G_USEC_PER_SEC)

/* Counts what waits in each Maildir, at most every BACKLOG_INTERVAL_US
 * unless @force. */
static void
count_backlog (Run *run, gboolean force)
{
  gint64 now = g_get_monotonic_time ();

  if (!force && run->backlog_time != 0 && now - run->backlog_time < BACKLOG_INTERVAL_US)
    return;
  run->backlog_time = now;
  for (guint i = 0; run->maildirs[i] != NULL; i++)
    {
      MaildirInspection seen;

      run->backlog[i] = maildir_inspect (run->maildirs[i], &seen, NULL)
                        ? (gint64) (seen.backlog_new + seen.backlog_cur) : -1;
    }
}

static gint64
total_backlog (const Run *run)
{
  gint64 total = 0;

  for (guint i = 0; run->maildirs[i] != NULL; i++)
    total += MAX (run->backlog[i], 0);
  return total;
}

/* Writes the metrics file (if any) and tells systemd how things stand. */
static void
report_state (Run *run, gboolean force_backlog)
{
  const IngestCounts *counts = ingest_get_counts (run->ingest);

  if (run->metrics_path == NULL && g_getenv ("NOTIFY_SOCKET") == NULL)
    return;
  count_backlog (run, force_backlog);
  if (run->metrics_path != NULL)
    {
      MetricsSnapshot snap = { 0 };
      g_autoptr(GError) error = NULL;

      memcpy (snap.by_kind, counts->by_kind, sizeof snap.by_kind);
      snap.groups = counts->groups;
      snap.parse_failures = counts->by_kind[BOUNCE_KIND_ERROR];
      snap.ack_failures = counts->ack_failures;
      memcpy (snap.buckets, counts->batch_buckets, sizeof snap.buckets);
      snap.batch_seconds_sum = counts->batch_seconds_sum;
      snap.batches = counts->batches;
      snap.maildirs = (const char *const *) run->maildirs;
      snap.backlog = run->backlog;
      snap.db_retries = run->db_retries;
      snap.last_success = run->last_success;
      if (!metrics_write_file (run->metrics_path, &snap, &error))
        {
          if (!run->metrics_warned)
            g_warning ("%s", error->message);
          run->metrics_warned = TRUE;
        }
      else if (run->metrics_warned)
        {
          g_message ("metrics file \"%s\" written again", run->metrics_path);
          run->metrics_warned = FALSE;
        }
    }
  if (run->mode == MODE_WATCH)
    {
      if (run->unavailable)
        notify_status ("database unavailable for %" G_GINT64_FORMAT " s, retrying; "
                       "%" G_GUINT64_FORMAT " messages stored, backlog %" G_GINT64_FORMAT,
                       (g_get_monotonic_time () - run->unavailable_since) / G_USEC_PER_SEC,
                       counts->messages, total_backlog (run));
      else if (counts->batches == 0)
        notify_status ("watching; 0 messages stored, backlog %" G_GINT64_FORMAT,
                       total_backlog (run));
      else
        notify_status ("%" G_GUINT64_FORMAT " messages stored (%" G_GUINT64_FORMAT
                       " unparseable), backlog %" G_GINT64_FORMAT ", last batch %.3f s, %"
                       G_GINT64_FORMAT " s ago",
                       counts->messages, counts->by_kind[BOUNCE_KIND_ERROR], total_backlog (run),
                       counts->last_batch_seconds,
                       (g_get_real_time () - counts->last_batch_time) / G_USEC_PER_SEC);
    }
}

static gboolean
on_signal (gpointer data)
{
  Run *run = data;

  run->stop = TRUE;
  if (run->mode == MODE_WATCH)
    notify_send ("STOPPING=1\nSTATUS=stopping after the batch in hand");
  if (run->loop != NULL)
    g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

/* Records a database state change; logs only when the state changes. */
static void
note_unavailable (Run *run, const GError *error)
{
  run->db_retries++;
  if (!run->unavailable)
    {
      g_warning ("database unavailable, will retry: %s (database from %s)", error->message,
                 run->db_origin);
      run->unavailable = TRUE;
      run->unavailable_since = g_get_monotonic_time ();
      run->backoff_ms = BACKOFF_FIRST_MS;
    }
  else
    run->backoff_ms = MIN (run->backoff_ms * 2, BACKOFF_MAX_MS);
  report_state (run, FALSE);
}

/* A step reached the database; @idle: the pass found nothing more, so the
 * backlog is counted again now. */
static void
note_available (Run *run, gboolean idle)
{
  if (run->unavailable)
    {
      g_message ("database available again");
      run->unavailable = FALSE;
    }
  run->last_success = (double) g_get_real_time () / G_USEC_PER_SEC;
  if (run->progress != NULL)
    progress_update (run->progress, ingest_get_counts (run->ingest)->messages);
  report_state (run, idle);
}

/* After a step that did some work: the database is available again only
 * if a batch was committed since @batches_before. */
static void
note_step_worked (Run *run, guint64 batches_before)
{
  if (ingest_get_counts (run->ingest)->batches > batches_before)
    note_available (run, FALSE);
}

static gboolean
timeout_done (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits @ms milliseconds, or less if a stop signal comes. */
static void
wait_interruptible (Run *run, guint ms)
{
  gboolean done = FALSE;
  guint id = g_timeout_add (ms, timeout_done, &done);

  while (!done && !run->stop)
    g_main_context_iteration (NULL, TRUE);
  if (!done)
    g_source_remove (id);
}

/* `bounced ingest`: passes until nothing is left, retrying while the
 * database is down for at most @max_wait seconds. */
static void
run_ingest (Run *run, guint max_wait)
{
  while (!run->stop)
    {
      g_autoptr(GError) error = NULL;
      guint64 batches = ingest_get_counts (run->ingest)->batches;
      IngestStep step = ingest_step (run->ingest, &error);

      /* Deliver pending signals between batches. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (step == INGEST_STEP_WORKED)
        {
          note_step_worked (run, batches);
          continue;
        }
      if (step == INGEST_STEP_IDLE)
        {
          note_available (run, TRUE);
          return;
        }
      if (!g_error_matches (error, INGEST_ERROR, INGEST_ERROR_UNAVAILABLE))
        {
          g_critical ("%s", error->message);
          run->status = 1;
          return;
        }
      note_unavailable (run, error);
      if (g_get_monotonic_time () - run->unavailable_since > (gint64) max_wait * G_USEC_PER_SEC)
        {
          g_critical ("database unavailable for %u s, giving up: %s (database from %s)",
                      max_wait, error->message, run->db_origin);
          run->status = CLI_EXIT_UNAVAILABLE;
          return;
        }
      wait_interruptible (run, run->backoff_ms);
      /* Mail may have come in behind the pass meanwhile: start again (the
       * batches kept are written first). */
      ingest_rewind (run->ingest);
    }
}

/* `bounced ingest MBOX...`, after the Maildirs: each mbox stored once,
 * retried whole while the database is down (a retry is a no-op for what
 * was committed), for at most @max_wait seconds.  Appends a line per mbox
 * to @report. */
static void
run_mboxes (Run *run, GPtrArray *mboxes, guint max_wait, GString *report)
{
  for (guint i = 0; i < mboxes->len && run->status == 0; i++)
    {
      const char *path = g_ptr_array_index (mboxes, i);

      for (;;)
        {
          g_autoptr(GError) error = NULL;
          IngestMboxCounts counts = { 0 };
          Store *store = ingest_get_store (run->ingest);

          if (run->stop || store == NULL)
            return;
          if (ingest_mbox (run->ingest, path, &counts, &error))
            {
              note_available (run, FALSE);
              g_string_append_printf (report, "%s: %" G_GUINT64_FORMAT " message%s read, %"
                                      G_GUINT64_FORMAT " stored, %" G_GUINT64_FORMAT
                                      " stored before\n", path, counts.read,
                                      counts.read == 1 ? "" : "s", counts.stored, counts.known);
              break;
            }
          if (!g_error_matches (error, STORE_ERROR, STORE_ERROR_UNAVAILABLE))
            {
              g_critical ("%s", error->message);
              run->status = CLI_EXIT_FAILED;
              return;
            }
          note_unavailable (run, error);
          if (g_get_monotonic_time () - run->unavailable_since
              > (gint64) max_wait * G_USEC_PER_SEC)
            {
              g_critical ("database unavailable for %u s, giving up: %s (database from %s)",
                          max_wait, error->message, run->db_origin);
              run->status = CLI_EXIT_UNAVAILABLE;
              return;
            }
          wait_interruptible (run, run->backoff_ms);
          g_clear_error (&error);
          store_check (store, &error);
        }
    }
}

static void schedule_work (Run *run);

static gboolean
retry_after_backoff (gpointer data)
{
  Run *run = data;

  run->event_pending = TRUE;
  schedule_work (run);
  return G_SOURCE_REMOVE;
}

/* One batch per call (watch mode), so that signals are handled between. */
static gboolean
work (gpointer data)
{
  Run *run = data;
  g_autoptr(GError) error = NULL;
  IngestStep step;
  guint64 batches;

  if (run->stop)
    {
      run->work_source = 0;
      return G_SOURCE_REMOVE;
    }
  batches = ingest_get_counts (run->ingest)->batches;
  step = ingest_step (run->ingest, &error);
  switch (step)
    {
    case INGEST_STEP_WORKED:
      note_step_worked (run, batches);
      return G_SOURCE_CONTINUE;
    case INGEST_STEP_IDLE:
      note_available (run, TRUE);
      if (run->event_pending)
        {
          /* Mail came in while the pass ran: it may be behind the cursor. */
          run->event_pending = FALSE;
          ingest_rewind (run->ingest);
          return G_SOURCE_CONTINUE;
        }
      run->work_source = 0;
      return G_SOURCE_REMOVE;
    case INGEST_STEP_FAILED:
    default:
      if (!g_error_matches (error, INGEST_ERROR, INGEST_ERROR_UNAVAILABLE))
        {
          g_critical ("%s", error->message);
          run->status = 1;
          g_main_loop_quit (run->loop);
          run->work_source = 0;
          return G_SOURCE_REMOVE;
        }
      note_unavailable (run, error);
      run->work_source = 0;
      g_timeout_add (run->backoff_ms, retry_after_backoff, run);
      return G_SOURCE_REMOVE;
    }
}

static void
schedule_work (Run *run)
{
  if (run->work_source != 0 || run->stop)
    return;
  /* A fresh pass: mail that arrived, or that was released while the
   * database was down, may be behind the previous pass's cursor. */
  run->event_pending = FALSE;
  ingest_rewind (run->ingest);
  run->work_source = g_idle_add (work, run);
}

static void
on_changed (GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
            gpointer data)
{
  Run *run = data;

  if (event != G_FILE_MONITOR_EVENT_CREATED && event != G_FILE_MONITOR_EVENT_MOVED_IN
      && event != G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT)
    return;
  if (run->unavailable)
    return;   /* the backoff timer will rescan */
  run->event_pending = TRUE;
  if (run->work_source == 0)
    schedule_work (run);
}

static gboolean
on_rescan (gpointer data)
{
  Run *run = data;

  if (!run->unavailable)
    {
      run->event_pending = TRUE;
      if (run->work_source == 0)
        schedule_work (run);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_watchdog (gpointer data)
{
  notify_send ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

static void
run_watch (Run *run, char **maildirs, guint rescan_interval)
{
  g_autoptr(GPtrArray) monitors = g_ptr_array_new_with_free_func (g_object_unref);
  guint rescan, watchdog = 0;

  for (guint i = 0; maildirs[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (maildirs[i], "new", NULL);
      g_autoptr(GFile) dir = g_file_new_for_path (path);
      g_autoptr(GError) error = NULL;
      GFileMonitor *monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES,
                                                        NULL, &error);

      if (monitor == NULL)
        {
          /* The periodic rescan still finds the mail, only later. */
          g_warning ("could not watch \"%s\": %s", path, error->message);
          continue;
        }
      g_signal_connect (monitor, "changed", G_CALLBACK (on_changed), run);
      g_ptr_array_add (monitors, monitor);
    }
  rescan = g_timeout_add_seconds (rescan_interval, on_rescan, run);
  /* The watchdog is pinged from the main loop, at half its interval: a
   * worker stuck in a batch (or anywhere else) stops pinging. */
  if (notify_watchdog_usec () > 0)
    watchdog = g_timeout_add (MAX (notify_watchdog_usec () / 2000, 1), on_watchdog, NULL);
  g_message ("watching %u Maildir%s", g_strv_length (maildirs),
             g_strv_length (maildirs) == 1 ? "" : "s");
  schedule_work (run);
  /* Ready: the Maildirs are open and watched.  The database may still be
   * down; STATUS says so, and the worker waits for it. */
  count_backlog (run, TRUE);
  notify_send ("READY=1");
  report_state (run, TRUE);
  g_main_loop_run (run->loop);
  if (watchdog != 0)
    g_source_remove (watchdog);
  g_source_remove (rescan);
  if (run->work_source != 0)
    g_source_remove (run->work_source);
  for (guint i = 0; i < monitors->len; i++)
    g_file_monitor_cancel (g_ptr_array_index (monitors, i));
  g_message ("stopped");
}

static gint
compare_counts (gconstpointer a, gconstpointer b, gpointer data)
{
  GHashTable *table = data;
  guint ca = GPOINTER_TO_UINT (g_hash_table_lookup (table, *(const char *const *) a));
  guint cb = GPOINTER_TO_UINT (g_hash_table_lookup (table, *(const char *const *) b));

  if (ca != cb)
    return ca > cb ? -1 : 1;
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The peak resident set of this process image, in KiB (VmHWM of
 * /proc/self/status), or -1.  Not getrusage()'s ru_maxrss: that also holds
 * the high-water mark of the process that spawned us, inherited through
 * vfork() and exec() (a Python parent of 55 MiB makes every child's
 * ru_maxrss at least 55 MiB). */
static gint64
peak_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "\nVmHWM:");
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen ("\nVmHWM:"), NULL, 10);
}

static const char *peak_command;

static void
print_peak_rss (void)
{
  gint64 peak = peak_rss_kib ();

  if (peak >= 0)
    g_printerr ("bounced %s: peak resident memory: %" G_GINT64_FORMAT " KiB (VmHWM)\n",
                peak_command, peak);
}

/* The summary of `bounced ingest`: messages by kind, outcomes by reason. */
static void
print_summary (const IngestCounts *counts, double seconds)
{
  g_autoptr(GPtrArray) reasons = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  /* Rows, not files: a second run over the same mail stores nothing new. */
  printf ("%" G_GUINT64_FORMAT " new, %" G_GUINT64_FORMAT " already stored, %" G_GUINT64_FORMAT
          " failed in %.2f s\n", counts->stored_new, counts->already_stored, counts->by_kind[BOUNCE_KIND_ERROR] + counts->unreadable,
          seconds);
  if (counts->by_kind[BOUNCE_KIND_ERROR] + counts->unreadable > 0)
    printf ("  (%" G_GUINT64_FORMAT " could not be parsed: in the failed folder, with their "
            "error in bounce.parse_failures; %" G_GUINT64_FORMAT " could not be read: left in "
            "place; each is named above)\n", counts->by_kind[BOUNCE_KIND_ERROR],
            counts->unreadable);
  if (counts->messages == 0)
    return;
  printf ("\nmessages by kind:\n");
  for (int k = 0; k <= BOUNCE_KIND_ERROR; k++)
    if (counts->by_kind[k] > 0)
      printf ("  %-16s %8" G_GUINT64_FORMAT "\n", bounce_kind_to_string ((BounceKind) k),
              counts->by_kind[k]);
  g_hash_table_iter_init (&iter, counts->reasons);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (reasons, key);
  if (reasons->len == 0)
    return;
  g_ptr_array_sort_with_data (reasons, compare_counts, counts->reasons);
  printf ("\nrecipient outcomes by reason:\n");
  for (guint i = 0; i < reasons->len; i++)
    {
      const char *reason = g_ptr_array_index (reasons, i);
      printf ("  %-16s %8u\n", reason,
              GPOINTER_TO_UINT (g_hash_table_lookup (counts->reasons, reason)));
    }
}

static int
cmd_ingest_or_watch (Mode mode, int argc, char **argv, const BounceSettings *base_settings)
{
  const char *name = mode == MODE_INGEST ? "ingest" : "watch";
  g_autofree char *db = NULL;
  g_autofree char *done_folder = NULL;
  g_autofree char *other_folder = NULL;
  g_autofree char *failed_folder = NULL;
  g_autofree char *verp_pattern = NULL;
  g_autofree char *metrics_file = NULL;
  g_autofree char *progress_mode = NULL;
  g_autofree gint64 *backlog = NULL;
  g_autoptr(Progress) progress = NULL;
  g_autoptr(GPtrArray) mboxes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) mbox_report = g_string_new (NULL);
  g_auto(GStrv) maildirs = NULL;
  gint64 batch_size = -1, threads = -1;
  gint64 max_wait = -1, rescan_interval = -1, retry_unreadable = -1;
  gboolean quiet = FALSE, verbose = FALSE;
  GOptionEntry entries[] = {
    { "db", 'd', 0, G_OPTION_ARG_STRING, &db,
      "PostgreSQL connection string or URI (default: $BOUNCED_DB, $DATABASE_URL, PG* variables, "
      "else a private cluster)", "CONNINFO" },
    { "done-folder", 0, 0, G_OPTION_ARG_STRING, &done_folder,
      "Maildir++ folder for processed bounces (default: cur/ with the S flag)", ".FOLDER" },
    { "other-folder", 0, 0, G_OPTION_ARG_STRING, &other_folder,
      "Folder for mail that is not a bounce (default .NotBounce)", ".FOLDER" },
    { "failed-folder", 0, 0, G_OPTION_ARG_STRING, &failed_folder,
      "Folder for mail that cannot be parsed (default .Failed)", ".FOLDER" },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT64, &batch_size,
      "Messages per database transaction (default 1000)", "N" },
    { "verp-pattern", 0, 0, G_OPTION_ARG_STRING, &verp_pattern,
      "Return path carrying the campaign, e.g. bounces+{campaign}.{id}@example.com "
      "(used when the returned message has no campaign header)", "PATTERN" },
    { "threads", 'j', 0, G_OPTION_ARG_INT64, &threads,
      "Parsing threads (default: one per core)", "N" },
    { "max-wait", 0, 0, G_OPTION_ARG_INT64, &max_wait,
      "ingest: seconds to wait for an unavailable database before giving up (default 60)", "SECONDS" },
    { "rescan-interval", 0, 0, G_OPTION_ARG_INT64, &rescan_interval,
      "watch: seconds between full rescans of the Maildirs (default 10)", "SECONDS" },
    { "retry-unreadable", 0, 0, G_OPTION_ARG_INT64, &retry_unreadable,
      "Seconds a file that cannot be read is held before it is tried again (default 60)",
      "SECONDS" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
      "Log one line per batch (always on in watch mode)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      "ingest: print no summary and no progress", NULL },
    { "metrics-file", 0, 0, G_OPTION_ARG_FILENAME, &metrics_file,
      "Write metrics (OpenMetrics text) to this file after each batch, atomically", "PATH" },
    { "progress", 0, 0, G_OPTION_ARG_STRING, &progress_mode,
      "ingest: auto (default: a bar when standard error is a terminal, else nothing), "
      "bar, log or none", "MODE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &maildirs, NULL, "MAILDIR..." },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Config) config = config_new ();
  g_auto(ParserOptions) options = { 0 };
  g_autoptr(BounceRules) rules = NULL;
  g_autoptr(Verp) verp = NULL;
  g_autoptr(Ingest) ingest = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *db_origin = NULL;
  BounceSettings settings = *base_settings;
  MaildirSettings md_settings;
  IngestSettings in_settings = { 0 };
  Run run = { 0 };
  guint sig_term, sig_int;
  gint64 start;

  context = g_option_context_new (mode == MODE_INGEST
                                  ? "- store the bounces of Maildirs in PostgreSQL, then exit"
                                  : "- store bounces as they arrive, until stopped");
  parser_options_init (&options);
  cli_set_command (name);
  cli_add_entries (context, entries);
  parser_options_add (&options, context);
  g_option_context_set_summary (context, mode == MODE_INGEST
    ? "Reads new/ and the unflagged messages of cur/ of each MAILDIR, stores what\n"
      "they say in PostgreSQL, then moves each message: bounces to cur/ with the S\n"
      "flag, other mail to the other folder, unparseable mail to the failed folder.\n"
      "Prints a summary.  See bounced(1), MAILDIR PROTOCOL and CONFIGURATION."
    : "Like ingest, but keeps running: new mail is stored within a second.\n"
      "Stops on SIGTERM or SIGINT after the batch in hand.  See bounced(1).");
  if (!cli_parse (context, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (maildirs == NULL || maildirs[0] == NULL)
    return cli_usage_error ("no Maildir given");
  if (quiet && verbose)
    return cli_usage_error ("--quiet and --verbose cannot be used together");
  /* mbox files among the paths: read as their messages, never changed. */
  {
    g_autoptr(GPtrArray) dirs = g_ptr_array_new ();

    for (guint i = 0; maildirs[i] != NULL; i++)
      if (mbox_sniff (maildirs[i]))
        g_ptr_array_add (mboxes, g_strdup (maildirs[i]));
      else
        g_ptr_array_add (dirs, g_strdup (maildirs[i]));
    g_ptr_array_add (dirs, NULL);
    g_strfreev (maildirs);
    maildirs = (char **) g_ptr_array_free (g_steal_pointer (&dirs), FALSE);
  }
  if (mode == MODE_WATCH && mboxes->len > 0)
    return cli_usage_error ("\"%s\" is an mbox, which watch does not follow; store it with "
                            "\"bounced ingest\", again whenever it grew",
                            (const char *) g_ptr_array_index (mboxes, 0));
  if (progress_mode != NULL && strcmp (progress_mode, "auto") != 0
      && strcmp (progress_mode, "bar") != 0 && strcmp (progress_mode, "log") != 0
      && strcmp (progress_mode, "none") != 0)
    return cli_usage_error ("invalid value of --progress: \"%s\" (use auto, bar, log or none)",
                            progress_mode);
  if (progress_mode != NULL && mode == MODE_WATCH)
    return cli_usage_error ("--progress is for ingest: watch never ends");
  if (progress_mode != NULL && quiet && strcmp (progress_mode, "none") != 0)
    return cli_usage_error ("--quiet and --progress=%s cannot be used together", progress_mode);
  /* Every line names the Maildirs and mboxes of the run. */
  {
    g_autoptr(GPtrArray) named = g_ptr_array_new ();

    for (guint i = 0; maildirs[i] != NULL; i++)
      g_ptr_array_add (named, maildirs[i]);
    for (guint i = 0; i < mboxes->len; i++)
      g_ptr_array_add (named, g_ptr_array_index (mboxes, i));
    g_ptr_array_add (named, NULL);
    log_setup (verbose || mode == MODE_WATCH, (const char *const *) named->pdata);
  }

  /* Configuration: file, then environment, then command line. */
  if (!parser_options_configure (&options, config, &error))
    {
      g_printerr ("bounced %s: %s\n", name, error->message);
      return 2;
    }
#define OVERRIDE_STRING(field, value) \
  if ((value) != NULL) { g_free (config->field); config->field = g_strdup (value); }
  if (db != NULL)
    config_set_db (config, db, "--db");
  OVERRIDE_STRING (done_folder, done_folder);
  OVERRIDE_STRING (other_folder, other_folder);
  OVERRIDE_STRING (failed_folder, failed_folder);
  OVERRIDE_STRING (verp_pattern, verp_pattern);
  OVERRIDE_STRING (metrics_file, metrics_file);
#undef OVERRIDE_STRING
  if (batch_size == 0 || rescan_interval == 0 || retry_unreadable == 0
      || batch_size > CONFIG_MAX_BATCH_SIZE || batch_size < -1 || threads < -1 || max_wait < -1
      || rescan_interval < -1 || retry_unreadable < -1)
    {
      g_printerr ("bounced %s: limits must be positive numbers (batch size at most %d)\n",
                  name, CONFIG_MAX_BATCH_SIZE);
      return 2;
    }
  if (batch_size > 0)
    config->batch_size = (guint) batch_size;
  if (threads >= 0)
    config->threads = (guint) MIN (threads, 1024);
  if (max_wait >= 0)
    config->max_wait = (guint) MIN (max_wait, G_MAXUINT32);
  if (rescan_interval > 0)
    config->rescan_interval = (guint) MIN (rescan_interval, G_MAXUINT32);
  if (retry_unreadable > 0)
    config->retry_unreadable = (guint) MIN (retry_unreadable, G_MAXUINT32);
  config->batch_size = MIN (config->batch_size, CONFIG_MAX_BATCH_SIZE);

  if (!config_parse_settings (config, &settings, &rules, &error))
    {
      g_printerr ("bounced %s: %s\n", name, error->message);
      return 2;
    }
  /* Two kinds of mail in one folder could not be told apart again. */
  {
    const char *folders[3] = {
      config->done_folder,
      config->other_folder ? config->other_folder : MAILDIR_DEFAULT_OTHER_FOLDER,
      config->failed_folder ? config->failed_folder : MAILDIR_DEFAULT_FAILED_FOLDER,
    };
    static const char *const options_named[3] = { "--done-folder", "--other-folder",
                                                  "--failed-folder" };

    for (int a = 0; a < 3; a++)
      for (int b = a + 1; b < 3; b++)
        if (folders[a] != NULL && strcmp (folders[a], folders[b]) == 0)
          return cli_usage_error ("%s and %s name the same folder \"%s\"; give each "
                                  "its own", options_named[a], options_named[b], folders[a]);
  }
  conninfo = store_resolve_conninfo_from (config->db, config->db_origin, &db_origin, &error);
  if (conninfo == NULL)
    return cli_database_error (error, config->db_origin);

  maildir_settings_init (&md_settings);
  md_settings.done_folder = config->done_folder;
  if (config->other_folder != NULL)
    md_settings.other_folder = config->other_folder;
  if (config->failed_folder != NULL)
    md_settings.failed_folder = config->failed_folder;
  in_settings.conninfo = conninfo;
  in_settings.batch_size = config->batch_size;
  in_settings.threads = config->threads;
  in_settings.retry_unreadable = config->retry_unreadable;
  in_settings.parse = &settings;
  if (config->verp_pattern != NULL)
    {
      verp = verp_new (config->verp_pattern, &error);
      if (verp == NULL)
        {
          g_printerr ("bounced %s: %s\n", name, error->message);
          return 2;
        }
    }
  in_settings.verp = verp;
  ingest = ingest_new (&in_settings);
  for (guint i = 0; maildirs[i] != NULL; i++)
    {
      Maildir *md = maildir_open (maildirs[i], &md_settings, &error);

      if (md == NULL)
        {
          /* A path that is not there or not a Maildir is the caller's
           * mistake (2); a Maildir we cannot set up is a failure (1). */
          cli_error ("%s", error->message);
          return g_error_matches (error, MAILDIR_ERROR, MAILDIR_ERROR_NOT_MAILDIR)
                 || !g_file_test (maildirs[i], G_FILE_TEST_IS_DIR)
                 ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
        }
      ingest_add_maildir (ingest, md);
    }

  run.maildirs = maildirs;
  run.metrics_path = config->metrics_file;
  backlog = g_new (gint64, g_strv_length (maildirs) + 1);
  for (guint i = 0; i <= g_strv_length (maildirs); i++)
    backlog[i] = -1;
  run.backlog = backlog;
  /* ingest's progress: a bar on a terminal, unless the batch lines of
   * --verbose would tear it. */
  if (mode == MODE_INGEST && !quiet && g_strcmp0 (progress_mode, "none") != 0)
    {
      ProgressSettings ps;

      progress_settings_init (&ps);
      ps.label = "ingest";
      if (g_strcmp0 (progress_mode, "bar") == 0)
        ps.mode = PROGRESS_MODE_BAR;
      else if (g_strcmp0 (progress_mode, "log") == 0)
        ps.mode = PROGRESS_MODE_LOG;
      else
        ps.mode = isatty (fileno (stderr)) && !verbose ? PROGRESS_MODE_BAR : PROGRESS_MODE_QUIET;
      if (ps.mode != PROGRESS_MODE_QUIET)
        {
          run.maildirs = maildirs;
          count_backlog (&run, TRUE);
          ps.total = (guint64) total_backlog (&run);
          progress = progress_new (&ps);
          run.progress = progress;
        }
    }

  run.mode = mode;
  run.name = name;
  run.db_origin = db_origin;
  run.ingest = ingest;
  sig_term = g_unix_signal_add (SIGTERM, on_signal, &run);
  sig_int = g_unix_signal_add (SIGINT, on_signal, &run);
  start = g_get_monotonic_time ();
  if (mode == MODE_INGEST)
    {
      run_ingest (&run, config->max_wait);
      if (mboxes->len > 0)
        {
          g_autoptr(GError) finish_error = NULL;

          /* The Maildirs' last batch is acknowledged before the store is
           * used from this thread. */
          if (!ingest_finish (ingest, &finish_error))
            {
              g_critical ("%s", finish_error->message);
              run.status = CLI_EXIT_FAILED;
            }
          run_mboxes (&run, mboxes, config->max_wait, mbox_report);
        }
    }
  else
    {
      run.loop = g_main_loop_new (NULL, FALSE);
      run_watch (&run, maildirs, config->rescan_interval);
      g_main_loop_unref (run.loop);
    }
  g_source_remove (sig_term);
  g_source_remove (sig_int);
  /* The batch in hand is finished (committed and acknowledged), what was
   * claimed ahead goes back, before the Maildirs close. */
  if (!ingest_finish (ingest, &error))
    {
      g_critical ("%s", error->message);
      run.status = 1;
    }

  if (progress != NULL)
    {
      progress_update (progress, ingest_get_counts (ingest)->messages);
      progress_finish (progress);
    }
  report_state (&run, TRUE);
  if (mode == MODE_INGEST)
    {
      const IngestCounts *counts = ingest_get_counts (ingest);

      if (!quiet)
        fputs (mbox_report->str, stdout);
      if (!quiet)
        print_summary (counts, (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
      if (counts->by_kind[BOUNCE_KIND_ERROR] > 0 || counts->ack_failures > 0
          || counts->unreadable > 0)
        run.status = MAX (run.status, 1);
      if (run.stop)
        run.status = MAX (run.status, 1);
    }
  /* For tests and for people chasing a performance problem: how much work
   * the run did (bounced(1), ENVIRONMENT). */
  if (g_getenv ("BOUNCED_DEBUG_COUNTERS") != NULL && *g_getenv ("BOUNCED_DEBUG_COUNTERS") != '\0')
    {
      const IngestCounts *counts = ingest_get_counts (ingest);

      g_printerr ("bounced %s: counters: %" G_GUINT64_FORMAT " messages parsed, %"
                  G_GUINT64_FORMAT " transactions tried, %" G_GUINT64_FORMAT
                  " batches committed\n", name, counts->parsed, counts->write_attempts,
                  counts->batches);
      /* A line of its own (the counters line is compared whole by tests),
       * at exit, after everything is freed. */
      peak_command = name;
      atexit (print_peak_rss);
    }
  if (fflush (stdout) != 0)
    run.status = 1;
  return run.status;
}

int
cmd_ingest (int argc, char **argv, const BounceSettings *settings)
{
  return cmd_ingest_or_watch (MODE_INGEST, argc, argv, settings);
}

int
cmd_watch (int argc, char **argv, const BounceSettings *settings)
{
  return cmd_ingest_or_watch (MODE_WATCH, argc, argv, settings);
}
