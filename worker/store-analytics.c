/* store-analytics.c - the store: policy, send counts, retention
 *
 * The database side of bounced recompute, suppress, unsuppress, sends
 * import and retention (reprocess is store-reprocess.c).  Part of the
 * store module (store-private.h): every
 * statement goes through store_exec/store_copy like the rest of it, and no
 * function leaves a transaction open on failure.  The policy itself is SQL
 * (sql/100_policy.sql: bounce.recompute_recipient); these functions call it.
 */
#include "store-private.h"
#include "sends-csv.h"

#include <string.h>

gboolean
store_policy_set (Store *store, const StorePolicy *policy, int *version_out,
                  gboolean *changed_out, GError **error_out)
{
  g_autofree char *count = NULL;
  g_autofree char *days = NULL;
  const char *params[2];
  g_autoptr(PGresult) res = NULL;

  g_return_val_if_fail (store != NULL && policy != NULL, FALSE);
  count = g_strdup_printf ("%u", policy->soft_count);
  days = g_strdup_printf ("%u", policy->soft_days);
  params[0] = count;
  params[1] = days;
  res = store_exec_in_transaction (store, "set policy", PGRES_TUPLES_OK,
                                   "WITH old AS (SELECT version FROM bounce.policy)\n"
                                   "SELECT bounce.set_policy($1::int, $2::int), (SELECT version FROM old)",
                                   2, params, error_out);
  if (res == NULL)
    return FALSE;
  if (version_out != NULL)
    *version_out = (int) store_get_int (res, 0, 0);
  if (changed_out != NULL)
    *changed_out = store_get_int (res, 0, 0) != store_get_int (res, 0, 1);
  return TRUE;
}

gint64
store_recompute (Store *store, const char *command, StoreProgressFunc progress,
                 gpointer user_data, GError **error_out)
{
  g_autoptr(PGresult) total_res = NULL;
  g_autofree char *last = g_strdup ("");
  g_autofree char *chunk = g_strdup_printf ("%d", STORE_RECOMPUTE_CHUNK);
  guint64 total, done = 0;
  gint64 changed = 0;

  g_return_val_if_fail (store != NULL, -1);
  total_res = store_exec (store, "count recipients", PGRES_TUPLES_OK,
                          "SELECT count(*) FROM bounce.recipients", 0, NULL, error_out);
  if (total_res == NULL)
    return -1;
  total = (guint64) store_get_int (total_res, 0, 0);

  /* Chunks in address order (keyset pagination), each in a transaction of
   * its own, so that a huge table is never locked at once and a run that
   * stops half-way has still brought the first chunks in line. */
  for (;;)
    {
      const char *params[3] = { last, chunk, command };
      g_autoptr(PGresult) res =
        store_exec_in_transaction (store, "recompute recipients", PGRES_TUPLES_OK,
                                   "WITH a AS (SELECT address FROM bounce.recipients\n"
                                   "            WHERE address > $1 ORDER BY address LIMIT $2::int)\n"
                                   "SELECT bounce.recompute_recipients(array(SELECT address FROM a), $3, true),\n"
                                   "       (SELECT max(address) FROM a), (SELECT count(*) FROM a)",
                                   3, params, error_out);

      if (res == NULL)
        return -1;
      if (store_get_int (res, 0, 2) <= 0)
        break;
      changed += store_get_int (res, 0, 0);
      done += (guint64) store_get_int (res, 0, 2);
      g_free (last);
      last = g_strdup (PQgetvalue (res, 0, 1));
      if (progress != NULL)
        progress (done, MAX (total, done), user_data);
    }
  return changed;
}

int
store_operator_set (Store *store, const char *address, const char *action,
                    const char *note, GError **error_out)
{
  const char *params[3] = { address, action, note };
  g_autoptr(PGresult) res = NULL;

  g_return_val_if_fail (store != NULL && address != NULL && action != NULL, -1);
  res = store_exec_in_transaction (store, "set operator decision", PGRES_TUPLES_OK,
                                   "SELECT bounce.operator_set($1, $2, $3)", 3, params,
                                   error_out);
  if (res == NULL)
    return -1;
  return strcmp (PQgetvalue (res, 0, 0), "t") == 0 ? 1 : 0;
}

gboolean
store_sends_import (Store *store, GPtrArray *rows, guint64 *inserted_out,
                    guint64 *replaced_out, GError **error_out)
{
  g_autoptr(GString) data = g_string_new (NULL);
  g_autoptr(PGresult) res = NULL;

  g_return_val_if_fail (store != NULL && rows != NULL, FALSE);
  for (guint i = 0; i < rows->len; i++)
    {
      const SendsCsvRow *row = g_ptr_array_index (rows, i);

      store_copy_text (data, row->day);
      store_copy_sep (data, row->campaign);
      store_copy_sep (data, row->recipient_domain);
      g_string_append_printf (data, "\t%" G_GINT64_FORMAT "\n", row->count);
    }
  if (!store_command (store, "create sends staging table",
                      "CREATE TEMP TABLE IF NOT EXISTS bounced_stage_sends (\n"
                      "  day date NOT NULL, campaign text, recipient_domain text NOT NULL,\n"
                      "  sent bigint NOT NULL) ON COMMIT DELETE ROWS", error_out)
      || !store_command (store, "begin", "BEGIN", error_out))
    return FALSE;
  if (!store_copy (store, "copy send counts",
                   "COPY pg_temp.bounced_stage_sends (day, campaign, recipient_domain, sent) FROM STDIN",
                   data, error_out))
    goto fail;
  /* A re-import of the same key replaces the count: the file says what
   * was sent, not what to add (xmax = 0 tells an insert from an update). */
  res = store_exec (store, "import send counts", PGRES_TUPLES_OK,
                    "WITH up AS (\n"
                    "  INSERT INTO bounce.send_counts AS s (day, campaign, recipient_domain, sent)\n"
                    "  SELECT day, campaign, recipient_domain, sent FROM pg_temp.bounced_stage_sends\n"
                    "   ORDER BY day, campaign, recipient_domain\n"
                    "  ON CONFLICT (day, campaign, recipient_domain)\n"
                    "  DO UPDATE SET sent = EXCLUDED.sent, updated_at = now()\n"
                    "  RETURNING (xmax = 0) AS inserted)\n"
                    "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up",
                    0, NULL, error_out);
  if (res == NULL || !store_command (store, "commit", "COMMIT", error_out))
    goto fail;
  if (inserted_out != NULL)
    *inserted_out = (guint64) store_get_int (res, 0, 0);
  if (replaced_out != NULL)
    *replaced_out = (guint64) store_get_int (res, 0, 1);
  return TRUE;

fail:
  store_rollback (store);
  return FALSE;
}

/* ---- retention ----------------------------------------------------------- */

void
store_month_free (StoreMonth *m)
{
  if (m == NULL)
    return;
  g_free (m->partition);
  g_free (m->month);
  g_free (m);
}

gboolean
store_retention (Store *store, const char *before, gboolean drop, GPtrArray *months_out,
                 GError **error_out)
{
  const char *params[2] = { before, drop ? "t" : "f" };
  g_autoptr(PGresult) res = NULL;

  g_return_val_if_fail (store != NULL && before != NULL && months_out != NULL, FALSE);
  if (!store_command (store, "begin retention", "BEGIN", error_out))
    return FALSE;
  res = store_exec (store, "move default partition", PGRES_TUPLES_OK,
                    "SELECT count(*) FROM bounce.prepare_outcome_months()", 0, NULL, error_out);
  if (res == NULL)
    goto fail;
  g_clear_pointer (&res, PQclear);
  res = store_exec (store, "drop outcome months", PGRES_TUPLES_OK,
                    "SELECT partition, to_char(month, 'YYYY-MM'), outcomes\n"
                    "  FROM bounce.drop_outcome_months($1::date, $2::boolean)",
                    2, params, error_out);
  if (res == NULL || !store_command (store, "commit retention", "COMMIT", error_out))
    goto fail;
  for (int i = 0; i < PQntuples (res); i++)
    {
      StoreMonth *m = g_new0 (StoreMonth, 1);

      m->partition = g_strdup (PQgetvalue (res, i, 0));
      m->month = g_strdup (PQgetvalue (res, i, 1));
      m->outcomes = store_get_int (res, i, 2);
      g_ptr_array_add (months_out, m);
    }
  return TRUE;

fail:
  store_rollback (store);
  return FALSE;
}
