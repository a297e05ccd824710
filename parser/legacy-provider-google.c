/* legacy-provider-google.c - notices of Gmail and Google Workspace
 *
 * See legacy-provider.c for the layouts and the rules all provider
 * recognisers follow.
 */
#include "legacy-provider-private.h"

/* ---- Gmail (the plain-text notices of Google's MTA) --------------------- */

static const char *const gmail_end_markers[] = {
  "----- Original message -----",
  "----- Message header follows -----",
  "----- Original message follows -----",
};

gboolean
legacy_gmail_recognise (BounceReport *report, const BounceView *view)
{
  const char *intro;
  const char *details, *end = view->body + view->body_len;
  const char *line;
  gsize line_len, pos, limit;
  gboolean delayed;
  g_autofree char *text = NULL;

  if (!legacy_is_daemon_notice (view))
    return FALSE;
  intro = head_find (view, "Delivery to the following recipient");
  if (intro == NULL)
    return FALSE;
  {
    const char *nl = strchr (intro, '\n');
    delayed = bounce_text_find (intro, nl ? nl - intro : -1, "delayed") != NULL;
  }
  details = body_find (view, "Technical details of ");
  for (gsize i = 0; i < G_N_ELEMENTS (gmail_end_markers); i++)
    {
      const char *m = body_find (view, gmail_end_markers[i]);
      if (m != NULL && m < end)
        end = m;
    }
  if (details != NULL && details > end)
    details = NULL;

  /* The failed addresses: indented lines between the introduction and the
   * technical details. */
  limit = body_offset (view, details ? details : end);
  pos = after_line (view, intro);
  while (bounce_text_next_line (view->body, limit, &pos, &line, &line_len))
    {
      g_autofree char *addr = line_address (line, line_len);
      if (addr != NULL)
        legacy_add (report, view, addr, -1, NULL, 0);
    }
  if (report->recipients->len == 0)
    return FALSE;

  if (details != NULL)
    {
      gsize start = after_line (view, details);
      const char *said;
      g_autoptr(GString) joined = g_string_new (NULL);

      text = g_strndup (view->body + start, (gsize) (end - view->body) - MIN (start, (gsize) (end - view->body)));
      /* "The error that the other server returned was: 550 5.1.1 ..." is
       * the remote server's answer, the rest Google's explanation. */
      said = bounce_text_find (text, -1, "server returned was:");
      append_lines (joined, said ? said + strlen ("server returned was:") : text);
      for (guint i = 0; i < report->recipients->len; i++)
        {
          BounceRecipient *r = g_ptr_array_index (report->recipients, i);

          set_diagnostic (report, r, joined->str, -1);
          /* "... for the recipient domain example.org by mx.example.org.
           * [192.0.2.1]", or "[(0) mx.example.org. [192.0.2.1]:25: ...]" */
          {
            const char *dom = bounce_text_find (text, -1, "for the recipient domain ");
            const char *by = dom ? bounce_text_find (dom, -1, " by ") : NULL;
            if (by != NULL)
              remote_after (report, r, by, " by ");
          }
          if (r->remote_mta == NULL)
            remote_after (report, r, text, "[(0) ");
          if (delayed)
            r->action = "delayed";
        }
    }
  else if (delayed)
    all_delayed (report);
  return TRUE;
}

/* ---- Google Workspace / Gmail, the newer HTML-first notices -------------- */

/* How many lines into the notice Google's "** Title **" line may come. */
#define GOOGLE_TITLE_MAX_LINE 5

/* Google's notices open with a title between asterisks: "** Address not
 * found **", "** Message not delivered **", "** Delivery incomplete **",
 * "** Message blocked **"...  Returns the title line or NULL. */
static const char *
google_title (const BounceView *view)
{
  const char *line;
  gsize line_len, pos = 0;
  guint seen = 0;

  while (seen < GOOGLE_TITLE_MAX_LINE
         && bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      gsize ind = line_indent (line, line_len);
      gsize end = line_len;

      if (line_blank (line, line_len))
        continue;
      seen++;
      while (end > ind && g_ascii_isspace (line[end - 1]))
        end--;
      if (end - ind > 6 && strncmp (line + ind, "** ", 3) == 0
          && strncmp (line + end - 3, " **", 3) == 0)
        return line + ind;
    }
  return NULL;
}

static const char *const google_delivered_to[] = {
  "wasn't delivered to ", "delivering your message to ",
  "couldn't be delivered to ", "was not delivered to ",
};

gboolean
legacy_googleworkspace_recognise (BounceReport *report, const BounceView *view)
{
  const char *title = NULL;
  const char *resp;
  g_autofree char *response = NULL;
  g_autofree char *explanation = NULL;
  gboolean delayed;

  if (!from_has (view, "google") || !legacy_is_daemon_notice (view))
    return FALSE;
  title = google_title (view);
  if (title == NULL)
    return FALSE;
  {
    const char *nl = strchr (title, '\n');
    delayed = bounce_text_find (title, nl ? nl - title : -1, "incomplete") != NULL
              || head_find (view, "temporary problem") != NULL;
  }

  /* "The response was:" / "The response from the remote server was:" is
   * followed by the server's answer, up to a blank line. */
  resp = body_find (view, "The response from the remote server was:");
  if (resp == NULL)
    resp = body_find (view, "The response was:");
  if (resp != NULL)
    {
      gsize pos = after_line (view, resp);
      const char *line;
      gsize line_len;
      GString *s = g_string_new (NULL);

      while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
        {
          if (line_blank (line, line_len))
            {
              if (s->len > 0)
                break;
              continue;
            }
          legacy_text_append (s, line, line_len);
        }
      response = g_string_free (s, FALSE);
    }

  /* Google's explanation, between the title and the server's response (or
   * the "Learn more" link), names the cause in Google's words: "The
   * settings for your 'Send mail as' account are misconfigured", "the
   * address couldn't be found".  It is the notice's, not the server's. */
  {
    const char *stop = resp ? resp : view->body + view->body_len;
    gsize pos = after_line (view, title);
    const char *line;
    gsize line_len;
    g_autoptr(GString) s = g_string_new (NULL);

    while (bounce_text_next_line (view->body, body_offset (view, stop), &pos, &line, &line_len))
      {
        gsize ind = line_indent (line, line_len);
        if (starts_with (line + ind, line_len - ind, "Learn more"))
          break;
        if (!line_blank (line, line_len))
          legacy_text_append (s, line, line_len);
      }
    if (s->len > 0)
      explanation = g_string_free (g_steal_pointer (&s), FALSE);
  }

  for (gsize i = 0; i < G_N_ELEMENTS (google_delivered_to); i++)
    {
      const char *p = body_find (view, google_delivered_to[i]);
      if (p != NULL)
        {
          const char *nl = strchr (p, '\n');
          legacy_add (report, view, p + strlen (google_delivered_to[i]),
                      nl ? nl - p - (gssize) strlen (google_delivered_to[i]) : -1,
                      NULL, 0);
          break;
        }
    }
  /* The notice does not name the recipient (a "Send mail as" failure: the
   * message left for nobody): every addressee of the returned message. */
  if (report->recipients->len == 0 && report->original.to != NULL)
    {
      g_auto(GStrv) list = g_strsplit (report->original.to, ",", -1);
      for (char **a = list; *a; a++)
        legacy_add (report, view, *a, -1, NULL, 0);
    }
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      if (response != NULL)
        set_diagnostic (report, r, response, -1);
      bounce_recipient_add_notice (report, r, explanation, -1);
      if (delayed)
        r->action = "delayed";
    }
  return report->recipients->len > 0;
}
