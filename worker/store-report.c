/* store-report.c - the store: the report of `bounced report`
 *
 * Reads the views of sql/120_views.sql into a ReportData (report-data.h).
 * Part of the store module (store-private.h).
 */
#include "store-private.h"

#include <string.h>

/* Runs a report query with the one parameter $1 = since (NULL: all). */
static PGresult *
report_query (Store *store, const char *name, const char *sql, const char *since,
              GError **error_out)
{
  const char *params[1] = { since };

  return store_exec (store, name, PGRES_TUPLES_OK, sql, 1, params, error_out);
}

/* Columns of RATE_COLUMNS: name, sends, hard, soft, complaints, the three
 * rates (bounce.covered_rate: the bounces of the rows whose sends are known
 * over those sends), the bounces they count, and the days with known sends.
 * The rows are those of bounce.daily_domain_rates (day x domain). */
#define RATE_COLUMNS(name)                                                       \
  name ", sum(sends), sum(hard), sum(soft), sum(complaints),\n"                  \
  "       bounce.covered_rate(hard, sends), bounce.covered_rate(soft, sends),\n" \
  "       bounce.covered_rate(complaints, sends), bounce.covered_sum(bounces, sends),\n" \
  "       count(DISTINCT day) FILTER (WHERE sends IS NOT NULL)\n"

static void
report_rates (const PGresult *res, GPtrArray *rates)
{
  for (int row = 0; row < PQntuples (res); row++)
    {
      ReportRate *r = report_data_add_rate (rates, PQgetvalue (res, row, 0), store_get_int (res, row, 1),
                                            store_get_int (res, row, 2), store_get_int (res, row, 3),
                                            store_get_int (res, row, 4));
      r->hard_rate = store_get_double (res, row, 5);
      r->soft_rate = store_get_double (res, row, 6);
      r->complaint_rate = store_get_double (res, row, 7);
      r->covered = store_get_int (res, row, 8);
      r->days_with_sends = store_get_int (res, row, 9);
    }
}

static void
report_counts (const PGresult *res, GPtrArray *counts)
{
  for (int row = 0; row < PQntuples (res); row++)
    report_data_add_count (counts, PQgetvalue (res, row, 0), store_get_int (res, row, 1));
}

/* Fills series of @target from rows (day, name, value) of @res, creating
 * them in the order of @names. */
static void
report_series (const PGresult *res, ReportData *d, GPtrArray *target, GPtrArray *names,
               double missing)
{
  g_autoptr(GHashTable) day_index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < d->days->len; i++)
    g_hash_table_insert (day_index, g_ptr_array_index (d->days, i), GUINT_TO_POINTER (i + 1));
  for (guint i = 0; i < names->len; i++)
    {
      ReportSeries *s = report_data_add_series (target, g_ptr_array_index (names, i), d->days->len);
      for (guint k = 0; k < d->days->len; k++)
        g_array_index (s->values, double, k) = missing;
      g_hash_table_insert (by_name, s->name, s);
    }
  for (int row = 0; row < PQntuples (res); row++)
    {
      guint day = GPOINTER_TO_UINT (g_hash_table_lookup (day_index, PQgetvalue (res, row, 0)));
      ReportSeries *s = g_hash_table_lookup (by_name, PQgetvalue (res, row, 1));

      if (day > 0 && s != NULL && !PQgetisnull (res, row, 2))
        {
          double *v = &g_array_index (s->values, double, day - 1);
          *v = MAX (*v, 0.0) + store_get_double (res, row, 2);
        }
    }
}

/* The period: outcomes with event day >= since; "$1::date IS NULL" makes
 * one statement serve both. */
#define SINCE_DAY "($1::date IS NULL OR day >= $1::date)"
#define SINCE_TIME(col) "($1::date IS NULL OR " col " >= $1::date::timestamp AT TIME ZONE 'UTC')"

ReportData *
store_report (Store *store, const char *since, GError **error_out)
{
  g_autoptr(ReportData) d = report_data_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(PGresult) res = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gboolean rates;

  g_return_val_if_fail (store != NULL, NULL);
  d->title = g_strdup ("Bounce report");
  d->generated_at = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  d->since = g_strdup (since);

#define QUERY(name, sql)                                              \
  do {                                                                \
    g_clear_pointer (&res, PQclear);                                  \
    res = report_query (store, name, sql, since, error_out);          \
    if (res == NULL)                                                  \
      return NULL;                                                    \
  } while (0)

  QUERY ("report kinds",
         "SELECT kind, count(*) FROM bounce.messages\n"
         " WHERE " SINCE_TIME ("COALESCE(arrival_date, message_date, ingested_at)") "\n"
         " GROUP BY kind ORDER BY 2 DESC, 1");
  report_counts (res, d->messages_by_kind);

  QUERY ("report groups",
         "SELECT COALESCE(r.grp, 'unknown'), count(*) FROM bounce.recipient_outcomes o\n"
         "  LEFT JOIN bounce.reasons r ON r.reason = o.reason\n"
         " WHERE " SINCE_TIME ("o.event_time") "\n"
         " GROUP BY 1 ORDER BY 2 DESC, 1");
  report_counts (res, d->outcomes_by_group);

  QUERY ("report reasons",
         "SELECT reason, count(*) FROM bounce.recipient_outcomes\n"
         " WHERE " SINCE_TIME ("event_time") "\n"
         " GROUP BY 1 ORDER BY 2 DESC, 1");
  report_counts (res, d->outcomes_by_reason);

  /* Rates over sends count only the bounces of the days and domains whose
   * sends are known: bounces of other domains have no denominator. */
  QUERY ("report totals",
         "SELECT " RATE_COLUMNS ("NULL") ",\n"
         "       bounce.covered_sum(hard, sends), bounce.covered_sum(soft, sends),\n"
         "       bounce.covered_sum(complaints, sends),\n"
         "       GREATEST(max(day) - COALESCE($1::date, min(day)) + 1, 0)\n"
         "  FROM bounce.daily_domain_rates WHERE " SINCE_DAY);
  d->sends = store_get_int (res, 0, 1);
  d->hard = MAX (0, store_get_int (res, 0, 2));
  d->soft = MAX (0, store_get_int (res, 0, 3));
  d->complaints = MAX (0, store_get_int (res, 0, 4));
  d->hard_rate = store_get_double (res, 0, 5);
  d->soft_rate = store_get_double (res, 0, 6);
  d->complaint_rate = store_get_double (res, 0, 7);
  d->days_with_sends = d->sends >= 0 ? store_get_int (res, 0, 9) : -1;
  d->hard_covered = store_get_int (res, 0, 10);
  d->soft_covered = store_get_int (res, 0, 11);
  d->complaints_covered = store_get_int (res, 0, 12);
  d->period_days = MAX (0, store_get_int (res, 0, 13));
  rates = d->sends > 0;

  QUERY ("report domains",
         "SELECT " RATE_COLUMNS ("recipient_domain")
         "  FROM bounce.daily_domain_rates WHERE " SINCE_DAY "\n"
         " GROUP BY 1 HAVING sum(bounces) > 0 ORDER BY sum(bounces) DESC, 1 LIMIT "
         G_STRINGIFY (STORE_REPORT_TOP));
  report_rates (res, d->top_domains);

  /* Providers from the domain rows, so that a rate counts exactly the
   * bounces of the domains whose sends are known. */
  QUERY ("report providers",
         "SELECT " RATE_COLUMNS ("COALESCE(p.provider, 'other')")
         "  FROM bounce.daily_domain_rates r\n"
         "  LEFT JOIN bounce.domain_providers p ON p.domain = r.recipient_domain\n"
         " WHERE " SINCE_DAY "\n"
         " GROUP BY 1 HAVING sum(bounces) > 0 ORDER BY sum(bounces) DESC, 1 LIMIT "
         G_STRINGIFY (STORE_REPORT_TOP));
  report_rates (res, d->top_providers);

  QUERY ("report parse failures",
         "SELECT (SELECT count(*) FROM bounce.parse_failures WHERE " SINCE_TIME ("ingested_at") "),\n"
         "       to_char(ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
         "       source, error\n"
         "  FROM (SELECT 1) one LEFT JOIN LATERAL (\n"
         "    SELECT * FROM bounce.parse_failures WHERE " SINCE_TIME ("ingested_at") "\n"
         "     ORDER BY ingested_at DESC, id DESC LIMIT " G_STRINGIFY (STORE_REPORT_TOP) ") f ON true");
  d->parse_failures = store_get_int (res, 0, 0);
  for (int row = 0; row < PQntuples (res); row++)
    if (!PQgetisnull (res, row, 2))
      report_data_add_event (d->parse_failure_examples, store_get_text (res, row, 1),
                             store_get_text (res, row, 2), store_get_text (res, row, 3));

  /* Incidents of the period, with their commonest diagnostics. */
  QUERY ("report incidents",
         "SELECT provider, reason_group, to_char(first_day, 'YYYY-MM-DD'),\n"
         "       to_char(last_day, 'YYYY-MM-DD'), outcomes, peak, baseline, open,\n"
         "       (SELECT count(*) FROM bounce.incidents WHERE open),\n"
         "       array_to_string(ARRAY(SELECT o.diagnostic FROM bounce.recipient_outcomes o\n"
         "               JOIN bounce.reasons r ON r.reason = o.reason\n"
         "               LEFT JOIN bounce.domain_providers dp ON dp.domain = o.recipient_domain\n"
         "              WHERE r.grp = i.reason_group AND COALESCE(dp.provider, 'other') = i.provider\n"
         "                AND o.event_time >= i.first_day::timestamp AT TIME ZONE 'UTC'\n"
         "                AND o.event_time < (i.last_day + 1)::timestamp AT TIME ZONE 'UTC'\n"
         "                AND o.diagnostic IS NOT NULL\n"
         "                AND o.reason IN ('blocked', 'badreputation', 'requireptr', 'authfailure',\n"
         "                                 'spamdetected', 'policyviolation')\n"
         "              GROUP BY o.diagnostic ORDER BY count(*) DESC, o.diagnostic LIMIT 3),\n"
         "              chr(31))\n"
         "  FROM (SELECT 1) one LEFT JOIN LATERAL (\n"
         "    SELECT * FROM bounce.incidents WHERE ($1::date IS NULL OR last_day >= $1::date)) i\n"
         "    ON true\n"
         " ORDER BY last_day DESC, outcomes DESC");
  d->open_incidents = MAX (0, store_get_int (res, 0, 8));
  for (int row = 0; row < PQntuples (res); row++)
    if (!PQgetisnull (res, row, 0))
      {
        ReportIncident *x = report_data_add_incident (d->incidents, store_get_text (res, row, 0),
                                                      store_get_text (res, row, 1),
                                                      store_get_text (res, row, 2),
                                                      store_get_text (res, row, 3));
        /* the diagnostics, separated by the unit separator (US, 0x1f) */
        g_auto(GStrv) diags = PQgetisnull (res, row, 9) || PQgetvalue (res, row, 9)[0] == '\0'
                                ? NULL : g_strsplit (PQgetvalue (res, row, 9), "\x1f", -1);

        x->outcomes = store_get_int (res, row, 4);
        x->peak = store_get_int (res, row, 5);
        x->baseline = store_get_double (res, row, 6);
        x->open = g_strcmp0 (store_get_text (res, row, 7), "t") == 0;
        for (guint k = 0; diags != NULL && diags[k] != NULL; k++)
          g_ptr_array_add (x->diagnostics, g_strdup (diags[k]));
      }

  /* Suppression: the current count, and what was added and lifted in the
   * period by the clock of the outcomes (the deciding event's time; an
   * operator command's own time). */
  QUERY ("report suppressions",
         "SELECT (SELECT count(*) FROM bounce.suppression_list),\n"
         "       (SELECT count(DISTINCT address) FROM bounce.suppression_log\n"
         "         WHERE change = 'suppressed'\n"
         "           AND " SINCE_TIME ("COALESCE(event_time, logged_at)") "),\n"
         "       (SELECT count(DISTINCT address) FROM bounce.suppression_log\n"
         "         WHERE change = 'unsuppressed'\n"
         "           AND " SINCE_TIME ("COALESCE(event_time, logged_at)") "),\n"
         "       (SELECT count(*) FROM bounce.suppression_list\n"
         "         WHERE " SINCE_TIME ("suppressed_at") "),\n"
         "       to_char(l.suppressed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
         "       l.address, l.reason\n"
         "  FROM (SELECT 1) one LEFT JOIN LATERAL (\n"
         "    SELECT * FROM bounce.suppression_list\n"
         "     WHERE " SINCE_TIME ("suppressed_at") "\n"
         "     ORDER BY suppressed_at DESC, address LIMIT " G_STRINGIFY (STORE_REPORT_TOP) ") l ON true");
  d->suppressed_now = store_get_int (res, 0, 0);
  d->suppressed_added = store_get_int (res, 0, 1);
  d->suppressed_lifted = store_get_int (res, 0, 2);
  d->suppressed_listed = store_get_int (res, 0, 3);
  for (int row = 0; row < PQntuples (res); row++)
    if (!PQgetisnull (res, row, 5))
      report_data_add_event (d->suppression_examples, store_get_text (res, row, 4),
                             store_get_text (res, row, 5), store_get_text (res, row, 6));

  /* The days of the charts: every day from the first to the last bounce
   * of the period, at most STORE_REPORT_MAX_DAYS (the latest). */
  QUERY ("report days",
         "WITH r AS (SELECT min(day) AS lo, max(day) AS hi FROM bounce.bounce_events\n"
         "            WHERE " SINCE_DAY ")\n"
         "SELECT to_char(g, 'YYYY-MM-DD') FROM r,\n"
         "       generate_series(GREATEST(r.lo, r.hi - " G_STRINGIFY (STORE_REPORT_MAX_DAYS - 1) "),\n"
         "                       r.hi, interval '1 day') g\n"
         " WHERE r.lo IS NOT NULL ORDER BY 1");
  for (int row = 0; row < PQntuples (res); row++)
    g_ptr_array_add (d->days, g_strdup (PQgetvalue (res, row, 0)));

  /* Provider lines: rates when sends are known for the period, else
   * counts (a rate over unknown sends would be invented). */
  d->provider_daily_is_rate = rates;
  QUERY ("report chart providers",
         "SELECT provider FROM bounce.daily_provider_rates WHERE " SINCE_DAY "\n"
         " GROUP BY 1 HAVING sum(bounces) > 0 ORDER BY sum(bounces) DESC, 1 LIMIT "
         G_STRINGIFY (STORE_REPORT_CHART_PROVIDERS));
  for (int row = 0; row < PQntuples (res); row++)
    g_ptr_array_add (names, g_strdup (PQgetvalue (res, row, 0)));
  if (rates)
    QUERY ("report provider days",
           "SELECT to_char(day, 'YYYY-MM-DD'), COALESCE(p.provider, 'other'),\n"
           "       bounce.covered_rate(bounces, sends)\n"
           "  FROM bounce.daily_domain_rates r\n"
           "  LEFT JOIN bounce.domain_providers p ON p.domain = r.recipient_domain\n"
           " WHERE " SINCE_DAY " GROUP BY 1, 2");
  else
    QUERY ("report provider days",
           "SELECT to_char(day, 'YYYY-MM-DD'), provider, sum(bounces)\n"
           "  FROM bounce.daily_provider_rates WHERE " SINCE_DAY " GROUP BY 1, 2");
  /* A day without known sends has no rate: a gap in the line, not 0. */
  report_series (res, d, d->provider_daily, names, rates ? -1.0 : 0.0);

  /* Reason bars: the most frequent reasons, the rest as "other". */
  g_ptr_array_set_size (names, 0);
  QUERY ("report chart reasons",
         "SELECT reason FROM bounce.bounce_events WHERE " SINCE_DAY "\n"
         " GROUP BY 1 ORDER BY count(*) DESC, 1");
  for (int row = 0; row < PQntuples (res) && row < STORE_REPORT_CHART_REASONS; row++)
    g_ptr_array_add (names, g_strdup (PQgetvalue (res, row, 0)));
  if (PQntuples (res) > STORE_REPORT_CHART_REASONS)
    g_ptr_array_add (names, g_strdup ("other"));
  {
    g_autoptr(GPtrArray) kept = g_ptr_array_new ();
    g_autofree char *list = NULL;
    const char *params[2] = { since, NULL };

    for (guint i = 0; i < names->len && i < STORE_REPORT_CHART_REASONS; i++)
      g_ptr_array_add (kept, g_ptr_array_index (names, i));
    g_ptr_array_add (kept, NULL);
    /* The reasons kept, as a PostgreSQL array literal: reason names are
     * lower-case words, but quote them anyway. */
    {
      GString *l = g_string_new ("{");
      for (guint i = 0; kept->pdata[i] != NULL; i++)
        {
          g_string_append (l, i ? ",\"" : "\"");
          g_string_append (l, kept->pdata[i]);
          g_string_append_c (l, '"');
        }
      g_string_append_c (l, '}');
      list = g_string_free (l, FALSE);
    }
    params[1] = list;
    g_clear_pointer (&res, PQclear);
    res = store_exec (store, "report reason days", PGRES_TUPLES_OK,
                      "SELECT to_char(day, 'YYYY-MM-DD'),\n"
                      "       CASE WHEN reason = ANY ($2::text[]) THEN reason ELSE 'other' END,\n"
                      "       count(*)\n"
                      "  FROM bounce.bounce_events WHERE " SINCE_DAY " GROUP BY 1, 2",
                      2, params, error_out);
    if (res == NULL)
      return NULL;
    report_series (res, d, d->reason_daily, names, 0.0);
  }
#undef QUERY
  return g_steal_pointer (&d);
}
