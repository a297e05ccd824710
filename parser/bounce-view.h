/* bounce-view.h - the view of a message that every reader of it shares
 *
 * A BounceView is built once per message by bounce_view_init() (bounce-view.c)
 * and handed to everything that reads the message: the decision of what it
 * is (bounce-parse.c), the DSN and notice readers (notice.c), the
 * auto-reply tests (kinds.c) and the legacy recognisers (legacy*.c), which
 * also build views of the messages quoted inside a notice.  The walk of the
 * MIME tree that decides what the message is, and the conversion of the
 * notice's text, are done here once (legacy-mta.c still looks for a
 * message/delivery-status part of its own when one gave no recipient).
 *
 * Nothing outside parser/ (and its tests) includes this header.
 */
#pragma once

#include <gmime/gmime.h>
#include "bounce.h"

G_BEGIN_DECLS

/* What readers work out once from a view's texts (bounce-view.c fills it
 * on the first question). */
typedef struct {
  gboolean returned_copy_known;
  const char *returned_copy;    /* bounce_view_returned_copy() */
} BounceViewMemo;

typedef struct {
  /* ---- what every reader sees ---- */
  GMimeMessage *message;      /* the notice; NULL when the bytes hold no
                               * header field (not a mail message) */
  const char *from;           /* its From, decoded, or "" */
  const char *subject;        /* its Subject, decoded, or "" */
  const char *body;           /* UTF-8 text of its text parts (else of its
                               * HTML parts as text), LF line ends,
                               * NUL-terminated; NULL until
                               * bounce_view_ensure_body(), never NULL after */
  gsize body_len;
  const char *returned;       /* UTF-8 text of the returned message part when
                               * it is a separate part, else NULL; set by
                               * bounce_view_ensure_returned() */
  gsize returned_len;
  const BounceSettings *settings;

  /* ---- the parts that decide what the message is (borrowed from
   *      message, or from returned_message) ---- */
  GMimeObject *status_part;     /* message/delivery-status or look-alike */
  GMimeObject *feedback_part;   /* message/feedback-report */
  GMimeMessage *returned_message; /* message/rfc822 (or its encoded form) */
  GMimeObject *returned_headers; /* text/rfc822-headers */
  gboolean in_report;           /* a multipart/report was seen */
  const char *report_type;      /* its report-type, trimmed, or NULL */

  /* ---- answers kept for the next reader: a pointer, so that readers of
   *      a const view may fill it (bounce-view.c's own) ---- */
  BounceViewMemo *memo;

  /* ---- bounce-view.c's own; nobody else reads or writes these ---- */
  struct {
    GByteArray *source;         /* the normalised bytes GMime reads in place */
    gboolean source_borrowed;   /* source->data is the caller's (no CR in it) */
    GMimeStream *stream;
    GMimeParser *parser;
    GMimeMessage *returned_decoded; /* an encoded returned message, parsed */
    char *from, *subject, *report_type, *returned;
    GPtrArray *texts;           /* text parts of the notice (borrowed) */
    GPtrArray *htmls;           /* its html parts, used when no text part */
    GString *body;
    gboolean body_built;
    guint parts;                /* parts of the multiparts walked so far */
  } priv;
} BounceView;

/* GMime initialised, with the parser options of the view (once per
 * process, thread-safe; bounce_parse_init() of bounce.h). */
void bounce_view_init_gmime (void);

/* Builds the view of the message @data (@length bytes; borrowed for the
 * view's lifetime when it has LF line ends already) within the limits
 * of @settings (not NULL; borrowed for the view's lifetime): refuses it
 * with BOUNCE_PARSE_ERROR_TOO_LARGE (@error_out set, FALSE returned) when it
 * is larger than settings->max_message_size or its MIME structure deeper or
 * of more parts than settings->max_mime_depth / max_mime_parts.  Bytes
 * without a header field give TRUE and view->message NULL.  The body and
 * the returned text are not built yet (they are costly and most DSNs never
 * need them).  @view is cleared with bounce_view_clear() in every case.
 *
 *   g_auto(BounceView) view = { 0 };
 *   if (!bounce_view_init (&view, data, len, settings, &error))
 *     return NULL;
 */
gboolean bounce_view_init (BounceView *view, const char *data, gsize length,
                           const BounceSettings *settings, GError **error_out);

/* Frees what @view owns; a zeroed or cleared view may be cleared again. */
void bounce_view_clear (BounceView *view);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BounceView, bounce_view_clear)

/* Builds view->body (once): the text parts converted to UTF-8 from their
 * charsets, or the HTML parts as text when there is no text part. */
void bounce_view_ensure_body (BounceView *view);

/* Sets view->returned (once): the returned message part as text. */
void bounce_view_ensure_returned (BounceView *view);

/* A header of the notice as written (not decoded), or NULL. */
const char *bounce_view_header (const BounceView *view, const char *name);

/* Whether the message is an RFC 5965 feedback report with its
 * message/feedback-report part. */
gboolean bounce_view_is_feedback (const BounceView *view);

/* Copies what the message says of itself into @report: its From, Subject
 * and Date (message_from, message_subject, message_date*) and the headers
 * of the returned message or of its text/rfc822-headers part
 * (report->original). */
void bounce_view_describe (const BounceView *view, BounceReport *report);

/* The status part's text (transfer encoding removed, LF line ends; a part
 * labelled text/ converted to UTF-8 from its charset).  Newly allocated;
 * view->status_part must not be NULL. */
char *bounce_view_status_text (const BounceView *view, gsize *len_out);

/* Where the copy of the returned message starts inside view->body (built):
 * the earliest of the markers notices introduce it with ("------ This is
 * a copy of the message", "Original message follows", ...), or NULL.
 * Searched once per view. */
const char *bounce_view_returned_copy (const BounceView *view);

/* The same search from @from (inside view->body) on, not kept. */
const char *bounce_view_returned_marker (const BounceView *view, const char *from);

/* Decoded content of a leaf part (transfer encoding removed, LF line
 * ends); "" for a part that is not a leaf.  Newly allocated. */
char *bounce_view_part_content (GMimeObject *part, gsize *len_out);

G_END_DECLS
