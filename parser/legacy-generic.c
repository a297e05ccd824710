/* legacy-generic.c - the fallback for mailer-daemon notices of unknown format
 *
 * Takes the failed recipients from X-Failed-Recipients (Exim's header, now
 * widely copied), else from the lines of the notice before the copy of the
 * returned message that hold an address; the text around it becomes the
 * diagnostic.
 */
#include "legacy-private.h"

#include <string.h>

gboolean
legacy_generic_recognise (BounceReport *report, const BounceView *view)
{
  const char *failed = bounce_view_header (view, "X-Failed-Recipients");
  const char *end;
  const char *line;
  gsize line_len, pos = 0, limit;

  if (!legacy_is_daemon_notice (view))
    return FALSE;

  end = legacy_returned_start (view);
  limit = end ? (gsize) (end - view->body) : view->body_len;

  if (failed != NULL)
    {
      g_auto(GStrv) list = g_strsplit (failed, ",", -1);
      for (char **a = list; *a; a++)
        legacy_add (report, view, *a, -1, NULL, 0);
    }

  while (bounce_text_next_line (view->body, limit, &pos, &line, &line_len))
    {
      if (memchr (line, '@', line_len) == NULL)
        continue;
      if (failed != NULL)
        {
          /* Only fill diagnostics of the recipients the header named. */
          for (guint i = 0; i < report->recipients->len; i++)
            {
              BounceRecipient *r = g_ptr_array_index (report->recipients, i);
              if (r->diagnostic == NULL
                  && bounce_text_find (line, (gssize) line_len, r->recipient) != NULL)
                {
                  g_autofree char *text = bounce_text_collapse (line, (gssize) line_len);
                  r->diagnostic = bounce_report_str (report, text);
                }
            }
          continue;
        }
      legacy_add (report, view, line, (gssize) line_len, line, (gssize) line_len);
    }
  return report->recipients->len > 0;
}
