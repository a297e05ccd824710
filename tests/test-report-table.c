/* test-report-table.c - the human table of `bounced parse --format=table`
 * (worker/report-json.c): columns stay in line whatever the file names and
 * the addresses (UTF-8, RFC 6531/6533), and long cells are cut, not spilled.
 */
#include "report-json.h"

#include <string.h>

/* A DSN (RFC 3464, RFC 6533 utf-8 address type) for @recipient. */
static char *
dsn_for (const char *recipient)
{
  return g_strdup_printf (
    "From: MAILER-DAEMON@mx.example.net\r\n"
    "To: sender@example.com\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Delivery failed.\r\n"
    "--b\r\n"
    "Content-Type: message/global-delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; mx.example.net\r\n"
    "\r\n"
    "Final-Recipient: utf-8; %s\r\n"
    "Action: failed\r\n"
    "Status: 5.1.1\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
    "--b--\r\n", recipient);
}

typedef struct {
  const char *name;
  const char *source;
  const char *recipient;     /* NULL: a message that is not a bounce */
  gboolean cut;              /* the recipient is too long for its column */
} Case;

static const Case cases[] = {
  { "ascii", "a.eml", "user@example.org", FALSE },
  { "latin", "b.eml", "jos\xc3\xa9.m\xc3\xbcller@example.org", FALSE },
  { "cyrillic", "c.eml", "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@example.org", FALSE },
  /* Wide characters: two columns each (\u7528\u6237@\u4f8b\u5b50.\u4e2d\u56fd). */
  { "cjk", "d.eml",
    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad\xe5\x9b\xbd", FALSE },
  { "long-address", "e.eml",
    "a.very.long.local.part.of.an.address.indeed@subdomain.example.org", TRUE },
  { "long-wide-address", "f.eml",
    "\xe7\x94\xa8\xe6\x88\xb7\xe7\x94\xa8\xe6\x88\xb7\xe7\x94\xa8\xe6\x88\xb7\xe7\x94\xa8"
    "\xe6\x88\xb7\xe7\x94\xa8\xe6\x88\xb7\xe7\x94\xa8\xe6\x88\xb7\xe7\x94\xa8\xe6\x88\xb7"
    "\xe7\x94\xa8\xe6\x88\xb7\xe7\x94\xa8\xe6\x88\xb7@example.org", TRUE },
  { "long-file-name", "Maildir/new/1795000074.M123456P4242Q99.a-rather-long-host.example.com:2,",
    "user@example.org", FALSE },
  { "not-a-bounce", "Maildir/new/1795000075.M2P4242.mx.example.com", NULL, FALSE },
};

/* The column at which the source starts: the display width of the line up
 * to it (the last field of a row). */
static guint
source_column (const char *line, const char *source)
{
  const char *at = strstr (line, source);
  g_autofree char *head = NULL;

  g_assert_nonnull (at);
  head = g_strndup (line, at - line);
  return report_json_display_width (head);
}

static void
test_columns (void)
{
  g_autoptr(GString) header = g_string_new (NULL);
  guint header_source;
  BounceSettings settings;

  bounce_settings_init (&settings);
  report_json_append_table_header (header);
  header_source = source_column (header->str, "SOURCE");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      g_autofree char *mail = c->recipient ? dsn_for (c->recipient)
                              : g_strdup ("From: a@example.org\r\nSubject: hello\r\n\r\nhi\r\n");
      g_autoptr(GError) error = NULL;
      g_autoptr(BounceReport) report = bounce_report_parse (mail, strlen (mail), &settings,
                                                            &error);
      g_autoptr(GString) out = g_string_new (NULL);
      const char *recipient_cell;

      g_test_message ("case %s", c->name);
      g_assert_no_error (error);
      report_json_append_table_rows (out, c->source, report);
      g_test_message ("%s", out->str);
      g_assert_true (g_utf8_validate (out->str, -1, NULL));
      g_assert_cmpuint (source_column (out->str, c->source), ==, header_source);
      /* The recipient column starts after KIND (13 columns and a space). */
      recipient_cell = g_utf8_offset_to_pointer (out->str, 14);
      if (c->recipient == NULL)
        g_assert_true (g_str_has_prefix (recipient_cell, "- "));
      else if (!c->cut)
        g_assert_true (g_str_has_prefix (recipient_cell, c->recipient));
      else
        g_assert_nonnull (strstr (out->str, "\xe2\x80\xa6 "));
    }
}

static void
test_display_width (void)
{
  g_assert_cmpuint (report_json_display_width (""), ==, 0);
  g_assert_cmpuint (report_json_display_width ("abc"), ==, 3);
  g_assert_cmpuint (report_json_display_width ("jos\xc3\xa9"), ==, 4);
  /* e + combining acute accent: one column. */
  g_assert_cmpuint (report_json_display_width ("e\xcc\x81"), ==, 1);
  g_assert_cmpuint (report_json_display_width ("\xe7\x94\xa8\xe6\x88\xb7"), ==, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report-table/columns", test_columns);
  g_test_add_func ("/report-table/display-width", test_display_width);
  return g_test_run ();
}
