/* report-data.h - what `bounced report` shows, independent of the format
 *
 * The store fills a ReportData from the views of the bounce schema; the
 * renderers turn it into a table for terminals, JSON, or one HTML file
 * (report-html.h).  Counts are exact; rates are fractions (0.015 = 1.5 %),
 * or negative when no sends are known for the row.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A label and a count ("dsn" 120, "recipient" 42). */
typedef struct {
  char *name;
  gint64 count;
} ReportCount;

/**
 * ReportRate:
 * Bounces of one recipient domain or mailbox provider.
 * @name: the domain or provider.
 * @sends: messages sent, or -1 when unknown.
 * @bounces: hard + soft + complaints.
 * @covered: the bounces that fall on days (and domains) with known sends:
 *   the rates count these only, over @sends.
 * @days_with_sends: days of the period with known sends.
 * @hard_rate, @soft_rate, @complaint_rate: over @sends, or -1 when unknown.
 */
typedef struct {
  char *name;
  gint64 sends;
  gint64 hard;
  gint64 soft;
  gint64 complaints;
  gint64 bounces;
  gint64 covered;
  gint64 days_with_sends;
  double hard_rate;
  double soft_rate;
  double complaint_rate;
} ReportRate;

/* One line (or one stacked component) of a daily chart: @values has one
 * double per entry of ReportData.days; a negative value is missing (a day
 * without known sends has no rate), and breaks a line there.  A rate
 * series may carry what each day's rate is made of, @hits over @sends
 * (doubles per day, NULL when not given), so that a week's rate can be
 * computed from its days (report_chart_new()). */
typedef struct {
  char *name;
  GArray *values;
  GArray *hits;
  GArray *sends;
} ReportSeries;

/**
 * ReportIncident:
 * A sender-side incident (bounce.incidents): refusals of one reason group
 * at one provider far above their baseline.
 * @hourly: found by the hour (within a day that is no incident day);
 *   @peak and @baseline then count an hour.
 * @first_at, @last_at: (nullable) when it began and ended, UTC
 *   ("YYYY-MM-DDTHH:MM:SSZ"; the end of its last day or hour).
 * @diagnostics: char*, the commonest diagnostic texts in it.
 */
typedef struct {
  char *provider;
  char *reason_group;
  char *first_day;
  char *last_day;
  gboolean hourly;
  char *first_at;
  char *last_at;
  gint64 outcomes;
  gint64 peak;
  double baseline;
  gboolean open;
  GPtrArray *diagnostics;
} ReportIncident;

/* A reason with its group and meaning, for the legend. */
typedef struct {
  char *name;
  char *group;          /* nullable */
  char *description;    /* nullable */
  gint64 outcomes;
  gint64 hard;          /* of them, hard bounces */
} ReportReason;

/* The published limits the verdicts compare with (bounced(1), REPORT
 * THRESHOLDS): Google's and Yahoo's bulk-sender guidance keeps spam
 * complaints under 0.3 % (Google asks for under 0.1 %); the bounce
 * threshold is the hard bounce rate over sends, 2 % unless configured. */
#define REPORT_COMPLAINT_LIMIT 0.003
#define REPORT_COMPLAINT_TARGET 0.001
#define REPORT_BOUNCE_LIMIT 0.02

/* A verdict in plain words: @level "ok", "warning", "over" or "unknown". */
typedef struct {
  const char *level;
  char *text;
} ReportVerdict;

/* A parse failure or a suppression, for the lists at the end. */
typedef struct {
  char *when;      /* ISO 8601 */
  char *subject;   /* source path, or address */
  char *detail;    /* error text, or reason */
} ReportEvent;

/**
 * ReportData:
 * @title: heading of the report.
 * @generated_at: ISO 8601 time of the report.
 * @since: (nullable): first day covered ("YYYY-MM-DD"), NULL for all time;
 *   @until: (nullable): the last day; @domain, @campaign: (nullable) the
 *   filters.
 * @bounce_threshold, @complaint_threshold: the limits of the verdicts and
 *   the threshold lines (fractions; REPORT_BOUNCE_LIMIT, ..._COMPLAINT_LIMIT
 *   by default).
 * @daily: ReportRate* named by day ("YYYY-MM-DD"), the totals of each day.
 * @reasons: ReportReason*, most outcomes first.
 * @messages_by_kind, @outcomes_by_group, @outcomes_by_reason: ReportCount*.
 * @sends: messages sent in the period, or -1 when no send counts are known.
 * @hard, @soft, @complaints: outcomes of each class in the period
 *   (vacation and delivered never count).
 * @hard_covered, @soft_covered, @complaints_covered: those of them on days
 *   and domains with known sends: the numerators of the rates.
 * @period_days: days in the period (from its first to its last day);
 *   @days_with_sends: days of it with known sends.
 * @hard_rate, @soft_rate, @complaint_rate: the covered counts over @sends,
 *   -1 when unknown.
 * @top_domains, @top_providers: ReportRate*, most bounces first.
 * @parse_failures: how many messages could not be parsed;
 *   @parse_failure_examples: ReportEvent*, the latest.
 * @suppressed_now: addresses on the suppression list now;
 *   @suppressed_added, @suppressed_lifted: addresses suppressed / lifted
 *   in the period (by the time of the deciding event, or of the operator
 *   command);
 *   @suppressed_listed: addresses of the current list suppressed in the
 *   period; @suppression_examples: ReportEvent*, the latest of them (when:
 *   the deciding event).
 * @days: char* "YYYY-MM-DD", the x axis of the daily charts, in order.
 * @provider_daily: ReportSeries*, per top provider its daily bounce rate
 *   (when @provider_daily_is_rate) or daily bounce count.
 * @reason_daily: ReportSeries*, per reason (the most frequent, then
 *   "other") its count per day.
 * @incidents: ReportIncident*, those of the period, latest first;
 *   @open_incidents: how many incidents are open now (whatever the
 *   period): `bounced report` then exits with status 4.
 */
typedef struct {
  char *title;
  char *generated_at;
  char *since;
  char *until;
  char *domain;
  char *campaign;
  double bounce_threshold;
  double complaint_threshold;
  GPtrArray *daily;
  GPtrArray *reasons;
  GPtrArray *messages_by_kind;
  GPtrArray *outcomes_by_group;
  GPtrArray *outcomes_by_reason;
  gint64 sends;
  gint64 hard;
  gint64 soft;
  gint64 complaints;
  gint64 hard_covered;
  gint64 soft_covered;
  gint64 complaints_covered;
  gint64 period_days;
  gint64 days_with_sends;
  double hard_rate;
  double soft_rate;
  double complaint_rate;
  GPtrArray *top_domains;
  GPtrArray *top_providers;
  gint64 parse_failures;
  GPtrArray *parse_failure_examples;
  gint64 suppressed_now;
  gint64 suppressed_added;
  gint64 suppressed_lifted;
  gint64 suppressed_listed;
  GPtrArray *suppression_examples;
  GPtrArray *days;
  GPtrArray *provider_daily;
  gboolean provider_daily_is_rate;
  GPtrArray *reason_daily;
  GPtrArray *incidents;
  gint64 open_incidents;
} ReportData;

/* An empty report (every array empty, rates -1).  Returns: (transfer full). */
ReportData *report_data_new (void);

/* Constructors that append to the arrays of @data; strings are copied. */
void report_data_add_count (GPtrArray *counts, const char *name, gint64 count);
ReportRate *report_data_add_rate (GPtrArray *rates, const char *name, gint64 sends,
                                  gint64 hard, gint64 soft, gint64 complaints);
ReportSeries *report_data_add_series (GPtrArray *series, const char *name, guint n_days);
void report_data_add_reason (GPtrArray *reasons, const char *name, const char *group,
                             const char *description, gint64 outcomes, gint64 hard);

/* What a reason means for the address, in words ("hard bounce: the address
 * is dead", "sender-side: never suppresses", ...). */
const char *report_data_reason_meaning (const ReportReason *reason);

/**
 * report_data_verdicts:
 * The plain-language verdicts of @data against its thresholds: the hard
 * bounce rate, the complaint rate, open incidents.  Returns: (transfer
 * full) ReportVerdict* (free with the array).
 */
GPtrArray *report_data_verdicts (const ReportData *data);

/* Appends @data's daily figures as CSV (RFC 4180, header line, CRLF). */
void report_data_append_csv (GString *out, const ReportData *data);

/* When an incident began or ended, for people: @at ("YYYY-MM-DDTHH:MM:SSZ")
 * as "YYYY-MM-DD HH:MM UTC", else @day.  Returns: (transfer full). */
char *report_data_incident_time (const char *at, const char *day);

ReportIncident *report_data_add_incident (GPtrArray *incidents, const char *provider,
                                          const char *reason_group, const char *first_day,
                                          const char *last_day);
void report_data_add_event (GPtrArray *events, const char *when, const char *subject,
                            const char *detail);

/* The rate @count / @sends, or -1 when @sends is not positive. */
double report_data_rate (gint64 count, gint64 sends);

/* @part / @whole, or -1 when @whole is not positive. */
double report_data_share (gint64 part, gint64 whole);

/* @v with thousands separators ("1,234,567"; the report is in English).
 * Returns: (transfer full). */
char *report_data_format_int (gint64 v);

/* A rate as a percentage with two decimals ("0.36 %"), "-" when negative
 * (unknown).  Returns: (transfer full). */
char *report_data_format_rate (double rate);

/* Appends @data as one JSON object (pretty-printed, ends with a newline). */
void report_data_append_json (GString *out, const ReportData *data);

/* Appends @data as plain text tables for a terminal. */
void report_data_append_table (GString *out, const ReportData *data);

void report_data_free (ReportData *data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReportData, report_data_free)

/* Gives @s (a series of @n_days) the arrays of report_series_set_ratio(). */
void report_series_add_ratio (ReportSeries *s, guint n_days);

/* Day @day of the rate series @s is @hits over @sends (its value too: -1
 * when @sends is not positive). */
void report_series_set_ratio (ReportSeries *s, guint day, double hits, double sends);

/* Up to this many days, the charts have one slot per day; beyond, one per
 * week: 120 daily slots are about 5 pixels each on the report's 800-pixel
 * charts, the narrowest a bar and its tooltip can still be aimed at, and
 * a week is the next unit senders plan by (bounced(1), report). */
#define REPORT_CHART_MAX_DAYS 120

/**
 * ReportChart:
 * The x axis and the series of the report's charts (bounced report
 * --format=html), from the daily figures of a ReportData.
 * @weekly: the slots are weeks (more than REPORT_CHART_MAX_DAYS days).
 * @slots: char*, "YYYY-MM-DD": the day, or the first day of the week in the
 *   period (weeks run from Monday, UTC; the first and the last may be
 *   partial).
 * @provider: ReportSeries*, ReportData.provider_daily by slot: a count is
 *   the sum of its days; a rate is its days' hits over their sends (the
 *   series must carry them, else the slot is missing), missing when no day
 *   of it has sends.
 * @complaint: ReportSeries*, one ("complaint rate"), from ReportData.daily,
 *   its complaints over its sends; empty when the provider series are not
 *   rates.
 * @reasons: ReportSeries*, ReportData.reason_daily by slot (sums).
 */
typedef struct {
  gboolean weekly;
  GPtrArray *slots;
  GPtrArray *provider;
  GPtrArray *complaint;
  GPtrArray *reasons;
} ReportChart;

/* Returns: (transfer full) the charts' slots and series of @data. */
ReportChart *report_chart_new (const ReportData *data);
void report_chart_free (ReportChart *chart);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReportChart, report_chart_free)

G_END_DECLS
