/* classify-pattern.c - word patterns: the concepts classification rules name
 *
 * A rule of kind "words" names a concept rather than one wording: words or
 * stems, alternatives, optional words and bounded gaps.  The grammar
 * (bounced-reasons(7), "RULES FILES"):
 *
 *   pattern = sequence
 *   sequence = 1*item
 *   item    = term / "(" alternatives ")" / "[" alternatives "]" / gap
 *   alternatives = sequence *("|" sequence)
 *   term    = 1*char ["*"]        ; "*" makes the last word a stem
 *   gap     = "..." [1*2DIGIT]    ; up to N words (default 5, at most 20)
 *
 *   relay* ... (denied|not permitted|not allowed|prohibited|refused)
 *   (user|mailbox|recipient) [is] unknown
 *   (message|mail) ... (size|too (big|large)|exceeds ... limit)
 *
 * Patterns and texts are both in the normal form of classify-text.c.  A
 * term is split at separators into words ("e-mail" is "e" then "mail",
 * matching "e-mail" and "e mail"); runs of ideographs are one literal each.
 * Between two items any run of separators may stand: punctuation, spaces.
 * A word matches only as a whole word (a stem only at a word's start);
 * ideographs match anywhere, since those scripts mark no word boundaries.
 *
 * Matching backtracks over alternatives, optional groups and gaps with
 * explicit continuations; the work per attempt is bounded
 * (PATTERN_MAX_STEPS), so no pattern can make a text expensive.  The rule
 * matcher finds candidate positions with the Aho-Corasick automaton: the
 * words a match must begin with are the pattern's anchors
 * (classify_pattern_anchors), so a pattern must begin with a word or a
 * group of alternatives that each begin with one.  The same scan tells
 * which of the words a match needs (classify_pattern_required: clauses of
 * literals, one of each clause) occur in the text, so that most patterns
 * are never tried: their anchors are common words, the rest of their words
 * are not there.  A term is tested in one place, term_at(), whether a
 * match tries it or the scan checks a literal's presence
 * (classify_literal_at), so the two cannot disagree.
 *
 * Invariants:
 *  1. A compiled pattern is immutable: any number of threads may match it.
 *  2. Every sequence holds at least one item; no gap ends a pattern or
 *     begins one.
 */
#include "classify-private.h"

#include <string.h>

/* Longest pattern source. */
#define PATTERN_MAX_SOURCE 2048u
/* Deepest nesting of groups. */
#define PATTERN_MAX_DEPTH 8u
/* Default and largest gap, in words. */
#define PATTERN_GAP_DEFAULT 5u
#define PATTERN_GAP_MAX 20u
/* Steps of one match attempt before it gives up. */
#define PATTERN_MAX_STEPS 20000u
/* Of a group's alternatives' needs, the first this many are combined; at
 * most this many clauses are kept for a pattern (classify_pattern_required). */
#define REQUIRED_ZIP 4u
#define REQUIRED_MAX_CLAUSES 16u
/* Shortest stem: "no*" would match half a language. */
#define PATTERN_MIN_STEM 3u

typedef enum {
  NODE_TERM,
  NODE_GROUP,
  NODE_GAP,
} NodeKind;

typedef struct _Node Node;

typedef struct {
  Node **items;
  guint n;
} Seq;

struct _Node {
  NodeKind kind;
  /* NODE_TERM */
  ClassifyLiteral term;
  /* NODE_GROUP */
  Seq *alts;
  guint n_alts;
  gboolean optional;
  /* NODE_GAP */
  guint gap;
};

struct _ClassifyPattern {
  Seq top;
  GPtrArray *owned;   /* every allocation of the tree */
  /* What every match needs (classify_pattern_required), computed once:
   * clause c is @needs[@need_first[c] .. @need_first[c + 1]). */
  const ClassifyLiteral **needs;
  guint *need_first;
  guint n_clauses;
};

static void pattern_set_needs (ClassifyPattern *pattern);

/* A copy of @size bytes of @data, owned by @pattern. */
static gpointer
own_copy (ClassifyPattern *pattern, gconstpointer data, gsize size)
{
  gpointer p = g_memdup2 (data, size);

  g_ptr_array_add (pattern->owned, p);
  return p;
}
static gboolean clause_occurs (const ClassifyLiteral *const *literals, guint n, const char *text,
                               gsize len);

void
classify_pattern_free (ClassifyPattern *pattern)
{
  if (pattern == NULL)
    return;
  g_ptr_array_unref (pattern->owned);
  g_free (pattern);
}

/* ---- compiling ---------------------------------------------------------------- */

typedef struct {
  ClassifyPattern *pattern;
  const char *src;      /* normalised source */
  gsize len;
  gsize pos;
  guint depth;
  const char *why;
} Compiler;

static gpointer
own (Compiler *c, gpointer p)
{
  g_ptr_array_add (c->pattern->owned, p);
  return p;
}

static gboolean
is_operator (char ch)
{
  return ch == '(' || ch == ')' || ch == '[' || ch == ']' || ch == '|' || ch == ' ';
}

/* Splits the chunk [@start, @end) of the source into terms, appended to
 * @items; a trailing "*" (@stem) applies to the last word. */
static gboolean
add_terms (Compiler *c, GPtrArray *items, gsize start, gsize end, gboolean stem)
{
  gsize p = start;
  Node *last = NULL;

  while (p < end)
    {
      gsize n;
      ClassifyCharClass cls = classify_text_class (c->src, end, p, &n);
      gsize q = p;

      if (cls == CLASSIFY_CHAR_SEPARATOR)
        {
          p += n;
          continue;
        }
      while (q < end)
        {
          gsize m;
          if (classify_text_class (c->src, end, q, &m) != cls)
            break;
          q += m;
        }
      last = own (c, g_new0 (Node, 1));
      last->kind = NODE_TERM;
      last->term.text = own (c, g_strndup (c->src + p, q - p));
      last->term.len = q - p;
      last->term.ideograph = cls == CLASSIFY_CHAR_IDEOGRAPH;
      g_ptr_array_add (items, last);
      p = q;
    }
  if (stem)
    {
      if (last == NULL || last->term.ideograph || last->term.len < PATTERN_MIN_STEM)
        {
          c->why = "a stem (\"*\") needs a word of at least 3 letters before it";
          return FALSE;
        }
      last->term.stem = TRUE;
    }
  return TRUE;
}

static Seq *compile_alternatives (Compiler *c, char close, guint *n_out);

/* Parses items until one of ")", "]", "|" or the end; fills @seq_out. */
static gboolean
compile_sequence (Compiler *c, Seq *seq_out)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();

  while (c->pos < c->len)
    {
      char ch = c->src[c->pos];

      if (ch == ' ')
        {
          c->pos++;
          continue;
        }
      if (ch == ')' || ch == ']' || ch == '|')
        break;
      if (ch == '(' || ch == '[')
        {
          Node *group = own (c, g_new0 (Node, 1));

          if (++c->depth > PATTERN_MAX_DEPTH)
            {
              c->why = "groups nested too deep";
              return FALSE;
            }
          c->pos++;
          group->kind = NODE_GROUP;
          group->optional = ch == '[';
          group->alts = compile_alternatives (c, ch == '(' ? ')' : ']', &group->n_alts);
          if (group->alts == NULL)
            return FALSE;
          c->depth--;
          g_ptr_array_add (items, group);
          continue;
        }
      if (ch == '.' && c->pos + 2 < c->len && c->src[c->pos + 1] == '.' && c->src[c->pos + 2] == '.')
        {
          Node *gap = own (c, g_new0 (Node, 1));
          guint n = 0, digits = 0;

          c->pos += 3;
          while (c->pos < c->len && g_ascii_isdigit (c->src[c->pos]) && digits < 3)
            {
              n = n * 10 + (guint) (c->src[c->pos++] - '0');
              digits++;
            }
          if (digits == 0)
            n = PATTERN_GAP_DEFAULT;
          if (n == 0 || n > PATTERN_GAP_MAX)
            {
              c->why = "a gap is \"...\" or \"...N\" with N from 1 to 20";
              return FALSE;
            }
          gap->kind = NODE_GAP;
          gap->gap = n;
          g_ptr_array_add (items, gap);
          continue;
        }
      {
        gsize start = c->pos;
        gboolean stem = FALSE;

        while (c->pos < c->len && !is_operator (c->src[c->pos])
               && !(c->src[c->pos] == '.' && c->pos + 2 < c->len && c->src[c->pos + 1] == '.'
                    && c->src[c->pos + 2] == '.'))
          c->pos++;
        if (c->pos > start && c->src[c->pos - 1] == '*')
          stem = TRUE;
        if (!add_terms (c, items, start, stem ? c->pos - 1 : c->pos, stem))
          return FALSE;
      }
    }
  if (items->len == 0)
    {
      c->why = "empty pattern, group or alternative";
      return FALSE;
    }
  {
    Node *first = g_ptr_array_index (items, 0);
    Node *last = g_ptr_array_index (items, items->len - 1);
    if (first->kind == NODE_GAP || last->kind == NODE_GAP)
      {
        c->why = "a gap (\"...\") must stand between words";
        return FALSE;
      }
  }
  seq_out->n = items->len;
  seq_out->items = own (c, g_memdup2 (items->pdata, items->len * sizeof (Node *)));
  return TRUE;
}

static Seq *
compile_alternatives (Compiler *c, char close, guint *n_out)
{
  g_autoptr(GArray) alts = g_array_new (FALSE, TRUE, sizeof (Seq));

  for (;;)
    {
      Seq seq = { 0 };

      if (!compile_sequence (c, &seq))
        return NULL;
      g_array_append_val (alts, seq);
      if (c->pos >= c->len)
        {
          c->why = close == ')' ? "missing \")\"" : "missing \"]\"";
          return NULL;
        }
      if (c->src[c->pos] == '|')
        {
          c->pos++;
          continue;
        }
      if (c->src[c->pos] != close)
        {
          c->why = "unbalanced brackets";
          return NULL;
        }
      c->pos++;
      break;
    }
  *n_out = alts->len;
  return own (c, g_memdup2 (alts->data, alts->len * sizeof (Seq)));
}

/* Whether every match of @seq begins with a word (invariant 2, and what
 * the anchors need). */
static gboolean
begins_with_word (const Seq *seq)
{
  const Node *first = seq->items[0];

  if (first->kind == NODE_TERM)
    return TRUE;
  if (first->kind != NODE_GROUP || first->optional)
    return FALSE;
  for (guint i = 0; i < first->n_alts; i++)
    if (!begins_with_word (&first->alts[i]))
      return FALSE;
  return TRUE;
}

ClassifyPattern *
classify_pattern_compile (const char *source, const char **why_out)
{
  g_autoptr(ClassifyPattern) pattern = NULL;
  g_autofree char *norm = NULL;
  Compiler c = { 0 };
  gsize len;

  g_return_val_if_fail (source != NULL, NULL);
  len = strlen (source);
  if (len > PATTERN_MAX_SOURCE)
    {
      *why_out = "pattern longer than 2048 bytes";
      return NULL;
    }
  norm = g_malloc (2 * len + 1);
  len = classify_text_normalise (source, len, norm);

  pattern = g_new0 (ClassifyPattern, 1);
  pattern->owned = g_ptr_array_new_with_free_func (g_free);
  c.pattern = pattern;
  c.src = norm;
  c.len = len;
  if (!compile_sequence (&c, &pattern->top))
    {
      *why_out = c.why;
      return NULL;
    }
  if (c.pos < c.len)
    {
      *why_out = "unbalanced brackets";
      return NULL;
    }
  if (!begins_with_word (&pattern->top))
    {
      *why_out = "a pattern must begin with a word, or with a group whose alternatives do";
      return NULL;
    }
  pattern_set_needs (pattern);
  return g_steal_pointer (&pattern);
}

/* ---- anchors ------------------------------------------------------------------ */

static void
anchors_of (const Seq *seq, ClassifyAnchorFunc func, gpointer user_data)
{
  const Node *first = seq->items[0];

  if (first->kind == NODE_TERM)
    {
      func (&first->term, user_data);
      return;
    }
  for (guint i = 0; i < first->n_alts; i++)
    anchors_of (&first->alts[i], func, user_data);
}

void
classify_pattern_anchors (const ClassifyPattern *pattern, ClassifyAnchorFunc func,
                          gpointer user_data)
{
  g_return_if_fail (pattern != NULL && func != NULL);
  anchors_of (&pattern->top, func, user_data);
}

/* ---- matching ----------------------------------------------------------------- */

/* classify_text_class and classify_text_class_before, with their ASCII
 * case first: most of the text a pattern walks is ASCII, and these run at
 * every step. */
static inline ClassifyCharClass
char_class (const char *text, gsize len, gsize pos, gsize *char_len_out)
{
  guchar c = (guchar) text[pos];

  if (c < 0x80)
    {
      *char_len_out = 1;
      return g_ascii_isalnum (c) ? CLASSIFY_CHAR_WORD : CLASSIFY_CHAR_SEPARATOR;
    }
  return classify_text_class (text, len, pos, char_len_out);
}

static inline ClassifyCharClass
char_class_before (const char *text, gsize pos)
{
  guchar c;

  if (pos == 0)
    return CLASSIFY_CHAR_SEPARATOR;
  c = (guchar) text[pos - 1];
  if (c < 0x80)
    return g_ascii_isalnum (c) ? CLASSIFY_CHAR_WORD : CLASSIFY_CHAR_SEPARATOR;
  return classify_text_class_before (text, pos);
}

typedef struct _Cont Cont;
struct _Cont {
  const Seq *seq;
  guint index;
  const Cont *next;
};

typedef struct {
  const char *text;
  gsize len;
  guint steps;
} Ctx;

static gsize
skip_separators (const Ctx *x, gsize pos)
{
  while (pos < x->len)
    {
      gsize n;
      if (char_class (x->text, x->len, pos, &n) != CLASSIFY_CHAR_SEPARATOR)
        break;
      pos += n;
    }
  return pos;
}

/* The end of the word that runs through @pos. */
static gsize
word_end (const Ctx *x, gsize pos)
{
  while (pos < x->len)
    {
      gsize n;
      if (char_class (x->text, x->len, pos, &n) != CLASSIFY_CHAR_WORD)
        break;
      pos += n;
    }
  return pos;
}

/* Past the next word (or ideograph) after @pos; @pos itself at the end. */
static gsize
skip_token (const Ctx *x, gsize pos)
{
  gsize n;

  pos = skip_separators (x, pos);
  if (pos >= x->len)
    return pos;
  if (char_class (x->text, x->len, pos, &n) == CLASSIFY_CHAR_IDEOGRAPH)
    return pos + n;
  return word_end (x, pos);
}

/* Whether @t matches at @p; *@end_out is where the match ends.  The one
 * test of a literal: classify_literal_at, which the required words'
 * presence is checked with, is this function. */
static gboolean
term_at (const Ctx *x, const ClassifyLiteral *t, gsize p, gsize *end_out)
{
  gsize n;

  if (p + t->len > x->len || memcmp (x->text + p, t->text, t->len) != 0)
    return FALSE;
  if (t->ideograph)
    {
      *end_out = p + t->len;
      return TRUE;
    }
  if (char_class_before (x->text, p) == CLASSIFY_CHAR_WORD)
    return FALSE;
  if (t->stem)
    {
      *end_out = word_end (x, p + t->len);
      return TRUE;
    }
  if (p + t->len < x->len
      && char_class (x->text, x->len, p + t->len, &n) == CLASSIFY_CHAR_WORD)
    return FALSE;
  *end_out = p + t->len;
  return TRUE;
}

/* Matches items @index.. of @seq from @pos, then the continuation @k;
 * @first: @pos is where the match must start (no separators skipped). */
static gboolean
match_from (Ctx *x, const Seq *seq, guint index, gsize pos, gboolean first, const Cont *k,
            gsize *end_out)
{
  const Node *item;

  if (++x->steps > PATTERN_MAX_STEPS)
    return FALSE;
  if (index == seq->n)
    {
      if (k == NULL)
        {
          *end_out = pos;
          return TRUE;
        }
      return match_from (x, k->seq, k->index, pos, first, k->next, end_out);
    }
  item = seq->items[index];
  switch (item->kind)
    {
    case NODE_TERM:
      {
        gsize p = first ? pos : skip_separators (x, pos);
        gsize end;

        if (!term_at (x, &item->term, p, &end))
          return FALSE;
        return match_from (x, seq, index + 1, end, FALSE, k, end_out);
      }
    case NODE_GROUP:
      {
        Cont rest = { seq, index + 1, k };

        for (guint i = 0; i < item->n_alts; i++)
          if (match_from (x, &item->alts[i], 0, pos, first, &rest, end_out))
            return TRUE;
        if (item->optional)
          return match_from (x, seq, index + 1, pos, first, k, end_out);
        return FALSE;
      }
    case NODE_GAP:
      for (guint g = 0; g <= item->gap; g++)
        {
          gsize next;

          if (match_from (x, seq, index + 1, pos, FALSE, k, end_out))
            return TRUE;
          next = skip_token (x, pos);
          if (next == pos)
            break;
          pos = next;
        }
      return FALSE;
    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

gboolean
classify_pattern_match_at (const ClassifyPattern *pattern, const char *text, gsize len,
                           gsize start, gsize *end_out)
{
  Ctx x = { text, len, 0 };
  gsize end = 0;

  g_return_val_if_fail (pattern != NULL && text != NULL, FALSE);
  if (start >= len || !match_from (&x, &pattern->top, 0, start, TRUE, NULL, &end))
    return FALSE;
  *end_out = end;
  return TRUE;
}

gboolean
classify_pattern_search (const ClassifyPattern *pattern, const char *text, gsize len,
                         gsize *start_out, gsize *end_out)
{
  gsize pos = 0;

  g_return_val_if_fail (pattern != NULL && text != NULL, FALSE);
  /* A text without the words a match needs has none; finding that out
   * takes a search for each of them, not an attempt at every word. */
  for (guint c = 0; c < pattern->n_clauses; c++)
    if (!clause_occurs (pattern->needs + pattern->need_first[c],
                        pattern->need_first[c + 1] - pattern->need_first[c], text, len))
      return FALSE;
  while (pos < len)
    {
      gsize n, end;
      ClassifyCharClass cls = char_class (text, len, pos, &n);

      if (cls == CLASSIFY_CHAR_IDEOGRAPH
          || (cls == CLASSIFY_CHAR_WORD && char_class_before (text, pos) != CLASSIFY_CHAR_WORD))
        if (classify_pattern_match_at (pattern, text, len, pos, &end))
          {
            *start_out = pos;
            *end_out = end;
            return TRUE;
          }
      pos += n;
    }
  return FALSE;
}

gboolean
classify_literal_at (const ClassifyLiteral *literal, const char *text, gsize len, gsize pos,
                     gsize *end_out)
{
  Ctx x = { text, len, 0 };
  gsize end;

  g_return_val_if_fail (literal != NULL && text != NULL, FALSE);
  if (pos >= len || !term_at (&x, literal, pos, &end))
    return FALSE;
  if (end_out != NULL)
    *end_out = end;
  return TRUE;
}

/* ---- required words ------------------------------------------------------------ */

/* Clauses being collected: clause i is @lits[@first[i] .. @first[i + 1]),
 * literals borrowed from the tree; @first has one entry more than there
 * are clauses. */
typedef struct {
  GPtrArray *lits;
  GArray *first;
} Needs;

static void
needs_init (Needs *n)
{
  guint zero = 0;

  n->lits = g_ptr_array_new ();
  n->first = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_val (n->first, zero);
}

static void
needs_clear (Needs *n)
{
  g_ptr_array_unref (n->lits);
  g_array_unref (n->first);
}

static guint
needs_count (const Needs *n)
{
  return n->first->len - 1;
}

/* Adds @literal to the clause being built (the literals after the last
 * clause's end), unless an equal one is there. */
static void
needs_add (Needs *n, const ClassifyLiteral *literal)
{
  for (guint i = g_array_index (n->first, guint, n->first->len - 1); i < n->lits->len; i++)
    {
      const ClassifyLiteral *l = g_ptr_array_index (n->lits, i);

      if (l->len == literal->len && l->stem == literal->stem && l->ideograph == literal->ideograph
          && memcmp (l->text, literal->text, l->len) == 0)
        return;
    }
  g_ptr_array_add (n->lits, (gpointer) literal);
}

/* Ends the clause being built. */
static void
needs_close (Needs *n)
{
  guint end = n->lits->len;

  g_array_append_val (n->first, end);
}

/* Appends to @out what every match of @seq needs: a term needs itself; a
 * gap or an optional group nothing; a group (A1 A2 | B1 B2 ...) the
 * disjunction of its alternatives' needs, of which this keeps the clauses
 * "one of the k-th clauses of the alternatives" (k below REQUIRED_ZIP and
 * below every alternative's count): each is implied by (A1 and A2) or (B1
 * and B2), so leaving out the rest of the distributed product loses
 * precision, never a match.  Past @limit clauses in @out no more are
 * added, for the same reason. */
static void
required_of (const Seq *seq, Needs *out, guint limit)
{
  for (guint i = 0; i < seq->n && needs_count (out) < limit; i++)
    {
      const Node *item = seq->items[i];

      if (item->kind == NODE_TERM)
        {
          needs_add (out, &item->term);
          needs_close (out);
        }
      else if (item->kind == NODE_GROUP && !item->optional)
        {
          Needs alts;
          g_autofree guint *alt_first = g_new (guint, item->n_alts);
          guint zip = REQUIRED_ZIP;

          /* The alternatives' clauses one after another in @alts. */
          needs_init (&alts);
          for (guint a = 0; a < item->n_alts; a++)
            {
              guint before = needs_count (&alts);

              alt_first[a] = before;
              /* Only the first REQUIRED_ZIP of each are used. */
              required_of (&item->alts[a], &alts, before + REQUIRED_ZIP);
              zip = MIN (zip, needs_count (&alts) - before);
            }
          /* An alternative that needs nothing makes the group need nothing. */
          for (guint k = 0; k < zip && needs_count (out) < limit; k++)
            {
              for (guint a = 0; a < item->n_alts; a++)
                {
                  guint c = alt_first[a] + k;

                  for (guint l = g_array_index (alts.first, guint, c);
                       l < g_array_index (alts.first, guint, c + 1); l++)
                    needs_add (out, g_ptr_array_index (alts.lits, l));
                }
              needs_close (out);
            }
          needs_clear (&alts);
        }
    }
}

static void
pattern_set_needs (ClassifyPattern *pattern)
{
  Needs needs;

  needs_init (&needs);
  required_of (&pattern->top, &needs, REQUIRED_MAX_CLAUSES);
  pattern->n_clauses = needs_count (&needs);
  pattern->need_first = own_copy (pattern, needs.first->data, needs.first->len * sizeof (guint));
  pattern->needs = own_copy (pattern, needs.lits->pdata, MAX (needs.lits->len, 1) * sizeof (gpointer));
  needs_clear (&needs);
}

void
classify_pattern_required (const ClassifyPattern *pattern, ClassifyClauseFunc func,
                           gpointer user_data)
{
  g_return_if_fail (pattern != NULL && func != NULL);
  for (guint c = 0; c < pattern->n_clauses; c++)
    func (pattern->needs + pattern->need_first[c], pattern->need_first[c + 1] - pattern->need_first[c],
          user_data);
}

/* Whether one of the @n literals matches somewhere in @text. */
static gboolean
clause_occurs (const ClassifyLiteral *const *literals, guint n, const char *text, gsize len)
{
  for (guint i = 0; i < n; i++)
    {
      const ClassifyLiteral *l = literals[i];
      gsize pos = 0;
      const char *p;

      while (pos + l->len <= len && (p = memmem (text + pos, len - pos, l->text, l->len)) != NULL)
        {
          gsize at = (gsize) (p - text);

          if (classify_literal_at (l, text, len, at, NULL))
            return TRUE;
          pos = at + 1;
        }
    }
  return FALSE;
}

/* ---- examples, for the tests ---------------------------------------------------- */

static void
example_of (const Seq *seq, GString *out)
{
  for (guint i = 0; i < seq->n; i++)
    {
      const Node *item = seq->items[i];

      if (item->kind == NODE_TERM)
        {
          if (out->len > 0)
            g_string_append_c (out, ' ');
          g_string_append_len (out, item->term.text, (gssize) item->term.len);
        }
      else if (item->kind == NODE_GROUP && !item->optional)
        example_of (&item->alts[0], out);
    }
}

char *
classify_pattern_example (const ClassifyPattern *pattern)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (pattern != NULL, NULL);
  example_of (&pattern->top, out);
  return g_string_free (out, FALSE);
}
