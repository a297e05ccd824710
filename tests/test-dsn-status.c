/* test-dsn-status.c - RFC 3463 enhanced status codes and SMTP reply codes
 *
 * Tests of parser/dsn-status.c: the status-code grammar (RFC 3463 section 2),
 * finding codes in diagnostic text, finding the SMTP reply code (RFC 5321
 * section 4.2), and completing a recipient's Status from its diagnostic.
 * Every case names the clause or the kind of real-world text it comes from.
 */
#include "bounce-private.h"

#include <string.h>

/* ---- dsn_status_is_valid ------------------------------------------------ */

typedef struct {
  const char *name;
  const char *clause;
  const char *input;
  gssize len;           /* -1: NUL-terminated */
  gboolean valid;
} ValidCase;

static const ValidCase valid_cases[] = {
  { "permanent", "RFC 3463 2: class 5", "5.1.1", -1, TRUE },
  { "transient", "RFC 3463 2: class 4", "4.2.2", -1, TRUE },
  { "success", "RFC 3463 2: class 2", "2.0.0", -1, TRUE },
  { "three-digit-subject", "RFC 3463 2: subject = 1*3digit", "5.123.1", -1, TRUE },
  { "three-digit-detail", "RFC 3463 2: detail = 1*3digit", "5.7.509", -1, TRUE },
  { "both-three-digits", "RFC 3463 2", "4.999.999", -1, TRUE },
  { "four-digit-subject", "RFC 3463 2: at most 3 digits", "5.1234.1", -1, FALSE },
  { "four-digit-detail", "RFC 3463 2: at most 3 digits", "5.1.1234", -1, FALSE },
  { "class-3", "RFC 3463 2: class = 2 / 4 / 5", "3.1.1", -1, FALSE },
  { "class-1", "RFC 3463 2: class = 2 / 4 / 5", "1.1.1", -1, FALSE },
  { "class-6", "RFC 3463 2: class = 2 / 4 / 5", "6.0.0", -1, FALSE },
  { "missing-detail", "RFC 3463 2: three parts", "5.1", -1, FALSE },
  { "missing-detail-dot", "RFC 3463 2: detail = 1*3digit", "5.1.", -1, FALSE },
  { "missing-subject", "RFC 3463 2: subject = 1*3digit", "5..1", -1, FALSE },
  { "class-only", "RFC 3463 2", "5", -1, FALSE },
  { "empty", "RFC 3463 2", "", -1, FALSE },
  { "trailing-junk", "RFC 3463 2: nothing after the detail", "5.1.1x", -1, FALSE },
  { "trailing-space", "RFC 3463 2: nothing after the detail", "5.1.1 ", -1, FALSE },
  { "trailing-dot", "RFC 3463 2", "5.1.1.", -1, FALSE },
  { "four-parts", "RFC 3463 2: version numbers are not codes", "5.1.1.1", -1, FALSE },
  { "leading-space", "RFC 3463 2", " 5.1.1", -1, FALSE },
  { "letters", "RFC 3463 2: digits only", "5.a.1", -1, FALSE },
  { "length-prefix", "a code at the start of a longer buffer", "5.1.1 user unknown", 5, TRUE },
  { "length-cuts-code", "a buffer that ends inside a code", "5.1.10", 4, FALSE },
};

static void
test_is_valid (gconstpointer data)
{
  const ValidCase *c = data;

  g_test_message ("%s (%s): \"%s\"", c->name, c->clause, c->input);
  g_assert_cmpint (dsn_status_is_valid (c->input, c->len), ==, c->valid);
}

static void
test_is_valid_null (void)
{
  g_assert_false (dsn_status_is_valid (NULL, -1));
}

/* ---- dsn_status_is_generic ---------------------------------------------- */

typedef struct {
  const char *name;
  const char *input;
  gboolean generic;
} GenericCase;

static const GenericCase generic_cases[] = {
  { "permanent-other", "5.0.0", TRUE },
  { "transient-other", "4.0.0", TRUE },
  { "specific", "5.1.1", FALSE },
  { "subject-only", "5.1.0", FALSE },
  { "detail-only", "5.0.1", FALSE },
  { "padded-zeroes", "5.00.000", FALSE },
  { "invalid", "5.0.0.0", FALSE },
  { "null", NULL, FALSE },
};

static void
test_is_generic (gconstpointer data)
{
  const GenericCase *c = data;

  g_assert_cmpint (dsn_status_is_generic (c->input), ==, c->generic);
}

/* ---- dsn_status_find ---------------------------------------------------- */

typedef struct {
  const char *name;
  const char *clause;
  const char *text;
  const char *expected;   /* NULL: no code */
} FindCase;

static const FindCase find_cases[] = {
  { "after-reply-code", "RFC 3463 + RFC 5321: \"550 5.1.1 ...\"",
    "550 5.1.1 <a@example.org>: Recipient address rejected", "5.1.1" },
  { "dash-continuation", "RFC 5321 4.2.1 multiline reply \"550-5.7.1\"",
    "550-5.7.1 [192.0.2.1] Our system has detected", "5.7.1" },
  { "dash-continuation-inside", "RFC 5321 4.2.1 multiline reply quoted in a sentence",
    "host said: 421-4.7.0 try again", "4.7.0" },
  { "dash-after-word", "a code glued by '-' to a word is not a code",
    "ab550-5.7.1 x", NULL },
  { "three-digit-detail", "RFC 7372 5.7.509 style codes",
    "550 5.7.509 Access denied, sending domain does not pass DMARC", "5.7.509" },
  { "inside-sentence", "Postfix \"(in reply to RCPT TO command)\"",
    "host mx said: 552 4.2.2 mailbox full (in reply to RCPT TO command)", "4.2.2" },
  { "end-of-sentence", "a code ending a sentence keeps its meaning",
    "The error was 5.1.1.", "5.1.1" },
  { "end-of-sentence-then-text", "a period and a space after the code",
    "Status 5.2.2. Please retry later.", "5.2.2" },
  { "end-of-text", "a code as the last bytes", "rejected: 5.7.26", "5.7.26" },
  { "in-parentheses", "Exchange \"(#5.1.1)\"-like text",
    "Unknown user (5.1.1)", "5.1.1" },
  { "after-hash", "Exchange \"#5.1.10\"", "550 #5.1.10 smtp;550 recipient not found", "5.1.10" },
  { "after-colon", "a code after a label", "Status:5.4.4", "5.4.4" },
  { "ip-address", "an IPv4 address is not a code",
    "connect to 5.1.1.1 failed", NULL },
  { "ip-address-then-code", "the code after an IP address is found",
    "host 5.1.1.1 said: 550 5.7.1 blocked", "5.7.1" },
  { "ip-tail", "the tail of an address 192.5.1.1 is not a code",
    "from [192.5.1.1] refused", NULL },
  { "version-v", "a version number with a prefix is not a code",
    "Exim v4.2.1 says no", NULL },
  { "version-four-parts", "a four-part version number", "build 4.2.1.3", NULL },
  { "date", "a dotted date is not a code", "on 5.11.2026 we failed", NULL },
  { "date-year-first", "a dotted date with a year of digits", "2026.5.1.1 x", NULL },
  { "class-3", "RFC 3463 2: class 3 does not exist", "error 3.1.1 found", NULL },
  { "hyphenated", "a code glued to a word is not a code", "id-5.1.1-x", NULL },
  { "in-address", "digits inside an address", "5.1.1@example.org", NULL },
  { "in-path", "digits inside a path", "/var/5.1.1/spool", NULL },
  { "four-digit-subject", "RFC 3463 2: 1*3digit", "error 5.1234.1 here", NULL },
  { "second-code", "the first stand-alone code wins",
    "version 1.2.3 then 4.4.7 and 5.1.1", "4.4.7" },
  { "empty", "no text", "", NULL },
};

static void
test_find (gconstpointer data)
{
  const FindCase *c = data;
  char code[16] = "unchanged";
  gboolean found;

  g_test_message ("%s (%s): \"%s\"", c->name, c->clause, c->text);
  found = dsn_status_find (c->text, code);
  if (c->expected == NULL)
    g_assert_false (found);
  else
    {
      g_assert_true (found);
      g_assert_cmpstr (code, ==, c->expected);
    }
}

static void
test_find_null (void)
{
  char code[16];

  g_assert_false (dsn_status_find (NULL, code));
}

/* ---- dsn_status_find_reply_code ----------------------------------------- */

static const FindCase reply_cases[] = {
  { "at-start", "RFC 5321 4.2: Reply-code at the start of a reply",
    "550 5.1.1 User unknown", "550" },
  { "at-start-no-enhanced", "RFC 5321 4.2 without RFC 3463 code",
    "550 Requested action not taken: mailbox unavailable", "550" },
  { "at-start-multiline", "RFC 5321 4.2.1 \"550-\" continuation",
    "550-5.7.1 Our system has detected", "550" },
  { "at-start-quoted", "a quoted reply", "\"452 4.2.2 Mailbox full\"", "452" },
  { "at-start-parenthesis", "a reply in parentheses", "(554 rejected)", "554" },
  { "leading-space", "leading blanks", "   421 try later", "421" },
  { "before-enhanced", "a reply code right before an enhanced code of its class",
    "host mx.example.org: 550 5.1.1 no such user", "550" },
  { "before-hash-enhanced", "Exchange \"550 #5.1.1\"",
    "Remote server returned 550 #5.1.1 not found", "550" },
  { "after-said", "Postfix \"host X said: 550 ...\"",
    "host mx.example.org[192.0.2.1] said: 554 Service unavailable", "554" },
  { "after-said-no-colon", "qmail \"Remote host said 550\"",
    "Remote host said 553 sorry, no mailbox", "553" },
  { "after-error", "\"error: 550\"", "SMTP error: 550 mailbox unavailable", "550" },
  { "after-smtp-semicolon", "diagnostic-type prefix left in the text",
    "smtp;550 unknown", "550" },
  { "after-response", "\"response: 452\"", "the response: 452 too many recipients", "452" },
  { "class-mismatch-before-enhanced", "a number before a code of another class is not its reply",
    "queue 250 4.4.7 expired", NULL },
  { "not-a-reply-code-6xx", "RFC 5321 4.2: first digit 2-5", "600 nothing", NULL },
  { "not-a-reply-code-second-digit", "RFC 5321 4.2.1: second digit 0-5",
    "580 nothing", NULL },
  { "in-ip-address", "digits of an IP address", "connect to 192.0.2.250 refused", NULL },
  { "in-port", "a port number after a colon", "connect to mx:250 refused", NULL },
  { "four-digits", "four digits are not a reply code", "5500 x", NULL },
  { "in-word", "digits glued to a word", "id550 x", NULL },
  { "no-code", "no digits at all", "mailbox unavailable", NULL },
  { "empty", "no text", "", NULL },
};

static void
test_reply_code (gconstpointer data)
{
  const FindCase *c = data;
  char code[8] = "xxx";
  gboolean found;

  g_test_message ("%s (%s): \"%s\"", c->name, c->clause, c->text);
  found = dsn_status_find_reply_code (c->text, code);
  if (c->expected == NULL)
    g_assert_false (found);
  else
    {
      g_assert_true (found);
      g_assert_cmpstr (code, ==, c->expected);
    }
}

/* ---- dsn_status_complete ------------------------------------------------ */

typedef struct {
  const char *name;
  const char *clause;
  const char *status;       /* as read from the Status field */
  const char *reply_code;
  const char *diagnostic;
  const char *expect_status;
  const char *expect_reply;
} CompleteCase;

static const CompleteCase complete_cases[] = {
  { "missing-status", "RFC 3464 2.3.4 Status is required; take it from the diagnostic",
    NULL, NULL, "550 5.1.1 user unknown", "5.1.1", "550" },
  { "malformed-status", "RFC 3463 2: \"5.1\" is not a code",
    "5.1", NULL, "550 5.1.1 user unknown", "5.1.1", "550" },
  { "generic-status-specific-diagnostic", "module deviation: x.0.0 replaced by the same class",
    "5.0.0", NULL, "550 5.2.2 mailbox full", "5.2.2", "550" },
  { "generic-transient", "module deviation: 4.0.0 replaced by 4.x.x",
    "4.0.0", NULL, "452 4.2.2 over quota", "4.2.2", "452" },
  { "generic-other-class", "a code of another class does not replace the status",
    "5.0.0", NULL, "421 4.7.0 try later", "5.0.0", NULL },
  { "specific-status-kept", "a code quoted later in the text does not replace a specific status",
    "5.1.1", NULL, "user unknown, see also 5.7.1", "5.1.1", NULL },
  { "remote-answer-overrides", "the remote server's own \"550 5.7.1\" beats a derived Status",
    "5.1.1", NULL, "550 5.7.1 blocked", "5.7.1", "550" },
  { "remote-answer-other-class", "the remote answer of another class does not replace it",
    "5.1.1", NULL, "450 4.7.1 greylisted", "5.1.1", NULL },
  { "answer-code-over-summary", "the code a reply code introduces beats the relay's own summary code",
    "5.0.0", NULL, "5.1.0 - Unknown address error 550-'5.7.1 <b@example.com>... Access denied'",
    "5.7.1", "550" },
  { "answer-code-hash", "\"550 #5.1.1\" is an answer code too",
    NULL, NULL, "Error 5.0.0 reported: 550 #5.1.1 mailbox unavailable", "5.1.1", "550" },
  { "generic-diagnostic-generic", "a generic code does not replace a generic one",
    "5.0.0", NULL, "550 5.0.0 failed", "5.0.0", "550" },
  { "no-diagnostic", "nothing to complete from",
    "5.1.1", NULL, NULL, "5.1.1", NULL },
  { "malformed-no-diagnostic", "a malformed Status without a code becomes absent",
    "failed", NULL, NULL, NULL, NULL },
  { "malformed-holds-code", "a malformed Status that still holds a code",
    "5.1.1 (user unknown)", NULL, NULL, "5.1.1", NULL },
  { "reply-code-kept", "an existing reply code is kept",
    "5.1.1", "551", "550 5.1.1 unknown", "5.1.1", "551" },
  { "reply-code-other-class", "a reply code contradicting the status is not taken",
    "5.1.1", NULL, "421 try again later", "5.1.1", NULL },
  { "diagnostic-without-codes", "nothing in the diagnostic",
    NULL, NULL, "mailbox unavailable", NULL, NULL },
  { "ip-address-not-status", "an IP address in the diagnostic is not a status",
    NULL, NULL, "connect to 5.1.1.1 refused", NULL, NULL },
};

static void
test_complete (gconstpointer data)
{
  const CompleteCase *c = data;
  g_autoptr(BounceReport) report = bounce_report_new ();
  BounceRecipient *rcpt = bounce_report_add_recipient (report);

  g_test_message ("%s (%s)", c->name, c->clause);
  rcpt->recipient = bounce_report_str (report, "a@example.org");
  rcpt->status = bounce_report_str (report, c->status);
  rcpt->reply_code = bounce_report_str (report, c->reply_code);
  rcpt->diagnostic = bounce_report_str (report, c->diagnostic);
  dsn_status_complete (report, rcpt);
  g_assert_cmpstr (rcpt->status, ==, c->expect_status);
  g_assert_cmpstr (rcpt->reply_code, ==, c->expect_reply);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  for (gsize i = 0; i < G_N_ELEMENTS (valid_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dsn/status/enhanced-code/%s",
                                               valid_cases[i].name);
      g_test_add_data_func (path, &valid_cases[i], test_is_valid);
    }
  g_test_add_func ("/dsn/status/enhanced-code/null", test_is_valid_null);
  for (gsize i = 0; i < G_N_ELEMENTS (generic_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dsn/status/generic/%s",
                                               generic_cases[i].name);
      g_test_add_data_func (path, &generic_cases[i], test_is_generic);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (find_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dsn/status/find/%s", find_cases[i].name);
      g_test_add_data_func (path, &find_cases[i], test_find);
    }
  g_test_add_func ("/dsn/status/find/null", test_find_null);
  for (gsize i = 0; i < G_N_ELEMENTS (reply_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dsn/status/reply-code/%s",
                                               reply_cases[i].name);
      g_test_add_data_func (path, &reply_cases[i], test_reply_code);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (complete_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dsn/status/complete/%s",
                                               complete_cases[i].name);
      g_test_add_data_func (path, &complete_cases[i], test_complete);
    }
  return g_test_run ();
}
