/* classify-text.c - the form of a text that classification rules read
 *
 * Rules are written once, in lower case and without accents; servers write
 * the same words in every case, with or without accents, with typographic
 * apostrophes, in fullwidth Latin letters (Japanese systems), and split
 * over the lines of a multi-line SMTP reply.  classify_text_normalise()
 * maps all of these to one form, and classify_text_class() tells the
 * pattern matcher what a character is: part of a word, an ideograph (a
 * word of its own: Chinese, Japanese and Korean are matched without word
 * boundaries), or a separator.
 *
 * The normal form:
 *  - ASCII letters in lower case; other letters through g_unichar_tolower;
 *  - Latin letters with diacritics (U+00C0-U+017F) as their base letters,
 *    ligatures spelled out ("Empfänger" -> "empfanger", "ß" -> "ss",
 *    "œ" -> "oe"): French, German, Spanish, Portuguese, Italian, Polish and
 *    Czech servers send both spellings, often the unaccented one; beyond
 *    them, Latin and Greek letters without their combining marks (by
 *    canonical decomposition: Romanian, Vietnamese, Greek tonos), Greek
 *    final sigma as sigma; Cyrillic "ё" as "е" (Russian writes both:
 *    "удалён", "удален");
 *  - fullwidth ASCII (U+FF01-U+FF5E) as ASCII;
 *  - typographic apostrophes and quotes as ' and ", dashes as -, every
 *    kind of space as one ASCII space, runs of blanks collapsed;
 *  - the reply and status codes that repeat at the start of each line of a
 *    multi-line reply (RFC 5321 4.2.1, "550-5.7.1 "), once collapsed into
 *    the middle of a sentence, dropped, so that a phrase may span lines;
 *  - mail addresses (local@domain.tld) replaced by a blank: rules read the
 *    server's words, and a local part such as "this-user-does-not-exist"
 *    says nothing about the reason.
 *
 * Invariants:
 *  1. The output is never longer than twice the input, plus one NUL.
 *  2. Bytes that are not valid UTF-8 are copied as they are (ASCII bytes
 *     lower-cased), so the function is total.
 */
#include "classify-private.h"

#include <string.h>

/* Base letters of U+00C0-U+00FF ("" keeps the character: × and ÷). */
static const char *const latin1[64] = {
  "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
  "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
  "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
  "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
};

/* Base letters of Latin Extended-A, U+0100-U+017F, as ranges. */
static const struct {
  gunichar last;
  const char *base;
} latin_a[] = {
  { 0x0105, "a" }, { 0x010D, "c" }, { 0x0111, "d" }, { 0x011B, "e" }, { 0x0123, "g" },
  { 0x0127, "h" }, { 0x0131, "i" }, { 0x0133, "ij" }, { 0x0135, "j" }, { 0x0138, "k" },
  { 0x0142, "l" }, { 0x014B, "n" }, { 0x0151, "o" }, { 0x0153, "oe" }, { 0x0159, "r" },
  { 0x0161, "s" }, { 0x0167, "t" }, { 0x0173, "u" }, { 0x0175, "w" }, { 0x0178, "y" },
  { 0x017E, "z" }, { 0x017F, "s" },
};

/* @c without its diacritics when it is a Latin letter beyond Latin
 * Extended-A (Romanian "ș", "ț"; Vietnamese "ệ", "ồ") or a Greek one with
 * tonos or breathings ("ή" -> "η"), found by its canonical decomposition
 * (a base and combining marks).  Cyrillic, kana and Hangul keep theirs:
 * "й" and "и", "が" and "か" are different letters there.  Greek final
 * sigma is sigma, so that upper and lower case fold alike. */
static gunichar
strip_marks (gunichar c)
{
  gunichar d[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  gsize n;

  if (c == 0x03C2)
    return 0x03C3;
  if (!((c >= 0x0180 && c <= 0x024F) || (c >= 0x1E00 && c <= 0x1EFF)
        || (c >= 0x0370 && c <= 0x03FF) || (c >= 0x1F00 && c <= 0x1FFF)))
    return c;
  n = g_unichar_fully_decompose (c, FALSE, d, G_N_ELEMENTS (d));
  if (n < 2)
    return c;
  for (gsize i = 1; i < n; i++)
    if (!g_unichar_ismark (d[i]))
      return c;
  return d[0];
}

/* The ASCII replacement of @c, or NULL to keep it (lower-cased). */
static const char *
fold (gunichar c)
{
  if (c >= 0x00C0 && c <= 0x00FF)
    return latin1[c - 0x00C0][0] ? latin1[c - 0x00C0] : NULL;
  if (c >= 0x0100 && c <= 0x017F)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (latin_a); i++)
        if (c <= latin_a[i].last)
          return latin_a[i].base;
    }
  switch (c)
    {
    case 0x00A0: case 0x1680: case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
      return " ";
    case 0x2018: case 0x2019: case 0x201B: case 0x02BC: case 0x00B4: case 0x2032:
      return "'";
    case 0x201C: case 0x201D: case 0x201E: case 0x00AB: case 0x00BB:
      return "\"";
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2015: case 0x2212:
      return "-";
    case 0x0401: case 0x0451:
      return "\u0435";
    default:
      break;
    }
  if (c >= 0x2000 && c <= 0x200B)
    return " ";
  return NULL;
}

/* Whether @s (@n bytes left) starts with a reply and enhanced code as a
 * multi-line reply repeats them: "550-5.7.1 " or "550 5.7.1 ".  Returns
 * its length, or 0. */
static gsize
continuation_length (const char *s, gsize n)
{
  gsize i;

  if (n < 10 || (s[0] != '4' && s[0] != '5') || !g_ascii_isdigit (s[1])
      || !g_ascii_isdigit (s[2]) || (s[3] != '-' && s[3] != ' ') || s[4] != s[0]
      || s[5] != '.')
    return 0;
  i = 6;
  while (i < n && i < 9 && g_ascii_isdigit (s[i]))
    i++;
  if (i == 6 || i >= n || s[i] != '.')
    return 0;
  i++;
  {
    gsize d = i;
    while (i < n && i < d + 3 && g_ascii_isdigit (s[i]))
      i++;
    if (i == d || i >= n || s[i] != ' ')
      return 0;
  }
  return i + 1;
}

/* Most addresses blanked in one text; the rest are kept as they are. */
#define TEXT_MAX_ADDRESSES 64

static gboolean
is_local_char (guchar c)
{
  return g_ascii_isalnum (c) || c >= 0x80 || (c != 0 && strchr ("!#$%&'*+/=?^_`{|}~.-", c) != NULL);
}

static gboolean
is_domain_char (guchar c)
{
  return g_ascii_isalnum (c) || c >= 0x80 || c == '.' || c == '-';
}

/* Finds the addresses of @in: pairs of [start, end) in @spans_out (room
 * for TEXT_MAX_ADDRESSES); returns how many.  An address is a local part,
 * "@", and a domain with a dot in it. */
static guint
find_addresses (const char *in, gsize len, gsize spans_out[][2])
{
  guint n = 0;
  const char *at = len > 0 ? memchr (in, '@', len) : NULL;

  while (at != NULL && n < TEXT_MAX_ADDRESSES)
    {
      gsize a = (gsize) (at - in), s = a, e = a + 1;
      gboolean dot = FALSE;

      while (s > 0 && is_local_char ((guchar) in[s - 1]))
        s--;
      while (e < len && is_domain_char ((guchar) in[e]))
        dot |= in[e++] == '.';
      while (e > a + 1 && (in[e - 1] == '.' || in[e - 1] == '-'))
        e--;
      if (s < a && e > a + 1 && dot)
        {
          spans_out[n][0] = s;
          spans_out[n][1] = e;
          n++;
        }
      at = e < len ? memchr (in + e, '@', len - e) : NULL;
    }
  return n;
}

gsize
classify_text_normalise (const char *in, gsize len, char *out)
{
  gsize w = 0;
  gsize i = 0;
  gsize spans[TEXT_MAX_ADDRESSES][2];
  guint n_spans = find_addresses (in, len, spans), next_span = 0;

  while (i < len)
    {
      guchar c = (guchar) in[i];

      if (next_span < n_spans && i >= spans[next_span][0])
        {
          i = spans[next_span++][1];
          if (w > 0 && out[w - 1] != ' ')
            out[w++] = ' ';
          continue;
        }

      if (c < 0x80)
        {
          if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' || c == 0)
            {
              if (w > 0 && out[w - 1] != ' ')
                out[w++] = ' ';
              i++;
              /* A continuation line's codes, in the middle of the text. */
              if (w > 1)
                {
                  gsize skip = continuation_length (in + i, len - i);
                  i += skip;
                }
              continue;
            }
          out[w++] = g_ascii_tolower ((char) c);
          i++;
          continue;
        }

      {
        const char *next = g_utf8_find_next_char (in + i, in + len);
        gsize n = next ? (gsize) (next - (in + i)) : len - i;
        gunichar u = g_utf8_get_char_validated (in + i, (gssize) n);
        const char *f;

        if (u == (gunichar) -1 || u == (gunichar) -2)
          {
            out[w++] = (char) c;   /* invariant 2 */
            i++;
            continue;
          }
        if (u >= 0xFF01 && u <= 0xFF5E)
          {
            out[w++] = g_ascii_tolower ((char) (u - 0xFF01 + 0x21));
            i += n;
            continue;
          }
        u = strip_marks (u);
        f = fold (u);
        if (f != NULL)
          {
            if (f[0] == ' ')
              {
                if (w > 0 && out[w - 1] != ' ')
                  out[w++] = ' ';
              }
            else
              for (const char *p = f; *p; p++)
                out[w++] = *p;
          }
        else
          w += (gsize) g_unichar_to_utf8 (g_unichar_tolower (u), out + w);
        i += n;
      }
    }
  while (w > 0 && out[w - 1] == ' ')
    w--;
  out[w] = '\0';
  return w;
}

/* Scripts written without spaces between words (Chinese, Japanese, Thai,
 * Lao, Myanmar, Khmer), or whose words carry their particles (Korean):
 * each character is a word of its own. */
static gboolean
is_ideographic (gunichar u)
{
  return (u >= 0x0E00 && u <= 0x0EFF)      /* Thai, Lao */
         || (u >= 0x1000 && u <= 0x109F)   /* Myanmar */
         || (u >= 0x1100 && u <= 0x11FF)   /* Hangul Jamo */
         || (u >= 0x1780 && u <= 0x17FF)   /* Khmer */
         || (u >= 0x2E80 && u <= 0x2FFF)   /* CJK radicals */
         || (u >= 0x3040 && u <= 0x9FFF)   /* kana, bopomofo, CJK unified */
         || (u >= 0xA960 && u <= 0xA97F)
         || (u >= 0xAC00 && u <= 0xD7FF)   /* Hangul syllables */
         || (u >= 0xF900 && u <= 0xFAFF)   /* CJK compatibility */
         || (u >= 0xFF66 && u <= 0xFFDC)   /* halfwidth kana and Hangul */
         || (u >= 0x20000 && u <= 0x3FFFF);
}

ClassifyCharClass
classify_text_class (const char *text, gsize len, gsize pos, gsize *char_len_out)
{
  guchar c = (guchar) text[pos];
  gunichar u;
  const char *next;
  gsize n;

  if (c < 0x80)
    {
      *char_len_out = 1;
      return g_ascii_isalnum (c) ? CLASSIFY_CHAR_WORD : CLASSIFY_CHAR_SEPARATOR;
    }
  next = g_utf8_find_next_char (text + pos, text + len);
  n = next ? (gsize) (next - (text + pos)) : len - pos;
  *char_len_out = n;
  u = g_utf8_get_char_validated (text + pos, (gssize) n);
  if (u == (gunichar) -1 || u == (gunichar) -2)
    {
      *char_len_out = 1;
      return CLASSIFY_CHAR_SEPARATOR;
    }
  if (u >= 0x3000 && u <= 0x303F)          /* CJK punctuation */
    return CLASSIFY_CHAR_SEPARATOR;
  if (u >= 0xFF61 && u <= 0xFF65)          /* halfwidth CJK punctuation */
    return CLASSIFY_CHAR_SEPARATOR;
  if (is_ideographic (u))
    return CLASSIFY_CHAR_IDEOGRAPH;
  if (g_unichar_isalnum (u) || g_unichar_ismark (u))
    return CLASSIFY_CHAR_WORD;
  return CLASSIFY_CHAR_SEPARATOR;
}

ClassifyCharClass
classify_text_class_before (const char *text, gsize pos)
{
  gsize start = pos, n;

  if (pos == 0)
    return CLASSIFY_CHAR_SEPARATOR;
  start--;
  while (start > 0 && ((guchar) text[start] & 0xC0) == 0x80 && pos - start < 4)
    start--;
  return classify_text_class (text, pos, start, &n);
}
