/* ingest.c - the ingest pipeline
 *
 * Three stages run at once, on three batches:
 *
 *    main thread              thread pool (all cores)      writer thread
 *    -----------              -----------------------      -------------
 *    claim batch k+2  ----->  read, hash, parse k+2
 *                                                          store_write_batch
 *    acknowledge k    <-------------- COMMIT ------------- (batch k+1)
 *
 * Each ingest_step() waits for the batch being written, hands the next
 * parsed batch to the writer, acknowledges the committed one and claims
 * another, so that parsing, the database round trips and the renames
 * overlap.  The writer thread is the only one that uses the connection
 * while a batch is in flight.
 *
 * Invariants:
 *  1. A message is acknowledged (leaves the claim directory) only after the
 *     transaction holding it committed (DESIGN.md, "Maildir protocol").
 *  2. When the database is unavailable (down, restarting, out of disk), the
 *     batches in hand, parsed already, are kept (at most three, their claims
 *     in the claim directory) and written again after the caller's backoff:
 *     nothing is parsed twice, and nothing new is claimed meanwhile.  A crash
 *     meanwhile leaves them to recovery.  When the database refuses a batch
 *     for another reason, or the pipeline finishes, every claim in hand is
 *     released: messages go back where they were.
 *  3. At most three batches are in memory: memory is flat in the number of
 *     messages.
 *  4. Every claimed message gets a messages row, oversized ones and names
 *     that are no longer regular files included (kind "error" with the
 *     reason), so that what lands in the failed folder can be found in SQL.
 *     Those are not read: an oversized file is refused by its size (fstat),
 *     and a claimed name that turned into a symbolic link, FIFO or
 *     directory is not opened through (msgfile.c); their key is the hash of
 *     their name.  Files that cannot be read are invariant 6.
 *  5. One message cannot block the others: a batch the database refuses is
 *     retried message by message (batch_write_one_by_one()).
 *  6. A file that cannot be read (EACCES, EIO) is not unparseable mail: it
 *     gets no row and does not go to the failed folder; it is held in the
 *     claim directory (so that it cannot wake the watcher again at once),
 *     named in the log, and returned to where it was for the first pass
 *     retry-unreadable seconds later (60 by default), or when the run ends.
 *  7. Once a message is acknowledged, its messages row names where the
 *     file ended, so that an analyst can open it.  A new row is written
 *     with the path the acknowledgement plans (maildir_planned_path()):
 *     when the file lands there, nothing more is written.  Otherwise (a
 *     name taken meanwhile, a content stored before, a batch written
 *     message by message) the row is told afterwards (store_relocate(),
 *     before the next write, or at once when the connection is idle).
 */
#include "ingest.h"

#include "log.h"
#include "msgfile.h"
#include "store.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (ingest-error-quark, ingest_error)

/* Messages per parse task: big enough to amortise the hand-off, small
 * enough to spread a batch over every core. */
#define INGEST_CHUNK 32
/* Seconds an unreadable message is held before it is tried again, when the
 * settings say 0. */
#define INGEST_RETRY_UNREADABLE 60

typedef struct {
  Maildir *md;
  MaildirClaim *claim;
  BounceReport *report;
  gsize size;
  char sha256[65];
  char *planned;          /* where the row says it is: its planned final
                           * path (maildir_planned_path()), or NULL */
  gboolean unreadable;    /* could not be read (EACCES, EIO): not stored,
                           * left in place, tried again later */
} Item;

/* An unreadable message held in the claim directory until it is tried
 * again (invariant 6). */
typedef struct {
  Maildir *md;
  MaildirClaim *claim;
  gint64 since;           /* monotonic time it was found unreadable */
} Held;

typedef struct {
  GArray *items;          /* Item */
  guint pending;          /* parse tasks not yet finished (under lock) */
  gboolean written;       /* the writer is done with it (under lock) */
  GError *write_error;    /* why the write failed, or NULL */
  guint stored_new;       /* messages the write stored anew */
  guint write_attempts;   /* transactions its last write tried */
  gboolean *stored;       /* per item: its row was written by this batch,
                           * naming item->planned; NULL when unknown */
  GPtrArray *relocations; /* char* sha256, path, ...: where earlier batches'
                           * messages ended, recorded before this write */
  double write_seconds;
  gint64 started;         /* when it was claimed */
} Batch;

/* A task of the pool: a chunk of a claimed batch (@batch), or a chunk of
 * items of another kind (@func over @items, ingest_parallel()). */
typedef struct {
  Batch *batch;
  guint first, last;      /* [first, last) */
  IngestItemFunc func;
  guint8 *items;
  gsize item_size;
  gpointer user_data;
  guint *pending;         /* tasks of the call not yet finished (under lock) */
} Task;

struct _Ingest {
  IngestSettings settings;
  GPtrArray *maildirs;    /* Maildir* (owned) */
  guint current;          /* index of the Maildir being read */
  Store *store;
  gboolean migrated;
  gboolean check_store;   /* the last step lost the connection */

  GThreadPool *pool;
  GMutex lock;
  GCond done;
  Batch *ahead;           /* claimed and being parsed, not yet written */
  Batch *writing;         /* handed to the writer thread */
  GThread *writer;
  GAsyncQueue *to_write;  /* Batch*, or the stop marker */
  GPtrArray *relocations; /* char* sha256, path, ... acknowledged, not yet recorded */
  GPtrArray *held;        /* Held*: unreadable messages waiting for a retry */
  GQueue retry;           /* Batch*: parsed, their write failed for want of
                           * a database; written again first (invariant 2) */
  IngestCounts counts;
  GHashTable *reason_groups;  /* reason -> group (bounce.reasons), owned strings */
  gboolean record_warned;     /* a last-batch record failed once already */
};

/* Tells the writer thread to exit. */
static Batch writer_stop;

static gboolean writer_finish (Ingest *ingest, GError **error_out);

static GPrivate buffer_key = G_PRIVATE_INIT ((GDestroyNotify) g_byte_array_unref);

/* Reads, hashes and parses one claimed message; never fails: what cannot be
 * read or parsed becomes a report of kind error (invariant 4). */
static void
item_parse (Item *item, const BounceSettings *settings, const Verp *verp)
{
  GByteArray *buffer = g_private_get (&buffer_key);
  g_autoptr(GError) error = NULL;
  guint64 size = 0;

  if (buffer == NULL)
    {
      buffer = g_byte_array_new ();
      g_private_set (&buffer_key, buffer);
    }
  if (msgfile_read_file (item->claim->path, MSGFILE_NOFOLLOW, settings->max_message_size,
                         buffer, &size, &error))
    {
      msgfile_sha256 (buffer->data, buffer->len, item->sha256);
      item->size = buffer->len;
      item->report = bounce_report_parse ((const char *) buffer->data, buffer->len,
                                          settings, &error);
      if (item->report == NULL)
        item->report = bounce_report_new_error (error->message);
      verp_apply (verp, item->report, (const char *) buffer->data, buffer->len);
      /* Do not keep a huge buffer alive for the rest of the run. */
      if (buffer->len > 4 * 1024 * 1024)
        g_byte_array_set_size (buffer, 0);
      return;
    }
  if (g_error_matches (error, MSGFILE_ERROR, MSGFILE_ERROR_UNREADABLE))
    {
      /* Invariant 6: not stored, tried again later. */
      item->unreadable = TRUE;
      item->report = bounce_report_new_error (error->message);
      return;
    }
  /* Not read: not a regular file (a claimed name that turned into a link
   * or a FIFO), or past the size limit (by its size alone: an 8 GiB file is
   * not read to be hashed).  The hash of its name (and size) stands in for
   * the hash of its content, so that the messages row is still unique per
   * file, and the same on a re-run. */
  {
    g_autofree char *key = NULL;

    if (g_error_matches (error, MSGFILE_ERROR, MSGFILE_ERROR_TOO_LARGE))
      key = g_strdup_printf ("too large\n%s\n%" G_GUINT64_FORMAT, item->claim->source, size);
    else
      key = g_strconcat ("unreadable\n", item->claim->source, NULL);
    msgfile_sha256 ((const guint8 *) key, strlen (key), item->sha256);
    item->size = (gsize) MIN (size, (guint64) G_MAXINT64);
  }
  item->report = bounce_report_new_error (error->message);
}

static void
task_run (gpointer data, gpointer user_data)
{
  Task *task = data;
  Ingest *ingest = user_data;

  if (task->func != NULL)
    {
      for (guint i = task->first; i < task->last; i++)
        task->func (task->items + (gsize) i * task->item_size, task->user_data);
      g_mutex_lock (&ingest->lock);
      if (--*task->pending == 0)
        g_cond_broadcast (&ingest->done);
      g_mutex_unlock (&ingest->lock);
      g_free (task);
      return;
    }
  for (guint i = task->first; i < task->last; i++)
    item_parse (&g_array_index (task->batch->items, Item, i), ingest->settings.parse,
                ingest->settings.verp);
  g_mutex_lock (&ingest->lock);
  ingest->counts.parsed += task->last - task->first;
  if (--task->batch->pending == 0)
    g_cond_broadcast (&ingest->done);
  g_mutex_unlock (&ingest->lock);
  g_free (task);
}

void
ingest_parallel (Ingest *ingest, gpointer items, gsize item_size, guint n, IngestItemFunc func,
                 gpointer user_data)
{
  guint pending;

  g_return_if_fail (ingest != NULL && func != NULL && (items != NULL || n == 0));
  if (n == 0)
    return;
  pending = (n + INGEST_CHUNK - 1) / INGEST_CHUNK;
  for (guint first = 0; first < n; first += INGEST_CHUNK)
    {
      Task *task = g_new0 (Task, 1);

      task->first = first;
      task->last = MIN (first + INGEST_CHUNK, n);
      task->func = func;
      task->items = items;
      task->item_size = item_size;
      task->user_data = user_data;
      task->pending = &pending;
      g_thread_pool_push (ingest->pool, task, NULL);
    }
  g_mutex_lock (&ingest->lock);
  while (pending > 0)
    g_cond_wait (&ingest->done, &ingest->lock);
  ingest->counts.parsed += n;
  g_mutex_unlock (&ingest->lock);
}

void
ingest_count_batch (Ingest *ingest, guint attempts, double seconds)
{
  g_mutex_lock (&ingest->lock);
  ingest->counts.write_attempts += attempts;
  g_mutex_unlock (&ingest->lock);
  if (seconds < 0)
    return;
  ingest->counts.batches++;
  ingest->counts.last_batch_seconds = seconds;
  ingest->counts.last_batch_time = g_get_real_time ();
  ingest->counts.batch_buckets[metrics_bucket_of (seconds)]++;
  ingest->counts.batch_seconds_sum += seconds;
}

static void
item_clear (Item *item)
{
  maildir_claim_free (item->claim);
  g_clear_pointer (&item->report, bounce_report_free);
  g_clear_pointer (&item->planned, g_free);
}

static Batch *
batch_new (guint size)
{
  Batch *batch = g_new0 (Batch, 1);

  batch->started = g_get_monotonic_time ();
  batch->items = g_array_sized_new (FALSE, TRUE, sizeof (Item), size);
  g_array_set_clear_func (batch->items, (GDestroyNotify) item_clear);
  return batch;
}

static void
batch_free (Batch *batch)
{
  if (batch == NULL)
    return;
  g_array_unref (batch->items);
  g_clear_error (&batch->write_error);
  g_clear_pointer (&batch->relocations, g_ptr_array_unref);
  g_free (batch->stored);
  g_free (batch);
}

/* Invariant 7 when no batch is in flight (the connection is ours). */
static void
relocations_flush (Ingest *ingest)
{
  g_autoptr(GError) error = NULL;
  guint m = ingest->relocations->len / 2;
  g_autofree const char **shas = NULL;
  g_autofree const char **paths = NULL;

  if (m == 0 || ingest->store == NULL || ingest->writing != NULL)
    return;
  shas = g_new (const char *, m);
  paths = g_new (const char *, m);
  for (guint k = 0; k < m; k++)
    {
      shas[k] = g_ptr_array_index (ingest->relocations, 2 * k);
      paths[k] = g_ptr_array_index (ingest->relocations, 2 * k + 1);
    }
  if (!store_relocate (ingest->store, shas, paths, m, &error))
    g_warning ("could not record where %u messages are: %s", m, error->message);
  g_ptr_array_set_size (ingest->relocations, 0);
}

/* Invariant 6: returns the held messages to where they were, all of them
 * or those held long enough. */
static void
held_release (Ingest *ingest, gboolean all)
{
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < ingest->held->len;)
    {
      Held *h = g_ptr_array_index (ingest->held, i);
      g_autoptr(GError) error = NULL;

      if (!all && now - h->since < (gint64) ingest->settings.retry_unreadable * G_USEC_PER_SEC)
        {
          i++;
          continue;
        }
      if (!maildir_release (h->md, h->claim, &error))
        g_warning ("%s", error->message);
      g_ptr_array_remove_index (ingest->held, i);
    }
}

static void
held_free (gpointer p)
{
  Held *h = p;

  maildir_claim_free (h->claim);
  g_free (h);
}

Ingest *
ingest_new (const IngestSettings *settings)
{
  Ingest *ingest = g_new0 (Ingest, 1);
  guint threads;

  g_return_val_if_fail (settings != NULL && settings->parse != NULL, NULL);
  ingest->settings = *settings;
  if (ingest->settings.batch_size == 0)
    ingest->settings.batch_size = 1000;
  if (ingest->settings.retry_unreadable == 0)
    ingest->settings.retry_unreadable = INGEST_RETRY_UNREADABLE;
  threads = settings->threads > 0 ? settings->threads : g_get_num_processors ();
  ingest->maildirs = g_ptr_array_new_with_free_func ((GDestroyNotify) maildir_close);
  g_mutex_init (&ingest->lock);
  g_cond_init (&ingest->done);
  ingest->pool = g_thread_pool_new (task_run, ingest, (gint) threads, TRUE, NULL);
  ingest->to_write = g_async_queue_new ();
  ingest->counts.reasons = g_hash_table_new (g_str_hash, g_str_equal);
  ingest->counts.groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ingest->reason_groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  ingest->relocations = g_ptr_array_new_with_free_func (g_free);
  ingest->held = g_ptr_array_new_with_free_func (held_free);
  return ingest;
}

void
ingest_add_maildir (Ingest *ingest, Maildir *md)
{
  g_ptr_array_add (ingest->maildirs, md);
}

void
ingest_rewind (Ingest *ingest)
{
  for (guint i = 0; i < ingest->maildirs->len; i++)
    {
      Maildir *md = g_ptr_array_index (ingest->maildirs, i);
      g_autoptr(GError) error = NULL;

      /* A worker that died since the last pass left claims behind. */
      if (maildir_recover (md, &error) < 0)
        g_warning ("%s", error->message);
      maildir_rewind (md);
    }
  held_release (ingest, FALSE);
  ingest->current = 0;
}

/* Claims up to a batch and hands it to the pool; NULL when the pass is over
 * (or on error, with @error_out set). */
static Batch *
batch_claim (Ingest *ingest, GError **error_out)
{
  Batch *batch = batch_new (ingest->settings.batch_size);

  while (batch->items->len < ingest->settings.batch_size
         && ingest->current < ingest->maildirs->len)
    {
      Maildir *md = g_ptr_array_index (ingest->maildirs, ingest->current);
      g_autoptr(GError) error = NULL;
      MaildirClaim *claim = maildir_claim_next (md, &error);
      Item item = { 0 };

      if (claim == NULL)
        {
          if (error != NULL)
            {
              g_set_error (error_out, INGEST_ERROR, INGEST_ERROR_FAILED, "%s", error->message);
              /* Claims already taken go back at once. */
              for (guint i = 0; i < batch->items->len; i++)
                {
                  Item *taken = &g_array_index (batch->items, Item, i);
                  maildir_release (taken->md, taken->claim, NULL);
                }
              batch_free (batch);
              return NULL;
            }
          ingest->current++;
          continue;
        }
      item.md = md;
      item.claim = claim;
      g_array_append_val (batch->items, item);
    }
  if (batch->items->len == 0)
    {
      batch_free (batch);
      return NULL;
    }

  /* Hand the batch to the pool in chunks. */
  batch->pending = (batch->items->len + INGEST_CHUNK - 1) / INGEST_CHUNK;
  for (guint first = 0; first < batch->items->len; first += INGEST_CHUNK)
    {
      Task *task = g_new0 (Task, 1);

      task->batch = batch;
      task->first = first;
      task->last = MIN (first + INGEST_CHUNK, batch->items->len);
      g_thread_pool_push (ingest->pool, task, NULL);
    }
  return batch;
}

static void
batch_wait (Ingest *ingest, Batch *batch)
{
  g_mutex_lock (&ingest->lock);
  while (batch->pending > 0)
    g_cond_wait (&ingest->done, &ingest->lock);
  g_mutex_unlock (&ingest->lock);
}

/* Releases every claim of @batch (waiting for its parse first). */
static void
batch_release (Ingest *ingest, Batch *batch)
{
  batch_wait (ingest, batch);
  for (guint i = 0; i < batch->items->len; i++)
    {
      Item *item = &g_array_index (batch->items, Item, i);
      g_autoptr(GError) error = NULL;

      if (!maildir_release (item->md, item->claim, &error))
        g_warning ("%s", error->message);
    }
  batch_free (batch);
}

void
ingest_release (Ingest *ingest)
{
  Batch *kept;

  while ((kept = g_queue_pop_head (&ingest->retry)) != NULL)
    batch_release (ingest, kept);
  if (ingest->ahead != NULL)
    {
      batch_release (ingest, ingest->ahead);
      ingest->ahead = NULL;
    }
}

gboolean
ingest_finish (Ingest *ingest, GError **error_out)
{
  gboolean ok = writer_finish (ingest, error_out);

  ingest_release (ingest);
  relocations_flush (ingest);
  held_release (ingest, TRUE);
  return ok;
}

/* The group of each reason, from the database's vocabulary (bounce.reasons),
 * for the metrics' outcomes by group.  Without it, outcomes count under
 * "unknown". */
static void
load_reason_groups (Ingest *ingest)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pairs = store_query_value (ingest->store,
    "SELECT string_agg(reason || '=' || grp, ';' ORDER BY reason) FROM bounce.reasons",
    &error);
  g_auto(GStrv) items = NULL;

  if (pairs == NULL)
    {
      if (error != NULL)
        g_warning ("could not read the reason groups: %s", error->message);
      return;
    }
  items = g_strsplit (pairs, ";", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      char *eq = strchr (items[i], '=');

      if (eq != NULL)
        g_hash_table_insert (ingest->reason_groups, g_strndup (items[i], eq - items[i]),
                             g_strdup (eq + 1));
    }
}

/* Connects (and migrates) or checks the connection. */
static gboolean
store_ready (Ingest *ingest, GError **error_out)
{
  g_autoptr(GError) error = NULL;

  if (ingest->store == NULL)
    ingest->store = store_open (ingest->settings.conninfo, &error);
  else if (ingest->check_store)
    store_check (ingest->store, &error);
  if (error == NULL && !ingest->migrated)
    {
      if (store_migrate (ingest->store, &error) >= 0)
        {
          g_autoptr(GError) part_error = NULL;

          ingest->migrated = TRUE;
          load_reason_groups (ingest);
          /* This month's and next month's partitions exist before their
           * rows arrive; a failure costs the partitioning only. */
          if (store_prepare_partitions (ingest->store, &part_error) < 0)
            g_warning ("could not prepare the month partitions of recipient_outcomes: %s",
                       part_error->message);
        }
    }
  if (error != NULL)
    {
      gboolean unavailable = g_error_matches (error, STORE_ERROR, STORE_ERROR_UNAVAILABLE);

      g_set_error (error_out, INGEST_ERROR,
                   unavailable ? INGEST_ERROR_UNAVAILABLE : INGEST_ERROR_FAILED,
                   "%s", error->message);
      ingest->check_store = TRUE;
      return FALSE;
    }
  ingest->check_store = FALSE;
  return TRUE;
}

/* Invariant 5: a batch the database refused (STORE_ERROR_FAILED: a
 * statement failed, e.g. on a value it cannot take) is written again one
 * message at a time, so that one poisonous message cannot hold up the whole
 * Maildir.  A message refused on its own is stored as a report of kind
 * error carrying the database's message, and goes to the failed folder.
 * Returns FALSE with @error_out set when the database becomes unavailable
 * or refuses even that; messages committed before stay committed and are
 * released with the rest (re-ingesting them is a no-op). */
static gboolean
batch_write_one_by_one (Ingest *ingest, Batch *batch, StoreItem *items, const guint *index,
                        guint n, GError **error_out)
{
  for (guint i = 0; i < n; i++)
    {
      Item *item = &g_array_index (batch->items, Item, index[i]);
      g_autoptr(GError) error = NULL;
      g_autofree char *why = NULL;

      batch->write_attempts++;
      if (store_write_batch (ingest->store, &items[i], 1, &error))
        {
          batch->stored_new += store_last_batch_new (ingest->store);
          continue;
        }
      if (!g_error_matches (error, STORE_ERROR, STORE_ERROR_FAILED))
        {
          g_propagate_error (error_out, g_steal_pointer (&error));
          return FALSE;
        }
      why = g_strdup_printf ("could not store the report: %s", error->message);
      g_warning ("could not store \"%s\": %s", item->claim->source, error->message);
      g_clear_error (&error);
      bounce_report_free (item->report);
      item->report = bounce_report_new_error (why);
      items[i].report = item->report;
      batch->write_attempts++;
      if (!store_write_batch (ingest->store, &items[i], 1, error_out))
        return FALSE;
      batch->stored_new += store_last_batch_new (ingest->store);
    }
  return TRUE;
}

static MaildirDest
dest_of (const BounceReport *report)
{
  switch (report->kind)
    {
    case BOUNCE_KIND_ERROR:
      return MAILDIR_DEST_FAILED;
    case BOUNCE_KIND_NOT_BOUNCE:
      return MAILDIR_DEST_OTHER;
    case BOUNCE_KIND_DSN:
    case BOUNCE_KIND_LEGACY:
    case BOUNCE_KIND_AUTO_REPLY:
    case BOUNCE_KIND_FEEDBACK:
    default:
      return MAILDIR_DEST_DONE;
    }
}

/* The writer thread: writes each batch it is given, then marks it. */
static gpointer
writer_run (gpointer data)
{
  Ingest *ingest = data;

  for (;;)
    {
      Batch *batch = g_async_queue_pop (ingest->to_write);
      g_autofree StoreItem *items = NULL;
      g_autofree guint *index = NULL;
      guint n = 0;
      GError *error = NULL;
      gint64 start = g_get_monotonic_time ();

      if (batch == &writer_stop)
        return NULL;
      /* Invariant 7: where the messages of earlier batches ended.  A
       * failure costs the paths only (reprocess records them too). */
      if (batch->relocations != NULL && batch->relocations->len > 0)
        {
          g_autoptr(GError) reloc_error = NULL;
          guint m = batch->relocations->len / 2;
          g_autofree const char **shas = g_new (const char *, m);
          g_autofree const char **paths = g_new (const char *, m);

          for (guint k = 0; k < m; k++)
            {
              shas[k] = g_ptr_array_index (batch->relocations, 2 * k);
              paths[k] = g_ptr_array_index (batch->relocations, 2 * k + 1);
            }
          if (!store_relocate (ingest->store, shas, paths, m, &reloc_error))
            g_warning ("could not record where %u messages are: %s", m, reloc_error->message);
        }
      items = g_new0 (StoreItem, batch->items->len);
      index = g_new (guint, batch->items->len);
      for (guint i = 0; i < batch->items->len; i++)
        {
          Item *item = &g_array_index (batch->items, Item, i);
          StoreItem *it = &items[n];

          if (item->unreadable)
            continue;
          /* Invariant 7: the row names where the file is to end. */
          g_free (item->planned);
          item->planned = maildir_planned_path (item->md, item->claim, dest_of (item->report));
          it->source = item->planned != NULL ? item->planned : item->claim->source;
          it->sha256 = item->sha256;
          it->size = item->size;
          it->report = item->report;
          if (item->claim->name_time > 0)
            {
              it->delivered_at = item->claim->name_time;
              it->delivered_source = "maildir-name";
            }
          else if (item->claim->mtime > 0)
            {
              it->delivered_at = item->claim->mtime;
              it->delivered_source = "file-mtime";
            }
          index[n++] = i;
        }
      batch->stored_new = 0;
      batch->write_attempts = 1;
      g_clear_pointer (&batch->stored, g_free);
      if (store_write_batch (ingest->store, items, n, &error))
        {
          batch->stored_new = store_last_batch_new (ingest->store);
          batch->stored = g_new0 (gboolean, batch->items->len);
          for (guint k = 0; k < n; k++)
            batch->stored[index[k]] = store_last_batch_stored (ingest->store, k);
        }
      else if (g_error_matches (error, STORE_ERROR, STORE_ERROR_FAILED))
        {
          g_clear_error (&error);
          batch_write_one_by_one (ingest, batch, items, index, n, &error);
        }
      g_mutex_lock (&ingest->lock);
      ingest->counts.write_attempts += batch->write_attempts;
      batch->write_error = error;
      batch->write_seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
      batch->written = TRUE;
      g_cond_broadcast (&ingest->done);
      g_mutex_unlock (&ingest->lock);
    }
}

static void
writer_submit (Ingest *ingest, Batch *batch)
{
  /* A batch written again (invariant 2) starts afresh, keeping the
   * relocations it carried (recording them twice is harmless). */
  batch->written = FALSE;
  g_clear_error (&batch->write_error);
  if (ingest->relocations->len > 0 && batch->relocations == NULL)
    {
      batch->relocations = ingest->relocations;
      ingest->relocations = g_ptr_array_new_with_free_func (g_free);
    }
  else if (ingest->relocations->len > 0)
    {
      for (guint i = 0; i < ingest->relocations->len; i++)
        g_ptr_array_add (batch->relocations, g_strdup (g_ptr_array_index (ingest->relocations, i)));
      g_ptr_array_set_size (ingest->relocations, 0);
    }
  if (ingest->writer == NULL)
    ingest->writer = g_thread_new ("bounced-writer", writer_run, ingest);
  ingest->writing = batch;
  g_async_queue_push (ingest->to_write, batch);
}

/* Waits for the batch in the writer's hands; returns it (transfer full). */
static Batch *
writer_wait (Ingest *ingest)
{
  Batch *batch = ingest->writing;

  g_mutex_lock (&ingest->lock);
  while (!batch->written)
    g_cond_wait (&ingest->done, &ingest->lock);
  g_mutex_unlock (&ingest->lock);
  ingest->writing = NULL;
  return batch;
}

/* The batch line, one per Maildir of the batch (a batch that reaches the
 * end of one Maildir goes on with the next), so that each line names its
 * Maildir. */
static void
batch_log (Ingest *ingest, const Batch *batch)
{
  double seconds = (double) (g_get_monotonic_time () - batch->started) / G_USEC_PER_SEC;
  guint first = 0;

  while (first < batch->items->len)
    {
      Maildir *md = g_array_index (batch->items, Item, first).md;
      g_autoptr(GError) error = NULL;
      LogBatch line = { maildir_get_path (md), 0, 0, 0, 0, seconds, batch->write_seconds };
      guint i;

      for (i = first; i < batch->items->len; i++)
        {
          const Item *item = &g_array_index (batch->items, Item, i);

          if (item->md != md)
            break;
          /* Not stored (invariant 6): logged apart, as held. */
          if (item->unreadable)
            continue;
          line.messages++;
          if (item->report->kind == BOUNCE_KIND_ERROR)
            line.failed++;
          else if (item->report->kind == BOUNCE_KIND_NOT_BOUNCE)
            line.not_bounces++;
          else
            line.bounces++;
        }
      first = i;
      if (line.messages == 0)
        continue;
      log_batch (&line);
      /* For `bounced status`; a Maildir we may not write shows up in the
       * acknowledgements already, so this is said once only. */
      if (!maildir_record_batch (md, line.messages, g_get_real_time () / G_USEC_PER_SEC, &error)
          && !ingest->record_warned)
        {
          g_warning ("%s", error->message);
          ingest->record_warned = TRUE;
        }
    }
}

/* Counts the recipient outcomes of @report by reason and by group. */
static void
count_outcomes (Ingest *ingest, const BounceReport *report)
{
  for (guint r = 0; r < report->recipients->len; r++)
    {
      const BounceRecipient *rcpt = g_ptr_array_index (report->recipients, r);
      const char *reason = rcpt->reason ? rcpt->reason : "unknown";
      gpointer count = g_hash_table_lookup (ingest->counts.reasons, reason);

      g_hash_table_insert (ingest->counts.reasons, (gpointer) reason,
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
      {
        const char *group = rcpt->reason ? g_hash_table_lookup (ingest->reason_groups,
                                                                rcpt->reason) : NULL;
        gpointer old_key = NULL, old_count = NULL;

        if (group == NULL)
          group = "unknown";
        if (g_hash_table_lookup_extended (ingest->counts.groups, group, &old_key, &old_count))
          g_hash_table_insert (ingest->counts.groups, g_strdup (group),
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (old_count) + 1));
        else
          g_hash_table_insert (ingest->counts.groups, g_strdup (group), GUINT_TO_POINTER (1));
      }
    }
}

void
ingest_count_report (Ingest *ingest, const BounceReport *report)
{
  ingest->counts.by_kind[report->kind]++;
  ingest->counts.messages++;
  count_outcomes (ingest, report);
}

/* Invariant 1: @batch is committed; moves every message to its place. */
static void
batch_acknowledge (Ingest *ingest, Batch *batch)
{
  guint64 kinds[BOUNCE_KIND_ERROR + 1] = { 0 };

  guint64 unreadable = 0;

  for (guint i = 0; i < batch->items->len; i++)
    {
      Item *item = &g_array_index (batch->items, Item, i);
      g_autoptr(GError) ack_error = NULL;
      g_autofree char *final_path = NULL;
      const BounceReport *report = item->report;

      if (item->unreadable)
        {
          /* Invariant 6: one line, then held for a retry. */
          Held *h = g_new0 (Held, 1);

          g_warning ("could not read \"%s\": %s; left in place, tried again in %u s",
                     item->claim->source, report->error, ingest->settings.retry_unreadable);
          h->md = item->md;
          h->claim = g_steal_pointer (&item->claim);
          h->since = g_get_monotonic_time ();
          g_ptr_array_add (ingest->held, h);
          unreadable++;
          continue;
        }
      kinds[report->kind]++;
      count_outcomes (ingest, report);
      if (!maildir_acknowledge_to (item->md, item->claim, dest_of (report), &final_path,
                                   &ack_error))
        {
          /* Committed already: the next recovery re-ingests it, a no-op. */
          g_warning ("%s", ack_error->message);
          ingest->counts.ack_failures++;
          continue;
        }
      if (report->kind == BOUNCE_KIND_ERROR)
        g_warning ("could not parse \"%s\": %s; moved to \"%s\"", item->claim->source,
                   report->error ? report->error : "unknown error", final_path);
      /* Invariant 7: a row this batch wrote names the planned path. */
      if (batch->stored != NULL && batch->stored[i] && item->planned != NULL
          && strcmp (item->planned, final_path) == 0)
        continue;
      g_ptr_array_add (ingest->relocations, g_strdup (item->sha256));
      g_ptr_array_add (ingest->relocations, g_steal_pointer (&final_path));
    }
  ingest->counts.unreadable += unreadable;
  ingest->counts.stored_new += batch->stored_new;
  ingest->counts.already_stored += batch->items->len - unreadable - kinds[BOUNCE_KIND_ERROR]
                                   - MIN (batch->stored_new,
                                          batch->items->len - unreadable - kinds[BOUNCE_KIND_ERROR]);
  for (guint k = 0; k <= BOUNCE_KIND_ERROR; k++)
    ingest->counts.by_kind[k] += kinds[k];
  ingest->counts.messages += batch->items->len - unreadable;
  ingest->counts.batches++;
  ingest->counts.last_batch_seconds
    = (double) (g_get_monotonic_time () - batch->started) / G_USEC_PER_SEC;
  ingest->counts.last_batch_time = g_get_real_time ();
  ingest->counts.batch_buckets[metrics_bucket_of (ingest->counts.last_batch_seconds)]++;
  ingest->counts.batch_seconds_sum += ingest->counts.last_batch_seconds;
  batch_log (ingest, batch);
}

/* Finishes the batch being written: acknowledged if committed, else
 * released.  Returns FALSE with @error_out set when the write failed. */
static gboolean
writer_finish (Ingest *ingest, GError **error_out)
{
  Batch *batch;

  if (ingest->writing == NULL)
    return TRUE;
  batch = writer_wait (ingest);
  if (batch->write_error != NULL)
    {
      gboolean unavailable = g_error_matches (batch->write_error, STORE_ERROR,
                                              STORE_ERROR_UNAVAILABLE);

      g_set_error (error_out, INGEST_ERROR,
                   unavailable ? INGEST_ERROR_UNAVAILABLE : INGEST_ERROR_FAILED,
                   "%s", batch->write_error->message);
      /* Invariant 2: nothing of it was committed; everything goes back. */
      batch_release (ingest, batch);
      ingest->check_store = TRUE;
      return FALSE;
    }
  batch_acknowledge (ingest, batch);
  batch_free (batch);
  return TRUE;
}

/* Sets @error_out from the failed write of @batch; returns whether the
 * database was unavailable (then the batch is worth writing again). */
static gboolean
write_failed (Ingest *ingest, const Batch *batch, GError **error_out)
{
  gboolean unavailable = g_error_matches (batch->write_error, STORE_ERROR,
                                          STORE_ERROR_UNAVAILABLE);

  g_set_error (error_out, INGEST_ERROR,
               unavailable ? INGEST_ERROR_UNAVAILABLE : INGEST_ERROR_FAILED,
               "%s", batch->write_error->message);
  ingest->check_store = TRUE;
  return unavailable;
}

IngestStep
ingest_step (Ingest *ingest, GError **error_out)
{
  g_autoptr(GError) error = NULL;
  Batch *next, *done = NULL;

  g_return_val_if_fail (ingest != NULL, INGEST_STEP_FAILED);

  /* The connection is checked only while no batch is in flight: the writer
   * thread owns it meanwhile.  Unavailable: what is parsed is kept for the
   * next step (invariant 2). */
  if (ingest->writing == NULL && !store_ready (ingest, error_out))
    return INGEST_STEP_FAILED;

  /* The next batch to write: one kept from a failed write, parsed ahead, or
   * claimed now. */
  next = g_queue_pop_head (&ingest->retry);
  if (next == NULL)
    {
      next = ingest->ahead;
      ingest->ahead = NULL;
    }
  if (next == NULL)
    next = batch_claim (ingest, &error);
  if (next != NULL)
    {
      batch_wait (ingest, next);
      /* Parse the one after while this one is written; not while older
       * batches wait for the database. */
      if (ingest->ahead == NULL && g_queue_is_empty (&ingest->retry))
        ingest->ahead = batch_claim (ingest, &error);
    }
  if (error != NULL)
    {
      if (next != NULL)
        batch_release (ingest, next);
      ingest_release (ingest);
      g_propagate_error (error_out, g_steal_pointer (&error));
      return INGEST_STEP_FAILED;
    }

  /* One batch at a time on the connection: wait for the previous one, hand
   * over the next, then acknowledge the previous while the next is written. */
  if (ingest->writing != NULL)
    {
      done = writer_wait (ingest);
      if (done->write_error != NULL)
        {
          if (write_failed (ingest, done, error_out))
            {
              /* Invariant 2: kept, in order, and written again later. */
              if (next != NULL)
                g_queue_push_head (&ingest->retry, next);
              g_queue_push_head (&ingest->retry, done);
              return INGEST_STEP_FAILED;
            }
          /* Nothing of it was committed; everything goes back. */
          batch_release (ingest, done);
          if (next != NULL)
            batch_release (ingest, next);
          ingest_release (ingest);
          return INGEST_STEP_FAILED;
        }
    }
  if (next != NULL)
    writer_submit (ingest, next);
  if (done != NULL)
    {
      batch_acknowledge (ingest, done);
      batch_free (done);
    }
  relocations_flush (ingest);
  return next != NULL || done != NULL ? INGEST_STEP_WORKED : INGEST_STEP_IDLE;
}

const IngestCounts *
ingest_get_counts (const Ingest *ingest)
{
  return &ingest->counts;
}

const IngestSettings *
ingest_get_settings (const Ingest *ingest)
{
  return &ingest->settings;
}

Store *
ingest_get_store (Ingest *ingest)
{
  return ingest->store;
}

void
ingest_free (Ingest *ingest)
{
  if (ingest == NULL)
    return;
  {
    g_autoptr(GError) error = NULL;
    if (!ingest_finish (ingest, &error))
      g_warning ("%s", error->message);
  }
  if (ingest->writer != NULL)
    {
      g_async_queue_push (ingest->to_write, &writer_stop);
      g_thread_join (ingest->writer);
    }
  g_async_queue_unref (ingest->to_write);
  g_thread_pool_free (ingest->pool, FALSE, TRUE);
  g_mutex_clear (&ingest->lock);
  g_cond_clear (&ingest->done);
  g_ptr_array_unref (ingest->maildirs);
  g_clear_pointer (&ingest->store, store_free);
  g_hash_table_unref (ingest->counts.reasons);
  g_hash_table_unref (ingest->counts.groups);
  g_hash_table_unref (ingest->reason_groups);
  g_ptr_array_unref (ingest->relocations);
  g_ptr_array_unref (ingest->held);
  g_free (ingest);
}
