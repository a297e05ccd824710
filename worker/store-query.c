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
