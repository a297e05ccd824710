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

/* A phrase waiting for the build; borrowed from the caller. */
typedef struct {
  const guint8 *bytes;
  gsize len;
  guint id;
} Pending;

struct _ClassifyMatcher {
  GArray *pending;       /* Pending, until built */
  gsize pending_bytes;   /* their total length: a bound on the states */
  guint8 class_of[256];
  guint classes;
  guint32 *delta;
  guint32 *first_output; /* per state, index into outputs or NO_OUTPUT */
  guint32 *dict;
  guint states;
  Output *outputs;
  guint n_outputs;
  gboolean built;
};

ClassifyMatcher *
classify_matcher_new (void)
{
  ClassifyMatcher *m = g_new0 (ClassifyMatcher, 1);

  m->pending = g_array_new (FALSE, FALSE, sizeof (Pending));
  return m;
}

void
classify_matcher_add (ClassifyMatcher *matcher, const char *phrase, gsize len, guint id)
{
  Pending pending = { (const guint8 *) phrase, len, id };

  g_return_if_fail (matcher != NULL && !matcher->built);
  g_return_if_fail (phrase != NULL && len > 0);

  g_array_append_val (matcher->pending, pending);
  matcher->pending_bytes += len;
}

/* A trie edge while building: the child of a state on one byte class. */
typedef struct {
  guint32 target;
  guint32 next;    /* next edge of the same state, or NO_STATE */
  guint8 cls;
} Edge;

void
classify_matcher_build (ClassifyMatcher *m)
{
  const Pending *pending;
  gsize bound;
  g_autofree guint32 *first_edge = NULL;
  g_autofree Edge *edges = NULL;
  g_autofree guint32 *fail = NULL;
  g_autofree guint32 *queue = NULL;
  guint32 n_edges = 0;
  guint head = 0, tail = 0;

  g_return_if_fail (m != NULL && !m->built);
  pending = (const Pending *) (gpointer) m->pending->data;

  /* Invariant 1: byte classes. */
  memset (m->class_of, 0, sizeof m->class_of);
  m->classes = 1;
  for (guint i = 0; i < m->pending->len; i++)
    for (gsize k = 0; k < pending[i].len; k++)
      if (m->class_of[pending[i].bytes[k]] == 0)
        m->class_of[pending[i].bytes[k]] = (guint8) m->classes++;
  g_assert (m->classes <= 256);

  /* The trie, with sparse edges: at most one state per phrase byte, plus
   * the root. */
  bound = m->pending_bytes + 1;
  g_assert (bound < NO_STATE);
  first_edge = g_new (guint32, bound);
  edges = g_new (Edge, bound);
  m->first_output = g_new (guint32, bound);
  m->outputs = g_new (Output, MAX (m->pending->len, 1));
  first_edge[0] = NO_STATE;
  m->first_output[0] = NO_OUTPUT;
  m->states = 1;
  for (guint i = 0; i < m->pending->len; i++)
    {
      guint32 s = 0;

      for (gsize k = 0; k < pending[i].len; k++)
        {
          guint8 c = m->class_of[pending[i].bytes[k]];
          guint32 e = first_edge[s];

          while (e != NO_STATE && edges[e].cls != c)
            e = edges[e].next;
          if (e == NO_STATE)
            {
              guint32 t = m->states++;

              edges[n_edges] = (Edge) { t, first_edge[s], c };
              first_edge[s] = n_edges++;
              first_edge[t] = NO_STATE;
              m->first_output[t] = NO_OUTPUT;
              s = t;
            }
          else
            s = edges[e].target;
        }
      m->outputs[m->n_outputs] = (Output) { pending[i].id, m->first_output[s] };
      m->first_output[s] = m->n_outputs++;
    }

  /* The complete DFA, breadth first (invariant 2): a state's row is its
   * failure state's row, already complete, with its own edges written
   * over it; an edge's target fails to where the failure state goes on the
   * same class.  Dictionary links as in invariant 3. */
  m->delta = g_new (guint32, (gsize) m->states * m->classes);
  m->dict = g_new0 (guint32, m->states);
  fail = g_new0 (guint32, m->states);
  queue = g_new (guint32, m->states);
  memset (m->delta, 0, m->classes * sizeof (guint32));
  for (guint32 e = first_edge[0]; e != NO_STATE; e = edges[e].next)
    {
      m->delta[edges[e].cls] = edges[e].target;
      queue[tail++] = edges[e].target;
    }
  while (head < tail)
    {
      guint32 s = queue[head++];
      guint32 *row = &m->delta[(gsize) s * m->classes];

      memcpy (row, &m->delta[(gsize) fail[s] * m->classes], m->classes * sizeof (guint32));
      m->dict[s] = m->first_output[fail[s]] != NO_OUTPUT ? fail[s] : m->dict[fail[s]];
      for (guint32 e = first_edge[s]; e != NO_STATE; e = edges[e].next)
        {
          fail[edges[e].target] = row[edges[e].cls];
          row[edges[e].cls] = edges[e].target;
          queue[tail++] = edges[e].target;
        }
    }

  g_array_set_size (m->pending, 0);
  m->built = TRUE;
}

void
classify_matcher_scan (const ClassifyMatcher *m, const char *text, gsize len,
                       ClassifyMatchFunc func, gpointer user_data)
{
  const guint8 *p = (const guint8 *) text;
  const Output *outputs = m->outputs;
  guint32 s = 0;

  g_return_if_fail (m != NULL && m->built);
  if (m->states <= 1)
    return;
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
  g_array_unref (matcher->pending);
  g_free (matcher->outputs);
  g_free (matcher->delta);
  g_free (matcher->first_output);
  g_free (matcher->dict);
  g_free (matcher);
}
