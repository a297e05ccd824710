/* test-report-html.c - the HTML report (worker/report-html.c) and the
 * JSON and text renderings of the same data (worker/report-data.c)
 *
 * The document must be self-contained (no script, no external URL, a CSP
 * of default-src 'none'), escape every text of the data, draw the charts
 * with locale-independent numbers, and render in a real browser: the last
 * test opens it in headless Chromium (tests/render-html.py) and checks the
 * screenshot and the console.
 */
#include "report-data.h"
#include "report-html.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <string.h>
#include <sys/wait.h>

#define N_DAYS 14

/* A report like one of a fortnight of real traffic: three providers with
 * daily rates, a handful of reasons per day, hostile text in names. */
static ReportData *
sample_report (void)
{
  ReportData *d = report_data_new ();
  static const char *const providers[] = { "Google", "Microsoft", "Yahoo" };
  static const char *const reasons[] = { "userunknown", "mailboxfull", "blocked", "other" };

  d->title = g_strdup ("Bounce report <test> & \"friends\"");
  d->generated_at = g_strdup ("2026-11-23T12:00:00Z");
  d->since = g_strdup ("2026-11-10");
  report_data_add_count (d->messages_by_kind, "dsn", 120);
  report_data_add_count (d->messages_by_kind, "error", 2);
  report_data_add_count (d->outcomes_by_group, "recipient", 70);
  report_data_add_count (d->outcomes_by_group, "mailbox", 30);
  report_data_add_count (d->outcomes_by_reason, "userunknown", 70);
  d->sends = 10000;
  d->hard = 70;
  d->soft = 30;
  d->complaints = 3;
  d->hard_covered = 70;
  d->soft_covered = 25;
  d->complaints_covered = 3;
  d->period_days = 14;
  d->days_with_sends = 12;
  d->hard_rate = report_data_rate (d->hard, d->sends);
  d->soft_rate = report_data_rate (d->soft, d->sends);
  d->complaint_rate = report_data_rate (d->complaints, d->sends);
  report_data_add_rate (d->top_domains, "gmail.com", 5000, 40, 10, 2);
  report_data_add_rate (d->top_domains, "<script>alert(1)</script>.example", -1, 5, 0, 0);
  report_data_add_rate (d->top_providers, "Google", 6000, 45, 12, 2);
  d->parse_failures = 2;
  report_data_add_event (d->parse_failure_examples, "2026-11-20T10:00:00Z",
                         "/var/mail/bounces/new/1.eml", "could not parse: no headers");
  d->suppressed_now = 1234;
  d->suppressed_added = 12;
  d->suppressed_lifted = 2;
  d->suppressed_listed = 10;
  report_data_add_event (d->suppression_examples, "2026-11-21T09:00:00Z",
                         "user@example.org", "hard bounce userunknown");
  for (guint i = 0; i < N_DAYS; i++)
    g_ptr_array_add (d->days, g_strdup_printf ("2026-11-%02u", 10 + i));
  d->provider_daily_is_rate = TRUE;
  for (guint p = 0; p < G_N_ELEMENTS (providers); p++)
    {
      ReportSeries *s = report_data_add_series (d->provider_daily, providers[p], N_DAYS);
      for (guint i = 0; i < N_DAYS; i++)
        g_array_index (s->values, double, i) = 0.004 * (p + 1) + 0.001 * (i % 5);
    }
  for (guint r = 0; r < G_N_ELEMENTS (reasons); r++)
    {
      ReportSeries *s = report_data_add_series (d->reason_daily, reasons[r], N_DAYS);
      for (guint i = 0; i < N_DAYS; i++)
        g_array_index (s->values, double, i) = (double) ((r + 1) * 3 + i % 4);
    }
  return d;
}

static char *
render (const ReportData *d)
{
  GString *out = g_string_new (NULL);
  report_html_append (out, d);
  return g_string_free (out, FALSE);
}

static guint
count_of (const char *haystack, const char *needle)
{
  guint n = 0;
  for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
test_self_contained (void)
{
  g_autoptr(ReportData) d = sample_report ();
  g_autofree char *html = render (d);

  g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>\n"));
  g_assert_nonnull (strstr (html, "default-src 'none'"));
  g_assert_null (strstr (html, "<script"));
  g_assert_null (strstr (html, "<link"));
  g_assert_null (strstr (html, "url("));
  g_assert_null (strstr (html, "src="));
  g_assert_null (strstr (html, "href="));
  /* The only URL is the SVG namespace name, which is never fetched. */
  g_assert_cmpuint (count_of (html, "://"), ==, count_of (html, "http://www.w3.org/2000/svg"));
  g_assert_true (g_str_has_suffix (html, "</html>\n"));
}

static void
test_escaping (void)
{
  g_autoptr(ReportData) d = sample_report ();
  g_autofree char *html = render (d);

  g_assert_null (strstr (html, "<script>alert"));
  g_assert_nonnull (strstr (html, "&lt;script&gt;alert(1)&lt;/script&gt;.example"));
  g_assert_nonnull (strstr (html, "Bounce report &lt;test&gt; &amp; &quot;friends&quot;"));
}

static void
test_charts (void)
{
  g_autoptr(ReportData) d = sample_report ();
  g_autofree char *html = render (d);

  /* Providers' hard bounce rates, complaint rates, reasons. */
  g_assert_cmpuint (count_of (html, "<svg "), ==, 3);
  /* Threshold lines: the bounce threshold, the complaint limit and
   * Google's target, each labelled. */
  g_assert_cmpuint (count_of (html, "class=\"threshold\""), ==, 3);
  g_assert_nonnull (strstr (html, ">threshold 2.00 %</text>"));
  g_assert_nonnull (strstr (html, ">limit 0.30 %</text>"));
  g_assert_nonnull (strstr (html, ">Google 0.10 %</text>"));
  /* Dates with their year, axes with their unit. */
  g_assert_nonnull (strstr (html, "class=\"xlabel\" text-anchor=\"middle\" x=\""));
  g_assert_nonnull (strstr (html, ">2026-11-10</text>"));
  g_assert_nonnull (strstr (html, ">hard bounces, % of sends</text>"));
  g_assert_nonnull (strstr (html, ">complaints, % of sends</text>"));
  g_assert_nonnull (strstr (html, ">outcomes per day</text>"));
  g_assert_nonnull (strstr (html, ">day (UTC)</text>"));
  /* The complaint series has no point (no daily figures): no legend. */
  g_assert_null (strstr (html, "class=\"legend\" x=\"796.0\" y=\"45.0\">complaint rate<"));
  g_assert_null (strstr (html, ">complaint rate</text>"));
  /* A verdict in words. */
  g_assert_nonnull (strstr (html, "class=\"verdict ok\">Hard bounce rate 0.70 % is under the 2.00 % threshold."));
  /* One line per provider, one marker per provider and day. */
  g_assert_cmpuint (count_of (html, "<polyline "), ==, 3);
  g_assert_cmpuint (count_of (html, "<circle "), ==, 3 * N_DAYS);
  /* Stacked bars: one rect per reason and day, plus a legend swatch per
   * series of both charts. */
  g_assert_cmpuint (count_of (html, "<rect "), ==, 4 * N_DAYS + 4 + 3);
  /* Rates as percentages on the axis: max 0.016 -> nice ceiling 2%. */
  g_assert_nonnull (strstr (html, ">2%</text>"));
  /* At most REPORT_HTML_MAX_X_LABELS day labels. */
  g_assert_cmpuint (count_of (html, "class=\"xlabel\""), <=, 3 * REPORT_HTML_MAX_X_LABELS);
}

/* A long report: @n_days from Wednesday 2026-01-07, one provider whose
 * daily hard bounce rate is hits over sends that vary by day (so that a
 * week's rate is not the mean of its days' rates), a week without sends,
 * reason counts and daily complaint figures. */
static ReportData *
long_report (guint n_days)
{
  ReportData *d = report_data_new ();
  g_autoptr(GDateTime) start = g_date_time_new_utc (2026, 1, 7, 0, 0, 0);
  ReportSeries *p, *r;

  d->sends = 1;
  d->provider_daily_is_rate = TRUE;
  for (guint i = 0; i < n_days; i++)
    {
      g_autoptr(GDateTime) day = g_date_time_add_days (start, (gint) i);
      g_ptr_array_add (d->days, g_date_time_format (day, "%Y-%m-%d"));
    }
  p = report_data_add_series (d->provider_daily, "Google", n_days);
  report_series_add_ratio (p, n_days);
  r = report_data_add_series (d->reason_daily, "userunknown", n_days);
  for (guint i = 0; i < n_days; i++)
    {
      /* Days 40 to 50 (Monday 2026-02-16 to Thursday 2026-02-26): no sends. */
      gboolean sent = i < 40 || i > 50;
      double sends = sent ? 100.0 + 900.0 * (i % 7 == 3) : 0;
      double hits = sent ? (double) (i % 5) : 0;
      gint64 complaints = (gint64) (i % 3);

      report_series_set_ratio (p, i, hits, sends);
      /* bounce.rate() rounds a day's rate to 6 decimals */
      if (sent)
        g_array_index (p->values, double, i) = (double) (gint64) (hits / sends * 1e6 + 0.5) / 1e6;
      g_array_index (r->values, double, i) = (double) (i % 4);
      if (sent)
        report_data_add_rate (d->daily, g_ptr_array_index (d->days, i), (gint64) sends,
                              (gint64) hits, 0, complaints);
    }
  return d;
}

static void
test_weekly (void)
{
  static const guint lengths[] = { REPORT_CHART_MAX_DAYS, REPORT_CHART_MAX_DAYS + 1, 200, 400 };

  for (gsize c = 0; c < G_N_ELEMENTS (lengths); c++)
    {
      guint n_days = lengths[c];
      g_autoptr(ReportData) d = long_report (n_days);
      g_autoptr(ReportChart) chart = report_chart_new (d);
      g_autofree char *html = render (d);
      const ReportSeries *p = g_ptr_array_index (d->provider_daily, 0);
      const ReportSeries *r = g_ptr_array_index (d->reason_daily, 0);
      const ReportSeries *gp, *gr, *gc;
      guint n_slots = 0, points = 0, bars = 0, differs = 0;
      gboolean weekly = n_days > REPORT_CHART_MAX_DAYS;

      g_test_message ("%u days", n_days);
      g_assert_cmpint (chart->weekly, ==, weekly);
      gp = g_ptr_array_index (chart->provider, 0);
      gr = g_ptr_array_index (chart->reasons, 0);
      gc = g_ptr_array_index (chart->complaint, 0);
      /* The test's own grouping: a slot starts on the first day and, for
       * weeks, on each Monday (2026-01-07 is a Wednesday: days 5, 12, ...). */
      for (guint first = 0; first < n_days; n_slots++)
        {
          guint last = weekly ? MIN (n_days, first == 0 ? 5 : first + 7) : first + 1;
          double hits = 0, sends = 0, sum = 0, chits = 0, csends = 0, mean = 0;
          guint known = 0;
          double want;

          g_assert_cmpuint (n_slots, <, chart->slots->len);
          g_assert_cmpstr (g_ptr_array_index (chart->slots, n_slots), ==,
                           g_ptr_array_index (d->days, first));
          for (guint i = first; i < last; i++)
            {
              double v = g_array_index (p->values, double, i);

              hits += g_array_index (p->hits, double, i);
              sends += g_array_index (p->sends, double, i);
              sum += g_array_index (r->values, double, i);
              if (v >= 0)
                {
                  mean += v;
                  known++;
                  chits += (double) (i % 3);
                  csends += g_array_index (p->sends, double, i);
                }
            }
          want = sends > 0 ? (double) (gint64) (hits / sends * 1e6 + 0.5) / 1e6 : -1;
          if (!weekly)
            want = g_array_index (p->values, double, first);
          g_assert_cmpfloat_with_epsilon (g_array_index (gp->values, double, n_slots), want, 1e-12);
          if (known > 0 && ABS (mean / known - want) > 1e-6)
            differs++;
          g_assert_cmpfloat (g_array_index (gr->values, double, n_slots), ==, sum);
          want = csends > 0 ? chits / csends : -1;
          if (weekly && csends > 0)
            want = (double) (gint64) (want * 1e6 + 0.5) / 1e6;
          g_assert_cmpfloat_with_epsilon (g_array_index (gc->values, double, n_slots), want,
                                          weekly ? 1e-12 : 1e-6);
          points += g_array_index (gp->values, double, n_slots) >= 0;
          points += g_array_index (gc->values, double, n_slots) >= 0;
          bars += sum > 0;
          first = last;
        }
      g_assert_cmpuint (chart->slots->len, ==, n_slots);
      if (weekly)
        {
          /* The week of 2026-02-16 has no sends: no rate, a gap. */
          guint k = 0;
          while (k < chart->slots->len
                 && strcmp (g_ptr_array_index (chart->slots, k), "2026-02-16") != 0)
            k++;
          g_assert_cmpuint (k, <, chart->slots->len);
          g_assert_cmpfloat (g_array_index (gp->values, double, k), <, 0);
          /* Averaging the days' rates would have given other figures. */
          g_assert_cmpuint (differs, >, 0);
          g_assert_nonnull (strstr (html, ">outcomes per week</text>"));
          g_assert_nonnull (strstr (html, ">week (UTC, from Monday; labelled by its first day)</text>"));
          g_assert_nonnull (strstr (html, "Outcomes per week by reason"));
          g_assert_nonnull (strstr (html, "<title>Google week of 2026-01-12: "));
          g_assert_null (strstr (html, ">day (UTC)</text>"));
        }
      else
        {
          g_assert_cmpuint (n_slots, ==, n_days);
          g_assert_nonnull (strstr (html, ">day (UTC)</text>"));
          g_assert_nonnull (strstr (html, ">outcomes per day</text>"));
        }
      /* One marker per slot with a rate, one bar per slot with outcomes
       * (plus the legend swatch of each of the three charts). */
      g_assert_cmpuint (count_of (html, "<circle "), ==, points);
      g_assert_cmpuint (count_of (html, "<rect "), ==, bars + 3);
    }
}

static void
test_decimal_comma_locale (void)
{
  g_autoptr(ReportData) d = sample_report ();
  g_autofree char *html = NULL;
  g_autofree char *saved = g_strdup (setlocale (LC_NUMERIC, NULL));

  /* If no such locale is installed the test still checks the C locale. */
  setlocale (LC_NUMERIC, "de_DE.UTF-8");
  html = render (d);
  setlocale (LC_NUMERIC, saved);
  g_assert_null (strstr (html, "points=\"64,"));   /* "64,0" would be a German 64.0 */
  g_assert_nonnull (strstr (html, "points=\""));
  g_assert_true (g_regex_match_simple ("points=\"[0-9]+\\.[0-9],[0-9]+\\.[0-9] ", html, 0, 0));
}

static void
test_gap (void)
{
  g_autoptr(ReportData) d = sample_report ();
  g_autofree char *html = NULL;
  ReportSeries *google = g_ptr_array_index (d->provider_daily, 0);

  /* A day without sends in the middle of the first line: two pieces and
   * one marker less, never a drop to 0. */
  g_array_index (google->values, double, 5) = -1;
  html = render (d);
  g_assert_cmpuint (count_of (html, "<polyline "), ==, 4);
  g_assert_cmpuint (count_of (html, "<circle "), ==, 3 * N_DAYS - 1);
  g_assert_null (strstr (html, "Google 2026-11-15"));
}

static void
test_empty (void)
{
  g_autoptr(ReportData) d = report_data_new ();
  g_autofree char *html = render (d);

  g_assert_cmpuint (count_of (html, "no data for this period"), ==, 2);
  g_assert_nonnull (strstr (html, "No send counts are known"));
  g_assert_null (strstr (html, "<polyline"));
}

static void
test_counts_without_sends (void)
{
  g_autoptr(ReportData) d = sample_report ();
  g_autofree char *html = NULL;

  d->sends = -1;
  d->hard_rate = d->soft_rate = d->complaint_rate = -1;
  d->provider_daily_is_rate = FALSE;
  html = render (d);
  g_assert_nonnull (strstr (html, "Bounces per day by provider (no send counts known)"));
  g_assert_nonnull (strstr (html, ">hard bounces<"));
  g_assert_null (strstr (html, "hard bounce rate"));
}

static void
test_json (void)
{
  g_autoptr(ReportData) d = sample_report ();
  GString *out = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *o;

  report_data_append_json (out, d);
  g_assert_true (json_parser_load_from_data (parser, out->str, -1, &error));
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (o, "sends"), ==, 10000);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "hard_rate"), 0.007, 1e-9);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "days")), ==, N_DAYS);
  /* An unknown rate is null, not 0. */
  {
    JsonArray *domains = json_object_get_array_member (o, "top_domains");
    JsonObject *second = json_array_get_object_element (domains, 1);
    g_assert_true (json_object_get_null_member (second, "sends"));
    g_assert_true (json_object_get_null_member (second, "hard_rate"));
  }
  g_string_free (out, TRUE);
}

static void
test_table (void)
{
  g_autoptr(ReportData) d = sample_report ();
  GString *out = g_string_new (NULL);

  report_data_append_table (out, d);
  g_assert_nonnull (strstr (out->str, "period: 2026-11-10 to 2026-11-23T12:00:00Z"));
  g_test_message ("%s", out->str);
  g_assert_nonnull (strstr (out->str, "sends                        10,000  on 12 of 14 days"));
  g_assert_nonnull (strstr (out->str, "hard bounces                     70           70    0.70 %"));
  g_assert_nonnull (strstr (out->str, "soft bounces                     30           25    0.30 %"));
  g_assert_nonnull (strstr (out->str, "known sends: 98 of 103 (95.15 %)"));
  g_assert_nonnull (strstr (out->str, "Addresses suppressed: 1,234 now; in the period 12 added, 2 lifted"));
  g_string_free (out, TRUE);
}

/* Renders the sample in headless Chromium: a non-trivial screenshot and
 * no console error.  Skipped only when Chromium is not installed. */
static void
test_chromium (void)
{
  g_autoptr(ReportData) d = sample_report ();
  g_autofree char *html = render (d);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bounced-report-XXXXXX", &error);
  g_autofree char *file = NULL;
  g_autofree char *script = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_assert_no_error (error);
  file = g_build_filename (dir, "report.html", NULL);
  g_assert_true (g_file_set_contents (file, html, -1, &error));
  script = g_test_build_filename (G_TEST_DIST, "render-html.py", NULL);
  {
    /* The threshold lines, the date labels and the axis titles are on the
     * screen (each in a colour of its own: report-html.c's style). */
    const char *argv[] = { "python3", script, file, "200", "c8102e:20", "3d2b56:5",
                           "1f5f75:5", NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 &out, &err, &status, &error));
  }
  g_assert_no_error (error);
  g_test_message ("%s%s", out, err);
  g_remove (file);
  g_rmdir (dir);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 77)
    {
      g_test_skip ("chromium is not installed (Debian package chromium)");
      return;
    }
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report-html/self-contained", test_self_contained);
  g_test_add_func ("/report-html/escaping", test_escaping);
  g_test_add_func ("/report-html/charts", test_charts);
  g_test_add_func ("/report-html/weekly", test_weekly);
  g_test_add_func ("/report-html/decimal-comma-locale", test_decimal_comma_locale);
  g_test_add_func ("/report-html/gap", test_gap);
  g_test_add_func ("/report-html/empty", test_empty);
  g_test_add_func ("/report-html/counts-without-sends", test_counts_without_sends);
  g_test_add_func ("/report-data/json", test_json);
  g_test_add_func ("/report-data/table", test_table);
  g_test_add_func ("/report-html/chromium", test_chromium);
  return g_test_run ();
}
