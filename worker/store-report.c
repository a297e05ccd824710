/* store-report.c - the store: the report of `bounced report`
 *
 * Reads the views of sql/120_views.sql into a ReportData (report-data.h).
 * Part of the store module (store-private.h).
 */
#include "store-private.h"

#include <string.h>

/* Every report query takes the filter as $1 since, $2 until (days,
 * inclusive), $3 recipient domain, $4 campaign (each NULL: any), read once
 * in the CTE p, so that every statement references all four. */
static PGresult *
report_query (Store *store, const char *name, const char *sql, const StoreReportFilter *filter,
              GError **error_out)
{
  const char *params[4] = { filter->since, filter->until, filter->domain, filter->campaign };

  return store_exec (store, name, PGRES_TUPLES_OK, sql, 4, params, error_out);
}

#define P "WITH p AS (SELECT $1::date AS since, $2::date AS until, lower($3::text) AS dom,\n" \
          "                  $4::text AS camp)\n"
/* A day column (or a time column, by its UTC day) within the period. */
#define IN_PERIOD(col) "(p.since IS NULL OR " col " >= p.since) AND (p.until IS NULL OR " col \
                       " <= p.until)"
#define IN_PERIOD_T(col) "(p.since IS NULL OR " col " >= p.since::timestamp AT TIME ZONE 'UTC')" \
                         " AND (p.until IS NULL OR " col " < (p.until + 1)::timestamp AT TIME ZONE 'UTC')"
#define MATCHES(dcol, ccol) "(p.dom IS NULL OR " dcol " = p.dom) AND (p.camp IS NULL OR " ccol \
                            " = p.camp)"
/* The (day, domain) rows every rate of the report is made of: the cells
 * of the period and filter, added up by day and domain (bounce.daily_cells,
 * as bounce.daily_domain_rates is made). */
#define CELLS ", cells AS (\n"                                                          \
  "  SELECT day, recipient_domain, sum(sends)::bigint AS sends, sum(hard)::bigint AS hard,\n" \
  "         sum(soft)::bigint AS soft, sum(complaints)::bigint AS complaints,\n"       \
  "         sum(hard + soft + complaints)::bigint AS bounces\n"                         \
  "    FROM bounce.daily_cells, p\n"                                                    \
  "   WHERE recipient_domain IS NOT NULL AND " IN_PERIOD ("day") "\n"                   \
  "     AND " MATCHES ("recipient_domain", "campaign") "\n"                              \
  "   GROUP BY 1, 2)\n"

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

/* What the rates of the series of @target (filled by report_series()
 * from the same rows) are made of: columns 3 and 4 of @res, the covered
 * hard bounces and the known sends of each (day, name), so that the
 * report can give a week's rate (report_chart_new()). */
static void
report_series_parts (const PGresult *res, ReportData *d, GPtrArray *target)
{
  g_autoptr(GHashTable) day_index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < d->days->len; i++)
    g_hash_table_insert (day_index, g_ptr_array_index (d->days, i), GUINT_TO_POINTER (i + 1));
  for (guint i = 0; i < target->len; i++)
    {
      ReportSeries *s = g_ptr_array_index (target, i);

      report_series_add_ratio (s, d->days->len);
      g_hash_table_insert (by_name, s->name, s);
    }
  for (int row = 0; row < PQntuples (res); row++)
    {
      guint day = GPOINTER_TO_UINT (g_hash_table_lookup (day_index, PQgetvalue (res, row, 0)));
      ReportSeries *s = g_hash_table_lookup (by_name, PQgetvalue (res, row, 1));

      /* (the value itself stays covered_rate()'s) */
      if (day > 0 && s != NULL && !PQgetisnull (res, row, 4))
        {
          g_array_index (s->hits, double, day - 1)
            += PQgetisnull (res, row, 3) ? 0 : store_get_double (res, row, 3);
          g_array_index (s->sends, double, day - 1) += store_get_double (res, row, 4);
        }
    }
}

ReportData *
store_report (Store *store, const StoreReportFilter *filter, GError **error_out)
{
  g_autoptr(ReportData) d = report_data_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(PGresult) res = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gboolean rates;

  g_return_val_if_fail (store != NULL && filter != NULL, NULL);
  d->title = g_strdup ("Bounce report");
  d->generated_at = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  d->since = g_strdup (filter->since);
  d->until = g_strdup (filter->until);
  d->domain = g_strdup (filter->domain);
  d->campaign = g_strdup (filter->campaign);

#define QUERY(name, sql)                                              \
  do {                                                                \
    g_clear_pointer (&res, PQclear);                                  \
    res = report_query (store, name, sql, filter, error_out);         \
    if (res == NULL)                                                  \
      return NULL;                                                    \
  } while (0)

  QUERY ("report kinds",
         P "SELECT m.kind, count(*) FROM bounce.messages m, p\n"
         " WHERE " IN_PERIOD_T ("COALESCE(m.arrival_date, m.message_date, m.delivered_at, m.ingested_at)") "\n"
         "   AND (p.camp IS NULL OR m.campaign = p.camp)\n"
         "   AND (p.dom IS NULL OR EXISTS (SELECT 1 FROM bounce.recipient_outcomes o\n"
         "                                  WHERE o.message_id = m.id AND o.recipient_domain = p.dom))\n"
         " GROUP BY 1 ORDER BY 2 DESC, 1");
  report_counts (res, d->messages_by_kind);

  QUERY ("report groups",
         P "SELECT COALESCE(r.grp, 'unknown'), count(*) FROM bounce.recipient_outcomes o\n"
         "  LEFT JOIN bounce.reasons r ON r.reason = o.reason, p\n"
         " WHERE " IN_PERIOD_T ("o.event_time") " AND " MATCHES ("o.recipient_domain", "o.campaign") "\n"
         " GROUP BY 1 ORDER BY 2 DESC, 1");
  report_counts (res, d->outcomes_by_group);

  /* Reasons with their group, meaning and how many were hard (the legend). */
  QUERY ("report reasons",
         P "SELECT o.reason, count(*), r.grp, r.description, count(*) FILTER (WHERE o.hard_bounce)\n"
         "  FROM bounce.recipient_outcomes o LEFT JOIN bounce.reasons r ON r.reason = o.reason, p\n"
         " WHERE " IN_PERIOD_T ("o.event_time") " AND " MATCHES ("o.recipient_domain", "o.campaign") "\n"
         " GROUP BY 1, 3, 4 ORDER BY 2 DESC, 1");
  report_counts (res, d->outcomes_by_reason);
  for (int row = 0; row < PQntuples (res); row++)
    report_data_add_reason (d->reasons, PQgetvalue (res, row, 0), store_get_text (res, row, 2),
                            store_get_text (res, row, 3), store_get_int (res, row, 1),
                            store_get_int (res, row, 4));

  QUERY ("report totals",
         P CELLS "SELECT " RATE_COLUMNS ("NULL") ",\n"
         "       bounce.covered_sum(hard, sends), bounce.covered_sum(soft, sends),\n"
         "       bounce.covered_sum(complaints, sends),\n"
         "       GREATEST(COALESCE(min(p.until), max(day)) - COALESCE(min(p.since), min(day)) + 1, 0)\n"
         "  FROM cells, p");
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
         P CELLS "SELECT " RATE_COLUMNS ("recipient_domain")
         "  FROM cells GROUP BY 1 HAVING sum(bounces) > 0 ORDER BY sum(bounces) DESC, 1 LIMIT "
         G_STRINGIFY (STORE_REPORT_TOP));
  report_rates (res, d->top_domains);

  QUERY ("report providers",
         P CELLS "SELECT " RATE_COLUMNS ("COALESCE(dp.provider, 'other')")
         "  FROM cells r LEFT JOIN bounce.domain_providers dp ON dp.domain = r.recipient_domain\n"
         " GROUP BY 1 HAVING sum(bounces) > 0 ORDER BY sum(bounces) DESC, 1 LIMIT "
         G_STRINGIFY (STORE_REPORT_TOP));
  report_rates (res, d->top_providers);

  QUERY ("report daily",
         P CELLS "SELECT " RATE_COLUMNS ("to_char(day, 'YYYY-MM-DD')")
         "  FROM cells GROUP BY day ORDER BY day");
  report_rates (res, d->daily);

  QUERY ("report parse failures",
         P "SELECT (SELECT count(*) FROM bounce.parse_failures, p WHERE " IN_PERIOD_T ("ingested_at") "),\n"
         "       to_char(f.ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
         "       f.source, f.error\n"
         "  FROM p LEFT JOIN LATERAL (\n"
         "    SELECT * FROM bounce.parse_failures WHERE " IN_PERIOD_T ("ingested_at") "\n"
         "     ORDER BY ingested_at DESC, id DESC LIMIT " G_STRINGIFY (STORE_REPORT_TOP) ") f ON true");
  d->parse_failures = store_get_int (res, 0, 0);
  for (int row = 0; row < PQntuples (res); row++)
    if (!PQgetisnull (res, row, 2))
      report_data_add_event (d->parse_failure_examples, store_get_text (res, row, 1),
                             store_get_text (res, row, 2), store_get_text (res, row, 3));

  /* Incidents of the period, with their commonest diagnostics. */
  QUERY ("report incidents",
         P "SELECT i.provider, i.reason_group, to_char(i.first_day, 'YYYY-MM-DD'),\n"
         "       to_char(i.last_day, 'YYYY-MM-DD'), i.outcomes, i.peak, i.baseline, i.open,\n"
         "       (SELECT count(*) FROM bounce.incidents WHERE open),\n"
         "       array_to_string(ARRAY(SELECT o.diagnostic FROM bounce.recipient_outcomes o\n"
         "               JOIN bounce.reasons r ON r.reason = o.reason\n"
         "               LEFT JOIN bounce.domain_providers dp ON dp.domain = o.recipient_domain\n"
         "              WHERE r.grp = i.reason_group AND COALESCE(dp.provider, 'other') = i.provider\n"
         "                AND o.event_time >= i.first_at AND o.event_time < i.last_at\n"
         "                AND o.diagnostic IS NOT NULL\n"
         "                AND o.reason IN ('blocked', 'badreputation', 'requireptr', 'authfailure',\n"
         "                                 'spamdetected', 'policyviolation')\n"
         "              GROUP BY o.diagnostic ORDER BY count(*) DESC, o.diagnostic LIMIT 3),\n"
         "              chr(31)),\n"
         "       i.unit, to_char(i.first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
         "       to_char(i.last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')\n"
         "  FROM p LEFT JOIN LATERAL (\n"
         "    SELECT * FROM bounce.incidents\n"
         "     WHERE (p.since IS NULL OR last_day >= p.since) AND (p.until IS NULL OR first_day <= p.until)\n"
         "       AND (p.dom IS NULL OR true) AND (p.camp IS NULL OR true)) i ON true\n"
         " ORDER BY i.last_day DESC, i.outcomes DESC");
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
        x->hourly = g_strcmp0 (store_get_text (res, row, 10), "hour") == 0;
        x->first_at = g_strdup (store_get_text (res, row, 11));
        x->last_at = g_strdup (store_get_text (res, row, 12));
        for (guint k = 0; diags != NULL && diags[k] != NULL; k++)
          g_ptr_array_add (x->diagnostics, g_strdup (diags[k]));
      }

  /* Suppression: the current count, and what was added and lifted in the
   * period by the clock of the outcomes (the deciding event's time; an
   * operator command's own time). */
  QUERY ("report suppressions",
         P "SELECT (SELECT count(*) FROM bounce.suppression_list, p WHERE p.dom IS NULL OR domain = p.dom),\n"
         "       (SELECT count(DISTINCT address) FROM bounce.suppression_log, p\n"
         "         WHERE change = 'suppressed' AND (p.dom IS NULL OR address LIKE '%@' || p.dom)\n"
         "           AND " IN_PERIOD_T ("COALESCE(event_time, logged_at)") "),\n"
         "       (SELECT count(DISTINCT address) FROM bounce.suppression_log, p\n"
         "         WHERE change = 'unsuppressed' AND (p.dom IS NULL OR address LIKE '%@' || p.dom)\n"
         "           AND " IN_PERIOD_T ("COALESCE(event_time, logged_at)") "),\n"
         "       (SELECT count(*) FROM bounce.suppression_list, p\n"
         "         WHERE (p.dom IS NULL OR domain = p.dom) AND " IN_PERIOD_T ("suppressed_at") "),\n"
         "       to_char(l.suppressed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
         "       l.address, l.reason\n"
         "  FROM p LEFT JOIN LATERAL (\n"
         "    SELECT * FROM bounce.suppression_list\n"
         "     WHERE (p.dom IS NULL OR domain = p.dom) AND (p.camp IS NULL OR true)\n"
         "       AND " IN_PERIOD_T ("suppressed_at") "\n"
         "     ORDER BY suppressed_at DESC, address LIMIT " G_STRINGIFY (STORE_REPORT_TOP) ") l ON true");
  d->suppressed_now = store_get_int (res, 0, 0);
  d->suppressed_added = store_get_int (res, 0, 1);
  d->suppressed_lifted = store_get_int (res, 0, 2);
  d->suppressed_listed = store_get_int (res, 0, 3);
  for (int row = 0; row < PQntuples (res); row++)
    if (!PQgetisnull (res, row, 5))
      report_data_add_event (d->suppression_examples, store_get_text (res, row, 4),
                             store_get_text (res, row, 5), store_get_text (res, row, 6));

  /* The days of the charts: the whole period, from since (else the first
   * day with anything) to until (else the last). */
  QUERY ("report days",
         P CELLS ", r AS (SELECT COALESCE(min(p.since), min(day)) AS lo,\n"
         "                 COALESCE(min(p.until), max(day)) AS hi FROM cells, p)\n"
         "SELECT to_char(g, 'YYYY-MM-DD') FROM r, generate_series(r.lo, r.hi, interval '1 day') g\n"
         " WHERE r.lo IS NOT NULL ORDER BY 1");
  for (int row = 0; row < PQntuples (res); row++)
    g_ptr_array_add (d->days, g_strdup (PQgetvalue (res, row, 0)));

  /* Provider lines: hard bounce rates when sends are known for the period
   * (the threshold is about those), else counts of bounces. */
  d->provider_daily_is_rate = rates;
  QUERY ("report chart providers",
         P CELLS "SELECT COALESCE(dp.provider, 'other') FROM cells r\n"
         "  LEFT JOIN bounce.domain_providers dp ON dp.domain = r.recipient_domain\n"
         " GROUP BY 1 HAVING sum(bounces) > 0 ORDER BY sum(bounces) DESC, 1 LIMIT "
         G_STRINGIFY (STORE_REPORT_CHART_PROVIDERS));
  for (int row = 0; row < PQntuples (res); row++)
    g_ptr_array_add (names, g_strdup (PQgetvalue (res, row, 0)));
  if (rates)
    QUERY ("report provider days",
           P CELLS "SELECT to_char(day, 'YYYY-MM-DD'), COALESCE(dp.provider, 'other'),\n"
           "       bounce.covered_rate(hard, sends), bounce.covered_sum(hard, sends),\n"
           "       sum(sends)\n"
           "  FROM cells r LEFT JOIN bounce.domain_providers dp ON dp.domain = r.recipient_domain\n"
           " GROUP BY 1, 2");
  else
    QUERY ("report provider days",
           P CELLS "SELECT to_char(day, 'YYYY-MM-DD'), COALESCE(dp.provider, 'other'), sum(bounces)\n"
           "  FROM cells r LEFT JOIN bounce.domain_providers dp ON dp.domain = r.recipient_domain\n"
           " GROUP BY 1, 2");
  /* A day without known sends has no rate: a gap in the line, not 0. */
  report_series (res, d, d->provider_daily, names, rates ? -1.0 : 0.0);
  if (rates)
    report_series_parts (res, d, d->provider_daily);

  /* Reason bars: the most frequent reasons, the rest as "other". */
  g_ptr_array_set_size (names, 0);
  QUERY ("report chart reasons",
         P "SELECT reason FROM bounce.bounce_events, p\n"
         " WHERE " IN_PERIOD ("day") " AND " MATCHES ("recipient_domain", "campaign") "\n"
         " GROUP BY 1 ORDER BY count(*) DESC, 1");
  for (int row = 0; row < PQntuples (res) && row < STORE_REPORT_CHART_REASONS; row++)
    g_ptr_array_add (names, g_strdup (PQgetvalue (res, row, 0)));
  if (PQntuples (res) > STORE_REPORT_CHART_REASONS)
    g_ptr_array_add (names, g_strdup ("other"));
  QUERY ("report reason days",
         P ", ranked AS (SELECT reason, row_number() OVER (ORDER BY count(*) DESC, reason) AS n\n"
         "                FROM bounce.bounce_events, p\n"
         "               WHERE " IN_PERIOD ("day") " AND " MATCHES ("recipient_domain", "campaign") "\n"
         "               GROUP BY reason)\n"
         "SELECT to_char(e.day, 'YYYY-MM-DD'),\n"
         "       CASE WHEN k.n <= " G_STRINGIFY (STORE_REPORT_CHART_REASONS) " THEN e.reason ELSE 'other' END,\n"
         "       count(*)\n"
         "  FROM bounce.bounce_events e JOIN ranked k ON k.reason = e.reason, p\n"
         " WHERE " IN_PERIOD ("e.day") " AND " MATCHES ("e.recipient_domain", "e.campaign") "\n"
         " GROUP BY 1, 2");
  report_series (res, d, d->reason_daily, names, 0.0);
#undef QUERY
  return g_steal_pointer (&d);
}
