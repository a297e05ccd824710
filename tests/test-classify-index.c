/* test-classify-index.c - the rule index's shortcuts find what plain matching finds
 *
 * Tests of the index of text rules in parser/classify.c and of the words a
 * pattern needs (classify_pattern_required, parser/classify-pattern.c):
 *  - the clauses of patterns of every part of the grammar, as written out;
 *  - over the built-in rules' own examples, changed a word at a time, and
 *    over random texts of the rules' words with noise, the index finds the
 *    same rules at the same places as a scan that tries every anchor
 *    occurrence with nothing skipped (classify_index_hits, plain);
 *  - for patterns of every part of the grammar and random texts of their
 *    words, wherever a pattern matches, every clause it needs has a
 *    literal present at or after the match's start;
 *  - the recipients of one report, whose texts repeat (classify_report
 *    remembers its last scans), are each classified as they are alone.
 * Texts are built with a fixed seed, so a failure repeats.
 */
#include "bounce-private.h"
#include "classify-private.h"

#include <string.h>

#define TEST_SEED 20261207u
#define RANDOM_TEXTS 1500u
#define PATTERN_TEXTS 400u

/* ---- the clauses, written out ----------------------------------------------- */

static void
append_clause (const ClassifyLiteral *const *literals, guint n, gpointer user_data)
{
  GString *out = user_data;

  if (out->len > 0)
    g_string_append_c (out, ';');
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, '|');
      g_string_append_len (out, literals[i]->text, (gssize) literals[i]->len);
      if (literals[i]->stem)
        g_string_append_c (out, '*');
    }
}

static char *
clauses_of (const ClassifyPattern *pattern)
{
  GString *out = g_string_new (NULL);

  classify_pattern_required (pattern, append_clause, out);
  return g_string_free (out, FALSE);
}

typedef struct {
  const char *name;
  const char *pattern;
  const char *clauses;   /* "a|b;c": a or b, and c */
} RequiredCase;

static const RequiredCase required_cases[] = {
  { "one-word", "unknown", "unknown" },
  { "sequence", "user unknown", "user;unknown" },
  { "split-term", "e-mail address", "e;mail;address" },
  { "stem", "relay* denied", "relay*;denied" },
  { "optional-needs-nothing", "(user|mailbox) [is|was] unknown", "user|mailbox;unknown" },
  { "gap-needs-nothing", "relay* ... (denied|refused)", "relay*;denied|refused" },
  /* The alternatives' first clauses together, then their second ones. */
  { "group-zipped", "(message too big|mail size exceeded) now",
    "message|mail;too|size;big|exceeded;now" },
  /* An alternative that needs nothing (its words all optional cannot
   * happen: every sequence has a word) and a group with an alternative of
   * one word: only one clause from the group. */
  { "group-short-alternative", "(message|too big) limit", "message|too;limit" },
  { "nested", "(mail ((box|drop) full|quota exceeded)) now", "mail;box|drop|quota;full|exceeded;now" },
  { "optional-inside-group", "(user [is] unknown|no such user)",
    "user|no;unknown|such" },
  { "ideographs", "宛先 ... 存在しません", "宛先;存在しません" },
  { "repeated-literal", "(user|user id) unknown", "user;unknown" },
};

static void
test_required (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (required_cases); i++)
    {
      const RequiredCase *c = &required_cases[i];
      const char *why = NULL;
      g_autoptr(ClassifyPattern) p = classify_pattern_compile (c->pattern, &why);
      g_autofree char *got = NULL;

      g_test_message ("case %s", c->name);
      g_assert_nonnull (p);
      got = clauses_of (p);
      g_assert_cmpstr (got, ==, c->clauses);
    }
}

/* ---- random texts --------------------------------------------------------------- */

/* Words around the rules' own: glue, codes, prefixes that make a word
 * another ("e" + "mail"), scripts without spaces, broken UTF-8. */
static const char *const noise[] = {
  "the", "to", "of", "a", "an", "is", "not", "no", "n't", "n", "e", "550", "5.1.1", "4.2.2",
  "mx.example.com", "user@example.org", "smtp", "error", "re", "un", "x", "mailbox", "mail",
  "日本", "宛先", "不明", "ü", "Straße", "é", "\xff", "\xc3", "ı", "Ω", "ﾒｰﾙ", "ＵＳＥＲ",
};

static const char *const separators[] = { " ", " ", " ", "-", ", ", ": ", "'", "/", "", ". ", "  " };

static const char *const suffixes[] = { "s", "ed", "ing", "er", "box", "x" };

static void
add_words (const char *source, GPtrArray *words)
{
  const char *p = source;

  while (*p)
    {
      const char *q = p;

      while (*q && (g_ascii_isalnum (*q) || (guchar) *q >= 0x80 || *q == '\''))
        q++;
      if (q > p)
        g_ptr_array_add (words, g_strndup (p, (gsize) (q - p)));
      p = *q ? q + 1 : q;
    }
}

/* A text of @n tokens from @words and the noise. */
static char *
random_text (GRand *rand, GPtrArray *words, guint n)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      guint roll = (guint) g_rand_int_range (rand, 0, 100);
      const char *word = g_ptr_array_index (words, g_rand_int_range (rand, 0, (gint32) words->len));

      if (i > 0)
        g_string_append (out, separators[g_rand_int_range (rand, 0, G_N_ELEMENTS (separators))]);
      if (roll < 65)
        g_string_append (out, word);
      else if (roll < 80)
        g_string_append (out, noise[g_rand_int_range (rand, 0, G_N_ELEMENTS (noise))]);
      else if (roll < 90)
        g_string_append_printf (out, "%s%s", word, suffixes[g_rand_int_range (rand, 0, G_N_ELEMENTS (suffixes))]);
      else if (roll < 95)
        g_string_append_printf (out, "%s%s", noise[g_rand_int_range (rand, 0, G_N_ELEMENTS (noise))], word);
      else
        {
          /* A word cut short: a stem's start, or an anchor inside a word. */
          gsize len = strlen (word);
          g_string_append_len (out, word, (gssize) (len > 3 ? len - 2 : len));
        }
    }
  return g_string_free (out, FALSE);
}

/* The normal form rules read. */
static char *
normal (const char *text, gsize *len_out)
{
  gsize len = strlen (text);
  char *out = g_malloc (2 * len + 1);

  *len_out = classify_text_normalise (text, len, out);
  return out;
}

/* ---- the index against plain matching ------------------------------------------- */

typedef struct {
  guint seq;
  const ClassifyRule *rule;
  gsize start;
  gsize end;
} Found;

static void
collect (const ClassifyRule *rule, gsize start, gsize end, gpointer user_data)
{
  GArray *found = user_data;
  Found f = { rule->seq, rule, start, end };

  g_array_append_val (found, f);
}

static gint
found_cmp (gconstpointer a, gconstpointer b)
{
  const Found *x = a, *y = b;

  if (x->seq != y->seq)
    return x->seq < y->seq ? -1 : 1;
  return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

/* Whether the index finds in @text what plain matching finds; adds the
 * rules found to *@hits_out. */
static void
assert_same_hits (const char *raw, guint *hits_out)
{
  gsize len;
  g_autofree char *text = normal (raw, &len);
  g_autoptr(GArray) plain = g_array_new (FALSE, FALSE, sizeof (Found));
  g_autoptr(GArray) indexed = g_array_new (FALSE, FALSE, sizeof (Found));

  classify_index_hits (text, len, TRUE, collect, plain);
  classify_index_hits (text, len, FALSE, collect, indexed);
  g_array_sort (plain, found_cmp);
  g_array_sort (indexed, found_cmp);
  if (plain->len != indexed->len)
    g_error ("\"%s\": %u rules found plainly, %u by the index", text, plain->len, indexed->len);
  for (guint i = 0; i < plain->len; i++)
    {
      const Found *p = &g_array_index (plain, Found, i), *x = &g_array_index (indexed, Found, i);

      if (p->rule != x->rule || p->start != x->start || p->end != x->end)
        g_error ("\"%s\": plainly %s:%u at %zu-%zu, by the index %s:%u at %zu-%zu", text,
                 p->rule->file, p->rule->line, p->start, p->end, x->rule->file, x->rule->line,
                 x->start, x->end);
    }
  *hits_out += plain->len;
}

/* Each built-in rule's example, then with one word left out, one doubled,
 * and two swapped. */
static void
test_examples (void)
{
  guint hits = 0, texts = 0;

  for (guint i = 0; i < classify_builtin_rule_count (); i++)
    {
      const ClassifyRule *rule = classify_builtin_rule (i);
      g_autofree char *example = NULL;
      g_auto(GStrv) w = NULL;
      guint n;

      if (rule->kind != CLASSIFY_MATCH_WORDS)
        continue;
      example = classify_pattern_example (rule->pattern);
      assert_same_hits (example, &hits);
      texts++;
      w = g_strsplit (example, " ", -1);
      n = g_strv_length (w);
      for (guint k = 0; k < n; k++)
        {
          g_autoptr(GString) left = g_string_new (NULL), doubled = g_string_new (NULL);

          for (guint j = 0; j < n; j++)
            {
              if (j != k)
                g_string_append_printf (left, "%s ", w[j]);
              g_string_append_printf (doubled, "%s %s", w[j], j == k ? w[j] : "");
              g_string_append_c (doubled, ' ');
            }
          assert_same_hits (left->str, &hits);
          assert_same_hits (doubled->str, &hits);
          texts += 2;
          if (k + 1 < n)
            {
              char *t = w[k];
              g_autofree char *swapped = NULL;

              w[k] = w[k + 1];
              w[k + 1] = t;
              swapped = g_strjoinv (" ", w);
              assert_same_hits (swapped, &hits);
              texts++;
              w[k + 1] = w[k];
              w[k] = t;
            }
        }
    }
  g_test_message ("%u texts, %u rules found", texts, hits);
  /* Every example finds at least its own rule. */
  g_assert_cmpuint (hits, >=, texts / 4);
}

static void
test_random (void)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GRand) rand = g_rand_new_with_seed (TEST_SEED);
  guint hits = 0;

  for (guint i = 0; i < classify_builtin_rule_count (); i++)
    {
      const ClassifyRule *rule = classify_builtin_rule (i);
      if (rule->kind == CLASSIFY_MATCH_WORDS || rule->kind == CLASSIFY_MATCH_PHRASE)
        add_words (rule->pattern_text, words);
    }
  g_assert_cmpuint (words->len, >, 1000);
  for (guint i = 0; i < RANDOM_TEXTS; i++)
    {
      g_autofree char *text = random_text (rand, words, (guint) g_rand_int_range (rand, 2, 40));
      assert_same_hits (text, &hits);
    }
  g_test_message ("%u random texts, %u rules found", RANDOM_TEXTS, hits);
  g_assert_cmpuint (hits, >, RANDOM_TEXTS / 10);
}

/* ---- a pattern's clauses hold wherever it matches ---------------------------------- */

static const char *const grammar_patterns[] = {
  "(user|mailbox|recipient) [is|was] (unknown|not found)",
  "relay* ... (denied|not permitted|refused)",
  "(message|mail) ...3 (size|too (big|large)|exceeds ... limit)",
  "(mail ((box|drop) full|quota exceeded)|over quota) [for] user*",
  "(no such (user|mailbox)|user* [is] [not] unknown) here",
  "e-mail address ...2 (invalid|rejected)",
  "宛先 ... (存在しません|不明)",
  "(n'a|n'ont) pas pu etre (remis|distribue*)",
};

static gboolean
clause_present (const ClassifyLiteral *const *literals, guint n, const char *text, gsize len,
                gsize from)
{
  for (guint i = 0; i < n; i++)
    for (gsize p = from; p < len; p++)
      if (classify_literal_at (literals[i], text, len, p, NULL))
        return TRUE;
  return FALSE;
}

typedef struct {
  const char *text;
  gsize len;
  gsize start;
  gboolean all;
} ClauseCheck;

static void
check_clause (const ClassifyLiteral *const *literals, guint n, gpointer user_data)
{
  ClauseCheck *c = user_data;

  c->all &= clause_present (literals, n, c->text, c->len, c->start);
}

static void
test_pattern_clauses (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (TEST_SEED + 1);

  for (gsize i = 0; i < G_N_ELEMENTS (grammar_patterns); i++)
    {
      const char *why = NULL;
      g_autoptr(ClassifyPattern) p = classify_pattern_compile (grammar_patterns[i], &why);
      g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
      guint matched = 0, rejected = 0;

      g_assert_nonnull (p);
      add_words (grammar_patterns[i], words);
      for (guint k = 0; k < PATTERN_TEXTS; k++)
        {
          g_autofree char *noise_text = random_text (rand, words, (guint) g_rand_int_range (rand, 1, 12));
          g_autofree char *example = classify_pattern_example (p);
          /* A quarter of the texts hold the pattern's example. */
          g_autofree char *raw = k % 4 == 0 ? g_strdup_printf ("%s %s", example, noise_text)
                                            : g_strdup (noise_text);
          gsize len, start, end;
          g_autofree char *text = normal (raw, &len);
          ClauseCheck c = { text, len, 0, TRUE };

          classify_pattern_required (p, check_clause, &c);
          if (!c.all)
            rejected++;
          if (!classify_pattern_search (p, text, len, &start, &end))
            continue;
          matched++;
          c.start = start;
          c.all = TRUE;
          classify_pattern_required (p, check_clause, &c);
          if (!c.all)
            g_error ("\"%s\" matches %s at %zu, but a clause has no literal after it", text,
                     grammar_patterns[i], start);
        }
      g_test_message ("%s: %u of %u texts match, %u rejected by the clauses",
                      grammar_patterns[i], matched, PATTERN_TEXTS, rejected);
      /* Neither side vacuous. */
      g_assert_cmpuint (matched, >, 0);
      g_assert_cmpuint (rejected, >, 0);
    }
}

/* ---- a report's recipients, one after another ---------------------------------- */

typedef struct {
  const char *status;
  const char *command;
  const char *diagnostic;
  const char *notice;
} Answer;

/* Texts repeated, alternated, with and without a notice or a command, so
 * that a remembered scan would be used where it must not. */
static const Answer answers[] = {
  { "5.1.1", NULL, "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown", NULL },
  { "5.1.1", NULL, "550 5.1.1 <b@example.org>: Recipient address rejected: User unknown", NULL },
  { "5.2.2", NULL, "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown", NULL },
  { "5.0.0", "MAIL", "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown", NULL },
  { "5.0.0", NULL, "host mx.example.org said: 550 sorry, no mailbox here by that name (in reply to RCPT TO command)", NULL },
  { "5.0.0", "DATA", "host mx.example.org said: 550 sorry, no mailbox here by that name (in reply to RCPT TO command)", NULL },
  { "5.0.0", NULL, "550 message rejected", "The mailbox is full and cannot accept messages" },
  { "5.0.0", NULL, "550 message rejected", "Message rejected because it looks like spam" },
  { "5.0.0", NULL, "550 message rejected", NULL },
  { "4.4.1", NULL, "connect to mx.example.org[192.0.2.1]:25: Connection timed out", NULL },
  { NULL, NULL, "connect to mx.example.org[192.0.2.1]:25: Connection timed out", "Mailbox quota exceeded" },
  { "5.7.1", NULL, "", NULL },
  { "5.7.1", NULL, NULL, "Mailbox quota exceeded" },
  { "5.1.1", NULL, "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown", NULL },
  /* The command named by the text's cue comes back with its scan. */
  { "5.1.1", NULL, "550 5.1.1 User unknown (in reply to MAIL FROM command)", NULL },
  { "5.1.1", NULL, "550 5.1.1 User unknown (in reply to MAIL FROM command)", NULL },
  { "5.1.1", "RCPT", "550 5.1.1 User unknown (in reply to MAIL FROM command)", NULL },
};

static BounceRecipient *
add_answer (BounceReport *report, const Answer *a)
{
  BounceRecipient *r = bounce_report_add_recipient (report);

  r->recipient = bounce_report_str (report, "user@example.org");
  r->action = bounce_report_str (report, a->status && a->status[0] == '4' ? "delayed" : "failed");
  r->status = bounce_report_str (report, a->status);
  r->command = bounce_report_str (report, a->command);
  r->diagnostic = bounce_report_str (report, a->diagnostic);
  r->notice = bounce_report_str (report, a->notice);
  return r;
}

/* Every recipient of a report of many is classified as it is alone. */
static void
test_recipients (void)
{
  g_autoptr(BounceReport) all = bounce_report_new ();
  guint n = 0;

  all->kind = BOUNCE_KIND_DSN;
  all->format = "rfc3464";
  /* Twice over, so that each text comes back after others. */
  for (guint round = 0; round < 2; round++)
    for (gsize i = 0; i < G_N_ELEMENTS (answers); i++)
      add_answer (all, &answers[i]);
  classify_report (all, NULL);
  for (guint round = 0; round < 2; round++)
    for (gsize i = 0; i < G_N_ELEMENTS (answers); i++, n++)
      {
        g_autoptr(BounceReport) one = bounce_report_new ();
        const BounceRecipient *many = g_ptr_array_index (all->recipients, n);
        const BounceRecipient *alone;

        one->kind = BOUNCE_KIND_DSN;
        one->format = "rfc3464";
        alone = add_answer (one, &answers[i]);
        classify_report (one, NULL);
        g_test_message ("answer %zu, round %u: %s", i, round, alone->reason);
        g_assert_cmpstr (many->reason, ==, alone->reason);
        g_assert_cmpstr (many->evidence, ==, alone->evidence);
        g_assert_cmpstr (many->status, ==, alone->status);
        g_assert_cmpstr (many->status_source, ==, alone->status_source);
        g_assert_cmpint (many->hard_bounce, ==, alone->hard_bounce);
      }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/classify-index/required", test_required);
  g_test_add_func ("/classify-index/same-hits/examples", test_examples);
  g_test_add_func ("/classify-index/same-hits/random", test_random);
  g_test_add_func ("/classify-index/pattern-clauses", test_pattern_clauses);
  g_test_add_func ("/classify-index/recipients", test_recipients);
  return g_test_run ();
}
