/* store-analytics.c - the store: policy, send counts, reprocessing
 *
 * The database side of bounced recompute, suppress, unsuppress, sends
 * import and reprocess.  Part of the store module (store-private.h): every
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

/* ---- reprocessing ------------------------------------------------------ */

void
store_reprocess_stats_init (StoreReprocessStats *stats)
{
  memset (stats, 0, sizeof *stats);
  stats->transitions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  stats->examples = g_ptr_array_new_with_free_func (g_free);
}

void
store_reprocess_stats_clear (StoreReprocessStats *stats)
{
  g_clear_pointer (&stats->transitions, g_hash_table_unref);
  g_clear_pointer (&stats->examples, g_ptr_array_unref);
}

/* Rows with ordinal -1 stand for the file itself, so that files without
 * recipients are counted as known or unknown too (per file: two copies of
 * one message count twice, as the user gave two files). */
static const char reprocess_compare_sql[] =
  "WITH msgs AS (\n"
  "  SELECT DISTINCT s.sha256, m.id FROM pg_temp.bounced_stage_reprocess s\n"
  "    LEFT JOIN bounce.messages m ON m.sha256 = s.sha256 WHERE s.ordinal = -1\n"
  "), pairs AS (\n"
  "  SELECT s.sha256, s.ordinal, s.recipient, s.reason AS new_reason,\n"
  "         s.hard_bounce AS new_hard, o.reason AS old_reason, o.hard_bounce AS old_hard,\n"
  "         o.message_id, m.source\n"
  "    FROM pg_temp.bounced_stage_reprocess s\n"
  "    JOIN msgs k ON k.sha256 = s.sha256 AND k.id IS NOT NULL\n"
  "    JOIN bounce.messages m ON m.id = k.id\n"
  "    LEFT JOIN bounce.recipient_outcomes o ON o.message_id = k.id AND o.ordinal = s.ordinal\n"
  "         AND lower(o.recipient) IS NOT DISTINCT FROM lower(s.recipient)\n"
  "   WHERE s.ordinal >= 0\n"
  "), stored_only AS (\n"
  "  SELECT count(*) AS n FROM bounce.recipient_outcomes o JOIN msgs k ON k.id = o.message_id\n"
  "   WHERE NOT EXISTS (SELECT 1 FROM pg_temp.bounced_stage_reprocess s\n"
  "                      WHERE s.sha256 = k.sha256 AND s.ordinal = o.ordinal\n"
  "                        AND lower(s.recipient) IS NOT DISTINCT FROM lower(o.recipient))\n"
  ")\n"
  "SELECT 'count', (SELECT count(*) FROM pg_temp.bounced_stage_reprocess s\n"
  "                  WHERE s.ordinal = -1 AND s.sha256 IN (SELECT sha256 FROM msgs\n"
  "                                                        WHERE id IS NOT NULL))::text,\n"
  "       (SELECT count(*) FROM pg_temp.bounced_stage_reprocess s\n"
  "         WHERE s.ordinal = -1 AND s.sha256 IN (SELECT sha256 FROM msgs\n"
  "                                               WHERE id IS NULL))::text,\n"
  "       (SELECT count(*) FROM pairs WHERE message_id IS NOT NULL\n"
  "           AND (old_reason, old_hard) IS NOT DISTINCT FROM (new_reason, new_hard))::text,\n"
  "       ((SELECT count(*) FROM pairs WHERE message_id IS NULL)\n"
  "           + (SELECT n FROM stored_only))::text, NULL, NULL\n"
  "UNION ALL\n"
  "SELECT 'change', old_reason || CASE WHEN old_hard THEN ' (hard)' ELSE '' END,\n"
  "       new_reason || CASE WHEN new_hard THEN ' (hard)' ELSE '' END,\n"
  "       recipient, source, sha256, ordinal::text\n"
  "  FROM pairs WHERE message_id IS NOT NULL\n"
  "   AND (old_reason, old_hard) IS DISTINCT FROM (new_reason, new_hard)\n"
  " ORDER BY 1, 6, 7";

static const char reprocess_update_sql[] =
  "WITH upd AS (\n"
  "  UPDATE bounce.recipient_outcomes o\n"
  "     SET reason = s.reason, hard_bounce = s.hard_bounce, evidence = s.evidence\n"
  "    FROM pg_temp.bounced_stage_reprocess s\n"
  "    JOIN bounce.messages m ON m.sha256 = s.sha256\n"
  "   WHERE s.ordinal >= 0 AND o.message_id = m.id AND o.ordinal = s.ordinal\n"
  "     AND lower(o.recipient) IS NOT DISTINCT FROM lower(s.recipient)\n"
  "     AND (o.reason, o.hard_bounce) IS DISTINCT FROM (s.reason, s.hard_bounce)\n"
  "  RETURNING lower(o.recipient) AS address\n"
  "), versions AS (\n"
  "  UPDATE bounce.messages m SET classifier_version = $1\n"
  "    FROM (SELECT DISTINCT sha256 FROM pg_temp.bounced_stage_reprocess) s\n"
  "   WHERE m.sha256 = s.sha256 AND m.classifier_version IS DISTINCT FROM $1\n"
  "  RETURNING 1\n"
  ")\n"
  "SELECT bounce.recompute_recipients(array(SELECT DISTINCT address FROM upd\n"
  "                                          WHERE address IS NOT NULL),\n"
  "                                   'bounced reprocess', true),\n"
  "       (SELECT count(*) FROM versions)";

gboolean
store_reprocess_batch (Store *store, const StoreReprocessItem *items, guint n,
                       gboolean dry_run, StoreReprocessStats *stats, GError **error_out)
{
  g_autoptr(GString) data = g_string_new (NULL);
  g_autoptr(PGresult) cmp = NULL;

  g_return_val_if_fail (store != NULL && stats != NULL, FALSE);
  if (n == 0)
    return TRUE;
  for (guint i = 0; i < n; i++)
    {
      const BounceReport *r = items[i].report;

      store_copy_text (data, items[i].sha256);
      g_string_append (data, "\t-1\t\\N\tundefined\tf\t\\N\n");
      for (guint k = 0; r != NULL && k < r->recipients->len; k++)
        {
          const BounceRecipient *rc = g_ptr_array_index (r->recipients, k);

          store_copy_text (data, items[i].sha256);
          g_string_append_printf (data, "\t%u", k);
          store_copy_sep (data, rc->recipient);
          store_copy_sep (data, rc->reason ? rc->reason : "undefined");
          g_string_append (data, rc->hard_bounce ? "\tt" : "\tf");
          store_copy_sep (data, rc->evidence);
          g_string_append_c (data, '\n');
        }
    }

  if (!store_command (store, "create reprocess staging table",
                      "CREATE TEMP TABLE IF NOT EXISTS bounced_stage_reprocess (\n"
                      "  sha256 text NOT NULL, ordinal int NOT NULL, recipient text,\n"
                      "  reason text NOT NULL, hard_bounce boolean NOT NULL, evidence text\n"
                      ") ON COMMIT DELETE ROWS", error_out)
      || !store_command (store, "begin", "BEGIN", error_out))
    return FALSE;
  if (!store_copy (store, "copy reprocessed outcomes",
                   "COPY pg_temp.bounced_stage_reprocess (sha256, ordinal, recipient, reason,"
                   " hard_bounce, evidence) FROM STDIN", data, error_out))
    goto fail;
  cmp = store_exec (store, "compare outcomes", PGRES_TUPLES_OK, reprocess_compare_sql, 0, NULL,
                    error_out);
  if (cmp == NULL)
    goto fail;
  for (int row = 0; row < PQntuples (cmp); row++)
    {
      if (strcmp (PQgetvalue (cmp, row, 0), "count") == 0)
        {
          stats->known += (guint64) store_get_int (cmp, row, 1);
          stats->unknown += (guint64) store_get_int (cmp, row, 2);
          stats->same += (guint64) store_get_int (cmp, row, 3);
          stats->unmatched += (guint64) store_get_int (cmp, row, 4);
        }
      else
        {
          g_autofree char *key = g_strdup_printf ("%s -> %s", PQgetvalue (cmp, row, 1),
                                                  PQgetvalue (cmp, row, 2));
          guint64 count = GPOINTER_TO_SIZE (g_hash_table_lookup (stats->transitions, key));

          stats->changed++;
          g_hash_table_replace (stats->transitions, g_steal_pointer (&key),
                                GSIZE_TO_POINTER (count + 1));
          if (stats->examples->len < STORE_REPROCESS_EXAMPLES)
            g_ptr_array_add (stats->examples,
                             g_strdup_printf ("%s: %s -> %s (%s)",
                                              store_get_text (cmp, row, 3) ? store_get_text (cmp, row, 3) : "(no recipient)",
                                              PQgetvalue (cmp, row, 1), PQgetvalue (cmp, row, 2),
                                              PQgetvalue (cmp, row, 4)));
        }
    }

  if (dry_run)
    {
      store_rollback (store);
      return TRUE;
    }
  {
    const char *params[1] = { bounce_classifier_version () };
    g_autoptr(PGresult) res = store_exec (store, "update outcomes", PGRES_TUPLES_OK,
                                          reprocess_update_sql, 1, params, error_out);

    if (res == NULL || !store_command (store, "commit", "COMMIT", error_out))
      goto fail;
    stats->addresses += (guint64) store_get_int (res, 0, 0);
  }
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
