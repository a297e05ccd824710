/* report-data.c - the report of `bounced report`, as JSON and as text tables
 *
 * Invariants:
 *  1. Every array of a ReportData exists (possibly empty), so renderers
 *     never test for NULL arrays.
 *  2. An unknown rate is negative, and is rendered as null (JSON) or "-"
 *     (text), never as 0, which would claim that nothing bounced.
 */
#include "report-data.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

static void
count_free (gpointer p)
{
  ReportCount *c = p;
  g_free (c->name);
  g_free (c);
}

static void
rate_free (gpointer p)
{
  ReportRate *r = p;
  g_free (r->name);
  g_free (r);
}

static void
series_free (gpointer p)
{
  ReportSeries *s = p;
  g_free (s->name);
  g_array_unref (s->values);
  g_clear_pointer (&s->hits, g_array_unref);
  g_clear_pointer (&s->sends, g_array_unref);
  g_free (s);
}

static void
event_free (gpointer p)
{
  ReportEvent *e = p;
  g_free (e->when);
  g_free (e->subject);
  g_free (e->detail);
  g_free (e);
}

static void
incident_free (gpointer p)
{
  ReportIncident *i = p;
  g_free (i->provider);
  g_free (i->reason_group);
  g_free (i->first_day);
  g_free (i->last_day);
  g_free (i->first_at);
  g_free (i->last_at);
  g_ptr_array_unref (i->diagnostics);
  g_free (i);
}

char *
report_data_incident_time (const char *at, const char *day)
{
  /* "YYYY-MM-DDTHH:MM:SSZ" -> "YYYY-MM-DD HH:MM UTC" */
  if (at != NULL && strlen (at) >= 16)
    return g_strdup_printf ("%.10s %.5s UTC", at, at + 11);
  return g_strdup (day != NULL ? day : "");
}

ReportIncident *
report_data_add_incident (GPtrArray *incidents, const char *provider, const char *reason_group,
                          const char *first_day, const char *last_day)
{
  ReportIncident *i = g_new0 (ReportIncident, 1);

  i->provider = g_strdup (provider);
  i->reason_group = g_strdup (reason_group);
  i->first_day = g_strdup (first_day);
  i->last_day = g_strdup (last_day);
  i->diagnostics = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (incidents, i);
  return i;
}

static void
reason_free (gpointer p)
{
  ReportReason *r = p;
  g_free (r->name);
  g_free (r->group);
  g_free (r->description);
  g_free (r);
}

void
report_data_add_reason (GPtrArray *reasons, const char *name, const char *group,
                        const char *description, gint64 outcomes, gint64 hard)
{
  ReportReason *r = g_new0 (ReportReason, 1);

  r->name = g_strdup (name);
  r->group = g_strdup (group);
  r->description = g_strdup (description);
  r->outcomes = outcomes;
  r->hard = hard;
  g_ptr_array_add (reasons, r);
}

/* REASONS.md, "Suppression policy", by group. */
const char *
report_data_reason_meaning (const ReportReason *r)
{
  const char *g = r->group ? r->group : "unknown";

  if (strcmp (g, "recipient") == 0)
    return r->hard == r->outcomes ? "hard bounce: the address is dead, suppressed at once"
           : r->hard == 0 ? "soft: suppressed after repeated bounces"
                          : "hard when permanent (5xx), else soft";
  if (strcmp (g, "mailbox") == 0 || strcmp (g, "infrastructure") == 0
      || strcmp (g, "unknown") == 0)
    return "soft: suppressed after repeated bounces over more than the soft span";
  if (strcmp (g, "complaint") == 0)
    return "complaint: an abuse report suppresses at once";
  if (strcmp (g, "not-a-bounce") == 0)
    return "not a bounce: counted in no rate";
  return "sender-side or message refusal: never suppresses the address";
}

static void
verdict_free (gpointer p)
{
  ReportVerdict *v = p;
  g_free (v->text);
  g_free (v);
}

static void
verdict_add (GPtrArray *out, const char *level, char *text)
{
  ReportVerdict *v = g_new0 (ReportVerdict, 1);

  v->level = level;
  v->text = text;
  g_ptr_array_add (out, v);
}

GPtrArray *
report_data_verdicts (const ReportData *d)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (verdict_free);
  g_autofree char *hard = report_data_format_rate (d->hard_rate);
  g_autofree char *compl = report_data_format_rate (d->complaint_rate);
  g_autofree char *blim = report_data_format_rate (d->bounce_threshold);
  g_autofree char *clim = report_data_format_rate (d->complaint_threshold);
  g_autofree char *ctarget = report_data_format_rate (REPORT_COMPLAINT_TARGET);

  if (d->hard_rate < 0)
    verdict_add (out, "unknown", g_strdup_printf ("Hard bounce rate unknown: no send counts for "
                                                  "the period (threshold %s).", blim));
  else if (d->hard_rate >= d->bounce_threshold)
    verdict_add (out, "over", g_strdup_printf ("Hard bounce rate %s is over the %s threshold: "
                                               "clean the list (suppressed addresses must not "
                                               "be mailed).", hard, blim));
  else
    verdict_add (out, "ok", g_strdup_printf ("Hard bounce rate %s is under the %s threshold.",
                                             hard, blim));
  if (d->complaint_rate < 0)
    verdict_add (out, "unknown", g_strdup_printf ("Complaint rate unknown: no send counts for "
                                                  "the period (limit %s).", clim));
  else if (d->complaint_rate >= d->complaint_threshold)
    verdict_add (out, "over", g_strdup_printf ("Complaint rate %s is over the %s that Google's and "
                                               "Yahoo's bulk-sender guidance allows: mail from "
                                               "this sender is at risk of being refused.",
                                               compl, clim));
  else if (d->complaint_rate >= REPORT_COMPLAINT_TARGET)
    verdict_add (out, "warning", g_strdup_printf ("Complaint rate %s is under the %s limit but "
                                                  "over the %s Google asks bulk senders to stay "
                                                  "under.", compl, clim, ctarget));
  else
    verdict_add (out, "ok", g_strdup_printf ("Complaint rate %s is under Google's %s and the "
                                             "%s limit.", compl, ctarget, clim));
  if (d->open_incidents > 0)
    verdict_add (out, "over", g_strdup_printf ("%" G_GINT64_FORMAT " sender-side incident%s "
                                               "open: a provider is refusing this sender "
                                               "(see below).", d->open_incidents,
                                               d->open_incidents == 1 ? " is" : "s are"));
  return out;
}

static void
csv_cell (GString *out, const char *v)
{
  if (v == NULL)
    return;
  if (strpbrk (v, ",\"\r\n") == NULL)
    {
      g_string_append (out, v);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = v; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
csv_rate (GString *out, double rate)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (out, ',');
  if (rate >= 0)
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.6f", rate));
}

void
report_data_append_csv (GString *out, const ReportData *d)
{
  g_string_append (out, "day,sends,hard,soft,complaints,bounces,covered_bounces,hard_rate,"
                        "soft_rate,complaint_rate\r\n");
  for (guint i = 0; i < d->daily->len; i++)
    {
      const ReportRate *r = g_ptr_array_index (d->daily, i);

      csv_cell (out, r->name);
      g_string_append_c (out, ',');
      if (r->sends >= 0)
        g_string_append_printf (out, "%" G_GINT64_FORMAT, r->sends);
      g_string_append_printf (out, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
                              ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT, r->hard, r->soft,
                              r->complaints, r->bounces, r->covered);
      csv_rate (out, r->hard_rate);
      csv_rate (out, r->soft_rate);
      csv_rate (out, r->complaint_rate);
      g_string_append (out, "\r\n");
    }
}

ReportData *
report_data_new (void)
{
  ReportData *d = g_new0 (ReportData, 1);

  d->messages_by_kind = g_ptr_array_new_with_free_func (count_free);
  d->outcomes_by_group = g_ptr_array_new_with_free_func (count_free);
  d->outcomes_by_reason = g_ptr_array_new_with_free_func (count_free);
  d->top_domains = g_ptr_array_new_with_free_func (rate_free);
  d->top_providers = g_ptr_array_new_with_free_func (rate_free);
  d->parse_failure_examples = g_ptr_array_new_with_free_func (event_free);
  d->suppression_examples = g_ptr_array_new_with_free_func (event_free);
  d->days = g_ptr_array_new_with_free_func (g_free);
  d->provider_daily = g_ptr_array_new_with_free_func (series_free);
  d->reason_daily = g_ptr_array_new_with_free_func (series_free);
  d->incidents = g_ptr_array_new_with_free_func (incident_free);
  d->daily = g_ptr_array_new_with_free_func (rate_free);
  d->reasons = g_ptr_array_new_with_free_func (reason_free);
  d->bounce_threshold = REPORT_BOUNCE_LIMIT;
  d->complaint_threshold = REPORT_COMPLAINT_LIMIT;
  d->sends = -1;
  d->days_with_sends = -1;
  d->hard_rate = d->soft_rate = d->complaint_rate = -1;
  return d;
}

void
report_data_free (ReportData *d)
{
  if (d == NULL)
    return;
  g_free (d->title);
  g_free (d->generated_at);
  g_free (d->since);
  g_ptr_array_unref (d->messages_by_kind);
  g_ptr_array_unref (d->outcomes_by_group);
  g_ptr_array_unref (d->outcomes_by_reason);
  g_ptr_array_unref (d->top_domains);
  g_ptr_array_unref (d->top_providers);
  g_ptr_array_unref (d->parse_failure_examples);
  g_ptr_array_unref (d->suppression_examples);
  g_ptr_array_unref (d->days);
  g_ptr_array_unref (d->provider_daily);
  g_ptr_array_unref (d->reason_daily);
  g_ptr_array_unref (d->incidents);
  g_ptr_array_unref (d->daily);
  g_ptr_array_unref (d->reasons);
  g_free (d->until);
  g_free (d->domain);
  g_free (d->campaign);
  g_free (d);
}

double
report_data_rate (gint64 count, gint64 sends)
{
  return sends > 0 ? (double) count / (double) sends : -1.0;
}

char *
report_data_format_int (gint64 v)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                             v < 0 ? (guint64) -(v + 1) + 1 : (guint64) v);
  GString *out = g_string_new (v < 0 ? "-" : "");
  gsize n = strlen (digits);

  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

char *
report_data_format_rate (double rate)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (rate < 0)
    return g_strdup ("-");
  return g_strconcat (g_ascii_formatd (buf, sizeof buf, "%.2f", rate * 100.0), " %", NULL);
}

double
report_data_share (gint64 part, gint64 whole)
{
  return whole > 0 ? (double) part / (double) whole : -1.0;
}

void
report_data_add_count (GPtrArray *counts, const char *name, gint64 count)
{
  ReportCount *c = g_new0 (ReportCount, 1);

  c->name = g_strdup (name);
  c->count = count;
  g_ptr_array_add (counts, c);
}

ReportRate *
report_data_add_rate (GPtrArray *rates, const char *name, gint64 sends,
                      gint64 hard, gint64 soft, gint64 complaints)
{
  ReportRate *r = g_new0 (ReportRate, 1);

  r->name = g_strdup (name);
  r->sends = sends;
  r->hard = hard;
  r->soft = soft;
  r->complaints = complaints;
  r->bounces = hard + soft + complaints;
  r->covered = sends >= 0 ? r->bounces : 0;
  r->days_with_sends = -1;
  r->hard_rate = report_data_rate (hard, sends);
  r->soft_rate = report_data_rate (soft, sends);
  r->complaint_rate = report_data_rate (complaints, sends);
  g_ptr_array_add (rates, r);
  return r;
}

ReportSeries *
report_data_add_series (GPtrArray *series, const char *name, guint n_days)
{
  ReportSeries *s = g_new0 (ReportSeries, 1);

  s->name = g_strdup (name);
  s->values = g_array_sized_new (FALSE, TRUE, sizeof (double), n_days);
  g_array_set_size (s->values, n_days);
  g_ptr_array_add (series, s);
  return s;
}

static GArray *
zeros (guint n)
{
  GArray *a = g_array_sized_new (FALSE, TRUE, sizeof (double), n);

  g_array_set_size (a, n);
  return a;
}

void
report_series_add_ratio (ReportSeries *s, guint n_days)
{
  g_return_if_fail (s != NULL && s->hits == NULL && s->sends == NULL);
  s->hits = zeros (n_days);
  s->sends = zeros (n_days);
}

void
report_series_set_ratio (ReportSeries *s, guint day, double hits, double sends)
{
  g_return_if_fail (s != NULL && s->hits != NULL && day < s->hits->len);
  g_array_index (s->hits, double, day) = hits;
  g_array_index (s->sends, double, day) = sends;
  g_array_index (s->values, double, day) = sends > 0 ? hits / sends : -1.0;
}

/* ---- the charts' slots ----------------------------------------------------- */

/* Slot of each day of @days (guint per day) into @slot_of, the slots'
 * labels into @slots; weeks when there are more than
 * REPORT_CHART_MAX_DAYS days. */
static gboolean
chart_slots (GPtrArray *days, GArray *slot_of, GPtrArray *slots)
{
  gboolean weekly = days->len > REPORT_CHART_MAX_DAYS;

  for (guint d = 0; d < days->len; d++)
    {
      const char *day = g_ptr_array_index (days, d);
      gboolean starts = TRUE;

      if (weekly && d > 0)
        {
          unsigned y, m, dd;
          GDate date;

          g_date_clear (&date, 1);
          if (sscanf (day, "%4u-%2u-%2u", &y, &m, &dd) == 3
              && g_date_valid_dmy ((GDateDay) dd, (GDateMonth) m, (GDateYear) y))
            {
              g_date_set_dmy (&date, (GDateDay) dd, (GDateMonth) m, (GDateYear) y);
              starts = g_date_get_weekday (&date) == G_DATE_MONDAY;
            }
        }
      if (starts)
        g_ptr_array_add (slots, g_strdup (day));
      g_array_append_vals (slot_of, &(guint) { slots->len - 1 }, 1);
    }
  return weekly;
}

/* @x (not negative) rounded to the nearest whole number (no libm). */
static double
nearest (double x)
{
  return (double) (gint64) (x + 0.5);
}

/* @src by slot: a day's slot is the day's value; a week's is the sum of
 * its days, or for a rate series (@rate) its days' hits over their sends,
 * rounded to 6 decimals as bounce.rate() rounds a day's. */
static void
chart_group (GPtrArray *target, const ReportSeries *src, GArray *slot_of, guint n_slots,
             gboolean rate)
{
  ReportSeries *s = report_data_add_series (target, src->name, n_slots);
  guint n = MIN (slot_of->len, src->values->len);

  if (slot_of->len == n_slots)
    {
      for (guint k = 0; k < n_slots; k++)
        g_array_index (s->values, double, k)
          = k < n ? g_array_index (src->values, double, k) : (rate ? -1.0 : 0.0);
      return;
    }
  if (!rate)
    {
      for (guint d = 0; d < n; d++)
        g_array_index (s->values, double, g_array_index (slot_of, guint, d))
          += MAX (0.0, g_array_index (src->values, double, d));
      return;
    }
  report_series_add_ratio (s, n_slots);
  for (guint d = 0; src->hits != NULL && src->sends != NULL && d < n
                    && d < src->hits->len && d < src->sends->len; d++)
    {
      guint k = g_array_index (slot_of, guint, d);

      g_array_index (s->hits, double, k) += g_array_index (src->hits, double, d);
      g_array_index (s->sends, double, k) += g_array_index (src->sends, double, d);
    }
  /* A rate without its parts cannot be grouped: every week missing. */
  for (guint k = 0; k < n_slots; k++)
    {
      double sends = g_array_index (s->sends, double, k);

      g_array_index (s->values, double, k)
        = sends > 0 ? nearest (g_array_index (s->hits, double, k) / sends * 1e6) / 1e6 : -1.0;
    }
}

ReportChart *
report_chart_new (const ReportData *d)
{
  ReportChart *c = g_new0 (ReportChart, 1);
  g_autoptr(GArray) slot_of = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GHashTable) by_day = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_val_if_fail (d != NULL, c);
  c->slots = g_ptr_array_new_with_free_func (g_free);
  c->provider = g_ptr_array_new_with_free_func (series_free);
  c->complaint = g_ptr_array_new_with_free_func (series_free);
  c->reasons = g_ptr_array_new_with_free_func (series_free);
  c->weekly = chart_slots (d->days, slot_of, c->slots);
  for (guint i = 0; i < d->provider_daily->len; i++)
    chart_group (c->provider, g_ptr_array_index (d->provider_daily, i), slot_of, c->slots->len,
                 d->provider_daily_is_rate);
  for (guint i = 0; i < d->reason_daily->len; i++)
    chart_group (c->reasons, g_ptr_array_index (d->reason_daily, i), slot_of, c->slots->len,
                 FALSE);
  if (d->provider_daily_is_rate)
    {
      /* The complaint rate of each day: its covered complaints (the rate
       * times the sends, a whole number) over its sends. */
      g_autoptr(GPtrArray) days = g_ptr_array_new_with_free_func (series_free);
      ReportSeries *daily = report_data_add_series (days, "complaint rate", d->days->len);

      report_series_add_ratio (daily, d->days->len);
      for (guint i = 0; i < d->daily->len; i++)
        {
          ReportRate *r = g_ptr_array_index (d->daily, i);
          g_hash_table_insert (by_day, r->name, r);
        }
      for (guint k = 0; k < d->days->len; k++)
        {
          const ReportRate *r = g_hash_table_lookup (by_day, g_ptr_array_index (d->days, k));

          if (r != NULL && r->sends > 0 && r->complaint_rate >= 0)
            {
              report_series_set_ratio (daily, k, nearest (r->complaint_rate * (double) r->sends),
                                       (double) r->sends);
              g_array_index (daily->values, double, k) = r->complaint_rate;
            }
          else
            report_series_set_ratio (daily, k, 0, 0);
        }
      chart_group (c->complaint, daily, slot_of, c->slots->len, TRUE);
    }
  return c;
}

void
report_chart_free (ReportChart *c)
{
  if (c == NULL)
    return;
  g_ptr_array_unref (c->slots);
  g_ptr_array_unref (c->provider);
  g_ptr_array_unref (c->complaint);
  g_ptr_array_unref (c->reasons);
  g_free (c);
}

void
report_data_add_event (GPtrArray *events, const char *when, const char *subject,
                       const char *detail)
{
  ReportEvent *e = g_new0 (ReportEvent, 1);

  e->when = g_strdup (when);
  e->subject = g_strdup (subject);
  e->detail = g_strdup (detail);
  g_ptr_array_add (events, e);
}

/* ---- JSON ---------------------------------------------------------------- */

static void
json_rate (JsonBuilder *b, const char *name, double rate)
{
  json_builder_set_member_name (b, name);
  if (rate < 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, rate);
}

static void
json_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value == NULL)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, value);
}

static void
json_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
json_counts (JsonBuilder *b, const char *name, GPtrArray *counts)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  for (guint i = 0; i < counts->len; i++)
    {
      const ReportCount *c = g_ptr_array_index (counts, i);
      json_int (b, c->name, c->count);
    }
  json_builder_end_object (b);
}

static void
json_rates (JsonBuilder *b, const char *name, GPtrArray *rates)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < rates->len; i++)
    {
      const ReportRate *r = g_ptr_array_index (rates, i);

      json_builder_begin_object (b);
      json_string (b, "name", r->name);
      json_builder_set_member_name (b, "sends");
      if (r->sends < 0)
        json_builder_add_null_value (b);
      else
        json_builder_add_int_value (b, r->sends);
      json_int (b, "bounces", r->bounces);
      json_int (b, "hard", r->hard);
      json_int (b, "soft", r->soft);
      json_int (b, "complaints", r->complaints);
      json_int (b, "covered_bounces", r->covered);
      json_builder_set_member_name (b, "days_with_sends");
      if (r->days_with_sends < 0)
        json_builder_add_null_value (b);
      else
        json_builder_add_int_value (b, r->days_with_sends);
      json_rate (b, "hard_rate", r->hard_rate);
      json_rate (b, "soft_rate", r->soft_rate);
      json_rate (b, "complaint_rate", r->complaint_rate);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
json_events (JsonBuilder *b, const char *name, GPtrArray *events,
             const char *subject_name, const char *detail_name)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < events->len; i++)
    {
      const ReportEvent *e = g_ptr_array_index (events, i);

      json_builder_begin_object (b);
      json_string (b, "when", e->when);
      json_string (b, subject_name, e->subject);
      json_string (b, detail_name, e->detail);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
json_series (JsonBuilder *b, const char *name, GPtrArray *series)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  for (guint i = 0; i < series->len; i++)
    {
      const ReportSeries *s = g_ptr_array_index (series, i);

      json_builder_set_member_name (b, s->name);
      json_builder_begin_array (b);
      for (guint k = 0; k < s->values->len; k++)
        json_builder_add_double_value (b, g_array_index (s->values, double, k));
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

void
report_data_append_json (GString *out, const ReportData *d)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_string (b, "title", d->title);
  json_string (b, "generated_at", d->generated_at);
  json_string (b, "since", d->since);
  json_string (b, "until", d->until);
  json_string (b, "domain", d->domain);
  json_string (b, "campaign", d->campaign);
  json_rate (b, "bounce_threshold", d->bounce_threshold);
  json_rate (b, "complaint_threshold", d->complaint_threshold);
  {
    g_autoptr(GPtrArray) verdicts = report_data_verdicts (d);

    json_builder_set_member_name (b, "verdicts");
    json_builder_begin_array (b);
    for (guint i = 0; i < verdicts->len; i++)
      {
        const ReportVerdict *v = g_ptr_array_index (verdicts, i);

        json_builder_begin_object (b);
        json_string (b, "level", v->level);
        json_string (b, "text", v->text);
        json_builder_end_object (b);
      }
    json_builder_end_array (b);
  }
  json_builder_set_member_name (b, "reasons");
  json_builder_begin_array (b);
  for (guint i = 0; i < d->reasons->len; i++)
    {
      const ReportReason *r = g_ptr_array_index (d->reasons, i);

      json_builder_begin_object (b);
      json_string (b, "reason", r->name);
      json_string (b, "group", r->group);
      json_string (b, "meaning", report_data_reason_meaning (r));
      json_string (b, "description", r->description);
      json_int (b, "outcomes", r->outcomes);
      json_int (b, "hard", r->hard);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_counts (b, "messages_by_kind", d->messages_by_kind);
  json_counts (b, "outcomes_by_group", d->outcomes_by_group);
  json_counts (b, "outcomes_by_reason", d->outcomes_by_reason);
  json_builder_set_member_name (b, "sends");
  if (d->sends < 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, d->sends);
  json_int (b, "hard", d->hard);
  json_int (b, "soft", d->soft);
  json_int (b, "complaints", d->complaints);
  json_int (b, "hard_covered", d->hard_covered);
  json_int (b, "soft_covered", d->soft_covered);
  json_int (b, "complaints_covered", d->complaints_covered);
  json_int (b, "period_days", d->period_days);
  json_builder_set_member_name (b, "days_with_sends");
  if (d->days_with_sends < 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, d->days_with_sends);
  json_rate (b, "hard_rate", d->hard_rate);
  json_rate (b, "soft_rate", d->soft_rate);
  json_rate (b, "complaint_rate", d->complaint_rate);
  json_rates (b, "top_domains", d->top_domains);
  json_rates (b, "top_providers", d->top_providers);
  json_rates (b, "daily", d->daily);
  json_int (b, "parse_failures", d->parse_failures);
  json_events (b, "parse_failure_examples", d->parse_failure_examples, "source", "error");
  json_int (b, "suppressed_now", d->suppressed_now);
  json_int (b, "suppressed_added", d->suppressed_added);
  json_int (b, "suppressed_lifted", d->suppressed_lifted);
  json_int (b, "suppressed_listed", d->suppressed_listed);
  json_events (b, "suppression_examples", d->suppression_examples, "address", "reason");
  json_builder_set_member_name (b, "days");
  json_builder_begin_array (b);
  for (guint i = 0; i < d->days->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (d->days, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "provider_daily_is_rate");
  json_builder_add_boolean_value (b, d->provider_daily_is_rate);
  json_series (b, "provider_daily", d->provider_daily);
  json_series (b, "reason_daily", d->reason_daily);
  json_int (b, "open_incidents", d->open_incidents);
  json_builder_set_member_name (b, "incidents");
  json_builder_begin_array (b);
  for (guint i = 0; i < d->incidents->len; i++)
    {
      const ReportIncident *x = g_ptr_array_index (d->incidents, i);

      json_builder_begin_object (b);
      json_string (b, "provider", x->provider);
      json_string (b, "reason_group", x->reason_group);
      json_string (b, "first_day", x->first_day);
      json_string (b, "last_day", x->last_day);
      json_string (b, "unit", x->hourly ? "hour" : "day");
      json_string (b, "first_at", x->first_at);
      json_string (b, "last_at", x->last_at);
      json_int (b, "outcomes", x->outcomes);
      json_int (b, "peak", x->peak);
      json_builder_set_member_name (b, "baseline");
      json_builder_add_double_value (b, x->baseline);
      json_builder_set_member_name (b, "open");
      json_builder_add_boolean_value (b, x->open);
      json_builder_set_member_name (b, "diagnostics");
      json_builder_begin_array (b);
      for (guint k = 0; k < x->diagnostics->len; k++)
        json_builder_add_string_value (b, g_ptr_array_index (x->diagnostics, k));
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  g_string_append (out, text);
  g_string_append_c (out, '\n');
}

/* ---- text ---------------------------------------------------------------- */

/* @v right-aligned in @width columns after a space (width 0: no space,
 * no padding), "-" when negative (unknown). */
static void
text_int (GString *out, int width, gint64 v)
{
  g_autofree char *t = v < 0 ? g_strdup ("-") : report_data_format_int (v);

  if (width > 0)
    g_string_append_printf (out, " %*s", width, t);
  else
    g_string_append (out, t);
}

static void
text_rate (GString *out, double rate)
{
  g_autofree char *t = report_data_format_rate (rate);

  g_string_append_printf (out, " %9s", t);
}

static void
text_counts (GString *out, const char *heading, GPtrArray *counts)
{
  g_string_append_printf (out, "\n%s\n", heading);
  if (counts->len == 0)
    g_string_append (out, "  (none)\n");
  for (guint i = 0; i < counts->len; i++)
    {
      const ReportCount *c = g_ptr_array_index (counts, i);

      g_string_append_printf (out, "  %-24s", c->name);
      text_int (out, 12, c->count);
      g_string_append_c (out, '\n');
    }
}

static void
text_rates (GString *out, const char *heading, GPtrArray *rates)
{
  g_string_append_printf (out, "\n%s\n", heading);
  if (rates->len == 0)
    {
      g_string_append (out, "  (none)\n");
      return;
    }
  g_string_append_printf (out, "  %-28s %11s %8s %8s %8s %9s %9s %9s %8s\n", "name", "sends",
                          "hard", "soft", "compl.", "hard%", "soft%", "compl%", "covered");
  for (guint i = 0; i < rates->len; i++)
    {
      const ReportRate *r = g_ptr_array_index (rates, i);
      g_autofree char *cover = report_data_format_rate (report_data_share (r->covered, r->bounces));

      g_string_append_printf (out, "  %-28s", r->name);
      text_int (out, 11, r->sends);
      text_int (out, 8, r->hard);
      text_int (out, 8, r->soft);
      text_int (out, 8, r->complaints);
      text_rate (out, r->hard_rate);
      text_rate (out, r->soft_rate);
      text_rate (out, r->complaint_rate);
      g_string_append_printf (out, " %8s\n", r->sends < 0 ? "-" : cover);
    }
  g_string_append (out, "  (rates count the bounces of days with known sends only: "
                        "\"covered\" is their share)\n");
}

static void
text_events (GString *out, const char *heading, gint64 total, GPtrArray *events)
{
  g_string_append_printf (out, "\n%s: ", heading);
  text_int (out, 0, total);
  g_string_append_c (out, '\n');
  for (guint i = 0; i < events->len; i++)
    {
      const ReportEvent *e = g_ptr_array_index (events, i);
      g_string_append_printf (out, "  %s  %s  %s\n", e->when ? e->when : "-",
                              e->subject ? e->subject : "-", e->detail ? e->detail : "-");
    }
}

static void
text_rate_line (GString *out, const char *label, gint64 count, gint64 covered, double rate,
                gboolean rates)
{
  g_string_append_printf (out, "  %-22s", label);
  text_int (out, 12, count);
  if (rates)
    {
      text_int (out, 12, covered);
      text_rate (out, rate);
    }
  g_string_append_c (out, '\n');
}

void
report_data_append_table (GString *out, const ReportData *d)
{
  gboolean rates = d->sends >= 0;

  g_string_append_printf (out, "%s\n", d->title ? d->title : "bounced report");
  g_string_append_printf (out, "period: %s to %s", d->since ? d->since : "the beginning",
                          d->until ? d->until : d->generated_at ? d->generated_at : "now");
  if (d->domain != NULL)
    g_string_append_printf (out, ", domain %s", d->domain);
  if (d->campaign != NULL)
    g_string_append_printf (out, ", campaign %s", d->campaign);
  g_string_append_c (out, '\n');
  {
    g_autoptr(GPtrArray) verdicts = report_data_verdicts (d);

    g_string_append (out, "\nVerdict\n");
    for (guint i = 0; i < verdicts->len; i++)
      {
        const ReportVerdict *v = g_ptr_array_index (verdicts, i);
        g_string_append_printf (out, "  %-8s %s\n", strcmp (v->level, "ok") == 0 ? "ok"
                                : strcmp (v->level, "over") == 0 ? "OVER"
                                : strcmp (v->level, "warning") == 0 ? "warning" : "unknown",
                                v->text);
      }
  }
  text_counts (out, "Messages by kind", d->messages_by_kind);
  text_counts (out, "Outcomes by reason group", d->outcomes_by_group);
  if (d->reasons->len > 0)
    {
      g_string_append (out, "\nOutcomes by reason\n");
      for (guint i = 0; i < d->reasons->len; i++)
        {
          const ReportReason *r = g_ptr_array_index (d->reasons, i);

          g_string_append_printf (out, "  %-16s %-17s", r->name, r->group ? r->group : "-");
          text_int (out, 10, r->outcomes);
          g_string_append_printf (out, "  %s\n", report_data_reason_meaning (r));
        }
    }
  g_string_append (out, "\nRates (over sends; vacation, delivered and delay notices excluded)\n");
  if (!rates)
    g_string_append (out, "  sends                  unknown: counts only (bounced sends import)\n");
  else
    {
      g_autofree char *sends = report_data_format_int (d->sends);

      g_string_append_printf (out, "  %-22s %12s  on %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                              " day%s\n", "sends", sends, d->days_with_sends, d->period_days,
                              d->period_days == 1 ? "" : "s");
      g_string_append_printf (out, "  %-22s %12s %12s %9s\n", "", "bounces", "with sends", "rate");
    }
  text_rate_line (out, "hard bounces", d->hard, d->hard_covered, d->hard_rate, rates);
  text_rate_line (out, "soft bounces", d->soft, d->soft_covered, d->soft_rate, rates);
  text_rate_line (out, "complaints", d->complaints, d->complaints_covered, d->complaint_rate,
                  rates);
  if (rates)
    {
      gint64 all = d->hard + d->soft + d->complaints;
      gint64 covered = d->hard_covered + d->soft_covered + d->complaints_covered;
      g_autofree char *share = report_data_format_rate (report_data_share (covered, all));
      g_autofree char *c = report_data_format_int (covered);
      g_autofree char *a = report_data_format_int (all);

      g_string_append_printf (out, "  The rates count only the bounces of days and domains with "
                              "known sends: %s of %s (%s).\n", c, a, share);
    }
  if (d->incidents->len > 0)
    {
      g_string_append_printf (out, "\nSender-side incidents (%" G_GINT64_FORMAT " open)\n",
                              d->open_incidents);
      for (guint i = 0; i < d->incidents->len; i++)
        {
          const ReportIncident *x = g_ptr_array_index (d->incidents, i);
          g_autofree char *n = report_data_format_int (x->outcomes);

          g_autofree char *from
            = report_data_incident_time (x->hourly ? x->first_at : NULL, x->first_day);
          g_autofree char *to
            = report_data_incident_time (x->hourly ? x->last_at : NULL, x->last_day);

          g_string_append_printf (out, "  %s%s, %s refusals: %s to %s, %s outcomes (peak %"
                                  G_GINT64_FORMAT " %s, baseline %.1f)\n",
                                  x->open ? "OPEN " : "", x->provider, x->reason_group,
                                  from, to, n, x->peak, x->hourly ? "an hour" : "a day",
                                  x->baseline);
          for (guint k = 0; k < x->diagnostics->len; k++)
            g_string_append_printf (out, "      %s\n",
                                    (const char *) g_ptr_array_index (x->diagnostics, k));
        }
    }
  text_rates (out, "Top failing domains", d->top_domains);
  text_rates (out, "Top failing providers", d->top_providers);
  text_events (out, "Parse failures", d->parse_failures, d->parse_failure_examples);
  {
    g_autofree char *now = report_data_format_int (d->suppressed_now);
    g_autofree char *added = report_data_format_int (d->suppressed_added);
    g_autofree char *lifted = report_data_format_int (d->suppressed_lifted);

    g_string_append_printf (out, "\nAddresses suppressed: %s now; in the period %s added, %s "
                            "lifted\n", now, added, lifted);
    for (guint i = 0; i < d->suppression_examples->len; i++)
      {
        const ReportEvent *e = g_ptr_array_index (d->suppression_examples, i);
        g_string_append_printf (out, "  %s  %s  %s\n", e->when ? e->when : "-",
                                e->subject ? e->subject : "-", e->detail ? e->detail : "-");
      }
  }
}
