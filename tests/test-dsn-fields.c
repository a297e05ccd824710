/* test-dsn-fields.c - the fields of a message/delivery-status body
 *
 * Tests of parser/dsn-fields.c over delivery-status bodies written here:
 * every per-message field (RFC 3464 section 2.2) and per-recipient field
 * (section 2.3), the leniencies the module promises (case-insensitive names,
 * folding, comments, missing type prefixes, odd spacing, missing or doubled
 * blank lines between blocks), X- extension fields, and the limits.
 */
#include "bounce-private.h"

#include <string.h>

/* Expected values of one recipient; NULL means absent. */
typedef struct {
  const char *recipient;
  const char *original_recipient;
  const char *action;
  const char *status;
  const char *remote_mta;
  const char *diagnostic_type;
  const char *diagnostic;
  const char *last_attempt;
  const char *will_retry_until;
  const char *final_log_id;
  const char *extension;       /* "Name=value" of the first X- field */
} ExpectRecipient;

#define MAX_EXPECTED 4

typedef struct {
  const char *name;
  const char *clause;
  const char *body;
  /* per-message */
  const char *reporting_mta;
  const char *dsn_gateway;
  const char *received_from_mta;
  const char *original_envelope_id;
  const char *arrival_date;
  const char *message_extension;  /* "Name=value" of the first X- field */
  int count;
  ExpectRecipient rcpt[MAX_EXPECTED];
} FieldsCase;

static const FieldsCase fields_cases[] = {
  {
    "every-field", "RFC 3464 2.2 and 2.3: all fields of a two-block report",
    "Original-Envelope-Id: env-42\n"
    "Reporting-MTA: dns; mx.example.net\n"
    "DSN-Gateway: dns; gw.example.net\n"
    "Received-From-MTA: dns; client.example.com\n"
    "Arrival-Date: Fri, 20 Nov 2026 10:00:00 +0100\n"
    "\n"
    "Original-Recipient: rfc822; alias@example.org\n"
    "Final-Recipient: rfc822; user@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx.example.org\n"
    "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n"
    "Last-Attempt-Date: Fri, 20 Nov 2026 10:00:05 +0100\n"
    "Final-Log-ID: 4Abc123\n"
    "\n"
    "Final-Recipient: rfc822; slow@example.org\n"
    "Action: delayed\n"
    "Status: 4.4.1\n"
    "Will-Retry-Until: Sat, 21 Nov 2026 10:00:00 +0100\n",
    "mx.example.net", "gw.example.net", "client.example.com", "env-42",
    "2026-11-20T09:00:00+00:00", NULL,
    2, {
      { "user@example.org", "alias@example.org", "failed", "5.1.1", "mx.example.org",
        "smtp", "550 5.1.1 user unknown", "2026-11-20T09:00:05+00:00", NULL, "4Abc123", NULL },
      { "slow@example.org", NULL, "delayed", "4.4.1", NULL, NULL, NULL, NULL,
        "2026-11-21T09:00:00+00:00", NULL, NULL },
    },
  },
  {
    "case-insensitive-names", "RFC 5322 1.2.2: field names are case-insensitive",
    "REPORTING-MTA: dns; mx.example.net\n"
    "\n"
    "final-recipient: rfc822; user@example.org\n"
    "ACTION: FAILED\n"
    "sTaTuS: 5.2.2\n"
    "diagnostic-code: SMTP; 552 mailbox full\n",
    "mx.example.net", NULL, NULL, NULL, NULL, NULL,
    1, {
      { "user@example.org", NULL, "failed", "5.2.2", NULL, "smtp", "552 mailbox full",
        NULL, NULL, NULL, NULL },
    },
  },
  {
    "folded-diagnostic", "RFC 5322 2.2.3: a folded field is unfolded, whitespace collapsed",
    "Reporting-MTA: dns; mx.example.net\n"
    "\n"
    "Final-Recipient: rfc822; user@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <user@example.org>:\n"
    "    Recipient address rejected:\n"
    "\tUser unknown in virtual mailbox table\n",
    "mx.example.net", NULL, NULL, NULL, NULL, NULL,
    1, {
      { "user@example.org", NULL, "failed", "5.1.1", NULL, "smtp",
        "550 5.1.1 <user@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
        NULL, NULL, NULL, NULL },
    },
  },
  {
    "folded-recipient", "RFC 5322 2.2.3: folding inside an address field",
    "Final-Recipient: rfc822;\n"
    "  user@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n",
    NULL, NULL, NULL, NULL, NULL, NULL,
    1, {
      { "user@example.org", NULL, "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "comments", "RFC 5322 3.2.2: comments in structured fields are ignored",
    "Reporting-MTA: dns; mx.example.net (Postfix)\n"
    "\n"
    "Final-Recipient: rfc822; user@example.org (the user)\n"
    "Action: failed (permanent)\n"
    "Status: 5.1.1 (user unknown)\n"
    "Remote-MTA: dns; mx.example.org (192.0.2.1)\n",
    "mx.example.net", NULL, NULL, NULL, NULL, NULL,
    1, {
      { "user@example.org", NULL, "failed", "5.1.1", "mx.example.org", NULL, NULL,
        NULL, NULL, NULL, NULL },
    },
  },
  {
    "no-type-prefix", "RFC 3464 2.1.2: address-type missing (seen from many MTAs)",
    "Reporting-MTA: mx.example.net\n"
    "\n"
    "Final-Recipient: user@example.org\n"
    "Original-Recipient: <alias@example.org>\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: mx.example.org\n"
    "Diagnostic-Code: 550 5.1.1 unknown user\n",
    "mx.example.net", NULL, NULL, NULL, NULL, NULL,
    1, {
      { "user@example.org", "alias@example.org", "failed", "5.1.1", "mx.example.org", NULL,
        "550 5.1.1 unknown user", NULL, NULL, NULL, NULL },
    },
  },
  {
    "odd-spacing", "RFC 5322 3.2.2: blanks around the colon and the semicolon",
    "Reporting-MTA :dns;mx.example.net\n"
    "\n"
    "Final-Recipient:rfc822;user@example.org\n"
    "Action :   failed   \n"
    "Status:\t5.1.1\n"
    "Remote-MTA: dns ;  [192.0.2.1]\n"
    "Diagnostic-Code:smtp;550   user    unknown\n",
    "mx.example.net", NULL, NULL, NULL, NULL, NULL,
    1, {
      { "user@example.org", NULL, "failed", "5.1.1", "192.0.2.1", "smtp",
        "550 user unknown", NULL, NULL, NULL, NULL },
    },
  },
  {
    "angle-brackets", "RFC 3464 2.3.2: an address in angle brackets, as some MTAs send",
    "Final-Recipient: RFC822; <User@Example.org>\n"
    "Action: failed\n"
    "Status: 5.1.1\n",
    NULL, NULL, NULL, NULL, NULL, NULL,
    1, {
      { "User@Example.org", NULL, "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "several-blank-lines", "RFC 3464 2.1: blocks separated by more than one blank line",
    "Reporting-MTA: dns; mx.example.net\n"
    "\n\n\n"
    "Final-Recipient: rfc822; a@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "\n  \n\n"
    "Final-Recipient: rfc822; b@example.org\n"
    "Action: failed\n"
    "Status: 5.2.1\n"
    "\n\n",
    "mx.example.net", NULL, NULL, NULL, NULL, NULL,
    2, {
      { "a@example.org", NULL, "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
      { "b@example.org", NULL, "failed", "5.2.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "no-blank-lines", "module leniency: a second Final-Recipient opens a block",
    "Reporting-MTA: dns; mx.example.net\n"
    "Final-Recipient: rfc822; a@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Final-Recipient: rfc822; b@example.org\n"
    "Action: delayed\n"
    "Status: 4.2.2\n",
    "mx.example.net", NULL, NULL, NULL, NULL, NULL,
    2, {
      { "a@example.org", NULL, "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
      { "b@example.org", NULL, "delayed", "4.2.2", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "no-blank-lines-original-first", "RFC 3464 2.3: Original-Recipient opens the next block",
    "Original-Recipient: rfc822; a0@example.org\n"
    "Final-Recipient: rfc822; a@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Original-Recipient: rfc822; b0@example.org\n"
    "Final-Recipient: rfc822; b@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n",
    NULL, NULL, NULL, NULL, NULL, NULL,
    2, {
      { "a@example.org", "a0@example.org", "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
      { "b@example.org", "b0@example.org", "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "original-after-final", "module leniency: Original-Recipient after Final-Recipient",
    "Final-Recipient: rfc822; a@example.org\n"
    "Original-Recipient: rfc822; alias@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n",
    NULL, NULL, NULL, NULL, NULL, NULL,
    1, {
      { "a@example.org", "alias@example.org", "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "only-original-recipient", "RFC 3464 2.3.2 is required, but some MTAs give Original only",
    "Original-Recipient: rfc822; only@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n",
    NULL, NULL, NULL, NULL, NULL, NULL,
    1, {
      { "only@example.org", "only@example.org", "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "recipient-without-address", "a block that never names an address is dropped",
    "Reporting-MTA: dns; mx.example.net\n"
    "\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "\n"
    "Final-Recipient: rfc822; kept@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n",
    "mx.example.net", NULL, NULL, NULL, NULL, NULL,
    1, {
      { "kept@example.org", NULL, "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "extension-fields", "RFC 3464 2.4: X- fields are kept, per message and per recipient",
    "Reporting-MTA: dns; mx.example.net\n"
    "X-Postfix-Queue-ID: 4Abc\n"
    "\n"
    "Final-Recipient: rfc822; user@example.org\n"
    "X-Actual-Recipient: rfc822; real@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Unknown-Field: ignored\n",
    "mx.example.net", NULL, NULL, NULL, NULL, "X-Postfix-Queue-ID=4Abc",
    1, {
      { "user@example.org", NULL, "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL,
        "X-Actual-Recipient=rfc822; real@example.org" },
    },
  },
  {
    "status-embedded", "RFC 3463 2: a Status carrying more than the code",
    "Final-Recipient: rfc822; user@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1 Mailbox does not exist\n",
    NULL, NULL, NULL, NULL, NULL, NULL,
    1, {
      { "user@example.org", NULL, "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "utf8-address", "RFC 6533 3: utf-8 address type of global DSNs",
    "Final-Recipient: utf-8; jos\xc3\xa9@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n",
    NULL, NULL, NULL, NULL, NULL, NULL,
    1, {
      { "jos\xc3\xa9@example.org", NULL, "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "empty-values", "an empty value is an absent value (bounce.h invariant 1)",
    "Reporting-MTA:\n"
    "\n"
    "Final-Recipient: rfc822; user@example.org\n"
    "Action:   \n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: smtp;\n",
    NULL, NULL, NULL, NULL, NULL, NULL,
    1, {
      { "user@example.org", NULL, NULL, "5.1.1", NULL, "smtp", NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "bad-date", "RFC 5322 3.3: an unreadable date is absent, not garbage",
    "Arrival-Date: sometime yesterday\n"
    "\n"
    "Final-Recipient: rfc822; user@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n",
    NULL, NULL, NULL, NULL, NULL, NULL,
    1, {
      { "user@example.org", NULL, "failed", "5.1.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    },
  },
  {
    "no-recipient", "per-message fields only",
    "Reporting-MTA: dns; mx.example.net\n",
    "mx.example.net", NULL, NULL, NULL, NULL, NULL,
    0, { { NULL } },
  },
  {
    "empty", "an empty body", "",
    NULL, NULL, NULL, NULL, NULL, NULL,
    0, { { NULL } },
  },
};

static void
assert_field (GPtrArray *fields, const char *expected)
{
  const BounceField *field;
  g_autofree char *got = NULL;

  if (expected == NULL)
    {
      g_assert_cmpuint (fields->len, ==, 0);
      return;
    }
  g_assert_cmpuint (fields->len, >=, 1);
  field = g_ptr_array_index (fields, 0);
  got = g_strdup_printf ("%s=%s", field->name, field->value);
  g_assert_cmpstr (got, ==, expected);
}

static BounceReport *
parse_body (const char *body, const BounceSettings *settings, int *count_out,
            GError **error_out)
{
  BounceReport *report = bounce_report_new ();

  *count_out = dsn_fields_parse (report, body, strlen (body), settings, error_out);
  return report;
}

static void
test_fields (gconstpointer data)
{
  const FieldsCase *c = data;
  BounceSettings settings;
  g_autoptr(BounceReport) report = NULL;
  g_autoptr(GError) error = NULL;
  int count;

  g_test_message ("%s (%s)", c->name, c->clause);
  bounce_settings_init (&settings);
  report = parse_body (c->body, &settings, &count, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, c->count);
  g_assert_cmpuint (report->recipients->len, ==, (guint) c->count);
  g_assert_cmpstr (report->reporting_mta, ==, c->reporting_mta);
  g_assert_cmpstr (report->dsn_gateway, ==, c->dsn_gateway);
  g_assert_cmpstr (report->received_from_mta, ==, c->received_from_mta);
  g_assert_cmpstr (report->original_envelope_id, ==, c->original_envelope_id);
  g_assert_cmpstr (report->arrival_date, ==, c->arrival_date);
  assert_field (report->extensions, c->message_extension);

  for (int i = 0; i < c->count && i < (int) report->recipients->len; i++)
    {
      const ExpectRecipient *e = &c->rcpt[i];
      const BounceRecipient *r = g_ptr_array_index (report->recipients, i);

      g_test_message ("recipient %d", i);
      g_assert_cmpstr (r->recipient, ==, e->recipient);
      g_assert_cmpstr (r->original_recipient, ==, e->original_recipient);
      g_assert_cmpstr (r->action, ==, e->action);
      g_assert_cmpstr (r->status, ==, e->status);
      g_assert_cmpstr (r->remote_mta, ==, e->remote_mta);
      g_assert_cmpstr (r->diagnostic_type, ==, e->diagnostic_type);
      g_assert_cmpstr (r->diagnostic, ==, e->diagnostic);
      g_assert_cmpstr (r->last_attempt, ==, e->last_attempt);
      g_assert_cmpstr (r->will_retry_until, ==, e->will_retry_until);
      g_assert_cmpstr (r->final_log_id, ==, e->final_log_id);
      assert_field (r->extensions, e->extension);
    }
}

/* ---- dates -------------------------------------------------------------- */

/* RFC 3464 2.2.5 and 2.3.7-8 take their dates from RFC 5322 3.3, whose zone
 * is any +hhmm up to +9959; PostgreSQL's timestamptz reads offsets up to
 * 15:59.  Every date comes out in UTC, what was written beside it. */
static const struct {
  const char *name;
  const char *written;
  const char *utc;          /* NULL: unreadable */
} date_cases[] = {
  { "offset +0100", "Fri, 20 Nov 2026 10:00:00 +0100", "2026-11-20T09:00:00+00:00" },
  { "offset +2359 (RFC 5322 3.3, the largest in use)", "Fri, 20 Nov 2026 10:00:00 +2359",
    "2026-11-19T10:01:00+00:00" },
  { "offset -2359", "Fri, 20 Nov 2026 10:00:00 -2359", "2026-11-21T09:59:00+00:00" },
  { "offset +1600 (past timestamptz's)", "Fri, 20 Nov 2026 10:00:00 +1600",
    "2026-11-19T18:00:00+00:00" },
  { "obsolete zone EST (RFC 5322 4.3)", "Fri, 20 Nov 2026 10:00:00 EST", "2026-11-20T15:00:00+00:00" },
  { "ISO 8601 as some MTAs write it", "2026-11-20T10:00:00+05:30", "2026-11-20T04:30:00+00:00" },
  { "last second of 9999 in UTC", "Fri, 31 Dec 9999 23:59:59 +0000", "9999-12-31T23:59:59+00:00" },
  { "past 9999 once in UTC", "Fri, 31 Dec 9999 23:00:00 -0500", NULL },
  { "not a date", "the day before yesterday", NULL },
};

static void
test_dates (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (date_cases); i++)
    {
      g_autofree char *body = g_strdup_printf (
        "Reporting-MTA: dns; mx.example.net\nArrival-Date: %s\n\n"
        "Final-Recipient: rfc822; user@example.org\nAction: delayed\nStatus: 4.4.1\n"
        "Last-Attempt-Date: %s\nWill-Retry-Until: %s\n",
        date_cases[i].written, date_cases[i].written, date_cases[i].written);
      BounceSettings settings;
      g_autoptr(BounceReport) report = NULL;
      g_autoptr(GError) error = NULL;
      const BounceRecipient *r;
      int count;

      g_test_message ("case: %s", date_cases[i].name);
      bounce_settings_init (&settings);
      report = parse_body (body, &settings, &count, &error);
      g_assert_no_error (error);
      g_assert_cmpint (count, ==, 1);
      r = g_ptr_array_index (report->recipients, 0);
      g_assert_cmpstr (report->arrival_date, ==, date_cases[i].utc);
      g_assert_cmpstr (r->last_attempt, ==, date_cases[i].utc);
      g_assert_cmpstr (r->will_retry_until, ==, date_cases[i].utc);
      g_assert_cmpstr (report->arrival_date_text, ==, date_cases[i].written);
      g_assert_cmpstr (r->last_attempt_text, ==, date_cases[i].written);
      g_assert_cmpstr (r->will_retry_until_text, ==, date_cases[i].written);
    }
}

/* ---- limits ------------------------------------------------------------- */

static char *
body_with_recipients (guint n)
{
  GString *s = g_string_new ("Reporting-MTA: dns; mx.example.net\n");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "\nFinal-Recipient: rfc822; u%u@example.org\n"
                            "Action: failed\nStatus: 5.1.1\n", i);
  return g_string_free (s, FALSE);
}

/* bounce.h BounceSettings.max_recipients: at the limit is fine... */
static void
test_max_recipients_at_limit (void)
{
  BounceSettings settings;
  g_autofree char *body = body_with_recipients (5);
  g_autoptr(BounceReport) report = NULL;
  g_autoptr(GError) error = NULL;
  int count;

  bounce_settings_init (&settings);
  settings.max_recipients = 5;
  report = parse_body (body, &settings, &count, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 5);
}

/* ... one past it is refused with TOO_LARGE. */
static void
test_max_recipients_past_limit (void)
{
  BounceSettings settings;
  g_autofree char *body = body_with_recipients (6);
  g_autoptr(BounceReport) report = NULL;
  g_autoptr(GError) error = NULL;
  int count;

  bounce_settings_init (&settings);
  settings.max_recipients = 5;
  report = parse_body (body, &settings, &count, &error);
  g_assert_error (error, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE);
  g_assert_cmpint (count, ==, -1);
  g_assert_cmpuint (report->recipients->len, <=, 5);
}

/* The limit counts blocks, so a body of blocks without addresses cannot
 * slip past it either. */
static void
test_max_recipients_default (void)
{
  BounceSettings settings;
  g_autofree char *body = body_with_recipients (BOUNCE_DEFAULT_MAX_RECIPIENTS + 1);
  g_autoptr(BounceReport) report = NULL;
  g_autoptr(GError) error = NULL;
  int count;

  bounce_settings_init (&settings);
  report = parse_body (body, &settings, &count, &error);
  g_assert_error (error, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE);
  g_assert_cmpint (count, ==, -1);
}

/* BounceSettings.max_field_length: longer values are truncated, also when
 * they come folded over many lines, and never inside a UTF-8 character. */
static void
test_max_field_length (void)
{
  BounceSettings settings;
  g_autoptr(GString) body = g_string_new ("Final-Recipient: rfc822; user@example.org\n"
                                          "Action: failed\nStatus: 5.1.1\n"
                                          "Diagnostic-Code: smtp; 550");
  g_autoptr(BounceReport) report = NULL;
  g_autoptr(GError) error = NULL;
  const BounceRecipient *r;
  int count;

  for (int i = 0; i < 200; i++)
    g_string_append (body, "\n  \xc3\xa9t\xc3\xa9 word");
  g_string_append_c (body, '\n');
  bounce_settings_init (&settings);
  settings.max_field_length = 101;
  report = bounce_report_new ();
  count = dsn_fields_parse (report, body->str, body->len, &settings, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 1);
  r = g_ptr_array_index (report->recipients, 0);
  g_assert_nonnull (r->diagnostic);
  g_assert_true (g_str_has_prefix (r->diagnostic, "550 "));
  g_assert_cmpuint (strlen (r->diagnostic), <=, settings.max_field_length);
  g_assert_cmpuint (strlen (r->diagnostic), >=, settings.max_field_length / 2);
  g_assert_true (g_utf8_validate (r->diagnostic, -1, NULL));
  /* Truncation made no replacement characters: the cut is on a boundary. */
  g_assert_null (strstr (r->diagnostic, "\xef\xbf\xbd"));
}

/* A single unfolded line longer than the limit. */
static void
test_max_field_length_one_line (void)
{
  BounceSettings settings;
  g_autoptr(GString) body = g_string_new ("Final-Recipient: rfc822; user@example.org\n"
                                          "Action: failed\nStatus: 5.1.1\n"
                                          "Final-Log-ID: ");
  g_autoptr(BounceReport) report = NULL;
  g_autoptr(GError) error = NULL;
  const BounceRecipient *r;
  int count;

  for (int i = 0; i < 5000; i++)
    g_string_append_c (body, 'a' + i % 26);
  g_string_append_c (body, '\n');
  bounce_settings_init (&settings);
  settings.max_field_length = 64;
  report = bounce_report_new ();
  count = dsn_fields_parse (report, body->str, body->len, &settings, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 1);
  r = g_ptr_array_index (report->recipients, 0);
  g_assert_cmpuint (strlen (r->final_log_id), ==, 64);
}

/* Reports are additive: a second status part appends recipients. */
static void
test_second_parse_appends (void)
{
  BounceSettings settings;
  g_autoptr(BounceReport) report = bounce_report_new ();
  g_autoptr(GError) error = NULL;
  const char *a = "Final-Recipient: rfc822; a@example.org\nAction: failed\n";
  const char *b = "Final-Recipient: rfc822; b@example.org\nAction: failed\n";

  bounce_settings_init (&settings);
  g_assert_cmpint (dsn_fields_parse (report, a, strlen (a), &settings, &error), ==, 1);
  g_assert_cmpint (dsn_fields_parse (report, b, strlen (b), &settings, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (report->recipients->len, ==, 2);
}

/* ---- dsn_fields_sniff --------------------------------------------------- */

typedef struct {
  const char *name;
  const char *clause;
  const char *text;
  gboolean is_status;
} SniffCase;

static const SniffCase sniff_cases[] = {
  { "final-and-action", "RFC 3464 2.3.2 and 2.3.3",
    "Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n", TRUE },
  { "original-and-status", "RFC 3464 2.3.1 and 2.3.4",
    "Original-Recipient: rfc822; a@b.example\nStatus: 5.1.1\n", TRUE },
  { "lower-case", "RFC 5322 1.2.2: names are case-insensitive",
    "final-recipient: rfc822; a@b.example\nstatus: 5.1.1\n", TRUE },
  { "space-before-colon", "odd spacing",
    "Final-Recipient: a@b.example\nAction : failed\n", TRUE },
  { "recipient-only", "a recipient but no Action or Status",
    "Final-Recipient: rfc822; a@b.example\n", FALSE },
  { "action-only", "an Action but no recipient", "Action: failed\nStatus: 5.1.1\n", FALSE },
  { "prose", "a notice that talks about fields",
    "Your message to a@b.example failed.\nThe status was bad; the action failed.\n", FALSE },
  { "action-prefix-word", "\"Actions:\" is not \"Action:\"",
    "Final-Recipient: rfc822; a@b.example\nActions: none\n", FALSE },
  { "empty", "no text", "", FALSE },
};

static void
test_sniff (gconstpointer data)
{
  const SniffCase *c = data;

  g_test_message ("%s (%s)", c->name, c->clause);
  g_assert_cmpint (dsn_fields_sniff (c->text, strlen (c->text)), ==, c->is_status);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_mime_init ();

  for (gsize i = 0; i < G_N_ELEMENTS (fields_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dsn/fields/parse/%s", fields_cases[i].name);
      g_test_add_data_func (path, &fields_cases[i], test_fields);
    }
  g_test_add_func ("/dsn/fields/dates/utc-and-as-written", test_dates);
  g_test_add_func ("/dsn/fields/limits/max-recipients-at-limit", test_max_recipients_at_limit);
  g_test_add_func ("/dsn/fields/limits/max-recipients-past-limit", test_max_recipients_past_limit);
  g_test_add_func ("/dsn/fields/limits/max-recipients-default", test_max_recipients_default);
  g_test_add_func ("/dsn/fields/limits/max-field-length-folded", test_max_field_length);
  g_test_add_func ("/dsn/fields/limits/max-field-length-one-line", test_max_field_length_one_line);
  g_test_add_func ("/dsn/fields/parse/second-part-appends", test_second_parse_appends);
  for (gsize i = 0; i < G_N_ELEMENTS (sniff_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dsn/fields/sniff/%s", sniff_cases[i].name);
      g_test_add_data_func (path, &sniff_cases[i], test_sniff);
    }
  return g_test_run ();
}
