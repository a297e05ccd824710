/* test-original.c - headers of the returned message
 *
 * Tests of parser/original.c: original_from_message() over a parsed
 * message/rfc822 part and original_from_text() over a header block
 * (text/rfc822-headers, or a copy quoted in a legacy notice).  Header values
 * come out decoded to UTF-8: RFC 2047 encoded words in any declared charset
 * (ISO-2022-JP, Shift_JIS, KOI8-R, ...), RFC 5322 unfolding, the campaign
 * header chosen by the settings, and RFC 2919 List-Id.
 */
#include "bounce-private.h"

#include <string.h>

typedef struct {
  const char *name;
  const char *clause;
  const char *headers;           /* header block of the returned message */
  const char *campaign_header;   /* NULL: the default; "-": none */
  /* expected */
  gboolean found;                /* original_from_text's result */
  const char *message_id;
  const char *from;
  const char *to;
  const char *subject;
  const char *date;
  const char *list_id;
  const char *campaign;
} OriginalCase;

/* "テスト" (test), "Привет" (hello), "日本語" (Japanese), in UTF-8. */
#define TESUTO "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"
#define PRIVET "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"
#define NIHONGO "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"

static const OriginalCase original_cases[] = {
  { "plain", "RFC 5322 3.6: the usual originator and destination fields",
    "From: Sender <sender@example.com>\n"
    "To: user@example.org\n"
    "Subject: Spring sale\n"
    "Date: Fri, 20 Nov 2026 10:00:00 +0000\n"
    "Message-ID: <abc.123@example.com>\n"
    "X-Campaign-ID: spring-2026\n",
    NULL, TRUE,
    "abc.123@example.com", "Sender <sender@example.com>", "user@example.org",
    "Spring sale", "Fri, 20 Nov 2026 10:00:00 +0000", NULL, "spring-2026" },
  { "rfc2047-utf8-base64", "RFC 2047 4.1 B encoding",
    "Subject: =?UTF-8?B?SGVsbG8gd29ybGQ=?=\n",
    NULL, TRUE, NULL, NULL, NULL, "Hello world", NULL, NULL, NULL },
  { "rfc2047-q", "RFC 2047 4.2 Q encoding, underscore is a space",
    "Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?=\n",
    NULL, TRUE, NULL, NULL, NULL, "Caf\xc3\xa9 cr\xc3\xa8me", NULL, NULL, NULL },
  { "rfc2047-adjacent", "RFC 2047 6.2: blanks between adjacent encoded words vanish",
    "Subject: =?UTF-8?Q?Hello_?= =?UTF-8?Q?world?=\n",
    NULL, TRUE, NULL, NULL, NULL, "Hello world", NULL, NULL, NULL },
  { "rfc2047-mixed", "RFC 2047 5(1): encoded words among plain text",
    "Subject: Re: =?UTF-8?B?" "0J/RgNC40LLQtdGC" "?= again\n",
    NULL, TRUE, NULL, NULL, NULL, "Re: " PRIVET " again", NULL, NULL, NULL },
  { "iso-2022-jp", "RFC 1468 ISO-2022-JP in an RFC 2047 word (Japanese mail)",
    "Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\n",
    NULL, TRUE, NULL, NULL, NULL, TESUTO, NULL, NULL, NULL },
  { "shift-jis", "Shift_JIS in an RFC 2047 word",
    "Subject: =?Shift_JIS?B?g2WDWINn?=\n",
    NULL, TRUE, NULL, NULL, NULL, TESUTO, NULL, NULL, NULL },
  { "koi8-r", "RFC 1489 KOI8-R in an RFC 2047 word (Russian mail)",
    "Subject: =?KOI8-R?B?8NLJ18XU?=\n",
    NULL, TRUE, NULL, NULL, NULL, PRIVET, NULL, NULL, NULL },
  { "koi8-r-display-name", "RFC 2047 5(3): an encoded word in a display name",
    "From: =?KOI8-R?B?8NLJ18XU?= <ivan@example.ru>\n",
    NULL, TRUE, NULL, PRIVET " <ivan@example.ru>", NULL, NULL, NULL, NULL, NULL },
  { "raw-utf8", "RFC 6532 3.2: raw UTF-8 in header values",
    "Subject: " NIHONGO " mail\n",
    NULL, TRUE, NULL, NULL, NULL, NIHONGO " mail", NULL, NULL, NULL },
  { "folded-subject", "RFC 5322 2.2.3: a folded Subject is unfolded",
    "Subject: a long\n  subject line\n\tfolded\n",
    NULL, TRUE, NULL, NULL, NULL, "a long subject line folded", NULL, NULL, NULL },
  { "list-id", "RFC 2919 List-Id",
    "From: news@example.com\n"
    "List-Id: Example news <news.example.com>\n",
    NULL, TRUE, NULL, "news@example.com", NULL, NULL, NULL,
    "Example news <news.example.com>", NULL },
  { "campaign-custom-header", "BounceSettings.campaign_header names another header",
    "Subject: x\n"
    "X-Campaign-ID: default-one\n"
    "X-Mailer-Campaign: custom-one\n",
    "X-Mailer-Campaign", TRUE, NULL, NULL, NULL, "x", NULL, NULL, "custom-one" },
  { "campaign-case-insensitive", "RFC 5322 1.2.2: header names are case-insensitive",
    "Subject: x\n"
    "x-campaign-id: lower\n",
    NULL, TRUE, NULL, NULL, NULL, "x", NULL, NULL, "lower" },
  { "campaign-none", "campaign_header NULL: no campaign is read",
    "Subject: x\n"
    "X-Campaign-ID: ignored\n",
    "-", TRUE, NULL, NULL, NULL, "x", NULL, NULL, NULL },
  { "campaign-encoded", "RFC 2047 in the campaign header",
    "Subject: x\n"
    "X-Campaign-ID: =?UTF-8?B?" "0J/RgNC40LLQtdGC" "?=\n",
    NULL, TRUE, NULL, NULL, NULL, "x", NULL, NULL, PRIVET },
  { "message-id-no-brackets", "RFC 5322 3.6.4 msg-id given without brackets",
    "Message-ID: abc@example.com\n",
    NULL, TRUE, "abc@example.com", NULL, NULL, NULL, NULL, NULL, NULL },
  { "empty-subject", "bounce.h invariant 1: an empty header is absent",
    "From: sender@example.com\n"
    "Subject:\n",
    NULL, TRUE, NULL, "sender@example.com", NULL, NULL, NULL, NULL, NULL },
};

static void
settings_for (const OriginalCase *c, BounceSettings *settings)
{
  bounce_settings_init (settings);
  if (g_strcmp0 (c->campaign_header, "-") == 0)
    settings->campaign_header = NULL;
  else if (c->campaign_header != NULL)
    settings->campaign_header = c->campaign_header;
}

static void
assert_original (const OriginalCase *c, const BounceOriginal *o)
{
  g_assert_cmpstr (o->message_id, ==, c->message_id);
  g_assert_cmpstr (o->from, ==, c->from);
  g_assert_cmpstr (o->to, ==, c->to);
  g_assert_cmpstr (o->subject, ==, c->subject);
  g_assert_cmpstr (o->date, ==, c->date);
  g_assert_cmpstr (o->list_id, ==, c->list_id);
  g_assert_cmpstr (o->campaign, ==, c->campaign);
}

/* The headers as a whole returned message, through GMime's parser. */
static void
test_from_message (gconstpointer data)
{
  const OriginalCase *c = data;
  BounceSettings settings;
  g_autoptr(BounceReport) report = bounce_report_new ();
  g_autofree char *text = g_strconcat (c->headers, "\nbody\n", NULL);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer (text, strlen (text));
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream (stream);
  g_autoptr(GMimeMessage) message = g_mime_parser_construct_message (parser, NULL);

  g_test_message ("%s (%s)", c->name, c->clause);
  g_assert_nonnull (message);
  settings_for (c, &settings);
  original_from_message (report, message, &settings);
  assert_original (c, &report->original);
}

/* The same headers as a text/rfc822-headers block. */
static void
test_from_text (gconstpointer data)
{
  const OriginalCase *c = data;
  BounceSettings settings;
  g_autoptr(BounceReport) report = bounce_report_new ();

  g_test_message ("%s (%s)", c->name, c->clause);
  settings_for (c, &settings);
  g_assert_cmpint (original_from_text (report, c->headers, strlen (c->headers), &settings),
                   ==, c->found);
  assert_original (c, &report->original);
}

/* ---- original_from_text: finding the header block ----------------------- */

typedef struct {
  const char *name;
  const char *clause;
  const char *text;
  gboolean found;
  const char *subject;
  const char *to;
} BlockCase;

static const BlockCase block_cases[] = {
  { "leading-prose", "legacy notice: text before the quoted headers is skipped",
    "here is a copy\n"
    "\n"
    "Subject: quoted\n"
    "To: user@example.org\n",
    TRUE, "quoted", "user@example.org" },
  { "indented", "legacy notice: headers quoted with indentation",
    "   Subject: indented\n"
    "   To: user@example.org\n",
    TRUE, "indented", "user@example.org" },
  { "quoted-with-gt", "legacy notice: headers quoted with '> '",
    "> Subject: quoted reply\n",
    TRUE, "quoted reply", NULL },
  { "quoted-block-with-gt", "legacy notice: a whole block quoted with '> ', then a quoted blank line",
    "> Subject: quoted block\n"
    "> To: user@example.org\n"
    ">\n"
    "> From: body-line@example.org\n",
    TRUE, "quoted block", "user@example.org" },
  { "indented-folded", "RFC 5322 2.2.3: a folded line inside an indented block",
    "  Subject: one\n"
    "     two\n"
    "  To: user@example.org\n",
    TRUE, "one two", "user@example.org" },
  { "stops-at-blank-line", "RFC 5322 2.1: the body after the blank line is not headers",
    "Subject: first\n"
    "\n"
    "To: not-a-header@example.org\n",
    TRUE, "first", NULL },
  { "crlf", "CR LF line ends inside the block",
    "Subject: crlf\r\n"
    "To: user@example.org\r\n",
    TRUE, "crlf", "user@example.org" },
  { "no-headers", "prose only",
    "nothing that looks like a header here\nat all\n",
    FALSE, NULL, NULL },
  { "unknown-headers-only", "header lines, none of the ones we report",
    "X-Other: 1\n"
    "Received: from x by y\n",
    FALSE, NULL, NULL },
  { "empty", "no text", "", FALSE, NULL, NULL },
};

static void
test_block (gconstpointer data)
{
  const BlockCase *c = data;
  BounceSettings settings;
  g_autoptr(BounceReport) report = bounce_report_new ();

  g_test_message ("%s (%s)", c->name, c->clause);
  bounce_settings_init (&settings);
  g_assert_cmpint (original_from_text (report, c->text, strlen (c->text), &settings),
                   ==, c->found);
  g_assert_cmpstr (report->original.subject, ==, c->subject);
  g_assert_cmpstr (report->original.to, ==, c->to);
}

/* A value already found is kept: the message/rfc822 part wins over a later
 * text/rfc822-headers copy. */
static void
test_first_wins (void)
{
  BounceSettings settings;
  g_autoptr(BounceReport) report = bounce_report_new ();
  const char *a = "Subject: first\n";
  const char *b = "Subject: second\nTo: user@example.org\n";

  bounce_settings_init (&settings);
  g_assert_true (original_from_text (report, a, strlen (a), &settings));
  g_assert_true (original_from_text (report, b, strlen (b), &settings));
  g_assert_cmpstr (report->original.subject, ==, "first");
  g_assert_cmpstr (report->original.to, ==, "user@example.org");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_mime_init ();

  for (gsize i = 0; i < G_N_ELEMENTS (original_cases); i++)
    {
      g_autofree char *p1 = g_strdup_printf ("/original/message/%s", original_cases[i].name);
      g_autofree char *p2 = g_strdup_printf ("/original/text/%s", original_cases[i].name);

      g_test_add_data_func (p1, &original_cases[i], test_from_message);
      g_test_add_data_func (p2, &original_cases[i], test_from_text);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (block_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/original/text/block/%s", block_cases[i].name);
      g_test_add_data_func (path, &block_cases[i], test_block);
    }
  g_test_add_func ("/original/text/first-wins", test_first_wins);
  {
    int status = g_test_run ();

    g_mime_shutdown ();
    return status;
  }
}
