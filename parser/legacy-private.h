/* legacy-private.h - what the legacy recognisers share
 *
 * Each legacy-<family>.c file exports its recognisers, named
 * legacy_<format>_recognise, and registers them in legacy.c's table.
 */
#pragma once

#include "bounce-private.h"

G_BEGIN_DECLS

/* Adds a failed recipient @address (any form: "<a@b>", "a@b:") with the
 * diagnostic text @text (collapsed; may be NULL) unless @address is the
 * notice's sender, a postmaster/mailer-daemon address or already present
 * (then the existing recipient is returned, its diagnostic filled if empty).
 * Returns the recipient, or NULL when @address was refused or the report
 * is full (report->too_many). */
BounceRecipient *legacy_add (BounceReport *report, const BounceView *view,
                             const char *address, gssize address_len,
                             const char *text, gssize text_len);

/* Finds the start of the returned-message copy inside the notice body (the
 * usual "original message follows" markers), or NULL: the view's
 * bounce_view_returned_copy(), searched once per notice. */
const char *legacy_returned_start (const BounceView *view);

/* Fills report->original from a copy of the returned message quoted in the
 * body of the notice, when there is one. */
void legacy_original_from_body (BounceReport *report, const BounceView *view);

/* Like legacy_add(), for an address that the notice's layout names as the
 * failed recipient: refused only when it is the notice's own sender, so that
 * a failed postmaster@remote is reported too. */
BounceRecipient *legacy_add_named (BounceReport *report, const BounceView *view,
                                   const char *address, gssize address_len,
                                   const char *text, gssize text_len);

/* Finds @marker (case-insensitive) where it starts a line of @text, after
 * leading blanks only; NULL if it does not.  A marker quoted ("> ...") or
 * inside a sentence is not found. */
const char *legacy_find_line (const char *text, gsize len, const char *marker);

/* The start of the line after the one holding @p (inside @text of @len
 * bytes), or the end of @text; NULL if @p is NULL. */
const char *legacy_line_after (const char *text, gsize len, const char *p);

/* Whether @line (of @len bytes) contains @needle, case-insensitively. */
gboolean legacy_line_has (const char *line, gsize len, const char *needle);

/* Whether @line holds only blanks. */
gboolean legacy_line_is_blank (const char *line, gsize len);

/* Appends one line of a diagnostic to @text (a space between lines),
 * dropping the repeated "550-5.7.1 " prefix of the continuation lines of an
 * SMTP multi-line reply (RFC 5321 4.2.1). */
void legacy_text_append (GString *text, const char *line, gsize len);

/* The longest text legacy_text_append() builds (the longest diagnostic of
 * the fixtures and a corpus of real bounces is under 1 KB). */
#define LEGACY_TEXT_MAX_BYTES 4096

/* Sets @rcpt's diagnostic to @text, collapsed; nothing if @text is empty. */
void legacy_set_diagnostic (BounceReport *report, BounceRecipient *rcpt,
                            const GString *text);

/* Sets @rcpt's remote MTA to the host name or address that @host starts
 * with (brackets and trailing punctuation dropped); nothing if it holds no
 * dotted name. */
void legacy_set_remote (BounceReport *report, BounceRecipient *rcpt,
                        const char *host, gssize len);

/* Sets the action (when @action is not NULL) of every recipient, and the
 * remote MTA (when @remote is not NULL) of those without one. */
void legacy_set_all (BounceReport *report, const char *action, const char *remote);

/* The address of the To field of the returned copy when it holds exactly
 * one, for notices that name no recipient themselves; newly allocated. */
char *legacy_returned_to (const BounceView *view);

/* Reads a block of RFC 3464 delivery-status fields quoted in the body of
 * the notice (mailers that drop the MIME headers of their own DSNs).
 * Returns the number of recipients added. */
int legacy_dsn_block (BounceReport *report, const BounceView *view);

/* Reads @text as a message of its own (a notice forwarded or quoted inside
 * this one: a view of its own, within the limits of view->settings, read
 * as a DSN or a legacy bounce as the top-level parse would) and copies its
 * recipients into @report.  Returns TRUE if it gave any.  Nesting is
 * bounded. */
gboolean legacy_embedded_parse (BounceReport *report, const BounceView *view,
                                const char *text, gsize len);

/* When the returned message @text is itself a notice (a gateway returning
 * the bounce of the relay behind it), fills status, reply code, diagnostic
 * and remote MTA of the recipients of @report that it names and that have
 * no code yet. */
void legacy_embedded_enrich (BounceReport *report, const BounceView *view,
                             const char *text, gsize len);

/* A recogniser table entry; tables end with { NULL, NULL }. */
typedef struct {
  const char *name;            /* the report's format: "qmail", "exchange" */
  LegacyRecogniser recognise;
} LegacyEntry;

/* Recognisers of providers' notices (legacy-provider.c), tried first. */
extern const LegacyEntry legacy_provider_table[];

/* Recognisers of MTA software notices (legacy-mta.c), tried next. */
extern const LegacyEntry legacy_mta_table[];

/* The fallback for mailer-daemon notices of unknown formats. */
gboolean legacy_generic_recognise (BounceReport *report, const BounceView *view);

G_END_DECLS
