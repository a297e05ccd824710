/* phrase-set.h - several phrases searched in one pass (see phrase-set.c) */
#pragma once

#include <glib.h>

typedef struct _PhraseSet PhraseSet;

/* A set of the @n phrases @phrases (non-empty ASCII strings, borrowed: they
 * must outlive the set; static tables in practice).  Free with
 * phrase_set_free(). */
PhraseSet *phrase_set_new (const char *const *phrases, gsize n);

void phrase_set_free (PhraseSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhraseSet, phrase_set_free)

/* The earliest place in @hay (@len bytes) where one of the phrases of @set
 * starts, ASCII case ignored, as bounce_text_find() compares; NULL when
 * none occurs.  When several start there, @which_out (may be NULL) gets the
 * index of the first of them in the table given to phrase_set_new().
 *
 *   static const char *const markers[] = { "Original message", "Below" };
 *   g_autoptr(PhraseSet) set = phrase_set_new (markers, 2);
 *   const char *p = phrase_set_find (set, body, body_len, NULL);
 */
const char *phrase_set_find (const PhraseSet *set, const char *hay, gsize len, gsize *which_out);
