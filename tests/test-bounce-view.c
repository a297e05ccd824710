/* test-bounce-view.c - the view of a message (parser/bounce-view.c)
 *
 * What bounce_view_init() finds in a message (RFC 6522 report and its
 * report-type, the RFC 3464 status part or a text/plain look-alike, the RFC
 * 5965 feedback part, the returned message or its headers), the text of
 * the notice it builds (text parts, else HTML as text, else a multipart's
 * prologue), that it builds it only when asked, once, alike for LF and CRLF
 * line ends, where the copy of the returned message starts in it (searched
 * once), and the limits it refuses messages at.
 */
#include "bounce-private.h"

#include <string.h>

/* ---- what the view finds ------------------------------------------------- */

typedef struct {
  const char *name;
  const char *clause;
  const char *message;
  const char *status_type;      /* "type/subtype" of the status part, or NULL */
  gboolean in_report;
  const char *report_type;      /* NULL: none */
  gboolean feedback;            /* bounce_view_is_feedback() */
  gboolean returned;            /* a returned message part */
  const char *returned_has;     /* in its text, or NULL */
  gboolean returned_headers;    /* a text/rfc822-headers part */
  const char *from;
  const char *subject;
  const char *body;             /* the whole text of the notice */
} ViewCase;

static const ViewCase view_cases[] = {
  {
    "dsn", "RFC 6522 3: notice, delivery-status, returned headers",
    "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "I could not deliver your message.\n"
    "--b1\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.net\n"
    "\n"
    "Final-Recipient: rfc822; user@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "--b1\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "Subject: hello\n"
    "--b1--\n",
    "message/delivery-status", TRUE, "delivery-status", FALSE, FALSE, NULL, TRUE,
    "MAILER-DAEMON@mx.example.net (Mail Delivery System)",
    "Undelivered Mail Returned to Sender",
    "I could not deliver your message.",
  },
  {
    "status-first-mislabelled", "RFC 6522 3 broken: status fields in the first text/plain part",
    "From: postmaster@mx.example.net\n"
    "Subject: failure\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b2\"\n"
    "\n"
    "--b2\n"
    "Content-Type: text/plain\n"
    "\n"
    "Final-Recipient: rfc822; user@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "--b2\n"
    "Content-Type: text/plain\n"
    "\n"
    "The notice itself.\n"
    "--b2--\n",
    "text/plain", TRUE, "delivery-status", FALSE, FALSE, NULL, FALSE,
    "postmaster@mx.example.net", "failure", "The notice itself.",
  },
  {
    "feedback-blank-report-type", "RFC 5965 3, report-type with blanks around it",
    "From: fbl@isp.example\n"
    "Subject: complaint\n"
    "Content-Type: multipart/report; report-type=\" feedback-report \"; boundary=\"b3\"\n"
    "\n"
    "--b3\n"
    "Content-Type: text/plain\n"
    "\n"
    "A complaint.\n"
    "--b3\n"
    "Content-Type: message/feedback-report\n"
    "\n"
    "Feedback-Type: abuse\n"
    "--b3\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: news@example.com\n"
    "To: reader@isp.example\n"
    "Subject: offer\n"
    "\n"
    "Buy.\n"
    "--b3--\n",
    NULL, TRUE, "feedback-report", TRUE, TRUE, "Subject: offer", FALSE,
    "fbl@isp.example", "complaint", "A complaint.",
  },
  {
    "returned-base64", "RFC 6532 3.7: an encoded returned message is decoded",
    "From: MAILER-DAEMON@mx.example.net\n"
    "Subject: failure\n"
    "Content-Type: multipart/mixed; boundary=\"b4\"\n"
    "\n"
    "--b4\n"
    "Content-Type: text/plain\n"
    "\n"
    "Returned.\n"
    "--b4\n"
    "Content-Type: message/global\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    /* "Subject: caf\xc3\xa9\n\nbody\n" */
    "U3ViamVjdDogY2Fmw6kKCmJvZHkK\n"
    "--b4--\n",
    NULL, FALSE, NULL, FALSE, TRUE, "Subject: caf\xc3\xa9", FALSE,
    "MAILER-DAEMON@mx.example.net", "failure", "Returned.",
  },
  {
    "html-only", "HTML-only notice: its text, line and paragraph breaks from the tags",
    "From: postmaster@example.org\n"
    "Subject: =?UTF-8?Q?Unzustellbar=3A_Angebot?=\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<html><body><p>Delivery to <b>a@example.org</b> failed.</p><p>Sorry&nbsp;&amp; bye</p></body></html>\n",
    NULL, FALSE, NULL, FALSE, FALSE, NULL, FALSE,
    "postmaster@example.org", "Unzustellbar: Angebot",
    "Delivery to a@example.org failed.\n\nSorry & bye\n\n",
  },
  {
    "prologue-only", "a multipart whose boundary never occurs: its prologue is the notice",
    "From: MAILER-DAEMON@example.org\n"
    "Content-Type: multipart/mixed; boundary=\"lost\"\n"
    "\n"
    "The text a relay left.\n",
    NULL, FALSE, NULL, FALSE, FALSE, NULL, FALSE,
    "MAILER-DAEMON@example.org", "", "The text a relay left.\n",
  },
  {
    "latin1-text", "RFC 2045 charset: text converted to UTF-8",
    "From: postmaster@example.fr\n"
    "Subject: non remis\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Le message n'a pas =E9t=E9 remis.\n",
    NULL, FALSE, NULL, FALSE, FALSE, NULL, FALSE,
    "postmaster@example.fr", "non remis", "Le message n'a pas \xc3\xa9t\xc3\xa9 remis.\n",
  },
};

/* @s with every LF turned into CRLF. */
static char *
crlf (const char *s)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (; *s != '\0'; s++)
    {
      if (*s == '\n')
        g_string_append_c (out, '\r');
      g_string_append_c (out, *s);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
check_view (const ViewCase *c, const char *message)
{
  BounceSettings settings;
  g_auto(BounceView) view = { 0 };
  g_autoptr(GError) error = NULL;
  const char *body;

  bounce_settings_init (&settings);
  g_assert_true (bounce_view_init (&view, message, strlen (message), &settings, &error));
  g_assert_no_error (error);
  g_assert_nonnull (view.message);
  g_assert_cmpstr (view.from, ==, c->from);
  g_assert_cmpstr (view.subject, ==, c->subject);
  if (c->status_type == NULL)
    g_assert_null (view.status_part);
  else
    {
      g_autofree char *type = NULL;

      g_assert_nonnull (view.status_part);
      type = g_mime_content_type_get_mime_type (g_mime_object_get_content_type (view.status_part));
      g_assert_cmpstr (type, ==, c->status_type);
    }
  g_assert_cmpint (view.in_report, ==, c->in_report);
  g_assert_cmpstr (view.report_type, ==, c->report_type);
  g_assert_cmpint (bounce_view_is_feedback (&view), ==, c->feedback);
  g_assert_cmpint (view.returned_message != NULL, ==, c->returned);
  g_assert_cmpint (view.returned_headers != NULL, ==, c->returned_headers);

  /* Invariant 3: nothing is built before it is asked for, then once. */
  g_assert_null (view.body);
  g_assert_null (view.returned);
  bounce_view_ensure_body (&view);
  g_assert_cmpstr (view.body, ==, c->body);
  g_assert_cmpuint (view.body_len, ==, strlen (c->body));
  body = view.body;
  bounce_view_ensure_body (&view);
  g_assert_true (view.body == body);
  bounce_view_ensure_returned (&view);
  if (c->returned_has == NULL)
    g_assert_null (view.returned);
  else
    {
      g_assert_nonnull (view.returned);
      g_assert_nonnull (strstr (view.returned, c->returned_has));
      g_assert_null (strchr (view.returned, '\r'));
    }
}

static void
test_view (gconstpointer data)
{
  const ViewCase *c = data;
  g_autofree char *dos = crlf (c->message);

  check_view (c, c->message);
  /* Invariant 2: CRLF line ends give the same view. */
  check_view (c, dos);
}

/* ---- what it is not ------------------------------------------------------- */

static void
test_no_headers (void)
{
  BounceSettings settings;
  g_auto(BounceView) view = { 0 };
  g_autoptr(GError) error = NULL;
  const char *text = "\nno header at all, only text\n";

  bounce_settings_init (&settings);
  g_assert_true (bounce_view_init (&view, text, strlen (text), &settings, &error));
  g_assert_no_error (error);
  g_assert_null (view.message);
  /* Nothing to build, and clearing twice is harmless. */
  bounce_view_ensure_body (&view);
  g_assert_null (view.body);
  bounce_view_clear (&view);
  bounce_view_clear (&view);
}

/* ---- the copy of the returned message in the text ------------------------ */

typedef struct {
  const char *name;
  const char *clause;
  const char *body;
  const char *copy;             /* the text from where the copy starts, or NULL */
} CopyCase;

static const CopyCase copy_cases[] = {
  { "qmail", "qmail-send: the copy after its marker",
    "<a@example.org>:\nSorry, no mailbox here by that name.\n\n"
    "--- Below this line is a copy of the message.\n\nSubject: hi\n",
    "--- Below this line is a copy of the message.\n\nSubject: hi\n" },
  { "earliest", "two markers: the earlier one starts the copy",
    "Delivery failed.\n\nOriginal message follows\n\n-----Original Message-----\nSubject: hi\n",
    "Original message follows\n\n-----Original Message-----\nSubject: hi\n" },
  { "none", "no marker: no copy",
    "Delivery failed.\nSubject: hi\n", NULL },
};

static void
test_copy (gconstpointer data)
{
  const CopyCase *c = data;
  BounceSettings settings;
  g_auto(BounceView) view = { 0 };
  g_autofree char *message = g_strconcat ("From: MAILER-DAEMON@example.org\n"
                                          "Subject: failure notice\n\n", c->body, NULL);
  const char *copy;

  bounce_settings_init (&settings);
  g_assert_true (bounce_view_init (&view, message, strlen (message), &settings, NULL));
  bounce_view_ensure_body (&view);
  copy = bounce_view_returned_copy (&view);
  g_assert_cmpstr (copy, ==, c->copy);
  /* Asked again: the same place, from the memo. */
  g_assert_true (bounce_view_returned_copy (&view) == copy);
  g_assert_true (view.memo->returned_copy_known);
  if (copy != NULL)
    {
      g_assert_true (copy >= view.body && copy < view.body + view.body_len);
      /* From past the first marker, the search finds the next one or none. */
      g_assert_true (bounce_view_returned_marker (&view, copy + 1) != copy);
    }
}

/* ---- limits --------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *clause;
  guint size, depth, parts;     /* settings: 0 keeps the default */
  guint levels, siblings;       /* nested multiparts; parts in the innermost */
  const char *error_has;        /* in the error message */
} LimitCase;

static const LimitCase limit_cases[] = {
  { "size", "BounceSettings.max_message_size", 64, 0, 0, 1, 1, "exceeds the limit of 64 bytes" },
  { "depth", "BounceSettings.max_mime_depth", 0, 3, 0, 5, 1, "nested deeper than 3 levels" },
  { "parts", "BounceSettings.max_mime_parts", 0, 0, 10, 1, 20, "more than 10 parts" },
};

/* A message of @levels nested multiparts, the innermost of @siblings text
 * parts; every level closed. */
static char *
nested (guint levels, guint siblings)
{
  g_autoptr(GString) m = g_string_new ("From: a@example.org\nSubject: limits\n");

  for (guint i = 0; i < levels; i++)
    g_string_append_printf (m, "Content-Type: multipart/mixed; boundary=\"l%u\"\n\n--l%u\n", i, i);
  for (guint s = 0; s < siblings; s++)
    g_string_append_printf (m, "Content-Type: text/plain\n\npart %u with a few words\n--l%u%s\n",
                            s, levels - 1, s + 1 == siblings ? "--" : "");
  for (guint i = levels - 1; i-- > 0;)
    g_string_append_printf (m, "--l%u--\n", i);
  return g_string_free (g_steal_pointer (&m), FALSE);
}

static void
test_limit (gconstpointer data)
{
  const LimitCase *c = data;
  BounceSettings settings;
  g_auto(BounceView) view = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *message = nested (c->levels, c->siblings);

  bounce_settings_init (&settings);
  if (c->size)
    settings.max_message_size = c->size;
  if (c->depth)
    settings.max_mime_depth = c->depth;
  if (c->parts)
    settings.max_mime_parts = c->parts;
  g_assert_false (bounce_view_init (&view, message, strlen (message), &settings, &error));
  g_assert_error (error, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, c->error_has));
  g_assert_null (view.message);

  /* Within the defaults the same message is read. */
  bounce_settings_init (&settings);
  g_clear_error (&error);
  bounce_view_clear (&view);
  g_assert_true (bounce_view_init (&view, message, strlen (message), &settings, &error));
  g_assert_no_error (error);
  g_assert_nonnull (view.message);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (view_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/bounce-view/parts/%s", view_cases[i].name);
      g_test_add_data_func (path, &view_cases[i], test_view);
    }
  g_test_add_func ("/bounce-view/no-headers", test_no_headers);
  for (gsize i = 0; i < G_N_ELEMENTS (copy_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/bounce-view/returned-copy/%s", copy_cases[i].name);
      g_test_add_data_func (path, &copy_cases[i], test_copy);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (limit_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/bounce-view/limits/%s", limit_cases[i].name);
      g_test_add_data_func (path, &limit_cases[i], test_limit);
    }
  return g_test_run ();
}
