/* report-html.c - a ReportData as one self-contained HTML file with SVG charts
 *
 * Invariants:
 *  1. Nothing is fetched: no <script>, no <link>, no url(); the only
 *     graphics are inline <svg> elements (HTML5 section 4.8.15, embedded
 *     SVG).  The CSP meta element makes the browser enforce it.
 *  2. Every string that comes from the data is escaped for HTML text and
 *     attribute context (g_markup_escape_text escapes & < > " ').
 *  3. Numbers are written with g_ascii_formatd, never printf("%f"), so that
 *     a locale with a decimal comma cannot break the SVG coordinates.
 *  4. Charts with no data say so instead of drawing empty axes.
 */
#include "report-html.h"

#include <string.h>

#define MARGIN_LEFT 72
#define MARGIN_RIGHT 180
#define MARGIN_TOP 36
#define MARGIN_BOTTOM 64
#define Y_TICKS 5

/* Colours told apart by most forms of colour blindness (Okabe-Ito, then
 * darker companions). */
static const char *const palette[] = {
  "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
  "#56B4E9", "#F0E442", "#000000", "#8C6D31", "#7F7F7F",
};

static void
esc (GString *out, const char *text)
{
  g_autofree char *e = g_markup_escape_text (text ? text : "", -1);
  g_string_append (out, e);
}

static void
num (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.1f", v));
}

/* The smallest "nice" number (1, 2, 2.5 or 5 times a power of ten) not
 * below @v, so that axis ticks fall on round values. */
static double
nice_ceiling (double v)
{
  double p = 1.0, f;

  if (v <= 0)
    return 1.0;
  /* p = 10^floor(log10(v)), without libm. */
  while (p > v)
    p /= 10.0;
  while (p * 10.0 <= v)
    p *= 10.0;
  f = v / p;
  if (f <= 1.0)
    return p;
  if (f <= 2.0)
    return 2.0 * p;
  if (f <= 2.5)
    return 2.5 * p;
  if (f <= 5.0)
    return 5.0 * p;
  return 10.0 * p;
}

static void
format_value (GString *out, double v, gboolean is_rate)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (is_rate)
    {
      g_string_append (out, g_ascii_formatd (buf, sizeof buf, v * 100.0 >= 10 ? "%.0f" : "%.2g",
                                             v * 100.0));
      g_string_append_c (out, '%');
    }
  else if (v >= 10 || v == (double) (gint64) v)
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.0f", v));
  else
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.1f", v));
}

static void
svg_open (GString *out, const char *title)
{
  g_string_append_printf (out,
                          "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" "
                          "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n<title>",
                          REPORT_HTML_CHART_WIDTH, REPORT_HTML_CHART_HEIGHT,
                          REPORT_HTML_CHART_WIDTH, REPORT_HTML_CHART_HEIGHT);
  esc (out, title);
  g_string_append (out, "</title>\n<text x=\"");
  num (out, MARGIN_LEFT);
  g_string_append (out, "\" y=\"22\" class=\"ctitle\">");
  esc (out, title);
  g_string_append (out, "</text>\n");
}

static gboolean
svg_empty (GString *out, GPtrArray *days, GPtrArray *series)
{
  if (days->len > 0 && series->len > 0)
    return FALSE;
  g_string_append_printf (out, "<text x=\"%d\" y=\"%d\" class=\"empty\" text-anchor=\"middle\">"
                          "no data for this period</text>\n</svg>\n",
                          REPORT_HTML_CHART_WIDTH / 2, REPORT_HTML_CHART_HEIGHT / 2);
  return TRUE;
}

/* Axes, horizontal grid lines with labels from 0 to @ymax, and x labels
 * under the slot centres of @days. */
/* Axes, grid, tick labels with their unit, and the axis titles: @unit
 * names what the y axis counts ("% of sends", "outcomes"). */
static void
svg_axes (GString *out, GPtrArray *days, double ymax, gboolean is_rate, double slot,
          const char *unit, gboolean weekly)
{
  double plot_w = REPORT_HTML_CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
  double plot_h = REPORT_HTML_CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
  double bottom = MARGIN_TOP + plot_h;
  guint every = (days->len + REPORT_HTML_MAX_X_LABELS - 1) / REPORT_HTML_MAX_X_LABELS;

  for (int i = 0; i <= Y_TICKS; i++)
    {
      double y = bottom - plot_h * i / Y_TICKS;

      g_string_append (out, "<line class=\"grid\" x1=\"");
      num (out, MARGIN_LEFT);
      g_string_append (out, "\" x2=\"");
      num (out, MARGIN_LEFT + plot_w);
      g_string_append (out, "\" y1=\"");
      num (out, y);
      g_string_append (out, "\" y2=\"");
      num (out, y);
      g_string_append (out, "\"/>\n<text class=\"ylabel\" text-anchor=\"end\" x=\"");
      num (out, MARGIN_LEFT - 6);
      g_string_append (out, "\" y=\"");
      num (out, y + 4);
      g_string_append (out, "\">");
      format_value (out, ymax * i / Y_TICKS, is_rate);
      g_string_append (out, "</text>\n");
    }
  g_string_append (out, "<line class=\"axis\" x1=\"");
  num (out, MARGIN_LEFT);
  g_string_append (out, "\" x2=\"");
  num (out, MARGIN_LEFT + plot_w);
  g_string_append (out, "\" y1=\"");
  num (out, bottom);
  g_string_append (out, "\" y2=\"");
  num (out, bottom);
  g_string_append (out, "\"/>\n");

  for (guint d = 0; d < days->len; d++)
    {
      double x = MARGIN_LEFT + slot * (d + 0.5);

      if (every > 1 && d % every != 0)
        continue;
      g_string_append (out, "<text class=\"xlabel\" text-anchor=\"middle\" x=\"");
      num (out, x);
      g_string_append (out, "\" y=\"");
      num (out, bottom + 18);
      g_string_append (out, "\">");
      /* The whole date, year included: a chart may be read on its own. */
      esc (out, g_ptr_array_index (days, d));
      g_string_append (out, "</text>\n");
    }
  g_string_append (out, "<text class=\"axistitle\" text-anchor=\"middle\" x=\"");
  num (out, MARGIN_LEFT + plot_w / 2);
  g_string_append (out, "\" y=\"");
  num (out, bottom + 40);
  g_string_append (out, weekly ? "\">week (UTC, from Monday; labelled by its first day)"
                               : "\">day (UTC)");
  g_string_append (out, "</text>\n<text class=\"axistitle\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90)\" x=\"");
  num (out, -(MARGIN_TOP + plot_h / 2));
  g_string_append (out, "\" y=\"14\">");
  esc (out, unit);
  g_string_append (out, "</text>\n");
}

/* Whether a series has a point to draw (a known value, or for bars one
 * above 0): only those get a legend entry. */
static gboolean
series_has_points (const ReportSeries *s, gboolean bars)
{
  for (guint k = 0; k < s->values->len; k++)
    if (g_array_index (s->values, double, k) > (bars ? 0.0 : -0.5))
      return TRUE;
  return FALSE;
}

/* Dashed horizontal lines at @thresholds (rates), each with its label. */
static void
svg_thresholds (GString *out, const ReportThreshold *thresholds, guint n, double ymax)
{
  double plot_w = REPORT_HTML_CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
  double plot_h = REPORT_HTML_CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
  double bottom = MARGIN_TOP + plot_h;

  for (guint i = 0; i < n; i++)
    {
      double y = bottom - plot_h * thresholds[i].value / ymax;

      g_string_append (out, "<line class=\"threshold\" x1=\"");
      num (out, MARGIN_LEFT);
      g_string_append (out, "\" x2=\"");
      num (out, MARGIN_LEFT + plot_w);
      g_string_append (out, "\" y1=\"");
      num (out, y);
      g_string_append (out, "\" y2=\"");
      num (out, y);
      g_string_append (out, "\"/>\n<text class=\"tlabel\" x=\"");
      num (out, MARGIN_LEFT + plot_w + 4);
      g_string_append (out, "\" y=\"");
      num (out, y + 4);
      g_string_append (out, "\">");
      esc (out, thresholds[i].label);
      g_string_append (out, "</text>\n");
    }
}

static void
svg_legend (GString *out, GPtrArray *series, gboolean bars)
{
  guint row = 0;

  for (guint s = 0; s < series->len; s++)
    {
      const ReportSeries *ser = g_ptr_array_index (series, s);
      double y = MARGIN_TOP + 8 + row * 20;

      if (!series_has_points (ser, bars))
        continue;
      row++;
      g_string_append (out, "<rect x=\"");
      num (out, REPORT_HTML_CHART_WIDTH - MARGIN_RIGHT + 16);
      g_string_append (out, "\" y=\"");
      num (out, y - 9);
      g_string_append_printf (out, "\" width=\"12\" height=\"12\" fill=\"%s\"/>\n<text class=\"legend\" x=\"",
                              palette[s % G_N_ELEMENTS (palette)]);
      num (out, REPORT_HTML_CHART_WIDTH - MARGIN_RIGHT + 34);
      g_string_append (out, "\" y=\"");
      num (out, y + 1);
      g_string_append (out, "\">");
      esc (out, ser->name);
      g_string_append (out, "</text>\n");
    }
}

void
report_html_line_chart (GString *out, GPtrArray *days, gboolean weekly, GPtrArray *series,
                        gboolean is_rate, const char *title, const char *unit,
                        const ReportThreshold *thresholds, guint n_thresholds)
{
  double plot_w = REPORT_HTML_CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
  double plot_h = REPORT_HTML_CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
  double bottom = MARGIN_TOP + plot_h;
  double ymax = 0, slot;

  svg_open (out, title);
  if (svg_empty (out, days, series))
    return;
  for (guint s = 0; s < series->len; s++)
    {
      const ReportSeries *ser = g_ptr_array_index (series, s);
      for (guint d = 0; d < ser->values->len && d < days->len; d++)
        ymax = MAX (ymax, g_array_index (ser->values, double, d));
    }
  /* The thresholds stay in view, with room above them. */
  for (guint i = 0; i < n_thresholds; i++)
    ymax = MAX (ymax, thresholds[i].value * 1.2);
  ymax = nice_ceiling (ymax);
  slot = plot_w / days->len;
  svg_axes (out, days, ymax, is_rate, slot, unit, weekly);
  svg_thresholds (out, thresholds, n_thresholds, ymax);

  for (guint s = 0; s < series->len; s++)
    {
      const ReportSeries *ser = g_ptr_array_index (series, s);
      const char *colour = palette[s % G_N_ELEMENTS (palette)];

      gboolean open = FALSE;

      /* One polyline per run of known values: a negative value is
       * missing (a day without sends has no rate) and breaks the line. */
      for (guint d = 0; d < ser->values->len && d < days->len; d++)
        {
          double v = g_array_index (ser->values, double, d);

          if (v < 0)
            {
              if (open)
                g_string_append (out, "\"/>\n");
              open = FALSE;
              continue;
            }
          if (!open)
            g_string_append_printf (out, "<polyline class=\"line\" stroke=\"%s\" points=\"", colour);
          else
            g_string_append_c (out, ' ');
          open = TRUE;
          num (out, MARGIN_LEFT + slot * (d + 0.5));
          g_string_append_c (out, ',');
          num (out, bottom - plot_h * v / ymax);
        }
      if (open)
        g_string_append (out, "\"/>\n");
      /* Markers, so that a single day (or a lone point) is visible too. */
      for (guint d = 0; d < ser->values->len && d < days->len; d++)
        {
          double v = g_array_index (ser->values, double, d);

          if (v < 0)
            continue;

          g_string_append_printf (out, "<circle r=\"3\" fill=\"%s\" cx=\"", colour);
          num (out, MARGIN_LEFT + slot * (d + 0.5));
          g_string_append (out, "\" cy=\"");
          num (out, bottom - plot_h * v / ymax);
          g_string_append (out, "\"><title>");
          esc (out, ser->name);
          g_string_append (out, weekly ? " week of " : " ");
          esc (out, g_ptr_array_index (days, d));
          g_string_append (out, ": ");
          format_value (out, v, is_rate);
          g_string_append (out, "</title></circle>\n");
        }
    }
  svg_legend (out, series, FALSE);
  g_string_append (out, "</svg>\n");
}

void
report_html_stacked_bars (GString *out, GPtrArray *days, gboolean weekly, GPtrArray *series,
                          const char *title)
{
  double plot_w = REPORT_HTML_CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
  double plot_h = REPORT_HTML_CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
  double bottom = MARGIN_TOP + plot_h;
  double ymax = 0, slot, bar;

  svg_open (out, title);
  if (svg_empty (out, days, series))
    return;
  for (guint d = 0; d < days->len; d++)
    {
      double total = 0;
      for (guint s = 0; s < series->len; s++)
        {
          const ReportSeries *ser = g_ptr_array_index (series, s);
          if (d < ser->values->len)
            total += MAX (0.0, g_array_index (ser->values, double, d));
        }
      ymax = MAX (ymax, total);
    }
  ymax = nice_ceiling (ymax);
  slot = plot_w / days->len;
  bar = MAX (1.0, slot * 0.75);
  svg_axes (out, days, ymax, FALSE, slot, weekly ? "outcomes per week" : "outcomes per day",
            weekly);

  for (guint d = 0; d < days->len; d++)
    {
      double y = bottom;

      for (guint s = 0; s < series->len; s++)
        {
          const ReportSeries *ser = g_ptr_array_index (series, s);
          double v = d < ser->values->len ? MAX (0.0, g_array_index (ser->values, double, d)) : 0;
          double h = plot_h * v / ymax;

          if (v <= 0)
            continue;
          y -= h;
          g_string_append_printf (out, "<rect fill=\"%s\" x=\"", palette[s % G_N_ELEMENTS (palette)]);
          num (out, MARGIN_LEFT + slot * d + (slot - bar) / 2);
          g_string_append (out, "\" y=\"");
          num (out, y);
          g_string_append (out, "\" width=\"");
          num (out, bar);
          g_string_append (out, "\" height=\"");
          num (out, h);
          g_string_append (out, weekly ? "\"><title>week of " : "\"><title>");
          esc (out, g_ptr_array_index (days, d));
          g_string_append_c (out, ' ');
          esc (out, ser->name);
          g_string_append (out, ": ");
          format_value (out, v, FALSE);
          g_string_append (out, "</title></rect>\n");
        }
    }
  svg_legend (out, series, TRUE);
  g_string_append (out, "</svg>\n");
}

/* ---- the page ------------------------------------------------------------ */

static const char page_style[] =
  "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
  "margin:24px auto;max-width:1000px;color:#1b1b1b;background:#fff}"
  "h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:28px 0 8px;"
  "border-bottom:1px solid #ddd;padding-bottom:4px}"
  ".period{color:#555;margin:0 0 16px}"
  ".cards{display:flex;flex-wrap:wrap;gap:12px}"
  ".card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:130px}"
  ".card .v{font-size:1.5em;font-weight:600}.card .k{color:#555;font-size:.85em}"
  ".card .c{color:#777;font-size:.75em;margin-top:2px}"
  "table{border-collapse:collapse;width:100%;font-size:.92em}"
  "th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:left}"
  "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
  "th{background:#f5f5f5}"
  "svg.chart{display:block;max-width:100%;height:auto;margin:8px 0}"
  ".grid{stroke:#e4e4e4;stroke-width:1}.axis{stroke:#888;stroke-width:1}"
  ".line{fill:none;stroke-width:2}"
  ".ctitle{font-size:15px;font-weight:600;fill:#1b1b1b}"
  ".xlabel,.ylabel,.legend{font-size:12px;fill:#333}.empty{font-size:14px;fill:#777}"
  /* Colours of their own, so that a screenshot shows they are drawn. */
  ".xlabel{fill:#3d2b56}.axistitle{font-size:13px;fill:#1f5f75}"
  ".threshold{stroke:#c8102e;stroke-width:2;stroke-dasharray:6 4}"
  ".tlabel{font-size:12px;fill:#c8102e}"
  ".verdict{border-left:5px solid #888;padding:6px 10px;margin:6px 0;background:#f7f7f7}"
  ".verdict.ok{border-color:#009e73}.verdict.warning{border-color:#e69f00}"
  ".verdict.over{border-color:#c8102e}"
  ".note{color:#555;font-size:.9em}";

/* A figure with its label and, when not NULL, a line saying what it
 * covers. */
static void
card (GString *out, const char *label, const char *value, const char *note)
{
  g_string_append (out, "<div class=\"card\"><div class=\"v\">");
  esc (out, value);
  g_string_append (out, "</div><div class=\"k\">");
  esc (out, label);
  if (note != NULL)
    {
      g_string_append (out, "</div><div class=\"c\">");
      esc (out, note);
    }
  g_string_append (out, "</div></div>\n");
}

static void
card_int (GString *out, const char *label, gint64 v)
{
  g_autofree char *t = report_data_format_int (v);

  card (out, label, t, NULL);
}

/* A rate card: the rate, and how many of the bounces it counts. */
static void
card_rate (GString *out, const char *label, double rate, gint64 covered, gint64 all,
           const char *noun)
{
  g_autofree char *t = report_data_format_rate (rate);
  g_autofree char *c = report_data_format_int (covered);
  g_autofree char *a = report_data_format_int (all);
  g_autofree char *note = g_strdup_printf ("counts %s of %s %s", c, a, noun);

  card (out, label, t, note);
}

static void
cell_int (GString *out, gint64 v)
{
  g_autofree char *t = v < 0 ? g_strdup ("-") : report_data_format_int (v);

  g_string_append_printf (out, "<td class=\"n\">%s</td>", t);
}

static void
cell_rate (GString *out, double rate)
{
  g_autofree char *t = report_data_format_rate (rate);
  g_string_append_printf (out, "<td class=\"n\">%s</td>", t);
}

static void
rates_table (GString *out, const char *heading, const char *first_column, GPtrArray *rates)
{
  g_string_append (out, "<h2>");
  esc (out, heading);
  g_string_append (out, "</h2>\n");
  if (rates->len == 0)
    {
      g_string_append (out, "<p class=\"note\">No bounces in this period.</p>\n");
      return;
    }
  g_string_append (out, "<table><thead><tr><th>");
  esc (out, first_column);
  g_string_append (out, "</th><th class=\"n\">sends</th><th class=\"n\">hard</th>"
                        "<th class=\"n\">soft</th><th class=\"n\">complaints</th>"
                        "<th class=\"n\">hard rate</th><th class=\"n\">soft rate</th>"
                        "<th class=\"n\">complaint rate</th>"
                        "<th class=\"n\" title=\"share of the bounces that fall on days with "
                        "known sends: the rates count these only\">covered</th></tr></thead>\n"
                        "<tbody>\n");
  for (guint i = 0; i < rates->len; i++)
    {
      const ReportRate *r = g_ptr_array_index (rates, i);

      g_string_append (out, "<tr><td>");
      esc (out, r->name);
      g_string_append (out, "</td>");
      cell_int (out, r->sends);
      cell_int (out, r->hard);
      cell_int (out, r->soft);
      cell_int (out, r->complaints);
      cell_rate (out, r->hard_rate);
      cell_rate (out, r->soft_rate);
      cell_rate (out, r->complaint_rate);
      cell_rate (out, r->sends < 0 ? -1 : report_data_share (r->covered, r->bounces));
      g_string_append (out, "</tr>\n");
    }
  g_string_append (out, "</tbody></table>\n");
}

static void
counts_table (GString *out, const char *heading, const char *first_column, GPtrArray *counts)
{
  g_string_append (out, "<h2>");
  esc (out, heading);
  g_string_append (out, "</h2>\n");
  if (counts->len == 0)
    {
      g_string_append (out, "<p class=\"note\">None in this period.</p>\n");
      return;
    }
  g_string_append (out, "<table><thead><tr><th>");
  esc (out, first_column);
  g_string_append (out, "</th><th class=\"n\">count</th></tr></thead>\n<tbody>\n");
  for (guint i = 0; i < counts->len; i++)
    {
      const ReportCount *c = g_ptr_array_index (counts, i);

      g_string_append (out, "<tr><td>");
      esc (out, c->name);
      g_string_append (out, "</td>");
      cell_int (out, c->count);
      g_string_append (out, "</tr>\n");
    }
  g_string_append (out, "</tbody></table>\n");
}

static void
events_table (GString *out, const char *heading, gint64 total, GPtrArray *events,
              const char *subject_column, const char *detail_column)
{
  g_string_append (out, "<h2>");
  esc (out, heading);
  g_string_append_printf (out, " (%" G_GINT64_FORMAT ")</h2>\n", total);
  if (events->len == 0)
    {
      g_string_append (out, "<p class=\"note\">None in this period.</p>\n");
      return;
    }
  g_string_append (out, "<table><thead><tr><th>when</th><th>");
  esc (out, subject_column);
  g_string_append (out, "</th><th>");
  esc (out, detail_column);
  g_string_append (out, "</th></tr></thead>\n<tbody>\n");
  for (guint i = 0; i < events->len; i++)
    {
      const ReportEvent *e = g_ptr_array_index (events, i);

      g_string_append (out, "<tr><td>");
      esc (out, e->when);
      g_string_append (out, "</td><td>");
      esc (out, e->subject);
      g_string_append (out, "</td><td>");
      esc (out, e->detail);
      g_string_append (out, "</td></tr>\n");
    }
  g_string_append (out, "</tbody></table>\n");
  if (total > (gint64) events->len)
    g_string_append_printf (out, "<p class=\"note\">The latest %u of %" G_GINT64_FORMAT ".</p>\n",
                            events->len, total);
}

void
report_html_append (GString *out, const ReportData *d)
{
  const char *title = d->title ? d->title : "Bounce report";
  gint64 messages = 0, outcomes = 0;

  for (guint i = 0; i < d->messages_by_kind->len; i++)
    messages += ((const ReportCount *) g_ptr_array_index (d->messages_by_kind, i))->count;
  for (guint i = 0; i < d->outcomes_by_group->len; i++)
    outcomes += ((const ReportCount *) g_ptr_array_index (d->outcomes_by_group, i))->count;

  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                        "style-src 'unsafe-inline'\">\n"
                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                        "<title>");
  esc (out, title);
  g_string_append_printf (out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", page_style);
  esc (out, title);
  g_string_append (out, "</h1>\n<p class=\"period\">From ");
  esc (out, d->since ? d->since : "the first message stored");
  g_string_append (out, " to ");
  esc (out, d->until ? d->until : d->generated_at ? d->generated_at : "now");
  if (d->domain != NULL)
    {
      g_string_append (out, ", recipient domain ");
      esc (out, d->domain);
    }
  if (d->campaign != NULL)
    {
      g_string_append (out, ", campaign ");
      esc (out, d->campaign);
    }
  g_string_append (out, ".</p>\n");
  {
    g_autoptr(GPtrArray) verdicts = report_data_verdicts (d);

    for (guint i = 0; i < verdicts->len; i++)
      {
        const ReportVerdict *v = g_ptr_array_index (verdicts, i);

        g_string_append_printf (out, "<p class=\"verdict %s\">", v->level);
        esc (out, v->text);
        g_string_append (out, "</p>\n");
      }
  }
  g_string_append (out, "<div class=\"cards\">\n");

  card_int (out, "messages", messages);
  card_int (out, "recipient outcomes", outcomes);
  if (d->sends >= 0)
    {
      g_autofree char *sends = report_data_format_int (d->sends);
      g_autofree char *days = g_strdup_printf ("on %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                                               " days", d->days_with_sends, d->period_days);

      card (out, "sends", sends, days);
      card_rate (out, "hard bounce rate", d->hard_rate, d->hard_covered, d->hard, "hard bounces");
      card_rate (out, "soft bounce rate", d->soft_rate, d->soft_covered, d->soft, "soft bounces");
      card_rate (out, "complaint rate", d->complaint_rate, d->complaints_covered, d->complaints,
                 "complaints");
    }
  else
    {
      card_int (out, "hard bounces", d->hard);
      card_int (out, "soft bounces", d->soft);
      card_int (out, "complaints", d->complaints);
    }
  card_int (out, "parse failures", d->parse_failures);
  {
    g_autofree char *now = report_data_format_int (d->suppressed_now);
    g_autofree char *added = report_data_format_int (d->suppressed_added);
    g_autofree char *lifted = report_data_format_int (d->suppressed_lifted);
    g_autofree char *note = g_strdup_printf ("%s added, %s lifted in the period", added, lifted);

    card (out, "addresses suppressed now", now, note);
  }
  g_string_append (out, "</div>\n");
  if (d->sends < 0)
    g_string_append (out, "<p class=\"note\">No send counts are known for this period, so "
                          "bounces are shown as counts, not rates (bounced sends import).</p>\n");
  else
    g_string_append (out, "<p class=\"note\">A rate counts only the bounces of the days and "
                          "domains whose sends are known, over those sends; each card says how "
                          "many of the bounces that is.</p>\n");

  {
    g_autofree char *blim = report_data_format_rate (d->bounce_threshold);
    g_autofree char *clim = report_data_format_rate (d->complaint_threshold);
    g_autofree char *ctarget = report_data_format_rate (REPORT_COMPLAINT_TARGET);
    g_autofree char *blabel = g_strdup_printf ("threshold %s", blim);
    g_autofree char *clabel = g_strdup_printf ("limit %s", clim);
    g_autofree char *tlabel = g_strdup_printf ("Google %s", ctarget);
    ReportThreshold bounce_line[1] = { { d->bounce_threshold, blabel } };
    ReportThreshold complaint_lines[2] = { { d->complaint_threshold, clabel },
                                           { REPORT_COMPLAINT_TARGET, tlabel } };
    g_autoptr(ReportChart) chart = report_chart_new (d);
    const char *per = chart->weekly ? "week" : "day";
    g_autofree char *provider_title
      = g_strdup_printf (d->provider_daily_is_rate ? "Hard bounce rate per %s by provider"
                                                   : "Bounces per %s by provider (no send "
                                                     "counts known)", per);
    g_autofree char *count_unit = g_strdup_printf ("bounces per %s", per);
    g_autofree char *complaint_title = g_strdup_printf ("Complaint rate per %s", per);
    g_autofree char *reason_title = g_strdup_printf ("Outcomes per %s by reason", per);

    g_string_append_printf (out, "<h2>%s bounces by mailbox provider</h2>\n",
                            chart->weekly ? "Weekly" : "Daily");
    if (chart->weekly)
      g_string_append_printf (out, "<p class=\"note\">%u days: the charts have one slot per "
                              "week (from Monday, UTC); a week's rate is its bounces over its "
                              "sends, and the first and last weeks may be partial.</p>\n",
                              d->days->len);
    report_html_line_chart (out, chart->slots, chart->weekly, chart->provider,
                            d->provider_daily_is_rate, provider_title,
                            d->provider_daily_is_rate ? "hard bounces, % of sends" : count_unit,
                            bounce_line, d->provider_daily_is_rate ? 1 : 0);
    if (d->provider_daily_is_rate)
      {
        /* The complaint rate, against Google's and Yahoo's limits. */
        g_string_append (out, "<h2>Complaints</h2>\n");
        report_html_line_chart (out, chart->slots, chart->weekly, chart->complaint, TRUE,
                                complaint_title, "complaints, % of sends", complaint_lines, 2);
      }
    g_string_append_printf (out, "<h2>Reasons per %s</h2>\n", per);
    report_html_stacked_bars (out, chart->slots, chart->weekly, chart->reasons, reason_title);
  }

  if (d->incidents->len > 0)
    {
      g_string_append_printf (out, "<h2>Sender-side incidents (%" G_GINT64_FORMAT " open)</h2>\n"
                              "<p class=\"note\">Refusals of the sender (blocklistings, "
                              "reputation, authentication, spam verdicts, policy) at one provider, "
                              "at least 20 a day and 5 times the median of the 14 days before, "
                              "or, within a day, at least 20 an hour and 5 times the median of "
                              "the same hour of the 14 days before. "
                              "They never count toward suppression.</p>\n"
                              "<table><thead><tr><th>provider</th><th>group</th><th>from</th>"
                              "<th>to</th><th class=\"n\">outcomes</th><th class=\"n\">peak a day "
                              "(or an hour)</th><th class=\"n\">baseline</th>"
                              "<th>commonest diagnostics</th>"
                              "</tr></thead>\n<tbody>\n", d->open_incidents);
      for (guint i = 0; i < d->incidents->len; i++)
        {
          const ReportIncident *x = g_ptr_array_index (d->incidents, i);
          char buf[G_ASCII_DTOSTR_BUF_SIZE];

          g_string_append (out, x->open ? "<tr class=\"open\"><td>" : "<tr><td>");
          esc (out, x->provider);
          if (x->open)
            g_string_append (out, " <strong>(open)</strong>");
          g_string_append (out, "</td><td>");
          esc (out, x->reason_group);
          g_string_append (out, "</td><td>");
          {
            g_autofree char *from
            = report_data_incident_time (x->hourly ? x->first_at : NULL, x->first_day);
            g_autofree char *to
            = report_data_incident_time (x->hourly ? x->last_at : NULL, x->last_day);

            esc (out, from);
            g_string_append (out, "</td><td>");
            esc (out, to);
          }
          g_string_append (out, "</td>");
          cell_int (out, x->outcomes);
          cell_int (out, x->peak);
          g_string_append_printf (out, "<td class=\"n\">%s</td><td>",
                                  g_ascii_formatd (buf, sizeof buf, "%.1f", x->baseline));
          for (guint k = 0; k < x->diagnostics->len; k++)
            {
              if (k > 0)
                g_string_append (out, "<br>");
              esc (out, g_ptr_array_index (x->diagnostics, k));
            }
          g_string_append (out, "</td></tr>\n");
        }
      g_string_append (out, "</tbody></table>\n");
    }
  rates_table (out, "Top failing domains", "recipient domain", d->top_domains);
  rates_table (out, "Top failing providers", "provider", d->top_providers);
  counts_table (out, "Messages by kind", "kind", d->messages_by_kind);
  counts_table (out, "Outcomes by reason group", "group", d->outcomes_by_group);
  if (d->reasons->len > 0)
    {
      g_string_append (out, "<h2>Outcomes by reason</h2>\n<table><thead><tr><th>reason</th>"
                            "<th>group</th><th>what it means for the address</th>"
                            "<th class=\"n\">outcomes</th><th class=\"n\">hard</th></tr>"
                            "</thead>\n<tbody>\n");
      for (guint i = 0; i < d->reasons->len; i++)
        {
          const ReportReason *r = g_ptr_array_index (d->reasons, i);

          g_string_append (out, "<tr><td title=\"");
          esc (out, r->description);
          g_string_append (out, "\">");
          esc (out, r->name);
          g_string_append (out, "</td><td>");
          esc (out, r->group);
          g_string_append (out, "</td><td>");
          esc (out, report_data_reason_meaning (r));
          g_string_append (out, "</td>");
          cell_int (out, r->outcomes);
          cell_int (out, r->hard);
          g_string_append (out, "</tr>\n");
        }
      g_string_append (out, "</tbody></table>\n");
    }
  else
    counts_table (out, "Outcomes by reason", "reason", d->outcomes_by_reason);
  events_table (out, "Parse failures", d->parse_failures, d->parse_failure_examples,
                "source", "error");
  events_table (out, "Addresses suppressed in the period, still suppressed",
                d->suppressed_listed, d->suppression_examples, "address", "why");
  g_string_append (out, "</body>\n</html>\n");
}
