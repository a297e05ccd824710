/* original.c - headers of the returned message
 *
 * The returned message comes as message/rfc822 (RFC 3462/6522 section 3, the
 * third part of a report), as text/rfc822-headers or message/rfc822-headers
 * (headers only), or, in legacy notices, quoted inline in the body text.
 * Header values are decoded (RFC 2047 encoded words, RFC 2231 and declared
 * or guessed charsets) to UTF-8.
 */
#include "bounce-private.h"

#include <string.h>

/* Header bytes in a charset of their own, which GMime's guess would garble:
 * raw ISO-2022-JP (7-bit with escape sequences, RFC 1468), as Japanese
 * mailers wrote it before RFC 2047 was common, and raw 8-bit text that is
 * not UTF-8 (RFC 6532) in the charset the message's Content-Type declares.
 * Returns the raw value converted to UTF-8, or NULL when it needs no
 * conversion or cannot be converted. */
static char *
raw_value_to_utf8 (GMimeObject *object, const char *name, const char *charset)
{
  GMimeHeader *header = g_mime_header_list_get_header (g_mime_object_get_header_list (object),
                                                       name);
  const char *raw = header ? g_mime_header_get_raw_value (header) : NULL;

  if (raw == NULL)
    return NULL;
  if (strstr (raw, "\033$B") != NULL || strstr (raw, "\033$@") != NULL
      || strstr (raw, "\033(J") != NULL)
    return g_convert (raw, -1, "UTF-8", "ISO-2022-JP", NULL, NULL, NULL);
  if (charset != NULL && !g_utf8_validate (raw, -1, NULL))
    return g_convert (raw, -1, "UTF-8", g_mime_charset_iconv_name (charset), NULL, NULL, NULL);
  return NULL;
}

static const char *
decoded (BounceReport *report, GMimeObject *object, const char *name,
         const char *charset)
{
  const char *raw = g_mime_object_get_header (object, name);
  g_autofree char *converted = NULL;
  g_autofree char *text = NULL;
  g_autofree char *collapsed = NULL;

  if (raw == NULL)
    return NULL;
  converted = raw_value_to_utf8 (object, name, charset);
  text = g_mime_utils_header_decode_text (NULL, converted ? converted : raw);
  collapsed = bounce_text_collapse (text, -1);
  return bounce_report_str (report, collapsed);
}

static const char *
message_id (BounceReport *report, GMimeObject *object)
{
  const char *raw = g_mime_object_get_header (object, "Message-ID");
  g_autofree char *id = NULL;

  if (raw == NULL)
    return NULL;
  id = g_mime_utils_decode_message_id (raw);
  if (id == NULL)
    {
      g_autofree char *collapsed = bounce_text_collapse (raw, -1);
      return bounce_report_str (report, collapsed);
    }
  return bounce_report_str (report, id);
}

/* The headers of @object, the charset of raw 8-bit values that of @body's
 * Content-Type (the part the headers' own Content-Type describes). */
static void
original_from_object (BounceReport *report, GMimeObject *object, GMimeObject *body,
                      const BounceSettings *settings)
{
  const char *charset = body ? g_mime_object_get_content_type_parameter (body, "charset") : NULL;
  BounceOriginal *o = &report->original;

  if (o->message_id == NULL)
    o->message_id = message_id (report, object);
  if (o->from == NULL)
    o->from = decoded (report, object, "From", charset);
  if (o->to == NULL)
    o->to = decoded (report, object, "To", charset);
  if (o->subject == NULL)
    o->subject = decoded (report, object, "Subject", charset);
  if (o->date == NULL)
    o->date = decoded (report, object, "Date", charset);
  if (o->list_id == NULL)
    o->list_id = decoded (report, object, "List-Id", charset);
  if (o->campaign == NULL && settings->campaign_header != NULL)
    o->campaign = decoded (report, object, settings->campaign_header, charset);
}

void
original_from_message (BounceReport *report, GMimeMessage *message,
                       const BounceSettings *settings)
{
  original_from_object (report, GMIME_OBJECT (message), g_mime_message_get_mime_part (message),
                        settings);
}

gboolean
original_from_text (BounceReport *report, const char *text, gsize len,
                    const BounceSettings *settings)
{
  g_autoptr(GString) headers = g_string_sized_new (len + 2);
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeObject) part = NULL;
  const char *line;
  gsize line_len, pos = 0, from_line;
  gboolean started = FALSE;
  const char *prefix = NULL;
  gsize prefix_len = 0;

  /* Keep the header block only: from the first field line to the first blank
   * line after it.  Leading indentation of quoted copies is removed: the
   * first field line's, from every line that carries the same. */
  while (bounce_text_next_line (text, len, &pos, &line, &line_len))
    {
      gsize skip = 0;

      if (!started)
        {
          while (skip < line_len && (line[skip] == ' ' || line[skip] == '>'))
            skip++;
          if (line_len - skip < 3 || memchr (line + skip, ':', line_len - skip) == NULL
              || line[skip] == ' ')
            continue;
          started = TRUE;
          prefix = line;
          prefix_len = skip;
        }
      else
        {
          gsize quoting = 0;

          if (line_len >= prefix_len && memcmp (line, prefix, prefix_len) == 0)
            skip = prefix_len;
          while (quoting < line_len && (line[quoting] == ' ' || line[quoting] == '>'))
            quoting++;
          if (quoting == line_len)
            break;
        }
      g_string_append_len (headers, line + skip, (gssize) (line_len - skip));
      g_string_append_c (headers, '\n');
    }
  if (!started)
    return FALSE;
  g_string_append_c (headers, '\n');

  /* Read as a MIME part, not a message: the same header list, without
   * the message GMime would build around it (its address lists, date and
   * body part), which cost as much again as the headers. */
  /* A quoted copy may start with its mbox From_ line, which GMime's
   * message format skips and its part format would take for the end of the
   * headers. */
  from_line = 0;
  if (headers->len >= 5 && memcmp (headers->str, "From ", 5) == 0)
    from_line = (gsize) (strchr (headers->str, '\n') + 1 - headers->str);
  stream = g_mime_stream_mem_new_with_buffer (headers->str + from_line, headers->len - from_line);
  parser = g_mime_parser_new_with_stream (stream);
  part = g_mime_parser_construct_part (parser, NULL);
  if (part == NULL)
    return FALSE;
  original_from_object (report, part, part, settings);
  return report->original.message_id != NULL || report->original.subject != NULL
         || report->original.from != NULL || report->original.to != NULL;
}
