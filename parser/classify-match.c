/* classify-match.c - an Aho-Corasick automaton over the rules' phrases
 *
 * Finds every occurrence of every phrase in one pass over the text, at the
 * cost of one table look-up per byte, however many phrases there are
 * (A. V. Aho, M. J. Corasick, "Efficient string matching", CACM 18(6),
 * 1975).  The automaton is a complete DFA: the failure links are folded
 * into the transition table when it is built, so that scanning never
 * follows them.
 *
 * Invariants:
 *  1. Bytes are mapped to classes first: every byte that occurs in some
 *     phrase has a class of its own, all others share class 0, which no
 *     phrase contains.  The table is states x classes, not states x 256.
 *  2. State 0 is the root; delta[s * classes + c] is always a valid state
 *     once the automaton is built.
 *  3. Each state lists the phrases that end exactly there (own outputs);
 *     dict[s] is the nearest state on its failure chain with own outputs,
 *     or 0, so that reporting every match walks only states that have some.
 */
#include "classify-private.h"

#include <string.h>

#define NO_STATE G_MAXUINT32
#define NO_OUTPUT G_MAXUINT32

typedef struct {
  guint id;
  guint32 next;   /* next output of the same state, or NO_OUTPUT */
} Output;

struct _ClassifyMatcher {
  GPtrArray *phrases;    /* GBytes*, until built */
  GArray *ids;           /* guint, parallel to phrases */
  guint8 class_of[256];
  guint classes;
  guint32 *delta;
  guint32 *first_output; /* per state, index into outputs or NO_OUTPUT */
  guint32 *dict;
  guint states;
  GArray *outputs;       /* Output */
  gboolean built;
};

ClassifyMatcher *
classify_matcher_new (void)
{
  ClassifyMatcher *m = g_new0 (ClassifyMatcher, 1);

  m->phrases = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  m->ids = g_array_new (FALSE, FALSE, sizeof (guint));
  m->outputs = g_array_new (FALSE, FALSE, sizeof (Output));
  return m;
}

void
classify_matcher_add (ClassifyMatcher *matcher, const char *phrase, gsize len, guint id)
{
  g_return_if_fail (matcher != NULL && !matcher->built);
  g_return_if_fail (phrase != NULL && len > 0);

  g_ptr_array_add (matcher->phrases, g_bytes_new (phrase, len));
  g_array_append_val (matcher->ids, id);
}

/* Grows the tables to hold @states states. */
static void
reserve (ClassifyMatcher *m, guint *capacity, guint states)
{
  if (states <= *capacity)
    return;
  while (*capacity < states)
    *capacity = *capacity ? *capacity * 2 : 256;
  m->delta = g_renew (guint32, m->delta, (gsize) *capacity * m->classes);
  m->first_output = g_renew (guint32, m->first_output, *capacity);
  m->dict = g_renew (guint32, m->dict, *capacity);
}

static guint32
new_state (ClassifyMatcher *m, guint *capacity)
{
  guint32 s = m->states++;

  reserve (m, capacity, m->states);
  for (guint c = 0; c < m->classes; c++)
    m->delta[(gsize) s * m->classes + c] = NO_STATE;
  m->first_output[s] = NO_OUTPUT;
  m->dict[s] = 0;
  return s;
}

void
classify_matcher_build (ClassifyMatcher *m)
{
  guint capacity = 0;
  guint32 *fail, *queue;
  guint head = 0, tail = 0;

  g_return_if_fail (m != NULL && !m->built);

  /* Invariant 1: byte classes. */
  memset (m->class_of, 0, sizeof m->class_of);
  m->classes = 1;
  for (guint i = 0; i < m->phrases->len; i++)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (g_ptr_array_index (m->phrases, i), &len);

      for (gsize k = 0; k < len; k++)
        if (m->class_of[p[k]] == 0)
          m->class_of[p[k]] = (guint8) m->classes++;
    }
  g_assert (m->classes <= 256);

  /* The trie. */
  new_state (m, &capacity);
  for (guint i = 0; i < m->phrases->len; i++)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (g_ptr_array_index (m->phrases, i), &len);
      guint32 s = 0;
      Output out;

      for (gsize k = 0; k < len; k++)
        {
          gsize slot = (gsize) s * m->classes + m->class_of[p[k]];
          if (m->delta[slot] == NO_STATE)
            {
              guint32 t = new_state (m, &capacity);
              m->delta[slot] = t;   /* new_state may move delta: index again */
            }
          s = m->delta[(gsize) s * m->classes + m->class_of[p[k]]];
        }
      out.id = g_array_index (m->ids, guint, i);
      out.next = m->first_output[s];
      g_array_append_val (m->outputs, out);
      m->first_output[s] = m->outputs->len - 1;
    }

  /* Failure links, breadth first, folded into delta (invariant 2), and
   * dictionary links (invariant 3). */
  fail = g_new0 (guint32, m->states);
  queue = g_new (guint32, m->states);
  for (guint c = 0; c < m->classes; c++)
    {
      guint32 *slot = &m->delta[c];
      if (*slot == NO_STATE)
        *slot = 0;
      else
        {
          fail[*slot] = 0;
          queue[tail++] = *slot;
        }
    }
  while (head < tail)
    {
      guint32 s = queue[head++];

      m->dict[s] = m->first_output[fail[s]] != NO_OUTPUT ? fail[s] : m->dict[fail[s]];
      for (guint c = 0; c < m->classes; c++)
        {
          guint32 *slot = &m->delta[(gsize) s * m->classes + c];
          guint32 via_fail = m->delta[(gsize) fail[s] * m->classes + c];

          if (*slot == NO_STATE)
            *slot = via_fail;
          else
            {
              fail[*slot] = via_fail;
              queue[tail++] = *slot;
            }
        }
    }
  g_free (queue);
  g_free (fail);

  g_ptr_array_set_size (m->phrases, 0);
  m->built = TRUE;
}

void
classify_matcher_scan (const ClassifyMatcher *m, const char *text, gsize len,
                       ClassifyMatchFunc func, gpointer user_data)
{
  const guint8 *p = (const guint8 *) text;
  const Output *outputs;
  guint32 s = 0;

  g_return_if_fail (m != NULL && m->built);
  if (m->states <= 1)
    return;
  outputs = (const Output *) (gpointer) m->outputs->data;
  for (gsize i = 0; i < len; i++)
    {
      s = m->delta[(gsize) s * m->classes + m->class_of[p[i]]];
      if (s == 0)
        continue;
      for (guint32 t = m->first_output[s] != NO_OUTPUT ? s : m->dict[s]; t != 0; t = m->dict[t])
        for (guint32 o = m->first_output[t]; o != NO_OUTPUT; o = outputs[o].next)
          if (!func (outputs[o].id, i + 1, user_data))
            return;
    }
}

void
classify_matcher_free (ClassifyMatcher *matcher)
{
  if (matcher == NULL)
    return;
  g_ptr_array_unref (matcher->phrases);
  g_array_unref (matcher->ids);
  g_array_unref (matcher->outputs);
  g_free (matcher->delta);
  g_free (matcher->first_output);
  g_free (matcher->dict);
  g_free (matcher);
}
