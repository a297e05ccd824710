/* phrase-set.c - several phrases searched in one pass
 *
 * Where a notice asks "which of these twenty phrases comes first", a search
 * per phrase reads the text twenty times (forty with both cases of a first
 * letter).  A phrase set reads it once: a table of the bytes that start a
 * phrase (both cases) lets the scan skip every other byte, and only at a
 * byte that starts one are the phrases with that first byte compared
 * there.  Comparison is ASCII case-insensitive, as bounce_text_find()'s,
 * so that a set gives what the earliest of the single searches gave.
 *
 * Invariants:
 *  1. The result is the earliest match; at one position, the phrase that
 *     comes first in the caller's table.
 *  2. Bytes read are counted with bounce_text_find()'s (the budget the
 *     tests hold the parser to, test-bounce-report.c).
 */
#include "phrase-set.h"
#include "bounce-private.h"

#include <string.h>

struct _PhraseSet {
  const char *const *phrases;
  gsize n;
  gsize *lengths;
  /* Phrases by their lower-cased first byte: bucket[c] indexes @order
   * from start[c] to start[c + 1], in table order. */
  guint start[257];
  guint *order;
  guint8 starts[256];   /* nonzero for a byte (either case) that starts one */
};

static inline unsigned char
fold (unsigned char c)
{
  return c >= 'A' && c <= 'Z' ? (unsigned char) (c + 32) : c;
}

PhraseSet *
phrase_set_new (const char *const *phrases, gsize n)
{
  PhraseSet *set = g_new0 (PhraseSet, 1);
  guint count[256] = { 0 };
  guint fill[256];

  set->phrases = phrases;
  set->n = n;
  set->lengths = g_new (gsize, MAX (n, 1));
  set->order = g_new (guint, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      unsigned char c = fold ((unsigned char) phrases[i][0]);

      g_return_val_if_fail (phrases[i][0] != '\0', set);
      set->lengths[i] = strlen (phrases[i]);
      count[c]++;
      set->starts[c] = 1;
      set->starts[c >= 'a' && c <= 'z' ? c - 32 : c] = 1;
    }
  for (guint c = 0; c < 256; c++)
    set->start[c + 1] = set->start[c] + count[c];
  memcpy (fill, set->start, sizeof fill);
  for (gsize i = 0; i < n; i++)
    set->order[fill[fold ((unsigned char) phrases[i][0])]++] = (guint) i;
  return set;
}

void
phrase_set_free (PhraseSet *set)
{
  if (set == NULL)
    return;
  g_free (set->lengths);
  g_free (set->order);
  g_free (set);
}

/* Whether @phrase (@plen bytes) is at @h, case ignored; its first byte is
 * known to match. */
static gboolean
match_at (const unsigned char *h, const char *phrase, gsize plen)
{
  for (gsize k = 1; k < plen; k++)
    if (fold (h[k]) != fold ((unsigned char) phrase[k]))
      return FALSE;
  return TRUE;
}

const char *
phrase_set_find (const PhraseSet *set, const char *hay, gsize len, gsize *which_out)
{
  const unsigned char *h = (const unsigned char *) hay;

  g_return_val_if_fail (set != NULL, NULL);
  if (hay == NULL)
    return NULL;
  for (gsize i = 0; i < len; i++)
    {
      unsigned char c;

      if (!set->starts[h[i]])
        continue;
      c = fold (h[i]);
      for (guint b = set->start[c]; b < set->start[c + 1]; b++)
        {
          guint p = set->order[b];

          if (set->lengths[p] <= len - i && match_at (h + i, set->phrases[p], set->lengths[p]))
            {
              if (which_out != NULL)
                *which_out = p;
              bounce_text_add_searched (i + set->lengths[p]);
              return hay + i;
            }
        }
    }
  bounce_text_add_searched (len);
  return NULL;
}
