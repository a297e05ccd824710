/* report-html.h - the report of `bounced report --format=html`
 *
 * One self-contained HTML5 file: inline CSS and inline SVG charts, no
 * script, no external resource of any kind (a Content-Security-Policy of
 * default-src 'none' says so to the browser), so that it can be mailed or
 * archived and still shows the same thing years later.
 */
#pragma once

#include <glib.h>
#include "report-data.h"

G_BEGIN_DECLS

/* Chart geometry (SVG user units = CSS pixels). */
#define REPORT_HTML_CHART_WIDTH 960
#define REPORT_HTML_CHART_HEIGHT 320
/* Most x-axis labels drawn; days in between get a tick only. */
#define REPORT_HTML_MAX_X_LABELS 10

/**
 * report_html_append:
 * Appends the whole HTML document for @data to @out: summary figures,
 * daily bounce rate (or count) lines for the top providers, a stacked bar
 * of reasons per day, and tables of the top domains and providers, reasons,
 * parse failures and suppressions.  Every text of @data is escaped.
 */
void report_html_append (GString *out, const ReportData *data);

/* A threshold line of a rate chart: @value (a fraction) and its label. */
typedef struct {
  double value;
  const char *label;
} ReportThreshold;

/**
 * report_html_line_chart:
 * Appends an inline <svg> of @series (ReportSeries*) over @days (the slots:
 * days, or weeks labelled by their first day when @weekly), one line per
 * series; values are rates shown as percentages when @is_rate.  @unit
 * titles the y axis; @thresholds (@n_thresholds of them) are drawn as
 * dashed lines with their labels.  Only series with a point get a legend.
 */
void report_html_line_chart (GString *out, GPtrArray *days, gboolean weekly, GPtrArray *series,
                             gboolean is_rate, const char *title, const char *unit,
                             const ReportThreshold *thresholds, guint n_thresholds);

/**
 * report_html_stacked_bars:
 * Appends an inline <svg> with one bar per slot of @days (a day, or a week
 * when @weekly), stacking the values of each series of @series in order.
 */
void report_html_stacked_bars (GString *out, GPtrArray *days, gboolean weekly,
                               GPtrArray *series, const char *title);

G_END_DECLS
