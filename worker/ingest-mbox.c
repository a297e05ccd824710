/* ingest-mbox.c - `bounced ingest FILE.mbox`: the messages of an mbox, once
 *
 * An mbox is not a queue: nothing is claimed, moved or flagged, because the
 * file belongs to the mail server that appends to it.  What makes a second
 * run a no-op is the database's record of what was stored: every message
 * has a messages row keyed by the SHA-256 of its bytes (source "PATH#N").
 * Each batch is read and hashed first, then the database says which of its
 * hashes it holds already, and only the others are parsed and written: a
 * re-run parses and writes nothing, and an mbox that grew since costs the
 * reading of the old messages and the parsing of the new ones only.  The
 * messages of a batch are parsed on the pipeline's threads
 * (ingest_parallel()), then written in the order of the file.
 *
 * Invariant 5 of ingest.c holds here too: a batch the database refuses is
 * written again message by message, and a message refused on its own is
 * stored as a report of kind error with the database's reason.
 */
#include "ingest.h"
#include "mbox.h"
#include "msgfile.h"

#include <string.h>

typedef struct {
  char *source;
  char sha256[65];
  gsize size;
  GBytes *data;           /* the message, until parsed (NULL: not read) */
  char *error;            /* why it was not read, or NULL */
  BounceReport *report;
} MboxItem;

static void
mbox_item_clear (gpointer data)
{
  MboxItem *item = data;

  g_free (item->source);
  g_free (item->error);
  g_clear_pointer (&item->data, g_bytes_unref);
  g_clear_pointer (&item->report, bounce_report_free);
}

/* The hashes of @items the database holds already.  The hashes are
 * lower-case hex (msgfile_sha256()), safe inside the array literal. */
static GHashTable *
known_hashes (Store *store, GArray *items, GError **error_out)
{
  g_autoptr(GString) sql = g_string_new ("SELECT string_agg(sha256, ',') FROM bounce.messages "
                                         "WHERE sha256 = ANY ('{");
  GHashTable *known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *found = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < items->len; i++)
    g_string_append_printf (sql, "%s%s", i > 0 ? "," : "",
                            g_array_index (items, MboxItem, i).sha256);
  g_string_append (sql, "}'::text[])");
  found = store_query_value (store, sql->str, &error);
  if (error != NULL)
    {
      g_propagate_error (error_out, g_steal_pointer (&error));
      g_hash_table_unref (known);
      return NULL;
    }
  if (found != NULL)
    {
      g_auto(GStrv) hashes = g_strsplit (found, ",", -1);

      for (guint i = 0; hashes[i] != NULL; i++)
        g_hash_table_add (known, g_strdup (hashes[i]));
    }
  return known;
}

/* Parses @item (invariant 4 of ingest.c: never fails, what cannot be
 * parsed is a report of kind error).  On a parsing thread
 * (ingest_parallel()): it touches @item only. */
static void
item_parse (gpointer data, gpointer user_data)
{
  MboxItem *item = *(MboxItem **) data;
  const IngestSettings *settings = user_data;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *bytes;

  if (item->data == NULL)
    {
      item->report = bounce_report_new_error (item->error);
      return;
    }
  bytes = g_bytes_get_data (item->data, &len);
  item->report = bounce_report_parse (bytes, len, settings->parse, &error);
  if (item->report == NULL)
    item->report = bounce_report_new_error (error->message);
  verp_apply (settings->verp, item->report, bytes, len);
  g_clear_pointer (&item->data, g_bytes_unref);
}

static gboolean
flush (Ingest *ingest, Store *store, GArray *items, IngestMboxCounts *counts,
       GError **error_out)
{
  g_autoptr(GHashTable) known = known_hashes (store, items, error_out);
  g_autofree StoreItem *writes = NULL;
  g_autofree MboxItem **todo = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 0;
  guint attempts = 0;
  gint64 start = g_get_monotonic_time ();

  if (known == NULL)
    return FALSE;
  writes = g_new0 (StoreItem, items->len);
  todo = g_new (MboxItem *, items->len);
  for (guint i = 0; i < items->len; i++)
    {
      MboxItem *item = &g_array_index (items, MboxItem, i);

      if (g_hash_table_contains (known, item->sha256))
        continue;
      /* The same message twice in one mbox: stored once. */
      g_hash_table_add (known, g_strdup (item->sha256));
      todo[n++] = item;
    }
  /* Parsed on every core, as the messages of a Maildir are; the order of
   * @items (and so of PATH#N) is kept for the write. */
  ingest_parallel (ingest, todo, sizeof *todo, n, item_parse,
                   (gpointer) ingest_get_settings (ingest));
  for (guint i = 0; i < n; i++)
    writes[i] = (StoreItem) { todo[i]->source, todo[i]->sha256, todo[i]->size, todo[i]->report,
                              0, NULL };
  counts->known += items->len - n;
  if (n > 0)
    attempts++;
  if (n > 0 && !store_write_batch (store, writes, n, &error))
    {
      if (!g_error_matches (error, STORE_ERROR, STORE_ERROR_FAILED))
        {
          ingest_count_batch (ingest, attempts, -1);
          g_propagate_error (error_out, g_steal_pointer (&error));
          return FALSE;
        }
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GError) one_error = NULL;

          attempts++;
          if (store_write_batch (store, &writes[i], 1, &one_error))
            continue;
          if (!g_error_matches (one_error, STORE_ERROR, STORE_ERROR_FAILED))
            {
              ingest_count_batch (ingest, attempts, -1);
              g_propagate_error (error_out, g_steal_pointer (&one_error));
              return FALSE;
            }
          g_warning ("could not store \"%s\": %s", writes[i].source, one_error->message);
          for (guint j = 0; j < items->len; j++)
            {
              MboxItem *item = &g_array_index (items, MboxItem, j);

              if (item->report == writes[i].report)
                {
                  g_autofree char *why = g_strdup_printf ("could not store the report: %s",
                                                          one_error->message);

                  bounce_report_free (item->report);
                  item->report = bounce_report_new_error (why);
                  writes[i].report = item->report;
                }
            }
          attempts++;
          if (!store_write_batch (store, &writes[i], 1, error_out))
            {
              ingest_count_batch (ingest, attempts, -1);
              return FALSE;
            }
        }
    }
  if (n > 0)
    ingest_count_batch (ingest, attempts,
                        (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  for (guint i = 0; i < n; i++)
    ingest_count_report (ingest, writes[i].report);
  counts->stored += n;
  g_array_set_size (items, 0);
  return TRUE;
}

gboolean
ingest_mbox (Ingest *ingest, const char *path, IngestMboxCounts *counts, GError **error_out)
{
  const IngestSettings *settings = ingest_get_settings (ingest);
  Store *store = ingest_get_store (ingest);
  g_autoptr(Mbox) mbox = NULL;
  g_autoptr(GArray) items = g_array_new (FALSE, TRUE, sizeof (MboxItem));
  g_autoptr(GByteArray) buffer = g_byte_array_new ();

  g_return_val_if_fail (store != NULL, FALSE);
  g_array_set_clear_func (items, mbox_item_clear);
  mbox = mbox_open (path, error_out);
  if (mbox == NULL)
    return FALSE;
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      MboxItem item = { 0 };
      guint ordinal = 0;
      MboxNext next = mbox_next (mbox, settings->parse->max_message_size, buffer, &ordinal,
                                 &error);

      if (next == MBOX_NEXT_END)
        break;
      if (next == MBOX_NEXT_FAILED)
        {
          g_propagate_error (error_out, g_steal_pointer (&error));
          return FALSE;
        }
      item.source = mbox_source (path, ordinal);
      if (next == MBOX_NEXT_TOO_LARGE)
        {
          /* Not read: the hash of its place stands in for that of its
           * bytes, as for unreadable files in ingest.c. */
          g_autofree char *key = g_strconcat ("unreadable\n", item.source, NULL);

          msgfile_sha256 ((const guint8 *) key, strlen (key), item.sha256);
          item.error = g_strdup (error->message);
        }
      else
        {
          msgfile_sha256 (buffer->data, buffer->len, item.sha256);
          item.size = buffer->len;
          item.data = g_bytes_new (buffer->data, buffer->len);
        }
      counts->read++;
      g_array_append_val (items, item);
      if (items->len >= settings->batch_size && !flush (ingest, store, items, counts, error_out))
        return FALSE;
    }
  return items->len == 0 || flush (ingest, store, items, counts, error_out);
}
