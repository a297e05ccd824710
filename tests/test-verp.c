/* test-verp.c - VERP-style return paths (worker/verp.c)
 *
 * Pattern compilation (what is refused and why), matching of addresses
 * (RFC 5321 section 4.5.5: the bounce goes to the reverse-path, so the
 * campaign comes back in the address the bounce is delivered to), and
 * finding that address in a bounce's own header block (RFC 5322 2.2.3
 * unfolding; Delivered-To before To).
 */
#include "verp.h"

#include <string.h>

/* ---- compiling ------------------------------------------------------------ */

typedef struct {
  const char *name;
  const char *pattern;
  const char *error_part;   /* NULL: valid */
} CompileCase;

static const CompileCase compile_cases[] = {
  { "campaign-and-id", "bounces+{campaign}.{id}@example.com", NULL },
  { "campaign-only", "bounces-{campaign}@example.com", NULL },
  { "id-first", "b.{id}.{campaign}@example.com", NULL },
  { "in-domain", "bounce@{campaign}.bounces.example.com", NULL },
  { "no-campaign", "bounces+{id}@example.com", "{campaign} must appear exactly once" },
  { "two-campaigns", "{campaign}.{campaign}@example.com", "exactly once" },
  { "two-ids", "{campaign}.{id}.{id}@example.com", "at most once" },
  { "unknown-placeholder", "b+{campaign}.{user}@example.com", "unknown placeholder \"{user}\"" },
  { "adjacent", "b+{campaign}{id}@example.com", "separated by literal text" },
  { "unclosed", "b+{campaign@example.com", "without \"}\"" },
  { "stray-close", "b+campaign}@example.com", "without \"{\"" },
  { "no-at", "bounces+{campaign}", "needs an \"@\"" },
};

static void
test_compile (gconstpointer data)
{
  const CompileCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(Verp) verp = verp_new (c->pattern, &error);

  g_test_message ("%s: %s", c->name, c->pattern);
  if (c->error_part == NULL)
    {
      g_assert_no_error (error);
      g_assert_nonnull (verp);
      g_assert_cmpstr (verp_get_pattern (verp), ==, c->pattern);
    }
  else
    {
      g_assert_null (verp);
      g_assert_error (error, VERP_ERROR, VERP_ERROR_PATTERN);
      g_assert_nonnull (strstr (error->message, c->error_part));
    }
}

static void
test_compile_too_long (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *local = g_strnfill (VERP_MAX_PATTERN_LENGTH, 'a');
  g_autofree char *pattern = g_strconcat (local, "+{campaign}@example.com", NULL);
  g_autoptr(Verp) verp = verp_new (pattern, &error);

  g_assert_null (verp);
  g_assert_error (error, VERP_ERROR, VERP_ERROR_PATTERN);
}

/* ---- matching ------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *pattern;
  const char *address;
  const char *campaign;    /* NULL: no match */
  const char *id;
} MatchCase;

static const MatchCase match_cases[] = {
  { "plain", "bounces+{campaign}.{id}@example.com",
    "bounces+spring.42@example.com", "spring", "42" },
  { "angle-brackets", "bounces+{campaign}.{id}@example.com",
    "<bounces+spring.42@example.com>", "spring", "42" },
  { "display-name", "bounces+{campaign}.{id}@example.com",
    "Bounces <bounces+spring.42@example.com>", "spring", "42" },
  { "domain-case", "bounces+{campaign}.{id}@example.com",
    "bounces+spring.42@EXAMPLE.COM", "spring", "42" },
  { "value-case-kept", "bounces+{campaign}.{id}@example.com",
    "bounces+Spring-Sale.42@example.com", "Spring-Sale", "42" },
  { "earlier-is-greedy", "bounces+{campaign}.{id}@example.com",
    "bounces+spring.sale.42@example.com", "spring.sale", "42" },
  { "campaign-only", "bounces-{campaign}@example.com",
    "bounces-nov2026@example.com", "nov2026", NULL },
  { "id-first", "b.{id}.{campaign}@example.com",
    "b.77.winter@example.com", "winter", "77" },
  { "in-domain", "bounce@{campaign}.bounces.example.com",
    "bounce@news.bounces.example.com", "news", NULL },
  { "other-domain", "bounces+{campaign}.{id}@example.com",
    "bounces+spring.42@example.org", NULL, NULL },
  { "other-prefix", "bounces+{campaign}.{id}@example.com",
    "postmaster@example.com", NULL, NULL },
  { "empty-campaign", "bounces+{campaign}.{id}@example.com",
    "bounces+.42@example.com", NULL, NULL },
  { "empty-id", "bounces+{campaign}.{id}@example.com",
    "bounces+spring.@example.com", NULL, NULL },
  { "no-separator", "bounces+{campaign}.{id}@example.com",
    "bounces+spring@example.com", NULL, NULL },
  { "placeholder-never-spans-at", "bounces+{campaign}@example.com",
    "bounces+a@b@example.com", NULL, NULL },
  { "trailing-text", "bounces+{campaign}.{id}@example.com",
    "bounces+spring.42@example.com.evil", NULL, NULL },
  { "unclosed-bracket", "bounces+{campaign}.{id}@example.com",
    "<bounces+spring.42@example.com", NULL, NULL },
  { "empty", "bounces+{campaign}.{id}@example.com", "", NULL, NULL },
};

static void
test_match (gconstpointer data)
{
  const MatchCase *c = data;
  g_autoptr(Verp) verp = verp_new (c->pattern, NULL);
  static char untouched[] = "untouched";
  g_autofree char *campaign = NULL;
  char *id = untouched;
  gboolean matched;

  g_test_message ("%s: %s against %s", c->name, c->address, c->pattern);
  g_assert_nonnull (verp);
  matched = verp_match (verp, c->address, &campaign, &id);
  g_assert_cmpint (matched, ==, c->campaign != NULL);
  if (matched)
    {
      g_assert_cmpstr (campaign, ==, c->campaign);
      g_assert_true (id != untouched);
      g_assert_cmpstr (id, ==, c->id);
      g_free (id);
    }
  else
    {
      /* Outputs are untouched on failure (STYLE.md 6). */
      g_assert_null (campaign);
      g_assert_true (id == untouched);
    }
}

static void
test_match_null (void)
{
  g_autoptr(Verp) verp = verp_new ("b+{campaign}@example.com", NULL);

  g_assert_false (verp_match (verp, NULL, NULL, NULL));
  g_assert_true (verp_match (verp, "b+x@example.com", NULL, NULL));
}

/* ---- headers -------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *message;
  const char *campaign;   /* NULL: none found */
} HeaderCase;

static const HeaderCase header_cases[] = {
  { "delivered-to",
    "Delivered-To: bounces+spring.1@example.com\r\nFrom: MAILER-DAEMON@mx.example.org\r\n"
    "To: someone@example.com\r\n\r\nbody\r\n", "spring" },
  { "delivered-to-before-to",
    "To: bounces+wrong.1@example.com\nDelivered-To: bounces+right.2@example.com\n\nbody\n",
    "right" },
  { "x-original-to",
    "X-Original-To: bounces+autumn.9@example.com\nSubject: failure\n\n", "autumn" },
  { "return-path-of-bounce",
    "Return-Path: <bounces+winter.3@example.com>\nSubject: x\n\n", "winter" },
  { "to-fallback-with-list",
    "From: postmaster@example.org\nTo: \"Ops\" <ops@example.com>,\n"
    " <bounces+summer.5@example.com>\nSubject: Undelivered\n\n", "summer" },
  { "field-name-case", "delivered-to: bounces+lower.1@example.com\n\n", "lower" },
  { "not-in-body",
    "Subject: x\n\nDelivered-To: bounces+body.1@example.com\n", NULL },
  { "returned-message-ignored",
    "To: ops@example.com\nContent-Type: multipart/report\n\n--b\n"
    "Return-Path: <bounces+inner.1@example.com>\n", NULL },
  { "no-match", "To: ops@example.com\n\n", NULL },
  { "empty", "", NULL },
};

static void
test_headers (gconstpointer data)
{
  const HeaderCase *c = data;
  g_autoptr(Verp) verp = verp_new ("bounces+{campaign}.{id}@example.com", NULL);
  g_autofree char *campaign = NULL;
  gboolean found;

  g_test_message ("%s", c->name);
  found = verp_find_in_headers (verp, c->message, strlen (c->message), &campaign, NULL);
  g_assert_cmpint (found, ==, c->campaign != NULL);
  g_assert_cmpstr (campaign, ==, c->campaign);
}

/* ---- applying it to a report ----------------------------------------------- */

#define APPLY_DSN(campaign_header)                                                   \
  "To: bounces+winter.7@example.com\nFrom: MAILER-DAEMON@mx.example.net\n"           \
  "Subject: failure\nMIME-Version: 1.0\n"                                            \
  "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"     \
  "--b\nContent-Type: text/plain\n\nfailed\n\n"                                     \
  "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n" \
  "Final-Recipient: rfc822; gone@example.org\nAction: failed\nStatus: 5.1.1\n\n"    \
  "--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <1@example.com>\n"         \
  campaign_header "Subject: news\n\n--b--\n"

typedef struct {
  const char *name;
  const char *message;
  gboolean applied;
  const char *campaign;
} ApplyCase;

static const ApplyCase apply_cases[] = {
  { "no-campaign-header", APPLY_DSN (""), TRUE, "winter" },
  { "campaign-header-wins", APPLY_DSN ("X-Campaign-ID: spring\n"), FALSE, "spring" },
  { "not-a-bounce", "To: bounces+winter.7@example.com\nSubject: hi\n\nhello\n", FALSE, NULL },
};

static void
test_apply (gconstpointer data)
{
  const ApplyCase *c = data;
  g_autoptr(Verp) verp = verp_new ("bounces+{campaign}.{id}@example.com", NULL);
  g_autoptr(BounceReport) report = bounce_report_parse (c->message, strlen (c->message), NULL, NULL);

  g_test_message ("%s", c->name);
  g_assert_nonnull (report);
  g_assert_cmpint (verp_apply (verp, report, c->message, strlen (c->message)), ==, c->applied);
  g_assert_cmpstr (report->original.campaign, ==, c->campaign);
  g_assert_false (verp_apply (NULL, report, c->message, strlen (c->message)));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (compile_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/verp/compile/%s", compile_cases[i].name);
      g_test_add_data_func (path, &compile_cases[i], test_compile);
    }
  g_test_add_func ("/verp/compile/too-long", test_compile_too_long);
  for (gsize i = 0; i < G_N_ELEMENTS (match_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/verp/match/%s", match_cases[i].name);
      g_test_add_data_func (path, &match_cases[i], test_match);
    }
  g_test_add_func ("/verp/match/null", test_match_null);
  for (gsize i = 0; i < G_N_ELEMENTS (header_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/verp/headers/%s", header_cases[i].name);
      g_test_add_data_func (path, &header_cases[i], test_headers);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (apply_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/verp/apply/%s", apply_cases[i].name);
      g_test_add_data_func (path, &apply_cases[i], test_apply);
    }
  return g_test_run ();
}
