/* test-phrase-set.c - several phrases searched in one pass
 *
 * Tests of parser/phrase-set.c: the earliest phrase of a set, ASCII case
 * ignored, the first of the table where two start at one place, and the
 * same answer as the earliest of bounce_text_find()'s single searches over
 * notice-like texts (the search it replaces in bounce-view.c).
 */
#include "bounce-private.h"
#include "phrase-set.h"

#include <string.h>

static const char *const markers[] = {
  "------ This is a copy of the message",
  "----- Original message -----",
  "   ----- Original message -----",
  "Original message follows",
  "original message follows",
  "The original message was",
  "Content-Type: message/rfc822",
  "----- Transcript of session follows -----\n\n\n",
  "x",
};

typedef struct {
  const char *name;
  const char *hay;
  gssize offset;       /* -1: none */
  gsize which;
} FindCase;

static const FindCase find_cases[] = {
  { "none", "Delivery failed: user unknown.", -1, 0 },
  { "empty", "", -1, 0 },
  { "at-start", "Original message follows\n", 0, 3 },
  { "case-ignored", "ORIGINAL MESSAGE FOLLOWS", 0, 3 },
  { "earliest-wins", "The original message was\nOriginal message follows", 0, 5 },
  { "later-in-table-earlier-in-text", "a\nContent-Type: message/rfc822\n----- Original message -----",
    2, 6 },
  /* "   ----- Original" starts three bytes before "----- Original". */
  { "longer-starts-earlier", "note\n   ----- Original message -----\n", 5, 2 },
  { "same-place-table-order", "original message follows", 0, 3 },
  { "cut-at-end", "----- Original message ---", -1, 0 },
  { "newlines-in-phrase", "----- Transcript of session follows -----\n\n\nQUIT", 0, 7 },
  { "one-byte", "abc X", 4, 8 },
  { "high-bytes", "\xc3\xa9\xff Original message follows", 4, 3 },
};

static void
test_find (void)
{
  g_autoptr(PhraseSet) set = phrase_set_new (markers, G_N_ELEMENTS (markers));

  for (gsize i = 0; i < G_N_ELEMENTS (find_cases); i++)
    {
      const FindCase *c = &find_cases[i];
      gsize which = G_MAXSIZE;
      const char *p = phrase_set_find (set, c->hay, strlen (c->hay), &which);

      g_test_message ("case %s", c->name);
      if (c->offset < 0)
        g_assert_null (p);
      else
        {
          g_assert_nonnull (p);
          g_assert_cmpint (p - c->hay, ==, c->offset);
          g_assert_cmpuint (which, ==, c->which);
        }
    }
}

/* The earliest of the single searches, as bounce-view.c searched before. */
static const char *
earliest (const char *hay, gsize len)
{
  const char *best = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (markers); i++)
    {
      const char *p = bounce_text_find (hay, (gssize) len, markers[i]);
      if (p != NULL && (best == NULL || p < best))
        best = p;
    }
  return best;
}

/* Random texts made of pieces of the phrases, their case changed, and
 * filler: both searches agree on every one, and on every suffix. */
static void
test_same_as_single_searches (void)
{
  static const char *const pieces[] = {
    "----- ", "Original ", "message ", "follows", "ORIGINAL", "The ", "was",
    "Content-Type: ", "message/rfc822", "\n", "   ", "Transcript of session follows -----",
    "hello world ", "\n\n\n", "-", "O", "t",
  };
  g_autoptr(PhraseSet) set = phrase_set_new (markers, G_N_ELEMENTS (markers) - 1);
  GRand *rand = g_rand_new_with_seed (12);

  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      guint n = (guint) g_rand_int_range (rand, 0, 24);

      for (guint k = 0; k < n; k++)
        {
          const char *piece = pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))];

          if (g_rand_boolean (rand))
            {
              g_autofree char *up = g_ascii_strup (piece, -1);
              g_string_append (s, up);
            }
          else
            g_string_append (s, piece);
        }
      for (gsize from = 0; from <= s->len; from += 1 + (gsize) g_rand_int_range (rand, 0, 5))
        {
          const char *want = earliest (s->str + from, s->len - from);
          const char *got = phrase_set_find (set, s->str + from, s->len - from, NULL);

          if (want != got)
            g_test_message ("text \"%s\" from %" G_GSIZE_FORMAT, s->str, from);
          g_assert_true (want == got);
        }
    }
  g_rand_free (rand);
}

/* The bytes read count in the parser's search budget. */
static void
test_counted (void)
{
  g_autoptr(PhraseSet) set = phrase_set_new (markers, G_N_ELEMENTS (markers));
  const char hay[] = "nothing here to be found at all";
  guint64 before = bounce_text_searched ();

  g_assert_null (phrase_set_find (set, hay, strlen (hay), NULL));
  g_assert_cmpuint (bounce_text_searched () - before, ==, strlen (hay));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/phrase-set/find", test_find);
  g_test_add_func ("/phrase-set/same-as-single-searches", test_same_as_single_searches);
  g_test_add_func ("/phrase-set/counted", test_counted);
  return g_test_run ();
}
