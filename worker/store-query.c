/* store-query.c - the store: read-only queries (suppression export)
 *
 * What mailers and analysts read without changing anything.  Part of the
 * store module (store-private.h).  Nothing here needs more than SELECT on
 * the views it names (bounced_mailer: bounce.suppression_list and
 * bounce.suppression_changes()).
 */
#include "store-private.h"

#include <string.h>

#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* Change times to the microsecond, so that the as-of time of one export
 * can be the --since of the next without losing or repeating a change. */
#define ISO_UTC_US(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

gint64
store_suppression_export (Store *store, const char *since, StoreSuppressionFunc row_func,
                          gpointer user_data, char **as_of_out, GError **error_out)
{
  g_autoptr(PGresult) res = NULL;
  g_autofree char *as_of = NULL;
  const char *params[1] = { since };
  gint64 rows = 0;
  gboolean stopped = FALSE;

  g_return_val_if_fail (store != NULL && row_func != NULL, -1);
  if (!store_command (store, "begin export",
                      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", error_out))
    return -1;
  res = store_exec (store, "export time", PGRES_TUPLES_OK,
                    "SELECT " ISO_UTC_US ("now()"), 0, NULL, error_out);
  if (res == NULL)
    goto fail;
  as_of = g_strdup (PQgetvalue (res, 0, 0));
  g_clear_pointer (&res, PQclear);
  if (since == NULL)
    res = store_exec (store, "declare export", PGRES_COMMAND_OK,
                      "DECLARE bounced_export NO SCROLL CURSOR FOR\n"
                      "SELECT address, NULL, domain, " ISO_UTC ("suppressed_at") ", reason, source,\n"
                      "       " ISO_UTC_US ("changed_at") "\n"
                      "  FROM bounce.suppression_list ORDER BY address", 0, NULL, error_out);
  else
    res = store_exec (store, "declare export", PGRES_COMMAND_OK,
                      "DECLARE bounced_export NO SCROLL CURSOR FOR\n"
                      "SELECT address, change, domain, " ISO_UTC ("suppressed_at") ", reason, source,\n"
                      "       " ISO_UTC_US ("changed_at") "\n"
                      "  FROM bounce.suppression_changes($1::timestamptz)", 1, params, error_out);
  if (res == NULL)
    goto fail;
  for (;;)
    {
      g_clear_pointer (&res, PQclear);
      res = store_exec (store, "fetch export", PGRES_TUPLES_OK,
                        "FETCH " G_STRINGIFY (STORE_EXPORT_FETCH) " FROM bounced_export",
                        0, NULL, error_out);
      if (res == NULL)
        goto fail;
      if (PQntuples (res) == 0)
        break;
      for (int i = 0; i < PQntuples (res) && !stopped; i++)
        {
          StoreSuppression row = {
            store_get_text (res, i, 0), store_get_text (res, i, 1), store_get_text (res, i, 2),
            store_get_text (res, i, 3), store_get_text (res, i, 4), store_get_text (res, i, 5),
            store_get_text (res, i, 6),
          };

          stopped = !row_func (&row, user_data);
          rows++;
        }
      if (stopped)
        goto fail;
    }
  g_clear_pointer (&res, PQclear);
  if (!store_command (store, "end export", "COMMIT", error_out))
    goto fail;
  if (as_of_out != NULL)
    *as_of_out = g_steal_pointer (&as_of);
  return rows;

fail:
  store_rollback (store);
  return -1;
}

/* ---- show ------------------------------------------------------------------- */

void
store_shown_message_free (StoreShownMessage *m)
{
  if (m == NULL)
    return;
  g_free (m->sha256);
  g_free (m->source);
  g_ptr_array_unref (m->fields);
  g_ptr_array_unref (m->outcomes);
  g_free (m);
}

/* Appends every column of row @row of @res as name/value pairs. */
static GPtrArray *
row_fields (const PGresult *res, int row, int first_col)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);

  for (int c = first_col; c < PQnfields (res); c++)
    {
      g_ptr_array_add (fields, g_strdup (PQfname (res, c)));
      g_ptr_array_add (fields, g_strdup (store_get_text (res, row, c)));
    }
  return fields;
}

gint
store_show (Store *store, const char *key, GPtrArray *messages_out, GError **error_out)
{
  g_autoptr(PGresult) res = NULL;
  g_autofree char *bracketed = NULL;
  const char *params[2];
  gint n;

  g_return_val_if_fail (store != NULL && key != NULL && messages_out != NULL, -1);
  bracketed = key[0] == '<' ? g_strdup (key) : g_strdup_printf ("<%s>", key);
  params[0] = key;
  params[1] = bracketed;
  res = store_exec (store, "show messages", PGRES_TUPLES_OK,
                    "SELECT id, sha256, source, kind, format, size, reporting_mta,\n"
                    "       " ISO_UTC ("arrival_date") " AS arrival_date,\n"
                    "       " ISO_UTC ("message_date") " AS message_date,\n"
                    "       " ISO_UTC ("delivered_at") " AS delivered_at,\n"
                    "       original_message_id, original_subject, campaign, classifier_version,\n"
                    "       " ISO_UTC ("ingested_at") " AS ingested_at, error\n"
                    "  FROM bounce.messages\n"
                    " WHERE sha256 = lower($1) OR original_message_id IN ($1, $2)\n"
                    " ORDER BY ingested_at, id", 2, params, error_out);
  if (res == NULL)
    return -1;
  n = PQntuples (res);
  for (int i = 0; i < n; i++)
    {
      StoreShownMessage *m = g_new0 (StoreShownMessage, 1);
      g_autoptr(PGresult) outs = NULL;
      const char *id[1] = { PQgetvalue (res, i, 0) };

      m->sha256 = g_strdup (PQgetvalue (res, i, 1));
      m->source = g_strdup (PQgetvalue (res, i, 2));
      m->fields = row_fields (res, i, 1);
      m->outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
      g_ptr_array_add (messages_out, m);
      outs = store_exec (store, "show outcomes", PGRES_TUPLES_OK,
                         "SELECT o.ordinal, o.recipient, o.reason, r.grp AS reason_group,\n"
                         "       o.hard_bounce, o.action, o.status, o.reply_code,\n"
                         "       " ISO_UTC ("o.event_time") " AS event_time, o.event_time_source,\n"
                         "       o.remote_mta, o.diagnostic, o.evidence, o.campaign\n"
                         "  FROM bounce.recipient_outcomes o\n"
                         "  LEFT JOIN bounce.reasons r ON r.reason = o.reason\n"
                         " WHERE o.message_id = $1::bigint ORDER BY o.ordinal",
                         1, id, error_out);
      if (outs == NULL)
        return -1;
      for (int k = 0; k < PQntuples (outs); k++)
        g_ptr_array_add (m->outcomes, row_fields (outs, k, 0));
    }
  return n;
}
