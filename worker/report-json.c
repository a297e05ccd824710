/* report-json.c - writing reports as JSON and as a table
 *
 * Hand-written rather than built through a JSON object tree: the writer runs
 * once per message at tens of thousands of messages per second, and a report
 * maps to JSON one field at a time.  Output is RFC 8259 JSON: strings are
 * UTF-8 (the parser guarantees it), with '"', '\\' and control characters
 * escaped.  Absent values are null, never "".
 */
#include "report-json.h"

#include <string.h>

void
report_json_string (GString *out, const char *s)
{
  static const char hex[] = "0123456789abcdef";

  if (s == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      switch (*p)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (*p < 0x20 || *p == 0x7f)
            {
              g_string_append (out, "\\u00");
              g_string_append_c (out, hex[*p >> 4]);
              g_string_append_c (out, hex[*p & 15]);
            }
          else
            g_string_append_c (out, (char) *p);
        }
    }
  g_string_append_c (out, '"');
}

static void
member (GString *out, const char *name, const char *value, gboolean first)
{
  if (!first)
    g_string_append (out, ", ");
  g_string_append_c (out, '"');
  g_string_append (out, name);
  g_string_append (out, "\": ");
  report_json_string (out, value);
}

static void
fields (GString *out, const char *name, GPtrArray *list)
{
  g_string_append_printf (out, ", \"%s\": {", name);
  for (guint i = 0; i < list->len; i++)
    {
      const BounceField *f = g_ptr_array_index (list, i);
      if (f->name == NULL)
        continue;
      if (i > 0)
        g_string_append (out, ", ");
      report_json_string (out, f->name);
      g_string_append (out, ": ");
      report_json_string (out, f->value);
    }
  g_string_append_c (out, '}');
}

void
report_json_append (GString *out, const char *source, const char *sha256,
                    const BounceReport *report)
{
  const BounceOriginal *o = &report->original;

  g_string_append_c (out, '{');
  member (out, "source", source, TRUE);
  member (out, "sha256", sha256, FALSE);
  member (out, "kind", bounce_kind_to_string (report->kind), FALSE);
  member (out, "format", report->format, FALSE);
  member (out, "classifier_version", bounce_classifier_version (), FALSE);
  member (out, "reporting_mta", report->reporting_mta, FALSE);
  member (out, "dsn_gateway", report->dsn_gateway, FALSE);
  member (out, "received_from_mta", report->received_from_mta, FALSE);
  member (out, "original_envelope_id", report->original_envelope_id, FALSE);
  member (out, "arrival_date", report->arrival_date, FALSE);
  g_string_append (out, ", \"original\": {");
  member (out, "message_id", o->message_id, TRUE);
  member (out, "from", o->from, FALSE);
  member (out, "to", o->to, FALSE);
  member (out, "subject", o->subject, FALSE);
  member (out, "date", o->date, FALSE);
  member (out, "list_id", o->list_id, FALSE);
  member (out, "campaign", o->campaign, FALSE);
  g_string_append (out, "}, \"recipients\": [");
  for (guint i = 0; i < report->recipients->len; i++)
    {
      const BounceRecipient *r = g_ptr_array_index (report->recipients, i);

      if (i > 0)
        g_string_append (out, ", ");
      g_string_append_c (out, '{');
      member (out, "recipient", r->recipient, TRUE);
      member (out, "original_recipient", r->original_recipient, FALSE);
      member (out, "action", r->action, FALSE);
      member (out, "status", r->status, FALSE);
      member (out, "reply_code", r->reply_code, FALSE);
      member (out, "diagnostic_type", r->diagnostic_type, FALSE);
      member (out, "diagnostic", r->diagnostic, FALSE);
      member (out, "command", r->command, FALSE);
      member (out, "remote_mta", r->remote_mta, FALSE);
      member (out, "last_attempt", r->last_attempt, FALSE);
      member (out, "will_retry_until", r->will_retry_until, FALSE);
      member (out, "final_log_id", r->final_log_id, FALSE);
      member (out, "feedback_type", r->feedback_type, FALSE);
      member (out, "reason", r->reason, FALSE);
      g_string_append_printf (out, ", \"hard_bounce\": %s", r->hard_bounce ? "true" : "false");
      member (out, "evidence", r->evidence, FALSE);
      if (r->extensions->len > 0)
        fields (out, "extensions", r->extensions);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
  if (report->extensions->len > 0)
    fields (out, "extensions", report->extensions);
  member (out, "error", report->error, FALSE);
  g_string_append_c (out, '}');
}

void
report_json_append_table_header (GString *out)
{
  g_string_append_printf (out, "%-32s %-13s %-36s %-8s %-5s %-15s %s\n",
                          "SOURCE", "KIND", "RECIPIENT", "STATUS", "CODE",
                          "REASON", "HARD");
}

static const char *
or_dash (const char *s)
{
  return s ? s : "-";
}

void
report_json_append_table_rows (GString *out, const char *source,
                               const BounceReport *report)
{
  const char *base = strrchr (source, '/');

  base = base ? base + 1 : source;
  if (report->recipients->len == 0)
    {
      g_string_append_printf (out, "%-32s %-13s %-36s %-8s %-5s %-15s %s\n", base,
                              bounce_kind_to_string (report->kind),
                              report->error ? report->error : "-", "-", "-", "-", "-");
      return;
    }
  for (guint i = 0; i < report->recipients->len; i++)
    {
      const BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      g_string_append_printf (out, "%-32s %-13s %-36s %-8s %-5s %-15s %s\n", base,
                              bounce_kind_to_string (report->kind), or_dash (r->recipient),
                              or_dash (r->status), or_dash (r->reply_code),
                              or_dash (r->reason), r->hard_bounce ? "yes" : "no");
    }
}
