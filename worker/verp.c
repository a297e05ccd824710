/* verp.c - VERP-style return paths: compile a pattern, match an address
 *
 * A pattern is a sequence of literal segments and placeholders ({campaign},
 * {id}).  Matching is a small backtracking search over at most
 * VERP_MAX_ADDRESS_LENGTH characters and two placeholders, so its cost is
 * bounded by the square of the address length.
 *
 * Invariants:
 *  1. A compiled pattern has exactly one {campaign} and at most one {id}.
 *  2. No two placeholders are adjacent (the split between them would be
 *     arbitrary), and a placeholder never matches "@" or an empty string.
 *  3. Earlier placeholders are greedy: they take the longest part that
 *     still lets the rest match.
 *
 * Header lines are read per RFC 5322 section 2.2: a line starting with
 * white space continues the previous field (section 2.2.3, unfolding).
 */
#include "verp.h"

#include <string.h>

typedef enum { SEG_LITERAL, SEG_CAMPAIGN, SEG_ID } SegKind;

typedef struct {
  SegKind kind;
  char *text;        /* literal text, for SEG_LITERAL */
  gsize len;
} Segment;

struct _Verp {
  char *pattern;
  GArray *segments;  /* Segment */
  gboolean has_id;
};

G_DEFINE_QUARK (verp-error-quark, verp_error)

static void
segment_clear (gpointer data)
{
  Segment *s = data;
  g_free (s->text);
}

void
verp_free (Verp *verp)
{
  if (verp == NULL)
    return;
  g_free (verp->pattern);
  g_array_unref (verp->segments);
  g_free (verp);
}

const char *
verp_get_pattern (const Verp *verp)
{
  g_return_val_if_fail (verp != NULL, NULL);
  return verp->pattern;
}

static Verp *
fail (GError **error_out, const char *pattern, const char *why)
{
  g_set_error (error_out, VERP_ERROR, VERP_ERROR_PATTERN,
               "invalid VERP pattern \"%s\": %s", pattern, why);
  return NULL;
}

Verp *
verp_new (const char *pattern, GError **error_out)
{
  g_autoptr(Verp) verp = NULL;
  const char *p;
  guint campaigns = 0, ids = 0;
  gboolean last_was_placeholder = FALSE;

  g_return_val_if_fail (pattern != NULL, NULL);

  if (strlen (pattern) > VERP_MAX_PATTERN_LENGTH)
    return fail (error_out, pattern, "longer than 256 characters");
  if (strchr (pattern, '@') == NULL)
    return fail (error_out, pattern, "an address needs an \"@\"");

  verp = g_new0 (Verp, 1);
  verp->pattern = g_strdup (pattern);
  verp->segments = g_array_new (FALSE, TRUE, sizeof (Segment));
  g_array_set_clear_func (verp->segments, segment_clear);

  for (p = pattern; *p != '\0';)
    {
      Segment seg = { SEG_LITERAL, NULL, 0 };

      if (*p == '{')
        {
          const char *close = strchr (p, '}');
          g_autofree char *name = NULL;

          if (close == NULL)
            return fail (error_out, pattern, "\"{\" without \"}\"");
          name = g_strndup (p + 1, close - p - 1);
          if (strcmp (name, "campaign") == 0)
            seg.kind = SEG_CAMPAIGN, campaigns++;
          else if (strcmp (name, "id") == 0)
            seg.kind = SEG_ID, ids++;
          else
            {
              g_autofree char *why =
                g_strdup_printf ("unknown placeholder \"{%s}\" (known: {campaign}, {id})", name);
              return fail (error_out, pattern, why);
            }
          if (last_was_placeholder)
            return fail (error_out, pattern,
                         "two placeholders must be separated by literal text");
          last_was_placeholder = TRUE;
          p = close + 1;
        }
      else
        {
          const char *end = p;

          while (*end != '\0' && *end != '{')
            {
              if (*end == '}')
                return fail (error_out, pattern, "\"}\" without \"{\"");
              end++;
            }
          seg.text = g_strndup (p, end - p);
          seg.len = end - p;
          last_was_placeholder = FALSE;
          p = end;
        }
      g_array_append_val (verp->segments, seg);
    }

  if (campaigns != 1)
    return fail (error_out, pattern, "{campaign} must appear exactly once");
  if (ids > 1)
    return fail (error_out, pattern, "{id} may appear at most once");
  verp->has_id = ids == 1;
  return g_steal_pointer (&verp);
}

/* Matches segments [i..] against s[pos..len); records placeholder spans in
 * @starts/@ends (indexed by segment). */
static gboolean
match_from (const Verp *verp, guint i, const char *s, gsize pos, gsize len,
            gsize *starts, gsize *ends)
{
  const Segment *seg;
  gsize limit, n;

  if (i == verp->segments->len)
    return pos == len;
  seg = &g_array_index (verp->segments, Segment, i);
  if (seg->kind == SEG_LITERAL)
    {
      if (len - pos < seg->len || g_ascii_strncasecmp (s + pos, seg->text, seg->len) != 0)
        return FALSE;
      return match_from (verp, i + 1, s, pos + seg->len, len, starts, ends);
    }

  /* A placeholder: one or more non-"@" characters, longest first. */
  for (limit = pos; limit < len && s[limit] != '@'; limit++)
    ;
  for (n = limit - pos; n >= 1; n--)
    {
      starts[i] = pos;
      ends[i] = pos + n;
      if (match_from (verp, i + 1, s, pos + n, len, starts, ends))
        return TRUE;
    }
  return FALSE;
}

gboolean
verp_match (const Verp *verp, const char *address, char **campaign_out, char **id_out)
{
  gsize starts[16], ends[16];
  const char *s, *lt;
  gsize len;

  g_return_val_if_fail (verp != NULL, FALSE);
  if (address == NULL)
    return FALSE;
  /* The segment count is bounded by the pattern length, but the two
   * placeholders and the literals around them never exceed five. */
  g_return_val_if_fail (verp->segments->len <= G_N_ELEMENTS (starts), FALSE);

  s = address;
  while (g_ascii_isspace (*s))
    s++;
  lt = strchr (s, '<');
  if (lt != NULL)
    {
      const char *gt = strchr (lt, '>');
      if (gt == NULL)
        return FALSE;
      s = lt + 1;
      len = gt - s;
    }
  else
    {
      len = strlen (s);
      while (len > 0 && g_ascii_isspace (s[len - 1]))
        len--;
    }
  if (len == 0 || len > VERP_MAX_ADDRESS_LENGTH)
    return FALSE;

  if (!match_from (verp, 0, s, 0, len, starts, ends))
    return FALSE;

  for (guint i = 0; i < verp->segments->len; i++)
    {
      const Segment *seg = &g_array_index (verp->segments, Segment, i);

      if (seg->kind == SEG_CAMPAIGN && campaign_out != NULL)
        *campaign_out = g_strndup (s + starts[i], ends[i] - starts[i]);
      else if (seg->kind == SEG_ID && id_out != NULL)
        *id_out = g_strndup (s + starts[i], ends[i] - starts[i]);
    }
  if (!verp->has_id && id_out != NULL)
    *id_out = NULL;
  return TRUE;
}

/* The header fields that name the address a bounce was delivered to, most
 * reliable first. */
static const char *const delivery_fields[] = {
  "Delivered-To", "X-Original-To", "Envelope-To", "Return-Path", "To",
};

/* Collects the unfolded values of the fields of @data's header block into
 * @values (one GPtrArray of char* per entry of delivery_fields). */
static void
collect_fields (const char *data, gsize length, GPtrArray **values)
{
  const char *p = data, *end = data + length;
  GString *current = NULL;
  int current_field = -1;
  guint lines = 0;

  for (; p < end && lines < VERP_MAX_HEADER_LINES; lines++)
    {
      const char *eol = memchr (p, '\n', end - p);
      const char *line_end = eol ? eol : end;
      gsize n = line_end - p;

      if (n > 0 && p[n - 1] == '\r')
        n--;
      if (n == 0)
        break;               /* the empty line ends the header block */
      if (p[0] == ' ' || p[0] == '\t')
        {
          if (current != NULL)
            g_string_append_len (current, p, n);
        }
      else
        {
          const char *colon = memchr (p, ':', n);

          if (current != NULL)
            g_ptr_array_add (values[current_field], g_string_free (current, FALSE));
          current = NULL;
          current_field = -1;
          if (colon != NULL)
            for (guint f = 0; f < G_N_ELEMENTS (delivery_fields); f++)
              {
                gsize fl = strlen (delivery_fields[f]);
                if ((gsize) (colon - p) == fl && g_ascii_strncasecmp (p, delivery_fields[f], fl) == 0)
                  {
                    current_field = f;
                    current = g_string_new_len (colon + 1, n - (colon + 1 - p));
                    break;
                  }
              }
        }
      p = eol ? eol + 1 : end;
    }
  if (current != NULL)
    g_ptr_array_add (values[current_field], g_string_free (current, FALSE));
}

gboolean
verp_find_in_headers (const Verp *verp, const char *data, gsize length,
                      char **campaign_out, char **id_out)
{
  GPtrArray *values[G_N_ELEMENTS (delivery_fields)];
  gboolean found = FALSE;

  g_return_val_if_fail (verp != NULL, FALSE);
  if (data == NULL)
    return FALSE;
  for (guint f = 0; f < G_N_ELEMENTS (delivery_fields); f++)
    values[f] = g_ptr_array_new_with_free_func (g_free);
  collect_fields (data, length, values);

  for (guint f = 0; f < G_N_ELEMENTS (delivery_fields) && !found; f++)
    for (guint v = 0; v < values[f]->len && !found; v++)
      {
        /* To may list several addresses (RFC 5322 section 3.6.3). */
        g_auto(GStrv) parts = g_strsplit (g_ptr_array_index (values[f], v), ",", 0);
        for (guint k = 0; parts[k] != NULL && !found; k++)
          found = verp_match (verp, parts[k], campaign_out, id_out);
      }

  for (guint f = 0; f < G_N_ELEMENTS (delivery_fields); f++)
    g_ptr_array_unref (values[f]);
  return found;
}

gboolean
verp_apply (const Verp *verp, BounceReport *report, const char *data, gsize length)
{
  g_autofree char *campaign = NULL;

  if (verp == NULL || report == NULL || report->original.campaign != NULL
      || report->kind == BOUNCE_KIND_ERROR || report->kind == BOUNCE_KIND_NOT_BOUNCE)
    return FALSE;
  if (!verp_find_in_headers (verp, data, length, &campaign, NULL))
    return FALSE;
  /* Every string of a report lives in its string chunk (bounce.h,
   * invariant 2); the campaign joins them so that it dies with the report.
   * This is the one place outside the parser that writes into a report. */
  report->original.campaign = g_string_chunk_insert (report->strings, campaign);
  return TRUE;
}
