/* report-json.c - writing reports as JSON and as a table
 *
 * Hand-written rather than built through a JSON object tree: the writer runs
 * once per message at tens of thousands of messages per second, and a report
 * maps to JSON one field at a time.  Output is RFC 8259 JSON: strings are
 * UTF-8 (the parser guarantees it of reports; a file name that is not UTF-8
 * gets U+FFFD for its bad bytes, as the database stores it), with '"', '\\'
 * and control characters escaped.  Absent values are null, never "".
 */
#include "report-json.h"

#include <string.h>

void
report_json_string (GString *out, const char *s)
{
  static const char hex[] = "0123456789abcdef";

  g_autofree char *valid = NULL;

  if (s == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  /* RFC 8259 8.1: JSON text is UTF-8.  File names are bytes. */
  if (!g_utf8_validate (s, -1, NULL))
    s = valid = g_utf8_make_valid (s, -1);
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      /* A run of bytes that need no escape is copied at once. */
      const unsigned char *run = p;

      while (*p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7f)
        p++;
      if (p > run)
        g_string_append_len (out, (const char *) run, p - run);
      if (*p == '\0')
        break;
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

void
report_json_fields (GString *out, const GPtrArray *fields)
{
  /* Lower-cased name -> GArray of the positions of the fields of that name
   * (RFC 5322 1.2.2: names are case-insensitive), in order of appearance. */
  g_autoptr(GHashTable) by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify) g_array_unref);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();   /* GArray*, first appearance */
  gboolean first = TRUE;

  for (guint i = 0; i < fields->len; i++)
    {
      const BounceField *f = g_ptr_array_index (fields, i);
      g_autofree char *key = NULL;
      GArray *positions;

      if (f->name == NULL)
        continue;
      key = g_ascii_strdown (f->name, -1);
      if ((positions = g_hash_table_lookup (by_name, key)) == NULL)
        {
          positions = g_array_new (FALSE, FALSE, sizeof (guint));
          g_hash_table_insert (by_name, g_steal_pointer (&key), positions);
          g_ptr_array_add (order, positions);
        }
      g_array_append_val (positions, i);
    }
  g_string_append_c (out, '{');
  for (guint k = 0; k < order->len; k++)
    {
      GArray *positions = g_ptr_array_index (order, k);
      const BounceField *f = g_ptr_array_index (fields, g_array_index (positions, guint, 0));

      if (!first)
        g_string_append (out, ", ");
      first = FALSE;
      report_json_string (out, f->name);
      g_string_append (out, ": ");
      if (positions->len == 1)
        {
          report_json_string (out, f->value);
          continue;
        }
      /* A field given more than once: every value, in order. */
      g_string_append_c (out, '[');
      for (guint i = 0; i < positions->len; i++)
        {
          const BounceField *g = g_ptr_array_index (fields, g_array_index (positions, guint, i));

          if (i > 0)
            g_string_append (out, ", ");
          report_json_string (out, g->value);
        }
      g_string_append_c (out, ']');
    }
  g_string_append_c (out, '}');
}

static void
fields (GString *out, const char *name, GPtrArray *list)
{
  g_string_append_printf (out, ", \"%s\": ", name);
  report_json_fields (out, list);
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
  member (out, "arrival_date_text", report->arrival_date_text, FALSE);
  member (out, "message_from", report->message_from, FALSE);
  member (out, "message_subject", report->message_subject, FALSE);
  member (out, "message_date", report->message_date, FALSE);
  member (out, "message_date_text", report->message_date_text, FALSE);
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
      member (out, "status_source", r->status_source, FALSE);
      member (out, "reply_code", r->reply_code, FALSE);
      member (out, "diagnostic_type", r->diagnostic_type, FALSE);
      member (out, "diagnostic", r->diagnostic, FALSE);
      member (out, "command", r->command, FALSE);
      member (out, "remote_mta", r->remote_mta, FALSE);
      member (out, "last_attempt", r->last_attempt, FALSE);
      member (out, "will_retry_until", r->will_retry_until, FALSE);
      member (out, "last_attempt_text", r->last_attempt_text, FALSE);
      member (out, "will_retry_until_text", r->will_retry_until_text, FALSE);
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

/* The human table.  Cells are padded to a width counted in terminal
 * columns, not bytes (a UTF-8 address such as "jos\u00e9@example.org" is one
 * column per character, a CJK character two), and a cell too long for its
 * column is cut with an ellipsis; the source, of any length, comes last, so
 * that long file names cannot push the other columns out of line. */
static const struct {
  const char *title;
  guint width;
} table_columns[] = {
  { "KIND", 13 }, { "RECIPIENT", 36 }, { "STATUS", 7 }, { "CODE", 4 }, { "REASON", 15 },
  { "HARD", 4 },
};
#define TABLE_SOURCE_TITLE "SOURCE"

/* Terminal columns of one character. */
static guint
char_width (gunichar c)
{
  if (g_unichar_iszerowidth (c))
    return 0;
  return g_unichar_iswide (c) ? 2 : 1;
}

guint
report_json_display_width (const char *s)
{
  guint width = 0;

  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    width += char_width (g_utf8_get_char (p));
  return width;
}

/* Appends @text (UTF-8; made valid) in exactly @width columns, then a space. */
static void
table_cell (GString *out, const char *text, guint width)
{
  g_autofree char *valid = g_utf8_make_valid (text ? text : "-", -1);
  guint used = 0;

  if (report_json_display_width (valid) <= width)
    {
      g_string_append (out, valid);
      used = report_json_display_width (valid);
    }
  else
    {
      /* Room for the ellipsis (one column). */
      for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
        {
          guint w = char_width (g_utf8_get_char (p));

          if (used + w > width - 1)
            break;
          g_string_append_len (out, p, g_utf8_next_char (p) - p);
          used += w;
        }
      g_string_append (out, "\u2026");
      used++;
    }
  for (; used < width; used++)
    g_string_append_c (out, ' ');
  g_string_append_c (out, ' ');
}

static void
table_row (GString *out, const char *const cells[G_N_ELEMENTS (table_columns)],
           const char *source)
{
  g_autofree char *valid = g_utf8_make_valid (source, -1);

  for (gsize i = 0; i < G_N_ELEMENTS (table_columns); i++)
    table_cell (out, cells[i], table_columns[i].width);
  g_string_append (out, valid);
  g_string_append_c (out, '\n');
}

void
report_json_append_table_header (GString *out)
{
  const char *cells[G_N_ELEMENTS (table_columns)];

  for (gsize i = 0; i < G_N_ELEMENTS (table_columns); i++)
    cells[i] = table_columns[i].title;
  table_row (out, cells, TABLE_SOURCE_TITLE);
}

void
report_json_append_table_rows (GString *out, const char *source,
                               const BounceReport *report)
{
  const char *kind = bounce_kind_to_string (report->kind);
  g_autofree char *valid = NULL;

  /* A file name is bytes; the table, like the JSON, is UTF-8. */
  if (!g_utf8_validate (source, -1, NULL))
    source = valid = g_utf8_make_valid (source, -1);
  if (report->recipients->len == 0)
    {
      /* No recipient: the error, if any, follows the source. */
      const char *cells[] = { kind, "-", "-", "-", "-", "-" };
      g_autofree char *where = report->error
                               ? g_strdup_printf ("%s (%s)", source, report->error)
                               : g_strdup (source);

      table_row (out, cells, where);
      return;
    }
  for (guint i = 0; i < report->recipients->len; i++)
    {
      const BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      const char *cells[] = { kind, r->recipient, r->status, r->reply_code, r->reason,
                              r->hard_bounce ? "yes" : "no" };

      table_row (out, cells, source);
    }
}
