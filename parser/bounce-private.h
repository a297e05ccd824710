/* bounce-private.h - internals shared by the files of parser/
 *
 * Nothing outside parser/ (and its tests) includes this header.
 */
#pragma once

#include <gmime/gmime.h>
#include "bounce.h"
#include "bounce-view.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeObject, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeContentType, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InternetAddressList, g_object_unref)

/* ---- bounce-report.c: building reports ---------------------------------- */

BounceReport *bounce_report_new (void);

/* Copies @s (or its first @n bytes) into the report's string chunk.  NULL,
 * empty and all-blank strings give NULL (invariant 1 of bounce.h). */
const char *bounce_report_str (BounceReport *report, const char *s);
const char *bounce_report_strn (BounceReport *report, const char *s, gssize n);

/* An SMTP reply code: @s (its first @n bytes, or up to NUL with -1) copied
 * into the report when it is exactly three digits, the first 2 to 5 (RFC
 * 5321 4.2), else NULL.  Every reply_code of a report goes through it. */
const char *bounce_report_reply_code (BounceReport *report, const char *s, gssize n);

/* Appends a new, empty recipient and returns it (owned by @report); NULL
 * when @report already holds report->max_recipients (then report->too_many
 * is set, and the parse fails with BOUNCE_PARSE_ERROR_TOO_LARGE).  The
 * limit is checked here, as recipients are added, so that no recogniser
 * works on past it. */
BounceRecipient *bounce_report_add_recipient (BounceReport *report);

/* Removes (and frees) the recipient at @index. */
void bounce_report_remove_recipient (BounceReport *report, guint index);

/* Adds @text (its first @n bytes, or up to NUL with -1; whitespace
 * collapsed) to what the report itself says of @rcpt (BounceRecipient
 * .notice); several notes are joined by "; ", up to BOUNCE_NOTICE_MAX_BYTES
 * in all (cut at a character).  Blank text is ignored. */
#define BOUNCE_NOTICE_MAX_BYTES 4096
void bounce_recipient_add_notice (BounceReport *report, BounceRecipient *rcpt,
                                  const char *text, gssize n);

/* Finds the first recipient of @address (ASCII case-insensitive), or NULL.
 * O(1): a hash of the addresses, kept up to date on each call from the
 * recipients added (or given an address) since the previous one. */
BounceRecipient *bounce_report_find_recipient (BounceReport *report,
                                               const char *address);

/* Appends an X- field to @fields (a report's or a recipient's extensions). */
void bounce_report_add_field (BounceReport *report, GPtrArray *fields,
                              const char *name, const char *value);

/* ---- bounce-text.c: text helpers ---------------------------------------- */

/* Unfolds and collapses whitespace runs to one space, trims both ends.
 * Returns a newly allocated string, or NULL if nothing is left. */
char *bounce_text_collapse (const char *s, gssize n);

/* Extracts a bare mail address from @s ("<a@b>", "rfc822; a@b", "Name
 * <a@b>", "a@b (comment)"); NULL if @s holds none.  Newly allocated. */
char *bounce_text_address (const char *s, gssize n);

/* Whether @s looks like a plausible mail address local@domain. */
gboolean bounce_text_is_address (const char *s);

/* Case-insensitive search of ASCII @needle in @hay (first @n bytes, or up to
 * NUL with -1).  Returns a pointer into @hay or NULL. */
const char *bounce_text_find (const char *hay, gssize n, const char *needle);

/* Bytes bounce_text_find() has read on this thread so far: the tests bound
 * the work of a parse with it (a search per recipient over the whole text
 * shows as gigabytes, where seconds would depend on the machine). */
guint64 bounce_text_searched (void);
/* Adds @n bytes read by another search (phrase-set.c) to that count. */
void bounce_text_add_searched (guint64 n);

/* The next address-like word of @text at or after *@pos: the bytes around
 * an '@' that an address may hold (RFC 5322 atext, dots, UTF-8), without
 * the dots of a sentence around it.  Advances *@pos past it.  FALSE when
 * none is left. */
gboolean bounce_text_next_address_word (const char *text, gsize len, gsize *pos,
                                        const char **word_out, gsize *word_len_out);

/* Where the address words of a text stand, so that a notice of thousands
 * of recipients is not searched once per recipient (quadratic).
 * bounce_word_index_find() answers from the index (ASCII case-insensitive):
 * an address of address bytes only is found where it stands as a word of
 * its own ("<user@example.org>:", "user@example.org."), not glued to other
 * address bytes ("To=user@example.org"); an address with other bytes (a
 * quoted local part) is searched for in the text. */
typedef struct {
  const char *text;
  gsize len;
  GHashTable *words;            /* lower-cased word -> GArray of gsize offsets */
} BounceWordIndex;

void bounce_word_index_init (BounceWordIndex *index, const char *text, gsize len);
/* The first place at or after @from (inside the text) that names @address,
 * or NULL. */
const char *bounce_word_index_find (const BounceWordIndex *index, const char *from,
                                    const char *address);
void bounce_word_index_clear (BounceWordIndex *index);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BounceWordIndex, bounce_word_index_clear)

/* Returns the next line of @text starting at *@pos, without its newline, and
 * advances *@pos past it; NULL at the end.  @text uses LF line ends. */
gboolean bounce_text_next_line (const char *text, gsize len, gsize *pos,
                                const char **line_out, gsize *line_len_out);

/* A date as written (RFC 5322 3.3 date-time, obsolete forms included, or
 * ISO 8601) in ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SS+00:00"; NULL when it
 * cannot be read or its UTC time is outside years 1 to 9999.  Newly
 * allocated. */
char *bounce_text_date_utc (const char *text);

/* When @first is the first line of a multi-line reply ("552-5.7.0 This
 * message was blocked ..."; RFC 5321 4.2.1) that an MTA copied alone into
 * a field, the whole reply as @body (a notice or its transcript, "<<< "
 * prefixes allowed) has it: its lines joined, the codes on the first only.  NULL
 * when @first is no such line or @body has no more of it. */
char *bounce_text_join_reply (const char *body, gsize len, const char *first);

/* Whether the addresses are the same, case-insensitively. */
gboolean bounce_text_address_equal (const char *a, const char *b);

/* ---- dsn-status.c: RFC 3463 codes and diagnostic text ------------------- */

/* Whether @s (first @n bytes) is a valid RFC 3463 status-code:
 *   status-code = class "." subject "." detail
 *   class = "2" / "4" / "5"; subject = 1*3digit; detail = 1*3digit */
gboolean dsn_status_is_valid (const char *s, gssize n);

/* Finds the first enhanced status code in @text that stands alone (not part
 * of an IP address or version number).  Copies it to @code_out (at least
 * 12 bytes) and returns TRUE, or returns FALSE. */
gboolean dsn_status_find (const char *text, char *code_out);

/* Finds an SMTP reply code in @text: at the start, or before an enhanced
 * code, or after "said:"-like words.  Copies it to @code_out (4 bytes). */
gboolean dsn_status_find_reply_code (const char *text, char *code_out);

/* Whether @status is generic: its subject and detail are both 0 (x.0.0). */
gboolean dsn_status_is_generic (const char *status);

/* Fills status and reply_code of @rcpt from its diagnostic text where they
 * are missing, malformed, or generic and the text is more specific. */
void dsn_status_complete (BounceReport *report, BounceRecipient *rcpt);

/* ---- dsn-fields.c: the message/delivery-status body --------------------- */

/* Parses the fields of a delivery-status body (RFC 3464 section 2.1) into
 * @report: per-message fields and one recipient per recipient block.
 * Returns the number of recipients added, or -1 past settings->max_recipients
 * (with @error_out set). */
int dsn_fields_parse (BounceReport *report, const char *text, gsize len,
                      const BounceSettings *settings, GError **error_out);

/* Whether @text looks like a delivery-status body (a Final-Recipient or
 * Original-Recipient field and an Action or Status field). */
gboolean dsn_fields_sniff (const char *text, gsize len);

/* ---- original.c: the returned message ----------------------------------- */

/* Fills report->original from the headers of @message. */
void original_from_message (BounceReport *report, GMimeMessage *message,
                            const BounceSettings *settings);

/* Fills report->original from a block of header text (text/rfc822-headers or
 * a copy quoted in a legacy notice).  Returns TRUE if any header was found. */
gboolean original_from_text (BounceReport *report, const char *text, gsize len,
                             const BounceSettings *settings);

/* ---- legacy.c: plain-text bounce notices -------------------------------- */

/* A recogniser sees the view of the message (bounce-view.h) with its body
 * and returned text built (bounce_view_ensure_body(),
 * bounce_view_ensure_returned()). */

/* A recogniser: recognises its format in @view and adds every failed
 * recipient to @report (status, reply code, diagnostic, remote MTA as far as
 * the notice tells).  Returns TRUE if it recognised the format, even if it
 * found no recipient; FALSE leaves @report untouched. */
typedef gboolean (*LegacyRecogniser) (BounceReport *report,
                                      const BounceView *view);

/* Whether the notice comes from a mailer daemon (From, Subject, headers). */
gboolean legacy_is_daemon_notice (const BounceView *view);

/* Runs the recognisers in order; returns TRUE if one recognised the
 * message, and sets report->format to its name. */
gboolean legacy_recognise (BounceReport *report, const BounceView *view);

/* Reads @view (body and returned text built) as a legacy bounce: runs the
 * recognisers (legacy_recognise()); when one recognised it, makes the
 * report a legacy bounce unless the recogniser knew its kind better, and
 * adds what the notice's words say of the commands and of permanence
 * (notice.c).  Returns FALSE, @report untouched, when none recognised it;
 * TRUE with report->too_many set (and nothing added after the recogniser)
 * past the recipient limit. */
gboolean legacy_read (BounceReport *report, BounceView *view);

/* ---- kinds.c: auto-replies and feedback reports ------------------------- */

/* An automatic unsubscribe request (the mailto: form of RFC 2369
 * List-Unsubscribe: Subject "unsubscribe"; Apple Mail's X-Apple-Unsubscribe):
 * the recipient opts out, which is feedback, not an auto-reply. */
gboolean kinds_is_unsubscribe (const BounceView *view);

/* RFC 3834 auto-reply markers and the usual vacation headers/subjects. */
gboolean kinds_is_auto_reply (const BounceView *view);

/* ---- notice.c: what the notice's words add ------------------------------ */

/* Reads the status part of @view (view->status_part not NULL) into @report
 * with dsn_fields_parse(); when it names recipients, the report is a DSN
 * (format "rfc3464"), and the notice's text fills the diagnostics that
 * are missing or give no code, and the commands (notice_fill_commands()).
 * Returns the number of recipients the status part gave, or -1 past
 * settings->max_recipients (with @error_out set). */
int notice_read_dsn (BounceReport *report, BounceView *view, GError **error_out);

/* Fills the command of each recipient that has none from what the notice
 * says the reply answered ("in reply to RCPT TO command", a transcript's
 * ">>> RCPT To:<...>" line). */
void notice_fill_commands (BounceReport *report, BounceView *view);

/* When a recipient has neither status nor reply code: what the notice's
 * subject and text say of permanence (report->notice_class, from
 * classify_notice_permanence()), and recipients of a notice that says the
 * mail system is still trying made delayed unless their answer is final. */
void notice_permanence (BounceReport *report, BounceView *view);

/* The last steps of every reading: multi-line replies cut to their first
 * line made whole from the notice's text, status and reply code completed
 * from each diagnostic (dsn_status_complete()), and every recipient
 * classified with view->settings->rules (classify_report()). */
void notice_finish (BounceReport *report, BounceView *view);

/* ---- classify.c: reasons ------------------------------------------------ */

/* Sets reason, hard_bounce and evidence of every recipient of @report,
 * and a status where the report gave none (BounceRecipient.status_source). */
void classify_report (BounceReport *report, const BounceRules *rules);

/* Reads what the notice's own words (@subject, and @text of @len bytes)
 * say of permanence into report->notice_class ('5', '4' or 0), for
 * recipients the server gave no code for. */
void classify_notice_permanence (BounceReport *report, const char *subject,
                                 const char *text, gsize len);

G_END_DECLS
