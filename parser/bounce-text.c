/* bounce-text.c - small total functions over text: whitespace, addresses,
 * lines, case-insensitive search
 *
 * Addresses follow RFC 5321 section 4.1.2 loosely: a bounce quotes addresses
 * in every style ("<a@b>", "rfc822;a@b", "a@b (comment)", "Name <a@b>",
 * quoted local parts), and what we want is the bare "local@domain".
 */
#include "bounce-private.h"

#include <string.h>

/* Longest address we accept: RFC 5321 4.5.3.1 limits a path to 256 octets. */
#define BOUNCE_TEXT_MAX_ADDRESS 320

char *
bounce_text_collapse (const char *s, gssize n)
{
  GString *out;
  gsize len;
  gboolean space = FALSE;

  if (s == NULL)
    return NULL;
  len = n < 0 ? strlen (s) : (gsize) n;
  out = g_string_sized_new (len);
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')
        {
          space = out->len > 0;
          continue;
        }
      if (c == '\0')
        continue;
      if (space)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_c (out, c);
    }
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static gboolean
is_atext (unsigned char c)
{
  /* RFC 5322 3.2.3 atext, plus '.' for dot-atoms, plus UTF-8 (RFC 6532). */
  return g_ascii_isalnum (c) || c >= 0x80 || strchr ("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static gboolean
is_domain_char (unsigned char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c >= 0x80
         || c == '[' || c == ']' || c == ':';
}

gboolean
bounce_text_is_address (const char *s)
{
  const char *at;
  gsize len;

  if (s == NULL)
    return FALSE;
  len = strlen (s);
  if (len < 3 || len > BOUNCE_TEXT_MAX_ADDRESS)
    return FALSE;
  at = strrchr (s, '@');
  if (at == NULL || at == s || at[1] == '\0')
    return FALSE;
  for (const char *p = at + 1; *p; p++)
    if (!is_domain_char ((unsigned char) *p))
      return FALSE;
  if (at[1] == '.' || at[1] == '-' || s[len - 1] == '.')
    return FALSE;
  return TRUE;
}

/* Scans an address around the '@' at @at inside [start, end). */
static char *
address_around (const char *start, const char *end, const char *at)
{
  const char *l = at, *r = at + 1;
  char *addr;

  if (l > start && l[-1] == '"')
    {
      /* "quoted local"@domain: walk back to the opening quote. */
      const char *q = l - 1;
      while (q > start && q[-1] != '"')
        q--;
      l = q > start ? q - 1 : l;
    }
  else
    while (l > start && is_atext ((unsigned char) l[-1]))
      l--;
  while (r < end && is_domain_char ((unsigned char) *r))
    r++;
  /* Trailing dots and colons are punctuation of the sentence, not the address. */
  while (r > at + 1 && (r[-1] == '.' || r[-1] == ':' || r[-1] == ']'))
    {
      if (r[-1] == ']' && memchr (at, '[', (gsize) (r - at)) != NULL)
        break;
      r--;
    }
  /* 'a@b' in single quotes: the quotes belong to the sentence, although
   * RFC 5322 3.2.3 allows an apostrophe in a local part (o'neil@...). */
  if (*l == '\'' && r < end && *r == '\'')
    l++;
  /* A quoted reply run into the address, "550-'a@b... No such user'"
   * (a relay quoting the remote answer): the code and the quote are the
   * sentence's.  An apostrophe inside a local part (o'neil) stays. */
  {
    const char *q = memchr (l, '\'', (gsize) (at - l));
    gboolean code = q != NULL && q > l;

    for (const char *c = l; code && c < q; c++)
      code = g_ascii_isdigit (*c) || *c == '-';
    if (code)
      l = q + 1;
  }
  while (l < at && (*l == '.'))
    l++;
  if (l == at || r == at + 1)
    return NULL;
  addr = g_strndup (l, (gsize) (r - l));
  if (!bounce_text_is_address (addr))
    {
      g_free (addr);
      return NULL;
    }
  return addr;
}

char *
bounce_text_address (const char *s, gssize n)
{
  const char *end, *lt, *at;
  gsize len;

  if (s == NULL)
    return NULL;
  len = n < 0 ? strlen (s) : (gsize) n;
  end = s + len;

  /* Prefer an address in angle brackets. */
  lt = memchr (s, '<', len);
  while (lt != NULL)
    {
      const char *gt = memchr (lt, '>', (gsize) (end - lt));
      if (gt == NULL)
        break;
      at = memchr (lt, '@', (gsize) (gt - lt));
      if (at != NULL)
        {
          char *addr = address_around (lt + 1, gt, at);
          if (addr != NULL)
            return addr;
        }
      lt = memchr (gt, '<', (gsize) (end - gt));
    }

  /* An address type prefix (RFC 3464 2.3.2 "rfc822;" / RFC 6533 "utf-8;"). */
  {
    const char *semi = memchr (s, ';', len);
    if (semi != NULL && semi - s < 16 && memchr (s, '@', (gsize) (semi - s)) == NULL)
      s = semi + 1;
  }
  for (at = memchr (s, '@', (gsize) (end - s)); at != NULL;
       at = memchr (at + 1, '@', (gsize) (end - at - 1)))
    {
      char *addr = address_around (s, end, at);
      if (addr != NULL)
        return addr;
      if (at + 1 >= end)
        break;
    }
  return NULL;
}

gboolean
bounce_text_address_equal (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return FALSE;
  return g_ascii_strcasecmp (a, b) == 0;
}

/* ASCII lower case by table: this search runs over every notice body for
 * every marker phrase, and g_ascii_tolower() calls dominated the profile. */
static const unsigned char lower[256] = {
#define L(c) ((unsigned char) ((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c)))
#define R4(b) L (b), L (b + 1), L (b + 2), L (b + 3)
#define R16(b) R4 (b), R4 (b + 4), R4 (b + 8), R4 (b + 12)
#define R64(b) R16 (b), R16 (b + 16), R16 (b + 32), R16 (b + 48)
  R64 (0), R64 (64), R64 (128), R64 (192)
#undef R64
#undef R16
#undef R4
#undef L
};

/* Bytes bounce_text_find() has read on this thread (bounce-private.h). */
static _Thread_local guint64 searched;

guint64
bounce_text_searched (void)
{
  return searched;
}

void
bounce_text_add_searched (guint64 n)
{
  searched += n;
}

static const char *find_counted (const char *hay, gsize len, const char *needle);

const char *
bounce_text_find (const char *hay, gssize n, const char *needle)
{
  const char *found;
  gsize len;

  if (hay == NULL || needle == NULL)
    return NULL;
  len = n < 0 ? strlen (hay) : (gsize) n;
  found = find_counted (hay, len, needle);
  searched += found ? (gsize) (found - hay) + strlen (needle) : len;
  return found;
}

static const char *
find_counted (const char *hay, gsize len, const char *needle)
{
  const unsigned char *h = (const unsigned char *) hay;
  const unsigned char *nd = (const unsigned char *) needle;
  gsize nlen;
  unsigned char lo, up;

  nlen = strlen (needle);
  if (nlen == 0)
    return hay;
  if (nlen > len)
    return NULL;
  lo = lower[nd[0]];
  up = (lo >= 'a' && lo <= 'z') ? (unsigned char) (lo - 32) : lo;
  for (gsize i = 0; i + nlen <= len; i++)
    {
      const unsigned char *p;
      gsize k;

      /* Jump to the next byte that can start a match. */
      if (lo == up)
        p = memchr (h + i, lo, len - nlen + 1 - i);
      else
        {
          const unsigned char *a = memchr (h + i, lo, len - nlen + 1 - i);
          const unsigned char *b = memchr (h + i, up, (a ? (gsize) (a - h) : len - nlen + 1) - i);
          p = b ? b : a;
        }
      if (p == NULL)
        return NULL;
      i = (gsize) (p - h);
      for (k = 1; k < nlen && lower[h[i + k]] == lower[nd[k]]; k++)
        ;
      if (k == nlen)
        return hay + i;
    }
  return NULL;
}

gboolean
bounce_text_next_line (const char *text, gsize len, gsize *pos,
                       const char **line_out, gsize *line_len_out)
{
  const char *nl;
  gsize start = *pos;

  if (start >= len)
    return FALSE;
  nl = memchr (text + start, '\n', len - start);
  *line_out = text + start;
  if (nl == NULL)
    {
      *line_len_out = len - start;
      *pos = len;
    }
  else
    {
      *line_len_out = (gsize) (nl - (text + start));
      *pos = (gsize) (nl - text) + 1;
    }
  return TRUE;
}

/* ---- address words ------------------------------------------------------ */

static gboolean
is_address_byte (unsigned char c)
{
  return c >= 0x80 || g_ascii_isalnum (c)
         || (c != '\0' && strchr ("!#$%&'*+-/=?^_`{|}~.@", c) != NULL);
}

gboolean
bounce_text_next_address_word (const char *text, gsize len, gsize *pos,
                               const char **word_out, gsize *word_len_out)
{
  const char *end = text + len;
  const char *at = *pos < len ? memchr (text + *pos, '@', len - *pos) : NULL;
  const char *s, *e;

  if (at == NULL)
    {
      *pos = len;
      return FALSE;
    }
  s = at;
  e = at + 1;
  while (s > text + *pos && is_address_byte ((unsigned char) s[-1]))
    s--;
  while (e < end && is_address_byte ((unsigned char) *e))
    e++;
  *pos = (gsize) (e - text);
  /* Dots around a word end a sentence; they are not the address's. */
  while (s < e && *s == '.')
    s++;
  while (e > s && e[-1] == '.')
    e--;
  *word_out = s;
  *word_len_out = (gsize) (e - s);
  return TRUE;
}

void
bounce_word_index_init (BounceWordIndex *index, const char *text, gsize len)
{
  const char *word;
  gsize word_len, pos = 0;

  *index = (BounceWordIndex) { .text = text, .len = len };
  index->words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_array_unref);
  while (bounce_text_next_address_word (text, len, &pos, &word, &word_len))
    {
      g_autofree char *key = g_ascii_strdown (word, (gssize) word_len);
      gsize offset = (gsize) (word - text);
      GArray *offsets = g_hash_table_lookup (index->words, key);

      if (offsets == NULL)
        {
          offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
          g_hash_table_insert (index->words, g_steal_pointer (&key), offsets);
        }
      g_array_append_val (offsets, offset);
    }
}

const char *
bounce_word_index_find (const BounceWordIndex *index, const char *from, const char *address)
{
  GArray *offsets = NULL;

  if (address == NULL)
    return NULL;
  if (index->words != NULL)
    {
      g_autofree char *key = g_ascii_strdown (address, -1);
      offsets = g_hash_table_lookup (index->words, key);
    }
  if (offsets != NULL)
    {
      gsize at = (gsize) (from - index->text);
      guint lo = 0, hi = offsets->len;

      /* The first offset at or after @from (they increase). */
      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;
          if (g_array_index (offsets, gsize, mid) < at)
            lo = mid + 1;
          else
            hi = mid;
        }
      return lo < offsets->len ? index->text + g_array_index (offsets, gsize, lo) : NULL;
    }
  /* An address made of address bytes only would be a word of its own if
   * the text named it so: the index's answer is the answer.  Searching the
   * text for it anyway, once per recipient the notice does not name, is
   * the quadratic cost the index is there to avoid. */
  if (index->words != NULL)
    {
      const char *p = address;

      while (*p && is_address_byte ((unsigned char) *p))
        p++;
      if (*p == '\0')
        return NULL;
    }
  return bounce_text_find (from, (gssize) (index->len - (gsize) (from - index->text)), address);
}

void
bounce_word_index_clear (BounceWordIndex *index)
{
  g_clear_pointer (&index->words, g_hash_table_unref);
}

/* ---- dates -------------------------------------------------------------- */

char *
bounce_text_date_utc (const char *text)
{
  g_autofree char *copy = NULL;
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GDateTime) utc = NULL;

  if (text == NULL)
    return NULL;
  copy = g_strstrip (g_strdup (text));
  dt = g_mime_utils_header_decode_date (copy);
  if (dt == NULL)
    dt = g_date_time_new_from_iso8601 (copy, NULL);
  if (dt == NULL || (utc = g_date_time_to_utc (dt)) == NULL)
    return NULL;
  /* Four-digit years whatever the year (%Y writes 999 for 999). */
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d+00:00",
                          g_date_time_get_year (utc), g_date_time_get_month (utc),
                          g_date_time_get_day_of_month (utc), g_date_time_get_hour (utc),
                          g_date_time_get_minute (utc), g_date_time_get_second (utc));
}

/* ---- multi-line replies ------------------------------------------------- */

/* Lines of a multi-line reply gathered at most (RFC 5321 4.2.1 sets no
 * limit; real replies have a handful). */
#define TEXT_REPLY_MAX_LINES 24

/* Whether @line (of @len bytes), after blanks and a transcript's "<<< " or
 * a quote's "> ", starts with @code ("552") and then '-' or ' '; *@rest_out
 * points past that prefix and *@last_out says whether it was the last line
 * (a blank after the code). */
static gboolean
reply_line (const char *line, gsize len, const char *code, const char **rest_out,
            gboolean *last_out)
{
  gsize i = 0;

  while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '>' || line[i] == '<'))
    i++;
  if (len - i < 4 || memcmp (line + i, code, 3) != 0 || (line[i + 3] != '-' && line[i + 3] != ' '))
    return FALSE;
  *last_out = line[i + 3] == ' ';
  *rest_out = line + i + 4;
  return TRUE;
}

/* Past an enhanced status code and its blank at @s ("5.1.1 "), if any. */
static const char *
skip_enhanced_code (const char *s, const char *end)
{
  const char *p = s;
  int parts = 0;

  while (parts < 3)
    {
      const char *digits = p;

      while (p < end && g_ascii_isdigit (*p))
        p++;
      if (p == digits || p - digits > 3)
        return s;
      parts++;
      if (parts < 3)
        {
          if (p >= end || *p != '.')
            return s;
          p++;
        }
    }
  if (p < end && *p != ' ')
    return s;
  return p < end ? p + 1 : p;
}

char *
bounce_text_join_reply (const char *body, gsize len, const char *first)
{
  char code[4];
  const char *p, *from;
  gsize key_len;
  g_autofree char *key = NULL;

  g_return_val_if_fail (first != NULL, NULL);
  if (body == NULL || len == 0 || strlen (first) < 8 || !g_ascii_isdigit (first[0])
      || !g_ascii_isdigit (first[1]) || !g_ascii_isdigit (first[2]) || first[3] != '-')
    return NULL;
  memcpy (code, first, 3);
  code[3] = '\0';
  /* The first line as the notice has it: the text after "552-". */
  key_len = MIN (strlen (first + 4), 48);
  key = g_strndup (first + 4, key_len);
  from = body;
  while ((p = bounce_text_find (from, (gssize) (len - (gsize) (from - body)), key)) != NULL)
    {
      gsize pos = (gsize) (p - body);
      const char *line;
      gsize line_len;
      g_autoptr(GString) out = g_string_new (NULL);
      guint n = 0;
      gboolean last = FALSE;

      /* Back to the start of the line that holds it. */
      while (pos > 0 && body[pos - 1] != '\n')
        pos--;
      while (n < TEXT_REPLY_MAX_LINES && !last && bounce_text_next_line (body, len, &pos, &line, &line_len))
        {
          const char *rest;

          if (!reply_line (line, line_len, code, &rest, &last))
            break;
          if (out->len == 0)
            g_string_append_printf (out, "%s%c", code, last ? ' ' : '-');
          else
            {
              /* The codes again on every line say nothing new: the text
               * reads on as one reply ("... Please try double-checking"). */
              g_string_append_c (out, ' ');
              rest = skip_enhanced_code (rest, line + line_len);
            }
          g_string_append_len (out, rest, (gssize) (line_len - (gsize) (rest - line)));
          n++;
        }
      if (n > 1)
        return bounce_text_collapse (out->str, (gssize) out->len);
      from = p + key_len;
    }
  return NULL;
}
