/* test-bounce-text.c - whitespace, addresses, search and lines
 *
 * Tests of parser/bounce-text.c.  Addresses come in every style bounces
 * quote them in (RFC 5321 4.1.2 paths, RFC 5322 3.4 name-addr and
 * comments, RFC 3464 2.3.2 "rfc822;" prefixes, RFC 6532 UTF-8), and the
 * result is always the bare local@domain.
 */
#include "bounce-private.h"

#include <string.h>

/* ---- bounce_text_collapse ----------------------------------------------- */

typedef struct {
  const char *name;
  const char *clause;
  const char *input;
  gssize len;
  const char *expected;   /* NULL: nothing left */
} TextCase;

static const TextCase collapse_cases[] = {
  { "plain", "nothing to do", "550 user unknown", -1, "550 user unknown" },
  { "runs", "whitespace runs become one space", "550   user \t unknown", -1, "550 user unknown" },
  { "folded", "RFC 5322 2.2.3 unfolding", "550 user\n    unknown\r\n\tnow", -1,
    "550 user unknown now" },
  { "trim", "both ends trimmed", "  \t 550 x \n ", -1, "550 x" },
  { "all-blank", "bounce.h invariant 1: blank is absent", " \t\r\n ", -1, NULL },
  { "empty", "bounce.h invariant 1: empty is absent", "", -1, NULL },
  { "length", "only the first n bytes", "abc def ghi", 7, "abc def" },
  { "length-zero", "zero bytes", "abc", 0, NULL },
  { "embedded-nul", "a NUL byte inside the length is dropped", "ab\0cd", 5, "abcd" },
  { "form-feed-vtab", "all ASCII whitespace", "a\f\vb", -1, "a b" },
  { "utf8", "UTF-8 bytes are kept", "caf\xc3\xa9  ol\xc3\xa9", -1, "caf\xc3\xa9 ol\xc3\xa9" },
};

static void
test_collapse (gconstpointer data)
{
  const TextCase *c = data;
  g_autofree char *got = bounce_text_collapse (c->input, c->len);

  g_test_message ("%s (%s)", c->name, c->clause);
  g_assert_cmpstr (got, ==, c->expected);
}

/* ---- bounce_text_address ------------------------------------------------ */

static const TextCase address_cases[] = {
  { "bare", "RFC 5321 4.1.2 Mailbox", "user@example.org", -1, "user@example.org" },
  { "angle", "RFC 5321 4.1.2 Path \"<a@b>\"", "<user@example.org>", -1, "user@example.org" },
  { "rfc822-prefix", "RFC 3464 2.3.2 \"rfc822; a@b\"", "rfc822; user@example.org", -1,
    "user@example.org" },
  { "rfc822-prefix-no-space", "RFC 3464 2.3.2 \"rfc822;a@b\"", "rfc822;user@example.org", -1,
    "user@example.org" },
  { "rfc822-prefix-angle", "RFC 3464 2.3.2 with brackets", "RFC822; <user@example.org>", -1,
    "user@example.org" },
  { "utf8-prefix", "RFC 6533 3 \"utf-8; a@b\"", "utf-8; user@example.org", -1,
    "user@example.org" },
  { "name-addr", "RFC 5322 3.4 name-addr", "Some User <user@example.org>", -1,
    "user@example.org" },
  { "quoted-name-addr", "RFC 5322 3.4 quoted display name with an @",
    "\"user@wrong.example\" <user@example.org>", -1, "user@example.org" },
  { "comment", "RFC 5322 3.2.2 trailing comment", "user@example.org (Some User)", -1,
    "user@example.org" },
  { "quoted-local", "RFC 5321 4.1.2 Quoted-string local part",
    "<\"john doe\"@example.org>", -1, "\"john doe\"@example.org" },
  { "quoted-local-bare", "RFC 5321 4.1.2 Quoted-string local part, no brackets",
    "rfc822; \"john doe\"@example.org", -1, "\"john doe\"@example.org" },
  { "plus-tag", "RFC 5322 3.2.3 atext", "<user+tag@example.org>", -1, "user+tag@example.org" },
  { "atext-specials", "RFC 5322 3.2.3 atext", "o'neil.j_x-y@example.org", -1,
    "o'neil.j_x-y@example.org" },
  { "quoted-reply", "a relay quoting the remote reply run into the address",
    "5.1.0 - Unknown address error 550-'kim@example.org... No such user'", -1,
    "kim@example.org" },
  { "leading-apostrophe-kept", "an apostrophe after letters is the local part's",
    "d'arcy@example.org", -1, "d'arcy@example.org" },
  { "utf8-local", "RFC 6532 3.2 UTF-8 local part", "<jos\xc3\xa9@example.org>", -1,
    "jos\xc3\xa9@example.org" },
  { "utf8-domain", "RFC 6532 UTF-8 domain", "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a",
    -1, "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a" },
  { "address-literal", "RFC 5321 4.1.3 address literal", "<user@[192.0.2.1]>", -1,
    "user@[192.0.2.1]" },
  { "trailing-period", "sentence punctuation after the address",
    "Your mail to user@example.org.", -1, "user@example.org" },
  { "trailing-colon", "Postfix \"<a@b>: ...\" and bare \"a@b: ...\"",
    "user@example.org: Recipient address rejected", -1, "user@example.org" },
  { "trailing-comma", "a list of addresses", "user@example.org, other@example.org", -1,
    "user@example.org" },
  { "trailing-semicolon", "punctuation after an address", "to user@example.org; failed", -1,
    "user@example.org" },
  { "in-sentence", "an address inside prose",
    "The message to user@example.org could not be delivered", -1, "user@example.org" },
  { "in-quotes", "an address in single quotes", "'user@example.org' unknown", -1,
    "user@example.org" },
  { "apostrophe-local", "RFC 5322 3.2.3: an apostrophe opening a local part is atext",
    "'quote@example.org", -1, "'quote@example.org" },
  { "first-of-angles", "the first bracketed address wins",
    "<a@example.org> and <b@example.org>", -1, "a@example.org" },
  { "angle-without-at", "brackets holding no address are skipped",
    "<postmaster> says user@example.org unknown", -1, "user@example.org" },
  { "length", "only the first n bytes", "user@example.org junk@example.net", 16,
    "user@example.org" },
  { "leading-dot", "dots before the local part are punctuation", "...user@example.org", -1,
    "user@example.org" },
  { "no-address", "junk with no address", "no address here", -1, NULL },
  { "only-at", "a lone @", "@", -1, NULL },
  { "no-domain", "an @ and nothing after", "user@", -1, NULL },
  { "no-local", "nothing before the @", "@example.org", -1, NULL },
  { "domain-dot", "a domain starting with a dot", "user@.example.org", -1, NULL },
  { "empty-angle", "empty brackets", "<>", -1, NULL },
  { "empty", "no text", "", -1, NULL },
};

static void
test_address (gconstpointer data)
{
  const TextCase *c = data;
  g_autofree char *got = bounce_text_address (c->input, c->len);

  g_test_message ("%s (%s): \"%s\"", c->name, c->clause, c->input);
  g_assert_cmpstr (got, ==, c->expected);
}

static void
test_address_null (void)
{
  g_assert_null (bounce_text_address (NULL, -1));
  g_assert_false (bounce_text_is_address (NULL));
}

/* A longer address than RFC 5321 4.5.3.1 allows is not an address. */
static void
test_address_too_long (void)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *got = NULL;

  for (int i = 0; i < 400; i++)
    g_string_append_c (s, 'a');
  g_string_append (s, "@example.org");
  got = bounce_text_address (s->str, -1);
  g_assert_null (got);
}

typedef struct {
  const char *a;
  const char *b;
  gboolean equal;
} EqualCase;

static void
test_address_equal (void)
{
  static const EqualCase cases[] = {
    { "user@example.org", "user@example.org", TRUE },
    { "User@Example.ORG", "user@example.org", TRUE },
    { "user@example.org", "user2@example.org", FALSE },
    { NULL, "user@example.org", FALSE },
    { NULL, NULL, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (bounce_text_address_equal (cases[i].a, cases[i].b), ==, cases[i].equal);
}

/* ---- bounce_text_find --------------------------------------------------- */

typedef struct {
  const char *name;
  const char *hay;
  gssize len;
  const char *needle;
  gssize offset;      /* -1: not found */
} FindCase;

static const FindCase find_cases[] = {
  { "exact", "user unknown", -1, "unknown", 5 },
  { "case-insensitive", "User UNKNOWN", -1, "unknown", 5 },
  { "needle-upper", "user unknown", -1, "UNKNOWN", 5 },
  { "first-occurrence", "no no no", -1, "no", 0 },
  { "at-end", "mailbox full", -1, "full", 8 },
  { "not-found", "mailbox full", -1, "unknown", -1 },
  { "needle-longer", "abc", -1, "abcd", -1 },
  { "length-excludes", "abc unknown", 6, "unknown", -1 },
  { "length-includes", "abc unknown xyz", 11, "unknown", 4 },
  { "empty-needle", "abc", -1, "", 0 },
  { "empty-hay", "", -1, "a", -1 },
  { "partial-then-match", "unkno unknown", -1, "unknown", 6 },
  { "non-letter-first", "x 550 y", -1, "550", 2 },
  { "utf8-hay", "caf\xc3\xa9 unknown", -1, "unknown", 6 },
  { "no-case-fold-beyond-ascii", "\xc3\x89T\xc3\x89", -1, "\xc3\xa9t\xc3\xa9", -1 },
};

static void
test_find (gconstpointer data)
{
  const FindCase *c = data;
  const char *got = bounce_text_find (c->hay, c->len, c->needle);

  if (c->offset < 0)
    g_assert_null (got);
  else
    {
      g_assert_nonnull (got);
      g_assert_cmpint (got - c->hay, ==, c->offset);
    }
}

static void
test_find_null (void)
{
  g_assert_null (bounce_text_find (NULL, -1, "a"));
  g_assert_null (bounce_text_find ("a", -1, NULL));
}

/* A match that would end past @n is not found, even if the bytes after
 * @n complete it (the search must never read past its bound). */
static void
test_find_bound (void)
{
  char *buf = g_malloc (4);

  memcpy (buf, "xxun", 4);
  g_assert_null (bounce_text_find (buf, 4, "unknown"));
  g_assert_true (bounce_text_find (buf, 4, "UN") == buf + 2);
  g_free (buf);
}

/* ---- bounce_text_next_line ---------------------------------------------- */

typedef struct {
  const char *name;
  const char *text;
  const char *lines[6];   /* NULL-terminated */
} LinesCase;

static const LinesCase lines_cases[] = {
  { "lf", "a\nbb\nccc\n", { "a", "bb", "ccc", NULL } },
  { "no-final-newline", "a\nbb", { "a", "bb", NULL } },
  { "blank-lines", "a\n\n\nb\n", { "a", "", "", "b", NULL } },
  { "only-newline", "\n", { "", NULL } },
  { "empty", "", { NULL } },
  { "cr-kept", "a\r\nb\r\n", { "a\r", "b\r", NULL } },
};

static void
test_lines (gconstpointer data)
{
  const LinesCase *c = data;
  gsize len = strlen (c->text), pos = 0, n = 0;
  const char *line;
  gsize line_len;

  while (bounce_text_next_line (c->text, len, &pos, &line, &line_len))
    {
      g_assert_nonnull (c->lines[n]);
      if (c->lines[n] == NULL)
        return;
      g_assert_cmpuint (line_len, ==, strlen (c->lines[n]));
      g_assert_cmpint (memcmp (line, c->lines[n], line_len), ==, 0);
      n++;
    }
  g_assert_null (c->lines[n]);
  g_assert_cmpuint (pos, ==, len);
}

/* The length bounds the walk, not a NUL. */
static void
test_lines_bound (void)
{
  const char *text = "one\ntwo\nthree\n";
  gsize pos = 0, line_len;
  const char *line;

  g_assert_true (bounce_text_next_line (text, 6, &pos, &line, &line_len));
  g_assert_cmpuint (line_len, ==, 3);
  g_assert_true (bounce_text_next_line (text, 6, &pos, &line, &line_len));
  g_assert_cmpuint (line_len, ==, 2);
  g_assert_cmpint (memcmp (line, "tw", 2), ==, 0);
  g_assert_false (bounce_text_next_line (text, 6, &pos, &line, &line_len));
}

static void
add_cases (const char *prefix, const void *cases, gsize n, gsize size,
           GTestDataFunc func)
{
  for (gsize i = 0; i < n; i++)
    {
      const void *c = (const char *) cases + i * size;
      /* Every case struct starts with its name. */
      const char *name = *(const char *const *) c;
      g_autofree char *path = g_strdup_printf ("%s/%s", prefix, name);

      g_test_add_data_func (path, c, func);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  add_cases ("/bounce/text/collapse", collapse_cases, G_N_ELEMENTS (collapse_cases),
             sizeof collapse_cases[0], test_collapse);
  add_cases ("/bounce/text/address", address_cases, G_N_ELEMENTS (address_cases),
             sizeof address_cases[0], test_address);
  g_test_add_func ("/bounce/text/address/null", test_address_null);
  g_test_add_func ("/bounce/text/address/too-long", test_address_too_long);
  g_test_add_func ("/bounce/text/address-equal", test_address_equal);
  add_cases ("/bounce/text/find", find_cases, G_N_ELEMENTS (find_cases),
             sizeof find_cases[0], test_find);
  g_test_add_func ("/bounce/text/find/null", test_find_null);
  g_test_add_func ("/bounce/text/find/bound", test_find_bound);
  add_cases ("/bounce/text/next-line", lines_cases, G_N_ELEMENTS (lines_cases),
             sizeof lines_cases[0], test_lines);
  g_test_add_func ("/bounce/text/next-line/bound", test_lines_bound);
  return g_test_run ();
}
