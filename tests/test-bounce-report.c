/* test-bounce-report.c - the BounceReport value: recipients, their limit,
 * finding them again, and the work a parse may do
 *
 * Hostile reports (thousands of recipients, megabytes of notice) are built
 * here rather than committed.  Work is measured in bytes searched
 * (bounce_text_searched()), never in seconds: a test that times itself
 * fails on a busy machine and passes on a fast one.
 */
#include "bounce-private.h"

#include <string.h>

/* ---- finding recipients ------------------------------------------------- */

static BounceRecipient *
add (BounceReport *report, const char *address)
{
  BounceRecipient *rcpt = bounce_report_add_recipient (report);

  g_assert_nonnull (rcpt);
  rcpt->recipient = bounce_report_str (report, address);
  return rcpt;
}

static void
test_find (void)
{
  g_autoptr(BounceReport) report = bounce_report_new ();
  BounceRecipient *first, *late, *r;

  g_assert_null (bounce_report_find_recipient (report, "nobody@example.org"));
  first = add (report, "User@Example.org");
  /* Case-insensitive, as a search in order found it. */
  g_assert_true (bounce_report_find_recipient (report, "user@example.ORG") == first);
  /* The first of an address wins. */
  add (report, "user@example.org");
  g_assert_true (bounce_report_find_recipient (report, "USER@example.org") == first);
  /* A recipient given its address after it was added (DSN blocks name it
   * after other fields), and after a lookup saw it without one. */
  late = bounce_report_add_recipient (report);
  g_assert_null (bounce_report_find_recipient (report, "late@example.org"));
  late->recipient = bounce_report_str (report, "late@example.org");
  g_assert_true (bounce_report_find_recipient (report, "late@example.org") == late);
  g_assert_null (bounce_report_find_recipient (report, NULL));
  /* A removal leaves no stale entry: the second user@ is found now. */
  bounce_report_remove_recipient (report, 0);
  r = bounce_report_find_recipient (report, "user@example.org");
  g_assert_nonnull (r);
  g_assert_true (r == g_ptr_array_index (report->recipients, 0));
  g_assert_true (bounce_report_find_recipient (report, "late@example.org") == late);
}

/* Many recipients: every one found, none confused with another. */
static void
test_find_many (void)
{
  g_autoptr(BounceReport) report = bounce_report_new ();
  const guint n = BOUNCE_DEFAULT_MAX_RECIPIENTS;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *a = g_strdup_printf ("user%u@example.org", i);
      g_assert_null (bounce_report_find_recipient (report, a));
      add (report, a);
    }
  for (guint i = 0; i < n; i += 997)
    {
      g_autofree char *a = g_strdup_printf ("USER%u@example.org", i);
      BounceRecipient *r = bounce_report_find_recipient (report, a);
      g_assert_true (r == g_ptr_array_index (report->recipients, i));
    }
}

/* The limit holds as recipients are added: the one past it is refused. */
static void
test_add_limit (void)
{
  g_autoptr(BounceReport) report = bounce_report_new ();

  report->max_recipients = 3;
  for (guint i = 0; i < 3; i++)
    g_assert_nonnull (bounce_report_add_recipient (report));
  g_assert_false (report->too_many);
  g_assert_null (bounce_report_add_recipient (report));
  g_assert_true (report->too_many);
  g_assert_cmpuint (report->recipients->len, ==, 3);
}

/* ---- hostile notices ---------------------------------------------------- */

/* A Postfix notice naming @n recipients, each named @times times. */
static GString *
postfix_notice (guint n, guint times)
{
  GString *s = g_string_new ("From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
                             "To: sender@example.com\n"
                             "Subject: Undelivered Mail Returned to Sender\n"
                             "\n"
                             "This is the mail system at host mx.example.net.\n\n"
                             "I'm sorry to have to inform you that your message could not\n"
                             "be delivered to one or more recipients.\n\n");

  for (guint k = 0; k < times; k++)
    for (guint i = 0; i < n; i++)
      g_string_append_printf (s, "<user%u@example.org>: host mx.example.org[192.0.2.1] said:"
                                 " 550 5.1.1 User unknown (in reply to RCPT TO command)\n\n", i);
  return s;
}

/* A DSN of @n recipients whose human-readable part never names them, after
 * @padding bytes of text: every recipient is looked for in the notice. */
static GString *
dsn_unnamed (guint n, gsize padding)
{
  GString *s = g_string_new ("From: MAILER-DAEMON@mx.example.net\n"
                             "Subject: Undelivered Mail\n"
                             "MIME-Version: 1.0\n"
                             "Content-Type: multipart/report; report-type=delivery-status;"
                             " boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n");

  for (gsize i = 0; i < padding; i += 64)
    g_string_append (s, "The message could not be delivered to some of its recipients.\n\n");
  g_string_append (s, "--B\nContent-Type: message/delivery-status\n\n"
                      "Reporting-MTA: dns; mx.example.net\n");
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "\nFinal-Recipient: rfc822; user%u@example.org\n"
                               "Action: failed\nStatus: 5.1.1\n", i);
  g_string_append (s, "\n--B--\n");
  return s;
}

/* An Exim-style notice whose X-Failed-Recipients names @n addresses and
 * whose body has @n lines naming others: every line against every one. */
static GString *
failed_header_notice (guint n)
{
  GString *s = g_string_new ("From: MAILER-DAEMON@mx.example.net\n"
                             "To: sender@example.com\n"
                             "Subject: Delivery failure\n"
                             "X-Failed-Recipients: ");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%su%u@example.org", i ? ",\n " : "", i);
  g_string_append (s, "\n\n");
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "could not deliver to someone%u@example.net\n", i);
  return s;
}

/* An InterScan notice of @n recipients, then @n transcript lines naming
 * none of them: every line against every recipient. */
static GString *
interscan_notice (guint n)
{
  GString *s = g_string_new ("From: InterScan MSS <scan@example.net>\n"
                             "To: sender@example.com\n"
                             "Subject: Delivery failure\n\n");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "Unable to deliver message to <u%u@example.org>. Reason: 550 no\n", i);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "<<< 250 ok for someone%u@example.net\n", i);
  return s;
}

/* An Exim notice in a language it has no template for: the header names
 * @n addresses, each looked for in the text. */
static GString *
exim_other_notice (guint n)
{
  GString *s = g_string_new ("From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
                             "To: sender@example.com\n"
                             "Subject: Mail delivery failed: returning message to sender\n"
                             "X-Failed-Recipients: ");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%su%u@example.org", i ? ",\n " : "", i);
  g_string_append (s, "\n\nDiese Nachricht wurde automatisch erstellt.\n\n");
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "  zeile %u\n", i);
  for (guint i = n; i-- > 0;)
    g_string_append_printf (s, "  u%u@example.org\n    Mailbox unbekannt\n", i);
  return s;
}

/* Bytes that parsing @s searched. */
static guint64
searched (const GString *s, const BounceSettings *settings, BounceReport **report_out,
          GError **error_out)
{
  guint64 before = bounce_text_searched ();

  *report_out = bounce_report_parse (s->str, s->len, settings, error_out);
  return bounce_text_searched () - before;
}

static void
test_work (void)
{
  struct {
    const char *name;
    GString *s;
    guint recipients;
  } cases[] = {
    /* Each recipient once: the index finds them, no search per recipient. */
    { "postfix notice, 2000 recipients", postfix_notice (2000, 1), 2000 },
    /* The same 2000 named five times: five times the text, 2000 recipients. */
    { "postfix notice, 500 recipients named 4 times", postfix_notice (500, 4), 500 },
    { "DSN, 2000 recipients the notice does not name", dsn_unnamed (2000, 64 * 1024), 2000 },
    { "failed-recipients header, 1500 addresses", failed_header_notice (1500), 1500 },
    { "InterScan transcript, 1500 recipients", interscan_notice (1500), 1500 },
    { "Exim notice in another language, 1000 addresses", exim_other_notice (1000), 1000 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BounceReport) report = NULL;
      g_autoptr(GError) error = NULL;
      guint64 n = searched (cases[i].s, NULL, &report, &error);
      guint64 text = cases[i].s->len;
      guint64 bound;

      g_assert_nonnull (report);
      /* What the report says is searched too (the classifier's phrases over
       * each diagnostic, at most LEGACY_TEXT_MAX_BYTES each). */
      for (guint k = 0; k < report->recipients->len; k++)
        {
          BounceRecipient *r = g_ptr_array_index (report->recipients, k);
          text += r->diagnostic ? strlen (r->diagnostic) : 0;
        }
      /* Linear in that text: the recognisers search it for their phrases,
       * some a few dozen times over (real notices read at most 185 times
       * their size).  A search per recipient read 4.8 GB, 4,600 times the
       * size, for a notice of 9,000 recipients.  The sizes here are small
       * enough for valgrind, large enough that a search per recipient
       * would pass the bound several times over. */
      bound = (guint64) 400 * text;

      g_test_message ("case: %s: %" G_GSIZE_FORMAT " bytes, searched %" G_GUINT64_FORMAT
                      " (%.0f times)", cases[i].name, cases[i].s->len, n,
                      (double) n / (double) cases[i].s->len);
      g_assert_no_error (error);
      g_assert_cmpuint (report->recipients->len, ==, cases[i].recipients);
      g_assert_cmpuint (n, <=, bound);
      g_string_free (cases[i].s, TRUE);
    }
}

/* Every recipient of a large notice gets what the notice says of it, as a
 * small one would: the index changes the cost, not the answer. */
static void
test_large_notice_answers (void)
{
  g_autoptr(GString) s = postfix_notice (2000, 1);
  g_autoptr(BounceReport) report = bounce_report_parse (s->str, s->len, NULL, NULL);

  g_assert_nonnull (report);
  g_assert_cmpuint (report->recipients->len, ==, 2000);
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      g_autofree char *a = g_strdup_printf ("user%u@example.org", i);

      g_assert_cmpstr (r->recipient, ==, a);
      g_assert_cmpstr (r->command, ==, "RCPT");
      g_assert_cmpstr (r->status, ==, "5.1.1");
      g_assert_cmpstr (r->reason, ==, "userunknown");
    }
}

/* Past the limit, notices and DSNs alike fail as soon as the limit is
 * passed; duplicates do not count. */
static void
test_limit (void)
{
  BounceSettings settings;
  struct {
    const char *name;
    GString *s;
    const char *error;     /* NULL: accepted */
    guint recipients;
  } cases[] = {
    { "notice at the limit", postfix_notice (50, 1), NULL, 50 },
    { "notice past the limit", postfix_notice (51, 1), "notice has more than 50 recipients", 0 },
    { "notice far past the limit", postfix_notice (5000, 1), "notice has more than 50 recipients", 0 },
    { "duplicates within the limit", postfix_notice (50, 4), NULL, 50 },
    { "DSN at the limit", dsn_unnamed (50, 0), NULL, 50 },
    { "DSN past the limit", dsn_unnamed (51, 0), "delivery status has more than 50 recipients", 0 },
    { "header past the limit", failed_header_notice (51), "notice has more than 50 recipients", 0 },
  };

  bounce_settings_init (&settings);
  settings.max_recipients = 50;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BounceReport) report = bounce_report_parse (cases[i].s->str, cases[i].s->len,
                                                            &settings, &error);

      g_test_message ("case: %s", cases[i].name);
      if (cases[i].error != NULL)
        {
          g_assert_null (report);
          g_assert_error (error, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE);
          g_assert_cmpstr (error->message, ==, cases[i].error);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_cmpuint (report->recipients->len, ==, cases[i].recipients);
        }
      g_string_free (cases[i].s, TRUE);
    }
}

/* One block of thousands of commented Status fields: each comment is the
 * report's words for the recipient, joined; the join stops at its limit
 * (without one, 200,000 of them kept 200,000 ever longer copies: minutes
 * and gigabytes for 4.7 MB). */
static void
test_notice_cap (void)
{
  GString *s = g_string_new ("From: MAILER-DAEMON@mx.example.net\n"
                             "Subject: Undelivered Mail\n"
                             "MIME-Version: 1.0\n"
                             "Content-Type: multipart/report; report-type=delivery-status;"
                             " boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nx\n\n"
                             "--B\nContent-Type: message/delivery-status\n\n"
                             "Reporting-MTA: dns; mx.example.net\n\n"
                             "Final-Recipient: rfc822; user@example.org\nAction: failed\n");
  g_autoptr(BounceReport) report = NULL;
  const BounceRecipient *r;

  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (s, "Status: 5.2.1 (mailbox disabled %u)\n", i);
  g_string_append (s, "\n--B--\n");
  report = bounce_report_parse (s->str, s->len, NULL, NULL);
  g_string_free (s, TRUE);
  g_assert_nonnull (report);
  g_assert_cmpuint (report->recipients->len, ==, 1);
  r = g_ptr_array_index (report->recipients, 0);
  g_assert_nonnull (r->notice);
  g_assert_true (g_str_has_prefix (r->notice, "mailbox disabled 0; mailbox disabled 1; "));
  g_assert_cmpuint (strlen (r->notice), <=, BOUNCE_NOTICE_MAX_BYTES);
  g_assert_cmpuint (strlen (r->notice), >, BOUNCE_NOTICE_MAX_BYTES - 64);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report/recipients/find", test_find);
  g_test_add_func ("/report/recipients/find-many", test_find_many);
  g_test_add_func ("/report/recipients/add-limit", test_add_limit);
  g_test_add_func ("/report/recipients/limit", test_limit);
  g_test_add_func ("/report/recipients/notice-cap", test_notice_cap);
  g_test_add_func ("/report/work/hostile-notices", test_work);
  g_test_add_func ("/report/work/large-notice-answers", test_large_notice_answers);
  return g_test_run ();
}
